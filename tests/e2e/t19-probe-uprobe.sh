#!/bin/bash
# probe() on user functions (issue 14, u: and ur:): a fixture built -O2
# without frame pointers calls pf_target(i, 2i, -3i) N times (it sleeps
# 1 ms, returns 6i) and each of fx_01..fx_40 N times. Entries come with
# their arguments (negative ones as negative numbers), returns with their
# values and a duration of at least the sleep, a glob attaches all 40
# functions, -p limits hits to its process, a storm with a slow hook keeps
# produced == delivered + dropped, and every bad spec is a usage error
# that says what is wrong, before anything loads.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures probefix

RUN_TIMEOUT=60
FIX=$FIXTURES/probefix
N=50
cat >"$TMP/p.lua" <<'EOF2'
local fix, n = arg[1], 0
local args_ok, sum1, rets, retsum, short, fx, pids = 0, 0, 0, 0, 0, 0, {}
probe("u:" .. fix .. ":pf_target", function(e)
  n = n + 1
  local a = e.arg
  if a[2] == 2 * a[1] and a[3] == -3 * a[1] then args_ok = args_ok + 1 end
  sum1 = sum1 + a[1]
  pids[e.pid] = true
  assert(e.probe == "u:" .. fix .. ":pf_target", e.probe)
end)
probe("ur:" .. fix .. ":pf_target", function(e)
  rets = rets + 1
  retsum = retsum + e.retval
  if not e.duration or e.duration < 1e6 then short = short + 1 end
end)
probe("u:" .. fix .. ":fx_*", function(e) fx = fx + 1 end)
function on_end()
  local p = {}
  for pid in pairs(pids) do p[#p + 1] = pid end
  table.sort(p)
  print("entries=" .. n) print("args_ok=" .. args_ok) print("sum1=" .. sum1)
  print("returns=" .. rets) print("retsum=" .. retsum) print("short=" .. short)
  print("fx=" .. fx) print("pids=" .. table.concat(p, ","))
  local s = stats().probe
  print("produced=" .. s.produced) print("delivered=" .. s.delivered)
  print("dropped=" .. s.dropped) print("discarded=" .. s.discarded)
end
EOF2

run_profrun -c "$FIX $N" "$TMP/p.lua" "$FIX"
expect_rc "exit 0" 0
expect_eq "u: one event per call" "$(val entries "$OUT")" "$N" "$OUT" "$ERR"
expect_eq "u: every argument right" "$(val args_ok "$OUT")" "$N" "$OUT"
expect_eq "u: the calls 1..N" "$(val sum1 "$OUT")" "$((N * (N + 1) / 2))" "$OUT"
expect_eq "ur: one event per return" "$(val returns "$OUT")" "$N" "$OUT"
expect_eq "ur: the return values" "$(val retsum "$OUT")" "$((6 * N * (N + 1) / 2))" "$OUT"
expect_eq "ur: durations cover the 1 ms sleep" "$(val short "$OUT")" 0 "$OUT"
expect_eq "a glob attaches all 40 fx_*" "$(val fx "$OUT")" "$((40 * N))" "$OUT"
expect_eq "every hit delivered" "$(val delivered "$OUT")" "$((2 * N + 40 * N))" "$OUT"
expect_eq "only the command's hits" "$(val pids "$OUT")" "$(val pid "$OUT")" "$OUT"

# -p: a copy of the binary outside is not counted (uprobes fire in every
# process that maps the file; the target filter keeps one)
start_bg "$FIX" 1000 2
OTHER=$WL_PID
start_bg "$FIX" 20 2
MINE=$WL_PID
run_profrun -p "$MINE" "$TMP/p.lua" "$FIX"
expect_rc "-p: exit 0" 0
expect_eq "-p: its 20 calls" "$(val entries "$OUT")" 20 "$OUT" "$ERR"
expect_eq "-p: only its hits" "$(val pids "$OUT")" "$MINE" "$OUT"
kill "$OTHER" 2>/dev/null

# a storm against a slow hook and the smallest ring: each round makes 40
# hits then sleeps ~1 ms; at 200 us a hit the hook drains 5 a round, so the
# ring (a few dozen records) fills within two rounds on any machine
cat >"$TMP/storm.lua" <<'EOF2'
probes { buffer = 4096 }
probe("u:" .. arg[1] .. ":fx_*", function(e)
  local till = now() + 200e3
  while now() < till do end
end)
function on_end()
  local s = stats().probe
  print("produced=" .. s.produced) print("delivered=" .. s.delivered)
  print("dropped=" .. s.dropped) print("discarded=" .. s.discarded)
end
EOF2
run_profrun -c "$FIX 1000" "$TMP/storm.lua" "$FIX"
expect_rc "storm: exit 0" 0
expect_counts_add_up "storm" "$OUT"
expect_gt "storm: the ring overflowed" "$(val dropped "$OUT")" 0 "$OUT" "$ERR"
expect_grep "storm: the drops are reported" "$ERR" 'lost [0-9]+ of [0-9]+ probe hits'

# bad specs: exit 2, the spec and what is wrong, nothing loaded
expect_bad_spec "u:/no/such/binary:f" "no such binary"
expect_bad_spec "u:/etc/passwd:f" "not a 64-bit ELF"
expect_bad_spec "u:libnosuchlib:f" "no library 'libnosuchlib'"
expect_bad_spec "u:$FIX:pf_targte" "no function pf_targte in .*nearest: pf_target"
expect_bad_spec "u:$FIX:zz_*" "the glob matches no function"
expect_bad_spec "u:libc:*" "matches more than 1000 functions"
expect_bad_spec "q:libc:malloc" "unknown kind"
expect_bad_spec "u:libc" "expected u:BINARY:SYMBOL"

# k:/kr: where the kernel has kprobes, entries and returns of a kernel
# function the test calls; where it has none (this project's CI kernel),
# a usage error that says so
if [ -e /sys/bus/event_source/devices/kprobe/type ] || [ -e /sys/kernel/tracing/kprobe_events ]; then
	cat >"$TMP/k.lua" <<'EOF2'
local n, r, d = 0, 0, 0
probe("k:do_sys_openat2", function(e) n = n + 1 end)
probe("kr:do_sys_openat2", function(e) r = r + 1; if e.duration then d = d + 1 end end)
function on_end() print("enter=" .. n) print("ret=" .. r) print("dur=" .. d) end
EOF2
	run_profrun -c "cat /etc/hostname /etc/hostname /etc/hostname" "$TMP/k.lua"
	expect_rc "k:/kr: exit 0" 0
	expect_ge "k: the opens of the command" "$(val enter "$OUT")" 3 "$OUT" "$ERR"
	expect_eq "kr: a return for each" "$(val ret "$OUT")" "$(val enter "$OUT")" "$OUT"
	expect_eq "kr: each with its duration" "$(val dur "$OUT")" "$(val ret "$OUT")" "$OUT"
	expect_bad_spec "k:do_sys_openat" "no kernel function do_sys_openat .*nearest: do_sys_openat2"
else
	expect_bad_spec "k:do_sys_openat2" "this kernel has no kprobes"
	expect_bad_spec "kr:vfs_read" "this kernel has no kprobes"
fi
finish
