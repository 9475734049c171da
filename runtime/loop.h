/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The event loop: one thread, one epoll set over the ring buffers, the
 * every() timers, the -d deadline, SIGINT/SIGTERM (signalfd) and the -c
 * command's pidfd. Records are copied into a per-cycle arena and handed to
 * Lua in batches.
 */
#ifndef PR_LOOP_H
#define PR_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include "events.h"
#include "unwind.h"

/* every() timers a loop serves at most */
#define PR_LOOP_MAX_TIMERS 64

enum pr_stop {
	PR_STOP_NONE,
	PR_STOP_IDLE,	  /* nothing to wait for: no hooks, timers or deadline */
	PR_STOP_SIGNAL,	  /* SIGINT or SIGTERM */
	PR_STOP_DURATION, /* -d elapsed */
	PR_STOP_EXIT,	  /* the script called exit() */
	PR_STOP_CHILD,	  /* the -c command ended */
	PR_STOP_ERROR,	  /* a hook raised an error (or the loop failed) */
};

struct pr_loop;
struct pr_plan;
struct pr_script;
struct pr_maps;
struct pr_stacks;
struct pr_proc;
struct pr_ksymfeed;
struct pr_bpfsym;
struct pr_kunwind;
struct pr_aggregate;

/* What a loop serves: the loaded plan's rings, for the script's hooks,
 * feeding these caches. */
struct pr_loop_cfg {
	struct pr_plan *plan;
	struct pr_script *script;
	struct pr_maps *maps;
	struct pr_stacks *stacks;
	struct pr_proc *procs;	       /* NULL: nobody calls proc() */
	struct pr_ksymfeed *ksymfeed; /* NULL: no BPF symbols to keep current */
	struct pr_bpfsym *bpfsym;
	struct pr_kunwind *kunwind; /* NULL: BPF does not walk user stacks */
	struct pr_python *python;   /* NULL: BPF does not read Python frames */
	struct pr_aggregate *aggregate; /* NULL: BPF counts no samples */
	uint32_t hooks; /* the plan's hook mask */
	int unwind_mode;
	const uint64_t *timer_ns; /* every() periods */
	int ntimers;
	uint64_t duration_ns; /* -d; 0 = none */
	int child_pidfd;      /* the target's pidfd, -1 = none; the loop watches it */
};

/* Sets up epoll, signals, timers and ring buffers (the plan loaded). */
int pr_loop_new(const struct pr_loop_cfg *cfg, struct pr_loop **out);
/* Runs until a stop condition; returns it. */
enum pr_stop pr_loop_run(struct pr_loop *l);
/* After the programs are detached: consumes what is left in the rings,
 * passing it to Lua only when dispatch is true (and, when bound_ns is not
 * 0, for that long at most: the rest is discarded), so the counts end
 * exact either way. */
int pr_loop_drain(struct pr_loop *l, bool dispatch, uint64_t bound_ns);
/* The current batch: arena start, bytes used; returns the record count.
 * Valid during the dispatch cycle only. */
int pr_loop_batch(struct pr_loop *l, const uint8_t **base, uint32_t *bytes);
/* Lua handed the batch's first n records to hooks (delivered; the rest
 * of the batch is discarded if the run stops before it is handed). */
void pr_loop_handed(struct pr_loop *l, uint32_t n);
/* exit() was called: the run stops after the current batch. */
void pr_loop_request_exit(struct pr_loop *l);
/* SIGINT/SIGTERM ended the run (on_end is then bounded). */
bool pr_loop_stopped_by_signal(const struct pr_loop *l);
/* What the loop counted. */
struct pr_loop_stats {
	uint64_t delivered[PR_SRC_MAX]; /* handed to a hook (or needed by nobody) */
	uint64_t discarded[PR_SRC_MAX]; /* read after the run stopped, never handed */
	uint64_t batches;
	uint64_t kstack_errors, ustack_errors;
	uint64_t bad_records;
	uint64_t verified, verify_mismatch; /* kernel_unwind="verify" */
	struct pr_unwind_stats unwind;
};

void pr_loop_stats(const struct pr_loop *l, struct pr_loop_stats *out);
void pr_loop_free(struct pr_loop *l);

#endif
