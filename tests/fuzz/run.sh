#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Runs each libFuzzer target built in BUILD/fuzz for SECONDS on its seed
# corpus (plus what earlier runs found, kept in BUILD/fuzz/work-NAME) and
# prints one line per fuzzer; the last line is `N passed, N failed`. A
# fuzzer fails when libFuzzer stops with a crash, a leak, a sanitizer
# report or a timeout; its log is BUILD/fuzz/NAME.log and the input that
# did it is in BUILD/fuzz/artifacts-NAME/.
#
#   tests/fuzz/run.sh BUILD SECONDS NAME...
build=${1:?usage: run.sh BUILD SECONDS NAME...}
secs=${2:?usage: run.sh BUILD SECONDS NAME...}
shift 2
npass=0
nfail=0

for name in "$@"; do
	bin=$build/fuzz/fuzz_$name
	log=$build/fuzz/$name.log
	work=$build/fuzz/work-$name
	mkdir -p "$work"
	art=$build/fuzz/artifacts-$name
	rm -rf "$art" && mkdir -p "$art"
	# the outer timeout only guards against libFuzzer itself hanging
	timeout -k 10 $((secs * 3 + 120)) "$bin" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" \
		"$work" "$build/fuzz/corpus-$name" >"$log" 2>&1 </dev/null
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	if [ $rc -eq 0 ]; then
		echo "ok fuzz_$name (${runs:-?} runs in ${secs}s)"
		npass=$((npass + 1))
	else
		why=$(grep -m1 -E "^fuzz_$name: |^SUMMARY: |runtime error" "$log")
		echo "FAIL fuzz_$name (exit $rc): ${why:-see the log}"
		echo "  log: $log"
		for a in "$art"/*; do
			[ -e "$a" ] && echo "  input: $a"
		done
		nfail=$((nfail + 1))
	fi
done
echo "$npass passed, $nfail failed"
[ $nfail -eq 0 ]
