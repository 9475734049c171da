#!/bin/bash
# proc() is never empty for short-lived processes: `exiter -f N CODE` runs N
# children one after the other, each living about a millisecond. In on_exit,
# proc(e.pid) of every child (all N, not most) still has its exe (the
# exiter binary) and its cmdline ("exiter CODE"), from what the exec event
# carried; on_exec sees the right e.argv and e.cmdline.
#
# The children exec the resolved path of exiter with argv "exiter CODE";
# they are picked out by ancestry (ppid is the -c command).
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures exiter

RUN_TIMEOUT=60
EXITER=$FIXTURES/exiter
N=200
CODE=42

cat >"$TMP/short.lua" <<'EOF'
lifecycle{ buffer = 4 * 1024 * 1024 }
local format = string.format
local CODE = arg[1]
local execs, exec_ok, exits, exit_ok, exited_ok = 0, 0, 0, 0, 0
local bad = {}
local function note(s)
  if #bad < 8 then bad[#bad + 1] = s end
end
local function is_child(e)
  local tp = target_pid()
  return tp and e.ppid == tp and e.pid ~= tp
end
function on_exec(e)
  if not is_child(e) then return end
  execs = execs + 1
  local argv, cmdline = e.argv, e.cmdline
  if #argv == 2 and argv[1] == "exiter" and argv[2] == CODE
      and cmdline == "exiter " .. CODE then
    exec_ok = exec_ok + 1
  else
    note(format("exec pid=%d argv=[%s] cmdline=%q", e.pid, table.concat(argv, ","), cmdline))
  end
end
function on_exit(e)
  if not is_child(e) then return end
  exits = exits + 1
  local p = proc(e.pid)
  if not p then
    note(format("exit pid=%d: proc() is nil", e.pid))
    return
  end
  local exe, cmdline, argv = p.exe, p.cmdline, p.argv
  if p.pid == e.pid and exe and exe:match("/exiter$") and cmdline
      and cmdline:find(CODE, 1, true) and argv and argv[2] == CODE then
    exit_ok = exit_ok + 1
  else
    note(format("exit pid=%d: p.pid=%s comm=%s exe=%s cmdline=%s argv2=%s", e.pid,
      tostring(p.pid), tostring(p.comm), tostring(exe), tostring(cmdline),
      tostring(argv and argv[2])))
  end
  if p.exited == true and p.comm == "exiter" then exited_ok = exited_ok + 1 end
end
function on_end()
  local st = stats()
  print("execs=" .. execs)
  print("exec_ok=" .. exec_ok)
  print("exits=" .. exits)
  print("exit_ok=" .. exit_ok)
  print("exited_ok=" .. exited_ok)
  print("exec_dropped=" .. st.exec.dropped)
  print("exit_dropped=" .. st.exit.dropped)
  for _, s in ipairs(bad) do print("bad: " .. s) end
end
EOF

run_profrun -c "$EXITER -f $N $CODE" "$TMP/short.lua" $CODE
expect_rc "short-lived: exit 0" 0
expect_eq "short-lived: no exec event lost" "$(val exec_dropped "$OUT")" 0 "$OUT" "$ERR"
expect_eq "short-lived: no exit event lost" "$(val exit_dropped "$OUT")" 0 "$OUT"
expect_eq "on_exec: one per child ($N)" "$(val execs "$OUT")" $N "$OUT"
expect_eq "on_exec: e.argv and e.cmdline are 'exiter $CODE' for all $N" \
	"$(val exec_ok "$OUT")" $N "$OUT"
expect_eq "on_exit: one per child ($N)" "$(val exits "$OUT")" $N "$OUT"
expect_eq "on_exit: proc(e.pid) has exe */exiter and cmdline with '$CODE' for all $N" \
	"$(val exit_ok "$OUT")" $N "$OUT"
expect_eq "on_exit: proc(e.pid).exited and comm 'exiter' for all $N" \
	"$(val exited_ok "$OUT")" $N "$OUT"

finish
