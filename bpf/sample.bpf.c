// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * CPU sampling: attached to one cpu-clock perf_event per CPU. Each sample
 * takes the kernel and the user stack (frame pointers; the record keeps
 * both lengths and errors so another unwinder can fill it later) into a
 * per-CPU scratch record, then sends only the used part of it with
 * bpf_ringbuf_output: a 3-frame stack costs ~100 bytes of ring, not 2 KiB.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "common.bpf.h"

const volatile __u32 filter_tgid = 0; /* 0: every process */
const volatile __u8 want_kernel = 1;
const volatile __u8 want_user = 1;
const volatile __u8 want_idle = 0;
/* Wake the reader only once this much is waiting (0: every record). The
 * loop polls the ring on a short timer anyway, so batching the wakeups
 * costs latency, not samples, and saves a reader wakeup per sample. */
const volatile __u32 wakeup_bytes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024); /* resized by the runtime before load */
} pr_sample_rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pr_sample_raw);
} pr_sample_tmp SEC(".maps");

#define STACK_BYTES (PR_MAX_FRAMES * sizeof(__u64))
#define HEAD_BYTES (sizeof(struct pr_sample_raw) - 2 * STACK_BYTES)

/* Bounds a byte count from bpf_get_stack in a way the verifier can follow
 * (clang 14 loses plain comparisons): at most STACK_BYTES, whole frames. */
static __always_inline long clamp_stack_bytes(long b)
{
	b &= 0xfff;
	if (b > STACK_BYTES)
		b = STACK_BYTES;
	return b & ~7L;
}

static __always_inline long wakeup_flags(void)
{
	/* the very first sample wakes the reader at once: a user waiting
	 * for output sees it as soon as it exists */
	if (!wakeup_bytes || bpf_ringbuf_query(&pr_sample_rb, BPF_RB_CONS_POS) == 0)
		return 0;
	if (bpf_ringbuf_query(&pr_sample_rb, BPF_RB_AVAIL_DATA) < wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	return BPF_RB_FORCE_WAKEUP;
}

SEC("perf_event")
int pr_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, zero = 0;
	struct pr_src_counts *c;
	struct pr_sample_raw *s;
	long kb = 0, ub = 0;
	__u64 size;

	if (filter_tgid && tgid != filter_tgid)
		return 0;
	if (!want_idle && tgid == 0)
		return 0;
	c = count_produced(PR_SRC_SAMPLE);
	s = bpf_map_lookup_elem(&pr_sample_tmp, &zero);
	if (!s)
		return 0;
	s->hdr.type = PR_REC_SAMPLE_RAW;
	s->hdr.time = bpf_ktime_get_ns();
	s->pid = tgid;
	s->tid = (__u32)id;
	s->cpu = bpf_get_smp_processor_id();
	s->cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(s->comm, sizeof(s->comm));
	s->kerr = 0;
	s->uerr = 0;
	if (want_kernel) {
		kb = bpf_get_stack(ctx, s->addrs, STACK_BYTES, 0);
		if (kb < 0) {
			s->kerr = kb;
			kb = 0;
		}
	}
	kb = clamp_stack_bytes(kb);
	if (want_user && tgid != 0) {
		ub = bpf_get_stack(ctx, (void *)s->addrs + kb, STACK_BYTES, BPF_F_USER_STACK);
		if (ub < 0) {
			s->uerr = ub;
			ub = 0;
		}
	}
	ub = clamp_stack_bytes(ub);
	s->nkernel = kb / 8;
	s->nuser = ub / 8;
	size = HEAD_BYTES + kb + ub;
	s->hdr.size = size;
	if (size > sizeof(*s))
		return 0;
	if (bpf_ringbuf_output(&pr_sample_rb, s, size, wakeup_flags()))
		count_dropped(c);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
