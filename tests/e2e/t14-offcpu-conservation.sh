#!/bin/bash
# No off-CPU time is lost: for every thread of the fixture, the on-CPU
# time the kernel counted (/proc/PID/task/TID/schedstat) plus the off-CPU
# time reported (single and aggregated events) is its wall time, within
# 2%. The threads start after profrun attached (-c) and end before it
# stops, so their whole lives are covered; what each did after it took
# its figures (t_end: print, exit, a wait for a CPU on a loaded machine)
# is not in its wall time and is left out (off_within).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-offcpu.sh"
require_bpf
require_fixtures offcpufix

RUN_TIMEOUT=60
off_fixture
expect_rc "exit 0" 0
for thread in sleeper reader writer locker holder shorty; do
	tid=$(thread_val "$thread" tid)
	on=$(thread_val "$thread" oncpu_ns)
	off=$(off_within "$tid" "$(thread_val "$thread" t0)" "$(thread_val "$thread" t_end)")
	if _is_int "$on" && _is_int "$off"; then
		expect_close "$thread: on-CPU + off-CPU = wall within 2%" $((on + off)) \
			"$(thread_val "$thread" wall_ns)" 2
	else
		fail "$thread: on-CPU + off-CPU = wall" "no numbers: on '$on' off '$off'" "$OUT" "$ERR"
	fi
done
finish
