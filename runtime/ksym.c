// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Kernel symbol table: one sorted array of text symbols plus one string
 * pool, built in a single pass over /proc/kallsyms, read once per run.
 * Names are stored as pool offsets while the pool grows and never as one
 * allocation each. BPF programs are skipped here: they come and go, and
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
#include "array.h"
#include "clock.h"
#include "ksym.h"
#include "procfs.h"
#include "strpool.h"

/* 16 bytes a symbol: a kernel has ~100k text symbols, and this table is
 * most of what symbolizing kernel frames costs in memory. A symbol's end
 * is not stored: it is the next symbol's start, or its module's end. */
struct ksym_ent {
	uint64_t addr;
	uint32_t name;	 /* pool offset */
	uint32_t module; /* index in mods */
};

struct ksym_mod {
	uint32_t name; /* pool offset: "kernel", "[ext4]" */
	uint64_t end;  /* end of its text (/proc/modules), 0: unknown */
};

struct pr_ksym {
	struct ksym_ent *ents;
	size_t n, cap;
	struct ksym_mod *mods;
	uint32_t nmods, capmods;
	struct pr_strpool names;
	bool loaded;
	int load_err;
	uint64_t reads, parse_ns;
};

int pr_ksym_new(struct pr_ksym **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void pr_ksym_free(struct pr_ksym *ks)
{
	if (!ks)
		return;
	free(ks->ents);
	free(ks->mods);
	pr_strpool_clear(&ks->names);
	free(ks);
}

static int ent_add(struct pr_ksym *ks, uint64_t addr, uint32_t name, uint32_t module)
{
	struct ksym_ent *e;

	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 65536;

		e = realloc(ks->ents, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		ks->ents = e;
		ks->cap = cap;
	}
	ks->ents[ks->n++] = (struct ksym_ent){ .addr = addr, .name = name, .module = module };
	return 0;
}

/* A module's index for name (pool offset) just added. */
static int mod_add(struct pr_ksym *ks, uint32_t name, uint32_t *idx)
{
	if (pr_array_reserve((void **)&ks->mods, &ks->capmods, ks->nmods + 1, sizeof(*ks->mods)))
		return -ENOMEM;
	ks->mods[ks->nmods] = (struct ksym_mod){ .name = name };
	*idx = ks->nmods++;
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
static int parse_line(struct pr_ksym *ks, char *line, uint32_t kernel_mod, uint32_t *last_mod,
		      char *last_mod_name, size_t last_mod_cap)
{
	char *p = line, *name, *mod, *end;
	uint32_t name_off, mod_off = kernel_mod;
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
			uint32_t off;

			err = pr_strpool_add(&ks->names, mod, strlen(mod), &off) ?:
			      mod_add(ks, off, last_mod);
			if (err)
				return err;
			snprintf(last_mod_name, last_mod_cap, "%s", mod);
		}
		mod_off = *last_mod;
	}
	err = pr_strpool_add(&ks->names, name, end - name, &name_off);
	return err ?: ent_add(ks, addr, name_off, mod_off);
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
		ks->mods[i].end = module_end(mtext, ks->names.buf + ks->mods[i].name);
}

/* Where the symbol at i ends: the next symbol of its module, else its
 * module's end (or a page on when /proc/modules does not say). */
static uint64_t sym_end(const struct pr_ksym *ks, size_t i)
{
	const struct ksym_ent *e = &ks->ents[i], *next = i + 1 < ks->n ? e + 1 : NULL;
	uint64_t end;

	if (next && next->module == e->module)
		return next->addr;
	end = ks->mods[e->module].end;
	end = end > e->addr ? end : e->addr + 4096;
	return next && end > next->addr ? next->addr : end;
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
	uint64_t t0;
	FILE *f;
	int err;

	ks->loaded = true;
	ks->n = 0;
	ks->nmods = 0;
	ks->names.len = 0;
	t0 = pr_mono_ns();
	f = fopen(path ? path : "/proc/kallsyms", "re");
	if (!f) {
		ks->load_err = -errno;
		return ks->load_err;
	}
	ks->reads++;
	err = pr_strpool_add(&ks->names, "kernel", 6, &kernel_mod) ?:
	      mod_add(ks, kernel_mod, &kernel_mod);
	while (!err && fgets(line, sizeof(line), f)) {
		if (!strchr(line, '\n') && !feof(f)) {
			skip_rest(f); /* longer than any valid line: not a symbol */
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		err = parse_line(ks, line, kernel_mod, &last_mod, last_mod_name,
				 sizeof(last_mod_name));
	}
	fclose(f);
	if (!err && ks->n) {
		qsort(ks->ents, ks->n, sizeof(ks->ents[0]), cmp_ent);
		set_module_ends(ks, path ? NULL : "/proc/modules");
	}
	/* the arrays grew by doubling: what realloc left behind goes back to
	 * the system, not kept as free heap for the rest of the run */
	malloc_trim(0);
	ks->parse_ns = pr_mono_ns() - t0;
	ks->load_err = err;
	return err;
}

const char *pr_ksym_lookup(struct pr_ksym *ks, uint64_t addr, uint64_t *off, const char **module)
{
	const struct ksym_ent *e;
	long i;

	if (!ks->loaded)
		pr_ksym_load(ks, NULL);
	i = PR_ARRAY_LAST_LE(ks->ents, ks->n, addr, addr);
	if (i < 0)
		return NULL;
	e = &ks->ents[i];
	/* the end markers are symbols too: past them lies no known text */
	if (addr >= sym_end(ks, i) || !strcmp(ks->names.buf + e->name, "_etext") ||
	    !strcmp(ks->names.buf + e->name, "_einittext"))
		return NULL;
	*off = addr - e->addr;
	*module = ks->names.buf + ks->mods[e->module].name;
	return ks->names.buf + e->name;
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
