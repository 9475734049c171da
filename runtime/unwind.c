// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The walk: per frame, find the pc's row, compute the CFA, read the return
 * address (and rbp, which later frames may need) from the copy, go up.
 *
 * A caller frame's pc is a return address: the call may be the last
 * instruction of its function, so its row is looked up at pc - 1. The
 * frame a signal interrupted is the exception: its pc is exact.
 *
 * Every stop is counted. A stack that ends at a row whose return address
 * is undefined (glibc's _start, clone3's thread start) or at a zero return
 * address is complete; anything else is truncated, with its reason.
 */
#include <errno.h>
#include <string.h>
#include "maps.h"
#include "unwind.h"

/* A word of the copy; false when addr is outside it. */
static bool read_word(const struct pr_unwind_input *in, uint64_t addr, uint64_t *v)
{
	uint64_t at = addr - in->sp;

	if (addr < in->sp || at > in->len || in->len - at < sizeof(*v))
		return false;
	memcpy(v, in->stack + at, sizeof(*v));
	return true;
}

struct regs {
	uint64_t pc, sp, bp;
	bool bp_ok; /* rbp still holds the caller's value as far as we know */
	bool exact; /* look pc up as is (sampled frame, interrupted by a signal) */
};

static int stop(int *why, int reason)
{
	*why = reason;
	return -EINVAL;
}

/* One step by a CFI row: 0, or -EINVAL with why the unwind stops
 * (enum pr_unwind_fail) in *why. */
static int step_cfi(const struct pr_unwind_input *in, const struct pr_cfi_row *row,
		    struct regs *r, int *why)
{
	uint64_t cfa, ra, bp = r->bp;
	bool signal = row->flags & PR_CFI_SIGNAL;

	switch (row->cfa) {
	case PR_CFA_SP:
		cfa = r->sp + row->cfa_off;
		break;
	case PR_CFA_BP:
		if (!r->bp_ok)
			return stop(why, PR_UW_BAD_FRAME);
		cfa = r->bp + row->cfa_off;
		break;
	case PR_CFA_DEREF_SP:
		if (!read_word(in, r->sp + row->cfa_off, &cfa))
			return stop(why, PR_UW_STACK_SHORT);
		break;
	case PR_CFA_DEREF_BP:
		if (!r->bp_ok)
			return stop(why, PR_UW_BAD_FRAME);
		if (!read_word(in, r->bp + row->cfa_off, &cfa))
			return stop(why, PR_UW_STACK_SHORT);
		break;
	case PR_CFA_PLT:
		cfa = r->sp + row->cfa_off + ((r->pc & 15) >= (uint64_t)(row->flags >> 4) ? 8 : 0);
		break;
	default:
		return stop(why, PR_UW_UNSUPPORTED);
	}
	if (row->ra == PR_REG_AT_CFA) {
		if (!read_word(in, cfa + row->ra_off, &ra))
			return stop(why, PR_UW_STACK_SHORT);
	} else if (row->ra == PR_REG_AT_SP) {
		if (!read_word(in, r->sp + row->ra_off, &ra))
			return stop(why, PR_UW_STACK_SHORT);
	} else {
		return stop(why, PR_UW_UNSUPPORTED);
	}
	/* a lost rbp fails only a later frame whose CFA needs it */
	switch (row->rbp) {
	case PR_REG_SAME:
		break;
	case PR_REG_AT_CFA:
		r->bp_ok = read_word(in, cfa + row->rbp_off, &bp);
		break;
	case PR_REG_AT_SP:
		r->bp_ok = read_word(in, r->sp + row->rbp_off, &bp);
		break;
	case PR_REG_VAL_CFA:
		bp = cfa + row->rbp_off;
		break;
	default:
		r->bp_ok = false;
	}
	/* the stack grows down: a caller's frame is above its callee's (a
	 * signal frame may return anywhere: sigaltstack) */
	if (!signal && cfa <= r->sp)
		return stop(why, PR_UW_BAD_FRAME);
	r->bp = bp;
	r->sp = cfa;
	r->pc = ra;
	r->exact = signal;
	return 0;
}

/* One step by frame pointer: [rbp] is the caller's rbp, [rbp+8] the
 * return address. */
static int step_fp(const struct pr_unwind_input *in, struct regs *r, int *why)
{
	uint64_t bp, ra;

	if (!r->bp_ok || r->bp < r->sp || (r->bp & 7))
		return stop(why, PR_UW_BAD_FRAME);
	if (!read_word(in, r->bp, &bp) || !read_word(in, r->bp + 8, &ra))
		return stop(why, PR_UW_STACK_SHORT);
	r->sp = r->bp + 16;
	r->bp = bp;
	r->pc = ra;
	r->exact = false;
	return 0;
}

int pr_unwind(const struct pr_unwind_input *in, pr_unwind_find_fn find, void *ctx, uint64_t *pcs,
	      uint32_t max, struct pr_unwind_stats *st, int *why)
{
	return pr_unwind_frames(in, find, ctx, pcs, NULL, max, st, why);
}

/* A frame's place: the looked-up pc (pc - 1 for a return address) lies in
 * the same mapping as pc, at the same distance. */
static void place(struct pr_user_frame *frames, uint32_t n, uint64_t pc, uint64_t looked,
		  const struct pr_user_frame *at)
{
	if (!frames)
		return;
	frames[n] = (struct pr_user_frame){ .addr = pc, .bin = at->bin,
					    .foff = at->foff + (pc - looked) };
}

int pr_unwind_frames(const struct pr_unwind_input *in, pr_unwind_find_fn find, void *ctx,
		     uint64_t *pcs, struct pr_user_frame *frames, uint32_t max,
		     struct pr_unwind_stats *st, int *why)
{
	struct pr_user_frame at;
	uint64_t looked;
	struct regs r = { .pc = in->ip, .sp = in->sp, .bp = in->bp, .bp_ok = true, .exact = true };
	struct pr_cfi_row row;
	enum pr_unwind_where where;
	bool complete = false, trusted = true;
	int fail = -1;
	uint32_t n = 0;

	st->stacks++;
	st->copy_bytes += in->len;
	while (fail < 0) {
		if (n == max) {
			fail = PR_UW_TOO_DEEP;
			break;
		}
		looked = r.exact ? r.pc : r.pc - 1;
		at = (struct pr_user_frame){ .addr = looked };
		where = find(ctx, in->pid, in->time, looked, trusted, &row, &at);
		if (where == PR_UW_UNMAPPED || where == PR_UW_NO_PROCESS) {
			/* the sampled pc is real even when its mapping is gone; a
			 * return address outside any code is garbage, not a frame */
			if (n == 0) {
				place(frames, n, r.pc, looked, &at);
				pcs[n++] = r.pc;
			}
			fail = where == PR_UW_NO_PROCESS ? PR_UW_GONE : PR_UW_NO_MAP;
			break;
		}
		place(frames, n, r.pc, looked, &at);
		pcs[n++] = r.pc;
		if (where == PR_UW_ROW && row.ra == PR_REG_UNDEFINED) {
			complete = true;
			break;
		}
		trusted = where == PR_UW_ROW;
		if (trusted) {
			step_cfi(in, &row, &r, &fail);
		} else if (in->mode == PR_UNWIND_DWARF) {
			fail = PR_UW_NO_CFI;
		} else if (r.bp_ok && r.bp == 0) {
			/* the ABI's outermost frame: _start clears rbp */
			complete = true;
			break;
		} else {
			st->fp_frames += !step_fp(in, &r, &fail);
		}
		if (fail < 0 && r.pc == 0) {
			complete = true;
			break;
		}
	}
	st->frames += n;
	if (complete) {
		st->complete++;
	} else {
		st->truncated++;
		st->fail[fail]++;
	}
	if (why)
		*why = complete ? -1 : fail;
	return n;
}

enum pr_unwind_where pr_unwind_maps_find(void *ctx, uint32_t pid, uint64_t time, uint64_t pc,
					 bool trusted, struct pr_cfi_row *row,
					 struct pr_user_frame *at)
{
	struct pr_elfsym *b;
	uint64_t foff = 0;
	bool mapped;

	b = pr_maps_find(ctx, pid, pc, time, trusted, &foff, &mapped);
	if (!mapped)
		return pr_maps_unreadable(ctx, pid) ? PR_UW_NO_PROCESS : PR_UW_UNMAPPED;
	at->bin = b;
	at->foff = foff;
	if (!b || !pr_elfsym_cfi_row(b, foff, row))
		return PR_UW_NO_TABLE;
	/* a gap between FDEs: this code has no unwind info */
	if (row->cfa == PR_CFA_INVALID && !(row->flags & PR_CFI_UNSUPPORTED) &&
	    row->ra != PR_REG_UNDEFINED)
		return PR_UW_NO_TABLE;
	return PR_UW_ROW;
}
