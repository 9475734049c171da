#!/bin/bash
# A perf map is trusted only when owned by the process's user or root
# (perf's rule): anyone can create /tmp/perf-PID.map for someone else's
# process. jitfix runs code from an anonymous executable mapping; the
# test writes its map naming that code jitFixtureHotLoop. A map chowned
# to nobody for a root process is ignored (the name never appears) and
# counted in stats().symbols.perfmap_untrusted, with a warning at the
# end; a map owned by root names the frames; a process running as nobody
# with a map owned by nobody is named too; a symlinked map is ignored.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures jitfix
[ "$(id -u)" = 0 ] || skip_all "needs root to chown files to nobody"
[ "$(uname -m)" = x86_64 ] || skip_all "jitfix's code is x86-64"

RUN_TIMEOUT=30
MAPS=()
trap 'rm -f "${MAPS[@]}"; cleanup' EXIT

cat >"$TMP/jit.lua" <<'EOF2'
local total, named = 0, 0
function on_sample(s)
  total = total + 1
  for _, f in ipairs(s:frames()) do
    if f.name == "jitFixtureHotLoop" then named = named + 1; break end
  end
end
function on_end()
  print("total=" .. total)
  print("named=" .. named)
  print("untrusted=" .. stats().symbols.perfmap_untrusted)
end
EOF2

# start_jit [setpriv args...]: starts jitfix (as the given user) with its
# "CODE SIZE" line in $TMP/jit.out; sets JIT_PID and CODE
start_jit() {
	local i kids
	rm -f "$TMP/jit.out"
	timeout -k 5 "$RUN_TIMEOUT" "$@" "$FIXTURES/jitfix" 8 >"$TMP/jit.out" 2>/dev/null </dev/null &
	track_pid $!
	JIT_PID=
	for ((i = 0; i < 100; i++)); do
		kids=$(cat "/proc/$!/task/$!/children" 2>/dev/null)
		[ -n "$kids" ] && [ -s "$TMP/jit.out" ] && break
		sleep 0.05
	done
	JIT_PID=${kids%% *}
	track_pid "$JIT_PID"
	CODE=$(cat "$TMP/jit.out")
}

# run_case NAME OWNER [setpriv args...]: map owned by OWNER; runs profrun on it
run_case() {
	local name=$1 owner=$2 map
	shift 2
	start_jit "$@"
	if [ -z "$JIT_PID" ] || [ -z "$CODE" ]; then
		fail "$name: jitfix started" "no pid or code address"
		return 1
	fi
	map=/tmp/perf-$JIT_PID.map
	MAPS+=("$map")
	echo "$CODE jitFixtureHotLoop" >"$map"
	chown "$owner" "$map"
	run_profrun -F 499 -p "$JIT_PID" -d 2 "$TMP/jit.lua"
	expect_rc "$name: exit 0" 0
	expect_ge "$name: samples of jitfix (>= 50)" "$(val total "$OUT")" 50 "$OUT" "$ERR"
	rm -f "$map"
}

run_case "map owned by nobody, process root" nobody
expect_eq "foreign map: its name never appears" "$(val named "$OUT")" 0 "$OUT"
expect_ge "foreign map: counted in perfmap_untrusted" "$(val untrusted "$OUT")" 1 "$OUT"
expect_grep "foreign map: warned at the end" "$ERR" '^profrun: ignored [0-9]+ perf map file'

run_case "map owned by root, process root" root
expect_ge "root's map: frames named jitFixtureHotLoop" "$(val named "$OUT")" 1 "$OUT"
expect_eq "root's map: nothing untrusted" "$(val untrusted "$OUT")" 0 "$OUT"

run_case "map owned by nobody, process nobody" nobody \
	setpriv --reuid=nobody --regid=nogroup --clear-groups
expect_ge "the process's user's map: frames named" "$(val named "$OUT")" 1 "$OUT"
expect_eq "the process's user's map: nothing untrusted" "$(val untrusted "$OUT")" 0 "$OUT"

# a symlink at the map's name, to a file root owns, is not followed
start_jit
if [ -n "$JIT_PID" ] && [ -n "$CODE" ]; then
	echo "$CODE jitFixtureHotLoop" >"$TMP/target.map"
	MAPS+=("/tmp/perf-$JIT_PID.map")
	ln -s "$TMP/target.map" "/tmp/perf-$JIT_PID.map"
	run_profrun -F 499 -p "$JIT_PID" -d 2 "$TMP/jit.lua"
	expect_rc "symlinked map: exit 0" 0
	expect_eq "symlinked map: its name never appears" "$(val named "$OUT")" 0 "$OUT"
	expect_ge "symlinked map: counted" "$(val untrusted "$OUT")" 1 "$OUT"
	rm -f "/tmp/perf-$JIT_PID.map"
else
	fail "symlinked map: jitfix started" "no pid or code address"
fi

finish
