// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer entry for pr_maps_parse_line (runtime/maps.c): each line of
 * the input, as read_maps() hands it over (with its newline, NUL after),
 * in a buffer of exactly that size so ASan sees any read past it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: says which, then crashes for libFuzzer. */
static void fail(const char *what)
{
	fprintf(stderr, "fuzz_maps: %s\n", what);
	__builtin_trap();
}

static void check_line(const uint8_t *p, size_t len, int newline)
{
	struct pr_map_range r;
	size_t n = len + newline;
	char *line = malloc(n + 1);
	int rc;

	if (!line)
		return;
	memcpy(line, p, len);
	if (newline)
		line[len] = '\n';
	line[n] = '\0';
	rc = pr_maps_parse_line(line, &r);
	if (rc != 0 && rc != 1 && rc != -EINVAL)
		fail("return value not 1, 0 or -EINVAL");
	if (rc >= 0) {
		/* the path points into the line, NUL-terminated, without newline */
		if (r.path < line || r.path > line + n || r.end <= r.start ||
		    strlen(r.path) > (size_t)(line + n - r.path) || strchr(r.path, '\n'))
			fail("a valid line with a bad path or range");
	}
	if (rc == 1 && (r.path[0] != '/' || r.ino == 0))
		fail("an executable file range without a path or inode");
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size, *nl;

	while (p < end) {
		nl = memchr(p, '\n', end - p);
		check_line(p, (nl ? nl : end) - p, nl != NULL);
		p = nl ? nl + 1 : end;
	}
	return 0;
}
