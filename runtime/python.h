/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Python frames: which processes run a CPython this runtime can read
 * (it tells BPF, bpf/python.bpf.h), what the (code object, instruction)
 * pairs BPF read at a sample are called (function, file, line), and where
 * they go in the native stack.
 *
 * Work arrives from BPF: a sample of a process with no current entry
 * leaves a request; each tick looks at those processes' executable
 * mappings for a binary that exports _PyRuntime and Py_Version (the
 * python3.11 executable, or libpython3.11.so), and answers with the
 * interpreter's addresses and the offsets of its version (a table per
 * version, checked against python3.11-dbg's DWARF by a test), or with
 * "not Python". A version without a table is said once and never
 * guessed at: those processes keep their native frames.
 *
 * Code objects are read from the process's memory when a sample that
 * names them is taken, while the process is alive, and kept per
 * (process, address). BPF tags each frame with the code object's first
 * line and the addresses of its name and file strings; an entry whose tag
 * differs from the sample's is read again: a code object freed and its
 * address reused by another function never keeps the old name.
 */
#ifndef PR_PYTHON_H
#define PR_PYTHON_H

#include <linux/types.h>
#include <stdint.h>
#include "events.h"
#include "maps.h"

struct pr_python;

/* BPF objects that read Python frames: samples, probes */
#define PR_PY_OBJECTS 2

struct pr_python_opts {
	/* bpf/python.bpf.h's maps, in each object that reads frames: every
	 * entry is written to each */
	int procs_fd[PR_PY_OBJECTS], pending_fd[PR_PY_OBJECTS];
	int nmaps;
	int cost_fd; /* the walks' timing ($PROFRUN_PYTHON_TIMING); < 0: off */
	struct pr_maps *maps;
	uint64_t max_bytes; /* code object caches, all processes; 0 = 32 MiB */
};

struct pr_python_stats {
	uint64_t processes;   /* Python processes being read now */
	uint64_t checked;     /* processes looked at */
	uint64_t unsupported; /* processes of a Python version without offsets */
	uint64_t stacks;      /* samples with Python frames */
	uint64_t frames;      /* Python frames placed in stacks */
	uint64_t unnamed;     /* of those, code objects that could not be read */
	uint64_t reread;      /* code objects read again: their tag changed */
	uint64_t cut;	      /* chains cut at PR_PY_MAX_FRAMES */
	uint64_t no_thread;   /* samples of a Python process, a thread without state */
	uint64_t faults;      /* chains that ended on a failed read */
	uint64_t unpaired;    /* samples whose interpreter runs did not pair with
			       * the native eval frames (placed at the root end) */
	uint64_t functions;   /* distinct (function, file, line) */
	uint64_t code_objects; /* cached now */
	uint64_t bytes;	       /* their memory */
	/* $PROFRUN_PYTHON_TIMING: the walks BPF timed, their ns and frames */
	uint64_t bpf_walks, bpf_walk_ns, bpf_walk_frames;
};

int pr_python_new(const struct pr_python_opts *o, struct pr_python **out);
/* The maps' fds once they exist (o->nmaps of them, as pr_python_new
 * took): pr_sample's are created after the first samples, < 0 until
 * then (nothing of that object asks before). */
void pr_python_set_fds(struct pr_python *py, const int *procs, const int *pending, int n);
void pr_python_free(struct pr_python *py);
/* Answers the requests BPF left. */
void pr_python_tick(struct pr_python *py);
/*
 * The user stack of a sample of pid with its Python frames: nat[0..nnat)
 * are its native frames, placed, leaf first; pf[0..npf) the Python frames
 * BPF read (flags: PR_PYF_*). Each native _PyEval_EvalFrameDefault frame
 * is replaced by the Python frames it was running, and the interpreter's
 * own frames between two of them (its call machinery) are left out.
 * Writes at most max frames to out; returns how many.
 */
uint32_t pr_python_merge(struct pr_python *py, uint32_t pid, const struct pr_py_frame *pf,
			 uint32_t npf, uint32_t flags, const struct pr_user_frame *nat,
			 uint32_t nnat, struct pr_user_frame *out, uint32_t max);
/* The Python frame id (pr_user_frame.py): its function (qualified name),
 * file and line; returns enum pr_frame_kind (PR_FRAME_PYTHON, or
 * PR_FRAME_CUT for the marker of a chain cut at the bound), -ENOENT for an
 * unknown id. The strings live as long as py. */
int pr_python_frame(const struct pr_python *py, uint32_t id, const char **name,
		    const char **file, uint32_t *line);
void pr_python_stats(const struct pr_python *py, struct pr_python_stats *out);

/* Offsets of a Python version's structures (and of _PyRuntime's
 * interpreters.head, of string and bytes objects' data), or NULL when
 * profrun has none for major.minor. */
struct pr_python_layout {
	uint32_t major, minor;
	uint32_t runtime_interp_head;
	struct pr_py_offsets off;
	uint32_t code_name, code_linetable;
	uint32_t str_state, str_length, str_ascii_data, str_compact_data;
	uint32_t bytes_size, bytes_data;
};
const struct pr_python_layout *pr_python_layout(uint32_t major, uint32_t minor);
/* The line of code unit instr (counted from 0) in a 3.11 location table
 * (co_linetable) starting at first; 0 when it has no line. */
uint32_t pr_python_line(const uint8_t *table, uint32_t len, uint32_t first, uint32_t instr);

#endif
