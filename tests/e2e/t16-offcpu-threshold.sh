#!/bin/bash
# offcpu{min=}: with min = 10 ms, the fixture's 2 ms sleeps (wait_short)
# come only inside aggregated events, its 30 ms sleeps (wait_long) one by
# one, no single event is shorter than min, and the totals still add up:
# the aggregated time of that thread covers its short sleeps (within 5%)
# and on-CPU + off-CPU is its wall time (within 2%).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-offcpu.sh"
require_bpf
require_fixtures offcpufix

RUN_TIMEOUT=60
off_fixture 10000000
expect_rc "exit 0" 0
tid=$(thread_val shorty tid)
expect_eq "no single event for the short sleeps" "$(val n_wait_short "$OUT")" 0 "$OUT"
expect_eq "the long sleeps come one by one" "$(val n_wait_long "$OUT")" 5 "$OUT"
expect_eq "no single event is below min" "$(val long_below_min "$OUT")" 0 "$OUT"
expect_eq "every aggregated event sums waits below min" "$(val agg_not_below "$OUT")" 0 "$OUT"
agg=$(val "agg_$tid" "$OUT")
short=$(val short_ns "$OUT")
# the thread's other short waits (its start, preemptions) are aggregated
# too: a fraction of a millisecond next to 200 ms
expect_close "the aggregated time covers the short sleeps" "$agg" "$short" 5
on=$(thread_val shorty oncpu_ns)
off=$(off_within "$tid" "$(thread_val shorty t0)" "$(thread_val shorty t_end)")
if _is_int "$on" && _is_int "$off"; then
	expect_close "on-CPU + off-CPU = wall within 2%" $((on + off)) "$(thread_val shorty wall_ns)" 2
else
	fail "on-CPU + off-CPU = wall" "no numbers: on '$on' off '$off'" "$OUT" "$ERR"
fi
expect_counts_add_up "offcpu counts" "$OUT"
finish
