#!/usr/bin/env bash
# Off-CPU profiling under a context-switch storm: profrun's offcpu
# provider against libbpf-tools offcputime and a bpftrace equivalent, in
# the same run. The workload is the pipe ping-pong fixture
# (tests/fixtures/offcpu/pingpong.c: two threads pass a byte back and
# forth, 100k+ switches a second here); each tool is given its pid and
# attaches during the fixture's DELAY s of sleep, before the storm.
#
#   bench/offcpu.sh BUILD_DIR      (part of make bench)
#   knobs: ROUNDS=3 STORM=3 (seconds of storm) DELAY=3 TOOLS="..."
#          RESULTS=dir BENCH_HARNESS=../shared/bench
#
# Per run: rounds/s of the storm; slowdown = the same round's baseline
# rounds/s / this run's; the tool's CPU during the storm (schedstat of its
# threads); its peak RSS (VmHWM) and the memlock of the BPF maps it made;
# accounted = the off-CPU time the tool reports for the ponger thread /
# the ponger's own truth (its wall time - its on-CPU time, measured by the
# thread itself). Over 100% is the tools' clock edges: an interval runs
# from the switch program's own clock read, the thread's CPU time from the
# scheduler's, a fraction of a microsecond apart, 100k+ times a second. Each round runs the tools in a rotated
# order. Output: $RESULTS/offcpu.csv and the table at the end.
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

ROUNDS=${ROUNDS:-3}
STORM=${STORM:-3}
DELAY=${DELAY:-3}
TOOLS=${TOOLS:-"baseline profrun offcputime bpftrace"}
PROFRUN=$build/profrun
PINGPONG=$build/fixtures/pingpong
RESULTS=${RESULTS:-$(mktemp -d /tmp/profrun-bench.XXXXXX)}
mkdir -p "$RESULTS/offcpu-logs"
CSV=$RESULTS/offcpu.csv
[ -x "$PINGPONG" ] || die "no $PINGPONG (make fixtures)"
command -v offcputime >/dev/null || apt-get install -y -qq libbpf-tools >/dev/null
command -v bpftrace >/dev/null || apt-get install -y -qq bpftrace >/dev/null

BT=$TMPD/offcpu.bt
cat >"$BT" <<'EOF2'
// off-CPU time by thread and stack, the way bpftrace users write it:
// start at the switch out, sum at the switch back in
tracepoint:sched:sched_switch
{
	if (args->prev_pid != 0 && pid == $1) {
		@start[args->prev_pid] = nsecs;
		@kst[args->prev_pid] = kstack;
		@ust[args->prev_pid] = ustack;
	}
	$s = @start[args->next_pid];
	if ($s) {
		@off[args->next_comm, @kst[args->next_pid], @ust[args->next_pid]] = sum(nsecs - $s);
		@total[args->next_comm] = sum(nsecs - $s);
		delete(@start[args->next_pid]);
	}
}
END { clear(@start); clear(@kst); clear(@ust); clear(@off); }
EOF2

# start_tool TOOL PID LOG: the tool watching PID in the background; sets TOOL_PID
start_tool() {
	case $1 in
	profrun) "$PROFRUN" -p "$2" "$here/offcpu-profile.lua" >"$3" 2>&1 & ;;
	offcputime) offcputime -p "$2" >"$3" 2>&1 & ;;
	bpftrace) bpftrace "$BT" "$2" >"$3" 2>&1 & ;;
	esac
	TOOL_PID=$!
	track "$TOOL_PID"
}

# ponger_ns TOOL LOG: the off-CPU ns the tool reported for the ponger thread
ponger_ns() {
	case $1 in
	profrun) sed -n 's/^ponger_ns=//p' "$2" ;;
	offcputime) awk '/^ *- +ponger \(/ { take = 1; next } take && /^ *[0-9]+$/ { s += $1; take = 0 }
		END { printf "%.0f\n", s * 1000 }' "$2" ;;
	bpftrace) sed -n 's/^@total\[ponger\]: //p' "$2" ;;
	esac
}

echo "round,tool,rounds_per_s,cpu_ms,rss_kb,map_kb,reported_ns,truth_ns" >"$CSV"
log "offcpu: $ROUNDS rounds of $TOOLS, ${STORM}s storms (about $((ROUNDS * 4 * (STORM + DELAY + 3))) s)"
for ((r = 1; r <= ROUNDS; r++)); do
	for tool in $(rotate $((r - 1)) $TOOLS); do
		log_file=$RESULTS/offcpu-logs/$tool.$r
		bpf_ids map >"$TMPD/maps.before"
		"$PINGPONG" "$STORM" "$DELAY" >"$TMPD/pp.out" &
		pp=$!
		track "$pp"
		TOOL_PID=
		[ "$tool" != baseline ] && start_tool "$tool" "$pp" "$log_file"
		sleep "$DELAY"
		c0=NA
		[ -n "$TOOL_PID" ] && c0=$(cpu_ms "$TOOL_PID")
		# the tool's figures are read just before the storm ends: profrun
		# -p stops by itself when its target exits
		sleep "$(awk -v s="$STORM" 'BEGIN { print s - 0.5 }')"
		map_kb=0 rss=0 c1=NA
		if [ -n "$TOOL_PID" ]; then
			map_kb=$(bpf_maps_kb "$TMPD/maps.before" | awk '{ print $1 }')
			c1=$(cpu_ms "$TOOL_PID")
			rss=$(awk '/^VmHWM:/ { print $2 }' /proc/"$TOOL_PID"/status 2>/dev/null)
		fi
		wait "$pp"
		untrack "$pp"
		if [ -n "$TOOL_PID" ]; then
			# profrun -p ends with its target and hands out what its
			# rings hold: a SIGINT now would cut that short
			if [ "$tool" = profrun ]; then
				for ((i = 0; i < 100; i++)); do
					kill -0 "$TOOL_PID" 2>/dev/null || break
					sleep 0.1
				done
			fi
			stop_pid "$TOOL_PID" 20
			wait "$TOOL_PID" 2>/dev/null
			untrack "$TOOL_PID"
		fi
		rounds=$(sed -n 's/^rounds=\([0-9]*\) secs=\([0-9.]*\)$/\1 \2/p' "$TMPD/pp.out" |
			awk '{ printf "%.0f\n", $1 / $2 }')
		truth=$(sed -n 's/^ponger_wall_ns=\([0-9]*\) ponger_oncpu_ns=\([0-9]*\)$/\1 \2/p' \
			"$TMPD/pp.out" | awk '{ print $1 - $2 }')
		cpu=NA
		[ "$c0" != NA ] && [ "$c1" != NA ] && cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.0f", b - a }')
		rep=NA
		[ "$tool" != baseline ] && rep=$(ponger_ns "$tool" "$log_file")
		echo "$r,$tool,${rounds:-NA},$cpu,${rss:-0},${map_kb:-0},${rep:-NA},${truth:-NA}" >>"$CSV"
	done
done

# the table: medians over the rounds; slowdown against the same round's baseline
awk -F, "$MEDIAN_AWK"'
	NR == 1 { next }
	$2 == "baseline" { base[$1] = $3; next }
	{ k = $2; n[k]++; tools[k] = 1
	  slow[k, n[k]] = (base[$1] > 0 && $3 > 0) ? base[$1] / $3 : "NA"
	  cpu[k, n[k]] = $4; rss[k, n[k]] = $5; map[k, n[k]] = $6
	  acc[k, n[k]] = ($8 > 0 && $7 != "NA" && $7 != "") ? 100 * $7 / $8 : "NA" }
	END {
		printf "%-11s %9s %11s %10s %10s %11s\n", "tool", "slowdown", "cpu_ms", "rss_MB", "maps_MB", "accounted"
		for (k in tools) {
			s = med(slow, k, n[k]); a = med(acc, k, n[k])
			printf "%-11s %8.3fx %11s %10.1f %10.1f %10s\n", k, s, med(cpu, k, n[k]),
				med(rss, k, n[k]) / 1024, med(map, k, n[k]) / 1024, a == "NA" ? "NA" : sprintf("%.1f%%", a)
		}
	}' "$CSV" | tee "$RESULTS/offcpu.summary"
echo "offcpu: raw runs in $CSV"
