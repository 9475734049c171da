#!/bin/bash
# Two places where the caller's frame is not where a body's unwind row says:
#  - a signal frame: uw-signal's SIGALRM handler uw_handler spins inside the
#    handler, interrupting uw_interrupted. Of the samples whose leaf is
#    uw_handler, >= 90% go _start..main;uw_interrupted;<glibc's
#    __restore_rt, in libc.so.6>;uw_handler: the unwinder must follow the
#    trampoline's CFI into the saved ucontext, and take the interrupted pc
#    as it is (not as a return address).
#  - prologues and epilogues: uw-prologue's uw_loop calls 16 tiny leaves
#    (lea;ret, push/pop of rbx,r12, push/pop of rbp, sub/add rsp) in a
#    tight loop. >= 90% of all samples show main;uw_loop; >= 90% of the
#    samples in a uw_tiny_* go _start..main;uw_loop;uw_tiny_N; and so do
#    >= 90% of those whose pc is on a push, a pop, an rsp adjustment or the
#    ret (where the CFA moves instruction by instruction), and of those on
#    the ret alone. Run in the default mode and with unwind="dwarf".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-unwind.sh"
require_bpf
require_fixtures uw-signal uw-prologue

RUN_TIMEOUT=30
LIBC='libc\.so\.6'

# ---- signal frames ----
X=uw-signal
uw_expect_no_fp "$X" "$FIXTURES/$X" main uw_interrupted uw_handler
LEAF="(^|;)uw_handler@$X\$"
FULL="$(uw_entry "$X")uw_interrupted@$X;[^;]*@$LIBC;uw_handler@$X\$"
uw_profile "$FIXTURES/$X 1.5" default
uw_expect_profiled "$X"
uw_expect_share "$X: >= 50% of samples in uw_handler (the workload)" "$OUT" "$LEAF" "" 50
uw_expect_share "$X: >= 90% of uw_handler samples go _start..main;uw_interrupted;__restore_rt;uw_handler" \
	"$OUT" "$FULL" "$LEAF" 90

# ---- prologues and epilogues ----
X=uw-prologue
BIN=$FIXTURES/$X
uw_expect_no_fp "$X" "$BIN" main uw_loop uw_tiny_0 uw_tiny_1 uw_tiny_2 uw_tiny_3

# "uw_tiny_N+0xOFF" of each instruction of the tiny functions that moves rsp
# or rbp: push, pop, sub/add rsp, and ret
# shellcheck disable=SC2016 # $0x is objdump's, not the shell's
edges=$(objdump -d --no-show-raw-insn --prefix-addresses "$BIN" |
	sed -nE 's/^[0-9a-f]+ <(uw_tiny_[0-9]+)(\+0x[0-9a-f]+)?> +(push|pop|ret|sub +\$0x[0-9a-f]+,%rsp|add +\$0x[0-9a-f]+,%rsp).*/\1\2 \3/p' |
	awk '{ if ($1 !~ /\+/) $1 = $1 "+0x0"; print $1, $2 }')
EDGE_RE="(^|;)($(awk '{ print $1 }' <<<"$edges" | sed 's/+/\\+/' | paste -sd '|'))@$X\$"
RET_RE="(^|;)($(awk '$2 == "ret" { print $1 }' <<<"$edges" | sed 's/+/\\+/' | paste -sd '|'))@$X\$"
n_ret=$(awk '$2 == "ret"' <<<"$edges" | wc -l)
n_push=$(awk '$2 == "push"' <<<"$edges" | wc -l)
expect_ge "$X: objdump finds a ret in each of the 16 uw_tiny_*" "$n_ret" 16
expect_ge "$X: objdump finds pushes in uw_tiny_*" "$n_push" 8

TINY="(^|;)uw_tiny_[0-9]+\\+0x[0-9a-f]+@$X\$"
LOOP="(^|;)main@$X;uw_loop(\\+0x[0-9a-f]+)?@$X(;|$)"
FULL="$(uw_entry "$X")uw_loop@$X;uw_tiny_[0-9]+\\+0x[0-9a-f]+@$X\$"
for mode in default dwarf; do
	uw_profile "$BIN 1.5" "$mode" default offsets
	uw_expect_profiled "$X, unwind=$mode"
	uw_expect_share "$X, unwind=$mode: >= 90% of samples have main;uw_loop" "$OUT" "$LOOP" "" 90
	uw_expect_share "$X, unwind=$mode: >= 30% of samples in a uw_tiny_* (the workload)" \
		"$OUT" "$TINY" "" 30
	uw_expect_share "$X, unwind=$mode: >= 90% of uw_tiny_* samples go _start..main;uw_loop;uw_tiny_N" \
		"$OUT" "$FULL" "$TINY" 90
	UW_MIN_SAMPLES=20 uw_expect_share \
		"$X, unwind=$mode: >= 90% of samples on push/pop/rsp/ret (>= 20) go _start..uw_tiny_N" \
		"$OUT" "$FULL" "$EDGE_RE" 90
	UW_MIN_SAMPLES=5 uw_expect_share \
		"$X, unwind=$mode: >= 90% of samples on a ret (>= 5) go _start..uw_tiny_N" \
		"$OUT" "$FULL" "$RET_RE" 90
done

finish
