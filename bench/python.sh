#!/usr/bin/env bash
# What reading Python frames costs (issue 17's benchmark): two python3.11
# processes (one per CPU here) burn CPU at the bottom of a DEPTH-deep
# Python recursion (tests/fixtures/python/recurse.py) while profrun
# samples the machine at HZ with sample{python = true} and with
# python = false, in an order rotated per round. bpf_ns = the run time of
# profrun's BPF programs over their runs (kernel.bpf_stats_enabled on for
# the run, restored at exit): the cost per sample, charged to the
# interrupted process. added_ns = the same with Python frames minus
# without, per depth (goal: <= 2000 ns at 30 deep): on this VM the two
# differ by a few microseconds from round to round, so the walk is also
# timed on its own, in BPF (PROFRUN_PYTHON_TIMING=1: bpf_ktime_get_ns
# around it, summed per CPU; walk_ns per walk). pyframes = Python frames
# per sample that has them (DEPTH rec frames and <module>; past 128, 128
# and the marker).
#
#   bench/python.sh BUILD_DIR       (make bench-python; part of make bench)
#   knobs: ROUNDS=5 RUN=4 HZ=999 DEPTHS="1 30 100" RESULTS=dir
#          BENCH_HARNESS=../shared/bench
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
need_build

ROUNDS=${ROUNDS:-5}
RUN=${RUN:-4}
HZ=${HZ:-999}
DEPTHS=${DEPTHS:-"1 30 100"}
PY=/usr/bin/python3.11
PROFRUN=$build/profrun
RESULTS=${RESULTS:-$(mktemp -d /tmp/profrun-bench.XXXXXX)}
mkdir -p "$RESULTS"
[ -x "$PY" ] || die "$PY missing (scripts/install-deps.sh installs python3.11)"
ncpu=$(nproc)

old_stats=$(cat /proc/sys/kernel/bpf_stats_enabled)
trap 'echo "$old_stats" >/proc/sys/kernel/bpf_stats_enabled; cleanup' EXIT
echo 1 >/proc/sys/kernel/bpf_stats_enabled

csv=$RESULTS/python.csv
echo "round,depth,mode,samples,bpf_runs,bpf_ns,pyframes_per_sample,walk_ns" >"$csv"
log "python frames: ROUNDS=$ROUNDS RUN=${RUN}s HZ=$HZ DEPTHS=\"$DEPTHS\" ($ncpu CPUs) -> $RESULTS"
for ((r = 1; r <= ROUNDS; r++)); do
	for depth in $DEPTHS; do
		for mode in $(rotate "$r" on off timed); do
			pids=()
			for ((c = 0; c < ncpu; c++)); do
				"$PY" "$repo/tests/fixtures/python/recurse.py" "$depth" $((RUN + 3)) &
				pids+=($!)
				track $!
			done
			sleep 1
			bpf_ids prog >"$RESULTS/before"
			out=$RESULTS/r$r-d$depth-$mode.out
			# the stats are read while profrun's programs are still loaded
			# timed: on, with the walk timed (its clock reads are not in on's figures)
			timing=()
			[ "$mode" = timed ] && timing=(PROFRUN_PYTHON_TIMING=1)
			env "${timing[@]}" "$PROFRUN" -d "$RUN" \
				"$here/python-profile.lua" --hz "$HZ" --python "${mode/timed/on}" \
				>"$out" 2>"$RESULTS/r$r-d$depth-$mode.err" &
			pr=$!
			track $pr
			# read while the programs are loaded (they go when profrun ends)
			sleep $((RUN - 1))
			read -r runs ns < <(bpf_progs_stats "$RESULTS/before")
			wait "$pr"
			untrack "$pr"
			for p in "${pids[@]}"; do stop_pid "$p"; untrack "$p"; done
			awk -v r="$r" -v d="$depth" -v m="$mode" -v runs="$runs" -v ns="$ns" '
				/^# pystats / { for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
				END { printf "%d,%d,%s,%d,%d,%.0f,%.1f,%.0f\n", r, d, m, v["samples"], runs,
					runs ? ns / runs : 0, v["pysamples"] ? v["pyframes"] / v["pysamples"] : 0,
					v["walks"] ? v["walk_ns"] / v["walks"] : 0 }' \
				"$out" >>"$csv"
		done
	done
done

# per depth: the medians over the rounds; added = the median of each
# round's on - off (the two ran back to back)
awk -F, "$MEDIAN_AWK"'
	NR > 1 { k = $2 SUBSEP $3; n[k]++; ns[k, n[k]] = $6; fr[k, n[k]] = $7; s[k, n[k]] = $4
		wk[k, n[k]] = $8; by[$1, $2, $3] = $6
		if (!($2 in seen)) { seen[$2] = 1; order[++nd] = $2 }
		if ($1 > nr) nr = $1 }
	END {
		printf "%-6s %11s %11s %11s %11s %14s %11s\n", "depth", "bpf_ns off", "bpf_ns on",
			"added", "walk_ns", "pyframes/smp", "samples on"
		for (i = 1; i <= nd; i++) { d = order[i]
			for (r = 1; r <= nr; r++) diff[d, r] = by[r, d, "on"] - by[r, d, "off"]
			printf "%-6s %11s %11s %11s %11s %14s %11s\n", d, med(ns, d SUBSEP "off", n[d, "off"]),
				med(ns, d SUBSEP "on", n[d, "on"]), med(diff, d, nr), med(wk, d SUBSEP "timed", n[d, "timed"]),
				med(fr, d SUBSEP "on", n[d, "on"]), med(s, d SUBSEP "on", n[d, "on"]) } }' "$csv" |
	tee "$RESULTS/python.summary"
