#!/bin/bash
# The vDSO: uw-vdso calls clock_gettime back to back, so samples land in
# __vdso_clock_gettime, code the kernel maps anonymously into every
# process. profrun names it and unwinds it from its own copy of the image
# (the same in every x86-64 process): with unwind="dwarf" (tables only, no
# frame-pointer fallback) at least 90% of the samples inside the vDSO go
# _start..main;uw_clock_loop;clock_gettime (libc);<vDSO frame>, and at
# least 90% of all samples reach main.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-unwind.sh"
require_bpf
require_fixtures uw-vdso

RUN_TIMEOUT=30
X=uw-vdso
IN_VDSO='(^|;)[^;]*@\[vdso\]$'
FULL="$(uw_entry "$X")uw_clock_loop@$X;clock_gettime@libc\\.so\\.6;(__vdso_)?clock_gettime@\\[vdso\\]\$"

uw_profile "$FIXTURES/$X 2" dwarf
uw_expect_profiled "$X"
uw_expect_share "$X: >= 20% of samples inside the vDSO" "$OUT" "$IN_VDSO" "" 20
uw_expect_share "$X: >= 90% of vDSO samples go _start..main;uw_clock_loop;clock_gettime;vdso" \
	"$OUT" "$FULL" "$IN_VDSO" 90
uw_expect_share "$X: >= 90% of all samples reach main" "$OUT" \
	"$(uw_entry "$X")uw_clock_loop@$X" "" 90

finish
