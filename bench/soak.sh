#!/usr/bin/env bash
# Soak: does profrun's memory stay bounded in a long, busy run? profrun
# profiles the whole machine at HZ with examples/top.lua (every sample's
# stack interned and counted) while a churning workload runs: python3.11
# loops, C compiles (cc1, as, ld: large binaries with big unwind tables,
# libLLVM through clang), and a shell exec'ing distinct /usr/bin programs.
# Every INTERVAL s it prints profrun's RSS (VmRSS) and peak (VmHWM), read
# from /proc; at the end the peak, whether it stayed under BOUND_MB, and
# whether RSS was flat after the first minute: the last reading at most
# FLAT_PCT% (default 20) above the first reading at or after 60 s (exit 1
# if either fails).
#
#   bench/soak.sh BUILD_DIR          (make soak)
#   knobs: SOAK_SECONDS=600 INTERVAL=30 HZ=999 BOUND_MB=264 FLAT_PCT=20
#          (the README says why)
#
# Not part of `make test`: it takes SOAK_SECONDS and loads both CPUs.
set -euo pipefail
build=${1:?usage: bench/soak.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
profrun=$build/profrun
secs=${SOAK_SECONDS:-600}
interval=${INTERVAL:-30}
hz=${HZ:-999}
bound=${BOUND_MB:-264}
flat=${FLAT_PCT:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/profrun-soak.XXXXXX")
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || :; done
	wait 2>/dev/null || :
	rm -rf "$work"
}
trap cleanup EXIT

[ -x "$profrun" ] || { echo "soak: no $profrun (make)" >&2; exit 2; }

# the churn: each loop ends by itself at the deadline
end=$((SECONDS + secs + 5))
cat >"$work/loop.py" <<'EOF'
import sys, time, json, re
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    d = {str(i): [i, str(i) * 3] for i in range(2000)}
    s = json.dumps(d)
    re.findall(r"[0-9]+", s)
EOF
cat >"$work/unit.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
int main(int argc, char **argv) { qsort(argv, argc, sizeof(*argv), cmp); puts(argv[0]); return 0; }
EOF
python3.11 "$work/loop.py" "$((secs + 5))" >/dev/null 2>&1 &
pids+=($!)
(while [ $SECONDS -lt $end ]; do
	gcc -O2 -c -o "$work/unit.o" "$work/unit.c" 2>/dev/null || :
	clang -O2 -c -o "$work/unit2.o" "$work/unit.c" 2>/dev/null || :
done) &
pids+=($!)
(while [ $SECONDS -lt $end ]; do
	for b in ls cat sort uniq wc head tail tr cut date id env stat du df sed grep awk; do
		"$b" --version >/dev/null 2>&1 || :
	done
done) &
pids+=($!)

"$profrun" -F "$hz" -d "${secs}s" "$root/examples/top.lua" >"$work/top.out" 2>"$work/top.err" &
pr=$!
pids+=("$pr")
printf '%6s %10s %10s\n' seconds rss_mb peak_mb
max=0
t=0
first=
last=
while kill -0 "$pr" 2>/dev/null; do
	sleep "$interval" || :
	t=$((t + interval))
	rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$pr/status" 2>/dev/null || :)
	hwm=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$pr/status" 2>/dev/null || :)
	[ -n "$rss" ] || break
	printf '%6d %10s %10s\n' "$t" "$rss" "$hwm"
	max=$hwm
	[ -z "$first" ] && [ "$t" -ge 60 ] && first=$rss
	last=$rss
done
wait "$pr" || :
grep -E '^profrun:' "$work/top.err" | head -5 || :
printf 'peak RSS %s MB over %d s at %d Hz; bound %d MB: ' "$max" "$secs" "$hz" "$bound"
rc=0
if awk -v m="$max" -v b="$bound" 'BEGIN { exit !(m + 0 <= b) }'; then
	echo "within"
else
	echo "EXCEEDED"
	rc=1
fi
if [ -n "$first" ]; then
	printf 'RSS after the first minute: %s MB, at the end %s MB (flat: at most +%d%%): ' \
		"$first" "$last" "$flat"
	if awk -v a="$first" -v b="$last" -v p="$flat" 'BEGIN { exit !(b + 0 <= a * (1 + p / 100)) }'; then
		echo "flat"
	else
		echo "GREW"
		rc=1
	fi
fi
exit $rc
