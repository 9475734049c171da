#!/bin/bash
# What proc() and on_fork add to the plan. Programs and links are looked up
# with bpftool, kept to those whose fds this test's profrun holds.
#   - on_fork defined: pr_fork is loaded and attached, and on_fork reports
#     the pid and ppid of the children this test creates (`exiter -f`
#     forks and execs them, a bash forks subshells that do not exec);
#   - on_fork calling proc(e.pid): pr_exec and pr_exit too, and the fork
#     event alone makes a 1 ms subshell known (its comm and ppid);
#   - no on_fork: no pr_fork program;
#   - a script whose only reference to proc is in on_end gets pr_exec and
#     pr_exit (to keep the cache current) and pr_live_fork (new processes
#     into the live table, no records) but no pr_sample and no pr_fork,
#     and on_end prints a proc object for PID 1;
#   - pr_live_fork only then: with on_fork, pr_fork fills the live table.
. "$(dirname "$0")/lib.sh"
require_bpf
require_bpftool
require_fixtures exiter

RUN_TIMEOUT=40
NKIDS=5

# expect_progs NAME PID WANT_EXEC WANT_EXIT WANT_SAMPLE WANT_FORK WANT_LIVE_FORK
expect_progs() {
	local name=$1 pid=$2 p n
	declare -A want=([pr_exec]=$3 [pr_exit]=$4 [pr_sample]=$5 [pr_fork]=$6 [pr_live_fork]=$7)
	for p in pr_exec pr_exit pr_sample pr_fork pr_live_fork; do
		n=$(count_pr_progs -p "$pid" "$p")
		if [ "${want[$p]}" = 1 ]; then
			expect_ge "$name: $p loaded" "$n" 1
		else
			expect_eq "$name: no $p program" "$n" 0
		fi
	done
	n=$(pr_links "$pid" | awk '$3 == "pr_fork"' | grep -c .)
	if [ "$6" = 1 ]; then
		expect_eq "$name: one link to pr_fork" "$n" 1
	else
		expect_eq "$name: no link to pr_fork" "$n" 0
	fi
	expect_eq "$name: no perf_event link" "$(count_pr_links -p "$pid" perf_event)" 0
}

# ---- on_fork ----
cat >"$TMP/fork.lua" <<'EOF'
local format = string.format
function on_fork(e)
  print(format("fork pid=%d ppid=%d comm=%s", e.pid, e.ppid, e.comm))
end
EOF
start_profrun -d 30 "$TMP/fork.lua"
if wait_attached "$PR_PID" pr_fork; then
	pass "on_fork: pr_fork attached"
	expect_progs "on_fork" "$PR_PID" 0 0 0 1 0
	"$FIXTURES/exiter" -f $NKIDS 0 &
	XPID=$!
	track_pid "$XPID"
	wait "$XPID"
	bash -c 'for i in 1 2 3; do ( : ); done' &
	BPID=$!
	track_pid "$BPID"
	wait "$BPID"
	sleep 0.3
	kill -INT "$PR_PID"
	wait_profrun
	expect_rc "on_fork: SIGINT ends it with exit 0" 0
	expect_grep "on_fork: the test's fork of exiter (pid $XPID, ppid $$)" "$OUT" \
		"^fork pid=$XPID ppid=$$ "
	expect_eq "on_fork: one event per child of exiter ($NKIDS)" \
		"$(grep -c "^fork pid=[0-9]* ppid=$XPID comm=exiter$" "$OUT")" $NKIDS "$OUT" "$ERR"
	expect_eq "on_fork: the children's pids are distinct" \
		"$(grep "^fork pid=[0-9]* ppid=$XPID " "$OUT" | awk '{ print $2 }' | sort -u | wc -l)" \
		$NKIDS "$OUT"
	expect_eq "on_fork: bash's subshells that do not exec (3)" \
		"$(grep -c "^fork pid=[0-9]* ppid=$BPID comm=bash$" "$OUT")" 3 "$OUT"
else
	fail "on_fork: pr_fork attached" "no link to pr_fork within 20 s" "$OUT" "$ERR"
	kill -INT "$PR_PID" 2>/dev/null
	wait_profrun
fi

# ---- on_fork with proc() ----
cat >"$TMP/forkproc.lua" <<'EOF'
local format = string.format
function on_fork(e)
  local p = proc(e.pid)
  print(format("fork pid=%d ppid=%d comm=%s p_pid=%s p_ppid=%s p_comm=%s", e.pid, e.ppid,
    e.comm, tostring(p and p.pid), tostring(p and p.ppid), tostring(p and p.comm)))
end
EOF
start_profrun -d 30 "$TMP/forkproc.lua"
if wait_attached "$PR_PID" pr_fork pr_exec pr_exit; then
	pass "on_fork + proc: pr_fork, pr_exec and pr_exit attached"
	expect_progs "on_fork + proc" "$PR_PID" 1 1 0 1 0
	bash -c 'for i in 1 2 3; do ( : ); done' &
	BPID=$!
	track_pid "$BPID"
	wait "$BPID"
	sleep 0.3
	kill -INT "$PR_PID"
	wait_profrun
	expect_rc "on_fork + proc: SIGINT ends it with exit 0" 0
	expect_eq "on_fork + proc: proc(e.pid) of each 1 ms subshell has its pid, ppid and comm" \
		"$(grep -c "^fork pid=\([0-9]*\) ppid=$BPID comm=bash p_pid=\1 p_ppid=$BPID p_comm=bash$" "$OUT")" \
		3 "$OUT" "$ERR"
else
	fail "on_fork + proc: attached" "no link to pr_fork, pr_exec, pr_exit within 20 s" "$OUT" "$ERR"
	kill -INT "$PR_PID" 2>/dev/null
	wait_profrun
fi

# ---- no on_fork ----
start_profrun -d 30 -e 'function on_exec(e) end function on_exit(e) end'
if wait_attached "$PR_PID" pr_exec pr_exit; then
	pass "no on_fork: attached"
	expect_progs "no on_fork" "$PR_PID" 1 1 0 0 0
else
	fail "no on_fork: attached" "no link to pr_exec and pr_exit within 20 s" "$OUT" "$ERR"
fi
kill -INT "$PR_PID" 2>/dev/null
wait_profrun
expect_rc "no on_fork: SIGINT ends it with exit 0" 0

# ---- proc() only in on_end ----
start_profrun -d 30 -e 'function on_end() print(proc(1)) end'
if wait_attached "$PR_PID" pr_exec pr_exit; then
	pass "proc in on_end only: pr_exec and pr_exit attached"
	expect_progs "proc in on_end only" "$PR_PID" 1 1 0 0 1
else
	fail "proc in on_end only: pr_exec and pr_exit attached" \
		"no link to pr_exec and pr_exit within 20 s" "$OUT" "$ERR"
fi
kill -INT "$PR_PID" 2>/dev/null
wait_profrun
expect_rc "proc in on_end only: SIGINT ends it with exit 0" 0
expect_grep "proc in on_end only: prints the proc object of PID 1" "$OUT" '^proc 1 \(.+\)$'

# the same, with the fields spelled out
start_profrun -d 30 -e 'function on_end() local p = proc(1)
  print("pid=" .. tostring(p and p.pid)) print("comm=" .. tostring(p and p.comm)) end'
if wait_attached "$PR_PID" pr_exec pr_exit; then
	pass "proc(1) fields: attached"
else
	fail "proc(1) fields: attached" "no link to pr_exec and pr_exit within 20 s" "$OUT" "$ERR"
fi
kill -INT "$PR_PID" 2>/dev/null
wait_profrun
expect_eq "proc(1).pid" "$(val pid "$OUT")" 1 "$OUT" "$ERR"
expect_eq "proc(1).comm is PID 1's comm" "$(val comm "$OUT")" "$(cat /proc/1/comm)" "$OUT"

finish
