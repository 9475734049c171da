// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The one place that knows both the caches' own counters and the shape
 * Lua reads (struct pr_stats): each module reports into its own struct,
 * and this builder copies them into the FFI view. A cache never sees the
 * Lua-facing struct.
 */
#include "aggregate.h"
#include "bpfsym.h"
#include "elfsym.h"
#include "ffi.h"
#include "ksym.h"
#include "kunwind.h"
#include "loop.h"
#include "perfmap.h"
#include "plan.h"
#include "proc.h"
#include "python.h"
#include "rt.h"
#include "script.h"
#include "stacks.h"
#include "stats.h"

int pr_stats_build(const struct pr_rt *rt, struct pr_stats *out)
{
	*out = (struct pr_stats){ .unwind_mode = rt->cfg.unwind };
	if (rt->plan) {
		struct pr_src_counts c[PR_SRC_MAX] = { 0 };
		struct pr_plan_offcpu_stats off;
		struct pr_plan_probe_lost lost;
		int i;

		pr_plan_counts(rt->plan, c);
		for (i = 0; i < PR_SRC_MAX; i++) {
			out->produced[i] = c[i].produced;
			out->dropped[i] = c[i].dropped;
			out->failed[i] = c[i].failed;
		}
		out->idle_skipped = c[PR_SRC_SAMPLE].skipped;
		out->sample_spilled = c[PR_SRC_SAMPLE].spilled;
		out->probe_sampled_out = c[PR_SRC_PROBE].skipped;
		pr_plan_probe_lost(rt->plan, &lost);
		out->probe_count_lost = lost.hits;
		out->probe_stack_lost = lost.stacks;
		out->proc_untracked = pr_plan_live_lost(rt->plan);
		out->target_untracked = pr_plan_target_lost(rt->plan);
		pr_plan_offcpu_stats(rt->plan, &off);
		out->offcpu_untracked = off.untracked;
		out->offcpu_dropped_ns = off.dropped_ns;
		out->offcpu_flushes = off.flushes;
		out->offcpu_resynced = off.resynced;
	}
	if (rt->loop) {
		struct pr_loop_stats ls;
		int i;

		pr_loop_stats(rt->loop, &ls);
		for (i = 0; i < PR_SRC_MAX; i++) {
			out->delivered[i] = ls.delivered[i];
			out->discarded[i] = ls.discarded[i];
		}
		out->batches = ls.batches;
		out->kstack_errors = ls.kstack_errors;
		out->ustack_errors = ls.ustack_errors;
		out->bad_records = ls.bad_records;
		out->kunwind_verified = ls.verified;
		out->kunwind_mismatched = ls.verify_mismatch;
		out->unwind_stacks = ls.unwind.stacks;
		out->unwind_complete = ls.unwind.complete;
		out->unwind_truncated = ls.unwind.truncated;
		out->unwind_frames = ls.unwind.frames;
		out->unwind_fp_frames = ls.unwind.fp_frames;
		out->unwind_copy_bytes = ls.unwind.copy_bytes;
		for (i = 0; i < PR_UW_FAIL_MAX; i++)
			out->unwind_fail[i] = ls.unwind.fail[i];
	}
	if (rt->kunwind) {
		struct pr_kunwind_stats ks;
		int i;

		pr_kunwind_stats(rt->kunwind, &ks);
		out->kunwind_mode = rt->cfg.kernel_unwind;
		for (i = 0; i < PR_KUW_MAX; i++)
			out->kunwind_walks[i] = ks.walks[i];
		out->kunwind_frames = ks.frames;
		out->kunwind_wakes = ks.wakes;
		out->kunwind_fp_frames = ks.fp_frames;
		out->kunwind_borrowed = ks.borrowed;
		out->kunwind_binaries = ks.binaries;
		out->kunwind_rows = ks.rows;
		out->kunwind_row_budget = ks.row_budget;
		out->kunwind_rules = ks.rules;
		out->kunwind_bytes = ks.bytes;
		out->kunwind_loads = ks.loads;
		out->kunwind_evictions = ks.evictions;
		out->kunwind_procs = ks.procs;
		out->kunwind_proc_loads = ks.proc_loads;
		out->kunwind_failed = ks.failed;
	}
	if (rt->python) {
		struct pr_python_stats ps;

		pr_python_stats(rt->python, &ps);
		out->python_processes = ps.processes;
		out->python_checked = ps.checked;
		out->python_unsupported = ps.unsupported;
		out->python_stacks = ps.stacks;
		out->python_frames = ps.frames;
		out->python_unnamed = ps.unnamed;
		out->python_reread = ps.reread;
		out->python_cut = ps.cut;
		out->python_no_thread = ps.no_thread;
		out->python_faults = ps.faults;
		out->python_unpaired = ps.unpaired;
		out->python_functions = ps.functions;
		out->python_code_objects = ps.code_objects;
		out->python_bytes = ps.bytes;
		out->python_bpf_walks = ps.bpf_walks;
		out->python_bpf_walk_ns = ps.bpf_walk_ns;
		out->python_bpf_walk_frames = ps.bpf_walk_frames;
	}
	if (rt->aggregate) {
		struct pr_aggregate_stats as;

		pr_aggregate_stats(rt->aggregate, &as);
		out->agg_counted = as.counted;
		out->agg_collisions = as.collisions;
		out->agg_counts_full = as.counts_full;
		out->agg_stacks_full = as.stacks_full;
		out->agg_records = as.records;
		out->agg_stack_misses = as.stack_misses;
		out->agg_stack_reads = as.stack_reads;
		out->agg_stacks_received = as.stacks_received;
		out->agg_stacks_unsent = as.stacks_unsent;
		out->agg_stack_deletes = as.stack_deletes;
	}
	if (rt->stacks) {
		out->stacks = pr_stacks_count(rt->stacks);
		out->stacks_full = pr_stacks_full(rt->stacks);
		out->stack_frames = pr_stacks_nframes(rt->stacks);
		out->stack_bytes = pr_stacks_bytes(rt->stacks);
		out->stacks_forgotten = pr_stacks_forgotten(rt->stacks);
		out->stack_restarts = pr_stacks_restarts(rt->stacks);
		out->stack_stale = pr_stacks_stale_lookups(rt->stacks);
	}
	if (rt->ksym) {
		out->ksyms = pr_ksym_count(rt->ksym);
		out->ksym_reads = pr_ksym_reads(rt->ksym);
		out->ksym_parse_ns = pr_ksym_parse_ns(rt->ksym);
	}
	if (rt->bpfsym) {
		out->bpf_symbols = pr_bpfsym_count(rt->bpfsym);
		out->bpf_updates = pr_bpfsym_updates(rt->bpfsym);
		out->bpf_resyncs = pr_bpfsym_resyncs(rt->bpfsym);
	}
	if (rt->bins) {
		struct pr_elfsym_stats es;

		pr_elfsyms_stats(rt->bins, &es);
		out->binaries = es.binaries;
		out->elf_negative = es.negative;
		out->elf_parses = es.parses;
		out->elf_hits = es.hits;
		out->elf_misses = es.misses;
		out->elf_bytes = es.bytes;
		out->elf_unloads = es.unloads;
		out->elf_ranges = es.ranges;
		out->elf_lines = es.lines;
		out->elf_inlined = es.inlined;
		out->dwarf_bytes = es.dwarf_bytes;
		out->dwarf_evictions = es.dwarf_evictions;
		out->dwarf_cache_hits = es.dwarf_cache_hits;
		out->dwarf_cache_builds = es.dwarf_cache_builds;
		out->dwarf_cache_refused = es.dwarf_cache_refused;
		out->dwarf_cache_rebuilds = es.dwarf_cache_rebuilds;
		out->dwarf_cache_pruned = es.dwarf_cache_pruned;
		out->di_requests = es.di_requests;
		out->di_fetched = es.di_fetched;
		out->di_cached = es.di_cached;
		out->di_not_found = es.di_not_found;
		out->di_failed = es.di_failed;
		out->di_bytes = es.di_bytes;
		out->di_pending = es.di_pending;
		out->unwind_tables = es.cfi_tables;
		out->unwind_no_tables = es.cfi_none;
		out->unwind_table_bytes = es.cfi_bytes;
		out->unwind_evictions = es.cfi_evictions;
		out->unwind_budget = es.cfi_budget;
	}
	if (rt->procs) {
		struct pr_proc_stats ps;

		pr_proc_stats(rt->procs, &ps);
		out->proc_size = ps.size;
		out->proc_capacity = ps.capacity;
		out->proc_hits = ps.hits;
		out->proc_misses = ps.misses;
		out->proc_evictions = ps.evictions;
		out->proc_exited_evictions = ps.exited_evictions;
		out->proc_reloads = ps.reloads;
		out->proc_seeded = ps.seeded;
		out->proc_gone = ps.gone;
	}
	if (rt->script) {
		pr_script_heap(rt->script, &out->lua_bytes, &out->lua_limit);
		out->hook_errors = pr_script_errors(rt->script);
	}
	if (rt->perfmaps)
		out->elf_perfmap_untrusted = pr_perfmaps_untrusted(rt->perfmaps);
	return 0;
}
