// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Process lifecycle: one record per exec, per new process (fork) and per
 * process exit, on one ring buffer so their order is the kernel's. All use
 * tp_btf, which needs no tracefs. An exit is reported when the last thread
 * of a thread group dies (signal->live reached 0), not when the leader
 * thread does: the leader can exit first and leave the process running.
 * An exec also carries the argument block, read from the new image's stack
 * where execve has just copied it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 512 * 1024); /* resized by the runtime before load */
} pr_life_rb SEC(".maps");

static __always_inline __u32 parent_tgid(struct task_struct *t)
{
	return BPF_CORE_READ(t, real_parent, tgid);
}

/* The pid namespace the task lives in (not the one its children get). */
static __always_inline __u32 pidns_of(struct task_struct *t)
{
	struct pid *pid = BPF_CORE_READ(t, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	bpf_core_read(&up, sizeof(up), &pid->numbers[level & 31]);
	return BPF_CORE_READ(up.ns, ns.inum);
}

static __always_inline void read_args(struct task_struct *p, struct pr_exec *e)
{
	unsigned long start = BPF_CORE_READ(p, mm, arg_start);
	unsigned long end = BPF_CORE_READ(p, mm, arg_end);
	__u64 len = end > start ? end - start : 0;

	e->args_truncated = len > PR_ARGS_LEN;
	if (len > PR_ARGS_LEN)
		len = PR_ARGS_LEN;
	len &= 2 * PR_ARGS_LEN - 1;
	if (len > PR_ARGS_LEN || bpf_probe_read_user(e->args, len, (void *)start))
		len = 0;
	e->args_len = len;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(pr_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct pr_src_counts *c = count_produced(PR_SRC_EXEC);
	struct pr_exec *e;
	const char *fname;

	e = bpf_ringbuf_reserve(&pr_life_rb, sizeof(*e), 0);
	if (!e) {
		count_dropped(c);
		return 0;
	}
	e->hdr.type = PR_REC_EXEC;
	e->hdr.size = sizeof(*e);
	e->hdr.time = bpf_ktime_get_ns();
	e->pid = BPF_CORE_READ(p, tgid);
	e->old_pid = old_pid;
	e->ppid = parent_tgid(p);
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->cgroup = bpf_get_current_cgroup_id();
	e->start = BPF_CORE_READ(p, group_leader, start_time);
	e->start_boottime = BPF_CORE_READ(p, group_leader, start_boottime);
	e->mntns = BPF_CORE_READ(p, nsproxy, mnt_ns, ns.inum);
	e->pidns = pidns_of(p);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	read_args(p, e);
	fname = BPF_CORE_READ(bprm, filename);
	if (bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), fname) < 0)
		e->filename[0] = '\0';
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(pr_exit, struct task_struct *p)
{
	struct pr_src_counts *c;
	struct pr_exit *e;
	__u64 now;
	int code;

	/* do_exit() decrements signal->live before this tracepoint fires */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	c = count_produced(PR_SRC_EXIT);
	e = bpf_ringbuf_reserve(&pr_life_rb, sizeof(*e), 0);
	if (!e) {
		count_dropped(c);
		return 0;
	}
	now = bpf_ktime_get_ns();
	code = BPF_CORE_READ(p, exit_code);
	e->hdr.type = PR_REC_EXIT;
	e->hdr.size = sizeof(*e);
	e->hdr.time = now;
	e->pid = BPF_CORE_READ(p, tgid);
	e->tid = BPF_CORE_READ(p, pid);
	e->ppid = parent_tgid(p);
	e->signal = code & 0x7f;
	e->core = (code & 0x80) ? 1 : 0;
	e->exit_code = e->signal ? 0 : (code >> 8) & 0xff;
	e->cgroup = bpf_get_current_cgroup_id();
	e->start = BPF_CORE_READ(p, group_leader, start_time);
	e->start_boottime = BPF_CORE_READ(p, group_leader, start_boottime);
	e->duration = now > e->start ? now - e->start : 0;
	BPF_CORE_READ_STR_INTO(&e->comm, p, group_leader, comm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(pr_fork, struct task_struct *parent, struct task_struct *child)
{
	struct pr_src_counts *c;
	struct pr_fork *e;

	/* a new thread is not a new process */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	c = count_produced(PR_SRC_FORK);
	e = bpf_ringbuf_reserve(&pr_life_rb, sizeof(*e), 0);
	if (!e) {
		count_dropped(c);
		return 0;
	}
	e->hdr.type = PR_REC_FORK;
	e->hdr.size = sizeof(*e);
	e->hdr.time = bpf_ktime_get_ns();
	e->pid = BPF_CORE_READ(child, tgid);
	e->ppid = BPF_CORE_READ(parent, tgid);
	e->start = BPF_CORE_READ(child, start_time);
	e->start_boottime = BPF_CORE_READ(child, start_boottime);
	BPF_CORE_READ_STR_INTO(&e->comm, child, comm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
