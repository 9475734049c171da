#!/bin/bash
# The setup phase is bounded: a loop at the top level ends by itself (an
# instruction budget, a message naming its line, exit 2, nothing loaded),
# and Ctrl-C during setup exits 2 with a message that says "setup".
. "$(dirname "$0")/lib.sh"
require_bpf

RUN_TIMEOUT=60

cat >"$TMP/loop.lua" <<'EOF'
function on_sample(s) end
local x = 0
while true do x = x + 1 end
EOF
run_profrun "$TMP/loop.lua"
expect_rc "top-level loop: ends by itself with exit 2" 2
expect_grep "top-level loop: the message names the line" "$ERR" 'loop\.lua:3: setup ran more than'
expect_no_grep "top-level loop: nothing was loaded (no sampling warning or summary)" "$ERR" \
	'samples|lost|events were read'

# Ctrl-C while the top level runs
cat >"$TMP/slow_setup.lua" <<'EOF'
function on_exec(e) end
local f = io.open(arg[1], "w"); f:close()
local t = os.clock() + 30
while os.clock() < t do end
EOF
start_profrun "$TMP/slow_setup.lua" "$TMP/in_setup"
if wait_file "$TMP/in_setup" 15; then
	sleep 0.3
	kill -INT "$PR_PID"
	wait_profrun
	expect_rc "Ctrl-C in setup: exit 2" 2
	expect_grep "Ctrl-C in setup: says setup" "$ERR" 'interrupted inside setup'
	expect_no_grep "Ctrl-C in setup: does not say hook" "$ERR" 'hook'
else
	fail "Ctrl-C in setup: setup started" "no mark within 15 s" "$OUT" "$ERR"
fi

# the same with a loop the JIT would compile: setup runs interpreted, so
# Ctrl-C stops it too (no watchdog exit, no "hook")
cat >"$TMP/jit_setup.lua" <<'EOF'
local f = io.open(arg[1], "w"); f:close()
local x = 0
for i = 1, 1e12 do x = x + i end
EOF
start_profrun "$TMP/jit_setup.lua" "$TMP/in_jit_setup"
if wait_file "$TMP/in_jit_setup" 15; then
	sleep 0.3
	kill -INT "$PR_PID"
	wait_profrun
	expect_rc "Ctrl-C in a hot setup loop: exit 2" 2
	expect_grep "Ctrl-C in a hot setup loop: says setup" "$ERR" 'interrupted inside setup'
else
	fail "Ctrl-C in a hot setup loop: setup started" "no mark within 15 s" "$OUT" "$ERR"
fi

# a setup that does real work within the budget still runs
run_profrun -e 'local t = {} for i = 1, 1e6 do t[i] = i end print("n=" .. #t)'
expect_rc "setup within its budget: exit 0" 0
expect_eq "setup within its budget: ran" "$(val n "$OUT")" 1000000 "$OUT" "$ERR"

finish
