#!/bin/bash
# Stacks of processes gone before their maps were read (issue 15, part 4:
# memory bounded whatever the run's length): an address of such a process
# names nothing, then or later, so it interns as one unknown frame for all
# of them, not (pid, address). A loop of 600 short-lived execs with user
# stacks only: the samples whose frames are all unknown come from hundreds
# of processes (ASLR puts each one's code elsewhere) but intern to a
# handful of stacks (by their depth), not to one or more per process.
. "$(dirname "$0")/lib.sh"
require_bpf

RUN_TIMEOUT=60
cat >"$TMP/g.lua" <<'LUAEOF'
sample { kernel = false, hz = 999 }
local ids, pids, n, nid, npid = {}, {}, 0, 0, 0
function on_sample(s)
  local fr = s.stack ~= 0 and stack(s.stack) or {}
  if #fr == 0 then return end
  for _, f in ipairs(fr) do
    if f.module or f.name then return end
  end
  n = n + 1
  if not ids[s.stack] then ids[s.stack] = true; nid = nid + 1 end
  if not pids[s.pid] then pids[s.pid] = true; npid = npid + 1 end
end
function on_end()
  print("unknown_samples=" .. n)
  print("unknown_ids=" .. nid)
  print("unknown_pids=" .. npid)
  print("stacks=" .. stats().stacks)
end
LUAEOF

run_profrun -c "sh -c 'for i in \$(seq 600); do /bin/true; done'" "$TMP/g.lua"
expect_rc "600 execs: exit 0" 0
pids=$(val unknown_pids "$OUT")
ids=$(val unknown_ids "$OUT")
expect_ge "600 execs: processes with only unknown frames (gone before their maps were read)" "$pids" 100 "$OUT"
# one or more stacks per process before: ~1100 for ~600
expect_pct_le "600 execs: their samples intern to few stacks (stacks, processes)" "$ids" "$pids" 25 "$OUT"

finish
