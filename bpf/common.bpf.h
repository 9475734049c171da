/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Helpers every profrun BPF program shares: drop accounting. */
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

#endif
