#!/bin/bash
# Off-CPU time lands on the function that waited: the fixture's threads
# block in nanosleep (wait_sleep, 30 x 10 ms), a pipe read (wait_pipe,
# 10 x 20 ms) and a contended mutex (wait_lock, 5 x 20 ms). Built -O2
# without frame pointers, so the user stacks come from unwind tables.
# The time on each function's stacks is within 5% of what the fixture
# measured around its own calls, every wait is there once with the
# reason its kernel stack tells, and nothing was lost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-offcpu.sh"
require_bpf
require_fixtures offcpufix

RUN_TIMEOUT=60
off_fixture
expect_rc "exit 0" 0
for t in sleeper:wait_sleep:30 reader:wait_pipe:10 locker:wait_lock:5; do
	IFS=: read -r thread fn n <<<"$t"
	expect_close "$fn: time within 5% of the truth" "$(val "fn_$fn" "$OUT")" \
		"$(thread_val "$thread" blocked_ns)" 5
	expect_eq "$fn: each of its $n waits has its stack" "$(val "n_$fn" "$OUT")" "$n" "$OUT"
	expect_eq "$fn: each with its reason" "$(val "reason_$fn" "$OUT")" "$n" "$OUT"
done
expect_eq "every event is the fixture's" "$(val pids "$OUT")" "$(val pid "$OUT")" "$OUT"
expect_eq "nothing dropped" "$(val dropped "$OUT")" 0 "$OUT" "$ERR"
expect_counts_add_up "offcpu counts" "$OUT"
finish
