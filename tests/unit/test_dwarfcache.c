// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* runtime/dwarfcache.c on inlfix-gz (the fixture's DWARF zlib-compressed,
 * as Debian ships debuginfo) and on damaged copies of it: the copy holds
 * exactly what libelf inflates, libdw opens it, a second open finds it, a
 * damaged or untrusted copy is never used, and a file whose compression
 * headers lie leaves nothing behind. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <elfutils/libdw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dwarfcache.h"
#include "harness.h"

/* A test's world: inlfix-gz's path and bytes, a fresh directory and a
 * cache in its "cache" subdirectory. */
struct env {
	char path[256], dir[64], cdir[128];
	uint8_t *bytes;
	size_t size;
	struct pr_dwarfcache *c;
};

static bool env_open(struct env *e, uint64_t max_bytes)
{
	const char *fx = getenv("FIXTURES");
	char why[512];
	struct stat st;
	int fd;

	memset(e, 0, sizeof(*e));
	elf_version(EV_CURRENT);
	snprintf(e->path, sizeof(e->path), "%s/inlfix-gz", fx && *fx ? fx : "build/fixtures");
	fd = open(e->path, O_RDONLY | O_CLOEXEC);
	if (!ASSERT_TRUE(fd >= 0, "fixture inlfix-gz (make fixtures; FIXTURES=dir)"))
		return false;
	fstat(fd, &st);
	e->size = (size_t)st.st_size;
	e->bytes = malloc(e->size);
	if (!ASSERT_TRUE(e->bytes && read(fd, e->bytes, e->size) == (ssize_t)e->size,
			 "read inlfix-gz")) {
		close(fd);
		return false;
	}
	close(fd);
	if (!test_mkdtemp(e->dir))
		return false;
	snprintf(e->cdir, sizeof(e->cdir), "%s/cache", e->dir);
	return ASSERT_OK(pr_dwarfcache_new(e->cdir, max_bytes, &e->c, why, sizeof(why)), why);
}

static void env_close(struct env *e)
{
	pr_dwarfcache_free(e->c);
	free(e->bytes);
	if (*e->dir) {
		test_rmdir(e->cdir);
		test_rmdir(e->dir);
	}
}

/* A section's bytes, inflated by libelf when compressed: malloc'd. */
static void *section(Elf *elf, const char *want, size_t *len)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;
	Elf_Data *d;
	void *out;

	elf_getshdrstrndx(elf, &shstrndx);
	while ((scn = elf_nextscn(elf, scn))) {
		gelf_getshdr(scn, &sh);
		if (strcmp(elf_strptr(elf, shstrndx, sh.sh_name), want))
			continue;
		if ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
			return NULL;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || !(out = malloc(d->d_size + 1)))
			return NULL;
		memcpy(out, d->d_buf, d->d_size);
		*len = d->d_size;
		return out;
	}
	return NULL;
}

/* Opens path through the cache: the result of pr_dwarfcache_open, with
 * the copy's fd in *fd. */
static int open_through(struct pr_dwarfcache *c, const char *path, int *fd)
{
	int src = open(path, O_RDONLY | O_CLOEXEC), r;
	Elf *e = src >= 0 ? elf_begin(src, ELF_C_READ_MMAP, NULL) : NULL;

	r = e ? pr_dwarfcache_open(c, src, e, fd) : -EBADF;
	elf_end(e);
	if (src >= 0)
		close(src);
	return r;
}

/* names in dir not starting with "src" */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' || !strncmp(e->d_name, ".tmp-", 5))
			n += strncmp(e->d_name, "src", 3) != 0;
	if (d)
		closedir(d);
	return n;
}

void test_dwarfcache_copy(void)
{
	static const char *const secs[] = { ".debug_info", ".debug_line", ".debug_str",
					    ".debug_abbrev", ".shstrtab" };
	struct pr_dwarfcache_stats st;
	int fd = -1, fd2 = -1, src = -1;
	Elf *orig = NULL, *copy = NULL;
	Dwarf *dw = NULL;
	size_t a, b, i, hsize;
	Dwarf_Off next;
	struct stat sb;
	struct env e;
	Dwarf_Die cu;
	void *x, *y;

	if (!env_open(&e, 0) || !ASSERT_OK(open_through(e.c, e.path, &fd), "first open: a copy made"))
		goto out;
	pr_dwarfcache_stats(e.c, &st);
	ASSERT_EQ(st.builds, 1, "builds");
	ASSERT_EQ(st.hits, 0, "hits");
	ASSERT_OK(fstat(fd, &sb), "fstat copy");
	ASSERT_EQ(sb.st_mode & 07777, 0644, "copy mode");

	/* every section libdw reads: the bytes libelf inflates */
	src = open(e.path, O_RDONLY | O_CLOEXEC);
	orig = elf_begin(src, ELF_C_READ, NULL);
	copy = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!ASSERT_TRUE(orig && copy, "elf_begin"))
		goto out;
	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		x = section(orig, secs[i], &a);
		y = section(copy, secs[i], &b);
		if (ASSERT_TRUE(x && y, secs[i]) && ASSERT_EQ(b, a, secs[i]))
			ASSERT_OK(memcmp(x, y, a), secs[i]);
		free(x);
		free(y);
	}
	dw = dwarf_begin_elf(copy, DWARF_C_READ, NULL);
	if (ASSERT_TRUE(dw, "libdw opens the copy"))
		ASSERT_TRUE(!dwarf_nextcu(dw, 0, &next, &hsize, NULL, NULL, NULL) &&
				    dwarf_offdie(dw, hsize, &cu) && dwarf_diename(&cu),
			    "the first CU's DIE, named");

	ASSERT_OK(open_through(e.c, e.path, &fd2), "second open");
	pr_dwarfcache_stats(e.c, &st);
	ASSERT_EQ(st.hits, 1, "second open: found");
	ASSERT_EQ(st.builds, 1, "second open: not made again");
	ASSERT_EQ(entries(e.cdir), 1, "one file in the cache");
out:
	if (dw)
		dwarf_end(dw);
	elf_end(orig);
	elf_end(copy);
	if (src >= 0)
		close(src);
	if (fd >= 0)
		close(fd);
	if (fd2 >= 0)
		close(fd2);
	env_close(&e);
}

/* The only copy in dir, its path in out. */
static bool the_copy(const char *dir, char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	while (d && (e = readdir(d)))
		if (strstr(e->d_name, ".debug") && e->d_name[0] != '.') {
			snprintf(out, len, "%s/%s", dir, e->d_name);
			found = true;
		}
	if (d)
		closedir(d);
	return found;
}

void test_dwarfcache_damaged_and_untrusted(void)
{
	struct pr_dwarfcache_stats st;
	struct stat a, b;
	char copy[400];
	struct env e;
	int fd = -1;

	if (!env_open(&e, 0) || !ASSERT_OK(open_through(e.c, e.path, &fd), "made") ||
	    !ASSERT_TRUE(the_copy(e.cdir, copy, sizeof(copy)), "the copy is there"))
		goto out;
	close(fd);
	fd = -1;
	stat(copy, &a);

	/* cut short (an interrupted write, a full disk): made again */
	ASSERT_OK(truncate(copy, a.st_size - 7), "truncate");
	if (ASSERT_OK(open_through(e.c, e.path, &fd), "truncated: open")) {
		close(fd);
		fd = -1;
	}
	pr_dwarfcache_stats(e.c, &st);
	ASSERT_EQ(st.rebuilds, 1, "truncated: rebuilt");
	stat(copy, &b);
	ASSERT_EQ(b.st_size, a.st_size, "truncated: whole again");

	/* writable by others: refused, and left as it is */
	chmod(copy, 0666);
	ASSERT_EQ(open_through(e.c, e.path, &fd), -EPERM, "others may write it: not used");
	pr_dwarfcache_stats(e.c, &st);
	ASSERT_EQ(st.refused, 1, "others may write it: counted");
	ASSERT_OK(stat(copy, &b), "others may write it: not removed");
	chmod(copy, 0644);

	/* a symlink in its place: not followed */
	unlink(copy);
	symlink(e.path, copy);
	ASSERT_EQ(open_through(e.c, e.path, &fd), -EPERM, "a symlink: not used");
out:
	if (fd >= 0)
		close(fd);
	env_close(&e);
}

/* The file offset of section want's header in an ELF64 image. */
static Elf64_Shdr *shdr_of(uint8_t *img, const char *want)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + eh->e_shoff);
	const char *names = (const char *)img + sh[eh->e_shstrndx].sh_offset;
	int i;

	for (i = 0; i < eh->e_shnum; i++)
		if (!strcmp(names + sh[i].sh_name, want))
			return &sh[i];
	return NULL;
}

void test_dwarfcache_hostile(void)
{
	static const struct {
		const char *what;
		int64_t ch_size_delta, offset_delta;
		int want;
	} cases[] = {
		{ "inflated size one byte over the stream", 1, 0, -EINVAL },
		{ "inflated size one byte short of the stream", -1, 0, -EINVAL },
		{ "inflated size far over the per-copy bound", 1ll << 40, 0, -EFBIG },
		{ "section past the end of the file", 0, 1 << 30, -EINVAL },
	};
	char name[32], bad[256];
	struct env e;
	Elf64_Shdr *sh;
	Elf64_Chdr *ch;
	uint8_t *img;
	size_t i;
	int fd;

	if (!env_open(&e, 0))
		goto out;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		img = malloc(e.size);
		memcpy(img, e.bytes, e.size);
		sh = shdr_of(img, ".debug_info");
		if (!ASSERT_TRUE(sh && (sh->sh_flags & SHF_COMPRESSED), "compressed .debug_info")) {
			free(img);
			break;
		}
		ch = (Elf64_Chdr *)(img + sh->sh_offset);
		ch->ch_size += (uint64_t)cases[i].ch_size_delta;
		sh->sh_offset += (uint64_t)cases[i].offset_delta;
		snprintf(name, sizeof(name), "src%zu", i);
		if (test_write_file(e.dir, name, img, e.size, bad)) {
			fd = -1;
			ASSERT_EQ(open_through(e.c, bad, &fd), cases[i].want, cases[i].what);
			if (fd >= 0)
				close(fd);
			ASSERT_EQ(entries(e.cdir), 0, "nothing left in the cache");
		}
		free(img);
	}
	/* uncompressed DWARF: nothing to inflate */
	snprintf(bad, sizeof(bad), "%s/inlfix", getenv("FIXTURES") ?: "build/fixtures");
	fd = -1;
	ASSERT_EQ(open_through(e.c, bad, &fd), -ENOTSUP, "uncompressed: not copied");
out:
	env_close(&e);
}

void test_dwarfcache_prune(void)
{
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct pr_dwarfcache_stats st;
	char name[32], old[320];
	uint8_t *zero = NULL;
	struct env e;
	int fd = -1, i;

	/* the bound: 64 KiB; three old 32 KiB copies are already there */
	if (!env_open(&e, 64 << 10) || !(zero = calloc(1, 32 << 10)))
		goto out;
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "old%d.debug", i);
		test_write_file(e.cdir, name, zero, 32 << 10, old);
		ts[0].tv_sec = ts[1].tv_sec = 1000000000 + i;
		utimensat(AT_FDCWD, old, ts, 0);
	}
	if (ASSERT_OK(open_through(e.c, e.path, &fd), "made"))
		close(fd);
	pr_dwarfcache_stats(e.c, &st);
	ASSERT_TRUE(st.pruned >= 2, "the oldest copies pruned");
	snprintf(old, sizeof(old), "%s/old0.debug", e.cdir);
	ASSERT_TRUE(access(old, F_OK) != 0, "the least recently used went first");
	ASSERT_TRUE(entries(e.cdir) >= 1 && entries(e.cdir) <= 2, "the new copy and at most one old");
out:
	free(zero);
	env_close(&e);
}
