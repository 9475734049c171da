/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The in-kernel unwinder's tables (bpf/kunwind.bpf.h walks them): loads
 * the unwind rows of the binaries a process maps into BPF maps, once per
 * binary, shared by every process that maps it, and the process's entry
 * that points its mappings at them.
 *
 * Work arrives from BPF: a sample that finds no usable entry for its
 * process (or a pc outside the mappings it knows) leaves a request, and
 * its stack is copied and unwound in user space as before. Each tick
 * serves the requests, so a process is walked in the kernel from about
 * one poll interval after its first sample.
 *
 * Rows are compacted on the way (a dictionary of distinct rules plus
 * (offset, rule index) rows: 8 bytes a row instead of 16) into one array
 * of a fixed budget; when it is full, the binaries least recently needed
 * by a load are evicted, the processes that used them forget their
 * entries (their next sample asks again), and the freed rows are reused
 * one tick later, after any walk still reading them has ended.
 */
#ifndef PR_KUNWIND_H
#define PR_KUNWIND_H

#include <stdint.h>
#include "events.h"
#include "maps.h"

struct pr_kunwind;

struct pr_kunwind_fds {
	int procs, pending, rows, rules, counts;
	uint32_t max_rows; /* the rows map's entries */
};

struct pr_kunwind_stats {
	uint64_t walks[PR_KUW_MAX]; /* sample walks, by how they ended */
	uint64_t frames;	    /* frames of the complete ones */
	uint64_t wakes;		    /* samples that woke the runtime to load tables */
	uint64_t fp_frames;	    /* frames walked by frame pointer (code without unwind info) */
	uint64_t borrowed;	    /* complete walks of forks with their parent's entry */
	uint64_t binaries;	    /* binaries whose rows are loaded now */
	uint64_t rows, row_budget;  /* rows loaded now, rows the map holds */
	uint64_t rules;		    /* distinct rules */
	uint64_t bytes;		    /* map memory the tables use */
	uint64_t loads, evictions;  /* binaries loaded, evicted */
	uint64_t procs;		    /* process entries now */
	uint64_t proc_loads;	    /* process entries written */
	uint64_t failed;	    /* binaries or entries that could not be loaded */
};

int pr_kunwind_new(const struct pr_kunwind_fds *fds, struct pr_maps *maps,
		   struct pr_kunwind **out);
/* The maps' fds once they exist: pr_sample's followers create those
 * only they use after the first samples (fds < 0 until then: no walk
 * can have asked for anything). */
void pr_kunwind_set_fds(struct pr_kunwind *k, const struct pr_kunwind_fds *fds);
/* Serves the requests BPF left (at most every few milliseconds). */
void pr_kunwind_tick(struct pr_kunwind *k);
/* The binary of a table number BPF placed a frame by (PR_UFRAME), or
 * NULL. */
struct pr_elfsym *pr_kunwind_table_bin(const struct pr_kunwind *k, uint32_t table);
void pr_kunwind_stats(const struct pr_kunwind *k, struct pr_kunwind_stats *out);
void pr_kunwind_free(struct pr_kunwind *k);

#endif
