#!/bin/bash
# probe("usdt:BINARY:PROVIDER:NAME", fn): USDT probes of a fixture built
# with <sys/sdt.h>. prfix:fire sits behind a semaphore: the fixture fires
# it only while the semaphore is up, so N hits (and fired=N) show that
# attaching raised it; its three arguments arrive decoded from the note's
# argument specs, the third (a char *) as a string with strings = {3}.
# prfix:plain fires regardless. Bad specs are usage errors.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures usdtfix

RUN_TIMEOUT=60
FIX=$FIXTURES/usdtfix
N=30
cat >"$TMP/u.lua" <<'EOF2'
local n, ok, plain, strs = 0, 0, 0, 0
probe("usdt:" .. arg[1] .. ":prfix:fire", { strings = { 3 } }, function(e)
  n = n + 1
  local a = e.arg
  if a[2] == -2 * a[1] then ok = ok + 1 end
  if e:str(3) == "call-" .. a[1] then strs = strs + 1 end
end)
probe("usdt:" .. arg[1] .. ":prfix:plain", function(e) plain = plain + 1 end)
function on_end()
  print("hits=" .. n) print("args_ok=" .. ok) print("strings_ok=" .. strs)
  print("plain=" .. plain)
end
EOF2
run_profrun -c "$FIX $N" "$TMP/u.lua" "$FIX"
expect_rc "exit 0" 0
expect_eq "the semaphore was up for every call" "$(val fired "$OUT")" "$N" "$OUT" "$ERR"
expect_eq "fire: every hit" "$(val hits "$OUT")" "$N" "$OUT"
expect_eq "fire: integer arguments from the note's specs" "$(val args_ok "$OUT")" "$N" "$OUT"
expect_eq "fire: the char * argument as a string" "$(val strings_ok "$OUT")" "$N" "$OUT"
expect_eq "plain: every hit" "$(val plain "$OUT")" "$N" "$OUT"

# without a tracer the semaphore stays down
run_cmd "$FIX" 5
expect_eq "no tracer: the fixture never fires" "$(val fired "$OUT")" 0 "$OUT"

expect_bad_spec "usdt:/bin/true:prfix:fire" "is not a USDT binary"
expect_bad_spec "usdt:$FIX:prfix:nope" "has no USDT probe prfix:nope .it has: prfix:fire, prfix:plain"
expect_bad_spec "usdt:$FIX:prfix" "expected usdt:BINARY:PROVIDER:NAME"
expect_bad_spec "ur:libc:malloc" "strings are for u: and usdt:" "{ strings = { 1 } },"
expect_bad_spec "usdt:$FIX:prfix:fire" "argument numbers are 1..6" "{ strings = { 7 } },"
finish
