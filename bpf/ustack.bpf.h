/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Taking the current task's user stack for the runtime to unwind with
 * each binary's .eh_frame (most of a distribution has no frame
 * pointers): the user registers, and a raw copy of the stack above sp.
 * Samples and off-CPU records carry it the same way.
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

/* The user registers the unwinder starts from (the syscall's, in the
 * kernel); 0 for a kernel thread. */
static __always_inline int pr_user_regs(struct task_struct *task, __u64 *ip, __u64 *sp, __u64 *bp)
{
	struct pt_regs *regs;

	if (BPF_CORE_READ(task, flags) & PR_PF_KTHREAD)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return 0;
	*ip = BPF_CORE_READ(regs, ip);
	*sp = BPF_CORE_READ(regs, sp);
	*bp = BPF_CORE_READ(regs, bp);
	return 1;
}

/* Copies up to want bytes of the current task's user stack above sp to
 * dst. Returns the bytes copied. The copy of the main thread stops at the
 * top of its stack (mm->start_stack): a shallow stack costs a few
 * hundred bytes. */
static __always_inline __u64 pr_copy_user_stack(__u64 sp, void *dst, __u64 want)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 top, len = want;
	int i;

	/* above the main thread's initial sp are only argv and the environment */
	top = BPF_CORE_READ(task, mm, start_stack);
	if (sp < top && top - sp < len)
		len = top - sp + 7;
	for (i = 0; i < 4; i++) {
		len = pr_clamp_copy(len);
		if (!len)
			break;
		if (!bpf_probe_read_user(dst, len, (void *)sp))
			return len;
		/* a thread's stack ends below len: retry up to a page boundary
		 * closer to sp, halving the span */
		top = (sp + len / 2) & ~PR_PAGE_MASK_LOW;
		len = top > sp ? top - sp : 0;
	}
	return 0;
}

#endif
