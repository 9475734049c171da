#!/bin/bash
# Where a stack ends other than at _start:
#  - a thread: uw-thread's thread runs uw_thread_main -> uw_thread_burn on
#    an mmap()ed stack. >= 90% of its samples are exactly
#    clone3;start_thread;uw_thread_main;uw_thread_burn (clone3's CFI ends
#    the walk) and >= 90% of the stacks count as complete.
#  - deeper than the copy: uw-deep nests 300 frames of over 200 bytes
#    (0xd0 + rbx + return address) above uw_deep_leaf. With the default 16 KiB
#    copy, >= 90% of samples are uw_recurse frames only, 60..82 of them,
#    over uw_deep_leaf (nothing made up past the end of the copy), and
#    >= 90% of stacks are truncated with failures.stack_short; with
#    stack_bytes=4096, >= 90% have 12..21 uw_recurse frames: stack_bytes
#    bounds what is unwound.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-unwind.sh"
require_bpf
require_fixtures uw-thread uw-deep

RUN_TIMEOUT=30
LIBC='libc\.so\.6'

# ---- a thread ----
X=uw-thread
uw_expect_no_fp "$X" "$FIXTURES/$X" uw_thread_main uw_thread_burn
uw_profile "$FIXTURES/$X 1.5" default
uw_expect_profiled "$X"
uw_expect_share "$X: >= 90% of samples are clone3;start_thread;uw_thread_main;uw_thread_burn" \
	"$OUT" "^clone3@$LIBC;start_thread@$LIBC;uw_thread_main@$X;uw_thread_burn@$X(;|$)" "" 90
uw_expect_complete "$X" "$OUT"

# ---- deeper than the copy ----
X=uw-deep
ONLY="^(uw_recurse@$X;)+uw_deep_leaf@$X(;|$)"

# depth_share NAME LO HI: >= 90% of samples match ONLY with LO..HI uw_recurse
depth_share() {
	local name=$1 lo=$2 hi=$3 got all
	read -r got all < <(UW_RE=$ONLY awk -F '\t' -v lo="$lo" -v hi="$hi" '
		$1 == "stack" {
			all += $2
			n = gsub(/uw_recurse@/, "&", $3)
			if ($3 ~ ENVIRON["UW_RE"] && n >= lo && n <= hi) got += $2
		}
		END { print got + 0, all + 0 }' "$OUT")
	if [ "$all" -ge "$UW_MIN_SAMPLES" ] && [ $((got * 100)) -ge $((all * 90)) ]; then
		pass "$name ($got/$all)"
	else
		fail "$name" "$got of $all samples" "$(uw_diag "$OUT" "" "$ONLY")" "$OUT"
	fi
}

# ratio_of NAME PART_KEY WHOLE_KEY: val PART >= 90% of val WHOLE
ratio_of() {
	expect_pct_ge "$1" "$(val "$2" "$OUT")" "$(val "$3" "$OUT")" 90 "$OUT"
}

uw_profile "$FIXTURES/$X 1.5 300" default
uw_expect_profiled "$X"
depth_share "$X: >= 90% of samples are 60..82 uw_recurse over uw_deep_leaf, nothing else" 60 82
ratio_of "$X: >= 90% of stacks truncated" unwind.truncated unwind.stacks
ratio_of "$X: >= 90% of stacks failed stack_short" unwind.failures.stack_short unwind.stacks

uw_profile "$FIXTURES/$X 1 300" dwarf 4096
uw_expect_profiled "$X, stack_bytes=4096"
depth_share "$X, stack_bytes=4096: >= 90% of samples are 12..21 uw_recurse over uw_deep_leaf" 12 21

finish
