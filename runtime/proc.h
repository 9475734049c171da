/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The process metadata cache behind proc(pid). Entries are keyed by pid
 * and identified by their start time, seeded from /proc once at start,
 * created and refreshed by lifecycle events, filled lazily field by field,
 * kept readable through the dispatch cycle after their exit, and bounded
 * by an LRU capacity. Rules: ../shared/design.md, "Process metadata".
 */
#ifndef PR_PROC_H
#define PR_PROC_H

#include <stdint.h>
#include "cgroup.h"
#include "ffi_types.h"

struct pr_proc;

struct pr_proc_opts {
	const char *root;               /* procfs mount; NULL = /proc */
	struct pr_cgroup *cgroups;      /* id -> path; may be NULL */
	uint32_t capacity;              /* entries; 0 = PR_PROC_DEFAULT_CAPACITY */
	void (*on_evict)(void *ctx, uint32_t pid); /* an exited pid left the cache */
	void *evict_ctx;
};

#define PR_PROC_DEFAULT_CAPACITY 16384

int pr_proc_new(const struct pr_proc_opts *o, struct pr_proc **out);
void pr_proc_free(struct pr_proc *pc);
/* The exact start (CLOCK_BOOTTIME ns) of the process holding pid now: 0
 * and *start_ns, -ENOENT when no process that started or exec'd since the
 * table began holds it (every process an event named is in it until it
 * exits), another -errno when it cannot tell. */
typedef int (*pr_proc_live_fn)(void *ctx, uint32_t pid, uint64_t *start_ns);
/* Installs the live table (before the first event); without one, a pid
 * reused within the start tick is not told apart from its old process. */
void pr_proc_set_live(struct pr_proc *pc, pr_proc_live_fn fn, void *ctx);
/* Adds every live process under the procfs root; returns how many. */
int pr_proc_seed(struct pr_proc *pc);

/* Events, in ring order. */
void pr_proc_on_exec(struct pr_proc *pc, const struct pr_exec *e);
void pr_proc_on_fork(struct pr_proc *pc, const struct pr_fork *e);
void pr_proc_on_exit(struct pr_proc *pc, const struct pr_exit *e);
/* Ends a dispatch cycle: entries whose exit came in the previous cycle are
 * evicted now. */
void pr_proc_end_cycle(struct pr_proc *pc);

/* Fills the basic facts of pid (reading /proc/PID/stat on a miss).
 * Returns 0, or -ENOENT when no such process is known or alive. */
int pr_proc_lookup(struct pr_proc *pc, uint32_t pid, struct pr_proc_info *out);
/* A lazily read field of the entry (pid, gen) into buf: a string field
 * (enum pr_proc_field) as text, NUL-terminated; returns its length, or
 * -ESTALE when the entry is gone or belongs to another process now,
 * -ENOENT when the field is unknown (unreadable, or the process is gone). */
int pr_proc_field(struct pr_proc *pc, uint32_t pid, uint64_t gen, int field, char *buf,
		  uint32_t len);
/* A numeric field (uid, namespaces) of (pid, gen), read lazily. */
int pr_proc_number(struct pr_proc *pc, uint32_t pid, uint64_t gen, int field, uint64_t *out);
/* The value of environment variable name of (pid, gen). */
int pr_proc_env(struct pr_proc *pc, uint32_t pid, uint64_t gen, const char *name, char *buf,
		uint32_t len);
/* The cache's counters. */
struct pr_proc_stats {
	uint64_t size; /* entries held */
	uint64_t capacity;
	uint64_t hits;
	uint64_t misses;	   /* lookups that went to /proc (or found nothing) */
	uint64_t evictions;	   /* entries dropped by the LRU bound */
	uint64_t exited_evictions; /* entries dropped a cycle after their exit */
	uint64_t reloads;	   /* entries replaced after PID reuse */
	uint64_t seeded;	   /* entries from the /proc scan at start */
	uint64_t gone;		   /* entries found gone (live table) before their exit event */
};

void pr_proc_stats(const struct pr_proc *pc, struct pr_proc_stats *out);

#endif
