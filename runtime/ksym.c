// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Kernel symbol table: one sorted array of text symbols and their names
 * deflated in blocks, built in a single pass over /proc/kallsyms, read
 * once per run; a name is inflated when a lookup first needs it. BPF
 * programs are skipped here: they come and go, and
 * bpfsym.c keeps them exactly. A symbol ends where the next one of the
 * same module starts; the core kernel ends at _etext/_einittext, and the
 * last symbol of a module ends at the module's end (from /proc/modules),
 * or one page on, so an address in no known text (a BPF program that is
 * gone, say) is unknown, not "the last symbol below plus a lot".
 */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "array.h"
#include "clock.h"
#include "ksym.h"
#include "procfs.h"
#include "strpool.h"

/* 12 bytes a symbol once loaded (a kernel has ~100k text symbols): its
 * address, and its place in kallsyms (seq), which says where its name is
 * (block seq / BLOCK_NAMES, then seq % BLOCK_NAMES) and, since kallsyms
 * lists a module's symbols together, its module (runs). A symbol's end is
 * not stored: it is the next symbol's start, or its module's end. */
struct ksym_ent {
	uint64_t addr;
	uint32_t seq;
};

/* Symbols from first_seq on, up to the next run's, are mod's */
struct ksym_run {
	uint32_t first_seq, mod;
};

struct ksym_mod {
	const char *name; /* "kernel", "[ext4]" */
	uint64_t end;	  /* end of its text (/proc/modules), 0: unknown */
};

/* Names are most of the table (1.5 MB for 64k symbols on 6.18) and a
 * profile names a few hundred: they are kept deflated in blocks of
 * BLOCK_NAMES, in kallsyms order (0.42 MB), and a name asked for is
 * inflated once and kept (a block holds ~3 KB: inflating one costs
 * microseconds). Kept names, like module names, never move: lookups hand
 * out pointers that live until pr_ksym_free. */
#define BLOCK_NAMES 128
#define ARENA_CHUNK 16384

struct arena_chunk {
	struct arena_chunk *next;
	size_t used;
	char data[ARENA_CHUNK];
};

struct pr_ksym {
	struct ksym_ent *ents; /* while loading; then addrs and seqs */
	uint64_t *addrs;       /* sorted */
	uint32_t *seqs;	       /* seqs[i]: addrs[i]'s */
	size_t n;
	uint32_t cap;
	struct ksym_mod *mods;
	uint32_t nmods, capmods;
	struct ksym_run *runs;
	uint32_t nruns, capruns;
	/* deflated blocks: block k is z[zoff[k] .. zoff[k + 1]) */
	uint8_t *z;
	uint32_t zlen, zcap;
	uint32_t *zoff, nblocks, capblocks;
	struct pr_strpool pending; /* names of the block being filled */
	uint32_t npending;
	char *plain;		   /* the block inflated last */
	size_t plain_len, plain_cap;
	uint32_t plain_block;	   /* which (+1; 0: none) */
	/* names handed out: seq + 1 -> pointer (open addressing) */
	uint32_t *kept_seq;
	const char **kept;
	uint32_t kept_mask, nkept;
	struct arena_chunk *arena;
	bool loaded;
	int load_err;
	uint64_t reads, parse_ns;
};

int pr_ksym_new(struct pr_ksym **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

/* Everything loaded goes: what a load starts from. */
static void forget_all(struct pr_ksym *ks)
{
	struct arena_chunk *c, *next;
	uint64_t reads = ks->reads;
	bool loaded = ks->loaded;

	for (c = ks->arena; c; c = next) {
		next = c->next;
		free(c);
	}
	free(ks->ents);
	free(ks->addrs);
	free(ks->seqs);
	free(ks->mods);
	free(ks->runs);
	free(ks->z);
	free(ks->zoff);
	free(ks->plain);
	free(ks->kept_seq);
	free(ks->kept);
	pr_strpool_clear(&ks->pending);
	*ks = (struct pr_ksym){ .reads = reads, .loaded = loaded };
}

void pr_ksym_free(struct pr_ksym *ks)
{
	if (!ks)
		return;
	forget_all(ks);
	free(ks);
}

/* A copy of s[0..n) that stays where it is until pr_ksym_free. */
static const char *arena_keep(struct pr_ksym *ks, const char *s, size_t n)
{
	struct arena_chunk *c = ks->arena;
	char *p;

	if (n >= ARENA_CHUNK)
		return NULL;
	if (!c || ARENA_CHUNK - c->used < n + 1) {
		c = malloc(sizeof(*c));
		if (!c)
			return NULL;
		c->next = ks->arena;
		c->used = 0;
		ks->arena = c;
	}
	p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
}

static int ent_add(struct pr_ksym *ks, uint64_t addr, uint32_t seq, uint32_t module)
{
	if (pr_array_reserve((void **)&ks->ents, &ks->cap, ks->n + 1, sizeof(*ks->ents)))
		return -ENOMEM;
	if (!ks->nruns || ks->runs[ks->nruns - 1].mod != module) {
		if (pr_array_reserve((void **)&ks->runs, &ks->capruns, ks->nruns + 1,
				     sizeof(*ks->runs)))
			return -ENOMEM;
		ks->runs[ks->nruns++] = (struct ksym_run){ .first_seq = seq, .mod = module };
	}
	ks->ents[ks->n++] = (struct ksym_ent){ .addr = addr, .seq = seq };
	return 0;
}

/* The module of the symbol at kallsyms place seq */
static uint32_t module_of(const struct pr_ksym *ks, uint32_t seq)
{
	long r = PR_ARRAY_LAST_LE(ks->runs, ks->nruns, first_seq, seq);

	return r < 0 ? 0 : ks->runs[r].mod;
}

/* A module's index for name, just seen. */
static int mod_add(struct pr_ksym *ks, const char *name, uint32_t *idx)
{
	const char *kept = arena_keep(ks, name, strlen(name));

	if (!kept ||
	    pr_array_reserve((void **)&ks->mods, &ks->capmods, ks->nmods + 1, sizeof(*ks->mods)))
		return -ENOMEM;
	ks->mods[ks->nmods] = (struct ksym_mod){ .name = kept };
	*idx = ks->nmods++;
	return 0;
}

/* The pending names deflated as the next block, by zs (one stream for
 * the whole load: setting one up costs more than deflating a block). */
static int flush_block(struct pr_ksym *ks, z_stream *zs)
{
	uLong zn;

	if (!ks->npending)
		return 0;
	zn = deflateBound(zs, ks->pending.len);
	if (pr_array_reserve((void **)&ks->zoff, &ks->capblocks, ks->nblocks + 2,
			     sizeof(*ks->zoff)) ||
	    pr_array_reserve((void **)&ks->z, &ks->zcap, ks->zlen + (uint32_t)zn, 1) ||
	    deflateReset(zs) != Z_OK)
		return -ENOMEM;
	zs->next_in = (Bytef *)ks->pending.buf;
	zs->avail_in = (uInt)ks->pending.len;
	zs->next_out = ks->z + ks->zlen;
	zs->avail_out = (uInt)zn;
	if (deflate(zs, Z_FINISH) != Z_STREAM_END)
		return -ENOMEM;
	zn -= zs->avail_out;
	ks->zoff[ks->nblocks] = ks->zlen;
	ks->zlen += (uint32_t)zn;
	ks->zoff[++ks->nblocks] = ks->zlen;
	if (ks->pending.len > ks->plain_cap)
		ks->plain_cap = ks->pending.len;
	ks->pending.len = 0;
	ks->npending = 0;
	return 0;
}

static int name_add(struct pr_ksym *ks, z_stream *zs, const char *name, size_t n, uint32_t *seq)
{
	uint32_t off;
	int err;

	if (ks->zlen > UINT32_MAX / 2 || ks->n >= UINT32_MAX / 2)
		return -E2BIG;
	*seq = ks->nblocks * BLOCK_NAMES + ks->npending;
	err = pr_strpool_add(&ks->pending, name, n, &off);
	if (err)
		return err;
	return ++ks->npending == BLOCK_NAMES ? flush_block(ks, zs) : 0;
}

static uint32_t *kept_slot(struct pr_ksym *ks, uint32_t seq)
{
	uint32_t k = (seq * 0x9E3779B9u) & ks->kept_mask;

	while (ks->kept_seq[k] && ks->kept_seq[k] != seq + 1)
		k = (k + 1) & ks->kept_mask;
	return &ks->kept_seq[k];
}

static int kept_grow(struct pr_ksym *ks)
{
	uint32_t *old_seq = ks->kept_seq, old_mask = ks->kept_mask, i, *slot;
	const char **old = ks->kept;

	ks->kept_mask = old_seq ? old_mask * 2 + 1 : 255;
	ks->kept_seq = calloc((size_t)ks->kept_mask + 1, sizeof(*ks->kept_seq));
	ks->kept = calloc((size_t)ks->kept_mask + 1, sizeof(*ks->kept));
	if (!ks->kept_seq || !ks->kept) {
		free(ks->kept_seq);
		free(ks->kept);
		ks->kept_seq = old_seq;
		ks->kept = old;
		ks->kept_mask = old_mask;
		return -ENOMEM;
	}
	for (i = 0; old_seq && i <= old_mask; i++) {
		if (!old_seq[i])
			continue;
		slot = kept_slot(ks, old_seq[i] - 1);
		*slot = old_seq[i];
		ks->kept[slot - ks->kept_seq] = old[i];
	}
	free(old_seq);
	free(old);
	return 0;
}

/* Symbol seq's name: inflated from its block on the first ask, then kept. */
static const char *name_of(struct pr_ksym *ks, uint32_t seq)
{
	uint32_t block = seq / BLOCK_NAMES, i, *slot;
	const char *p, *end, *name;
	uLongf len;

	if ((!ks->kept_seq || (ks->nkept + 1) * 2 > ks->kept_mask) && kept_grow(ks))
		return NULL;
	slot = kept_slot(ks, seq);
	if (*slot)
		return ks->kept[slot - ks->kept_seq];
	if (block >= ks->nblocks)
		return NULL;
	if (ks->plain_block != block + 1) {
		if (!ks->plain && !(ks->plain = malloc(ks->plain_cap ? ks->plain_cap : 1)))
			return NULL;
		len = ks->plain_cap;
		ks->plain_block = 0;
		if (uncompress((Bytef *)ks->plain, &len, ks->z + ks->zoff[block],
			       ks->zoff[block + 1] - ks->zoff[block]) != Z_OK)
			return NULL;
		ks->plain_len = len;
		ks->plain_block = block + 1;
	}
	p = ks->plain;
	end = ks->plain + ks->plain_len;
	for (i = 0; i < seq % BLOCK_NAMES && p < end; i++)
		p += strnlen(p, (size_t)(end - p)) + 1;
	if (p >= end || !(name = arena_keep(ks, p, strnlen(p, (size_t)(end - p)))))
		return NULL;
	*slot = seq + 1;
	ks->kept[slot - ks->kept_seq] = name;
	ks->nkept++;
	return name;
}

/* The sorted entries split into addresses and places (16 bytes a
 * symbol while loading, 12 after); the names' array cut to fit. */
static int split(struct pr_ksym *ks)
{
	void *p;
	size_t i;

	ks->addrs = malloc(ks->n * sizeof(*ks->addrs));
	ks->seqs = malloc(ks->n * sizeof(*ks->seqs));
	if (!ks->addrs || !ks->seqs)
		return -ENOMEM;
	for (i = 0; i < ks->n; i++) {
		ks->addrs[i] = ks->ents[i].addr;
		ks->seqs[i] = ks->ents[i].seq;
	}
	free(ks->ents);
	ks->ents = NULL;
	ks->cap = 0;
	if (ks->zlen && (p = realloc(ks->z, ks->zlen))) {
		ks->z = p;
		ks->zcap = ks->zlen;
	}
	return 0;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct ksym_ent *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

/* One kallsyms line: "ffffffff81000000 T _stext" or "... t name\t[mod]".
 * Lines that do not look like that are skipped. */
static int parse_line(struct pr_ksym *ks, z_stream *zs, char *line, uint32_t kernel_mod,
		      uint32_t *last_mod, char *last_mod_name, size_t last_mod_cap)
{
	char *p = line, *name, *mod, *end;
	uint32_t seq, mod_idx = kernel_mod;
	uint64_t addr;
	char type;
	int err;

	addr = strtoull(p, &end, 16);
	if (end == p || *end != ' ')
		return 0;
	p = end + 1;
	type = *p;
	if (!type || p[1] != ' ')
		return 0;
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return 0;
	name = p + 2;
	/* Linux >= 6.2 names each function's alignment padding __pfx_NAME:
	 * half the symbols, never where a stack points. Without them the
	 * padding belongs to the function before, as it did before 6.2. */
	if (!strncmp(name, "__pfx_", 6))
		return 0;
	mod = strchr(name, '\t');
	end = mod ? mod : name + strlen(name);
	if (end == name || addr == 0)
		return 0;
	if (mod) {
		mod++;
		/* BPF programs are bpfsym.c's: exact ranges, kept current */
		if (!strncmp(mod, "[bpf]", 5))
			return 0;
		/* keep the brackets: "[ext4]" reads as a module in any output */
		mod[strcspn(mod, "]") + (*mod == '[')] = '\0';
		if (strcmp(mod, last_mod_name)) {
			err = mod_add(ks, mod, last_mod);
			if (err)
				return err;
			snprintf(last_mod_name, last_mod_cap, "%s", mod);
		}
		mod_idx = *last_mod;
	}
	err = name_add(ks, zs, name, end - name, &seq);
	return err ?: ent_add(ks, addr, seq, mod_idx);
}

/* The end of module mod ("[ext4]") from /proc/modules text, or 0. */
static uint64_t module_end(const char *modules, const char *mod)
{
	size_t n = strlen(mod);
	unsigned long long size, base;
	const char *line;

	if (!modules || n < 3)
		return 0;
	for (line = modules; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, mod + 1, n - 2) || line[n - 2] != ' ')
			continue;
		/* "ext4 1024000 2 - Live 0xffffffffc0a00000" */
		if (sscanf(line + n - 2, " %llu %*s %*s %*s %llx", &size, &base) == 2)
			return base + size;
	}
	return 0;
}

/* Each module's end, from /proc/modules (the core kernel's is _etext). */
static void set_module_ends(struct pr_ksym *ks, const char *modules_path)
{
	static char modules[1 << 16];
	const char *mtext = NULL;
	uint32_t i;

	if (modules_path && pr_procfs_slurp(modules_path, modules, sizeof(modules)) > 0)
		mtext = modules;
	for (i = 1; i < ks->nmods; i++)
		ks->mods[i].end = module_end(mtext, ks->mods[i].name);
}

/* Where the symbol at i ends: the next symbol of its module, else its
 * module's end (or a page on when /proc/modules does not say). */
static uint64_t sym_end(const struct pr_ksym *ks, size_t i)
{
	uint32_t mod = module_of(ks, ks->seqs[i]);
	bool next = i + 1 < ks->n;
	uint64_t end;

	if (next && module_of(ks, ks->seqs[i + 1]) == mod)
		return ks->addrs[i + 1];
	end = ks->mods[mod].end;
	end = end > ks->addrs[i] ? end : ks->addrs[i] + 4096;
	return next && end > ks->addrs[i + 1] ? ks->addrs[i + 1] : end;
}

static void skip_rest(FILE *f)
{
	int c;

	while ((c = fgetc(f)) != EOF && c != '\n')
		;
}

int pr_ksym_load(struct pr_ksym *ks, const char *path)
{
	/* KSYM_NAME_LEN is 512 since Linux 6.1, plus address, type, module */
	char line[1024], last_mod_name[64] = "";
	uint32_t kernel_mod, last_mod = 0;
	z_stream zs = { 0 };
	uint64_t t0;
	FILE *f;
	int err;

	ks->loaded = true;
	forget_all(ks);
	t0 = pr_mono_ns();
	f = fopen(path ? path : "/proc/kallsyms", "re");
	if (!f) {
		ks->load_err = -errno;
		return ks->load_err;
	}
	/* a block is ~3 KB: a 4 KB window sees all of it, in 1/16 of the
	 * default's state */
	if (deflateInit2(&zs, 6, Z_DEFLATED, 12, 4, Z_DEFAULT_STRATEGY) != Z_OK) {
		fclose(f);
		ks->load_err = -ENOMEM;
		return ks->load_err;
	}
	ks->reads++;
	err = mod_add(ks, "kernel", &kernel_mod);
	while (!err && fgets(line, sizeof(line), f)) {
		if (!strchr(line, '\n') && !feof(f)) {
			skip_rest(f); /* longer than any valid line: not a symbol */
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		err = parse_line(ks, &zs, line, kernel_mod, &last_mod, last_mod_name,
				 sizeof(last_mod_name));
	}
	fclose(f);
	err = err ?: flush_block(ks, &zs);
	deflateEnd(&zs);
	pr_strpool_clear(&ks->pending);
	if (!err && ks->n) {
		qsort(ks->ents, ks->n, sizeof(ks->ents[0]), cmp_ent);
		err = split(ks);
		if (!err)
			set_module_ends(ks, path ? NULL : "/proc/modules");
	}
	if (err)
		forget_all(ks);
	/* the arrays grew by doubling: what realloc left behind goes back to
	 * the system, not kept as free heap for the rest of the run */
	malloc_trim(0);
	ks->parse_ns = pr_mono_ns() - t0;
	ks->load_err = err;
	return err;
}

const char *pr_ksym_lookup(struct pr_ksym *ks, uint64_t addr, uint64_t *off, const char **module)
{
	const char *name;
	long i;

	if (!ks->loaded)
		pr_ksym_load(ks, NULL);
	i = pr_array_last_le(ks->addrs, ks->n, sizeof(*ks->addrs), 0, sizeof(*ks->addrs), addr);
	if (i < 0)
		return NULL;
	if (addr >= sym_end(ks, i) || !(name = name_of(ks, ks->seqs[i])))
		return NULL;
	/* the end markers are symbols too: past them lies no known text */
	if (!strcmp(name, "_etext") || !strcmp(name, "_einittext"))
		return NULL;
	*off = addr - ks->addrs[i];
	*module = ks->mods[module_of(ks, ks->seqs[i])].name;
	return name;
}

uint64_t pr_ksym_count(const struct pr_ksym *ks)
{
	return ks->n;
}

uint64_t pr_ksym_reads(const struct pr_ksym *ks)
{
	return ks->reads;
}

uint64_t pr_ksym_parse_ns(const struct pr_ksym *ks)
{
	return ks->parse_ns;
}
