/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The in-kernel user-stack unwinder: the same walk as runtime/unwind.c,
 * over the rows runtime/kunwind.c loads (events.h says how they are laid
 * out), on a copy of the stack taken first. Walking a copy, not the live
 * stack, costs one bulk read instead of two helper calls a frame, and
 * leaves the copy at hand for the fallback: a walk that cannot finish
 * sends it, to be unwound in user space as before, so no sample loses its
 * stack to a table that is not loaded yet.
 *
 * A frame is a bounded binary search over the process's mappings (in a
 * per-CPU copy of its entry) and one over its binary's rows; the frames
 * are a bpf_loop, so the verifier checks one step, not 127.
 */
#ifndef PR_KUNWIND_BPF_H
#define PR_KUNWIND_BPF_H

/* Bytes copied first, and the step a copy grows by when the walk reads
 * past it: most stacks end within them, and the copy is most of a walk's
 * cost (a fallback copies all of ustack_bytes, for user space). */
#define PR_UW_FIRST_COPY 4096
/* rows: 2^24 at most (a 128 MiB table) */
#define PR_UW_ROW_SEARCH 24
#define PR_UW_MAP_SEARCH 8
/* rules found, per CPU, by (table, file offset): a profile samples the
 * same call sites over and over, and a hit costs one compare instead of
 * a search over the page's rows */
#define PR_UW_RCACHE 2048
/* A process without tables that has been sampled this often wakes the
 * runtime to load them at once, not at its next tick (up to 500 ms when
 * aggregating): at 4999 Hz a busy new process would otherwise be copied
 * and unwound in user space ~500 times a CPU, and a wake-up with its load
 * costs what ~20-30 copies do. A short-lived one (/bin/true takes 2-3 ms
 * of CPU here) stays below it and costs none: the runtime sets it to the
 * samples of PR_UW_WAKE_CPU_US of CPU at the rate (32 at 4999 Hz, 7 at
 * 999: a count of 32 there waited for 32 ms of CPU, 16 of a two-thread
 * process's wall time, copying all along; at least 4, so at 99 Hz a
 * process that happens to be sampled once does not wake it). The
 * wake-ups, whatever asks, are at least PR_UW_WAKE_GAP_NS apart (a
 * process whose load keeps failing cannot keep the runtime awake). */
const volatile __u32 uw_wake_samples = PR_UW_WAKE_MAX;
#define PR_UW_WAKE_GAP_NS 10000000ull

__u64 pr_uw_woken; /* when a sample last woke the runtime for tables */

/* sample{unwind = "auto"}: code without unwind info is walked by frame
 * pointer, as user space walks it (unwind.c's step_fp); "dwarf": the
 * walk stops there and the copy goes to user space, which stops too */
const volatile __u8 uw_fp_steps = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096); /* resized by the runtime */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct pr_uw_proc);
} pr_uw_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pr_uw_pending);
} pr_uw_pending SEC(".maps");

/* mappable: the runtime writes a table's rows through a mapping */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* resized by the runtime: the row budget */
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct pr_uw_row);
} pr_uw_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PR_UW_RULES_MAX);
	__type(key, __u32);
	__type(value, struct pr_uw_rule);
} pr_uw_rules SEC(".maps");

/* per CPU: how many walks ended each way (enum pr_kunwind_result), then
 * the other counters (enum pr_kunwind_count) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PR_KUW_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} pr_uw_counts SEC(".maps");

/* A rule as the cache keeps it, in 8 bytes, so that an entry is 16 and
 * a hit reads one line, not the entry's and then the rule's (a rule whose
 * offsets do not fit is not cached: searched each time, as before). */
struct pr_uw_rcache_ent {
	__u32 table; /* 0: empty */
	__u32 foff;
	__s16 cfa_off;
	__s8 rbp_off8; /* the offsets / 8 */
	__s8 ra_off8;
	__u8 cfa;
	__u8 regs; /* rbp | ra << 4 */
	__u8 flags;
	__u8 pad;
};

/* One value, not an entry per slot: a per-CPU array's lookup reads the
 * slot's pointer first, and 2048 slots' pointers are 16 KiB, another cold
 * line for every frame. 32 KiB, a per-CPU value's most. */
struct pr_uw_rcache {
	struct pr_uw_rcache_ent e[PR_UW_RCACHE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pr_uw_rcache);
} pr_uw_rcache SEC(".maps");

/* Where a thread's stack ends, as its last whole walk found it (the
 * outermost frame's sp): a thread's outermost frame stays where it is for
 * its life, so the next copy need not go further. A pthread's stack has
 * no mm->start_stack to stop at, and above its frames lie its TLS and
 * descriptor: bench/spin's threads walk ~1.3 KiB of the 4 KiB copied.
 * Only a hint: a copy it cut short grows when the walk reads past it (a
 * tid reused, an exec), as any first copy does. Per CPU, by tid. */
#define PR_UW_TOPS 256
struct pr_uw_top {
	__u32 tid, tgid;
	__u64 top;
};

struct pr_uw_walk {
	struct pr_uw_proc proc;
	__u64 pc, sp, bp;
	__u64 ip0, sp0, bp0; /* the registers the walk started from */
	__u64 len;	     /* the copy: len bytes from sp0 up */
	__u64 top;	     /* where the main thread's stack ends (0: unknown) */
	__u8 top_read;	     /* top is read (not while a hint does its job) */
	__u32 n, result;
	__u32 last_map; /* the mapping the last frame was in */
	__u8 bp_ok, exact, done;
	__u8 short_copy; /* a read fell past the copy */
	__u8 partial;	 /* the copy is shorter than ustack_bytes allows */
	__u8 urgent;	 /* wake the runtime for this sample: it loads tables */
	__u8 placed;	 /* walked with its parent's entry: frames are PR_UFRAME()s */
	__u8 memo_ok;	 /* memo holds the rule for memo_looked */
	__u16 nfp;	 /* steps by frame pointer */
	__u64 memo_looked;
	struct pr_uw_rule memo; /* the last frame's rule: recursion repeats it */
	__u64 frames[PR_MAX_FRAMES];
	struct pr_uw_top tops[PR_UW_TOPS];
	/* a copy grows from any length by up to PR_UW_FIRST_COPY: the slack
	 * lets the verifier see it fits */
	__u8 copy[PR_USTACK_MAX + PR_UW_FIRST_COPY];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pr_uw_walk);
} pr_uw_scratch SEC(".maps");

static __always_inline void pr_uw_count(__u32 slot, __u64 add)
{
	__u64 *c = bpf_map_lookup_elem(&pr_uw_counts, &slot);

	if (c)
		*c += add;
}

/* A word of the copy; 0 when addr is outside it. */
static __always_inline int pr_uw_read(struct pr_uw_walk *w, __u64 addr, __u64 *v)
{
	__u64 at = addr - w->sp0;

	if (addr < w->sp0)
		return 0;
	if (at > w->len || w->len - at < 8) {
		w->short_copy = 1;
		return 0;
	}
	if (at > PR_USTACK_MAX - 8)
		return 0;
	*v = *(__u64 *)(w->copy + at);
	return 1;
}

static __always_inline long pr_uw_stop(struct pr_uw_walk *w, __u32 result)
{
	w->result = result;
	w->done = 1;
	return 1;
}

/* The binary searches run as bpf_loop callbacks over a small state on
 * the stack: as plain bounded loops, the verifier walks every path of
 * every iteration (2^24 of them for the rows) and gives up. */
struct pr_uw_search {
	__u64 key;
	__u32 lo, hi; /* the answer: the last entry <= key is lo - 1 */
};

static long pr_uw_map_probe(__u64 i, void *ctx)
{
	struct pr_uw_search *s = ctx;
	__u32 zero = 0, mid;
	struct pr_uw_walk *w = bpf_map_lookup_elem(&pr_uw_scratch, &zero);

	if (!w || s->lo >= s->hi)
		return 1;
	mid = (s->lo + s->hi) / 2;
	if (s->key < w->proc.maps[mid & (PR_UW_MAPS - 1)].start)
		s->hi = mid;
	else
		s->lo = mid + 1;
	return 0;
}

static long pr_uw_row_probe(__u64 i, void *ctx)
{
	struct pr_uw_search *s = ctx;
	struct pr_uw_row *r;
	__u32 mid;

	if (s->lo >= s->hi)
		return 1;
	mid = s->lo + (s->hi - s->lo) / 2;
	r = bpf_map_lookup_elem(&pr_uw_rows, &mid);
	if (!r) {
		s->lo = s->hi = 0;
		return 1;
	}
	if (r->pc <= s->key)
		s->lo = mid + 1;
	else
		s->hi = mid;
	return 0;
}

/* The mapping looked lies in, or NULL. */
static __always_inline struct pr_uw_map *pr_uw_find_map(struct pr_uw_walk *w, __u64 looked)
{
	struct pr_uw_search s = { .key = looked, .lo = 0, .hi = w->proc.n };
	struct pr_uw_map *m = &w->proc.maps[w->last_map & (PR_UW_MAPS - 1)];

	/* callers and callees are mostly in the same binary */
	if (w->last_map < w->proc.n && looked >= m->start && looked < m->end)
		return m;
	if (s.hi > PR_UW_MAPS)
		s.hi = PR_UW_MAPS;
	bpf_loop(PR_UW_MAP_SEARCH, pr_uw_map_probe, &s, 0);
	if (s.lo == 0 || s.lo < s.hi)
		return NULL;
	w->last_map = (s.lo - 1) & (PR_UW_MAPS - 1);
	m = &w->proc.maps[w->last_map];
	return looked < m->end ? m : NULL;
}

/* The rule index of the last row of m at or before foff, or -1. The
 * page index narrows the search to the rows of foff's page. */
static __always_inline long pr_uw_search_rule(struct pr_uw_map *m, __u64 foff)
{
	__u32 start = m->row_start, page = foff >> 12, idx;
	struct pr_uw_search s = { .key = foff, .lo = start, .hi = start + m->row_count };
	struct pr_uw_row *r;

	if (page < m->first_page)
		return -1;
	if (page - m->first_page < m->npages) {
		idx = start - m->npages - 1 + (page - m->first_page);
		r = bpf_map_lookup_elem(&pr_uw_rows, &idx);
		if (!r)
			return -1;
		s.lo = start + r->pc;
		idx++;
		r = bpf_map_lookup_elem(&pr_uw_rows, &idx);
		if (!r)
			return -1;
		s.hi = start + r->pc;
	} else {
		s.lo = s.hi; /* past the last page: the last row */
	}
	bpf_loop(PR_UW_ROW_SEARCH + 1, pr_uw_row_probe, &s, 0);
	if (s.lo < s.hi || s.lo <= start)
		return -1;
	idx = s.lo - 1;
	r = bpf_map_lookup_elem(&pr_uw_rows, &idx);
	return r ? r->rule : -1;
}

/* The rule for foff in m, into *r (false: none): from this CPU's
 * cache, else searched and cached. A table's rows never change while
 * its number lives, and rule indexes are never reused, so a hit is
 * always what the search would find. */
static __always_inline bool pr_uw_find_rule(struct pr_uw_map *m, __u64 foff, struct pr_uw_rule *r)
{
	__u32 slot = ((__u32)foff * 0x9e3779b1u ^ m->table * 0x85ebca6bu) >> 21, zero = 0, idx;
	struct pr_uw_rcache *rc = bpf_map_lookup_elem(&pr_uw_rcache, &zero);
	struct pr_uw_rcache_ent *c = rc ? &rc->e[slot & (PR_UW_RCACHE - 1)] : NULL;
	/* a numbered table, an offset the 32-bit key holds */
	bool cacheable = c && m->table && foff >> 32 == 0;
	struct pr_uw_rule *found;
	long rule;

	if (cacheable && c->table == m->table && c->foff == (__u32)foff) {
		r->cfa_off = c->cfa_off;
		r->rbp_off = c->rbp_off8 * 8;
		r->ra_off = c->ra_off8 * 8;
		r->cfa = c->cfa;
		r->rbp = c->regs & 15;
		r->ra = c->regs >> 4;
		r->flags = c->flags;
		return true;
	}
	rule = pr_uw_search_rule(m, foff);
	if (rule < 0)
		return false;
	idx = rule;
	found = bpf_map_lookup_elem(&pr_uw_rules, &idx);
	if (!found)
		return false;
	*r = *found;
	if (cacheable && r->cfa_off == (__s16)r->cfa_off && !(r->rbp_off & 7) &&
	    (r->rbp_off >> 3) == (__s8)(r->rbp_off >> 3) && !(r->ra_off & 7) &&
	    (r->ra_off >> 3) == (__s8)(r->ra_off >> 3) && r->rbp < 16 && r->ra < 16) {
		c->table = m->table;
		c->foff = foff;
		c->cfa_off = r->cfa_off;
		c->rbp_off8 = r->rbp_off >> 3;
		c->ra_off8 = r->ra_off >> 3;
		c->cfa = r->cfa;
		c->regs = r->rbp | r->ra << 4;
		c->flags = r->flags;
	}
	return true;
}

/* The step by frame pointer for a frame without unwind info (unwind.c's
 * step_fp and the outermost-frame rule before it): [rbp] is the
 * caller's rbp, [rbp+8] the return address. The frame is recorded; its
 * reads leave the state untouched when they fall past the copy, so a
 * grown copy takes the step again. */
static __always_inline long pr_uw_step_fp(struct pr_uw_walk *w)
{
	__u64 bp, ra;

	if (!uw_fp_steps)
		return pr_uw_stop(w, PR_KUW_NO_TABLE);
	/* the ABI's outermost frame: _start clears rbp */
	if (w->bp_ok && w->bp == 0)
		return pr_uw_stop(w, PR_KUW_COMPLETE);
	if (!w->bp_ok || w->bp < w->sp || (w->bp & 7))
		return pr_uw_stop(w, PR_KUW_STOPPED);
	if (!pr_uw_read(w, w->bp, &bp) || !pr_uw_read(w, w->bp + 8, &ra))
		return pr_uw_stop(w, PR_KUW_STOPPED);
	w->nfp++;
	w->sp = w->bp + 16;
	w->bp = bp;
	w->pc = ra;
	w->exact = 0;
	if (ra == 0)
		return pr_uw_stop(w, PR_KUW_COMPLETE);
	return 0;
}

/* One frame: record pc, then step to the caller by its row (unwind.c's
 * step_cfi, rule for rule), or by frame pointer where no unwind info
 * exists. Returns 1 when the walk stopped. */
static __always_inline long pr_uw_step(struct pr_uw_walk *w)
{
	struct pr_uw_rule r, *rule = NULL;
	struct pr_uw_map *m;
	__u64 looked, cfa, ra, bp, foff;
	bool signal, bp_ok;
	__u32 n;

	n = w->n;
	if (n >= PR_MAX_FRAMES)
		return pr_uw_stop(w, PR_KUW_STOPPED);
	looked = w->exact ? w->pc : w->pc - 1;
	m = pr_uw_find_map(w, looked);
	if (!m)
		return pr_uw_stop(w, PR_KUW_NO_MAP);
	/* rows not loaded (yet, or evicted): the copy, unwound with them */
	if (!m->row_count && !(m->flags & PR_UW_MAP_NO_CFI))
		return pr_uw_stop(w, PR_KUW_NO_TABLE);
	if (w->memo_ok && w->memo_looked == looked) {
		r = w->memo;
		rule = &r;
	} else if (m->row_count && pr_uw_find_rule(m, looked - m->start + m->offset, &r)) {
		rule = &r;
		w->memo = r;
		w->memo_looked = looked;
		w->memo_ok = 1;
	}
	if (!rule && !uw_fp_steps)
		return pr_uw_stop(w, PR_KUW_NO_TABLE);
	if (w->placed) {
		/* no entry to place the address with later: place it now */
		foff = w->pc - m->start + m->offset;
		if (!m->table || m->table >> PR_UFRAME_TABLE_BITS || foff >> PR_UFRAME_FOFF_BITS)
			return pr_uw_stop(w, PR_KUW_NO_TABLE);
		w->frames[n] = PR_UFRAME(m->table, foff);
	} else {
		w->frames[n] = w->pc;
	}
	w->n = n + 1;
	/* no row covers pc, or a gap between FDEs: no unwind info here */
	if (!rule || (rule->cfa == PR_KUW_CFA_INVALID && !(rule->flags & PR_KUW_ROW_UNSUPPORTED) &&
		      rule->ra != PR_KUW_REG_UNDEFINED))
		return pr_uw_step_fp(w);
	if (rule->ra == PR_KUW_REG_UNDEFINED)
		return pr_uw_stop(w, PR_KUW_COMPLETE);
	bp = w->bp;
	signal = rule->flags & PR_KUW_ROW_SIGNAL;
	switch (rule->cfa) {
	case PR_KUW_CFA_SP:
		cfa = w->sp + rule->cfa_off;
		break;
	case PR_KUW_CFA_BP:
		if (!w->bp_ok)
			return pr_uw_stop(w, PR_KUW_STOPPED);
		cfa = w->bp + rule->cfa_off;
		break;
	case PR_KUW_CFA_DEREF_SP:
		if (!pr_uw_read(w, w->sp + rule->cfa_off, &cfa))
			return pr_uw_stop(w, PR_KUW_STOPPED);
		break;
	case PR_KUW_CFA_DEREF_BP:
		if (!w->bp_ok || !pr_uw_read(w, w->bp + rule->cfa_off, &cfa))
			return pr_uw_stop(w, PR_KUW_STOPPED);
		break;
	case PR_KUW_CFA_PLT:
		cfa = w->sp + rule->cfa_off + ((w->pc & 15) >= (__u64)(rule->flags >> 4) ? 8 : 0);
		break;
	default:
		/* a gap or a rule user space may still follow (frame pointers) */
		return pr_uw_stop(w, PR_KUW_NO_TABLE);
	}
	if (rule->ra == PR_KUW_REG_AT_CFA) {
		if (!pr_uw_read(w, cfa + rule->ra_off, &ra))
			return pr_uw_stop(w, PR_KUW_STOPPED);
	} else if (rule->ra == PR_KUW_REG_AT_SP) {
		if (!pr_uw_read(w, w->sp + rule->ra_off, &ra))
			return pr_uw_stop(w, PR_KUW_STOPPED);
	} else {
		return pr_uw_stop(w, PR_KUW_STOPPED);
	}
	bp_ok = w->bp_ok;
	switch (rule->rbp) {
	case PR_KUW_REG_SAME:
		break;
	case PR_KUW_REG_AT_CFA:
		bp_ok = pr_uw_read(w, cfa + rule->rbp_off, &bp);
		break;
	case PR_KUW_REG_AT_SP:
		bp_ok = pr_uw_read(w, w->sp + rule->rbp_off, &bp);
		break;
	case PR_KUW_REG_VAL_CFA:
		bp = cfa + rule->rbp_off;
		break;
	default:
		bp_ok = 0;
	}
	/* the saved rbp lies past a copy that can grow: this step runs again
	 * after it has (the state is untouched until below) */
	if (!bp_ok && w->short_copy && w->partial)
		return pr_uw_stop(w, PR_KUW_STOPPED);
	if (!signal && cfa <= w->sp)
		return pr_uw_stop(w, PR_KUW_STOPPED);
	w->bp_ok = bp_ok;
	w->bp = bp;
	w->sp = cfa;
	w->pc = ra;
	w->exact = signal;
	if (ra == 0)
		return pr_uw_stop(w, PR_KUW_COMPLETE);
	return 0;
}

/* Asks the runtime for tgid's tables (once per image, not per sample);
 * true when this sample should wake it (uw_wake_samples). */
static __always_inline __u8 pr_uw_want(__u32 tgid, __u64 start_time, __u32 exec_id, __u32 why)
{
	struct pr_uw_pending *p = bpf_map_lookup_elem(&pr_uw_pending, &tgid), np;
	__u64 now;

	if (p && p->start_time == start_time && p->exec_id == exec_id) {
		/* a NO_MAP request (a JIT's code) waits for the runtime's
		 * reread pace: only a process with no tables at all is urgent */
		if (why != PR_KUW_NO_PROC || p->reason != PR_KUW_NO_PROC ||
		    __sync_fetch_and_add(&p->samples, 1) + 1 != uw_wake_samples)
			return 0;
		now = bpf_ktime_get_ns();
		if (now - pr_uw_woken < PR_UW_WAKE_GAP_NS)
			return 0;
		pr_uw_woken = now;
		pr_uw_count(PR_KUW_WAKES, 1);
		return 1;
	}
	np = (struct pr_uw_pending){ .start_time = start_time, .exec_id = exec_id,
				     .reason = why, .time = bpf_ktime_get_ns(), .samples = 1 };
	bpf_map_update_elem(&pr_uw_pending, &tgid, &np, BPF_ANY);
	return 0;
}

/* The copy, whole: all ustack_bytes (a first copy stopped short). */
static __always_inline void pr_uw_copy_all(struct pr_uw_walk *w)
{
	if (!w->partial)
		return;
	w->len = pr_copy_user_stack(w->sp0, w->copy, ustack_bytes);
	w->partial = 0;
}

/* Sets w to walk the copy from the sampled registers (the steps are
 * pr_uw_walk_step's). */
static __always_inline void pr_uw_walk_start(struct pr_uw_walk *w)
{
	w->n = 0;
	w->pc = w->ip0;
	w->sp = w->sp0;
	w->bp = w->bp0;
	w->bp_ok = 1;
	w->exact = 1;
	w->done = 0;
	w->short_copy = 0;
	w->last_map = 0;
	w->memo_ok = 0;
	w->nfp = 0;
	w->result = PR_KUW_STOPPED;
}

/* Grows a copy that stopped short of ustack_bytes by the next
 * PR_UW_FIRST_COPY bytes of the stack (fewer where the stack or its
 * mapping ends); false when it cannot grow. */
static __always_inline bool pr_uw_copy_more(struct pr_uw_walk *w)
{
	__u64 off = w->len, want, addr, head;
	bool capped = false;

	if (!w->partial || off >= ustack_bytes || off >= PR_USTACK_MAX)
		return false;
	if (!w->top_read) {
		w->top = pr_stack_top(bpf_get_current_task_btf());
		w->top_read = 1;
	}
	off &= (PR_USTACK_MAX - 1) & ~7ull;
	want = ustack_bytes - off;
	if (w->top > w->sp0 + off && w->top - w->sp0 - off + 7 < want) {
		want = w->top - w->sp0 - off + 7;
		capped = true;
	}
	if (want > PR_UW_FIRST_COPY) {
		want = PR_UW_FIRST_COPY;
		capped = false;
	}
	want &= (PR_UW_FIRST_COPY * 2 - 1) & ~7ull;
	w->partial = 0;
	if (!want || want > PR_UW_FIRST_COPY)
		return false;
	addr = w->sp0 + off;
	if (bpf_probe_read_user(w->copy + off, want, (void *)addr)) {
		/* the mapping ends in the chunk's second page: what lies before */
		head = (((addr + 4096) & ~4095ull) - addr) & 4095 & ~7ull;
		if (!head || head >= want || bpf_probe_read_user(w->copy + off, head, (void *)addr))
			return false;
		w->len = off + head;
		return true;
	}
	w->len = off + want;
	w->partial = !capped && w->len < ustack_bytes;
	return true;
}

/* One step of the walk, or, when it stopped reading past a copy that
 * can grow, the copy grown and the walk going on from the step that
 * stopped (no frame is lost or taken twice: the step records its frame
 * first and changes nothing else before its reads). One loop for both:
 * the step is checked once, where a second loop of steps inside a loop
 * of growths had the verifier check it again, nested. Returns 1 to stop. */
static long pr_uw_walk_step(__u64 i, void *ctx)
{
	__u32 zero = 0;
	struct pr_uw_walk *w = bpf_map_lookup_elem(&pr_uw_scratch, &zero);

	if (!w)
		return 1;
	if (w->done) {
		if (w->result == PR_KUW_COMPLETE || !w->short_copy || !w->n || !pr_uw_copy_more(w))
			return 1;
		w->n--;
		w->done = 0;
		w->short_copy = 0;
		w->result = PR_KUW_STOPPED;
	}
	pr_uw_step(w);
	return 0;
}

/* steps of a walk: every frame, and a step again after each growth */
#define PR_UW_WALK_STEPS (PR_MAX_FRAMES + PR_USTACK_MAX / PR_UW_FIRST_COPY + 1)

/* The walk of the per-CPU record's entry from the sampled registers. A
 * global function: the verifier checks it once, not again for every
 * state its caller reaches it in (a walk with the process's own entry
 * or its parent's: 15.6k instructions checked became 26k with two loops,
 * 36k with one loop reached two ways). */
__noinline int pr_uw_walk_run(void)
{
	__u32 zero = 0;
	struct pr_uw_walk *w = bpf_map_lookup_elem(&pr_uw_scratch, &zero);

	if (!w)
		return 0;
	pr_uw_walk_start(w);
	bpf_loop(PR_UW_WALK_STEPS, pr_uw_walk_step, NULL, 0);
	return 0;
}

/* A process with no entry of its own: its parent's, when the process is
 * a fork that has not exec'd since (the same image, mapped where the
 * parent maps it; a shell's child, a build's), or NULL. Its frames are
 * placed by BPF (the child may be gone before the runtime could read its
 * maps). Read, not loaded: a pointer loaded from a BTF pointer costs the
 * verifier a search of vmlinux's types per path (pr_stack_top); these
 * four took the walker's verification from 14 to 29 ms, for a path only
 * a fork's first samples take. */
static __always_inline struct pr_uw_proc *pr_uw_parent_entry(struct task_struct *task,
							     __u32 exec_id)
{
	struct task_struct *parent = BPF_CORE_READ(task, group_leader, real_parent);
	struct pr_uw_proc *proc;
	__u32 ppid = BPF_CORE_READ(parent, tgid);

	if (BPF_CORE_READ(task, group_leader, parent_exec_id) != exec_id)
		return NULL; /* exec'd since the fork: another image */
	proc = bpf_map_lookup_elem(&pr_uw_procs, &ppid);
	if (!proc || proc->start_time != BPF_CORE_READ(parent, group_leader, start_time) ||
	    proc->exec_id != exec_id ||
	    proc->exec_id != BPF_CORE_READ(parent, group_leader, self_exec_id))
		return NULL;
	return proc;
}

/* proc's mappings in w's per-CPU copy, copied unless they are there
 * already (an entry is replaced, never changed: the same gen, the same
 * maps; a parent's serves its forks as is). False when unreadable. */
static __always_inline bool pr_uw_use_entry(struct pr_uw_walk *w, const struct pr_uw_proc *proc)
{
	__u32 nmaps = proc->n;

	if (proc->gen && proc->gen == w->proc.gen)
		return true;
	if (nmaps > PR_UW_MAPS)
		nmaps = PR_UW_MAPS;
	w->proc.n = nmaps;
	w->proc.gen = proc->gen;
	if (bpf_probe_read_kernel(w->proc.maps, nmaps * sizeof(struct pr_uw_map) & 0xffff,
				  proc->maps)) {
		w->proc.gen = 0;
		return false;
	}
	return true;
}

/* Copies the current task's user stack and walks it. The walk (frames,
 * or the copy and the registers to start from) is in the returned
 * per-CPU record; result says how it ended. */
static __always_inline struct pr_uw_walk *pr_uw_walk_current(struct bpf_perf_event_data *ctx,
							      __u32 tgid, __u32 tid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 zero = 0, exec_id, first;
	struct pr_uw_proc *proc;
	struct pr_uw_top *hint;
	struct pr_uw_walk *w;
	__u64 start_time;

	w = bpf_map_lookup_elem(&pr_uw_scratch, &zero);
	if (!w)
		return NULL;
	w->n = 0;
	w->len = 0;
	w->partial = 0;
	w->done = 0;
	w->urgent = 0;
	w->pc = w->sp = w->bp = 0;
	w->ip0 = w->sp0 = w->bp0 = 0;
	if (!pr_sample_user_regs(ctx, &w->pc, &w->sp, &w->bp)) {
		w->result = PR_KUW_NO_COPY;
		pr_uw_count(PR_KUW_NO_COPY, 1);
		return w;
	}
	w->ip0 = w->pc;
	w->sp0 = w->sp;
	w->bp0 = w->bp;
	first = ustack_bytes < PR_UW_FIRST_COPY ? ustack_bytes : PR_UW_FIRST_COPY;
	hint = &w->tops[tid & (PR_UW_TOPS - 1)];
	/* with a hint, mm->start_stack (two reads through pointers, ~60 ns)
	 * is read only if the copy must grow */
	w->top = 0;
	w->top_read = 0;
	if (hint->tid == tid && hint->tgid == tgid && hint->top > w->sp && hint->top - w->sp < first) {
		first = hint->top - w->sp;
	} else {
		w->top = pr_stack_top(task);
		w->top_read = 1;
	}
	w->len = pr_copy_user_stack_to(w->sp, w->copy, first, w->top);
	/* a shorter copy reached the top of the stack, or its mapping's end */
	w->partial = w->len == pr_clamp_copy(first) && first < ustack_bytes;
	/* direct loads: the task is a BTF pointer (a helper call each, as
	 * BPF_CORE_READ makes them, cost ~150 ns of a walk) */
	start_time = task->group_leader->start_time;
	exec_id = task->group_leader->self_exec_id;
	proc = bpf_map_lookup_elem(&pr_uw_procs, &tgid);
	w->placed = !proc || proc->start_time != start_time || proc->exec_id != exec_id;
	if (w->placed) {
		w->urgent = pr_uw_want(tgid, start_time, exec_id, PR_KUW_NO_PROC);
		/* until its own entry is loaded, a fork walks with its parent's */
		proc = pr_uw_parent_entry(task, exec_id);
	}
	if (!proc || !pr_uw_use_entry(w, proc)) {
		w->result = PR_KUW_NO_PROC;
		pr_uw_count(PR_KUW_NO_PROC, 1);
		return w;
	}
	pr_uw_walk_run();
	if (w->placed) {
		/* a borrowed walk that cannot finish: copied, as without it */
		if (w->result != PR_KUW_COMPLETE)
			w->result = PR_KUW_NO_PROC;
		else
			pr_uw_count(PR_KUW_BORROWED, 1);
	} else if (w->result == PR_KUW_NO_MAP) {
		pr_uw_want(tgid, start_time, exec_id, PR_KUW_NO_MAP);
	}
	pr_uw_count(w->result < PR_KUW_MAX ? w->result : PR_KUW_STOPPED, 1);
	if (w->result == PR_KUW_COMPLETE) {
		/* the walk read below its outermost frame's sp (a signal
		 * frame on another stack aside: then the hint is wrong for
		 * one stack or the other, and a short copy grows) */
		hint->tid = tid;
		hint->tgid = tgid;
		hint->top = w->sp + 16;
		pr_uw_count(PR_KUW_FRAMES, w->n);
		if (w->nfp)
			pr_uw_count(PR_KUW_FP_FRAMES, w->nfp);
	}
	return w;
}

#endif
