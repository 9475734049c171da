#!/bin/bash
# -d is a hard limit: a hook that loops, or a batch of slow hooks under an
# exec storm, does not keep profrun running past its duration. At the
# deadline the running hook is stopped the way Ctrl-C stops it, on_end
# runs, and what was read but never handed to a hook is counted.
. "$(dirname "$0")/lib.sh"
require_bpf

RUN_TIMEOUT=40

# an exec storm for as long as the test needs one
storm() {
	(for ((i = 0; i < 20000; i++)); do /bin/true; done) >/dev/null 2>&1 &
	STORM=$!
	track_pid "$STORM"
}

# ---- slow hooks under a storm: 50 ms each, a batch holds hundreds ----
cat >"$TMP/slow.lua" <<'EOF'
local n = 0
function on_exec(e)
  n = n + 1
  local t = os.clock() + 0.05
  while os.clock() < t do end
end
function on_end()
  local s = stats().exec
  print("calls=" .. n)
  print("produced=" .. s.produced)
  print("delivered=" .. s.delivered)
  print("dropped=" .. s.dropped)
  print("discarded=" .. s.discarded)
  print("end=ran")
end
EOF
storm
start=$SECONDS
run_profrun -d 3 "$TMP/slow.lua"
took=$((SECONDS - start))
kill "$STORM" 2>/dev/null
expect_rc "slow hooks: exit 0" 0
# before: 41 s for -d 5; the bound here leaves room for a loaded machine
expect_within "slow hooks: -d 3 ends" 8 "$took"
expect_eq "slow hooks: on_end ran" "$(val end "$OUT")" ran "$OUT" "$ERR"
expect_gt "slow hooks: the hook ran" "$(val calls "$OUT")" 0 "$OUT"
expect_eq "slow hooks: delivered is what the hook saw" "$(val delivered "$OUT")" "$(val calls "$OUT")" "$OUT"
expect_counts_add_up "slow hooks" "$OUT"
expect_grep "slow hooks: says what was never handed to a hook" "$ERR" \
	'events were read after the run stopped and not handed to a hook'

# ---- a hook that loops in interpreted code: stopped, on_end runs ----
cat >"$TMP/loop_interp.lua" <<'EOF'
function on_exec(e)
  while true do local x = os.clock() end
end
function on_end() print("end=ran") end
EOF
storm
start=$SECONDS
run_profrun -d 2 "$TMP/loop_interp.lua"
took=$((SECONDS - start))
kill "$STORM" 2>/dev/null
expect_rc "looping hook (interpreted): exit 0" 0
expect_within "looping hook (interpreted): -d 2 ends" 6 "$took"
expect_eq "looping hook (interpreted): on_end ran" "$(val end "$OUT")" ran "$OUT" "$ERR"
expect_grep "looping hook (interpreted): says the deadline interrupted on_exec" "$ERR" \
	'deadline interrupted on_exec'

# ---- a hook that loops in JIT-compiled code: no instruction hook can stop
# it, so the watchdog ends profrun 2 s after the deadline ----
cat >"$TMP/loop_jit.lua" <<'EOF'
function on_exec(e)
  local x = 0
  while true do x = x + 1 end
end
function on_end() print("end=ran") end
EOF
storm
start=$SECONDS
run_profrun -d 2 "$TMP/loop_jit.lua"
took=$((SECONDS - start))
kill "$STORM" 2>/dev/null
if [ "$RC" != 124 ] && [ "$RC" != 137 ]; then
	pass "looping hook (JIT): profrun ends by itself (exit $RC)"
else
	fail "looping hook (JIT): profrun ends by itself" "killed by timeout after $took s" "$ERR"
fi
expect_within "looping hook (JIT): -d 2 ends" 8 "$took"
expect_grep "looping hook (JIT): says the hook did not stop" "$ERR" 'did not stop'

finish
