#!/bin/bash
# proc(pid).cgroup and .container: a shell moves itself into a cgroup2
# cgroup named like a docker scope (/system.slice/docker-<64 hex>.scope) and
# execs a fixture there; in on_exec, proc(e.pid).cgroup is that path and
# .container the 64-hex id; a process outside has container nil.
#
#   in1: cgroup created before profrun starts, 1 ms process (exiter 0);
#        the hook waits until /proc/PID is gone before it asks
#   in2: cgroup created while profrun runs (after its first cgroup walk),
#        process alive for 1 s (sleep 1)
#   in3: cgroup created while profrun runs, 1 ms process, gone before the
#        hook asks: the exec event carries the cgroup id, so the path must
#        be known without /proc
#
# Uses the cgroup2 mount of the host when there is one (hybrid hosts have
# it at /sys/fs/cgroup/unified), else mounts cgroup2 on a temp dir before
# profrun starts (profrun looks for the mount when it starts). Cleanup
# moves our processes back, removes the cgroups and unmounts.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures exiter
[ "$(id -u)" = 0 ] || skip_all "creating cgroups and moving processes needs root"

RUN_TIMEOUT=30
EXITER=$FIXTURES/exiter
TAG=cgtest$$

CG2=$(awk '/ - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
CG2_MNT=
CREATED=()   # cgroup dirs we created, parents first

# shellcheck disable=SC2317 # called from the EXIT trap
t45_cleanup() {
	local i d own p
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	for ((i = ${#CREATED[@]} - 1; i >= 0; i--)); do
		d=${CREATED[i]}
		[ -d "$d" ] || continue
		while read -r p; do
			[ -n "$p" ] && echo "$p" >"$CG2$own/cgroup.procs" 2>/dev/null
		done <"$d/cgroup.procs"
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			rmdir "$d" 2>/dev/null && break
			sleep 0.2
		done
	done
	if [ -n "$CG2_MNT" ]; then
		umount "$CG2_MNT" 2>/dev/null || umount -l "$CG2_MNT"
		rmdir "$CG2_MNT"
	fi
}
trap 't45_cleanup; cleanup' EXIT

if [ -z "$CG2" ] || [ -n "${T45_MOUNT:-}" ]; then
	# outside $TMP: cleanup's rm -rf must never walk a cgroup mount
	CG2_MNT=$(mktemp -d "${TMPDIR:-/tmp}/profrun-e2e-cg2.XXXXXX") || exit 1
	mount -t cgroup2 none "$CG2_MNT" || { echo "Bail out! mount -t cgroup2 failed"; exit 1; }
	CG2=$CG2_MNT
fi
echo "# cgroup2 at $CG2"

hex64() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

# new_scope: creates /system.slice/docker-<id>.scope; sets ID and SCOPE
new_scope() {
	ID=$(hex64)
	if [ ! -d "$CG2/system.slice" ]; then
		if mkdir "$CG2/system.slice" 2>/dev/null; then
			CREATED+=("$CG2/system.slice")
		else
			[ -d "$CG2/system.slice" ] || return 1
		fi
	fi
	SCOPE=/system.slice/docker-$ID.scope
	mkdir "$CG2$SCOPE" || return 1
	CREATED+=("$CG2$SCOPE")
}

# run_in SCOPE TAG CMD...: a bash moves itself into SCOPE, then execs CMD
# with argv[0] TAG; waits for it
run_in() {
	local scope=$1 tag=$2
	shift 2
	bash -c 'echo $$ >"$1/cgroup.procs" || exit 99; t=$2; shift 2; exec -a "$t" "$@"' \
		_ "$CG2$scope" "$tag" "$@" &
	track_pid $!
	wait $!
}

new_scope || { echo "Bail out! cannot create a cgroup under $CG2"; exit 1; }
ID1=$ID SCOPE1=$SCOPE

cat >"$TMP/container.lua" <<'EOF'
local format = string.format
local TAG = arg[1]
local function show(v) return v == nil and "nil" or tostring(v) end
-- waits (at most 3 s) until /proc/PID is gone
local function gone(pid)
  local t0 = now()
  while now() - t0 < 3e9 do
    local f = io.open("/proc/" .. pid .. "/stat")
    if not f then return true end
    f:close()
  end
  return false
end
function on_exec(e)
  local a0 = e.argv[1]
  if not (a0 and a0:sub(1, #TAG + 1) == TAG .. "_") then return end
  -- a 1 ms process: by the time the hook asks, /proc has nothing
  if a0:match("_in[13]$") and not gone(e.pid) then print("still_alive=" .. a0) end
  local p = proc(e.pid)
  print(format("exec tag=%s pid=%d cgid=%d container=%s cgroup=%s", a0, e.pid, e.cgroup,
    show(p and p.container), show(p and p.cgroup)))
end
EOF

start_profrun -d 25 "$TMP/container.lua" "$TAG"
if ! wait_attached "$PR_PID" pr_exec pr_exit; then
	fail "attached" "no link to pr_exec and pr_exit within 20 s" "$OUT" "$ERR"
	finish
fi
pass "attached"

# outside any container
{ exec -a "${TAG}_out" "$EXITER" 0; } &
track_pid $!
wait $!
run_in "$SCOPE1" "${TAG}_in1" "$EXITER" 0
expect_eq "the shell moved into $SCOPE1" "$?" 0
# profrun has looked up in1's cgroup (its first walk) before in2/in3's exist
for ((i = 0; i < 100; i++)); do
	grep -q "^exec tag=${TAG}_in1 " "$OUT" && break
	sleep 0.1
done
new_scope || { echo "Bail out! cannot create a cgroup under $CG2"; exit 1; }
ID3=$ID SCOPE3=$SCOPE
run_in "$SCOPE3" "${TAG}_in3" "$EXITER" 0
new_scope || { echo "Bail out! cannot create a cgroup under $CG2"; exit 1; }
ID2=$ID SCOPE2=$SCOPE
run_in "$SCOPE2" "${TAG}_in2" sleep 1
sleep 0.5
kill -INT "$PR_PID"
wait_profrun
expect_rc "SIGINT ends the run with exit 0" 0

line() { grep -m1 "^exec tag=${TAG}_$1 " "$OUT"; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

OWN=$(sed -n 's/^0:://p' /proc/self/cgroup)
l=$(line out)
expect_eq "outside: on_exec seen" "$([ -n "$l" ] && echo yes)" yes "$OUT" "$ERR"
expect_eq "outside: container is nil" "$(field "$l" container)" nil "$OUT"
expect_eq "outside: cgroup is ours ($OWN)" "$(field "$l" cgroup)" "$OWN" "$OUT"

# check_in NAME ID SCOPE
check_in() {
	local l
	l=$(line "$1")
	expect_eq "$1: on_exec seen" "$([ -n "$l" ] && echo yes)" yes "$OUT" "$ERR"
	expect_eq "$1: e.cgroup is the cgroup's id (inode)" "$(field "$l" cgid)" \
		"$(stat -c %i "$CG2$3")" "$OUT"
	expect_eq "$1: proc(e.pid).cgroup" "$(field "$l" cgroup)" "$3" "$OUT"
	expect_eq "$1: proc(e.pid).container is the 64-hex id" "$(field "$l" container)" "$2" "$OUT"
}
check_in in1 "$ID1" "$SCOPE1"
check_in in2 "$ID2" "$SCOPE2"
check_in in3 "$ID3" "$SCOPE3"

finish
