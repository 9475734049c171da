/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every record that crosses a BPF ring buffer, and every record Lua reads
 * from the loop's arena, is declared here and nowhere else. bpf/, runtime/
 * and lua/ (through a cdef generated from this file) share it.
 *
 * Rules: fixed-width types and char[N] only, no pointers, no bool, no enum
 * fields, explicit padding, every record begins with struct pr_hdr. The
 * runtime pins every size with _Static_assert; a Lua test compares the
 * offsets LuaJIT computes with the ones C reports. Preprocessor lines are
 * stripped for the cdef, so anything Lua needs is an enum constant.
 */
#ifndef PR_EVENTS_H
#define PR_EVENTS_H

enum pr_limits {
	PR_ABI_VERSION = 16,
	PR_COMM_LEN = 16,
	PR_PATH_LEN = 256,
	/* the kernel's default kernel.perf_event_max_stack */
	PR_MAX_FRAMES = 127,
	/* bytes of the argument block an exec event carries */
	PR_ARGS_LEN = 512,
	/* most user stack bytes one sample can carry (sample{stack_bytes=}) */
	PR_USTACK_MAX = 16384,
	/* frames of an interned stack: kernel, native user and Python ones
	 * (PR_MAX_FRAMES each, PR_PY_MAX_FRAMES + a marker) */
	PR_STACK_FRAMES = 384,
};

enum pr_rec_type {
	PR_REC_SAMPLE_RAW = 1, /* ring buffer only: becomes PR_REC_SAMPLE */
	PR_REC_EXEC = 2,
	PR_REC_EXIT = 3,
	PR_REC_SAMPLE = 4, /* arena only: a sample with its interned stack */
	PR_REC_FORK = 5,
	PR_REC_OFFCPU_RAW = 6, /* ring buffer only: becomes PR_REC_OFFCPU */
	PR_REC_OFFCPU = 7,     /* arena only: an off-CPU interval with interned stacks */
	PR_REC_PROBE = 8,      /* a probe hit (ring and arena alike) */
	PR_REC_TRACEPOINT = 9, /* a t: probe hit: the tracepoint's record */
	PR_REC_SAMPLE_AGG = 10, /* runtime only: samples counted in the kernel, drained */
};

/* Drop accounting: one slot per source, per CPU, counted in BPF. */
enum pr_source {
	PR_SRC_SAMPLE = 0,
	PR_SRC_EXEC = 1,
	PR_SRC_EXIT = 2,
	PR_SRC_FORK = 3,
	PR_SRC_OFFCPU = 4,
	PR_SRC_PROBE = 5,
	PR_SRC_TRACEPOINT = 6,
	PR_SRC_MAX = 7,
};

struct pr_src_counts {
	__u64 produced; /* records the program tried to emit */
	__u64 dropped;	/* of those, lost to a full ring buffer */
	__u64 skipped;	/* events a filter left out before producing (idle samples) */
	__u64 failed;	/* of dropped: lost inside BPF (no scratch buffer, record too big) */
	__u64 spilled;	/* records a full small ring passed to the big one (not lost) */
};

struct pr_hdr {
	__u32 type;
	__u32 size; /* bytes of the whole record, header included */
	__u64 time; /* CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns) */
};

/* Ring buffer record of one CPU sample; variable length: only the first
 * nkernel + nuser entries of addrs are sent (kernel frames first, each
 * leaf first). kerr/uerr keep bpf_get_stack's error so truncation and
 * failures are counted, not guessed.
 *
 * When user stacks are unwound in user space, nuser is 0 and the frames
 * are followed by ustack_len bytes of the user stack, copied from address
 * usp up, with the user registers the unwinder starts from. */
struct pr_sample_raw {
	struct pr_hdr hdr;
	__u32 pid; /* thread-group id */
	__u32 tid;
	__u32 cpu;
	__u16 nkernel;
	__u16 nuser;
	__u64 cgroup;
	__s32 kerr;
	__s32 uerr;
	char comm[PR_COMM_LEN];
	__u64 uip; /* user registers at the sample (the syscall's, in the kernel) */
	__u64 usp;
	__u64 ubp;
	__u32 ustack_len; /* bytes of copied user stack after the frames */
	__u32 ustack_flags; /* PR_USTACK_* */
	/* Python frames (struct pr_py_frame), after the copied stack, leaf
	 * first; python_flags: PR_PYF_* */
	__u16 npython;
	__u16 python_flags;
	__u32 pad;
	__u64 addrs[2 * PR_MAX_FRAMES];
};

enum pr_ustack_flags {
	PR_USTACK_COPIED = 1, /* the record carries user registers (and a stack copy) */
	PR_USTACK_KERNEL = 2, /* nuser frames were unwound in BPF from the loaded tables */
	PR_USTACK_PARTIAL = 4, /* ... and the walk stopped before the outermost frame */
};

/*
 * The in-kernel unwinder's tables (sample.bpf.c walks them, runtime/
 * kunwind.c fills them). A binary's unwind rows (cfi.h) are loaded once
 * into one shared array, each row a (file offset, rule index) pair; the
 * rules are a dictionary of the distinct (CFA, rbp, return address)
 * rules of every loaded binary. A process's entry lists its executable
 * mappings, each with the range of rows of the binary behind it, and the
 * identity of the image it was read from (leader's start time and exec
 * count), so a reused pid or an exec never walks with stale tables.
 */
enum pr_kunwind_limits {
	PR_UW_MAPS = 64,	    /* executable mappings a process entry holds */
	PR_UW_RULES_MAX = 65536, /* distinct rules of all loaded binaries */
	/* A process without tables wakes the runtime to load them once it
	 * has been sampled for ~this much CPU (its samples at the rate, 4 to
	 * 32 of them): bpf/kunwind.bpf.h says why */
	PR_UW_WAKE_CPU_US = 6400,
	PR_UW_WAKE_MIN = 4,
	PR_UW_WAKE_MAX = 32,
};

/* sample{kernel_unwind=}: whether BPF walks user stacks from the tables. */
enum pr_kunwind_mode {
	PR_KUNWIND_OFF = 0,    /* copy every stack, unwind it in user space */
	PR_KUNWIND_ON = 1,     /* walk in BPF; copy when the walk cannot finish */
	PR_KUNWIND_ONLY = 2,   /* walk in BPF; no copy (tests: the tables alone) */
	PR_KUNWIND_VERIFY = 3, /* walk, and copy every stack too (tests: both unwinders) */
};

/* Why a sample's user stack was not unwound in BPF (stats().unwind). */
enum pr_kunwind_result {
	PR_KUW_COMPLETE = 0,   /* walked to the outermost frame */
	PR_KUW_NO_PROC = 1,    /* the process's tables are not loaded (yet), or are stale */
	PR_KUW_NO_MAP = 2,     /* a pc outside every mapping the entry knows (a dlopen) */
	PR_KUW_NO_TABLE = 3,   /* code without loaded rows (JIT, a gap, an evicted binary) */
	PR_KUW_STOPPED = 4,    /* a rule the walk cannot follow, a bad frame, a short copy */
	PR_KUW_NO_COPY = 5,    /* no user registers or stack could be read */
	PR_KUW_MAX = 6,
};

/* The walk counters' slots after the results' (pr_uw_counts). */
enum pr_kunwind_count {
	PR_KUW_FRAMES = PR_KUW_MAX, /* frames of the complete walks */
	PR_KUW_WAKES = PR_KUW_MAX + 1, /* samples that woke the runtime for tables */
	PR_KUW_FP_FRAMES = PR_KUW_MAX + 2, /* of those, stepped by frame pointer (no unwind info) */
	/* complete walks of a fork with its parent's entry (it has none) */
	PR_KUW_BORROWED = PR_KUW_MAX + 3,
	PR_KUW_SLOTS = PR_KUW_MAX + 4,
};

/* cfi.h's rule kinds, as BPF sees them (kunwind.c pins them equal). */
enum pr_kuw_rule_kind {
	PR_KUW_CFA_INVALID = 0,
	PR_KUW_CFA_SP = 1,
	PR_KUW_CFA_BP = 2,
	PR_KUW_CFA_DEREF_SP = 3,
	PR_KUW_CFA_DEREF_BP = 4,
	PR_KUW_CFA_PLT = 5,
	PR_KUW_REG_SAME = 0,
	PR_KUW_REG_AT_CFA = 1,
	PR_KUW_REG_AT_SP = 2,
	PR_KUW_REG_VAL_CFA = 3,
	PR_KUW_REG_UNDEFINED = 4,
	PR_KUW_ROW_SIGNAL = 1,
	PR_KUW_ROW_UNSUPPORTED = 2,
};

struct pr_uw_rule {
	__s32 cfa_off;
	__s16 rbp_off;
	__s16 ra_off;
	__u8 cfa;   /* enum pr_cfa_kind */
	__u8 rbp;   /* enum pr_reg_rule */
	__u8 ra;    /* enum pr_reg_rule */
	__u8 flags; /* as struct pr_cfi_row's */
};

struct pr_uw_row {
	__u32 pc; /* file offset */
	__u32 rule;
};

/* A binary's rows are preceded in pr_uw_rows by a page index: entry p
 * (of npages + 1) is the first row (counted from row_start) at or past
 * page first_page + p of the file, so a lookup searches one page's rows,
 * not the whole table. */
struct pr_uw_map {
	__u64 start, end; /* addresses */
	__u64 offset;	  /* file offset of start */
	__u32 row_start;  /* the binary's rows in pr_uw_rows */
	__u32 row_count;  /* 0: no rows (anonymous code, no unwind info, not loaded) */
	__u32 first_page; /* file offset >> 12 of the first row */
	__u32 npages;	  /* the index is at row_start - npages - 1 */
	/* names this load of the binary's rows, never reused: BPF caches
	 * rules found by (table, file offset) */
	__u32 table;
	__u32 flags; /* PR_UW_MAP_* */
};

/* struct pr_uw_map's flags */
enum pr_uw_map_flags {
	/* no unwind info exists for this code (anonymous: JIT; a binary
	 * without .eh_frame or .debug_frame: Go, FP-only builds): where
	 * user space would walk it by frame pointer, so does BPF (rows not
	 * loaded, as for an evicted binary, leave it 0: the copy is
	 * unwound with them) */
	PR_UW_MAP_NO_CFI = 1,
};

struct pr_uw_proc {
	__u64 start_time; /* the thread-group leader's task->start_time */
	__u32 exec_id;	  /* its self_exec_id */
	__u32 n;	  /* maps used, sorted by start */
	/* this version of the entry, never reused: a CPU that copied it
	 * last time need not copy it again */
	__u32 gen;
	__u32 pad;
	struct pr_uw_map maps[PR_UW_MAPS];
};

/*
 * A user frame of a fork walked with its parent's entry (it has none of
 * its own yet): the runtime may never read the child's maps (it may be
 * gone first), so BPF places the frame itself: the table number of the
 * binary's rows (struct pr_uw_map's table) and the file offset, under
 * the top bit, which no user address has.
 */
#define PR_UFRAME_PLACED (1ull << 63)
#define PR_UFRAME_TABLE_BITS 23
#define PR_UFRAME_FOFF_BITS 40
#define PR_UFRAME(table, foff) (PR_UFRAME_PLACED | (__u64)(table) << PR_UFRAME_FOFF_BITS | (foff))
#define PR_UFRAME_TABLE(f) ((__u32)((f) >> PR_UFRAME_FOFF_BITS) & ((1u << PR_UFRAME_TABLE_BITS) - 1))
#define PR_UFRAME_FOFF(f) ((f) & ((1ull << PR_UFRAME_FOFF_BITS) - 1))

/* Left by a sample that found no usable entry: the runtime loads the
 * process's tables and drops this. */
struct pr_uw_pending {
	__u64 start_time;
	__u32 exec_id;
	__u32 reason; /* PR_KUW_NO_PROC or PR_KUW_NO_MAP */
	__u64 time;   /* when (bpf_ktime_get_ns) */
	__u32 samples; /* that asked since (PR_KUW_NO_PROC) */
	__u32 pad;
};

/*
 * Python frames (bpf/python.bpf.h reads them, runtime/python.c names
 * them). The interpreter keeps its frames on the heap, so they are read
 * at the sample, from the thread's state: for each frame, the code
 * object's address, the instruction it was executing and a tag of the
 * code object (its first line and the addresses of its name and file
 * strings), so a code object freed and its address reused by another
 * function is told apart from the one named before.
 */
enum pr_python_limits {
	PR_PY_MAX_FRAMES = 128, /* Python frames one stack carries */
	PR_PY_MAX_THREADS = 256, /* thread states searched for the sampled thread */
	PR_PY_WINDOW = 128,	 /* bytes read at once from a frame, a code object */
	PR_PY_ENTRY = 0x40000000, /* pr_py_frame.instr: the frame entered the eval loop */
	PR_PY_INSTR = 0x3fffffff,
};

enum pr_python_flags {
	PR_PYF_CUT = 1,	      /* the chain went on past PR_PY_MAX_FRAMES */
	PR_PYF_NO_THREAD = 2, /* a Python process, but the thread has no Python state */
	PR_PYF_FAULT = 4,     /* a read of the interpreter's memory failed mid-chain */
	PR_PYF_ASKED = 8,     /* the process has no entry (yet): the runtime was asked */
};

struct pr_py_frame {
	__u64 code; /* the PyCodeObject's address */
	__u32 tag;
	/* code units executed before the current instruction + 1 (0: not
	 * started), | PR_PY_ENTRY */
	__u32 instr;
};

/* Where the interpreter's structures keep what the walk needs (bytes);
 * filled by the runtime from a table per Python version. */
struct pr_py_offsets {
	__u16 interp_threads;  /* PyInterpreterState.threads.head */
	__u16 ts_next;	       /* PyThreadState.next */
	__u16 ts_native_tid;   /* PyThreadState.native_thread_id */
	__u16 ts_cframe;       /* PyThreadState.cframe */
	__u16 cframe_frame;    /* _PyCFrame.current_frame */
	__u16 frame_code;      /* _PyInterpreterFrame.f_code */
	__u16 frame_previous;  /* .previous */
	__u16 frame_instr;     /* .prev_instr */
	__u16 frame_entry;     /* .is_entry */
	__u16 code_adaptive;   /* PyCodeObject.co_code_adaptive */
	__u16 code_firstline;  /* .co_firstlineno */
	__u16 code_filename;   /* .co_filename */
	__u16 code_qualname;   /* .co_qualname */
	/* bytes read from a frame (from its start) and from a code object
	 * (from code_firstline): what the fields above need, no more, so a
	 * read never runs past the end of a frame's memory */
	__u16 frame_window;
	__u16 code_window;
	__u16 pad;
};

enum pr_py_state {
	PR_PY_NONE = 0,	  /* not a Python process (asked again after retry) */
	PR_PY_PYTHON = 1, /* an interpreter the runtime knows */
};

/* A process's entry, keyed by pid; replaced, never changed. */
struct pr_py_proc {
	__u64 start_time; /* the thread-group leader's task->start_time */
	__u32 exec_id;	  /* its self_exec_id */
	__u32 state;	  /* enum pr_py_state */
	__u64 retry;	  /* PR_PY_NONE: ask again after this time (0: never) */
	__u64 interp_head; /* address of _PyRuntime.interpreters.head */
	/* until then, a sample with Python frames wakes the runtime at once:
	 * a young process may exit before a batched read names its frames */
	__u64 urgent_until;
	/* the process's pid namespace, whose thread ids the interpreter
	 * keeps; ino 0: the initial one, the kernel's own ids */
	__u64 pidns_dev;
	__u64 pidns_ino;
	/* Probes cannot read the task (no kernel BTF): they check instead
	 * that the interpreter's Py_Version still reads version there */
	__u64 version_addr;
	__u32 version;
	__u32 pad;
	struct pr_py_offsets off;
};

/* Left by a sample of a process without an entry (or a stale one). */
struct pr_py_pending {
	__u64 start_time;
	__u32 exec_id;
	__u32 pad;
};

/* Arena record of one sample as Lua sees it: the stack is interned. */
struct pr_sample {
	struct pr_hdr hdr;
	__u32 pid;
	__u32 tid;
	__u32 cpu;   /* PR_CPU_ANY for samples counted in the kernel */
	__u32 stack; /* interned stack id; 0 = none */
	__u64 cgroup;
	char comm[PR_COMM_LEN];
	__u32 count; /* samples this record stands for: 1, or a kernel count */
	__u32 pad;
};

/*
 * sample{aggregate=true}: samples whose whole stack is known in BPF (a
 * complete kernel walk, frame pointers, no user stack wanted) are counted
 * in a hash per (pid, tid, stack) instead of crossing the ring; stacks
 * are kept once each, under a 64-bit hash of their frames, and a hit
 * must match a second, seeded hash too (a collision sends the sample as
 * a record, counted).
 * The counts come in two slots: BPF adds to the slot pr_agg_slot names,
 * the runtime flips it, and drains the other slot a tick later, when no
 * program can still be adding to it, so every count is read exactly once
 * (and in a few batched system calls). The stacks are one map for the
 * run, each numbered (gen) when added; BPF also sends each stack it adds
 * on pr_agg_stack_rb (the struct up to its last frame), so the runtime
 * knows it before a count names it, without a map lookup (a system call
 * per new stack); a stack the ring had no room for is read from the map
 * when a count first names its (hash, gen). The runtime deletes the
 * stacks no count named for a while (reading every stack again each
 * interval was half of profrun's CPU at 4999 Hz).
 */
enum pr_agg_limits {
	PR_CPU_ANY = 0xffffffff,
};

enum pr_agg_counter {
	PR_AGG_COUNTED = 0,	 /* samples added to a count */
	PR_AGG_COLLISIONS = 1,	 /* a different stack under the same hash: streamed */
	PR_AGG_COUNTS_FULL = 2,	 /* no room for a new (pid, tid, stack): streamed */
	PR_AGG_STACKS_FULL = 3,	 /* no room for a new stack: streamed */
	PR_AGG_STACKS_UNSENT = 4, /* new stacks pr_agg_stack_rb had no room for: read from the map */
	PR_AGG_MAX = 5,
};

/* A count's key names its stack by both hashes, so a sample finds its
 * count with one lookup; pr_agg_stacks is looked at only for a new
 * count, which takes the stack's gen into its value. */
struct pr_agg_key {
	__u32 pid;
	__u32 tid;
	__u64 stack; /* hash of the frames: the key of pr_agg_stacks */
	__u64 check; /* that stack's pr_agg_stack.check */
};

struct pr_agg_val {
	__u64 count;
	__u64 time; /* the last sample's */
	__u64 cgroup;
	__u64 gen; /* the stack's pr_agg_stack.gen when the count began */
	char comm[PR_COMM_LEN];
};

struct pr_agg_stack {
	__u16 nkernel;
	__u16 nuser;
	__u32 pad;
	__u64 gen;  /* numbered when added, never reused */
	__u64 hash; /* its key in pr_agg_stacks */
	/* a second hash of the frames, seeded by the run: a sample with the
	 * same hash and another check is a collision (aggregate.bpf.h) */
	__u64 check;
	__u64 addrs[2 * PR_MAX_FRAMES]; /* kernel frames, then user frames */
};

/* Runtime only: one drained count, as the sample provider takes it. */
struct pr_sample_agg {
	struct pr_hdr hdr; /* time: the last sample's */
	__u32 pid;
	__u32 tid;
	__u32 count;
	__u16 nkernel;
	__u16 nuser;
	__u64 cgroup;
	char comm[PR_COMM_LEN];
	__u64 addrs[2 * PR_MAX_FRAMES];
};

/* An exec carries what /proc may no longer have when a script asks: a
 * process that lived one millisecond is still fully described. */
struct pr_exec {
	struct pr_hdr hdr;
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	__u32 old_pid; /* differs from pid when a non-leader thread exec'd */
	__u64 cgroup;
	__u64 start;          /* process start, CLOCK_MONOTONIC ns */
	__u64 start_boottime; /* the same in CLOCK_BOOTTIME: /proc/PID/stat field 22 */
	__u32 mntns;          /* mount namespace inode */
	__u32 pidns;          /* pid namespace inode */
	__u32 args_len;       /* bytes of args used: NUL-separated argv */
	__u32 args_truncated; /* 1 when argv was longer than args */
	char comm[PR_COMM_LEN];
	char filename[PR_PATH_LEN];
	char args[PR_ARGS_LEN];
};

/* A new process (not a thread). */
struct pr_fork {
	struct pr_hdr hdr;
	__u32 pid;
	__u32 ppid;
	__u64 start;
	__u64 start_boottime;
	char comm[PR_COMM_LEN];
};

struct pr_exit {
	struct pr_hdr hdr;
	__u32 pid;
	__u32 ppid;
	__u32 tid;	 /* the thread whose exit ended the process */
	__s32 exit_code; /* exit status (0..255) when signal is 0 */
	__u32 signal;	 /* terminating signal, 0 when it exited normally */
	__u32 core;	 /* 1 if it dumped core */
	__u64 cgroup;
	__u64 start;	      /* process start, CLOCK_MONOTONIC ns */
	__u64 start_boottime; /* the same in CLOCK_BOOTTIME: /proc/PID/stat field 22 */
	__u64 duration;	      /* exit time - start, ns */
	char comm[PR_COMM_LEN];
};

enum {
	PR_PROBE_NSTR = 2,   /* string arguments per probe hit */
	PR_PROBE_STR = 256,  /* bytes of each */
	PR_TP_RAW = 256, /* bytes of a tracepoint's record sent */
	PR_TP_STR = 256, /* bytes of each string */
	PR_TP_NSTR = 2,	 /* strings per record */
};

/*
 * A probe hit (probe("u:...", fn)): which probe (its index, the attach
 * cookie's low bits), who hit it, its first six arguments as registers
 * hold them (entry probes) or its return value and the time since the
 * same thread's entry (return probes).
 */
enum pr_probe_flags {
	PR_PROBE_RET = 1,      /* a return: retval is set */
	PR_PROBE_DURATION = 2, /* duration is set (the entry was seen) */
	PR_PROBE_STACKED = 4,  /* ring only: a struct pr_probe_ustack follows */
};

/* The attach cookie: the probe's index, which of its matches (a glob's
 * functions, in the order probe() found them), and for the entry half of
 * a return probe, that it only stamps the entry time. */
enum {
	PR_PROBE_COOKIE_INDEX = 0xfff,
	PR_PROBE_COOKIE_MATCH_SHIFT = 12,
	PR_PROBE_COOKIE_MATCH = 0xfff,
	PR_PROBE_COOKIE_STAMP = 0x80000000,
	PR_PROBE_MAX = 1024, /* probe() calls per script (the config map) */
};

struct pr_probe {
	struct pr_hdr hdr;
	__u32 pid;
	__u32 tid;
	__u32 cpu;
	__u32 probe; /* index of the probe() call, from 0 */
	__u64 cgroup;
	__u64 args[6];
	__u64 retval;
	__u64 duration; /* ns since the matching entry of the same thread */
	__u32 flags;	/* enum pr_probe_flags */
	__u32 stack;	/* arena: the interned stack (stack = true), 0: none */
	__u32 match;	/* which of the probe's matches (the cookie's) */
	__u32 pad;
	char comm[PR_COMM_LEN];
	/* probe(spec, {strings = {i, j}}, fn): arguments i and j read as C
	 * strings at the probe; a record without them ends here */
	__u16 str_len[PR_PROBE_NSTR]; /* with the NUL; 0: none */
	__u8 str_arg[PR_PROBE_NSTR];  /* argument number (1..6) of each, 0: none */
	char str[PR_PROBE_NSTR][PR_PROBE_STR];
};

/* stack = true: after the whole struct pr_probe, the ring record has
 * this, then len bytes of the user stack above usp, for the runtime to
 * unwind as it does samples' (frame pointers are not needed). */
struct pr_probe_ustack {
	__u64 uip, usp, ubp; /* uip 0: no copy */
	__s32 kstack; /* k:/kr: the kernel stack's id in pr_probe_stacks, < 0: none */
	__s32 ustack; /* k:/kr: the user stack's id there (frame pointers), < 0: none */
	__u32 len;
	/* Python frames (struct pr_py_frame) after the stack copy */
	__u16 npython;
	__u16 python_flags;
};

enum pr_probe_config_flags {
	PR_PROBE_CFG_STACK = 1, /* take the stack */
	PR_PROBE_CFG_COUNT = 2, /* count_only: count in pr_probe_counts, send nothing */
};

/* A probe's options, by probe index (pr_probe_config). */
struct pr_probe_config {
	__u8 str_arg[PR_PROBE_NSTR]; /* arguments read as strings: 1..6, 0: none */
	__u8 flags;		     /* enum pr_probe_config_flags */
	__u8 pad;
	__u32 sample; /* send every Nth hit (counted across CPUs); 0, 1: each */
	__u32 pid;    /* only this process; 0: any */
};

/* count_only: hits per probe, match and (stack = true) process and
 * stacks, the stacks' ids in pr_probe_stacks (frame-pointer walks: the
 * kernel cannot unwind with .eh_frame); < 0: none or lost. */
struct pr_probe_count_key {
	__u32 probe;
	__u32 match;
	__u32 pid;
	__s32 ustack;
	__s32 kstack;
	__u32 pad;
};

/*
 * A t: probe hit: the tracepoint's own record as the kernel laid it out
 * (tracefs's format file says where each field is), and up to two of its
 * strings, which the record only points at (char * fields, __data_loc).
 */

/* How a string field of a tracepoint record is reached. */
enum pr_tp_str_kind {
	PR_TP_STR_NONE = 0,
	PR_TP_STR_USER = 1,    /* a user-space char * (syscall arguments) */
	PR_TP_STR_KERNEL = 2,  /* a kernel char * */
	PR_TP_STR_DATALOC = 3, /* __data_loc: offset (low 16 bits) in the record */
};

/* Per t: probe, in pr_tp_config by probe index. */
struct pr_tp_config {
	__u16 size; /* bytes of the record to copy (<= PR_TP_RAW) */
	__u8 kind[PR_TP_NSTR];
	__u16 off[PR_TP_NSTR];
};

struct pr_tracepoint {
	struct pr_hdr hdr;
	__u32 pid;
	__u32 tid;
	__u32 cpu;
	__u32 probe;
	__u64 cgroup;
	char comm[PR_COMM_LEN];
	__u16 len; /* bytes of raw */
	__u16 str_len[PR_TP_NSTR]; /* with the NUL; 0: none */
	__u16 pad;
	__u8 raw[PR_TP_RAW];
	char str[PR_TP_NSTR][PR_TP_STR];
};

/* What an off-CPU record says about itself (pr_offcpu_raw.flags). */
enum pr_offcpu_flags {
	PR_OFFCPU_SUM = 1,	   /* count intervals below offcpu{min=} (or above max), summed */
	PR_OFFCPU_WAKER = 2,	   /* the waker_* fields are known */
	PR_OFFCPU_PREEMPTED = 4,   /* switched out while runnable: waiting for a CPU */
	PR_OFFCPU_USER_MISSED = 8, /* the user stack was wanted but could not be taken */
};

/*
 * Ring buffer record of off-CPU time: one blocked interval of one thread
 * that lasted at least offcpu{min=}, or (PR_OFFCPU_SUM) the sum of count
 * shorter ones of the same thread, kernel stack and state. Kernel stacks
 * travel as ids in the object's stack map, which the runtime reads: a
 * short switch costs one stack id and one task-storage write in BPF.
 *
 * The user stack of a blocked task does not change while it is blocked,
 * so it is taken once the interval is known to be long, in the task's
 * own context (the syscall's return, or its next switch if it is still
 * inside the same kernel entry): as frames (nuser, frame pointers) or as
 * a copy of ustack_len bytes from usp up with the registers, as a sample
 * carries it.
 */
struct pr_offcpu_raw {
	struct pr_hdr hdr; /* time: when the (last) interval ended */
	__u32 pid;
	__u32 tid;
	__u64 start;	/* when the (first) interval began */
	__u64 duration; /* ns off CPU: the sum when count > 1 */
	__u32 count;	/* intervals this record stands for */
	__u32 state;	/* the task's state as it switched out (TASK_* bits; 0 = runnable) */
	__s32 kstack;	/* id in pr_offcpu_kstacks; < 0: bpf_get_stackid's error */
	__s32 waker_kstack;
	__u32 waker_pid;
	__u32 waker_tid;
	__u32 flags; /* PR_OFFCPU_* */
	__s32 uerr;
	__u16 nuser;
	__u16 pad;
	__u32 ustack_len;
	__u32 ustack_flags;
	__u32 pad2;
	char comm[PR_COMM_LEN];
	char waker_comm[PR_COMM_LEN];
	__u64 uip;
	__u64 usp;
	__u64 ubp;
	__u64 addrs[PR_MAX_FRAMES]; /* user frames; or the stack copy from here */
};

/* Arena record of off-CPU time as Lua sees it: stacks are interned. */
struct pr_offcpu {
	struct pr_hdr hdr;
	__u32 pid;
	__u32 tid;
	__u64 start;
	__u64 duration;
	__u32 count;
	__u32 state;
	__u32 stack;	   /* kernel + user; 0 = none */
	__u32 waker_stack; /* the waker's kernel stack; 0 = none */
	__u32 waker_pid;
	__u32 waker_tid;
	__u32 flags;
	__u32 pad;
	char comm[PR_COMM_LEN];
	char waker_comm[PR_COMM_LEN];
};

#endif
