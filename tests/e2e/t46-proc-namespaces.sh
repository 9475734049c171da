#!/bin/bash
# Namespaces: a process started with `unshare -m -p --fork --mount-proc`
# has its own mount and pid namespaces. In on_exec, e.mntns/e.pidns and
# proc(e.pid).mntns/.pidns are that process's (the inodes of
# /proc/PID/ns/mnt and /proc/PID/ns/pid, not profrun's); a process on the
# host has the host's. The processes are uniquely named copies of the
# fixtures: ns_sleep (alive 1 s, its namespaces are read from /proc by the
# test too), ns_exiter (1 ms) and host_exiter. A namespaced sleep started
# before profrun (no exec event: seeded, namespaces read from /proc) has
# its own namespaces too.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures exiter
[ "$(id -u)" = 0 ] || skip_all "unshare -m -p needs root"
command -v unshare >/dev/null 2>&1 || skip_all "needs unshare (util-linux)"

RUN_TIMEOUT=30
cp "$FIXTURES/exiter" "$TMP/ns_exiter"
cp "$FIXTURES/exiter" "$TMP/host_exiter"
cp "$(type -P sleep)" "$TMP/ns_sleep"

ns_ino() { stat -L -c %i "/proc/$1/ns/$2"; }

# child_running PARENT EXE: the PID of PARENT's child running EXE, polled
child_running() {
	local i kid
	for ((i = 0; i < 50; i++)); do
		kid=$(cat "/proc/$1/task/$1/children" 2>/dev/null)
		kid=${kid%% *}
		if [ -n "$kid" ] && [ "$(readlink "/proc/$kid/exe")" = "$2" ]; then
			echo "$kid"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# a namespace's init ignores SIGTERM from outside and is not the child of
# anything lib.sh's cleanup knows once unshare is gone: KILL it here when
# it is still the ns_sleep this test started
# shellcheck disable=SC2317 # called from the EXIT trap
t46_cleanup() {
	[ -n "${PRE_PID:-}" ] && [ "$(readlink "/proc/$PRE_PID/exe" 2>/dev/null)" = "$TMP/ns_sleep" ] &&
		kill -KILL "$PRE_PID" 2>/dev/null
}
trap 't46_cleanup; cleanup' EXIT

# started before profrun
unshare -m -p --fork --mount-proc "$TMP/ns_sleep" 20 2>"$TMP/unshare.err" &
PRE_US=$!
track_pid "$PRE_US"
PRE_PID=$(child_running "$PRE_US" "$TMP/ns_sleep") || { echo "Bail out! unshare did not start"; exit 1; }
PRE_MNT=$(ns_ino "$PRE_PID" mnt)
PRE_PIDNS=$(ns_ino "$PRE_PID" pid)

cat >"$TMP/ns.lua" <<'EOF'
local format = string.format
local DIR, PRE = arg[1], tonumber(arg[2])
local function show(v) return v == nil and "nil" or tostring(v) end
local pre_done = false
every(0.05, function()
  if pre_done then return end
  pre_done = true
  local p = proc(PRE)
  print(format("pre pid=%d found=%s p_mntns=%s p_pidns=%s", PRE, show(p ~= nil),
    show(p and p.mntns), show(p and p.pidns)))
end)
function on_exec(e)
  local name = e.filename:match("^" .. DIR:gsub("%p", "%%%0") .. "/(.*)$")
  if not (name == "ns_sleep" or name == "ns_exiter" or name == "host_exiter") then return end
  local p = proc(e.pid)
  print(format("exec name=%s pid=%d e_mntns=%d e_pidns=%d p_pid=%s p_mntns=%s p_pidns=%s",
    name, e.pid, e.mntns, e.pidns, show(p and p.pid), show(p and p.mntns),
    show(p and p.pidns)))
end
EOF

start_profrun -d 25 "$TMP/ns.lua" "$TMP" "$PRE_PID"
if ! wait_attached "$PR_PID" pr_exec pr_exit; then
	fail "attached" "no link to pr_exec and pr_exit within 20 s" "$OUT" "$ERR"
	finish
fi
pass "attached"
HOST_MNT=$(ns_ino "$PR_PID" mnt)
HOST_PID=$(ns_ino "$PR_PID" pid)
[ "$HOST_MNT" = "$(ns_ino $$ mnt)" ] || echo "# note: profrun's mount namespace is not the test's"

"$TMP/host_exiter" 0
unshare -m -p --fork --mount-proc "$TMP/ns_exiter" 0
unshare -m -p --fork --mount-proc "$TMP/ns_sleep" 1 &
US_PID=$!
track_pid "$US_PID"
# the sleep (unshare's child) as the host sees it
SL_PID=$(child_running "$US_PID" "$TMP/ns_sleep")
SL_MNT='' SL_PIDNS=''
if [ -n "$SL_PID" ]; then
	SL_MNT=$(ns_ino "$SL_PID" mnt)
	SL_PIDNS=$(ns_ino "$SL_PID" pid)
fi
wait "$US_PID"
sleep 0.3
kill -INT "$PR_PID"
wait_profrun
expect_rc "SIGINT ends the run with exit 0" 0

line() { grep -m1 "^exec name=$1 " "$OUT"; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

l=$(grep -m1 "^pre " "$OUT")
expect_eq "started before profrun: known" "$(field "$l" found)" true "$OUT" "$ERR"
expect_eq "started before profrun: mntns is /proc/PID/ns/mnt (not the host's)" \
	"$(field "$l" p_mntns)" "$PRE_MNT" "$OUT"
expect_eq "started before profrun: pidns is /proc/PID/ns/pid (not the host's)" \
	"$(field "$l" p_pidns)" "$PRE_PIDNS" "$OUT"
if [ "$PRE_MNT" != "$HOST_MNT" ] && [ "$PRE_PIDNS" != "$HOST_PID" ]; then
	pass "started before profrun: has its own namespaces"
else
	fail "started before profrun: has its own namespaces" "mnt $PRE_MNT pid $PRE_PIDNS"
fi

l=$(line host_exiter)
expect_eq "host process: on_exec seen" "$([ -n "$l" ] && echo yes)" yes "$OUT" "$ERR"
expect_eq "host process: e.mntns is the host's" "$(field "$l" e_mntns)" "$HOST_MNT" "$OUT"
expect_eq "host process: e.pidns is the host's" "$(field "$l" e_pidns)" "$HOST_PID" "$OUT"
expect_eq "host process: proc(e.pid).mntns is the host's" "$(field "$l" p_mntns)" "$HOST_MNT" "$OUT"
expect_eq "host process: proc(e.pid).pidns is the host's" "$(field "$l" p_pidns)" "$HOST_PID" "$OUT"

# check_ns NAME: its own namespaces, not the host's
check_ns() {
	local name=$1 l v f
	l=$(line "$name")
	expect_eq "$name: on_exec seen" "$([ -n "$l" ] && echo yes)" yes "$OUT" "$ERR"
	expect_eq "$name: proc(e.pid).pid is the host PID" "$(field "$l" p_pid)" "$(field "$l" pid)" "$OUT"
	for f in e_mntns p_mntns; do
		v=$(field "$l" $f)
		if _is_int "$v" && [ "$v" != 0 ] && [ "$v" != "$HOST_MNT" ]; then
			pass "$name: $f ($v) is not the host's ($HOST_MNT)"
		else
			fail "$name: $f is not the host's" "got '$v', host $HOST_MNT" "$OUT"
		fi
	done
	for f in e_pidns p_pidns; do
		v=$(field "$l" $f)
		if _is_int "$v" && [ "$v" != 0 ] && [ "$v" != "$HOST_PID" ]; then
			pass "$name: $f ($v) is not the host's ($HOST_PID)"
		else
			fail "$name: $f is not the host's" "got '$v', host $HOST_PID" "$OUT"
		fi
	done
}
check_ns ns_exiter
check_ns ns_sleep

l=$(line ns_sleep)
if [ -n "$SL_PID" ]; then
	expect_eq "ns_sleep: e.pid is its host PID" "$(field "$l" pid)" "$SL_PID" "$OUT"
	expect_eq "ns_sleep: mntns is /proc/PID/ns/mnt" "$(field "$l" p_mntns)" "$SL_MNT" "$OUT"
	expect_eq "ns_sleep: pidns is /proc/PID/ns/pid" "$(field "$l" p_pidns)" "$SL_PIDNS" "$OUT"
	expect_eq "ns_sleep: e.mntns == proc(e.pid).mntns" "$(field "$l" e_mntns)" "$(field "$l" p_mntns)" "$OUT"
	expect_eq "ns_sleep: e.pidns == proc(e.pid).pidns" "$(field "$l" e_pidns)" "$(field "$l" p_pidns)" "$OUT"
else
	fail "ns_sleep: found its host PID" "no child of unshare ($US_PID) running ns_sleep"
fi

finish
