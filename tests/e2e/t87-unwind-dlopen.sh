#!/bin/bash
# Return addresses in code mapped after the first samples: uw-dlopen burns
# a quarter of its run in uw_warmup, then dlopen()s libuwmixed.so and calls
# main -> lib_entry -> lib_middle -> uw_callback -> burn. The library's
# frames are only ever return addresses, never the sampled pc, so the maps
# the profiler read during the warm-up do not have them. Of the samples in
# uw_callback, >= 90% go _start..main;lib_entry;lib_middle;uw_callback, in
# the default mode and with unwind="dwarf". (Python importing a C
# extension module is the same case.) uw-dlopen-nocfi is the same program
# with frame pointers and no unwind table (JIT code calling into a library
# loaded late, as with LuaJIT's ffi.load): the default mode reaches the
# library's frames through frame pointers, and >= 90% of its uw_callback
# samples show the same chain.
# Run with the kernel unwinder only (make test-kunwind), the first part
# checks that a pc in a library mapped after the process's maps were loaded
# gets them reread at once, not a second later; the second part is skipped
# there: a library with no unwind table has nothing to load.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-unwind.sh"
require_bpf
require_fixtures uw-dlopen uw-dlopen-nocfi libuwmixed.so

RUN_TIMEOUT=30
X=uw-dlopen
L='libuwmixed\.so'
IN_CB="(^|;)uw_callback@$X(;|$)"
FULL="$(uw_entry "$X")lib_entry@$L;lib_middle@$L;uw_callback@$X(;|$)"

uw_expect_no_fp "$X" "$FIXTURES/$X" main uw_callback
for mode in default dwarf; do
	uw_profile "$FIXTURES/$X 2" "$mode"
	uw_expect_profiled "$X, unwind=$mode"
	uw_expect_share "$X, unwind=$mode: >= 40% of samples in uw_callback (the workload)" \
		"$OUT" "$IN_CB" "" 40
	uw_expect_share \
		"$X, unwind=$mode: >= 90% of uw_callback samples go _start..main;lib_entry;lib_middle;uw_callback" \
		"$OUT" "$FULL" "$IN_CB" 90
done

if [ "${PROFRUN_KERNEL_UNWIND:-}" = only ]; then
	finish
fi
X=uw-dlopen-nocfi
IN_CB="(^|;)uw_callback@$X(;|$)"
FULL="$(uw_libc_main "$X")lib_entry@$L;lib_middle@$L;uw_callback@$X(;|$)"
uw_expect_fp_setup "$X" "$FIXTURES/$X" yes main uw_callback
uw_profile "$FIXTURES/$X 2" default
uw_expect_profiled "$X"
uw_expect_share "$X: >= 40% of samples in uw_callback (the workload)" "$OUT" "$IN_CB" "" 40
uw_expect_share \
	"$X: >= 90% of uw_callback samples go __libc_start_main..main;lib_entry;lib_middle;uw_callback" \
	"$OUT" "$FULL" "$IN_CB" 90

finish
