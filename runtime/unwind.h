/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * User-space unwinding of a copied user stack (x86-64). BPF sends the user
 * registers and the bytes above the stack pointer; each frame is unwound
 * with the unwind row (cfi.h) of the binary its pc is in, or, in "auto"
 * mode, by frame pointer where there is no row (JIT code, binaries with no
 * unwind info). Everything the unwinder reads comes from the copy: the
 * process may be gone by now.
 *
 * Where a pc's row comes from is a callback, so the walk can be tested on
 * built tables and hand-made stacks; pr_unwind_maps_find is the real one
 * (process maps + the per-binary cache).
 *
 * By default BPF walks the copy itself from tables loaded into maps
 * (bpf/kunwind.bpf.h, runtime/kunwind.c) and sends only frames; this
 * walk is the fallback for what BPF could not finish (a process whose
 * tables are not loaded yet, a late dlopen, code without unwind rows) and
 * the reference the BPF walk is tested against (kernel_unwind="verify").
 * A copy needs nothing ready in advance: a binary's table is built when
 * its code first shows up in a copy, so a short-lived process still gets
 * whole stacks. Its price is ring bandwidth (~1-8 KiB a sample) and the
 * unwinding here (~1.3 µs of CPU for an 18-frame stack).
 */
#ifndef PR_UNWIND_H
#define PR_UNWIND_H

#include <stdbool.h>
#include <stdint.h>
#include "cfi.h"
#include "maps.h"
#include "ffi_types.h"

enum pr_unwind_where {
	PR_UW_ROW = 0,	   /* *row is this pc's row (it may be INVALID) */
	PR_UW_NO_TABLE = 1, /* mapped code without unwind info, or JIT/anonymous code */
	PR_UW_UNMAPPED = 2, /* not executable memory of this process */
	PR_UW_NO_PROCESS = 3, /* the process's memory map is gone */
};

/* The row for pc in pid at time. trusted: pc is the sampled one or came
 * from an unwind row, so a miss most likely means the maps changed (a
 * dlopen); a pc found by frame pointer may be garbage. */
/* at (never NULL) gets the binary and file offset pc lies at, so the
 * frame need not be looked up again to be interned. */
typedef enum pr_unwind_where (*pr_unwind_find_fn)(void *ctx, uint32_t pid, uint64_t time,
						  uint64_t pc, bool trusted,
						  struct pr_cfi_row *row, struct pr_user_frame *at);

struct pr_unwind_input {
	uint32_t pid;
	uint64_t time;
	uint64_t ip, sp, bp; /* user registers */
	const uint8_t *stack; /* len bytes copied from sp up */
	uint32_t len;
	int mode; /* enum pr_unwind_mode */
};

struct pr_unwind_stats {
	uint64_t stacks, complete, truncated, frames, fp_frames, copy_bytes;
	uint64_t fail[PR_UW_FAIL_MAX];
};

/* Fills pcs[0..max) with the user stack, leaf first; returns how many
 * (>= 0). *why (may be NULL) says why it stopped: -1 at the outermost
 * frame, else an enum pr_unwind_fail. */
int pr_unwind(const struct pr_unwind_input *in, pr_unwind_find_fn find, void *ctx, uint64_t *pcs,
	      uint32_t max, struct pr_unwind_stats *st, int *why);
/* The same, also filling frames[0..n) (with pcs' addresses) with where
 * each frame's pc lies, as the unwinder found it. */
int pr_unwind_frames(const struct pr_unwind_input *in, pr_unwind_find_fn find, void *ctx,
		     uint64_t *pcs, struct pr_user_frame *frames, uint32_t max,
		     struct pr_unwind_stats *st, int *why);

/* The real find: ctx is a struct pr_maps *. */
enum pr_unwind_where pr_unwind_maps_find(void *ctx, uint32_t pid, uint64_t time, uint64_t pc,
					 bool trusted, struct pr_cfi_row *row,
					 struct pr_user_frame *at);

#endif
