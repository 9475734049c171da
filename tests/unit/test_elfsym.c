// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * User binary symbols: runtime/elfsym.c on the fixtures, libc and broken
 * files. Expected file offsets are computed here with gelf, independently
 * of the code under test: st_value through the PT_LOAD that holds it (for
 * stripped fixtures, st_value from their debuginfo or MiniDebugInfo,
 * decompressed here, through the stripped binary's own PT_LOADs).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <lzma.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "maps.h"
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

/* ---- the symbolization fixtures: symfix-*, libsymfix.so, cppfix ---------- */

static const char *const sf_funcs[] = { "sf_leaf", "sf_middle", "sf_outer" };

/* Replaces v's PT_LOADs with those of path: symbols read from a debug
 * file apply through the stripped binary's own program headers. */
static bool view_loads_from(const char *path, struct elf_view *v)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf = NULL;
	size_t i, n = 0;
	bool ok = false;

	v->nloads = 0;
	if (fd >= 0)
		elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf && !elf_getphdrnum(elf, &n)) {
		for (i = 0; i < n && v->nloads < MAX_LOADS; i++) {
			if (gelf_getphdr(elf, i, &v->loads[v->nloads]) &&
			    v->loads[v->nloads].p_type == PT_LOAD)
				v->nloads++;
		}
		ok = v->nloads > 0;
	}
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	if (!ok)
		printf("  %s: cannot read its program headers\n", path);
	return ok;
}

/* The .symtab of debug file dbg with the PT_LOADs of binary bin. */
static bool view_split(const char *dbg, const char *bin, struct elf_view *v)
{
	if (!view_open(dbg, false, v))
		return false;
	if (view_loads_from(bin, v))
		return true;
	view_free(v);
	return false;
}

static Elf_Scn *test_section(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	const char *nm;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, &sh) && (nm = elf_strptr(elf, shstrndx, sh.sh_name)) &&
		    !strcmp(nm, name))
			return scn;
	}
	return NULL;
}

/* The GNU build-id note of path, as lowercase hex. */
static bool build_id_hex(const char *path, char *hex, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t off, noff, doff, i;
	Elf_Scn *scn = NULL;
	Elf *elf = NULL;
	Elf_Data *d;
	GElf_Shdr sh;
	GElf_Nhdr nh;
	bool ok = false;

	if (fd >= 0)
		elf = elf_begin(fd, ELF_C_READ, NULL);
	while (!ok && elf && (scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (off = 0; !ok && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0;) {
			if (nh.n_type != NT_GNU_BUILD_ID || 2 * nh.n_descsz + 1 > len)
				continue;
			for (i = 0; i < nh.n_descsz; i++)
				sprintf(hex + 2 * i, "%02x", ((unsigned char *)d->d_buf)[doff + i]);
			ok = nh.n_descsz > 0;
		}
	}
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* The symbols of the xz-compressed ELF in path's .gnu_debugdata, with
 * path's PT_LOADs: MiniDebugInfo decoded here with liblzma, as gdb does. */
static bool view_minidebug(const char *path, struct elf_view *v)
{
	size_t in_pos = 0, out_pos = 0, cap = 16u << 20;
	uint64_t memlimit = UINT64_MAX;
	Elf *elf = NULL, *inner = NULL;
	unsigned char *out = NULL;
	Elf_Data *d = NULL;
	Elf_Scn *scn;
	bool ok = false;
	int fd;

	*v = (struct elf_view){ .n = 0 };
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf && (scn = test_section(elf, ".gnu_debugdata")))
		d = elf_getdata(scn, NULL);
	if (d && (out = malloc(cap)) &&
	    lzma_stream_buffer_decode(&memlimit, 0, NULL, d->d_buf, &in_pos, d->d_size, out,
				      &out_pos, cap) == LZMA_OK)
		inner = elf_memory((char *)out, out_pos);
	if (inner)
		ok = read_view(inner, false, v);
	elf_end(inner);
	elf_end(elf);
	free(out);
	if (fd >= 0)
		close(fd);
	ok = ok && view_loads_from(path, v);
	if (!ok) {
		printf("  %s: cannot read its MiniDebugInfo\n", path);
		view_free(v);
	}
	return ok;
}

/* The start, start+3 and last byte of function sym resolve to shown. */
static void check_named(struct pr_elfsym *b, const struct elf_view *v, const char *sym,
			const char *shown)
{
	const struct elf_func *f = view_func(v, sym);
	char what[200];
	uint64_t foff;

	if (!ASSERT_TRUE(f && f->size > 3, sym))
		return;
	foff = view_foff(v, f->vaddr);
	snprintf(what, sizeof(what), "%s at its start", shown);
	check_resolve(b, foff, shown, 0, what);
	snprintf(what, sizeof(what), "%s+3", shown);
	check_resolve(b, foff + 3, shown, 3, what);
	snprintf(what, sizeof(what), "%s last byte", shown);
	check_resolve(b, foff + f->size - 1, shown, f->size - 1, what);
}

static void check_symfix(struct pr_elfsym *b, const struct elf_view *v, const char *source,
			 const char *what)
{
	size_t i;

	if (!ASSERT_TRUE(b, what))
		return;
	if (!ASSERT_STREQ(pr_elfsym_source(b), source, what))
		printf("  (source of %s)\n", what);
	for (i = 0; i < sizeof(sf_funcs) / sizeof(sf_funcs[0]); i++)
		check_named(b, v, sf_funcs[i], sf_funcs[i]);
}

static struct pr_elfsyms *new_table(const char *debug_dir, uint64_t max_bytes)
{
	struct pr_elfsyms_opts o = { .debug_dir = debug_dir, .max_bytes = max_bytes };
	struct pr_elfsyms *t = NULL;

	if (!ASSERT_OK(pr_elfsyms_new_opts(&o, &t), "elfsyms_new_opts"))
		return NULL;
	return t;
}

static struct pr_elfsym_stats stats_of(const struct pr_elfsyms *t)
{
	struct pr_elfsym_stats s;

	pr_elfsyms_stats(t, &s);
	return s;
}

/* symfix-pie, symfix-nopie, libsymfix.so, symfix-uselib: .symtab names
 * at the file offsets their PT_LOADs give. */
void test_elfsym_load_bias(void)
{
	static const char *const files[] = { "symfix-pie", "symfix-nopie", "libsymfix.so" };
	struct elf_view v = { .n = 0 };
	char path[512], dir[64] = "";
	struct pr_elfsyms *t = NULL;
	const struct elf_func *f;
	struct pr_elfsym *b;
	struct stat st;
	size_t i;

	/* an empty debug dir: symfix-pie has symfix-buildid's build-id (same
	 * code, same flags), so the fixtures' debug dir would serve it */
	if (!test_mkdtemp(dir) || !(t = new_table(dir, 0)))
		goto out;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		fixture_path(path, sizeof(path), files[i]);
		if (!ASSERT_TRUE(view_open(path, false, &v), files[i]))
			continue;
		b = pr_elfsym_lookup_path(t, path);
		check_symfix(b, &v, "symtab", files[i]);
		if (i == 1 && (f = view_func(&v, "sf_leaf")))
			/* the x86-64 non-PIE base: offsets and addresses differ */
			ASSERT_EQ(view_foff(&v, f->vaddr), f->vaddr - 0x400000,
				  "non-PIE sf_leaf offset is its address - 0x400000");
		if (i == 2 && b)
			check_named(b, &v, "sf_lib_outer", "sf_lib_outer");
		view_free(&v);
	}
	/* the production path: by dev + inode through a path */
	fixture_path(path, sizeof(path), "symfix-nopie");
	if (ASSERT_OK(stat(path, &st), "stat symfix-nopie") && view_open(path, false, &v)) {
		b = pr_elfsym_lookup(t, st.st_dev, st.st_ino, path, "symfix-nopie");
		ASSERT_EQ(b, pr_elfsym_lookup_path(t, path), "lookup and lookup_path agree");
		check_symfix(b, &v, "symtab", "symfix-nopie by dev+inode");
		view_free(&v);
	}
	fixture_path(path, sizeof(path), "symfix-uselib");
	if (view_open(path, false, &v)) {
		b = pr_elfsym_lookup_path(t, path);
		if (ASSERT_TRUE(b, "symfix-uselib"))
			check_named(b, &v, "main", "main");
		view_free(&v);
	}
	ASSERT_EQ(pr_elfsyms_count(t), 4, "four binaries");
out:
	pr_elfsyms_free(t);
	test_rmdir(dir);
}

/* Starts path arg and returns once it has exec'd (a CLOEXEC pipe closes). */
static pid_t spawn(const char *path, const char *arg)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		execl(path, path, arg, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (pid > 0 && read(p[0], &c, 1) < 0 && errno == EINTR)
		;
	close(p[0]);
	return pid;
}

/* Where pid maps offset foff of the binary named base, read from
 * /proc/PID/maps here (not with maps.c); 0 when not mapped (yet). */
static uint64_t runtime_addr(pid_t pid, const char *base, uint64_t foff)
{
	unsigned long long start, end, off;
	char path[64], line[4300], perms[8], file[4096];
	const char *slash;
	uint64_t addr = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	while (f && !addr && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095s", &start, &end, perms, &off,
			   file) != 5)
			continue;
		slash = strrchr(file, '/');
		if (strlen(perms) < 3 || perms[2] != 'x' || !slash || strcmp(slash + 1, base))
			continue;
		if (foff >= off && foff < off + (end - start))
			addr = start + (foff - off);
	}
	if (f)
		fclose(f);
	return addr;
}

/* One running process: the address of sf_leaf in base, mapped where the
 * kernel or ld.so put it, normalized by maps.c and named by elfsym. */
static void check_running(struct pr_maps *m, const char *exe, const char *base)
{
	struct elf_view v = { .n = 0 };
	char path[512], what[128];
	uint64_t foff, addr = 0, got = 0;
	const struct elf_func *f;
	struct pr_elfsym *b;
	int tries;
	pid_t pid;

	fixture_path(path, sizeof(path), base);
	if (!ASSERT_TRUE(view_open(path, false, &v), base) ||
	    !ASSERT_TRUE((f = view_func(&v, "sf_leaf")), "sf_leaf"))
		goto out;
	foff = view_foff(&v, f->vaddr);
	fixture_path(path, sizeof(path), exe);
	pid = spawn(path, "30");
	if (!ASSERT_TRUE(pid > 0, "spawn"))
		goto out;
	/* ld.so maps a library after exec: wait for it (not a timing check) */
	for (tries = 0; tries < 500 && !(addr = runtime_addr(pid, base, foff)); tries++)
		usleep(10000);
	snprintf(what, sizeof(what), "%s in running %s", base, exe);
	if (ASSERT_TRUE(addr, what)) {
		b = pr_maps_normalize(m, pid, addr + 3, 0, &got);
		if (ASSERT_TRUE(b, what) && ASSERT_EQ(got, foff + 3, what))
			check_resolve(b, got, "sf_leaf", 3, what);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
out:
	view_free(&v);
}

void test_elfsym_running_bias(void)
{
	struct pr_elfsyms *t;
	struct pr_maps *m = NULL;
	char dbg[512];

	fixture_path(dbg, sizeof(dbg), "debug");
	if (!(t = new_table(dbg, 0)) || !ASSERT_OK(pr_maps_new(t, &m), "maps_new"))
		goto out;
	check_running(m, "symfix-pie", "symfix-pie");
	check_running(m, "symfix-nopie", "symfix-nopie");
	check_running(m, "symfix-uselib", "libsymfix.so");
out:
	pr_maps_free(m);
	pr_elfsyms_free(t);
}

/* Every source: separate debuginfo by build-id (only with the debug dir
 * that holds it), by .gnu_debuglink, MiniDebugInfo, and none. */
void test_elfsym_sources(void)
{
	struct elf_view v = { .n = 0 };
	char dir[64] = "", ddir[512], path[512], dbg[700], id[129];
	struct pr_elfsyms *t = NULL, *t2 = NULL;
	struct pr_elfsym *b;
	uint64_t o, end, off;
	size_t i, named = 0, misnamed = 0;

	fixture_path(ddir, sizeof(ddir), "debug");
	if (!test_mkdtemp(dir) || !(t = new_table(ddir, 0)) || !(t2 = new_table(dir, 0)))
		goto out;

	fixture_path(path, sizeof(path), "symfix-buildid");
	if (ASSERT_TRUE(build_id_hex(path, id, sizeof(id)), "symfix-buildid has a build-id")) {
		snprintf(dbg, sizeof(dbg), "%s/.build-id/%.2s/%s.debug", ddir, id, id + 2);
		if (ASSERT_TRUE(view_split(dbg, path, &v), "build-id debuginfo")) {
			check_symfix(pr_elfsym_lookup_path(t, path), &v, "debuginfo",
				     "symfix-buildid");
			/* a debug dir without its file: nothing to name it with */
			b = pr_elfsym_lookup_path(t2, path);
			if (ASSERT_TRUE(b, "symfix-buildid, empty debug dir")) {
				ASSERT_STREQ(pr_elfsym_source(b), "none", "no debuginfo found");
				ASSERT_NULL(
					pr_elfsym_resolve(b, view_foff(&v, v.funcs[0].vaddr), &off),
					"no name without debuginfo");
			}
		}
		view_free(&v);
	}

	fixture_path(path, sizeof(path), "symfix-debuglink");
	fixture_path(dbg, sizeof(dbg), ".debug/symfix-debuglink.debug");
	if (ASSERT_TRUE(view_split(dbg, path, &v), "debuglink debuginfo"))
		check_symfix(pr_elfsym_lookup_path(t, path), &v, "debuglink", "symfix-debuglink");
	view_free(&v);

	fixture_path(path, sizeof(path), "symfix-minidebug");
	if (ASSERT_TRUE(view_minidebug(path, &v), "MiniDebugInfo"))
		check_symfix(pr_elfsym_lookup_path(t, path), &v, "minidebuginfo",
			     "symfix-minidebug");
	view_free(&v);

	/* stripped, no build-id, static functions: no byte of text gets a
	 * function's name; the text in FDEs is named by their ranges */
	fixture_path(path, sizeof(path), "symfix-stripped");
	b = pr_elfsym_lookup_path(t, path);
	if (ASSERT_TRUE(b, "symfix-stripped") && view_loads_from(path, &v)) {
		ASSERT_STREQ(pr_elfsym_source(b), "none", "symfix-stripped source");
		ASSERT_EQ(pr_elfsym_nsyms(b), 0, "symfix-stripped symbols");
		for (i = 0; i < v.nloads; i++) {
			if (!(v.loads[i].p_flags & PF_X))
				continue;
			end = v.loads[i].p_offset + v.loads[i].p_filesz;
			for (o = v.loads[i].p_offset; o < end; o += 4) {
				const char *n = pr_elfsym_resolve(b, o, &off);

				named += n != NULL;
				if (n && (strncmp(n, "symfix-stripped+0x", 18) ||
					  strtoull(n + 18, NULL, 16) + off != o))
					misnamed++;
			}
		}
		ASSERT_TRUE(named > 0, "text offsets named by their FDE's range");
		ASSERT_EQ(misnamed, 0, "names other than symfix-stripped+0xSTART, START + off");
	}
	view_free(&v);
out:
	pr_elfsyms_free(t);
	pr_elfsyms_free(t2);
	test_rmdir(dir);
}

void test_elfsym_cpp_demangle(void)
{
	static const struct {
		const char *sym, *shown;
	} fns[] = {
		{ "_ZN11profrun_fix4spinEdi", "profrun_fix::spin(double, int)" },
		{ "_ZN11profrun_fix4spinEd", "profrun_fix::spin(double)" },
		{ "_ZN11profrun_fix6WorkerIiE3runEi", "profrun_fix::Worker<int>::run(int)" },
		{ "main", "main" },
	};
	struct elf_view v = { .n = 0 };
	const struct elf_func *f;
	struct pr_elfsyms *t = NULL;
	struct pr_elfsym *b;
	const char *first;
	char path[512];
	uint64_t off;
	size_t i;

	fixture_path(path, sizeof(path), "cppfix");
	if (!ASSERT_TRUE(view_open(path, false, &v), "cppfix .symtab") || !(t = new_table(path, 0)))
		goto out;
	b = pr_elfsym_lookup_path(t, path);
	if (!ASSERT_TRUE(b, "lookup_path cppfix"))
		goto out;
	ASSERT_STREQ(pr_elfsym_source(b), "symtab", "cppfix source");
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		check_named(b, &v, fns[i].sym, fns[i].shown);
	/* demangled once, then the same string */
	if ((f = view_func(&v, fns[0].sym))) {
		first = pr_elfsym_resolve(b, view_foff(&v, f->vaddr), &off);
		ASSERT_EQ(pr_elfsym_resolve(b, view_foff(&v, f->vaddr) + 1, &off), first,
			  "demangled name kept");
	}
out:
	pr_elfsyms_free(t);
	view_free(&v);
}

/* rustc from PATH, else where rustup puts it. */
static bool find_rustc(char *out, size_t len)
{
	const char *path = getenv("PATH"), *end, *homes[3] = { getenv("CARGO_HOME"), NULL, NULL };
	char home[300];
	size_t i;

	while (path && *path) {
		end = strchrnul(path, ':');
		snprintf(out, len, "%.*s/rustc", (int)(end - path), path);
		if (end > path && !access(out, X_OK))
			return true;
		path = *end ? end + 1 : end;
	}
	snprintf(home, sizeof(home), "%s/.cargo", getenv("HOME") ? getenv("HOME") : "/root");
	homes[1] = home;
	homes[2] = "/root/.cargo";
	for (i = 0; i < 3; i++) {
		snprintf(out, len, "%s/bin/rustc", homes[i] ? homes[i] : "/nonexistent");
		if (!access(out, X_OK))
			return true;
	}
	return false;
}

/* Builds src; mangling "legacy" is rustc's default (naming it needs
 * -Z unstable-options), "v0" is asked for. */
static bool run_rustc(const char *rustc, const char *src, const char *out, const char *mangling)
{
	const char *argv[10] = { rustc, "-C", "opt-level=0", "-o", out };
	int st = 0, fd, n = 5;
	pid_t pid;

	if (strcmp(mangling, "legacy")) {
		argv[n++] = "-C";
		argv[n++] = "symbol-mangling-version=v0";
	}
	argv[n++] = src;
	pid = fork();
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(rustc, (char *const *)argv);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st);
}

static const char rust_src[] =
	"mod inner {\n"
	"    #[inline(never)]\n"
	"    pub fn hot_thing(n: u64) -> u64 {\n"
	"        let mut s = 0u64;\n"
	"        for i in 0..n { s = s.wrapping_add(std::hint::black_box(i) * 7); }\n"
	"        s\n"
	"    }\n"
	"}\n"
	"fn main() { println!(\"{}\", inner::hot_thing(std::env::args().count() as u64)); }\n";

/* The Rust function, by its mangled name's last component. */
static void check_rust(struct pr_elfsyms *t, const char *bin, const char *mangling)
{
	struct elf_view v = { .n = 0 };
	const struct elf_func *f = NULL;
	char what[64];
	struct pr_elfsym *b;
	const char *name;
	uint64_t off = 1;
	size_t i;

	snprintf(what, sizeof(what), "rust %s mangling", mangling);
	if (!ASSERT_TRUE(view_open(bin, false, &v), what))
		return;
	for (i = 0; !f && i < v.n; i++)
		if (strstr(v.funcs[i].name, "9hot_thing"))
			f = &v.funcs[i];
	if (ASSERT_TRUE(f, "rustfix::inner::hot_thing in .symtab") &&
	    ASSERT_TRUE((b = pr_elfsym_lookup_path(t, bin)), what)) {
		name = pr_elfsym_resolve(b, view_foff(&v, f->vaddr) + 1, &off);
		if (!ASSERT_TRUE(name && strstr(name, "rustfix::inner::hot_thing"), what))
			printf("  %s demangled as %s\n", f->name, name ? name : "NULL");
		ASSERT_EQ(off, 1, what);
	}
	view_free(&v);
}

void test_elfsym_rust_demangle(void)
{
	char dir[64] = "", rustc[512], src[256], bin[256];
	struct pr_elfsyms *t = NULL;

	if (!find_rustc(rustc, sizeof(rustc))) {
		test__skip("no rustc");
		return;
	}
	if (!test_mkdtemp(dir) ||
	    !test_write_file(dir, "rustfix.rs", rust_src, strlen(rust_src), src) ||
	    !(t = new_table(dir, 0)))
		goto out;
	snprintf(bin, sizeof(bin), "%s/legacy", dir);
	if (!run_rustc(rustc, src, bin, "legacy")) {
		test__skip("rustc cannot build here");
		goto out;
	}
	check_rust(t, bin, "legacy");
	snprintf(bin, sizeof(bin), "%s/v0", dir);
	if (run_rustc(rustc, src, bin, "v0"))
		check_rust(t, bin, "v0");
	else
		printf("  note: rustc cannot build with v0 mangling; legacy only\n");
out:
	pr_elfsyms_free(t);
	test_rmdir(dir);
}

/* ---- replaced files and the negative cache ------------------------------- */

static unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	struct stat st;
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && !fstat(fd, &st) && (buf = malloc(st.st_size + 1)))
		n = read(fd, buf, st.st_size);
	if (fd >= 0)
		close(fd);
	if (fd < 0 || n != st.st_size) {
		printf("  cannot read %s\n", path);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static bool set_mtime(const char *path, time_t sec)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = sec } };

	return ASSERT_OK(utimensat(AT_FDCWD, path, ts, 0), "utimensat");
}

/* Writes fixture name's bytes to path (O_TRUNC: an existing file keeps its
 * inode) and gives it mtime sec. */
static bool put_fixture(const char *name, const char *path, time_t sec)
{
	char src[512];
	unsigned char *buf;
	ssize_t n = -1;
	size_t len;
	int fd;

	fixture_path(src, sizeof(src), name);
	if (!(buf = slurp(src, &len)))
		return ASSERT_TRUE(false, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd >= 0) {
		n = write(fd, buf, len);
		close(fd);
	}
	free(buf);
	return ASSERT_EQ(n, (ssize_t)len, "write a fixture copy") && set_mtime(path, sec);
}

static uint64_t clock_now(void *ctx)
{
	return *(uint64_t *)ctx;
}

static struct pr_elfsyms *clocked_table(const char *debug_dir, uint64_t *clock, uint64_t ttl)
{
	struct pr_elfsyms_opts o = {
		.debug_dir = debug_dir, .negative_ttl_ns = ttl, .now = clock_now, .now_ctx = clock
	};
	struct pr_elfsyms *t = NULL;

	if (!ASSERT_OK(pr_elfsyms_new_opts(&o, &t), "elfsyms_new_opts"))
		return NULL;
	return t;
}

/* A new table entry for an unchanged file: the mtime moves away (one entry)
 * and back (another), so only the negative cache remembers the file. */
static struct pr_elfsym *fresh_entry(struct pr_elfsyms *t, const char *path, time_t sec)
{
	struct pr_elfsym *a, *b = NULL;

	if (set_mtime(path, sec + 1) && (a = pr_elfsym_lookup_path(t, path)) &&
	    set_mtime(path, sec) && (b = pr_elfsym_lookup_path(t, path)))
		ASSERT_TRUE(a != b, "the mtime changed: a new entry");
	return b;
}

static void check_negative(struct pr_elfsym *b, const char *what)
{
	uint64_t off;

	if (ASSERT_TRUE(b, what)) {
		ASSERT_STREQ(pr_elfsym_source(b), "none", what);
		ASSERT_NULL(pr_elfsym_resolve(b, 0x1100, &off), what);
	}
}

void test_elfsym_negative_parsed_once(void)
{
	char dir[64] = "", path[256], lnk[256];
	struct pr_elfsyms *t = NULL;
	struct pr_elfsym *a, *b;
	struct pr_elfsym_stats s;
	struct stat st;

	if (!test_mkdtemp(dir) || !(t = new_table(dir, 0)))
		goto out;
	snprintf(path, sizeof(path), "%s/stripped", dir);
	snprintf(lnk, sizeof(lnk), "%s/hardlink", dir);
	if (!put_fixture("symfix-stripped", path, 1000000) || !ASSERT_OK(link(path, lnk), "link") ||
	    !ASSERT_OK(stat(path, &st), "stat"))
		goto out;
	a = pr_elfsym_lookup_path(t, path);
	check_negative(a, "stripped copy");
	s = stats_of(t);
	ASSERT_EQ(s.parses, 1, "parsed once");
	ASSERT_EQ(s.negative, 1, "one negative entry");
	/* another name, same inode: the same entry, no parse */
	b = pr_elfsym_lookup_path(t, lnk);
	ASSERT_EQ(b, a, "hard link: same entry");
	check_negative(b, "hard link");
	ASSERT_EQ(pr_elfsym_lookup(t, st.st_dev, st.st_ino, lnk, "x"), a, "by dev+inode");
	/* a new entry for the unchanged file: served from the negative cache */
	b = fresh_entry(t, path, 1000000);
	ASSERT_TRUE(b && b != a, "new entry for the same inode");
	check_negative(b, "new entry, same size and mtime");
	s = stats_of(t);
	ASSERT_EQ(s.parses, 1, "served from the negative cache, not parsed again");
	ASSERT_EQ(s.negative, 1, "still one negative entry");
	ASSERT_EQ(s.binaries, 1, "one binary");
out:
	pr_elfsyms_free(t);
	test_rmdir(dir);
}

void test_elfsym_negative_replaced(void)
{
	struct elf_view v = { .n = 0 };
	char dir[64] = "", path[256], pie[512], other[256];
	struct pr_elfsyms *t = NULL;
	const struct elf_func *f;
	struct pr_elfsym *b;
	struct pr_elfsym_stats s;
	uint64_t leaf = 0;

	fixture_path(pie, sizeof(pie), "symfix-pie");
	if (!test_mkdtemp(dir) || !(t = new_table(dir, 0)) ||
	    !ASSERT_TRUE(view_open(pie, false, &v), "symfix-pie .symtab") ||
	    !ASSERT_TRUE((f = view_func(&v, "sf_leaf")), "sf_leaf"))
		goto out;
	leaf = view_foff(&v, f->vaddr);
	snprintf(path, sizeof(path), "%s/bin", dir);
	if (!put_fixture("symfix-stripped", path, 1000000))
		goto out;
	check_negative(pr_elfsym_lookup_path(t, path), "stripped");
	/* new size and mtime: read again, now with names */
	if (put_fixture("symfix-pie", path, 1000001)) {
		b = pr_elfsym_lookup_path(t, path);
		if (ASSERT_TRUE(b, "replaced by symfix-pie")) {
			ASSERT_STREQ(pr_elfsym_source(b), "symtab", "replaced: source");
			check_resolve(b, leaf, "sf_leaf", 0, "replaced: sf_leaf");
		}
		s = stats_of(t);
		ASSERT_EQ(s.parses, 2, "replaced binary parsed again");
		ASSERT_EQ(s.negative, 0, "stale negative entry dropped");
	}
	/* stripped again, then only the mtime changes: parsed each time */
	if (put_fixture("symfix-stripped", path, 1000002))
		check_negative(pr_elfsym_lookup_path(t, path), "stripped again");
	if (set_mtime(path, 1000003))
		check_negative(pr_elfsym_lookup_path(t, path), "new mtime, same size");
	s = stats_of(t);
	ASSERT_EQ(s.parses, 4, "each replacement re-evaluated");
	ASSERT_EQ(s.negative, 1, "one negative entry");
	ASSERT_EQ(s.binaries, 1, "one binary");
	/* replaced by rename: another inode, with names */
	snprintf(other, sizeof(other), "%s/new", dir);
	if (put_fixture("symfix-pie", other, 1000004) && ASSERT_OK(rename(other, path), "rename")) {
		b = pr_elfsym_lookup_path(t, path);
		if (ASSERT_TRUE(b, "renamed over"))
			check_resolve(b, leaf, "sf_leaf", 0, "renamed over: sf_leaf");
	}
out:
	pr_elfsyms_free(t);
	view_free(&v);
	test_rmdir(dir);
}

/* One file overwritten in place (one inode) again and again: one entry,
 * each lookup seeing the content of the moment. */
void test_elfsym_overwrite_in_place(void)
{
	struct elf_view v = { .n = 0 };
	char dir[64] = "", path[256], pie[512], what[64];
	struct pr_elfsyms *t = NULL;
	const struct elf_func *f;
	struct pr_elfsym *b, *prev = NULL;
	struct stat st;
	uint64_t leaf, off;
	int i;

	fixture_path(pie, sizeof(pie), "symfix-pie");
	if (!test_mkdtemp(dir) || !(t = new_table(dir, 0)) ||
	    !ASSERT_TRUE(view_open(pie, false, &v), "symfix-pie .symtab") ||
	    !ASSERT_TRUE((f = view_func(&v, "sf_leaf")), "sf_leaf"))
		goto out;
	leaf = view_foff(&v, f->vaddr);
	snprintf(path, sizeof(path), "%s/bin", dir);
	for (i = 0; i < 6; i++) {
		snprintf(what, sizeof(what), "overwrite %d (%s)", i, i % 2 ? "stripped" : "pie");
		if (!put_fixture(i % 2 ? "symfix-stripped" : "symfix-pie", path, 1000000 + i) ||
		    !ASSERT_OK(stat(path, &st), "stat"))
			break;
		/* both ways in: by path, and by dev + inode as maps.c does */
		b = i % 3 ? pr_elfsym_lookup_path(t, path)
			  : pr_elfsym_lookup(t, st.st_dev, st.st_ino, path, path);
		if (!ASSERT_TRUE(b, what))
			break;
		ASSERT_TRUE(b != prev, "a new entry for new content");
		prev = b;
		ASSERT_EQ(pr_elfsyms_count(t), 1, what);
		if (i % 2) {
			const char *n = pr_elfsym_resolve(b, leaf, &off);

			/* no name of its own: a range at most */
			ASSERT_TRUE(!n || !strncmp(n, "bin+0x", 6), what);
		} else
			check_resolve(b, leaf, "sf_leaf", 0, what);
		ASSERT_TRUE(stats_of(t).negative <= 1, "at most one negative entry");
	}
	ASSERT_EQ(stats_of(t).parses, 6, "each content parsed once");
out:
	pr_elfsyms_free(t);
	view_free(&v);
	test_rmdir(dir);
}

void test_elfsym_negative_expiry(void)
{
	char dir[64] = "", path[256];
	struct pr_elfsyms *t = NULL;
	uint64_t clock = 1000;
	struct pr_elfsym_stats s;

	if (!test_mkdtemp(dir) || !(t = clocked_table(dir, &clock, 100)))
		goto out;
	snprintf(path, sizeof(path), "%s/stripped", dir);
	if (!put_fixture("symfix-stripped", path, 1000000))
		goto out;
	check_negative(pr_elfsym_lookup_path(t, path), "first parse at 1000");
	clock = 1050; /* within the TTL: from the negative cache */
	check_negative(fresh_entry(t, path, 1000000), "new entry at 1050");
	ASSERT_EQ(stats_of(t).parses, 1, "not parsed within the TTL");
	clock = 1200; /* expired: parsed again, the negative entry replaced */
	check_negative(fresh_entry(t, path, 1000000), "new entry at 1200");
	s = stats_of(t);
	ASSERT_EQ(s.parses, 2, "parsed again after the TTL");
	ASSERT_EQ(s.negative, 1, "expired negative replaced, not duplicated");
	ASSERT_EQ(s.binaries, 1, "one binary");
	clock = 1250; /* the renewed negative entry holds until 1300 */
	check_negative(fresh_entry(t, path, 1000000), "new entry at 1250");
	s = stats_of(t);
	ASSERT_EQ(s.parses, 2, "renewed negative entry used");
	ASSERT_EQ(s.negative, 1, "one negative entry");
out:
	pr_elfsyms_free(t);
	test_rmdir(dir);
}

/* Expired negatives go when one is inserted, at most once per TTL. */
void test_elfsym_negative_sweep(void)
{
	static const struct {
		uint64_t now, negative;
		const char *what;
	} steps[] = {
		{ 1000, 1, "s0 at 1000 (sweep)" },
		{ 1010, 2, "s1 at 1010" },
		{ 1105, 2, "s2 at 1105: sweep drops s0 (expired 1100)" },
		{ 1150, 3,
		  "s3 at 1150: no sweep within a TTL of the last, s1 (expired 1110) stays" },
		{ 1210, 2, "s4 at 1210: sweep drops s1 and s2 (expired 1205)" },
	};
	char dir[64] = "", path[256], name[16];
	struct pr_elfsyms *t = NULL;
	uint64_t clock = 0;
	size_t i;

	if (!test_mkdtemp(dir) || !(t = clocked_table(dir, &clock, 100)))
		goto out;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		snprintf(name, sizeof(name), "s%zu", i);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (!put_fixture("symfix-stripped", path, 1000000))
			break;
		clock = steps[i].now;
		check_negative(pr_elfsym_lookup_path(t, path), steps[i].what);
		ASSERT_EQ(stats_of(t).negative, steps[i].negative, steps[i].what);
	}
	ASSERT_EQ(stats_of(t).parses, 5, "five different binaries parsed");
out:
	pr_elfsyms_free(t);
	test_rmdir(dir);
}

/* ---- bounded memory ------------------------------------------------------- */

struct probe {
	uint64_t leaf, middle, spin;
};

static bool probes(struct probe *pie, struct probe *nopie, struct probe *cpp)
{
	static const char *const files[] = { "symfix-pie", "symfix-nopie", "cppfix" };
	struct probe *out[] = { pie, nopie, cpp };
	struct elf_view v = { .n = 0 };
	const struct elf_func *f;
	char path[512];
	bool ok = true;
	size_t i;

	for (i = 0; ok && i < 3; i++) {
		fixture_path(path, sizeof(path), files[i]);
		ok = view_open(path, false, &v);
		if (ok && i < 2) {
			ok = (f = view_func(&v, "sf_leaf"));
			out[i]->leaf = ok ? view_foff(&v, f->vaddr) : 0;
			ok = ok && (f = view_func(&v, "sf_middle"));
			out[i]->middle = ok ? view_foff(&v, f->vaddr) : 0;
		} else if (ok) {
			ok = (f = view_func(&v, "_ZN11profrun_fix4spinEdi"));
			out[i]->spin = ok ? view_foff(&v, f->vaddr) : 0;
		}
		view_free(&v);
	}
	return ASSERT_TRUE(ok, "fixture offsets");
}

/* max_bytes 1: every table but the one in use is unloaded, and read again
 * (from the fd it kept) when needed. */
void test_elfsym_budget(void)
{
	struct probe pp, np, cp;
	char path[512];
	struct pr_elfsyms *t = NULL;
	struct pr_elfsym *pie, *nopie, *cpp;
	struct pr_elfsym_stats s;
	int round;

	if (!probes(&pp, &np, &cp) || !(t = new_table("/nonexistent", 1)))
		goto out;
	fixture_path(path, sizeof(path), "symfix-pie");
	pie = pr_elfsym_lookup_path(t, path);
	fixture_path(path, sizeof(path), "symfix-nopie");
	nopie = pr_elfsym_lookup_path(t, path);
	fixture_path(path, sizeof(path), "cppfix");
	cpp = pr_elfsym_lookup_path(t, path);
	if (!ASSERT_TRUE(pie && nopie && cpp, "lookup fixtures"))
		goto out;
	for (round = 0; round < 3; round++) {
		check_resolve(pie, pp.leaf + 3, "sf_leaf", 3, "pie sf_leaf+3");
		check_resolve(nopie, np.middle, "sf_middle", 0, "nopie sf_middle");
		check_resolve(cpp, cp.spin + 1, "profrun_fix::spin(double, int)", 1, "cppfix spin");
		check_resolve(nopie, np.leaf, "sf_leaf", 0, "nopie sf_leaf");
	}
	s = stats_of(t);
	/* every switch to another binary unloads the previous one */
	ASSERT_TRUE(s.unloads >= 8, "tables unloaded");
	ASSERT_EQ(s.parses, s.unloads + 1, "each unloaded table read again");
	ASSERT_TRUE(s.bytes > 0, "bytes of the table in use");
	ASSERT_EQ(pr_elfsym_nsyms(pie) > 0, 1, "pie read again for nsyms");
	ASSERT_EQ(stats_of(t).binaries, 3, "three binaries");
out:
	pr_elfsyms_free(t);
}

/* Child of budget_names_live: exits 0 when the names it got before an
 * unload still read the same after it. M_PERTURB fills freed memory, so a
 * freed name shows without ASan too. */
static void names_live_child(const struct probe *pp, const struct probe *np, const struct probe *cp)
{
	struct pr_elfsyms_opts o = { .debug_dir = "/nonexistent", .max_bytes = 1 };
	const char *leaf = NULL, *spin = NULL;
	struct pr_elfsyms *t = NULL;
	char path[512];
	uint64_t off;
	int bad = 0, fd = open("/dev/null", O_WRONLY);

	/* an ASan report is expected while the bug is there; to see it:
	 * ELFSYM_TEST_STDERR=1 unit_tests -t budget_names_live */
	if (!getenv("ELFSYM_TEST_STDERR"))
		dup2(fd, 2);
	mallopt(M_PERTURB, 0xa5);
	if (pr_elfsyms_new_opts(&o, &t))
		_exit(2);
	fixture_path(path, sizeof(path), "symfix-pie");
	leaf = pr_elfsym_resolve(pr_elfsym_lookup_path(t, path), pp->leaf, &off);
	fixture_path(path, sizeof(path), "cppfix");
	spin = pr_elfsym_resolve(pr_elfsym_lookup_path(t, path), cp->spin, &off);
	/* symfix-pie's table is unloaded now */
	bad |= !leaf || strcmp(leaf, "sf_leaf");
	fixture_path(path, sizeof(path), "symfix-nopie");
	pr_elfsym_resolve(pr_elfsym_lookup_path(t, path), np->leaf, &off);
	/* and cppfix's, with its demangled names */
	bad |= (!spin || strcmp(spin, "profrun_fix::spin(double, int)")) << 1;
	_exit(bad);
}

/* elfsym.h: a resolved name "lives as long as the table"; stacks.c keeps
 * every frame's name of a stack while it resolves the next frames, which
 * may unload the tables of the earlier ones. */
void test_elfsym_budget_names_live(void)
{
	struct probe pp, np, cp;
	int st = 0;
	pid_t pid;

	if (!probes(&pp, &np, &cp))
		return;
	pid = fork();
	if (pid == 0)
		names_live_child(&pp, &np, &cp);
	if (!ASSERT_TRUE(pid > 0, "fork"))
		return;
	waitpid(pid, &st, 0);
	if (!ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			 "names resolved before an unload still valid after it"))
		printf("  a name from pr_elfsym_resolve is freed when max_bytes unloads its table"
		       " (child %s %d: bit 0 the C name, bit 1 the demangled one; under ASan 1 is"
		       " its heap-use-after-free report)\n",
		       WIFEXITED(st) ? "exit" : "signal",
		       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* ---- hostile files --------------------------------------------------------- */

static const char *const all_fixtures[] = {
	"symfix-pie",	    "symfix-nopie",	"libsymfix.so",
	"symfix-uselib",    "symfix-stripped",	"symfix-buildid",
	"symfix-debuglink", "symfix-minidebug", "cppfix",
};

/* What the intact fixture says: its functions, wherever they come from. */
static bool reference_view(const char *name, struct elf_view *v)
{
	char path[512], dbg[700], id[129], ddir[512];

	fixture_path(path, sizeof(path), name);
	*v = (struct elf_view){ .n = 0 };
	if (!strcmp(name, "symfix-stripped"))
		return view_loads_from(path, v);
	if (!strcmp(name, "symfix-minidebug"))
		return view_minidebug(path, v);
	if (!strcmp(name, "symfix-debuglink")) {
		fixture_path(dbg, sizeof(dbg), ".debug/symfix-debuglink.debug");
		return view_split(dbg, path, v);
	}
	if (!strcmp(name, "symfix-buildid")) {
		fixture_path(ddir, sizeof(ddir), "debug");
		if (!build_id_hex(path, id, sizeof(id)))
			return false;
		snprintf(dbg, sizeof(dbg), "%s/.build-id/%.2s/%s.debug", ddir, id, id + 2);
		return view_split(dbg, path, v);
	}
	return view_open(path, false, v);
}

static const char *const sources[] = { "debuginfo",	"debuglink", "symtab",
				       "minidebuginfo", "dynsym",    "none" };

/* Every function's start and middle: NULL or the right name (exact when
 * exact, else any readable string: corrupted string tables name anything). */
static void probe_file(struct pr_elfsyms *t, const char *path, const struct elf_view *ref,
		       bool exact, const char *what)
{
	struct pr_elfsym *b = pr_elfsym_lookup_path(t, path);
	const struct elf_func *f;
	bool known = false;
	const char *name, *src;
	uint64_t foff, off;
	size_t i, k;

	if (!b)
		return;
	src = pr_elfsym_source(b);
	for (i = 0; src && i < sizeof(sources) / sizeof(sources[0]); i++)
		known |= !strcmp(src, sources[i]);
	ASSERT_TRUE(known, what);
	for (i = 0; i < ref->n && i < 40; i++) {
		f = &ref->funcs[i];
		foff = view_foff(ref, f->vaddr);
		for (k = 0; k < 2; k++) {
			name = pr_elfsym_resolve(b, foff + k * (f->size / 2), &off);
			if (!name)
				continue;
			if (!exact || !strncmp(f->name, "_Z", 2) || !strncmp(f->name, "_R", 2)) {
				ASSERT_TRUE(strlen(name) < 65536, what);
				continue;
			}
			if (!ASSERT_STREQ(name, f->name, what))
				printf("  %s at 0x%llx\n", path,
				       (unsigned long long)(foff + k * (f->size / 2)));
		}
	}
	/* offsets no function has: anywhere in the file */
	for (foff = 0; foff < 0x5000; foff += 0x40)
		if ((name = pr_elfsym_resolve(b, foff, &off)))
			ASSERT_TRUE(strlen(name) < 65536, what);
	pr_elfsym_nsyms(b);
}

/* Truncated copies of every fixture: NULL names or the right ones. */
void test_elfsym_truncated(void)
{
	struct elf_view v = { .n = 0 };
	char dir[64] = "", src[512], path[256], what[128], ddir[512], name[96];
	struct pr_elfsyms *t = NULL;
	unsigned char *buf;
	size_t i, k, len, cuts[6];

	fixture_path(ddir, sizeof(ddir), "debug");
	if (!test_mkdtemp(dir) || !(t = new_table(ddir, 0)))
		goto out;
	for (i = 0; i < sizeof(all_fixtures) / sizeof(all_fixtures[0]); i++) {
		fixture_path(src, sizeof(src), all_fixtures[i]);
		if (!ASSERT_TRUE(reference_view(all_fixtures[i], &v), all_fixtures[i]) ||
		    !ASSERT_TRUE((buf = slurp(src, &len)), all_fixtures[i])) {
			view_free(&v);
			continue;
		}
		cuts[0] = 64, cuts[1] = 1000, cuts[2] = 4096, cuts[3] = len / 2;
		cuts[4] = len - 64, cuts[5] = len - 1;
		for (k = 0; k < 6; k++) {
			snprintf(what, sizeof(what), "%s cut at %zu", all_fixtures[i], cuts[k]);
			snprintf(name, sizeof(name), "%s-%zu", all_fixtures[i], cuts[k]);
			if (test_write_file(dir, name, buf, cuts[k], path))
				probe_file(t, path, &v, true, what);
		}
		free(buf);
		view_free(&v);
	}
out:
	pr_elfsyms_free(t);
	test_rmdir(dir);
}

/* Copies with random bytes over the middle, the section headers, the
 * program headers; an empty file, a directory, a memfd: no crash. */
void test_elfsym_corrupted(void)
{
	struct elf_view v = { .n = 0 };
	char dir[64] = "", src[512], path[256], what[128], ddir[512], fdpath[64], name[96];
	struct pr_elfsyms *t = NULL;
	unsigned char *buf;
	size_t i, k, len, at[3], n[3];
	struct pr_elfsym *b;
	uint64_t off;
	int fd;

	fixture_path(ddir, sizeof(ddir), "debug");
	if (!test_mkdtemp(dir) || !(t = new_table(ddir, 0)))
		goto out;
	for (i = 0; i < sizeof(all_fixtures) / sizeof(all_fixtures[0]); i++) {
		fixture_path(src, sizeof(src), all_fixtures[i]);
		if (!reference_view(all_fixtures[i], &v) || !(buf = slurp(src, &len))) {
			ASSERT_TRUE(false, all_fixtures[i]);
			view_free(&v);
			continue;
		}
		at[0] = len / 2 - 256, n[0] = 512; /* the middle */
		at[1] = len - 1024, n[1] = 1024;   /* section headers, usually */
		at[2] = 64, n[2] = 56 * 4;	   /* program headers */
		for (k = 0; k < 3; k++) {
			unsigned char *copy = malloc(len);

			if (!copy)
				break;
			memcpy(copy, buf, len);
			fill_random(copy + at[k], n[k], 0x5EED0000ull + i * 16 + k);
			snprintf(what, sizeof(what), "%s, random at %zu", all_fixtures[i], at[k]);
			snprintf(name, sizeof(name), "%s-rnd%zu", all_fixtures[i], k);
			if (test_write_file(dir, name, copy, len, path))
				probe_file(t, path, &v, false, what);
			free(copy);
		}
		free(buf);
		view_free(&v);
	}
	if (test_write_file(dir, "empty", "", 0, path))
		check_no_symbols(t, path, "empty file");
	ASSERT_NULL(pr_elfsym_lookup_path(t, dir), "a directory");
	/* the fuzzer's way in: a memfd through /proc/self/fd */
	fixture_path(src, sizeof(src), "symfix-pie");
	fd = memfd_create("elfsym-test", MFD_CLOEXEC);
	if (ASSERT_TRUE(fd >= 0, "memfd_create") && (buf = slurp(src, &len))) {
		if (ASSERT_EQ(write(fd, buf, len), (ssize_t)len, "write memfd") &&
		    ASSERT_TRUE(view_open(src, false, &v), "symfix-pie")) {
			snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
			b = pr_elfsym_lookup_path(t, fdpath);
			if (ASSERT_TRUE(b, "memfd"))
				check_named(b, &v, "sf_leaf", "sf_leaf");
			ASSERT_NULL(pr_elfsym_lookup_path(t, "/proc/self/fd/999999"), "no such fd");
		}
		free(buf);
		view_free(&v);
	}
	if (fd >= 0)
		close(fd);
	(void)off;
out:
	pr_elfsyms_free(t);
	test_rmdir(dir);
}

/* fn(arg) in a child that has secs seconds: false when it hangs or dies. */
static bool returns_in_time(void (*fn)(const char *), const char *arg, unsigned secs)
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		alarm(secs);
		fn(arg);
		_exit(0);
	}
	if (!ASSERT_TRUE(pid > 0, "fork"))
		return false;
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		printf("  still blocked after %us\n", secs);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void source_of(const char *path)
{
	struct pr_elfsyms *t = new_table(path, 0);
	struct pr_elfsym *b = t ? pr_elfsym_lookup_path(t, path) : NULL;

	if (b)
		pr_elfsym_source(b);
}

/* The binary's directory belongs to whoever made the binary: a FIFO
 * named by its .gnu_debuglink must not hang the profiler. */
void test_elfsym_debuglink_fifo(void)
{
	char dir[64] = "", path[256], fifo[256];

	if (!test_mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/prog", dir);
	snprintf(fifo, sizeof(fifo), "%s/symfix-debuglink.debug", dir);
	if (put_fixture("symfix-debuglink", path, 1000000) &&
	    ASSERT_OK(mkfifo(fifo, 0644), "mkfifo"))
		ASSERT_TRUE(
			returns_in_time(source_of, path, 2),
			"debuglink naming a FIFO: open() must not block (O_NONBLOCK or S_ISREG)");
	test_rmdir(dir);
}

static struct stat fifo_victim;

static void lookup_victim(const char *path)
{
	struct pr_elfsyms *t = new_table(path, 0);

	if (t && pr_elfsym_lookup(t, fifo_victim.st_dev, fifo_victim.st_ino, path, path))
		_exit(3); /* a FIFO is not the binary */
}

/* maps.c falls back to /proc/PID/root/PATH: the process can put a FIFO at
 * PATH after mapping the binary that was there. */
void test_elfsym_lookup_fifo(void)
{
	char dir[64] = "", path[256];

	if (!test_mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/bin", dir);
	if (put_fixture("symfix-pie", path, 1000000) &&
	    ASSERT_OK(stat(path, &fifo_victim), "stat") && ASSERT_OK(unlink(path), "unlink") &&
	    ASSERT_OK(mkfifo(path, 0644), "mkfifo"))
		ASSERT_TRUE(returns_in_time(lookup_victim, path, 2),
			    "lookup of a path now a FIFO: NULL without blocking");
	test_rmdir(dir);
}

/* A known binary whose path now names another file (upgraded by rename,
 * the old one deleted but still mapped and still open in the table): the
 * cached entry is the binary with that identity. */
void test_elfsym_lookup_path_replaced(void)
{
	struct elf_view v = { .n = 0 };
	char dir[64] = "", path[256], other[256], pie[512];
	struct pr_elfsyms *t = NULL;
	struct pr_elfsym *a, *b;
	struct stat st;

	fixture_path(pie, sizeof(pie), "symfix-pie");
	if (!test_mkdtemp(dir) || !(t = new_table(dir, 0)) || !view_open(pie, false, &v))
		goto out;
	snprintf(path, sizeof(path), "%s/bin", dir);
	snprintf(other, sizeof(other), "%s/bin.new", dir);
	if (!put_fixture("symfix-pie", path, 1000000) || !ASSERT_OK(stat(path, &st), "stat"))
		goto out;
	a = pr_elfsym_lookup(t, st.st_dev, st.st_ino, path, path);
	if (!ASSERT_TRUE(a, "lookup"))
		goto out;
	if (put_fixture("symfix-nopie", other, 1000001) &&
	    ASSERT_OK(rename(other, path), "rename")) {
		b = pr_elfsym_lookup(t, st.st_dev, st.st_ino, path, path);
		ASSERT_EQ(b, a, "known identity, path now another file: the cached entry");
		if (b)
			check_named(b, &v, "sf_leaf", "sf_leaf");
	}
out:
	pr_elfsyms_free(t);
	view_free(&v);
	test_rmdir(dir);
}

/* A .symtab names versioned definitions "vfunc@@VERS_2" and
 * "vfunc@VERS_1" (glibc's own are like that): both show as vfunc. The
 * library is built here, with a version script. */
void test_elfsym_symbol_versions(void)
{
	static const char src[] = "__attribute__((noinline)) int vf_old(int x) { return x + 1; }\n"
				  "__attribute__((noinline)) int vf_new(int x) { return x + 2; }\n"
				  "__asm__(\".symver vf_old, vfunc@VERS_1\");\n"
				  "__asm__(\".symver vf_new, vfunc@@VERS_2\");\n";
	static const char map[] = "VERS_1 { global: vfunc; local: *; };\n"
				  "VERS_2 { global: vfunc; } VERS_1;\n";
	static const char *const versioned[] = { "vfunc@VERS_1", "vfunc@@VERS_2" };
	struct elf_view v = { .n = 0 };
	struct pr_elfsyms *t = NULL;
	struct pr_elfsym *b;
	char dir[64] = "", c[256], m[256], cmd[1024], lib[300];
	size_t i;

	if (!ASSERT_TRUE(test_mkdtemp(dir), "tmpdir") ||
	    !ASSERT_TRUE(test_write_file(dir, "v.c", src, sizeof(src) - 1, c), "v.c") ||
	    !ASSERT_TRUE(test_write_file(dir, "v.map", map, sizeof(map) - 1, m), "v.map"))
		goto out;
	snprintf(lib, sizeof(lib), "%s/libv.so", dir);
	snprintf(cmd, sizeof(cmd), "cc -O1 -shared -fPIC -Wl,--version-script=%s -o %s %s", m, lib,
		 c);
	if (!ASSERT_OK(system(cmd), "cc -shared with a version script") ||
	    !ASSERT_TRUE(view_open(lib, false, &v), "libv.so .symtab") || !(t = new_table(dir, 0)))
		goto out;
	b = pr_elfsym_lookup_path(t, lib);
	if (!ASSERT_TRUE(b, "lookup_path libv.so"))
		goto out;
	for (i = 0; i < 2; i++)
		check_named(b, &v, versioned[i], "vfunc");
out:
	pr_elfsyms_free(t);
	view_free(&v);
	if (dir[0])
		test_rmdir(dir);
}

/* Unwind tables have a budget of their own: past it the least recently
 * used are dropped (counted), built again on their next use, and the rows
 * read then are the rows read before. libc's and python's tables are each
 * past a 64 KiB budget, so every switch between them drops the other. */
void test_elfsym_cfi_budget(void)
{
	struct pr_elfsyms_opts o = { .debug_dir = "/nonexistent", .max_cfi_bytes = 64 * 1024 };
	const char *paths[] = { "/lib/x86_64-linux-gnu/libc.so.6", "/usr/bin/python3.11" };
	struct pr_cfi_row before[2], after;
	struct pr_elfsym *bin[2];
	struct pr_elfsyms *t = NULL;
	uint64_t foff[2];
	struct pr_elfsym_stats s;
	int i, round;

	if (access(paths[0], R_OK) || access(paths[1], R_OK)) {
		test__skip("needs libc.so.6 and python3.11");
		return;
	}
	if (!ASSERT_OK(pr_elfsyms_new_opts(&o, &t), "elfsyms_new_opts"))
		goto out;
	for (i = 0; i < 2; i++) {
		bin[i] = pr_elfsym_lookup_path(t, paths[i]);
		if (!ASSERT_TRUE(bin[i] != NULL, paths[i]))
			goto out;
		for (foff[i] = 0x30000; foff[i] < 0x80000; foff[i] += 0x40)
			if (pr_elfsym_cfi_row(bin[i], foff[i], &before[i]) == 1)
				break;
		if (!ASSERT_TRUE(foff[i] < 0x80000, "a row in the text"))
			goto out;
	}
	for (round = 0; round < 3; round++)
		for (i = 0; i < 2; i++) {
			ASSERT_EQ(pr_elfsym_cfi_row(bin[i], foff[i], &after), 1, "the row again");
			ASSERT_TRUE(!memcmp(&after, &before[i], sizeof(after)), "the same row");
		}
	s = stats_of(t);
	ASSERT_EQ(s.cfi_budget, 64 * 1024, "the budget in stats");
	/* libc, python, then 6 switches: each drops the other table */
	ASSERT_EQ(s.cfi_evictions, 7, "tables dropped");
	ASSERT_EQ(s.cfi_tables, 8, "each dropped table built again on its next use");
	ASSERT_TRUE(s.cfi_bytes < 1536 * 1024, "one table held at a time");
	ASSERT_EQ(s.unloads, 0, "symbols untouched");
out:
	pr_elfsyms_free(t);
}

static int find_eval(void *ctx, const char *name, uint64_t foff, uint64_t size)
{
	(void)size;
	if (strcmp(name, "_PyEval_EvalFrameDefault"))
		return 0;
	*(uint64_t *)ctx = foff;
	return 1;
}

/* Decompressed DWARF has a budget: python3.11's debuginfo (python3.11-dbg,
 * compressed sections) opens, gives lines, is closed at the next request
 * when over the budget, and opens again when asked. */
void test_elfsym_dwarf_budget(void)
{
	struct pr_elfsyms_opts o = { .max_dwarf_bytes = 1 };
	const struct pr_elfsym_line *l;
	struct pr_elfsyms *t = NULL;
	struct pr_elfsym *b;
	uint64_t foff = 0, off;
	const char *name;
	int n;

	if (!ASSERT_OK(pr_elfsyms_new_opts(&o, &t), "new"))
		return;
	b = pr_elfsym_lookup_path(t, "/usr/bin/python3.11");
	if (!ASSERT_TRUE(b, "python3.11 (scripts/install-deps.sh installs it)"))
		goto out;
	/* an address inside the eval loop */
	if (!ASSERT_TRUE(pr_elfsym_each_function(b, find_eval, &foff) > 0, "_PyEval_EvalFrameDefault"))
		goto out;
	foff += 0x40;
	name = pr_elfsym_resolve(b, foff, &off);
	ASSERT_STREQ(name, "_PyEval_EvalFrameDefault", "name");
	n = pr_elfsym_lines(b, foff, &l);
	if (!ASSERT_TRUE(n >= 1, "lines from python3.11-dbg's debuginfo"))
		goto out;
	ASSERT_TRUE(l[n - 1].file && strstr(l[n - 1].file, "ceval.c"), "in ceval.c");
	ASSERT_TRUE(stats_of(t).dwarf_bytes > (1u << 20), "its decompressed size counted");
	pr_elfsyms_release(t);
	ASSERT_EQ(stats_of(t).dwarf_evictions, 1, "closed at the next request, over the budget");
	ASSERT_EQ(stats_of(t).dwarf_bytes, 0, "nothing held after");
	n = pr_elfsym_lines(b, foff, &l);
	ASSERT_TRUE(n >= 1 && l[n - 1].file && strstr(l[n - 1].file, "ceval.c"), "opened again when asked");
out:
	pr_elfsyms_free(t);
}
