// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unwind tables: runtime/cfi.c on call frame sections this file assembles
 * byte by byte (so every expected row is known before the code under test
 * runs), on libc, python3.11 and a binary compiled here, checked row by row against
 * binutils' `readelf --debug-dump=frames-interp`, and on 2000 mutations of
 * a valid section. Sections are handed over in heap copies of their exact
 * size and freed before the rows are read, so under SANITIZE=1 a read past
 * a section or a row pointing into one is an ASan report, not luck. Inputs
 * that could abort the process (a UBSan report) run in a child.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cfi.h"
#include "harness.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define PYTHON "/usr/bin/python3.11"

/* DWARF numbers, written out here rather than taken from cfi.c. */
enum {
	DW_CFA_nop = 0x00,
	DW_CFA_set_loc = 0x01,
	DW_CFA_advance_loc1 = 0x02,
	DW_CFA_advance_loc2 = 0x03,
	DW_CFA_advance_loc4 = 0x04,
	DW_CFA_offset_extended = 0x05,
	DW_CFA_restore_extended = 0x06,
	DW_CFA_undefined = 0x07,
	DW_CFA_same_value = 0x08,
	DW_CFA_register = 0x09,
	DW_CFA_remember_state = 0x0a,
	DW_CFA_restore_state = 0x0b,
	DW_CFA_def_cfa = 0x0c,
	DW_CFA_def_cfa_register = 0x0d,
	DW_CFA_def_cfa_offset = 0x0e,
	DW_CFA_def_cfa_expression = 0x0f,
	DW_CFA_expression = 0x10,
	DW_CFA_offset_extended_sf = 0x11,
	DW_CFA_def_cfa_sf = 0x12,
	DW_CFA_def_cfa_offset_sf = 0x13,
	DW_CFA_val_offset = 0x14,
	DW_CFA_val_offset_sf = 0x15,
	DW_CFA_GNU_args_size = 0x2e,
	DW_CFA_advance_loc = 0x40,
	DW_CFA_offset = 0x80,
	DW_CFA_restore = 0xc0,
	DW_OP_deref = 0x06,
	DW_OP_and = 0x1a,
	DW_OP_plus = 0x22,
	DW_OP_shl = 0x24,
	DW_OP_ge = 0x2a,
	DW_OP_lit0 = 0x30,
	DW_OP_breg0 = 0x70,
	DW_EH_PE_pcrel_sdata4 = 0x1b,
	DW_EH_PE_indirect_pcrel_sdata4 = 0x9b,
	RBX = 3,
	RBP = 6,
	RSP = 7,
	R8 = 8,
	R10 = 10,
	RIP = 16,
};

/* Operand bytes. LEB2 is the two-byte (s)LEB128 of 64..8191. */
#define LEB2(v) (0x80 | ((v)&0x7f)), (((v) >> 7) & 0x7f)
#define LE16(v) ((v)&0xff), (((v) >> 8) & 0xff)
#define LE32(v) LE16(v), LE16((v) >> 16)
#define LE64(v) LE32(v), LE32((uint64_t)(v) >> 32)
/* What every compiler's CIE says: CFA = rsp+8, return address at CFA-8. */
#define CIE_X86 DW_CFA_def_cfa, RSP, 8, DW_CFA_offset | RIP, 1

/* ---- a tiny assembler of call frame sections ------------------------------ */

struct gen {
	uint8_t b[4096];
	size_t n;
	uint64_t vaddr; /* section address: base of pc-relative pointers */
	int version;	/* 0: .eh_frame; 1, 3, 4: .debug_frame with this CIE version */
	uint8_t enc;	/* .eh_frame FDE pointer encoding the next CIE declares */
	bool lsda;	/* the last CIE has 'L': FDEs carry a 4-byte LSDA pointer */
	bool nopad;	/* leave entries unpadded, so the last operand ends the entry */
	size_t cie;	/* offset of the CIE the next FDE names */
};

static void gen_init(struct gen *g, int version, uint64_t vaddr)
{
	*g = (struct gen){ .vaddr = vaddr, .version = version, .enc = DW_EH_PE_pcrel_sdata4 };
}

static void put(struct gen *g, const void *p, size_t len)
{
	if (!len)
		return;
	if (g->n + len > sizeof(g->b))
		abort(); /* a test wrote a section too big for its buffer */
	memcpy(g->b + g->n, p, len);
	g->n += len;
}

static void put_u8(struct gen *g, uint8_t v)
{
	put(g, &v, 1);
}

static void put_le(struct gen *g, uint64_t v, int bytes)
{
	while (bytes--) {
		put_u8(g, v & 0xff);
		v >>= 8;
	}
}

static void put_leb(struct gen *g, int64_t v, bool sign)
{
	uint8_t byte;
	bool more;

	do {
		byte = v & 0x7f;
		v = sign ? v >> 7 : (int64_t)((uint64_t)v >> 7);
		more = sign ? !((v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40))) : v != 0;
		put_u8(g, byte | (more ? 0x80 : 0));
	} while (more);
}

static void patch_u32(struct gen *g, size_t off, uint32_t v)
{
	memcpy(g->b + off, &v, 4);
}

/* Pads the entry at start with DW_CFA_nop to 8 bytes and fills in its length. */
static void close_entry(struct gen *g, size_t start)
{
	while (!g->nopad && (g->n - start) % 8)
		put_u8(g, DW_CFA_nop);
	patch_u32(g, start, g->n - start - 4);
}

/* The augmentation data a CIE with augmentation aug carries. */
static void put_aug_data(struct gen *g, const char *aug)
{
	struct gen d = { .n = 0 };

	g->lsda = false;
	for (aug++; *aug; aug++) {
		if (*aug == 'R')
			put_u8(&d, g->enc);
		if (*aug == 'L')
			put_u8(&d, DW_EH_PE_pcrel_sdata4);
		g->lsda |= *aug == 'L';
		if (*aug == 'P') {
			put_u8(&d, DW_EH_PE_indirect_pcrel_sdata4);
			put_le(&d, 0x1234, 4); /* never followed */
		}
	}
	put_leb(g, d.n, false);
	put(g, d.b, d.n);
}

/* A CIE with data alignment -8 and the return address in column 16;
 * returns its offset, which the FDEs after it name. */
static size_t gen_cie(struct gen *g, const char *aug, unsigned code_align, const uint8_t *ins,
		      size_t nins)
{
	size_t start = g->n;

	put_le(g, 0, 4);
	put_le(g, g->version ? 0xffffffff : 0, 4);
	put_u8(g, g->version ? g->version : 1);
	put(g, aug, strlen(aug) + 1);
	if (g->version >= 4) {
		put_u8(g, 8); /* address_size */
		put_u8(g, 0); /* segment_selector_size */
	}
	put_leb(g, code_align, false);
	put_leb(g, -8, true);
	if (g->version >= 3)
		put_leb(g, RIP, false);
	else
		put_u8(g, RIP);
	if (aug[0] == 'z')
		put_aug_data(g, aug);
	put(g, ins, nins);
	close_entry(g, start);
	g->cie = start;
	return start;
}

/* An FDE for [pc, pc + len) of the CIE g->cie; returns its offset. */
static size_t gen_fde(struct gen *g, uint64_t pc, uint64_t len, const uint8_t *ins, size_t nins)
{
	size_t start = g->n;

	put_le(g, 0, 4);
	if (g->version) {
		put_le(g, g->cie, 4); /* offset of the CIE in the section */
		put_le(g, pc, 8);
		put_le(g, len, 8);
	} else {
		put_le(g, g->n - g->cie, 4); /* distance back from this field */
		put_le(g, pc - (g->vaddr + g->n), 4);
		put_le(g, len, 4);
		put_leb(g, g->lsda ? 4 : 0, false);
		if (g->lsda)
			put_le(g, 0, 4);
	}
	put(g, ins, nins);
	close_entry(g, start);
	return start;
}

/* .eh_frame's zero terminator */
static void gen_end(struct gen *g)
{
	put_le(g, 0, 4);
}

#define INS(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
#define CIE(g, aug, code_align, ...) gen_cie(g, aug, code_align, INS(__VA_ARGS__))
#define FDE(g, pc, len, ...) gen_fde(g, pc, len, INS(__VA_ARGS__))

/* ---- building and checking ------------------------------------------------ */

/* Builds from a heap copy of exactly len bytes, freed before returning. */
static int build_bytes(const uint8_t *data, size_t len, uint64_t vaddr, bool debug_frame,
		       const struct pr_cfi_seg *segs, size_t nsegs, struct pr_cfi_table *t,
		       struct pr_cfi_build_stats *st)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct pr_cfi_section sec = {
		.data = copy, .size = len, .vaddr = vaddr, .debug_frame = debug_frame
	};
	int err;

	*t = (struct pr_cfi_table){ .n = 0 };
	*st = (struct pr_cfi_build_stats){ .cies = 0 };
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, data, len);
	err = pr_cfi_build(&sec, segs, nsegs, t, st);
	memset(copy, 0xa5, len); /* rows must not point into the section */
	free(copy);
	return err;
}

static int build_segs(const struct gen *g, const struct pr_cfi_seg *segs, size_t nsegs,
		      struct pr_cfi_table *t, struct pr_cfi_build_stats *st)
{
	return build_bytes(g->b, g->n, g->vaddr, g->version != 0, segs, nsegs, t, st);
}

static int build(const struct gen *g, struct pr_cfi_table *t, struct pr_cfi_build_stats *st)
{
	return build_segs(g, NULL, 0, t, st);
}

static uint32_t rejected(const struct pr_cfi_build_stats *st)
{
	uint32_t n = 0;
	int i;

	for (i = 0; i < PR_CFI_REJ_MAX; i++)
		n += st->rejected[i];
	return n;
}

/* What pr_cfi_find must give at pc. Offsets are compared only where the
 * rule has one; flags always. */
struct want {
	uint64_t pc;
	uint8_t cfa, rbp, ra, flags;
	int32_t cfa_off;
	int16_t rbp_off, ra_off;
	bool any_flags; /* a rejected FDE: INVALID, whether or not called a gap */
};

/* clang-format off */
#define ROW(pc_, cfa_, coff_, rbp_, roff_, ra_, aoff_)                                          \
	{                                                                                       \
		.pc = (pc_), .cfa = (cfa_), .cfa_off = (coff_), .rbp = (rbp_), .rbp_off = (roff_), \
		.ra = (ra_), .ra_off = (aoff_)                                                  \
	}
/* CFA rsp+off, rbp untouched, return address at CFA-8: most rows there are */
#define SP(pc_, off_) ROW(pc_, PR_CFA_SP, off_, PR_REG_SAME, 0, PR_REG_AT_CFA, -8)
/* as SP, with rbp saved at CFA-16 */
#define SPB(pc_, off_) ROW(pc_, PR_CFA_SP, off_, PR_REG_AT_CFA, -16, PR_REG_AT_CFA, -8)
/* no FDE covers pc */
#define GAP(pc_) { .pc = (pc_), .cfa = PR_CFA_INVALID }
/* inside an FDE, a rule we cannot follow */
#define UNSUP(pc_) { .pc = (pc_), .cfa = PR_CFA_INVALID, .flags = PR_CFI_UNSUPPORTED }
/* inside an FDE that was rejected */
#define DROPPED(pc_) { .pc = (pc_), .cfa = PR_CFA_INVALID, .any_flags = true }
/* clang-format on */

static bool has_off(uint8_t rule)
{
	return rule == PR_REG_AT_CFA || rule == PR_REG_AT_SP || rule == PR_REG_VAL_CFA;
}

static const char *at(char *buf, const char *what, uint64_t pc)
{
	snprintf(buf, 64, "%s at %#" PRIx64, what, pc);
	return buf;
}

static bool check_want(const struct pr_cfi_table *t, const struct want *w)
{
	const struct pr_cfi_row *r = pr_cfi_find(t, w->pc);
	char b[64];
	bool ok;

	if (!ASSERT_TRUE(r, at(b, "a row", w->pc)))
		return false;
	ok = ASSERT_TRUE(r->pc <= w->pc, at(b, "row starts at or before", w->pc));
	ok = ASSERT_EQ(r->cfa, w->cfa, at(b, "cfa kind", w->pc)) && ok;
	if (!w->any_flags)
		ok = ASSERT_EQ(r->flags, w->flags, at(b, "flags", w->pc)) && ok;
	if (w->cfa == PR_CFA_INVALID)
		return ok;
	ok = ASSERT_EQ(r->cfa_off, w->cfa_off, at(b, "cfa_off", w->pc)) && ok;
	ok = ASSERT_EQ(r->rbp, w->rbp, at(b, "rbp rule", w->pc)) && ok;
	if (has_off(w->rbp))
		ok = ASSERT_EQ(r->rbp_off, w->rbp_off, at(b, "rbp_off", w->pc)) && ok;
	ok = ASSERT_EQ(r->ra, w->ra, at(b, "ra rule", w->pc)) && ok;
	if (has_off(w->ra))
		ok = ASSERT_EQ(r->ra_off, w->ra_off, at(b, "ra_off", w->pc)) && ok;
	return ok;
}

static bool check_wants(const struct pr_cfi_table *t, const struct want *w, size_t n)
{
	bool ok = true;
	size_t i;

	for (i = 0; i < n; i++)
		ok = check_want(t, &w[i]) && ok;
	return ok;
}

#define CHECK_WANTS(t, ...)                                  \
	check_wants(t, (const struct want[]){ __VA_ARGS__ }, \
		    sizeof((const struct want[]){ __VA_ARGS__ }) / sizeof(struct want))

/* Rows strictly ascending: a binary search over them is well defined. */
static bool sorted(const struct pr_cfi_table *t)
{
	size_t i;

	for (i = 1; i < t->n; i++) {
		if (t->rows[i].pc <= t->rows[i - 1].pc) {
			printf("  row %zu at %#x follows row %zu at %#x\n", i, t->rows[i].pc, i - 1,
			       t->rows[i - 1].pc);
			return false;
		}
	}
	return true;
}

static bool check_sorted(const struct pr_cfi_table *t)
{
	return ASSERT_TRUE(sorted(t), "rows sorted by pc");
}

/* Runs fn(arg) in a child, so an ASan or UBSan abort fails this test
 * instead of ending the runner; true when the child exited 0. */
static bool in_child(int (*fn)(void *), void *arg, const char *what)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fflush(stdout);
		_exit(fn(arg));
	}
	if (!ASSERT_TRUE(pid > 0, "fork") || !ASSERT_EQ(waitpid(pid, &status, 0), pid, "waitpid"))
		return false;
	if (WIFSIGNALED(status))
		printf("  %s: killed by signal %d\n", what, WTERMSIG(status));
	return ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, what);
}

/* ---- the format, both flavours -------------------------------------------- */

/* Two CIEs (code alignment 1 and 4) and an FDE of each, in g's flavour. */
static void gen_two_cies(struct gen *g)
{
	CIE(g, g->version ? "" : "zR", 1, CIE_X86);
	FDE(g, 0x1000, 0x10, DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 16);
	CIE(g, g->version ? "" : "zR", 4, CIE_X86);
	FDE(g, 0x2000, 0x10, DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 16);
	if (!g->version)
		gen_end(g);
}

static void check_two_cies(struct gen *g, const char *what)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;

	printf("  # %s\n", what);
	if (!ASSERT_OK(build(g, &t, &st), "build"))
		return;
	ASSERT_EQ(st.cies, 2, "cies");
	ASSERT_EQ(st.fdes, 2, "fdes");
	ASSERT_EQ(rejected(&st), 0, "rejected");
	ASSERT_EQ(st.invalid_rows, 0, "invalid_rows");
	ASSERT_EQ(st.rows, t.n, "rows counted");
	check_sorted(&t);
	ASSERT_NULL(pr_cfi_find(&t, 0xfff), "before the first FDE");
	CHECK_WANTS(&t, SP(0x1000, 8), SP(0x1001, 16), SP(0x100f, 16), GAP(0x1010), GAP(0x1fff),
		    SP(0x2000, 8), SP(0x2003, 8), SP(0x2004, 16), SP(0x200f, 16), GAP(0x2010),
		    GAP(UINT64_MAX));
	pr_cfi_free(&t);
	ASSERT_EQ(t.n, 0, "n after free");
	ASSERT_NULL(pr_cfi_find(&t, 0x1000), "find in a freed table");
}

void test_cfi_eh_frame(void)
{
	struct gen g;

	gen_init(&g, 0, 0x3000);
	gen_two_cies(&g);
	check_two_cies(&g, ".eh_frame");
}

void test_cfi_debug_frame(void)
{
	static const int versions[] = { 1, 3, 4 };
	char what[32];
	struct gen g;
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		gen_init(&g, versions[i], 0);
		gen_two_cies(&g);
		snprintf(what, sizeof(what), ".debug_frame v%d", versions[i]);
		check_two_cies(&g, what);
	}
}

static int free_null(void *arg)
{
	(void)arg;
	pr_cfi_free(NULL);
	return 0;
}

/* house style 5: every _free accepts NULL */
void test_cfi_free_null(void)
{
	struct pr_cfi_table t = { .n = 0 };

	ASSERT_NULL(pr_cfi_find(&t, 0x1000), "find in an empty table");
	pr_cfi_free(&t);
	in_child(free_null, NULL, "pr_cfi_free(NULL) returns");
}

/* ---- the call frame program ------------------------------------------------ */

/* An .eh_frame of the usual CIE and one FDE at 0x1000 running ins. */
static void gen_one(struct gen *g, unsigned code_align, const uint8_t *ins, size_t nins,
		    uint64_t len)
{
	gen_init(g, 0, 0x40000);
	CIE(g, "zR", code_align, CIE_X86);
	gen_fde(g, 0x1000, len, ins, nins);
	gen_end(g);
}

#define ONE(g, len, ...) gen_one(g, 1, INS(__VA_ARGS__), len)

void test_cfi_cfa_rules(void)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	struct gen g;
	size_t i, unsup = 0;

	/* clang-format off */
	ONE(&g, 0x40,
	    DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 16, DW_CFA_offset | RBP, 2,
	    DW_CFA_advance_loc | 3, DW_CFA_def_cfa_register, RBP,
	    DW_CFA_advance_loc | 4, DW_CFA_def_cfa_sf, RSP, 0x7d,	/* -3 * -8 */
	    DW_CFA_advance_loc | 4, DW_CFA_def_cfa_offset_sf, 0x7c,	/* -4 * -8 */
	    DW_CFA_advance_loc | 4, DW_CFA_def_cfa, R10, 16,
	    DW_CFA_advance_loc | 4, DW_CFA_def_cfa_register, RSP,	/* keeps 16 */
	    DW_CFA_advance_loc | 4, DW_CFA_def_cfa, R10, 0,
	    DW_CFA_advance_loc | 4, DW_CFA_def_cfa_offset, 8,		/* still r10 */
	    DW_CFA_advance_loc | 4, DW_CFA_def_cfa, RSP, 8);
	/* clang-format on */
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return;
	ASSERT_EQ(rejected(&st), 0, "rejected");
	check_sorted(&t);
	CHECK_WANTS(&t, SP(0x1000, 8), SPB(0x1001, 16), SPB(0x1003, 16),
		    ROW(0x1004, PR_CFA_BP, 16, PR_REG_AT_CFA, -16, PR_REG_AT_CFA, -8),
		    ROW(0x1007, PR_CFA_BP, 16, PR_REG_AT_CFA, -16, PR_REG_AT_CFA, -8),
		    SPB(0x1008, 24), SPB(0x100c, 32), UNSUP(0x1010), UNSUP(0x1013), SPB(0x1014, 16),
		    UNSUP(0x1018), UNSUP(0x101c), UNSUP(0x101f), SPB(0x1020, 8), SPB(0x103f, 8),
		    GAP(0x1040));
	for (i = 0; i < t.n; i++)
		unsup += (t.rows[i].flags & PR_CFI_UNSUPPORTED) != 0;
	ASSERT_TRUE(unsup >= 2, "two stretches in r10");
	ASSERT_EQ(st.invalid_rows, unsup, "invalid_rows counts the UNSUPPORTED rows");
	pr_cfi_free(&t);
}

void test_cfi_reg_rules(void)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	struct gen g;

	/* clang-format off */
	ONE(&g, 0x20,
	    DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 16, DW_CFA_offset | RBP, 2,
	    DW_CFA_advance_loc | 1, DW_CFA_restore | RBP,
	    DW_CFA_advance_loc | 1, DW_CFA_offset_extended_sf, RBP, 3,	/* 3 * -8 */
	    DW_CFA_advance_loc | 1, DW_CFA_same_value, RBP,
	    DW_CFA_advance_loc | 1, DW_CFA_offset_extended, RBP, 2,
	    DW_CFA_advance_loc | 1, DW_CFA_val_offset, RBP, 2,
	    DW_CFA_advance_loc | 1, DW_CFA_val_offset_sf, RBP, 0x7d,	/* -3 * -8 */
	    DW_CFA_advance_loc | 1, DW_CFA_restore_extended, RBP,
	    DW_CFA_advance_loc | 1, DW_CFA_undefined, RIP,
	    DW_CFA_advance_loc | 1, DW_CFA_offset | RIP, 1,
	    DW_CFA_advance_loc | 1, DW_CFA_GNU_args_size, 16, DW_CFA_nop,
	    DW_CFA_advance_loc | 1, DW_CFA_undefined, RBP);
	/* clang-format on */
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return;
	ASSERT_EQ(rejected(&st), 0, "rejected");
	ASSERT_EQ(st.invalid_rows, 0, "invalid_rows");
	check_sorted(&t);
	CHECK_WANTS(
		&t, SP(0x1000, 8), SPB(0x1001, 16), SP(0x1002, 16),
		ROW(0x1003, PR_CFA_SP, 16, PR_REG_AT_CFA, -24, PR_REG_AT_CFA, -8), SP(0x1004, 16),
		SPB(0x1005, 16), ROW(0x1006, PR_CFA_SP, 16, PR_REG_VAL_CFA, -16, PR_REG_AT_CFA, -8),
		ROW(0x1007, PR_CFA_SP, 16, PR_REG_VAL_CFA, 24, PR_REG_AT_CFA, -8), SP(0x1008, 16),
		ROW(0x1009, PR_CFA_SP, 16, PR_REG_SAME, 0, PR_REG_UNDEFINED, 0), SP(0x100a, 16),
		SP(0x100b, 16), ROW(0x100c, PR_CFA_SP, 16, PR_REG_UNDEFINED, 0, PR_REG_AT_CFA, -8),
		ROW(0x101f, PR_CFA_SP, 16, PR_REG_UNDEFINED, 0, PR_REG_AT_CFA, -8), GAP(0x1020));
	pr_cfi_free(&t);
}

/* DW_CFA_restore goes back to the CIE's rule, not to "same value". */
void test_cfi_restore_to_cie(void)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	struct gen g;

	gen_init(&g, 0, 0x40000);
	CIE(&g, "zR", 1, CIE_X86, DW_CFA_offset | RBP, 2);
	/* clang-format off */
	FDE(&g, 0x1000, 0x10,
	    DW_CFA_advance_loc | 1, DW_CFA_offset | RBP, 3,
	    DW_CFA_advance_loc | 1, DW_CFA_restore | RBP,
	    DW_CFA_advance_loc | 1, DW_CFA_same_value, RBP,
	    DW_CFA_advance_loc | 1, DW_CFA_restore_extended, RBP,
	    DW_CFA_advance_loc | 1, DW_CFA_offset | RIP, 3,
	    DW_CFA_advance_loc | 1, DW_CFA_restore | RIP);
	/* clang-format on */
	gen_end(&g);
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return;
	ASSERT_EQ(rejected(&st), 0, "rejected");
	CHECK_WANTS(&t, SPB(0x1000, 8),
		    ROW(0x1001, PR_CFA_SP, 8, PR_REG_AT_CFA, -24, PR_REG_AT_CFA, -8),
		    SPB(0x1002, 8), SP(0x1003, 8), SPB(0x1004, 8),
		    ROW(0x1005, PR_CFA_SP, 8, PR_REG_AT_CFA, -16, PR_REG_AT_CFA, -24),
		    SPB(0x1006, 8), GAP(0x1010));
	pr_cfi_free(&t);
}

/* GCC's epilogue in the middle of a function, and nesting. */
void test_cfi_remember_restore(void)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	struct gen g;

	/* clang-format off */
	ONE(&g, 0x20,
	    DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 16, DW_CFA_offset | RBP, 2,
	    DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 24, DW_CFA_offset | RBX, 3,
	    /* pop %rbx; pop %rbp; ret; then the code after the early return */
	    DW_CFA_advance_loc | 8, DW_CFA_remember_state, DW_CFA_def_cfa_offset, 16,
	    DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 8,
	    DW_CFA_advance_loc | 1, DW_CFA_restore_state,
	    /* two levels */
	    DW_CFA_advance_loc | 4, DW_CFA_remember_state, DW_CFA_def_cfa_offset, 32,
	    DW_CFA_restore | RBP,
	    DW_CFA_advance_loc | 1, DW_CFA_remember_state, DW_CFA_def_cfa_offset, 40,
	    DW_CFA_advance_loc | 1, DW_CFA_restore_state,
	    DW_CFA_advance_loc | 1, DW_CFA_restore_state);
	/* clang-format on */
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return;
	ASSERT_EQ(rejected(&st), 0, "rejected");
	check_sorted(&t);
	CHECK_WANTS(&t, SP(0x1000, 8), SPB(0x1001, 16), SPB(0x1002, 24), SPB(0x1009, 24),
		    SPB(0x100a, 16), SPB(0x100b, 8), SPB(0x100c, 24), SPB(0x100f, 24),
		    SP(0x1010, 32), SP(0x1011, 40), SP(0x1012, 32), SPB(0x1013, 24),
		    SPB(0x101f, 24), GAP(0x1020));
	pr_cfi_free(&t);
}

/* Each advance op in turn moves the location; rows follow code_align. */
static void check_advances(unsigned ca)
{
	const uint64_t p1 = 0x1000 + 63 * ca, p2 = p1 + 0xff * ca, p3 = p2 + 0x1234 * ca,
		       p4 = p3 + 0x12345 * ca, end = 0x1000 + 0x100000;
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	struct gen g;

	printf("  # code_align %u\n", ca);
	/* clang-format off */
	gen_one(&g, ca,
		INS(DW_CFA_advance_loc | 63, DW_CFA_def_cfa_offset, 16,
		    DW_CFA_advance_loc1, 0xff, DW_CFA_def_cfa_offset, 24,
		    DW_CFA_advance_loc2, LE16(0x1234), DW_CFA_def_cfa_offset, 32,
		    DW_CFA_advance_loc4, LE32(0x12345), DW_CFA_def_cfa_offset, 40),
		end - 0x1000);
	/* clang-format on */
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return;
	ASSERT_EQ(rejected(&st), 0, "rejected");
	check_sorted(&t);
	CHECK_WANTS(&t, SP(0x1000, 8), SP(p1 - 1, 8), SP(p1, 16), SP(p2 - 1, 16), SP(p2, 24),
		    SP(p3 - 1, 24), SP(p3, 32), SP(p4 - 1, 32), SP(p4, 40), SP(end - 1, 40),
		    GAP(end));
	pr_cfi_free(&t);
}

void test_cfi_advance_ops(void)
{
	check_advances(1);
	check_advances(4);
}

/* Instructions before the first advance, and after an advance by 0, set
 * the rule at the same location: the last one wins there. */
void test_cfi_rows_at_one_pc(void)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	struct gen g;

	/* clang-format off */
	ONE(&g, 0x10,
	    DW_CFA_def_cfa_offset, 16,
	    DW_CFA_advance_loc | 0, DW_CFA_def_cfa_offset, 24,
	    DW_CFA_advance_loc | 2, DW_CFA_def_cfa_offset, 32,
	    DW_CFA_advance_loc1, 0, DW_CFA_def_cfa_offset, 8,
	    DW_CFA_advance_loc | 0,
	    DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 16);
	/* clang-format on */
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return;
	check_sorted(&t);
	CHECK_WANTS(&t, SP(0x1000, 24), SP(0x1001, 24), SP(0x1002, 8), SP(0x1003, 16), GAP(0x1010));
	pr_cfi_free(&t);
}

/* DW_CFA_set_loc: a pointer in the FDE's encoding (.eh_frame: pc-relative
 * to the operand itself) or an address (.debug_frame). */
void test_cfi_set_loc(void)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	struct gen g;
	size_t fde;

	/* operand at 18: length, CIE pointer, pc, range, aug length, opcode */
	gen_init(&g, 0, 0x40000);
	CIE(&g, "zR", 1, CIE_X86);
	fde = FDE(&g, 0x1000, 0x40, DW_CFA_set_loc, LE32(0), DW_CFA_def_cfa_offset, 16,
		  DW_CFA_advance_loc | 4, DW_CFA_def_cfa_offset, 24);
	patch_u32(&g, fde + 18, 0x1020 - (g.vaddr + fde + 18));
	gen_end(&g);
	if (ASSERT_OK(build(&g, &t, &st), "build .eh_frame")) {
		ASSERT_EQ(rejected(&st), 0, "rejected");
		check_sorted(&t);
		CHECK_WANTS(&t, SP(0x1000, 8), SP(0x101f, 8), SP(0x1020, 16), SP(0x1023, 16),
			    SP(0x1024, 24), GAP(0x1040));
		pr_cfi_free(&t);
	}
	gen_init(&g, 4, 0);
	CIE(&g, "", 1, CIE_X86);
	FDE(&g, 0x1000, 0x40, DW_CFA_set_loc, LE64(0x1020), DW_CFA_def_cfa_offset, 16);
	if (ASSERT_OK(build(&g, &t, &st), "build .debug_frame")) {
		ASSERT_EQ(rejected(&st), 0, "rejected");
		CHECK_WANTS(&t, SP(0x101f, 8), SP(0x1020, 16), SP(0x103f, 16), GAP(0x1040));
		pr_cfi_free(&t);
	}
}

/* ---- expressions ---------------------------------------------------------- */

/* The PLT's CFA: rsp + off + ((rip & 15) >= thr ? 8 : 0); shl is 3 for 8 */
#define PLT_EXPR(off, thr, shl)                                                   \
	DW_OP_breg0 + RSP, off, DW_OP_breg0 + RIP, 0, DW_OP_lit0 + 15, DW_OP_and, \
		DW_OP_lit0 + (thr), DW_OP_ge, DW_OP_lit0 + (shl), DW_OP_shl, DW_OP_plus
#define PLT(pc_, thr)                                                             \
	{                                                                         \
		.pc = (pc_), .cfa = PR_CFA_PLT, .cfa_off = 8, .rbp = PR_REG_SAME, \
		.ra = PR_REG_AT_CFA, .ra_off = -8, .flags = (thr) << 4            \
	}

void test_cfi_plt_expr(void)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	struct gen g;

	gen_init(&g, 0, 0x40000);
	CIE(&g, "zR", 1, CIE_X86);
	/* the .plt FDE binutils writes: PLT0, then the entries */
	FDE(&g, 0x1000, 0x20, DW_CFA_def_cfa_offset, 16, DW_CFA_advance_loc | 6,
	    DW_CFA_def_cfa_offset, 24, DW_CFA_advance_loc | 10, DW_CFA_def_cfa_expression, 11,
	    PLT_EXPR(8, 11, 3));
	/* .plt.sec style, threshold 10 */
	FDE(&g, 0x1020, 0x20, DW_CFA_def_cfa_expression, 11, PLT_EXPR(8, 10, 3));
	/* one operand off: not the PLT */
	FDE(&g, 0x1040, 0x10, DW_CFA_def_cfa_expression, 11, PLT_EXPR(8, 11, 2));
	gen_end(&g);
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return;
	ASSERT_EQ(rejected(&st), 0, "rejected");
	check_sorted(&t);
	CHECK_WANTS(&t, SP(0x1000, 16), SP(0x1005, 16), SP(0x1006, 24), SP(0x100f, 24),
		    PLT(0x1010, 11), PLT(0x101f, 11), PLT(0x1020, 10), PLT(0x103f, 10),
		    UNSUP(0x1040), GAP(0x1050));
	pr_cfi_free(&t);
}

/* glibc's __restore_rt (sysdeps/unix/sysv/linux/x86_64/libc_sigaction.c):
 * every register is read from the ucontext the kernel pushed at rsp. */
void test_cfi_signal_frame(void)
{
	const struct want sig = { .pc = 0x104f,
				  .cfa = PR_CFA_DEREF_SP,
				  .cfa_off = 160,
				  .rbp = PR_REG_AT_SP,
				  .rbp_off = 120,
				  .ra = PR_REG_AT_SP,
				  .ra_off = 168,
				  .flags = PR_CFI_SIGNAL };
	struct pr_cfi_build_stats st;
	struct want last = sig;
	struct pr_cfi_table t;
	struct gen g;

	gen_init(&g, 0, 0x40000);
	CIE(&g, "zRS", 1, DW_CFA_nop);
	/* clang-format off */
	FDE(&g, 0x104f, 0xa,
	    DW_CFA_def_cfa_expression, 4, DW_OP_breg0 + RSP, LEB2(160), DW_OP_deref,
	    DW_CFA_expression, R8, 2, DW_OP_breg0 + RSP, 40,
	    DW_CFA_expression, RBP, 3, DW_OP_breg0 + RSP, LEB2(120),
	    DW_CFA_expression, RBX, 3, DW_OP_breg0 + RSP, LEB2(128),
	    DW_CFA_expression, RSP, 3, DW_OP_breg0 + RSP, LEB2(160),
	    DW_CFA_expression, RIP, 3, DW_OP_breg0 + RSP, LEB2(168));
	/* clang-format on */
	CIE(&g, "zR", 1, CIE_X86);
	FDE(&g, 0x1060, 0x10, DW_CFA_nop);
	gen_end(&g);
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return;
	ASSERT_EQ(rejected(&st), 0, "rejected");
	ASSERT_EQ(st.invalid_rows, 0, "invalid_rows");
	last.pc = 0x1058;
	check_want(&t, &sig);
	check_want(&t, &last);
	CHECK_WANTS(&t, GAP(0x1059), SP(0x1060, 8), GAP(0x1070));
	pr_cfi_free(&t);
}

/* GCC's dynamic realignment (DRAP): the CFA sits in r10 while the stack is
 * realigned, then is read back through rbp. The saved rbp is at rbp+0, a
 * place no row can say: it is lost, never "same". */
void test_cfi_realign_expr(void)
{
	const struct want drap = { .pc = 0x1021,
				   .cfa = PR_CFA_DEREF_BP,
				   .cfa_off = -8,
				   .rbp = PR_REG_UNDEFINED,
				   .ra = PR_REG_AT_CFA,
				   .ra_off = -8 };
	struct pr_cfi_build_stats st;
	struct want end = drap;
	struct pr_cfi_table t;
	struct gen g;

	/* clang-format off */
	ONE(&g, 0x64,
	    DW_CFA_advance_loc | 5, DW_CFA_def_cfa, R10, 0,
	    DW_CFA_advance_loc | 26, DW_CFA_expression, RBP, 2, DW_OP_breg0 + RBP, 0,
	    DW_CFA_advance_loc | 2, DW_CFA_def_cfa_expression, 3, DW_OP_breg0 + RBP, 0x78,
	    DW_OP_deref,					/* rbp - 8 */
	    DW_CFA_advance_loc | 45, DW_CFA_def_cfa, R10, 0,
	    DW_CFA_advance_loc | 5, DW_CFA_def_cfa, RSP, 8);
	/* clang-format on */
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return;
	ASSERT_EQ(rejected(&st), 0, "rejected");
	end.pc = 0x104d;
	CHECK_WANTS(&t, SP(0x1000, 8), UNSUP(0x1005), UNSUP(0x1020));
	check_want(&t, &drap);
	check_want(&t, &end);
	/* GCC leaves rbp's expression in force after the epilogue */
	CHECK_WANTS(&t, UNSUP(0x104e), UNSUP(0x1052),
		    ROW(0x1053, PR_CFA_SP, 8, PR_REG_UNDEFINED, 0, PR_REG_AT_CFA, -8),
		    ROW(0x1063, PR_CFA_SP, 8, PR_REG_UNDEFINED, 0, PR_REG_AT_CFA, -8), GAP(0x1064));
	pr_cfi_free(&t);
}

/* Expressions nobody taught it give INVALID rows, never a wrong rule. */
void test_cfi_unknown_expr(void)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	struct gen g;
	size_t i, unsup = 0;

	gen_init(&g, 0, 0x40000);
	CIE(&g, "zR", 1, CIE_X86);
	/* rsp + 8 + 1 */
	FDE(&g, 0x1000, 0x10, DW_CFA_def_cfa_expression, 4, DW_OP_breg0 + RSP, 8, DW_OP_lit0 + 1,
	    DW_OP_plus, DW_CFA_advance_loc | 4, DW_CFA_def_cfa, RSP, 8);
	/* *(rbx + 8) */
	FDE(&g, 0x1010, 0x10, DW_CFA_def_cfa_expression, 3, DW_OP_breg0 + RBX, 8, DW_OP_deref);
	/* *(rsp + 8) + 1 */
	FDE(&g, 0x1020, 0x10, DW_CFA_def_cfa_expression, 5, DW_OP_breg0 + RSP, 8, DW_OP_deref,
	    DW_OP_lit0 + 1, DW_OP_plus);
	/* the return address at rbx + 8, or in rdx: nowhere a row can say */
	FDE(&g, 0x1030, 0x10, DW_CFA_expression, RIP, 2, DW_OP_breg0 + RBX, 8);
	FDE(&g, 0x1040, 0x10, DW_CFA_register, RIP, 1);
	/* an empty expression */
	FDE(&g, 0x1050, 0x10, DW_CFA_def_cfa_expression, 0);
	/* rbp in rbx: lost, the row still usable */
	FDE(&g, 0x1060, 0x10, DW_CFA_register, RBP, RBX);
	gen_end(&g);
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return;
	ASSERT_EQ(rejected(&st), 0, "rejected");
	check_sorted(&t);
	CHECK_WANTS(&t, UNSUP(0x1000), UNSUP(0x1003), SP(0x1004, 8), UNSUP(0x1010), UNSUP(0x1020),
		    UNSUP(0x1030), UNSUP(0x1040), UNSUP(0x1050),
		    ROW(0x1060, PR_CFA_SP, 8, PR_REG_UNDEFINED, 0, PR_REG_AT_CFA, -8), GAP(0x1070));
	for (i = 0; i < t.n; i++)
		unsup += (t.rows[i].flags & PR_CFI_UNSUPPORTED) != 0;
	ASSERT_EQ(st.invalid_rows, unsup, "invalid_rows");
	/* adjacent INVALID rows may merge: 0x1000, and 0x1010 to 0x1060 */
	ASSERT_TRUE(unsup >= 2, "two stretches of INVALID rows");
	pr_cfi_free(&t);
}

/* C++ and libgcc CIEs carry a personality and an LSDA encoding; their
 * FDEs an LSDA pointer in the augmentation data. */
void test_cfi_augmentation_zplr(void)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	struct gen g;

	gen_init(&g, 0, 0x40000);
	CIE(&g, "zPLR", 1, CIE_X86);
	FDE(&g, 0x1000, 0x10, DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 16);
	CIE(&g, "zPR", 1, CIE_X86);
	FDE(&g, 0x1010, 0x10, DW_CFA_advance_loc | 2, DW_CFA_def_cfa_offset, 24);
	CIE(&g, "zLR", 4, CIE_X86);
	FDE(&g, 0x1020, 0x10, DW_CFA_advance_loc | 2, DW_CFA_def_cfa_offset, 32);
	gen_end(&g);
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return;
	ASSERT_EQ(st.cies, 3, "cies");
	ASSERT_EQ(rejected(&st), 0, "rejected");
	CHECK_WANTS(&t, SP(0x1000, 8), SP(0x1001, 16), SP(0x1011, 8), SP(0x1012, 24), SP(0x1027, 8),
		    SP(0x1028, 32), GAP(0x1030));
	pr_cfi_free(&t);
}

/* ---- what it rejects ---------------------------------------------------------- */

/* Builds g; the section is usable, FDEs were rejected for why, n of
 * them, and the FDE at 0x1000 (every case starts with a good one) is
 * intact. */
static void check_rejected(const struct gen *g, int why, uint32_t n, const char *what)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	char name[96];

	snprintf(name, sizeof(name), "%s: build", what);
	if (!ASSERT_OK(build(g, &t, &st), name))
		return;
	snprintf(name, sizeof(name), "%s: rejected for reason %d", what, why);
	if (!ASSERT_EQ(st.rejected[why], n, name))
		printf("  rejected by reason: %u %u %u %u %u %u %u\n", st.rejected[0],
		       st.rejected[1], st.rejected[2], st.rejected[3], st.rejected[4],
		       st.rejected[5], st.rejected[6]);
	snprintf(name, sizeof(name), "%s: rejected in all", what);
	ASSERT_EQ(rejected(&st), n, name);
	snprintf(name, sizeof(name), "%s: sorted", what);
	ASSERT_TRUE(sorted(&t), name);
	printf("  # %s\n", what);
	CHECK_WANTS(&t, SP(0x1000, 8), SP(0x1001, 16), SP(0x100f, 16), GAP(0x1010));
	pr_cfi_free(&t);
}

/* A good CIE and FDE at 0x1000, in g's flavour; returns the FDE's offset. */
static size_t gen_good(struct gen *g, int version)
{
	gen_init(g, version, 0x40000);
	CIE(g, version ? "" : "zR", 1, CIE_X86);
	return FDE(g, 0x1000, 0x10, DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 16);
}

void test_cfi_reject_opcode(void)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	struct gen g;

	gen_good(&g, 0);
	FDE(&g, 0x1100, 0x10, DW_CFA_advance_loc | 1, 0x17);
	FDE(&g, 0x1200, 0x10, DW_CFA_advance_loc | 1, 0x3f);
	gen_end(&g);
	check_rejected(&g, PR_CFI_REJ_OPCODE, 2, "opcodes 0x17, 0x3f");

	/* adjacent to the good FDE, its first row (rsp+16) the same as the
	 * last there, then a row of its own before the bad opcode: none of
	 * its rows may stay */
	gen_good(&g, 0);
	FDE(&g, 0x1010, 0x10, DW_CFA_def_cfa_offset, 16, DW_CFA_advance_loc | 1,
	    DW_CFA_def_cfa_offset, 24, DW_CFA_advance_loc | 1, 0x3f);
	gen_end(&g);
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return;
	ASSERT_EQ(st.rejected[PR_CFI_REJ_OPCODE], 1, "rejected: opcode");
	check_sorted(&t);
	CHECK_WANTS(&t, SP(0x1000, 8), SP(0x100f, 16), DROPPED(0x1010), DROPPED(0x1011),
		    DROPPED(0x101f), GAP(0x1020));
	pr_cfi_free(&t);
}

void test_cfi_reject_state(void)
{
	uint8_t deep[1100];
	struct gen g;
	size_t i, n = 0;

	gen_good(&g, 0);
	FDE(&g, 0x1100, 0x10, DW_CFA_advance_loc | 1, DW_CFA_restore_state);
	gen_end(&g);
	check_rejected(&g, PR_CFI_REJ_STATE, 1, "restore_state with nothing remembered");

	/* 8 levels, as deep as hand-written assembly goes: fine */
	gen_good(&g, 0);
	for (i = 0; i < 8; i++)
		deep[n++] = DW_CFA_remember_state;
	for (i = 0; i < 8; i++)
		deep[n++] = DW_CFA_restore_state;
	gen_fde(&g, 0x1100, 0x10, deep, n);
	gen_end(&g);
	check_rejected(&g, PR_CFI_REJ_STATE, 0, "8 levels");

	/* 1000 levels: too deep, rejected without overrunning anything */
	gen_good(&g, 0);
	for (n = 0; n < 1000; n++)
		deep[n] = DW_CFA_remember_state;
	gen_fde(&g, 0x1100, 0x10, deep, n);
	gen_end(&g);
	check_rejected(&g, PR_CFI_REJ_STATE, 1, "1000 levels");
}

void test_cfi_reject_encoding(void)
{
	struct gen g;
	size_t cie;

	/* no 'z': an unknown letter leaves the rest unreadable */
	gen_good(&g, 0);
	CIE(&g, "Q", 1, CIE_X86);
	FDE(&g, 0x1100, 0x10, DW_CFA_nop);
	gen_end(&g);
	check_rejected(&g, PR_CFI_REJ_ENCODING, 1, "augmentation \"Q\"");

	/* pointer encodings: 0x07 is no format, datarel needs a base we lack */
	gen_good(&g, 0);
	g.enc = 0x07;
	CIE(&g, "zR", 1, CIE_X86);
	FDE(&g, 0x1100, 0x10, DW_CFA_nop);
	g.enc = 0x30 | 0x0b;
	CIE(&g, "zR", 1, CIE_X86);
	FDE(&g, 0x1200, 0x10, DW_CFA_nop);
	gen_end(&g);
	check_rejected(&g, PR_CFI_REJ_ENCODING, 2, "pointer encodings 0x07, 0x3b");

	/* CIE version 2 does not exist */
	gen_good(&g, 0);
	cie = CIE(&g, "zR", 1, CIE_X86);
	g.b[cie + 8] = 2;
	FDE(&g, 0x1100, 0x10, DW_CFA_nop);
	gen_end(&g);
	check_rejected(&g, PR_CFI_REJ_ENCODING, 1, "CIE version 2");

	/* .debug_frame v4 with 4-byte addresses: not x86-64 */
	gen_good(&g, 4);
	cie = CIE(&g, "", 1, CIE_X86);
	g.b[cie + 10] = 4;
	FDE(&g, 0x1100, 0x10, DW_CFA_nop);
	check_rejected(&g, PR_CFI_REJ_ENCODING, 1, ".debug_frame address_size 4");
}

void test_cfi_reject_no_cie(void)
{
	struct gen g;
	size_t bad;

	g.cie = gen_good(&g, 0);
	FDE(&g, 0x1100, 0x10, DW_CFA_nop);
	g.cie = 4; /* into the middle of the CIE */
	FDE(&g, 0x1200, 0x10, DW_CFA_nop);
	bad = FDE(&g, 0x1300, 0x10, DW_CFA_nop);
	patch_u32(&g, bad + 4, bad + 4 + 0x100); /* before the section */
	gen_end(&g);
	check_rejected(&g, PR_CFI_REJ_NO_CIE, 3, ".eh_frame: an FDE, mid-CIE, before the section");

	g.cie = gen_good(&g, 1);
	FDE(&g, 0x1100, 0x10, DW_CFA_nop);
	g.cie = 0x10000; /* past the end */
	FDE(&g, 0x1200, 0x10, DW_CFA_nop);
	check_rejected(&g, PR_CFI_REJ_NO_CIE, 2, ".debug_frame: an FDE, past the end");
}

/* Of two FDEs that overlap, one is taken whole and the other rejected:
 * no pc mixes their rows. a's rows have CFA rsp+16, b's rsp+32. */
static void check_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen, bool b_first,
			  const char *what)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	const struct pr_cfi_row *ra, *rb;
	struct gen g;

	gen_init(&g, 0, 0x40000);
	CIE(&g, "zR", 1, CIE_X86);
	if (b_first)
		FDE(&g, b, blen, DW_CFA_def_cfa_offset, 32);
	FDE(&g, a, alen, DW_CFA_def_cfa_offset, 16);
	if (!b_first)
		FDE(&g, b, blen, DW_CFA_def_cfa_offset, 32);
	gen_end(&g);
	printf("  # %s\n", what);
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return;
	ASSERT_EQ(st.rejected[PR_CFI_REJ_OVERLAP], 1, "rejected: overlap");
	check_sorted(&t);
	ra = pr_cfi_find(&t, a);
	if (ra && ra->cfa == PR_CFA_SP && ra->cfa_off == 16) {
		/* a taken: b's pcs inside a are a's, those past a's end in no FDE */
		rb = pr_cfi_find(&t, b);
		ASSERT_TRUE(rb && rb->cfa_off == 16, "a's rule at b's start");
		if (b + blen > a + alen)
			CHECK_WANTS(&t, DROPPED(a + alen), DROPPED(b + blen - 1));
	} else {
		ASSERT_TRUE(!ra || ra->cfa == PR_CFA_INVALID || ra->cfa_off == 32, "b taken");
		CHECK_WANTS(&t, SP(b, 32), SP(b + blen - 1, 32), GAP(b + blen));
	}
	pr_cfi_free(&t);
}

void test_cfi_reject_overlap(void)
{
	check_overlap(0x1000, 0x100, 0x1080, 0x100, false, "b starts inside a");
	check_overlap(0x1000, 0x100, 0x1080, 0x100, true, "the same, b listed first");
	check_overlap(0x1000, 0x100, 0x1040, 0x10, false, "b inside a");
	check_overlap(0x1000, 0x10, 0x1000, 0x20, false, "same start");
}

/* Offsets factored by data_align (-8) past int64_t: rbp or the CFA lost,
 * or the FDE rejected; never an offset wrapped into something plausible. */
static int build_overflow(void *arg)
{
	struct pr_cfi_build_stats st;
	const struct pr_cfi_row *r;
	struct gen g, ins = { .n = 0 };
	struct pr_cfi_table t;
	bool ok;

	(void)arg;
	gen_good(&g, 0);
	/* (2^61 + 1) * -8: wrapped, -8 */
	put_u8(&ins, DW_CFA_offset | RBP);
	put_leb(&ins, (1ll << 61) + 1, false);
	put_u8(&ins, DW_CFA_advance_loc | 1);
	/* (2^61 + 2) * -8: wrapped, -16 */
	put_u8(&ins, DW_CFA_def_cfa_offset_sf);
	put_leb(&ins, (1ll << 61) + 2, true);
	gen_fde(&g, 0x1100, 0x10, ins.b, ins.n);
	/* DW_CFA_GNU_negative_offset_extended rbp, 2^63: -INT64_MIN */
	ins.n = 0;
	put_u8(&ins, 0x2f);
	put_u8(&ins, RBP);
	put_leb(&ins, INT64_MIN, false);
	gen_fde(&g, 0x1200, 0x10, ins.b, ins.n);
	gen_end(&g);
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return 1;
	r = pr_cfi_find(&t, 0x1100);
	ok = ASSERT_TRUE(r && (r->cfa == PR_CFA_INVALID || r->rbp == PR_REG_UNDEFINED),
			 "rbp at (2^61 + 1) * -8: lost");
	if (r && r->cfa != PR_CFA_INVALID && r->rbp != PR_REG_UNDEFINED)
		printf("  rbp rule %u%+d\n", r->rbp, r->rbp_off);
	r = pr_cfi_find(&t, 0x1101);
	ok = ASSERT_EQ(r ? r->cfa : 0xff, PR_CFA_INVALID, "CFA rsp + (2^61 + 2) * -8: INVALID") &&
	     ok;
	if (r && r->cfa != PR_CFA_INVALID)
		printf("  cfa rule %u%+d\n", r->cfa, r->cfa_off);
	r = pr_cfi_find(&t, 0x1200);
	ok = ASSERT_TRUE(r && (r->cfa == PR_CFA_INVALID || r->rbp == PR_REG_UNDEFINED),
			 "rbp at -(2^63) * -8: lost") &&
	     ok;
	pr_cfi_free(&t);
	return !ok;
}

/* In a child: signed overflow there is a UBSan abort under SANITIZE=1. */
void test_cfi_factored_overflow(void)
{
	in_child(build_overflow, NULL, "huge factored offsets handled");
}

/* A section whose walk cannot even start: -EINVAL, or 0 and no rows. */
static void check_unusable(const uint8_t *data, size_t len, const char *what)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	int err = build_bytes(data, len, 0x40000, false, NULL, 0, &t, &st);

	if (!ASSERT_TRUE(err == -EINVAL || (err == 0 && t.n == 0), what))
		printf("  build: %d, %zu rows\n", err, t.n);
	pr_cfi_free(&t);
}

/* A rich, valid .eh_frame (or .debug_frame): the seed of the truncation
 * and mutation tests. */
static void gen_rich(struct gen *g, int version)
{
	const char *aug = version ? "" : "zR";

	gen_init(g, version, 0x40000);
	CIE(g, aug, 1, CIE_X86);
	FDE(g, 0x1000, 0x40, DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 16, DW_CFA_offset | RBP,
	    2, DW_CFA_advance_loc | 3, DW_CFA_def_cfa_register, RBP, DW_CFA_advance_loc1, 0x20,
	    DW_CFA_remember_state, DW_CFA_def_cfa, RSP, 8, DW_CFA_advance_loc | 1,
	    DW_CFA_restore_state, DW_CFA_advance_loc2, LE16(4), DW_CFA_def_cfa, R10, 0);
	FDE(g, 0x1040, 0x20, DW_CFA_def_cfa_offset, 16, DW_CFA_advance_loc | 6,
	    DW_CFA_def_cfa_offset, 24, DW_CFA_advance_loc | 10, DW_CFA_def_cfa_expression, 11,
	    PLT_EXPR(8, 11, 3));
	CIE(g, version ? "" : "zRS", 4, DW_CFA_nop);
	FDE(g, 0x1100, 0x10, DW_CFA_def_cfa_expression, 4, DW_OP_breg0 + RSP, LEB2(160),
	    DW_OP_deref, DW_CFA_expression, RBP, 3, DW_OP_breg0 + RSP, LEB2(120), DW_CFA_expression,
	    RIP, 3, DW_OP_breg0 + RSP, LEB2(168));
	CIE(g, version ? "" : "zPLR", 1, CIE_X86, DW_CFA_offset | RBP, 2);
	FDE(g, 0x1200, 0x20, DW_CFA_advance_loc4, LE32(2), DW_CFA_val_offset, RBP, 2,
	    DW_CFA_advance_loc | 1, DW_CFA_undefined, RIP, DW_CFA_advance_loc | 1,
	    DW_CFA_restore | RIP, DW_CFA_restore_extended, RBP, DW_CFA_GNU_args_size, 8);
	if (!version)
		gen_end(g);
}

/* Lengths past the section: the walk stops there. */
void test_cfi_reject_truncated_section(void)
{
	struct gen g;
	size_t cie, fde;

	gen_init(&g, 0, 0x40000);
	cie = CIE(&g, "zR", 1, CIE_X86);
	patch_u32(&g, cie, 0x1000);
	check_unusable(g.b, g.n, "a CIE's length past the section");
	check_unusable((const uint8_t[]){ 0x10, 0, 0 }, 3, "three bytes");
	check_unusable((const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0 }, 8,
		       "a 64-bit length cut short");

	gen_good(&g, 0);
	fde = FDE(&g, 0x1100, 0x10, DW_CFA_nop);
	patch_u32(&g, fde, 0x100);
	check_rejected(&g, PR_CFI_REJ_TRUNCATED, 1, "an FDE's length past the section");

	gen_good(&g, 0);
	put_le(&g, 0, 2);
	check_rejected(&g, PR_CFI_REJ_TRUNCATED, 1, "two bytes after the last FDE");
}

/* FDEs whose contents run past their length. */
void test_cfi_reject_truncated_fde(void)
{
	struct gen g;
	size_t fde;

	/* operands: entries left unpadded, so nothing follows them */
	gen_good(&g, 0);
	g.nopad = true;
	FDE(&g, 0x1100, 0x10, DW_CFA_advance_loc4, 0x01, 0x00);
	FDE(&g, 0x1200, 0x10, DW_CFA_def_cfa_offset, 0x80);
	FDE(&g, 0x1300, 0x10, DW_CFA_def_cfa_expression, 10, DW_OP_breg0 + RSP, 8);
	FDE(&g, 0x1400, 0x10, DW_CFA_expression, RBP, 5, DW_OP_breg0 + RSP);
	FDE(&g, 0x1500, 0x10, DW_CFA_offset | RBP);
	gen_end(&g);
	check_rejected(&g, PR_CFI_REJ_TRUNCATED, 5, "operands past their FDE");

	/* ending inside its pc range field */
	gen_good(&g, 0);
	g.nopad = true;
	fde = gen_fde(&g, 0x1100, 0x10, NULL, 0);
	g.n = fde + 12;
	patch_u32(&g, fde, 8);
	gen_end(&g);
	check_rejected(&g, PR_CFI_REJ_TRUNCATED, 1, "an FDE shorter than its header");

	gen_good(&g, 0);
	fde = FDE(&g, 0x1100, 0x10, DW_CFA_nop);
	g.b[fde + 16] = 0x40;
	gen_end(&g);
	check_rejected(&g, PR_CFI_REJ_TRUNCATED, 1, "an FDE's augmentation data past its end");
}

/* CIEs cut short: after the id, inside the augmentation string, and with
 * augmentation data longer than the CIE. Their FDEs are rejected. */
void test_cfi_reject_truncated_cie(void)
{
	struct gen g;
	size_t cie;

	gen_good(&g, 0);
	g.cie = g.n;
	put_le(&g, 4, 4);
	put_le(&g, 0, 4);
	FDE(&g, 0x1100, 0x10, DW_CFA_nop);
	gen_end(&g);
	check_rejected(&g, PR_CFI_REJ_TRUNCATED, 1, "a CIE of only its id");

	gen_good(&g, 0);
	g.cie = g.n;
	put_le(&g, 7, 4);
	put_le(&g, 0, 4);
	put(&g, "\1zR", 3);
	FDE(&g, 0x1200, 0x10, DW_CFA_nop);
	gen_end(&g);
	check_rejected(&g, PR_CFI_REJ_TRUNCATED, 1, "an augmentation string without its NUL");

	gen_good(&g, 0);
	cie = CIE(&g, "zR", 1, CIE_X86);
	g.b[cie + 15] = 0x40;
	FDE(&g, 0x1300, 0x10, DW_CFA_nop);
	gen_end(&g);
	check_rejected(&g, PR_CFI_REJ_TRUNCATED, 1, "augmentation data past the CIE");
}

/* A word a child writes and its parent reads after it died: how far the
 * child got. */
static uint32_t *shared_word(void)
{
	uint32_t *w =
		mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (!ASSERT_TRUE(w != MAP_FAILED, "mmap a shared word"))
		return NULL;
	*w = UINT32_MAX;
	return w;
}

static int build_prefixes(void *arg)
{
	struct pr_cfi_build_stats st;
	uint32_t *at = arg;
	struct pr_cfi_table t;
	int version, err;
	struct gen g;
	size_t len;

	for (version = 0; version < 2; version++) {
		gen_rich(&g, version);
		for (len = 0; len < g.n; len++) {
			*at = version << 16 | len;
			err = build_bytes(g.b, len, g.vaddr, version, NULL, 0, &t, &st);
			if (!ASSERT_TRUE(err == 0 || err == -EINVAL,
					 "a prefix builds or is -EINVAL") ||
			    !ASSERT_TRUE(sorted(&t), "a prefix's rows sorted")) {
				printf("  prefix of %zu bytes (of %zu), debug_frame %d: %d\n", len,
				       g.n, version, err);
				return 1;
			}
			pr_cfi_free(&t);
		}
	}
	*at = UINT32_MAX;
	return 0;
}

/* Every prefix of a valid section, of each flavour: a truncation at any
 * byte. In a child, where an abort names the prefix. */
void test_cfi_prefixes(void)
{
	uint32_t *at = shared_word();

	if (!at)
		return;
	if (!in_child(build_prefixes, at, "every prefix handled") && *at != UINT32_MAX)
		printf("  died on the prefix of %u bytes, debug_frame %u\n", *at & 0xffff,
		       *at >> 16);
	munmap(at, sizeof(*at));
}

static int build_empty(void *arg)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	bool ok;

	(void)arg;
	ok = ASSERT_OK(build_bytes((const uint8_t[]){ 0, 0, 0, 0 }, 4, 0, false, NULL, 0, &t, &st),
		       "only a terminator") &&
	     ASSERT_EQ(t.n, 0, "rows of only a terminator") &&
	     ASSERT_EQ(rejected(&st), 0, "rejected");
	pr_cfi_free(&t);
	ok = ASSERT_OK(build_bytes(NULL, 0, 0, false, NULL, 0, &t, &st), "an empty section") &&
	     ASSERT_EQ(t.n, 0, "rows of an empty section") && ok;
	pr_cfi_free(&t);
	return !ok;
}

/* The zero length that ends .eh_frame; sections with no entries (in a
 * child: nothing to sort must not reach qsort with a NULL base). */
void test_cfi_terminator(void)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	struct gen g;

	gen_good(&g, 0);
	gen_end(&g);
	if (ASSERT_OK(build(&g, &t, &st), "build")) {
		ASSERT_EQ(st.cies, 1, "cies");
		ASSERT_EQ(st.fdes, 1, "fdes");
		ASSERT_EQ(rejected(&st), 0, "a terminator is no entry");
		CHECK_WANTS(&t, SP(0x1000, 8), SP(0x100f, 16), GAP(0x1010));
		pr_cfi_free(&t);
	}
	in_child(build_empty, NULL, "sections with no entries");
}

/* ---- lookups ------------------------------------------------------------------- */

void test_cfi_gaps(void)
{
	struct pr_cfi_build_stats st;
	const struct pr_cfi_row *r;
	struct pr_cfi_table t;
	struct gen g;

	gen_init(&g, 0, 0x40000);
	CIE(&g, "zR", 1, CIE_X86);
	FDE(&g, 0x1020, 0x10, DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 32);
	FDE(&g, 0x1010, 0, DW_CFA_nop); /* empty: nothing to say */
	FDE(&g, 0x1000, 0x10, DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 16);
	gen_end(&g);
	if (!ASSERT_OK(build(&g, &t, &st), "build"))
		return;
	ASSERT_EQ(rejected(&st), 0, "rejected");
	check_sorted(&t);
	r = pr_cfi_find(&t, 0xfff);
	ASSERT_TRUE(!r || (r->cfa == PR_CFA_INVALID && !(r->flags & PR_CFI_UNSUPPORTED)),
		    "before the first FDE: NULL or a gap");
	r = pr_cfi_find(&t, 0);
	ASSERT_TRUE(!r || (r->cfa == PR_CFA_INVALID && !(r->flags & PR_CFI_UNSUPPORTED)),
		    "at 0: NULL or a gap");
	CHECK_WANTS(&t, SP(0x1000, 8), SP(0x100f, 16), GAP(0x1010), GAP(0x101f), SP(0x1020, 8),
		    SP(0x1021, 32), SP(0x102f, 32), GAP(0x1030), GAP(0xffffffff), GAP(0x100001000),
		    GAP(UINT64_MAX));
	pr_cfi_free(&t);
}

/* With segments rows are keyed by file offset, whatever each segment's
 * vaddr - offset; FDEs outside them, or past 4 GiB, are rejected. */
void test_cfi_segments(void)
{
	const struct pr_cfi_seg segs[] = {
		{ .vaddr = 0x401000, .off = 0x1000, .size = 0x1000 },
		{ .vaddr = 0x603000, .off = 0x3000, .size = 0x1000 },
	};
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	struct gen g;

	gen_init(&g, 0, 0x604000);
	CIE(&g, "zR", 1, CIE_X86);
	FDE(&g, 0x401100, 0x10, DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 16);
	FDE(&g, 0x603100, 0x10, DW_CFA_advance_loc | 2, DW_CFA_def_cfa_offset, 24);
	FDE(&g, 0x500000, 0x10, DW_CFA_nop); /* in no segment */
	FDE(&g, 0x401ff0, 0x20, DW_CFA_nop); /* past its segment's end */
	gen_end(&g);
	if (!ASSERT_OK(build_segs(&g, segs, 2, &t, &st), "build"))
		return;
	ASSERT_EQ(st.rejected[PR_CFI_REJ_RANGE], 2, "rejected: range");
	check_sorted(&t);
	CHECK_WANTS(&t, SP(0x1100, 8), SP(0x1101, 16), GAP(0x1110), GAP(0x2000), SP(0x3100, 8),
		    SP(0x3102, 24), SP(0x310f, 24), GAP(0x3110), GAP(0x401100), GAP(0x603100));
	pr_cfi_free(&t);

	/* no segments: vaddrs, which must fit the rows' 32 bits */
	gen_init(&g, 4, 0);
	CIE(&g, "", 1, CIE_X86);
	FDE(&g, 0xffff0000, 0x10, DW_CFA_advance_loc | 1, DW_CFA_def_cfa_offset, 16);
	FDE(&g, 0x100001000, 0x10, DW_CFA_nop);
	if (!ASSERT_OK(build(&g, &t, &st), "build without segments"))
		return;
	ASSERT_EQ(st.rejected[PR_CFI_REJ_RANGE], 1, "rejected past 4 GiB");
	CHECK_WANTS(&t, SP(0xffff0000, 8), SP(0xffff0001, 16), GAP(0xffff0010), GAP(0x100001000));
	pr_cfi_free(&t);
}

/* ---- real binaries, against binutils ---------------------------------------------- */

/* readelf --debug-dump=frames-interp of one section, row by row, against
 * the table built from the same file. A row's rule holds from its LOC up
 * to the next row's (or the FDE's end): both ends are looked up. */
struct cmp {
	const struct pr_cfi_table *t;
	GElf_Phdr exec[8];
	size_t nexec;
	/* the CIE rows by section offset, for FDEs that print no table */
	struct {
		unsigned long off;
		char cfa[32], rbp[32], ra[32];
	} cies[16];
	size_t ncies;
	/* the FDE being read and its last row, not yet compared */
	unsigned long cie, pc, end;
	bool in_fde, in_cie, fde_rows;
	int rbp_col, ra_col;
	unsigned long loc;
	char cfa[32], rbp[32], ra[32];
	bool pending;
	/* rows looked up: plain rsp/rbp CFA, CFA in another register, CFA
	 * expression, return address in a register; then outside the
	 * executable segments */
	unsigned plain, plain_ok, reg, reg_ok, exp, exp_ok, ra_lost, ra_lost_ok, outside;
	unsigned exp_kinds[PR_CFA_PLT + 1];
	unsigned fdes, shown;
};

static bool to_off(const struct cmp *c, uint64_t vaddr, uint64_t *off)
{
	size_t i;

	for (i = 0; i < c->nexec; i++) {
		const GElf_Phdr *p = &c->exec[i];

		if (vaddr >= p->p_vaddr && vaddr < p->p_vaddr + p->p_filesz) {
			*off = vaddr - p->p_vaddr + p->p_offset;
			return true;
		}
	}
	return false;
}

/* A register column as a rule: "c-16" saved at CFA-16, "v-16" the value
 * CFA-16, "u" or "s" (or no column) unchanged, "rN" in another register
 * (lost to us); false for "exp", which says too little. */
static bool col_rule(const char *s, uint8_t *rule, int *off)
{
	*off = 0;
	if (!*s || !strcmp(s, "u") || !strcmp(s, "s"))
		*rule = PR_REG_SAME;
	else if (s[0] == 'c' || s[0] == 'v')
		*rule = s[0] == 'c' ? PR_REG_AT_CFA : PR_REG_VAL_CFA, *off = atoi(s + 1);
	else if (s[0] == 'r')
		*rule = PR_REG_UNDEFINED;
	else
		return false;
	return true;
}

static void show(struct cmp *c, uint64_t vaddr, const struct pr_cfi_row *r)
{
	if (c->shown++ >= 12)
		return;
	printf("  %#" PRIx64 ": readelf cfa %s rbp %s ra %s; row ", vaddr, c->cfa,
	       *c->rbp ? c->rbp : "-", c->ra);
	if (r)
		printf("at %#x cfa %u%+d rbp %u%+d ra %u%+d flags %#x\n", r->pc, r->cfa, r->cfa_off,
		       r->rbp, r->rbp_off, r->ra, r->ra_off, r->flags);
	else
		printf("NULL\n");
}

/* readelf's plain CFA reg+cfa_off, return address at CFA+ra_off, and its
 * rbp column (unless "exp", which says too little) against r. */
static bool plain_agrees(const struct cmp *c, const struct pr_cfi_row *r, const char *reg,
			 int cfa_off, int ra_off)
{
	uint8_t rbp;
	int rbp_off;

	if (!r || r->cfa != (!strcmp(reg, "rsp") ? PR_CFA_SP : PR_CFA_BP) ||
	    r->cfa_off != cfa_off || r->ra != PR_REG_AT_CFA || r->ra_off != ra_off)
		return false;
	return !col_rule(c->rbp, &rbp, &rbp_off) ||
	       (r->rbp == rbp && (!has_off(rbp) || r->rbp_off == rbp_off));
}

static bool tally(unsigned *n, unsigned *ok, bool agrees)
{
	(*n)++;
	*ok += agrees;
	return agrees;
}

/* Whether the row at vaddr agrees with readelf's cfa, rbp and ra columns. */
static void compare_at(struct cmp *c, uint64_t vaddr)
{
	const struct pr_cfi_row *r;
	uint8_t ra = PR_REG_SAME;
	int ra_off, cfa_off = 0;
	char reg[8] = "";
	bool plain, unsup, ok;
	uint64_t off;

	if (!to_off(c, vaddr, &off)) {
		c->outside++;
		return;
	}
	r = pr_cfi_find(c->t, off);
	unsup = r && r->cfa == PR_CFA_INVALID && (r->flags & PR_CFI_UNSUPPORTED);
	plain = sscanf(c->cfa, "%7[a-z0-9]%d", reg, &cfa_off) == 2 &&
		(!strcmp(reg, "rsp") || !strcmp(reg, "rbp"));
	if (!strcmp(c->ra, "exp") || !strcmp(c->cfa, "exp")) {
		/* an expression: a rule we know, or INVALID; never rsp/rbp + N */
		ok = tally(&c->exp, &c->exp_ok,
			   r && r->cfa != PR_CFA_SP && r->cfa != PR_CFA_BP &&
				   (r->cfa != PR_CFA_INVALID || unsup));
		if (r && r->cfa <= PR_CFA_PLT)
			c->exp_kinds[r->cfa]++;
	} else if (col_rule(c->ra, &ra, &ra_off) && ra == PR_REG_AT_CFA && plain) {
		ok = tally(&c->plain, &c->plain_ok, plain_agrees(c, r, reg, cfa_off, ra_off));
	} else if (!strcmp(c->ra, "u")) {
		/* the outermost frame, whatever its CFA */
		ok = tally(&c->plain, &c->plain_ok, r && r->ra == PR_REG_UNDEFINED);
	} else if (ra == PR_REG_AT_CFA) {
		ok = tally(&c->reg, &c->reg_ok, unsup); /* the CFA in another register */
	} else {
		ok = tally(&c->ra_lost, &c->ra_lost_ok, unsup); /* ra in a register */
	}
	if (!ok)
		show(c, vaddr, r);
}

/* The last row read holds up to end. */
static void flush_row(struct cmp *c, unsigned long end)
{
	if (!c->pending)
		return;
	c->pending = false;
	if (c->loc < c->pc || c->loc >= c->end)
		return;
	compare_at(c, c->loc);
	if (end > c->loc + 1)
		compare_at(c, end - 1);
}

/* An FDE with no table of its own runs on its CIE's row. */
static void flush_fde(struct cmp *c)
{
	size_t i;

	flush_row(c, c->end);
	if (!c->in_fde || c->fde_rows || c->pc >= c->end)
		return;
	for (i = 0; i < c->ncies && c->cies[i].off != c->cie; i++)
		;
	/* a CIE with no instructions (glibc's "zRS") prints no row */
	if (i == c->ncies)
		return;
	memcpy(c->cfa, c->cies[i].cfa, sizeof(c->cfa));
	memcpy(c->rbp, c->cies[i].rbp, sizeof(c->rbp));
	memcpy(c->ra, c->cies[i].ra, sizeof(c->ra));
	c->loc = c->pc;
	c->pending = true;
	flush_row(c, c->end);
}

static void read_header(struct cmp *c, char *line)
{
	char *tok, *save = NULL;
	int i = 0;

	c->rbp_col = c->ra_col = -1;
	for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save), i++) {
		if (!strcmp(tok, "rbp"))
			c->rbp_col = i;
		if (!strcmp(tok, "ra"))
			c->ra_col = i;
	}
}

static void read_row(struct cmp *c, char *line)
{
	char *tok, *save = NULL, *cols[32];
	unsigned long loc;
	int n = 0;

	/* a register column reads "r1 (rdx)": the name in parentheses is no column */
	for (tok = strtok_r(line, " \t\n", &save); tok && n < 32;
	     tok = strtok_r(NULL, " \t\n", &save))
		if (tok[0] != '(')
			cols[n++] = tok;
	if (n < 2 || c->ra_col < 0 || c->ra_col >= n)
		return;
	loc = strtoul(cols[0], NULL, 16);
	if (c->in_cie && c->ncies < 16) {
		c->cies[c->ncies].off = c->cie;
		snprintf(c->cies[c->ncies].cfa, 32, "%s", cols[1]);
		snprintf(c->cies[c->ncies].rbp, 32, "%s", c->rbp_col > 0 ? cols[c->rbp_col] : "");
		snprintf(c->cies[c->ncies++].ra, 32, "%s", cols[c->ra_col]);
		return;
	}
	if (!c->in_fde)
		return;
	/* of rows at one LOC (an advance by 0) the last holds */
	if (!c->pending || loc != c->loc)
		flush_row(c, loc);
	c->fde_rows = true;
	c->loc = loc;
	snprintf(c->cfa, 32, "%s", cols[1]);
	snprintf(c->rbp, 32, "%s", c->rbp_col > 0 ? cols[c->rbp_col] : "");
	snprintf(c->ra, 32, "%s", cols[c->ra_col]);
	c->pending = true;
}

/* Feeds readelf's view of section sec in path through c. */
static bool compare_readelf(struct cmp *c, const char *path, const char *sec)
{
	char cmd[512], line[1024], want[64];
	unsigned long a, b, off;
	bool in_sec = false;
	FILE *f;

	/* not following .gnu_debuglink: a debuginfo file's .eh_frame is NOBITS,
	 * and readelf fails on it */
	snprintf(cmd, sizeof(cmd),
		 "readelf --debug-dump=frames-interp --debug-dump=no-follow-links '%s' 2>/dev/null",
		 path);
	snprintf(want, sizeof(want), "Contents of the %s section", sec);
	f = popen(cmd, "r");
	if (!ASSERT_TRUE(f, "popen readelf"))
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Contents of the ", 16)) {
			flush_fde(c);
			c->in_fde = c->in_cie = false;
			in_sec = !strncmp(line, want, strlen(want));
		} else if (!in_sec) {
			continue;
		} else if (sscanf(line, "%lx %lx %lx CIE", &off, &a, &b) == 3 &&
			   strstr(line, " CIE")) {
			flush_fde(c);
			c->in_fde = false;
			c->in_cie = true;
			c->cie = off;
		} else if (strstr(line, " FDE cie=")) {
			flush_fde(c);
			c->in_cie = false;
			c->in_fde = sscanf(strstr(line, "cie="), "cie=%lx pc=%lx..%lx", &c->cie,
					   &c->pc, &c->end) == 3;
			c->fde_rows = false;
			c->fdes++;
		} else if (strstr(line, "LOC") && strstr(line, "CFA")) {
			read_header(c, line);
		} else if (strlen(line) > 17 && line[16] == ' ' &&
			   strspn(line, "0123456789abcdef") == 16) {
			read_row(c, line);
		}
	}
	flush_fde(c);
	return ASSERT_OK(pclose(f), "readelf exit status");
}

static Elf *open_elf(const char *path, int *fd)
{
	Elf *elf = NULL;

	elf_version(EV_CURRENT);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd >= 0)
		elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!ASSERT_TRUE(elf, path) && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return elf;
}

static void close_elf(Elf *elf, int fd)
{
	elf_end(elf);
	if (fd >= 0)
		close(fd);
}

static void read_exec_loads(struct cmp *c, Elf *elf)
{
	size_t n = 0, i;
	GElf_Phdr ph;

	elf_getphdrnum(elf, &n);
	for (i = 0; i < n && c->nexec < 8; i++)
		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X))
			c->exec[c->nexec++] = ph;
}

static void print_cmp(const struct cmp *c, const char *what, const struct pr_cfi_build_stats *st)
{
	printf("  # %s: %u FDEs, %u rows (%u invalid); looked up %u, matched %u: plain rsp/rbp "
	       "%u/%u, CFA in another register %u/%u, return address in a register %u/%u, "
	       "expressions %u/%u (PLT %u, DEREF_SP %u, DEREF_BP %u, INVALID %u); %u outside "
	       "the executable segments; rejected %u\n",
	       what, c->fdes, st->rows, st->invalid_rows, c->plain + c->reg + c->ra_lost + c->exp,
	       c->plain_ok + c->reg_ok + c->ra_lost_ok + c->exp_ok, c->plain_ok, c->plain,
	       c->reg_ok, c->reg, c->ra_lost_ok, c->ra_lost, c->exp_ok, c->exp,
	       c->exp_kinds[PR_CFA_PLT], c->exp_kinds[PR_CFA_DEREF_SP],
	       c->exp_kinds[PR_CFA_DEREF_BP], c->exp_kinds[PR_CFA_INVALID], c->outside,
	       rejected(st));
}

/* Builds path's table and compares it with readelf's view of sec. */
static bool check_binary(const char *path, const char *sec, struct cmp *c, struct pr_cfi_table *t,
			 struct pr_cfi_build_stats *st)
{
	int fd = -1;
	Elf *elf = open_elf(path, &fd);
	bool ok = false;

	*c = (struct cmp){ .t = t };
	*st = (struct pr_cfi_build_stats){ .cies = 0 };
	*t = (struct pr_cfi_table){ .n = 0 };
	if (!elf)
		return false;
	read_exec_loads(c, elf);
	if (ASSERT_OK(pr_cfi_build_elf(elf, NULL, t, st), "pr_cfi_build_elf") &&
	    ASSERT_TRUE(sorted(t), "rows sorted") && compare_readelf(c, path, sec)) {
		print_cmp(c, path, st);
		ASSERT_EQ(c->fdes, st->fdes, "FDEs readelf and the builder saw");
		ASSERT_EQ(c->plain_ok, c->plain, "plain rsp/rbp rows that match readelf");
		ASSERT_EQ(c->reg_ok, c->reg, "rows with the CFA in another register INVALID");
		ASSERT_EQ(c->ra_lost_ok, c->ra_lost, "rows with ra in a register INVALID");
		ASSERT_EQ(c->exp_ok, c->exp, "expression rows not plain");
		ok = true;
	}
	close_elf(elf, fd);
	return ok;
}

void test_cfi_libc_vs_readelf(void)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	struct cmp c;
	size_t i, plt = 0, sig = 0;

	if (!check_binary(LIBC, ".eh_frame", &c, &t, &st))
		goto out;
	for (i = 0; i < c.nexec; i++)
		printf("  # libc executable PT_LOAD: vaddr %#" PRIx64 " offset %#" PRIx64 "\n",
		       (uint64_t)c.exec[i].p_vaddr, (uint64_t)c.exec[i].p_offset);
	ASSERT_TRUE(c.plain > 10000, "libc: more than 10000 plain rows compared");
	ASSERT_EQ(rejected(&st), 0, "libc: FDEs rejected");
	for (i = 0; i < t.n; i++) {
		plt += t.rows[i].cfa == PR_CFA_PLT;
		sig += t.rows[i].cfa == PR_CFA_DEREF_SP && (t.rows[i].flags & PR_CFI_SIGNAL) &&
		       t.rows[i].cfa_off == 160 && t.rows[i].ra == PR_REG_AT_SP &&
		       t.rows[i].ra_off == 168;
	}
	ASSERT_TRUE(plt >= 1, "libc: its .plt row");
	ASSERT_EQ(sig, 1, "libc: __restore_rt's row");
out:
	pr_cfi_free(&t);
}

/* A big non-PIE binary: rows keyed by offset, 0x400000 below the vaddrs. */
void test_cfi_python_vs_readelf(void)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t = { .n = 0 };
	struct cmp c;

	if (access(PYTHON, R_OK)) {
		test__skip("no " PYTHON);
		return;
	}
	if (check_binary(PYTHON, ".eh_frame", &c, &t, &st)) {
		ASSERT_TRUE(c.plain > 10000, "python: more than 10000 plain rows compared");
		ASSERT_EQ(rejected(&st), 0, "python: FDEs rejected");
	}
	pr_cfi_free(&t);
}

/* Built here, not by the Makefile: fixtures there keep frame pointers.
 * Without libc, so that a .debug_frame build carries no .eh_frame of crt
 * files. drap() realigns its stack through r10 (GCC's DRAP). */
static const char fixture_src[] =
	"typedef unsigned long u64;\n"
	"static volatile u64 sink;\n"
	"__attribute__((noinline)) u64 leaf(u64 a) { return a * 3 + 1; }\n"
	"__attribute__((noinline)) u64 pushes(u64 a, u64 b, u64 c, u64 d)\n"
	"{\n"
	"	u64 r = 0;\n"
	"	for (u64 i = 0; i < a; i++) { r += leaf(i ^ b) * c; r ^= leaf(r + d); sink = r; }\n"
	"	return r;\n"
	"}\n"
	"__attribute__((noinline)) u64 vla(u64 n)\n"
	"{\n"
	"	volatile char *p = __builtin_alloca(n);\n"
	"	p[0] = 1; p[n - 1] = 2;\n"
	"	return leaf(p[0] + p[n - 1]);\n"
	"}\n"
	"__attribute__((noinline)) u64 drap(u64 n)\n"
	"{\n"
	"	volatile u64 buf[8] __attribute__((aligned(64)));\n"
	"	volatile char *p = __builtin_alloca(n);\n"
	"	buf[n & 7] = n; p[0] = 1;\n"
	"	return leaf(buf[n & 7] + p[0]);\n"
	"}\n"
	"__attribute__((noinline)) u64 recurse(u64 n) { return n ? recurse(n - 1) + leaf(n) : 0; }\n"
	"void _start(void)\n"
	"{\n"
	"	u64 r = pushes(3, 4, 5, 6) + vla(16) + drap(24) + recurse(4);\n"
	"	__asm__ volatile(\"mov $60, %%eax; syscall\" :: \"D\"(r & 0) : \"memory\");\n"
	"	__builtin_unreachable();\n"
	"}\n";

static bool run_cmd(const char *cmd)
{
	int status = system(cmd);

	if (status != 0)
		printf("  %s: status %d\n", cmd, status);
	return ASSERT_EQ(status, 0, "command");
}

/* Every row an -O2 -fomit-frame-pointer build has: rsp and rbp CFAs, r10
 * during realignment, *(rbp-8) after it. */
static void check_fixture(const char *path, const char *sec, struct pr_cfi_table *t)
{
	struct pr_cfi_build_stats st;
	struct cmp c;

	if (!check_binary(path, sec, &c, t, &st))
		return;
	ASSERT_EQ(rejected(&st), 0, "rejected");
	ASSERT_TRUE(c.plain >= 20, "plain rows compared");
	ASSERT_TRUE(c.reg >= 1, "rows with the CFA in r10 compared");
	ASSERT_TRUE(c.exp >= 1, "realigned rows compared");
	ASSERT_EQ(c.exp_kinds[PR_CFA_DEREF_BP], c.exp, "realigned rows are *(rbp + off)");
	ASSERT_TRUE(st.invalid_rows >= 1, "r10 rows counted");
}

void test_cfi_fixture_vs_readelf(void)
{
	char dir[64], src[256], cmd[512], eh[300], dbg[300], strip[300], debug[300];
	struct pr_cfi_table teh = { .n = 0 }, tdbg = { .n = 0 }, tsplit = { .n = 0 };
	struct pr_cfi_build_stats st = { .cies = 0 };
	int fd1 = -1, fd2 = -1;
	Elf *e1 = NULL, *e2 = NULL;

	if (!test_mkdtemp(dir) ||
	    !test_write_file(dir, "fx.c", fixture_src, sizeof(fixture_src) - 1, src))
		goto out;
	snprintf(eh, sizeof(eh), "%s/fx-eh", dir);
	snprintf(dbg, sizeof(dbg), "%s/fx-dbg", dir);
	snprintf(strip, sizeof(strip), "%s/fx-stripped", dir);
	snprintf(debug, sizeof(debug), "%s/fx.debug", dir);
	snprintf(
		cmd, sizeof(cmd),
		"set -e; cd '%s'; F='-O2 -fomit-frame-pointer -fno-stack-protector -nostdlib -static'; "
		"cc $F -o fx-eh fx.c; cc $F -fno-asynchronous-unwind-tables -g -o fx-dbg fx.c; "
		"objcopy --only-keep-debug fx-dbg fx.debug; objcopy --strip-debug fx-dbg fx-stripped",
		dir);
	if (!run_cmd(cmd))
		goto out;
	printf("  # .eh_frame\n");
	check_fixture(eh, ".eh_frame", &teh);
	printf("  # .debug_frame\n");
	check_fixture(dbg, ".debug_frame", &tdbg);
	/* stripped, its .debug_frame in separate debuginfo: the same rows */
	e1 = open_elf(strip, &fd1);
	e2 = open_elf(debug, &fd2);
	if (!e1 || !e2)
		goto out;
	if (ASSERT_OK(pr_cfi_build_elf(e1, NULL, &tsplit, &st), "stripped alone"))
		ASSERT_EQ(tsplit.n, 0, "rows of the stripped binary alone");
	pr_cfi_free(&tsplit);
	if (ASSERT_OK(pr_cfi_build_elf(e1, e2, &tsplit, &st), "stripped + debuginfo") &&
	    ASSERT_EQ(tsplit.n, tdbg.n, "rows from separate debuginfo") && tdbg.n)
		ASSERT_OK(memcmp(tsplit.rows, tdbg.rows, tdbg.n * sizeof(*tdbg.rows)),
			  "the same rows as from the unstripped binary");
out:
	close_elf(e1, fd1);
	close_elf(e2, fd2);
	pr_cfi_free(&teh);
	pr_cfi_free(&tdbg);
	pr_cfi_free(&tsplit);
	test_rmdir(dir);
}

/* ---- mutations ----------------------------------------------------------------- */

#define FUZZ_SEED 0x5eedcf1ull
#define FUZZ_RUNS 2000

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Mutation i of seed section g into out; its length. The same i always
 * gives the same bytes, so a failure can be shown again. */
static size_t mutate(const struct gen *g, uint64_t i, uint8_t *out)
{
	static const uint32_t words[] = {
		0, 1, 4, 7, 8, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff
	};
	static const uint8_t ops[] = { 0x01, 0x04, 0x0a, 0x0b, 0x0c, 0x0f, 0x10, 0x16,
				       0x2e, 0x3f, 0x7f, 0x80, 0xbf, 0xc0, 0xff };
	uint64_t s = FUZZ_SEED ^ (i + 1) * 0x9e3779b97f4a7c15ull;
	size_t n = g->n, k, m, at;
	uint32_t w;

	memcpy(out, g->b, n);
	for (k = 1 + next_rand(&s) % 4; k-- && n > 4;) {
		at = next_rand(&s) % n;
		switch (next_rand(&s) % 6) {
		case 0:
			out[at] = next_rand(&s);
			break;
		case 1:
			out[at] ^= 1 << (next_rand(&s) % 8);
			break;
		case 2:
			w = words[next_rand(&s) % (sizeof(words) / sizeof(words[0]))];
			at = at > n - 4 ? n - 4 : at;
			memcpy(out + at, &w, 4);
			break;
		case 3:
			out[at] = ops[next_rand(&s) % sizeof(ops)];
			break;
		case 4:
			n = at + 1;
			break;
		default:
			m = next_rand(&s) % 16;
			m = m > n - at ? n - at : m;
			memmove(out + next_rand(&s) % (n - m + 1), out + at, m);
		}
	}
	return n;
}

struct fuzz {
	uint32_t *current; /* shared with the parent: the mutation being built */
	uint32_t built, einval, rows, rejected[PR_CFI_REJ_MAX];
};

/* Every row's fields are in their enums' ranges. */
static bool rows_valid(const struct pr_cfi_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct pr_cfi_row *r = &t->rows[i];

		if (r->cfa > PR_CFA_PLT || r->rbp > PR_REG_UNDEFINED || r->ra > PR_REG_UNDEFINED)
			return false;
	}
	return true;
}

static void print_hex(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s%02x", i % 32 ? " " : "\n    ", p[i]);
	printf("\n");
}

static int fuzz_all(void *arg)
{
	struct fuzz *fz = arg;
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t;
	uint8_t buf[4096];
	unsigned failed = 0;
	struct gen g[2];
	uint32_t i;
	size_t n;
	int err, r;

	gen_rich(&g[0], 0);
	gen_rich(&g[1], 1);
	for (i = 0; i < FUZZ_RUNS; i++) {
		*fz->current = i;
		n = mutate(&g[i % 2], i, buf);
		err = build_bytes(buf, n, g[i % 2].vaddr, i % 2, NULL, 0, &t, &st);
		fz->built += !err;
		fz->einval += err == -EINVAL;
		fz->rows += t.n;
		for (r = 0; r < PR_CFI_REJ_MAX; r++)
			fz->rejected[r] += st.rejected[r];
		if ((err && err != -EINVAL) || !sorted(&t) || !rows_valid(&t)) {
			if (failed++ < 5) {
				printf("  mutation %u: build %d, %zu rows, sorted %d, valid %d:", i,
				       err, t.n, sorted(&t), rows_valid(&t));
				print_hex(buf, n);
			}
		}
		pr_cfi_free(&t);
	}
	*fz->current = UINT32_MAX; /* all done */
	printf("  # %u mutations: %u built, %u -EINVAL, %u rows; rejected: truncated %u, "
	       "encoding %u, opcode %u, state %u, no CIE %u, range %u, overlap %u; failed %u\n",
	       FUZZ_RUNS, fz->built, fz->einval, fz->rows, fz->rejected[PR_CFI_REJ_TRUNCATED],
	       fz->rejected[PR_CFI_REJ_ENCODING], fz->rejected[PR_CFI_REJ_OPCODE],
	       fz->rejected[PR_CFI_REJ_STATE], fz->rejected[PR_CFI_REJ_NO_CIE],
	       fz->rejected[PR_CFI_REJ_RANGE], fz->rejected[PR_CFI_REJ_OVERLAP], failed);
	return failed ? 1 : 0;
}

/* 2000 mutations (fixed seed) of a valid .eh_frame and .debug_frame: each
 * builds or is -EINVAL, and its rows are sorted and well-formed. Under
 * SANITIZE=1 any read outside a section aborts the child; the mutation it
 * was on is shown. */
void test_cfi_fuzz(void)
{
	uint32_t *current = shared_word();
	struct fuzz fz = { .current = current };
	uint8_t buf[4096];
	struct gen g;
	size_t n;

	if (!current)
		return;
	if (!in_child(fuzz_all, &fz, "every mutation handled") && *current < FUZZ_RUNS) {
		gen_rich(&g, *current % 2);
		n = mutate(&g, *current, buf);
		printf("  last mutation started: %u (debug_frame %u), %zu bytes:", *current,
		       *current % 2, n);
		print_hex(buf, n);
	}
	munmap(current, sizeof(*current));
}

/* Function ranges from FDEs alone: sorted by start whatever the section's
 * order, an overlapping FDE dropped (the first kept), file offsets through
 * the segments, an FDE outside them left out. */
void test_cfi_functions(void)
{
	static const struct pr_cfi_seg seg = { .vaddr = 0x400000, .off = 0x1000, .size = 0x10000 };
	struct pr_cfi_func *f = NULL;
	struct gen g;
	size_t n = 0;

	gen_init(&g, 0, 0x480000);
	CIE(&g, "zR", 1, CIE_X86);
	FDE(&g, 0x402000, 0x40, DW_CFA_def_cfa_offset, 16);
	FDE(&g, 0x401000, 0x100, DW_CFA_def_cfa_offset, 16);
	FDE(&g, 0x401080, 0x10, DW_CFA_def_cfa_offset, 16); /* inside the one above */
	FDE(&g, 0x500000, 0x10, DW_CFA_def_cfa_offset, 16); /* in no segment */
	gen_end(&g);
	struct pr_cfi_section sec = { .data = g.b, .size = g.n, .vaddr = g.vaddr };

	if (!ASSERT_OK(pr_cfi_functions(&sec, &seg, 1, &f, &n), "functions"))
		return;
	if (ASSERT_EQ(n, 2, "ranges")) {
		ASSERT_EQ(f[0].start, 0x2000, "first start (file offset)");
		ASSERT_EQ(f[0].end, 0x2100, "first end");
		ASSERT_EQ(f[1].start, 0x3000, "second start");
		ASSERT_EQ(f[1].end, 0x3040, "second end");
	}
	free(f);
}

/* Every row of t packed (from a copy: packing takes the rows) and given
 * back as it was, by index and by pc. */
static void check_pack(const struct pr_cfi_table *t, const char *what, bool wide)
{
	struct pr_cfi_table c = { .n = t->n };
	struct pr_cfi_packed p = { .n = 0 };
	struct pr_cfi_row r;
	size_t i, bad = 0;

	c.rows = malloc(t->n * sizeof(*t->rows) + 1);
	if (!ASSERT_TRUE(c.rows != NULL, "malloc"))
		return;
	memcpy(c.rows, t->rows, t->n * sizeof(*t->rows));
	if (!ASSERT_OK(pr_cfi_pack(&c, &p), what)) {
		pr_cfi_free(&c);
		return;
	}
	ASSERT_TRUE(c.rows == NULL && c.n == 0, "packing took the rows");
	ASSERT_EQ(p.n, t->n, what);
	ASSERT_EQ(p.wide, wide, what);
	for (i = 0; i < t->n; i++) {
		pr_cfi_packed_row(&p, i, &r);
		bad += !!memcmp(&r, &t->rows[i], sizeof(r));
		/* rows at one pc: the last of them is what a lookup finds */
		if (i + 1 < t->n && t->rows[i + 1].pc == t->rows[i].pc)
			continue;
		bad += !pr_cfi_packed_find(&p, t->rows[i].pc, &r) ||
		       memcmp(&r, &t->rows[i], sizeof(r));
	}
	ASSERT_EQ(bad, 0, what);
	ASSERT_TRUE(t->n == 0 || !pr_cfi_packed_find(&p, t->rows[0].pc - 1, &r) ||
			    t->rows[0].pc == 0,
		    "nothing below the first row");
	printf("  # %s: %zu rows, %u rules, %zu bytes packed (%zu as rows)\n", what, p.n,
	       p.nrules, pr_cfi_packed_bytes(&p), t->n * sizeof(*t->rows));
	pr_cfi_packed_free(&p);
}

/* Tables are kept packed: libc's rows share a few hundred rules, so they
 * take under half their bytes; a table of more than 65,536 distinct rules
 * numbers them in 32 bits, and an empty one packs to nothing. */
void test_cfi_pack(void)
{
	struct pr_cfi_build_stats st;
	struct pr_cfi_table t = { .n = 0 }, many = { .n = 0 };
	struct pr_cfi_packed p = { .n = 0 };
	struct cmp c;
	size_t i;

	if (check_binary(LIBC, ".eh_frame", &c, &t, &st)) {
		size_t bytes = t.n * sizeof(*t.rows);

		check_pack(&t, "libc", false);
		ASSERT_OK(pr_cfi_pack(&t, &p), "libc again");
		ASSERT_TRUE(pr_cfi_packed_bytes(&p) * 2 < bytes, "libc: packed in under half the bytes");
		pr_cfi_packed_free(&p);
	}
	many.n = 70000;
	many.rows = calloc(many.n, sizeof(*many.rows));
	if (ASSERT_TRUE(many.rows != NULL, "calloc")) {
		for (i = 0; i < many.n; i++)
			many.rows[i] = (struct pr_cfi_row){ .pc = (uint32_t)(16 * i + 16),
							    .cfa = PR_CFA_SP,
							    .cfa_off = (int32_t)(8 + 8 * i),
							    .ra = PR_REG_AT_CFA,
							    .ra_off = -8 };
		check_pack(&many, "70000 distinct rules", true);
	}
	pr_cfi_free(&many);
	pr_cfi_free(&t);
	t = (struct pr_cfi_table){ .n = 0 };
	ASSERT_OK(pr_cfi_pack(&t, &p), "empty");
	ASSERT_EQ(p.n, 0, "empty: no rows");
	ASSERT_TRUE(!pr_cfi_packed_find(&p, 0x1000, &(struct pr_cfi_row){ .pc = 0 }),
		    "empty: no row found");
	pr_cfi_packed_free(&p);
}
