#!/bin/bash
# Frame pointers and unwind tables in one stack: uw-mixed (frame pointers)
# calls lib_entry in libuwmixed.so (no frame pointers, rbp used as data),
# which calls back uw_callback in uw-mixed:
# main -> lib_entry -> lib_middle -> uw_callback.
#  - uw-mixed (.eh_frame everywhere): >= 90% of samples show the chain from
#    _start in the default mode and with unwind="dwarf"; with unwind="fp"
#    fewer than half do (the library breaks the frame-pointer chain).
#  - uw-mixed-nocfi (the executable has no unwind table at all, like JIT
#    code): the default mode falls back to frame pointers for its frames
#    and CFI for the library's, so >= 90% of samples still show
#    __libc_start_main..main;lib_entry;lib_middle;uw_callback, and
#    stats().unwind.no_tables counts the binary; BPF's walker does the same
#    (stats().unwind.kernel.fp_frames > 0, >= 80% of its walks complete,
#    where it used to copy every such sample); with unwind="dwarf" (CFI
#    only) fewer than half do, so the fallback is what carried it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-unwind.sh"
require_bpf
require_fixtures uw-mixed uw-mixed-nocfi

RUN_TIMEOUT=30
L='libuwmixed\.so'

uw_expect_no_fp "libuwmixed.so" "$FIXTURES/libuwmixed.so" lib_entry lib_middle
uw_expect_fp_setup "uw-mixed" "$FIXTURES/uw-mixed" yes main uw_callback
uw_expect_fp_setup "uw-mixed-nocfi" "$FIXTURES/uw-mixed-nocfi" yes main uw_callback
uw_expect_sections "uw-mixed-nocfi: no .eh_frame, .eh_frame_hdr or .debug_frame" \
	"$FIXTURES/uw-mixed-nocfi" "" ".eh_frame .eh_frame_hdr .debug_frame"

X=uw-mixed
CHAIN="(^|;)main@$X;lib_entry@$L;lib_middle@$L;uw_callback@$X(;|$)"
FULL="$(uw_entry "$X")lib_entry@$L;lib_middle@$L;uw_callback@$X(;|$)"
for mode in default dwarf; do
	uw_profile "$FIXTURES/$X 1.2" "$mode"
	uw_expect_profiled "$X, unwind=$mode"
	uw_expect_share \
		"$X, unwind=$mode: >= 90% of samples go _start..main;lib_entry;lib_middle;uw_callback" \
		"$OUT" "$FULL" "" 90
done
uw_profile "$FIXTURES/$X 0.8" fp
uw_expect_profiled "$X, unwind=fp"
uw_expect_share_below "$X, unwind=fp: main;lib_entry;lib_middle;uw_callback on < 50% of samples" \
	"$OUT" "$CHAIN" "" 50

X=uw-mixed-nocfi
CHAIN="(^|;)main@$X;lib_entry@$L;lib_middle@$L;uw_callback@$X(;|$)"
FULL="$(uw_libc_main "$X")lib_entry@$L;lib_middle@$L;uw_callback@$X(;|$)"
uw_profile "$FIXTURES/$X 1.2" default
uw_expect_profiled "$X"
expect_eq "$X: stats().unwind.mode" "$(val unwind.mode "$OUT")" auto "$OUT"
uw_expect_share "$X: >= 90% of samples go __libc_start_main..main;lib_entry;lib_middle;uw_callback" \
	"$OUT" "$FULL" "" 90
expect_ge "$X: stats().unwind.no_tables >= 1" "$(val unwind.no_tables "$OUT")" 1 "$OUT"
# BPF steps by frame pointer where user space would (no unwind info), so
# the binary's samples are walked there, not copied
if [ "$(val unwind.kernel.mode "$OUT")" = on ]; then
	kwalks=$(val unwind.kernel.walks "$OUT")
	kdone=$(val unwind.kernel.complete "$OUT")
	expect_gt "$X: BPF stepped by frame pointer (stats().unwind.kernel.fp_frames)" \
		"$(val unwind.kernel.fp_frames "$OUT")" 0 "$OUT"
	expect_pct_ge "$X: >= 80% of the walks in BPF complete" "$kdone" "$kwalks" 80 "$OUT"
fi
uw_profile "$FIXTURES/$X 0.8" dwarf
uw_expect_profiled "$X, unwind=dwarf"
uw_expect_share_below "$X, unwind=dwarf: main;lib_entry;lib_middle;uw_callback on < 50% of samples" \
	"$OUT" "$CHAIN" "" 50

finish
