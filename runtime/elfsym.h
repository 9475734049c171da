/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-binary symbol tables, keyed by device + inode and shared by every
 * process that maps the binary. A table is created when a binary is first
 * seen in a stack (its file is opened then, while the process is alive, so
 * it can be read after the process exited or the file was deleted) and its
 * symbols are read on the first lookup.
 */
#ifndef PR_ELFSYM_H
#define PR_ELFSYM_H

#include <stdint.h>
#include <sys/types.h>

struct pr_elfsyms; /* the table of binaries */
struct pr_elfsym;  /* one binary; lives as long as the table */

int pr_elfsyms_new(struct pr_elfsyms **out);
void pr_elfsyms_free(struct pr_elfsyms *t);

/* The binary with this identity, created (and its file opened through
 * open_path, e.g. /proc/PID/map_files/...) when unknown. name is the path
 * shown to users. NULL on failure (the file could not be opened). */
struct pr_elfsym *pr_elfsym_lookup(struct pr_elfsyms *t, dev_t dev, ino_t ino,
				   const char *open_path, const char *name);
/* Opens and reads a binary directly by path (unit tests, usym fallbacks). */
struct pr_elfsym *pr_elfsym_lookup_path(struct pr_elfsyms *t, const char *path);

/* The function containing file offset foff, or NULL. *off is the distance
 * from the symbol's start. Reads the symbols on first use. */
const char *pr_elfsym_resolve(struct pr_elfsym *b, uint64_t foff, uint64_t *off);
/* The path shown for this binary. */
const char *pr_elfsym_name(const struct pr_elfsym *b);
/* Binaries known, and of those with at least one symbol. */
uint64_t pr_elfsyms_count(const struct pr_elfsyms *t);
/* Number of function symbols read for this binary (reads them if needed). */
uint64_t pr_elfsym_nsyms(struct pr_elfsym *b);

#endif
