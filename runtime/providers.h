/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Event sources as data. Each provider says which BPF programs it needs
 * (in attach order) and in which object they live, which record it sends
 * and how big one must be, how a record becomes the arena record Lua
 * reads, which Lua hook it serves and which caches it feeds. plan.c,
 * loop.c, the stats and the Lua dispatcher walk this table; none of them
 * names a source. A provider's index is its enum pr_source: its slot in
 * the BPF counters and stats(), and its hook bit.
 *
 * Adding a source: a record in bpf/events.h (and its pr_source slot), a
 * BPF program, a descriptor here, a view in lua/profrun/event.lua.
 */
#ifndef PR_PROVIDERS_H
#define PR_PROVIDERS_H

#include <stddef.h>
#include <stdint.h>
#include "ffi_types.h"

/* The bit of hook mask (enum pr_hook) that says provider src is wanted. */
#define PR_HOOK_BIT(src) (1u << (src))

/* Programs one provider may have, at most. */
#define PR_PROVIDER_PROGS 5

/* The BPF objects programs live in, in load order: the lifecycle before
 * the samplers, so a process's exec is known before its samples. */
enum pr_object {
	PR_OBJ_LIFECYCLE,
	PR_OBJ_SAMPLE,
	PR_OBJ_OFFCPU,
	PR_OBJ_PROBE,
	PR_OBJ_MAX,
};

/* What a provider's records feed besides its hook. */
enum pr_provider_needs {
	PR_FEEDS_PROC = 1,   /* the process cache follows its records (proc()) */
	PR_FEEDS_MAPS = 2,   /* an exec invalidates the memory maps of its pid */
	PR_NEEDS_STACKS = 4, /* records carry stacks: interned, symbolized on demand */
};

struct pr_proc;

struct pr_take;

struct pr_provider {
	const char *name; /* "exec": its stats() key and its Lua view */
	const char *hook; /* "on_exec"; NULL for a program only a cache needs */
	const char *what; /* "exec events": what the end-of-run summary counts */
	const char *hint; /* what to do when its ring overflows */
	enum pr_object object;
	const char *progs[PR_PROVIDER_PROGS]; /* in attach order, NULL-terminated */
	const char *kind;     /* where they attach: for messages */
	uint32_t rank;	      /* attach order within its object, lowest first */
	uint32_t wanted_by;   /* hook-mask bits besides its own hook that load it */
	uint32_t record;      /* the ring record type it sends */
	uint32_t counted;     /* the record of what BPF counted instead (0: none) */
	uint32_t min_size;    /* bytes such a record has at least */
	uint32_t view;	      /* the arena record type Lua gets (may be record) */
	uint32_t needs;	      /* enum pr_provider_needs */
	/* Turns one ring record of len bytes (>= min_size) into its arena
	 * record: 0 when taken, -EINVAL when malformed (a bad record). */
	int (*take)(struct pr_take *t, const void *rec, size_t len);
	/* Brings the process cache up to date with one arena record, right
	 * before the record is handed to its hook (PR_FEEDS_PROC). */
	void (*feed_proc)(struct pr_proc *procs, const void *view);
};

struct pr_stacks;
struct pr_maps;
struct pr_unwind_stats;
struct pr_user_frame;

/* What a provider's take() may use: the loop fills it once. */
struct pr_take {
	void *(*put)(void *loop, uint32_t size); /* arena space for one record */
	void *loop;
	struct pr_stacks *stacks;
	struct pr_maps *maps;
	int unwind_mode;
	struct pr_unwind_stats *unwind;
	uint64_t *ustack; /* PR_MAX_FRAMES scratch frames */
	struct pr_user_frame *uframes; /* where each of them lies */
	struct pr_python *python;      /* names Python frames; NULL: none are read */
	struct pr_user_frame *merged;  /* PR_STACK_FRAMES scratch: with Python frames */
	uint64_t kstack_errors, ustack_errors;
	/* kernel_unwind="verify": stacks both unwinders walked, and how
	 * many of them differ */
	uint64_t verified, verify_mismatch;
	/* The kernel stack stored under id in the BPF stack map of object
	 * obj: its frame count (0 when unknown), the frames in ips. */
	int (*kstack)(void *plan, int obj, int32_t id, uint64_t *ips);
	/* a probe's stacked hit of pid: BPF may learn where its stack ends */
	void (*stack_top)(void *plan, uint32_t pid);
	void *plan;
	uint64_t kframes[PR_MAX_FRAMES]; /* scratch for kstack() */
};

/* The providers; the index of each is its enum pr_source. */
extern const struct pr_provider pr_providers[PR_SRC_MAX];

/* The provider whose ring records (or arena views) are of type t; NULL
 * for an unknown type. */
const struct pr_provider *pr_provider_by_record(uint32_t t);
const struct pr_provider *pr_provider_by_view(uint32_t t);
static inline int pr_provider_source(const struct pr_provider *p)
{
	return (int)(p - pr_providers);
}

/* Programs that serve no Lua hook but a cache or the target filter:
 * proc() needs every new process in the live table even without on_fork;
 * -p/-c need the followed set kept without on_fork and on_exit. */
struct pr_cache_prog {
	uint32_t need;	     /* the hook-mask bit that wants it (PR_HOOK_PROC) */
	const char *who;     /* what to name when it fails: "proc()" */
	enum pr_object object;
	const char *prog;
	const char *kind;
	uint32_t rank;	     /* attach order within its object, as pr_provider's */
	int unless;	     /* a provider that does its job when loaded; -1: none */
};

extern const struct pr_cache_prog pr_cache_progs[];
extern const size_t pr_n_cache_progs;

#endif
