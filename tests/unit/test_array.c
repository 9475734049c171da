// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdint.h>
#include <stdlib.h>
#include "array.h"
#include "harness.h"

struct row32 {
	uint16_t pad;
	uint32_t pc;
};

struct row64 {
	uint64_t size;
	uint64_t addr;
};

/* The search against a linear scan, on keys with runs of equals, gaps,
 * both widths, at every key from below the first to past the last. */
void test_array_last_le(void)
{
	struct row32 r32[40];
	struct row64 r64[40];
	uint64_t key, k = 5;
	long want, got32, got64;
	size_t n, i;

	for (i = 0; i < 40; i++) {
		k += (i % 3 == 0) ? 0 : (i % 7) + 1; /* runs of equal keys */
		r32[i].pc = k;
		r64[i].addr = k + (1ull << 40);
	}
	for (n = 0; n <= 40; n++) {
		for (key = 0; key < k + 3; key++) {
			want = -1;
			for (i = 0; i < n; i++)
				if (r32[i].pc <= key)
					want = i;
			got32 = PR_ARRAY_LAST_LE(r32, n, pc, key);
			got64 = PR_ARRAY_LAST_LE(r64, n, addr, key + (1ull << 40));
			if (!ASSERT_EQ(got32, want, "u32 key") || !ASSERT_EQ(got64, want, "u64 key"))
				return;
		}
	}
	ASSERT_EQ(PR_ARRAY_LAST_LE(r64, 40, addr, 0), -1, "below the first");
	ASSERT_EQ(PR_ARRAY_LAST_LE(r64, 40, addr, UINT64_MAX), 39, "past the last");
}
