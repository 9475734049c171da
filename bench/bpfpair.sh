#!/usr/bin/env bash
# A/B of two profrun builds' BPF time per sample, both profiling the same
# workload at once: each build's pr_sample run_time_ns / run_cnt over the
# workload (kernel.bpf_stats_enabled on for the run, restored after).
# Runs one after the other move ±20% on a shared VM; two builds sampling
# the same seconds move together. The build attached second tends to
# measure ~0.1-0.2 us less (its event follows the first one's, on warmer
# lines), so every pair runs both ways round and the summary averages
# the two orders.
#
#   bench/bpfpair.sh OLD_PROFRUN NEW_PROFRUN
#   knobs: PAIRS=3 (pairs each way round) HZ=999 MITERS=6000
#          SCRIPT="examples/profile.lua --hz HZ" (profrun's arguments)
#          WORK="<harness>/build/spin -t 2 -m MITERS" (the workload)
#          BENCH_HARNESS=../shared/bench
#
# Prints one line per run (old_ns new_ns, who was first) and the mean of
# old - new per order and over both: positive means the new build is
# cheaper.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
old=${1:?usage: bench/bpfpair.sh OLD_PROFRUN NEW_PROFRUN}
new=${2:?usage: bench/bpfpair.sh OLD_PROFRUN NEW_PROFRUN}
pairs=${PAIRS:-3}
hz=${HZ:-999}
harness=${BENCH_HARNESS:-$repo/../shared/bench}
script=${SCRIPT:-$repo/examples/profile.lua --hz $hz}
work=${WORK:-$harness/build/spin -t 2 -m ${MITERS:-6000}}
command -v bpftool >/dev/null || { echo "bpfpair: needs bpftool" >&2; exit 1; }
[ -x "${work%% *}" ] || { echo "bpfpair: no workload at ${work%% *} (cd $harness && make)" >&2; exit 1; }

stats_was=$(cat /proc/sys/kernel/bpf_stats_enabled)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "$stats_was" >/proc/sys/kernel/bpf_stats_enabled
}
trap cleanup EXIT
echo 1 >/proc/sys/kernel/bpf_stats_enabled

# the newest pr_sample program's id, other than $1
newest_sample() {
	bpftool prog show | awk -v not="${1:-}" '/ name pr_sample / { id = $1; sub(":", "", id); if (id != not) last = id } END { print last }'
}
# "RUN_CNT RUN_TIME_NS" of program $1
prog_stats() {
	bpftool prog show id "$1" | awk '{ for (i = 1; i < NF; i++) { if ($i == "run_cnt") c = $(i + 1); if ($i == "run_time_ns") t = $(i + 1) } } END { print c + 0, t + 0 }'
}

# start BIN: profrun BIN in the background, attached; sets started_id
start() {
	local before; before=$(newest_sample)
	# shellcheck disable=SC2086 # $script is a word list
	"$1" $script >/dev/null 2>&1 &
	pids+=($!)
	local i
	for ((i = 0; i < 100; i++)); do
		started_id=$(newest_sample "${2:-}")
		[ -n "$started_id" ] && [ "$started_id" != "$before" ] && break
		sleep 0.05
	done
	sleep 1 # past its start: its first samples are copies
}

# one run: $1 first, then $2; sets ns1 and ns2
run() {
	local a b ca0 ta0 cb0 tb0 ca1 ta1 cb1 tb1
	pids=()
	start "$1"; a=$started_id
	start "$2" "$a"; b=$started_id
	read -r ca0 ta0 < <(prog_stats "$a")
	read -r cb0 tb0 < <(prog_stats "$b")
	# shellcheck disable=SC2086 # $work is a command line
	$work >/dev/null
	read -r ca1 ta1 < <(prog_stats "$a")
	read -r cb1 tb1 < <(prog_stats "$b")
	kill -INT "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	pids=()
	if ((ca1 == ca0 || cb1 == cb0)); then
		echo "bpfpair: a build's pr_sample did not run during the workload ($1: $((ca1 - ca0)) runs, $2: $((cb1 - cb0)))" >&2
		exit 1
	fi
	ns1=$(((ta1 - ta0) / (ca1 - ca0)))
	ns2=$(((tb1 - tb0) / (cb1 - cb0)))
}

echo "bpfpair: $pairs pairs each way round, $hz Hz; old=$old new=$new"
res=$(mktemp)
ns1=0 ns2=0 started_id=
for ((i = 1; i <= pairs; i++)); do
	run "$old" "$new"
	echo "old first: old $ns1 ns, new $ns2 ns" | tee -a "$res"
	run "$new" "$old"
	echo "new first: old $ns2 ns, new $ns1 ns" | tee -a "$res"
done
awk '{ d = $4 - $7; s[$1] += d; k[$1]++; t += d; n++ }
	END { for (w in s) printf "mean old - new, %s first: %d ns\n", w, s[w] / k[w]
	      printf "mean old - new, both orders: %d ns (positive: new is cheaper)\n", t / n }' "$res"
rm -f "$res"
