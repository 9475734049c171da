// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * User binary symbols: runtime/elfsym.c on the fixtures, libc and broken
 * files. Expected file offsets are computed here with gelf, independently
 * of the code under test: st_value through the PT_LOAD that holds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elfsym.h"
#include "harness.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define LIBASAN "/lib/x86_64-linux-gnu/libasan.so.8"
#define MAX_LOADS 16

struct elf_func {
	uint64_t vaddr, size;
	char *name;
};

/* The test's own view of a binary: defined functions of one symbol table
 * and the PT_LOAD headers. */
struct elf_view {
	struct elf_func *funcs;
	size_t n, cap;
	GElf_Phdr loads[MAX_LOADS];
	size_t nloads;
};

static void view_free(struct elf_view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->funcs[i].name);
	free(v->funcs);
	*v = (struct elf_view){ .n = 0 };
}

static bool add_func(struct elf_view *v, const GElf_Sym *s, const char *name)
{
	struct elf_func *f = v->funcs;

	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 256;
		f = realloc(v->funcs, v->cap * sizeof(*f));
	}
	if (f) {
		v->funcs = f;
		f[v->n++] = (struct elf_func){ .vaddr = s->st_value,
					       .size = s->st_size,
					       .name = strdup(name) };
	}
	return f && f[v->n - 1].name;
}

static bool read_funcs(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct elf_view *v)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	const char *name;
	bool ok = data;
	GElf_Sym s;
	size_t i;

	for (i = 0; ok && i < sh->sh_size / sh->sh_entsize; i++) {
		if (!gelf_getsym(data, i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
		    s.st_shndx == SHN_UNDEF)
			continue;
		name = elf_strptr(elf, sh->sh_link, s.st_name);
		ok = !name || add_func(v, &s, name);
	}
	return ok;
}

static bool read_view(Elf *elf, bool dynsym, struct elf_view *v)
{
	Elf_Scn *scn = NULL;
	bool ok = true;
	GElf_Shdr sh;
	size_t i, n = 0;

	while (ok && (scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_entsize &&
		    sh.sh_type == (dynsym ? SHT_DYNSYM : SHT_SYMTAB))
			ok = read_funcs(elf, scn, &sh, v);
	}
	ok = ok && v->n && !elf_getphdrnum(elf, &n);
	for (i = 0; ok && i < n && v->nloads < MAX_LOADS; i++) {
		if (gelf_getphdr(elf, i, &v->loads[v->nloads]) &&
		    v->loads[v->nloads].p_type == PT_LOAD)
			v->nloads++;
	}
	return ok;
}

/* Reads .symtab (dynsym false) or .dynsym of path and its PT_LOADs. */
static bool view_open(const char *path, bool dynsym, struct elf_view *v)
{
	Elf *elf = NULL;
	bool ok = false;
	int fd;

	*v = (struct elf_view){ .n = 0 };
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf)
		ok = read_view(elf, dynsym, v);
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	if (!ok) {
		printf("  %s: cannot read its %s\n", path, dynsym ? ".dynsym" : ".symtab");
		view_free(v);
	}
	return ok;
}

static const struct elf_func *view_func(const struct elf_view *v, const char *name)
{
	const struct elf_func *f = NULL;
	size_t i;

	for (i = 0; !f && i < v->n; i++)
		if (!strcmp(v->funcs[i].name, name))
			f = &v->funcs[i];
	if (!f)
		printf("  no function %s\n", name);
	return f;
}

/* The file offset of vaddr through the PT_LOAD holding it, or ~0. */
static uint64_t view_foff(const struct elf_view *v, uint64_t vaddr)
{
	uint64_t foff = ~0ull;
	size_t i;

	for (i = 0; i < v->nloads; i++) {
		const GElf_Phdr *ph = &v->loads[i];

		if (vaddr >= ph->p_vaddr && vaddr < ph->p_vaddr + ph->p_filesz)
			foff = vaddr - ph->p_vaddr + ph->p_offset;
	}
	return foff;
}

/* Where the executable PT_LOAD ends in the file. */
static uint64_t view_exec_end(const struct elf_view *v)
{
	uint64_t end = 0;
	size_t i;

	for (i = 0; i < v->nloads; i++)
		if (v->loads[i].p_flags & PF_X)
			end = v->loads[i].p_offset + v->loads[i].p_filesz;
	return end;
}

static void fixture_path(char *path, size_t len, const char *name)
{
	const char *dir = getenv("FIXTURES");

	snprintf(path, len, "%s/%s", dir && *dir ? dir : "build/fixtures", name);
}

static void check_resolve(struct pr_elfsym *b, uint64_t foff, const char *name, uint64_t off,
			  const char *what)
{
	uint64_t got = 12345;

	if (ASSERT_STREQ(pr_elfsym_resolve(b, foff, &got), name, what) && name)
		ASSERT_EQ(got, off, what);
}

/* Offsets at the start, inside and at the end of f resolve to it. */
static void check_func(struct pr_elfsym *b, const struct elf_view *v, const struct elf_func *f)
{
	uint64_t foff = view_foff(v, f->vaddr), off;
	const char *fn = f->name, *next;

	check_resolve(b, foff, fn, 0, fn);
	check_resolve(b, foff + 5, fn, 5, fn);
	check_resolve(b, foff + f->size - 1, fn, f->size - 1, fn);
	/* a sized symbol ends at its size: padding or the next function */
	next = pr_elfsym_resolve(b, foff + f->size, &off);
	ASSERT_TRUE(!next || strcmp(next, fn), "past the function's size");
}

static void check_burn(struct pr_elfsym *b, const struct elf_view *v)
{
	static const char *const fns[] = { "burn_heavy", "burn_light", "main" };
	const struct elf_func *f;
	size_t i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		f = view_func(v, fns[i]);
		if (ASSERT_TRUE(f && f->size > 5, fns[i]))
			check_func(b, v, f);
	}
	check_resolve(b, 0, NULL, 0, "ELF header");
	check_resolve(b, view_exec_end(v), NULL, 0, "end of the text segment");
	check_resolve(b, view_exec_end(v) + 0x10000, NULL, 0, "past the file");
	ASSERT_TRUE(pr_elfsym_nsyms(b) >= 4, "nsyms");
}

void test_elfsym_burn(void)
{
	struct elf_view v = { .n = 0 };
	struct pr_elfsyms *t = NULL;
	struct pr_elfsym *b;
	char path[512];

	fixture_path(path, sizeof(path), "burn");
	if (!ASSERT_OK(access(path, R_OK), "fixture burn (make fixtures; FIXTURES=dir)") ||
	    !ASSERT_TRUE(view_open(path, false, &v), "burn .symtab") ||
	    !ASSERT_OK(pr_elfsyms_new(&t), "elfsyms_new"))
		goto out;
	b = pr_elfsym_lookup_path(t, path);
	if (!ASSERT_TRUE(b, "lookup_path burn"))
		goto out;
	ASSERT_STREQ(pr_elfsym_name(b), path, "name is the path");
	check_burn(b, &v);
	ASSERT_EQ(pr_elfsyms_count(t), 1, "one binary");
out:
	pr_elfsyms_free(t);
	view_free(&v);
}

/* " a  b ": every function of v at vaddr. */
static void aliases_at(const struct elf_view *v, uint64_t vaddr, char *names, size_t len)
{
	size_t i, n;

	names[0] = '\0';
	for (i = 0; i < v->n; i++) {
		n = strlen(names);
		if (v->funcs[i].vaddr == vaddr)
			snprintf(names + n, len - n, " %s ", v->funcs[i].name);
	}
}

static void check_qsort(struct pr_elfsym *b, const struct elf_view *v, const struct elf_func *f)
{
	char names[512], pat[300];
	uint64_t foff, off = 1;
	const char *name;

	aliases_at(v, f->vaddr, names, sizeof(names));
	foff = view_foff(v, f->vaddr);
	name = pr_elfsym_resolve(b, foff, &off);
	snprintf(pat, sizeof(pat), " %s ", name ? name : "NULL");
	if (!ASSERT_TRUE(strstr(names, pat), "qsort or an alias at its address"))
		printf("  got %s, want one of:%s\n", name ? name : "NULL", names);
	ASSERT_EQ(off, 0, "qsort offset");
	/* Debian 12's libc has no other name at qsort's address */
	ASSERT_STREQ(name, "qsort", "qsort");
	check_resolve(b, foff + 3, name, 3, "qsort+3");
}

void test_elfsym_libc_qsort(void)
{
	struct elf_view v = { .n = 0 };
	struct pr_elfsyms *t = NULL;
	const struct elf_func *f;
	struct pr_elfsym *b;

	if (!ASSERT_TRUE(view_open(LIBC, true, &v), "libc .dynsym") ||
	    !ASSERT_TRUE((f = view_func(&v, "qsort")), "qsort in .dynsym") ||
	    !ASSERT_OK(pr_elfsyms_new(&t), "elfsyms_new"))
		goto out;
	b = pr_elfsym_lookup_path(t, LIBC);
	if (!ASSERT_TRUE(b, "lookup_path libc"))
		goto out;
	check_qsort(b, &v, f);
	ASSERT_TRUE(pr_elfsym_nsyms(b) > 1000, "libc .dynsym read");
out:
	pr_elfsyms_free(t);
	view_free(&v);
}

/* Deterministic garbage: xorshift64. */
static void fill_random(unsigned char *p, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		p[i] = seed;
	}
}

static void check_no_symbols(struct pr_elfsyms *t, const char *path, const char *what)
{
	struct pr_elfsym *b = pr_elfsym_lookup_path(t, path);
	uint64_t off;

	/* opening may succeed (the file exists); no symbol may come out */
	if (b) {
		ASSERT_NULL(pr_elfsym_resolve(b, 0, &off), what);
		ASSERT_NULL(pr_elfsym_resolve(b, 0x1150, &off), what);
		ASSERT_EQ(pr_elfsym_nsyms(b), 0, what);
	}
}

void test_elfsym_bad_files(void)
{
	struct pr_elfsyms *t = NULL;
	unsigned char buf[8192];
	char dir[64] = "", path[256], burn[512];
	ssize_t n = -1;
	int fd;

	if (!ASSERT_OK(pr_elfsyms_new(&t), "elfsyms_new") || !test_mkdtemp(dir))
		goto out;
	fill_random(buf, sizeof(buf), 0x9E3779B97F4A7C15ull);
	if (test_write_file(dir, "random", buf, sizeof(buf), path))
		check_no_symbols(t, path, "random bytes");
	memcpy(buf, "\177ELF\2\1\1", 7);
	if (test_write_file(dir, "elf-magic", buf, sizeof(buf), path))
		check_no_symbols(t, path, "ELF magic, random rest");
	if (test_write_file(dir, "empty", "", 0, path))
		check_no_symbols(t, path, "empty file");
	check_no_symbols(t, dir, "a directory");
	ASSERT_NULL(pr_elfsym_lookup_path(t, "/nonexistent/bin"), "missing file");

	fixture_path(burn, sizeof(burn), "burn");
	fd = open(burn, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, 1000);
		close(fd);
	}
	if (ASSERT_EQ(n, 1000, "read burn") && test_write_file(dir, "burn-1000", buf, 1000, path))
		check_no_symbols(t, path, "burn cut at 1000 bytes");
out:
	pr_elfsyms_free(t);
	test_rmdir(dir);
}

void test_elfsym_same_binary(void)
{
	struct pr_elfsym *a, *b;
	struct pr_elfsyms *t = NULL;
	char dir[64] = "", path[512], lnk[256], abs[PATH_MAX];
	struct stat st;

	fixture_path(path, sizeof(path), "burn");
	if (!ASSERT_OK(stat(path, &st), "stat burn") ||
	    !ASSERT_OK(pr_elfsyms_new(&t), "elfsyms_new") || !test_mkdtemp(dir))
		goto out;
	a = pr_elfsym_lookup_path(t, path);
	b = pr_elfsym_lookup_path(t, path);
	if (!ASSERT_TRUE(a, "lookup_path"))
		goto out;
	ASSERT_EQ(b, a, "same path twice");
	snprintf(lnk, sizeof(lnk), "%s/link", dir);
	if (ASSERT_OK(link(path, lnk) && (!realpath(path, abs) || symlink(abs, lnk)),
		      "link to burn"))
		ASSERT_EQ(pr_elfsym_lookup_path(t, lnk), a, "other path, same file");
	/* known identity: the file is not opened again */
	ASSERT_EQ(pr_elfsym_lookup(t, st.st_dev, st.st_ino, "/nonexistent", "x"), a,
		  "lookup by dev+inode");
	ASSERT_STREQ(pr_elfsym_name(a), path, "first name kept");
	ASSERT_EQ(pr_elfsyms_count(t), 1, "one binary");
	ASSERT_NULL(pr_elfsym_lookup(t, st.st_dev, st.st_ino + 1, "/nonexistent", "x"),
		    "unknown identity, unopenable");
out:
	pr_elfsyms_free(t);
	test_rmdir(dir);
}

static int cmp_vaddr(const void *a, const void *b)
{
	const struct elf_func *x = a, *y = b;

	return (x->vaddr > y->vaddr) - (x->vaddr < y->vaddr);
}

/* A sized and an unsized function at one address (asm aliases): the
 * sized one's index in v, sorted by address, or -1. */
static long find_sized_alias(struct elf_view *v)
{
	const struct elf_func *a, *b;
	long found = -1;
	size_t i;

	qsort(v->funcs, v->n, sizeof(v->funcs[0]), cmp_vaddr);
	for (i = 1; found < 0 && i < v->n; i++) {
		a = &v->funcs[i - 1];
		b = &v->funcs[i];
		if (a->vaddr == b->vaddr && !a->size != !b->size && a->size + b->size > 1)
			found = a->size ? i - 1 : i;
	}
	return found;
}

void test_elfsym_alias_prefers_sized(void)
{
	struct pr_elfsyms *t = NULL;
	struct elf_view v = { .n = 0 };
	struct pr_elfsym *b;
	long i = -1;

	/* no fixture has such aliases yet; libasan (vfork) does */
	if (access(LIBASAN, R_OK) || !view_open(LIBASAN, false, &v) ||
	    (i = find_sized_alias(&v)) < 0) {
		test__skip("no binary with a sized and an unsized alias");
		goto out;
	}
	if (!ASSERT_OK(pr_elfsyms_new(&t), "elfsyms_new"))
		goto out;
	b = pr_elfsym_lookup_path(t, LIBASAN);
	if (!ASSERT_TRUE(b, "lookup_path"))
		goto out;
	/* elfsym.c sorts the sized symbol first at one address; it must win */
	check_resolve(b, view_foff(&v, v.funcs[i].vaddr) + 1, v.funcs[i].name, 1,
		      "alias inside the sized symbol");
out:
	pr_elfsyms_free(t);
	view_free(&v);
}
