#!/bin/bash
# Full user stacks through code built without frame pointers (issue 7).
# uw-chain is GCC -O2 -fomit-frame-pointer: main -> uw_f1 .. uw_f5, with
# rbp holding data in uw_f5's loop. With the default unwinder ("auto") and
# with unwind="dwarf", at least 90% of its samples carry the whole chain
# main;uw_f1;uw_f2;uw_f3;uw_f4;uw_f5 and reach the process entry (_start,
# then __libc_start_main), and at least 90% of the unwound stacks count as
# complete. The same run with unwind="fp" (the frame-pointer walk) has the
# chain on fewer than half of its samples: the fixture really defeats
# frame pointers, so the passes above come from the unwind tables.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-unwind.sh"
require_bpf
require_fixtures uw-chain

RUN_TIMEOUT=30
X=uw-chain
BIN=$FIXTURES/$X
CHAIN="(^|;)main@$X;uw_f1@$X;uw_f2@$X;uw_f3@$X;uw_f4@$X;uw_f5@$X(;|$)"
FULL="$(uw_entry "$X")uw_f1@$X;uw_f2@$X;uw_f3@$X;uw_f4@$X;uw_f5@$X(;|$)"

uw_expect_no_fp "$X" "$BIN" main uw_f1 uw_f2 uw_f3 uw_f4 uw_f5
# rbp is a destination of ordinary instructions in uw_f5: data, not a frame
if objdump -d --no-show-raw-insn --disassemble=uw_f5 "$BIN" | grep -Eq '(add|xor|mov|lea) .*,%rbp$'; then
	pass "$X: uw_f5 uses rbp as a general register"
else
	fail "$X: uw_f5 uses rbp as a general register" "no instruction writes %rbp in uw_f5"
fi

for mode in default dwarf; do
	uw_profile "$BIN 2" "$mode"
	uw_expect_profiled "$X, unwind=$mode"
	expect_eq "$X, unwind=$mode: stats().unwind.mode" "$(val unwind.mode "$OUT")" \
		"$([ $mode = default ] && echo auto || echo $mode)" "$OUT"
	uw_expect_share "$X, unwind=$mode: >= 90% of samples have _start..main;uw_f1..uw_f5" \
		"$OUT" "$FULL" "" 90
	uw_expect_complete "$X, unwind=$mode" "$OUT" "$(uw_diag "$OUT" "" "$FULL")"
done

# The control: frame pointers alone lose the chain.
uw_profile "$BIN 1" fp
uw_expect_profiled "$X, unwind=fp"
uw_expect_share "$X, unwind=fp: >= 90% of samples still have uw_f5 (the leaf)" \
	"$OUT" "(^|;)uw_f5@$X(;|$)" "" 90
uw_expect_share_below "$X, unwind=fp: the chain on < 50% of samples (no frame pointers)" \
	"$OUT" "$CHAIN" "" 50

finish
