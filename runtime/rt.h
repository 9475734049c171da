/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The run context: what one run of profrun owns, wired by main. Lua holds
 * a pointer to it (passed once at start, kept in the registry) and hands it
 * back to every pr_ffi_* call; no binding reads a C global.
 */
#ifndef PR_RT_H
#define PR_RT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "loop.h"
#include "plan.h"


struct pr_opts;
struct pr_script;
struct pr_loop;
struct pr_ksym;
struct pr_elfsyms;
struct pr_maps;
struct pr_stacks;
struct pr_perfmaps;
struct pr_bpfsym;
struct pr_ksymfeed;
struct pr_proc;
struct pr_kunwind;
struct pr_python;
struct pr_aggregate;
struct pr_cgroup;
struct pr_target;

struct pr_rt {
	const struct pr_opts *opts;
	struct pr_plan_cfg cfg; /* filled by the script's setup, then the CLI */
	bool setup_done;	/* configuration calls are refused after setup */
	uint32_t target_pid;	/* -p or the -c command's pid; 0 = none */
	uint32_t sample_pid;	/* sample{pid=}: the target when -p and -c are not given */
	struct pr_target *target; /* what every source is filtered to */
	uint64_t timer_ns[PR_LOOP_MAX_TIMERS];
	int ntimers;
	bool exit_requested; /* exit() was called */
	int exit_code;
	bool target_exited;	/* the -c command ended; target_status is its wait status */
	int target_status;
	struct pr_script *script;
	struct pr_plan *plan;
	struct pr_loop *loop;
	struct pr_ksym *ksym;
	struct pr_elfsyms *bins;
	struct pr_debuginfod *debuginfod; /* NULL: no servers, or --no-debuginfod */
	struct pr_maps *maps;
	struct pr_stacks *stacks;
	struct pr_perfmaps *perfmaps;
	struct pr_bpfsym *bpfsym;     /* BPF program symbols, when sampling kernel stacks */
	struct pr_ksymfeed *ksymfeed; /* keeps bpfsym current */
	struct pr_cgroup *cgroups;
	struct pr_proc *procs;
	struct pr_kunwind *kunwind; /* the in-kernel unwinder's tables; NULL: off */
	struct pr_python *python;   /* Python processes and frames; NULL: off */
	struct pr_aggregate *aggregate; /* samples counted in BPF; NULL: none */
	uint32_t proc_capacity; /* proc_cache{capacity=}; 0 = default */
	uint32_t stacks_recent; /* stacks{keep="recent"}: pr_stacks_opts.recent; 0 = keep all */
	uint32_t nprobes;	/* probe() calls so far: the next one's index */
	struct pr_elfsyms *probe_syms; /* the binaries probe() read, shared by its calls */
	char errbuf[1024];	/* the text of the last configuration error */
};

#endif
