// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The stack walk of runtime/unwind.c: on hand-made rows and stacks, one
 * rule at a time (every stop reason included), then on a copy of this
 * very process's stack with real maps and the tables of the unit test
 * binary and libc, which have no frame pointers to fall back on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "harness.h"
#include "maps.h"
#include "unwind.h"

/* ---- a fake process: code ranges with rows, anonymous code, a stack ---- */

#define CODE_LO 0x1000
#define CODE_HI 0x9000
#define ANON_LO 0x10000
#define ANON_HI 0x11000
#define SP0 0x7ff000

struct fake {
	struct pr_cfi_table t;
	uint8_t stack[4096];
	uint64_t lookups[16]; /* pcs asked for, in order */
	bool trusted[16];
	int nlookups;
};

static enum pr_unwind_where fake_find(void *ctx, uint32_t pid, uint64_t time, uint64_t pc,
				      bool trusted, struct pr_cfi_row *row, struct pr_user_frame *at)
{
	struct fake *f = ctx;
	const struct pr_cfi_row *r;

	(void)at;
	(void)pid;
	(void)time;
	if (f->nlookups < 16) {
		f->trusted[f->nlookups] = trusted;
		f->lookups[f->nlookups++] = pc;
	}
	if (pc >= ANON_LO && pc < ANON_HI)
		return PR_UW_NO_TABLE;
	if (pc < CODE_LO || pc >= CODE_HI)
		return PR_UW_UNMAPPED;
	r = pr_cfi_find(&f->t, pc);
	if (!r || (r->cfa == PR_CFA_INVALID && !(r->flags & PR_CFI_UNSUPPORTED) &&
		   r->ra != PR_REG_UNDEFINED))
		return PR_UW_NO_TABLE;
	*row = *r;
	return PR_UW_ROW;
}

static void put(struct fake *f, uint64_t addr, uint64_t v)
{
	memcpy(f->stack + (addr - SP0), &v, sizeof(v));
}

static struct pr_cfi_row sp_row(uint32_t pc, int32_t off)
{
	return (struct pr_cfi_row){ .pc = pc, .cfa = PR_CFA_SP, .cfa_off = off, .ra = PR_REG_AT_CFA,
				    .ra_off = -8 };
}

static struct pr_cfi_row end_row(uint32_t pc)
{
	return (struct pr_cfi_row){ .pc = pc, .cfa = PR_CFA_SP, .cfa_off = 8,
				    .ra = PR_REG_UNDEFINED };
}

static struct pr_cfi_row gap_row(uint32_t pc)
{
	return (struct pr_cfi_row){ .pc = pc, .cfa = PR_CFA_INVALID };
}

static void fake_rows(struct fake *f, const struct pr_cfi_row *rows, size_t n)
{
	f->t.rows = malloc(n * sizeof(*rows));
	memcpy(f->t.rows, rows, n * sizeof(*rows));
	f->t.n = n;
}

static uint32_t walk(struct fake *f, int mode, uint64_t ip, uint64_t bp, uint64_t *pcs,
		     struct pr_unwind_stats *st)
{
	struct pr_unwind_input in = { .pid = 1, .ip = ip, .sp = SP0, .bp = bp,
				      .stack = f->stack, .len = sizeof(f->stack), .mode = mode };

	memset(st, 0, sizeof(*st));
	f->nlookups = 0;
	return pr_unwind(&in, fake_find, f, pcs, 32, st, NULL);
}

/* leaf (sp+16) <- mid (sp+8) <- _start (ra undefined). The return address
 * into mid is the first byte of the next function: mid's row is found
 * only because callers are looked up at pc - 1. */
void test_unwind_cfi_chain(void)
{
	const struct pr_cfi_row rows[] = {
		sp_row(0x1000, 16),   /* leaf */
		sp_row(0x2000, 8),    /* mid */
		sp_row(0x2010, 4096), /* next function: a wrong CFA for mid */
		end_row(0x3000),      /* _start */
		gap_row(0x3100),
	};
	struct fake f = { 0 };
	struct pr_unwind_stats st;
	uint64_t pcs[32];
	uint32_t n;

	fake_rows(&f, rows, 5);
	put(&f, SP0 + 8, 0x2010);  /* leaf's CFA is SP0+16: ra at +8 */
	put(&f, SP0 + 16, 0x3020); /* mid's CFA is SP0+24: ra at +16 */
	n = walk(&f, PR_UNWIND_DWARF, 0x1004, 0, pcs, &st);
	ASSERT_EQ(n, 3, "frames");
	ASSERT_EQ(pcs[0], 0x1004, "leaf pc");
	ASSERT_EQ(pcs[1], 0x2010, "mid's return address");
	ASSERT_EQ(pcs[2], 0x3020, "_start");
	ASSERT_EQ(f.lookups[0], 0x1004, "the sampled pc is looked up as is");
	ASSERT_EQ(f.lookups[1], 0x200f, "a return address is looked up at pc - 1");
	ASSERT_TRUE(f.trusted[1] && f.trusted[2], "pcs from rows are trusted");
	ASSERT_EQ(st.complete, 1, "complete");
	ASSERT_EQ(st.truncated, 0, "truncated");
	ASSERT_EQ(st.frames, 3, "frames counted");
	pr_cfi_free(&f.t);
}

/* CFA = rbp + 16 with rbp restored from CFA - 16: the frame-pointer code
 * of a binary with tables. */
void test_unwind_cfi_rbp(void)
{
	struct pr_cfi_row rows[] = {
		{ .pc = 0x1000, .cfa = PR_CFA_BP, .cfa_off = 16, .rbp = PR_REG_AT_CFA,
		  .rbp_off = -16, .ra = PR_REG_AT_CFA, .ra_off = -8 },
		{ .pc = 0x2000, .cfa = PR_CFA_BP, .cfa_off = 16, .rbp = PR_REG_AT_CFA,
		  .rbp_off = -16, .ra = PR_REG_AT_CFA, .ra_off = -8 },
		end_row(0x3000),
	};
	struct fake f = { 0 };
	struct pr_unwind_stats st;
	uint64_t pcs[32];

	fake_rows(&f, rows, 3);
	put(&f, SP0 + 32, SP0 + 64);  /* leaf's saved rbp: mid's frame */
	put(&f, SP0 + 40, 0x2005);    /* leaf's return address */
	put(&f, SP0 + 64, 0);	      /* mid's saved rbp */
	put(&f, SP0 + 72, 0x3001);    /* mid's return address */
	ASSERT_EQ(walk(&f, PR_UNWIND_DWARF, 0x1008, SP0 + 32, pcs, &st), 3, "frames");
	ASSERT_EQ(pcs[1], 0x2005, "mid");
	ASSERT_EQ(pcs[2], 0x3001, "_start");
	ASSERT_EQ(st.complete, 1, "complete");
	pr_cfi_free(&f.t);
}

/* glibc's __restore_rt: CFA = *(rsp + 160), rip at rsp + 168, rbp at rsp +
 * 120 (the ucontext); the interrupted frame's pc is looked up exactly. */
void test_unwind_signal_frame(void)
{
	struct pr_cfi_row rows[] = {
		sp_row(0x1000, 8), /* the handler */
		/* glibc starts the FDE one byte early (a nop before the
		 * label), so the handler's return address, looked up at pc - 1
		 * like every return address, finds the trampoline's row */
		{ .pc = 0x1fff, .cfa = PR_CFA_DEREF_SP, .cfa_off = 160, .rbp = PR_REG_AT_SP,
		  .rbp_off = 120, .ra = PR_REG_AT_SP, .ra_off = 168, .flags = PR_CFI_SIGNAL },
		sp_row(0x2ff0, 4096), /* a decoy: what pc - 1 would find */
		sp_row(0x3000, 8),    /* interrupted: its pc starts a row */
		end_row(0x4000),
	};
	struct fake f = { 0 };
	struct pr_unwind_stats st;
	uint64_t pcs[32];

	fake_rows(&f, rows, 5);
	put(&f, SP0, 0x2000);		 /* handler's ra: the trampoline */
	put(&f, SP0 + 8 + 120, 0xbbbb);	 /* saved rbp */
	put(&f, SP0 + 8 + 160, SP0 + 1024); /* saved rsp */
	put(&f, SP0 + 8 + 168, 0x3000);	 /* saved rip */
	put(&f, SP0 + 1024, 0x4004);	 /* interrupted frame's ra */
	ASSERT_EQ(walk(&f, PR_UNWIND_DWARF, 0x1000, 0, pcs, &st), 4, "frames");
	ASSERT_EQ(pcs[1], 0x2000, "trampoline");
	ASSERT_EQ(pcs[2], 0x3000, "interrupted pc");
	ASSERT_EQ(f.lookups[2], 0x3000, "looked up exactly after a signal frame");
	ASSERT_EQ(pcs[3], 0x4004, "its caller");
	ASSERT_EQ(st.complete, 1, "complete");
	pr_cfi_free(&f.t);
}

/* The PLT's CFA is rsp + 8, or rsp + 16 past the push in each 16-byte
 * stub (rip & 15 >= 11). */
void test_unwind_plt(void)
{
	struct pr_cfi_row rows[] = {
		{ .pc = 0x1000, .cfa = PR_CFA_PLT, .cfa_off = 8, .ra = PR_REG_AT_CFA, .ra_off = -8,
		  .flags = 11 << 4 },
		end_row(0x2000),
	};
	struct fake f = { 0 };
	struct pr_unwind_stats st;
	uint64_t pcs[32];

	fake_rows(&f, rows, 2);
	put(&f, SP0, 0x2001);
	put(&f, SP0 + 8, 0x2002);
	walk(&f, PR_UNWIND_DWARF, 0x1024, 0, pcs, &st);
	ASSERT_EQ(pcs[1], 0x2001, "before the push: rsp + 8");
	walk(&f, PR_UNWIND_DWARF, 0x102b, 0, pcs, &st);
	ASSERT_EQ(pcs[1], 0x2002, "after the push: rsp + 16");
	pr_cfi_free(&f.t);
}

/* JIT code (no table): auto walks it by frame pointer and goes on with
 * tables; dwarf stops there. */
void test_unwind_fp_fallback(void)
{
	const struct pr_cfi_row rows[] = { end_row(0x3000) };
	struct fake f = { 0 };
	struct pr_unwind_stats st;
	uint64_t pcs[32];

	fake_rows(&f, rows, 1);
	put(&f, SP0 + 16, 0);	   /* the JIT frame's saved rbp */
	put(&f, SP0 + 24, 0x3004); /* its return address */
	ASSERT_EQ(walk(&f, PR_UNWIND_AUTO, ANON_LO + 4, SP0 + 16, pcs, &st), 2, "auto frames");
	ASSERT_EQ(pcs[1], 0x3004, "caller by frame pointer");
	ASSERT_TRUE(f.trusted[0] && !f.trusted[1], "a pc found by frame pointer is not trusted");
	ASSERT_EQ(st.fp_frames, 1, "one frame by frame pointer");
	ASSERT_EQ(st.complete, 1, "auto complete");
	/* rbp = 0 marks the outermost frame (the ABI's _start clears it) */
	ASSERT_EQ(walk(&f, PR_UNWIND_AUTO, ANON_LO + 4, 0, pcs, &st), 1, "rbp 0: frames");
	ASSERT_EQ(st.complete, 1, "rbp 0: complete");
	ASSERT_EQ(walk(&f, PR_UNWIND_DWARF, ANON_LO + 4, SP0 + 16, pcs, &st), 1, "dwarf frames");
	ASSERT_EQ(st.fail[PR_UW_NO_CFI], 1, "dwarf: no_cfi");
	ASSERT_EQ(st.truncated, 1, "dwarf truncated");
	pr_cfi_free(&f.t);
}

/* Every other way to stop, each counted under its own reason. */
void test_unwind_failures(void)
{
	struct pr_cfi_row rows[] = {
		sp_row(0x1000, 8),
		sp_row(0x1100, 8192), /* a CFA past the 4 KiB copy */
		{ .pc = 0x1200, .cfa = PR_CFA_SP, .cfa_off = 0, .ra = PR_REG_AT_CFA }, /* not up */
		{ .pc = 0x1300, .cfa = PR_CFA_INVALID, .flags = PR_CFI_UNSUPPORTED },
		gap_row(0x1400),
	};
	struct fake f = { 0 };
	struct pr_unwind_stats st;
	uint64_t pcs[32];
	int i;

	fake_rows(&f, rows, 5);
	ASSERT_EQ(walk(&f, PR_UNWIND_DWARF, 0x1104, 0, pcs, &st), 1, "short: frames");
	ASSERT_EQ(st.fail[PR_UW_STACK_SHORT], 1, "stack_short");
	walk(&f, PR_UNWIND_DWARF, 0x1204, 0, pcs, &st);
	ASSERT_EQ(st.fail[PR_UW_BAD_FRAME], 1, "bad_frame");
	walk(&f, PR_UNWIND_AUTO, 0x1304, 0, pcs, &st);
	ASSERT_EQ(st.fail[PR_UW_UNSUPPORTED], 1, "unsupported, even in auto");
	/* a return address outside any code is not a frame */
	put(&f, SP0, 0xdead0000);
	ASSERT_EQ(walk(&f, PR_UNWIND_DWARF, 0x1004, 0, pcs, &st), 1, "no_map: frames");
	ASSERT_EQ(st.fail[PR_UW_NO_MAP], 1, "no_map");
	/* a frame that returns to itself, 8 bytes up each time */
	for (i = 0; i < 512; i++)
		put(&f, SP0 + 8 * i, 0x1001);
	ASSERT_EQ(walk(&f, PR_UNWIND_DWARF, 0x1004, 0, pcs, &st), 32, "too_deep: frames");
	ASSERT_EQ(st.fail[PR_UW_TOO_DEEP], 1, "too_deep");
	/* auto mode and a lost frame pointer */
	ASSERT_EQ(walk(&f, PR_UNWIND_AUTO, ANON_LO, SP0 - 64, pcs, &st), 1, "fp below sp");
	ASSERT_EQ(st.fail[PR_UW_BAD_FRAME], 1, "fp below sp: bad_frame");
	pr_cfi_free(&f.t);
}

/* ---- this process, for real ------------------------------------------------- */

struct self_stack {
	struct pr_unwind_input in;
	uint8_t bytes[16384];
};

/* The registers here and the stack above them, read through the kernel
 * (process_vm_readv stops at the end of the mapping, and ASan does not
 * see the read of other frames' redzones). */
static __attribute__((noinline)) void capture(struct self_stack *s)
{
	struct iovec local = { s->bytes, sizeof(s->bytes) }, remote;
	uint64_t ip, sp, bp;
	ssize_t n;

	__asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
			 : "=r"(ip), "=r"(sp), "=r"(bp));
	remote = (struct iovec){ (void *)sp, sizeof(s->bytes) };
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	/* past the top of the stack: read up to its last page */
	while (n < 0 && remote.iov_len > 4096) {
		remote.iov_len = (((sp + remote.iov_len / 2) & ~4095ull) - sp);
		local.iov_len = remote.iov_len;
		n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	}
	s->in = (struct pr_unwind_input){ .pid = getpid(), .ip = ip, .sp = sp, .bp = bp,
					  .stack = s->bytes, .len = n > 0 ? n : 0,
					  .mode = PR_UNWIND_DWARF };
}

/* Calls that are not tail calls: the chain stays on the stack. */
#define KEEP() __asm__ volatile("" ::: "memory")

static __attribute__((noinline)) void self_c(struct self_stack *s)
{
	capture(s);
	KEEP();
}

static __attribute__((noinline)) void self_b(struct self_stack *s)
{
	self_c(s);
	KEEP();
}

static __attribute__((noinline)) void self_a(struct self_stack *s)
{
	self_b(s);
	KEEP();
}

static struct self_stack *cmp_state;

/* A qsort comparator that takes the stack the first time it runs. */
static int cmp_capture(const void *a, const void *b)
{
	if (cmp_state) {
		capture(cmp_state);
		cmp_state = NULL;
	}
	return *(const int *)a - *(const int *)b;
}

static const char *name_of(struct pr_maps *m, uint64_t pc)
{
	uint64_t foff, off;
	struct pr_elfsym *b = pr_maps_normalize(m, getpid(), pc, 0, &foff);

	return b ? pr_elfsym_resolve(b, foff, &off) : NULL;
}

void test_unwind_self(void)
{
	struct self_stack *s = calloc(1, sizeof(*s));
	struct pr_elfsyms *bins = NULL;
	struct pr_maps *maps = NULL;
	struct pr_unwind_stats st = { 0 };
	uint64_t pcs[PR_MAX_FRAMES];
	const char *want[] = { "capture", "self_c", "self_b", "self_a", "test_unwind_self", "main" };
	size_t w = 0;
	uint32_t n, i;

	if (!ASSERT_TRUE(s, "alloc") || !ASSERT_OK(pr_elfsyms_new(&bins), "elfsyms") ||
	    !ASSERT_OK(pr_maps_new(bins, &maps), "maps"))
		goto out;
	self_a(s);
	n = pr_unwind(&s->in, pr_unwind_maps_find, maps, pcs, PR_MAX_FRAMES, &st, NULL);
	for (i = 0; i < n; i++) {
		const char *nm = name_of(maps, pcs[i]);

		if (w < sizeof(want) / sizeof(want[0]) && nm && !strcmp(nm, want[w]))
			w++;
	}
	ASSERT_EQ(w, sizeof(want) / sizeof(want[0]), "capture..main in order");
	ASSERT_EQ(st.complete, 1, "reached _start");
	ASSERT_TRUE(n >= 8, "deep enough to pass through libc");
	if (st.complete != 1 || w != sizeof(want) / sizeof(want[0]))
		for (i = 0; i < n; i++)
			fprintf(stderr, "  #%u %#llx %s\n", i, (unsigned long long)pcs[i],
				name_of(maps, pcs[i]) ?: "?");
out:
	pr_maps_free(maps);
	pr_elfsyms_free(bins);
	free(s);
}

/* The same through libc's qsort, which has no frame pointers: the
 * comparator's stack passes through libc's msort and back. */
void test_unwind_self_through_libc(void)
{
	struct self_stack *s = calloc(1, sizeof(*s));
	struct pr_elfsyms *bins = NULL;
	struct pr_maps *maps = NULL;
	struct pr_unwind_stats st = { 0 };
	uint64_t pcs[PR_MAX_FRAMES];
	int arr[2] = { 2, 1 };
	bool saw_qsort = false, saw_test = false;
	uint32_t n, i;

	if (!ASSERT_TRUE(s, "alloc") || !ASSERT_OK(pr_elfsyms_new(&bins), "elfsyms") ||
	    !ASSERT_OK(pr_maps_new(bins, &maps), "maps"))
		goto out;
	cmp_state = s;
	qsort(arr, 2, sizeof(arr[0]), cmp_capture);
	n = pr_unwind(&s->in, pr_unwind_maps_find, maps, pcs, PR_MAX_FRAMES, &st, NULL);
	for (i = 0; i < n; i++) {
		const char *nm = name_of(maps, pcs[i]);

		saw_qsort |= nm && strstr(nm, "qsort");
		saw_test |= saw_qsort && nm && !strcmp(nm, "test_unwind_self_through_libc");
	}
	ASSERT_TRUE(saw_qsort, "a qsort frame in libc");
	ASSERT_TRUE(saw_test, "the caller above it");
	ASSERT_EQ(st.complete, 1, "reached _start");
out:
	pr_maps_free(maps);
	pr_elfsyms_free(bins);
	free(s);
}

/* The vDSO is anonymous memory in /proc/PID/maps; its addresses resolve
 * in profrun's own copy of the image, named and with unwind rows. */
void test_unwind_vdso(void)
{
	struct pr_elfsyms *bins = NULL;
	struct pr_maps *maps = NULL;
	unsigned long long a = 0, b = 0;
	struct pr_cfi_row row;
	struct pr_elfsym *bin = NULL;
	uint64_t foff = 0, off, at;
	const char *nm = NULL;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[vdso]"))
			sscanf(line, "%llx-%llx", &a, &b);
	if (f)
		fclose(f);
	if (!a) {
		test__skip("this process has no [vdso] mapping");
		return;
	}
	if (!ASSERT_OK(pr_elfsyms_new(&bins), "elfsyms") ||
	    !ASSERT_OK(pr_maps_new(bins, &maps), "maps"))
		goto out;
	/* the first address that names clock_gettime */
	for (at = a; at < b && !nm; at += 16) {
		bin = pr_maps_normalize(maps, getpid(), at, 0, &foff);
		if (!ASSERT_TRUE(bin, "a vDSO address has a binary"))
			goto out;
		nm = pr_elfsym_resolve(bin, foff, &off);
		if (nm && !strstr(nm, "clock_gettime"))
			nm = NULL;
	}
	ASSERT_TRUE(nm, "clock_gettime is named");
	ASSERT_STREQ(pr_elfsym_name(bin), "[vdso]", "module");
	ASSERT_EQ(foff, at - 16 - a, "file offset = offset in the mapping");
	ASSERT_EQ(pr_elfsym_cfi_row(bin, foff, &row), 1, "an unwind row");
	ASSERT_TRUE(row.cfa == PR_CFA_SP || row.cfa == PR_CFA_BP, "a CFA rule");
	ASSERT_TRUE(pr_elfsyms_vdso(bins) == bin, "one copy, shared");
out:
	pr_maps_free(maps);
	pr_elfsyms_free(bins);
}
