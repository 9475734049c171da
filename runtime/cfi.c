// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * .eh_frame / .debug_frame → sorted unwind rows (see cfi.h).
 *
 * Two passes. The first walks every entry, decodes each FDE's pc range
 * (which needs its CIE's pointer encoding) and sorts the FDEs by start, so
 * overlapping FDEs are found and the second pass appends rows in address
 * order. The second runs each FDE's CIE initial instructions and then its
 * own instructions, appending a row whenever the location advances. A gap
 * between two FDEs becomes an INVALID row, so a lookup past an FDE's end
 * never borrows its rules.
 *
 * Parsing the entries is cfi_dwarf.c's; reading the sections out of an
 * ELF file is cfi_elf.c's. All reads go through a cursor bounded by its
 * entry (cfi_dwarf.h): input is hostile until proven otherwise.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "cfi.h"
#include "cfi_dwarf.h"

/* ---- running the call frame program --------------------------------------- */

enum cfa_rule { CR_REG, CR_DEREF, CR_PLT, CR_BAD };

struct rule {
	uint8_t kind; /* enum pr_reg_rule, or RULE_BAD */
	int64_t off;
};
#define RULE_BAD 0xff

struct state {
	uint8_t cfa;	  /* enum cfa_rule */
	uint8_t plt_threshold;
	uint64_t cfa_reg;
	int64_t cfa_off;
	struct rule rbp, ra;
};

struct builder {
	const struct pr_cfi_section *sec;
	struct pr_cfi_table *out;
	uint32_t cap;
	struct pr_cfi_build_stats *st;
	int64_t to_row; /* add to a vaddr to get the row's pc (file offset) */
	uint8_t flags;
	bool emitting;
	uint64_t fde_end;
	size_t fde_first_row;
};

/* Recognizes the few DWARF expressions compilers and glibc emit for x86-64
 * frames; anything else is not followed. */
static bool breg(struct cursor *c, int reg, int64_t *off)
{
	if (get_u8(c) != OP_breg0 + reg)
		return false;
	*off = get_sleb(c);
	return !c->bad;
}

static void cfa_expression(struct state *s, const uint8_t *p, size_t n)
{
	struct cursor c = { .p = p, .end = p + n };
	int64_t off, zero;
	int reg = p && n ? p[0] - OP_breg0 : -1;
	uint8_t thr;

	s->cfa = CR_BAD;
	/* *(rsp + N) or *(rbp + N) */
	if ((reg == REG_RSP || reg == REG_RBP) && breg(&c, reg, &off) && get_u8(&c) == OP_deref &&
	    c.p == c.end && !c.bad) {
		s->cfa = CR_DEREF;
		s->cfa_reg = reg;
		s->cfa_off = off;
		return;
	}
	/* the PLT: rsp + N + ((rip & 15) >= T ? 8 : 0), written as
	 * breg7 N; breg16 0; lit15; and; litT; ge; lit3; shl; plus */
	c = (struct cursor){ .p = p, .end = p + n };
	if (reg == REG_RSP && breg(&c, REG_RSP, &off) && get_u8(&c) == OP_breg0 + REG_RIP &&
	    (zero = get_sleb(&c)) == 0 && get_u8(&c) == OP_lit0 + 15 && get_u8(&c) == OP_and) {
		thr = get_u8(&c) - OP_lit0;
		if (thr < 16 && get_u8(&c) == OP_ge && get_u8(&c) == OP_lit0 + 3 &&
		    get_u8(&c) == OP_shl && get_u8(&c) == OP_plus && c.p == c.end && !c.bad) {
			s->cfa = CR_PLT;
			s->cfa_reg = REG_RSP;
			s->cfa_off = off;
			s->plt_threshold = thr;
		}
	}
}

/* DW_CFA_expression: the register is saved at the address computed. */
static struct rule reg_expression(const uint8_t *p, size_t n)
{
	struct cursor c = { .p = p, .end = p + n };
	int64_t off;

	if (breg(&c, REG_RSP, &off) && c.p == c.end)
		return (struct rule){ .kind = PR_REG_AT_SP, .off = off };
	return (struct rule){ .kind = RULE_BAD };
}

static struct rule *tracked(struct state *s, const struct cie *cie, uint64_t reg)
{
	if (reg == REG_RBP)
		return &s->rbp;
	if (reg == cie->ra_reg)
		return &s->ra;
	return NULL;
}

/* DW_CFA_restore: back to the rule the CIE's instructions left. */
static void restore(struct state *s, const struct state *init, const struct cie *cie,
		    uint64_t reg)
{
	struct rule *r = tracked(s, cie, reg);

	if (r)
		*r = reg == REG_RBP ? init->rbp : init->ra;
}

/* An operand times an alignment factor; a product that does not fit is
 * INT64_MAX, which no row field accepts (the row becomes INVALID). */
static int64_t scale(int64_t v, int64_t factor)
{
	int64_t r;

	return __builtin_mul_overflow(v, factor, &r) ? INT64_MAX : r;
}

static bool fits(int64_t v, int64_t lo, int64_t hi)
{
	return v >= lo && v <= hi;
}

static struct pr_cfi_row make_row(const struct builder *b, uint64_t loc, const struct state *s)
{
	struct pr_cfi_row r = { .pc = (uint32_t)(loc + b->to_row), .flags = b->flags };
	bool ok = true;

	switch (s->cfa) {
	case CR_REG:
		r.cfa = s->cfa_reg == REG_RSP ? PR_CFA_SP : s->cfa_reg == REG_RBP ? PR_CFA_BP : 0;
		break;
	case CR_DEREF:
		r.cfa = s->cfa_reg == REG_RSP ? PR_CFA_DEREF_SP : PR_CFA_DEREF_BP;
		break;
	case CR_PLT:
		r.cfa = PR_CFA_PLT;
		r.flags |= s->plt_threshold << 4;
		break;
	default:
		r.cfa = PR_CFA_INVALID;
	}
	ok = r.cfa != PR_CFA_INVALID && fits(s->cfa_off, INT32_MIN, INT32_MAX);
	r.cfa_off = ok ? s->cfa_off : 0;
	/* the return address must be somewhere we can read, or be undefined */
	r.ra = s->ra.kind;
	if (r.ra == PR_REG_AT_CFA || r.ra == PR_REG_AT_SP)
		ok = ok && fits(s->ra.off, INT16_MIN, INT16_MAX);
	else if (r.ra != PR_REG_UNDEFINED)
		ok = false;
	r.ra_off = ok ? s->ra.off : 0;
	/* rbp we cannot follow is only lost, not fatal: later frames may not
	 * need it */
	r.rbp = s->rbp.kind;
	if (r.rbp == RULE_BAD || (r.rbp != PR_REG_SAME && r.rbp != PR_REG_UNDEFINED &&
				  !fits(s->rbp.off, INT16_MIN, INT16_MAX)))
		r.rbp = PR_REG_UNDEFINED;
	r.rbp_off = r.rbp == PR_REG_SAME || r.rbp == PR_REG_UNDEFINED ? 0 : s->rbp.off;
	if (r.ra == PR_REG_UNDEFINED)
		ok = true; /* the outermost frame: nothing else matters */
	if (!ok) {
		r = (struct pr_cfi_row){ .pc = r.pc, .cfa = PR_CFA_INVALID,
					 .flags = PR_CFI_UNSUPPORTED };
	}
	return r;
}

static bool same_rules(const struct pr_cfi_row *a, const struct pr_cfi_row *b)
{
	return a->cfa == b->cfa && a->cfa_off == b->cfa_off && a->rbp == b->rbp &&
	       a->rbp_off == b->rbp_off && a->ra == b->ra && a->ra_off == b->ra_off &&
	       a->flags == b->flags;
}

static int push_row(struct builder *b, const struct pr_cfi_row *r)
{
	struct pr_cfi_table *t = b->out;

	if (t->n) {
		struct pr_cfi_row *last = &t->rows[t->n - 1];

		if (same_rules(last, r))
			return 0;
		if (last->pc == r->pc) { /* the later rule wins at one address */
			*last = *r;
			if (t->n >= 2 && same_rules(&t->rows[t->n - 2], last))
				t->n--;
			return 0;
		}
	}
	if (pr_array_reserve((void **)&t->rows, &b->cap, t->n + 1, sizeof(*t->rows)))
		return -ENOMEM;
	t->rows[t->n++] = *r;
	return 0;
}

/* The state from loc on holds until the next advance: record it. */
static int emit(struct builder *b, uint64_t loc, const struct state *s)
{
	struct pr_cfi_row r;

	if (!b->emitting || loc >= b->fde_end)
		return 0;
	r = make_row(b, loc, s);
	return push_row(b, &r);
}

static int advance(struct builder *b, uint64_t *loc, uint64_t delta, const struct cie *cie,
		   const struct state *s)
{
	int err = emit(b, *loc, s);

	/* past the FDE's end nothing is emitted: saturate, never wrap */
	if (__builtin_add_overflow(*loc, delta * cie->code_align, loc))
		*loc = UINT64_MAX;
	return err;
}

/* One instruction stream being run: where it reads, the state it
 * changes, and the remembered states. */
struct interp {
	struct builder *b;
	const struct cie *cie;
	struct cursor c;
	struct state *s;
	const struct state *init; /* after the CIE's instructions; NULL while running those */
	uint64_t *loc;
	struct state stack[STATE_STACK];
	int depth;
	int why; /* enum pr_cfi_reject, when an op returns -EINVAL */
};

static int refuse(struct interp *in, int why)
{
	in->why = why;
	return -EINVAL;
}

/* DW_CFA_set_loc and the advance_loc family: rows are emitted here. */
static int op_location(struct interp *in, uint8_t op)
{
	static const int width[] = { [CFA_advance_loc1] = 1, [CFA_advance_loc2] = 2,
				     [CFA_advance_loc4] = 4 };
	struct cursor *c = &in->c;
	uint64_t to;
	int err;

	if (op != CFA_set_loc)
		return advance(in->b, in->loc, get_le(c, width[op]), in->cie, in->s) ? -ENOMEM : 0;
	if (in->b->sec->debug_frame ? (to = get_le(c, 8), c->bad)
				    : !pr_cfi_get_ptr(c, in->cie->fde_enc, in->b->sec, &to))
		return refuse(in, c->bad ? PR_CFI_REJ_TRUNCATED : PR_CFI_REJ_ENCODING);
	if (to < *in->loc)
		return refuse(in, PR_CFI_REJ_RANGE);
	err = emit(in->b, *in->loc, in->s);
	*in->loc = to;
	return err ? -ENOMEM : 0;
}

/* The rule of one register: saved at an offset, a value, undefined,
 * unchanged, in another register, at an expression, or restored. */
static int op_register(struct interp *in, uint8_t op, uint64_t reg)
{
	const struct cie *cie = in->cie;
	struct cursor *c = &in->c;
	struct rule *r = tracked(in->s, cie, reg), rule = { .kind = RULE_BAD };
	uint64_t len;
	int64_t off;

	switch (op) {
	case CFA_offset:
	case CFA_offset_extended:
	case CFA_val_offset:
		off = scale(get_uleb(c), cie->data_align);
		rule = (struct rule){ .kind = op == CFA_val_offset ? PR_REG_VAL_CFA : PR_REG_AT_CFA,
				      .off = off };
		break;
	case CFA_offset_extended_sf:
	case CFA_val_offset_sf:
		off = scale(get_sleb(c), cie->data_align);
		rule = (struct rule){ .kind = op == CFA_val_offset_sf ? PR_REG_VAL_CFA : PR_REG_AT_CFA,
				      .off = off };
		break;
	case CFA_GNU_negative_offset_extended:
		off = scale(scale(get_uleb(c), cie->data_align), -1);
		rule = (struct rule){ .kind = PR_REG_AT_CFA, .off = off };
		break;
	case CFA_restore:
	case CFA_restore_extended:
		if (!in->init)
			return refuse(in, PR_CFI_REJ_STATE);
		restore(in->s, in->init, cie, reg);
		return 0;
	case CFA_undefined:
		rule.kind = PR_REG_UNDEFINED;
		break;
	case CFA_same_value:
		rule.kind = PR_REG_SAME;
		break;
	case CFA_register:
		/* saved in another register: we track none but rsp and rbp */
		(void)get_uleb(c);
		break;
	case CFA_expression:
	case CFA_val_expression:
		len = get_uleb(c);
		if (c->bad || len > (uint64_t)(c->end - c->p))
			return refuse(in, PR_CFI_REJ_TRUNCATED);
		if (op == CFA_expression)
			rule = reg_expression(c->p, len);
		c->p += len;
		break;
	}
	if (r)
		*r = rule;
	return 0;
}

/* How the CFA is computed: a register plus an offset, or an expression. */
static int op_cfa(struct interp *in, uint8_t op)
{
	struct cursor *c = &in->c;
	struct state *s = in->s;
	uint64_t len;

	switch (op) {
	case CFA_def_cfa:
	case CFA_def_cfa_sf:
		s->cfa = CR_REG;
		s->cfa_reg = get_uleb(c);
		s->cfa_off = op == CFA_def_cfa ? (int64_t)get_uleb(c)
					       : scale(get_sleb(c), in->cie->data_align);
		break;
	case CFA_def_cfa_register:
		/* keeps the offset; after an expression there is none */
		s->cfa_reg = get_uleb(c);
		if (s->cfa != CR_REG)
			s->cfa = CR_BAD;
		break;
	case CFA_def_cfa_offset:
	case CFA_def_cfa_offset_sf:
		s->cfa_off = op == CFA_def_cfa_offset ? (int64_t)get_uleb(c)
						      : scale(get_sleb(c), in->cie->data_align);
		if (s->cfa != CR_REG)
			s->cfa = CR_BAD;
		break;
	case CFA_def_cfa_expression:
		len = get_uleb(c);
		if (c->bad || len > (uint64_t)(c->end - c->p))
			return refuse(in, PR_CFI_REJ_TRUNCATED);
		cfa_expression(s, c->p, len);
		c->p += len;
		break;
	}
	return 0;
}

/* DW_CFA_remember_state / restore_state: a bounded stack. */
static int op_state(struct interp *in, uint8_t op)
{
	if (op == CFA_remember_state) {
		if (in->depth == STATE_STACK)
			return refuse(in, PR_CFI_REJ_STATE);
		in->stack[in->depth++] = *in->s;
	} else {
		if (in->depth == 0)
			return refuse(in, PR_CFI_REJ_STATE);
		*in->s = in->stack[--in->depth];
	}
	return 0;
}

/* One instruction: the high two bits pick the compact forms (operand in
 * the low six), else the whole byte names the op. */
static int run_op(struct interp *in, uint8_t op)
{
	uint8_t low = op & 0x3f;

	switch (op & 0xc0) {
	case CFA_advance_loc:
		return advance(in->b, in->loc, low, in->cie, in->s) ? -ENOMEM : 0;
	case CFA_offset:
		return op_register(in, CFA_offset, low);
	case CFA_restore:
		return op_register(in, CFA_restore, low);
	}
	switch (op) {
	case CFA_nop:
		return 0;
	case CFA_GNU_args_size:
		(void)get_uleb(&in->c);
		return 0;
	case CFA_set_loc:
	case CFA_advance_loc1:
	case CFA_advance_loc2:
	case CFA_advance_loc4:
		return op_location(in, op);
	case CFA_offset_extended:
	case CFA_offset_extended_sf:
	case CFA_val_offset:
	case CFA_val_offset_sf:
	case CFA_GNU_negative_offset_extended:
	case CFA_restore_extended:
	case CFA_undefined:
	case CFA_same_value:
	case CFA_register:
	case CFA_expression:
	case CFA_val_expression:
		return op_register(in, op, get_uleb(&in->c));
	case CFA_remember_state:
	case CFA_restore_state:
		return op_state(in, op);
	case CFA_def_cfa:
	case CFA_def_cfa_sf:
	case CFA_def_cfa_register:
	case CFA_def_cfa_offset:
	case CFA_def_cfa_offset_sf:
	case CFA_def_cfa_expression:
		return op_cfa(in, op);
	default:
		return refuse(in, PR_CFI_REJ_OPCODE);
	}
}

/* Runs one instruction stream from state s at *loc. init is the state
 * after the CIE's instructions (for DW_CFA_restore); NULL while running
 * those. 0, -ENOMEM, or -EINVAL with the reason (enum pr_cfi_reject) in
 * *why. */
static int run(struct builder *b, const struct cie *cie, const uint8_t *p, const uint8_t *end,
	       struct state *s, const struct state *init, uint64_t *loc, int *why)
{
	struct interp in = {
		.b = b, .cie = cie, .c = { .p = p, .end = end }, .s = s, .init = init, .loc = loc,
	};
	int err = 0;

	while (!err && in.c.p < in.c.end && !in.c.bad)
		err = run_op(&in, get_u8(&in.c));
	if (!err && in.c.bad)
		err = refuse(&in, PR_CFI_REJ_TRUNCATED);
	*why = in.why;
	return err;
}

/* ---- building ------------------------------------------------------------ */

static int cmp_fde(const void *a, const void *b)
{
	const struct fde *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* vaddr → file offset through the executable segments; with none, vaddrs
 * are kept (tests, tables built from bare sections). */
static bool to_row_delta(const struct pr_cfi_seg *segs, size_t nsegs, uint64_t start,
			 uint64_t end, int64_t *delta)
{
	size_t i;

	if (!nsegs) {
		*delta = 0;
		return end <= UINT32_MAX;
	}
	for (i = 0; i < nsegs; i++) {
		const struct pr_cfi_seg *s = &segs[i];

		if (start >= s->vaddr && end <= s->vaddr + s->size) {
			*delta = (int64_t)(s->off - s->vaddr);
			return end + *delta <= UINT32_MAX;
		}
	}
	return false;
}

static int push_gap(struct builder *b, uint64_t pc)
{
	struct pr_cfi_row r = { .pc = (uint32_t)pc, .cfa = PR_CFA_INVALID };

	return push_row(b, &r);
}

static void reject(struct pr_cfi_build_stats *st, int why)
{
	if (st && why >= 0 && why < PR_CFI_REJ_MAX)
		st->rejected[why]++;
}

/* Rows of one FDE: 0, -ENOMEM, or -EINVAL with the reason in *why. */
static int fde_rows(struct builder *b, const struct fde *f, int *why)
{
	const struct pr_cfi_section *sec = b->sec;
	struct cursor c = { .p = sec->data + f->cie_off, .end = sec->data + sec->size };
	struct state init = { .cfa = CR_BAD }, s;
	struct entry ce;
	struct cie cie;
	uint64_t loc = f->start;
	int r;

	if (!pr_cfi_next_entry(&c, sec, &ce) || pr_cfi_parse_cie(sec, &ce, &cie, why))
		return pr_cfi_rejected(why, PR_CFI_REJ_NO_CIE);
	b->flags = cie.signal ? PR_CFI_SIGNAL : 0;
	/* the caller's rbp is the callee's until a rule says otherwise; the
	 * return address has no rule until the CIE gives one */
	init.rbp.kind = PR_REG_SAME;
	init.ra.kind = RULE_BAD;
	b->emitting = false;
	r = run(b, &cie, cie.insns, cie.insns_end, &init, NULL, &loc, why);
	if (r)
		return r;
	loc = f->start;
	s = init;
	b->emitting = true;
	b->fde_end = f->end;
	r = run(b, &cie, f->insns, f->insns_end, &s, &init, &loc, why);
	if (r)
		return r;
	return emit(b, loc, &s) ? -ENOMEM : 0;
}

/* Every FDE of sec with a non-empty range, sorted by start (then end):
 * 0, -EINVAL when the section itself is unusable, -ENOMEM. */
static int collect_fdes(const struct pr_cfi_section *sec, struct fde **out, uint32_t *n,
			struct pr_cfi_build_stats *st)
{
	struct cursor c = { .p = sec->data, .end = sec->data + sec->size };
	struct fde *fdes = NULL;
	uint32_t nfdes = 0, cap = 0;
	struct entry e;

	*out = NULL;
	*n = 0;
	if (!sec->data && sec->size)
		return -EINVAL;
	while (pr_cfi_next_entry(&c, sec, &e)) {
		struct fde f;
		int why = 0;

		if (e.is_cie) {
			if (st)
				st->cies++;
			continue;
		}
		if (st)
			st->fdes++;
		if (pr_cfi_parse_fde(sec, &e, &f, &why)) {
			reject(st, why);
			continue;
		}
		if (f.start == f.end)
			continue;
		if (pr_array_reserve((void **)&fdes, &cap, nfdes + 1, sizeof(*fdes))) {
			free(fdes);
			return -ENOMEM;
		}
		fdes[nfdes++] = f;
	}
	/* entries before a broken length are kept; without any, the section
	 * itself is unusable */
	if (c.bad && nfdes == 0) {
		free(fdes);
		return -EINVAL;
	}
	if (c.bad)
		reject(st, PR_CFI_REJ_TRUNCATED);
	if (nfdes)
		qsort(fdes, nfdes, sizeof(*fdes), cmp_fde);
	*out = fdes;
	*n = nfdes;
	return 0;
}

int pr_cfi_build(const struct pr_cfi_section *sec, const struct pr_cfi_seg *segs, size_t nsegs,
		 struct pr_cfi_table *out, struct pr_cfi_build_stats *st)
{
	struct builder b = { .sec = sec, .out = out, .st = st };
	struct fde *fdes;
	uint32_t nfdes, i;
	uint64_t last_end = 0;
	int err;

	out->rows = NULL;
	out->n = 0;
	if (st)
		*st = (struct pr_cfi_build_stats){ 0 };
	err = collect_fdes(sec, &fdes, &nfdes, st);
	if (err)
		return err;
	for (i = 0; i < nfdes && !err; i++) {
		const struct fde *f = &fdes[i];
		struct pr_cfi_row before = { 0 };
		size_t mark;
		int r, why = 0;

		if (i && f->start < last_end) {
			reject(st, PR_CFI_REJ_OVERLAP);
			continue;
		}
		if (!to_row_delta(segs, nsegs, f->start, f->end, &b.to_row)) {
			reject(st, PR_CFI_REJ_RANGE);
			continue;
		}
		/* the FDE's first row may merge with (and so remove) the gap row
		 * before it: keep that row to put back if the FDE is rejected */
		mark = out->n;
		if (mark)
			before = out->rows[mark - 1];
		r = fde_rows(&b, f, &why);
		if (r == -ENOMEM) {
			err = r;
			break;
		}
		if (r) {
			reject(st, why);
			out->n = mark;
			if (mark)
				out->rows[mark - 1] = before;
			err = push_gap(&b, f->start + b.to_row);
		}
		last_end = f->end;
		err = err ?: push_gap(&b, f->end + b.to_row);
	}
	free(fdes);
	if (err) {
		pr_cfi_free(out);
		return err;
	}
	/* rows grew by doubling; a table is kept for the run (libc's: 0.5 MB
	 * used in a 1 MB array) */
	if (out->n) {
		struct pr_cfi_row *fit = realloc(out->rows, out->n * sizeof(*out->rows));

		if (fit)
			out->rows = fit;
	}
	if (st) {
		st->rows = out->n;
		for (i = 0; i < out->n; i++)
			st->invalid_rows += (out->rows[i].flags & PR_CFI_UNSUPPORTED) != 0;
	}
	return 0;
}

int pr_cfi_functions(const struct pr_cfi_section *sec, const struct pr_cfi_seg *segs,
		     size_t nsegs, struct pr_cfi_func **out, size_t *n)
{
	struct pr_cfi_func *funcs;
	struct fde *fdes;
	uint32_t nfdes, i;
	uint64_t last_end = 0;
	int64_t delta;
	size_t k = 0;
	int err;

	*out = NULL;
	*n = 0;
	err = collect_fdes(sec, &fdes, &nfdes, NULL);
	if (err || !nfdes) {
		free(fdes);
		return err;
	}
	funcs = malloc(nfdes * sizeof(*funcs));
	if (!funcs) {
		free(fdes);
		return -ENOMEM;
	}
	for (i = 0; i < nfdes; i++) {
		const struct fde *f = &fdes[i];

		/* overlapping FDEs (hostile or broken files) keep the first */
		if ((k && f->start < last_end) ||
		    !to_row_delta(segs, nsegs, f->start, f->end, &delta))
			continue;
		funcs[k++] = (struct pr_cfi_func){ .start = (uint32_t)(f->start + delta),
						   .end = (uint32_t)(f->end + delta) };
		last_end = f->end;
	}
	free(fdes);
	*out = funcs;
	*n = k;
	return 0;
}

const struct pr_cfi_row *pr_cfi_find(const struct pr_cfi_table *t, uint64_t pc)
{
	long i = PR_ARRAY_LAST_LE(t->rows, t->n, pc, pc);

	return i < 0 ? NULL : &t->rows[i];
}

void pr_cfi_free(struct pr_cfi_table *t)
{
	if (!t)
		return;
	free(t->rows);
	t->rows = NULL;
	t->n = 0;
}

/* A rule: a row's fields but its pc */
static struct pr_cfi_row rule_of(const struct pr_cfi_row *r)
{
	struct pr_cfi_row x = *r;

	x.pc = 0;
	return x;
}

static uint32_t hash_rule(const struct pr_cfi_row *r)
{
	uint64_t w[2];

	_Static_assert(sizeof(*r) == sizeof(w), "a row is 16 bytes, no padding");
	memcpy(w, r, sizeof(w));
	return (uint32_t)(((w[0] * 0x9E3779B97F4A7C15ull) ^ (w[1] * 0xff51afd7ed558ccdull)) >> 32);
}

static bool same_rule(const struct pr_cfi_row *a, const struct pr_cfi_row *b)
{
	return a->cfa_off == b->cfa_off && a->rbp_off == b->rbp_off && a->ra_off == b->ra_off &&
	       a->cfa == b->cfa && a->rbp == b->rbp && a->ra == b->ra && a->flags == b->flags;
}


/* The rule table's slots doubled, every rule placed again: false
 * without memory (the old stay). */
static bool grow_rule_slots(uint32_t **slot, uint32_t *mask, const struct pr_cfi_row *rules,
			    uint32_t n)
{
	uint32_t m = *mask * 2 + 1, *t = calloc((size_t)m + 1, sizeof(*t)), i, k;

	if (!t)
		return false;
	for (i = 0; i < n; i++) {
		for (k = hash_rule(&rules[i]) & m; t[k]; k = (k + 1) & m)
			;
		t[k] = i + 1;
	}
	free(*slot);
	*slot = t;
	*mask = m;
	return true;
}

/* The rule numbers so far (n of them) widened to 32 bits: false without
 * memory. */
static bool widen(struct pr_cfi_packed *p, size_t n, size_t total)
{
	uint32_t *wide = malloc(total * sizeof(*wide));
	size_t i;

	if (!wide)
		return false;
	for (i = 0; i < n; i++)
		wide[i] = ((const uint16_t *)p->rule)[i];
	free(p->rule);
	p->rule = wide;
	p->wide = true;
	return true;
}

int pr_cfi_pack(struct pr_cfi_table *t, struct pr_cfi_packed *out)
{
	uint32_t *slot = NULL, *pcs, mask = 1023, cap = 0, k, r;
	struct pr_cfi_packed p = { .n = t->n };
	struct pr_cfi_row x, *fit;
	size_t i;

	*out = (struct pr_cfi_packed){ 0 };
	if (!t->n)
		return 0;
	slot = calloc((size_t)mask + 1, sizeof(*slot));
	p.rule = malloc(t->n * sizeof(uint16_t));
	if (!slot || !p.rule)
		goto nomem;
	for (i = 0; i < t->n; i++) {
		x = rule_of(&t->rows[i]);
		for (k = hash_rule(&x) & mask; (r = slot[k]) && !same_rule(&p.rules[r - 1], &x);
		     k = (k + 1) & mask)
			;
		if (!r) {
			if (pr_array_reserve((void **)&p.rules, &cap, p.nrules + 1, sizeof(*p.rules)))
				goto nomem;
			p.rules[p.nrules++] = x;
			r = slot[k] = p.nrules;
			/* at most half full */
			if (p.nrules * 2 > mask && !grow_rule_slots(&slot, &mask, p.rules, p.nrules))
				goto nomem;
			if (p.nrules == 65537 && !widen(&p, i, t->n))
				goto nomem;
		}
		if (p.wide)
			((uint32_t *)p.rule)[i] = r - 1;
		else
			((uint16_t *)p.rule)[i] = (uint16_t)(r - 1);
	}
	free(slot);
	/* the pcs, into the rows' own memory: the 4 bytes written at 4 * i lie
	 * in rows already read (row i / 4 <= i) */
	pcs = (uint32_t *)t->rows;
	for (i = 0; i < t->n; i++)
		pcs[i] = t->rows[i].pc;
	p.pc = realloc(pcs, t->n * sizeof(*p.pc));
	p.pc = p.pc ? p.pc : pcs;
	*t = (struct pr_cfi_table){ .n = 0 };
	/* the rules grew by doubling */
	if (p.nrules < cap && (fit = realloc(p.rules, p.nrules * sizeof(*p.rules))))
		p.rules = fit;
	*out = p;
	return 0;
nomem:
	free(slot);
	pr_cfi_packed_free(&p);
	return -ENOMEM;
}

uint32_t pr_cfi_packed_rule(const struct pr_cfi_packed *p, size_t i)
{
	return p->wide ? ((const uint32_t *)p->rule)[i] : ((const uint16_t *)p->rule)[i];
}

void pr_cfi_packed_row(const struct pr_cfi_packed *p, size_t i, struct pr_cfi_row *row)
{
	*row = p->rules[pr_cfi_packed_rule(p, i)];
	row->pc = p->pc[i];
}

bool pr_cfi_packed_find(const struct pr_cfi_packed *p, uint64_t pc, struct pr_cfi_row *row)
{
	long i = pr_array_last_le(p->pc, p->n, sizeof(*p->pc), 0, sizeof(*p->pc), pc);

	if (i < 0)
		return false;
	pr_cfi_packed_row(p, (size_t)i, row);
	return true;
}

size_t pr_cfi_packed_bytes(const struct pr_cfi_packed *p)
{
	return p->n * (sizeof(*p->pc) + (p->wide ? 4 : 2)) + p->nrules * sizeof(*p->rules);
}

void pr_cfi_packed_free(struct pr_cfi_packed *p)
{
	if (!p)
		return;
	free(p->pc);
	free(p->rule);
	free(p->rules);
	*p = (struct pr_cfi_packed){ 0 };
}
