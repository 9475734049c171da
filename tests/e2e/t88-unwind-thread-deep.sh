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
#  - a thread whose stack's end moves: uw-switch's thread takes turns of
#    4 ms between a function on a 2 KiB array in its own frame (entered
#    through uw_switch_entry, whose CFI ends a walk) and a function below
#    that frame. With the tables alone (the copy is not unwound in user
#    space, so a walk that stops short shows), >= 90% of the array's
#    samples are exactly uw_switch_entry;uw_switch_co and whole, and
#    >= 97% of the thread's own are whole to clone3: the walker keeps where
#    a thread's last whole walk ended and copies no further, which after a
#    turn on the array is short of the thread's frames; the copy must
#    grow from there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-unwind.sh"
require_bpf
require_fixtures uw-thread uw-deep uw-switch

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

# ---- a thread whose stack's end moves ----
X=uw-switch
UW_ENV=(PROFRUN_KERNEL_UNWIND=only)
uw_profile "$FIXTURES/$X 2 4" default
UW_ENV=()
uw_expect_profiled "$X"
uw_expect_share "$X: >= 90% of the array's samples are uw_switch_entry;uw_switch_co" \
	"$OUT" "^uw_switch_entry@$X;uw_switch_co@$X(;|$)" "(^|;)uw_switch_co@$X(;|$)" 90
expect_pct_ge "$X, tables only: >= 90% of walks whole" "$(val unwind.kernel.complete "$OUT")" \
	"$(val total "$OUT")" 90 "$OUT"
uw_expect_share "$X, tables only: >= 97% of the thread's own samples whole" \
	"$OUT" "^clone3@$LIBC;start_thread@$LIBC;uw_switch_main@$X;uw_switch_below@$X(;|$)" \
	"(^|;)uw_switch_below@$X(;|$)" 97

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
