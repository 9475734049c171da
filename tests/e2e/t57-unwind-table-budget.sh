#!/bin/bash
# RSS is bounded in long runs: unwind tables have a budget of their own
# (sample{unwind_tables=}), LRU by binary. With a budget smaller than one
# of python3.11's or libc's tables, every switch between them drops the
# other (stats().unwind.evictions), the tables are built again on demand,
# and the stacks are still whole.
. "$(dirname "$0")/lib.sh"
require_bpf
PY=/usr/bin/python3.11
[ -x "$PY" ] || skip_all "needs $PY (Debian's python3.11 package)"

RUN_TIMEOUT=40
cat >"$TMP/loop.py" <<'PYEOF'
import sys, time
end = time.monotonic() + float(sys.argv[1])
x = 0
while time.monotonic() < end:
    for i in range(20000):
        x += i * i % 7
PYEOF

cat >"$TMP/budget.lua" <<'EOF'
local budget = tonumber(arg[1])
-- the native unwinder's stacks: the eval loop's frames stay as they are
sample { unwind_tables = budget, python = false }
local n, whole = 0, 0
function on_sample(s)
  n = n + 1
  local f = s:folded()
  if f:find(";_start;", 1, true) and f:find("_PyEval_EvalFrameDefault", 1, true) then
    whole = whole + 1
  end
end
function on_end()
  local u = stats().unwind
  print("samples=" .. n)
  print("whole=" .. whole)
  print("evictions=" .. u.evictions)
  print("tables=" .. u.tables)
  print("table_bytes=" .. u.table_bytes)
  print("budget=" .. u.budget)
end
EOF

run_profrun -c "$PY $TMP/loop.py 2" "$TMP/budget.lua" 65536
expect_rc "64 KiB budget: exit 0" 0
n=$(val samples "$OUT")
expect_ge "64 KiB budget: samples" "$n" 50 "$OUT" "$ERR"
expect_eq "64 KiB budget: stats().unwind.budget" "$(val budget "$OUT")" 65536 "$OUT"
expect_gt "64 KiB budget: tables were evicted" "$(val evictions "$OUT")" 0 "$OUT"
expect_gt "64 KiB budget: and built again" "$(val tables "$OUT")" 2 "$OUT"
bytes=$(val table_bytes "$OUT")
# one table past the budget is held while in use: python3.11's, ~1 MiB
expect_within_bytes() {
	if _is_int "$2" && [ "$2" -le "$3" ]; then pass "$1 ($2 <= $3)"; else fail "$1" "got '$2'" "$OUT"; fi
}
expect_within_bytes "64 KiB budget: at most one table held" "$bytes" $((1536 * 1024))
whole=$(val whole "$OUT")
expect_pct_ge "64 KiB budget: >= 80% of stacks still _start..._PyEval_EvalFrameDefault" \
	"$whole" "$n" 80 "$OUT"

# the default budget holds both tables: nothing is evicted
run_profrun -c "$PY $TMP/loop.py 1" "$TMP/budget.lua"
expect_eq "default budget: 64 MiB" "$(val budget "$OUT")" $((64 * 1024 * 1024)) "$OUT" "$ERR"
expect_eq "default budget: no eviction" "$(val evictions "$OUT")" 0 "$OUT"

run_profrun -e 'sample { unwind_tables = 1000 }'
expect_rc "unwind_tables below 64 KiB: usage error" 2

finish
