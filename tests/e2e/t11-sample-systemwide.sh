#!/bin/bash
# Without -p or -c, every CPU and every process is sampled.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures burn

RUN_TIMEOUT=30
BURN=$FIXTURES/burn

# two burners: at least two busy processes besides profrun itself
start_bg "$BURN" 12
burn1=$WL_PID
start_bg "$BURN" 12
burn2=$WL_PID
if [ -z "$burn1" ] || [ -z "$burn2" ]; then
	fail "start two burn processes" "got '$burn1' '$burn2'"
	finish
fi

run_profrun -d 3 "$EXAMPLES/top.lua"
expect_rc "top.lua -d 3: exit 0" 0
expect_grep "top.lua -d 3: samples counted" "$OUT" '^[1-9][0-9]* samples'
expect_grep "top.lua -d 3: burn_heavy" "$OUT" ' burn_heavy +burn$'

cat >"$TMP/pids.lua" <<'EOF'
local burners = {}
for i = 1, #arg do burners[tonumber(arg[i])] = 0 end
local pids, npids, total = {}, 0, 0
function on_sample(s)
  total = total + 1
  if not pids[s.pid] then pids[s.pid] = true; npids = npids + 1 end
  if burners[s.pid] then burners[s.pid] = burners[s.pid] + 1 end
end
function on_end()
  print("total=" .. total)
  print("pids=" .. npids)
  local seen = 0
  for _, n in pairs(burners) do if n > 0 then seen = seen + 1 end end
  print("burners_seen=" .. seen)
end
EOF
run_profrun -d 2 "$TMP/pids.lua" "$burn1" "$burn2"
expect_rc "system-wide: exit 0" 0
expect_ge "system-wide: samples (>= 50)" "$(val total "$OUT")" 50 "$OUT" "$ERR"
expect_ge "system-wide: more than one pid" "$(val pids "$OUT")" 2 "$OUT"
expect_eq "system-wide: both burn processes sampled" "$(val burners_seen "$OUT")" 2 "$OUT"

finish
