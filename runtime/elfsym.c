// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Symbol tables for user binaries. Each binary (device + inode) gets one
 * entry holding an open fd until its symbols are read, then a sorted array
 * of function symbols and one string pool. Addresses arrive as file
 * offsets (see maps.c) and are turned into link-time virtual addresses
 * through the PT_LOAD program headers, which is right for PIE, non-PIE and
 * shared libraries alike, without guessing a load bias.
 *
 * Sources here: .symtab, else .dynsym. Debuginfo, MiniDebugInfo,
 * demangling and the negative cache come with the full symbolizer.
 * The files belong to other users: libelf does the bounds checks, and a
 * file that does not parse simply has no symbols.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elfsym.h"

struct sym {
	uint64_t addr;
	uint64_t size;
	uint32_t name; /* pool offset */
};

struct seg {
	uint64_t off, vaddr, filesz;
};

struct pr_elfsym {
	dev_t dev;
	ino_t ino;
	int fd; /* -1 once read */
	bool loaded;
	char *name;
	struct sym *syms;
	size_t nsyms;
	char *pool;
	struct seg *segs;
	size_t nsegs;
	struct pr_elfsym *next; /* hash chain */
};

#define NBUCKETS 1024

struct pr_elfsyms {
	struct pr_elfsym *buckets[NBUCKETS];
	uint64_t count;
};

int pr_elfsyms_new(struct pr_elfsyms **out)
{
	elf_version(EV_CURRENT);
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void bin_free(struct pr_elfsym *b)
{
	if (b->fd >= 0)
		close(b->fd);
	free(b->name);
	free(b->syms);
	free(b->pool);
	free(b->segs);
	free(b);
}

void pr_elfsyms_free(struct pr_elfsyms *t)
{
	struct pr_elfsym *b, *next;
	size_t i;

	if (!t)
		return;
	for (i = 0; i < NBUCKETS; i++) {
		for (b = t->buckets[i]; b; b = next) {
			next = b->next;
			bin_free(b);
		}
	}
	free(t);
}

static size_t bucket_of(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev;

	return (h >> 32) % NBUCKETS;
}

static struct pr_elfsym *insert(struct pr_elfsyms *t, dev_t dev, ino_t ino, int fd,
				const char *name)
{
	struct pr_elfsym *b = calloc(1, sizeof(*b));
	size_t k = bucket_of(dev, ino);

	if (!b || !(b->name = strdup(name))) {
		free(b);
		close(fd);
		return NULL;
	}
	b->dev = dev;
	b->ino = ino;
	b->fd = fd;
	b->next = t->buckets[k];
	t->buckets[k] = b;
	t->count++;
	return b;
}

static struct pr_elfsym *find(struct pr_elfsyms *t, dev_t dev, ino_t ino)
{
	struct pr_elfsym *b;

	for (b = t->buckets[bucket_of(dev, ino)]; b; b = b->next)
		if (b->dev == dev && b->ino == ino)
			return b;
	return NULL;
}

struct pr_elfsym *pr_elfsym_lookup(struct pr_elfsyms *t, dev_t dev, ino_t ino,
				   const char *open_path, const char *name)
{
	struct pr_elfsym *b = find(t, dev, ino);
	struct stat st;
	int fd;

	if (b)
		return b;
	fd = open(open_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* a path (not a map_files link) may name a file replaced since */
	if (fstat(fd, &st) || st.st_ino != ino) {
		close(fd);
		return NULL;
	}
	return insert(t, dev, ino, fd, name);
}

struct pr_elfsym *pr_elfsym_lookup_path(struct pr_elfsyms *t, const char *path)
{
	struct pr_elfsym *b;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		close(fd);
		return NULL;
	}
	b = find(t, st.st_dev, st.st_ino);
	if (b) {
		close(fd);
		return b;
	}
	return insert(t, st.st_dev, st.st_ino, fd, path);
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* at one address, keep the sized symbol first */
	return (x->size < y->size) - (x->size > y->size);
}

static int read_segments(Elf *elf, struct pr_elfsym *b)
{
	size_t n, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return -EINVAL;
	b->segs = calloc(n ? n : 1, sizeof(*b->segs));
	if (!b->segs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		b->segs[b->nsegs++] = (struct seg){ .off = ph.p_offset,
						    .vaddr = ph.p_vaddr,
						    .filesz = ph.p_filesz };
	}
	return 0;
}

/* The symbol section to read: .symtab when present, else .dynsym. */
static Elf_Scn *pick_symtab(Elf *elf, GElf_Shdr *out)
{
	Elf_Scn *scn = NULL, *dyn = NULL;
	GElf_Shdr sh, dynsh;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB && sh.sh_entsize) {
			*out = sh;
			return scn;
		}
		if (sh.sh_type == SHT_DYNSYM && sh.sh_entsize && !dyn) {
			dyn = scn;
			dynsh = sh;
		}
	}
	if (dyn)
		*out = dynsh;
	return dyn;
}

static bool is_function(const GElf_Sym *s)
{
	int type = GELF_ST_TYPE(s->st_info);

	return (type == STT_FUNC || type == STT_GNU_IFUNC) && s->st_shndx != SHN_UNDEF &&
	       s->st_value != 0;
}

static int read_symbols(Elf *elf, struct pr_elfsym *b)
{
	size_t i, n, pool_len = 0, pool_cap = 0, len;
	Elf_Data *data;
	GElf_Shdr sh;
	Elf_Scn *scn;
	GElf_Sym s;
	const char *nm;
	char *pool;

	scn = pick_symtab(elf, &sh);
	if (!scn)
		return 0;
	data = elf_getdata(scn, NULL);
	if (!data)
		return 0;
	n = sh.sh_size / sh.sh_entsize;
	b->syms = calloc(n ? n : 1, sizeof(*b->syms));
	if (!b->syms)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!gelf_getsym(data, i, &s) || !is_function(&s))
			continue;
		nm = elf_strptr(elf, sh.sh_link, s.st_name);
		if (!nm || !*nm)
			continue;
		len = strlen(nm) + 1;
		if (pool_len + len > pool_cap) {
			pool_cap = pool_cap ? pool_cap * 2 : 4096;
			while (pool_cap < pool_len + len)
				pool_cap *= 2;
			pool = realloc(b->pool, pool_cap);
			if (!pool)
				return -ENOMEM;
			b->pool = pool;
		}
		memcpy(b->pool + pool_len, nm, len);
		b->syms[b->nsyms++] =
			(struct sym){ .addr = s.st_value, .size = s.st_size, .name = pool_len };
		pool_len += len;
	}
	qsort(b->syms, b->nsyms, sizeof(*b->syms), cmp_sym);
	return 0;
}

static void load(struct pr_elfsym *b)
{
	Elf *elf;

	b->loaded = true;
	if (b->fd < 0)
		return;
	elf = elf_begin(b->fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF) {
		if (read_segments(elf, b) || read_symbols(elf, b))
			b->nsyms = 0;
	}
	elf_end(elf);
	close(b->fd);
	b->fd = -1;
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

const char *pr_elfsym_resolve(struct pr_elfsym *b, uint64_t foff, uint64_t *off)
{
	size_t lo = 0, hi, mid;
	const struct sym *s;
	uint64_t va;

	if (!b->loaded)
		load(b);
	hi = b->nsyms;
	if (!hi || !foff_to_vaddr(b, foff, &va) || va < b->syms[0].addr)
		return NULL;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (b->syms[mid].addr <= va)
			lo = mid;
		else
			hi = mid;
	}
	/* aliases at one address sort sized-first: take the first of them */
	while (lo > 0 && b->syms[lo - 1].addr == b->syms[lo].addr)
		lo--;
	s = &b->syms[lo];
	/* a sized symbol covers only its size; an unsized one up to the next */
	if (s->size && va >= s->addr + s->size)
		return NULL;
	*off = va - s->addr;
	return b->pool + s->name;
}

const char *pr_elfsym_name(const struct pr_elfsym *b)
{
	return b->name;
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
