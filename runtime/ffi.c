// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The C side of every function Lua calls through the FFI (declared in
 * ffi.h). Each one is a thin checked wrapper over a module; errors come
 * back as -errno plus, where the user caused them, a static message.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bpfsym.h"
#include "buildid.h"
#include "elfsym.h"
#include "export.h"
#include "ffi.h"
#include "opts.h"
#include "probes.h"
#include "loop.h"
#include "perfmap.h"
#include "plan.h"
#include "proc.h"
#include "providers.h"
#include "rt.h"
#include "script.h"
#include "stacks.h"
#include "stats.h"
#include "target.h"

int pr_ffi_abi_version(void)
{
	return PR_ABI_VERSION;
}

int pr_ffi_provider(uint32_t i, struct pr_provider_info *out)
{
	if (i >= PR_SRC_MAX)
		return -ENOENT;
	*out = (struct pr_provider_info){
		.name = pr_providers[i].name,
		.hook = pr_providers[i].hook,
		.bit = PR_HOOK_BIT(i),
		.view = pr_providers[i].view,
	};
	return 0;
}

#define TYPE(t)                                      \
	{                                            \
		.name = #t, .size = sizeof(struct t) \
	}
static const struct {
	const char *name;
	size_t size;
} types[] = {
	TYPE(pr_hdr),  TYPE(pr_sample_raw), TYPE(pr_sample),	  TYPE(pr_exec),
	TYPE(pr_exit), TYPE(pr_frame),	    TYPE(pr_stats),
	TYPE(pr_fork), TYPE(pr_proc_info),  TYPE(pr_sample_opts), TYPE(pr_src_counts),
	TYPE(pr_provider_info), TYPE(pr_offcpu), TYPE(pr_offcpu_opts), TYPE(pr_probe), TYPE(pr_probe_opts), TYPE(pr_probe_count), TYPE(pr_tracepoint), TYPE(pr_tp_field),
	TYPE(pr_export_opts), TYPE(pr_export_stats),
};
#undef TYPE

#define FIELD(t, f)                                                   \
	{                                                             \
		.type = #t, .field = #f, .off = offsetof(struct t, f) \
	}
static const struct {
	const char *type, *field;
	size_t off;
} fields[] = {
	FIELD(pr_hdr, type),
	FIELD(pr_hdr, size),
	FIELD(pr_hdr, time),
	FIELD(pr_sample, pid),
	FIELD(pr_sample, tid),
	FIELD(pr_sample, cpu),
	FIELD(pr_sample, stack),
	FIELD(pr_sample, cgroup),
	FIELD(pr_sample, comm),
	FIELD(pr_sample, count),
	FIELD(pr_exec, pid),
	FIELD(pr_exec, ppid),
	FIELD(pr_exec, uid),
	FIELD(pr_exec, old_pid),
	FIELD(pr_exec, cgroup),
	FIELD(pr_exec, start),
	FIELD(pr_exec, comm),
	FIELD(pr_exec, filename),
	FIELD(pr_exit, pid),
	FIELD(pr_exit, ppid),
	FIELD(pr_exit, tid),
	FIELD(pr_exit, exit_code),
	FIELD(pr_exit, signal),
	FIELD(pr_exit, core),
	FIELD(pr_exit, cgroup),
	FIELD(pr_exit, start),
	FIELD(pr_exit, duration),
	FIELD(pr_exit, comm),
	FIELD(pr_sample_raw, addrs),
	FIELD(pr_frame, name),
	FIELD(pr_frame, module),
	FIELD(pr_frame, kernel),
	FIELD(pr_frame, line),
	FIELD(pr_frame, file),
	FIELD(pr_frame, kind),
	FIELD(pr_frame, inlined),
	FIELD(pr_stats, delivered),
	FIELD(pr_stats, binaries),
	FIELD(pr_exec, start_boottime),
	FIELD(pr_exec, args),
	FIELD(pr_exec, args_len),
	FIELD(pr_exit, start_boottime),
	FIELD(pr_fork, pid),
	FIELD(pr_fork, ppid),
	FIELD(pr_fork, comm),
	FIELD(pr_proc_info, gen),
	FIELD(pr_proc_info, comm),
	FIELD(pr_stats, proc_seeded),
	FIELD(pr_stats, proc_untracked),
	FIELD(pr_stats, offcpu_flushes),
	FIELD(pr_stats, kunwind_walks),
	FIELD(pr_stats, kunwind_wakes),
	FIELD(pr_stats, sample_spilled),
	FIELD(pr_stats, kunwind_fp_frames),
	FIELD(pr_stats, dwarf_cache_hits),
	FIELD(pr_stats, dwarf_cache_builds),
	FIELD(pr_stats, dwarf_cache_refused),
	FIELD(pr_stats, dwarf_cache_rebuilds),
	FIELD(pr_stats, dwarf_cache_pruned),
	FIELD(pr_stats, kunwind_borrowed),
	FIELD(pr_stats, python_processes),
	FIELD(pr_stats, python_bytes),
	FIELD(pr_stats, kunwind_mismatched),
	FIELD(pr_stats, agg_stack_misses),
	FIELD(pr_stats, agg_stacks_unsent),
	FIELD(pr_stats, stack_bytes),
	FIELD(pr_sample_opts, unwind_tables),
	FIELD(pr_sample_opts, kernel_unwind),
	FIELD(pr_sample_opts, kernel_tables),
	FIELD(pr_sample_opts, aggregate),
	FIELD(pr_sample_opts, python),
	FIELD(pr_offcpu, pid),
	FIELD(pr_offcpu, start),
	FIELD(pr_offcpu, duration),
	FIELD(pr_offcpu, count),
	FIELD(pr_offcpu, stack),
	FIELD(pr_offcpu, waker_stack),
	FIELD(pr_offcpu, flags),
	FIELD(pr_offcpu, comm),
	FIELD(pr_offcpu, waker_comm),
	FIELD(pr_tracepoint, raw),
	FIELD(pr_tracepoint, str),
	FIELD(pr_tp_field, slot),
	FIELD(pr_export_opts, wait_ms),
	FIELD(pr_export_stats, dropped_rows),
	FIELD(pr_export_stats, last_error),
	FIELD(pr_probe, probe),
	FIELD(pr_probe, str_len),
	FIELD(pr_probe, str_arg),
	FIELD(pr_probe, str),
	FIELD(pr_probe, args),
	FIELD(pr_probe, retval),
	FIELD(pr_probe, comm),
	FIELD(pr_probe, stack),
	FIELD(pr_probe, match),
	FIELD(pr_probe_opts, count_only),
	FIELD(pr_probe_count, stack),
	FIELD(pr_offcpu_opts, pid),
	FIELD(pr_offcpu_opts, buffer),
};
#undef FIELD

int pr_ffi_sizeof(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(types[i].name, type))
			return types[i].size;
	return -ENOENT;
}

int pr_ffi_offsetof(const char *type, const char *field)
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(fields[i].type, type) && !strcmp(fields[i].field, field))
			return fields[i].off;
	return -ENOENT;
}

static int refuse_after_setup(const struct pr_rt *rt, const char **err)
{
	if (!rt->setup_done)
		return 0;
	*err = "configuration can only change while the script loads (at its top level)";
	return -EBUSY;
}

int pr_ffi_sample_config(struct pr_rt *rt, const struct pr_sample_opts *o, const char **err)
{
	int r = refuse_after_setup(rt, err);

	if (r)
		return r;
	if (o->hz)
		rt->cfg.hz = o->hz;
	if (o->pid)
		rt->sample_pid = o->pid;
	if (o->user >= 0)
		rt->cfg.user = o->user;
	if (o->kernel >= 0)
		rt->cfg.kernel = o->kernel;
	if (o->idle >= 0)
		rt->cfg.idle = o->idle;
	if (o->python >= 0)
		rt->cfg.python = o->python;
	if (o->buffer)
		rt->cfg.sample_buffer = o->buffer;
	if (o->unwind >= 0) {
		if (o->unwind > PR_UNWIND_DWARF) {
			*err = "unwind must be \"auto\", \"fp\" or \"dwarf\"";
			return -EINVAL;
		}
		rt->cfg.unwind = o->unwind;
	}
	if (o->stack_bytes) {
		if (o->stack_bytes < 512 || o->stack_bytes > PR_USTACK_MAX) {
			*err = "stack_bytes must be between 512 and 16384";
			return -EINVAL;
		}
		rt->cfg.stack_bytes = o->stack_bytes;
	}
	if (o->aggregate >= 0) {
		if (o->aggregate > (1 << 22)) {
			*err = "aggregate must be true, false or a count of at most 4194304";
			return -EINVAL;
		}
		rt->cfg.aggregate = o->aggregate;
	}
	if (o->kernel_unwind >= 0) {
		if (o->kernel_unwind > PR_KUNWIND_VERIFY) {
			*err = "kernel_unwind must be \"on\", \"off\", \"only\" or \"verify\"";
			return -EINVAL;
		}
		rt->cfg.kernel_unwind = o->kernel_unwind;
	}
	if (o->kernel_tables) {
		if (o->kernel_tables < 64 * 1024) {
			*err = "kernel_tables must be at least 65536 bytes";
			return -EINVAL;
		}
		rt->cfg.kernel_tables = o->kernel_tables;
	}
	if (o->unwind_tables) {
		if (o->unwind_tables < 64 * 1024) {
			*err = "unwind_tables must be at least 65536 bytes";
			return -EINVAL;
		}
		rt->cfg.unwind_tables = o->unwind_tables;
	}
	return 0;
}

int pr_ffi_offcpu_config(struct pr_rt *rt, const struct pr_offcpu_opts *o, const char **err)
{
	uint64_t min = o->min_ns != UINT64_MAX ? o->min_ns : rt->cfg.offcpu.min_ns;
	uint64_t max = o->max_ns != UINT64_MAX ? o->max_ns : rt->cfg.offcpu.max_ns;
	int r = refuse_after_setup(rt, err);

	if (r)
		return r;
	if (max && max < min) {
		*err = "offcpu: max must be 0 (no bound) or at least min";
		return -EINVAL;
	}
	rt->cfg.offcpu.min_ns = min;
	rt->cfg.offcpu.max_ns = max;
	if (o->pid)
		rt->sample_pid = o->pid;
	if (o->user >= 0)
		rt->cfg.offcpu.user = o->user;
	if (o->waker >= 0)
		rt->cfg.offcpu.waker = o->waker;
	if (o->buffer)
		rt->cfg.offcpu.buffer = o->buffer;
	return 0;
}

int pr_ffi_probe_add(struct pr_rt *rt, const char *spec, const struct pr_probe_opts *o,
		     const char **err)
{
	pid_t pid = rt->opts && rt->opts->pid ? (pid_t)rt->opts->pid : 0;
	struct pr_probe_config conf = {
		.str_arg = { o->str1, o->str2 },
		.flags = (o->stack ? PR_PROBE_CFG_STACK : 0) | (o->count_only ? PR_PROBE_CFG_COUNT : 0),
		.sample = o->sample,
		.pid = o->pid,
	};
	char path[32];
	int r = refuse_after_setup(rt, err);

	if (r)
		return r;
	if (o->str1 > 6 || o->str2 > 6 || (!o->str1 && o->str2)) {
		*err = "strings: argument numbers 1..6, at most two";
		return -EINVAL;
	}
	if (o->pid) {
		snprintf(path, sizeof(path), "/proc/%u/exe", o->pid);
		if (access(path, F_OK)) {
			snprintf(rt->errbuf, sizeof(rt->errbuf),
				 "probe '%s': pid %u: no such process", spec, o->pid);
			*err = rt->errbuf;
			return -ESRCH;
		}
	}
	if (!rt->probe_syms && pr_elfsyms_new(&rt->probe_syms))
		rt->probe_syms = NULL; /* each resolve reads its own */
	r = pr_probes_resolve(spec, pid, rt->nprobes, &conf, rt->probe_syms, &rt->cfg.probes.v,
			      &rt->cfg.probes.n, rt->errbuf, sizeof(rt->errbuf));
	if (r) {
		*err = rt->errbuf;
		return r;
	}
	return rt->nprobes++;
}

const char *pr_ffi_probe_func(struct pr_rt *rt, uint32_t probe, uint32_t match)
{
	size_t k;

	for (k = 0; k < rt->cfg.probes.n; k++) {
		const struct pr_probe_attach *a = &rt->cfg.probes.v[k];
		uint32_t c = a->cookie;

		if ((c & PR_PROBE_COOKIE_INDEX) == probe &&
		    ((c >> PR_PROBE_COOKIE_MATCH_SHIFT) & PR_PROBE_COOKIE_MATCH) == match)
			return a->func;
	}
	return NULL;
}

struct count_walk {
	struct pr_rt *rt;
	struct pr_probe_count *out;
	uint32_t max, n;
};

/* A count's stacks from the probe stack map, interned as samples' are. */
static int take_count(void *ctx, const struct pr_probe_count_key *k, uint64_t n)
{
	struct count_walk *w = ctx;
	uint64_t kf[PR_MAX_FRAMES], uf[PR_MAX_FRAMES];
	int nk = 0, nu = 0;

	if (w->n < w->max) {
		if (k->kstack >= 0)
			nk = pr_plan_kstack(w->rt->plan, PR_OBJ_PROBE, k->kstack, kf);
		if (k->ustack >= 0)
			nu = pr_plan_kstack(w->rt->plan, PR_OBJ_PROBE, k->ustack, uf);
		w->out[w->n] = (struct pr_probe_count){
			.count = n,
			.match = k->match,
			.pid = k->pid,
			.stack = (nk || nu) && w->rt->stacks ?
					 pr_stacks_intern(w->rt->stacks, k->pid, 0, kf, nk, uf, nu) :
					 0,
		};
	}
	w->n++;
	return 0;
}

int pr_ffi_probe_counts(struct pr_rt *rt, uint32_t probe, struct pr_probe_count *out,
			uint32_t max, uint64_t *lost)
{
	struct count_walk w = { .rt = rt, .out = out, .max = max };
	struct pr_plan_probe_lost l;
	int r;

	if (!rt->plan)
		return -ENOENT;
	r = pr_plan_probe_counts(rt->plan, probe, take_count, &w, &l);
	lost[0] = l.hits;
	lost[1] = l.stacks;
	return r ? r : (int)w.n;
}

int pr_ffi_tp_field(struct pr_rt *rt, uint32_t probe, uint32_t i, struct pr_tp_field *out)
{
	size_t k;

	for (k = 0; k < rt->cfg.probes.n; k++) {
		const struct pr_probe_attach *a = &rt->cfg.probes.v[k];

		if (a->fields && (a->cookie & PR_PROBE_COOKIE_INDEX) == probe) {
			if (i >= a->nfields)
				return -ENOENT;
			*out = a->fields[i];
			return 0;
		}
	}
	return -ENOENT;
}

int pr_ffi_probes_config(struct pr_rt *rt, uint32_t buffer, const char **err)
{
	int r = refuse_after_setup(rt, err);

	if (r)
		return r;
	if (buffer)
		rt->cfg.probes.buffer = buffer;
	return 0;
}

int pr_ffi_lifecycle_config(struct pr_rt *rt, uint32_t buffer, const char **err)
{
	int r = refuse_after_setup(rt, err);

	if (r)
		return r;
	if (buffer)
		rt->cfg.life_buffer = buffer;
	return 0;
}

int pr_ffi_timer_add(struct pr_rt *rt, double seconds, const char **err)
{
	int r = refuse_after_setup(rt, err);

	if (r)
		return r;
	if (!(seconds >= 0.001 && seconds <= 86400.0)) {
		*err = "interval must be between 0.001 and 86400 seconds";
		return -EINVAL;
	}
	if (rt->ntimers >= PR_LOOP_MAX_TIMERS) {
		*err = "too many every() timers (64 at most)";
		return -ENOSPC;
	}
	rt->timer_ns[rt->ntimers] = (uint64_t)(seconds * 1e9);
	return rt->ntimers++;
}

int pr_ffi_batch(struct pr_rt *rt, const uint8_t **base, uint32_t *bytes)
{
	if (!rt->loop) {
		*base = NULL;
		*bytes = 0;
		return 0;
	}
	return pr_loop_batch(rt->loop, base, bytes);
}

int pr_ffi_handed(struct pr_rt *rt, uint32_t n)
{
	if (pr_script_stop_pending())
		return 1; /* not handed: the stop comes first */
	if (rt->loop)
		pr_loop_handed(rt->loop, n);
	return 0;
}

void pr_ffi_hook_error(struct pr_rt *rt, const char *hook, const char *msg)
{
	if (rt->script)
		pr_script_hook_error(rt->script, hook, msg);
}

int pr_ffi_memory_hit(struct pr_rt *rt)
{
	return rt->script && pr_script_memory_hit(rt->script);
}

void pr_ffi_exit(struct pr_rt *rt, int code)
{
	rt->exit_requested = true;
	if (rt->loop)
		pr_loop_request_exit(rt->loop);
	rt->exit_code = code;
}

int pr_ffi_target_pid(struct pr_rt *rt)
{
	return rt->target_pid;
}

int pr_ffi_in_target(struct pr_rt *rt, uint32_t pid)
{
	struct pr_target_bpf tb;

	if (!pid)
		return 0;
	pr_target_bpf(rt->target, &tb);
	/* before the set exists (setup), the root is all there is */
	if (!tb.tgids && rt->target_pid && pid != rt->target_pid)
		return 0;
	return pr_target_has(rt->target, pid);
}

int pr_ffi_target_exit(struct pr_rt *rt, int32_t *code, int32_t *sig, int32_t *core)
{
	int st = rt->target_status;

	if (!rt->target_exited)
		return -1;
	*code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	*sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	*core = WIFSIGNALED(st) && WCOREDUMP(st);
	return 0;
}

/* The frequency in force: sample{hz=} as -F overrides it, once setup ran. */
uint32_t pr_ffi_sample_hz(struct pr_rt *rt)
{
	return rt->cfg.hz;
}

int pr_ffi_stats(struct pr_rt *rt, struct pr_stats *out)
{
	return pr_stats_build(rt, out);
}

uint64_t pr_ffi_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int pr_ffi_stack_frames(struct pr_rt *rt, uint32_t id, struct pr_frame *out, int max)
{
	return rt->stacks ? pr_stacks_frames(rt->stacks, id, out, max) : -ENOENT;
}

uint64_t pr_ffi_names_generation(struct pr_rt *rt)
{
	return rt->bins ? pr_elfsyms_generation(rt->bins) : 0;
}

int pr_ffi_ksym(struct pr_rt *rt, uint64_t addr, struct pr_frame *out)
{
	return rt->stacks ? pr_stacks_ksym(rt->stacks, addr, out) : -ENOENT;
}

int pr_ffi_usym(struct pr_rt *rt, uint32_t pid, uint64_t addr, struct pr_frame *out)
{
	return rt->stacks ? pr_stacks_usym(rt->stacks, pid, addr, out) : -ENOENT;
}

int pr_ffi_proc_config(struct pr_rt *rt, uint32_t capacity, const char **err)
{
	int r = refuse_after_setup(rt, err);

	if (r)
		return r;
	rt->proc_capacity = capacity;
	return 0;
}

int pr_ffi_stacks_config(struct pr_rt *rt, uint32_t recent, const char **err)
{
	int r = refuse_after_setup(rt, err);

	if (r)
		return r;
	rt->stacks_recent = recent;
	return 0;
}

/* A lifecycle record from the arena reaches the process cache: called by
 * the dispatcher right before the record's hook. */
int pr_ffi_proc_lookup(struct pr_rt *rt, uint32_t pid, struct pr_proc_info *out)
{
	return rt->procs ? pr_proc_lookup(rt->procs, pid, out) : -ENOENT;
}

int pr_ffi_proc_field(struct pr_rt *rt, uint32_t pid, uint64_t gen, int field, char *buf,
		      uint32_t len)
{
	return rt->procs ? pr_proc_field(rt->procs, pid, gen, field, buf, len) : -ENOENT;
}

int pr_ffi_proc_number(struct pr_rt *rt, uint32_t pid, uint64_t gen, int field, uint64_t *out)
{
	return rt->procs ? pr_proc_number(rt->procs, pid, gen, field, out) : -ENOENT;
}

int pr_ffi_proc_env(struct pr_rt *rt, uint32_t pid, uint64_t gen, const char *name, char *buf,
		    uint32_t len)
{
	return rt->procs ? pr_proc_env(rt->procs, pid, gen, name, buf, len) : -ENOENT;
}

int pr_ffi_elf_build_id(const char *path, char *hex, uint32_t len)
{
	return pr_buildid_from_path(path, hex, len);
}

int pr_ffi_export_open(struct pr_rt *rt, const struct pr_export_opts *o, const char **err)
{
	int id = pr_export_open(o, rt->errbuf, sizeof(rt->errbuf));

	if (id < 0)
		*err = rt->errbuf;
	return id;
}

int pr_ffi_export_send(int sink, const char *path, const void *body, uint64_t len,
		       uint64_t rows)
{
	return pr_export_send(sink, path, body, len, rows);
}

int pr_ffi_export_stats(int sink, struct pr_export_stats *out)
{
	return pr_export_stats(sink, out);
}

void pr_ffi_export_finish(void)
{
	pr_export_finish();
}
