#!/bin/bash
# exec invalidates what proc() cached: the -c command is a shell that runs
# `sleep 0.3` and then execs /bin/sleep in place. The shell's exe and
# cmdline are read (and cached) while it runs; after the second exec event
# of the same PID, proc(pid) gives the new binary, cmdline, argv and comm,
# both in on_exec and from every() while the new image runs. An object kept
# from the first exec (same process, same PID) never reads the old image
# again.
. "$(dirname "$0")/lib.sh"
require_bpf

RUN_TIMEOUT=30
SH_EXE=$(readlink -f /bin/sh)
SLEEP_EXE=$(readlink -f /bin/sleep)
CMD='sleep 0.3; exec /bin/sleep 0.5'

cat >"$TMP/reexec.lua" <<'EOF'
local format = string.format
local SH_EXE, SLEEP_EXE, CMD = arg[1], arg[2], arg[3]
local NEW_CMDLINE = "/bin/sleep 0.5"
local function show(v) return v == nil and "nil" or tostring(v) end
local kept
local execs, after_exec = 0, false
local pre_reads, pre_ok, checks, stale = 0, 0, 0, 0
function on_exec(e)
  local tp = target_pid()
  if e.pid ~= tp then return end
  execs = execs + 1
  local p = proc(e.pid)
  if not p then
    print(format("exec%d_nil=1", execs))
    return
  end
  if e.filename == "/bin/sleep" then
    after_exec = true
    local argv = p.argv
    print("new_exe=" .. show(p.exe))
    print("new_cmdline=" .. show(p.cmdline))
    print("new_argv=" .. (argv and table.concat(argv, "|") or "nil"))
    print("new_comm=" .. show(p.comm))
    print("event_cmdline=" .. e.cmdline)
    print("kept_exe=" .. show(kept and kept.exe))
    print("kept_cmdline=" .. show(kept and kept.cmdline))
  else
    kept = p
    print("old_filename=" .. e.filename)
    print("old_exe=" .. show(p.exe))
    print("old_cmdline=" .. show(p.cmdline))
  end
end
every(0.05, function()
  local tp = target_pid()
  if not tp then return end
  local p = proc(tp)
  if not p or p.exited then return end
  local exe, cmdline = p.exe, p.cmdline
  if not after_exec then
    -- the shell's fields, read and cached before the exec
    pre_reads = pre_reads + 1
    if exe == SH_EXE and cmdline == "sh -c " .. CMD then pre_ok = pre_ok + 1 end
  else
    checks = checks + 1
    if exe ~= SLEEP_EXE or cmdline ~= NEW_CMDLINE then
      stale = stale + 1
      print(format("stale: exe=%s cmdline=%s", show(exe), show(cmdline)))
    end
  end
end)
function on_end()
  print("execs=" .. execs)
  print("pre_reads=" .. pre_reads)
  print("pre_ok=" .. pre_ok)
  print("checks=" .. checks)
  print("stale=" .. stale)
end
EOF

run_profrun -c "$CMD" "$TMP/reexec.lua" "$SH_EXE" "$SLEEP_EXE" "$CMD"
expect_rc "re-exec: exit 0" 0
expect_eq "the command's PID execs twice (/bin/sh, then /bin/sleep)" "$(val execs "$OUT")" 2 "$OUT" "$ERR"
expect_eq "first exec: the shell's exe" "$(val old_exe "$OUT")" "$SH_EXE" "$OUT"
expect_eq "first exec: the shell's cmdline" "$(val old_cmdline "$OUT")" "sh -c $CMD" "$OUT"
expect_ge "the shell's exe and cmdline were read while it ran" "$(val pre_ok "$OUT")" 1 "$OUT"
expect_eq "second exec: proc(pid).exe is the new binary" "$(val new_exe "$OUT")" "$SLEEP_EXE" "$OUT"
expect_eq "second exec: proc(pid).cmdline is the new one" "$(val new_cmdline "$OUT")" "/bin/sleep 0.5" "$OUT"
expect_eq "second exec: proc(pid).argv is the new one" "$(val new_argv "$OUT")" "/bin/sleep|0.5" "$OUT"
expect_eq "second exec: proc(pid).comm is the new one" "$(val new_comm "$OUT")" sleep "$OUT"
expect_eq "second exec: e.cmdline" "$(val event_cmdline "$OUT")" "/bin/sleep 0.5" "$OUT"
kept_exe=$(val kept_exe "$OUT")
if [ "$kept_exe" != "$SH_EXE" ] && [ -n "$kept_exe" ]; then
	pass "object kept from the first exec does not read the old exe ($kept_exe)"
else
	fail "object kept from the first exec does not read the old exe" "got '$kept_exe'" "$OUT"
fi
kept_cmdline=$(val kept_cmdline "$OUT")
if [ "$kept_cmdline" != "sh -c $CMD" ] && [ -n "$kept_cmdline" ]; then
	pass "object kept from the first exec does not read the old cmdline ($kept_cmdline)"
else
	fail "object kept from the first exec does not read the old cmdline" "got '$kept_cmdline'" "$OUT"
fi
expect_ge "every(): the new image was looked at while it ran" "$(val checks "$OUT")" 1 "$OUT"
expect_eq "every(): proc(pid) never showed the old image after the exec" "$(val stale "$OUT")" 0 "$OUT"

finish
