#!/bin/bash
# The in-kernel unwinder (issue 15): BPF walks user stacks with the unwind
# rows profrun loads per binary, and copies the stack only when it cannot.
#  - verify mode: both unwinders walk the same samples (BPF from the
#    loaded tables, user space from the copy) and must give the same
#    frames, on FP-less code (uw-chain, -O2 -fomit-frame-pointer), on
#    Debian's python3.11 (no frame pointers, deep interpreter stacks) and
#    on code without unwind info (uw-mixed-nocfi: both step by frame
#    pointer there).
#  - default mode: a process older than a poll interval is walked in BPF
#    (most samples), the first ones fall back to the copy, and the stacks
#    are as whole as before.
#  - bound: with kernel_tables small enough for two python3.11 tables, 50
#    copies of python3.11 (50 distinct binaries) run one after another:
#    the rows stay within the budget, binaries are evicted and counted,
#    and the stacks of the evicted ones still come whole (by the copy).
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures uw-chain uw-mixed-nocfi
PY=/usr/bin/python3.11
[ -x "$PY" ] || skip_all "needs $PY (Debian's python3.11 package)"

RUN_TIMEOUT=60
cat >"$TMP/loop.py" <<'PYEOF'
import sys, time
def leaf(n):
    x = 0
    for i in range(n):
        x += i * i % 7
    return x
def mid(end):
    while time.monotonic() < end:
        leaf(20000)
mid(time.monotonic() + float(sys.argv[1]))
PYEOF

# --no-lines in every run: the unwinder's frames are under test, and the
# script folds every sample on the loop; with python3.11-dbg's lines and
# inline frames that work (ASan builds: 2x slower) delays the tables' loads
# this test times
cat >"$TMP/k.lua" <<'EOF'
local budget = tonumber(arg[1])
-- the native unwinders' stacks: the eval loop's frames stay as they are
sample { kernel = false, hz = 999, kernel_tables = budget, python = false }
local n, whole, pat = 0, 0, arg[2]
function on_sample(s)
  n = n + 1
  local f = s:folded()
  if f:find(";_start;", 1, true) or f:find("^_start;") then
    if not pat or f:find(pat, 1, true) then whole = whole + 1 end
  end
end
function on_end()
  local u = stats().unwind
  local k = u.kernel
  print("samples=" .. n)
  print("whole=" .. whole)
  print("stacks=" .. u.stacks)
  print("complete=" .. u.complete)
  for key, v in pairs(k) do
    if type(v) == "table" then
      for key2, v2 in pairs(v) do print("k." .. key .. "." .. key2 .. "=" .. v2) end
    else
      print("k." .. key .. "=" .. tostring(v))
    end
  end
end
EOF

# --- verify: the same frames from both unwinders ---
for w in "uw-chain:$FIXTURES/uw-chain 2:uw_f5" "python3.11:$PY $TMP/loop.py 2:_PyEval_EvalFrameDefault" \
	"uw-mixed-nocfi:$FIXTURES/uw-mixed-nocfi 2:uw_callback"; do
	name=${w%%:*}
	rest=${w#*:}
	cmd=${rest%:*}
	pat=${rest##*:}
	run_profrun --no-lines --kernel-unwind verify -c "$cmd" "$TMP/k.lua" 8388608 "$pat"
	expect_rc "$name, verify: exit 0" 0
	expect_eq "$name, verify: stats().unwind.kernel.mode" "$(val k.mode "$OUT")" verify "$OUT"
	n=$(val samples "$OUT")
	expect_ge "$name, verify: samples" "$n" 500 "$OUT"
	expect_pct_ge "$name, verify: >= 90% of samples walked by both" "$(val k.verified "$OUT")" "$n" 90 "$OUT"
	expect_eq "$name, verify: no sample where they differ" "$(val k.mismatched "$OUT")" 0 "$OUT"
	expect_no_grep "$name, verify: no mismatch reported" "$ERR" "differs"
	expect_pct_ge "$name, verify: >= 95% of stacks whole (_start..$pat)" "$(val whole "$OUT")" "$n" 95 "$OUT"
done
# uw-mixed-nocfi's own code has no unwind info: BPF walked it by frame
# pointer, and the frames matched user space's above
expect_gt "uw-mixed-nocfi, verify: BPF stepped by frame pointer" "$(val k.fp_frames "$OUT")" 0 "$OUT"

# --- the default: BPF walks, the copy covers the first samples ---
# (3 s: the samples before the walker and the tables load are a fixed
# cost, ~10% of a 2 s run under the sanitizer build)
run_profrun --no-lines -v -c "$PY $TMP/loop.py 3" "$TMP/k.lua" 8388608 _PyEval_EvalFrameDefault
expect_rc "python3.11, default: exit 0" 0
# the walker is verified after the first samples are out, not before
expect_grep "python3.11, default: the walker loaded after start" "$ERR" "in-kernel stack walker loaded"
expect_eq "python3.11, default: stats().unwind.kernel.mode" "$(val k.mode "$OUT")" on "$OUT"
n=$(val samples "$OUT")
expect_pct_ge "python3.11, default: >= 90% of samples walked to the end in BPF" "$(val k.complete "$OUT")" "$n" 90 "$OUT"
expect_pct_ge "python3.11, default: >= 95% of stacks complete (stats().unwind)" "$(val complete "$OUT")" "$(val stacks "$OUT")" 95 "$OUT"
expect_gt "python3.11, default: its first samples fell back to the copy" "$(val k.fallbacks.no_proc "$OUT")" 0 "$OUT"
expect_gt "python3.11, default: its tables were loaded" "$(val k.proc_loads "$OUT")" 0 "$OUT"
expect_pct_ge "python3.11, default: >= 95% of stacks whole" "$(val whole "$OUT")" "$n" 95 "$OUT"
expect_eq "python3.11, default: nothing failed to load" "$(val k.failed "$OUT")" 0 "$OUT"

# --- the bound: 50 distinct binaries, room for two python3.11 tables ---
mkdir -p "$TMP/py"
for i in $(seq 1 50); do cp "$PY" "$TMP/py/python$i"; done
printf 'for i in $(seq 1 50); do "%s/py/python$i" "%s/loop.py" 0.15; done\n' "$TMP" "$TMP" >"$TMP/many.sh"
budget=$((2 * 1024 * 1024))
RUN_TIMEOUT=90
run_profrun --no-lines -c "sh $TMP/many.sh" "$TMP/k.lua" "$budget" _PyEval_EvalFrameDefault
expect_rc "50 binaries: exit 0" 0
rows=$(val k.rows "$OUT")
expect_eq "50 binaries: the row budget is kernel_tables / 8" "$(val k.row_budget "$OUT")" $((budget / 8)) "$OUT"
if _is_int "$rows" && [ "$rows" -le $((budget / 8)) ]; then
	pass "50 binaries: rows loaded within the budget ($rows <= $((budget / 8)))"
else
	fail "50 binaries: rows loaded within the budget" "rows=$rows" "$OUT"
fi
expect_gt "50 binaries: binaries were evicted" "$(val k.evictions "$OUT")" 20 "$OUT"
expect_gt "50 binaries: and loaded" "$(val k.loads "$OUT")" 50 "$OUT"
n=$(val samples "$OUT")
expect_ge "50 binaries: samples" "$n" 1000 "$OUT"
# complete: reached the outermost frame (stats().unwind, BPF or the copy);
# whole also needs the interpreter loop on the stack, which sh's samples
# and python's start-up ones do not have (~10% of this run's)
expect_pct_ge "50 binaries: >= 95% of stacks complete (BPF or the copy)" "$(val complete "$OUT")" "$(val stacks "$OUT")" 95 "$OUT"
expect_pct_ge "50 binaries: >= 80% of stacks _start.._PyEval_EvalFrameDefault" "$(val whole "$OUT")" "$n" 80 "$OUT"

finish
