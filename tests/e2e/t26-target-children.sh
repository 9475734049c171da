#!/bin/bash
# -c means the command and everything it starts, as `perf record -- cmd`
# does: a shell that runs two programs in the background has all three
# sampled, filtered in the kernel, while a busy process outside the tree
# is not. The same filter holds for every source: execsnoop and exitsnoop
# under -c list only the command's process tree while the machine execs
# other programs, and in_target() agrees with the kernel.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures burn

RUN_TIMEOUT=60
for n in burn_a burn_b burn_out; do cp "$FIXTURES/burn" "$TMP/$n"; done

cat >"$TMP/bycomm.lua" <<'EOF2'
local by, child_in = {}, nil
function on_sample(s)
  by[s.comm] = (by[s.comm] or 0) + 1
  -- asked while the child runs: an exited process leaves the set
  if s.comm == "burn_a" and child_in == nil then child_in = in_target(s.pid) end
end
function on_end()
  for _, c in ipairs { "burn_a", "burn_b", "burn_out" } do print(c .. "=" .. (by[c] or 0)) end
  print("in_target_out=" .. tostring(in_target(tonumber(arg[1]))))
  print("in_target_child=" .. tostring(child_in))
end
EOF2

# a process outside the tree burns for the whole run
start_bg "$TMP/burn_out" 30
OUTSIDE=$WL_PID
run_profrun -F 199 -c "sh -c '$TMP/burn_a 2 & $TMP/burn_b 2; wait'" "$TMP/bycomm.lua" "$OUTSIDE"
expect_rc "children: exit 0" 0
expect_gt "children: the background child is sampled" "$(val burn_a "$OUT")" 0 "$OUT" "$ERR"
expect_gt "children: the foreground child is sampled" "$(val burn_b "$OUT")" 0 "$OUT" "$ERR"
expect_eq "children: a process outside the tree is not" "$(val burn_out "$OUT")" 0 "$OUT"
expect_eq "children: in_target() of the outsider" "$(val in_target_out "$OUT")" false "$OUT"
expect_eq "children: in_target() of a child" "$(val in_target_child "$OUT")" true "$OUT"

# --no-children: the shell alone (it only waits: no child is sampled)
run_profrun -F 199 --no-children -c "sh -c '$TMP/burn_a 2 & $TMP/burn_b 2; wait'" \
	"$TMP/bycomm.lua" "$OUTSIDE"
expect_rc "--no-children: exit 0" 0
expect_eq "--no-children: children are not sampled" \
	"$(($(val burn_a "$OUT") + $(val burn_b "$OUT")))" 0 "$OUT" "$ERR"

# execsnoop and exitsnoop: the machine execs `id` over and over meanwhile
start_bg sh -c 'while :; do id >/dev/null; sleep 0.02; done'
NOISE=$WL_PID
TREE="sh -c 'sleep 0.5; /bin/true; /bin/echo hi >/dev/null; sleep 0.5'"
run_profrun -c "$TREE" examples/execsnoop.lua
expect_rc "execsnoop -c: exit 0" 0
expect_grep "execsnoop -c: the tree's execs are listed" "$OUT" "^true +"
expect_grep "execsnoop -c: all of them" "$OUT" "^echo +"
expect_no_grep "execsnoop -c: the machine's other execs are not" "$OUT" "^id +"
run_profrun -c "$TREE" examples/exitsnoop.lua
expect_rc "exitsnoop -c: exit 0" 0
expect_grep "exitsnoop -c: the tree's exits are listed" "$OUT" "^true +"
expect_no_grep "exitsnoop -c: the machine's other exits are not" "$OUT" "^id +"
# the noise was real: without -c, execsnoop sees it
run_profrun -d 1 examples/execsnoop.lua
expect_grep "execsnoop: the noise execs id" "$OUT" "^id +"
kill "$NOISE" 2>/dev/null

finish
