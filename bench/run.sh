#!/usr/bin/env bash
# make bench: runs the peer benchmarks of ../shared/bench (bpftrace, perf,
# libbpf-tools execsnoop) with profrun side by side, in the same run, and
# prints their summaries (medians, ratios to the same round's baseline).
# usage: bench/run.sh PATH/TO/profrun [driver...]   (default: every driver)
# Knobs are the drivers' own environment variables (see their README).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
profrun=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
harness=${BENCH_HARNESS:-$repo/../shared/bench}
if [ ! -x "$harness/run-all.sh" ]; then
	echo "bench: the peer harness is not at $harness (set BENCH_HARNESS)" >&2
	exit 1
fi
if ! command -v bpftrace >/dev/null || ! command -v perf >/dev/null; then
	echo "bench: installing the peers (bpftrace, linux-perf, libbpf-tools)" >&2
	apt-get install -y -qq bpftrace linux-perf libbpf-tools time >/dev/null
fi
export PROFRUN=$profrun PROFRUN_EXAMPLES=$repo/examples
if [ $# -eq 0 ]; then
	exec "$harness/run-all.sh"
fi
for d in "$@"; do "$harness/$d.sh"; done
