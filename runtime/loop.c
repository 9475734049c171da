// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One iteration: wait on epoll, serve signals, the child and timers, then
 * take at most one batch from each ring (lifecycle first, so a process's
 * exec reaches Lua before its samples) and hand each batch to Lua.
 *
 * libbpf 1.1 keeps consuming a ring for as long as producers keep writing
 * to it, so a flood would never return to epoll. The record callback
 * therefore copies each record into the arena and, once the arena or the
 * record count is at its cap, returns a negative value: libbpf stops right
 * there, with that record already consumed. The next iteration polls
 * without sleeping, so signals and timers are served between batches.
 *
 * Records are never allocated one by one: the arena is reused each cycle,
 * and samples are reduced to their interned stack id while being copied.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "loop.h"
#include "plan.h"
#include "script.h"
#include "stacks.h"
#include "maps.h"
#include "proc.h"
#include "providers.h"
#include "aggregate.h"
#include "bpfring.h"
#include "ksymfeed.h"
#include "kunwind.h"
#include "python.h"
#include "unwind.h"

#define ARENA_BYTES (256 * 1024)
#define BATCH_MAX 4096
#define MAX_RECORD (sizeof(struct pr_exec))
#define BATCH_FULL (-ENOBUFS)

_Static_assert(sizeof(struct pr_hdr) == 16, "pr_hdr layout");
_Static_assert(sizeof(struct pr_sample) == 64, "pr_sample layout");
_Static_assert(sizeof(struct pr_exec) == 856, "pr_exec layout");
_Static_assert(sizeof(struct pr_exit) == 88, "pr_exit layout");
_Static_assert(sizeof(struct pr_fork) == 56, "pr_fork layout");
_Static_assert(sizeof(struct pr_sample_raw) == 104 + 16 * PR_MAX_FRAMES, "pr_sample_raw layout");
_Static_assert(MAX_RECORD >= sizeof(struct pr_sample) && MAX_RECORD >= sizeof(struct pr_exit),
	       "MAX_RECORD covers every arena record");

enum tag_kind { TAG_SIGNAL, TAG_CHILD, TAG_TIMER, TAG_RING, TAG_KSYMFEED };

struct ring_src {
	struct pr_loop *loop;
	struct pr_bpfring *rb[2]; /* the object's ring, and its second (or NULL) */
};

struct pr_loop {
	struct pr_loop_cfg cfg;
	bool exit_requested; /* the script called exit() */
	bool by_signal;	     /* SIGINT/SIGTERM (or Ctrl-C in a hook) stopped the run */
	int epfd;
	int sigfd;
	timer_t deadline; /* signals PR_SIG_DEADLINE, which can interrupt a hook */
	bool has_deadline;
	int child_fd;
	int timer_fds[PR_LOOP_MAX_TIMERS];
	int ntimers;
	struct ring_src rings[PR_OBJ_MAX]; /* one per BPF object, in dispatch order */
	int nrings;
	bool dispatch; /* false while draining after an error or exit() */
	int poll_ms;   /* epoll timeout: sample wakeups are batched in BPF */
	bool batch_full;
	uint8_t *arena;
	uint32_t used, count;
	uint32_t done; /* records of the batch Lua handed to a hook (pr_loop_handed) */
	uint32_t fed;  /* of those, records the process cache has seen */
	const uint8_t *feed_at; /* the record after them */
	struct pr_take take;
	uint64_t delivered[PR_SRC_MAX];
	uint64_t discarded[PR_SRC_MAX]; /* read after the run stopped, never handed */
	uint64_t batches;
	uint64_t bad_records;
	struct pr_unwind_stats unwind;
	uint64_t ustack[PR_MAX_FRAMES]; /* a sample's unwound user frames */
	struct pr_user_frame uframes[PR_MAX_FRAMES];
	struct pr_user_frame merged[PR_STACK_FRAMES];
};

static uint64_t tag(enum tag_kind k, uint32_t idx)
{
	return (uint64_t)k << 32 | idx;
}

static int watch(struct pr_loop *l, int fd, enum tag_kind k, uint32_t idx)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag(k, idx) };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int new_timerfd(uint64_t ns, bool periodic)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ns / 1000000000ull, .tv_nsec = ns % 1000000000ull },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (periodic)
		its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void *arena_put(void *loop, uint32_t size)
{
	struct pr_loop *l = loop;
	void *p = l->arena + l->used;

	l->used += (size + 7) & ~7u;
	l->count++;
	return p;
}

/* Whether anyone wants provider src's records: its hook, or the process
 * cache it feeds. A record nobody asked for counts as delivered: nothing
 * that was wanted is lost. */
static bool record_wanted(const struct pr_loop *l, int src)
{
	uint32_t want = PR_HOOK_BIT(src);

	if (pr_providers[src].needs & PR_FEEDS_PROC)
		want |= PR_HOOK_PROC;
	return l->cfg.hooks & want;
}

/* Samples a record stands for: a count drained from BPF stands for many. */
static uint64_t weight(const struct pr_hdr *h)
{
	if (h->type == PR_REC_SAMPLE_AGG)
		return ((const struct pr_sample_agg *)h)->count;
	if (h->type == PR_REC_SAMPLE)
		return ((const struct pr_sample *)h)->count;
	return 1;
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct pr_loop *l = ((struct ring_src *)ctx)->loop;
	const struct pr_provider *p = NULL;
	const struct pr_hdr *h = data;
	int src;

	if (len >= sizeof(*h))
		p = pr_provider_by_record(h->type);
	if (!p || len < p->min_size) {
		l->bad_records++;
		return 0;
	}
	src = pr_provider_source(p);
	if (!record_wanted(l, src))
		l->delivered[src] += weight(h);
	else if (!l->dispatch)
		l->discarded[src] += weight(h);
	else if (p->take(&l->take, data, len))
		l->bad_records++;
	/* the run's first batch is one record: the first event reaches the
	 * script without waiting for the rest of the ring to be taken (a
	 * sample's take may build unwind tables for every binary it touches) */
	if (l->count >= (l->batches ? BATCH_MAX : 1) || l->used + MAX_RECORD > ARENA_BYTES) {
		l->batch_full = true;
		return BATCH_FULL;
	}
	return 0;
}

static void free_ring(struct ring_src *r)
{
	pr_bpfring_free(r->rb[0]);
	pr_bpfring_free(r->rb[1]);
	r->rb[0] = r->rb[1] = NULL;
}

static int add_ring(struct pr_loop *l, int object)
{
	struct ring_src *r = &l->rings[l->nrings];
	bool batched;
	int map_fd = pr_plan_ring(l->cfg.plan, object, 0, &batched), fd2, err;

	if (map_fd < 0)
		return 0;
	/* batched wakeups: look at the ring at least this often */
	if (batched)
		l->poll_ms = 50;
	r->loop = l;
	err = pr_bpfring_new(map_fd, on_record, r, &r->rb[0]);
	/* the object's second ring: consumed with the first, after it */
	fd2 = pr_plan_ring(l->cfg.plan, object, 1, &batched);
	if (!err && fd2 >= 0)
		err = pr_bpfring_new(fd2, on_record, r, &r->rb[1]);
	if (err) {
		free_ring(r);
		return err;
	}
	l->nrings++;
	err = watch(l, map_fd, TAG_RING, l->nrings - 1);
	if (!err && r->rb[1])
		err = watch(l, fd2, TAG_RING, l->nrings - 1);
	return err;
}

static int setup_signals(struct pr_loop *l)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, PR_SIG_DEADLINE);
	l->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->sigfd < 0)
		return -errno;
	return watch(l, l->sigfd, TAG_SIGNAL, 0);
}

/* The deadline is a signal, not a timerfd: read through the signalfd
 * while the loop waits, and caught by the script's handler while a hook
 * runs, which stops the hook the way Ctrl-C does. */
static int arm_deadline(struct pr_loop *l, uint64_t ns)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = PR_SIG_DEADLINE };
	struct itimerspec its = {
		.it_value = { .tv_sec = ns / 1000000000ull, .tv_nsec = ns % 1000000000ull },
	};

	if (!l->has_deadline && timer_create(CLOCK_MONOTONIC, &sev, &l->deadline))
		return -errno;
	l->has_deadline = true;
	return timer_settime(l->deadline, 0, &its, NULL) ? -errno : 0;
}

static int setup_timers(struct pr_loop *l)
{
	const struct pr_loop_cfg *c = &l->cfg;
	int i, fd, err = 0;

	for (i = 0; i < c->ntimers && i < PR_LOOP_MAX_TIMERS && !err; i++) {
		fd = new_timerfd(c->timer_ns[i], true);
		if (fd < 0)
			return fd;
		l->timer_fds[l->ntimers++] = fd;
		err = watch(l, fd, TAG_TIMER, i);
	}
	if (!err && c->duration_ns)
		err = arm_deadline(l, c->duration_ns);
	return err;
}

int pr_loop_new(const struct pr_loop_cfg *cfg, struct pr_loop **out)
{
	struct pr_loop *l = calloc(1, sizeof(*l));
	int err, o;

	if (!l)
		return -ENOMEM;
	l->cfg = *cfg;
	l->sigfd = -1;
	l->child_fd = cfg->child_pidfd;
	l->dispatch = true;
	l->poll_ms = -1;
	l->take = (struct pr_take){
		.put = arena_put,
		.loop = l,
		.stacks = cfg->stacks,
		.maps = cfg->maps,
		.unwind_mode = cfg->unwind_mode,
		.unwind = &l->unwind,
		.ustack = l->ustack,
		.uframes = l->uframes,
		.merged = l->merged,
		.python = cfg->python,
		.kstack = pr_plan_kstack,
		.stack_top = pr_plan_probe_stack_top,
		.plan = cfg->plan,
	};
	l->arena = malloc(ARENA_BYTES);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!l->arena || l->epfd < 0) {
		err = l->arena ? -errno : -ENOMEM;
		goto err;
	}
	err = setup_signals(l);
	err = err ?: setup_timers(l);
	for (o = 0; o < PR_OBJ_MAX && !err; o++)
		err = add_ring(l, o);
	if (!err && cfg->child_pidfd >= 0)
		err = watch(l, cfg->child_pidfd, TAG_CHILD, 0);
	if (!err && cfg->ksymfeed)
		err = watch(l, pr_ksymfeed_fd(cfg->ksymfeed), TAG_KSYMFEED, 0);
	if (err)
		goto err;
	*out = l;
	return 0;
err:
	l->child_fd = -1; /* the caller owns it until we succeed */
	pr_loop_free(l);
	return err;
}

static int source_of(uint32_t view)
{
	const struct pr_provider *p = pr_provider_by_view(view);

	return p ? pr_provider_source(p) : 0;
}

/* The arena's record number i (0-based), or NULL. */
static const struct pr_hdr *arena_record(const struct pr_loop *l, uint32_t i)
{
	const uint8_t *p = l->arena;

	for (; i && p < l->arena + l->used; i--)
		p += (((const struct pr_hdr *)p)->size + 7) & ~7u;
	return p < l->arena + l->used ? (const struct pr_hdr *)p : NULL;
}

/* The hook that got the batch's last handed record (or would have got
 * its first): for messages. */
static const char *running_hook(void *ctx)
{
	const struct pr_loop *l = ctx;
	const struct pr_hdr *h = arena_record(l, l->done ? l->done - 1 : 0);
	const char *hook = h ? pr_providers[source_of(h->type)].hook : NULL;

	return hook ? hook : "a hook";
}

/* delivered: Lua handed the record to its hook (or to proc()'s cache);
 * the rest of a batch a stop cut short is discarded. */
static void count_batch(struct pr_loop *l)
{
	const uint8_t *p = l->arena;
	const struct pr_hdr *h;
	uint32_t i;

	for (i = 0; i < l->count && p < l->arena + l->used; i++) {
		h = (const struct pr_hdr *)p;
		if (i < l->done)
			l->delivered[source_of(h->type)] += weight(h);
		else
			l->discarded[source_of(h->type)] += weight(h);
		p += (h->size + 7) & ~7u;
	}
}

/* Hands the arena to Lua if it holds anything; resets it. */
static int dispatch_batch(struct pr_loop *l)
{
	int err = 0;

	l->done = l->fed = 0;
	l->feed_at = l->arena;
	if (l->count && l->dispatch) {
		l->batches++;
		err = pr_script_dispatch(l->cfg.script, running_hook, l);
	}
	count_batch(l);
	l->used = l->count = 0;
	return err;
}

/* Consumes at most one batch from ring i. Returns 1 when more is waiting,
 * 0 when the ring is empty, <0 when a hook failed. */
static int consume_one(struct pr_loop *l, int i)
{
	int n, err;

	l->batch_full = false;
	n = pr_bpfring_consume(l->rings[i].rb[0]);
	if (n >= 0 && l->rings[i].rb[1])
		n = pr_bpfring_consume(l->rings[i].rb[1]);
	if (n < 0 && !l->batch_full)
		pr_debug("ring %d: consume failed: %s", i, strerror(-n));
	err = dispatch_batch(l);
	if (err)
		return err;
	return l->batch_full ? 1 : 0;
}

/* Consumes at most one batch of the counts BPF kept (sample{aggregate});
 * final: all of them, the programs being detached. Returns as
 * consume_one. */
static int consume_counts(struct pr_loop *l, int final)
{
	struct ring_src src = { .loop = l };
	int more, err;

	if (!l->cfg.aggregate)
		return 0;
	l->batch_full = false;
	more = pr_aggregate_drain(l->cfg.aggregate, final, on_record, &src);
	err = dispatch_batch(l);
	return err ? err : more;
}

static enum pr_stop read_signal(struct pr_loop *l)
{
	struct signalfd_siginfo si;

	if (read(l->sigfd, &si, sizeof(si)) != sizeof(si))
		return PR_STOP_NONE;
	pr_debug("got signal %u", si.ssi_signo);
	if ((int)si.ssi_signo == PR_SIG_DEADLINE)
		return PR_STOP_DURATION;
	pr_script_note_signal();
	l->by_signal = true;
	return PR_STOP_SIGNAL;
}

/* A hook or timer that failed (<0) stops the run; an interrupted one
 * stops it for the reason that interrupted it. */
static enum pr_stop stop_for(struct pr_loop *l, int err)
{
	if (err != -EINTR)
		return PR_STOP_ERROR;
	if (pr_script_cause(l->cfg.script) == PR_SCRIPT_CAUSE_DEADLINE)
		return PR_STOP_DURATION;
	l->by_signal = true;
	return PR_STOP_SIGNAL;
}

static int fire_timer(struct pr_loop *l, uint32_t idx)
{
	uint64_t expirations;

	if (idx >= (uint32_t)l->ntimers ||
	    read(l->timer_fds[idx], &expirations, sizeof(expirations)) != sizeof(expirations))
		return 0;
	/* missed expirations coalesce into one call: a slow hook does not
	 * trigger a burst of catch-up calls */
	return pr_script_timer(l->cfg.script, idx);
}

static enum pr_stop stop_for_err(struct pr_loop *l, int err)
{
	return err ? stop_for(l, err) : PR_STOP_NONE;
}

static enum pr_stop serve(struct pr_loop *l, const struct epoll_event *ev)
{
	uint32_t kind = ev->data.u64 >> 32, idx = (uint32_t)ev->data.u64;

	switch (kind) {
	case TAG_SIGNAL:
		return read_signal(l);
	case TAG_CHILD:
		return PR_STOP_CHILD;
	case TAG_TIMER:
		return stop_for_err(l, fire_timer(l, idx));
	default:
		return PR_STOP_NONE; /* rings are polled every iteration */
	}
}

static bool has_work(const struct pr_loop *l)
{
	return l->nrings || l->ntimers || l->has_deadline || l->child_fd >= 0;
}

/* One dispatch cycle is over: exits seen a cycle ago may go now. */
static void end_cycle(struct pr_loop *l)
{
	if (l->cfg.procs)
		pr_proc_end_cycle(l->cfg.procs);
	if (l->cfg.stacks)
		pr_stacks_end_cycle(l->cfg.stacks);
}

/* The epoll timeout: the batched rings' poll, or sooner when counts are
 * due; with counts, the rings are polled at the counts' pace (their
 * records are the samples BPF could not count, and lifecycle events) */
static int wait_ms(const struct pr_loop *l)
{
	int agg = pr_aggregate_wait_ms(l->cfg.aggregate);

	if (agg < 0)
		return l->poll_ms;
	return agg;
}

/* pr_sample's followers loaded: the walker's and the Python reader's
 * modules get the maps they created. */
static void followers_loaded(struct pr_loop *l)
{
	int procs[PR_PY_OBJECTS], pending[PR_PY_OBJECTS], n;
	struct pr_kunwind_fds fds;

	if (l->cfg.kunwind && !pr_plan_kunwind_fds(l->cfg.plan, &fds))
		pr_kunwind_set_fds(l->cfg.kunwind, &fds);
	if (l->cfg.python) {
		n = pr_plan_python_fds(l->cfg.plan, procs, pending, PR_PY_OBJECTS);
		pr_python_set_fds(l->cfg.python, procs, pending, n);
	}
}

enum pr_stop pr_loop_run(struct pr_loop *l)
{
	struct epoll_event evs[16];
	enum pr_stop stop = PR_STOP_NONE;
	bool more = false;
	int n, i, r;

	if (!has_work(l))
		return PR_STOP_IDLE;
	while (stop == PR_STOP_NONE) {
		n = epoll_wait(l->epfd, evs, 16, more ? 0 : wait_ms(l));
		if (n < 0 && errno != EINTR) {
			pr_err("event loop: epoll_wait failed: %s", strerror(errno));
			return PR_STOP_ERROR;
		}
		for (i = 0; i < n && stop == PR_STOP_NONE; i++)
			stop = serve(l, &evs[i]);
		more = false;
		/* BPF programs that came or went before these samples */
		if (l->cfg.ksymfeed)
			pr_ksymfeed_drain(l->cfg.ksymfeed, l->cfg.bpfsym);
		for (i = 0; i < l->nrings && stop == PR_STOP_NONE; i++) {
			r = consume_one(l, i);
			if (r < 0)
				stop = stop_for(l, r);
			more |= r > 0;
		}
		if (stop == PR_STOP_NONE) {
			r = consume_counts(l, 0);
			if (r < 0)
				stop = stop_for(l, r);
			more |= r > 0;
		}
		end_cycle(l);
		/* processes whose samples asked whether they run Python: first,
		 * a young one may exit while a walker loads */
		pr_python_tick(l->cfg.python);
		if (pr_plan_tick(l->cfg.plan))
			followers_loaded(l);
		/* processes whose samples asked for their tables */
		pr_kunwind_tick(l->cfg.kunwind);
		if (stop == PR_STOP_NONE && l->exit_requested)
			stop = PR_STOP_EXIT;
	}
	return stop;
}

/* Consumes with consume(l, arg) until nothing is left; after a hook
 * fails (*err), the rest is only counted. */
static void drain_all(struct pr_loop *l, int (*consume)(struct pr_loop *, int), int arg,
		      int *err)
{
	int r;

	do {
		r = consume(l, arg);
		if (r < 0) {
			*err = r;
			l->dispatch = false;
			r = 1;
		}
		end_cycle(l);
	} while (r > 0);
}

int pr_loop_drain(struct pr_loop *l, bool dispatch, uint64_t bound_ns)
{
	int i, err = 0;

	/* what is still in the rings was produced before the stop: handed
	 * out while the bound lasts, its timer cutting a slow hook short */
	if (dispatch && bound_ns) {
		pr_script_draining();
		if (arm_deadline(l, bound_ns))
			dispatch = false;
	}
	l->dispatch = dispatch;
	for (i = 0; i < l->nrings; i++)
		drain_all(l, consume_one, i, &err);
	drain_all(l, consume_counts, 1, &err);
	return err;
}

void pr_loop_request_exit(struct pr_loop *l)
{
	l->exit_requested = true;
}

bool pr_loop_stopped_by_signal(const struct pr_loop *l)
{
	return l->by_signal;
}

int pr_loop_batch(struct pr_loop *l, const uint8_t **base, uint32_t *bytes)
{
	*base = l->arena;
	*bytes = l->used;
	return l->count;
}

/* The process cache follows the records as they are handed out, not as
 * they are read: a hook never sees the cache ahead of its own event. */
void pr_loop_handed(struct pr_loop *l, uint32_t n)
{
	const struct pr_provider *p;
	const struct pr_hdr *h;

	l->done = n;
	for (; l->fed < n && l->fed < l->count; l->fed++) {
		h = (const struct pr_hdr *)l->feed_at;
		p = pr_provider_by_view(h->type);
		if (p && p->feed_proc && l->cfg.procs)
			p->feed_proc(l->cfg.procs, h);
		l->feed_at += (h->size + 7) & ~7u;
	}
}

void pr_loop_stats(const struct pr_loop *l, struct pr_loop_stats *out)
{
	*out = (struct pr_loop_stats){
		.batches = l->batches,
		.kstack_errors = l->take.kstack_errors,
		.ustack_errors = l->take.ustack_errors,
		.bad_records = l->bad_records,
		.verified = l->take.verified,
		.verify_mismatch = l->take.verify_mismatch,
		.unwind = l->unwind,
	};
	memcpy(out->delivered, l->delivered, sizeof(out->delivered));
	memcpy(out->discarded, l->discarded, sizeof(out->discarded));
}

void pr_loop_free(struct pr_loop *l)
{
	int i;

	if (!l)
		return;
	for (i = 0; i < l->nrings; i++)
		free_ring(&l->rings[i]);
	for (i = 0; i < l->ntimers; i++)
		close(l->timer_fds[i]);
	if (l->has_deadline)
		timer_delete(l->deadline);
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->arena);
	free(l);
}
