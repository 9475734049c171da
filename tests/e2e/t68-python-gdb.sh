#!/bin/bash
# An independent reader of the same interpreter: gdb with python3.11-dbg's
# py-bt, on the process stopped after profrun sampled it. For each thread
# that burns CPU, the Python function chain profrun put in its samples
# (root to leaf, with the callers' lines) is the one py-bt prints for that
# thread (innermost first), reversed.
. "$(dirname "$0")/lib.sh"
require_bpf

PY=/usr/bin/python3.11
FIX=$ROOT/tests/fixtures/python
[ -x "$PY" ] || skip_all "$PY missing (scripts/install-deps installs python3.11)"
command -v gdb >/dev/null || skip_all "gdb missing (scripts/install-deps installs it)"
GDBPY=/usr/share/gdb/auto-load/usr/bin/python3.11-gdb.py
[ -r "$GDBPY" ] || skip_all "$GDBPY missing (scripts/install-deps installs python3.11-dbg)"
RUN_TIMEOUT=60

# per thread: the chain most of its samples show (tid|fn:line;fn:line...)
cat >"$TMP/chains.lua" <<'EOF'
sample { hz = 499 }
local by = {} -- tid -> stack id -> samples
function on_sample(s)
  local t = by[s.tid] or {}
  by[s.tid] = t
  t[s.stack] = (t[s.stack] or 0) + 1
end
function on_end()
  for tid, stacks in pairs(by) do
    local seen = {}
    for id, n in pairs(stacks) do
      local parts = {}
      local fr = stack(id)
      for i = #fr, 1, -1 do
        if fr[i].kind == "python" then parts[#parts + 1] = fr[i].name .. ":" .. fr[i].line end
      end
      local c = table.concat(parts, ";")
      seen[c] = (seen[c] or 0) + n
    end
    -- a chain's callers are fixed while its leaf line moves: count by
    -- the chain without the leaf's line
    local best, bn = nil, 0
    for c, n in pairs(seen) do if n > bn and c ~= "" then best, bn = c, n end end
    if best then print(tid .. "|" .. best) end
  end
end
EOF

# py-bt of every thread: tid|fn:line;... root first
gdb_chains() { # PID
	timeout 60 gdb -batch -nx -p "$1" -ex "source $GDBPY" -ex 'thread apply all py-bt' 2>/dev/null |
		python3 -c '
import re, sys
tid, frames, out = None, [], []
def flush():
    if tid and frames:
        out.append("%s|%s" % (tid, ";".join(reversed(frames))))
for l in sys.stdin:
    m = re.match(r"Thread \d+ \(.*LWP (\d+)\)", l)
    if m:
        flush(); tid, frames = m.group(1), []
        continue
    m = re.match(r"\s+File \"[^\"]*\", line (\d+), in (.*)", l)
    if m:
        frames.append("%s:%s" % (m.group(2).strip(), m.group(1)))
flush()
print("\n".join(out))'
}

# without the leaf's line, which moves between samples and the stop
strip_leaf_line() { sed -E 's/:[0-9]+$//'; }

compare() { # NAME PID
	local name=$1 pid=$2
	run_profrun -d 2 -p "$pid" "$TMP/chains.lua"
	expect_rc "$name: profrun exit 0" 0
	kill -STOP "$pid"
	gdb_chains "$pid" >"$TMP/$name.gdb"
	kill -CONT "$pid"
	sort "$OUT" | strip_leaf_line >"$TMP/$name.pr"
	# py-bt names functions, not qualified names: compare the last part
	sort "$TMP/$name.gdb" | strip_leaf_line >"$TMP/$name.gdbs"
	sed -E 's/[^;|:]*\.([^;.:]*:)/\1/g' "$TMP/$name.pr" >"$TMP/$name.prs"
	if [ -s "$TMP/$name.gdbs" ] && [ -s "$TMP/$name.prs" ]; then
		pass "$name: both readers found chains"
	else
		fail "$name: both readers found chains" "empty" "$TMP/$name.gdbs" "$TMP/$name.prs" "$ERR"
		return
	fi
	# every thread gdb shows running Python code: profrun shows the same
	local missing
	missing=$(comm -23 "$TMP/$name.gdbs" "$TMP/$name.prs" | grep -v "|.*wait" || true)
	if [ -z "$missing" ]; then
		pass "$name: profrun's chains are gdb's py-bt (callers' lines too)"
	else
		fail "$name: profrun's chains are gdb's py-bt" "gdb saw: $missing" \
			"$TMP/$name.gdbs" "$TMP/$name.prs"
	fi
}

"$PY" "$FIX/spin.py" >"$TMP/spin.out" 2>&1 &
SPIN=$!
track_pid "$SPIN"
for ((i = 0; i < 100; i++)); do grep -q ready "$TMP/spin.out" && break; sleep 0.1; done
compare spin "$SPIN"
expect_grep "spin: the chain is outer;middle;inner" "$TMP/spin.prs" \
	"^$SPIN\|<module>:[0-9]+;outer:[0-9]+;middle:[0-9]+;inner$"
kill -9 "$SPIN" 2>/dev/null
wait "$SPIN" 2>/dev/null

"$PY" "$FIX/threads.py" 30 >"$TMP/thr.out" 2>&1 &
THR=$!
track_pid "$THR"
sleep 1
compare threads "$THR"
expect_eq "threads: two spinning threads compared" \
	"$(grep -c "_spin$" "$TMP/threads.gdbs")" 2 "$TMP/threads.gdbs"
kill -9 "$THR" 2>/dev/null
wait "$THR" 2>/dev/null

finish
