/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the symbol tables (not for other modules): the entry and table
 * structs that elfsym.c (the cache: lookup, LRU, negative cache, budgets,
 * the public API), elfsym_read.c (symbols out of an ELF file, demangling)
 * and elfsym_debuginfo.c (finding separate debuginfo) share.
 */
#ifndef PR_ELFSYM_INT_H
#define PR_ELFSYM_INT_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "buildid.h"
#include "cfi.h"
#include "debuginfod.h"
#include "elfsym.h"
#include "strpool.h"

#define NBUCKETS 1024
#define MINIDEBUG_MAX (64u << 20)

enum source {
	SRC_NONE,
	SRC_DEBUGINFO,
	SRC_DEBUGLINK,
	SRC_SYMTAB,
	SRC_MINIDEBUG,
	SRC_DYNSYM,
	SRC_DEBUGINFOD,
};

struct sym {
	uint64_t addr;
	uint64_t size;
	uint32_t name;	    /* pool offset */
	uint32_t demangled; /* index + 1 into demangled[], 0 = not yet, UINT32_MAX = as is */
	uint32_t rank;	    /* among aliases, lower is the name users know */
};

struct seg {
	uint64_t off, vaddr, filesz;
};

struct pr_elfsym {
	struct pr_elfsyms *table;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int fd;
	bool loaded;
	enum source source;
	char *name;
	struct sym *syms;
	size_t nsyms;
	struct pr_strpool names;
	char **demangled;
	size_t ndemangled;
	struct seg *segs;
	size_t nsegs;
	struct pr_cfi_packed cfi;
	bool cfi_loaded;
	bool cfi_none; /* no unwind info: stays known while the file is the same */
	struct pr_cfi_func *funcs; /* FDE ranges, for addresses no symbol covers */
	uint32_t *func_names;	   /* per range: index + 1 into demangled[], 0 = not yet */
	size_t nfuncs;
	bool funcs_loaded;
	struct pr_elfsym_dwarf *dwarf; /* lines and inline frames (elfsym_dwarf.c) */
	bool di_pending;		/* asked debuginfod, no answer yet */
	uint64_t di_generation;		/* the client's generation when last asked */
	char build_id[PR_BUILDID_HEX];
	uint64_t bytes;
	uint64_t last_use;
	uint64_t cfi_last_use; /* unwind tables have an LRU of their own */
	struct pr_elfsym *next;	    /* hash chain */
	struct pr_elfsym *all_next; /* every entry ever made, replaced ones too */
};

/* Names of an unloaded table, kept until pr_elfsyms_release: a caller may
 * still hold a name it got before the unload. */
struct grave {
	char *pool;
	char **demangled;
	size_t ndemangled;
	struct grave *next;
};

struct negative {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	uint64_t expires;
	struct negative *next;
};

struct pr_elfsyms {
	struct pr_elfsym *buckets[NBUCKETS];
	struct pr_elfsym *all;
	struct negative *neg[NBUCKETS];
	struct grave *graves;
	struct pr_elfsym *vdso;
	bool vdso_tried;
	char *debug_dir;
	struct pr_debuginfod *debuginfod; /* NULL: off */
	struct pr_dwarf_opener *opener;	  /* elfsym_dwarf.c */
	bool background_dwarf;		  /* open DWARF files on the opener */
	struct pr_dwarfcache *dwarf_cache; /* inflated copies of debuginfo; NULL: none */
	uint64_t dwarf_bytes, max_dwarf_bytes, dwarf_evictions;
	uint64_t ttl, max_bytes, last_sweep, use_clock;
	uint64_t (*now)(void *ctx);
	void *now_ctx;
	uint64_t count, nneg, parses, hits, misses, bytes, unloads;
	uint64_t cfi_builds, cfi_none, cfi_bytes, max_cfi_bytes, cfi_evictions;
	uint64_t ranges, lines, inlined;
	bool no_lines;
};

struct elf_file {
	int fd;
	Elf *elf;
};

/* elfsym_read.c */
Elf_Scn *pr_elfsym_find_section(Elf *elf, Elf64_Word type, const char *name, GElf_Shdr *out);
size_t pr_elfsym_count_functions(Elf *elf, Elf64_Word type);
int pr_elfsym_add_symbols(Elf *elf, Elf64_Word type, struct pr_elfsym *b, size_t *cap);
int pr_elfsym_read_segments(Elf *elf, struct pr_elfsym *b);
/* Every function symbol of the best source into b (source set). */
int pr_elfsym_read_symbols(Elf *elf, struct pr_elfsym *b);
int pr_elfsym_cmp_sym(const void *a, const void *b);
/* The name users know: demangled on first use, cached. */
const char *pr_elfsym_display_name(struct pr_elfsym *b, struct sym *s);
/* name demangled when it is a C++ or Rust symbol (malloc'd), else NULL. */
char *pr_elfsym_demangle(const char *name);
/* Keeps a malloc'd name with the table's names (freed with them, after
 * pr_elfsyms_release when unloaded): its index + 1, or 0 (s freed) when
 * out of memory. */
uint32_t pr_elfsym_keep_name(struct pr_elfsym *b, char *s);

/* elfsym_debuginfo.c */
/* Separate debuginfo for the binary elf belongs to, by build-id, then
 * .gnu_debuglink: its source (SRC_NONE: none), with f open on it. */
enum source pr_elfsym_find_debuginfo(struct pr_elfsym *b, Elf *elf, struct elf_file *f);
void pr_elfsym_close_elf(struct elf_file *f);
/* Opens path as separate debuginfo of a binary with build id want_id
 * ("" for none): true with f open when it carries function symbols and
 * the same build id. */
bool pr_elfsym_open_debuginfo(const char *path, const char *want_id, struct elf_file *f);

/* elfsym_dwarf.c */
/* Forgets b's cached lines (their names die with b's names); the DWARF
 * file stays open. */
void pr_elfsym_dwarf_unload(struct pr_elfsym *b);
/* Closes b's DWARF file too (the binary is freed, or its debuginfo
 * changed). */
void pr_elfsym_dwarf_free(struct pr_elfsym *b);
/* Closes the least recently used DWARF files until the decompressed ones
 * fit max_dwarf_bytes again (at a request's start: no string of theirs
 * is held then); they open again when asked. */
void pr_elfsym_dwarf_budget(struct pr_elfsyms *t);
/* Stops the opener thread (before the binaries are freed). */
void pr_elfsym_dwarf_stop(struct pr_elfsyms *t);
/* DWARF files the opener has opened so far. */
uint64_t pr_elfsym_dwarf_opened(struct pr_elfsyms *t);
/* pr_elfsym_lines for va, foff's link-time address. */
int pr_elfsym_dwarf_lines(struct pr_elfsym *b, uint64_t foff, uint64_t va,
			  const struct pr_elfsym_line **out);

#endif
