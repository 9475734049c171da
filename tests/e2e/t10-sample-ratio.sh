#!/bin/bash
# CPU samples of a known workload: burn spends 3/4 of its CPU in
# burn_heavy and 1/4 in burn_light, both called from main. Both leaves
# show up in about that ratio, stacks reach main, top.lua shows them, and
# -p keeps every other process out.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures burn

RUN_TIMEOUT=40
BURN=$FIXTURES/burn

cat >"$TMP/leaves.lua" <<'EOF'
local leaf, total, with_main, other = {}, 0, 0, 0
local tp
function on_sample(s)
  tp = tp or target_pid()
  total = total + 1
  if s.pid ~= tp then other = other + 1 end
  local frames = s:frames()
  local name = frames[1] and frames[1].name or "?"
  leaf[name] = (leaf[name] or 0) + 1
  for _, f in ipairs(frames) do
    if f.name == "main" then with_main = with_main + 1; break end
  end
end
function on_end()
  print("total=" .. total)
  print("with_main=" .. with_main)
  print("other_pid=" .. other)
  print("target=" .. tostring(tp))
  print("heavy=" .. (leaf.burn_heavy or 0))
  print("light=" .. (leaf.burn_light or 0))
end
EOF

# ---- -c: the command alone ----
run_profrun -c "$BURN 3" -F 999 "$TMP/leaves.lua"
expect_rc "-c burn: exit 0" 0
total=$(val total "$OUT")
heavy=$(val heavy "$OUT")
light=$(val light "$OUT")
expect_ge "-c burn: samples (>= 100)" "$total" 100 "$OUT" "$ERR"
expect_gt "-c burn: burn_heavy leaves" "$heavy" 0 "$OUT"
expect_gt "-c burn: burn_light leaves" "$light" 0 "$OUT"
if _is_int "$heavy" && _is_int "$light" && [ "$light" -gt 0 ] &&
	[ $((heavy * 10)) -ge $((light * 20)) ] && [ $((heavy * 10)) -le $((light * 45)) ]; then
	pass "-c burn: burn_heavy/burn_light between 2 and 4.5 ($heavy/$light)"
else
	fail "-c burn: burn_heavy/burn_light between 2 and 4.5" "heavy=$heavy light=$light" "$OUT"
fi
expect_pct_ge "-c burn: >= 80% of stacks reach main" "$(val with_main "$OUT")" "$total" 80 "$OUT"
expect_eq "-c burn: only the command's samples" "$(val other_pid "$OUT")" 0 "$OUT"

# ---- examples/top.lua ----
# 100 rows: main has no self time, so it sorts after every row that has
# some, and a busy run has more than the default 20 of those
run_profrun -c "$BURN 2" -F 999 "$EXAMPLES/top.lua" 100
expect_rc "top.lua: exit 0" 0
expect_grep "top.lua: header" "$OUT" 'SELF%.*TOTAL%.*FUNCTION'
expect_grep "top.lua: burn_heavy" "$OUT" ' burn_heavy +burn$'
expect_grep "top.lua: burn_light" "$OUT" ' burn_light +burn$'
expect_grep "top.lua: main" "$OUT" ' main +burn$'
# burn_heavy is the hottest function: the first row after the header
expect_eq "top.lua: burn_heavy first" \
	"$(awk '/FUNCTION/ { getline; print $4; exit }' "$OUT")" burn_heavy "$OUT"

# ---- -p: an already running process ----
start_bg "$BURN" 8
burn_pid=$WL_PID
if [ -n "$burn_pid" ]; then
	run_profrun -p "$burn_pid" -d 2 -F 999 "$TMP/leaves.lua"
	expect_rc "-p burn: exit 0" 0
	expect_ge "-p burn: samples (>= 100)" "$(val total "$OUT")" 100 "$OUT" "$ERR"
	expect_eq "-p burn: target_pid() is the pid" "$(val target "$OUT")" "$burn_pid" "$OUT"
	expect_eq "-p burn: every sample is of that pid" "$(val other_pid "$OUT")" 0 "$OUT"
	expect_gt "-p burn: burn_heavy leaves" "$(val heavy "$OUT")" 0 "$OUT"
	kill -TERM "$burn_pid" 2>/dev/null
else
	fail "-p burn: start burn" "no burn process"
fi

finish
