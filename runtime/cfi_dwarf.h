/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the CFI reader (cfi_dwarf.c parses, cfi.c runs and builds):
 * DWARF constants, the bounded cursor every read goes through, and the
 * decoded CIE/FDE entries. Not for other modules.
 */
#ifndef PR_CFI_DWARF_H
#define PR_CFI_DWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cfi.h"

/* x86-64 DWARF register numbers */
#define REG_RBP 6
#define REG_RSP 7
#define REG_RIP 16

#define STATE_STACK 16

/* DW_CFA_* */
enum {
	CFA_nop = 0x00,
	CFA_set_loc = 0x01,
	CFA_advance_loc1 = 0x02,
	CFA_advance_loc2 = 0x03,
	CFA_advance_loc4 = 0x04,
	CFA_offset_extended = 0x05,
	CFA_restore_extended = 0x06,
	CFA_undefined = 0x07,
	CFA_same_value = 0x08,
	CFA_register = 0x09,
	CFA_remember_state = 0x0a,
	CFA_restore_state = 0x0b,
	CFA_def_cfa = 0x0c,
	CFA_def_cfa_register = 0x0d,
	CFA_def_cfa_offset = 0x0e,
	CFA_def_cfa_expression = 0x0f,
	CFA_expression = 0x10,
	CFA_offset_extended_sf = 0x11,
	CFA_def_cfa_sf = 0x12,
	CFA_def_cfa_offset_sf = 0x13,
	CFA_val_offset = 0x14,
	CFA_val_offset_sf = 0x15,
	CFA_val_expression = 0x16,
	CFA_GNU_args_size = 0x2e,
	CFA_GNU_negative_offset_extended = 0x2f,
	CFA_advance_loc = 0x40,
	CFA_offset = 0x80,
	CFA_restore = 0xc0,
};

/* DW_OP_* used by the expressions we recognize */
enum {
	OP_deref = 0x06,
	OP_and = 0x1a,
	OP_plus = 0x22,
	OP_shl = 0x24,
	OP_ge = 0x2a,
	OP_lit0 = 0x30,
	OP_breg0 = 0x70,
};

/* DW_EH_PE_* */
enum {
	PE_absptr = 0x00,
	PE_uleb128 = 0x01,
	PE_udata2 = 0x02,
	PE_udata4 = 0x03,
	PE_udata8 = 0x04,
	PE_sleb128 = 0x09,
	PE_sdata2 = 0x0a,
	PE_sdata4 = 0x0b,
	PE_sdata8 = 0x0c,
	PE_pcrel = 0x10,
	PE_indirect = 0x80,
	PE_omit = 0xff,
};

struct cursor {
	const uint8_t *p, *end;
	bool bad;
};

static inline bool need(struct cursor *c, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return false;
	}
	return true;
}

static inline uint64_t get_le(struct cursor *c, int n)
{
	uint64_t v = 0;
	int i;

	if (!need(c, n))
		return 0;
	for (i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

static inline uint8_t get_u8(struct cursor *c)
{
	return get_le(c, 1);
}

/* LEB128; bits past 64 are dropped, a sign past 64 bits is not extended. */
static inline uint64_t get_leb(struct cursor *c, bool is_signed)
{
	uint64_t v = 0;
	int shift = 0;
	uint8_t b;

	do {
		if (!need(c, 1))
			return 0;
		b = *c->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (is_signed && shift < 64 && (b & 0x40))
		v |= ~0ull << shift;
	return v;
}

static inline uint64_t get_uleb(struct cursor *c)
{
	return get_leb(c, false);
}

static inline int64_t get_sleb(struct cursor *c)
{
	return (int64_t)get_leb(c, true);
}

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_reg;
	uint8_t fde_enc;
	bool has_z;
	bool signal;
	uint8_t addr_size; /* .debug_frame */
	const uint8_t *insns, *insns_end;
};

struct fde {
	uint64_t start, end; /* vaddrs */
	const uint8_t *insns, *insns_end;
	size_t cie_off;
};

struct entry {
	const uint8_t *start;	 /* the length field */
	const uint8_t *id;	 /* the CIE id / CIE pointer field */
	const uint8_t *body;	 /* after the id */
	const uint8_t *end;	 /* one past the entry */
	uint64_t id_val;
	bool is_cie;
};

/* The pointer at *c in encoding enc (DW_EH_PE_*); false when the
 * encoding is unknown or the read runs past the cursor. */
bool pr_cfi_get_ptr(struct cursor *c, uint8_t enc, const struct pr_cfi_section *sec,
		    uint64_t *out);
/* Reads the entry at *c; false at the end of the section or on a
 * terminator. Sets c->bad when the section cannot be walked further. */
bool pr_cfi_next_entry(struct cursor *c, const struct pr_cfi_section *sec, struct entry *e);
/* Refuses an entry: *why = reason (enum pr_cfi_reject); -EINVAL. */
int pr_cfi_rejected(int *why, int reason);
/* Parse a CIE, or an FDE with its CIE: 0, or -EINVAL with *why. */
int pr_cfi_parse_cie(const struct pr_cfi_section *sec, const struct entry *e, struct cie *out,
		     int *why);
int pr_cfi_parse_fde(const struct pr_cfi_section *sec, const struct entry *e, struct fde *out,
		     int *why);

#endif
