/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sample{aggregate=true}: counting samples in the kernel (events.h says
 * how the maps are laid out and why they carry a slot bit). A sample is
 * counted only when its whole stack is known here; anything else (a user
 * stack still to be unwound from a copy, a full map, a hash collision)
 * is sent as a record, so the script sees every sample either way.
 */
#ifndef PR_AGGREGATE_BPF_H
#define PR_AGGREGATE_BPF_H

#define PR_AGG_FRAMES (2 * PR_MAX_FRAMES)
#define PR_AGG_EEXIST (-17) /* the key exists: another CPU added it first */

#define PR_AGG_COUNTS(name)                                                                  \
	struct {                                                                             \
		__uint(type, BPF_MAP_TYPE_HASH);                                             \
		__uint(max_entries, 16384); /* resized by the runtime */                     \
		__type(key, struct pr_agg_key);                                              \
		__type(value, struct pr_agg_val);                                            \
	} name SEC(".maps")

PR_AGG_COUNTS(pr_agg_counts0);
PR_AGG_COUNTS(pr_agg_counts1);

/* One for the run: the runtime keeps what it read of each stack and
 * deletes the stacks no count used for a while */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192); /* resized by the runtime */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct pr_agg_stack);
} pr_agg_stacks SEC(".maps");

/* each stack as it is added, for the runtime's copy (events.h); read
 * at its drains: never woken */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024); /* resized by the runtime */
} pr_agg_stack_rb SEC(".maps");

/* numbers the stacks as they are added: a hash deleted and added again
 * (the same stack, or another with that hash) is a new stack to the
 * runtime's copy */
__u64 pr_agg_next_gen = 0;

/* [0]: the slot BPF adds to now (the runtime flips it) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} pr_agg_slot SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PR_AGG_MAX);
	__type(key, __u32);
	__type(value, __u64);
} pr_agg_stats SEC(".maps");

/* The second hash's seed, from the runtime's getrandom(): a process
 * cannot pick frames whose check matches another stack's without it. */
const volatile __u64 agg_seed = 0;
/* Tests only ($PROFRUN_AGG_HASH_BITS): the bits of the hash kept, so
 * that stacks collide and the collision path runs. */
const volatile __u64 agg_hash_mask = ~0ull;

/* per CPU: a new stack, as pr_agg_stacks stores it */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pr_agg_stack);
} pr_agg_tmp SEC(".maps");

static __always_inline void pr_agg_count(__u32 what)
{
	__u64 *c = bpf_map_lookup_elem(&pr_agg_stats, &what);

	if (c)
		*c += 1;
}

struct pr_agg_walk {
	__u64 hash;
	__u64 check;
	__u32 n;
};

/* Two hashes of this CPU's sample record's frames (pr_sample_tmp), one
 * frame a step, as a bpf_loop callback (as a plain loop the verifier
 * walks it once per possible frame count): FNV-1a (the key), and a
 * seeded multiply-xorshift (the check). Together they name a stack by
 * 128 bits: the stored frames are not read back and compared, which was
 * a tenth of a sample's BPF time (~0.3 us: the stored frames' lines are
 * cold, and a loop over them). */
static long pr_agg_hash_step(__u64 i, void *ctx)
{
	struct pr_agg_walk *w = ctx;
	struct sample_buf *buf;
	__u32 zero = 0;
	__u64 a, c;

	if (i >= w->n || i >= PR_AGG_FRAMES || !(buf = bpf_map_lookup_elem(&pr_sample_tmp, &zero)))
		return 1;
	a = buf->r.addrs[i];
	w->hash = (w->hash ^ a) * 0x100000001b3ull;
	c = (w->check + a) * 0x9e3779b97f4a7c15ull;
	w->check = c ^ c >> 32;
	return 0;
}

/* The generation of the stack of s named by (hash, check), added to
 * pr_agg_stacks when it is not there; 0 when it cannot be kept (another
 * stack under hash, a full map). */
static __always_inline __u64 pr_agg_stack(const struct pr_sample_raw *s, __u64 hash, __u64 check)
{
	__u32 zero = 0, n = (__u32)s->nkernel + s->nuser;
	struct pr_agg_stack *st, *mine;
	long err;

	st = bpf_map_lookup_elem(&pr_agg_stacks, &hash);
	if (!st) {
		mine = bpf_map_lookup_elem(&pr_agg_tmp, &zero);
		if (!mine || n > PR_AGG_FRAMES)
			return 0;
		mine->nkernel = s->nkernel;
		mine->nuser = s->nuser;
		mine->hash = hash;
		mine->check = check;
		if (bpf_probe_read_kernel(mine->addrs, pr_frames_bytes(n, PR_AGG_FRAMES), s->addrs))
			return 0;
		mine->gen = __sync_fetch_and_add(&pr_agg_next_gen, 1) + 1;
		err = bpf_map_update_elem(&pr_agg_stacks, &hash, mine, BPF_NOEXIST);
		if (!err) {
			if (bpf_ringbuf_output(&pr_agg_stack_rb, mine,
					       __builtin_offsetof(struct pr_agg_stack, addrs) +
						       n * sizeof(mine->addrs[0]),
					       BPF_RB_NO_WAKEUP))
				pr_agg_count(PR_AGG_STACKS_UNSENT);
			return mine->gen;
		}
		if (err != PR_AGG_EEXIST) {
			pr_agg_count(PR_AGG_STACKS_FULL);
			return 0;
		}
		/* another CPU added it meanwhile */
		st = bpf_map_lookup_elem(&pr_agg_stacks, &hash);
		if (!st)
			return 0;
	}
	if (st->check != check || st->nkernel != s->nkernel || st->nuser != s->nuser) {
		pr_agg_count(PR_AGG_COLLISIONS);
		return 0;
	}
	return st->gen;
}

/* Counts this CPU's sample record (pr_sample_tmp); 0 when it must be
 * sent as a record instead. A sample whose count exists costs one map
 * lookup: the count's key names the stack by both hashes, and only a
 * new count looks at (or adds) the stack. A global function: the
 * verifier checks it once, not again for each way a program reaches it.
 * Instructions checked with aggregate on, inlined -> global: pr_sample
 * 10802 -> 4122 (~13 -> ~8 ms of every start of top.lua or
 * profile.lua), pr_sample_py 14109 -> 6294, pr_sample_walk 25897 ->
 * 22072; with it off the function is checked all the same (pr_sample
 * 3027 -> 3237). */
__noinline int pr_agg_add(void)
{
	struct pr_agg_key key = { 0 };
	__u32 zero = 0, *slot, nkernel, n;
	struct pr_agg_walk w = { 0 };
	const struct pr_sample_raw *s;
	struct pr_agg_val *v, nv;
	struct sample_buf *buf;
	void *counts;
	long err;

	buf = bpf_map_lookup_elem(&pr_sample_tmp, &zero);
	if (!buf)
		return 0;
	s = &buf->r;
	key.pid = s->pid;
	key.tid = s->tid;
	nkernel = s->nkernel;
	n = nkernel + s->nuser;
	if (n > PR_AGG_FRAMES)
		return 0;
	slot = bpf_map_lookup_elem(&pr_agg_slot, &zero);
	if (!slot)
		return 0;
	counts = *slot & 1 ? (void *)&pr_agg_counts1 : (void *)&pr_agg_counts0;
	w.n = n;
	w.hash = 0xcbf29ce484222325ull ^ ((__u64)nkernel << 32 | n);
	w.check = agg_seed ^ ((__u64)nkernel << 32 | n);
	bpf_loop(PR_AGG_FRAMES, pr_agg_hash_step, &w, 0);
	key.stack = w.hash & agg_hash_mask;
	key.check = w.check;
	v = bpf_map_lookup_elem(counts, &key);
	if (!v) {
		nv = (struct pr_agg_val){ .count = 1, .time = s->hdr.time };
		nv.gen = pr_agg_stack(s, key.stack, key.check);
		if (!nv.gen)
			return 0;
		/* read here, not for every sample: most samples add to a
		 * count, and the cgroup is three pointers away (~0.1 us) */
		nv.cgroup = bpf_get_current_cgroup_id();
		bpf_get_current_comm(nv.comm, sizeof(nv.comm));
		err = bpf_map_update_elem(counts, &key, &nv, BPF_NOEXIST);
		if (!err) {
			pr_agg_count(PR_AGG_COUNTED);
			return 1;
		}
		if (err != PR_AGG_EEXIST) {
			pr_agg_count(PR_AGG_COUNTS_FULL);
			return 0;
		}
		v = bpf_map_lookup_elem(counts, &key);
		if (!v)
			return 0;
	}
	__sync_fetch_and_add(&v->count, 1);
	v->time = s->hdr.time;
	pr_agg_count(PR_AGG_COUNTED);
	return 1;
}

#endif
