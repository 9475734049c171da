// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer entry for pr_buildid_from_notes (runtime/buildid.c): note
 * sections come from untrusted ELF files. The input is the section data,
 * in a buffer of exactly its size (ASan catches a read past it). Checks:
 * the return is a hex length, -ENOENT or -ENOSPC; a length is even, at
 * most 2 * PR_BUILDID_MAX, and the hex is that long, lowercase, and the
 * same when asked again with a buffer that is just big enough.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buildid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_buildid: %s\n", what);
	__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char hex[PR_BUILDID_HEX], again[PR_BUILDID_HEX];
	uint8_t *copy = malloc(size ? size : 1);
	int r, r2;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	r = pr_buildid_from_notes(copy, size, hex, sizeof(hex));
	if (r == -ENOENT)
		goto out;
	if (r <= 0 || r % 2 || r > 2 * PR_BUILDID_MAX)
		fail("not a hex length or -ENOENT");
	if ((int)strlen(hex) != r || strspn(hex, "0123456789abcdef") != (size_t)r)
		fail("hex is not r lowercase digits");
	r2 = pr_buildid_from_notes(copy, size, again, r + 1);
	if (r2 != r || strcmp(hex, again))
		fail("an exact buffer gives another answer");
	if (pr_buildid_from_notes(copy, size, again, r) != -ENOSPC)
		fail("a buffer one byte short is not -ENOSPC");
out:
	free(copy);
	return 0;
}
