# shellcheck shell=bash
# What profrun's own bench drivers share (sourced: bench/offcpu.sh,
# bench/probes.sh): where things are, the peer harness's lib.sh (track,
# stop_pid, cpu_ms, rotate, bpf_* ...), and the awk median their summary
# tables use.
#   here: bench/   repo: the checkout   build: $1 or repo/build
#   harness: BENCH_HARNESS or ../shared/bench
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
harness=${BENCH_HARNESS:-$repo/../shared/bench}
# shellcheck source=/dev/null
. "$harness/lib.sh"
need_root

# med(a, k, m): the median of a[k, 1..m], "NA" and empty values skipped
# ("NA" when none is left); put in front of an awk program that uses it.
MEDIAN_AWK='
	function med(a, k, m,   i, j, v, c, t) { c = 0
		for (i = 1; i <= m; i++) if (a[k, i] != "NA" && a[k, i] != "") v[++c] = a[k, i] + 0
		for (i = 2; i <= c; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
		return c ? ((c % 2) ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2) : "NA" }
'
