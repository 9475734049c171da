/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Debuginfo files with their DWARF inflated, kept on disk. Debian's
 * debuginfo is zlib-compressed; libdw 0.188 inflates every debug section
 * of a file into memory when it opens it (libc's: 10 MB, python3.11's:
 * 31 MB, 80-180 ms of CPU), at every run. A copy with the sections stored
 * inflated is made once, and libdw then reads it through a mapping: only
 * the pages a lookup touches are resident, they are clean file pages the
 * kernel may drop, and opening costs no inflating at all.
 *
 * A copy is named by the source file's identity (device, inode, size,
 * mtime and ctime: a rewritten or replaced file gets another name) and
 * carries that identity in a footer. profrun runs as root and libdw parses
 * what is in the copy: the directory and its files must belong to the
 * effective user and be writable by nobody else, or they are not used; a
 * copy of the wrong size or footer (an interrupted write, a damaged disk)
 * is removed and made again. The directory is kept within a byte bound,
 * least recently used copies first.
 */
#ifndef PR_DWARFCACHE_H
#define PR_DWARFCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libelf.h>

/* The default directory; PROFRUN_DWARF_CACHE overrides it ("off": none). */
#define PR_DWARFCACHE_DIR "/var/cache/profrun/dwarf"
/* Bytes the directory may hold (PROFRUN_DWARF_CACHE_MAX_MB overrides it);
 * one copy may take half. */
#define PR_DWARFCACHE_MAX_BYTES (1ull << 30)

struct pr_dwarfcache;

struct pr_dwarfcache_stats {
	uint64_t hits;	   /* copies found and used */
	uint64_t builds;   /* copies made */
	uint64_t refused;  /* files not copied: not compressed in a way we inflate, too
			    * large, malformed, no room; libdw inflates them in memory */
	uint64_t rebuilds; /* copies found damaged or stale, made again */
	uint64_t pruned;   /* copies removed to keep the directory within its bound */
};

/* The cache in dir (made if missing) holding at most max_bytes (0: the
 * default): 0, or -errno with why (an untrusted or unusable directory). */
int pr_dwarfcache_new(const char *dir, uint64_t max_bytes, struct pr_dwarfcache **out, char *why,
		      size_t whylen);
void pr_dwarfcache_free(struct pr_dwarfcache *c);

/*
 * A read-only fd of the inflated copy of src (an ELF file with compressed
 * debug sections, open as src_fd), made now if missing: 0 with *fd (the
 * caller closes it); -errno when there is none (src is refused, or the
 * copy could not be written): the caller reads src as it is. Safe to call
 * from several threads.
 */
int pr_dwarfcache_open(struct pr_dwarfcache *c, int src_fd, Elf *src, int *fd);

void pr_dwarfcache_stats(const struct pr_dwarfcache *c, struct pr_dwarfcache_stats *out);

#endif
