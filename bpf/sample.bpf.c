// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * CPU sampling: attached to one cpu-clock perf_event per CPU. Each sample
 * takes the kernel stack and the user stack into a per-CPU scratch record,
 * then sends only the used part of it with bpf_ringbuf_output: a 3-frame
 * stack costs ~100 bytes of ring, not 2 KiB.
 *
 * The user stack is either walked here by frame pointers, or (ustack_bytes
 * != 0) copied raw with the user registers, for the runtime to unwind with
 * each binary's .eh_frame: most of a stock distribution is built without
 * frame pointers. The copy of the main thread stops at the top of its
 * stack (mm->start_stack), so a shallow stack costs a few hundred bytes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "common.bpf.h"

const volatile __u8 want_kernel = 1;
const volatile __u8 want_user = 1;
const volatile __u8 want_idle = 0;
/* Wake the reader only once this much is waiting (0: every record). The
 * loop polls the ring on a short timer anyway, so batching the wakeups
 * costs latency, not samples, and saves a reader wakeup per sample. */
const volatile __u32 wakeup_bytes = 0;
/* 0: walk user frame pointers; else copy up to this many bytes of stack */
const volatile __u32 ustack_bytes = 0;

#define PF_KTHREAD 0x00200000
#define PAGE_MASK_LOW 4095ull

/* The scratch record: a sample, and room for its copied user stack right
 * after its kernel frames. */
struct sample_buf {
	struct pr_sample_raw r;
	__u8 more[PR_USTACK_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024); /* resized by the runtime before load */
} pr_sample_rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sample_buf);
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

/* Bounds a copy length for the verifier: at most PR_USTACK_MAX, whole
 * words. */
static __always_inline __u64 clamp_copy(__u64 n)
{
	n &= 2 * PR_USTACK_MAX - 1;
	if (n > PR_USTACK_MAX)
		n = PR_USTACK_MAX;
	return n & ~7ull;
}

/* Copies the user stack above the user sp to dst, with the registers the
 * unwinder starts from. Returns the bytes copied. */
static __always_inline __u64 copy_user_stack(struct pr_sample_raw *s, void *dst)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;
	__u64 sp, top, len = ustack_bytes;
	int i;

	if (task->flags & PF_KTHREAD)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return 0;
	s->uip = regs->ip;
	s->usp = sp = regs->sp;
	s->ubp = regs->bp;
	s->ustack_flags = PR_USTACK_COPIED;
	/* above the main thread's initial sp are only argv and the environment */
	top = BPF_CORE_READ(task, mm, start_stack);
	if (sp < top && top - sp < len)
		len = top - sp + 7;
	for (i = 0; i < 4; i++) {
		len = clamp_copy(len);
		if (!len)
			break;
		if (!bpf_probe_read_user(dst, len, (void *)sp))
			return len;
		/* a thread's stack ends below len: retry up to a page boundary
		 * closer to sp, halving the span */
		top = (sp + len / 2) & ~PAGE_MASK_LOW;
		len = top > sp ? top - sp : 0;
	}
	return 0;
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
	struct sample_buf *buf;
	long kb = 0, ub = 0;
	__u64 size, copied = 0;

	if (!pr_in_target(tgid))
		return 0;
	if (!want_idle && tgid == 0) {
		/* counted, so a run that saw almost nothing can say why */
		count_skipped(PR_SRC_SAMPLE);
		return 0;
	}
	c = count_produced(PR_SRC_SAMPLE);
	buf = bpf_map_lookup_elem(&pr_sample_tmp, &zero);
	if (!buf) {
		count_failed(c);
		return 0;
	}
	s = &buf->r;
	s->hdr.type = PR_REC_SAMPLE_RAW;
	s->hdr.time = bpf_ktime_get_ns();
	s->pid = tgid;
	s->tid = (__u32)id;
	s->cpu = bpf_get_smp_processor_id();
	s->cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(s->comm, sizeof(s->comm));
	s->kerr = 0;
	s->uerr = 0;
	s->ustack_len = 0;
	s->ustack_flags = 0;
	if (want_kernel) {
		kb = bpf_get_stack(ctx, s->addrs, STACK_BYTES, 0);
		if (kb < 0) {
			s->kerr = kb;
			kb = 0;
		}
	}
	kb = clamp_stack_bytes(kb);
	if (want_user && tgid != 0 && ustack_bytes) {
		copied = copy_user_stack(s, (void *)s->addrs + kb);
		s->ustack_len = copied;
	} else if (want_user && tgid != 0) {
		ub = bpf_get_stack(ctx, (void *)s->addrs + kb, STACK_BYTES, BPF_F_USER_STACK);
		if (ub < 0) {
			s->uerr = ub;
			ub = 0;
		}
	}
	ub = clamp_stack_bytes(ub);
	s->nkernel = kb / 8;
	s->nuser = ub / 8;
	copied = clamp_copy(copied);
	size = HEAD_BYTES + kb + ub + copied;
	s->hdr.size = size;
	if (size > sizeof(*buf)) {
		count_failed(c);
		return 0;
	}
	if (bpf_ringbuf_output(&pr_sample_rb, s, size, wakeup_flags()))
		count_dropped(c);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
