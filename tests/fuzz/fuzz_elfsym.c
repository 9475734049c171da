// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer entry for runtime/elfsym.c. The input is a file a process
 * could map and profrun would read: it goes into a memfd, opened through
 * /proc/self/fd/N the way profrun opens /proc/PID/map_files/..., and is
 * read from every source (build-id and debuglink lookups find nothing:
 * the debug dir does not exist), then resolved at fixed offsets, offsets
 * taken from the input and a sweep over the file.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "elfsym.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: says which, then crashes for libFuzzer. */
static void fail(const char *what)
{
	fprintf(stderr, "fuzz_elfsym: %s\n", what);
	__builtin_trap();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	(void)argc;
	(void)argv;
	/* a .gnu_debuglink is looked up beside the binary, here in
	 * /proc/self/fd: keep a terminal on fd 0 out of reach */
	if (fd > 0) {
		dup2(fd, 0);
		close(fd);
	}
	return 0;
}

/* Every byte of a returned name is readable (ASan checks strlen). */
static void use(const char *name)
{
	if (name && strlen(name) > (64u << 20))
		fail("a name longer than 64 MiB");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t fixed[] = { 0,	  0x40,	     0x1000,	 0x1040,	   0x1100,
					  0x1150, 0x11c0,    0x2000,	 0x401000,	   0x401180,
					  ~0ull,  ~0ull - 1, 1ull << 63, 0x7fffffffffffull };
	struct pr_elfsyms_opts o = { .debug_dir = "/nonexistent/profrun-fuzz", .max_bytes = 1 };
	struct pr_elfsyms *t = NULL;
	struct pr_elfsym *b;
	uint64_t off, x, step;
	char path[64];
	size_t i;
	int fd;

	fd = memfd_create("fuzz_elfsym", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if ((size && write(fd, data, size) != (ssize_t)size) || pr_elfsyms_new_opts(&o, &t)) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	b = pr_elfsym_lookup_path(t, path);
	if (b) {
		if (!pr_elfsym_source(b) || !pr_elfsym_name(b))
			fail("no source or no name");
		for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			use(pr_elfsym_resolve(b, fixed[i], &off));
		for (i = 0; i + 8 <= size && i < 128; i += 8) {
			memcpy(&x, data + i, 8);
			use(pr_elfsym_resolve(b, x, &off));
		}
		step = size / 512 + 1;
		for (x = 0; x < size + 0x1000; x += step) {
			const struct pr_elfsym_line *l;
			int k, n;

			use(pr_elfsym_resolve(b, x, &off));
			/* DWARF (libdw's parse, our walk of its scopes) */
			n = pr_elfsym_lines(b, x, &l);
			for (k = 0; k < n; k++) {
				use(l[k].name);
				use(l[k].file);
			}
		}
		pr_elfsym_nsyms(b);
	}
	/* the same inode again: the cached entry */
	if (b && pr_elfsym_lookup_path(t, path) != b)
		fail("the same unchanged file gave another entry");
	pr_elfsyms_free(t);
	close(fd);
	return 0;
}
