#!/bin/bash
# Unwinding through libc: uw-qsort's comparator uw_cmp is called by glibc's
# qsort (qsort_r -> msort_with_tmp, recursive; glibc has no frame
# pointers). Of the samples whose leaf is uw_cmp, at least 90% show
# _start;__libc_start_main;..;main;uw_sort_caller;qsort*;<one or more
# libc.so.6 frames>;uw_cmp, with every frame between uw_sort_caller and
# uw_cmp in libc.so.6; with unwind="fp" fewer than half do.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-unwind.sh"
require_bpf
require_fixtures uw-qsort

RUN_TIMEOUT=30
X=uw-qsort
BIN=$FIXTURES/$X
LEAF="(^|;)uw_cmp@$X\$"
LIBC='libc\.so\.6'
THROUGH="(^|;)main@$X;uw_sort_caller@$X;qsort[^;]*@$LIBC;([^;]*@$LIBC;)+uw_cmp@$X\$"
FULL="$(uw_entry "$X")uw_sort_caller@$X;qsort[^;]*@$LIBC;([^;]*@$LIBC;)+uw_cmp@$X\$"

uw_expect_no_fp "$X" "$BIN" main uw_sort_caller uw_cmp

uw_profile "$BIN 2" default
uw_expect_profiled "$X"
uw_expect_share "$X: >= 60% of samples in uw_cmp (the workload)" "$OUT" "$LEAF" "" 60
uw_expect_share "$X: >= 90% of uw_cmp samples go _start..main;uw_sort_caller;qsort*;libc..;uw_cmp" \
	"$OUT" "$FULL" "$LEAF" 90

uw_profile "$BIN 1" fp
uw_expect_profiled "$X, unwind=fp"
uw_expect_share_below "$X, unwind=fp: main;uw_sort_caller;qsort..;uw_cmp on < 50% of uw_cmp samples" \
	"$OUT" "$THROUGH" "$LEAF" 50

finish
