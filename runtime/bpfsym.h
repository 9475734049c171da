/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Symbols of JITed BPF programs: exact [start, end) ranges with the names
 * the kernel gives them (bpf_prog_<tag>_<name>), one per function,
 * subprograms included. The baseline comes from the BPF syscalls; updates
 * come from PERF_RECORD_KSYMBOL (see ksymfeed.h). A range that goes away
 * keeps its record, so a stack interned while it was loaded still names it
 * after it is gone, and an address in no live range is unknown.
 */
#ifndef PR_BPFSYM_H
#define PR_BPFSYM_H

#include <stdint.h>

struct pr_bpfsym;

#define PR_BPFSYM_NAME_LEN 512 /* KSYM_NAME_LEN */

int pr_bpfsym_new(struct pr_bpfsym **out);
void pr_bpfsym_free(struct pr_bpfsym *bs);
/* Replaces every live range with what the kernel reports now (walks the
 * program ids). Returns the number of ranges, or -errno. */
int pr_bpfsym_resync(struct pr_bpfsym *bs);
/* A range registered (start, len, name as the kernel spells it). */
int pr_bpfsym_add(struct pr_bpfsym *bs, uint64_t start, uint32_t len, const char *name);
/* The range starting at start unregistered. */
void pr_bpfsym_remove(struct pr_bpfsym *bs, uint64_t start);
/* The id (>= 1) of the live range containing addr, or 0. An id names the
 * same function forever, even after it is unloaded. */
uint32_t pr_bpfsym_find(const struct pr_bpfsym *bs, uint64_t addr);
/* Name and start of a range by id; NULL for 0 or unknown ids. The string
 * lives until pr_bpfsym_free. */
const char *pr_bpfsym_name(const struct pr_bpfsym *bs, uint32_t id, uint64_t *start);
/* Live ranges, updates applied, full resyncs done. */
uint64_t pr_bpfsym_count(const struct pr_bpfsym *bs);
uint64_t pr_bpfsym_updates(const struct pr_bpfsym *bs);
uint64_t pr_bpfsym_resyncs(const struct pr_bpfsym *bs);

#endif
