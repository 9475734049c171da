/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Compact unwind tables for x86-64, built from a binary's .eh_frame or
 * .debug_frame. The DWARF call frame program of every FDE is run once, at
 * build time, and reduced to a sorted array of rows: from a row's pc up to
 * the next row's, this is how to find the caller's frame. Only what a
 * stack walk needs is kept: the CFA, the return address and rbp (the one
 * callee-saved register a CFA rule uses in practice). A row the unwinder
 * could not follow (a CFA in another register, an expression we do not
 * recognize) is kept as PR_CFA_INVALID, so such a pc fails with a reason
 * instead of unwinding through garbage.
 *
 * Rows are keyed by file offset (not vaddr) when segments are given: a
 * sample's address becomes a file offset through /proc/PID/maps anyway.
 */
#ifndef PR_CFI_H
#define PR_CFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libelf.h>

enum pr_cfa_kind {
	PR_CFA_INVALID = 0,  /* no unwind info here, or a rule we cannot follow */
	PR_CFA_SP = 1,	     /* CFA = rsp + cfa_off */
	PR_CFA_BP = 2,	     /* CFA = rbp + cfa_off */
	PR_CFA_DEREF_SP = 3, /* CFA = *(rsp + cfa_off): glibc's signal trampoline */
	PR_CFA_DEREF_BP = 4, /* CFA = *(rbp + cfa_off): GCC's realigned-stack frames */
	PR_CFA_PLT = 5,	     /* CFA = rsp + cfa_off + ((rip & 15) >= plt_threshold ? 8 : 0) */
};

enum pr_reg_rule {
	PR_REG_SAME = 0,      /* unchanged from the callee (same_value, or never saved) */
	PR_REG_AT_CFA = 1,    /* saved at CFA + off */
	PR_REG_AT_SP = 2,     /* saved at rsp + off (DW_OP_breg7 off): a signal frame's ucontext */
	PR_REG_VAL_CFA = 3,   /* the value is CFA + off (DW_CFA_val_offset) */
	PR_REG_UNDEFINED = 4, /* lost; for the return address: the outermost frame (such a
			       * row ends the stack whatever its CFA says) */
};

enum pr_cfi_row_flags {
	PR_CFI_SIGNAL = 1,	/* the FDE's CIE has the 'S' augmentation */
	PR_CFI_UNSUPPORTED = 2, /* on an INVALID row: inside an FDE, a rule we cannot follow
				 * (an INVALID row without it is a gap: no FDE covers it) */
};

struct pr_cfi_row {
	uint32_t pc;	     /* file offset (or vaddr) of the first instruction covered */
	int32_t cfa_off;
	int16_t rbp_off;
	int16_t ra_off;
	uint8_t cfa;	     /* enum pr_cfa_kind */
	uint8_t rbp;	     /* enum pr_reg_rule */
	uint8_t ra;	     /* enum pr_reg_rule */
	uint8_t flags;	     /* low nibble: enum pr_cfi_row_flags; high nibble: plt_threshold */
};

/* Why an FDE (or a whole section) was not turned into rows. */
enum pr_cfi_reject {
	PR_CFI_REJ_TRUNCATED = 0, /* a length or operand runs past its entry */
	PR_CFI_REJ_ENCODING,	  /* a pointer encoding or augmentation we do not know */
	PR_CFI_REJ_OPCODE,	  /* a DW_CFA_* opcode we do not know */
	PR_CFI_REJ_STATE,	  /* restore_state with nothing remembered, or too deep */
	PR_CFI_REJ_NO_CIE,	  /* the FDE's CIE pointer names no CIE */
	PR_CFI_REJ_RANGE,	  /* pc range outside the executable segments, or past 4 GiB */
	PR_CFI_REJ_OVERLAP,	  /* starts inside an FDE already taken */
	PR_CFI_REJ_MAX,
};

struct pr_cfi_build_stats {
	uint32_t cies, fdes;		 /* entries seen */
	uint32_t rows;			 /* rows kept */
	uint32_t invalid_rows;		 /* of those, PR_CFA_INVALID inside an FDE */
	uint32_t rejected[PR_CFI_REJ_MAX]; /* FDEs dropped, by reason */
};

struct pr_cfi_table {
	struct pr_cfi_row *rows; /* sorted by pc; a gap between FDEs is an INVALID row */
	size_t n;
};

/* A table as kept for a run: each row's pc and the number of its rule,
 * the row's other fields, kept once per distinct rule. A binary's rows
 * share a few hundred rules (libc: 0.5 MB of rows, ~400 rules): 6 bytes a
 * row (8 past 65,536 rules) instead of 16. */
struct pr_cfi_packed {
	uint32_t *pc;		  /* sorted */
	void *rule;		  /* rule numbers: uint16_t, or uint32_t when wide */
	struct pr_cfi_row *rules; /* the distinct rules (pc 0) */
	size_t n;
	uint32_t nrules;
	bool wide;
};

/* One section's bytes. vaddr is the section's address (for pc-relative
 * pointers in .eh_frame); debug_frame selects .debug_frame's CIE ids and
 * absolute addresses. */
struct pr_cfi_section {
	const uint8_t *data;
	size_t size;
	uint64_t vaddr;
	int debug_frame;
};

/* Executable PT_LOAD segments: row pcs become file offsets. */
struct pr_cfi_seg {
	uint64_t vaddr, off, size;
};

/* Builds rows from sec into out (which must be zeroed or freed). With no
 * segments, rows keep vaddrs. Malformed FDEs are skipped and counted in
 * st (reset first; may be NULL); returns 0, -EINVAL when the section
 * itself is unusable, -ENOMEM. Each FDE ends with a gap row, so a pc
 * between FDEs finds an INVALID row. */
int pr_cfi_build(const struct pr_cfi_section *sec, const struct pr_cfi_seg *segs, size_t nsegs,
		 struct pr_cfi_table *out, struct pr_cfi_build_stats *st);
/* Builds from an ELF file: .eh_frame, else .debug_frame, else the
 * .debug_frame of debug (separate debuginfo, may be NULL). Segments come
 * from elf's program headers; st describes the section used last.
 * Returns 0 (out->n may be 0: no unwind info), or -errno. */
int pr_cfi_build_elf(Elf *elf, Elf *debug, struct pr_cfi_table *out,
		     struct pr_cfi_build_stats *st);
/* A function's bounds as its FDE gives them (file offsets, or vaddrs
 * without segments): what a stripped binary with no symbols still says. */
struct pr_cfi_func {
	uint32_t start, end;
};

/* Every FDE's range in sec, sorted, overlaps dropped (the first kept),
 * without running any CFI program. *out is malloc'd (NULL when none).
 * 0, -EINVAL (unusable section), -ENOMEM. */
int pr_cfi_functions(const struct pr_cfi_section *sec, const struct pr_cfi_seg *segs,
		     size_t nsegs, struct pr_cfi_func **out, size_t *n);
/* The same from an ELF file's .eh_frame, else its .debug_frame. */
int pr_cfi_functions_elf(Elf *elf, struct pr_cfi_func **out, size_t *n);
/* The row covering pc, or NULL before the first row. */
const struct pr_cfi_row *pr_cfi_find(const struct pr_cfi_table *t, uint64_t pc);
void pr_cfi_free(struct pr_cfi_table *t);

/* t's rows packed into out (which must be zeroed or freed): 0, with t
 * emptied (its memory became out's pcs: a big table is never held whole
 * twice), or -ENOMEM with out empty and t as it was. */
int pr_cfi_pack(struct pr_cfi_table *t, struct pr_cfi_packed *out);
/* Row i of p in *row. */
void pr_cfi_packed_row(const struct pr_cfi_packed *p, size_t i, struct pr_cfi_row *row);
/* The number of row i's rule: p->rules[it] (pc 0) */
uint32_t pr_cfi_packed_rule(const struct pr_cfi_packed *p, size_t i);
/* The row covering pc (the last starting at or below it) in *row: true,
 * or false when pc is below the first row. */
bool pr_cfi_packed_find(const struct pr_cfi_packed *p, uint64_t pc, struct pr_cfi_row *row);
/* The bytes p holds. */
size_t pr_cfi_packed_bytes(const struct pr_cfi_packed *p);
void pr_cfi_packed_free(struct pr_cfi_packed *p);

#endif
