// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A slot's counts are read with batched lookup-and-delete once nothing
 * writes to it any more, so none is lost or read twice, in a few system
 * calls (a count at a time was ~1000 calls a second at 4999 Hz, most of
 * profrun's CPU in this mode). A drain that fills the loop's arena goes on
 * in the next cycle. Stacks come on their ring as BPF adds them (read
 * before a slot's counts are: a stack is added before any count names
 * it), else from their map when a count first names them (a system call
 * each, ~2.5 us here; ~130 a second at 4999 Hz under a busy two-CPU load,
 * more with more CPUs), and are kept here by (hash, gen) while counts
 * name them;
 * one no count named for STALE_FLIPS intervals is deleted from the map,
 * its copy kept KEEP_DELETED intervals more for the counts already taken
 * (a count is drained at most two intervals after BPF looked its stack up).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "aggregate.h"
#include "array.h"
#include "bpfring.h"
#include "clock.h"
#include "events.h"

#define PR_AGG_INTERVAL_NS (PR_AGG_INTERVAL_MS * 1000000ull)
#define BATCH 512
#define STALE_FLIPS (2000 / PR_AGG_INTERVAL_MS) /* 2 s */
#define KEEP_DELETED 4
#define SWEEP_FLIPS (1000 / PR_AGG_INTERVAL_MS) /* stale stacks are looked for this often */
#define STALE_BATCH 256

struct entry {
	struct pr_agg_key k;
	struct pr_agg_val v;
};

/* a stack as read from the map */
struct known {
	uint64_t hash, gen;
	uint64_t used;	  /* the last flip a count named it */
	uint64_t deleted; /* the flip it left the map; 0: there */
	uint16_t nkernel, nuser;
	uint64_t *addrs;
};

struct pr_aggregate {
	struct pr_agg_fds fd;
	struct pr_bpfring *ring; /* the new stacks BPF sends */
	uint32_t cur;	   /* the slot BPF adds to */
	uint64_t flip_time;
	struct pr_aggregate_stats st;
	/* a slot's counts, read out and sorted by stack, handed from pos on */
	struct entry *ents;
	uint32_t nents, cap, pos;
	int loaded; /* the slot ents came from, -1: none */
	/* the stacks read, by (hash, gen): slots hold index + 1, 0 empty */
	struct known *known;
	uint32_t nknown, capknown;
	uint32_t *slots;
	uint32_t mask;
	uint64_t swept;
	struct pr_agg_key keys[BATCH];
	struct pr_agg_val vals[BATCH];
	struct pr_agg_stack sval;
	uint64_t stale[STALE_BATCH];
	struct pr_sample_agg rec;
};

static int on_stack(void *ctx, void *data, size_t len);

int pr_aggregate_new(const struct pr_agg_fds *fds, struct pr_aggregate **out)
{
	struct pr_aggregate *a = calloc(1, sizeof(*a));
	uint32_t zero = 0;
	int err;

	if (!a)
		return -ENOMEM;
	a->fd = *fds;
	a->loaded = -1;
	a->flip_time = pr_mono_ns();
	err = pr_bpfring_new(a->fd.stack_ring, on_stack, a, &a->ring);
	if (!err && bpf_map_update_elem(a->fd.slot, &zero, &a->cur, BPF_ANY))
		err = -errno;
	if (err) {
		pr_aggregate_free(a);
		return err;
	}
	*out = a;
	return 0;
}

void pr_aggregate_free(struct pr_aggregate *a)
{
	uint32_t i;

	if (a) {
		pr_bpfring_free(a->ring);
		free(a->ents);
		for (i = 0; i < a->nknown; i++)
			free(a->known[i].addrs);
		free(a->known);
		free(a->slots);
	}
	free(a);
}

static int by_stack(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	if (a->k.stack != b->k.stack)
		return a->k.stack < b->k.stack ? -1 : 1;
	return a->v.gen < b->v.gen ? -1 : a->v.gen > b->v.gen;
}

static uint32_t known_slot(uint64_t hash, uint64_t gen)
{
	uint64_t h = (hash ^ gen * 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull;

	return (uint32_t)(h >> 32);
}

static void place_known(uint32_t *slots, uint32_t mask, const struct known *k, uint32_t i)
{
	uint32_t s = known_slot(k->hash, k->gen) & mask;

	while (slots[s])
		s = (s + 1) & mask;
	slots[s] = i + 1;
}

/* Places every kept stack in a new table at most a quarter full with one
 * more; out of memory, forgets them all (read again when named). */
static int index_known(struct pr_aggregate *a)
{
	uint32_t size = 64, i;
	uint32_t *slots;

	while (size < 4 * (a->nknown + 1))
		size *= 2;
	slots = calloc(size, sizeof(*slots));
	if (!slots) {
		for (i = 0; i < a->nknown; i++)
			free(a->known[i].addrs);
		a->nknown = 0;
		free(a->slots);
		a->slots = NULL;
		a->mask = 0;
		return -ENOMEM;
	}
	for (i = 0; i < a->nknown; i++)
		place_known(slots, size - 1, &a->known[i], i);
	free(a->slots);
	a->slots = slots;
	a->mask = size - 1;
	return 0;
}

static struct known *find_known(struct pr_aggregate *a, uint64_t hash, uint64_t gen)
{
	uint32_t k, i;

	if (!a->slots)
		return NULL;
	for (k = known_slot(hash, gen) & a->mask; (i = a->slots[k]); k = (k + 1) & a->mask)
		if (a->known[i - 1].hash == hash && a->known[i - 1].gen == gen)
			return &a->known[i - 1];
	return NULL;
}

/* Keeps a copy of stack s (its frames checked by the caller) as
 * (s->hash, s->gen), named now; NULL when memory ran out. */
static struct known *keep_stack(struct pr_aggregate *a, const struct pr_agg_stack *s)
{
	struct known *k;
	uint32_t n;

	if ((!a->slots || (a->nknown + 1) * 2 > a->mask) && index_known(a))
		return NULL;
	if (pr_array_reserve((void **)&a->known, &a->capknown, a->nknown + 1, sizeof(*a->known)))
		return NULL;
	n = s->nkernel + s->nuser;
	k = &a->known[a->nknown];
	*k = (struct known){ .hash = s->hash, .gen = s->gen, .used = a->st.flips,
			     .nkernel = s->nkernel, .nuser = s->nuser,
			     .addrs = malloc((n ? n : 1) * sizeof(*k->addrs)) };
	if (!k->addrs)
		return NULL;
	memcpy(k->addrs, s->addrs, n * sizeof(*k->addrs));
	place_known(a->slots, a->mask, k, a->nknown++);
	return k;
}

/* A new stack BPF sent: the struct up to its last frame. */
static int on_stack(void *ctx, void *data, size_t len)
{
	const size_t head = offsetof(struct pr_agg_stack, addrs);
	const struct pr_agg_stack *s = data;
	struct pr_aggregate *a = ctx;

	if (len < head || s->nkernel > PR_MAX_FRAMES || s->nuser > PR_MAX_FRAMES ||
	    len < head + (s->nkernel + s->nuser) * sizeof(s->addrs[0]))
		return 0;
	a->st.stacks_received++;
	if (!find_known(a, s->hash, s->gen))
		keep_stack(a, s);
	return 0;
}

/* Reads the stack (hash, gen) from the map and keeps it; NULL when it is
 * not there (deleted since, which the sweep's delay makes a race of a
 * count taken after two intervals) or memory ran out. */
static struct known *read_stack(struct pr_aggregate *a, uint64_t hash, uint64_t gen)
{
	struct pr_agg_stack *s = &a->sval;

	if (bpf_map_lookup_elem(a->fd.stacks, &hash, s) || s->gen != gen || s->hash != hash ||
	    s->nkernel > PR_MAX_FRAMES || s->nuser > PR_MAX_FRAMES)
		return NULL;
	a->st.stack_reads++;
	return keep_stack(a, s);
}

/* Deletes stale[0..n) from the stacks map, in one call when it can
 * (a call per stack was a third of the system calls at 4999 Hz). */
static void delete_stale(struct pr_aggregate *a, const uint64_t *stale, uint32_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t done = n, i;

	if (!n)
		return;
	if (bpf_map_delete_batch(a->fd.stacks, stale, &done, &opts) && done < n)
		for (i = done; i < n; i++)
			bpf_map_delete_elem(a->fd.stacks, &stale[i]);
	a->st.stack_deletes += n;
}

/* Deletes from the map the stacks no count named for STALE_FLIPS, and
 * forgets those deleted KEEP_DELETED flips ago. */
static void sweep(struct pr_aggregate *a)
{
	uint64_t now = a->st.flips;
	uint32_t i, j = 0, n = 0;

	if (now - a->swept < SWEEP_FLIPS)
		return;
	a->swept = now;
	for (i = 0; i < a->nknown; i++) {
		struct known *k = &a->known[i];

		if (k->deleted && now - k->deleted >= KEEP_DELETED) {
			free(k->addrs);
			continue;
		}
		if (!k->deleted && now - k->used >= STALE_FLIPS) {
			/* only this gen can be under its hash: nothing else deletes */
			if (n == STALE_BATCH) {
				delete_stale(a, a->stale, n);
				n = 0;
			}
			a->stale[n++] = k->hash;
			k->deleted = now;
		}
		a->known[j++] = *k;
	}
	delete_stale(a, a->stale, n);
	if (j != a->nknown) {
		a->nknown = j;
		index_known(a);
	}
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

static void keep_counts(struct pr_aggregate *a, uint32_t n)
{
	uint32_t i;

	/* out of memory: these counts are lost (the map gave them up) */
	if (pr_array_reserve((void **)&a->ents, &a->cap, a->nents + n, sizeof(*a->ents)))
		return;
	for (i = 0; i < n; i++)
		a->ents[a->nents++] = (struct entry){ a->keys[i], a->vals[i] };
}

/* Reads (and deletes) every count of slot into ents, sorted by stack
 * (a stack's counts one after the other: its copy stays in cache). */
static void load(struct pr_aggregate *a, uint32_t slot)
{
	/* first the stacks BPF sent: each was sent as it was added, before
	 * any count of the slot named it */
	pr_bpfring_consume(a->ring);
	a->nents = a->pos = 0;
	take_all(a, a->fd.counts[slot], a->keys, a->vals, BATCH, keep_counts);
	if (a->nents > 1)
		qsort(a->ents, a->nents, sizeof(*a->ents), by_stack);
	a->loaded = slot;
}

/* One count as a record, with its stack. */
static void fill(struct pr_aggregate *a, const struct entry *e)
{
	struct known *k = find_known(a, e->k.stack, e->v.gen);
	struct pr_sample_agg *r = &a->rec;
	uint32_t n;

	if (!k)
		k = read_stack(a, e->k.stack, e->v.gen);
	memset(r, 0, offsetof(struct pr_sample_agg, addrs));
	r->hdr = (struct pr_hdr){ .type = PR_REC_SAMPLE_AGG, .size = sizeof(*r),
				  .time = e->v.time };
	r->pid = e->k.pid;
	r->tid = e->k.tid;
	r->count = e->v.count > UINT32_MAX ? UINT32_MAX : (uint32_t)e->v.count;
	r->cgroup = e->v.cgroup;
	memcpy(r->comm, e->v.comm, sizeof(r->comm));
	if (!k) {
		a->st.stack_misses++;
		return;
	}
	k->used = a->st.flips;
	n = k->nkernel + k->nuser;
	r->nkernel = k->nkernel;
	r->nuser = k->nuser;
	memcpy(r->addrs, k->addrs, n * sizeof(r->addrs[0]));
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
	sweep(a);
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
	out->stacks_unsent = sums[PR_AGG_STACKS_UNSENT];
}
