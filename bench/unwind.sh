#!/usr/bin/env bash
# Unwinding without frame pointers: what a full user stack costs and how
# often it is whole. bench/uwspin (gcc -O2 -fomit-frame-pointer, one thread
# per CPU, a 16-deep chain main|uw_thread -> uw_f01 .. uw_f16 -> uw_leaf)
# runs a fixed amount of work alone and under each profiler sampling all
# CPUs with user+kernel stacks at HZ:
#   profrun-fp     profrun bench/uw-profile.lua --unwind fp      (bpf_get_stackid)
#   profrun-dwarf  ... --unwind dwarf   (stack copy + .eh_frame in user space)
#   profrun-auto   ... --unwind auto   (the default: walked in BPF from the
#                  tables loaded per binary, a copy until they are)
#   profrun-copy   ... --unwind auto --kernel-unwind off (every stack copied,
#                  unwound in user space: the design before issue 15)
#   profrun-agg    ... --unwind auto --aggregate on (whole stacks counted in
#                  BPF, drained every 100 ms: no record per sample)
#   bpftrace       profile:hz:HZ { @[kstack, ustack, comm] = count() } (frame
#                  pointers; its BPF cost per sample is the reference)
#   perf-fp        perf record -F HZ -a -g
#   perf-dwarf     perf record -F HZ -a --call-graph dwarf  (8 KiB copy per sample)
#
#   bench/unwind.sh BUILD_DIR     (make bench-unwind)
#   bench/unwind.sh --summary RESULTS/unwind.csv   (the table of an earlier run)
#   knobs: ROUNDS=5 HZS="99 999" SECONDS=3 (baseline workload length; sets
#          MITERS unless given) WARM=2 TOOLS="..." STACK_BYTES= (profrun's
#          stack_bytes for dwarf/auto; unset: its default) BPF_STATS=1
#          RESULTS=dir BENCH_HARNESS=../shared/bench
#
# Method (that of ../shared/bench/overhead.sh, whose lib.sh this sources):
# each round runs the baseline and every tool once, in an order rotated per
# round; ratio = workload wall time / the SAME round's baseline. The
# profiler gets WARM s to attach, the workload runs, the profiler gets
# SIGINT and writes its profile. cpu_window_ms = the profiler's own CPU
# during the workload (/proc/PID/task/*/schedstat). With BPF_STATS=1,
# kernel.bpf_stats_enabled is on for the run (restored at exit), and
# bpf_ns/bpf_runs is the per-sample cost of the tool's BPF programs, which
# is charged to the interrupted workload, not to the profiler.
# Quality: full_pct = share of uwspin's samples whose stack holds the whole
# chain from main (or uw_thread) to uw_f16, read from profrun's folded
# profile and from `perf script` of perf's recording, by the same check.
# Bounded: each profiler run ends within 60 s (SIGINT, SIGKILL 10 s later);
# about 6 min with the defaults (the estimate is printed first).
# Output: $RESULTS/unwind.csv (one row per run), unwind.summary (the table
# printed at the end), folded/ (each run's uwspin stacks), logs/ (stderr).

# SECONDS is bash's own clock, inherited from the environment: read the
# knob before anything else runs.
work_s=$(printenv SECONDS || echo 3)

set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# summary CSV: the table. Per tool and HZ: ratio median (min-max) over the
# rounds, medians of the per-run figures, and pooled shares (sums over the
# rounds, divided); runs perf could not read whole are left out of the
# per-sample and quality sums.
summary() {
awk -F, '
	function med(k,   n, i, j, t, v) { n = split(vals[k], v, " ")
		for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] + 0 > t + 0; j--) v[j + 1] = v[j]; v[j + 1] = t }
		return n ? ((n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) : "" }
	function lo(k,   n, v, i, m) { n = split(vals[k], v, " "); m = v[1]; for (i = 2; i <= n; i++) if (v[i] + 0 < m + 0) m = v[i]; return m }
	function hi(k,   n, v, i, m) { n = split(vals[k], v, " "); m = v[1]; for (i = 2; i <= n; i++) if (v[i] + 0 > m + 0) m = v[i]; return m }
	function add(k, x) { if (x != "NA" && x != "") vals[k] = vals[k] (vals[k] == "" ? "" : " ") x }
	function mf(k, f) { return vals[k] != "" ? sprintf(f, med(k)) : "-" }
	function pct(a, b) { return b > 0 ? sprintf("%.1f%%", 100 * a / b) : "-" }
	function per(a, b) { return b > 0 ? sprintf("%.0f", a / b) : "-" }
	function num(x) { return (x == "NA" || x == "") ? 0 : x }
	FNR == 1 { for (i = 1; i <= NF; i++) f[$i] = i; next }
	NR == FNR { if ($f["tool"] == "base") { base[$1 "," $2] = $f["work_ms"]; bcpu[$1 "," $2] = $f["work_cpu_ms"]
		if (!($1 in bhz)) { bhz[$1] = 1; hz[++nhz] = $1 }; add("base@" $1 ",oth", $f["others_ms"]) }; next }
	$f["tool"] == "base" { next }
	{ c = $f["tool"] "@" $1; if (!(c in seen)) { seen[c] = 1; order[++nc] = c }
	  b = base[$1 "," $2]; if (b > 0) add(c ",ratio", sprintf("%.4f", $f["work_ms"] / b))
	  b = bcpu[$1 "," $2]; if (b > 0) add(c ",cratio", sprintf("%.4f", $f["work_cpu_ms"] / b))
	  add(c ",cpu", $f["cpu_window_ms"]); add(c ",oth", $f["others_ms"]); add(c ",post", $f["post_cpu_ms"])
	  if ($f["maxrss_kb"] > 0) add(c ",rss", $f["maxrss_kb"] / 1024)
	  if ($f["bpf_runs"] > 0) add(c ",bpf", sprintf("%.0f", $f["bpf_ns"] / $f["bpf_runs"]))
	  runs[c]++; lost[c] += num($f["lost"])
	  if ($f["read_errors"] > 0) { bad[c]++; next }
	  smp[c] += num($f["samples"]); nsmp[c]++
	  if ($f["data_bytes"] != "NA") { bytes[c] += $f["data_bytes"]; bsmp[c] += num($f["samples"]) }
	  if ($f["stacks"] != "NA") { st[c] += $f["stacks"]; cp[c] += num($f["complete"]); cb[c] += num($f["copy_bytes"]) }
	  uw[c] += num($f["uw_samples"]); full[c] += num($f["uw_full"])
	  n = split($f["failures"], fl, "|")
	  for (i = 1; i <= n; i++) { split(fl[i], kv, "="); fails[c] = fails[c]; fsum[c, kv[1]] += kv[2]; fkeys[kv[1]] = 1 } }
	END {
		fmt = "%-17s %4s %21s %7s %6s %7s %6s %6s %7s %8s %6s %6s %7s %6s %4s %3s\n"
		printf fmt, "tool@hz", "runs", "ratio med (min-max)", "cpu_rat", "cpu_ms", "post_ms", "rss_MB", "bpf_ns",
			"full", "complete", "copy_B", "data_B", "samples", "oth_ms", "lost", "bad"
		for (i = 1; i <= nc; i++) { c = order[i]
			printf fmt, c, runs[c],
				(vals[c ",ratio"] != "" ? sprintf("%.3f (%.3f-%.3f)", med(c ",ratio"), lo(c ",ratio"), hi(c ",ratio")) : "-"),
				mf(c ",cratio", "%.3f"), mf(c ",cpu", "%.0f"), mf(c ",post", "%.0f"), mf(c ",rss", "%.0f"), mf(c ",bpf", "%.0f"),
				pct(full[c], uw[c]), pct(cp[c], st[c]), per(cb[c], st[c]), per(bytes[c], bsmp[c]),
				per(smp[c], nsmp[c]), mf(c ",oth", "%.0f"), lost[c], bad[c] + 0 }
		for (i = 1; i <= nhz; i++) if (vals["base@" hz[i] ",oth"] != "")
			printf fmt, "base@" hz[i], "", "1", "1", "", "", "", "", "", "", "", "", "", mf("base@" hz[i] ",oth", "%.0f"), "", ""
		for (i = 1; i <= nc; i++) { c = order[i]; line = ""
			for (k in fkeys) if (fsum[c, k]) line = line " " k "=" fsum[c, k]
			if (line != "") printf "truncated stacks by reason, %s (all processes, pooled):%s\n", c, line }
	}' "$1" "$1"
cat <<EOF
ratio: workload wall / the same round's baseline. cpu_rat: the same for uwspin's own CPU
time, which holds the sampling interrupts and BPF (no IRQ time accounting here) but not
the waits for other processes: the steadier figure when oth_ms is high.
cpu_ms: the profiler's CPU during the workload; post_ms: perf script's CPU to unwind and
symbolize the recording afterwards; rss_MB: the profiler's peak RSS over its whole run;
bpf_ns: BPF run time per sample in the window (medians).
full: uwspin samples whose stack holds main|uw_thread;uw_f01..uw_f16 (pooled over rounds).
complete, copy_B: profrun's stats().unwind complete/stacks and copy_bytes/stacks (all
processes). data_B: perf.data bytes per sample. samples: mean per run (all CPUs, whole run).
oth_ms: CPU the rest of the machine used during the workload (median; ~0 when quiet).
lost: samples lost, summed (profrun: dropped; perf: LOST records). bad: runs whose
recording perf could not read whole (left out of samples, data_B and full).
raw: $1
EOF
}

if [ "${1:-}" = --summary ] && [ -r "${2:-}" ]; then
	summary "$2"
	exit 0
fi
[ $# -ge 1 ] || { echo "usage: bench/unwind.sh BUILD_DIR | --summary RESULTS/unwind.csv" >&2; exit 2; }
build=$(cd "$1" && pwd)
harness=${BENCH_HARNESS:-$repo/../shared/bench}
if [ ! -r "$harness/lib.sh" ]; then
	echo "bench: the peer harness is not at $harness (set BENCH_HARNESS)" >&2
	exit 1
fi
# shellcheck source=/dev/null
. "$harness/lib.sh" # track, stop_pid, cpu_ms, stats, rotate, bpf_*, leaf_pid
need_root

PROFRUN=$build/profrun
UWSPIN=$build/bench/uwspin
ROUNDS=${ROUNDS:-5}
HZS=${HZS:-99 999}
WARM=${WARM:-2}
BPF_STATS=${BPF_STATS:-1}
STACK_BYTES=${STACK_BYTES:-}
TOOLS=${TOOLS:-profrun-fp profrun-dwarf profrun-auto profrun-agg profrun-copy bpftrace perf-fp perf-dwarf}
CHAIN="uw_f01;uw_f02;uw_f03;uw_f04;uw_f05;uw_f06;uw_f07;uw_f08;uw_f09;uw_f10;uw_f11;uw_f12;uw_f13;uw_f14;uw_f15;uw_f16"
CSV=$RESULTS/unwind.csv
mkdir -p "$RESULTS/folded" "$RESULTS/logs"
export PERF_BUILDID_DIR=$TMPD/buildid # perf's build-id cache, never ~/.debug

for f in "$PROFRUN" "$UWSPIN"; do
	[ -x "$f" ] || die "$f is missing: make $(basename "$f") first (make bench-unwind builds both)"
done

# ---- tools ----------------------------------------------------------------

# usable TOOL: installed, and (profrun) knows sample{unwind=}
usable() {
	case $1 in
	perf-*) perf --version >/dev/null 2>&1 ;;
	bpftrace) bpftrace --version >/dev/null 2>&1 ;;
	profrun-*)
		cmd "$1" 99 "$TMPD/probe"
		timeout 20 "${CMD[@]}" -d 200ms \
			>/dev/null 2>"$TMPD/probe.err" && return 0
		log "skip $1: $(grep -m1 . "$TMPD/probe.err")"
		return 1
		;;
	*) return 1 ;;
	esac
}

# cmd TOOL HZ DATA: fill CMD with the profiler's argv
cmd() {
	local sb=()
	case $1 in
	profrun-dwarf | profrun-auto | profrun-copy | profrun-agg) [ -n "$STACK_BYTES" ] && sb=(--stack-bytes "$STACK_BYTES") ;;
	esac
	case $1 in
	profrun-agg) CMD=("$PROFRUN" "$here/uw-profile.lua" --hz "$2" --unwind auto --aggregate on "${sb[@]}") ;;
	profrun-copy) CMD=("$PROFRUN" --kernel-unwind off "$here/uw-profile.lua" --hz "$2" --unwind auto "${sb[@]}") ;;
	profrun-*) CMD=("$PROFRUN" "$here/uw-profile.lua" --hz "$2" --unwind "${1#profrun-}" "${sb[@]}") ;;
	bpftrace) CMD=(bpftrace -e "profile:hz:$2 { @[kstack, ustack, comm] = count(); }") ;;
	perf-fp) CMD=(perf record -F "$2" -a -g -o "$3.perf.data") ;;
	perf-dwarf) CMD=(perf record -F "$2" -a --call-graph dwarf -o "$3.perf.data") ;;
	esac
}

# ---- per-run measures -----------------------------------------------------

# work: runs uwspin -> "WALL_MS CPU_MS OTHERS_MS": uwspin's wall and own CPU
# time, and the CPU the rest of the machine (with the profiler) used
# meanwhile, from /proc/stat
work() {
	local b0 b1 out
	b0=$(busy_ms)
	out=$("$UWSPIN" -m "$MITERS")
	b1=$(busy_ms)
	awk -v o="$out" -v b0="$b0" -v b1="$b1" 'BEGIN {
		match(o, /wall_ms=[0-9.]+/); w = substr(o, RSTART + 8, RLENGTH - 8)
		match(o, /cpu_ms=[0-9.]+/); c = substr(o, RSTART + 7, RLENGTH - 7)
		printf "%s %s %.0f\n", w, c, b1 - b0 - c }'
}

# busy_ms: non-idle CPU time of the whole machine so far (10 ms ticks)
busy_ms() { awk '$1 == "cpu" { print ($2 + $3 + $4 + $7 + $8 + $9) * 1000 / 100; exit }' /proc/stat; }

# bpf_run PID: "RUN_CNT RUN_TIME_NS" of the BPF programs PID holds open
# (each once), from their fdinfo, so other BPF users on the machine are
# never counted. A tail-called program's time is its caller's. No bpftool:
# it ran here before, right before the window, and a process that new is
# work for a profiler that loads every new binary's unwind tables, done
# in the window (~10 ms of profrun's CPU at 4999 Hz for one bpftool).
bpf_run() {
	awk 'function flush() { if (id != "" && !(id in seen)) { seen[id] = 1; C += c; T += t }
			id = ""; c = t = 0 }
		FNR == 1 { flush() }
		$1 == "prog_id:" { id = $2 } $1 == "run_cnt:" { c = $2 } $1 == "run_time_ns:" { t = $2 }
		END { flush(); printf "%d %d\n", C, T }' /proc/"$1"/fdinfo/* 2>/dev/null
}

# full_chain FOLDED: "UWSPIN_SAMPLES FULL" from "COUNT comm;root;...;leaf" lines
full_chain() {
	awk -v chain="$CHAIN" '
		{ s = substr($0, length($1) + 2); if (substr(s, 1, 7) != "uwspin;") next
		  tot += $1; s = ";" s ";"
		  if (index(s, ";main;" chain ";") || index(s, ";uw_thread;" chain ";")) full += $1 }
		END { printf "%d %d\n", tot, full }' "$1"
}

# uwstat OUT KEY: a number from uw-profile.lua's "# uwstats k=v ..." line
uwstat() {
	awk -v k="$2" '/^# uwstats / { for (i = 3; i <= NF; i++) { split($i, kv, "=");
		if (kv[1] == k) { print kv[2]; exit } } }' "$1"
}

# perf_fold DATA BASE: uwspin's stacks from the recording, folded as
# profrun's, into BASE.folded; perf script's user+sys seconds into BASE.pst
perf_fold() {
	/usr/bin/time -f "%U %S" -o "$2.pst" perf script -i "$1" --comms uwspin -F comm,tid,ip,sym \
		2>>"$2.err" | awk '
		function emit(  i, s) { if (comm == "") return; s = comm
			for (i = n; i >= 1; i--) s = s ";" f[i]
			print s; comm = ""; n = 0 }
		/^[^ \t]/ { emit(); comm = $1; n = 0; next }
		/^[ \t]+[0-9a-f]+ / { $1 = ""; sub(/^ /, ""); f[++n] = $0; next }
		/^$/ { emit() }
		END { emit() }' | sort | uniq -c | sed 's/^ *\([0-9]*\) /\1 /' >"$2.folded"
}

# post_perf DATA BASE: "SAMPLES LOST DATA_BYTES POST_CPU_MS READ_ERRORS", and
# BASE.folded. perf 6.1 cannot parse some KSYMBOL records this kernel writes
# when another process loads a BPF program during the recording ("failed to
# process type: 17 [Bad address]"): perf record then prints no sample count
# and perf script stops there. Such a run keeps its overhead figures; its
# read errors exclude it from the per-sample and quality figures.
post_perf() {
	local data=$1 base=$2 samples lost bytes post bad
	samples=$(sed -n 's/.*(\([0-9]*\) samples).*/\1/p' "$base.err" | tail -1)
	lost=$(perf report -i "$data" --stats 2>/dev/null |
		awk '/LOST(_SAMPLES)? events:/ { s += $3 } END { print s + 0 }')
	bytes=$(stat -c %s "$data" 2>/dev/null || echo NA)
	perf_fold "$data" "$base"
	post=$(awk 'NF == 2 && $1 ~ /^[0-9.]+$/ { printf "%.0f", ($1 + $2) * 1000 }' "$base.pst")
	bad=$(grep -c 'failed to process' "$base.err")
	echo "${samples:-NA} $lost $bytes ${post:-NA} $bad"
}

# run_tool TOOL HZ ROUND: one profiled run, one CSV row
run_tool() {
	local tool=$1 hz=$2 round=$3 base=$TMPD/$1.$2.$3
	local tv=$base.tv data=$base.perf.data
	cmd "$tool" "$hz" "$base"
	timeout -s INT -k 10 60 /usr/bin/time -v -o "$tv" "${CMD[@]}" >"$base.out" 2>"$base.err" &
	local tp=$!
	track "$tp"
	sleep "$WARM"
	local pid; pid=$(leaf_pid "$tp")
	if ! kill -0 "$pid" 2>/dev/null || [ "$pid" = "$tp" ]; then
		log "$tool at $hz Hz did not stay up; stderr: $(head -c 300 "$base.err")"
		wait "$tp"; untrack "$tp"
		return 0
	fi
	# the window: the profiler's CPU and its BPF programs' runs during the work
	local c0 c1 ms wcpu others r0 t0 r1 t1
	read -r r0 t0 < <(bpf_run "$pid")
	c0=$(cpu_ms "$pid")
	read -r ms wcpu others < <(work)
	c1=$(cpu_ms "$pid")
	read -r r1 t1 < <(bpf_run "$pid")
	stop_pid "$pid" 40
	wait "$tp"; untrack "$tp"
	local win; win=$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')
	others=$((others - ${win%.*}))
	local samples=NA lost=NA bytes=NA stacks=NA complete=NA trunc=NA copy=NA fails='' post=NA bad=0
	case $tool in
	perf-*) read -r samples lost bytes post bad < <(post_perf "$data" "$base") ;;
	profrun-*)
		grep -v '^#' "$base.out" >"$base.folded"
		samples=$(uwstat "$base.out" samples); lost=$(uwstat "$base.out" dropped)
		stacks=$(uwstat "$base.out" stacks); complete=$(uwstat "$base.out" complete)
		trunc=$(uwstat "$base.out" truncated); copy=$(uwstat "$base.out" copy_bytes)
		fails=$(grep -m1 '^# uwstats ' "$base.out" | tr ' ' '\n' | grep '^failures\.' |
			grep -v '=0$' | sed 's/^failures\.//' | paste -sd'|' -)
		;;
	esac
	local uw full; read -r uw full < <(full_chain "$base.folded")
	awk '$1 >= 1' "$base.folded" | grep ' uwspin;' | sort -rn >"$RESULTS/folded/$tool.$hz.$round.folded"
	echo "$hz,$round,$tool,$ms,$wcpu,$others,$win,$(timev "$tv" user),$(timev "$tv" sys),$(timev "$tv" rss),$((r1 - r0)),$((t1 - t0)),${samples:-NA},${lost:-NA},$bytes,${stacks:-NA},${complete:-NA},${trunc:-NA},${copy:-NA},$uw,$full,$post,$bad,${fails:-}" >>"$CSV"
	# anything the tool said about losses, errors or throttling
	grep -hiE 'lost|drop|error|fail|throttl|took too long' "$base.err" 2>/dev/null | grep -v '^\[ perf record' |
		sort | uniq -c | sed 's/^ *1 //' |
		head -3 | sed "s/^/  $tool $hz Hz round $round: /" >&2
	cp "$base.err" "$RESULTS/logs/$tool.$hz.$round.err"
	rm -rf "$base".*
}

# ---- calibration and the rounds ------------------------------------------

if [ -z "${MITERS:-}" ]; then
	"$UWSPIN" -m 50 >/dev/null # warm the page cache
	cal=$("$UWSPIN" -m 200 | sed -n 's/.*wall_ms=//p')
	MITERS=$(awk -v s="$work_s" -v c="$cal" 'BEGIN { m = int(s * 1000 * 200 / c); print (m < 10 ? 10 : m) }')
fi
if [ "$BPF_STATS" = 1 ]; then
	old_stats=$(cat /proc/sys/kernel/bpf_stats_enabled)
	EXIT_HOOKS+=("echo $old_stats >/proc/sys/kernel/bpf_stats_enabled")
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
fi

tools=""
for t in $TOOLS; do usable "$t" && tools="$tools $t"; done
echo "hz,round,tool,work_ms,work_cpu_ms,others_ms,cpu_window_ms,user_s,sys_s,maxrss_kb,bpf_runs,bpf_ns,samples,lost,data_bytes,stacks,complete,truncated,copy_bytes,uw_samples,uw_full,post_cpu_ms,read_errors,failures" >"$CSV"
ntools=$(wc -w <<<"$tools")
nhz=$(wc -w <<<"$HZS")
{
	machine_line
	echo "uwspin: $("$UWSPIN" -m 1 | sed 's/ wall_ms=.*//; s/miters=1/miters='"$MITERS"'/') profrun=$PROFRUN"
} | tee "$RESULTS/unwind.machine"
log "unwind: HZ $HZS x $ROUNDS rounds x (base$tools), ~${work_s}s of work each;" \
	"about $(((nhz * ROUNDS * (work_s + ntools * (work_s + WARM + 2)) + 59) / 60)) min -> $RESULTS"
for hz in $HZS; do
	for ((r = 1; r <= ROUNDS; r++)); do
		# shellcheck disable=SC2086 # $tools is a word list
		for t in $(rotate "$r" base $tools); do
			if [ "$t" = base ]; then
				read -r ms wcpu others < <(work)
				echo "$hz,$r,base,$ms,$wcpu,$others,0,0,0,0,0,0,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,0," >>"$CSV"
			else
				run_tool "$t" "$hz" "$r"
			fi
		done
	done
done
echo "perf_event_max_sample_rate after: $(cat /proc/sys/kernel/perf_event_max_sample_rate)" |
	tee -a "$RESULTS/unwind.machine"


summary "$CSV" | tee "$RESULTS/unwind.summary"
