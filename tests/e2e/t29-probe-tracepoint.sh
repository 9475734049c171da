#!/bin/bash
# probe("t:CATEGORY:NAME", fn): kernel tracepoints with their fields by
# name, as tracefs's format file lays them out: a syscall's user-space
# string (openat's filename), a __data_loc string (sched_process_exec's
# filename), a char array (sched_switch's prev_comm) and integers. -c
# keeps the command's hits only; a storm against a slow hook keeps
# produced == delivered + dropped; an unknown tracepoint is a usage error.
. "$(dirname "$0")/lib.sh"
require_bpf

RUN_TIMEOUT=60
printf 'a\n' >"$TMP/first file"
printf 'b\n' >"$TMP/second;file"
cat >"$TMP/tp.lua" <<'EOF2'
local want1, want2 = arg[1], arg[2]
local opens, got1, got2, execs, exec_ok, pids = 0, 0, 0, 0, 0, {}
probe("t:syscalls:sys_enter_openat", function(e)
  opens = opens + 1
  pids[e.pid] = true
  local f = e.args.filename
  if f == want1 then got1 = got1 + 1 end
  if f == want2 then got2 = got2 + 1 end
end)
probe("t:sched:sched_process_exec", function(e)
  execs = execs + 1
  local a = e.args
  if a.filename == "/usr/bin/cat" and a.pid == e.pid then exec_ok = exec_ok + 1 end
end)
function on_end()
  local p = {}
  for pid in pairs(pids) do p[#p + 1] = pid end
  print("opens=" .. opens) print("got1=" .. got1) print("got2=" .. got2)
  print("execs=" .. execs) print("exec_ok=" .. exec_ok)
  print("npids=" .. #p)
  local s = stats().tracepoint
  print("produced=" .. s.produced) print("delivered=" .. s.delivered)
  print("dropped=" .. s.dropped) print("discarded=" .. s.discarded)
end
EOF2

run_profrun -c "/usr/bin/cat '$TMP/first file' '$TMP/second;file'" "$TMP/tp.lua" \
	"$TMP/first file" "$TMP/second;file"
expect_rc "exit 0" 0
expect_eq "openat: the first path, by name" "$(val got1 "$OUT")" 1 "$OUT" "$ERR"
expect_eq "openat: the second path" "$(val got2 "$OUT")" 1 "$OUT"
expect_gt "openat: the loader's opens too" "$(val opens "$OUT")" 2 "$OUT"
expect_eq "exec: one, __data_loc filename and pid fields" "$(val exec_ok "$OUT")" 1 "$OUT"
expect_eq "-c: only the command's process" "$(val npids "$OUT")" 1 "$OUT"
expect_counts_add_up "tracepoints" "$OUT"

# a char array field and integers: sched_switch as sleep blocks
cat >"$TMP/sw.lua" <<'EOF2'
local switches, ok = 0, 0
probe("t:sched:sched_switch", function(e)
  switches = switches + 1
  local a = e.args
  if a.prev_comm == e.comm and a.prev_pid == e.tid and type(a.prev_state) == "number" then
    ok = ok + 1
  end
end)
function on_end() print("switches=" .. switches) print("ok=" .. ok) end
EOF2
run_profrun -c "sleep 0.2" "$TMP/sw.lua"
expect_rc "sched_switch: exit 0" 0
expect_gt "sched_switch: sleep's switches" "$(val switches "$OUT")" 0 "$OUT" "$ERR"
expect_eq "sched_switch: prev_comm (a char array), prev_pid, prev_state" "$(val ok "$OUT")" \
	"$(val switches "$OUT")" "$OUT"

cat >"$TMP/storm.lua" <<'EOF2'
probes { buffer = 4096 }
probe("t:syscalls:sys_enter_read", function(e)
  local till = now() + 20e3
  while now() < till do end
end)
function on_end()
  local s = stats().tracepoint
  print("produced=" .. s.produced) print("delivered=" .. s.delivered)
  print("dropped=" .. s.dropped) print("discarded=" .. s.discarded)
end
EOF2
run_profrun -c "dd if=/dev/zero of=/dev/null bs=1 count=20000" "$TMP/storm.lua"
expect_rc "storm: exit 0" 0
expect_counts_add_up "storm" "$OUT"
expect_gt "storm: the ring overflowed" "$(val dropped "$OUT")" 0 "$OUT" "$ERR"
expect_grep "storm: the drops are reported" "$ERR" 'lost [0-9]+ of [0-9]+ tracepoint hits'

expect_bad_spec "t:sched:no_such_event" "no tracepoint sched:no_such_event in that category"
expect_bad_spec "t:nosuchcategory:x" "no such category"
expect_bad_spec "t:../sched:x" "not a tracepoint name"
expect_bad_spec "t:sched" "expected t:CATEGORY:NAME"
finish
