#!/bin/bash
# Python frames in CPU samples of Debian's python3.11 (no frame pointers,
# stripped): each run of _PyEval_EvalFrameDefault is replaced by the
# Python functions it ran, with their files and lines.
#
#   - a -> b -> c and d -> e burning 2:1: >= 95% of the samples show one
#     of the two chains, under <module> and main, with the right files
#     and lines (from the fixture's source), split 2:1 +- 15%;
#   - 200-deep recursion: the chain holds exactly the bound's rec frames
#     then the cut marker, never an invented frame;
#   - threads: each thread's samples show its own chain only;
#   - a script that lives 50 ms: its functions are named;
#   - zlib.compress in a loop: the C code (zlib_compress, deflate) sits on
#     top of compress_loop;
#   - -p of a running interpreter, and one in its own pid and mount
#     namespaces (its thread ids differ from the host's);
#   - sample{python=false}: interpreter frames only;
#   - a probe's stack (u:libc:write, stack = true): the Python caller
#     under os.write's C code;
#   - an interpreter of a version profrun has no offsets for (a program
#     exporting _PyRuntime and Py_Version = 3.12): said once, never read;
#   - hostile names (a code object renamed to hold ";", a newline, a
#     control byte): folded lines stay one frame per name, JSON parses and
#     gives the bytes back.
. "$(dirname "$0")/lib.sh"
require_bpf

PY=/usr/bin/python3.11
[ -x "$PY" ] || skip_all "$PY missing (scripts/install-deps installs python3.11)"
FIX=$ROOT/tests/fixtures/python
RUN_TIMEOUT=60

# One line per sample of a python3.11 thread: "S tid chain", the user
# frames root first: P:function:file:line, CUT, or N:native-name.
cat >"$TMP/dump.lua" <<'EOF'
local opts = { hz = 499 }
if arg[1] == "nopython" then opts.python = false end
sample(opts)
-- stacks are kept by id and named at the end, as profile scripts do
local tids, ids = {}, {}
function on_sample(s)
  if s.comm ~= "python3.11" then return end
  tids[#tids + 1] = s.tid
  ids[#ids + 1] = s.stack
end
local function chain(id)
  local fr, parts = stack(id), {}
  for i = #fr, 1, -1 do
    local f = fr[i]
    if f.kind == "python" then
      parts[#parts + 1] = string.format("P:%s:%s:%d", f.name, (f.file or "?"):match("[^/]*$"),
        f.line or 0)
    elseif f.kind == "cut" then
      parts[#parts + 1] = "CUT"
    elseif not f.kernel then
      parts[#parts + 1] = "N:" .. (f.name or "?")
    end
  end
  return table.concat(parts, ";")
end
function on_end()
  for i = 1, #ids do print("S " .. tids[i] .. " " .. (ids[i] ~= 0 and chain(ids[i]) or "")) end
  local p = stats().python
  print("processes=" .. p.processes .. " frames=" .. p.frames .. " unnamed=" .. p.unnamed)
end
EOF

# the chains' lines, from the source itself
line_of() { grep -n -- "$2" "$FIX/$1" | head -n 1 | cut -d: -f1; }

# 1. nested 2:1, with files and lines
run_profrun -c "$PY $FIX/nested.py 3" "$TMP/dump.lua"
expect_rc "nested: exit 0" 0
A=$(line_of nested.py "return b(n)") B=$(line_of nested.py "return c(n)")
C=$(line_of nested.py "x += i \* i") D=$(line_of nested.py "return e(n)")
MA=$(line_of nested.py "a(20000 // k)") MD=$(line_of nested.py "d(10000 // k)") MOD=$(line_of nested.py "^main()")
python3 - "$OUT" "$A" "$B" "$C" "$D" "$MA" "$MD" "$MOD" >"$TMP/nested.txt" <<'EOF'
import re, sys
out, A, B, C, D, MA, MD, MOD = sys.argv[1:]
total = abc = de = exact = 0
for l in open(out):
    if not l.startswith("S "):
        continue
    total += 1
    py = [p.split(":") for p in l.split()[2].split(";") if p.startswith("P:")]
    names = [p[1] for p in py]
    if names[:5] == ["<module>", "main", "a", "b", "c"]:
        abc += 1
        # c's line: the loop (for) or its body; the callers' exact
        exact += [p[3] for p in py[:4]] == [MOD, MA, A, B] and all(p[2] == "nested.py" for p in py)
    elif names[:4] == ["<module>", "main", "d", "e"]:
        de += 1
        exact += [p[3] for p in py[:3]] == [MOD, MD, D] and all(p[2] == "nested.py" for p in py)
print("total=%d" % total)
print("chains_pct=%d" % (100 * (abc + de) // max(total, 1)))
print("lines_pct=%d" % (100 * exact // max(abc + de, 1)))
print("ratio_x100=%d" % (100 * abc // max(de, 1)))
EOF
expect_ge "nested: samples taken" "$(val total "$TMP/nested.txt")" 500 "$TMP/nested.txt" "$OUT"
expect_ge "nested: >= 95% show a;b;c or d;e under <module>;main" \
	"$(val chains_pct "$TMP/nested.txt")" 95 "$TMP/nested.txt" "$OUT"
expect_ge "nested: >= 95% of those have the callers' files and lines" \
	"$(val lines_pct "$TMP/nested.txt")" 95 "$TMP/nested.txt" "$OUT"
R=$(val ratio_x100 "$TMP/nested.txt")
if [ "${R:-0}" -ge 170 ] && [ "$R" -le 230 ]; then
	pass "nested: a;b;c : d;e is 2:1 +- 15% (${R}/100)"
else
	fail "nested: a;b;c : d;e is 2:1 +- 15%" "ratio x100 = $R" "$TMP/nested.txt"
fi
# the burning frame's line is inside c (its loop or its body)
expect_grep "nested: c's line is its loop's" "$OUT" "P:c:nested.py:$C"
expect_no_grep "nested: no interpreter loop frame stands in a Python chain" "$OUT" \
	"P:main[^ ]*;N:_PyEval_EvalFrameDefault"

# 2. recursion past the bound: exactly PR_PY_MAX_FRAMES rec frames, then the marker
run_profrun -c "$PY $FIX/recurse.py 200 2" "$TMP/dump.lua"
expect_rc "recursion: exit 0" 0
python3 - "$OUT" >"$TMP/rec.txt" <<'EOF'
import sys
deep = good = invented = 0
for l in open(sys.argv[1]):
    if not l.startswith("S ") or "P:rec:" not in l:
        continue
    parts = l.split()[2].split(";")
    if "CUT" not in parts:
        continue
    deep += 1
    i = parts.index("CUT")
    py = [p for p in parts if p.startswith("P:")]
    # root first: the marker, then the 128 innermost frames, all rec
    leafward = [p for p in parts[i + 1:] if p.startswith("P:")]
    invented += any(p.split(":")[1] != "rec" for p in leafward)
    good += len(leafward) == 128 and len(py) == 128
print("deep=%d" % deep)
print("good=%d" % good)
print("invented=%d" % invented)
EOF
expect_ge "recursion: samples at depth 200 end in the cut marker" "$(val deep "$TMP/rec.txt")" 100 \
	"$TMP/rec.txt" "$OUT"
expect_eq "recursion: each holds exactly 128 rec frames" "$(val good "$TMP/rec.txt")" \
	"$(val deep "$TMP/rec.txt")" "$TMP/rec.txt"
expect_eq "recursion: no frame other than rec past the marker" "$(val invented "$TMP/rec.txt")" 0 \
	"$TMP/rec.txt"
# a chain under the bound is whole: no marker, <module> at its root
run_profrun -c "$PY $FIX/recurse.py 50 1" "$TMP/dump.lua"
expect_no_grep "recursion 50: no marker" "$OUT" "CUT"
expect_grep "recursion 50: the whole chain" "$OUT" "P:<module>:recurse.py:[0-9]+;(P:rec:recurse.py:[0-9]+;){49}P:rec:"

# 3. threads: each thread's own chain
run_profrun -c "$PY $FIX/threads.py 2" "$TMP/dump.lua"
expect_rc "threads: exit 0" 0
python3 - "$OUT" >"$TMP/thr.txt" <<'EOF'
import collections, sys
chains = collections.defaultdict(collections.Counter)
for l in open(sys.argv[1]):
    if not l.startswith("S "):
        continue
    _, tid, chain = l.split(" ", 2)
    names = [p.split(":")[1] for p in chain.split(";") if p.startswith("P:")]
    key = "alpha" if "alpha_spin" in names else "beta" if "beta_spin" in names else "other"
    if key != "other":
        ok = names[-2:] == [key + "_outer", key + "_spin"] and "Thread.run" in names
        chains[tid][key if ok else "bad"] += 1
alpha = [t for t, c in chains.items() if c["alpha"]]
beta = [t for t, c in chains.items() if c["beta"]]
print("alpha_threads=%d" % len(alpha))
print("beta_threads=%d" % len(beta))
print("mixed=%d" % sum(1 for c in chains.values() if c["alpha"] and c["beta"]))
print("bad=%d" % sum(c["bad"] for c in chains.values()))
print("alpha_samples=%d" % sum(chains[t]["alpha"] for t in alpha))
print("beta_samples=%d" % sum(chains[t]["beta"] for t in beta))
EOF
expect_eq "threads: alpha's chain in one thread" "$(val alpha_threads "$TMP/thr.txt")" 1 "$TMP/thr.txt"
expect_eq "threads: beta's chain in another" "$(val beta_threads "$TMP/thr.txt")" 1 "$TMP/thr.txt"
expect_eq "threads: no thread shows the other's chain" "$(val mixed "$TMP/thr.txt")" 0 "$TMP/thr.txt"
expect_eq "threads: every chain is threading's run -> outer -> spin" "$(val bad "$TMP/thr.txt")" 0 \
	"$TMP/thr.txt"
expect_ge "threads: alpha sampled" "$(val alpha_samples "$TMP/thr.txt")" 200 "$TMP/thr.txt"
expect_ge "threads: beta sampled" "$(val beta_samples "$TMP/thr.txt")" 200 "$TMP/thr.txt"

# 4. a 50 ms script, started once profrun runs (as on a host it watches)
run_profrun -c "sleep 0.5; $PY $FIX/short.py" "$TMP/dump.lua"
expect_rc "50 ms: exit 0" 0
N=$(grep -c "P:short_outer:short.py:[0-9]*;P:short_burn:short.py" "$OUT")
expect_ge "50 ms: its functions are named (samples with short_outer;short_burn)" "$N" 5 "$OUT" "$ERR"

# 5. C code called from Python
run_profrun -c "$PY $FIX/compress.py 2" "$TMP/dump.lua"
expect_rc "zlib: exit 0" 0
python3 - "$OUT" >"$TMP/zlib.txt" <<'EOF'
import sys
total = mixed = 0
for l in open(sys.argv[1]):
    if not l.startswith("S ") or "P:compress_loop:" not in l:
        continue
    total += 1
    parts = l.split()[2].split(";")
    i = max(i for i, p in enumerate(parts) if p.startswith("P:"))
    above = [p for p in parts[i + 1:]]
    # leafward of compress_loop: native only, zlib's C code among them
    mixed += parts[i].startswith("P:compress_loop:") and "N:deflate" in above and \
        any(p.startswith("N:zlib_compress") for p in above)
print("total=%d" % total)
print("mixed_pct=%d" % (100 * mixed // max(total, 1)))
EOF
expect_ge "zlib: samples in compress_loop" "$(val total "$TMP/zlib.txt")" 300 "$TMP/zlib.txt"
expect_ge "zlib: most show deflate <- zlib_compress <- compress_loop" \
	"$(val mixed_pct "$TMP/zlib.txt")" 60 "$TMP/zlib.txt" "$OUT"

# 6. -p of a running interpreter, and one in its own pid + mount namespaces
start_bg "$PY" "$FIX/nested.py" 20
TARGET=$WL_PID
sleep 0.3
run_profrun -d 2 -p "$TARGET" "$TMP/dump.lua"
expect_rc "-p: exit 0" 0
expect_grep "-p: a running interpreter's chain" "$OUT" "P:main:nested.py:[0-9]+;P:a:nested.py:[0-9]+;P:b:nested.py:[0-9]+;P:c:"
kill "$TARGET" 2>/dev/null
if unshare --pid --mount --fork --mount-proc true 2>/dev/null; then
	start_bg unshare --pid --mount --fork --mount-proc "$PY" "$FIX/nested.py" 20
	UNS=$WL_PID
	sleep 0.5
	NSPY=$(cat "/proc/$UNS/task/$UNS/children" 2>/dev/null)
	NSPY=${NSPY%% *}
	track_pid "$NSPY"
	grep -q "^NSpid:.*[[:space:]]1$" "/proc/$NSPY/status" && pass "namespace: python is pid 1 inside" ||
		fail "namespace: python is pid 1 inside" "$(grep NSpid "/proc/$NSPY/status")"
	run_profrun -d 2 -p "$NSPY" "$TMP/dump.lua"
	expect_grep "namespace: its chain" "$OUT" "P:main:nested.py:[0-9]+;P:(a|d):nested.py:[0-9]+;P:(b|e):"
	kill "$UNS" "$NSPY" 2>/dev/null
else
	fail "namespace: unshare --pid --mount works here" "unshare failed"
fi

# 7. off: the interpreter's frames as they are
run_profrun -c "$PY $FIX/nested.py 1" "$TMP/dump.lua" nopython
expect_rc "python=false: exit 0" 0
expect_no_grep "python=false: no Python frame" "$OUT" "P:"
expect_grep "python=false: the eval loop's frames" "$OUT" "N:_PyEval_EvalFrameDefault"

# 8. a probe's stack: the Python functions that called write()
cat >"$TMP/probe.lua" <<'EOF'
local hits, chained = 0, 0
probe("u:libc:write", { stack = true }, function(e)
  if e.comm ~= "python3.11" then return end
  hits = hits + 1
  local fr, names = e:frames(), {}
  for i = #fr, 1, -1 do
    if fr[i].kind == "python" then names[#names + 1] = fr[i].name end
  end
  -- leaf first: write, os_write's C code, then emit <- loop <- <module>
  if table.concat(names, ";") == "<module>;loop;emit" and fr[1].name == "write" then
    chained = chained + 1
  end
end)
function on_end() print("hits=" .. hits) print("chained=" .. chained) end
EOF
run_profrun -c "sleep 0.3; $PY $FIX/writes.py >/dev/null" "$TMP/probe.lua"
expect_rc "probe: exit 0" 0
expect_eq "probe: every write hit" "$(val hits "$OUT")" 50 "$OUT" "$ERR"
# the first hit asks which interpreter this is: its stack has C frames only
expect_ge "probe: write <- os_write <- emit <- loop <- <module>" "$(val chained "$OUT")" 49 "$OUT"

# 9. a version without offsets: stated once, native frames only
cat >"$TMP/fakepy.c" <<'EOF'
#include <stdlib.h>
#include <time.h>
/* what profrun looks for in an interpreter: 3.12.1 final */
const unsigned long Py_Version = 0x030c01f0;
volatile char _PyRuntime[4096];
void _PyEval_EvalFrameDefault(void) {}
int main(int argc, char **argv)
{
	time_t end = time(NULL) + (argc > 1 ? atoi(argv[1]) : 2);
	volatile unsigned long x = 0;

	while (time(NULL) < end)
		x++;
	return 0;
}
EOF
cc -O1 -rdynamic -o "$TMP/python3.12" "$TMP/fakepy.c"
cat >"$TMP/versions.lua" <<'EOF'
sample { hz = 499 }
local n = 0
function on_sample(s) if s.comm == "python3.12" then n = n + 1 end end
function on_end()
  local p = stats().python
  print("samples=" .. n) print("unsupported=" .. p.unsupported)
  print("processes=" .. p.processes) print("frames=" .. p.frames)
end
EOF
run_profrun -c "$TMP/python3.12 2 & $TMP/python3.12 2; wait" "$TMP/versions.lua"
expect_rc "3.12: exit 0" 0
expect_ge "3.12: sampled" "$(val samples "$OUT")" 100 "$OUT"
expect_eq "3.12: both processes found unsupported" "$(val unsupported "$OUT")" 2 "$OUT"
expect_eq "3.12: none read" "$(val processes "$OUT")" 0 "$OUT"
expect_eq "3.12: no Python frame invented" "$(val frames "$OUT")" 0 "$OUT"
expect_eq "3.12: said once" "$(grep -c "python 3.12 .*native frames only" "$ERR")" 1 "$ERR"

# 10. hostile names, folded and JSON
cat >"$TMP/hostile.lua" <<'EOF'
sample { hz = 499 }
local json = require "profrun.json"
local folded, js = {}, nil
function on_sample(s)
  if s.comm ~= "python3.11" then return end
  local f = s:folded()
  folded[f] = (folded[f] or 0) + 1
  if not js then
    for _, fr in ipairs(s:frames()) do
      if fr.kind == "python" and fr.name:find("\1", 1, true) then js = json.encode(fr) end
    end
  end
end
function on_end()
  for f, n in pairs(folded) do print(n .. " " .. f) end
  print("JSON " .. tostring(js))
end
EOF
run_profrun -c "$PY $FIX/hostile.py 1" "$TMP/hostile.lua"
expect_rc "hostile: exit 0" 0
# every output line is "COUNT comm;...", or the JSON line: no name split a line
expect_eq "hostile: no line was split by a name" 	"$(grep -cvE '^([0-9]+ python3.11;|JSON )' "$OUT")" 0 "$OUT"
expect_grep "hostile: the name is escaped in its one frame" "$OUT" 	';évil\\x3bq\\nuali\\x01fied \(bad\\x3bfile\\n.py:[0-9]+\)(;|$)'
sed -n 's/^JSON //p' "$OUT" >"$TMP/frame.json"
python3 - "$TMP/frame.json" >"$TMP/json.txt" <<'EOF'
import json, sys
f = json.load(open(sys.argv[1]))
print("kind=%s" % f["kind"])
print("name_ok=%s" % (f["name"] == "\u00e9vil;q\nuali\x01fied"))
print("file_ok=%s" % (f["file"] == "/tmp/bad;file\n.py"))
print("line_int=%s" % isinstance(f["line"], int))
EOF
expect_eq "hostile: JSON frame kind" "$(val kind "$TMP/json.txt")" python "$TMP/frame.json"
expect_eq "hostile: JSON gives the name's bytes back" "$(val name_ok "$TMP/json.txt")" True \
	"$TMP/frame.json"
expect_eq "hostile: JSON gives the file's bytes back" "$(val file_ok "$TMP/json.txt")" True \
	"$TMP/frame.json"
expect_eq "hostile: JSON line is a number" "$(val line_int "$TMP/json.txt")" True "$TMP/frame.json"

finish
