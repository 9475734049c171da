// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * From hooks to BPF, driven by the provider table (providers.h): the
 * wanted providers and cache programs decide which programs load; objects
 * go through open -> configure -> load -> attach, never open_and_load, so
 * rodata and map sizes are set before the kernel sees anything, and a
 * program nobody asked for is not even loaded (autoload off). Programs
 * attach in each object's rank order. The state enum rejects calls out of
 * order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include "lifecycle.skel.h"
#include "offcpu.skel.h"
#include "probe.skel.h"
#include "aggregate.h"
#include "btfcache.h"
#include "clock.h"
#include "kunwind.h"
#include "log.h"
#include "plan.h"
#include "procfs.h"
#include "providers.h"
#include "sample.skel.h"
#include "sampler.h"
#include "thread.h"

enum plan_state { PLAN_NEW, PLAN_LOADED, PLAN_DETACHED };

/* Programs a plan may attach: every provider's and every cache program. */
#define MAX_PROGS (PR_SRC_MAX * PR_PROVIDER_PROGS + 4)

struct pr_plan {
	enum plan_state state;
	struct pr_lifecycle_bpf *life;
	struct pr_sample_bpf *smp;
	struct pr_offcpu_bpf *off;
	struct pr_probe_bpf *probe;
	struct pr_sampler *sampler;
	uint64_t last_flush; /* CLOCK_MONOTONIC ns of the last pr_plan_tick flush */
	uint64_t flushes;
	struct kstack_slot *kcache; /* kernel stacks by id: ids are never reused */
	bool (*kglue)(void *ctx, uint64_t addr);
	void *kglue_ctx;
	bool track_live; /* the lifecycle programs keep pr_live */
	/* what pr_plan_load_start was given: the loader thread reads it */
	struct pr_plan_cfg cfg;
	pthread_t loader;
	bool loading; /* the loader thread runs, or ran and is not joined */
	int prepare_err;
	/* pr_sample's followers (the in-kernel walker, the Python reader)
	 * wait for pr_plan_tick (default mode) */
	bool followers_deferred;
	char *followers_btf; /* the btf_custom_path their object opens with */
	/* the object that loaded them, kept for the maps only they use,
	 * which it created (see late_map) */
	struct pr_sample_bpf *followers;
	struct bpf_object *objs[PR_OBJ_MAX]; /* each object, once opened */
	struct bpf_link *links[MAX_PROGS];
	int nlinks;
	struct bpf_link **probe_links; /* one per probe attachment */
	uint32_t tops_seen[256]; /* pids whose stack top pr_probe_stack_top has */
	size_t nprobe_links;
};

/* One program the plan wants, and whom to name when it fails. */
struct want {
	const char *prog;
	const char *kind;
	const char *who; /* "on_exec", or "proc()" for what only a cache needs */
	uint32_t rank;
};

struct obj_desc {
	const char *name;
	/* opens the skeleton into p; NULL on failure with errno set */
	struct bpf_object *(*open)(struct pr_plan *p, const struct bpf_object_open_opts *o);
	int (*configure)(struct pr_plan *p, const struct pr_plan_cfg *cfg);
	int (*load)(struct pr_plan *p);
	/* attaches prog some other way than bpf_program__attach; NULL: that */
	int (*attach)(struct pr_plan *p, struct bpf_program *prog, const struct pr_plan_cfg *cfg,
		      const struct want *w);
	void (*destroy)(struct pr_plan *p);
	/* sends what its programs hold back to the ring; final: everything */
	void (*flush)(struct pr_plan *p, bool final);
	const char *ring;    /* the map its records arrive on */
	const char *ring2;   /* a second one they may arrive on, read after it */
	const char *kstacks; /* its kernel stack map, if its records carry ids */
	/* the ring wakes the reader only in batches: poll it on a timer */
	bool batched;
	/* cfg->before_object runs before this object loads (ksym feed) */
	bool late;
};

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

static void report(const struct want *w, const char *step, int err)
{
	pr_err("hook %s needs program '%s' (%s): %s failed: %s; %s", w->who, w->prog, w->kind, step,
	       strerror(-err), hint_for(err));
}

/* Ring buffer sizes must be a power-of-two number of pages. */
static uint32_t ring_size(uint32_t want)
{
	uint32_t page = sysconf(_SC_PAGESIZE), sz = page;

	while (sz < want && sz < (1u << 30))
		sz <<= 1;
	return sz;
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

/* ---- the objects -------------------------------------------------------- */

/* Every object carries the target filter (bpf/common.bpf.h): the same
 * rodata, and the one set the runtime made in place of its own map. */
#define SET_TARGET(skel, t)                                                     \
	({                                                                      \
		(skel)->rodata->target_tgids = (t)->tgids;                      \
		(skel)->rodata->target_children = (t)->children;                \
		(skel)->rodata->target_cgroup = (t)->cgroup;                    \
		(skel)->rodata->target_cgroup_level = (t)->cgroup_level;        \
		(t)->map_fd >= 0 ? bpf_map__reuse_fd((skel)->maps.pr_target, (t)->map_fd) \
				 : bpf_map__set_max_entries((skel)->maps.pr_target, 1); \
	})

static struct bpf_object *life_open(struct pr_plan *p, const struct bpf_object_open_opts *o)
{
	p->life = pr_lifecycle_bpf__open_opts(o);
	return p->life ? p->life->obj : NULL;
}

static int life_configure(struct pr_plan *p, const struct pr_plan_cfg *cfg)
{
	p->track_live = cfg->hooks & PR_HOOK_PROC;
	p->life->rodata->track_live = p->track_live;
	bpf_map__set_max_entries(p->life->maps.pr_live, p->track_live ? live_entries() : 1);
	bpf_map__set_max_entries(p->life->maps.pr_life_rb, ring_size(cfg->life_buffer));
	/* an exec storm wakes the reader once per quarter ring, not per exec;
	 * the loop looks every 50 ms anyway (batched) */
	p->life->rodata->wakeup_bytes = ring_size(cfg->life_buffer) / 4;
	return SET_TARGET(p->life, &cfg->target);
}

static int life_load(struct pr_plan *p)
{
	return pr_lifecycle_bpf__load(p->life);
}

static void life_destroy(struct pr_plan *p)
{
	pr_lifecycle_bpf__destroy(p->life);
	p->life = NULL;
}

static struct bpf_object *smp_open(struct pr_plan *p, const struct bpf_object_open_opts *o)
{
	p->smp = pr_sample_bpf__open_opts(o);
	return p->smp ? p->smp->obj : NULL;
}

/* Counts a slot holds. PR_AGG_AUTO: an interval's samples (CPUs x Hz /
 * 10) rounded up to a power of two in [256, 16384]; a drain that comes
 * late sends the overflow as events (counts_full), nothing is lost. The
 * maps are hash tables that a drain reads bucket by bucket, locked:
 * sized for what can come, not for a worst case, a drain costs what the
 * rate does (16384 + 8192 buckets ten times a second were most of
 * profrun's CPU at 4999 Hz). */
static uint32_t agg_counts(const struct pr_plan_cfg *cfg)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t want;
	uint32_t n = 256;

	if (cfg->aggregate != PR_AGG_AUTO)
		return cfg->aggregate;
	want = (uint64_t)(ncpu > 0 ? ncpu : 1) * cfg->hz * PR_AGG_INTERVAL_MS / 1000;
	while (n < want && n < 16384)
		n *= 2;
	return n;
}

/* The ring of new stacks for a stack map of counts entries: 128 bytes
 * a stack (~13 frames; most new stacks come in the first intervals,
 * before the map holds many), at most 64 MiB. What it has no room for
 * is read from the map, counted (stacks_unsent). */
static uint32_t agg_stack_ring(uint32_t counts)
{
	uint64_t want = (uint64_t)counts * 128;

	return ring_size(want < (64u << 20) ? (uint32_t)want : 64u << 20);
}

/* The seed of aggregate.bpf.h's second hash: unknown to the processes
 * sampled, so none can choose frames that pass for another stack. */
static uint64_t agg_seed(void)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed;
	/* no entropy yet (early boot): weaker, but still not the sampled's */
	return pr_mono_ns() * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() << 32;
}

/* $PROFRUN_AGG_HASH_BITS, for tests: the hash cut to that many bits, so
 * that different stacks share it and the collision path runs. */
static uint64_t agg_hash_mask(void)
{
	const char *env = getenv("PROFRUN_AGG_HASH_BITS");
	long bits = env && *env ? strtol(env, NULL, 10) : 64;

	if (bits < 1 || bits >= 64)
		return ~0ull;
	return (1ull << bits) - 1;
}

/* python.bpf.h's maps of an object that reads no Python frames: the
 * smallest that load */
static void no_python_maps(struct bpf_map *procs, struct bpf_map *pending, struct bpf_map *threads)
{
	bpf_map__set_max_entries(procs, 1);
	bpf_map__set_max_entries(pending, 1);
	bpf_map__set_max_entries(threads, 1);
}

/* The small ring for samples without a stack copy (sample.bpf.c): ~0.2
 * s of them at full rate (512 bytes each: a deep stack; 20 frames take
 * ~270), at most a quarter of the big ring. Small enough to stay in the
 * caches: at 4999 Hz on 2 CPUs the output of such a record took ~0.58 us
 * in this 1 MiB ring, ~0.95 in the big ring's 16 MiB. */
static uint32_t hot_ring_size(const struct pr_plan_cfg *cfg)
{
	uint64_t want = (uint64_t)cfg->hz * libbpf_num_possible_cpus() * 512 / 5;
	uint32_t big = ring_size(cfg->sample_buffer), hot;

	if (want > 8u << 20)
		want = 8u << 20;
	hot = ring_size(want);
	while (hot > big / 4 && hot > (uint32_t)sysconf(_SC_PAGESIZE))
		hot /= 2;
	return hot;
}

/* A map only the followers use (the walker's tables and process
 * entries, the Python reader's): with the followers deferred, their
 * object creates it, after the first samples are out, not pr_sample's
 * at start (the rows' 8 MiB array and the Python LRU maps, preallocated,
 * took ~4 ms of a start). pr_sample's own path uses none of them (its
 * load fails if that changes: every start would say so). */
static bool late_map(const struct bpf_map *m)
{
	static const char *const late[] = { "pr_uw_procs",   "pr_uw_pending", "pr_uw_rows",
					    "pr_uw_rules",   "pr_uw_rcache",  "pr_uw_scratch",
					    "pr_py_procs",   "pr_py_pending", "pr_py_threads" };
	size_t i;

	for (i = 0; i < sizeof(late) / sizeof(late[0]); i++)
		if (!strcmp(bpf_map__name(m), late[i]))
			return true;
	return false;
}

/* The samples at hz that make PR_UW_WAKE_CPU_US of CPU, within
 * [PR_UW_WAKE_MIN, PR_UW_WAKE_MAX]. */
static uint32_t uw_wake_samples(uint32_t hz)
{
	uint64_t n = ((uint64_t)hz * PR_UW_WAKE_CPU_US + 999999) / 1000000;

	return n < PR_UW_WAKE_MIN ? PR_UW_WAKE_MIN : n > PR_UW_WAKE_MAX ? PR_UW_WAKE_MAX : n;
}

static int smp_configure(struct pr_plan *p, const struct pr_plan_cfg *cfg)
{
	uint32_t hot;

	p->smp->rodata->want_user = cfg->user;
	p->smp->rodata->want_kernel = cfg->kernel;
	p->smp->rodata->want_idle = cfg->idle;
	p->smp->rodata->ustack_bytes = cfg->unwind == PR_UNWIND_FP ? 0 : cfg->stack_bytes;
	p->smp->rodata->python = cfg->python && cfg->user;
	p->smp->rodata->python_timing = p->smp->rodata->python && cfg->python_timing;
	if (!p->smp->rodata->python)
		no_python_maps(p->smp->maps.pr_py_procs, p->smp->maps.pr_py_pending,
			       p->smp->maps.pr_py_threads);
	if (pr_plan_kernel_unwinds(cfg)) {
		p->smp->rodata->kernel_unwind = cfg->kernel_unwind;
		p->smp->rodata->uw_wake_samples = uw_wake_samples(cfg->hz);
		p->smp->rodata->uw_fp_steps = cfg->unwind == PR_UNWIND_AUTO;
		bpf_map__set_max_entries(p->smp->maps.pr_uw_rows,
					 cfg->kernel_tables / sizeof(struct pr_uw_row));
	} else {
		/* nothing walks them: the smallest maps that load */
		bpf_map__set_max_entries(p->smp->maps.pr_uw_procs, 1);
		bpf_map__set_max_entries(p->smp->maps.pr_uw_pending, 1);
		bpf_map__set_max_entries(p->smp->maps.pr_uw_rules, 1);
	}
	/* tests of the tables alone or of both unwinders want the walker from
	 * the first sample; otherwise the followers load after the first
	 * samples are out (verifying them took two thirds of a start), unless
	 * that would parse the kernel's whole BTF a second time */
	p->followers_deferred = cfg->kernel_unwind == PR_KUNWIND_ON && cfg->btf_minimal &&
				(p->smp->rodata->kernel_unwind || p->smp->rodata->python);
	if (p->followers_deferred) {
		struct bpf_map *m;

		p->followers_btf = strdup(cfg->btf_path);
		if (!p->followers_btf)
			return -ENOMEM;
		bpf_object__for_each_map(m, p->smp->obj)
			if (late_map(m))
				bpf_map__set_autocreate(m, false);
	}
	bpf_program__set_autoload(p->smp->progs.pr_sample_walk,
				  p->smp->rodata->kernel_unwind && !p->followers_deferred);
	bpf_program__set_autoload(p->smp->progs.pr_sample_py,
				  p->smp->rodata->python && !p->followers_deferred);
	p->smp->rodata->aggregate = cfg->aggregate != 0;
	if (cfg->aggregate) {
		uint32_t counts = agg_counts(cfg);

		bpf_map__set_max_entries(p->smp->maps.pr_agg_counts0, counts);
		bpf_map__set_max_entries(p->smp->maps.pr_agg_counts1, counts);
		/* a stack is 2 KB, allocated when added: as many as an
		 * interval's counts (threads share them; unused ones go) */
		bpf_map__set_max_entries(p->smp->maps.pr_agg_stacks, counts);
		bpf_map__set_max_entries(p->smp->maps.pr_agg_stack_rb, agg_stack_ring(counts));
		p->smp->rodata->agg_seed = agg_seed();
		p->smp->rodata->agg_hash_mask = agg_hash_mask();
	} else {
		bpf_map__set_max_entries(p->smp->maps.pr_agg_counts0, 1);
		bpf_map__set_max_entries(p->smp->maps.pr_agg_counts1, 1);
		bpf_map__set_max_entries(p->smp->maps.pr_agg_stacks, 1);
		bpf_map__set_max_entries(p->smp->maps.pr_agg_stack_rb, ring_size(0)); /* a page */
	}
	/* a quarter of the ring: room to spare before the reader must run */
	p->smp->rodata->wakeup_bytes = ring_size(cfg->sample_buffer) / 4;
	bpf_map__set_max_entries(p->smp->maps.pr_sample_rb, ring_size(cfg->sample_buffer));
	hot = hot_ring_size(cfg);
	/* half of it waits for the loop's 50 ms poll: a wake-up only when
	 * the samples come faster than the estimate */
	p->smp->rodata->hot_wakeup_bytes = hot / 2;
	bpf_map__set_max_entries(p->smp->maps.pr_sample_hot_rb, hot);
	return SET_TARGET(p->smp, &cfg->target);
}

bool pr_plan_kernel_unwinds(const struct pr_plan_cfg *cfg)
{
	return cfg->user && cfg->unwind != PR_UNWIND_FP && cfg->kernel_unwind != PR_KUNWIND_OFF;
}

int pr_plan_agg_fds(const struct pr_plan *p, struct pr_agg_fds *out)
{
	if (!p->smp || !p->smp->rodata->aggregate)
		return -ENOENT;
	*out = (struct pr_agg_fds){
		.counts = { bpf_map__fd(p->smp->maps.pr_agg_counts0),
			    bpf_map__fd(p->smp->maps.pr_agg_counts1) },
		.stacks = bpf_map__fd(p->smp->maps.pr_agg_stacks),
		.stack_ring = bpf_map__fd(p->smp->maps.pr_agg_stack_rb),
		.slot = bpf_map__fd(p->smp->maps.pr_agg_slot),
		.stats = bpf_map__fd(p->smp->maps.pr_agg_stats),
	};
	return 0;
}

/* The fd of pr_sample's map name: the followers' object's for a late
 * map, -1 until it loaded. */
#define SMP_FD(p, name)                                                                      \
	(bpf_map__autocreate((p)->smp->maps.name) ? bpf_map__fd((p)->smp->maps.name)          \
	 : (p)->followers			   ? bpf_map__fd((p)->followers->maps.name)    \
						   : -1)

int pr_plan_python_fds(const struct pr_plan *p, int *procs, int *pending, int max)
{
	int n = 0;

	if (p->smp && p->smp->rodata->python && n < max) {
		procs[n] = SMP_FD(p, pr_py_procs);
		pending[n++] = SMP_FD(p, pr_py_pending);
	}
	if (p->probe && p->probe->rodata->python && n < max) {
		procs[n] = bpf_map__fd(p->probe->maps.pr_py_procs);
		pending[n++] = bpf_map__fd(p->probe->maps.pr_py_pending);
	}
	return n;
}

int pr_plan_python_cost_fd(const struct pr_plan *p)
{
	if (!p->smp || !p->smp->rodata->python_timing)
		return -ENOENT;
	return bpf_map__fd(p->smp->maps.pr_py_cost);
}

int pr_plan_kunwind_fds(const struct pr_plan *p, struct pr_kunwind_fds *out)
{
	if (!p->smp || !p->smp->rodata->kernel_unwind)
		return -ENOENT;
	*out = (struct pr_kunwind_fds){
		.procs = SMP_FD(p, pr_uw_procs),
		.pending = SMP_FD(p, pr_uw_pending),
		.rows = SMP_FD(p, pr_uw_rows),
		.rules = SMP_FD(p, pr_uw_rules),
		.counts = bpf_map__fd(p->smp->maps.pr_uw_counts),
		.max_rows = bpf_map__max_entries(p->smp->maps.pr_uw_rows),
	};
	return 0;
}

/* Puts obj's loaded followers in the slots pr_sample tail-calls
 * (sample.bpf.c's PR_NEXT_*, in this order). */
static int set_followers(struct pr_plan *p, struct pr_sample_bpf *obj)
{
	struct bpf_program *next[] = { obj->progs.pr_sample_walk, obj->progs.pr_sample_py };
	uint32_t slot;
	int fd;

	for (slot = 0; slot < sizeof(next) / sizeof(next[0]); slot++) {
		if (!bpf_program__autoload(next[slot]))
			continue;
		fd = bpf_program__fd(next[slot]);
		if (bpf_map_update_elem(bpf_map__fd(p->smp->maps.pr_sample_next), &slot, &fd,
					BPF_ANY))
			return -errno;
	}
	return 0;
}

static int smp_load(struct pr_plan *p)
{
	int err = pr_sample_bpf__load(p->smp);

	return err ? err : set_followers(p, p->smp);
}

/* Loads the followers into a second instance of the sample object that
 * shares every map of the first, and hands them to pr_sample. One that
 * does not load leaves pr_sample doing without (the stack copied and
 * unwound in user space, no Python frames): said once, not fatal. */
static void load_followers(struct pr_plan *p)
{
	struct bpf_object_open_opts oo = { .sz = sizeof(oo), .btf_custom_path = p->followers_btf };
	struct pr_sample_bpf *f;
	struct bpf_program *prog;
	bool walk = p->smp->rodata->kernel_unwind, py = p->smp->rodata->python;
	struct bpf_map *m, *mine;
	int err = 0;

	p->followers_deferred = false;
	f = pr_sample_bpf__open_opts(&oo);
	if (!f) {
		err = -errno ?: -EINVAL;
		goto out;
	}
	bpf_object__for_each_program(prog, f->obj)
		bpf_program__set_autoload(prog, (prog == f->progs.pr_sample_walk && walk) ||
							(prog == f->progs.pr_sample_py && py));
	bpf_object__for_each_map(m, f->obj) {
		mine = bpf_object__find_map_by_name(p->smp->obj, bpf_map__name(m));
		if (!mine)
			err = -ENOENT;
		else if (!bpf_map__autocreate(mine))
			/* created here, as configured there */
			err = bpf_map__set_max_entries(m, bpf_map__max_entries(mine));
		else
			err = bpf_map__reuse_fd(m, bpf_map__fd(mine));
		if (err)
			goto out;
	}
	err = pr_sample_bpf__load(f);
	if (!err)
		err = set_followers(p, f);
	if (!err) {
		p->followers = f;
		f = NULL;
	}
out:
	if (err)
		pr_warn("%s did not load (%s): %s; run with -v to see libbpf's log",
			!py ? "the in-kernel stack walker"
			: !walk ? "the Python frame reader"
				: "the in-kernel stack walker and the Python frame reader",
			strerror(-err),
			!py ? "user stacks are copied and unwound in user space"
			: !walk ? "stacks have no Python frames"
				: "user stacks are copied and unwound in user space, without "
				  "Python frames");
	if (!err && walk)
		pr_info("in-kernel stack walker loaded");
	if (!err && py)
		pr_info("Python frame reader loaded");
	/* one that did not load: the slots stay empty */
	pr_sample_bpf__destroy(f);
}

/* One cpu-clock event per CPU runs the program: perf_event_open, not a
 * link. */
static int smp_attach(struct pr_plan *p, struct bpf_program *prog, const struct pr_plan_cfg *cfg,
		      const struct want *w)
{
	int err, cpu = -1;

	err = pr_sampler_new(prog, cfg->hz, &p->sampler, &cpu);
	if (err == -EINVAL)
		pr_err("hook %s: perf_event_open(cpu-clock, %u Hz) on cpu %d failed: %s; "
		       "the frequency may exceed kernel.perf_event_max_sample_rate",
		       w->who, cfg->hz, cpu, strerror(-err));
	else if (err)
		report(w, "perf_event_open/attach", err);
	return err;
}

static void smp_destroy(struct pr_plan *p)
{
	pr_sample_bpf__destroy(p->smp);
	p->smp = NULL;
}

static struct bpf_object *off_open(struct pr_plan *p, const struct bpf_object_open_opts *o)
{
	p->off = pr_offcpu_bpf__open_opts(o);
	return p->off ? p->off->obj : NULL;
}

static int off_configure(struct pr_plan *p, const struct pr_plan_cfg *cfg)
{
	struct pr_offcpu_bpf *b = p->off;
	uint32_t ring = ring_size(cfg->offcpu.buffer);

	b->rodata->min_ns = cfg->offcpu.min_ns;
	b->rodata->max_ns = cfg->offcpu.max_ns;
	b->rodata->want_user = cfg->offcpu.user;
	b->rodata->want_waker = cfg->offcpu.waker;
	b->rodata->ustack_bytes = cfg->unwind == PR_UNWIND_FP ? 0 : cfg->stack_bytes;
	b->rodata->wakeup_bytes = ring / 4;
	/* the user stack waits for the thread's syscall to return */
	bpf_program__set_autoload(b->progs.pr_offcpu_sys_exit, cfg->offcpu.user);
	bpf_program__set_autoload(b->progs.pr_offcpu_waking, cfg->offcpu.waker);
	/* run by pr_plan_tick and at detach, never attached */
	bpf_program__set_autoload(b->progs.pr_offcpu_flush, true);
	bpf_map__set_max_entries(b->maps.pr_offcpu_rb, ring);
	bpf_map__set_max_entries(b->maps.pr_offcpu_kstacks, cfg->offcpu.kstacks);
	return SET_TARGET(b, &cfg->target);
}

static int off_load(struct pr_plan *p)
{
	return pr_offcpu_bpf__load(p->off);
}

static int attach_one(struct pr_plan *p, struct bpf_program *prog, const struct want *w);

/* A program its options turned off is not loaded: nothing to attach. */
static int off_attach(struct pr_plan *p, struct bpf_program *prog, const struct pr_plan_cfg *cfg,
		      const struct want *w)
{
	(void)cfg;
	return bpf_program__autoload(prog) ? attach_one(p, prog, w) : 0;
}

static void off_destroy(struct pr_plan *p)
{
	pr_offcpu_bpf__destroy(p->off);
	p->off = NULL;
}

/* Runs pr_offcpu_flush on every CPU (the sums are per CPU), then, at the
 * end, once more for the records still waiting for a user stack. A CPU
 * that is offline has nothing to flush. */
static void off_flush(struct pr_plan *p, bool final)
{
	__u64 arg = 0;
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &arg, .ctx_size_in = sizeof(arg));
	int fd, ncpu = libbpf_num_possible_cpus(), cpu, err;

	if (!p->off || (fd = bpf_program__fd(p->off->progs.pr_offcpu_flush)) < 0)
		return;
	o.flags = BPF_F_TEST_RUN_ON_CPU;
	for (cpu = 0; cpu < ncpu; cpu++) {
		o.cpu = cpu;
		err = bpf_prog_test_run_opts(fd, &o);
		if (err && err != -ENXIO)
			pr_debug("offcpu: flush on cpu %d failed: %s", cpu, strerror(-err));
	}
	if (final) {
		arg = 1;
		o.flags = 0;
		o.cpu = 0;
		err = bpf_prog_test_run_opts(fd, &o);
		if (err)
			pr_warn("offcpu: could not send the records still waiting for a user "
				"stack: %s",
				strerror(-err));
	}
	p->flushes++;
}

static struct bpf_object *probe_open(struct pr_plan *p, const struct bpf_object_open_opts *o)
{
	p->probe = pr_probe_bpf__open_opts(o);
	return p->probe ? p->probe->obj : NULL;
}

/* Room in the counts and stack maps only for probes that use them: a
 * stack map's entries are allocated up front. */
static int probe_configure(struct pr_plan *p, const struct pr_plan_cfg *cfg)
{
	struct pr_probe_bpf *b = p->probe;
	uint32_t ring = ring_size(cfg->probes.buffer);
	bool counts = false, stacks = false, python = false;
	size_t i;

	for (i = 0; i < cfg->probes.n; i++) {
		const struct pr_probe_attach *a = &cfg->probes.v[i];
		bool kernel = !strcmp(a->prog, "pr_probe_kenter") ||
			      !strcmp(a->prog, "pr_probe_kreturn");

		counts |= a->conf.flags & PR_PROBE_CFG_COUNT;
		python |= (a->conf.flags & PR_PROBE_CFG_STACK) && !(a->conf.flags & PR_PROBE_CFG_COUNT);
		stacks |= (a->conf.flags & PR_PROBE_CFG_STACK) &&
			  (kernel || (a->conf.flags & PR_PROBE_CFG_COUNT));
	}
	bpf_map__set_max_entries(b->maps.pr_probe_counts, counts ? PR_PROBE_COUNT_KEYS : 1);
	bpf_map__set_max_entries(b->maps.pr_probe_stacks, stacks ? PR_PROBE_STACK_IDS : 1);
	b->rodata->ustack_bytes = cfg->stack_bytes;
	b->rodata->python = python && cfg->python;
	if (!b->rodata->python)
		no_python_maps(b->maps.pr_py_procs, b->maps.pr_py_pending, b->maps.pr_py_threads);
	b->rodata->wakeup_bytes = ring / 4;
	bpf_map__set_max_entries(b->maps.pr_probe_rb, ring);
	return SET_TARGET(b, &cfg->target);
}

static int probe_load(struct pr_plan *p)
{
	return pr_probe_bpf__load(p->probe);
}

/* An attachment's link on its program, or NULL with errno set. */
static struct bpf_link *probe_link(struct pr_plan *p, struct bpf_program *prog,
				   const struct pr_probe_attach *a)
{
	struct pr_probe_bpf *b = p->probe;
	bool ret = prog == b->progs.pr_probe_return || prog == b->progs.pr_probe_kreturn;
	__u32 idx = a->cookie & PR_PROBE_COOKIE_INDEX;
	int err;

	err = bpf_map__update_elem(b->maps.pr_probe_config, &idx, sizeof(idx), &a->conf,
				   sizeof(a->conf), 0);
	if (err) {
		errno = -err;
		return NULL;
	}
	if (prog == b->progs.pr_probe_usdt) {
		LIBBPF_OPTS(bpf_usdt_opts, o, .usdt_cookie = a->cookie);

		return bpf_program__attach_usdt(prog, a->pid, a->path, a->provider, a->event, &o);
	}
	if (prog == b->progs.pr_probe_tp) {
		LIBBPF_OPTS(bpf_tracepoint_opts, o, .bpf_cookie = a->cookie);

		err = bpf_map__update_elem(b->maps.pr_tp_config, &idx, sizeof(idx), &a->tp,
					   sizeof(a->tp), 0);
		if (err) {
			errno = -err;
			return NULL;
		}
		return bpf_program__attach_tracepoint_opts(prog, a->path, a->event, &o);
	}
	if (prog == b->progs.pr_probe_kenter || prog == b->progs.pr_probe_kreturn) {
		LIBBPF_OPTS(bpf_kprobe_opts, o, .bpf_cookie = a->cookie, .retprobe = ret,
			    .offset = a->foff);

		return bpf_program__attach_kprobe_opts(prog, a->path, &o);
	}
	LIBBPF_OPTS(bpf_uprobe_opts, o, .bpf_cookie = a->cookie, .retprobe = ret);

	return bpf_program__attach_uprobe_opts(prog, a->pid, a->path, a->foff, &o);
}

/* Each attachment of each probe() on the program that serves it (named
 * in the attachment). One link per function: libbpf 1.1 has no
 * uprobe_multi. */
static int probe_attach(struct pr_plan *p, struct bpf_program *prog, const struct pr_plan_cfg *cfg,
			const struct want *w)
{
	struct bpf_link **links;
	struct bpf_link *l;
	size_t i;
	int err;

	links = realloc(p->probe_links, (p->nprobe_links + cfg->probes.n) * sizeof(*links));
	if (!links)
		return -ENOMEM;
	p->probe_links = links;
	for (i = 0; i < cfg->probes.n; i++) {
		const struct pr_probe_attach *a = &cfg->probes.v[i];

		if (strcmp(a->prog, bpf_program__name(prog)))
			continue;
		l = probe_link(p, prog, a);
		if (!l) {
			err = -errno;
			pr_err("%s: cannot attach %s to %s%s%s%s%s (offset 0x%llx): %s", w->who, a->prog,
			       a->path, a->provider ? ":" : "", a->provider ?: "",
			       a->event ? ":" : "", a->event ?: "", (unsigned long long)a->foff,
			       strerror(-err));
			return err;
		}
		p->probe_links[p->nprobe_links++] = l;
	}
	return 0;
}

static void probe_destroy(struct pr_plan *p)
{
	pr_probe_bpf__destroy(p->probe);
	p->probe = NULL;
}

/* A map of object o by name; NULL while o is not open. */
static struct bpf_map *obj_map(const struct pr_plan *p, int o, const char *name)
{
	return p->objs[o] ? bpf_object__find_map_by_name(p->objs[o], name) : NULL;
}

static const struct obj_desc objects[PR_OBJ_MAX] = {
	[PR_OBJ_LIFECYCLE] = {
		.name = "lifecycle",
		.open = life_open,
		.configure = life_configure,
		.load = life_load,
		.destroy = life_destroy,
		.ring = "pr_life_rb",
		.batched = true,
	},
	[PR_OBJ_SAMPLE] = {
		.name = "sample",
		.open = smp_open,
		.configure = smp_configure,
		.load = smp_load,
		.attach = smp_attach,
		.destroy = smp_destroy,
		.ring = "pr_sample_rb",
		.ring2 = "pr_sample_hot_rb",
		.batched = true,
		.late = true,
	},
	[PR_OBJ_OFFCPU] = {
		.name = "offcpu",
		.open = off_open,
		.configure = off_configure,
		.load = off_load,
		.attach = off_attach,
		.destroy = off_destroy,
		.flush = off_flush,
		.ring = "pr_offcpu_rb",
		.kstacks = "pr_offcpu_kstacks",
		.batched = true,
		.late = true,
	},
	[PR_OBJ_PROBE] = {
		.name = "probe",
		.open = probe_open,
		.configure = probe_configure,
		.load = probe_load,
		.attach = probe_attach,
		.destroy = probe_destroy,
		.ring = "pr_probe_rb",
		.kstacks = "pr_probe_stacks",
		.batched = true,
		.late = true,
	},
};

/* ---- what the hooks want ------------------------------------------------ */

static bool provider_wanted(uint32_t hooks, int src)
{
	return hooks & (PR_HOOK_BIT(src) | pr_providers[src].wanted_by);
}

/* The programs of object o that hooks want, in attach order; returns
 * their count. A provider loaded for a cache, not for its own hook, is
 * named after the cache. */
static int wanted_progs(uint32_t hooks, enum pr_object o, struct want *out)
{
	struct want w;
	int n = 0, i, j, k;
	size_t c;

	for (i = 0; i < PR_SRC_MAX; i++) {
		const struct pr_provider *pv = &pr_providers[i];

		if (pv->object != o || !provider_wanted(hooks, i))
			continue;
		for (j = 0; j < PR_PROVIDER_PROGS && pv->progs[j]; j++)
			out[n++] = (struct want){
				.prog = pv->progs[j],
				.kind = pv->kind,
				.who = (hooks & PR_HOOK_BIT(i)) ? pv->hook : "proc()",
				.rank = pv->rank,
			};
	}
	for (c = 0; c < pr_n_cache_progs; c++) {
		const struct pr_cache_prog *cp = &pr_cache_progs[c];

		if (cp->object != o || !(hooks & cp->need) ||
		    (cp->unless >= 0 && provider_wanted(hooks, cp->unless)))
			continue;
		out[n++] = (struct want){
			.prog = cp->prog, .kind = cp->kind, .who = cp->who, .rank = cp->rank
		};
	}
	/* a handful of entries: insertion sort by rank, stable */
	for (i = 1; i < n; i++) {
		w = out[i];
		for (k = i; k > 0 && out[k - 1].rank > w.rank; k--)
			out[k] = out[k - 1];
		out[k] = w;
	}
	return n;
}

static bool is_wanted(const struct want *w, int n, const char *prog)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(w[i].prog, prog))
			return true;
	return false;
}

/* The first wanted program that did not load (the first one when none
 * can be told apart). */
static const struct want *failed_prog(struct bpf_object *obj, const struct want *w, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (bpf_program__fd(bpf_object__find_program_by_name(obj, w[i].prog)) < 0)
			return &w[i];
	return &w[0];
}

static int attach_one(struct pr_plan *p, struct bpf_program *prog, const struct want *w)
{
	struct bpf_link *link = bpf_program__attach(prog);
	int err;

	if (!link) {
		err = -errno ?: -EINVAL;
		report(w, "attach", err);
		return err;
	}
	p->links[p->nlinks++] = link;
	return 0;
}

/* Opens, configures and loads object o (the verifier's work, most of a
 * start): nothing runs yet. */
static int prepare_object(struct pr_plan *p, enum pr_object o, const struct pr_plan_cfg *cfg)
{
	const struct obj_desc *d = &objects[o];
	struct bpf_object_open_opts oo = {
		.sz = sizeof(oo),
		.btf_custom_path = cfg->btf_path,
	};
	struct want w[MAX_PROGS];
	struct bpf_program *prog;
	struct bpf_object *obj;
	int n = wanted_progs(cfg->hooks, o, w), err;

	if (!n)
		return 0;
	obj = p->objs[o] = d->open(p, &oo);
	if (!obj) {
		err = -errno ?: -EINVAL;
		report(&w[0], "open", err);
		return err;
	}
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, is_wanted(w, n, bpf_program__name(prog)));
	err = d->configure(p, cfg);
	if (err) {
		report(&w[0], "configure", err);
		return err;
	}
	err = d->load(p);
	if (err)
		report(failed_prog(obj, w, n), "load", err);
	return err;
}

static int attach_object(struct pr_plan *p, enum pr_object o, const struct pr_plan_cfg *cfg)
{
	const struct obj_desc *d = &objects[o];
	struct want w[MAX_PROGS];
	struct bpf_program *prog;
	int n = wanted_progs(cfg->hooks, o, w), i, err = 0;

	for (i = 0; i < n && !err; i++) {
		prog = bpf_object__find_program_by_name(p->objs[o], w[i].prog);
		err = d->attach ? d->attach(p, prog, cfg, &w[i]) : attach_one(p, prog, &w[i]);
	}
	return err;
}

static void *prepare_all(void *arg)
{
	struct pr_plan *p = arg;
	int o, err = 0;

	for (o = 0; o < PR_OBJ_MAX && !err; o++)
		err = prepare_object(p, o, &p->cfg);
	p->prepare_err = err;
	return NULL;
}

static bool wants_late(const struct pr_plan_cfg *cfg)
{
	struct want w[MAX_PROGS];
	int o;

	for (o = 0; o < PR_OBJ_MAX; o++)
		if (objects[o].late && wanted_progs(cfg->hooks, o, w))
			return true;
	return false;
}

int pr_plan_check_table(char *why, size_t len)
{
	struct bpf_object_open_opts oo = { .sz = sizeof(oo) };
	struct pr_plan p = { 0 };
	struct want w[MAX_PROGS];
	struct bpf_object *obj;
	int o, n, i, err = 0;

	for (o = 0; o < PR_OBJ_MAX && !err; o++) {
		obj = objects[o].open(&p, &oo);
		if (!obj) {
			snprintf(why, len, "object %s does not open", objects[o].name);
			return -errno ?: -EINVAL;
		}
		/* every hook and cache program this object could be asked for */
		n = wanted_progs(~0u, o, w);
		for (i = 0; i < n && !err; i++)
			if (!bpf_object__find_program_by_name(obj, w[i].prog)) {
				snprintf(why, len, "object %s has no program %s", objects[o].name,
					 w[i].prog);
				err = -ENOENT;
			}
		if (!err && !bpf_object__find_map_by_name(obj, objects[o].ring)) {
			snprintf(why, len, "object %s has no ring %s", objects[o].name,
				 objects[o].ring);
			err = -ENOENT;
		}
		objects[o].destroy(&p);
	}
	return err;
}

int pr_plan_new(struct pr_plan **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

int pr_plan_load_start(struct pr_plan *p, const struct pr_plan_cfg *cfg)
{
	int err;

	if (p->state != PLAN_NEW || p->loading)
		return -EALREADY;
	p->cfg = *cfg;
	err = pr_thread_start(&p->loader, prepare_all, p);
	if (err) {
		/* no thread: the same work, here */
		prepare_all(p);
		return 0;
	}
	p->loading = true;
	return 0;
}

static int wait_loader(struct pr_plan *p)
{
	if (p->loading) {
		pthread_join(p->loader, NULL);
		p->loading = false;
	}
	return p->prepare_err;
}

int pr_plan_load_finish(struct pr_plan *p)
{
	const struct pr_plan_cfg *cfg = &p->cfg;
	int err = 0, o;

	if (p->state != PLAN_NEW)
		return -EALREADY;
	/* while the loader thread verifies: it must be done before the
	 * first late object attaches, not before it loads */
	if (cfg->before_late && wants_late(cfg))
		err = cfg->before_late(cfg->ctx);
	err = wait_loader(p) ?: err;
	for (o = 0; o < PR_OBJ_MAX && !err; o++)
		if (p->objs[o])
			err = attach_object(p, o, cfg);
	p->state = PLAN_LOADED;
	if (err)
		pr_plan_detach(p);
	return err;
}

int pr_plan_ring(const struct pr_plan *p, int object, int which, bool *batched)
{
	const char *name;
	struct bpf_map *m;

	if (object < 0 || object >= PR_OBJ_MAX || which < 0 || which > 1)
		return -1;
	*batched = objects[object].batched;
	name = which ? objects[object].ring2 : objects[object].ring;
	m = name ? obj_map(p, object, name) : NULL;
	return m ? bpf_map__fd(m) : -1;
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

uint64_t pr_plan_target_lost(const struct pr_plan *p)
{
	return p->life && p->life->bss ? *(volatile __u64 *)&p->life->bss->target_lost : 0;
}

void pr_plan_detach(struct pr_plan *p)
{
	int i, o;

	if (p->state != PLAN_LOADED)
		return;
	pr_sampler_free(p->sampler);
	p->sampler = NULL;
	for (i = 0; i < p->nlinks; i++)
		bpf_link__destroy(p->links[i]);
	p->nlinks = 0;
	for (size_t j = 0; j < p->nprobe_links; j++)
		bpf_link__destroy(p->probe_links[j]);
	free(p->probe_links);
	p->probe_links = NULL;
	p->nprobe_links = 0;
	p->state = PLAN_DETACHED;
	/* nothing adds to what the programs held back any more */
	for (o = 0; o < PR_OBJ_MAX; o++)
		if (objects[o].flush)
			objects[o].flush(p, true);
}

#define FLUSH_EVERY_NS 1000000000ull

bool pr_plan_tick(struct pr_plan *p)
{
	uint64_t now_ns = pr_mono_ns();
	bool loaded = false;
	int o;

	if (!p || p->state != PLAN_LOADED)
		return false;
	/* the first tick comes after the first batch reached the script */
	if (p->followers_deferred) {
		load_followers(p);
		loaded = p->followers != NULL;
	}
	if (now_ns - p->last_flush < FLUSH_EVERY_NS)
		return loaded;
	p->last_flush = now_ns;
	for (o = 0; o < PR_OBJ_MAX; o++)
		if (objects[o].flush)
			objects[o].flush(p, false);
	return loaded;
}

/* Kernel stacks read from a stack map, by id: direct-mapped, as ids are
 * hashes of the stack and never name another stack once given out. */
#define KCACHE_SLOTS 1024

struct kstack_slot {
	int32_t id; /* -1: empty */
	int8_t obj;
	uint8_t n;
	uint64_t ips[PR_MAX_FRAMES];
};

void pr_plan_set_kglue(struct pr_plan *p, bool (*glue)(void *ctx, uint64_t addr), void *ctx)
{
	p->kglue = glue;
	p->kglue_ctx = ctx;
}

int pr_plan_kstack(void *plan, int obj, int32_t id, uint64_t *ips)
{
	struct pr_plan *p = plan;
	struct kstack_slot *s;
	struct bpf_map *m;
	int i, n;

	if (id < 0 || obj < 0 || obj >= PR_OBJ_MAX || !objects[obj].kstacks)
		return 0;
	if (!p->kcache) {
		p->kcache = malloc(KCACHE_SLOTS * sizeof(*p->kcache));
		if (!p->kcache)
			return 0;
		for (i = 0; i < KCACHE_SLOTS; i++)
			p->kcache[i].id = -1;
	}
	s = &p->kcache[(uint32_t)id % KCACHE_SLOTS];
	if (s->id != id || s->obj != obj) {
		m = obj_map(p, obj, objects[obj].kstacks);
		/* the map's frames may be fewer than PR_MAX_FRAMES */
		if (!m || bpf_map__value_size(m) > sizeof(s->ips) ||
		    bpf_map__lookup_elem(m, &id, sizeof(id), s->ips, bpf_map__value_size(m), 0)) {
			s->id = -1;
			return 0;
		}
		for (n = 0; n < (int)(bpf_map__value_size(m) / sizeof(*s->ips)) && s->ips[n]; n++)
			;
		/* the stack starts where the program ran: drop the frames of
		 * the program and of the tracepoint machinery, whose depth
		 * depends on how many programs share the tracepoint */
		for (i = 0; i < n && p->kglue && p->kglue(p->kglue_ctx, s->ips[i]); i++)
			;
		if (i && i < n) {
			memmove(s->ips, s->ips + i, (n - i) * sizeof(*s->ips));
			n -= i;
		}
		s->id = id;
		s->obj = obj;
		s->n = n;
	}
	memcpy(ips, s->ips, s->n * sizeof(*ips));
	return s->n;
}

size_t pr_plan_objects(struct pr_btf_object *out, size_t max)
{
	const void *(*const bytes[])(size_t *) = {
		pr_lifecycle_bpf__elf_bytes,
		pr_sample_bpf__elf_bytes,
		pr_offcpu_bpf__elf_bytes,
		pr_probe_bpf__elf_bytes,
	};
	size_t i, n = sizeof(bytes) / sizeof(bytes[0]);

	for (i = 0; i < n && i < max; i++)
		out[i].elf = bytes[i](&out[i].size);
	return i;
}

void pr_plan_probe_stack_top(void *plan, uint32_t pid)
{
	struct pr_plan *p = plan;
	struct bpf_map *m = obj_map(p, PR_OBJ_PROBE, "pr_probe_stack_top");
	uint32_t *slot = &p->tops_seen[pid % (sizeof(p->tops_seen) / sizeof(p->tops_seen[0]))];
	struct pr_proc_stat st;

	if (*slot == pid || !m)
		return;
	*slot = pid;
	if (!pr_procfs_stat_at("/proc", pid, &st) && st.start_stack)
		bpf_map__update_elem(m, &pid, sizeof(pid), &st.start_stack,
				     sizeof(st.start_stack), 0);
}

void pr_plan_probe_lost(const struct pr_plan *p, struct pr_plan_probe_lost *lost)
{
	*lost = (struct pr_plan_probe_lost){ 0 };
	if (p->probe && p->probe->bss) {
		lost->hits = *(volatile __u64 *)&p->probe->bss->count_lost;
		lost->stacks = *(volatile __u64 *)&p->probe->bss->stack_lost;
	}
}

int pr_plan_probe_counts(struct pr_plan *p, uint32_t probe,
			 int (*fn)(void *ctx, const struct pr_probe_count_key *k, uint64_t n),
			 void *ctx, struct pr_plan_probe_lost *lost)
{
	struct bpf_map *m = obj_map(p, PR_OBJ_PROBE, "pr_probe_counts");
	struct pr_probe_count_key k, next;
	const void *prev = NULL;
	uint64_t n;
	int r;

	pr_plan_probe_lost(p, lost);
	if (!m)
		return -ENOENT;
	while (!bpf_map__get_next_key(m, prev, &next, sizeof(next))) {
		k = next;
		prev = &k;
		if (k.probe != probe ||
		    bpf_map__lookup_elem(m, &k, sizeof(k), &n, sizeof(n), 0))
			continue;
		r = fn(ctx, &k, n);
		if (r)
			return r;
	}
	return 0;
}

void pr_plan_offcpu_stats(const struct pr_plan *p, struct pr_plan_offcpu_stats *out)
{
	*out = (struct pr_plan_offcpu_stats){ .flushes = p->flushes };
	if (p->off && p->off->bss) {
		out->untracked = *(volatile __u64 *)&p->off->bss->untracked;
		out->dropped_ns = *(volatile __u64 *)&p->off->bss->dropped_ns;
		out->resynced = *(volatile __u64 *)&p->off->bss->resynced;
	}
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
			out[src].spilled += v[i].spilled;
		}
	}
	free(v);
	return err;
}

int pr_plan_counts(const struct pr_plan *p, struct pr_src_counts *out)
{
	struct bpf_map *m;
	int err = 0, o;

	for (o = 0; o < PR_OBJ_MAX && !err; o++) {
		m = obj_map(p, o, "pr_counts");
		if (m)
			err = add_counts(m, out);
	}
	return err;
}

void pr_plan_free(struct pr_plan *p)
{
	int o;

	if (!p)
		return;
	wait_loader(p);
	/* links exist only after pr_plan_load_finish, which leaves the plan loaded
	 * (and detaches it itself when it fails): detach drops them all */
	pr_plan_detach(p);
	for (o = 0; o < PR_OBJ_MAX; o++) {
		objects[o].destroy(p);
		p->objs[o] = NULL;
	}
	free(p->kcache);
	free(p->followers_btf);
	pr_sample_bpf__destroy(p->followers);
	free(p);
}
