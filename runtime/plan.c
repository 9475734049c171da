// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Hook kinds are a table of descriptors: a new hook is one entry plus its
 * BPF program. Objects go through open -> configure -> load -> attach,
 * never open_and_load, so rodata and map sizes are set before the kernel
 * sees anything, and programs no hook asked for are not loaded at all
 * (autoload off). The state enum rejects calls out of order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lifecycle.skel.h"
#include "log.h"
#include "plan.h"
#include "sample.skel.h"
#include "sampler.h"

enum plan_state { PLAN_NEW, PLAN_LOADED, PLAN_DETACHED };

struct pr_plan {
	enum plan_state state;
	struct pr_lifecycle_bpf *life;
	struct pr_sample_bpf *smp;
	struct pr_sampler *sampler;
};

static const struct hook_desc {
	uint32_t hook;
	const char *lua_name;
	const char *prog;
	const char *kind;
} hook_table[] = {
	{ .hook = PR_HOOK_EXEC,
	  .lua_name = "on_exec",
	  .prog = "pr_exec",
	  .kind = "tp_btf/sched_process_exec" },
	{ .hook = PR_HOOK_EXIT,
	  .lua_name = "on_exit",
	  .prog = "pr_exit",
	  .kind = "tp_btf/sched_process_exit" },
	{ .hook = PR_HOOK_FORK,
	  .lua_name = "on_fork",
	  .prog = "pr_fork",
	  .kind = "tp_btf/sched_process_fork" },
	{ .hook = PR_HOOK_SAMPLE,
	  .lua_name = "on_sample",
	  .prog = "pr_sample",
	  .kind = "perf_event" },
	/* proc() keeps its cache current from exec and exit events */
	{ .hook = PR_HOOK_PROC, .lua_name = "proc()", .prog = "pr_exec/pr_exit", .kind = "tp_btf" },
};

static const struct hook_desc *desc_of(uint32_t hook)
{
	size_t i;

	for (i = 0; i < sizeof(hook_table) / sizeof(hook_table[0]); i++)
		if (hook_table[i].hook == hook)
			return &hook_table[i];
	return NULL;
}

int pr_plan_new(struct pr_plan **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static const char *hint_for(int err)
{
	switch (-err) {
	case EPERM:
	case EACCES:
		return "run as root or grant CAP_BPF+CAP_PERFMON";
	case ENOENT:
	case ESRCH:
		return "the kernel needs BTF (CONFIG_DEBUG_INFO_BTF=y) and this program type";
	case E2BIG:
	case ENOMEM:
		return "lower the ring buffer size or free memory";
	default:
		return "run with -v to see libbpf's log";
	}
}

static void report(uint32_t hook, const char *step, int err)
{
	const struct hook_desc *d = desc_of(hook);

	pr_err("hook %s needs program '%s' (%s): %s failed: %s; %s", d->lua_name, d->prog, d->kind,
	       step, strerror(-err), hint_for(err));
}

/* Ring buffer sizes must be a power-of-two number of pages. */
static uint32_t ring_size(uint32_t want)
{
	uint32_t page = sysconf(_SC_PAGESIZE), sz = page;

	while (sz < want && sz < (1u << 30))
		sz <<= 1;
	return sz;
}

static struct bpf_object_open_opts open_opts(const struct pr_plan_cfg *cfg)
{
	return (struct bpf_object_open_opts){
		.sz = sizeof(struct bpf_object_open_opts),
		.btf_custom_path = cfg->btf_path,
	};
}

/* The first program that should have loaded and did not. */
static uint32_t failed_hook(struct bpf_object *obj, uint32_t wanted)
{
	struct bpf_program *prog;
	size_t i;

	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog) || bpf_program__fd(prog) >= 0)
			continue;
		for (i = 0; i < sizeof(hook_table) / sizeof(hook_table[0]); i++)
			if (!strcmp(hook_table[i].prog, bpf_program__name(prog)) &&
			    (wanted & hook_table[i].hook))
				return hook_table[i].hook;
	}
	return wanted & -wanted; /* not found: blame the first program asked for */
}

static int attach_one(struct bpf_program *prog, struct bpf_link **link, uint32_t hook)
{
	*link = bpf_program__attach(prog);
	if (*link)
		return 0;
	report(hook, "attach", -errno);
	return -errno ?: -EINVAL;
}

/* Lifecycle programs a hook set needs: proc() tracking needs exec and exit. */
static uint32_t lifecycle_wants(uint32_t hooks)
{
	uint32_t w = hooks & (PR_HOOK_EXEC | PR_HOOK_EXIT | PR_HOOK_FORK);

	if (hooks & PR_HOOK_PROC)
		w |= PR_HOOK_EXEC | PR_HOOK_EXIT;
	return w;
}

/* The hook to name when a lifecycle program fails: the user's own hook
 * if it asked for that program, else proc(). */
static uint32_t blame(uint32_t hooks, uint32_t prog_hook)
{
	return (hooks & prog_hook) ? prog_hook : PR_HOOK_PROC;
}

static int load_lifecycle(struct pr_plan *p, const struct pr_plan_cfg *cfg)
{
	static const uint32_t order[] = { PR_HOOK_EXEC, PR_HOOK_EXIT, PR_HOOK_FORK };
	uint32_t want = lifecycle_wants(cfg->hooks);
	struct bpf_object_open_opts oo = open_opts(cfg);
	struct bpf_program *progs[3];
	struct bpf_link **links[3];
	int err = 0;
	size_t i;

	p->life = pr_lifecycle_bpf__open_opts(&oo);
	if (!p->life) {
		err = -errno;
		report(blame(cfg->hooks, want & PR_HOOK_EXEC ? PR_HOOK_EXEC : want), "open", err);
		return err;
	}
	progs[0] = p->life->progs.pr_exec;
	progs[1] = p->life->progs.pr_exit;
	progs[2] = p->life->progs.pr_fork;
	links[0] = &p->life->links.pr_exec;
	links[1] = &p->life->links.pr_exit;
	links[2] = &p->life->links.pr_fork;
	for (i = 0; i < 3; i++)
		bpf_program__set_autoload(progs[i], want & order[i]);
	bpf_map__set_max_entries(p->life->maps.pr_life_rb, ring_size(cfg->life_buffer));
	err = pr_lifecycle_bpf__load(p->life);
	if (err) {
		report(blame(cfg->hooks, failed_hook(p->life->obj, want)), "load", err);
		return err;
	}
	for (i = 0; i < 3 && !err; i++)
		if (want & order[i])
			err = attach_one(progs[i], links[i], blame(cfg->hooks, order[i]));
	return err;
}

static int load_sampler(struct pr_plan *p, const struct pr_plan_cfg *cfg)
{
	struct bpf_object_open_opts oo = open_opts(cfg);
	int err, cpu = -1;

	p->smp = pr_sample_bpf__open_opts(&oo);
	if (!p->smp) {
		err = -errno;
		report(PR_HOOK_SAMPLE, "open", err);
		return err;
	}
	p->smp->rodata->filter_tgid = cfg->pid;
	p->smp->rodata->want_user = cfg->user;
	p->smp->rodata->want_kernel = cfg->kernel;
	p->smp->rodata->want_idle = cfg->idle;
	p->smp->rodata->ustack_bytes = cfg->unwind == PR_UNWIND_FP ? 0 : cfg->stack_bytes;
	/* a quarter of the ring: room to spare before the reader must run */
	p->smp->rodata->wakeup_bytes = ring_size(cfg->sample_buffer) / 4;
	bpf_map__set_max_entries(p->smp->maps.pr_sample_rb, ring_size(cfg->sample_buffer));
	err = pr_sample_bpf__load(p->smp);
	if (err) {
		report(PR_HOOK_SAMPLE, "load", err);
		return err;
	}
	err = pr_sampler_new(p->smp->progs.pr_sample, cfg->hz, &p->sampler, &cpu);
	if (err == -EINVAL)
		pr_err("hook on_sample: perf_event_open(cpu-clock, %u Hz) on cpu %d failed: %s; "
		       "the frequency may exceed kernel.perf_event_max_sample_rate",
		       cfg->hz, cpu, strerror(-err));
	else if (err)
		report(PR_HOOK_SAMPLE, "perf_event_open/attach", err);
	return err;
}

int pr_plan_load(struct pr_plan *p, const struct pr_plan_cfg *cfg)
{
	int err = 0;

	if (p->state != PLAN_NEW)
		return -EALREADY;
	if (lifecycle_wants(cfg->hooks))
		err = load_lifecycle(p, cfg);
	if (!err && (cfg->hooks & PR_HOOK_SAMPLE) && cfg->before_samplers)
		err = cfg->before_samplers(cfg->ctx);
	if (!err && (cfg->hooks & PR_HOOK_SAMPLE))
		err = load_sampler(p, cfg);
	p->state = PLAN_LOADED;
	if (err)
		pr_plan_detach(p);
	return err;
}

int pr_plan_life_ring(const struct pr_plan *p)
{
	return p->life ? bpf_map__fd(p->life->maps.pr_life_rb) : -1;
}

int pr_plan_sample_ring(const struct pr_plan *p)
{
	return p->smp ? bpf_map__fd(p->smp->maps.pr_sample_rb) : -1;
}

void pr_plan_detach(struct pr_plan *p)
{
	if (p->state != PLAN_LOADED)
		return;
	pr_sampler_free(p->sampler);
	p->sampler = NULL;
	if (p->life) {
		bpf_link__destroy(p->life->links.pr_exec);
		bpf_link__destroy(p->life->links.pr_exit);
		bpf_link__destroy(p->life->links.pr_fork);
		p->life->links.pr_exec = NULL;
		p->life->links.pr_exit = NULL;
		p->life->links.pr_fork = NULL;
	}
	p->state = PLAN_DETACHED;
}

static int add_counts(struct bpf_map *map, uint64_t *produced, uint64_t *dropped)
{
	int ncpu = libbpf_num_possible_cpus(), i, err = 0;
	struct pr_src_counts *v;
	__u32 src;

	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (src = 0; src < PR_SRC_MAX && !err; src++) {
		err = bpf_map__lookup_elem(map, &src, sizeof(src), v, ncpu * sizeof(*v), 0);
		for (i = 0; !err && i < ncpu; i++) {
			produced[src] += v[i].produced;
			dropped[src] += v[i].dropped;
		}
	}
	free(v);
	return err;
}

int pr_plan_counts(const struct pr_plan *p, uint64_t *produced, uint64_t *dropped)
{
	int err = 0;

	if (p->life)
		err = add_counts(p->life->maps.pr_counts, produced, dropped);
	if (!err && p->smp)
		err = add_counts(p->smp->maps.pr_counts, produced, dropped);
	return err;
}

void pr_plan_free(struct pr_plan *p)
{
	if (!p)
		return;
	pr_plan_detach(p);
	pr_lifecycle_bpf__destroy(p->life);
	pr_sample_bpf__destroy(p->smp);
	free(p);
}
