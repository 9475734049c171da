#!/bin/bash
# Which processes BPF asks profrun about ("is it Python?", a read of its
# maps each): one without an entry only once its thread has used 5 ms of
# CPU (an interpreter runs ~15 ms before its first Python code, so one
# with less has no frames to show), or at once when its parent is a
# Python process (a fork has Python frames from its first instruction):
#  - 300 runs of /bin/true under a 4999 Hz profile: fewer than 250 checks
#    (stats().python.checked; 750 when every process sampled was asked
#    about, its fork from bash too). /bin/true takes 1.6-3.2 ms of CPU here,
#    a few percent of runs over 5 ms: 9-39 checks seen, 112 once on a
#    loaded host (slower runs, and the host's own processes count too);
#  - python3.11 forking 30 children that each run a Python function for
#    3 ms of CPU: >= 15% of the children's samples show it (25-45% here,
#    24% and 17% under the whole suite's load, when profrun answers late:
#    the rest of a child's ~6 ms is the fork's page faults and the exit;
#    10% when a child is only asked about after its own 5 ms).
. "$(dirname "$0")/lib.sh"
require_bpf
PY=/usr/bin/python3.11
[ -x "$PY" ] || skip_all "needs $PY (Debian's python3.11 package)"

RUN_TIMEOUT=60
cat >"$TMP/ask.lua" <<'EOF'
sample { hz = 4999 }
local ids = {}
function on_sample(s)
  local tp = target_pid()
  if tp and s.pid ~= tp and s.comm == "python3.11" then ids[#ids + 1] = s.stack end
end
local function report()
  io.stderr:write("checked=" .. stats().python.checked .. "\n")
end
every(0.05, report)
function on_end()
  report()
  local named = 0
  for _, id in ipairs(ids) do
    for _, f in ipairs(stack(id)) do
      if f.kind == "python" and f.name == "child_work" then named = named + 1; break end
    end
  end
  print("child_samples=" .. #ids)
  print("child_named=" .. named)
end
EOF

# ---- short-lived native processes are not asked about ----
start_profrun -d 30 "$TMP/ask.lua"
for ((i = 0; i < 100; i++)); do
	[ -n "$(val checked "$ERR")" ] && break
	sleep 0.05
done
sleep 1
c0=$(val checked "$ERR")
for ((i = 0; i < 300; i++)); do
	/bin/true
done
sleep 0.3
c1=$(val checked "$ERR")
expect_lt "300 runs of /bin/true: fewer than 250 Python checks" "$((c1 - c0))" 250 "$ERR"
kill -INT "$PR_PID"
wait_profrun
expect_eq "the run ends cleanly" "$RC" 0 "$ERR"

# ---- a Python fork is asked about at once ----
cat >"$TMP/forks.py" <<'EOF'
import os, time

def child_work():
    t0 = time.process_time()
    n = 0
    while time.process_time() - t0 < 0.003:
        n += 1
    return n

def main():
    for _ in range(30):
        pid = os.fork()
        if pid == 0:
            child_work()
            os._exit(0)
        os.waitpid(pid, 0)

main()
EOF
run_profrun -c "$PY $TMP/forks.py" "$TMP/ask.lua"
expect_rc "forks: exit 0" 0
samples=$(val child_samples "$OUT")
named=$(val child_named "$OUT")
expect_ge "forks: the children were sampled (>= 100)" "$samples" 100 "$OUT"
expect_pct_ge "forks: >= 15% of the children's samples show child_work" "$named" "$samples" 15 "$OUT"

finish
