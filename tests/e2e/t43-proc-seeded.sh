#!/bin/bash
# The proc cache is seeded from /proc before anything attaches: a process
# started before profrun (a `sleep` with a distinctive argument) is already
# known at the first every() tick, without a cache miss: proc(pid) has its
# comm, exe, cmdline and start_time (field 22 of /proc/PID/stat), and
# stats().proc.seeded counts it.
. "$(dirname "$0")/lib.sh"
require_bpf

RUN_TIMEOUT=30
MARK=0.$$
SLEEP_EXE=$(readlink -f "$(type -P sleep)")

start_bg sleep 30 "$MARK" || { echo "Bail out! could not start sleep"; exit 1; }
SPID=$WL_PID
START=$(awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$SPID/stat")

cat >"$TMP/seeded.lua" <<'EOF'
local pid = tonumber(arg[1])
local function show(v) return v == nil and "nil" or tostring(v) end
every(0.05, function()
  local before = stats().proc
  local p = proc(pid)
  local after = stats().proc
  print("found=" .. (p and 1 or 0))
  print("hit=" .. (after.hits - before.hits))
  print("miss=" .. (after.misses - before.misses))
  print("seeded=" .. after.seeded)
  print("size=" .. after.size)
  if p then
    print("pid=" .. show(p.pid))
    print("comm=" .. show(p.comm))
    print("exe=" .. show(p.exe))
    print("cmdline=" .. show(p.cmdline))
    print("start_time=" .. show(p.start_time))
    print("exited=" .. show(p.exited))
  end
  exit(0)
end)
EOF

run_profrun -d 20 "$TMP/seeded.lua" "$SPID"
expect_rc "seeded: exit(0) from the first tick" 0
expect_eq "the older process is known at the first tick" "$(val found "$OUT")" 1 "$OUT" "$ERR"
expect_eq "... and was in the cache already (a hit)" "$(val hit "$OUT")" 1 "$OUT"
expect_eq "... not loaded on a miss" "$(val miss "$OUT")" 0 "$OUT"
expect_gt "stats().proc.seeded > 0" "$(val seeded "$OUT")" 0 "$OUT"
expect_gt "stats().proc.size > 0" "$(val size "$OUT")" 0 "$OUT"
expect_eq "p.pid" "$(val pid "$OUT")" "$SPID" "$OUT"
expect_eq "p.comm" "$(val comm "$OUT")" sleep "$OUT"
expect_eq "p.exe" "$(val exe "$OUT")" "$SLEEP_EXE" "$OUT"
expect_eq "p.cmdline has the distinctive argument" "$(val cmdline "$OUT")" "sleep 30 $MARK" "$OUT"
expect_eq "p.start_time is field 22 of /proc/PID/stat" "$(val start_time "$OUT")" "$START" "$OUT"
expect_eq "p.exited is false" "$(val exited "$OUT")" false "$OUT"

finish
