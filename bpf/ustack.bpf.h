/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Taking the current task's user stack for the runtime to unwind with
 * each binary's .eh_frame (most of a distribution has no frame
 * pointers): the user registers, and a raw copy of the stack above sp.
 * Samples and off-CPU records carry it the same way. The task-reading
 * half needs vmlinux.h (CO-RE); probes, which load without the kernel's
 * BTF, use only the copy.
 */
#ifndef PR_USTACK_BPF_H
#define PR_USTACK_BPF_H

#define PR_PF_KTHREAD 0x00200000
#define PR_PAGE_MASK_LOW 4095ull

/* Bounds a copy length for the verifier: at most PR_USTACK_MAX, whole
 * words. */
static __always_inline __u64 pr_clamp_copy(__u64 n)
{
	n &= 2 * PR_USTACK_MAX - 1;
	if (n > PR_USTACK_MAX)
		n = PR_USTACK_MAX;
	return n & ~7ull;
}

/* The bisection's numbers live in a per-CPU map, not on the stack, as
 * dst does (this CPU's record buffer): the verifier knows a stack slot's
 * value exactly, so each pass of the loop was a new state to check, and
 * every way out of it went on to check the rest of the program again;
 * a map's values are unknown to it, and the passes converge. pr_sample:
 * 4371 -> 2046 instructions checked, 7.5 -> ~3.7 ms of every start. */
struct pr_copy_bisect {
	__u64 sp, lo, hi, best;
	__u64 last_ok;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pr_copy_bisect);
} pr_bisect_state SEC(".maps");

/* One step: tries the page boundary halfway between the longest copy
 * that worked (lo) and the shortest that faulted (hi). ctx: dst. */
static long pr_copy_bisect_step(__u64 i, void *ctx)
{
	struct pr_copy_bisect *b;
	__u32 zero = 0;
	__u64 mid;

	(void)i;
	b = bpf_map_lookup_elem(&pr_bisect_state, &zero);
	if (!b)
		return 1;
	mid = ((b->sp + (b->lo + b->hi) / 2) & ~PR_PAGE_MASK_LOW) - b->sp;
	if (mid <= b->lo || mid >= b->hi)
		return 1;
	mid = pr_clamp_copy(mid);
	if (!mid)
		return 1;
	b->last_ok = !bpf_probe_read_user(*(void **)ctx, mid, (void *)b->sp);
	if (b->last_ok)
		b->best = b->lo = mid;
	else
		b->hi = mid;
	return 0;
}

/* Copies up to want bytes of the current task's user stack above sp to
 * dst (room for PR_USTACK_MAX); top (0: unknown), where the stack is
 * known to end, bounds it. Returns the bytes copied. A copy that runs
 * past the end of the stack's mapping faults (and zeroes dst): the end is
 * then found by bisection on page boundaries, and the longest copy that
 * worked is taken again. The bisection is a bpf_loop: unrolled, its
 * branches multiplied the paths the verifier walks (~12k of the ~13.5k
 * instructions it checked for the sample program, ~6 ms of every start). */
static __always_inline __u64 pr_copy_user_stack_to(__u64 sp, void *dst, __u64 want, __u64 top)
{
	struct pr_copy_bisect *b;
	__u64 len = want, best;
	__u32 zero = 0;

	if (top && sp < top && top - sp < len)
		len = top - sp + 7;
	len = pr_clamp_copy(len);
	if (!len)
		return 0;
	if (!bpf_probe_read_user(dst, len, (void *)sp))
		return len;
	b = bpf_map_lookup_elem(&pr_bisect_state, &zero);
	if (!b)
		return 0;
	*b = (struct pr_copy_bisect){ .sp = sp, .hi = len };
	bpf_loop(6, pr_copy_bisect_step, &dst, 0);
	best = pr_clamp_copy(b->best);
	if (best && !b->last_ok && bpf_probe_read_user(dst, best, (void *)sp))
		return 0;
	return best;
}

#ifdef __VMLINUX_H__
/* The user registers the unwinder starts from (the syscall's, in the
 * kernel); 0 for a kernel thread. */
static __always_inline int pr_user_regs(struct task_struct *task, __u64 *ip, __u64 *sp, __u64 *bp)
{
	struct pt_regs *regs;

	/* task and regs are BTF pointers: plain loads, not a helper call each */
	if (task->flags & PR_PF_KTHREAD)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return 0;
	*ip = regs->ip;
	*sp = regs->sp;
	*bp = regs->bp;
	return 1;
}

/* Whether a perf sample interrupted user mode (x86: cs's privilege
 * level 3). A whole word: the context takes no narrower load. */
static __always_inline bool pr_sample_in_user(struct bpf_perf_event_data *ctx)
{
	return (*(volatile __u64 *)&ctx->regs.cs & 3) == 3;
}

/* A perf sample's user registers: the interrupted ones when it
 * interrupted user mode (no helper call, no task fields read), else
 * pr_user_regs'; 0 for a kernel thread. */
static __always_inline int pr_sample_user_regs(struct bpf_perf_event_data *ctx, __u64 *ip,
					       __u64 *sp, __u64 *bp)
{
	if (!pr_sample_in_user(ctx))
		return pr_user_regs(bpf_get_current_task_btf(), ip, sp, bp);
	/* volatile: each a load of its own (clang may otherwise move the
	 * context pointer, which the verifier rejects) */
	*ip = *(volatile __u64 *)&ctx->regs.ip;
	*sp = *(volatile __u64 *)&ctx->regs.sp;
	*bp = *(volatile __u64 *)&ctx->regs.bp;
	return 1;
}

/* Where the main thread's stack ends (mm->start_stack: above it are only
 * argv and the environment); 0 for a kernel thread. Read, not loaded:
 * the verifier looks up every pointer loaded from a BTF pointer (is
 * task->mm trusted?) by name among vmlinux's types, one linear search per
 * verified path through the load; this one made pr_sample's verification,
 * the bulk of a start, 8 ms instead of 3.5. */
static __always_inline __u64 pr_stack_top(struct task_struct *task)
{
	return BPF_CORE_READ(task, mm, start_stack);
}

/* The copy for the current task, bounded by the top of its stack, so a
 * shallow stack costs a few hundred bytes. */
static __always_inline __u64 pr_copy_user_stack(__u64 sp, void *dst, __u64 want)
{
	return pr_copy_user_stack_to(sp, dst, want, pr_stack_top(bpf_get_current_task_btf()));
}
#endif

#endif
