#!/usr/bin/env bash
# Probes against bpftrace, in the same run (issue 14's benchmark):
#
# 1. start-up: time from launching the tool to its first event of a
#    uprobe on a function called millions of times a second (probespin
#    running forever), measured from outside by the harness's firstline
#    (clock from just before fork to the line read). profrun has nothing
#    to compile; bpftrace runs LLVM first. Both keep the one process's
#    hits (bpftrace /pid == N/, profrun probe{pid = N}); profrun-p is
#    profrun -p N, which also follows the process's children (the
#    lifecycle programs, and the kernel BTF they need, load too).
# 2. cost per hit: probespin calls pb_hot CALLS times, three frames under
#    main, built -O2 without frame pointers; each tool attaches during its
#    DELAY s of sleep. added_ns = (the loop's time - the same round's
#    baseline) / CALLS: what a hit costs the traced thread. tool_ns = the
#    tool's own CPU from just before the loop to just after it / CALLS:
#    what consuming a hit costs (profrun's event modes unwind and run Lua
#    here, on another CPU). hits = what the tool counted (CALLS: nothing
#    missed), lost = hits it counted as lost, frames = the depth of its
#    most common stack (pb_hot pb_mid pb_loop main and libc's start: 7
#    reach _start; frame-pointer walks stop after one or two here).
#    Modes: profrun count (count_only), count+stack (count_only with
#    frame-pointer stack ids), event (each hit to Lua), event+stack (each
#    hit with a copied stack, unwound with .eh_frame); bpftrace
#    `@ = count()` and `@[ustack] = count()`.
#
#   bench/probes.sh BUILD_DIR      (part of make bench; make bench-probes)
#   knobs: RUNS=5 ROUNDS=3 CALLS=500000 DELAY=3 MODES="..." RESULTS=dir
#          BENCH_HARNESS=../shared/bench
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
need_build

RUNS=${RUNS:-5}
ROUNDS=${ROUNDS:-3}
CALLS=${CALLS:-500000}
DELAY=${DELAY:-3}
MODES=${MODES:-"baseline profrun:count profrun:count+stack profrun:event profrun:event+stack bpftrace:count bpftrace:ustack"}
PROFRUN=$build/profrun
SPIN=$build/bench/probespin
[ -x "$SPIN" ] || die "no $SPIN (make $build/bench/probespin)"
command -v bpftrace >/dev/null || apt-get install -y -qq bpftrace >/dev/null
mkdir -p "$RESULTS/probes-logs"

# ---- 1. start-up to the first event ----------------------------------------
CSV1=$RESULTS/probes-startup.csv
echo "case,run,line_ms" >"$CSV1"
"$SPIN" -1 0 >/dev/null &
hot=$!
track "$hot"
sleep 0.2
first_cmd() { # TOOL -> CMD
	case $1 in
	profrun) CMD=("$PROFRUN" -e "probe('u:$SPIN:pb_hot', { pid = $hot }, function(e)
		print('FIRST ' .. e.time) io.stdout:flush() exit(0) end)") ;;
	profrun-p) CMD=("$PROFRUN" -p "$hot" -e "probe('u:$SPIN:pb_hot', function(e)
		print('FIRST ' .. e.time) io.stdout:flush() exit(0) end)") ;;
	bpftrace) CMD=(bpftrace -e "uprobe:$SPIN:pb_hot /pid == $hot/ { printf(\"FIRST %lld\\n\", nsecs); exit(); }") ;;
	esac
}
log "probes: start-up, 3 cases x (1 warm-up + $RUNS runs)"
for ((r = 0; r <= RUNS; r++)); do
	for tool in $(rotate "$r" profrun profrun-p bpftrace); do
		first_cmd "$tool"
		out=$("$BUILD/firstline" -t 30 -o "$RESULTS/probes-logs/first.$tool.$r" FIRST -- "${CMD[@]}")
		ms=$(sed -n 's/^ms=//p' <<<"$out")
		[[ $ms =~ ^[0-9.]+$ ]] || { log "first event, $tool run $r: $ms"; ms=NA; }
		echo "$tool,$r,$ms" >>"$CSV1"
	done
done
stop_pid "$hot" 2
wait "$hot" 2>/dev/null
untrack "$hot"

# ---- 2. cost per hit ---------------------------------------------------------
CSV2=$RESULTS/probes-cost.csv
echo "round,mode,loop_ns,tool_cpu_ms,hits,lost,frames" >"$CSV2"
BT_COUNT='uprobe:SPIN:pb_hot /pid == PID/ { @ = count(); }'
BT_USTACK='uprobe:SPIN:pb_hot /pid == PID/ { @[ustack] = count(); }'

start_tool() { # MODE PID LOG -> TOOL_PID
	local prog
	case $1 in
	profrun:*) "$PROFRUN" -p "$2" "$here/probe-cost.lua" "${1#profrun:}" "$SPIN" >"$3" 2>&1 & ;;
	bpftrace:*)
		prog=$BT_COUNT
		[ "$1" = bpftrace:ustack ] && prog=$BT_USTACK
		prog=${prog//SPIN/$SPIN}
		bpftrace -e "${prog//PID/$2}" >"$3" 2>&1 & ;;
	esac
	TOOL_PID=$!
	track "$TOOL_PID"
}

# tool_result MODE LOG -> "hits lost frames"
tool_result() {
	case $1 in
	profrun:*) echo "$(sed -n 's/^hits=//p' "$2") $(sed -n 's/^lost=//p' "$2") $(sed -n 's/^frames=//p' "$2")" ;;
	bpftrace:count) echo "$(sed -n 's/^@: //p' "$2") 0 0" ;;
	bpftrace:ustack) awk '/^@\[/ { d = 0; next } /^\]: [0-9]+$/ { s += $2; if ($2 > best) { best = $2; bd = d }; next }
		{ d++ } END { printf "%d 0 %d\n", s, bd }' "$2" ;;
	esac
}

log "probes: cost per hit, $ROUNDS rounds of $MODES, $CALLS calls each"
for ((r = 1; r <= ROUNDS; r++)); do
	for mode in $(rotate $((r - 1)) $MODES); do
		logf=$RESULTS/probes-logs/cost.${mode/:/-}.$r
		"$SPIN" "$CALLS" "$DELAY" >"$TMPD/spin.out" &
		sp=$!
		track "$sp"
		TOOL_PID=
		[ "$mode" != baseline ] && start_tool "$mode" "$sp" "$logf"
		sleep "$(awk -v d="$DELAY" 'BEGIN { print d - 0.3 }')"
		c0=NA c1=NA
		[ -n "$TOOL_PID" ] && c0=$(cpu_ms "$TOOL_PID")
		wait "$sp"
		untrack "$sp"
		[ -n "$TOOL_PID" ] && c1=$(cpu_ms "$TOOL_PID")
		res="NA NA NA"
		if [ -n "$TOOL_PID" ]; then
			# profrun -p ends with its target, after handing out what its
			# ring holds; bpftrace prints its maps at SIGINT
			for ((i = 0; i < 200; i++)); do
				[[ $mode == profrun:* ]] || break
				kill -0 "$TOOL_PID" 2>/dev/null || break
				sleep 0.05
			done
			stop_pid "$TOOL_PID" 30
			wait "$TOOL_PID" 2>/dev/null
			untrack "$TOOL_PID"
			res=$(tool_result "$mode" "$logf")
		fi
		ns=$(sed -n 's/^calls=[0-9]* ns=//p' "$TMPD/spin.out")
		cpu=NA
		[ "$c0" != NA ] && [ "$c1" != NA ] && cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f", b - a }')
		read -r hits lost frames <<<"$res"
		echo "$r,$mode,${ns:-NA},$cpu,${hits:-NA},${lost:-NA},${frames:-NA}" >>"$CSV2"
	done
done

machine_line | tee "$RESULTS/probes.machine"
echo "start-up to the first uprobe event (ms): tool min median max n"
awk -F, 'NR == 1 || $2 != 0' "$CSV1" >"$CSV1.counted"
summarize "$CSV1.counted" case line_ms | tee "$RESULTS/probes-startup.summary"
awk '$1 == "profrun" { p = $3 } $1 == "profrun-p" { q = $3 } $1 == "bpftrace" { b = $3 }
	END { if (p > 0 && b > 0) printf "profrun / bpftrace (medians): %.3f (goal <= 0.25)\n", p / b
	      if (q > 0 && b > 0) printf "profrun -p / bpftrace (medians): %.3f\n", q / b }' \
	"$RESULTS/probes-startup.summary"

echo "cost per hit, medians over $ROUNDS rounds of $CALLS calls:"
awk -F, -v calls="$CALLS" "$MEDIAN_AWK"'
	NR == 1 { next }
	$2 == "baseline" { base[$1] = $3; next }
	{ k = $2; n[k]++; modes[k] = 1
	  add[k, n[k]] = (base[$1] > 0 && $3 != "NA") ? ($3 - base[$1]) / calls : "NA"
	  tool[k, n[k]] = ($4 != "NA") ? $4 * 1e6 / calls : "NA"
	  hits[k, n[k]] = $5; lost[k, n[k]] = $6; fr[k, n[k]] = $7 }
	END {
		printf "%-21s %9s %9s %9s %9s %7s\n", "mode", "added_ns", "tool_ns", "hits", "lost", "frames"
		for (k in modes) {
			a[k] = med(add, k, n[k])
			printf "%-21s %9.0f %9.0f %9s %9s %7s\n", k, a[k], med(tool, k, n[k]), med(hits, k, n[k]),
				med(lost, k, n[k]), med(fr, k, n[k])
		}
		if (a["bpftrace:ustack"] > 0) {
			printf "count_only vs bpftrace @[ustack]=count(): %.2f (goal <= 1)\n", a["profrun:count+stack"] / a["bpftrace:ustack"]
			printf "count_only without stacks vs bpftrace @=count(): %.2f\n", a["profrun:count"] / a["bpftrace:count"]
			printf "event+stack (.eh_frame) vs bpftrace @[ustack]=count() (frame pointers): %.2f (goal <= 2)\n", a["profrun:event+stack"] / a["bpftrace:ustack"]
		}
	}' "$CSV2" | tee "$RESULTS/probes-cost.summary"
echo "probes: raw runs in $CSV1 and $CSV2"
