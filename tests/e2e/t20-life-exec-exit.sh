#!/bin/bash
# Exec and exit events: every exec and exit of a known process tree is
# seen, with the right exit codes and signals; the snoop examples print
# them.
#
# `exiter -f N CODE` re-execs itself through /proc/self/exe, so its
# children's comm is "exe" and their filename "/proc/self/exe": they are
# counted by ancestry (pid or ppid is the -c command), not by name.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures exiter

RUN_TIMEOUT=60
EXITER=$FIXTURES/exiter
N=300

cat >"$TMP/tree.lua" <<'EOF'
lifecycle{ buffer = 4 * 1024 * 1024 }
local execs = { parent = 0, child = 0 }
local exits = { parent = 0, child = 0 }
local codes = {}
local parent_comm, parent_file = "", ""
local child_names_ok, child_signals = 0, 0
local function who(e)
  local tp = target_pid()
  if e.pid == tp then return "parent" end
  if e.ppid == tp then return "child" end
end
function on_exec(e)
  local w = who(e)
  if not w then return end
  execs[w] = execs[w] + 1
  if w == "parent" then
    parent_comm, parent_file = e.comm, e.filename
  elseif (e.comm == "exe" or e.comm == "exiter")
      and (e.filename == "/proc/self/exe" or e.filename:match("exiter$")) then
    child_names_ok = child_names_ok + 1
  end
end
function on_exit(e)
  local w = who(e)
  if not w then return end
  exits[w] = exits[w] + 1
  local k = w .. "_" .. e.exit_code
  codes[k] = (codes[k] or 0) + 1
  if e.signal ~= 0 then child_signals = child_signals + 1 end
end
function on_end()
  local st = stats()
  print("parent_execs=" .. execs.parent)
  print("child_execs=" .. execs.child)
  print("parent_exits=" .. exits.parent)
  print("child_exits=" .. exits.child)
  print("parent_code0=" .. (codes.parent_0 or 0))
  print("child_code7=" .. (codes.child_7 or 0))
  print("signals=" .. child_signals)
  print("parent_comm=" .. parent_comm)
  print("parent_file=" .. parent_file)
  print("child_names_ok=" .. child_names_ok)
  print("exec_dropped=" .. st.exec.dropped)
  print("exit_dropped=" .. st.exit.dropped)
end
EOF

run_profrun -c "$EXITER -f $N 7" "$TMP/tree.lua"
expect_rc "exec/exit tree: exit 0" 0
expect_eq "exec/exit tree: no exec event lost" "$(val exec_dropped "$OUT")" 0 "$OUT" "$ERR"
expect_eq "exec/exit tree: no exit event lost" "$(val exit_dropped "$OUT")" 0 "$OUT"
expect_eq "exec: the -c command's own exec" "$(val parent_execs "$OUT")" 1 "$OUT"
expect_eq "exec: one per child ($N)" "$(val child_execs "$OUT")" $N "$OUT"
expect_eq "exec: $((N + 1)) in all" \
	"$(($(val parent_execs "$OUT") + $(val child_execs "$OUT")))" $((N + 1))
expect_eq "exec: the command's comm is exiter" "$(val parent_comm "$OUT")" exiter "$OUT"
expect_grep "exec: the command's filename ends with exiter" "$OUT" '^parent_file=.*exiter$'
expect_eq "exec: children's comm and filename" "$(val child_names_ok "$OUT")" $N "$OUT"
expect_eq "exit: one per child ($N)" "$(val child_exits "$OUT")" $N "$OUT"
expect_eq "exit: children exited with code 7" "$(val child_code7 "$OUT")" $N "$OUT"
expect_eq "exit: the command exited once" "$(val parent_exits "$OUT")" 1 "$OUT"
expect_eq "exit: the command exited with code 0" "$(val parent_code0 "$OUT")" 1 "$OUT"
expect_eq "exit: no signals" "$(val signals "$OUT")" 0 "$OUT"

# ---- examples/exitsnoop.lua ----
run_profrun -c "$EXITER -s 9" "$EXAMPLES/exitsnoop.lua"
expect_rc "exitsnoop, exiter -s 9: exit 0" 0
expect_grep "exitsnoop: header" "$OUT" '^COMM +PID +PPID +LIFETIME\(ms\) +EXIT'
expect_grep "exitsnoop: signal 9" "$OUT" '^exiter .* signal 9 \(KILL\) +.*exiter -s 9$'

run_profrun -c "$EXITER -s 15" "$EXAMPLES/exitsnoop.lua"
expect_grep "exitsnoop: signal 15" "$OUT" '^exiter .* signal 15 \(TERM\) +.*exiter -s 15$'

run_profrun -c "$EXITER 3" "$EXAMPLES/exitsnoop.lua"
expect_rc "exitsnoop, exiter 3: exit 0" 0
expect_grep "exitsnoop: code 3" "$OUT" '^exiter .* code 3 +.*exiter 3$'

# ---- examples/execsnoop.lua ----
name=e2eexec$$
ln -s "$(type -P true)" "$TMP/$name"
run_profrun -c "$TMP/$name" "$EXAMPLES/execsnoop.lua"
expect_rc "execsnoop: exit 0" 0
expect_grep "execsnoop: header" "$OUT" '^COMM +PID +PPID +UID +FILENAME'
expect_eq "execsnoop: first field is the comm" \
	"$(awk -v n="$name" '$1 == n { print $1; exit }' "$OUT")" "$name" "$OUT"
expect_grep "execsnoop: line ends with the filename" "$OUT" "^$name .* $TMP/$name\$"

finish
