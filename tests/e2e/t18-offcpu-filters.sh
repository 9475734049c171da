#!/bin/bash
# The provider contract: -p, -c, offcpu{pid=} and --cgroup limit off-CPU
# events to the target in the kernel. Two copies of the ping-pong fixture
# run, one in the target and one outside: every event comes from the one
# inside, and there are events.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures pingpong

RUN_TIMEOUT=60
cp "$FIXTURES/pingpong" "$TMP/pp_in"
cp "$FIXTURES/pingpong" "$TMP/pp_out"
cat >"$TMP/who.lua" <<'EOF2'
offcpu { pid = tonumber(arg[1]) }
local pids, n = {}, 0
function on_offcpu(e)
  n = n + 1
  pids[e.pid] = (pids[e.pid] or 0) + 1
end
function on_end()
  local l = {}
  for pid in pairs(pids) do l[#l + 1] = pid end
  table.sort(l)
  print("events=" .. n)
  print("pids=" .. table.concat(l, ","))
end
EOF2

start_bg "$TMP/pp_out" 30
OUT_PID=$WL_PID

# -c: the command and nothing else
run_profrun -c "$TMP/pp_in 1" "$TMP/who.lua"
expect_rc "-c: exit 0" 0
expect_gt "-c: events" "$(val events "$OUT")" 0 "$OUT" "$ERR"
expect_eq "-c: only the command's" "$(val pids "$OUT" | tr ',' '\n' | grep -cvx "$OUT_PID")" 1 "$OUT"
expect_no_grep "-c: not the other copy's" <(val pids "$OUT" | tr ',' '\n') "^$OUT_PID\$"

# -p
start_bg "$TMP/pp_in" 30
IN_PID=$WL_PID
run_profrun -p "$IN_PID" -d 1 "$TMP/who.lua"
expect_rc "-p: exit 0" 0
expect_gt "-p: events" "$(val events "$OUT")" 0 "$OUT" "$ERR"
expect_eq "-p: only that process's" "$(val pids "$OUT")" "$IN_PID" "$OUT"

# offcpu{pid=}: the script names the process
run_profrun -d 1 "$TMP/who.lua" "$IN_PID"
expect_rc "offcpu{pid=}: exit 0" 0
expect_gt "offcpu{pid=}: events" "$(val events "$OUT")" 0 "$OUT" "$ERR"
expect_eq "offcpu{pid=}: only that process's" "$(val pids "$OUT")" "$IN_PID" "$OUT"
kill "$IN_PID" 2>/dev/null

# --cgroup
CG_ROOT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -z "$CG_ROOT" ]; then
	fail "--cgroup" "no cgroup v2 mount"
	finish
fi
CG=$CG_ROOT/profrun-e2e-off-$$
mkdir "$CG" || { fail "--cgroup" "cannot create $CG"; finish; }
trap 'cleanup; for i in 1 2 3 4 5 6 7 8 9 10; do rmdir "$CG" 2>/dev/null && break; sleep 0.2; done' EXIT
start_bg sh -c "echo \$\$ > '$CG/cgroup.procs' && exec '$TMP/pp_in' 30"
CG_PID=$WL_PID
sleep 0.3
run_profrun --cgroup "$CG" -d 1 "$TMP/who.lua"
expect_rc "--cgroup: exit 0" 0
expect_gt "--cgroup: events" "$(val events "$OUT")" 0 "$OUT" "$ERR"
expect_eq "--cgroup: only the process inside" "$(val pids "$OUT")" "$CG_PID" "$OUT"
finish
