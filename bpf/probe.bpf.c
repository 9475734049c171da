// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Probes on user and kernel functions: one entry program and one return
 * program of each kind serve every probe() of a script. What a probe is lives in its attach
 * cookie (enum in events.h): the probe's index, so nothing is compiled
 * or specialised per probe at run time.
 *
 * u:/k: the entry program sends the first six arguments. ur:/kr: the entry
 * program is attached too, with the STAMP bit: it only notes the time in
 * pr_probe_entry, keyed by thread and probe; the return program sends the
 * return value and the time since then.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "common.bpf.h"
#include <bpf/usdt.bpf.h>

/* libbpf 1.1's bpf_tracing.h stops at the fifth argument */
#ifdef PT_REGS_PARM6
#define PARM6(x) PT_REGS_PARM6(x)
#else
#define PARM6(x) ((x)->r9) /* x86-64 SysV: rdi rsi rdx rcx r8 r9 */
#endif

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

/* u:/usdt: probes' string arguments, by probe index */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pr_probe_strings);
} pr_probe_strings SEC(".maps");

#define PROBE_HEAD __builtin_offsetof(struct pr_probe, str)

/* A record with room for strings only when the probe asks for them. */
static __always_inline struct pr_probe *reserve_for(__u64 cookie, __u64 id, bool strings)
{
	struct pr_src_counts *c = count_produced(PR_SRC_PROBE);
	struct pr_probe *e = strings ? bpf_ringbuf_reserve(&pr_probe_rb, sizeof(*e), 0) :
				       bpf_ringbuf_reserve(&pr_probe_rb, PROBE_HEAD, 0);

	if (!e) {
		count_dropped(c);
		return NULL;
	}
	e->hdr.type = PR_REC_PROBE;
	e->hdr.size = strings ? sizeof(*e) : PROBE_HEAD;
	e->hdr.time = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->cpu = bpf_get_smp_processor_id();
	e->probe = cookie & PR_PROBE_COOKIE_INDEX;
	e->cgroup = bpf_get_current_cgroup_id();
	e->flags = 0;
	e->pad = 0;
	e->retval = 0;
	e->duration = 0;
	e->str_len[0] = e->str_len[1] = 0;
	e->str_arg[0] = e->str_arg[1] = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

static __always_inline struct pr_probe *reserve(__u64 cookie, __u64 id)
{
	return reserve_for(cookie, id, false);
}

/* The probe's string arguments, read from user memory now. */
static __always_inline void read_strings(struct pr_probe *e, struct pr_probe_strings *s)
{
	__u32 i, k;
	long n;

	for (i = 0; i < PR_PROBE_NSTR; i++) {
		k = s->arg[i] - 1;
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

static __always_inline void fill_args(struct pr_probe *e, struct pt_regs *ctx, bool usdt)
{
	if (usdt)
		usdt_args(e, ctx);
	else
		regs_args(e, ctx);
}

/* An entry's record: its arguments (registers, or decoded from the USDT
 * note), and the ones its probe wants as strings. Two paths, so the
 * verifier sees strings read only into a record with room for them. */
static __always_inline int send_args(struct pt_regs *ctx, __u64 cookie, __u64 id, bool usdt)
{
	__u32 idx = cookie & PR_PROBE_COOKIE_INDEX;
	struct pr_probe_strings *strs = bpf_map_lookup_elem(&pr_probe_strings, &idx);
	struct pr_probe *e;

	if (strs && strs->arg[0]) {
		e = reserve_for(cookie, id, true);
		if (!e)
			return 0;
		fill_args(e, ctx, usdt);
		read_strings(e, strs);
	} else {
		e = reserve_for(cookie, id, false);
		if (!e)
			return 0;
		fill_args(e, ctx, usdt);
	}
	bpf_ringbuf_submit(e, pr_wakeup_flags(&pr_probe_rb));
	return 0;
}

static __always_inline int enter(struct pt_regs *ctx)
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
	return send_args(ctx, cookie, id, false);
}

static __always_inline int leave(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), id = bpf_get_current_pid_tgid(), *t;
	struct entry_key k = { .tid = (__u32)id, .probe = cookie & PR_PROBE_COOKIE_INDEX };
	struct pr_probe *e;

	if (!pr_in_target(id >> 32))
		return 0;
	e = reserve(cookie, id);
	if (!e)
		return 0;
	__builtin_memset(e->args, 0, sizeof(e->args));
	e->retval = PT_REGS_RC(ctx);
	e->flags = PR_PROBE_RET;
	t = bpf_map_lookup_elem(&pr_probe_entry, &k);
	if (t) {
		e->duration = e->hdr.time - *t;
		e->flags |= PR_PROBE_DURATION;
		bpf_map_delete_elem(&pr_probe_entry, &k);
	}
	bpf_ringbuf_submit(e, pr_wakeup_flags(&pr_probe_rb));
	return 0;
}

/* The same two bodies on user functions (uprobes) and kernel functions
 * (kprobes): the registers are the function's either way. */
SEC("uprobe")
int pr_probe_enter(struct pt_regs *ctx)
{
	return enter(ctx);
}

SEC("uretprobe")
int pr_probe_return(struct pt_regs *ctx)
{
	return leave(ctx);
}

SEC("kprobe")
int pr_probe_kenter(struct pt_regs *ctx)
{
	return enter(ctx);
}

SEC("kretprobe")
int pr_probe_kreturn(struct pt_regs *ctx)
{
	return leave(ctx);
}

/* t: probes: each probe's layout, by probe index */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
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
	return send_args(ctx, bpf_usdt_cookie(ctx), id, true);
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
