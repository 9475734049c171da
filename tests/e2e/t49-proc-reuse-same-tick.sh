#!/bin/bash
# A proc object never reads another process's data, even when the PID is
# reused within the same clock tick (start_time has 10 ms resolution).
#
# A (prog_a, a copy of exiter, argv[0] "AAA_<k>", MARK=A in its
# environment, started in $TMP/a.d) lives a few milliseconds. B (prog_b, a
# copy of sleep, argv[0] "BBB_<k>", MARK=B, started in $TMP/b.d) is forced
# onto A's PID right after A exited (ns_last_pid), usually in the same
# tick. The pidreuse fixture starts both: from bash (fork, exec, flock(1)
# in between) the two starts were 15-20 ms apart on a slow VM and never
# shared a tick. The script takes proc(e.pid) in on_exec of A without
# reading any lazy field, then blocks in the hook until the test says B is
# running (A is gone, B holds the pid, profrun has not yet seen A's exit),
# then reads the object's exe, cwd and env("MARK"): each must be A's or
# nil, never B's. Whether A is still alive when proc() runs is a race; in
# the "late" attempts (argv[0] "LLL_<k>") the hook waits for B before
# proc(), so the object is first looked up while B holds the pid in A's
# tick.
#
# An attempt counts when B got A's PID, A's object was not yet marked
# exited when read, and B's start_time (/proc/PID/stat field 22) equals
# A's; attempts (each started right after a tick boundary) are repeated
# until two of each kind count.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures exiter pidreuse

NS_LAST_PID=/proc/sys/kernel/ns_last_pid
if [ "$(id -u)" != 0 ]; then
	skip_all "forcing PID reuse through $NS_LAST_PID needs root"
fi
[ -w "$NS_LAST_PID" ] || { echo "Bail out! $NS_LAST_PID is not writable as root"; exit 1; }

RUN_TIMEOUT=60
cp "$FIXTURES/exiter" "$TMP/prog_a"
cp "$(type -P sleep)" "$TMP/prog_b"
mkdir -p "$TMP/a.d" "$TMP/b.d"

cat >"$TMP/tick.lua" <<'EOF'
local format = string.format
local function show(v) return v == nil and "nil" or tostring(v) end
local ffi = require "ffi"
ffi.cdef "int poll(void *fds, unsigned long nfds, int timeout);"
local dir = arg[1]
-- blocks until the test created DIR/b-started.TAG (B runs on A's PID), at
-- most 5 s: a missing B then shows as an attempt that does not count
local function wait(tag)
  local limit = now() + 5e9
  while now() < limit do
    local f = io.open(dir .. "/b-started." .. tag, "r")
    if f then f:close() return end
    ffi.C.poll(nil, 0, 5)
  end
end
function on_exec(e)
  local a0 = e.argv[1]
  local kind = a0 and a0:match("^(%u%u%u)_%d+$")
  if kind ~= "AAA" and kind ~= "LLL" then return end
  -- late: A exits and B takes its PID before proc() is asked
  if kind == "LLL" then wait(a0) end
  local p = proc(e.pid)
  if not p then
    print(format("A tag=%s pid=%d found=false", a0, e.pid))
    return
  end
  -- A exits and B takes its PID while this hook runs
  if kind == "AAA" then wait(a0) end
  local exited = p.exited
  print(format("A tag=%s pid=%d found=true start=%d exited_at_read=%s exe=%s cwd=%s mark=%s",
    a0, e.pid, p.start_time, tostring(exited), show(p.exe), show(p.cwd), show(p:env("MARK"))))
end
EOF

start_profrun -d 55 "$TMP/tick.lua" "$TMP"
if ! wait_attached "$PR_PID" pr_exec pr_exit; then
	fail "attached" "no link to pr_exec and pr_exit within 20 s" "$OUT" "$ERR"
	finish
fi
pass "attached"

stat_start() { awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# attempt KIND K: one A (argv[0] KIND_K), then B on its PID; returns 0
# when the attempt counts
attempt() {
	local kind=$1 k=$2 l i
	"$FIXTURES/pidreuse" "${kind}_$k" "$TMP/prog_a" "$TMP/a.d" "BBB_$k" "$TMP/prog_b" \
		"$TMP/b.d" >"$TMP/pidreuse.out" 2>&1
	APID=$(sed -n 's/^a=\([0-9]*\) b=.*/\1/p' "$TMP/pidreuse.out")
	BPID=$(sed -n 's/^a=[0-9]* b=\([0-9]*\)$/\1/p' "$TMP/pidreuse.out")
	if [ -z "$APID" ] || [ -z "$BPID" ]; then
		echo "# attempt $kind $k: pidreuse failed: $(head -c 200 "$TMP/pidreuse.out")"
		return 1
	fi
	track_pid "$BPID"
	BSTART=$(stat_start "$BPID")
	: >"$TMP/b-started.${kind}_$k"
	# the hook reports once it saw b-started
	l=
	for ((i = 0; i < 50; i++)); do
		l=$(grep -m1 "^A tag=${kind}_$k " "$OUT")
		[ -n "$l" ] && break
		sleep 0.1
	done
	if [ "$BPID" != "$APID" ]; then
		echo "# attempt $kind $k: A had PID $APID, B got $BPID"
		return 1
	fi
	if [ -z "$l" ] || [ "$(field "$l" found)" != true ]; then
		echo "# attempt $kind $k: no proc object for A: ${l:-no line}"
		return 1
	fi
	if [ "$(field "$l" exited_at_read)" != false ]; then
		echo "# attempt $kind $k: A was already marked exited when read"
		return 1
	fi
	if [ "$(field "$l" start)" != "$BSTART" ]; then
		echo "# attempt $kind $k: A started at tick $(field "$l" start), B at $BSTART"
		return 1
	fi
	echo "# attempt $kind $k counts: PID $APID, both started at tick $BSTART"
}

NTRY=25
declare -A COUNTED=([AAA]=0 [LLL]=0)
for kind in AAA LLL; do
	for k in $(seq 1 $NTRY); do
		attempt "$kind" "$k" && COUNTED[$kind]=$((COUNTED[$kind] + 1))
		[ "${COUNTED[$kind]}" -ge 2 ] && break
	done
done
kill -INT "$PR_PID"
wait_profrun
expect_rc "SIGINT ends the run with exit 0" 0

for kind in AAA LLL; do
	what="PID reused within the same tick$([ $kind = LLL ] && echo ", proc() after A exited")"
	if [ "${COUNTED[$kind]}" = 0 ]; then
		fail "$what" \
			"in $NTRY attempts B never got A's PID in A's tick before profrun saw A's exit" "$OUT"
	else
		pass "$what (${COUNTED[$kind]} attempts)"
	fi
done
# whatever the attempt, A's object never shows B
expect_no_grep "A's object never reads B's exe (prog_b)" "$OUT" '^A .* exe=[^ ]*/prog_b '
expect_no_grep "A's object never reads B's cwd" "$OUT" "^A .* cwd=$TMP/b\\.d "
expect_no_grep "A's object never reads B's environment (MARK=B)" "$OUT" '^A .* mark=B$'

finish
