/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Stack interning. A sample's stack is stored once and named by a small
 * integer id. User frames are normalized to (binary, file offset) when the
 * stack is interned, while the process is alive, so the same code in two
 * processes interns to one id and a stack symbolizes after its process
 * exited. Symbolization happens only when frames are asked for.
 */
#ifndef PR_STACKS_H
#define PR_STACKS_H

#include <stdint.h>
#include "ffi_types.h"
#include "ksym.h"
#include "bpfsym.h"
#include "maps.h"
#include "perfmap.h"
#include "python.h"

struct pr_stacks;

struct pr_stacks_opts {
	struct pr_ksym *ksym;
	struct pr_maps *maps;
	struct pr_elfsyms *bins;      /* released before each request; may be NULL */
	struct pr_perfmaps *perfmaps; /* JIT names; may be NULL */
	struct pr_bpfsym *bpfsym;     /* BPF program names; may be NULL */
	uint32_t max_stacks;	      /* 0: default (1 Mi) */
	uint32_t max_frames;	      /* frames of all stacks together; 0: default (2 Mi) */
	bool no_inline;		      /* one frame per address (source lines stay) */
	uint32_t recent;	      /* 0: every stack kept for the run; N: see pr_stacks_end_cycle */
};

int pr_stacks_new(const struct pr_stacks_opts *o, struct pr_stacks **out);
void pr_stacks_free(struct pr_stacks *st);

/* Interns kernel frames k[0..nk) and user frames u[0..nu) of pid, taken
 * at time (CLOCK_MONOTONIC ns; 0 = now), leaf first. Returns the stack id (>= 1), 0 when the table is full, or for an
 * empty stack. */
uint32_t pr_stacks_intern(struct pr_stacks *st, uint32_t pid, uint64_t time, const uint64_t *k,
			  uint32_t nk, const uint64_t *u, uint32_t nu);
/* The same for user frames already placed (by the unwinder, which
 * looked each one up already): no second look in the maps. */
uint32_t pr_stacks_intern_frames(struct pr_stacks *st, uint32_t pid, const uint64_t *k,
				 uint32_t nk, const struct pr_user_frame *u, uint32_t nu);
/* Fills out[0..max) (max PR_STACK_FRAMES holds any) with the frames of
 * stack id, leaf first (kernel frames first). Returns the number of frames, or -ENOENT. Strings in out live
 * until profrun exits. */
int pr_stacks_frames(struct pr_stacks *st, uint32_t id, struct pr_frame *out, int max);
/* The pid of the first sample that interned this stack, or -ENOENT. */
int pr_stacks_pid(struct pr_stacks *st, uint32_t id);
/* Fills f for a user address of a live pid; 0 or -ENOENT. */
int pr_stacks_usym(struct pr_stacks *st, uint32_t pid, uint64_t addr, struct pr_frame *f);
/* Fills f for a kernel address; 0 or -ENOENT. */
int pr_stacks_ksym(struct pr_stacks *st, uint64_t addr, struct pr_frame *f);
/* Stacks held now. */
uint64_t pr_stacks_count(const struct pr_stacks *st);
/* A dispatch cycle is over: no id handed out is in flight. With
 * opts.recent N, a table holding N stacks or more starts over (its memory
 * kept for the next ones): the ids given so far name nothing any more
 * (-ENOENT) and are never handed out again, so a script that reads a
 * stack only while its event is handled runs in bounded memory however
 * long it runs. */
void pr_stacks_end_cycle(struct pr_stacks *st);
/* Stacks dropped by starting over; times it started over; lookups of an
 * id dropped so (a script that kept an id past its cycle). */
uint64_t pr_stacks_forgotten(const struct pr_stacks *st);
uint64_t pr_stacks_restarts(const struct pr_stacks *st);
uint64_t pr_stacks_stale_lookups(const struct pr_stacks *st);
/* Names kernel frames inside BPF programs from bs from now on. */
void pr_stacks_set_bpfsym(struct pr_stacks *st, struct pr_bpfsym *bs);
uint64_t pr_stacks_full(const struct pr_stacks *st);
/* Stacks pr_stacks_intern found in its memo of raw stacks (nothing
 * placed or hashed again). */
uint64_t pr_stacks_memo_hits(const struct pr_stacks *st);
/* Frames held (a frame stacks share counts once), and the table's bytes. */
uint64_t pr_stacks_nframes(const struct pr_stacks *st);
uint64_t pr_stacks_bytes(const struct pr_stacks *st);
/* Names Python frames (pr_user_frame.py) from py from now on. */
void pr_stacks_set_python(struct pr_stacks *st, struct pr_python *py);

#endif
