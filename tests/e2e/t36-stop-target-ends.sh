#!/bin/bash
# The target's end: -p of a process that exits ends the run with a line
# saying so; -p of a zombie is a usage error, of a kernel thread a
# warning. -c runs what a shell would run (`exit 7`, builtins, VAR=x cmd),
# a simple command is still exec'd in place (its PID is the target), and
# a failing command is reported and readable with target_exit().
. "$(dirname "$0")/lib.sh"
require_bpf

RUN_TIMEOUT=30

cat >"$TMP/end.lua" <<'EOF'
function on_sample(s) end
function on_end()
  local t = target_exit()
  print("end=ran")
  print("code=" .. tostring(t and t.code))
  print("signame=" .. tostring(t and t.signame))
  print("target=" .. tostring(target_pid()))
end
EOF

# -p of a process that exits while profiled
start_bg sleep 2
start=$SECONDS
run_profrun -p "$WL_PID" "$TMP/end.lua"
took=$((SECONDS - start))
expect_rc "-p, process exits: exit 0" 0
expect_grep "-p, process exits: says so" "$ERR" "process $WL_PID exited; stopping"
expect_eq "-p, process exits: on_end ran" "$(val end "$OUT")" ran "$OUT" "$ERR"
expect_within "-p, process exits: the run ended with it" 20 "$took"

# -p of a zombie: it will never run again
python3 - "$PROFRUN" "$TMP/zombie" <<'EOF' &
import os, subprocess, sys, time
pid = os.fork()
if pid == 0:
    os._exit(0)
time.sleep(0.3)  # the child is a zombie until we reap it
r = subprocess.run([sys.argv[1], "-p", str(pid), "-e", "function on_sample() end"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
with open(sys.argv[2], "w") as f:
    f.write("rc=%d\n" % r.returncode)
    f.write(r.stderr.decode(errors="replace"))
os.waitpid(pid, 0)
EOF
wait $!
expect_eq "-p zombie: usage error, exit 2" "$(val rc "$TMP/zombie")" 2 "$TMP/zombie"
expect_grep "-p zombie: says why" "$TMP/zombie" 'zombie.*never run again'

# -p of a kernel thread (kthreadd): a warning, and the run works
run_profrun -p 2 -d 1 "$TMP/end.lua"
expect_rc "-p kernel thread: exit 0" 0
expect_grep "-p kernel thread: warns" "$ERR" 'kernel thread: its samples have kernel stacks only'

# -c 'exit 7': a shell builtin, run by sh; the status is reported
run_profrun -c 'exit 7' "$TMP/end.lua"
expect_rc "-c 'exit 7': profrun exits 0" 0
expect_grep "-c 'exit 7': says command exited 7" "$ERR" 'command exited 7'
expect_eq "-c 'exit 7': target_exit().code" "$(val code "$OUT")" 7 "$OUT" "$ERR"

# killed by a signal
run_profrun -c "sh -c 'kill -SEGV \$\$'" "$TMP/end.lua"
expect_grep "-c killed: says command killed by SIGSEGV" "$ERR" 'command killed by SIGSEGV'
expect_eq "-c killed: target_exit().signame" "$(val signame "$OUT")" SIGSEGV "$OUT" "$ERR"

# VAR=value before a simple command: still exec'd in place, so the PID
# profrun filters on is the command's own
run_profrun -c "PR_T36='a;b' sh -c 'echo \$\$ > $TMP/cmdpid; echo \"\$PR_T36\" > $TMP/cmdvar'" \
	"$TMP/end.lua"
expect_rc "-c VAR=x cmd: exit 0" 0
expect_eq "-c VAR=x cmd: the variable reaches the command" "$(cat "$TMP/cmdvar" 2>/dev/null)" 'a;b'
expect_eq "-c VAR=x cmd: the command's PID is the target" "$(cat "$TMP/cmdpid" 2>/dev/null)" \
	"$(val target "$OUT")" "$OUT" "$ERR"
expect_no_grep "-c success: no failure line" "$ERR" 'command exited|command killed'

finish
