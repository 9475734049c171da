/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * JIT symbol maps: /tmp/perf-PID.map, written by node --perf-basic-prof,
 * the JVM's perf-map agent, LuaJIT and others, one "START SIZE name" line
 * (hex numbers) per compiled function. They name anonymous executable
 * memory that no ELF file describes. Read per pid on first use, read again
 * when the file has grown, kept after the process exits (the file usually
 * stays, and stacks are symbolized late).
 */
#ifndef PR_PERFMAP_H
#define PR_PERFMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pr_perfmaps;

struct pr_perfmaps_opts {
	const char *dir; /* where perf-PID.map files live; NULL = /tmp */
};

int pr_perfmaps_new(const struct pr_perfmaps_opts *o, struct pr_perfmaps **out);
void pr_perfmaps_free(struct pr_perfmaps *pm);
/* Parses one line (without its newline). Returns 0 and the fields, the
 * name pointing into line, or -EINVAL. */
int pr_perfmap_parse_line(const char *line, size_t len, uint64_t *start, uint64_t *size,
			  const char **name, size_t *name_len);
/* The JIT function of pid containing addr, or NULL; *off from its start,
 * *module the map's name. Strings are valid until pr_perfmaps_release (a
 * grown file is read again, its old names kept until then). */
const char *pr_perfmap_lookup(struct pr_perfmaps *pm, uint32_t pid, uint64_t addr,
			      uint64_t *off, const char **module);
/* pid has a map file (the process may be gone). */
bool pr_perfmap_exists(const struct pr_perfmaps *pm, uint32_t pid);
/* Frees the names of maps read again since the last call: no name from
 * before may be used after it. Callers release at the start of a request. */
void pr_perfmaps_release(struct pr_perfmaps *pm);
/* Map files read (for stats and tests). */
uint64_t pr_perfmaps_reads(const struct pr_perfmaps *pm);
/* Map files ignored: owned by neither the process's user nor root, not a
 * regular file, or a symlink. Counted once per file size seen. */
uint64_t pr_perfmaps_untrusted(const struct pr_perfmaps *pm);

#endif
