// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer entry for runtime/cfi.c. The input's first byte picks
 * .eh_frame or .debug_frame; the rest is the section. Whatever it holds,
 * the builder must not read outside it, and a table it returns must be
 * sorted with every row found at its own pc by pr_cfi_find, and packed
 * (pr_cfi_pack) give every row back as it was.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cfi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_cfi: %s\n", what);
	__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pr_cfi_section sec;
	struct pr_cfi_table t = { 0 }, c = { 0 };
	struct pr_cfi_packed p = { 0 };
	struct pr_cfi_build_stats st = { 0 };
	struct pr_cfi_row r;
	struct pr_cfi_seg seg = { .vaddr = 0x1000, .off = 0x400, .size = 0x100000 };
	uint8_t *copy;
	size_t i;

	if (size < 1)
		return 0;
	/* an exact-size heap copy: ASan sees a read one byte past the end */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	for (i = 1; i < size; i++)
		copy[i - 1] = data[i];
	sec = (struct pr_cfi_section){ .data = copy, .size = size - 1, .vaddr = 0x2000,
				       .debug_frame = data[0] & 1 };
	if (pr_cfi_build(&sec, data[0] & 2 ? &seg : NULL, data[0] & 2 ? 1 : 0, &t, &st) == 0) {
		for (i = 0; i < t.n; i++) {
			if (i && t.rows[i - 1].pc >= t.rows[i].pc)
				fail("rows not strictly sorted");
			if (pr_cfi_find(&t, t.rows[i].pc) != &t.rows[i])
				fail("a row is not found at its own pc");
		}
		if (st.rows != t.n)
			fail("stats disagree with the table");
		/* packing takes the rows: a copy to compare with */
		c.n = t.n;
		c.rows = t.n ? malloc(t.n * sizeof(*t.rows)) : NULL;
		if (c.rows)
			memcpy(c.rows, t.rows, t.n * sizeof(*t.rows));
		if (c.rows && pr_cfi_pack(&c, &p) == 0) {
			if (c.rows || c.n)
				fail("packing left rows behind");
			for (i = 0; i < t.n; i++) {
				if (!pr_cfi_packed_find(&p, t.rows[i].pc, &r) ||
				    memcmp(&r, &t.rows[i], sizeof(r)))
					fail("a packed row differs from its row");
			}
		}
		pr_cfi_free(&c);
		pr_cfi_packed_free(&p);
	}
	pr_cfi_free(&t);
	free(copy);
	return 0;
}
