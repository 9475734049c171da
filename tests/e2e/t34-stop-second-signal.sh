#!/bin/bash
# A second stop signal never throws the result away: `timeout -s INT`
# signals profrun and then its process group, and a person may press
# Ctrl-C again while on_end writes. on_end still runs to its end, its
# output is flushed, and messages name what was interrupted.
. "$(dirname "$0")/lib.sh"
require_bpf

RUN_TIMEOUT=40

# on_end takes a while (as writing a big profile does) and prints at the end
cat >"$TMP/end.lua" <<'EOF'
sample { idle = true }
local n = 0
function on_sample(s) n = n + 1 end
function on_end()
  local t = os.clock() + 1.5
  while os.clock() < t do end
  print("samples=" .. n)
  print("end=ran")
end
EOF

# timeout signals the PID, then the group it runs in: two SIGINTs at once
NRUN=$((NRUN + 1))
OUT=$TMP/timeout.out
ERR=$TMP/timeout.err
timeout -k 20 -s INT 2 "$PROFRUN" "$TMP/end.lua" >"$OUT" 2>"$ERR" </dev/null
RC=$?
expect_eq "timeout -s INT: on_end ran to its end" "$(val end "$OUT")" ran "$OUT" "$ERR"
expect_gt "timeout -s INT: samples were counted" "$(val samples "$OUT")" 0 "$OUT"
expect_no_grep "timeout -s INT: on_end was not cut short" "$ERR" 'inside on_end|did not stop'

# kill -INT, then another 0.5 s later, while on_end runs
start_profrun "$TMP/end.lua"
sleep 1.5
kill -INT "$PR_PID"
sleep 0.5
kill -INT "$PR_PID"
wait_profrun
expect_rc "INT, INT 0.5 s later: exit 0" 0
expect_eq "INT, INT 0.5 s later: on_end ran to its end" "$(val end "$OUT")" ran "$OUT" "$ERR"
expect_grep "INT, INT 0.5 s later: the second is noted" "$ERR" 'on_end is running'

# a third signal does interrupt on_end, and says so
cat >"$TMP/endless.lua" <<'EOF'
jit.off()
function on_sample(s) end
function on_end()
  io.write("partial=yes\n")
  while true do local x = os.clock() end
end
EOF
start_profrun "$TMP/endless.lua"
sleep 1.5
kill -INT "$PR_PID"
sleep 0.5
kill -INT "$PR_PID"
sleep 0.5
kill -INT "$PR_PID"
if wait_gone "$PR_PID" 10; then
	pass "third signal: on_end is interrupted"
else
	fail "third signal: on_end is interrupted" "still running after 10 s" "$ERR"
	kill -KILL "$PR_PID" 2>/dev/null
fi
wait_profrun
expect_grep "third signal: says on_end was interrupted" "$ERR" 'interrupted inside on_end'
expect_eq "third signal: what on_end wrote is flushed" "$(val partial "$OUT")" yes "$OUT" "$ERR"

# Ctrl-C inside a hook names the hook
cat >"$TMP/hook.lua" <<'EOF'
jit.off()
local mark = arg[1]
function on_exec(e)
  local f = io.open(mark, "w"); f:close()
  while true do local x = os.clock() end
end
function on_end() print("end=ran") end
EOF
start_profrun "$TMP/hook.lua" "$TMP/in_hook"
if wait_attached "$PR_PID" pr_exec; then
	/bin/true
	wait_file "$TMP/in_hook" 15
	kill -INT "$PR_PID"
	wait_profrun
	expect_rc "Ctrl-C in on_exec: exit 0" 0
	expect_grep "Ctrl-C in on_exec: the message names on_exec" "$ERR" 'interrupted inside on_exec'
	expect_eq "Ctrl-C in on_exec: on_end ran" "$(val end "$OUT")" ran "$OUT" "$ERR"
else
	fail "Ctrl-C in on_exec: attached" "no pr_exec link within 20 s" "$OUT" "$ERR"
fi

finish
