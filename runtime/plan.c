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
	bool track_live; /* the lifecycle programs keep pr_live */
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
	/* proc() keeps its cache current from exec and exit events, and the
	 * live table complete with every new process */
	{ .hook = PR_HOOK_PROC, .lua_name = "proc()", .prog = "pr_exec/pr_exit", .kind = "tp_btf" },
	{ .hook = PR_HOOK_PROC,
	  .lua_name = "proc()",
	  .prog = "pr_live_fork",
	  .kind = "tp_btf/sched_process_fork" },
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

static void report_desc(const struct hook_desc *d, const char *step, int err)
{
	pr_err("hook %s needs program '%s' (%s): %s failed: %s; %s", d->lua_name, d->prog, d->kind,
	       step, strerror(-err), hint_for(err));
}

static void report(uint32_t hook, const char *step, int err)
{
	report_desc(desc_of(hook), step, err);
}

/* The descriptor that names program prog for hook: the one with that
 * program when there is one, else the hook's first. */
static const struct hook_desc *desc_for(uint32_t hook, const char *prog)
{
	size_t i;

	for (i = 0; i < sizeof(hook_table) / sizeof(hook_table[0]); i++)
		if (hook_table[i].hook == hook && !strcmp(hook_table[i].prog, prog))
			return &hook_table[i];
	return desc_of(hook);
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

static int attach_one(struct bpf_program *prog, struct bpf_link **link, const struct hook_desc *d)
{
	*link = bpf_program__attach(prog);
	if (*link)
		return 0;
	report_desc(d, "attach", -errno);
	return -errno ?: -EINVAL;
}

/* The lifecycle programs in attach order. pr_exit goes first: it deletes
 * from the live table, so no process the others write there can exit
 * unseen. pr_live_fork serves proc() when on_fork did not load pr_fork,
 * which writes new processes into the table too. */
enum life_prog { LIFE_EXIT, LIFE_FORK, LIFE_LIVE_FORK, LIFE_EXEC, LIFE_N };

static const uint32_t life_hook[LIFE_N] = {
	[LIFE_EXIT] = PR_HOOK_EXIT,
	[LIFE_FORK] = PR_HOOK_FORK,
	[LIFE_LIVE_FORK] = PR_HOOK_PROC,
	[LIFE_EXEC] = PR_HOOK_EXEC,
};

/* Lifecycle programs (bits of enum life_prog) a hook set needs: proc()
 * needs exec and exit events and every new process in the live table. */
static uint32_t lifecycle_wants(uint32_t hooks)
{
	bool proc = hooks & PR_HOOK_PROC;
	uint32_t w = 0;

	if (proc || (hooks & PR_HOOK_EXIT))
		w |= 1u << LIFE_EXIT;
	if (hooks & PR_HOOK_FORK)
		w |= 1u << LIFE_FORK;
	else if (proc)
		w |= 1u << LIFE_LIVE_FORK;
	if (proc || (hooks & PR_HOOK_EXEC))
		w |= 1u << LIFE_EXEC;
	return w;
}

static void life_progs(struct pr_lifecycle_bpf *s, struct bpf_program **progs,
		       struct bpf_link ***links)
{
	progs[LIFE_EXIT] = s->progs.pr_exit;
	progs[LIFE_FORK] = s->progs.pr_fork;
	progs[LIFE_LIVE_FORK] = s->progs.pr_live_fork;
	progs[LIFE_EXEC] = s->progs.pr_exec;
	links[LIFE_EXIT] = &s->links.pr_exit;
	links[LIFE_FORK] = &s->links.pr_fork;
	links[LIFE_LIVE_FORK] = &s->links.pr_live_fork;
	links[LIFE_EXEC] = &s->links.pr_exec;
}

/* What to name when lifecycle program i fails: the user's own hook if it
 * asked for that program, else proc(). */
static const struct hook_desc *blame(uint32_t hooks, enum life_prog i, struct bpf_program *prog)
{
	uint32_t hook = (hooks & life_hook[i]) ? life_hook[i] : PR_HOOK_PROC;

	return desc_for(hook, bpf_program__name(prog));
}

/* The first wanted program that did not load (the first wanted one when
 * none can be told apart). */
static enum life_prog failed_life(struct bpf_program **progs, uint32_t want)
{
	int i, first = -1;

	for (i = 0; i < LIFE_N; i++) {
		if (!(want & (1u << i)))
			continue;
		if (first < 0)
			first = i;
		if (bpf_program__fd(progs[i]) < 0)
			return i;
	}
	return first;
}

/* Keys are pids: a table of pid_max entries is never full. pid_max is
 * often 4 Mi, whose bucket array would cost more than most hosts'
 * processes; past PR_LIVE_MAX entries a full table is counted instead
 * (live_lost), and proc() falls back to start ticks. */
#define PR_LIVE_MAX 65536

static uint32_t live_entries(void)
{
	unsigned long n = 0;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");

	if (f) {
		if (fscanf(f, "%lu", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n && n < PR_LIVE_MAX ? n : PR_LIVE_MAX;
}

static int load_lifecycle(struct pr_plan *p, const struct pr_plan_cfg *cfg)
{
	uint32_t want = lifecycle_wants(cfg->hooks);
	struct bpf_object_open_opts oo = open_opts(cfg);
	struct bpf_program *progs[LIFE_N];
	struct bpf_link **links[LIFE_N];
	uint32_t life_hooks =
		cfg->hooks & (PR_HOOK_EXEC | PR_HOOK_EXIT | PR_HOOK_FORK | PR_HOOK_PROC);
	int err = 0, i;

	p->life = pr_lifecycle_bpf__open_opts(&oo);
	if (!p->life) {
		err = -errno;
		report(life_hooks & -life_hooks, "open", err); /* on_exec first */
		return err;
	}
	life_progs(p->life, progs, links);
	for (i = 0; i < LIFE_N; i++)
		bpf_program__set_autoload(progs[i], want & (1u << i));
	p->track_live = cfg->hooks & PR_HOOK_PROC;
	p->life->rodata->track_live = p->track_live;
	bpf_map__set_max_entries(p->life->maps.pr_live, p->track_live ? live_entries() : 1);
	bpf_map__set_max_entries(p->life->maps.pr_life_rb, ring_size(cfg->life_buffer));
	err = pr_lifecycle_bpf__load(p->life);
	if (err) {
		i = failed_life(progs, want);
		report_desc(blame(cfg->hooks, i, progs[i]), "load", err);
		return err;
	}
	for (i = 0; i < LIFE_N && !err; i++)
		if (want & (1u << i))
			err = attach_one(progs[i], links[i], blame(cfg->hooks, i, progs[i]));
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

static uint64_t live_lost(const struct pr_plan *p)
{
	return p->life && p->life->bss ? *(volatile __u64 *)&p->life->bss->live_lost : 0;
}

int pr_plan_live_start(const struct pr_plan *p, uint32_t pid, uint64_t *start_ns)
{
	__u64 v;
	int err;

	if (!p->life || !p->track_live || p->state == PLAN_NEW)
		return -EOPNOTSUPP;
	err = bpf_map__lookup_elem(p->life->maps.pr_live, &pid, sizeof(pid), &v, sizeof(v), 0);
	if (err == -ENOENT)
		return live_lost(p) ? -EAGAIN : -ENOENT;
	if (err)
		return err;
	/* detached, exits are no longer seen: an entry may be a dead process */
	if (p->state == PLAN_DETACHED)
		return -EAGAIN;
	*start_ns = v;
	return 0;
}

uint64_t pr_plan_live_lost(const struct pr_plan *p)
{
	return live_lost(p);
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
		bpf_link__destroy(p->life->links.pr_live_fork);
		p->life->links.pr_exec = NULL;
		p->life->links.pr_exit = NULL;
		p->life->links.pr_fork = NULL;
		p->life->links.pr_live_fork = NULL;
	}
	p->state = PLAN_DETACHED;
}

static int add_counts(struct bpf_map *map, struct pr_src_counts *out)
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
			out[src].produced += v[i].produced;
			out[src].dropped += v[i].dropped;
			out[src].skipped += v[i].skipped;
			out[src].failed += v[i].failed;
		}
	}
	free(v);
	return err;
}

int pr_plan_counts(const struct pr_plan *p, struct pr_src_counts *out)
{
	int err = 0;

	if (p->life)
		err = add_counts(p->life->maps.pr_counts, out);
	if (!err && p->smp)
		err = add_counts(p->smp->maps.pr_counts, out);
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
