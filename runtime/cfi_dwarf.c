// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * .eh_frame / .debug_frame entries: lengths, CIEs (augmentation, pointer
 * encodings) and FDEs (pc range, their CIE), every read bounded by its
 * entry: input is whatever a process mapped, so it is hostile until
 * proven otherwise.
 */
#include <errno.h>
#include <string.h>
#include "cfi_dwarf.h"

/* A pointer in a DW_EH_PE_* encoding; pc-relative ones are resolved
 * against the field's own address. Returns false for encodings we do not
 * take (datarel, textrel, funcrel, aligned): they need context we lack. */
bool pr_cfi_get_ptr(struct cursor *c, uint8_t enc, const struct pr_cfi_section *sec,
		    uint64_t *out)
{
	uint64_t field = sec->vaddr + (uint64_t)(c->p - sec->data), v;

	switch (enc & 0x0f) {
	case PE_absptr:
	case PE_udata8:
	case PE_sdata8:
		v = get_le(c, 8);
		break;
	case PE_uleb128:
		v = get_uleb(c);
		break;
	case PE_udata2:
		v = get_le(c, 2);
		break;
	case PE_sdata2:
		v = (int64_t)(int16_t)get_le(c, 2);
		break;
	case PE_udata4:
		v = get_le(c, 4);
		break;
	case PE_sdata4:
		v = (int64_t)(int32_t)get_le(c, 4);
		break;
	case PE_sleb128:
		v = get_sleb(c);
		break;
	default:
		return false;
	}
	switch (enc & 0x70) {
	case 0:
		break;
	case PE_pcrel:
		v += field;
		break;
	default:
		return false;
	}
	*out = v;
	return !c->bad;
}


/* Reads the entry at *c; false at the end of the section or on a
 * terminator. Sets c->bad when the section cannot be walked further. */
bool pr_cfi_next_entry(struct cursor *c, const struct pr_cfi_section *sec, struct entry *e)
{
	uint64_t len;
	bool dwarf64 = false;
	struct cursor body;

	do {
		if (c->p >= c->end)
			return false;
		e->start = c->p;
		len = get_le(c, 4);
		if (c->bad)
			return false;
		/* .eh_frame ends at a zero length; .debug_frame may pad with them */
		if (len == 0 && !sec->debug_frame)
			return false;
	} while (len == 0);
	if (len == 0xffffffffu) {
		dwarf64 = true;
		len = get_le(c, 8);
	}
	if (c->bad || len > (uint64_t)(c->end - c->p) || len < (dwarf64 ? 8u : 4u)) {
		c->bad = true;
		return false;
	}
	e->end = c->p + len;
	e->id = c->p;
	body = (struct cursor){ .p = c->p, .end = e->end };
	e->id_val = get_le(&body, dwarf64 ? 8 : 4);
	e->body = body.p;
	if (sec->debug_frame)
		e->is_cie = e->id_val == (dwarf64 ? ~0ull : 0xffffffffull);
	else
		e->is_cie = e->id_val == 0;
	c->p = e->end;
	return true;
}

/* Parsers and the interpreter refuse an entry with -EINVAL and say why
 * (enum pr_cfi_reject) through *why. */
int pr_cfi_rejected(int *why, int reason)
{
	*why = reason;
	return -EINVAL;
}

int pr_cfi_parse_cie(const struct pr_cfi_section *sec, const struct entry *e, struct cie *out,
		     int *why)
{
	struct cursor c = { .p = e->body, .end = e->end };
	const char *aug;
	size_t auglen;
	uint8_t version;
	const uint8_t *aug_end = NULL;
	uint64_t skip;

	*out = (struct cie){ .fde_enc = PE_absptr, .addr_size = 8 };
	version = get_u8(&c);
	if (c.bad)
		return pr_cfi_rejected(why, PR_CFI_REJ_TRUNCATED);
	if (version != 1 && version != 3 && version != 4)
		return pr_cfi_rejected(why, PR_CFI_REJ_ENCODING);
	aug = (const char *)c.p;
	auglen = strnlen(aug, c.end - c.p);
	if (auglen == (size_t)(c.end - c.p))
		return pr_cfi_rejected(why, PR_CFI_REJ_TRUNCATED);
	c.p += auglen + 1;
	if (version == 4) {
		out->addr_size = get_u8(&c);
		if (get_u8(&c) != 0 || out->addr_size != 8)
			return pr_cfi_rejected(why, c.bad ? PR_CFI_REJ_TRUNCATED : PR_CFI_REJ_ENCODING);
	}
	out->code_align = get_uleb(&c);
	out->data_align = get_sleb(&c);
	out->ra_reg = version == 1 ? get_u8(&c) : get_uleb(&c);
	if (c.bad)
		return pr_cfi_rejected(why, PR_CFI_REJ_TRUNCATED);
	if (aug[0] == 'z') {
		out->has_z = true;
		skip = get_uleb(&c);
		if (c.bad || skip > (uint64_t)(c.end - c.p))
			return pr_cfi_rejected(why, PR_CFI_REJ_TRUNCATED);
		aug_end = c.p + skip;
		aug++;
	}
	for (; *aug; aug++) {
		uint8_t enc;
		uint64_t ignored;

		switch (*aug) {
		case 'R':
			out->fde_enc = get_u8(&c);
			break;
		case 'L':
			(void)get_u8(&c);
			break;
		case 'P':
			enc = get_u8(&c);
			/* the personality routine is not ours to call: the pointer
			 * is read only to step over it */
			if (!pr_cfi_get_ptr(&c, enc & ~PE_indirect, sec, &ignored))
				return pr_cfi_rejected(why, c.bad ? PR_CFI_REJ_TRUNCATED : PR_CFI_REJ_ENCODING);
			break;
		case 'S':
			out->signal = true;
			break;
		default:
			/* 'B' (AArch64 BTI) and the like carry no data; an unknown
			 * letter is safe only when 'z' tells where the data ends */
			if (!out->has_z)
				return pr_cfi_rejected(why, PR_CFI_REJ_ENCODING);
			break;
		}
		if (c.bad)
			return pr_cfi_rejected(why, PR_CFI_REJ_TRUNCATED);
	}
	if (aug_end)
		c.p = aug_end;
	if (out->code_align == 0 || out->code_align > 16)
		return pr_cfi_rejected(why, PR_CFI_REJ_ENCODING);
	out->insns = c.p;
	out->insns_end = e->end;
	return 0;
}

/* The CIE an FDE names, or a rejection reason. */
static int fde_cie(const struct pr_cfi_section *sec, const struct entry *e, struct cie *cie,
		   size_t *cie_off, int *why)
{
	struct cursor c = { .p = sec->data, .end = sec->data + sec->size };
	struct entry ce;
	uint64_t off;

	if (sec->debug_frame) {
		off = e->id_val;
	} else {
		/* .eh_frame: the distance back from the pointer field */
		if (e->id_val > (uint64_t)(e->id - sec->data))
			return pr_cfi_rejected(why, PR_CFI_REJ_NO_CIE);
		off = (uint64_t)(e->id - sec->data) - e->id_val;
	}
	if (off >= sec->size)
		return pr_cfi_rejected(why, PR_CFI_REJ_NO_CIE);
	c.p = sec->data + off;
	if (!pr_cfi_next_entry(&c, sec, &ce) || !ce.is_cie || ce.start != sec->data + off)
		return pr_cfi_rejected(why, PR_CFI_REJ_NO_CIE);
	*cie_off = off;
	return pr_cfi_parse_cie(sec, &ce, cie, why);
}

int pr_cfi_parse_fde(const struct pr_cfi_section *sec, const struct entry *e, struct fde *out,
		     int *why)
{
	struct cursor c = { .p = e->body, .end = e->end };
	uint64_t start, range, auglen;
	struct cie cie;
	int r = fde_cie(sec, e, &cie, &out->cie_off, why);

	if (r)
		return r;
	if (sec->debug_frame) {
		start = get_le(&c, cie.addr_size);
		range = get_le(&c, cie.addr_size);
	} else {
		if (cie.fde_enc == PE_omit || !pr_cfi_get_ptr(&c, cie.fde_enc, sec, &start) ||
		    !pr_cfi_get_ptr(&c, cie.fde_enc & 0x0f, sec, &range))
			return pr_cfi_rejected(why, c.bad ? PR_CFI_REJ_TRUNCATED : PR_CFI_REJ_ENCODING);
	}
	if (cie.has_z) {
		auglen = get_uleb(&c);
		if (c.bad || auglen > (uint64_t)(c.end - c.p))
			return pr_cfi_rejected(why, PR_CFI_REJ_TRUNCATED);
		c.p += auglen;
	}
	if (c.bad)
		return pr_cfi_rejected(why, PR_CFI_REJ_TRUNCATED);
	if (start + range < start)
		return pr_cfi_rejected(why, PR_CFI_REJ_RANGE);
	out->start = start;
	out->end = start + range;
	out->insns = c.p;
	out->insns_end = e->end;
	return 0;
}
