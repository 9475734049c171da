// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Process lifecycle: one record per exec, per new process (fork) and per
 * process exit, on one ring buffer so their order is the kernel's. All are
 * raw tracepoints, which need no tracefs, and no kernel BTF to attach
 * (tp_btf would make libbpf parse all of it, ~45 ms, at every start): the
 * task fields are read with CO-RE probe reads, relocated against the
 * minimal BTF cache (runtime/btfcache.c) or the kernel's. An exit is reported when the last thread
 * of a thread group dies (signal->live reached 0), not when the leader
 * thread does: the leader can exit first and leave the process running.
 * An exec also carries the argument block, read from the new image's stack
 * where execve has just copied it.
 *
 * When proc() is in use (track_live), the programs also keep pr_live: pid
 * -> exact start (CLOCK_BOOTTIME ns) of the process holding that pid now.
 * The process cache needs it because /proc's start time has only clock
 * tick resolution: two processes can hold one pid within one tick. An
 * entry is written before the record that names the process is submitted,
 * so the runtime never reads a record the table does not yet reflect, and
 * deleted when the last thread exits, before the pid can be reused; a
 * process the table missed (it was full) is counted in live_lost.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "common.bpf.h"

const volatile __u8 track_live = 0; /* keep pr_live current */

__u64 live_lost = 0; /* processes pr_live could not take */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 512 * 1024); /* resized by the runtime before load */
} pr_life_rb SEC(".maps");

/* Not preallocated: max_entries sizes the bucket array; an entry costs
 * memory only while its process lives. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized by the runtime before load */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} pr_live SEC(".maps");

static __always_inline void live_set(__u32 tgid, __u64 start_boottime)
{
	if (track_live && bpf_map_update_elem(&pr_live, &tgid, &start_boottime, BPF_ANY))
		__sync_fetch_and_add(&live_lost, 1);
}

static __always_inline void live_clear(__u32 tgid)
{
	if (track_live)
		bpf_map_delete_elem(&pr_live, &tgid);
}

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

SEC("raw_tp/sched_process_exec")
int BPF_PROG(pr_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct pr_src_counts *c;
	struct pr_exec *e;
	const char *fname;

	/* a non-leader thread's exec keeps the leader's start (de_thread) */
	live_set(BPF_CORE_READ(p, tgid), BPF_CORE_READ(p, group_leader, start_boottime));
	if (!pr_in_target(BPF_CORE_READ(p, tgid)))
		return 0;
	c = count_produced(PR_SRC_EXEC);
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
	bpf_ringbuf_submit(e, pr_wakeup_flags(&pr_life_rb));
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(pr_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	struct pr_src_counts *c;
	struct pr_exit *e;
	bool in;
	__u64 now;
	int code;

	/* do_exit() decrements signal->live before this tracepoint fires */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	live_clear(tgid);
	in = pr_in_target(tgid);
	pr_target_forget(tgid);
	if (!in)
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
	bpf_ringbuf_submit(e, pr_wakeup_flags(&pr_life_rb));
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(pr_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	struct pr_src_counts *c;
	struct pr_fork *e;

	/* a new thread is not a new process */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	live_set(BPF_CORE_READ(child, tgid), BPF_CORE_READ(child, start_boottime));
	pr_target_follow(ptgid, BPF_CORE_READ(child, tgid));
	/* the event is the parent's: a followed process forked */
	if (!pr_in_target(ptgid))
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
	bpf_ringbuf_submit(e, pr_wakeup_flags(&pr_life_rb));
	return 0;
}

/* pr_fork's silent twin, for proc() without on_fork: every new process
 * goes into pr_live, nothing goes to the ring. The tracepoint fires before
 * the child first runs, so the entry is there before the child can exec or
 * exit. */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(pr_live_fork, struct task_struct *parent, struct task_struct *child)
{
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	live_set(BPF_CORE_READ(child, tgid), BPF_CORE_READ(child, start_boottime));
	return 0;
}

/* The target set's keepers when on_fork and on_exit are not loaded (pr_fork
 * and pr_exit keep it themselves): a followed process's new child joins
 * before it first runs, and an exited process leaves before its pid can
 * be reused. */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(pr_target_fork, struct task_struct *parent, struct task_struct *child)
{
	if (BPF_CORE_READ(child, pid) == BPF_CORE_READ(child, tgid))
		pr_target_follow(BPF_CORE_READ(parent, tgid), BPF_CORE_READ(child, tgid));
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(pr_target_exit, struct task_struct *p)
{
	if (BPF_CORE_READ(p, signal, live.counter) == 0)
		pr_target_forget(BPF_CORE_READ(p, tgid));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
