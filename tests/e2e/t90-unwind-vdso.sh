#!/bin/bash
# The vDSO: uw-vdso calls clock_gettime back to back, so samples land in
# __vdso_clock_gettime, code the kernel maps anonymously into every
# process. profrun names it and unwinds it from its own copy of the image
# (the same in every x86-64 process): with unwind="dwarf" (tables only, no
# frame-pointer fallback) at least 90% of the samples inside the vDSO go
# _start..main;uw_clock_loop;clock_gettime (libc);__vdso_clock_gettime,
# then only vDSO frames down to the leaf, and at least 90% of all samples
# reach main.
# The leaf need not be __vdso_clock_gettime itself: some kernels build the
# clock read (vread_tsc and friends) as an out-of-line static function that
# __vdso_clock_gettime calls. The vDSO has only .dynsym (no .symtab, no
# debug file), so that function has no name and profrun rightly shows it as
# "[vdso]+0xOFF" (6.18 here: 0x7a0..0x829, has an FDE, no symbol). What this
# test checks is that the unwinder gets from inside the vDSO back out
# through clock_gettime to _start, whatever the kernel inlines.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-unwind.sh"
require_bpf
require_fixtures uw-vdso

RUN_TIMEOUT=30
X=uw-vdso
IN_VDSO='(^|;)[^;]*@\[vdso\]$'
FULL="$(uw_entry "$X")uw_clock_loop@$X;clock_gettime@libc\\.so\\.6;(__vdso_)?clock_gettime@\\[vdso\\](;[^;]*@\\[vdso\\])*\$"

uw_profile "$FIXTURES/$X 2" dwarf
uw_expect_profiled "$X"
uw_expect_share "$X: >= 20% of samples inside the vDSO" "$OUT" "$IN_VDSO" "" 20
uw_expect_share "$X: >= 90% of vDSO samples go _start..main;uw_clock_loop;clock_gettime;vdso clock_gettime[;vdso...]" \
	"$OUT" "$FULL" "$IN_VDSO" 90
uw_expect_share "$X: >= 90% of all samples reach main" "$OUT" \
	"$(uw_entry "$X")uw_clock_loop@$X" "" 90

finish
