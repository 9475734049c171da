#!/bin/bash
# Unwind tables from .debug_frame when a binary has no .eh_frame (code
# built with -fno-asynchronous-unwind-tables -g, as some embedded and
# kernel-style builds are). uw-debugframe is uw-chain built that way, with
# .eh_frame removed entirely; uw-debugframe-buildid is the same stripped,
# its .debug_frame and symbols only in build-id debuginfo under
# $FIXTURES/debug (PROFRUN_DEBUG_DIR). With unwind="dwarf", >= 90% of the
# samples of each show __libc_start_main..main;uw_f1;..;uw_f5 (_start has
# no CFI left, so the stack may end there without counting as complete),
# and at least one table was built; with unwind="fp" fewer than half do.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-unwind.sh"
require_bpf
require_fixtures uw-debugframe uw-debugframe-buildid

RUN_TIMEOUT=30
DEBUG_DIR=$FIXTURES/debug

uw_expect_sections "uw-debugframe: .debug_frame, no .eh_frame" "$FIXTURES/uw-debugframe" \
	".debug_frame" ".eh_frame .eh_frame_hdr"
uw_expect_sections "uw-debugframe-buildid: no unwind section at all" \
	"$FIXTURES/uw-debugframe-buildid" "" ".eh_frame .eh_frame_hdr .debug_frame .symtab"
id=$(readelf -n "$FIXTURES/uw-debugframe-buildid" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
DBG=$DEBUG_DIR/.build-id/${id:0:2}/${id:2}.debug
uw_expect_sections "uw-debugframe-buildid: its debuginfo has .debug_frame" "$DBG" ".debug_frame .symtab" ""
uw_expect_no_fp "uw-debugframe" "$FIXTURES/uw-debugframe" main uw_f1 uw_f2 uw_f3 uw_f4 uw_f5

for X in uw-debugframe uw-debugframe-buildid; do
	FULL="$(uw_libc_main "$X")uw_f1@$X;uw_f2@$X;uw_f3@$X;uw_f4@$X;uw_f5@$X(;|$)"
	UW_ENV=(PROFRUN_DEBUG_DIR="$DEBUG_DIR")
	uw_profile "$FIXTURES/$X 1.5" dwarf
	uw_expect_profiled "$X, unwind=dwarf"
	uw_expect_share "$X, unwind=dwarf: >= 90% of samples go __libc_start_main..main;uw_f1..uw_f5" \
		"$OUT" "$FULL" "" 90
	expect_ge "$X, unwind=dwarf: tables >= 1" "$(val unwind.tables "$OUT")" 1 "$OUT"
	uw_profile "$FIXTURES/$X 1" fp
	uw_expect_profiled "$X, unwind=fp"
	uw_expect_share_below "$X, unwind=fp: the chain on < 50% of samples" "$OUT" "$FULL" "" 50
done
UW_ENV=()

finish
