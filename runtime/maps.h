/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-process executable memory maps, from /proc/PID/maps, turning a user
 * address into (binary, file offset) while the process is alive so that
 * its stacks still symbolize after it exited. Cached per PID; an exec or
 * an exit of the PID drops its entry (pr_maps_forget).
 */
#ifndef PR_MAPS_H
#define PR_MAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "elfsym.h"

struct pr_maps;

/* A user address as it was resolved while its process was alive: the
 * binary and file offset it lies at (bin NULL: anonymous memory or
 * unmapped), so it can be named after the process is gone. */
struct pr_user_frame {
	uint64_t addr;
	struct pr_elfsym *bin;
	uint64_t foff;
	uint32_t py; /* a Python frame (python.h's id): no address, no binary */
	uint32_t pad;
};

struct pr_map_range {
	uint64_t start, end, offset;
	dev_t dev;
	ino_t ino;
	const char *path; /* points into the parsed line */
	int exec;	  /* the range is executable (file-backed or not) */
};

int pr_maps_new(struct pr_elfsyms *bins, struct pr_maps **out);
void pr_maps_free(struct pr_maps *m);

/* Parses one /proc/PID/maps line in place. Returns 1 for an executable
 * file-backed range, 0 for any other valid line, -EINVAL for garbage. */
int pr_maps_parse_line(char *line, struct pr_map_range *out);

/* The binary mapped at addr in pid at time (CLOCK_MONOTONIC ns of the
 * sample; 0 = now) and the file offset of addr in it; NULL for anonymous
 * memory, unknown processes and unreadable files. */
struct pr_elfsym *pr_maps_normalize(struct pr_maps *m, uint32_t pid, uint64_t addr,
				    uint64_t time, uint64_t *foff);
/* addr of pid at time as a user frame: placed by pr_maps_normalize, or,
 * for a frame BPF placed itself (PR_UFRAME: a process it walked with no
 * entry), by table_bin below. */
struct pr_user_frame pr_maps_place(struct pr_maps *m, uint32_t pid, uint64_t addr,
				   uint64_t time);
/* The same, and *mapped tells an executable mapping (file-backed or
 * anonymous) from no mapping at all. A miss reads the maps again, at most
 * every millisecond when sure (a sampled pc, a return address from an
 * unwind row), every 100 ms when not (one found by frame pointer may be
 * garbage, and a broken stack must not cost a maps read per sample). */
struct pr_elfsym *pr_maps_find(struct pr_maps *m, uint32_t pid, uint64_t addr, uint64_t time,
			       bool sure, uint64_t *foff, bool *mapped);
/* True when pid's maps could not be read: it exited before we looked. */
bool pr_maps_unreadable(struct pr_maps *m, uint32_t pid);
/* pid exec'd at time: samples taken before still use the old image, the
 * first sample after it reads the new maps. */
void pr_maps_on_exec(struct pr_maps *m, uint32_t pid, uint64_t time);
/* Reads pid's maps and opens its binaries now, while it is alive: a
 * process watched from before the run (-p) may exit before its first
 * stack is resolved. */
void pr_maps_preload(struct pr_maps *m, uint32_t pid);
/* Calls fn for each executable range of pid in address order: its
 * addresses, the file offset of start, and its binary (NULL: anonymous
 * code or a file that cannot be opened; the vDSO's offsets are into its
 * mapping). The maps are read again first unless read at or after
 * not_before (CLOCK_MONOTONIC ns). Returns how many ranges, or -ESRCH
 * when pid's maps cannot be read. */
int pr_maps_each_exec(struct pr_maps *m, uint32_t pid, uint64_t not_before,
		      void (*fn)(void *ctx, uint64_t start, uint64_t end, uint64_t offset,
				 struct pr_elfsym *bin),
		      void *ctx);
/* The binary behind a table number of a PR_UFRAME frame (kunwind.h's
 * pr_kunwind_table_bin): set when BPF walks stacks. */
void pr_maps_set_table_bin(struct pr_maps *m,
			   struct pr_elfsym *(*table_bin)(const void *ctx, uint32_t table),
			   const void *ctx);
/* Forgets pid's maps (the process is gone). */
void pr_maps_forget(struct pr_maps *m, uint32_t pid);
/* Changes whenever what any process's address places in could change
 * (its maps read again, forgotten, an exec seen): a placement remembered
 * with the same value still holds. */
uint64_t pr_maps_gen(const struct pr_maps *m);
/* Whether pid's maps were read before an exec seen since: its samples
 * before the exec still place in them, those after it in the new ones. */
bool pr_maps_exec_pending(const struct pr_maps *m, uint32_t pid);
/* Processes cached now. */
size_t pr_maps_count(const struct pr_maps *m);

#endif
