#!/bin/bash
# JIT frames named from a perf map: node --perf-basic-prof writes
# /tmp/perf-PID.map; a script whose time goes to hotFunctionForProfrun
# gets frames with that name and the module perf-PID.map, both while the
# process runs (s:frames() in on_sample) and after it exited (stack() in
# on_end). Skipped only when node is not installed.
. "$(dirname "$0")/lib.sh"
require_bpf
command -v node >/dev/null 2>&1 || skip_all "needs node (nodejs) for --perf-basic-prof"

RUN_TIMEOUT=25

cat >"$TMP/hot.js" <<'EOF'
function hotFunctionForProfrun(n) {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + i * 7) % 1000003;
  return s;
}
const end = Date.now() + 1500;
let acc = 0;
while (Date.now() < end) acc += hotFunctionForProfrun(100000);
console.log("acc=" + acc);
EOF

cat >"$TMP/jit.lua" <<'EOF'
local ids, total, live, live_module = {}, 0, 0, nil
local function hot_frame(frames)
  for _, f in ipairs(frames) do
    if not f.kernel and f.name and f.name:find("hotFunctionForProfrun", 1, true) then return f end
  end
end
function on_sample(s)
  total = total + 1
  ids[total] = s.stack
  local f = hot_frame(s:frames())
  if f then
    live = live + 1
    live_module = live_module or f.module
  end
end
function on_end()
  local late, name = 0, nil
  for i = 1, total do
    local f = hot_frame(stack(ids[i]))
    if f then late = late + 1; name = name or f.name end
  end
  print("total=" .. total)
  print("live=" .. live)
  print("late=" .. late)
  print("module=" .. tostring(live_module))
  print("name=" .. tostring(name))
  print("target=" .. tostring(target_pid()))
end
EOF

# node may leave logs in its working directory: keep them in $TMP
cd "$TMP" || exit 1
run_profrun -F 499 -c "node --perf-basic-prof $TMP/hot.js" "$TMP/jit.lua"
tp=$(val target "$OUT")
expect_rc "node --perf-basic-prof: exit 0" 0
expect_grep "node ran the script" "$OUT" '^acc=[0-9]+$'
total=$(val total "$OUT")
live=$(val live "$OUT")
late=$(val late "$OUT")
expect_ge "node: samples (>= 100)" "$total" 100 "$OUT" "$ERR"
expect_ge "frames name hotFunctionForProfrun while node runs" "$live" 1 "$OUT"
expect_ge "frames name hotFunctionForProfrun after node exited" "$late" 1 "$OUT"
# it is hot: once compiled it is on most stacks
expect_pct_ge "hotFunctionForProfrun on >= 30% of the stacks" "$late" "$total" 30 "$OUT"
if _is_int "$tp"; then
	mod=$(val module "$OUT")
	case $mod in
	perf-"$tp".map | */perf-"$tp".map) pass "the module is perf-$tp.map ($mod)" ;;
	*) fail "the module is perf-$tp.map" "got '$mod'" "$OUT" ;;
	esac
	rm -f "/tmp/perf-$tp.map"
else
	fail "the module is perf-PID.map" "no target pid" "$OUT"
fi

finish
