#!/bin/bash
# --help, -V and every usage error: exit 2, a message naming the culprit,
# and nothing loaded (the script has a hook, so a run that got as far as
# loading would load pr_exec).
. "$(dirname "$0")/lib.sh"
require_bpf
require_bpftool

HOOK='function on_exec(e) end'
RUN_TIMEOUT=20

# ---- help and version ----
run_profrun --help
expect_rc "--help exits 0" 0
expect_grep "--help starts with usage" "$OUT" '^usage: profrun'
expect_grep "--help mentions exit codes" "$OUT" '^exit codes:'
expect_grep "--help explains exit 0" "$OUT" '^ +0 +'
expect_grep "--help explains exit 1" "$OUT" '^ +1 +'
expect_grep "--help explains exit 2" "$OUT" '^ +2 +'

run_profrun -h
expect_rc "-h exits 0" 0
expect_grep "-h prints usage" "$OUT" '^usage: profrun'

run_profrun -V
expect_rc "-V exits 0" 0
expect_grep "-V prints the version" "$OUT" '^profrun [0-9]+\.[0-9]+\.[0-9]+'

run_profrun --version
expect_rc "--version exits 0" 0
expect_grep "--version prints the version" "$OUT" '^profrun [0-9]+\.[0-9]+\.[0-9]+'

# ---- usage errors: exit 2, message, nothing loaded ----

HAVE_STRACE=0
command -v strace >/dev/null 2>&1 && strace -qq -o /dev/null true 2>/dev/null && HAVE_STRACE=1

# usage_error NAME ERE ARGS...: profrun ARGS exits 2, stderr matches ERE,
# and no BPF program was loaded (bpf(BPF_PROG_LOAD) never called when
# strace works; no new pr_* program listed by bpftool either way)
usage_error() {
	local name=$1 re=$2 before after new
	shift 2
	before=$(pr_progs | awk '{ print $1 }' | sort)
	if [ $HAVE_STRACE = 1 ]; then
		# LeakSanitizer cannot run under ptrace (SANITIZE=1 builds)
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run_cmd strace -f -qq -e trace=bpf -o "$TMP/strace.out" "$PROFRUN" "$@"
	else
		run_profrun "$@"
	fi
	expect_rc "$name: exit 2" 2
	expect_grep "$name: message" "$ERR" "$re"
	after=$(pr_progs | awk '{ print $1 }' | sort)
	new=$(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')
	if [ -z "${new// /}" ]; then
		pass "$name: no pr_ program in bpftool afterwards"
	else
		fail "$name: no pr_ program in bpftool afterwards" "new pr_ programs: $new"
	fi
	if [ $HAVE_STRACE = 1 ]; then
		if grep -q BPF_PROG_LOAD "$TMP/strace.out"; then
			fail "$name: no BPF_PROG_LOAD" \
				"$(grep -c BPF_PROG_LOAD "$TMP/strace.out") program loads seen by strace"
		else
			pass "$name: no BPF_PROG_LOAD"
		fi
		rm -f "$TMP/strace.out"
	fi
}

usage_error "unknown option" "unknown option '--bogus'" --bogus -e "$HOOK"
usage_error "unknown short option" "unknown option '-Z'" -Z -e "$HOOK"
usage_error "-d 5x" "-d 5x" -d 5x -e "$HOOK"
usage_error "-d 0" "-d 0" -d 0 -e "$HOOK"
usage_error "-d without value" "-d" -e "$HOOK" -d
usage_error "-F 0" "-F 0" -F 0 -e "$HOOK"
usage_error "-F abc" "-F abc" -F abc -e "$HOOK"
usage_error "no script" "no script" -d 1
usage_error "-p with -c" "-p and -c" -p 1 -c true -e "$HOOK"

usage_error "nonexistent script" "$TMP/nope\.lua" "$TMP/nope.lua"

# root reads any file, so a directory stands for an unreadable script
mkdir "$TMP/adir.lua"
usage_error "directory as script" "$TMP/adir\.lua" "$TMP/adir.lua"
# the message is intermittently garbled: try many paths
bad=
for i in $(seq 1 50); do
	mkdir -p "$TMP/d$i/adir$i.lua"
	run_profrun "$TMP/d$i/adir$i.lua"
	if [ "$RC" != 2 ] || ! grep -qF -- "$TMP/d$i/adir$i.lua" "$ERR"; then
		bad="$bad [rc $RC: $(head -c 200 "$ERR")]"
	fi
done
if [ -z "$bad" ]; then
	pass "directory as script: exit 2 naming the path, 50 paths"
else
	fail "directory as script: exit 2 naming the path, 50 paths" "$bad"
fi

printf 'function on_exec(e) end\nlocal x = = 1\n' >"$TMP/syntax.lua"
usage_error "syntax error" "syntax\.lua:2:" "$TMP/syntax.lua"
usage_error "-e syntax error" "\(-e\):1:" -e 'function on_exec(e) end end'

# pid_max is one above the largest PID, so no process has it
pid_max=$(cat /proc/sys/kernel/pid_max)
usage_error "-p pid_max" "-p $pid_max: no such process" -p "$pid_max" -e "$HOOK"
# a reaped child's PID (not reused this soon in practice)
sh -c 'exit 0' &
dead=$!
wait "$dead"
if kill -0 "$dead" 2>/dev/null; then
	pass "-p reaped pid: skipped, PID $dead was reused"
else
	usage_error "-p reaped pid" "-p $dead: no such process" -p "$dead" -e "$HOOK"
fi

finish
