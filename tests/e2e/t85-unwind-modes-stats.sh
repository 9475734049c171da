#!/bin/bash
# The unwinder's options and counters as a script sees them:
#  - stats().unwind.mode is "auto" by default, "fp" or "dwarf" when
#    sample{unwind=} asks, and --unwind overrides the script either way;
#  - dwarf and auto build tables (tables >= 1, table_bytes > 0) and copy
#    stack (copy_bytes > 0); fp builds none and copies nothing;
#  - complete + truncated == stacks, and failures is a table of counters
#    no_cfi, unsupported, stack_short, bad_frame, no_map, too_deep;
#  - sample{stack_bytes=4096} copies at most 4096 bytes a sample;
#    16384 is accepted;
#  - sample{unwind="bogus"}, --unwind bogus, sample{stack_bytes=1} and
#    stack_bytes=16385 are usage errors (exit 2) whose message names the
#    option and, for unwind, the allowed values.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-unwind.sh"
require_bpf
require_fixtures uw-chain

RUN_TIMEOUT=30
BIN=$FIXTURES/uw-chain
UW_MIN_SAMPLES=50

# unwind_counters NAME: the counters add up and failures has its keys
unwind_counters() {
	local name=$1 stacks complete truncated k
	stacks=$(val unwind.stacks "$OUT")
	complete=$(val unwind.complete "$OUT")
	truncated=$(val unwind.truncated "$OUT")
	if _is_int "$stacks" && _is_int "$complete" && _is_int "$truncated" &&
		[ $((complete + truncated)) = "$stacks" ]; then
		pass "$name: complete + truncated == stacks ($complete + $truncated = $stacks)"
	else
		fail "$name: complete + truncated == stacks" \
			"complete=$complete truncated=$truncated stacks=$stacks" "$OUT"
	fi
	expect_eq "$name: failures is a table" "$(val unwind.failures "$OUT")" table "$OUT"
	for k in no_cfi unsupported stack_short bad_frame no_map too_deep; do
		expect_ge "$name: failures.$k is a count" "$(val "unwind.failures.$k" "$OUT")" 0 "$OUT"
	done
}

# ---- modes from the script ----
for mode in default auto dwarf fp; do
	uw_profile "$BIN 0.5" "$mode"
	uw_expect_profiled "unwind=$mode"
	want=$mode
	[ "$mode" = default ] && want=auto
	expect_eq "unwind=$mode: stats().unwind.mode" "$(val unwind.mode "$OUT")" "$want" "$OUT"
	case $want in
	fp)
		expect_eq "unwind=fp: no table built" "$(val unwind.tables "$OUT")" 0 "$OUT"
		expect_eq "unwind=fp: no stack copied" "$(val unwind.copy_bytes "$OUT")" 0 "$OUT"
		;;
	*)
		expect_ge "unwind=$mode: tables >= 1" "$(val unwind.tables "$OUT")" 1 "$OUT"
		expect_gt "unwind=$mode: table_bytes > 0" "$(val unwind.table_bytes "$OUT")" 0 "$OUT"
		expect_gt "unwind=$mode: copy_bytes > 0" "$(val unwind.copy_bytes "$OUT")" 0 "$OUT"
		expect_ge "unwind=$mode: stacks >= 50" "$(val unwind.stacks "$OUT")" 50 "$OUT"
		unwind_counters "unwind=$mode"
		;;
	esac
done

# ---- --unwind overrides the script ----
UW_ARGS=(--unwind fp)
uw_profile "$BIN 0.5" dwarf
uw_expect_profiled "--unwind fp over unwind=dwarf"
expect_eq "--unwind fp over unwind=dwarf: mode" "$(val unwind.mode "$OUT")" fp "$OUT"
expect_eq "--unwind fp over unwind=dwarf: no table built" "$(val unwind.tables "$OUT")" 0 "$OUT"
UW_ARGS=(--unwind dwarf)
uw_profile "$BIN 0.5" fp
uw_expect_profiled "--unwind dwarf over unwind=fp"
expect_eq "--unwind dwarf over unwind=fp: mode" "$(val unwind.mode "$OUT")" dwarf "$OUT"
expect_ge "--unwind dwarf over unwind=fp: tables >= 1" "$(val unwind.tables "$OUT")" 1 "$OUT"
UW_ARGS=(--unwind auto)
uw_profile "$BIN 0.5" default
uw_expect_profiled "--unwind auto"
expect_eq "--unwind auto: mode" "$(val unwind.mode "$OUT")" auto "$OUT"
UW_ARGS=()

# ---- stack_bytes ----
uw_profile "$BIN 0.5" dwarf 4096
uw_expect_profiled "stack_bytes=4096"
copy=$(val unwind.copy_bytes "$OUT")
delivered=$(val delivered "$OUT")
if _is_int "$copy" && _is_int "$delivered" && [ "$copy" -gt 0 ] &&
	[ "$copy" -le $((delivered * 4096)) ]; then
	pass "stack_bytes=4096: 0 < copy_bytes <= 4096 * samples ($copy, $delivered samples)"
else
	fail "stack_bytes=4096: 0 < copy_bytes <= 4096 * samples" \
		"copy_bytes=$copy samples=$delivered" "$OUT"
fi
uw_profile "$BIN 0.3" dwarf 16384
expect_rc "stack_bytes=16384 (the maximum): exit 0" 0

# ---- errors ----
# usage_error NAME WORD...: the last run exited 2 and its message (stderr)
# has every WORD as a word of its own
usage_error() {
	local name=$1 w
	shift
	expect_rc "$name: exit 2" 2
	for w in "$@"; do
		expect_grep "$name: the message names '$w'" "$ERR" "(^|[^[:alnum:]_])$w([^[:alnum:]_]|\$)"
	done
}
uw_profile "$BIN 0.3" bogus
usage_error 'sample{unwind="bogus"}' unwind bogus auto fp dwarf
uw_profile "$BIN 0.3" dwarf 1
usage_error 'sample{stack_bytes=1}' stack_bytes
uw_profile "$BIN 0.3" dwarf 16385
usage_error 'sample{stack_bytes=16385}' stack_bytes 16384
run_profrun --unwind bogus -c "$BIN 0.3" -e 'function on_sample(s) end'
usage_error '--unwind bogus' unwind bogus auto fp dwarf

finish
