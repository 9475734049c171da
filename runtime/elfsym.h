/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-binary symbol tables, keyed by device + inode and shared by every
 * process that maps the binary; size and mtime are re-checked so a binary
 * replaced in place is read again. A table is created when a binary is
 * first seen in a stack (its file is opened then, while the process is
 * alive, so it can be read after the process exited or the file was
 * deleted) and its symbols are read on the first lookup, from the best
 * source: separate debuginfo (build-id, then .gnu_debuglink), .symtab,
 * MiniDebugInfo (.gnu_debugdata) with .dynsym, .dynsym, debuginfod (fetched
 * in the background: the binary is read again when the file arrives); an
 * address no symbol covers is named by its FDE's range. C++ and Rust names
 * are demangled. Source lines and inline frames come from DWARF. Binaries with nothing to symbolize are remembered in a
 * negative cache with a TTL.
 */
#ifndef PR_ELFSYM_H
#define PR_ELFSYM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "cfi.h"

/* Unwind rows held at most by default. A C/C++ build's working set is
 * ~38 MiB (cc1 7.5, libclang-cpp 15.6, libLLVM-14 14.8, libc 0.4): at
 * 32 MiB the soak benchmark rebuilt tables 40 times a second. */
#define PR_ELFSYM_CFI_BUDGET (64ull << 20)

/* Decompressed DWARF held at most (Debian's debug files are compressed:
 * libc's is 14 MiB unpacked, python3.11's 31 MiB); past it the least
 * recently used files are closed, and opened again when asked. */
#define PR_ELFSYM_DWARF_BUDGET (64ull << 20)

struct pr_elfsyms; /* the table of binaries */
struct pr_elfsym;  /* one binary; lives as long as the table */

struct pr_elfsyms_opts {
	const char *debug_dir;      /* NULL = $PROFRUN_DEBUG_DIR or /usr/lib/debug */
	uint64_t negative_ttl_ns;   /* 0 = 10 minutes */
	uint64_t max_bytes;         /* symbol memory before unloading LRU tables; 0 = 64 MiB */
	uint64_t max_cfi_bytes;     /* unwind rows before dropping LRU ones; 0 = the default */
	uint64_t max_dwarf_bytes;   /* decompressed DWARF before closing LRU files; 0 = the default */
	uint64_t (*now)(void *ctx); /* monotonic ns; NULL = CLOCK_MONOTONIC */
	void *now_ctx;
};

int pr_elfsyms_new(struct pr_elfsyms **out);
int pr_elfsyms_new_opts(const struct pr_elfsyms_opts *o, struct pr_elfsyms **out);
void pr_elfsyms_free(struct pr_elfsyms *t);

/* The binary with this identity, created (and its file opened through
 * open_path, e.g. /proc/PID/map_files/...) when unknown, or re-created when
 * the file at open_path has another size or mtime than the one cached.
 * name is the path shown to users. NULL when the file cannot be opened or
 * is not that inode. */
struct pr_elfsym *pr_elfsym_lookup(struct pr_elfsyms *t, dev_t dev, ino_t ino,
				   const char *open_path, const char *name);
/* The kernel's vDSO, from profrun's own mapping of it (every x86-64
 * process maps the same image), or NULL when it cannot be copied. Its
 * file offsets are offsets into the [vdso] mapping. */
struct pr_elfsym *pr_elfsyms_vdso(struct pr_elfsyms *t);
/* Opens and reads a binary directly by path (unit tests, usym fallbacks). */
struct pr_elfsym *pr_elfsym_lookup_path(struct pr_elfsyms *t, const char *path);

/* The function containing file offset foff, demangled, or NULL. *off is
 * the distance from the symbol's start. Reads the symbols on first use.
 * The string lives until pr_elfsyms_release (a table unloaded to stay in
 * the memory budget keeps its names until then) or the table is freed. */
const char *pr_elfsym_resolve(struct pr_elfsym *b, uint64_t foff, uint64_t *off);
/* The path shown for this binary. */
const char *pr_elfsym_name(const struct pr_elfsym *b);
/* Calls fn for every function name of b (demangled; aliases such as
 * open and open64 each, at the same offset) with its file offset and
 * size, in address order, until fn returns non-zero (returned). Probes
 * attach by file offset. */
int pr_elfsym_each_function(struct pr_elfsym *b,
			    int (*fn)(void *ctx, const char *name, uint64_t foff, uint64_t size),
			    void *ctx);
/* Looks up names[0..n) among b's dynamic, then static symbols of any
 * type (data too): vaddr[i] is the link-time address, size[i] the size,
 * both 0 when absent. Returns how many were found, or -ENOEXEC when the
 * file is not a readable ELF. Reads the file: for rare look-ups. */
int pr_elfsym_symbols(struct pr_elfsym *b, const char *const *names, size_t n, uint64_t *vaddr,
		      uint64_t *size);
/* The link-time address file offset foff is loaded at (its PT_LOAD
 * segment): 0, -ENOENT when no segment holds it, or -ENOEXEC. */
int pr_elfsym_vaddr_of(struct pr_elfsym *b, uint64_t foff, uint64_t *vaddr);
/* Where the symbols came from: "debuginfo", "debuglink", "symtab",
 * "minidebuginfo", "dynsym" or "none" (reads them if needed). */
const char *pr_elfsym_source(struct pr_elfsym *b);
/* Frees the names of tables unloaded since the last call: no name from
 * before may be used after it. Callers release at the start of a request. */
void pr_elfsyms_release(struct pr_elfsyms *t);
/* Binaries known. */
uint64_t pr_elfsyms_count(const struct pr_elfsyms *t);
/* Number of function symbols read for this binary (reads them if needed). */
uint64_t pr_elfsym_nsyms(struct pr_elfsym *b);
/* The unwind row (cfi.h) covering file offset foff, built from the
 * binary's .eh_frame or .debug_frame on first use and kept in the same
 * memory budget as the symbols: 1 with *row filled (it may be an INVALID
 * row), 0 when no row covers foff or the binary has no unwind info. */
int pr_elfsym_cfi_row(struct pr_elfsym *b, uint64_t foff, struct pr_cfi_row *row);
/* All of b's unwind rows (built on first use; n 0: none). Valid until
 * the next call into this table, which may evict them. */
const struct pr_cfi_packed *pr_elfsym_cfi_table(struct pr_elfsym *b);
/* Adds binaries, negative entries, parses, resolve hits/misses and bytes
 * held into out. */
/* What the symbol and unwind-table caches hold and did. */
struct pr_elfsym_stats {
	uint64_t binaries;	/* binaries with a symbol table */
	uint64_t negative;	/* binaries in the negative cache */
	uint64_t parses;	/* ELF files parsed for symbols */
	uint64_t hits;		/* user addresses named */
	uint64_t misses;	/* user addresses in a binary but in no symbol */
	uint64_t bytes;		/* memory held by symbol tables */
	uint64_t unloads;	/* tables unloaded to stay within the budget */
	uint64_t cfi_tables;	/* unwind tables built */
	uint64_t cfi_none;	/* binaries with no unwind info */
	uint64_t cfi_bytes;	/* memory held by unwind tables */
	uint64_t cfi_evictions; /* unwind tables dropped to stay within their budget */
	uint64_t cfi_budget;	/* bytes unwind tables may hold */
	uint64_t ranges;	/* user addresses named by their FDE's range (no symbol) */
	uint64_t lines;		/* addresses given a source line */
	uint64_t inlined;	/* inline frames those addresses expanded into */
	uint64_t dwarf_bytes;	/* decompressed DWARF held */
	uint64_t dwarf_evictions; /* DWARF files closed to stay within the budget */
	uint64_t dwarf_cache_hits, dwarf_cache_builds, dwarf_cache_refused, dwarf_cache_rebuilds,
		dwarf_cache_pruned; /* inflated copies (dwarfcache.h) */
	uint64_t di_requests, di_fetched, di_cached, di_not_found, di_failed, di_bytes,
		di_pending; /* debuginfod (debuginfod.h) */
};

void pr_elfsyms_stats(const struct pr_elfsyms *t, struct pr_elfsym_stats *out);

struct pr_debuginfod;
/* Asks di (may be NULL: off) for the debuginfo of binaries that have
 * none here. */
void pr_elfsyms_set_debuginfod(struct pr_elfsyms *t, struct pr_debuginfod *di);
/* Source lines and inline frames on (the default) or off (no DWARF is
 * read: names only). */
void pr_elfsyms_set_lines(struct pr_elfsyms *t, bool on);
/* On: DWARF files are opened on a thread of their own and a binary's
 * lines are missing until its file is open (the run: the caller never
 * waits on a decompression); off (the default): opening waits. */
void pr_elfsyms_set_background_dwarf(struct pr_elfsyms *t, bool on);
struct pr_dwarfcache;
/* Reads compressed DWARF through c's inflated copies (t owns c from here;
 * NULL: libdw inflates it in memory, the default). Before the first
 * lookup. */
void pr_elfsyms_set_dwarf_cache(struct pr_elfsyms *t, struct pr_dwarfcache *c);
/* Moves when names or lines may have changed (a DWARF file opened, a
 * debuginfod answer): frames symbolized before may be stale. */
uint64_t pr_elfsyms_generation(struct pr_elfsyms *t);

/* One source position of an address, innermost first: an inline
 * function's frame (inlined = 1: inlined into the next entry), or the
 * function the address is in (inlined = 0, last). */
struct pr_elfsym_line {
	const char *name; /* demangled; NULL when DWARF has none */
	const char *file;
	uint32_t line;
	uint32_t inlined;
};
/* The source positions of file offset foff from the binary's DWARF (its
 * own, separate debuginfo, or debuginfod's): *out points at n entries
 * (cached), valid until the next call into this table. 0 when no DWARF
 * covers foff or lines are off. Callers pass foff - 1 for a return
 * address, so it names the call, not the line after it. */
int pr_elfsym_lines(struct pr_elfsym *b, uint64_t foff, const struct pr_elfsym_line **out);

#endif
