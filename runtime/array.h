/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Growable arrays: the one reserve every module's tables use. */
#ifndef PR_ARRAY_H
#define PR_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/* Makes *p (of *cap elements of elem bytes) hold at least need elements,
 * doubling from 64; 0, or -ENOMEM with *p and *cap untouched. */
int pr_array_reserve(void **p, uint32_t *cap, uint32_t need, size_t elem);

#endif
