/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every type that crosses the Lua <-> C boundary, and nothing else: no
 * functions, no macros, no inline code. LuaJIT reads this file (after
 * bpf/events.h, before ffi.h's functions) through ffi.cdef with
 * preprocessor lines stripped. Caches that hand such a type out (stacks:
 * pr_frame, proc: pr_proc_info) include this header, never ffi.h.
 */
#ifndef PR_FFI_TYPES_H
#define PR_FFI_TYPES_H

#include <linux/types.h>
#include <stdint.h>
#include "events.h"

/* Hook mask bits: provider i (its enum pr_source) is bit 1 << i; this
 * one says the script calls proc(), which needs exec and exit events. */
enum pr_hook {
	PR_HOOK_PROC = 1 << 30,
	PR_HOOK_TARGET = 1 << 29, /* -p/-c follow descendants: keep the set in BPF */
};

/* One event source as Lua sees it (pr_ffi_provider). */
struct pr_provider_info {
	const char *name; /* "exec": its stats() key and event view */
	const char *hook; /* "on_exec"; NULL when it serves no hook */
	uint32_t bit;	  /* its bit in the hook mask */
	uint32_t view;	  /* the arena record type its hook gets */
};

/* proc(pid) fields read on demand. */
enum pr_proc_field {
	PR_PF_EXE = 0,
	PR_PF_CMDLINE = 1, /* arguments joined by spaces */
	PR_PF_ARGV = 2,    /* arguments, NUL-separated */
	PR_PF_CWD = 3,
	PR_PF_CGROUP = 4,
	PR_PF_CONTAINER = 5,
	PR_PF_USER = 6,
	PR_PF_STR_MAX = 7,
	PR_PF_UID = 8, /* numbers from here on */
	PR_PF_MNTNS = 9,
	PR_PF_PIDNS = 10,
};

struct pr_proc_info {
	uint64_t gen;         /* identity of this entry: changes when the pid is reused */
	uint64_t start_ticks; /* /proc/PID/stat field 22: clock ticks since boot */
	uint32_t pid;
	uint32_t ppid;
	uint32_t exited;      /* 1 after its exit event */
	uint32_t pad;
	char comm[16];
};

/* How user stacks are taken (sample{unwind=}). */
enum pr_unwind_mode {
	PR_UNWIND_AUTO = 0,  /* stack copy + unwind tables, frame pointers where a binary has none */
	PR_UNWIND_FP = 1,    /* frame-pointer walk in BPF only */
	PR_UNWIND_DWARF = 2, /* stack copy + unwind tables only */
};

/* Why a copied user stack stopped before its outermost frame. */
enum pr_unwind_fail {
	PR_UW_NO_CFI = 0,      /* a pc in code with no unwind info (and no frame pointer to use) */
	PR_UW_UNSUPPORTED = 1, /* a rule the unwinder cannot follow (CFA in r10, ...) */
	PR_UW_STACK_SHORT = 2, /* the frame lies beyond the copied bytes */
	PR_UW_BAD_FRAME = 3,   /* the stack does not go up, or rbp is lost */
	PR_UW_NO_MAP = 4,      /* a return address outside any executable mapping */
	PR_UW_TOO_DEEP = 5,    /* more than PR_MAX_FRAMES frames */
	PR_UW_GONE = 6,	       /* the process exited before its maps were read */
	PR_UW_FAIL_MAX = 7,
};

struct pr_sample_opts {
	uint32_t hz;	 /* 0: keep the current value */
	uint32_t pid;	 /* 0: every process */
	int32_t user;	 /* -1: keep, 0/1 */
	int32_t kernel;	 /* -1: keep, 0/1 */
	int32_t idle;	 /* -1: keep, 0/1: also sample the idle task */
	uint32_t buffer; /* ring buffer bytes, 0: keep */
	int32_t unwind;	 /* -1: keep, enum pr_unwind_mode */
	uint32_t stack_bytes; /* user stack bytes copied per sample, 0: keep */
	uint32_t unwind_tables; /* bytes of unwind tables held (LRU by binary), 0: keep */
	int32_t kernel_unwind;	/* -1: keep, enum pr_kunwind_mode */
	uint32_t kernel_tables; /* bytes of rows loaded for the in-kernel unwinder, 0: keep */
	int64_t aggregate;	/* -1: keep, 0: off, else distinct (pid, tid, stack) counts
				 * kept in the kernel between drains */
	int32_t python;		/* -1: keep, 0/1: read Python frames */
	uint32_t pad;
};

struct pr_offcpu_opts {
	uint64_t min_ns; /* UINT64_MAX: keep; intervals this long come one by one */
	uint64_t max_ns; /* UINT64_MAX: keep; 0: no upper bound */
	uint32_t pid;	 /* 0: every process */
	int32_t user;	 /* -1: keep, 0/1: take the user stack of long intervals */
	int32_t waker;	 /* -1: keep, 0/1: record who woke the thread */
	uint32_t buffer; /* ring buffer bytes, 0: keep */
};

/* probe(spec, opts): its options as Lua checked them. */
struct pr_probe_opts {
	uint32_t str1, str2; /* arguments (1..6) read as strings, 0: none */
	uint32_t pid;	     /* only this process, 0: any */
	uint32_t sample;     /* every Nth hit, 0/1: each */
	uint32_t stack;	     /* 1: take the stack */
	uint32_t count_only; /* 1: count in the kernel, send nothing */
};

/* count_only: one count of a probe, its stack interned (0: none). */
struct pr_probe_count {
	uint64_t count;
	uint32_t match; /* which of the probe's matches (pr_ffi_probe_func) */
	uint32_t pid;	/* 0 unless stack = true */
	uint32_t stack;
	uint32_t pad;
};

/* One field of a t: probe's record, for Lua to decode it by name. */
enum pr_tp_field_kind {
	PR_TP_FIELD_INT = 0,	/* an integer of size bytes, signed or not */
	PR_TP_FIELD_CHARS = 1,	/* a char array in the record */
	PR_TP_FIELD_STRING = 2, /* a string captured in str[slot] */
};

struct pr_tp_field {
	char name[64];
	uint16_t offset, size;
	uint8_t is_signed, kind, slot, pad;
};

enum pr_frame_kind {
	PR_FRAME_NATIVE = 0,
	PR_FRAME_KERNEL = 1,
	PR_FRAME_PYTHON = 2, /* name: the function's qualified name; file, line */
	PR_FRAME_CUT = 3,    /* stands for frames left out past a bound */
};

struct pr_frame {
	uint64_t addr; /* kernel: address; user: file offset in module, or the address if no module
			*/
	uint64_t offset;    /* bytes past the start of the symbol (or module) */
	const char *name;   /* NULL when unknown; valid until the next call into the runtime */
	const char *module; /* binary path, "kernel" or a module name; NULL when unknown */
	uint32_t kernel;    /* 1 for a kernel frame */
	uint32_t line;	    /* source line, 0 when unknown */
	const char *file;   /* source file; NULL when unknown */
	uint32_t kind;	    /* enum pr_frame_kind */
	uint32_t inlined;   /* 1: code inlined into the next frame (same addr) */
};

struct pr_stats {
	uint64_t produced[PR_SRC_MAX];	/* records BPF tried to emit, per source */
	uint64_t dropped[PR_SRC_MAX];	/* of those, lost to a full ring buffer */
	uint64_t delivered[PR_SRC_MAX]; /* handed to the script (a hook, or proc()'s cache) */
	uint64_t discarded[PR_SRC_MAX]; /* read from the ring after the run stopped, never handed */
	uint64_t failed[PR_SRC_MAX];	/* of dropped: lost inside BPF before the ring */
	uint64_t bad_records;		/* records read but malformed (never handed, never counted) */
	uint64_t batches;		/* dispatch cycles that reached Lua */
	uint64_t stacks;		/* distinct stacks interned */
	uint64_t stacks_full;		/* samples whose stack did not fit the table */
	uint64_t kstack_errors;		/* kernel stacks BPF could not take */
	uint64_t ustack_errors;		/* user stacks BPF could not take */
	uint64_t ksyms;			/* kernel symbols loaded */
	uint64_t binaries;		/* binaries with a symbol table */
	uint64_t proc_size;	       /* process cache: entries held */
	uint64_t proc_capacity;
	uint64_t proc_hits;
	uint64_t proc_misses;	       /* lookups that went to /proc (or found nothing) */
	uint64_t proc_evictions;       /* entries dropped by the LRU bound */
	uint64_t proc_exited_evictions; /* entries dropped a cycle after their exit */
	uint64_t proc_reloads;	       /* entries replaced after PID reuse */
	uint64_t proc_seeded;	       /* entries from the /proc scan at start */
	uint64_t proc_gone;	       /* entries found gone (live table) before their exit event */
	uint64_t proc_untracked;       /* processes the live table was too full to take */
	uint64_t elf_negative; /* binaries in the negative cache */
	uint64_t elf_parses;   /* ELF files parsed for symbols */
	uint64_t elf_hits;     /* user addresses named */
	uint64_t elf_misses;   /* user addresses in a binary but in no symbol */
	uint64_t elf_bytes;    /* memory held by symbol tables */
	uint64_t elf_unloads;  /* tables unloaded to stay within the budget */
	uint64_t elf_ranges;   /* user addresses named by their FDE's range (no symbol) */
	uint64_t elf_lines;    /* addresses given a source line (DWARF) */
	uint64_t elf_inlined;  /* inline frames those expanded into */
	uint64_t dwarf_bytes;  /* decompressed DWARF held */
	uint64_t dwarf_evictions; /* DWARF files closed to stay within the budget */
	uint64_t di_requests;  /* debuginfod: build ids asked for */
	uint64_t di_fetched;   /* downloaded */
	uint64_t di_cached;    /* found in the local debuginfod cache */
	uint64_t di_not_found; /* no server has it */
	uint64_t di_failed;    /* error or timeout */
	uint64_t di_bytes;     /* bytes of debuginfo fetched */
	uint64_t di_pending;   /* queued or in flight */
	uint64_t ksym_reads;    /* times /proc/kallsyms was read: 1 per run */
	uint64_t ksym_parse_ns; /* how long that parse took */
	uint64_t bpf_symbols;   /* live BPF function ranges */
	uint64_t bpf_updates;   /* ranges added or removed (baseline + feed) */
	uint64_t bpf_resyncs;   /* full baseline walks (start, lost records) */
	uint64_t unwind_mode;	     /* enum pr_unwind_mode in force */
	uint64_t unwind_stacks;	     /* user stacks unwound from a stack copy */
	uint64_t unwind_complete;    /* of those, reaching the outermost frame */
	uint64_t unwind_truncated;   /* of those, stopped early: unwind_fail says why */
	uint64_t unwind_frames;	     /* user frames they produced */
	uint64_t unwind_fp_frames;   /* of those, found by frame pointer (no unwind info) */
	uint64_t unwind_copy_bytes;  /* user stack bytes received */
	uint64_t unwind_fail[PR_UW_FAIL_MAX];
	uint64_t unwind_tables;	     /* unwind tables built (binaries prepared) */
	uint64_t unwind_no_tables;   /* binaries with no unwind info */
	uint64_t unwind_table_bytes; /* memory held by unwind tables */
	uint64_t unwind_evictions;   /* unwind tables dropped to stay within their budget */
	uint64_t unwind_budget;	     /* bytes unwind tables may hold */
	uint64_t elf_perfmap_untrusted; /* perf maps ignored: owned by neither the process's user nor root */
	uint64_t idle_skipped;	     /* samples of the idle task not taken (sample{idle=false}) */
	uint64_t lua_bytes;	     /* the script's Lua heap */
	uint64_t lua_limit;	     /* its cap (--max-memory); 0 = none */
	uint64_t target_untracked;   /* descendants the followed set was too full to take */
	uint64_t hook_errors;	     /* errors hooks raised (the first stops the run, or --keep-going) */
	uint64_t offcpu_untracked;   /* switches out of a thread that got no task storage */
	uint64_t offcpu_dropped_ns;  /* off-CPU time in records the ring could not take */
	uint64_t offcpu_flushes;     /* runs of the program that sends the summed short waits */
	uint64_t offcpu_resynced;    /* returns to the CPU no sched_switch showed, timed late */
	uint64_t probe_sampled_out;  /* probe hits not sent: probe(spec, {sample = N}) */
	uint64_t probe_count_lost;   /* count_only hits the counts map had no room for */
	uint64_t probe_stack_lost;   /* probe stacks lost to a full or colliding stack map */
	uint64_t kunwind_mode;	     /* enum pr_kunwind_mode in force (off when nothing walks) */
	uint64_t kunwind_walks[PR_KUW_MAX]; /* BPF walks by result (enum pr_kunwind_result) */
	uint64_t kunwind_frames;     /* frames of the complete ones */
	uint64_t kunwind_binaries;   /* binaries whose rows are loaded */
	uint64_t kunwind_rows;	     /* rows loaded */
	uint64_t kunwind_row_budget; /* rows the map holds (sample{kernel_tables}) */
	uint64_t kunwind_rules;	     /* distinct rules */
	uint64_t kunwind_bytes;	     /* kernel memory the tables use */
	uint64_t kunwind_loads;	     /* binaries loaded */
	uint64_t kunwind_evictions;  /* binaries evicted to stay within the budget */
	uint64_t kunwind_procs;	     /* process entries */
	uint64_t kunwind_proc_loads; /* process entries written */
	uint64_t kunwind_failed;     /* binaries or entries that could not be loaded */
	uint64_t kunwind_verified;   /* kernel_unwind="verify": stacks walked by both */
	uint64_t kunwind_mismatched; /* of those, where the two differ */
	uint64_t agg_counted;	     /* samples counted in the kernel (sample{aggregate}) */
	uint64_t agg_collisions;     /* sent as records: another stack had their hash */
	uint64_t agg_counts_full;    /* sent as records: the counts map was full */
	uint64_t agg_stacks_full;    /* sent as records: the stacks map was full */
	uint64_t agg_records;	     /* counts drained (one on_sample each) */
	uint64_t agg_stack_misses;   /* counts whose stack was gone: no frames */
	uint64_t python_processes;    /* Python processes being read now */
	uint64_t python_checked;      /* processes looked at for an interpreter */
	uint64_t python_unsupported;  /* processes of a Python version without offsets */
	uint64_t python_stacks;       /* samples with Python frames */
	uint64_t python_frames;       /* Python frames placed in stacks */
	uint64_t python_unnamed;      /* of those, code objects that could not be read */
	uint64_t python_reread;       /* code objects read again: their tag changed */
	uint64_t python_cut;          /* chains cut at PR_PY_MAX_FRAMES */
	uint64_t python_no_thread;    /* samples of a Python process from a thread without Python state */
	uint64_t python_faults;       /* chains that ended on a failed read */
	uint64_t python_unpaired;     /* samples whose runs did not pair with eval frames */
	uint64_t python_functions;    /* distinct (function, file, line) */
	uint64_t python_code_objects; /* code objects cached */
	uint64_t python_bytes;        /* their memory */
	uint64_t python_bpf_walks;    /* $PROFRUN_PYTHON_TIMING: walks BPF timed */
	uint64_t python_bpf_walk_ns;  /* their time */
	uint64_t python_bpf_walk_frames; /* their frames */
	uint64_t stack_frames;	      /* frames the stack table holds (shared ones once) */
	uint64_t stack_bytes;	      /* the stack table's memory */
	uint64_t stacks_forgotten;    /* stacks{keep="recent"}: stacks dropped as the table started over */
	uint64_t stack_restarts;      /* times it started over */
	uint64_t stack_stale;	      /* stack(id) of a dropped id */
	uint64_t agg_stack_reads;     /* stacks read from their map (once while in use) */
	uint64_t agg_stacks_received; /* new stacks BPF sent on their ring */
	uint64_t agg_stacks_unsent;   /* ... it had no room for (read from the map) */
	uint64_t agg_stack_deletes;   /* stacks no count named for a while, deleted */
	uint64_t kunwind_wakes;	      /* samples that woke the runtime to load tables */
	uint64_t sample_spilled;      /* samples the small ring could not take (the big one did) */
	uint64_t kunwind_fp_frames;   /* frames BPF walked by frame pointer (no unwind info) */
	uint64_t dwarf_cache_hits;     /* inflated debuginfo copies found (dwarfcache.h) */
	uint64_t dwarf_cache_builds;   /* copies made */
	uint64_t dwarf_cache_refused;  /* files read without a copy (see dwarfcache.h) */
	uint64_t dwarf_cache_rebuilds; /* copies found damaged or stale, made again */
	uint64_t dwarf_cache_pruned;   /* copies removed to keep the cache within its bound */
	uint64_t kunwind_borrowed;    /* of the complete walks, of forks with their parent's entry */
};

/* profrun.export: one HTTP sink (export.h). Strings are copied. */
struct pr_export_opts {
	const char *url;	  /* base: scheme://[user:password@]host:port[/path] */
	const char *name;	  /* for messages: the URL without its password */
	const char *content_type; /* of every body */
	const char *spool_dir;	  /* NULL: memory only; else created 0700, checked */
	uint64_t memory_bytes;	  /* bodies waiting in memory, at most */
	uint64_t disk_bytes;	  /* bodies waiting in spool_dir, at most */
	uint32_t timeout_ms;	  /* one request, connect to last byte */
	uint32_t retry_min_ms;	  /* first backoff; doubles up to retry_max_ms */
	uint32_t retry_max_ms;
	uint32_t wait_ms;	  /* at the end: time to deliver what waits */
};

/* Why a batch was dropped (pr_export_stats.dropped_rows). */
enum pr_export_drop {
	PR_EXPORT_DROP_FULL = 0,     /* memory and spool full when it was sent */
	PR_EXPORT_DROP_REJECTED = 1, /* the backend answered 4xx: it will not take it */
	PR_EXPORT_DROP_EXIT = 2,     /* not delivered by the end, and no room to spool */
	PR_EXPORT_DROP_SPOOL = 3,    /* its spool file could not be written or read back */
	PR_EXPORT_DROP_MAX = 4,
};

struct pr_export_stats {
	uint64_t batches_sent, rows_sent, bytes_sent;
	uint64_t attempts_failed;	     /* sends that failed and were retried */
	uint64_t batches_spooled, rows_spooled; /* written to the spool directory */
	uint64_t batches_recovered, rows_recovered; /* found in the spool at start */
	uint64_t batches_waiting, rows_waiting;	 /* queued now, memory and disk */
	uint64_t memory_bytes, disk_bytes;	 /* queued now */
	uint64_t memory_peak, disk_peak;
	uint64_t dropped_batches[PR_EXPORT_DROP_MAX];
	uint64_t dropped_rows[PR_EXPORT_DROP_MAX];
	int32_t last_status; /* HTTP status of the last attempt, 0: no answer */
	uint32_t pad;
	char last_error[160]; /* why the last failed attempt failed, printable */
};

#endif
