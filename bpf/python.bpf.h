/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Python frames at the sample. CPython keeps its frames on the heap, not
 * on the native stack, so no unwinder can find them later: they are read
 * here, from the sampled thread's PyThreadState, while the thread is
 * stopped on this CPU. What is read is only addresses and small integers
 * (code object, instruction, a tag of the code object); runtime/python.c
 * names them from the process's memory, while the process is alive.
 *
 * Which process is Python is the runtime's to say: a sample of a process
 * it has no (current) entry for leaves a request in pr_py_pending, and
 * the runtime answers with an entry, PR_PY_PYTHON with the interpreter's
 * addresses and its version's offsets, or PR_PY_NONE. The entry carries
 * the identity of the image it was made for (the leader's start time and
 * exec count): a reused pid or an exec never reads with stale addresses.
 *
 * The thread's state is found by its thread id as the process's pid
 * namespace numbers it (PyThreadState.native_thread_id): in a container
 * the interpreter sees its own ids. A thread's last state is cached by
 * its global id and checked again on every use.
 */
#ifndef PR_PYTHON_BPF_H
#define PR_PYTHON_BPF_H

/* an entry pushed out is asked for again: never a wrong answer */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct pr_py_proc);
} pr_py_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pr_py_pending);
} pr_py_pending SEC(".maps");

/* global thread id -> its PyThreadState's address: a cache, checked on
 * every use (a miss walks the interpreter's thread list), so 4096 threads
 * is room enough; an LRU map is filled when created, and 16384 entries
 * took 2-3 ms of every start */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} pr_py_threads SEC(".maps");

/* PROFRUN_PYTHON_TIMING (benchmarks): the walks' own time, per CPU:
 * [0] ns, [1] walks, [2] frames. Off, it costs nothing. */
const volatile __u8 python_timing = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} pr_py_cost SEC(".maps");

static __always_inline void pr_py_cost_add(__u32 k, __u64 v)
{
	__u64 *c = bpf_map_lookup_elem(&pr_py_cost, &k);

	if (c)
		*c += v;
}

/* The walk's state and result, per CPU (bpf_loop callbacks see it). */
struct pr_py_walk {
	struct pr_py_offsets off;
	__u64 frame;	/* the next frame to read */
	__u64 tstate;	/* the thread search: the next state to look at */
	__u64 tid;	/* the thread's id in its pid namespace */
	__u32 n;
	__u32 flags;
	__u32 urgent; /* wake the runtime for this sample */
	__u32 last_tag;	 /* the last frame's code object's tag, and address: */
	__u64 last_code; /* a recursion reads its code object once */
	__u8 win[PR_PY_WINDOW];
	__u8 code[PR_PY_WINDOW];
	struct pr_py_frame frames[PR_PY_MAX_FRAMES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pr_py_walk);
} pr_py_scratch SEC(".maps");

/* A field of a window read from the interpreter: bounds the offset for
 * the verifier. */
static __always_inline __u64 pr_py_u64(const __u8 *win, __u32 off)
{
	if (off > PR_PY_WINDOW - 8)
		return 0;
	return *(const __u64 *)(win + off);
}

static __always_inline __u32 pr_py_u32(const __u8 *win, __u32 off)
{
	if (off > PR_PY_WINDOW - 4)
		return 0;
	return *(const __u32 *)(win + off);
}

static __always_inline __u64 pr_py_read_ptr(__u64 addr)
{
	__u64 v = 0;

	if (bpf_probe_read_user(&v, sizeof(v), (void *)addr))
		return 0;
	return v;
}

/* One thread state of the interpreter's list: is it this thread's? */
static long pr_py_thread_step(__u64 i, void *ctx)
{
	__u32 zero = 0;
	struct pr_py_walk *w = bpf_map_lookup_elem(&pr_py_scratch, &zero);
	__u64 ts, native = 0;

	(void)i;
	(void)ctx;
	if (!w || !w->tstate)
		return 1;
	ts = w->tstate;
	if (bpf_probe_read_user(&native, sizeof(native), (void *)(ts + w->off.ts_native_tid)))
		return 1;
	if (native == w->tid) {
		w->frame = ts; /* found: the caller reads its frame from here */
		return 1;
	}
	w->tstate = pr_py_read_ptr(ts + w->off.ts_next);
	return 0;
}

/* One frame: its code object, instruction and tag; then the caller's. */
static long pr_py_frame_step(__u64 i, void *ctx)
{
	__u32 zero = 0, n, instr, entry;
	struct pr_py_walk *w = bpf_map_lookup_elem(&pr_py_scratch, &zero);
	struct pr_py_frame *f;
	__u64 code, prev;
	__u64 base;

	(void)i;
	(void)ctx;
	if (!w || !w->frame)
		return 1;
	n = w->n;
	if (n >= PR_PY_MAX_FRAMES) {
		w->flags |= PR_PYF_CUT;
		return 1;
	}
	if (!w->off.frame_window || w->off.frame_window > PR_PY_WINDOW ||
	    bpf_probe_read_user(w->win, w->off.frame_window, (void *)w->frame)) {
		w->flags |= PR_PYF_FAULT;
		return 1;
	}
	code = pr_py_u64(w->win, w->off.frame_code);
	prev = pr_py_u64(w->win, w->off.frame_instr);
	entry = w->off.frame_entry < PR_PY_WINDOW ? w->win[w->off.frame_entry & (PR_PY_WINDOW - 1)] : 0;
	w->frame = pr_py_u64(w->win, w->off.frame_previous);
	if (!code) {
		w->flags |= PR_PYF_FAULT;
		return 1;
	}
	if (code != w->last_code) {
		if (!w->off.code_window || w->off.code_window > PR_PY_WINDOW ||
		    bpf_probe_read_user(w->code, w->off.code_window,
					(void *)(code + w->off.code_firstline))) {
			w->flags |= PR_PYF_FAULT;
			return 1;
		}
		w->last_code = code;
		w->last_tag = pr_py_u32(w->code, 0) ^
			 (__u32)(pr_py_u64(w->code, w->off.code_filename - w->off.code_firstline) >>
				 4) * 31 ^
			 (__u32)(pr_py_u64(w->code, w->off.code_qualname - w->off.code_firstline) >>
				 4) * 961;
	}
	/* prev_instr points at the instruction executing (one before the
	 * first until the frame starts): count code units, 2 bytes each */
	base = code + w->off.code_adaptive;
	instr = prev >= base && (prev - base) / 2 < PR_PY_INSTR - 1 ? (prev - base) / 2 + 1 : 0;
	f = &w->frames[n & (PR_PY_MAX_FRAMES - 1)];
	f->code = code;
	f->instr = instr | (entry ? PR_PY_ENTRY : 0);
	f->tag = w->last_tag;
	w->n = n + 1;
	return 0;
}

/* A thread state's native thread id and _PyCFrame, in one read of the
 * window between them; 0 on failure. */
static __always_inline int pr_py_read_tstate(struct pr_py_walk *w, __u64 ts, __u64 *native,
					     __u64 *cframe)
{
	__u32 a = w->off.ts_native_tid, b = w->off.ts_cframe;
	__u32 lo = a < b ? a : b, len = (a < b ? b : a) - lo + 8;

	if (len > PR_PY_WINDOW || bpf_probe_read_user(w->win, len, (void *)(ts + lo)))
		return 0;
	*native = pr_py_u64(w->win, a - lo);
	*cframe = pr_py_u64(w->win, b - lo);
	return 1;
}

/* The chain of thread tid (global id) of the process proc describes. */
static __always_inline void pr_py_walk_thread(struct pr_py_walk *w, const struct pr_py_proc *proc,
					      __u32 tid)
{
	struct bpf_pidns_info ns = {};
	__u64 interp, *cached, cframe = 0, native = 0;

	w->off = proc->off;
	w->urgent = proc->urgent_until && bpf_ktime_get_ns() < proc->urgent_until;
	/* the kernel's own ids are the process's in the initial namespace */
	if (!proc->pidns_ino)
		w->tid = tid;
	else if (bpf_get_ns_current_pid_tgid(proc->pidns_dev, proc->pidns_ino, &ns, sizeof(ns)))
		return;
	else
		w->tid = ns.pid;
	w->frame = 0;
	/* the thread's state: the one it had last time, if it still says so */
	cached = bpf_map_lookup_elem(&pr_py_threads, &tid);
	if (cached && *cached && pr_py_read_tstate(w, *cached, &native, &cframe) &&
	    native == w->tid)
		w->frame = *cached;
	if (!w->frame) {
		interp = pr_py_read_ptr(proc->interp_head);
		w->tstate = interp ? pr_py_read_ptr(interp + w->off.interp_threads) : 0;
		bpf_loop(PR_PY_MAX_THREADS, pr_py_thread_step, NULL, 0);
		if (!w->frame) {
			w->flags |= PR_PYF_NO_THREAD;
			return;
		}
		bpf_map_update_elem(&pr_py_threads, &tid, &w->frame, BPF_ANY);
		cframe = pr_py_read_ptr(w->frame + w->off.ts_cframe);
	}
	/* the thread's current frame */
	w->frame = cframe ? pr_py_read_ptr(cframe + w->off.cframe_frame) : 0;
	bpf_loop(PR_PY_MAX_FRAMES + 1, pr_py_frame_step, NULL, 0);
}

/* Asks the runtime about tgid: until it answers, every record of the
 * process wakes it (a young process may not live until a batched read). */
static __always_inline void pr_py_ask(struct pr_py_walk *w, __u32 tgid, __u64 start_time,
				      __u32 exec_id)
{
	struct pr_py_pending want = { .start_time = start_time, .exec_id = exec_id };

	bpf_map_update_elem(&pr_py_pending, &tgid, &want, BPF_NOEXIST);
	w->urgent = 1;
	w->flags |= PR_PYF_ASKED;
}

static __always_inline struct pr_py_walk *pr_py_walk_start(void)
{
	__u32 zero = 0;
	struct pr_py_walk *w = bpf_map_lookup_elem(&pr_py_scratch, &zero);

	if (w) {
		w->n = 0;
		w->flags = 0;
		w->urgent = 0;
		w->last_code = 0;
	}
	return w;
}

#ifdef __VMLINUX_H__
/* CPU time a process's thread has used before it is asked about: an
 * interpreter runs ~15 ms of CPU (python3.11 -I -S here) before its first
 * Python code, so a process with less has no frames to show yet, and most
 * such are short-lived (an exec storm's), whose check (a read of its maps)
 * was half of what their samples cost profrun (/bin/true: 1.9 ms of CPU).
 * A fork of a Python process has frames at once: it is asked about at
 * once. */
#define PR_PY_ASK_CPU_NS 5000000ull

static __always_inline bool pr_py_worth_asking(struct task_struct *task)
{
	struct pr_py_proc *parent;
	__u32 ptgid;

	if (task->se.sum_exec_runtime >= PR_PY_ASK_CPU_NS)
		return true;
	ptgid = BPF_CORE_READ(task, group_leader, real_parent, tgid);
	parent = bpf_map_lookup_elem(&pr_py_procs, &ptgid);
	return parent && parent->state == PR_PY_PYTHON;
}

/* The current thread's Python frames into the per-CPU walk (n = 0 when
 * the process is not Python, or not known yet); NULL without scratch.
 * The entry must be for this image of the process (start time, exec). */
static __always_inline struct pr_py_walk *pr_py_walk_current(__u32 tgid, __u32 tid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pr_py_walk *w = pr_py_walk_start();
	struct pr_py_proc *proc;
	__u64 start_time;
	__u32 exec_id;

	if (!w)
		return NULL;
	start_time = task->group_leader->start_time;
	exec_id = task->group_leader->self_exec_id;
	proc = bpf_map_lookup_elem(&pr_py_procs, &tgid);
	if (!proc || proc->start_time != start_time || proc->exec_id != exec_id) {
		if (pr_py_worth_asking(task))
			pr_py_ask(w, tgid, start_time, exec_id);
		return w;
	}
	if (proc->state == PR_PY_NONE && proc->retry && bpf_ktime_get_ns() > proc->retry) {
		pr_py_ask(w, tgid, start_time, exec_id);
		return w;
	}
	if (proc->state != PR_PY_PYTHON)
		return w;
	if (python_timing) {
		__u64 t0 = bpf_ktime_get_ns();

		pr_py_walk_thread(w, proc, tid);
		pr_py_cost_add(0, bpf_ktime_get_ns() - t0);
		pr_py_cost_add(1, 1);
		pr_py_cost_add(2, w->n);
	} else {
		pr_py_walk_thread(w, proc, tid);
	}
	return w;
}
#else
/* The same without the task (probes load without the kernel's BTF): the
 * request carries no identity, and the entry is trusted while the
 * interpreter's Py_Version still reads the same where it was found. */
static __always_inline struct pr_py_walk *pr_py_walk_current(__u32 tgid, __u32 tid)
{
	struct pr_py_walk *w = pr_py_walk_start();
	struct pr_py_proc *proc;
	__u32 version = 0;

	if (!w)
		return NULL;
	proc = bpf_map_lookup_elem(&pr_py_procs, &tgid);
	if (!proc || (proc->state == PR_PY_NONE && proc->retry && bpf_ktime_get_ns() > proc->retry)) {
		pr_py_ask(w, tgid, 0, 0);
		return w;
	}
	if (proc->state != PR_PY_PYTHON)
		return w;
	if (bpf_probe_read_user(&version, sizeof(version), (void *)proc->version_addr) ||
	    version != proc->version) {
		pr_py_ask(w, tgid, 0, 0);
		return w;
	}
	pr_py_walk_thread(w, proc, tid);
	return w;
}
#endif

#endif
