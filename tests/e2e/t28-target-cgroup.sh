#!/bin/bash
# --cgroup restricts every source to a cgroup v2 subtree, in the kernel:
# in a cgroup the test creates (with a child cgroup inside it), a burner
# and an exec loop are seen, and the same programs outside are not. A
# bad path or container id is a usage error: exit 2, a message that says
# what to do, and no BPF loaded.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures burn

RUN_TIMEOUT=60
CG_ROOT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$CG_ROOT" ] || skip_all "no cgroup v2 mount"
NAME=profrun-e2e-$$
CG=$CG_ROOT/$NAME
# a container's cgroup, named the way docker names its scopes
CID=$(printf '%08x' $$ $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM | cut -c1-64)
CT=$CG/docker-$CID.scope
mkdir "$CG" "$CG/inner" "$CT" || skip_all "cannot create a cgroup under $CG_ROOT"
# processes leave with the test's own cleanup; the groups go after them
trap 'cleanup; for g in "$CG/inner" "$CT" "$CG"; do for i in 1 2 3 4 5 6 7 8 9 10; do rmdir "$g" 2>/dev/null && break; sleep 0.2; done; done' EXIT
for n in burn_in burn_out burn_ct; do cp "$FIXTURES/burn" "$TMP/$n"; done
cp /bin/true "$TMP/true_in"
cp /bin/true "$TMP/true_out"

# start_in CGROUP CMD...: a workload moved into CGROUP before it execs
start_in() {
	local cg=$1
	shift
	start_bg sh -c "echo \$\$ > '$cg/cgroup.procs' && exec \"\$@\"" sh "$@"
}

start_in "$CG/inner" "$TMP/burn_in" 30
IN_PID=$WL_PID
start_in "$CG" sh -c "while :; do '$TMP/true_in'; sleep 0.02; done"
start_bg "$TMP/burn_out" 30
OUT_PID=$WL_PID
start_bg sh -c "while :; do '$TMP/true_out'; sleep 0.02; done"
sleep 0.3

cat >"$TMP/cg.lua" <<'EOF2'
local by, execs = {}, {}
function on_sample(s) by[s.comm] = (by[s.comm] or 0) + 1 end
function on_exec(e) execs[e.comm] = (execs[e.comm] or 0) + 1 end
function on_end()
  for _, c in ipairs { "burn_in", "burn_out" } do print(c .. "=" .. (by[c] or 0)) end
  for _, c in ipairs { "true_in", "true_out" } do print(c .. "=" .. (execs[c] or 0)) end
  print("in_target_in=" .. tostring(in_target(tonumber(arg[1]))))
  print("in_target_out=" .. tostring(in_target(tonumber(arg[2]))))
end
EOF2

for form in "$NAME" "$CG"; do
	run_profrun -d 2 -F 199 --cgroup "$form" "$TMP/cg.lua" "$IN_PID" "$OUT_PID"
	expect_rc "--cgroup $form: exit 0" 0
	expect_gt "--cgroup $form: a burner in a child cgroup is sampled" "$(val burn_in "$OUT")" 0 \
		"$OUT" "$ERR"
	expect_eq "--cgroup $form: a burner outside is not" "$(val burn_out "$OUT")" 0 "$OUT"
	expect_gt "--cgroup $form: execs inside are seen" "$(val true_in "$OUT")" 0 "$OUT"
	expect_eq "--cgroup $form: execs outside are not" "$(val true_out "$OUT")" 0 "$OUT"
	expect_eq "--cgroup $form: in_target() inside" "$(val in_target_in "$OUT")" true "$OUT"
	expect_eq "--cgroup $form: in_target() outside" "$(val in_target_out "$OUT")" false "$OUT"
done

# --container: the id proc().container shows, or a 12-digit prefix of it
start_in "$CT" "$TMP/burn_ct" 30
CT_PID=$WL_PID
sleep 0.3
cat >"$TMP/ct.lua" <<'EOF2'
local n, other = 0, 0
function on_sample(s)
  if s.comm == "burn_ct" then n = n + 1 else other = other + 1 end
end
function on_end()
  print("ct=" .. n)
  print("other=" .. other)
  print("container=" .. tostring(proc(tonumber(arg[1])).container))
end
EOF2
run_profrun -d 2 -F 199 --container "${CID:0:12}" "$TMP/ct.lua" "$CT_PID"
expect_rc "--container: exit 0" 0
expect_gt "--container: its process is sampled" "$(val ct "$OUT")" 0 "$OUT" "$ERR"
expect_eq "--container: nothing else is" "$(val other "$OUT")" 0 "$OUT"
expect_eq "--container: the id is the one proc().container shows" "$(val container "$OUT")" \
	"$CID" "$OUT"

# usage errors: exit 2 before any BPF is loaded (-v would show libbpf)
usage_case() {
	local name=$1 pattern=$2
	shift 2
	run_profrun -v -d 1 "$@" -e 'function on_sample(s) end'
	expect_rc "$name: exit 2" 2
	expect_grep "$name: says what is wrong" "$ERR" "$pattern"
	expect_no_grep "$name: nothing loaded" "$ERR" "libbpf"
}
usage_case "no such cgroup" "no cgroup directory .*cgroup2 mount" --cgroup "$NAME/nope"
usage_case "a file, not a cgroup" "no cgroup directory" --cgroup "$NAME/cgroup.procs"
usage_case "outside the mount" "not a cgroup v2 directory" --cgroup "$CG/../../.."
usage_case "unknown container" "no cgroup under .* belongs to that container" \
	--container 0123456789abcdef0123
usage_case "not a container id" "not a container id" --container xyz

finish
