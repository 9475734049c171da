// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A slot's counts are read with batched lookup-and-delete once nothing
 * writes to it any more, so none is lost or read twice; each stack is
 * taken out when the first count that names it is handed on. A drain
 * that fills the loop's arena goes on in the next cycle.
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

#define PR_AGG_INTERVAL_NS 100000000ull /* counts reach the script this often */
#define GRACE_NS 10000000ull		/* a program that read the old slot has ended */
#define BATCH 512

struct entry {
	struct pr_agg_key k;
	struct pr_agg_val v;
};

struct pr_aggregate {
	struct pr_agg_fds fd;
	uint32_t cur;	   /* the slot BPF adds to */
	int draining;	   /* the slot to drain, -1: none */
	uint64_t flip_time;
	struct pr_aggregate_stats st;
	/* a slot's counts, read out and sorted by stack, handed from pos on */
	struct entry *ents;
	uint32_t nents, cap, pos;
	int loaded; /* the slot ents came from, -1: none */
	uint64_t stack_hash;
	bool stack_ok;
	struct pr_agg_key keys[BATCH];
	struct pr_agg_val vals[BATCH];
	struct pr_agg_stack stack;
	struct pr_sample_agg rec;
};

int pr_aggregate_new(const struct pr_agg_fds *fds, struct pr_aggregate **out)
{
	struct pr_aggregate *a = calloc(1, sizeof(*a));
	uint32_t zero = 0;

	if (!a)
		return -ENOMEM;
	a->fd = *fds;
	a->draining = -1;
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
	if (a)
		free(a->ents);
	free(a);
}

static int by_stack(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	return a->k.stack < b->k.stack ? -1 : a->k.stack > b->k.stack;
}

/* Reads (and deletes) every count of slot into ents, sorted by stack, so
 * each stack is read once. */
static void load(struct pr_aggregate *a, uint32_t slot)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t n, i, in = 0, out = 0;
	bool first = true;
	int err;

	a->nents = a->pos = 0;
	do {
		n = BATCH;
		err = bpf_map_lookup_and_delete_batch(a->fd.counts[slot], first ? NULL : &in, &out,
						      a->keys, a->vals, &n, &opts);
		if (err && errno != ENOENT)
			n = 0;
		first = false;
		in = out;
		if (n && pr_array_reserve((void **)&a->ents, &a->cap, a->nents + n,
					  sizeof(*a->ents)))
			n = 0; /* left in the map: the final drain takes them */
		for (i = 0; i < n; i++)
			a->ents[a->nents++] = (struct entry){ a->keys[i], a->vals[i] };
	} while (!err);
	if (a->nents > 1)
		qsort(a->ents, a->nents, sizeof(*a->ents), by_stack);
	a->loaded = slot;
	a->stack_ok = false;
}

/* Deletes what is left of slot's stacks: only those whose count could
 * not be added, normally none. */
static void clear_stacks(struct pr_aggregate *a, uint32_t slot)
{
	uint64_t k;

	while (!bpf_map_get_next_key(a->fd.stacks[slot], NULL, &k))
		if (bpf_map_delete_elem(a->fd.stacks[slot], &k))
			break;
}

/* One count as a record; its stack read (and taken out) once for all
 * the counts that share it. */
static void fill(struct pr_aggregate *a, uint32_t slot, const struct entry *e)
{
	struct pr_sample_agg *r = &a->rec;
	uint32_t n;

	if (!a->stack_ok || a->stack_hash != e->k.stack) {
		a->stack_hash = e->k.stack;
		a->stack_ok = !bpf_map_lookup_and_delete_elem(a->fd.stacks[slot], &e->k.stack,
							      &a->stack) &&
			      a->stack.nkernel <= PR_MAX_FRAMES && a->stack.nuser <= PR_MAX_FRAMES;
	}
	memset(r, 0, offsetof(struct pr_sample_agg, addrs));
	r->hdr = (struct pr_hdr){ .type = PR_REC_SAMPLE_AGG, .size = sizeof(*r),
				  .time = e->v.time };
	r->pid = e->k.pid;
	r->tid = e->k.tid;
	r->count = e->v.count > UINT32_MAX ? UINT32_MAX : (uint32_t)e->v.count;
	r->cgroup = e->v.cgroup;
	memcpy(r->comm, e->v.comm, sizeof(r->comm));
	if (!a->stack_ok) {
		a->st.stack_misses++;
		return;
	}
	n = a->stack.nkernel + a->stack.nuser;
	r->nkernel = a->stack.nkernel;
	r->nuser = a->stack.nuser;
	memcpy(r->addrs, a->stack.addrs, n * sizeof(r->addrs[0]));
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
		fill(a, slot, e);
		a->st.records++;
		a->st.drained += e->v.count;
		if (emit(ctx, &a->rec, sizeof(a->rec)))
			return 1;
	}
	a->loaded = -1;
	clear_stacks(a, slot);
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
	if (a->draining >= 0) {
		if (now - a->flip_time < GRACE_NS)
			return 0;
		if (drain_slot(a, a->draining, emit, ctx))
			return 1;
		a->draining = -1;
	}
	if (now - a->flip_time < PR_AGG_INTERVAL_NS)
		return 0;
	next = a->cur ^ 1;
	if (bpf_map_update_elem(a->fd.slot, &zero, &next, BPF_ANY))
		return 0; /* the counts stay in the current slot until it works */
	a->draining = a->cur;
	a->cur = next;
	a->flip_time = now;
	a->st.flips++;
	return 0;
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
