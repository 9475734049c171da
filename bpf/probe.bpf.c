// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Probes on user and kernel functions: one entry program and one return
 * program of each kind serve every probe() of a script. What a probe is
 * lives in its attach cookie (enum in events.h: the probe's index and
 * which of its matches fired) and in pr_probe_config (its options), so
 * nothing is compiled or specialised per probe at run time.
 *
 * u:/k: the entry program sends the first six arguments. ur:/kr: the entry
 * program is attached too, with the STAMP bit: it only notes the time in
 * pr_probe_entry, keyed by thread and probe; the return program sends the
 * return value and the time since then.
 *
 * Options: stack sends the user registers and a copy of the user stack
 * (the runtime unwinds it with .eh_frame, as samples'); count_only adds
 * the hit to pr_probe_counts and sends nothing; sample = N sends every
 * Nth hit; pid keeps one process's hits.
 *
 * No vmlinux.h and no CO-RE: the registers are the UAPI struct pt_regs
 * (x86-64's layout is fixed), so libbpf never parses the kernel's BTF
 * for this object (~50 ms of a probe-only run's start-up here). A kprobe
 * hit's user stack is therefore walked by the kernel (frame pointers),
 * not copied: finding the user registers from a kprobe needs the task.
 */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "common.bpf.h"
#include "ustack.bpf.h"
#include "python.bpf.h"
#include <bpf/usdt.bpf.h>

/* libbpf 1.1's bpf_tracing.h stops at the fifth argument */
#ifdef PT_REGS_PARM6
#define PARM6(x) PT_REGS_PARM6(x)
#else
#define PARM6(x) ((x)->r9) /* x86-64 SysV: rdi rsi rdx rcx r8 r9 */
#endif

/* errors of bpf_get_stackid that lose a stack (vmlinux.h has no errno) */
#define STACK_EEXIST (-17) /* another stack holds the bucket */
#define STACK_ENOMEM (-12) /* the map is full */

/* bytes of user stack copied for stack = true (set by the runtime) */
const volatile __u32 ustack_bytes = PR_USTACK_MAX;
/* stack = true: read Python frames too (python.bpf.h) */
const volatile __u8 python = 0;

/* count_only hits the counts map could not take; stack ids lost to a
 * full or colliding stack map */
__u64 count_lost;
__u64 stack_lost;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024); /* resized by the runtime before load */
} pr_probe_rb SEC(".maps");

struct entry_key {
	__u32 tid;
	__u32 probe;
};

/* Entry times of return probes' calls in flight; LRU, so calls that
 * never return (longjmp, exit, a thread killed) cannot fill it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct entry_key);
	__type(value, __u64);
} pr_probe_entry SEC(".maps");

/* each probe's options, by probe index */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PR_PROBE_MAX);
	__type(key, __u32);
	__type(value, struct pr_probe_config);
} pr_probe_config SEC(".maps");

/* sample = N: each probe's hits so far, across CPUs */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PR_PROBE_MAX);
	__type(key, __u32);
	__type(value, __u64);
} pr_probe_hits SEC(".maps");

/* count_only: hits by probe, match, process and stacks */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* set by the runtime: 1 unless count_only is used */
	__type(key, struct pr_probe_count_key);
	__type(value, __u64);
} pr_probe_counts SEC(".maps");

/* count_only stacks, and k:/kr: kernel stacks; sized by the runtime */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 8192);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PR_MAX_FRAMES * sizeof(__u64));
} pr_probe_stacks SEC(".maps");

/* The top of each process's main-thread stack, from /proc/PID/stat (the
 * runtime adds a process at its first stacked hit): a copy stops there,
 * so a shallow stack costs a few hundred bytes, not ustack_bytes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} pr_probe_stack_top SEC(".maps");

/* stack = true: the record is built here, then sent at its used size */
struct probe_buf {
	struct pr_probe p;
	struct pr_probe_ustack u;
	__u8 stack[PR_USTACK_MAX + PR_PY_MAX_FRAMES * sizeof(struct pr_py_frame)];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct probe_buf);
} pr_probe_tmp SEC(".maps");

#define PROBE_HEAD __builtin_offsetof(struct pr_probe, str)

/* A stack's id in pr_probe_stacks (flags: BPF_F_USER_STACK or 0), or
 * bpf_get_stackid's error; a stack the map had no room for is counted
 * lost. */
static __always_inline __s32 stack_id(void *ctx, __u64 flags)
{
	long id = bpf_get_stackid(ctx, &pr_probe_stacks, flags);

	if (id == STACK_EEXIST || id == STACK_ENOMEM)
		__sync_fetch_and_add(&stack_lost, 1);
	return id;
}

enum hit_kind { HIT_ENTRY, HIT_USDT, HIT_RETURN };

static __always_inline void init_record(struct pr_probe *e, __u64 cookie, __u64 id, __u32 size)
{
	e->hdr.type = PR_REC_PROBE;
	e->hdr.size = size;
	e->hdr.time = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->cpu = bpf_get_smp_processor_id();
	e->probe = cookie & PR_PROBE_COOKIE_INDEX;
	e->match = (cookie >> PR_PROBE_COOKIE_MATCH_SHIFT) & PR_PROBE_COOKIE_MATCH;
	e->cgroup = bpf_get_current_cgroup_id();
	e->flags = 0;
	e->stack = 0;
	e->pad = 0;
	e->retval = 0;
	e->duration = 0;
	e->str_len[0] = e->str_len[1] = 0;
	e->str_arg[0] = e->str_arg[1] = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

/* The probe's string arguments, read from user memory now. */
static __always_inline void read_strings(struct pr_probe *e, const struct pr_probe_config *c)
{
	__u32 i, k;
	long n;

	for (i = 0; i < PR_PROBE_NSTR; i++) {
		k = c->str_arg[i] - 1;
		if (k > 5)
			continue;
		n = bpf_probe_read_user_str(e->str[i], PR_PROBE_STR, (const void *)e->args[k]);
		e->str_len[i] = n > 0 ? n : 0;
		e->str_arg[i] = k + 1;
	}
}

static __always_inline void regs_args(struct pr_probe *e, struct pt_regs *ctx)
{
	e->args[0] = PT_REGS_PARM1(ctx);
	e->args[1] = PT_REGS_PARM2(ctx);
	e->args[2] = PT_REGS_PARM3(ctx);
	e->args[3] = PT_REGS_PARM4(ctx);
	e->args[4] = PT_REGS_PARM5(ctx);
	e->args[5] = PARM6(ctx);
}

static __always_inline void usdt_args(struct pr_probe *e, struct pt_regs *ctx)
{
	long v;
	__u32 i;

	for (i = 0; i < 6; i++) {
		v = 0;
		bpf_usdt_arg(ctx, i, &v);
		e->args[i] = v;
	}
}

/* What the hit carries besides who and when: arguments (registers, or
 * decoded from the USDT note) and strings, or the return value and the
 * duration the return half found (dur, 0: no entry seen). */
static __always_inline void fill(struct pr_probe *e, struct pt_regs *ctx, int kind,
				 const struct pr_probe_config *c, __u64 dur, bool strings)
{
	if (kind == HIT_RETURN) {
		__builtin_memset(e->args, 0, sizeof(e->args));
		e->retval = PT_REGS_RC(ctx);
		e->flags |= PR_PROBE_RET;
		if (dur) {
			e->duration = dur;
			e->flags |= PR_PROBE_DURATION;
		}
		return;
	}
	if (kind == HIT_USDT)
		usdt_args(e, ctx);
	else
		regs_args(e, ctx);
	if (strings)
		read_strings(e, c);
}

/* count_only: one more hit under the probe's key, nothing sent. Stacks
 * are stack-map ids: the kernel walks frame pointers. */
static __always_inline void count_hit(struct pt_regs *ctx, const struct pr_probe_config *c,
				      __u64 cookie, __u32 tgid, bool kernel)
{
	struct pr_probe_count_key k = {
		.probe = cookie & PR_PROBE_COOKIE_INDEX,
		.match = (cookie >> PR_PROBE_COOKIE_MATCH_SHIFT) & PR_PROBE_COOKIE_MATCH,
		.ustack = -1,
		.kstack = -1,
	};
	__u64 one = 1, *v;

	if (c->flags & PR_PROBE_CFG_STACK) {
		/* one key for "no stack", whatever the error */
		k.pid = tgid;
		k.ustack = stack_id(ctx, BPF_F_USER_STACK);
		if (k.ustack < 0)
			k.ustack = -1;
		if (kernel)
			k.kstack = stack_id(ctx, 0);
		if (k.kstack < 0)
			k.kstack = -1;
	}
	v = bpf_map_lookup_elem(&pr_probe_counts, &k);
	if (!v) {
		if (!bpf_map_update_elem(&pr_probe_counts, &k, &one, BPF_NOEXIST))
			return;
		/* another CPU inserted it first */
		v = bpf_map_lookup_elem(&pr_probe_counts, &k);
	}
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		__sync_fetch_and_add(&count_lost, 1);
}

/* stack = true: the record with the user registers and stack copy (and
 * a kprobe's kernel stack id), sent at its used size. */
static __always_inline void send_stacked(struct pt_regs *ctx, int kind,
					 const struct pr_probe_config *c, __u64 cookie, __u64 id,
					 __u64 dur, bool kernel)
{
	struct pr_src_counts *cnt = count_produced(PR_SRC_PROBE);
	struct pr_probe_ustack *u;
	struct probe_buf *buf;
	__u32 zero = 0, urgent = 0;
	__u64 len = 0, size;

	buf = bpf_map_lookup_elem(&pr_probe_tmp, &zero);
	if (!buf) {
		count_failed(cnt);
		return;
	}
	init_record(&buf->p, cookie, id, sizeof(buf->p));
	buf->p.flags = PR_PROBE_STACKED;
	fill(&buf->p, ctx, kind, c, dur, c->str_arg[0] != 0);
	u = &buf->u;
	u->kstack = u->ustack = -1;
	u->uip = u->usp = u->ubp = 0;
	if (kernel) {
		u->kstack = stack_id(ctx, 0);
		u->ustack = stack_id(ctx, BPF_F_USER_STACK);
	} else {
		/* a uprobe's registers are the user's */
		u->uip = PT_REGS_IP(ctx);
		u->usp = PT_REGS_SP(ctx);
		u->ubp = PT_REGS_FP(ctx);
	}
	if (u->uip && ustack_bytes) {
		__u32 tgid = id >> 32;
		__u64 *top = bpf_map_lookup_elem(&pr_probe_stack_top, &tgid);

		len = pr_copy_user_stack_to(u->usp, buf->stack, ustack_bytes, top ? *top : 0);
	}
	len = pr_clamp_copy(len);
	u->len = len;
	u->npython = 0;
	u->python_flags = 0;
	if (python && (id >> 32)) {
		struct pr_py_walk *w = pr_py_walk_current(id >> 32, (__u32)id);
		__u32 n = w ? w->n : 0;

		if (n > PR_PY_MAX_FRAMES)
			n = PR_PY_MAX_FRAMES;
		if (w) {
			u->python_flags = w->flags;
			urgent = w->urgent;
		}
		if (n && !bpf_probe_read_kernel(buf->stack + len, n * sizeof(struct pr_py_frame),
						w->frames))
			u->npython = n;
	}
	size = sizeof(buf->p) + sizeof(buf->u) + len + u->npython * sizeof(struct pr_py_frame);
	buf->p.hdr.size = size;
	if (size > sizeof(*buf)) {
		count_failed(cnt);
		return;
	}
	if (bpf_ringbuf_output(&pr_probe_rb, buf, size,
			       urgent ? BPF_RB_FORCE_WAKEUP : pr_wakeup_flags(&pr_probe_rb)))
		count_dropped(cnt);
}

/* The plain record, with room for strings only when the probe asks for
 * them. Two paths, so the verifier sees strings read only into a record
 * with room for them. */
static __always_inline void send_plain(struct pt_regs *ctx, int kind,
				       const struct pr_probe_config *c, __u64 cookie, __u64 id,
				       __u64 dur)
{
	struct pr_src_counts *cnt = count_produced(PR_SRC_PROBE);
	struct pr_probe *e;

	if (kind != HIT_RETURN && c->str_arg[0]) {
		e = bpf_ringbuf_reserve(&pr_probe_rb, sizeof(*e), 0);
		if (!e) {
			count_dropped(cnt);
			return;
		}
		init_record(e, cookie, id, sizeof(*e));
		fill(e, ctx, kind, c, dur, true);
	} else {
		e = bpf_ringbuf_reserve(&pr_probe_rb, PROBE_HEAD, 0);
		if (!e) {
			count_dropped(cnt);
			return;
		}
		init_record(e, cookie, id, PROBE_HEAD);
		fill(e, ctx, kind, c, dur, false);
	}
	bpf_ringbuf_submit(e, pr_wakeup_flags(&pr_probe_rb));
}

/* Every hit but a return probe's entry stamp: filtered, sampled, then
 * counted or sent. */
static __always_inline int hit(struct pt_regs *ctx, __u64 cookie, __u64 id, int kind, __u64 dur,
			       bool kernel)
{
	__u32 idx = cookie & PR_PROBE_COOKIE_INDEX;
	struct pr_probe_config *c = bpf_map_lookup_elem(&pr_probe_config, &idx);
	__u64 *n;

	if (!c)
		return 0;
	if (c->pid && c->pid != id >> 32)
		return 0;
	if (c->sample > 1) {
		n = bpf_map_lookup_elem(&pr_probe_hits, &idx);
		if (n && __sync_fetch_and_add(n, 1) % c->sample) {
			count_skipped(PR_SRC_PROBE);
			return 0;
		}
	}
	if (c->flags & PR_PROBE_CFG_COUNT)
		count_hit(ctx, c, cookie, id >> 32, kernel);
	else if (c->flags & PR_PROBE_CFG_STACK)
		send_stacked(ctx, kind, c, cookie, id, dur, kernel);
	else
		send_plain(ctx, kind, c, cookie, id, dur);
	return 0;
}

static __always_inline int enter(struct pt_regs *ctx, bool kernel)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), id = bpf_get_current_pid_tgid(), now;
	struct entry_key k;

	if (!pr_in_target(id >> 32))
		return 0;
	if (cookie & PR_PROBE_COOKIE_STAMP) {
		k.tid = (__u32)id;
		k.probe = cookie & PR_PROBE_COOKIE_INDEX;
		now = bpf_ktime_get_ns();
		bpf_map_update_elem(&pr_probe_entry, &k, &now, BPF_ANY);
		return 0;
	}
	return hit(ctx, cookie, id, HIT_ENTRY, 0, kernel);
}

static __always_inline int leave(struct pt_regs *ctx, bool kernel)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), id = bpf_get_current_pid_tgid(), *t, dur = 0;
	struct entry_key k = { .tid = (__u32)id, .probe = cookie & PR_PROBE_COOKIE_INDEX };

	if (!pr_in_target(id >> 32))
		return 0;
	/* the stamp goes whether or not this return is sent */
	t = bpf_map_lookup_elem(&pr_probe_entry, &k);
	if (t) {
		dur = bpf_ktime_get_ns() - *t;
		dur = dur ?: 1;
		bpf_map_delete_elem(&pr_probe_entry, &k);
	}
	return hit(ctx, cookie, id, HIT_RETURN, dur, kernel);
}

/* The same two bodies on user functions (uprobes) and kernel functions
 * (kprobes): the registers are the function's either way. */
SEC("uprobe")
int pr_probe_enter(struct pt_regs *ctx)
{
	return enter(ctx, false);
}

SEC("uretprobe")
int pr_probe_return(struct pt_regs *ctx)
{
	return leave(ctx, false);
}

SEC("kprobe")
int pr_probe_kenter(struct pt_regs *ctx)
{
	return enter(ctx, true);
}

SEC("kretprobe")
int pr_probe_kreturn(struct pt_regs *ctx)
{
	return leave(ctx, true);
}

/* t: probes: each probe's layout, by probe index */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PR_PROBE_MAX);
	__type(key, __u32);
	__type(value, struct pr_tp_config);
} pr_tp_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pr_tracepoint);
} pr_tp_tmp SEC(".maps");

static __always_inline void tp_string(void *ctx, struct pr_tracepoint *e, __u32 i, __u8 kind,
				      __u16 off)
{
	const void *p = NULL;
	__u32 loc = 0;
	long n = 0;

	if (kind == PR_TP_STR_USER || kind == PR_TP_STR_KERNEL) {
		bpf_probe_read_kernel(&p, sizeof(p), ctx + (off & (PR_TP_RAW - 8)));
		if (kind == PR_TP_STR_USER)
			n = bpf_probe_read_user_str(e->str[i & 1], PR_TP_STR, p);
		else
			n = bpf_probe_read_kernel_str(e->str[i & 1], PR_TP_STR, p);
	} else if (kind == PR_TP_STR_DATALOC) {
		bpf_probe_read_kernel(&loc, sizeof(loc), ctx + (off & (PR_TP_RAW - 4)));
		n = bpf_probe_read_kernel_str(e->str[i & 1], PR_TP_STR, ctx + (loc & 0xffff));
	}
	e->str_len[i & 1] = n > 0 ? n : 0;
}

/* usdt: one program for every USDT probe; libbpf's usdt.bpf.h decodes
 * the arguments from the note's specs (registers, stack, constants) */
SEC("usdt")
int pr_probe_usdt(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!pr_in_target(id >> 32))
		return 0;
	return hit(ctx, bpf_usdt_cookie(ctx), id, HIT_USDT, 0, false);
}

/* One program for every t: probe; its layout comes from pr_tp_config */
SEC("tracepoint")
int pr_probe_tp(void *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), id = bpf_get_current_pid_tgid();
	__u32 idx = cookie & PR_PROBE_COOKIE_INDEX, zero = 0, size;
	struct pr_tp_config *c;
	struct pr_src_counts *cnt;
	struct pr_tracepoint *e;

	if (!pr_in_target(id >> 32))
		return 0;
	c = bpf_map_lookup_elem(&pr_tp_config, &idx);
	e = bpf_map_lookup_elem(&pr_tp_tmp, &zero);
	cnt = count_produced(PR_SRC_TRACEPOINT);
	if (!c || !e) {
		count_failed(cnt);
		return 0;
	}
	e->hdr.type = PR_REC_TRACEPOINT;
	e->hdr.size = sizeof(*e);
	e->hdr.time = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->cpu = bpf_get_smp_processor_id();
	e->probe = idx;
	e->cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	size = c->size;
	if (size > PR_TP_RAW)
		size = PR_TP_RAW;
	e->len = size;
	bpf_probe_read_kernel(e->raw, size, ctx);
	tp_string(ctx, e, 0, c->kind[0], c->off[0]);
	tp_string(ctx, e, 1, c->kind[1], c->off[1]);
	if (bpf_ringbuf_output(&pr_probe_rb, e, sizeof(*e), pr_wakeup_flags(&pr_probe_rb)))
		count_dropped(cnt);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
