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
#include "ustack.bpf.h"

const volatile __u8 want_kernel = 1;
const volatile __u8 want_user = 1;
const volatile __u8 want_idle = 0;
/* 0: walk user frame pointers; else copy up to this many bytes of stack */
const volatile __u32 ustack_bytes = 0;
/* with a copy: enum pr_kunwind_mode (off, on, only, verify) */
const volatile __u8 kernel_unwind = 0;
/* sample{aggregate=true}: count whole stacks here (aggregate.bpf.h) */
const volatile __u8 aggregate = 0;
/* read Python frames (python.bpf.h) of the processes the runtime names */
const volatile __u8 python = 0;

/* The scratch record: a sample, and room for its copied user stack right
 * after its kernel frames, then for its Python frames. */
struct sample_buf {
	struct pr_sample_raw r;
	__u8 more[PR_USTACK_MAX + PR_PY_MAX_FRAMES * sizeof(struct pr_py_frame)];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024); /* resized by the runtime before load */
} pr_sample_rb SEC(".maps");

/* The small ring: records without a stack copy (frames walked here or
 * by frame pointers) go to it first. Its pages are written again within
 * a fraction of a second, so they are still in the CPU's caches; the big
 * ring, sized for the copies' bursts, wraps every few seconds and each
 * record there writes cold lines: a 20-frame record's output took 1.0-1.3
 * us there against 0.67-0.69 here at 999 Hz, 0.94-1.02 against 0.58-0.59
 * at 4999. A record it cannot take goes to the big ring. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024); /* resized by the runtime before load */
} pr_sample_hot_rb SEC(".maps");
const volatile __u32 hot_wakeup_bytes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sample_buf);
} pr_sample_tmp SEC(".maps");

#include "kunwind.bpf.h"
#include "aggregate.bpf.h"
#include "python.bpf.h"

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

/* Takes the sample's user registers and the stack copy into s. */
static __always_inline __u64 copy_user_stack(struct bpf_perf_event_data *ctx,
					     struct pr_sample_raw *s, void *dst)
{
	if (!pr_sample_user_regs(ctx, &s->uip, &s->usp, &s->ubp))
		return 0;
	s->ustack_flags = PR_USTACK_COPIED;
	return pr_copy_user_stack(s->usp, dst, ustack_bytes);
}

/* The user stack by the in-kernel unwinder: its frames at dst (returns
 * their bytes), or, when the walk could not finish, the copy it walked
 * (*copied bytes), for the runtime to unwind as without it. Verify mode
 * sends both: the frames, then the copy. */
static __always_inline long kernel_user_stack(struct bpf_perf_event_data *ctx,
					      struct pr_sample_raw *s, void *dst, __u64 *copied,
					      __u32 *urgent)
{
	struct pr_uw_walk *w = pr_uw_walk_current(ctx, s->pid, s->tid);
	long ub = 0;
	__u64 len;

	*copied = 0;
	if (!w)
		return 0;
	s->uip = w->ip0;
	s->usp = w->sp0;
	s->ubp = w->bp0;
	*urgent |= w->urgent;
	if (w->result == PR_KUW_NO_COPY)
		return 0;
	s->ustack_flags = PR_USTACK_COPIED;
	if (w->result == PR_KUW_COMPLETE) {
		ub = pr_frames_bytes(w->n, PR_MAX_FRAMES);
		if (ub && bpf_probe_read_kernel(dst, ub, w->frames))
			ub = 0;
		if (ub)
			s->ustack_flags |= PR_USTACK_KERNEL;
		if (kernel_unwind != PR_KUNWIND_VERIFY) {
			s->ustack_flags &= ~PR_USTACK_COPIED;
			return ub;
		}
	} else if (kernel_unwind == PR_KUNWIND_ONLY) {
		/* what the tables alone give: the frames found before it stopped */
		ub = pr_frames_bytes(w->n, PR_MAX_FRAMES);
		if (ub && bpf_probe_read_kernel(dst, ub, w->frames))
			ub = 0;
		s->ustack_flags = ub ? PR_USTACK_KERNEL | PR_USTACK_PARTIAL : 0;
		return ub;
	}
	/* user space unwinds what it gets: give it all ustack_bytes allow */
	pr_uw_copy_all(w);
	len = pr_clamp_copy(w->len);
	if (len && !bpf_probe_read_kernel(dst + ub, len, w->copy))
		*copied = len;
	return ub;
}

/* The programs pr_sample goes on to by tail calls: the in-kernel walker
 * (pr_sample_walk) and the Python frame reader (pr_sample_py). In the
 * default mode the runtime loads them after the first samples are out:
 * verifying them is most of profrun's start-up, and no process has tables
 * or a Python entry loaded that soon anyway. Until then a slot is empty,
 * the tail call falls through, and the sample goes on without: the stack
 * copied as with the walker off, no Python frames. */
enum { PR_NEXT_WALK = 0, PR_NEXT_PYTHON = 1 };
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} pr_sample_next SEC(".maps");

/* Appends the Python frames pr_sample read at byte at of buf's frames;
 * returns their bytes. *urgent is set when the runtime should read this
 * one now. */
static __always_inline __u64 add_python(struct sample_buf *buf, __u64 at, __u32 *urgent)
{
	struct pr_sample_raw *s = &buf->r;
	struct pr_py_walk *w;
	__u32 zero = 0, n;

	if (!python || !want_user || !s->pid)
		return 0;
	w = bpf_map_lookup_elem(&pr_py_scratch, &zero);
	if (!w)
		return 0;
	s->python_flags = w->flags;
	*urgent |= w->urgent;
	n = w->n;
	if (n > PR_PY_MAX_FRAMES)
		n = PR_PY_MAX_FRAMES;
	if (!n || at > 2 * STACK_BYTES + PR_USTACK_MAX)
		return 0;
	if (bpf_probe_read_kernel((void *)s->addrs + at, n * sizeof(struct pr_py_frame), w->frames))
		return 0;
	s->npython = n;
	return n * sizeof(struct pr_py_frame);
}

/* Sends the record in buf (kb bytes of kernel frames, ub of user frames,
 * then copied bytes of stack, then Python frames), or counts it when
 * aggregating. */
static __always_inline int send_sample(struct sample_buf *buf, struct pr_src_counts *c, long kb,
				       long ub, __u64 copied, __u32 urgent, bool py)
{
	struct pr_sample_raw *s = &buf->r;
	__u64 size, pb = 0;

	ub = clamp_stack_bytes(ub);
	s->ustack_len = copied;
	s->nuser = ub / 8;
	copied = pr_clamp_copy(copied);
	if (py)
		pb = add_python(buf, kb + ub + copied, &urgent);
	/* the whole stack is known: a count instead of a record */
	if (aggregate && !copied && !pb &&
	    !(s->ustack_flags & (PR_USTACK_COPIED | PR_USTACK_PARTIAL)) &&
	    pr_agg_add())
		return 0;
	/* read only for a record: a counted sample needs them only when it
	 * starts a count (pr_agg_add), and the cgroup is pointers away */
	s->cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(s->comm, sizeof(s->comm));
	size = HEAD_BYTES + kb + ub + copied + pb;
	s->hdr.size = size;
	if (size > sizeof(*buf)) {
		count_failed(c);
		return 0;
	}
	if (!copied) {
		if (!bpf_ringbuf_output(&pr_sample_hot_rb, s, size,
					urgent ? BPF_RB_FORCE_WAKEUP
					       : pr_ring_wakeup(&pr_sample_hot_rb, hot_wakeup_bytes)))
			return 0;
		count_spilled(c);
	}
	if (bpf_ringbuf_output(&pr_sample_rb, s, size,
			       urgent ? BPF_RB_FORCE_WAKEUP : pr_wakeup_flags(&pr_sample_rb)))
		count_dropped(c);
	return 0;
}

/* The user stack of the sample in buf (kb bytes of kernel frames
 * before it), then the record out: walked by pr_sample_walk when it is
 * loaded, else copied or walked by frame pointers here. py: the Python
 * reader ran (pr_sample itself has no frames to add: leaving the code
 * out of it keeps its verification short: 5043 -> 2855 instructions
 * checked, ~1 ms of every start). */
static __always_inline int sample_user(struct bpf_perf_event_data *ctx, struct sample_buf *buf,
				       struct pr_src_counts *c, long kb, bool py)
{
	struct pr_sample_raw *s = &buf->r;
	__u64 copied = 0;
	long ub = 0;

	if (want_user && s->pid != 0 && ustack_bytes && kernel_unwind) {
		bpf_tail_call(ctx, &pr_sample_next, PR_NEXT_WALK);
		/* the walker is not loaded yet: no tables are either */
		pr_uw_count(PR_KUW_NO_PROC, 1);
	}
	if (want_user && s->pid != 0 && ustack_bytes) {
		copied = copy_user_stack(ctx, s, (void *)s->addrs + kb);
	} else if (want_user && s->pid != 0) {
		ub = bpf_get_stack(ctx, (void *)s->addrs + kb, STACK_BYTES, BPF_F_USER_STACK);
		if (ub < 0) {
			s->uerr = ub;
			ub = 0;
		}
	}
	return send_sample(buf, c, kb, ub, copied, 0, py);
}

SEC("perf_event")
int pr_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, zero = 0;
	struct pr_src_counts *c;
	struct pr_sample_raw *s;
	struct sample_buf *buf;
	long kb = 0;

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
	s->kerr = 0;
	s->uerr = 0;
	s->ustack_len = 0;
	s->ustack_flags = 0;
	s->npython = 0;
	s->python_flags = 0;
	s->pad = 0;
	/* a sample that interrupted user mode has no kernel frames: the
	 * helper would find none, at ~0.15 us a sample */
	if (want_kernel && !pr_sample_in_user(ctx)) {
		kb = bpf_get_stack(ctx, s->addrs, STACK_BYTES, 0);
		if (kb < 0) {
			s->kerr = kb;
			kb = 0;
		}
	}
	kb = clamp_stack_bytes(kb);
	s->nkernel = kb / 8;
	if (python && want_user && tgid != 0) {
		/* no frames of an earlier sample on this CPU, whatever follows */
		pr_py_walk_start();
		bpf_tail_call(ctx, &pr_sample_next, PR_NEXT_PYTHON);
	}
	return sample_user(ctx, buf, c, kb, false);
}

/* The rest of pr_sample when the Python reader is loaded: this thread's
 * Python frames, then the user stack. */
SEC("perf_event")
int pr_sample_py(struct bpf_perf_event_data *ctx)
{
	__u32 zero = 0, src = PR_SRC_SAMPLE;
	struct pr_src_counts *c = bpf_map_lookup_elem(&pr_counts, &src);
	struct sample_buf *buf = bpf_map_lookup_elem(&pr_sample_tmp, &zero);

	if (!buf) {
		count_failed(c);
		return 0;
	}
	pr_py_walk_current(buf->r.pid, buf->r.tid);
	return sample_user(ctx, buf, c, clamp_stack_bytes(buf->r.nkernel * 8), true);
}

/* The rest of pr_sample when the walker is loaded: the user stack walked
 * here, or copied for user space when the walk cannot finish. */
SEC("perf_event")
int pr_sample_walk(struct bpf_perf_event_data *ctx)
{
	__u32 zero = 0, src = PR_SRC_SAMPLE;
	struct pr_src_counts *c = bpf_map_lookup_elem(&pr_counts, &src);
	struct sample_buf *buf = bpf_map_lookup_elem(&pr_sample_tmp, &zero);
	__u32 urgent = 0;
	__u64 copied = 0;
	long kb, ub;

	if (!buf) {
		count_failed(c);
		return 0;
	}
	kb = clamp_stack_bytes(buf->r.nkernel * 8);
	ub = kernel_user_stack(ctx, &buf->r, (void *)buf->r.addrs + kb, &copied, &urgent);
	return send_sample(buf, c, kb, ub, copied, urgent, true);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
