#!/usr/bin/env bash
# Exec storm with proc() enrichment: events per second handled by an
# on_exec that calls proc(pid) and reads exe and cmdline, and events lost,
# at ~1k/s, a 10k/s target and the machine's maximum. Each case also runs
# the storm alone, so the slowdown is a ratio to the same round's baseline.
# usage: bench/execstorm-proc.sh PATH/TO/profrun   (ROUNDS=3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
profrun=$1
rounds=${ROUNDS:-3}
harness=${BENCH_HARNESS:-$here/../../shared/bench}
work=$(mktemp -d /tmp/profrun-storm.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
cp -r "$harness/src" "$harness/Makefile" "$work/"
make -s -C "$work" >/dev/null
storm=$work/build/execstorm
target=$work/build/bstorm_true

# name  execstorm args
cases=("1k:-n 5000 -j 1 -i 450" "10k:-n 20000 -j 2 -i 100" "max:-n 20000 -j 2")

run_storm() { "$storm" $1 -s 50 "$target" | sed -n 's/.*wall_ms=\([0-9.]*\).*/\1/p'; }

printf '%-5s %5s %9s %9s %9s %8s %8s %8s %9s\n' case round execs/s handled/s handled lost named base_ms ratio
for ((r = 1; r <= rounds; r++)); do
	for c in "${cases[@]}"; do
		name=${c%%:*} args=${c#*:}
		base=$(run_storm "$args")
		"$profrun" "$here/proc-storm.lua" >"$work/out" 2>"$work/err" &
		pid=$!
		for _ in $(seq 100); do
			bpftool prog show 2>/dev/null | grep -q ' pr_exec ' && break
			sleep 0.02
		done
		wall=$(run_storm "$args")
		kill -INT $pid
		wait $pid || true
		read -r handled named dropped span < <(sed -n \
			's/^RESULT handled=\([0-9]*\) named=\([0-9]*\) produced=[0-9]* dropped=\([0-9]*\) span_s=\([0-9.]*\).*/\1 \2 \3 \4/p' "$work/out")
		n=$(awk -v a="$args" 'BEGIN { split(a, w, " "); print w[2] }')
		awk -v name="$name" -v r="$r" -v n="$n" -v wall="$wall" -v base="$base" \
			-v h="$handled" -v nm="$named" -v d="$dropped" -v span="$span" 'BEGIN {
			rate = n / (wall / 1000); hrate = span > 0 ? h / span : 0
			printf "%-5s %5d %9.0f %9.0f %9d %8d %8d %8.0f %9.3f\n", name, r, rate, hrate, h, d, nm, base, wall / base }'
	done
done
