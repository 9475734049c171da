#!/bin/bash
# C++ names are demangled exactly: cppfix burns its CPU in
# profrun_fix::Worker<int>::run(int) -> profrun_fix::spin(double) ->
# profrun_fix::spin(double, int); the user frames of at least 80% of the
# samples read those three names, leaf first, and no frame keeps a
# mangled (_Z...) name.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures cppfix

RUN_TIMEOUT=20

cat >"$TMP/cpp.lua" <<'EOF'
local want = { "profrun_fix::spin(double, int)", "profrun_fix::spin(double)",
  "profrun_fix::Worker<int>::run(int)" }
local total, exact, mangled, leaf_module = 0, 0, 0, nil
local chains = {}
function on_sample(s)
  total = total + 1
  local user = {}
  for _, f in ipairs(s:frames()) do
    if not f.kernel then user[#user + 1] = f end
    if f.name and f.name:find("_Z", 1, true) == 1 then mangled = mangled + 1 end
  end
  local ok = #user >= 3
  for i = 1, 3 do
    if not user[i] or user[i].name ~= want[i] then ok = false end
  end
  if ok then
    exact = exact + 1
    leaf_module = leaf_module or user[1].module
  end
  local names = {}
  for i = 1, math.min(4, #user) do names[i] = user[i].name or "?" end
  local k = table.concat(names, " <- ")
  chains[k] = (chains[k] or 0) + 1
end
function on_end()
  for k, n in pairs(chains) do print("chain\t" .. n .. "\t" .. k) end
  print("total=" .. total)
  print("exact=" .. exact)
  print("mangled=" .. mangled)
  print("leaf_module=" .. tostring(leaf_module))
end
EOF

run_profrun -F 499 -c "$FIXTURES/cppfix 1" "$TMP/cpp.lua"
expect_rc "cppfix: exit 0" 0
total=$(val total "$OUT")
exact=$(val exact "$OUT")
expect_ge "cppfix: samples (>= 100)" "$total" 100 "$OUT" "$ERR"
expect_pct_ge "cppfix: >= 80% of samples read spin(double, int) <- spin(double) <- Worker<int>::run(int)" \
	"$exact" "$total" 80 "$OUT"
expect_grep "cppfix: the exact leaf name is printed" "$OUT" \
	'^chain	[0-9]+	profrun_fix::spin\(double, int\) <- profrun_fix::spin\(double\) <- profrun_fix::Worker<int>::run\(int\) <- main$'
expect_eq "cppfix: no mangled frame name" "$(val mangled "$OUT")" 0 "$OUT"
expect_eq "cppfix: the leaf is in cppfix" "$(val leaf_module "$OUT")" "$(readlink -f "$FIXTURES/cppfix")" "$OUT"

finish
