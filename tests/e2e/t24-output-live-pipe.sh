#!/bin/bash
# Output is live: what every() and hooks print reaches a pipe when it is
# written, not when profrun exits.
. "$(dirname "$0")/lib.sh"
require_bpf

RUN_TIMEOUT=30

# every(0.5) prints; the reader gets the first line while profrun runs
cat >"$TMP/tick.lua" <<'EOF'
local n = 0
every(0.5, function() n = n + 1; print("tick " .. n) end)
EOF
coproc PIPE { exec timeout -k 5 "$RUN_TIMEOUT" "$PROFRUN" -d 20 "$TMP/tick.lua" 2>"$TMP/tick.err"; }
track_pid "$PIPE_PID"
if read -r -t 3 line <&"${PIPE[0]}"; then
	expect_eq "every(): first line through the pipe" "$line" "tick 1"
	if kill -0 "$PIPE_PID" 2>/dev/null; then
		pass "every(): it arrived while profrun still runs (within 3 s of a 20 s run)"
	else
		fail "every(): it arrived while profrun still runs" "profrun had exited"
	fi
else
	fail "every(): a line within 3 s" "nothing arrived through the pipe" "$TMP/tick.err"
fi
kill -INT "$PIPE_PID" 2>/dev/null
wait "$PIPE_PID" 2>/dev/null

# a hook's output too (on_exec, one exec)
cat >"$TMP/exec.lua" <<'EOF'
function on_exec(e) if e.comm == "true" then print("exec " .. e.comm) end end
EOF
coproc PIPE2 { exec timeout -k 5 "$RUN_TIMEOUT" "$PROFRUN" -d 20 "$TMP/exec.lua" 2>"$TMP/exec.err"; }
track_pid "$PIPE2_PID"
sleep 1
for i in 1 2 3; do /bin/true; done
if read -r -t 5 line <&"${PIPE2[0]}"; then
	expect_eq "on_exec: a line through the pipe" "$line" "exec true"
	if kill -0 "$PIPE2_PID" 2>/dev/null; then
		pass "on_exec: it arrived while profrun still runs"
	else
		fail "on_exec: it arrived while profrun still runs" "profrun had exited"
	fi
else
	fail "on_exec: a line within 5 s" "nothing arrived through the pipe" "$TMP/exec.err"
fi
kill -INT "$PIPE2_PID" 2>/dev/null
wait "$PIPE2_PID" 2>/dev/null

finish
