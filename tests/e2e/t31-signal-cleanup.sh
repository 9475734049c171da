#!/bin/bash
# SIGINT/SIGTERM end a run cleanly: exit 0, on_end runs, and every BPF
# program and link profrun held is gone afterwards. A hook stuck in a loop
# does not keep profrun alive: interpreted code is interrupted (on_end
# still runs); a JIT-compiled loop is ended by the watchdog.
. "$(dirname "$0")/lib.sh"
require_bpf
require_bpftool

RUN_TIMEOUT=60

# shellcheck disable=SC2119 # count_pr_* with no argument: the whole machine
# all_gone NAME IDS_FILE: the recorded programs and links no longer exist;
# when no other profrun runs on the machine, no pr_ object exists at all
all_gone() {
	local name=$1 ids=$2 left others
	if [ ! -s "$ids" ]; then
		fail "$name: BPF objects recorded" "none seen while it ran"
		return
	fi
	if left=$(ids_gone "$ids"); then
		pass "$name: its pr_ programs and links are gone ($(wc -l <"$ids") objects)"
	else
		fail "$name: its pr_ programs and links are gone" "still there: ${left//$'\n'/; }"
	fi
	others=$(other_profruns)
	if [ -z "$others" ]; then
		expect_eq "$name: no pr_ program on the machine" "$(count_pr_progs)" 0
		expect_eq "$name: no pr_ link on the machine" "$(count_pr_links)" 0
	fi
}

cat >"$TMP/all.lua" <<'EOF'
local n = 0
function on_sample(s) n = n + 1 end
function on_exec(e) end
function on_end() print("end=ran") end
EOF

for sig in INT TERM; do
	start_profrun -d 50 "$TMP/all.lua"
	if ! wait_attached "$PR_PID" pr_sample pr_exec; then
		fail "SIG$sig: attached" "no pr_sample and pr_exec links within 20 s" "$OUT" "$ERR"
		kill -KILL "$PR_PID" 2>/dev/null
		wait_profrun
		continue
	fi
	owned_ids "$PR_PID" >"$TMP/ids.$sig"
	kill -"$sig" "$PR_PID"
	wait_profrun
	expect_rc "SIG$sig: exit 0" 0
	expect_eq "SIG$sig: on_end ran" "$(val end "$OUT")" ran "$OUT" "$ERR"
	all_gone "SIG$sig" "$TMP/ids.$sig"
done

# ---- a runaway hook in JIT-compiled code ----
# The hook marks that it is running (so the signal lands inside it), then
# spins in a loop LuaJIT compiles: no instruction hook can stop it.
cat >"$TMP/runaway_jit.lua" <<'EOF'
local mark = arg[1]
function on_exec(e)
  local f = io.open(mark, "w"); f:close()
  while true do end
end
function on_end() print("end=ran") end
EOF
start_profrun -d 50 "$TMP/runaway_jit.lua" "$TMP/in_jit_hook"
if wait_attached "$PR_PID" pr_exec; then
	owned_ids "$PR_PID" >"$TMP/ids.jit"
	/bin/true # an exec: runs the hook
	if wait_file "$TMP/in_jit_hook" 15; then
		pass "runaway (JIT): hook entered"
	else
		fail "runaway (JIT): hook entered" "no mark within 15 s" "$OUT" "$ERR"
	fi
	kill -INT "$PR_PID"
	if wait_gone "$PR_PID" 15; then
		pass "runaway (JIT): SIGINT ends profrun within 15 s"
	else
		fail "runaway (JIT): SIGINT ends profrun within 15 s" "still running"
		kill -KILL "$PR_PID" 2>/dev/null
	fi
	wait_profrun
	if [ "$RC" != 124 ] && [ "$RC" != 137 ]; then
		pass "runaway (JIT): ended by profrun itself (exit $RC)"
	else
		fail "runaway (JIT): ended by profrun itself" "exit $RC (killed by timeout)" "$ERR"
	fi
	expect_grep "runaway (JIT): says the hook did not stop" "$ERR" 'did not stop|interrupted'
	all_gone "runaway (JIT)" "$TMP/ids.jit"
else
	fail "runaway (JIT): attached" "no pr_exec link within 20 s" "$OUT" "$ERR"
fi

# ---- a runaway hook in interpreted code ----
cat >"$TMP/runaway_interp.lua" <<'EOF'
jit.off()
local mark = arg[1]
function on_exec(e)
  local f = io.open(mark, "w"); f:close()
  while true do local x = {} end
end
function on_end() print("end=ran") end
EOF
start_profrun -d 50 "$TMP/runaway_interp.lua" "$TMP/in_interp_hook"
if wait_attached "$PR_PID" pr_exec; then
	owned_ids "$PR_PID" >"$TMP/ids.interp"
	/bin/true
	if wait_file "$TMP/in_interp_hook" 15; then
		pass "runaway (interpreted): hook entered"
	else
		fail "runaway (interpreted): hook entered" "no mark within 15 s" "$OUT" "$ERR"
	fi
	kill -INT "$PR_PID"
	if wait_gone "$PR_PID" 15; then
		pass "runaway (interpreted): SIGINT ends profrun within 15 s"
	else
		fail "runaway (interpreted): SIGINT ends profrun within 15 s" "still running"
		kill -KILL "$PR_PID" 2>/dev/null
	fi
	wait_profrun
	expect_rc "runaway (interpreted): exit 0 (ended by SIGINT)" 0
	expect_eq "runaway (interpreted): on_end ran" "$(val end "$OUT")" ran "$OUT" "$ERR"
	expect_grep "runaway (interpreted): says it interrupted the hook" "$ERR" 'interrupted'
	all_gone "runaway (interpreted)" "$TMP/ids.interp"
else
	fail "runaway (interpreted): attached" "no pr_exec link within 20 s" "$OUT" "$ERR"
fi

finish
