// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Symbol tables for user binaries. Each binary (device + inode) gets one
 * entry holding an open fd (so a deleted file or one in another mount
 * namespace stays readable), the file's size and mtime, and, once read, a
 * sorted array of function symbols with one string pool. Addresses arrive
 * as file offsets (see maps.c) and are turned into link-time virtual
 * addresses through the binary's own PT_LOAD headers, which is right for
 * PIE, non-PIE and shared libraries alike, without guessing a load bias;
 * separate debuginfo files share those link-time addresses.
 *
 * Sources, best first: debuginfo by build-id, debuginfo by .gnu_debuglink
 * (the build-id, when both have one, must match; no file is ever hashed),
 * the binary's .symtab, MiniDebugInfo (an xz-compressed ELF in
 * .gnu_debugdata holding the local symbols .dynsym lacks) merged with
 * .dynsym, and .dynsym alone. Names are demangled on first resolve.
 *
 * A binary with no function symbols at all goes into the negative cache:
 * (dev, ino) -> (size, mtime, expiry). A new entry for that inode checks
 * it before parsing anything, so such a binary is parsed once per TTL
 * however often it is replaced in the table; expired negatives are swept
 * on insertion, at most once per TTL. Symbol memory is bounded: past
 * max_bytes the least recently used tables are unloaded (their fds stay,
 * so they can be read again).
 *
 * Every file here may belong to another user: libelf bounds-checks the
 * ELF structures, every offset and size taken from the file is checked
 * against the data it points into, and a file that does not parse simply
 * has no symbols.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "array.h"
#include "dwarfcache.h"
#include "elfsym_int.h"

static const char *const source_names[] = {
	[SRC_NONE] = "none",	 [SRC_DEBUGINFO] = "debuginfo",	    [SRC_DEBUGLINK] = "debuglink",
	[SRC_SYMTAB] = "symtab", [SRC_MINIDEBUG] = "minidebuginfo", [SRC_DYNSYM] = "dynsym",
	[SRC_DEBUGINFOD] = "debuginfod",
};

static uint64_t mono_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int pr_elfsyms_new_opts(const struct pr_elfsyms_opts *o, struct pr_elfsyms **out)
{
	struct pr_elfsyms *t = calloc(1, sizeof(*t));
	const char *dd = o->debug_dir ? o->debug_dir : getenv("PROFRUN_DEBUG_DIR");

	if (!t)
		return -ENOMEM;
	elf_version(EV_CURRENT);
	t->debug_dir = strdup(dd && *dd ? dd : "/usr/lib/debug");
	if (!t->debug_dir) {
		free(t);
		return -ENOMEM;
	}
	t->ttl = o->negative_ttl_ns ? o->negative_ttl_ns : 600ull * 1000000000ull;
	t->max_bytes = o->max_bytes ? o->max_bytes : 64ull << 20;
	t->max_cfi_bytes = o->max_cfi_bytes ? o->max_cfi_bytes : PR_ELFSYM_CFI_BUDGET;
	t->max_dwarf_bytes = o->max_dwarf_bytes ? o->max_dwarf_bytes : PR_ELFSYM_DWARF_BUDGET;
	t->now = o->now ? o->now : mono_now;
	t->now_ctx = o->now_ctx;
	*out = t;
	return 0;
}

int pr_elfsyms_new(struct pr_elfsyms **out)
{
	struct pr_elfsyms_opts o = { 0 };

	return pr_elfsyms_new_opts(&o, out);
}

static void bury(struct pr_elfsyms *t, struct pr_elfsym *b)
{
	struct grave *g = calloc(1, sizeof(*g));
	size_t i;

	if (!g) {
		/* no memory to defer the free: the names go now */
		for (i = 0; i < b->ndemangled; i++)
			free(b->demangled[i]);
		free(b->demangled);
		free(b->names.buf);
		return;
	}
	*g = (struct grave){ .pool = b->names.buf,
			     .demangled = b->demangled,
			     .ndemangled = b->ndemangled,
			     .next = t->graves };
	t->graves = g;
}

void pr_elfsyms_release(struct pr_elfsyms *t)
{
	struct grave *g, *next;
	size_t i;

	pr_elfsym_dwarf_budget(t);
	for (g = t->graves; g; g = next) {
		next = g->next;
		for (i = 0; i < g->ndemangled; i++)
			free(g->demangled[i]);
		free(g->demangled);
		free(g->pool);
		free(g);
	}
	t->graves = NULL;
}

/* Drops the unwind rows; the next pr_elfsym_cfi_row builds them again. */
static void unload_cfi(struct pr_elfsym *b)
{
	if (b->table)
		b->table->cfi_bytes -= pr_cfi_packed_bytes(&b->cfi);
	pr_cfi_packed_free(&b->cfi);
	b->cfi_loaded = false;
}

static void unload(struct pr_elfsym *b)
{
	struct pr_elfsyms *t = b->table;
	size_t i;

	if (t) {
		bury(t, b);
	} else {
		for (i = 0; i < b->ndemangled; i++)
			free(b->demangled[i]);
		free(b->demangled);
		free(b->names.buf);
	}
	free(b->syms);
	free(b->segs);
	free(b->funcs);
	free(b->func_names);
	b->funcs = NULL;
	b->func_names = NULL;
	b->nfuncs = 0;
	b->funcs_loaded = false;
	pr_elfsym_dwarf_unload(b);
	unload_cfi(b);
	b->demangled = NULL;
	b->ndemangled = 0;
	b->syms = NULL;
	b->names.buf = NULL;
	b->segs = NULL;
	b->nsyms = b->nsegs = b->names.len = b->names.cap = 0;
	if (b->table)
		b->table->bytes -= b->bytes;
	b->bytes = 0;
	b->loaded = false;
}

static void bin_free(struct pr_elfsym *b)
{
	unload(b);
	pr_elfsym_dwarf_free(b);
	if (b->fd >= 0)
		close(b->fd);
	free(b->name);
	free(b);
}

void pr_elfsyms_free(struct pr_elfsyms *t)
{
	struct pr_elfsym *b, *next;
	struct negative *n, *nn;
	size_t i;

	if (!t)
		return;
	pr_elfsym_dwarf_stop(t);
	for (b = t->all; b; b = next) {
		next = b->all_next;
		bin_free(b);
	}
	pr_elfsyms_release(t);
	pr_dwarfcache_free(t->dwarf_cache);
	for (i = 0; i < NBUCKETS; i++) {
		for (n = t->neg[i]; n; n = nn) {
			nn = n->next;
			free(n);
		}
	}
	free(t->debug_dir);
	free(t);
}

static size_t bucket_of(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev;

	return (h >> 32) % NBUCKETS;
}

static bool same_file(const struct stat *st, off_t size, const struct timespec *mtime)
{
	return st->st_size == size && st->st_mtim.tv_sec == mtime->tv_sec &&
	       st->st_mtim.tv_nsec == mtime->tv_nsec;
}

/* ---- negative cache -------------------------------------------------- */

static struct negative *neg_find(struct pr_elfsyms *t, dev_t dev, ino_t ino)
{
	struct negative *n;

	for (n = t->neg[bucket_of(dev, ino)]; n; n = n->next)
		if (n->dev == dev && n->ino == ino)
			return n;
	return NULL;
}

static void neg_remove(struct pr_elfsyms *t, struct negative *victim)
{
	struct negative **pp;

	for (pp = &t->neg[bucket_of(victim->dev, victim->ino)]; *pp; pp = &(*pp)->next) {
		if (*pp == victim) {
			*pp = victim->next;
			free(victim);
			t->nneg--;
			return;
		}
	}
}

/* Drops expired negatives; runs at most once per TTL. */
static void neg_sweep(struct pr_elfsyms *t, uint64_t now)
{
	struct negative **pp, *n;
	size_t i;

	if (t->last_sweep && now - t->last_sweep < t->ttl)
		return;
	t->last_sweep = now;
	for (i = 0; i < NBUCKETS; i++) {
		for (pp = &t->neg[i]; (n = *pp);) {
			if (n->expires > now) {
				pp = &n->next;
				continue;
			}
			*pp = n->next;
			free(n);
			t->nneg--;
		}
	}
}

static void neg_insert(struct pr_elfsyms *t, const struct pr_elfsym *b)
{
	uint64_t now = t->now(t->now_ctx);
	struct negative *n;
	size_t k;

	neg_sweep(t, now);
	n = neg_find(t, b->dev, b->ino);
	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n)
			return;
		k = bucket_of(b->dev, b->ino);
		n->next = t->neg[k];
		t->neg[k] = n;
		t->nneg++;
	}
	n->dev = b->dev;
	n->ino = b->ino;
	n->size = b->size;
	n->mtime = b->mtime;
	n->expires = now + t->ttl;
}

/* True when the binary is known to have nothing to symbolize. */
static bool neg_says_empty(struct pr_elfsyms *t, const struct pr_elfsym *b)
{
	struct negative *n = neg_find(t, b->dev, b->ino);

	if (!n)
		return false;
	if (n->size != b->size || n->mtime.tv_sec != b->mtime.tv_sec ||
	    n->mtime.tv_nsec != b->mtime.tv_nsec || n->expires <= t->now(t->now_ctx)) {
		neg_remove(t, n);
		return false;
	}
	return true;
}

/* ---- the table of binaries --------------------------------------------- */

static struct pr_elfsym *find(struct pr_elfsyms *t, dev_t dev, ino_t ino)
{
	struct pr_elfsym *b;

	for (b = t->buckets[bucket_of(dev, ino)]; b; b = b->next)
		if (b->dev == dev && b->ino == ino)
			return b;
	return NULL;
}

/* Takes the entry out of the lookup table; it stays alive (stacks may
 * point at it) until the table is freed. */
static void retire(struct pr_elfsyms *t, struct pr_elfsym *victim)
{
	struct pr_elfsym **pp;

	for (pp = &t->buckets[bucket_of(victim->dev, victim->ino)]; *pp; pp = &(*pp)->next) {
		if (*pp == victim) {
			*pp = victim->next;
			t->count--;
			return;
		}
	}
}

/* A binary seen in a stack for the first time, with no debuginfo here:
 * the servers are asked now, while the run goes on, not when its names
 * are first wanted (often on_end, when there is no time left to fetch). */
static void ask_debuginfod(struct pr_elfsym *b)
{
	Elf *elf = elf_begin(b->fd, ELF_C_READ_MMAP, NULL);
	struct elf_file f;

	if (elf && elf_kind(elf) == ELF_K_ELF &&
	    pr_elfsym_find_debuginfo(b, elf, &f) != SRC_NONE)
		pr_elfsym_close_elf(&f);
	elf_end(elf);
}

static struct pr_elfsym *insert(struct pr_elfsyms *t, const struct stat *st, int fd,
				const char *name)
{
	struct pr_elfsym *b = calloc(1, sizeof(*b));
	size_t k = bucket_of(st->st_dev, st->st_ino);

	if (!b || !(b->name = strdup(name))) {
		free(b);
		close(fd);
		return NULL;
	}
	b->table = t;
	b->dev = st->st_dev;
	b->ino = st->st_ino;
	b->size = st->st_size;
	b->mtime = st->st_mtim;
	b->fd = fd;
	b->next = t->buckets[k];
	t->buckets[k] = b;
	b->all_next = t->all;
	t->all = b;
	t->count++;
	if (t->debuginfod)
		ask_debuginfod(b);
	return b;
}

/* The cached entry if it is still this file, else a new one for fd. */
static struct pr_elfsym *adopt(struct pr_elfsyms *t, dev_t dev, int fd, const char *name)
{
	struct pr_elfsym *b;
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	/* maps name the device as the mount shows it; key by that one */
	if (dev)
		st.st_dev = dev;
	b = find(t, st.st_dev, st.st_ino);
	if (b && same_file(&st, b->size, &b->mtime)) {
		close(fd);
		return b;
	}
	if (b)
		retire(t, b); /* replaced in place: read it again */
	return insert(t, &st, fd, name);
}

struct pr_elfsym *pr_elfsym_lookup(struct pr_elfsyms *t, dev_t dev, ino_t ino,
				   const char *open_path, const char *name)
{
	struct pr_elfsym *b = find(t, dev, ino);
	struct stat st;
	int fd;

	/* a stat (no open) is enough to see the cached entry still holds; when
	 * the path is gone (the process exited) or names another file now (an
	 * upgrade renamed over it) the cached entry, whose fd holds the very
	 * inode, is all there is */
	if (b && (stat(open_path, &st) || st.st_ino != ino || same_file(&st, b->size, &b->mtime)))
		return b;
	/* O_NONBLOCK: a path a process controls may name a FIFO by now */
	fd = open(open_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	/* a path (not a map_files link) may name a file replaced since */
	if (fstat(fd, &st) || st.st_ino != ino) {
		close(fd);
		return NULL;
	}
	return adopt(t, dev, fd, name);
}

/* Our [vdso] range, from /proc/self/maps. */
static bool own_vdso(uint64_t *start, uint64_t *len)
{
	unsigned long long a = 0, b = 0;
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "[vdso]") && sscanf(line, "%llx-%llx", &a, &b) == 2 && b > a;
	fclose(f);
	*start = a;
	*len = b - a;
	return found;
}

struct pr_elfsym *pr_elfsyms_vdso(struct pr_elfsyms *t)
{
	uint64_t start, len;
	int fd;

	if (t->vdso_tried)
		return t->vdso;
	t->vdso_tried = true;
	/* a memfd holds the image, so the vDSO is a binary like any other:
	 * the same symbol and unwind table code reads it */
	if (!own_vdso(&start, &len) || len > (1u << 20))
		return NULL;
	fd = memfd_create("vdso", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (write(fd, (const void *)(uintptr_t)start, len) != (ssize_t)len) {
		close(fd);
		return NULL;
	}
	t->vdso = adopt(t, 0, fd, "[vdso]");
	return t->vdso;
}

struct pr_elfsym *pr_elfsym_lookup_path(struct pr_elfsyms *t, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	return adopt(t, 0, fd, path);
}

/* Symbols have one budget (max_bytes), unwind rows another
 * (max_cfi_bytes): a long run unwinds through many large libraries whose
 * names it may never ask for, and rows for those used to be held for good. */
static void account(struct pr_elfsym *b)
{
	uint64_t now = b->nsyms * sizeof(struct sym) + b->names.cap +
		       b->nsegs * sizeof(struct seg) +
		       b->nfuncs * (sizeof(*b->funcs) + sizeof(*b->func_names));

	b->table->bytes = b->table->bytes - b->bytes + now;
	b->bytes = now;
}

/* Unloads least recently used tables until the budget holds again. */
static void enforce_budget(struct pr_elfsyms *t, const struct pr_elfsym *keep)
{
	struct pr_elfsym *b, *lru;

	while (t->bytes > t->max_bytes) {
		lru = NULL;
		for (b = t->all; b; b = b->all_next)
			if (b != keep && b->loaded && b->bytes &&
			    (!lru || b->last_use < lru->last_use))
				lru = b;
		if (!lru)
			return;
		unload(lru);
		t->unloads++;
	}
}

static void load(struct pr_elfsym *b)
{
	struct pr_elfsyms *t = b->table;
	Elf *elf;

	b->loaded = true;
	if (b->fd < 0 || neg_says_empty(t, b))
		return;
	t->parses++;
	elf = elf_begin(b->fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF) {
		if (pr_elfsym_read_segments(elf, b) || pr_elfsym_read_symbols(elf, b))
			b->nsyms = 0;
	}
	elf_end(elf);
	if (b->nsyms) {
		qsort(b->syms, b->nsyms, sizeof(*b->syms), pr_elfsym_cmp_sym);
	} else {
		b->source = SRC_NONE;
		neg_insert(t, b);
	}
	account(b);
	enforce_budget(t, b);
}

/* Drops the least recently used unwind tables until their budget holds
 * again; keep (the table just built) stays even when it alone is larger. */
static void enforce_cfi_budget(struct pr_elfsyms *t, const struct pr_elfsym *keep)
{
	struct pr_elfsym *b, *lru;

	while (t->cfi_bytes > t->max_cfi_bytes) {
		lru = NULL;
		for (b = t->all; b; b = b->all_next)
			if (b != keep && b->cfi.n && (!lru || b->cfi_last_use < lru->cfi_last_use))
				lru = b;
		if (!lru)
			return;
		unload_cfi(lru);
		t->cfi_evictions++;
	}
}

/* Unwind rows from .eh_frame, else .debug_frame, else the debuginfo's
 * .debug_frame (opened only then: most binaries never need it). */
static void load_cfi(struct pr_elfsym *b)
{
	struct pr_elfsyms *t = b->table;
	struct pr_cfi_table rows = { 0 };
	struct elf_file dbg;
	Elf *elf;

	b->cfi_loaded = true;
	if (b->fd < 0 || b->cfi_none)
		return;
	elf = elf_begin(b->fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF) {
		pr_cfi_build_elf(elf, NULL, &rows, NULL);
		if (rows.n == 0 && pr_elfsym_find_debuginfo(b, elf, &dbg) != SRC_NONE) {
			pr_cfi_build_elf(elf, dbg.elf, &rows, NULL);
			pr_elfsym_close_elf(&dbg);
		}
	}
	elf_end(elf);
	t->cfi_builds++;
	/* kept packed; without memory for that, as without memory to build
	 * them, the binary has no rows */
	pr_cfi_pack(&rows, &b->cfi);
	pr_cfi_free(&rows);
	if (b->cfi.n == 0) {
		b->cfi_none = true;
		t->cfi_none++;
		return;
	}
	t->cfi_bytes += pr_cfi_packed_bytes(&b->cfi);
	b->cfi_last_use = ++t->use_clock;
	enforce_cfi_budget(t, b);
}

int pr_elfsym_cfi_row(struct pr_elfsym *b, uint64_t foff, struct pr_cfi_row *row)
{
	if (!b->cfi_loaded)
		load_cfi(b);
	b->cfi_last_use = ++b->table->use_clock;
	return pr_cfi_packed_find(&b->cfi, foff, row) ? 1 : 0;
}

const struct pr_cfi_packed *pr_elfsym_cfi_table(struct pr_elfsym *b)
{
	if (!b->cfi_loaded)
		load_cfi(b);
	b->cfi_last_use = ++b->table->use_clock;
	return &b->cfi;
}

static bool foff_to_vaddr(const struct pr_elfsym *b, uint64_t foff, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; i < b->nsegs; i++) {
		const struct seg *s = &b->segs[i];

		if (foff >= s->off && foff < s->off + s->filesz) {
			*vaddr = foff - s->off + s->vaddr;
			return true;
		}
	}
	return false;
}

/* When debuginfod answered for b since it asked, a file it fetched makes
 * b read again (names, then lines), from that file. */
static void debuginfod_answer(struct pr_elfsym *b)
{
	struct pr_debuginfod *di = b->table->debuginfod;
	struct negative *n;
	const char *path;
	uint64_t gen = pr_debuginfod_generation(di);
	int state;

	if (gen == b->di_generation)
		return;
	b->di_generation = gen;
	state = pr_debuginfod_find(di, b->build_id, &path);
	if (state == PR_DI_PENDING)
		return;
	b->di_pending = false;
	if (state != PR_DI_FOUND)
		return;
	n = neg_find(b->table, b->dev, b->ino);
	if (n)
		neg_remove(b->table, n);
	unload(b);
	pr_elfsym_dwarf_free(b);
}

/* The FDE that holds foff, named "binary+0xSTART" (START its file
 * offset): a stripped binary's functions are still told apart by the
 * unwind info every x86-64 binary carries. */
static const char *range_name(struct pr_elfsym *b, uint64_t foff, uint64_t *off)
{
	const char *base = strrchr(b->name, '/');
	struct pr_cfi_func *f;
	char *name;
	long i;

	if (!b->funcs_loaded) {
		Elf *elf = b->fd < 0 ? NULL : elf_begin(b->fd, ELF_C_READ_MMAP, NULL);

		b->funcs_loaded = true;
		if (elf && elf_kind(elf) == ELF_K_ELF &&
		    !pr_cfi_functions_elf(elf, &b->funcs, &b->nfuncs) && b->nfuncs &&
		    !(b->func_names = calloc(b->nfuncs, sizeof(*b->func_names)))) {
			free(b->funcs);
			b->funcs = NULL;
			b->nfuncs = 0;
		}
		elf_end(elf);
		account(b);
		enforce_budget(b->table, b);
	}
	i = PR_ARRAY_LAST_LE(b->funcs, b->nfuncs, start, foff);
	if (i < 0 || foff >= b->funcs[i].end)
		return NULL;
	f = &b->funcs[i];
	if (!b->func_names[i]) {
		if (asprintf(&name, "%s+0x%x", base ? base + 1 : b->name, f->start) < 0)
			return NULL;
		b->func_names[i] = pr_elfsym_keep_name(b, name);
		if (!b->func_names[i])
			return NULL;
	}
	*off = foff - f->start;
	b->table->ranges++;
	return b->demangled[b->func_names[i] - 1];
}

const char *pr_elfsym_resolve(struct pr_elfsym *b, uint64_t foff, uint64_t *off)
{
	struct pr_elfsyms *t = b->table;
	const char *name;
	struct sym *s;
	uint64_t va;
	long lo;

	if (b->di_pending)
		debuginfod_answer(b);
	if (!b->loaded)
		load(b);
	b->last_use = ++t->use_clock;
	if (!foff_to_vaddr(b, foff, &va))
		goto miss;
	lo = PR_ARRAY_LAST_LE(b->syms, b->nsyms, addr, va);
	if (lo < 0)
		goto miss;
	/* aliases at one address sort sized-first: take the first of them */
	while (lo > 0 && b->syms[lo - 1].addr == b->syms[lo].addr)
		lo--;
	s = &b->syms[lo];
	/* a sized symbol covers only its size; an unsized one up to the next */
	if (s->size && va >= s->addr + s->size)
		goto miss;
	*off = va - s->addr;
	t->hits++;
	return pr_elfsym_display_name(b, s);
miss:
	t->misses++;
	name = range_name(b, foff, off);
	return name;
}

int pr_elfsym_lines(struct pr_elfsym *b, uint64_t foff, const struct pr_elfsym_line **out)
{
	uint64_t va;

	if (b->table->no_lines)
		return 0;
	if (b->di_pending)
		debuginfod_answer(b);
	if (!b->loaded)
		load(b);
	if (!foff_to_vaddr(b, foff, &va))
		return 0;
	return pr_elfsym_dwarf_lines(b, foff, va, out);
}

static bool vaddr_to_foff(const struct pr_elfsym *b, uint64_t vaddr, uint64_t *foff)
{
	size_t i;

	for (i = 0; i < b->nsegs; i++) {
		const struct seg *s = &b->segs[i];

		if (vaddr >= s->vaddr && vaddr < s->vaddr + s->filesz) {
			*foff = vaddr - s->vaddr + s->off;
			return true;
		}
	}
	return false;
}

int pr_elfsym_each_function(struct pr_elfsym *b,
			    int (*fn)(void *ctx, const char *name, uint64_t foff, uint64_t size),
			    void *ctx)
{
	uint64_t foff;
	size_t i;
	int r;

	if (!b->loaded)
		load(b);
	b->last_use = ++b->table->use_clock;
	for (i = 0; i < b->nsyms; i++) {
		struct sym *s = &b->syms[i];

		if (!vaddr_to_foff(b, s->addr, &foff))
			continue;
		r = fn(ctx, pr_elfsym_display_name(b, s), foff, s->size);
		if (r)
			return r;
	}
	return 0;
}

const char *pr_elfsym_name(const struct pr_elfsym *b)
{
	return b->name;
}

const char *pr_elfsym_source(struct pr_elfsym *b)
{
	if (!b->loaded)
		load(b);
	return source_names[b->source];
}

uint64_t pr_elfsyms_count(const struct pr_elfsyms *t)
{
	return t->count;
}

uint64_t pr_elfsym_nsyms(struct pr_elfsym *b)
{
	if (!b->loaded)
		load(b);
	return b->nsyms;
}

void pr_elfsyms_stats(const struct pr_elfsyms *t, struct pr_elfsym_stats *out)
{
	*out = (struct pr_elfsym_stats){
		.binaries = t->count,
		.negative = t->nneg,
		.parses = t->parses,
		.hits = t->hits,
		.misses = t->misses,
		.bytes = t->bytes,
		.unloads = t->unloads,
		.cfi_tables = t->cfi_builds,
		.cfi_none = t->cfi_none,
		.cfi_bytes = t->cfi_bytes,
		.cfi_evictions = t->cfi_evictions,
		.cfi_budget = t->max_cfi_bytes,
		.dwarf_bytes = t->dwarf_bytes,
		.dwarf_evictions = t->dwarf_evictions,
		.ranges = t->ranges,
		.lines = t->lines,
		.inlined = t->inlined,
	};
	if (t->dwarf_cache) {
		struct pr_dwarfcache_stats c;

		pr_dwarfcache_stats(t->dwarf_cache, &c);
		out->dwarf_cache_hits = c.hits;
		out->dwarf_cache_builds = c.builds;
		out->dwarf_cache_refused = c.refused;
		out->dwarf_cache_rebuilds = c.rebuilds;
		out->dwarf_cache_pruned = c.pruned;
	}
	if (t->debuginfod) {
		struct pr_debuginfod_stats d;

		pr_debuginfod_stats(t->debuginfod, &d);
		out->di_requests = d.requests;
		out->di_fetched = d.fetched;
		out->di_cached = d.cached;
		out->di_not_found = d.not_found;
		out->di_failed = d.failed;
		out->di_bytes = d.bytes;
		out->di_pending = d.pending;
	}
}

void pr_elfsyms_set_debuginfod(struct pr_elfsyms *t, struct pr_debuginfod *di)
{
	t->debuginfod = di;
}

void pr_elfsyms_set_lines(struct pr_elfsyms *t, bool on)
{
	t->no_lines = !on;
}

void pr_elfsyms_set_background_dwarf(struct pr_elfsyms *t, bool on)
{
	t->background_dwarf = on;
}

void pr_elfsyms_set_dwarf_cache(struct pr_elfsyms *t, struct pr_dwarfcache *c)
{
	pr_dwarfcache_free(t->dwarf_cache);
	t->dwarf_cache = c;
}

uint64_t pr_elfsyms_generation(struct pr_elfsyms *t)
{
	return pr_elfsym_dwarf_opened(t) + (t->debuginfod ? pr_debuginfod_generation(t->debuginfod) : 0);
}
