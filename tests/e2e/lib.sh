# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/e2e/lib.sh: sourced by every tests/e2e/tNN-<area>-<what>.sh.
#
# Environment:
#   PROFRUN   the binary under test (default: build/profrun in the repo)
#   FIXTURES  the fixture binaries (default: build/fixtures in the repo)
#   CI        when "true", a skip is reported as a failure by run.sh
#   E2E_KEEP  when set, the test's temp dir is kept (its path is printed)
#
# A test file counts its assertions with pass/fail (or the expect_*
# helpers), runs profrun only through run_profrun/run_cmd/start_profrun
# (every run has a timeout, output goes to files in $TMP) and ends with
# `finish`, which exits 0 only if every assertion passed. Cleanup kills
# only the PIDs the test started and removes $TMP.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
TEST_NAME=$(basename "$0" .sh)

abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$PWD" "$1" ;;
	esac
}

PROFRUN=$(abspath "${PROFRUN:-$ROOT/build/profrun}")
FIXTURES=$(abspath "${FIXTURES:-$ROOT/build/fixtures}")
# shellcheck disable=SC2034 # used by the test files
EXAMPLES=$ROOT/examples
export PROFRUN FIXTURES

# Seconds a single profrun run may take before timeout ends it.
RUN_TIMEOUT=${RUN_TIMEOUT:-60}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/profrun-e2e.$TEST_NAME.XXXXXX") || {
	echo "$TEST_NAME: cannot create a temp dir" >&2
	exit 1
}

# ---- cleanup --------------------------------------------------------------

STARTED_PIDS=()

# Is $1 alive and still the process we started (its parent is us or a
# process we started)? Guards against killing a recycled PID.
_ours() {
	local pid=$1 ppid p
	[ -r "/proc/$pid/stat" ] || return 1
	ppid=$(awk '{ sub(/^.*\) /, ""); print $2 }' "/proc/$pid/stat" 2>/dev/null) || return 1
	[ "$ppid" = "$$" ] && return 0
	for p in "${STARTED_PIDS[@]}"; do
		[ "$ppid" = "$p" ] && return 0
	done
	return 1
}

cleanup() {
	local pid i
	# children first (profrun under its timeout), then their parents
	for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${STARTED_PIDS[i]}
		_ours "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		local alive=0
		for pid in "${STARTED_PIDS[@]}"; do
			_ours "$pid" && alive=1
		done
		[ $alive = 0 ] && break
		sleep 0.2
	done
	for pid in "${STARTED_PIDS[@]}"; do
		_ours "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -n "${E2E_KEEP:-}" ]; then
		echo "# $TEST_NAME: kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Remembers a PID the test started, so cleanup may kill it.
track_pid() {
	STARTED_PIDS+=("$1")
}

# ---- assertions -------------------------------------------------------------

NPASS=0
NFAIL=0

pass() {
	NPASS=$((NPASS + 1))
	echo "ok $((NPASS + NFAIL)) - $1"
}

# fail NAME MSG [FILE...]: FILEs (stdout/stderr of the run) are shown
fail() {
	local f
	NFAIL=$((NFAIL + 1))
	echo "not ok $((NPASS + NFAIL)) - $1: $2"
	shift 2
	for f in "$@"; do
		[ -e "$f" ] || continue
		echo "#   --- $(basename "$f") (first 15 lines):"
		head -n 15 "$f" | sed 's/^/#   | /'
	done
}

# check NAME CMD...: passes if CMD succeeds
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "command failed: $*"; fi
}

expect_eq() { # NAME ACTUAL EXPECTED
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', expected '$3'" "${@:4}"; fi
}

_is_int() { [[ $1 =~ ^-?[0-9]+$ ]]; }

expect_ge() { # NAME ACTUAL MIN
	if _is_int "$2" && [ "$2" -ge "$3" ]; then
		pass "$1"
	else
		fail "$1" "got '$2', expected >= $3" "${@:4}"
	fi
}

expect_gt() { # NAME ACTUAL MIN
	if _is_int "$2" && [ "$2" -gt "$3" ]; then
		pass "$1"
	else
		fail "$1" "got '$2', expected > $3" "${@:4}"
	fi
}

expect_le() { # NAME ACTUAL MAX
	if _is_int "$2" && _is_int "$3" && [ "$2" -le "$3" ]; then
		pass "$1"
	else
		fail "$1" "got '$2', expected <= $3" "${@:4}"
	fi
}

expect_lt() { # NAME ACTUAL LIMIT
	if _is_int "$2" && _is_int "$3" && [ "$2" -lt "$3" ]; then
		pass "$1"
	else
		fail "$1" "got '$2', expected < $3" "${@:4}"
	fi
}

# expect_pct_ge NAME PART WHOLE PCT [FILE...]: PART is at least PCT% of
# WHOLE, which is more than 0; the files are shown when it fails
expect_pct_ge() {
	if _is_int "$2" && _is_int "$3" && [ "$3" -gt 0 ] && [ $(($2 * 100)) -ge $(($3 * $4)) ]; then
		pass "$1 ($2/$3)"
	else
		fail "$1" "got '$2' of '$3', need >= $4%" "${@:5}"
	fi
}

# expect_pct_le NAME PART WHOLE PCT [FILE...]: PART is at most PCT% of
# WHOLE, which is more than 0
expect_pct_le() {
	if _is_int "$2" && _is_int "$3" && [ "$3" -gt 0 ] && [ $(($2 * 100)) -le $(($3 * $4)) ]; then
		pass "$1 ($2/$3)"
	else
		fail "$1" "got '$2' of '$3', need <= $4%" "${@:5}"
	fi
}

# expect_counts_add_up NAME FILE: the run printed produced=, delivered=,
# dropped= and discarded= lines, and produced is the sum of the others
expect_counts_add_up() {
	local p d x c
	p=$(val produced "$2")
	d=$(val delivered "$2")
	x=$(val dropped "$2")
	c=$(val discarded "$2")
	if _is_int "$p" && _is_int "$d" && _is_int "$x" && _is_int "$c"; then
		expect_eq "$1: produced == delivered + dropped + discarded" "$p" $((d + x + c)) "$2"
	else
		fail "$1: produced == delivered + dropped + discarded" \
			"not reported: '$p' '$d' '$x' '$c'" "$2"
	fi
}

# expect_within NAME SECS TOOK: the run took at most SECS seconds (a
# bound with room for a loaded machine, for promises such as -d)
expect_within() {
	if _is_int "$3" && [ "$3" -le "$2" ]; then
		pass "$1 within $2 s ($3 s)"
	else
		fail "$1 within $2 s" "took $3 s" "$ERR"
	fi
}

# expect_rc NAME EXPECTED: checks $RC of the last run, shows its output
expect_rc() {
	if [ "$RC" = "$2" ]; then
		pass "$1"
	else
		fail "$1" "exit status $RC, expected $2" "$OUT" "$ERR"
	fi
}

# expect_grep NAME FILE ERE: FILE has a line matching ERE
expect_grep() { # NAME FILE PATTERN
	if grep -Eq -- "$3" "$2"; then
		pass "$1"
	else
		fail "$1" "no line of $(basename "$2") matches /$3/" "$2"
	fi
}

expect_no_grep() { # NAME FILE PATTERN
	# a missing file (say, arguments swapped) must not pass as "no match"
	if [ ! -e "$2" ]; then
		fail "$1" "no file '$2' to search"
	elif ! grep -Eq -- "$3" "$2"; then
		pass "$1"
	else
		fail "$1" "a line of $(basename "$2") matches /$3/: $(grep -Em1 -- "$3" "$2")"
	fi
}

# expect_bad_spec SPEC PATTERN [OPTS]: probe('SPEC', OPTS function(e) end)
# is a usage error: exit 2, a message matching PATTERN, nothing loaded
# (-v would show libbpf's lines)
expect_bad_spec() {
	local spec=$1 pattern=$2 opts=${3:-}
	run_profrun -v -d 1 -e "probe('$spec', $opts function(e) end)"
	expect_rc "$spec: exit 2" 2
	expect_grep "$spec: says what is wrong" "$ERR" "$pattern"
	expect_no_grep "$spec: nothing loaded" "$ERR" "libbpf"
}

# val KEY FILE: the value of the last `KEY=value` line (scripts print these)
val() {
	sed -n "s/^$1=//p" "$2" | tail -n 1
}

# finish: ends the file; 0 only if every assertion passed (and there was one)
finish() {
	echo "# $TEST_NAME: $NPASS passed, $NFAIL failed"
	[ "$NFAIL" = 0 ] && [ "$NPASS" -gt 0 ] && exit 0
	exit 1
}

skip_all() {
	echo "SKIP: $*"
	exit 77
}

# ---- prerequisites ------------------------------------------------------------

_has_cap() { # CAPEFF_HEX BIT
	local hex=$1 bit=$2
	(((16#$hex >> bit) & 1))
}

require_bpf() {
	local uid capeff
	uid=$(id -u)
	if [ "$uid" != 0 ]; then
		capeff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
		# CAP_SYS_ADMIN (21) covers both; else CAP_BPF (39) and CAP_PERFMON (38)
		if ! _has_cap "$capeff" 21 && ! { _has_cap "$capeff" 39 && _has_cap "$capeff" 38; }; then
			skip_all "needs root or CAP_BPF+CAP_PERFMON (uid $uid)"
		fi
	fi
	require_profrun
}

require_profrun() {
	[ -x "$PROFRUN" ] || { echo "Bail out! no profrun binary at $PROFRUN (make)"; exit 1; }
}

require_bpftool() {
	command -v bpftool >/dev/null 2>&1 || skip_all "needs bpftool"
}

require_fixtures() {
	local f
	for f in "$@"; do
		[ -x "$FIXTURES/$f" ] || { echo "Bail out! no fixture $FIXTURES/$f (make fixtures)"; exit 1; }
	done
}

# ---- running profrun --------------------------------------------------------------

NRUN=0

# run_cmd CMD...: runs CMD under timeout (RUN_TIMEOUT seconds, then KILL 5 s
# later); sets OUT and ERR (files in $TMP) and RC. 124 = timed out.
run_cmd() {
	NRUN=$((NRUN + 1))
	OUT=$TMP/run$NRUN.out
	ERR=$TMP/run$NRUN.err
	timeout -k 5 "$RUN_TIMEOUT" "$@" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
	return 0
}

# run_profrun ARGS...: run_cmd "$PROFRUN" ARGS...
run_profrun() {
	run_cmd "$PROFRUN" "$@"
}

# start_profrun ARGS...: starts profrun in the background under timeout.
# Sets BG_PID (the timeout process), PR_PID (profrun itself), OUT, ERR.
# Stop it with stop_profrun or collect it with wait_profrun.
start_profrun() {
	local i kids
	NRUN=$((NRUN + 1))
	OUT=$TMP/run$NRUN.out
	ERR=$TMP/run$NRUN.err
	timeout -k 5 "$RUN_TIMEOUT" "$PROFRUN" "$@" >"$OUT" 2>"$ERR" </dev/null &
	BG_PID=$!
	track_pid "$BG_PID"
	PR_PID=
	for ((i = 0; i < 100; i++)); do
		kids=$(cat "/proc/$BG_PID/task/$BG_PID/children" 2>/dev/null)
		if [ -n "$kids" ]; then
			PR_PID=${kids%% *}
			track_pid "$PR_PID"
			return 0
		fi
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}

# start_bg CMD...: starts a workload in the background under timeout;
# sets BG_PID to the timeout process and WL_PID to the workload itself.
start_bg() {
	local i kids
	timeout -k 5 "$RUN_TIMEOUT" "$@" >/dev/null 2>&1 </dev/null &
	BG_PID=$!
	track_pid "$BG_PID"
	WL_PID=
	for ((i = 0; i < 100; i++)); do
		kids=$(cat "/proc/$BG_PID/task/$BG_PID/children" 2>/dev/null)
		if [ -n "$kids" ]; then
			WL_PID=${kids%% *}
			track_pid "$WL_PID"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# wait_profrun: waits for the background run started last; sets RC
wait_profrun() {
	wait "$BG_PID"
	RC=$?
}

# wait_gone PID SECS: polls until PID is gone; 1 if it is still there
wait_gone() {
	local i n=$(($2 * 10))
	for ((i = 0; i < n; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		[ "$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_file FILE SECS: polls until FILE exists
wait_file() {
	local i n=$(($2 * 10))
	for ((i = 0; i < n; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# ---- BPF objects ------------------------------------------------------------------
#
# Programs are named pr_exec, pr_exit and pr_sample. Links have no names:
# a link is profrun's when its program is. Listings come from bpftool;
# the *_of_pid variants keep only the objects whose fds PID holds (from
# /proc/PID/fdinfo), so a profrun run elsewhere on the machine does not
# disturb a test.

# "ID NAME" of every BPF program
bpf_progs() {
	if command -v jq >/dev/null 2>&1; then
		bpftool -j prog show 2>/dev/null | jq -r '.[] | "\(.id) \(.name // "-")"'
	else
		bpftool prog show 2>/dev/null | awk '/^[0-9]+:/ {
			id = $1; sub(/:$/, "", id); name = "-"
			for (i = 2; i < NF; i++) if ($i == "name") name = $(i + 1)
			print id, name }'
	fi
}

# "ID TYPE PROG_ID" of every BPF link
bpf_links() {
	if command -v jq >/dev/null 2>&1; then
		bpftool -j link show 2>/dev/null | jq -r '.[] | "\(.id) \(.type) \(.prog_id)"'
	else
		bpftool link show 2>/dev/null | awk '/^[0-9]+:/ {
			id = $1; sub(/:$/, "", id); prog = "-"
			for (i = 3; i < NF; i++) if ($i == "prog") prog = $(i + 1)
			print id, $2, prog }'
	fi
}

# fd_ids PID prog|link: ids of the BPF programs (also those behind its
# links) or links whose fds PID holds
fd_ids() {
	# each file read with getline: an fd the process closed since the glob
	# is skipped (awk handed them as arguments stops at the first it cannot
	# open, and mawk, Debian's awk, does: the links after it went unseen)
	awk -v kind="$2" 'BEGIN {
		for (i = 1; i < ARGC; i++) {
			p = ""
			l = ""
			while ((getline line < ARGV[i]) > 0) {
				split(line, w)
				if (w[1] == "prog_id:") p = w[2]
				if (w[1] == "link_id:") l = w[2]
			}
			close(ARGV[i])
			if (kind == "prog" && p != "") print p
			if (kind == "link" && l != "") print l
		}
	}' /proc/"$1"/fdinfo/* | sort -u
}

# pr_progs [PID]: "ID NAME" of programs named pr_*, only PID's when given
pr_progs() {
	if [ -n "${1:-}" ]; then
		awk 'FILENAME == ARGV[1] { mine[$1] = 1; next } ($1 in mine) && $2 ~ /^pr_/' \
			<(fd_ids "$1" prog) <(bpf_progs)
	else
		bpf_progs | awk '$2 ~ /^pr_/'
	fi
}

# pr_links [PID]: "ID TYPE PROG_NAME" of links to pr_* programs
pr_links() {
	local pid=${1:-}
	awk -v pid="$pid" '
		FILENAME == ARGV[1] { name[$1] = $2; next }
		FILENAME == ARGV[2] { mine[$1] = 1; next }
		(pid == "" || ($1 in mine)) && name[$3] ~ /^pr_/ { print $1, $2, name[$3] }' \
		<(bpf_progs) <(if [ -n "$pid" ]; then fd_ids "$pid" link; else echo; fi) <(bpf_links)
}

# count_pr_progs [-p PID] [NAME]: pr_* programs (named NAME when given)
count_pr_progs() {
	local pid=
	if [ "${1:-}" = -p ]; then pid=$2; shift 2; fi
	pr_progs "$pid" | awk -v n="${1:-}" 'n == "" || $2 == n' | wc -l
}

# count_pr_links [-p PID] [TYPE]: links to pr_* programs (of bpftool
# link type TYPE when given: raw_tracepoint, tracing, perf_event)
count_pr_links() {
	local pid=
	if [ "${1:-}" = -p ]; then pid=$2; shift 2; fi
	pr_links "$pid" | awk -v t="${1:-}" 't == "" || $2 == t' | wc -l
}

# wait_attached PID NAME... : polls (up to 20 s) until PID holds a link to
# a program of each NAME; 1 if it did not get there (or PID ended)
wait_attached() {
	local pid=$1 i name ok links
	shift
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		links=$(pr_links "$pid")
		ok=1
		for name in "$@"; do
			awk -v n="$name" '$3 == n { f = 1 } END { exit !f }' <<<"$links" || ok=0
		done
		[ $ok = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# owned_ids PID: "prog ID" and "link ID" lines for PID's pr_ objects
owned_ids() {
	pr_progs "$1" | awk '{ print "prog", $1 }'
	pr_links "$1" | awk '{ print "link", $1 }'
}

# ids_gone FILE: polls (up to 10 s: the kernel frees programs after an RCU
# grace period) until no id listed in FILE (owned_ids output) exists
ids_gone() {
	local i left
	for ((i = 0; i < 100; i++)); do
		left=$(awk 'FILENAME == ARGV[1] { want[$1 " " $2] = 1; next }
			FILENAME == ARGV[2] { if (want["prog " $1]) print "prog " $1 " " $2; next }
			{ if (want["link " $1]) print "link " $1 " " $2 }' \
			"$1" <(bpf_progs) <(bpf_links))
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "$left"
	return 1
}

# other_profruns: PIDs of profrun processes this test did not start
other_profruns() {
	local p q mine
	for p in $(pgrep -x profrun 2>/dev/null); do
		mine=0
		for q in "${STARTED_PIDS[@]}"; do [ "$p" = "$q" ] && mine=1; done
		[ $mine = 0 ] && echo "$p"
	done
}
