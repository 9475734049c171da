/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * From hooks to BPF: which programs a script's hooks need (the provider
 * table says), loaded and attached one object at a time in a fixed order
 * (process lifecycle before samplers), and nothing a hook did not ask for. The plan is the layer
 * that knows which hook wanted what, so it prints the one error message a
 * failed load deserves.
 */
#ifndef PR_PLAN_H
#define PR_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ffi_types.h"
#include "target.h"

#include <linux/types.h>
#include "events.h"
#include "ffi_types.h"

/* One attachment of a probe() (a glob makes several). */
struct pr_probe_attach {
	const char *prog; /* the program of bpf/probe.bpf.c that serves it */
	char *path;	 /* the binary, as the runtime opens it; kernel: the function */
	uint64_t foff;	 /* file offset of the function (+OFF); kernel: +OFF */
	uint32_t cookie; /* enum in events.h: probe index, match, STAMP */
	char *func;	 /* what matched: the function (u:, k:), provider:name (usdt:) */
	int32_t pid;	 /* probe{pid=}: attached for that process only; -1: any */
	char *event;	 /* a tracepoint: its name (path is its category); usdt: name */
	char *provider;	 /* usdt: the probe's provider (path is the binary) */
	struct pr_probe_config conf; /* the probe's options (every attachment has them) */
	struct pr_tp_config tp; /* a tracepoint: what of its record to send */
	struct pr_tp_field *fields; /* a tracepoint: its record's fields */
	uint32_t nfields;
};

struct pr_plan_cfg {
	uint32_t hooks;		 /* PR_HOOK_BIT(provider) | PR_HOOK_PROC */
	uint32_t hz;		 /* sampling frequency per CPU */
	bool user, kernel, idle; /* which stacks, whether to sample idle */
	uint32_t sample_buffer;	 /* ring buffer bytes */
	int unwind;		 /* enum pr_unwind_mode */
	uint32_t stack_bytes;	 /* user stack bytes copied per sample (not "fp") */
	uint32_t unwind_tables;	 /* unwind table budget in bytes; 0 = the default */
	int kernel_unwind;	 /* enum pr_kunwind_mode (with a copy: not "fp") */
	uint32_t kernel_tables;	 /* bytes of rows the in-kernel unwinder may load */
	uint32_t aggregate;	 /* counts per slot when BPF counts whole stacks
				  * (sample{aggregate}; PR_AGG_AUTO: sized from
				  * CPUs x Hz); 0: every sample is a record */
	bool python;		 /* read Python frames (sample{python}) */
	bool python_timing;	 /* ... and time the walks ($PROFRUN_PYTHON_TIMING) */
	uint32_t life_buffer;
	struct {
		uint64_t min_ns, max_ns; /* intervals sent one by one; max 0: no bound */
		bool user, waker;	 /* take user stacks; track wakers */
		uint32_t buffer;	 /* ring buffer bytes */
		uint32_t kstacks;	 /* kernel stack map entries */
	} offcpu;
	struct {
		struct pr_probe_attach *v;
		size_t n;
		uint32_t buffer; /* ring buffer bytes */
	} probes;
	struct pr_target_bpf target; /* the filter every program applies */
	const char *btf_path; /* kernel BTF override; NULL = the running kernel's */
	bool btf_minimal;     /* btf_path is the minimal BTF cache: cheap to open again */
	/* runs once, on the caller's thread, while the objects load and
	 * before the first late object (the samplers, off-CPU) attaches */
	int (*before_late)(void *ctx);
	void *ctx;
};

struct pr_plan;
struct pr_kunwind_fds;
struct pr_agg_fds;

int pr_plan_new(struct pr_plan **out);
/* Whether cfg has BPF walk user stacks (kernel_unwind on, with a copy). */
bool pr_plan_kernel_unwinds(const struct pr_plan_cfg *cfg);
/* The maps of samples counted in BPF, once loaded; -ENOENT without
 * sample{aggregate}. */
int pr_plan_agg_fds(const struct pr_plan *p, struct pr_agg_fds *out);
/* The in-kernel unwinder's maps, once loaded; -ENOENT when it is off. */
int pr_plan_kunwind_fds(const struct pr_plan *p, struct pr_kunwind_fds *out);
/* The maps of Python processes' entries and requests of each loaded
 * object that reads Python frames (samples, probes), at most max: how
 * many. */
int pr_plan_python_fds(const struct pr_plan *p, int *procs, int *pending, int max);
/* The samples' walk timing map ($PROFRUN_PYTHON_TIMING), or -ENOENT. */
int pr_plan_python_cost_fd(const struct pr_plan *p);
/* Checks the provider table against the BPF objects (opened, never
 * loaded): every program a provider or cache names is in its object,
 * with its ring. 0, or -errno with why. */
int pr_plan_check_table(char *why, size_t len);
/* Opens, configures, loads and attaches what cfg->hooks need, in two
 * halves: _start opens, configures and loads on a thread (cfg is copied;
 * the verifier's work is most of a start), so the caller makes its caches
 * meanwhile; _finish waits for it and attaches. On failure _finish has
 * printed what failed, why and what to do, detached what was attached,
 * and returns -errno. */
int pr_plan_load_start(struct pr_plan *p, const struct pr_plan_cfg *cfg);
int pr_plan_load_finish(struct pr_plan *p);
/* Ring buffer map which (0, or 1 for the second one some objects have)
 * of BPF object o (enum pr_object; -1 when not loaded or none), in
 * dispatch order; *batched when its records wake the reader only in
 * batches, so it must be polled on a timer too. */
int pr_plan_ring(const struct pr_plan *p, int object, int which, bool *batched);
/* The exact start (CLOCK_BOOTTIME ns) of the process holding pid now, from
 * the live table the lifecycle programs keep while proc() is in use: 0,
 * -ENOENT when no process that started or exec'd since they attached holds
 * it, -EAGAIN when the table cannot tell (it was full once, or the
 * programs are detached), -EOPNOTSUPP when there is no table. */
int pr_plan_live_start(const struct pr_plan *p, uint32_t pid, uint64_t *start_ns);
/* Descendants the followed set could not take because it was full. */
uint64_t pr_plan_target_lost(const struct pr_plan *p);
/* Processes the live table could not take because it was full. */
uint64_t pr_plan_live_lost(const struct pr_plan *p);
/* Detaches every program; maps stay readable for draining and counters.
 * What BPF still held back (off-CPU sums, records waiting for a user
 * stack) is sent to the rings first. */
void pr_plan_detach(struct pr_plan *p);
/* Called by the loop every cycle: at most once a second, sends what BPF
 * holds back (off-CPU sums) to the rings. */
/* true when pr_sample's followers loaded in this tick: the maps only they
 * use exist from now on (pr_plan_kunwind_fds, pr_plan_python_fds) */
bool pr_plan_tick(struct pr_plan *p);
/* The kernel stack stored under id in object obj's stack map: its frame
 * count (0 when unknown), leaf first, into ips[PR_MAX_FRAMES]. */
int pr_plan_kstack(void *plan, int obj, int32_t id, uint64_t *ips);
/* glue(ctx, addr): whether a kernel frame belongs to the program or the
 * tracepoint that called it; pr_plan_kstack drops those at the leaf. */
void pr_plan_set_kglue(struct pr_plan *p, bool (*glue)(void *ctx, uint64_t addr), void *ctx);
/* count_only: calls fn for each count of probe number probe (keys in
 * events.h; stack ids for pr_plan_kstack(PR_OBJ_PROBE)); lost gets what
 * the maps could not hold. fn's non-zero return stops the walk. */
#define PR_PROBE_COUNT_KEYS 65536
#define PR_PROBE_STACK_IDS 8192
struct pr_plan_probe_lost {
	uint64_t hits;	 /* hits the counts map had no room for */
	uint64_t stacks; /* stacks lost to a full or colliding stack map */
};
/* The ELF bytes of every BPF object profrun may load (for the minimal
 * BTF cache); returns how many, at most max. */
struct pr_btf_object;
size_t pr_plan_objects(struct pr_btf_object *out, size_t max);
/* stack = true: tells BPF where pid's main-thread stack ends (once per
 * pid; /proc/PID/stat), so its copies stop there. */
void pr_plan_probe_stack_top(void *plan, uint32_t pid);
void pr_plan_probe_lost(const struct pr_plan *p, struct pr_plan_probe_lost *lost);
int pr_plan_probe_counts(struct pr_plan *p, uint32_t probe,
			 int (*fn)(void *ctx, const struct pr_probe_count_key *k, uint64_t n),
			 void *ctx, struct pr_plan_probe_lost *lost);
/* Off-CPU accounting BPF keeps besides the record counts. */
struct pr_plan_offcpu_stats {
	uint64_t untracked;  /* switches whose thread got no task storage */
	uint64_t dropped_ns; /* time in records the ring could not take */
	uint64_t flushes;    /* runs of the flush program */
	uint64_t resynced;   /* returns to the CPU found late (bpf/offcpu.bpf.c) */
};
void pr_plan_offcpu_stats(const struct pr_plan *p, struct pr_plan_offcpu_stats *out);
/* Adds BPF's counters per source into out[PR_SRC_MAX]. */
int pr_plan_counts(const struct pr_plan *p, struct pr_src_counts *out);
void pr_plan_free(struct pr_plan *p);

#endif
