/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A string pool: every name of a table in one buffer, never one malloc
 * each. Callers keep offsets while the pool grows (a realloc moves it) and
 * turn them into pointers once it is final.
 */
#ifndef PR_STRPOOL_H
#define PR_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

struct pr_strpool {
	char *buf;
	size_t len, cap;
};

/* Appends s[0..n) and a NUL; *off is where it starts. 0, -ENOMEM, or
 * -E2BIG past 4 GiB (offsets are 32 bits). */
int pr_strpool_add(struct pr_strpool *p, const char *s, size_t n, uint32_t *off);
/* Frees the buffer and empties the pool. */
void pr_strpool_clear(struct pr_strpool *p);

#endif
