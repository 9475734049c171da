// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer entry for runtime/dwarfcache.c. The input is a debuginfo file
 * (any user can put one where profrun looks, beside their binary): it goes
 * into a memfd and is copied through a cache in a private temporary
 * directory; a copy that is made must be one libelf and libdw open. The
 * copy is removed after each input, so every input is copied afresh.
 */
#include <dirent.h>
#include <fcntl.h>
#include <gelf.h>
#include <elfutils/libdw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "dwarfcache.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static struct pr_dwarfcache *cache;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_dwarfcache: %s\n", what);
	__builtin_trap();
}

static void empty_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[160];

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
}

static void cleanup(void)
{
	empty_dir();
	rmdir(dir);
	pr_dwarfcache_free(cache);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[512];

	(void)argc;
	(void)argv;
	elf_version(EV_CURRENT);
	snprintf(dir, sizeof(dir), "/tmp/fuzz-dwarfcache.XXXXXX");
	if (!mkdtemp(dir) || pr_dwarfcache_new(dir, 8u << 20, &cache, why, sizeof(why))) {
		fprintf(stderr, "fuzz_dwarfcache: no cache directory: %s\n", why);
		exit(1);
	}
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int src = memfd_create("fuzz_dwarfcache", MFD_CLOEXEC), fd = -1;
	Elf *e = NULL, *copy;
	Dwarf *dw;

	if (src < 0)
		return 0;
	if (size && write(src, data, size) != (ssize_t)size)
		goto out;
	e = elf_begin(src, ELF_C_READ_MMAP, NULL);
	if (!e || pr_dwarfcache_open(cache, src, e, &fd))
		goto out;
	copy = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!copy || elf_kind(copy) != ELF_K_ELF)
		fail("a copy libelf does not read as ELF");
	dw = dwarf_begin_elf(copy, DWARF_C_READ, NULL);
	if (dw)
		dwarf_end(dw);
	elf_end(copy);
out:
	if (fd >= 0)
		close(fd);
	elf_end(e);
	close(src);
	empty_dir();
	return 0;
}
