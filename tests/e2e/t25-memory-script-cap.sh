#!/bin/bash
# A script cannot take the machine down: a hook growing a table stops at
# the Lua heap cap (--max-memory) with "script memory limit reached",
# on_end still runs (with a reserve), and profrun exits 1. The default
# cap is in force without the option.
. "$(dirname "$0")/lib.sh"
require_bpf

RUN_TIMEOUT=60

cat >"$TMP/grow.lua" <<'EOF'
local t = {}
function on_sample(s) end
every(0.01, function()
  for i = 1, 100000 do t[#t + 1] = { i } end
end)
function on_end()
  print("items=" .. #t)
  print("limit=" .. stats().memory.lua_limit)
  print("end=ran")
end
EOF
run_profrun --max-memory 64M -d 30 "$TMP/grow.lua"
expect_rc "growing table, --max-memory 64M: exit 1" 1
expect_grep "growing table: the message says so" "$ERR" 'script memory limit reached in an every\(\) callback'
expect_eq "growing table: on_end ran" "$(val end "$OUT")" ran "$OUT" "$ERR"
expect_gt "growing table: on_end saw the table" "$(val items "$OUT")" 100000 "$OUT"
rss=$(grep -o 'the Lua heap holds [0-9]*' "$ERR" | grep -o '[0-9]*$')
if _is_int "$rss" && [ "$rss" -le 64 ]; then
	pass "growing table: the heap stayed under the cap ($rss MiB)"
else
	fail "growing table: the heap stayed under the cap" "got '$rss'" "$ERR"
fi

# with --keep-going too: the cap is not one bad event
run_profrun --keep-going --max-memory 64M -d 30 "$TMP/grow.lua"
expect_rc "--keep-going: the cap still stops the run, exit 1" 1
expect_eq "--keep-going: on_end ran" "$(val end "$OUT")" ran "$OUT" "$ERR"

# in a hook fed by real samples
cat >"$TMP/hook.lua" <<'EOF'
sample { idle = true, hz = 999 }
local t = {}
function on_sample(s)
  for i = 1, 20000 do t[#t + 1] = { i } end
end
function on_end() print("end=ran") end
EOF
run_profrun --max-memory 32M -d 30 "$TMP/hook.lua"
expect_rc "on_sample grows: exit 1" 1
expect_grep "on_sample grows: names the hook" "$ERR" 'script memory limit reached in on_sample'
expect_eq "on_sample grows: on_end ran" "$(val end "$OUT")" ran "$OUT" "$ERR"

# the default cap, and no cap
run_profrun -e 'print("limit=" .. stats().memory.lua_limit)'
expect_eq "default cap: 512 MiB" "$(val limit "$OUT")" $((512 * 1024 * 1024)) "$OUT" "$ERR"
run_profrun --max-memory 0 -e 'print("limit=" .. stats().memory.lua_limit)'
expect_eq "--max-memory 0: no cap" "$(val limit "$OUT")" 0 "$OUT" "$ERR"
run_profrun --max-memory 12x -e ''
expect_rc "--max-memory 12x: usage error" 2

finish
