/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Kernel symbols from /proc/kallsyms: read once, on the first lookup. */
#ifndef PR_KSYM_H
#define PR_KSYM_H

#include <stdint.h>

struct pr_ksym;

int pr_ksym_new(struct pr_ksym **out);
void pr_ksym_free(struct pr_ksym *ks);
/* Loads kallsyms from path (tests pass a fixture; NULL = /proc/kallsyms). */
int pr_ksym_load(struct pr_ksym *ks, const char *path);
/* The function containing addr, or NULL. *off is addr - start; *module is
 * "kernel" or the module's name in brackets ("[ext4]"). Strings live until pr_ksym_free. Loads
 * /proc/kallsyms on first use. */
const char *pr_ksym_lookup(struct pr_ksym *ks, uint64_t addr, uint64_t *off, const char **module);
/* Number of symbols held (0 before the first lookup). */
uint64_t pr_ksym_count(const struct pr_ksym *ks);
/* Times kallsyms was opened (one per run is the rule), and how long the
 * parse took. */
uint64_t pr_ksym_reads(const struct pr_ksym *ks);
uint64_t pr_ksym_parse_ns(const struct pr_ksym *ks);

#endif
