#!/bin/bash
# Forks walked in the kernel before their own tables are loaded (issue
# 15): a process without an entry that is a fork of one with an entry
# (and has not exec'd since) is walked with its parent's, and BPF places
# those frames itself, (table, file offset), since the child may be gone
# before the runtime could read its maps.
#  - verify mode: BPF's placed frames are the frames user space finds in
#    the same copies (children alive long enough for their maps to be
#    read): no mismatch, and some of the verified walks were such walks;
#  - default mode: children that live ~20 ms each have whole stacks
#    (_start .. the interpreter loop) named from the placed frames, and
#    unwind.kernel.borrowed counts the walks.
. "$(dirname "$0")/lib.sh"
require_bpf
PY=/usr/bin/python3.11
[ -x "$PY" ] || skip_all "needs $PY (Debian's python3.11 package)"

RUN_TIMEOUT=60
# the parent spins first (its entry gets loaded), then forks children
# that spin for CHILD_S seconds each and leave with os._exit
cat >"$TMP/forks.py" <<'PYEOF'
import os, sys, time
def leaf(n):
    x = 0
    for i in range(n):
        x += i * i % 7
    return x
def spin(secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        leaf(2000)
children, child_s = int(sys.argv[1]), float(sys.argv[2])
spin(0.3)
for _ in range(children):
    pid = os.fork()
    if pid == 0:
        spin(child_s)
        os._exit(0)
    os.waitpid(pid, 0)
PYEOF

cat >"$TMP/f.lua" <<'LUAEOF'
sample { kernel = false, hz = 999, python = false }
local parent = target_pid()
local n, whole = 0, 0
function on_sample(s)
  if s.pid == parent then return end
  n = n + 1
  local f = s:folded()
  if (f:find(";_start;", 1, true) or f:find("^_start;")) and
     f:find("_PyEval_EvalFrameDefault", 1, true) then
    whole = whole + 1
  end
end
function on_end()
  local k = stats().unwind.kernel
  print("child_samples=" .. n)
  print("child_whole=" .. whole)
  print("borrowed=" .. k.borrowed)
  print("verified=" .. k.verified)
  print("mismatched=" .. k.mismatched)
  print("complete=" .. k.complete)
end
LUAEOF

# --- verify: the placed frames are user space's frames ---
run_profrun --no-lines --kernel-unwind verify -c "$PY $TMP/forks.py 20 0.1" "$TMP/f.lua"
expect_rc "verify: exit 0" 0
n=$(val child_samples "$OUT")
expect_ge "verify: children sampled" "$n" 500 "$OUT"
expect_gt "verify: children walked with their parent's tables" "$(val borrowed "$OUT")" 0 "$OUT"
expect_gt "verify: samples walked by both" "$(val verified "$OUT")" 0 "$OUT"
expect_eq "verify: no sample where they differ" "$(val mismatched "$OUT")" 0 "$OUT"
expect_no_grep "verify: no mismatch reported" "$ERR" "differs"

# --- default: short children, whole stacks named from placed frames ---
run_profrun --no-lines -c "$PY $TMP/forks.py 60 0.02" "$TMP/f.lua"
expect_rc "default: exit 0" 0
n=$(val child_samples "$OUT")
expect_ge "default: children sampled" "$n" 500 "$OUT"
expect_gt "default: children walked with their parent's tables" "$(val borrowed "$OUT")" 0 "$OUT"
expect_pct_ge "default: >= 90% of the children's stacks whole (_start.._PyEval_EvalFrameDefault)" \
	"$(val child_whole "$OUT")" "$n" 90 "$OUT"

finish
