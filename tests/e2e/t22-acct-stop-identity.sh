#!/bin/bash
# delivered means a hook saw it: Ctrl-C under an exec storm, with a slow
# hook, leaves events read from the ring that no hook saw. They are their
# own count (discarded), so produced = delivered + dropped + discarded
# holds, delivered equals the hook's own count, and the end of the run
# says how many were discarded.
. "$(dirname "$0")/lib.sh"
require_bpf

RUN_TIMEOUT=60

cat >"$TMP/storm.lua" <<'EOF'
local calls = 0
function on_exec(e)
  calls = calls + 1
  local t = now() + 20e6 -- 20 ms: the ring holds far more than is handed out
  while now() < t do end
end
function on_end()
  local s = stats().exec
  print("calls=" .. calls)
  print("produced=" .. s.produced)
  print("delivered=" .. s.delivered)
  print("dropped=" .. s.dropped)
  print("discarded=" .. tostring(s.discarded))
end
EOF

(for ((i = 0; i < 20000; i++)); do /bin/true; done) >/dev/null 2>&1 &
STORM=$!
track_pid "$STORM"
start_profrun "$TMP/storm.lua"
wait_attached "$PR_PID" pr_exec
sleep 2
kill -INT "$PR_PID"
wait_profrun
kill "$STORM" 2>/dev/null

expect_rc "storm + Ctrl-C: exit 0" 0
calls=$(val calls "$OUT")
delivered=$(val delivered "$OUT")
discarded=$(val discarded "$OUT")
expect_gt "storm + Ctrl-C: the hook ran" "$calls" 0 "$OUT" "$ERR"
expect_eq "storm + Ctrl-C: delivered == hook calls" "$delivered" "$calls" "$OUT" "$ERR"
expect_gt "storm + Ctrl-C: events were discarded at the stop" "$discarded" 0 "$OUT"
expect_counts_add_up "storm + Ctrl-C" "$OUT"
expect_grep "storm + Ctrl-C: the end says how many were discarded" "$ERR" \
	"^profrun: $discarded events were read after the run stopped"

# exit() in a hook: the rest of its batch is discarded, not delivered
cat >"$TMP/exit.lua" <<'EOF'
local calls = 0
function on_exec(e)
  calls = calls + 1
  if calls == 5 then exit(0) end
end
function on_end()
  local s = stats().exec
  print("calls=" .. calls)
  print("delivered=" .. s.delivered)
  print("produced=" .. s.produced)
  print("dropped=" .. s.dropped)
  print("discarded=" .. tostring(s.discarded))
end
EOF
(for ((i = 0; i < 5000; i++)); do /bin/true; done) >/dev/null 2>&1 &
STORM=$!
track_pid "$STORM"
run_profrun "$TMP/exit.lua"
kill "$STORM" 2>/dev/null
expect_eq "exit() at the 5th event: 5 hook calls" "$(val calls "$OUT")" 5 "$OUT" "$ERR"
expect_eq "exit() at the 5th event: delivered 5" "$(val delivered "$OUT")" 5 "$OUT"
expect_counts_add_up "exit() at the 5th event" "$OUT"

finish
