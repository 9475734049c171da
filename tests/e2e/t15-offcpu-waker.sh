#!/bin/bash
# Who ended a wait: each of the fixture's pipe reads is woken by the
# writer thread, and the waker's kernel stack is the pipe write that
# woke it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-offcpu.sh"
require_bpf
require_fixtures offcpufix

RUN_TIMEOUT=60
off_fixture
expect_rc "exit 0" 0
expect_eq "the pipe reads' waker is the writer thread" "$(val pipe_waker_tid "$OUT")" \
	"$(thread_val writer tid)" "$OUT"
expect_eq "it woke all 10 reads" "$(val pipe_waker_n "$OUT")" 10 "$OUT"
expect_eq "with pipe_write on its stack each time" "$(val pipe_waker_write "$OUT")" 10 "$OUT"
finish
