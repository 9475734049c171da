/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Helpers every profrun BPF program shares: drop accounting and the
 * target filter. */
#ifndef PR_COMMON_BPF_H
#define PR_COMMON_BPF_H

/*
 * Per-CPU produced/dropped counters, one slot per enum pr_source. Every
 * program counts an attempt before it reserves and a drop when the reserve
 * fails, so produced = delivered + dropped holds exactly once the ring is
 * drained.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PR_SRC_MAX);
	__type(key, __u32);
	__type(value, struct pr_src_counts);
} pr_counts SEC(".maps");

static __always_inline struct pr_src_counts *count_produced(__u32 src)
{
	struct pr_src_counts *c = bpf_map_lookup_elem(&pr_counts, &src);

	if (c)
		c->produced++;
	return c;
}

static __always_inline void count_skipped(__u32 src)
{
	struct pr_src_counts *c = bpf_map_lookup_elem(&pr_counts, &src);

	if (c)
		c->skipped++;
}

static __always_inline void count_spilled(struct pr_src_counts *c)
{
	if (c)
		c->spilled++;
}

static __always_inline void count_dropped(struct pr_src_counts *c)
{
	if (c)
		c->dropped++;
}

/* A record produced but lost before it reached the ring: a drop too, so
 * produced = delivered + dropped still holds, with its own reason. */
static __always_inline void count_failed(struct pr_src_counts *c)
{
	if (c) {
		c->dropped++;
		c->failed++;
	}
}

/*
 * The target filter, the same for every source: a program that emits
 * records calls pr_in_target() before it reserves ring space, so an
 * event outside the target costs no ring and is not counted.
 *
 * -p/-c: pr_target holds the thread-group ids of the target process and
 * (unless --no-children) of every descendant, kept by the fork and exit
 * programs. The runtime creates the map once and gives the same one to
 * every object. --cgroup/--container: the current task's ancestor at the
 * target cgroup's level must be that cgroup (a cgroup's id is its inode
 * in the cgroup2 mount). Both may be in force; both must hold.
 */
const volatile __u8 target_tgids = 0;	   /* pr_target is in force */
const volatile __u8 target_children = 0;   /* descendants join the set */
const volatile __u64 target_cgroup = 0;	   /* 0: no cgroup filter */
const volatile __u32 target_cgroup_level = 0;
__u64 target_lost = 0; /* descendants the full set could not take */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* the runtime's map replaces this one */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u32);
} pr_target SEC(".maps");

static __always_inline bool pr_tgid_in_target(__u32 tgid)
{
	return !target_tgids || bpf_map_lookup_elem(&pr_target, &tgid);
}

/* Whether the current task's cgroup lies in the target subtree. */
static __always_inline bool pr_cgroup_in_target(void)
{
	return !target_cgroup ||
	       bpf_get_current_ancestor_cgroup_id(target_cgroup_level) == target_cgroup;
}

/* Whether an event of process tgid, raised by the current task, is in
 * the target. */
static __always_inline bool pr_in_target(__u32 tgid)
{
	return pr_tgid_in_target(tgid) && pr_cgroup_in_target();
}

/* A new process whose parent is followed is followed too. Called by the
 * fork programs before any other program can see the child run. Returns
 * 1 when the set is full (the runtime counts it). */
static __always_inline int pr_target_follow(__u32 parent, __u32 child)
{
	__u32 one = 1;

	if (!target_tgids || !target_children || !bpf_map_lookup_elem(&pr_target, &parent))
		return 0;
	if (bpf_map_update_elem(&pr_target, &child, &one, BPF_ANY)) {
		__sync_fetch_and_add(&target_lost, 1);
		return 1;
	}
	return 0;
}

/* The last thread of tgid exited: its pid may be reused by a stranger. */
static __always_inline void pr_target_forget(__u32 tgid)
{
	if (target_tgids && target_children)
		bpf_map_delete_elem(&pr_target, &tgid);
}

/* Wake the reader only once this much is waiting (0: every record). The
 * loop polls the rings on a short timer anyway, so batching the wakeups
 * costs latency, not records, and saves a reader wakeup per record. */
const volatile __u32 wakeup_bytes = 0;

/* The bytes of n stack frames, at most max_frames of them, bounded so
 * the verifier can follow a copy of that size (the kernel walk's frames,
 * aggregate mode's stacks). */
static __always_inline long pr_frames_bytes(__u32 n, __u32 max_frames)
{
	long b = ((long)n * 8) & 0xfff;

	if (b > (long)max_frames * 8)
		b = (long)max_frames * 8;
	return b & ~7L;
}

/* The flags of an output to ring rb that wakes its reader once bytes
 * are waiting (0: every record). */
static __always_inline long pr_ring_wakeup(void *rb, __u32 bytes)
{
	/* the very first record wakes the reader at once: a user waiting
	 * for output sees it as soon as it exists */
	if (!bytes || bpf_ringbuf_query(rb, BPF_RB_CONS_POS) == 0)
		return 0;
	if (bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) < bytes)
		return BPF_RB_NO_WAKEUP;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline long pr_wakeup_flags(void *rb)
{
	return pr_ring_wakeup(rb, wakeup_bytes);
}

#endif
