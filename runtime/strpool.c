// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "strpool.h"

int pr_strpool_add(struct pr_strpool *p, const char *s, size_t n, uint32_t *off)
{
	size_t cap;
	char *nb;

	if (p->len + n + 1 > UINT32_MAX)
		return -E2BIG;
	if (p->len + n + 1 > p->cap) {
		cap = p->cap ? p->cap * 2 : 4096;
		while (cap < p->len + n + 1)
			cap *= 2;
		nb = realloc(p->buf, cap);
		if (!nb)
			return -ENOMEM;
		p->buf = nb;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->buf[p->len + n] = '\0';
	*off = p->len;
	p->len += n + 1;
	return 0;
}

void pr_strpool_clear(struct pr_strpool *p)
{
	free(p->buf);
	*p = (struct pr_strpool){ 0 };
}
