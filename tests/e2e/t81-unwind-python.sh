#!/bin/bash
# A real interpreter built the distribution's way: Debian's
# /usr/bin/python3.11 (libpython linked in statically, -O2, no frame
# pointers) running a pure-Python loop. With the default unwinder, at least
# 90% of its samples go from _start (in /usr/bin/python3.11) through
# __libc_start_main to _PyEval_EvalFrameDefault; with unwind="fp" fewer
# than half do, so the passes come from .eh_frame.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-unwind.sh"
require_bpf
PY=/usr/bin/python3.11
[ -x "$PY" ] || skip_all "needs $PY (Debian's python3.11 package)"

RUN_TIMEOUT=30
cat >"$TMP/loop.py" <<'PYEOF'
import sys, time

def work(n):
    s = 0
    for i in range(n):
        s += i * i % 7
    return s

end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    work(20000)
PYEOF

M='python3\.11'
EVAL="(^|;)_PyEval_EvalFrameDefault@$M(;|$)"
FULL="^_start@$M;__libc_start_main[^;]*@libc\\.so\\.6;(.*;)?_PyEval_EvalFrameDefault@$M(;|$)"

uw_profile "$PY $TMP/loop.py 3" default
uw_expect_profiled "python3.11"
uw_expect_share "python3.11: >= 90% of samples go _start;__libc_start_main;..;_PyEval_EvalFrameDefault" \
	"$OUT" "$FULL" "" 90
uw_expect_share "python3.11: >= 90% of samples have _PyEval_EvalFrameDefault" "$OUT" "$EVAL" "" 90

uw_profile "$PY $TMP/loop.py 1" fp
uw_expect_profiled "python3.11, unwind=fp"
uw_expect_share_below "python3.11, unwind=fp: the full stack on < 50% of samples" \
	"$OUT" "$FULL" "" 50

finish
