// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The table of event sources, and how each one's ring record becomes the
 * record Lua reads. Lifecycle records are copied whole; a sample is
 * reduced to its interned stack on the way, with its user stack unwound
 * first when BPF sent a stack copy (the process's maps are still those
 * of the sample only now).
 */
#include <errno.h>
#include <string.h>
#include "log.h"
#include "maps.h"
#include "proc.h"
#include "providers.h"
#include "python.h"
#include "stacks.h"
#include "unwind.h"

/* The user frames of a record whose user stack was copied (a sample's,
 * an off-CPU interval's: the same fields), placed in their binaries as
 * the unwinder found them. */
#define UNWIND_COPY(t, r, bytes)                                                             \
	unwind_copy(t, &(struct pr_unwind_input){ .pid = (r)->pid,                           \
						  .time = (r)->hdr.time,                     \
						  .ip = (r)->uip,                            \
						  .sp = (r)->usp,                            \
						  .bp = (r)->ubp,                            \
						  .stack = (bytes),                          \
						  .len = (r)->ustack_len })

static uint32_t unwind_copy(struct pr_take *t, struct pr_unwind_input *in)
{
	in->mode = t->unwind_mode;
	return pr_unwind_frames(in, pr_unwind_maps_find, t->maps, t->ustack, t->uframes,
				PR_MAX_FRAMES, t->unwind, NULL);
}

/* Frame i of user space's unwind is the frame BPF found: the same pc,
 * or, where BPF placed the frame itself (PR_UFRAME), the same place. */
static bool same_frame(struct pr_take *t, uint32_t pid, uint64_t kernel_uw, uint32_t i)
{
	struct pr_user_frame f;

	if (!(kernel_uw & PR_UFRAME_PLACED))
		return t->ustack[i] == kernel_uw;
	f = pr_maps_place(t->maps, pid, kernel_uw, 0);
	return f.bin && f.bin == t->uframes[i].bin && f.foff == t->uframes[i].foff;
}

/* Both unwinders walked this sample's stack: the frames must agree. */
static void verify(struct pr_take *t, const struct pr_sample_raw *r, const uint64_t *kernel_uw,
		   uint32_t nuser)
{
	uint32_t i = 0;

	t->verified++;
	while (i < nuser && i < r->nuser && same_frame(t, r->pid, kernel_uw[i], i))
		i++;
	if (i == nuser && i == r->nuser)
		return;
	if (t->verify_mismatch++ < 5)
		pr_warn("kernel_unwind=verify: pid %u: BPF found %u frames, user space %u; "
			"frame %u differs: %#llx vs %#llx",
			r->pid, r->nuser, nuser, i,
			(unsigned long long)(i < r->nuser ? kernel_uw[i] : 0),
			(unsigned long long)(i < nuser ? t->ustack[i] : 0));
}

/* Samples BPF counted (sample{aggregate}): one record per (pid, tid,
 * stack), its frames raw addresses like a frame-pointer sample's. */
static int take_counted(struct pr_take *t, const struct pr_sample_agg *r)
{
	const uint64_t *kernel = (const uint64_t *)r->addrs;
	struct pr_sample *s;
	uint32_t stack;

	if (r->nkernel > PR_MAX_FRAMES || r->nuser > PR_MAX_FRAMES || !r->count)
		return -EINVAL;
	stack = pr_stacks_intern(t->stacks, r->pid, r->hdr.time, kernel, r->nkernel,
				 kernel + r->nkernel, r->nuser);
	s = t->put(t->loop, sizeof(*s));
	*s = (struct pr_sample){
		.hdr = { .type = PR_REC_SAMPLE, .size = sizeof(*s), .time = r->hdr.time },
		.pid = r->pid,
		.tid = r->tid,
		.cpu = PR_CPU_ANY,
		.cgroup = r->cgroup,
		.stack = stack,
		.count = r->count,
	};
	memcpy(s->comm, r->comm, sizeof(s->comm));
	return 0;
}

/* A user stack walked in BPF (to the outermost frame unless partial). */
static void count_kernel_walk(struct pr_take *t, const struct pr_sample_raw *r)
{
	if (!(r->ustack_flags & PR_USTACK_KERNEL))
		return;
	t->unwind->stacks++;
	t->unwind->frames += r->nuser;
	if (r->ustack_flags & PR_USTACK_PARTIAL)
		t->unwind->truncated++;
	else
		t->unwind->complete++;
}

/* The Python frames a record carries. */
struct py_frames {
	const struct pr_py_frame *v;
	uint32_t n, flags;
};

/* The Python frames a record carries at v (n of them, flags): asked
 * about processes are answered first. NULL when there is nothing to
 * merge (or no reader). */
static const struct py_frames *python_of(struct pr_take *t, struct py_frames *py, const void *v,
					 uint32_t n, uint32_t flags)
{
	if (!t->python || (!n && !flags))
		return NULL;
	/* a process asked about: answered before its records reach Lua,
	 * whose hooks may take long enough for a short script to exit */
	if (flags & PR_PYF_ASKED)
		pr_python_tick(t->python);
	*py = (struct py_frames){ .v = v, .n = n, .flags = flags };
	return py;
}

/* The user frames to intern for a record of pid taken at time: the n in
 * t->uframes as the unwinder placed them, or (raw) addresses a frame walk
 * found, placed here; with the record's Python frames merged in (py).
 * *out points at them; returns how many. */
static uint32_t user_frames(struct pr_take *t, uint32_t pid, uint64_t time, const uint64_t *raw,
			    uint32_t n, const struct py_frames *py,
			    const struct pr_user_frame **out)
{
	uint32_t i;

	for (i = 0; raw && i < n; i++)
		t->uframes[i] = pr_maps_place(t->maps, pid, raw[i], time);
	*out = t->uframes;
	if (!py)
		return n;
	*out = t->merged;
	return pr_python_merge(t->python, pid, py->v, py->n, py->flags, t->uframes, n, t->merged,
			       PR_STACK_FRAMES - PR_MAX_FRAMES);
}

static int take_sample(struct pr_take *t, const void *rec, size_t len)
{
	const struct pr_sample_raw *r = rec;
	size_t head = offsetof(struct pr_sample_raw, addrs), frames;
	const uint64_t *user, *raw = NULL, *kernel = (const uint64_t *)r->addrs;
	const struct pr_user_frame *uf;
	const struct py_frames *py;
	struct py_frames pyf;
	struct pr_sample *s;
	uint32_t nuser, stack;

	if (r->hdr.type == PR_REC_SAMPLE_AGG)
		return len < sizeof(struct pr_sample_agg) ? -EINVAL : take_counted(t, rec);
	frames = head + (r->nkernel + r->nuser) * sizeof(__u64);
	if (r->nkernel > PR_MAX_FRAMES || r->nuser > PR_MAX_FRAMES || len < frames ||
	    r->ustack_len > PR_USTACK_MAX || len < frames + r->ustack_len ||
	    r->npython > PR_PY_MAX_FRAMES ||
	    len < frames + r->ustack_len + r->npython * sizeof(struct pr_py_frame))
		return -EINVAL;
	t->kstack_errors += r->kerr != 0;
	t->ustack_errors += r->uerr != 0;
	user = kernel + r->nkernel;
	py = python_of(t, &pyf, (const uint8_t *)r + frames + r->ustack_len, r->npython,
		       r->python_flags);
	if (r->ustack_flags & PR_USTACK_COPIED) {
		nuser = UNWIND_COPY(t, r, (const uint8_t *)r + frames);
		if (r->ustack_flags & PR_USTACK_KERNEL)
			verify(t, r, user, nuser);
	} else {
		count_kernel_walk(t, r);
		raw = user;
		nuser = r->nuser;
	}
	if (raw && !py) {
		/* frames BPF walked, nothing to merge: the memo of raw stacks */
		stack = pr_stacks_intern(t->stacks, r->pid, r->hdr.time, kernel, r->nkernel, raw,
					 nuser);
	} else {
		nuser = user_frames(t, r->pid, r->hdr.time, raw, nuser, py, &uf);
		stack = pr_stacks_intern_frames(t->stacks, r->pid, kernel, r->nkernel, uf, nuser);
	}
	s = t->put(t->loop, sizeof(*s));
	*s = (struct pr_sample){
		.hdr = { .type = PR_REC_SAMPLE, .size = sizeof(*s), .time = r->hdr.time },
		.pid = r->pid,
		.tid = r->tid,
		.cpu = r->cpu,
		.cgroup = r->cgroup,
		.stack = stack,
		.count = 1,
	};
	memcpy(s->comm, r->comm, sizeof(s->comm));
	return 0;
}

/* An off-CPU record: its kernel stacks come from the stack map by id,
 * its user stack as a sample's does. */
static int take_offcpu(struct pr_take *t, const void *rec, size_t len)
{
	const struct pr_offcpu_raw *r = rec;
	size_t frames = offsetof(struct pr_offcpu_raw, addrs) + r->nuser * sizeof(__u64);
	uint32_t nk = 0, nuser, stack, waker = 0;
	struct pr_offcpu *o;

	if (r->nuser > PR_MAX_FRAMES || len < frames || r->ustack_len > PR_USTACK_MAX ||
	    len < frames + r->ustack_len || !r->count)
		return -EINVAL;
	if (r->kstack >= 0)
		nk = t->kstack(t->plan, PR_OBJ_OFFCPU, r->kstack, t->kframes);
	t->kstack_errors += r->kstack < 0 || !nk;
	t->ustack_errors += r->uerr != 0;
	if (r->ustack_flags & PR_USTACK_COPIED) {
		nuser = UNWIND_COPY(t, r, (const uint8_t *)r + frames);
		stack = pr_stacks_intern_frames(t->stacks, r->pid, t->kframes, nk, t->uframes,
						nuser);
	} else {
		stack = pr_stacks_intern(t->stacks, r->pid, r->hdr.time, t->kframes, nk,
					 (const uint64_t *)r->addrs, r->nuser);
	}
	if ((r->flags & PR_OFFCPU_WAKER) && r->waker_kstack >= 0) {
		nk = t->kstack(t->plan, PR_OBJ_OFFCPU, r->waker_kstack, t->kframes);
		waker = pr_stacks_intern(t->stacks, r->waker_pid, r->hdr.time, t->kframes, nk,
					 NULL, 0);
	}
	o = t->put(t->loop, sizeof(*o));
	*o = (struct pr_offcpu){
		.hdr = { .type = PR_REC_OFFCPU, .size = sizeof(*o), .time = r->hdr.time },
		.pid = r->pid,
		.tid = r->tid,
		.start = r->start,
		.duration = r->duration,
		.count = r->count,
		.state = r->state,
		.stack = stack,
		.waker_stack = waker,
		.waker_pid = r->waker_pid,
		.waker_tid = r->waker_tid,
		.flags = r->flags,
	};
	memcpy(o->comm, r->comm, sizeof(o->comm));
	memcpy(o->waker_comm, r->waker_comm, sizeof(o->waker_comm));
	return 0;
}

static int take_whole(struct pr_take *t, const void *rec, size_t size)
{
	memcpy(t->put(t->loop, size), rec, size);
	return 0;
}

static int take_exec(struct pr_take *t, const void *rec, size_t len)
{
	const struct pr_exec *e = rec;

	(void)len;
	/* samples taken before the exec still resolve in the old image */
	pr_maps_on_exec(t->maps, e->pid, e->hdr.time);
	return take_whole(t, rec, sizeof(*e));
}

static int take_exit(struct pr_take *t, const void *rec, size_t len)
{
	(void)len;
	return take_whole(t, rec, sizeof(struct pr_exit));
}

static int take_fork(struct pr_take *t, const void *rec, size_t len)
{
	(void)len;
	return take_whole(t, rec, sizeof(struct pr_fork));
}

/* A probe record ends before its strings unless it has some: the arena
 * record is always whole, what the ring did not carry zeroed. stack =
 * true: the whole record, then the user registers and stack copy, unwound
 * here (the process's maps are those of the hit only now). */
static int take_probe(struct pr_take *t, const void *rec, size_t len)
{
	const struct pr_probe *r = rec;
	const struct pr_probe_ustack *u = (const void *)(r + 1);
	const uint64_t *raw = NULL;
	const struct pr_user_frame *uf;
	const struct py_frames *py;
	struct py_frames pyf;
	struct pr_probe *o;
	uint32_t nk = 0, nu = 0, stack = 0;

	if (r->flags & PR_PROBE_STACKED) {
		if (len < sizeof(*r) + sizeof(*u) || u->len > PR_USTACK_MAX ||
		    u->npython > PR_PY_MAX_FRAMES ||
		    len < sizeof(*r) + sizeof(*u) + u->len + u->npython * sizeof(struct pr_py_frame))
			return -EINVAL;
		py = python_of(t, &pyf, (const uint8_t *)(u + 1) + u->len, u->npython,
			       u->python_flags);
		if (u->kstack >= 0)
			nk = t->kstack(t->plan, PR_OBJ_PROBE, u->kstack, t->kframes);
		t->kstack_errors += u->kstack < -1;
		if (u->uip && t->stack_top)
			t->stack_top(t->plan, r->pid);
		if (u->uip)
			nu = unwind_copy(t, &(struct pr_unwind_input){ .pid = r->pid,
								       .time = r->hdr.time,
								       .ip = u->uip,
								       .sp = u->usp,
								       .bp = u->ubp,
								       .stack = (const uint8_t *)(u + 1),
								       .len = u->len });
		if (u->ustack >= 0) {
			/* a kprobe's user stack, walked by the kernel: raw addresses */
			nu = t->kstack(t->plan, PR_OBJ_PROBE, u->ustack, t->ustack);
			raw = t->ustack;
		}
		nu = user_frames(t, r->pid, r->hdr.time, raw, nu, py, &uf);
		stack = pr_stacks_intern_frames(t->stacks, r->pid, t->kframes, nk, uf, nu);
		len = sizeof(*r);
	}
	o = t->put(t->loop, sizeof(*o));
	if (len > sizeof(*o))
		len = sizeof(*o);
	memcpy(o, rec, len);
	memset((char *)o + len, 0, sizeof(*o) - len);
	o->hdr.size = sizeof(*o);
	o->flags &= ~PR_PROBE_STACKED;
	o->stack = stack;
	return 0;
}

static int take_tracepoint(struct pr_take *t, const void *rec, size_t len)
{
	(void)len;
	return take_whole(t, rec, sizeof(struct pr_tracepoint));
}

static void feed_exec(struct pr_proc *pc, const void *view)
{
	pr_proc_on_exec(pc, view);
}

static void feed_exit(struct pr_proc *pc, const void *view)
{
	pr_proc_on_exit(pc, view);
}

static void feed_fork(struct pr_proc *pc, const void *view)
{
	pr_proc_on_fork(pc, view);
}

static const char LIFE_HINT[] = "raise lifecycle{buffer=...} or do less work per event";

/* Lifecycle attach order: pr_exit first, as it deletes from the live
 * table, so no process the others write there can exit unseen; exec
 * last. */
const struct pr_provider pr_providers[PR_SRC_MAX] = {
	[PR_SRC_SAMPLE] = {
		.name = "sample",
		.hook = "on_sample",
		.what = "samples",
		.hint = "raise sample{buffer=...} or lower the frequency",
		.object = PR_OBJ_SAMPLE,
		.progs = { "pr_sample" },
		.kind = "perf_event",
		.record = PR_REC_SAMPLE_RAW,
		.counted = PR_REC_SAMPLE_AGG,
		.min_size = offsetof(struct pr_sample_raw, addrs),
		.view = PR_REC_SAMPLE,
		.needs = PR_NEEDS_STACKS,
		.take = take_sample,
	},
	[PR_SRC_EXEC] = {
		.name = "exec",
		.hook = "on_exec",
		.what = "exec events",
		.hint = LIFE_HINT,
		.object = PR_OBJ_LIFECYCLE,
		.progs = { "pr_exec" },
		.kind = "raw_tp/sched_process_exec",
		.rank = 3,
		.wanted_by = PR_HOOK_PROC,
		.record = PR_REC_EXEC,
		.min_size = sizeof(struct pr_exec),
		.view = PR_REC_EXEC,
		.needs = PR_FEEDS_PROC | PR_FEEDS_MAPS,
		.take = take_exec,
		.feed_proc = feed_exec,
	},
	[PR_SRC_EXIT] = {
		.name = "exit",
		.hook = "on_exit",
		.what = "exit events",
		.hint = LIFE_HINT,
		.object = PR_OBJ_LIFECYCLE,
		.progs = { "pr_exit" },
		.kind = "raw_tp/sched_process_exit",
		.rank = 0,
		.wanted_by = PR_HOOK_PROC,
		.record = PR_REC_EXIT,
		.min_size = sizeof(struct pr_exit),
		.view = PR_REC_EXIT,
		.needs = PR_FEEDS_PROC,
		.take = take_exit,
		.feed_proc = feed_exit,
	},
	[PR_SRC_FORK] = {
		.name = "fork",
		.hook = "on_fork",
		.what = "fork events",
		.hint = LIFE_HINT,
		.object = PR_OBJ_LIFECYCLE,
		.progs = { "pr_fork" },
		.kind = "raw_tp/sched_process_fork",
		.rank = 1,
		.record = PR_REC_FORK,
		.min_size = sizeof(struct pr_fork),
		.view = PR_REC_FORK,
		.needs = PR_FEEDS_PROC,
		.take = take_fork,
		.feed_proc = feed_fork,
	},
	/* sys_exit first: a record waiting for its thread's user stack is
	 * sent by whichever of sys_exit and sched_switch sees the thread
	 * first; sched_switch last, as it starts the intervals */
	[PR_SRC_OFFCPU] = {
		.name = "offcpu",
		.hook = "on_offcpu",
		.what = "off-CPU records",
		.hint = "raise offcpu{buffer=...} or offcpu{min=...}, or do less work per event",
		.object = PR_OBJ_OFFCPU,
		.progs = { "pr_offcpu_sys_exit", "pr_offcpu_waking", "pr_offcpu_switch" },
		.kind = "tp_btf/sched_switch, sched_waking, sys_exit",
		.record = PR_REC_OFFCPU_RAW,
		.min_size = offsetof(struct pr_offcpu_raw, addrs),
		.view = PR_REC_OFFCPU,
		.needs = PR_NEEDS_STACKS,
		.take = take_offcpu,
	},
	/* probe() registers its functions behind on_probe. The return
	 * program first: an entry stamped once both are attached always
	 * meets its return */
	[PR_SRC_PROBE] = {
		.name = "probe",
		.hook = "on_probe",
		.what = "probe hits",
		.hint = "raise probes{buffer=...}, or do less work per hit",
		.object = PR_OBJ_PROBE,
		.progs = { "pr_probe_return", "pr_probe_enter", "pr_probe_kreturn",
			   "pr_probe_kenter", "pr_probe_usdt" },
		.kind = "uprobe, uretprobe, kprobe, kretprobe, usdt",
		.record = PR_REC_PROBE,
		.min_size = offsetof(struct pr_probe, str),
		.view = PR_REC_PROBE,
		.needs = PR_NEEDS_STACKS,
		.take = take_probe,
	},
	/* t: probes, behind on_tracepoint as u: ones are behind on_probe */
	[PR_SRC_TRACEPOINT] = {
		.name = "tracepoint",
		.hook = "on_tracepoint",
		.what = "tracepoint hits",
		.hint = "raise probes{buffer=...}, or do less work per hit",
		.object = PR_OBJ_PROBE,
		.progs = { "pr_probe_tp" },
		.kind = "tracepoint",
		.rank = 1,
		.record = PR_REC_TRACEPOINT,
		.min_size = sizeof(struct pr_tracepoint),
		.view = PR_REC_TRACEPOINT,
		.take = take_tracepoint,
	},
};

/* pr_fork's and pr_exit's silent twins: proc() without on_fork still
 * needs every new process in the live table, and the target filter its
 * set kept; pr_fork and pr_exit do both when loaded. */
const struct pr_cache_prog pr_cache_progs[] = {
	{ .need = PR_HOOK_PROC,
	  .who = "proc()",
	  .object = PR_OBJ_LIFECYCLE,
	  .prog = "pr_live_fork",
	  .kind = "raw_tp/sched_process_fork",
	  .rank = 2,
	  .unless = PR_SRC_FORK },
	{ .need = PR_HOOK_TARGET,
	  .who = "-p/-c (following children)",
	  .object = PR_OBJ_LIFECYCLE,
	  .prog = "pr_target_exit",
	  .kind = "raw_tp/sched_process_exit",
	  .rank = 0,
	  .unless = PR_SRC_EXIT },
	{ .need = PR_HOOK_TARGET,
	  .who = "-p/-c (following children)",
	  .object = PR_OBJ_LIFECYCLE,
	  .prog = "pr_target_fork",
	  .kind = "raw_tp/sched_process_fork",
	  .rank = 1,
	  .unless = PR_SRC_FORK },
};
const size_t pr_n_cache_progs = sizeof(pr_cache_progs) / sizeof(pr_cache_progs[0]);

const struct pr_provider *pr_provider_by_record(uint32_t t)
{
	int i;

	for (i = 0; i < PR_SRC_MAX; i++)
		if (pr_providers[i].record == t || (t && pr_providers[i].counted == t))
			return &pr_providers[i];
	return NULL;
}

const struct pr_provider *pr_provider_by_view(uint32_t t)
{
	int i;

	for (i = 0; i < PR_SRC_MAX; i++)
		if (pr_providers[i].view == t)
			return &pr_providers[i];
	return NULL;
}
