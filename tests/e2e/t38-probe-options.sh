#!/bin/bash
# probe() options against a fixture with known calls (-O2, no frame
# pointers): stack = true reaches main through every hit; a glob names
# each of its 40 functions (e.func, count_only rows) with exact counts,
# C++ names match demangled,
# counted in the kernel; aliases (open, open64) attach once and a path
# argument reads as a string; sample = N sends exactly every Nth hit and
# counts the rest; pid = N keeps one process; bad options are usage errors.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures probefix cppfix

RUN_TIMEOUT=60
FIX=$FIXTURES/probefix
N=30

cat >"$TMP/opts.lua" <<'EOF2'
local fix = arg[1]
local n, main, leaf, rn, rmain = 0, 0, 0, 0, 0
local function reaches_main(fr)
  for _, f in ipairs(fr) do if f.name == "main" then return true end end
  return false
end
probe("u:" .. fix .. ":pf_target", { stack = true }, function(e)
  n = n + 1
  local fr = e:frames()
  if fr[1] and fr[1].name == "pf_target" then leaf = leaf + 1 end
  if reaches_main(fr) and e.stack then main = main + 1 end
end)
probe("ur:" .. fix .. ":pf_target", { stack = true }, function(e)
  rn = rn + 1
  if e:frames()[1] and e:frames()[1].name == "main" then rmain = rmain + 1 end
end)
-- event mode: e.func tells the glob's functions apart
local per = {}
probe("u:" .. fix .. ":fx_*", function(e) per[e.func] = (per[e.func] or 0) + 1 end)
-- the same glob counted in the kernel
local counted = probe("u:" .. fix .. ":fx_*", { count_only = true })
local stacked = probe("u:" .. fix .. ":fx_1*", { count_only = true, stack = true })
-- every 7th hit of one function
local sampled = 0
probe("u:" .. fix .. ":fx_05", { sample = 7 }, function(e) sampled = sampled + 1 end)
-- a libc glob over aliases, its path argument as a string
local opens, open_funcs = 0, {}
probe("u:libc:open*", { strings = { 1 } }, function(e)
  local p = e:str(1)
  if p and p:match("^/nonexistent/probefix/%d+$") then
    opens = opens + 1
    open_funcs[e.func] = true
  end
end)
function on_end()
  print("entries=" .. n) print("leaf=" .. leaf) print("main=" .. main)
  print("returns=" .. rn) print("ret_main=" .. rmain)
  local names, exact = 0, 0
  for f, c in pairs(per) do
    names = names + 1
    if f:match("^fx_%d%d$") and c == N then exact = exact + 1 end
  end
  print("event_funcs=" .. names) print("event_exact=" .. exact)
  local rows, lost = counted:counts()
  local seen, cexact, total = {}, 0, 0
  for _, r in ipairs(rows) do
    seen[r.func] = true
    total = total + r.count
    if r.count == N and r.pid == nil and r.stack == nil then cexact = cexact + 1 end
  end
  local distinct = 0
  for _ in pairs(seen) do distinct = distinct + 1 end
  print("count_rows=" .. #rows) print("count_funcs=" .. distinct)
  print("count_exact=" .. cexact) print("count_total=" .. total)
  print("count_lost=" .. lost.hits)
  local srows, slost = stacked:counts()
  local stotal, spid, sstack = 0, 0, 0
  for _, r in ipairs(srows) do
    stotal = stotal + r.count
    if r.pid == target_pid() then spid = spid + r.count end
    if r.stack and #stack(r.stack) > 0 then sstack = sstack + r.count end
  end
  print("stack_total=" .. stotal) print("stack_pid=" .. spid) print("stack_named=" .. sstack)
  print("stack_lost=" .. slost.stacks)
  print("sampled=" .. sampled) print("sampled_out=" .. stats().probe.sampled_out)
  local of = {}
  for f in pairs(open_funcs) do of[#of + 1] = f end
  table.sort(of)
  print("opens=" .. opens) print("open_funcs=" .. table.concat(of, ","))
end
EOF2
sed -i "s/\bN\b/$N/g" "$TMP/opts.lua"

run_profrun -c "$FIX $N" "$TMP/opts.lua" "$FIX"
expect_rc "exit 0" 0
expect_eq "stack: one event per call" "$(val entries "$OUT")" "$N" "$OUT" "$ERR"
expect_eq "stack: the leaf is the probed function" "$(val leaf "$OUT")" "$N" "$OUT"
expect_eq "stack: every stack reaches main without frame pointers" "$(val main "$OUT")" "$N" "$OUT"
expect_eq "stack: ur: one event per return" "$(val returns "$OUT")" "$N" "$OUT"
expect_eq "stack: ur: the stack starts in the caller" "$(val ret_main "$OUT")" "$N" "$OUT"
expect_eq "glob: e.func names 40 functions" "$(val event_funcs "$OUT")" 40 "$OUT"
expect_eq "glob: each of them hit N times" "$(val event_exact "$OUT")" 40 "$OUT"
expect_eq "count_only: one row per function" "$(val count_rows "$OUT")" 40 "$OUT"
expect_eq "count_only: 40 distinct names" "$(val count_funcs "$OUT")" 40 "$OUT"
expect_eq "count_only: each counted exactly N" "$(val count_exact "$OUT")" 40 "$OUT"
expect_eq "count_only: nothing lost" "$(val count_lost "$OUT")" 0 "$OUT"
expect_eq "count_only + stack: every hit counted" "$(val stack_total "$OUT")" "$((10 * N))" "$OUT"
expect_eq "count_only + stack: keyed by the process" "$(val stack_pid "$OUT")" "$((10 * N))" "$OUT"
# a stack the map has no room for (its bucket taken by another: ~2% of
# runs here) is counted lost, per hit; every other hit's stack resolves
named=$(val stack_named "$OUT")
expect_le "count_only + stack: stacks resolve, or are counted lost" \
	"$((10 * N - ${named:-0}))" "$(val stack_lost "$OUT")" "$OUT"
expect_ge "count_only + stack: most stacks resolve" "$named" "$((5 * N))" "$OUT"
expect_eq "sample = 7: every 7th hit" "$(val sampled "$OUT")" "$(((N + 6) / 7))" "$OUT"
expect_eq "sample = 7: the rest counted" "$(val sampled_out "$OUT")" "$((N - (N + 6) / 7))" "$OUT"
expect_eq "strings: each open's path, once (aliases attach once)" "$(val opens "$OUT")" "$N" "$OUT"
expect_eq "strings: the alias named as users know it" "$(val open_funcs "$OUT")" "open" "$OUT"
expect_no_grep "no drops reported" "$ERR" 'lost [0-9]+ of'

# pid = N: two copies of the fixture, one probed; uprobes attach for it only
cat >"$TMP/pid.lua" <<'EOF2'
local n, pids = 0, {}
probe("u:" .. arg[1] .. ":pf_target", { pid = tonumber(arg[2]) }, function(e)
  n = n + 1
  pids[e.pid] = true
  if n == 20 then exit(0) end
end)
function on_end()
  local p = {}
  for pid in pairs(pids) do p[#p + 1] = pid end
  print("hits=" .. n) print("pids=" .. table.concat(p, ","))
end
EOF2
start_bg "$FIX" 20 3
OTHER=$WL_PID
start_bg "$FIX" 20 3
MINE=$WL_PID
run_profrun -d 20 "$TMP/pid.lua" "$FIX" "$MINE"
expect_rc "pid: exit 0" 0
expect_eq "pid: its 20 calls" "$(val hits "$OUT")" 20 "$OUT" "$ERR"
expect_eq "pid: only its hits" "$(val pids "$OUT")" "$MINE" "$OUT"
kill "$OTHER" "$MINE" 2>/dev/null

# C++: names match demangled, a glob over overloads names each
cat >"$TMP/cpp.lua" <<'EOF2'
local n, runs = {}, 0
probe("u:" .. arg[1] .. ":profrun_fix::spin*", function(e) n[#n + 1] = e.func end)
probe("u:" .. arg[1] .. ":profrun_fix::Worker<int>::run(int)", function(e) runs = runs + 1 end)
function on_end()
  table.sort(n)
  print("spins=" .. table.concat(n, "|")) print("runs=" .. runs)
end
EOF2
run_profrun -c "$FIXTURES/cppfix 0.2" "$TMP/cpp.lua" "$FIXTURES/cppfix"
expect_rc "C++: exit 0" 0
expect_eq "C++: both overloads of spin, once each, by their demangled names" \
	"$(val spins "$OUT")" "profrun_fix::spin(double)|profrun_fix::spin(double, int)" "$OUT" "$ERR"
expect_eq "C++: a template method by its full demangled name" "$(val runs "$OUT")" 1 "$OUT"

# options that cannot work are usage errors before anything loads
expect_bad_spec "u:$FIX:pf_target" "pid 4194303: no such process" "{ pid = 4194303 },"
expect_bad_spec "u:$FIX:pf_target" "pid must be an integer" "{ pid = -1 },"
expect_bad_spec "u:$FIX:pf_target" "sample must be an integer" "{ sample = 0 },"
expect_bad_spec "u:$FIX:pf_target" "unknown option 'stacks'" "{ stacks = true },"
expect_bad_spec "u:$FIX:pf_target" "stack must be true or false" "{ stack = 1 },"
expect_bad_spec "t:syscalls:sys_enter_openat" "stack, count_only and sample are for" "{ stack = true },"
finish
