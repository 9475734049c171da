// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer entry for pr_procfs_parse_stat (runtime/procfs.c). comm is
 * chosen by the process, so it may hold ')', spaces, newlines and NULs.
 * Two checks per input:
 *  - the input as a whole stat text, in a buffer of exactly its length:
 *    0 or -EINVAL, out untouched on failure, comm NUL-terminated and the
 *    bytes between the first '(' and the last ')' on success;
 *  - the first 16 bytes (at most) as a comm inside a well-formed line the
 *    kernel could print: it must parse, with every field as written.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: says which, then crashes for libFuzzer. */
static void fail(const char *what)
{
	fprintf(stderr, "fuzz_procstat: %s\n", what);
	__builtin_trap();
}

static void whole(const uint8_t *data, size_t size)
{
	struct pr_proc_stat st, fill;
	const uint8_t *open_p, *close_p = NULL;
	char *copy = malloc(size ? size : 1);
	size_t clen;
	int rc;

	if (!copy)
		return;
	memcpy(copy, data, size);
	memset(&st, 0xa5, sizeof(st));
	fill = st;
	rc = pr_procfs_parse_stat(copy, size, &st);
	if (rc != 0 && rc != -EINVAL)
		fail("return value not 0 or -EINVAL");
	if (rc) {
		if (memcmp(&st, &fill, sizeof(st)))
			fail("out written on failure");
		goto out;
	}
	if (!memchr(st.comm, '\0', sizeof(st.comm)))
		fail("comm not NUL-terminated");
	open_p = memchr(data, '(', size);
	for (size_t i = size; open_p && i > (size_t)(open_p - data); i--)
		if (data[i - 1] == ')') {
			close_p = data + i - 1;
			break;
		}
	if (!open_p || !close_p)
		fail("accepted a line without '(' and a later ')'");
	clen = close_p - open_p - 1;
	if (clen > sizeof(st.comm) - 1)
		clen = sizeof(st.comm) - 1;
	if (memcmp(st.comm, open_p + 1, clen) || st.comm[clen])
		fail("comm is not what lies between the first '(' and the last ')'");
out:
	free(copy);
}

static void well_formed(const uint8_t *data, size_t size)
{
	struct pr_proc_stat st;
	char line[512], comm[16];
	size_t clen = size < 15 ? size : 15;
	unsigned pid = 4242, ppid = 17;
	unsigned long long start = 123456789012ULL;
	int n, i;

	memcpy(comm, data, clen);
	comm[clen] = '\0';
	/* the kernel prints comm with %s: it ends at its first NUL */
	clen = strlen(comm);
	n = snprintf(line, sizeof(line), "%u (", pid);
	memcpy(line + n, comm, clen);
	n += clen;
	n += snprintf(line + n, sizeof(line) - n, ") R %u", ppid);
	/* fields 5..21, then starttime (22) and the rest */
	for (i = 5; i <= 21; i++)
		n += snprintf(line + n, sizeof(line) - n, " %d", i);
	n += snprintf(line + n, sizeof(line) - n, " %llu 0 0 18446744073709551615 1 2\n", start);
	if (pr_procfs_parse_stat(line, n, &st))
		fail("a well-formed line did not parse");
	if (st.pid != pid || st.ppid != ppid || st.start_ticks != start || st.state != 'R')
		fail("a field of a well-formed line read wrong");
	if (strcmp(st.comm, comm))
		fail("the comm of a well-formed line read wrong");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	whole(data, size);
	well_formed(data, size);
	return 0;
}
