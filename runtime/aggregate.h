/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Draining the samples BPF counted (sample{aggregate=true}; the maps are
 * described in bpf/events.h). Every PR_AGG_INTERVAL the other slot, which
 * BPF left an interval ago (no program can still be adding to it), is
 * drained, each count becoming one record of its stack with its weight
 * (the stack as BPF sent it when it added it, or read from its map the
 * first time a count names it, kept while counts do); then BPF moves to
 * it. One wake-up an interval. At the end (programs
 * detached) both slots are drained in full, so every sample counted in
 * the kernel reaches the script exactly once.
 */
#ifndef PR_AGGREGATE_H
#define PR_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pr_aggregate;

/* counts reach the script this often: every wake-up of the loop costs
 * ~0.3 ms of CPU here, most of it fixed (the drain's system calls, the
 * ticks, the context switch), so at 100 ms an idle 4999 Hz profile cost
 * 3.7-5 ms/s and at 500 ms 1.8-2 ms/s; what waits for the next wake-up
 * meanwhile (a new process's tables, a Python process) wakes it sooner */
#define PR_AGG_INTERVAL_MS 500
/* sample{aggregate = true}: maps sized from CPUs x Hz */
#define PR_AGG_AUTO 1

struct pr_agg_fds {
	int counts[2], stacks, stack_ring, slot, stats;
};

struct pr_aggregate_stats {
	uint64_t counted;     /* samples counted in BPF */
	uint64_t collisions;  /* samples sent as records: another stack had their hash */
	uint64_t counts_full; /* ... no room for a new count */
	uint64_t stacks_full; /* ... no room for a new stack */
	uint64_t records;     /* counts drained */
	uint64_t drained;     /* samples they stood for */
	uint64_t stack_misses; /* counts whose stack was not found: sent without frames */
	uint64_t stacks_received; /* new stacks BPF sent on their ring */
	uint64_t stacks_unsent;	  /* ... it had no room for (read from the map instead) */
	uint64_t stack_reads;  /* stacks read from the map (once each while in use) */
	uint64_t stack_deletes; /* stacks no count named for a while, deleted from it */
	uint64_t flips;
};

/* emit takes one record (struct pr_sample_agg) and returns non-zero when
 * no more fit in this cycle. */
typedef int (*pr_agg_emit_fn)(void *ctx, void *rec, size_t len);

int pr_aggregate_new(const struct pr_agg_fds *fds, struct pr_aggregate **out);
/* Flips and drains what is due (final: everything, the programs being
 * detached). Returns 1 when emit stopped it with more waiting, else 0. */
int pr_aggregate_drain(struct pr_aggregate *a, bool final, pr_agg_emit_fn emit, void *ctx);
/* Milliseconds until the next drain is due (0: now); -1 without a. */
int pr_aggregate_wait_ms(const struct pr_aggregate *a);
void pr_aggregate_stats(const struct pr_aggregate *a, struct pr_aggregate_stats *out);
void pr_aggregate_free(struct pr_aggregate *a);

#endif
