/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Growable arrays: the one reserve every module's tables use. */
#ifndef PR_ARRAY_H
#define PR_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/* Makes *p (of *cap elements of elem bytes) hold at least need elements,
 * doubling from 64; 0, or -ENOMEM with *p and *cap untouched. */
int pr_array_reserve(void **p, uint32_t *cap, uint32_t need, size_t elem);

/* The key of element i: an unsigned field of 4 or 8 bytes at key_off. */
static inline uint64_t pr_array_key(const char *base, size_t i, size_t elem, size_t key_off,
				    size_t key_size)
{
	const char *k = base + i * elem + key_off;

	return key_size == 4 ? *(const uint32_t *)k : *(const uint64_t *)k;
}

/* Of n elements of elem bytes sorted by an unsigned key (key_size bytes
 * at key_off), the index of the last one whose key is <= key, or -1 when
 * none is: the "which range starts at or before this address" search of
 * every symbol and unwind table. Inline, so the sizes are constants at
 * each call and the loop compiles to a plain array walk. */
static inline long pr_array_last_le(const void *base, size_t n, size_t elem, size_t key_off,
				    size_t key_size, uint64_t key)
{
	size_t lo = 0, hi = n, mid;

	if (!n || pr_array_key(base, 0, elem, key_off, key_size) > key)
		return -1;
	/* invariant: key(lo) <= key < key(hi), hi == n standing for infinity */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (pr_array_key(base, mid, elem, key_off, key_size) <= key)
			lo = mid;
		else
			hi = mid;
	}
	return (long)lo;
}

/* The same over an array of structs: PR_ARRAY_LAST_LE(rows, n, pc, x). */
#define PR_ARRAY_LAST_LE(arr, n, field, key)                                                   \
	pr_array_last_le((arr), (n), sizeof(*(arr)), offsetof(__typeof__(*(arr)), field),        \
			 sizeof((arr)->field) +                                                   \
				 0 * sizeof(char[sizeof((arr)->field) == 4 ||                     \
						 sizeof((arr)->field) == 8 ? 1 : -1]),            \
			 (key))

#endif
