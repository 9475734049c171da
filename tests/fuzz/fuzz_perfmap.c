// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer entry for runtime/perfmap.c. Each line of the input goes to
 * pr_perfmap_parse_line in a buffer of exactly its length (no NUL: the
 * parser must stop at len); then the whole input is a perf-PID.map file,
 * and every line that parses must be found by pr_perfmap_lookup at its
 * start, under the name of the last line with that start (lines with a
 * NUL and lines too long for the reader are exempt).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "perfmap.h"

#define LONG_LINE 4000 /* the reader's buffer is 4096 */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: says which, then crashes for libFuzzer. */
static void fail(const char *what)
{
	fprintf(stderr, "fuzz_perfmap: %s\n", what);
	__builtin_trap();
}

static char dir[64];
static char file[128];

static void cleanup(void)
{
	unlink(file);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%.40s/fuzz-perfmap.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(file, sizeof(file), "%s/perf-1.map", dir);
	atexit(cleanup);
	return 0;
}

struct line {
	const uint8_t *p;
	size_t len;
	int parsed;
	int ok; /* parses, and the reader must see it */
	uint64_t start, size;
	const char *name;
	size_t name_len;
};

/* Parses one line from a copy of exactly len bytes. */
static int parse(const uint8_t *p, size_t len, struct line *l)
{
	char *copy = malloc(len ? len : 1);
	const char *name;
	int rc;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, p, len);
	rc = pr_perfmap_parse_line(copy, len, &l->start, &l->size, &name, &l->name_len);
	if (rc != 0 && rc != -EINVAL)
		fail("parse_line: return value not 0 or -EINVAL");
	if (!rc) {
		if (name < copy || name + l->name_len != copy + len || !l->name_len || !l->size ||
		    l->start + l->size < l->start)
			fail("parse_line: accepted a line with bad fields");
		l->name = (const char *)p + (name - copy);
	}
	free(copy);
	return rc;
}

static void lookups(const struct line *lines, size_t n)
{
	struct pr_perfmaps_opts o = { .dir = dir };
	struct pr_perfmaps *pm;
	const char *name, *module;
	size_t i, j, last;
	uint64_t off;

	if (pr_perfmaps_new(&o, &pm))
		return;
	for (i = 0; i < n; i++) {
		if (!lines[i].ok)
			continue;
		/* a later line for the start wins: only a line the reader
		 * surely saw (ok) decides which name is expected */
		for (last = i, j = i + 1; j < n; j++)
			if (lines[j].parsed && lines[j].start == lines[i].start)
				last = j;
		name = pr_perfmap_lookup(pm, 1, lines[i].start, &off, &module);
		if (!name || off != 0 || !module) {
			fprintf(stderr,
				"fuzz_perfmap: line %zu (start 0x%llx) parses but lookup finds "
				"nothing there\n",
				i + 1, (unsigned long long)lines[i].start);
			fail("a good line lost by the reader");
		}
		if (last == i && (strlen(name) != lines[i].name_len ||
				  memcmp(name, lines[i].name, lines[i].name_len)))
			fail("not the latest line for its start");
		name = pr_perfmap_lookup(pm, 1, lines[i].start + lines[i].size - 1, &off, &module);
		if (name && strlen(name) > LONG_LINE)
			fail("a name longer than a line");
	}
	pr_perfmaps_free(pm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size, *nl;
	struct line *lines = calloc(size + 1, sizeof(*lines));
	size_t n = 0;
	int fd;

	if (!lines)
		return 0;
	while (p < end) {
		struct line *l = &lines[n++];

		nl = memchr(p, '\n', end - p);
		l->p = p;
		l->len = (nl ? nl : end) - p;
		l->parsed = !parse(p, l->len, l);
		l->ok = l->parsed && l->len <= LONG_LINE && !memchr(p, '\0', l->len);
		p = nl ? nl + 1 : end;
	}
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, data, size) == (ssize_t)size)
			lookups(lines, n);
		close(fd);
	}
	free(lines);
	return 0;
}
