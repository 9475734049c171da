#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Runs every tests/e2e/tNN-*.sh in order, each under a timeout, and prints
# one line per file; the last line is `N passed, N failed, N skipped`
# (test files). A file's exit status: 0 passed, 77 skipped (a failure
# when CI=true), anything else failed; its output is shown when it did
# not pass, or always with V=1.
#
#   tests/e2e/run.sh              # all
#   tests/e2e/run.sh t20 t21      # files whose name starts with t20 or t21
#
# Environment: PROFRUN, FIXTURES (see lib.sh), CI, V, E2E_TIMEOUT (seconds
# per file, default 120).
dir=$(cd "$(dirname "$0")" && pwd)
per_file=${E2E_TIMEOUT:-120}
logdir=$(mktemp -d "${TMPDIR:-/tmp}/profrun-e2e-logs.XXXXXX") || exit 1
trap 'rm -rf "$logdir"' EXIT

npass=0
nfail=0
nskip=0

selected() {
	local name=$1 p
	[ $# -eq 1 ] && return 0
	shift
	for p in "$@"; do
		case $name in "$p"*) return 0 ;; esac
	done
	return 1
}

for t in "$dir"/t[0-9][0-9]-*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	selected "$name" "$@" || continue
	log=$logdir/$name.log
	start=$SECONDS
	timeout -k 10 "$per_file" bash "$t" >"$log" 2>&1 </dev/null
	rc=$?
	secs=$((SECONDS - start))
	show=${V:-}
	case $rc in
	0)
		npass=$((npass + 1))
		printf 'PASS  %-32s (%ds)\n' "$name" "$secs"
		;;
	77)
		reason=$(grep -m1 '^SKIP:' "$log" | sed 's/^SKIP: *//')
		if [ "${CI:-}" = true ]; then
			nfail=$((nfail + 1))
			printf 'FAIL  %-32s skipped under CI=true: %s\n' "$name" "$reason"
		else
			nskip=$((nskip + 1))
			printf 'SKIP  %-32s %s\n' "$name" "$reason"
		fi
		;;
	124 | 137)
		nfail=$((nfail + 1))
		printf 'FAIL  %-32s timed out after %ds\n' "$name" "$per_file"
		show=1
		;;
	*)
		nfail=$((nfail + 1))
		printf 'FAIL  %-32s exit %d (%ds)\n' "$name" "$rc" "$secs"
		show=1
		;;
	esac
	if [ -n "$show" ]; then
		sed 's/^/    /' "$log"
	fi
done

echo "$npass passed, $nfail failed, $nskip skipped"
[ "$nfail" -eq 0 ]
