// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A slot's counts and stacks are read with batched lookup-and-delete once
 * nothing writes to it any more, so none is lost or read twice, in a few
 * system calls (a stack at a time was ~1000 calls a second at 4999 Hz,
 * most of profrun's CPU in this mode). A drain that fills the loop's
 * arena goes on in the next cycle.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "aggregate.h"
#include "array.h"
#include "clock.h"
#include "events.h"

#define PR_AGG_INTERVAL_NS (PR_AGG_INTERVAL_MS * 1000000ull)
#define BATCH 512
#define STACK_BATCH 32
/* a slot's stacks buffer above this is freed after its drain */
#define STACKS_KEEP (1u << 20)

struct entry {
	struct pr_agg_key k;
	struct pr_agg_val v;
};

struct stack_entry {
	uint64_t hash;
	struct pr_agg_stack s;
};

struct pr_aggregate {
	struct pr_agg_fds fd;
	uint32_t cur;	   /* the slot BPF adds to */
	uint64_t flip_time;
	struct pr_aggregate_stats st;
	/* a slot's counts, read out and sorted by stack, handed from pos on */
	struct entry *ents;
	uint32_t nents, cap, pos;
	int loaded; /* the slot ents came from, -1: none */
	/* its stacks, sorted by hash */
	struct stack_entry *stacks;
	uint32_t nstacks, capstacks;
	struct pr_agg_key keys[BATCH];
	struct pr_agg_val vals[BATCH];
	uint64_t skeys[STACK_BATCH];
	struct pr_agg_stack svals[STACK_BATCH];
	struct pr_sample_agg rec;
};

int pr_aggregate_new(const struct pr_agg_fds *fds, struct pr_aggregate **out)
{
	struct pr_aggregate *a = calloc(1, sizeof(*a));
	uint32_t zero = 0;

	if (!a)
		return -ENOMEM;
	a->fd = *fds;
	a->loaded = -1;
	a->flip_time = pr_mono_ns();
	if (bpf_map_update_elem(a->fd.slot, &zero, &a->cur, BPF_ANY)) {
		free(a);
		return -errno;
	}
	*out = a;
	return 0;
}

void pr_aggregate_free(struct pr_aggregate *a)
{
	if (a) {
		free(a->ents);
		free(a->stacks);
	}
	free(a);
}

static int by_stack(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	return a->k.stack < b->k.stack ? -1 : a->k.stack > b->k.stack;
}

static int by_hash(const void *x, const void *y)
{
	const struct stack_entry *a = x, *b = y;

	return a->hash < b->hash ? -1 : a->hash > b->hash;
}

/* Reads and deletes every entry of map fd, batch entries at a time into
 * keys and vals, each batch handed to keep (which copies it out). */
static void take_all(struct pr_aggregate *a, int fd, void *keys, void *vals, uint32_t batch,
		     void (*keep)(struct pr_aggregate *a, uint32_t n))
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t n, in = 0, out = 0;
	bool first = true;
	int err;

	do {
		n = batch;
		err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &out, keys, vals, &n,
						      &opts);
		if (err && errno != ENOENT)
			n = 0;
		first = false;
		in = out;
		if (n)
			keep(a, n);
	} while (!err);
}

static void keep_stacks(struct pr_aggregate *a, uint32_t n)
{
	uint32_t i;

	/* out of memory: their counts come without a stack, counted */
	if (pr_array_reserve((void **)&a->stacks, &a->capstacks, a->nstacks + n,
			     sizeof(*a->stacks)))
		return;
	for (i = 0; i < n; i++) {
		a->stacks[a->nstacks].hash = a->skeys[i];
		a->stacks[a->nstacks++].s = a->svals[i];
	}
}

static void keep_counts(struct pr_aggregate *a, uint32_t n)
{
	uint32_t i;

	/* out of memory: these counts are lost (the map gave them up) */
	if (pr_array_reserve((void **)&a->ents, &a->cap, a->nents + n, sizeof(*a->ents)))
		return;
	for (i = 0; i < n; i++)
		a->ents[a->nents++] = (struct entry){ a->keys[i], a->vals[i] };
}

/* Reads (and deletes) every count of slot into ents, sorted by stack,
 * and the slot's stacks into stacks, sorted by hash. */
static void load(struct pr_aggregate *a, uint32_t slot)
{
	a->nents = a->pos = 0;
	take_all(a, a->fd.counts[slot], a->keys, a->vals, BATCH, keep_counts);
	if (a->nents > 1)
		qsort(a->ents, a->nents, sizeof(*a->ents), by_stack);
	a->nstacks = 0;
	take_all(a, a->fd.stacks[slot], a->skeys, a->svals, STACK_BATCH, keep_stacks);
	if (a->nstacks > 1)
		qsort(a->stacks, a->nstacks, sizeof(*a->stacks), by_hash);
	a->loaded = slot;
}

/* Deletes what is left of slot's stacks: only those a failed allocation
 * left behind, normally none. */
static void clear_stacks(struct pr_aggregate *a, uint32_t slot)
{
	uint64_t k;

	while (!bpf_map_get_next_key(a->fd.stacks[slot], NULL, &k))
		if (bpf_map_delete_elem(a->fd.stacks[slot], &k))
			break;
}

/* One count as a record, with its stack. */
static void fill(struct pr_aggregate *a, const struct entry *e)
{
	struct stack_entry key = { .hash = e->k.stack };
	const struct stack_entry *se;
	struct pr_sample_agg *r = &a->rec;
	uint32_t n;

	se = a->nstacks ? bsearch(&key, a->stacks, a->nstacks, sizeof(*a->stacks), by_hash) : NULL;
	memset(r, 0, offsetof(struct pr_sample_agg, addrs));
	r->hdr = (struct pr_hdr){ .type = PR_REC_SAMPLE_AGG, .size = sizeof(*r),
				  .time = e->v.time };
	r->pid = e->k.pid;
	r->tid = e->k.tid;
	r->count = e->v.count > UINT32_MAX ? UINT32_MAX : (uint32_t)e->v.count;
	r->cgroup = e->v.cgroup;
	memcpy(r->comm, e->v.comm, sizeof(r->comm));
	if (!se || se->s.nkernel > PR_MAX_FRAMES || se->s.nuser > PR_MAX_FRAMES) {
		a->st.stack_misses++;
		return;
	}
	n = se->s.nkernel + se->s.nuser;
	r->nkernel = se->s.nkernel;
	r->nuser = se->s.nuser;
	memcpy(r->addrs, se->s.addrs, n * sizeof(r->addrs[0]));
}

/* Drains slot: 1 when emit stopped it (it goes on from there next time),
 * 0 when the slot is empty. */
static int drain_slot(struct pr_aggregate *a, uint32_t slot, pr_agg_emit_fn emit, void *ctx)
{
	const struct entry *e;

	if (a->loaded >= 0 && a->loaded != (int)slot && drain_slot(a, a->loaded, emit, ctx))
		return 1;
	if (a->loaded < 0)
		load(a, slot);
	while (a->pos < a->nents) {
		e = &a->ents[a->pos++];
		fill(a, e);
		a->st.records++;
		a->st.drained += e->v.count;
		if (emit(ctx, &a->rec, sizeof(a->rec)))
			return 1;
	}
	a->loaded = -1;
	clear_stacks(a, slot);
	if (a->capstacks * sizeof(*a->stacks) > STACKS_KEEP) {
		/* a burst of distinct stacks: not kept for the rest of the run */
		free(a->stacks);
		a->stacks = NULL;
		a->capstacks = 0;
	}
	a->nstacks = 0;
	return 0;
}

int pr_aggregate_drain(struct pr_aggregate *a, bool final, pr_agg_emit_fn emit, void *ctx)
{
	uint32_t zero = 0, next;
	uint64_t now;

	if (!a)
		return 0;
	if (final)
		return drain_slot(a, 0, emit, ctx) || drain_slot(a, 1, emit, ctx);
	now = pr_mono_ns();
	if (now - a->flip_time < PR_AGG_INTERVAL_NS)
		return 0;
	/* one wake-up an interval: the other slot, out since the last flip
	 * (a whole interval: no program still adds to it), is drained, then
	 * BPF moves to it and this one waits its turn */
	next = a->cur ^ 1;
	if (drain_slot(a, next, emit, ctx))
		return 1;
	a->flip_time = now;
	if (bpf_map_update_elem(a->fd.slot, &zero, &next, BPF_ANY))
		return 0; /* the counts stay in the current slot: next interval */
	a->cur = next;
	a->st.flips++;
	return 0;
}

int pr_aggregate_wait_ms(const struct pr_aggregate *a)
{
	uint64_t now = pr_mono_ns(), due;

	if (!a)
		return -1;
	due = a->flip_time + PR_AGG_INTERVAL_NS;
	return now >= due ? 0 : (int)((due - now + 999999) / 1000000);
}

void pr_aggregate_stats(const struct pr_aggregate *a, struct pr_aggregate_stats *out)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	uint64_t sums[PR_AGG_MAX] = { 0 }, *v;
	uint32_t i;

	*out = a->st;
	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof(*v))))
		return;
	for (i = 0; i < PR_AGG_MAX; i++)
		if (!bpf_map_lookup_elem(a->fd.stats, &i, v))
			for (c = 0; c < ncpu; c++)
				sums[i] += v[c];
	free(v);
	out->counted = sums[PR_AGG_COUNTED];
	out->collisions = sums[PR_AGG_COLLISIONS];
	out->counts_full = sums[PR_AGG_COUNTS_FULL];
	out->stacks_full = sums[PR_AGG_STACKS_FULL];
}
