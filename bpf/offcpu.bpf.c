// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Off-CPU time: how long each thread of the target was switched out, with
 * the kernel stack it blocked in, and who woke it.
 *
 * sched_switch, as a thread leaves the CPU: its task storage gets the
 * time, its state and its kernel stack id (the stack at the switch is
 * where it blocks). Nothing else: a short switch costs that much.
 * sched_waking, in the waker's context: the waker's ids, comm and kernel
 * stack go into the wakee's storage. sched_switch, as the thread comes
 * back: an interval of at least min_ns becomes a record; a shorter one is
 * added to a per-CPU slot keyed by (thread, kernel stack, state), sent as
 * one summed record when the slot is taken by another key or flushed, so
 * every nanosecond is reported, or counted as dropped.
 *
 * The user stack does not change while a thread is blocked, and it can
 * only be read in the thread's own context: a long interval waits in
 * pr_offcpu_pending until the thread returns from the syscall it blocked
 * in (sys_exit), or switches out again while still inside the same kernel
 * entry (its user registers unchanged). Anything else (it returned to
 * user space through an interrupt, or exited) sends it without a user
 * stack, flagged.
 *
 * pr_offcpu_flush is never attached: the runtime runs it on each CPU
 * (BPF_PROG_TEST_RUN) to send what the slots hold, and once more at the
 * end with arg 1 to send what is still pending.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "common.bpf.h"
#include "ustack.bpf.h"

const volatile __u64 min_ns = 1000000;
const volatile __u64 max_ns = 0; /* 0: no upper bound */
const volatile __u8 want_user = 1;
const volatile __u8 want_waker = 1;
/* 0: walk user frame pointers; else copy up to this many bytes of stack */
const volatile __u32 ustack_bytes = 0;

__u64 untracked = 0;  /* switches whose thread got no task storage */
__u64 dropped_ns = 0; /* off-CPU time in records the ring could not take */
__u64 resynced = 0;   /* returns to the CPU no sched_switch showed (see resync) */

#define TASK_DEAD_BIT 0x80

#define SUM_SLOTS 512 /* a power of two */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024); /* resized by the runtime before load */
} pr_offcpu_rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384); /* resized by the runtime before load */
	__uint(key_size, sizeof(__u32));
	/* 64 frames: blocking kernel stacks are shallow, and the map is
	 * allocated whole (8192 x 512 bytes by default) */
	__uint(value_size, 64 * sizeof(__u64));
} pr_offcpu_kstacks SEC(".maps");

/* What a thread that is off CPU left behind as it switched out. */
struct off_task {
	__u64 start; /* 0: not off CPU (or not seen leaving) */
	__u64 ran;   /* its CPU time (se.sum_exec_runtime) as it left */
	__u32 state;
	__s32 kstack;
	__u32 flags;
	__u32 waker_pid;
	__u32 waker_tid;
	__s32 waker_kstack;
	char waker_comm[PR_COMM_LEN];
};

/* By thread id, not task storage: in sched_switch, task storage lookups
 * can fail (its per-CPU busy lock is taken by whatever the switch
 * interrupted) and lose an interval without a trace. Entries go when
 * their thread exits. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized by the runtime before load */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct off_task);
} pr_offcpu_tasks SEC(".maps");

#define HEAD_BYTES __builtin_offsetof(struct pr_offcpu_raw, addrs)

/* A long interval waiting for its thread's user stack: the record's
 * head, with the user registers it blocked with in uip and usp. */
struct offcpu_head {
	__u8 b[HEAD_BYTES];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* resized by the runtime before load */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct offcpu_head);
} pr_offcpu_pending SEC(".maps");

struct sum_slot {
	__u32 pid;
	__u32 tid;
	__s32 kstack;
	__u32 state;
	__u32 count;
	__u32 flags;
	__u64 start;
	__u64 end;
	__u64 total;
	char comm[PR_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SUM_SLOTS);
	__type(key, __u32);
	__type(value, struct sum_slot);
} pr_offcpu_sums SEC(".maps");

struct offcpu_buf {
	struct pr_offcpu_raw r;
	__u8 more[PR_USTACK_MAX];
};

/* Scratch records: one for sched_switch and the flush (they cannot
 * interleave on a CPU), one for sys_exit, which sched_switch can preempt. */
enum { BUF_SWITCH, BUF_SYSCALL };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct offcpu_buf);
} pr_offcpu_tmp SEC(".maps");

static __always_inline struct pr_offcpu_raw *scratch(__u32 which)
{
	struct offcpu_buf *buf = bpf_map_lookup_elem(&pr_offcpu_tmp, &which);

	return buf ? &buf->r : NULL;
}

#define STACK_BYTES (PR_MAX_FRAMES * sizeof(__u64))

static __always_inline long clamp_stack_bytes(long b)
{
	b &= 0xfff;
	if (b > STACK_BYTES)
		b = STACK_BYTES;
	return b & ~7L;
}

/* Sends size bytes of r; counts it, and its time when the ring is full. */
static __always_inline void send(struct pr_offcpu_raw *r, __u64 size)
{
	struct pr_src_counts *c = count_produced(PR_SRC_OFFCPU);

	r->hdr.type = PR_REC_OFFCPU_RAW;
	r->hdr.size = size;
	if (size > sizeof(struct offcpu_buf)) {
		count_failed(c);
		__sync_fetch_and_add(&dropped_ns, r->duration);
		return;
	}
	if (bpf_ringbuf_output(&pr_offcpu_rb, r, size, pr_wakeup_flags(&pr_offcpu_rb))) {
		count_dropped(c);
		__sync_fetch_and_add(&dropped_ns, r->duration);
	}
}

static __always_inline void send_sum(struct sum_slot *s)
{
	struct pr_offcpu_raw *r = scratch(BUF_SWITCH);

	if (!r)
		return;
	__builtin_memset(r, 0, HEAD_BYTES);
	r->hdr.time = s->end;
	r->pid = s->pid;
	r->tid = s->tid;
	r->start = s->start;
	r->duration = s->total;
	r->count = s->count;
	r->state = s->state;
	r->kstack = s->kstack;
	r->waker_kstack = -1;
	r->flags = PR_OFFCPU_SUM | s->flags;
	__builtin_memcpy(r->comm, s->comm, sizeof(r->comm));
	send(r, HEAD_BYTES);
	s->count = 0;
}

/* A short interval: into this CPU's slot for its key. */
static __always_inline void add_sum(struct task_struct *t, struct off_task *o, __u64 now,
				    __u64 d)
{
	__u32 tid = BPF_CORE_READ(t, pid);
	__u32 key = (tid * 2654435761u ^ (__u32)o->kstack * 40503u ^ o->state) & (SUM_SLOTS - 1);
	struct sum_slot *s = bpf_map_lookup_elem(&pr_offcpu_sums, &key);

	if (!s)
		return;
	if (s->count && (s->tid != tid || s->kstack != o->kstack || s->state != o->state ||
			 s->flags != (o->flags & PR_OFFCPU_PREEMPTED)))
		send_sum(s);
	if (!s->count) {
		s->pid = BPF_CORE_READ(t, tgid);
		s->tid = tid;
		s->kstack = o->kstack;
		s->state = o->state;
		s->flags = o->flags & PR_OFFCPU_PREEMPTED;
		s->start = o->start;
		s->total = 0;
		bpf_probe_read_kernel_str(s->comm, sizeof(s->comm), t->comm);
	}
	s->count++;
	s->total += d;
	s->end = now;
}

/* The head of a long interval's record. */
static __always_inline void fill_head(struct pr_offcpu_raw *r, struct task_struct *t,
				      struct off_task *o, __u64 now, __u64 d)
{
	r->hdr.time = now;
	r->pid = BPF_CORE_READ(t, tgid);
	r->tid = BPF_CORE_READ(t, pid);
	r->start = o->start;
	r->duration = d;
	r->count = 1;
	r->state = o->state;
	r->kstack = o->kstack;
	r->flags = o->flags;
	r->waker_kstack = -1;
	r->waker_pid = r->waker_tid = 0;
	if (o->flags & PR_OFFCPU_WAKER) {
		r->waker_pid = o->waker_pid;
		r->waker_tid = o->waker_tid;
		r->waker_kstack = o->waker_kstack;
		__builtin_memcpy(r->waker_comm, o->waker_comm, sizeof(r->waker_comm));
	}
	r->uerr = 0;
	r->nuser = 0;
	r->ustack_len = 0;
	r->ustack_flags = 0;
	bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), t->comm);
}

/* Sends a waiting record from its own thread's context: with the user
 * stack when the thread is still in the kernel entry it blocked in. */
static __always_inline void send_pending(void *ctx, struct pr_offcpu_raw *head, __u32 which)
{
	struct pr_offcpu_raw *r = scratch(which);
	__u64 ip = 0, sp = 0, bp = 0, copied = 0;
	long ub = 0;

	if (!r)
		return;
	__builtin_memcpy(r, head, HEAD_BYTES);
	r->pad2 = 0;
	if (!pr_user_regs(bpf_get_current_task_btf(), &ip, &sp, &bp) || ip != head->uip ||
	    sp != head->usp) {
		r->flags |= PR_OFFCPU_USER_MISSED;
		r->uip = r->usp = r->ubp = 0;
		send(r, HEAD_BYTES);
		return;
	}
	if (ustack_bytes) {
		copied = pr_clamp_copy(pr_copy_user_stack(sp, r->addrs, ustack_bytes));
		r->ubp = bp;
		r->ustack_len = copied;
		r->ustack_flags = PR_USTACK_COPIED;
	} else {
		ub = bpf_get_stack(ctx, r->addrs, STACK_BYTES, BPF_F_USER_STACK);
		if (ub < 0) {
			r->uerr = ub;
			ub = 0;
		}
		ub = clamp_stack_bytes(ub);
		r->nuser = ub / 8;
	}
	send(r, HEAD_BYTES + ub + copied);
}

/* A long interval that just ended: sent now when no user stack is
 * wanted (or there is none), else left waiting for its thread. */
static __always_inline void long_interval(struct task_struct *t, struct off_task *o, __u64 now,
					  __u64 d, __u32 which)
{
	struct pr_offcpu_raw *r = scratch(which);
	__u64 ip = 0, sp = 0, bp = 0;
	__u32 tid;

	if (!r)
		return;
	fill_head(r, t, o, now, d);
	r->pad2 = 0; /* not yet claimed by a sender (settle_pending) */
	r->uip = r->usp = r->ubp = 0;
	if (!want_user || !pr_user_regs(t, &ip, &sp, &bp)) {
		send(r, HEAD_BYTES);
		return;
	}
	r->uip = ip;
	r->usp = sp;
	tid = r->tid;
	if (bpf_map_lookup_elem(&pr_offcpu_pending, &tid)) __sync_fetch_and_add(&untracked, 1000000);
	if (bpf_map_update_elem(&pr_offcpu_pending, &tid, r, BPF_ANY)) {
		r->flags |= PR_OFFCPU_USER_MISSED;
		send(r, HEAD_BYTES);
	}
}

/* The thread's waiting record, if any, from its own context. A
 * sched_switch can preempt sys_exit between its lookup and its delete:
 * whoever claims the record first sends it. */
static __always_inline void settle_pending(void *ctx, __u32 tid, __u32 which)
{
	struct pr_offcpu_raw *head = bpf_map_lookup_elem(&pr_offcpu_pending, &tid);

	if (!head)
		return;
	if (__sync_lock_test_and_set(&head->pad2, 1)) {
		return;
	}
	send_pending(ctx, head, which);
	bpf_map_delete_elem(&pr_offcpu_pending, &tid);
}

/*
 * Now and then the kernel runs a thread again without a sched_switch this
 * program sees with it as next (5 in 1976 waits of tests/fixtures/offcpu
 * on 6.18; the cause is not pinned down). The interval is not
 * lost: the thread's CPU time since it left says how much of the time
 * since then it ran, the rest it was off CPU. It is found when the thread
 * next leaves the CPU (resync_at_switch), or sooner when the syscall it
 * blocked in returns (in the sys_exit program), where its user stack is
 * still the one it blocked with.
 */
static __always_inline __u64 missed_interval(struct task_struct *t, struct off_task *o, __u64 now)
{
	__u64 ran = BPF_CORE_READ(t, se.sum_exec_runtime) - o->ran, all = now - o->start;

	return ran < all ? all - ran : 0;
}

static __always_inline void resync_at_switch(struct task_struct *t, struct off_task *o, __u64 now)
{
	__u64 d = missed_interval(t, o, now);

	__sync_fetch_and_add(&resynced, 1);
	if (d < min_ns || (max_ns && d > max_ns)) {
		add_sum(t, o, now, d);
	} else {
		/* in another kernel entry by now: its user stack is not the
		 * one it blocked with */
		struct pr_offcpu_raw *r = scratch(BUF_SWITCH);

		if (!r)
			return;
		fill_head(r, t, o, now, d);
		r->flags |= PR_OFFCPU_USER_MISSED;
		r->uip = r->usp = r->ubp = 0;
		r->pad2 = 0;
		send(r, HEAD_BYTES);
	}
}

/* The state of a thread of the target, made on its first switch. */
static __always_inline struct off_task *task_state(__u32 tid)
{
	static const struct off_task zero;
	struct off_task *o = bpf_map_lookup_elem(&pr_offcpu_tasks, &tid);

	if (o)
		return o;
	bpf_map_update_elem(&pr_offcpu_tasks, &tid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&pr_offcpu_tasks, &tid);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(pr_offcpu_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u64 now = bpf_ktime_get_ns(), d;
	__u32 ptid = prev->pid, ptgid = prev->tgid, ntid;
	struct off_task *o;

	/* leaving: pid 0 is the idle task */
	if (ptid) {
		if (want_user)
			settle_pending(ctx, ptid, BUF_SWITCH);
		if (prev_state & TASK_DEAD_BIT) {
			bpf_map_delete_elem(&pr_offcpu_tasks, &ptid);
		} else if (pr_in_target(ptgid)) {
			o = task_state(ptid);
			if (!o) {
				__sync_fetch_and_add(&untracked, 1);
			} else {
				if (o->start)
					resync_at_switch(prev, o, now);
				o->start = now;
				o->ran = BPF_CORE_READ(prev, se.sum_exec_runtime);
				o->state = preempt ? 0 : prev_state;
				o->flags = preempt || !prev_state ? PR_OFFCPU_PREEMPTED : 0;
				o->kstack = bpf_get_stackid(ctx, &pr_offcpu_kstacks, 0);
			}
		}
	}
	/* coming back */
	if (!next->pid)
		return 0;
	ntid = next->pid;
	o = bpf_map_lookup_elem(&pr_offcpu_tasks, &ntid);
	if (!o || !o->start)
		return 0;
	d = now - o->start;
	if (d < min_ns || (max_ns && d > max_ns))
		add_sum(next, o, now, d);
	else
		long_interval(next, o, now, d, BUF_SWITCH);
	o->start = 0;
	return 0;
}

/* In the waker's context: who makes p runnable again. */
SEC("tp_btf/sched_waking")
int BPF_PROG(pr_offcpu_waking, struct task_struct *p)
{
	__u32 tid = p->pid;
	struct off_task *o = bpf_map_lookup_elem(&pr_offcpu_tasks, &tid);
	__u64 id;

	if (!o || !o->start)
		return 0;
	id = bpf_get_current_pid_tgid();
	o->waker_pid = id >> 32;
	o->waker_tid = (__u32)id;
	o->waker_kstack = bpf_get_stackid(ctx, &pr_offcpu_kstacks, 0);
	bpf_get_current_comm(o->waker_comm, sizeof(o->waker_comm));
	o->flags |= PR_OFFCPU_WAKER;
	return 0;
}

/* The syscall a thread blocked in returns: its user stack is the one it
 * blocked with. */
SEC("tp_btf/sys_exit")
int BPF_PROG(pr_offcpu_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct off_task *o = bpf_map_lookup_elem(&pr_offcpu_tasks, &tid);
	struct task_struct *t;
	__u64 now, d;

	/* back on the CPU unseen (see missed_interval): a long interval is
	 * sent from here with its user stack; a short one waits for the
	 * next switch, which adds it to the per-CPU sums (only sched_switch
	 * touches them, with interrupts off) */
	if (o && o->start) {
		t = bpf_get_current_task_btf();
		now = bpf_ktime_get_ns();
		d = now - o->start;
		if (d >= min_ns && (!max_ns || d <= max_ns)) {
			d = missed_interval(t, o, now);
			if (d >= min_ns) {
				__sync_fetch_and_add(&resynced, 1);
				long_interval(t, o, now, d, BUF_SYSCALL);
				o->start = 0;
			}
		}
	}
	settle_pending(ctx, tid, BUF_SYSCALL);
	return 0;
}

static long flush_slot(__u32 i, void *ctx)
{
	struct sum_slot *s = bpf_map_lookup_elem(&pr_offcpu_sums, &i);

	if (s && s->count)
		send_sum(s);
	return 0;
}

static long flush_pending_one(struct bpf_map *map, __u32 *tid, struct offcpu_head *h, void *ctx)
{
	struct pr_offcpu_raw *head = (struct pr_offcpu_raw *)h;

	if (__sync_lock_test_and_set(&head->pad2, 1))
		return 0;
	head->pad2 = 0;

	head->flags |= PR_OFFCPU_USER_MISSED;
	send(head, HEAD_BYTES);
	bpf_map_delete_elem(map, tid);
	return 0;
}

/* Run by the runtime on each CPU: sends the slots' sums; with arg 1 (at
 * the end, on one CPU) also every record still waiting for its user
 * stack. */
SEC("raw_tp")
int pr_offcpu_flush(__u64 *ctx)
{
	bpf_loop(SUM_SLOTS, flush_slot, NULL, 0);
	if (ctx[0] == 1)
		bpf_for_each_map_elem(&pr_offcpu_pending, flush_pending_one, NULL, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
