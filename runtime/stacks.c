// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Each distinct frame is kept once, in a dictionary (16 bytes, and its
 * number); interned stacks live in one growing pool of frame numbers (4
 * bytes each), a stack a (start, count) slice of it. Stacks share most of
 * their frames (a long-running profile's new stacks are mostly old
 * callers under a new leaf): the pool is what grows with distinct stacks,
 * a quarter of what it was with the frames themselves in it. An
 * open-addressing hash table of stack ids finds an existing stack by
 * content. Frames are compared after normalization: a kernel frame is its
 * address, a user frame in a binary is (binary, file offset), a user
 * frame outside any binary (JIT, anonymous memory) is (pid, address), so
 * only those stacks stay per process. The table is bounded by max_stacks
 * and max_frames (by default 1 Mi stacks and 2 Mi frames in the pool, and
 * half as many distinct frames: 8 MiB of pool, at most 16 MiB of frames
 * and 8 MiB of their hash table, 24 MiB of stacks and 8 MiB of hash
 * table, what the pool of 16-byte frames alone was bounded to before);
 * past either, new stacks get id 0 and are counted (full).
 * With opts.recent, the table starts over between dispatch cycles once it
 * holds that many stacks: ids go on from base, so an id is never handed
 * out twice and a stale one names nothing rather than another stack.
 * A Python frame (FK_PYTHON) is its python.c id: named when interned.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "stacks.h"

/* FK_BPF: a kernel address inside a JITed BPF function, named by its
 * bpfsym id at intern time, so the name stays right after the program is
 * unloaded and its addresses are reused. */
enum frame_kind { FK_KERNEL = 1, FK_BINARY = 2, FK_ANON = 3, FK_BPF = 4, FK_PYTHON = 5 };

/* 16 bytes, once per distinct frame. who is the binary (FK_BINARY: a pointer, its low bits 0) or id << 8 |
 * kind (the other kinds, all odd or 4..7 in the low bits). */
struct frame {
	uint64_t addr; /* kernel: address; binary: file offset; anon: address */
	uint64_t who;
};

_Static_assert(FK_KERNEL & 7 && FK_ANON & 7 && FK_BPF & 7 && FK_PYTHON & 7,
	       "a kind's low bits tell it from a pointer");

/* id: FK_ANON the pid; FK_BPF the bpfsym id; FK_PYTHON the frame id */
static struct frame id_frame(uint32_t kind, uint32_t id, uint64_t addr)
{
	return (struct frame){ .addr = addr, .who = (uint64_t)id << 8 | kind };
}

static struct frame bin_frame(struct pr_elfsym *bin, uint64_t foff)
{
	return (struct frame){ .addr = foff, .who = (uintptr_t)bin };
}

static uint32_t frame_kind(const struct frame *f)
{
	return f->who & 7 ? (uint32_t)(f->who & 0xff) : FK_BINARY;
}

static uint32_t frame_id(const struct frame *f)
{
	return (uint32_t)(f->who >> 8);
}

static struct pr_elfsym *frame_bin(const struct frame *f)
{
	return (struct pr_elfsym *)(uintptr_t)f->who;
}

struct stack {
	uint64_t hash;
	uint32_t start, n; /* slice of the pool of frame numbers */
	uint32_t pid;
};

/* Walked stacks seen again: (pid, the raw kernel and user addresses) ->
 * the id they interned to, while no process's maps and no BPF symbol
 * changed since (pr_maps_gen, pr_bpfsym_updates). A profile samples the
 * same stacks over and over, and placing every user frame in its
 * process's maps, then hashing the placed frames, was ~2/3 of profrun's
 * CPU at 4999 Hz with BPF walking the stacks (perf on profrun, uwspin).
 * Only stacks whose user frames all lie in binaries are kept: an address
 * found in no mapping may have the maps read again later (a library
 * mapped since), which a hit would skip; nor stacks placed in maps an
 * exec seen will replace. Direct-mapped: a new stack takes its slot. */
#define MEMO_SLOTS 512
#define MEMO_FRAMES 40

struct memo {
	uint64_t hash; /* 0: empty */
	uint64_t maps_gen, bpf_gen;
	uint32_t pid, id;
	uint32_t nk, nu;
	uint64_t addrs[MEMO_FRAMES];
};

struct pr_stacks {
	struct pr_ksym *ksym;
	struct pr_maps *maps;
	struct pr_elfsyms *bins;
	struct pr_perfmaps *perfmaps;
	struct pr_bpfsym *bpfsym;
	struct pr_python *python;
	uint32_t max_stacks;
	uint32_t max_frames; /* frames in the pool, all stacks together; distinct: half */
	bool no_inline;
	uint32_t recent;      /* start over past this many stacks; 0: never */
	uint32_t base;	      /* stacks[i] is id base + i */
	uint64_t forgotten, restarts, stale_lookups;
	struct stack *stacks; /* index = id; stacks[0] unused */
	uint32_t nstacks, cap_stacks;
	uint32_t *pool;	      /* frame numbers */
	uint32_t npool, cap_pool;
	struct frame *frames; /* index = frame number; frames[0] unused */
	uint32_t nframes, cap_frames;
	uint32_t *frame_table; /* frame numbers by content, 0 = empty */
	uint32_t frame_mask;
	uint32_t nums[PR_STACK_FRAMES]; /* scratch's frame numbers, 0: not yet known */
	uint32_t *table; /* ids, 0 = empty */
	uint32_t table_mask;
	uint64_t full;
	struct memo *memo; /* MEMO_SLOTS, allocated at first use */
	uint64_t memo_hits;
	struct frame scratch[PR_STACK_FRAMES];
};

int pr_stacks_new(const struct pr_stacks_opts *o, struct pr_stacks **out)
{
	struct pr_stacks *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->ksym = o->ksym;
	st->maps = o->maps;
	st->perfmaps = o->perfmaps;
	st->bins = o->bins;
	st->bpfsym = o->bpfsym;
	st->no_inline = o->no_inline;
	st->recent = o->recent;
	st->max_stacks = o->max_stacks ? o->max_stacks : 1 << 20;
	st->max_frames = o->max_frames ? o->max_frames : 2 << 20;
	st->table_mask = 4095;
	st->table = calloc(st->table_mask + 1, sizeof(*st->table));
	st->frame_mask = 4095;
	st->frame_table = calloc(st->frame_mask + 1, sizeof(*st->frame_table));
	st->nstacks = 1;
	st->nframes = 1;
	if (!st->table || !st->frame_table) {
		free(st->table);
		free(st->frame_table);
		free(st);
		return -ENOMEM;
	}
	*out = st;
	return 0;
}

void pr_stacks_free(struct pr_stacks *st)
{
	if (!st)
		return;
	free(st->stacks);
	free(st->pool);
	free(st->frames);
	free(st->frame_table);
	free(st->table);
	free(st->memo);
	free(st);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static uint64_t hash_frame(const struct frame *f)
{
	return mix(mix(0, f->addr), f->who);
}

static uint64_t hash_nums(const uint32_t *num, uint32_t n)
{
	uint64_t h = n;
	uint32_t i;

	for (i = 0; i < n; i++)
		h = mix(h, num[i]);
	return h;
}

/* f's slot in the frame table: the one holding it, else the empty one
 * where it would go. */
static uint32_t *frame_slot(struct pr_stacks *st, const struct frame *f)
{
	uint32_t k = (uint32_t)hash_frame(f) & st->frame_mask, num;

	while ((num = st->frame_table[k]) &&
	       (st->frames[num].addr != f->addr || st->frames[num].who != f->who))
		k = (k + 1) & st->frame_mask;
	return &st->frame_table[k];
}

static int grow_frame_table(struct pr_stacks *st)
{
	uint32_t mask = st->frame_mask * 2 + 1, i, k;
	uint32_t *t = calloc((size_t)mask + 1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (i = 1; i < st->nframes; i++) {
		for (k = (uint32_t)hash_frame(&st->frames[i]) & mask; t[k]; k = (k + 1) & mask)
			;
		t[k] = i;
	}
	free(st->frame_table);
	st->frame_table = t;
	st->frame_mask = mask;
	return 0;
}

/* nums[0..n) for scratch's frames where the dictionary has them (0 where
 * not): how many it lacks. */
static uint32_t number_known(struct pr_stacks *st, uint32_t n)
{
	uint32_t i, missing = 0;

	for (i = 0; i < n; i++) {
		st->nums[i] = *frame_slot(st, &st->scratch[i]);
		missing += !st->nums[i];
	}
	return missing;
}

/* The frames nums lacks added to the dictionary: false without memory. */
static bool number_rest(struct pr_stacks *st, uint32_t n)
{
	uint32_t i, *slot;

	for (i = 0; i < n; i++) {
		if (st->nums[i])
			continue;
		/* an earlier frame of this stack may have added it */
		slot = frame_slot(st, &st->scratch[i]);
		if (*slot) {
			st->nums[i] = *slot;
			continue;
		}
		if (pr_array_reserve((void **)&st->frames, &st->cap_frames, st->nframes + 1,
				     sizeof(*st->frames)))
			return false;
		st->frames[st->nframes] = st->scratch[i];
		st->nums[i] = *slot = st->nframes++;
		/* slot is the old table's once it grows */
		if (st->nframes * 2 > st->frame_mask && grow_frame_table(st))
			return false;
	}
	return true;
}

static int grow_table(struct pr_stacks *st)
{
	uint32_t mask = st->table_mask * 2 + 1, i, k;
	uint32_t *t = calloc(mask + 1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (i = 1; i < st->nstacks; i++) {
		k = st->stacks[i].hash & mask;
		while (t[k])
			k = (k + 1) & mask;
		t[k] = i;
	}
	free(st->table);
	st->table = t;
	st->table_mask = mask;
	return 0;
}

static uint32_t add_stack(struct pr_stacks *st, uint64_t h, uint32_t n, uint32_t pid)
{
	uint32_t id = st->nstacks;

	if (pr_array_reserve((void **)&st->stacks, &st->cap_stacks, id + 1, sizeof(*st->stacks)) ||
	    pr_array_reserve((void **)&st->pool, &st->cap_pool, st->npool + n, sizeof(*st->pool)))
		return 0;
	memcpy(st->pool + st->npool, st->nums, n * sizeof(*st->pool));
	st->stacks[id] = (struct stack){ .hash = h, .start = st->npool, .n = n, .pid = pid };
	st->npool += n;
	st->nstacks++;
	return id;
}

static void normalize_kernel(struct pr_stacks *st, const uint64_t *k, uint32_t nk)
{
	struct frame *f = st->scratch;
	uint32_t i;

	for (i = 0; i < nk; i++) {
		uint32_t id = st->bpfsym ? pr_bpfsym_find(st->bpfsym, k[i]) : 0;

		f[i] = id_frame(id ? FK_BPF : FK_KERNEL, id, k[i]);
	}
}

/* A user frame already placed: in a binary, or anonymous (or unmapped)
 * memory of pid. An address of a process whose maps could never be read
 * (gone first: a short-lived exec's ld.so, a fork's last moments) names
 * nothing, now or later: it is one unknown frame for all such processes,
 * not (pid, address), or a run of short-lived processes grows the table
 * by their ASLR'd addresses, a few stacks each, for good (a 3-minute
 * whole-machine profile of shell loops and compiles: ~30k stacks a
 * minute). A JIT's perf map names (pid, address) even after its process
 * is gone: those keep both while the map file is there. */
static struct frame user_frame(struct pr_stacks *st, uint32_t pid, const struct pr_user_frame *u)
{
	if (u->py)
		return id_frame(FK_PYTHON, u->py, 0);
	if (u->bin)
		return bin_frame(u->bin, u->foff);
	if (pr_maps_unreadable(st->maps, pid) &&
	    !(st->perfmaps && pr_perfmap_exists(st->perfmaps, pid)))
		return id_frame(FK_ANON, 0, 0);
	return id_frame(FK_ANON, pid, u->addr);
}

static void normalize(struct pr_stacks *st, uint32_t pid, uint64_t time, const uint64_t *k,
		      uint32_t nk, const uint64_t *u, uint32_t nu)
{
	struct pr_user_frame uf;
	uint32_t i;

	normalize_kernel(st, k, nk);
	for (i = 0; i < nu; i++) {
		uf = pr_maps_place(st->maps, pid, u[i], time);
		st->scratch[nk + i] = user_frame(st, pid, &uf);
	}
}

/* The id of the stack of nums[0..n), or 0; *slot: its slot in the table,
 * or the empty one where it would go. */
static uint32_t find_stack(struct pr_stacks *st, uint64_t h, uint32_t n, uint32_t *slot)
{
	uint32_t k, id;

	for (k = h & st->table_mask; (id = st->table[k]); k = (k + 1) & st->table_mask) {
		const struct stack *s = &st->stacks[id];

		if (s->hash == h && s->n == n &&
		    !memcmp(st->pool + s->start, st->nums, n * sizeof(*st->nums)))
			break;
	}
	*slot = k;
	return id;
}

/* The id of the n frames in scratch, added when new. */
static uint32_t intern_scratch(struct pr_stacks *st, uint32_t pid, uint32_t n)
{
	uint32_t slot, id, missing;
	uint64_t h;

	if (n == 0)
		return 0;
	/* a frame the dictionary lacks is in no stack yet */
	missing = number_known(st, n);
	if (!missing) {
		h = hash_nums(st->nums, n);
		if ((id = find_stack(st, h, n, &slot)))
			return st->base + id;
	}
	if (st->nstacks > st->max_stacks || st->npool + n > st->max_frames ||
	    st->nframes - 1 + missing > st->max_frames / 2 || !number_rest(st, n)) {
		st->full++;
		return 0;
	}
	/* numbered now: its hash, and the empty slot it goes in */
	if (missing) {
		h = hash_nums(st->nums, n);
		find_stack(st, h, n, &slot);
	}
	id = add_stack(st, h, n, pid);
	if (!id) {
		st->full++;
		return 0;
	}
	st->table[slot] = id;
	if (st->nstacks * 2 > st->table_mask && grow_table(st))
		st->full++;
	return st->base + id;
}

static uint64_t memo_hash(uint32_t pid, const uint64_t *k, uint32_t nk, const uint64_t *u,
			  uint32_t nu)
{
	uint64_t h = mix((uint64_t)pid << 32 | nk, nu);
	uint32_t i;

	for (i = 0; i < nk; i++)
		h = mix(h, k[i]);
	for (i = 0; i < nu; i++)
		h = mix(h, u[i]);
	return h | 1;
}

static uint64_t bpf_gen(const struct pr_stacks *st)
{
	return st->bpfsym ? pr_bpfsym_updates(st->bpfsym) : 0;
}

/* The slot of this raw stack (its hash in *h), and whether it holds it
 * (*hit). NULL when the stack is too deep to keep or there is no memory
 * for the memo. */
static struct memo *memo_slot(struct pr_stacks *st, uint32_t pid, const uint64_t *k, uint32_t nk,
			      const uint64_t *u, uint32_t nu, uint64_t *h, bool *hit)
{
	struct memo *e;

	*hit = false;
	if (nk + nu > MEMO_FRAMES || (!u && nu))
		return NULL;
	if (!st->memo && !(st->memo = calloc(MEMO_SLOTS, sizeof(*st->memo))))
		return NULL;
	*h = memo_hash(pid, k, nk, u, nu);
	e = &st->memo[*h % MEMO_SLOTS];
	/* (k or u is NULL when its count is 0: no memcmp of it) */
	*hit = e->hash == *h && e->pid == pid && e->nk == nk && e->nu == nu &&
	       e->maps_gen == pr_maps_gen(st->maps) && e->bpf_gen == bpf_gen(st) &&
	       (!nk || !memcmp(e->addrs, k, nk * sizeof(*k))) &&
	       (!nu || !memcmp(e->addrs + nk, u, nu * sizeof(*u)));
	return e;
}

/* Keeps id in slot e for the raw stack of hash h, unless one of its
 * user frames (scratch[nk..nk+nu)) lies in no binary. */
static void memo_keep(struct pr_stacks *st, struct memo *e, uint64_t h, uint32_t pid, uint32_t id,
		      const uint64_t *k, uint32_t nk, const uint64_t *u, uint32_t nu)
{
	uint32_t i;

	for (i = nk; i < nk + nu; i++)
		if (frame_kind(&st->scratch[i]) != FK_BINARY)
			return;
	*e = (struct memo){ .hash = h, .maps_gen = pr_maps_gen(st->maps), .bpf_gen = bpf_gen(st),
			    .pid = pid, .id = id, .nk = nk, .nu = nu };
	if (nk)
		memcpy(e->addrs, k, nk * sizeof(*k));
	if (nu)
		memcpy(e->addrs + nk, u, nu * sizeof(*u));
}

uint32_t pr_stacks_intern(struct pr_stacks *st, uint32_t pid, uint64_t time, const uint64_t *k,
			  uint32_t nk, const uint64_t *u, uint32_t nu)
{
	struct memo *e;
	uint64_t h = 0;
	uint32_t id;
	bool hit;

	if (nk > PR_MAX_FRAMES)
		nk = PR_MAX_FRAMES;
	if (nu > PR_MAX_FRAMES)
		nu = PR_MAX_FRAMES;
	e = memo_slot(st, pid, k, nk, u, nu, &h, &hit);
	if (hit) {
		st->memo_hits++;
		return e->id;
	}
	normalize(st, pid, time, k, nk, u, nu);
	id = intern_scratch(st, pid, nk + nu);
	/* placed in maps an exec will replace: the same addresses after it
	 * are another image's */
	if (e && id && !pr_maps_exec_pending(st->maps, pid))
		memo_keep(st, e, h, pid, id, k, nk, u, nu);
	return id;
}

uint32_t pr_stacks_intern_frames(struct pr_stacks *st, uint32_t pid, const uint64_t *k,
				 uint32_t nk, const struct pr_user_frame *u, uint32_t nu)
{
	uint32_t i;

	if (nk > PR_MAX_FRAMES)
		nk = PR_MAX_FRAMES;
	if (nu > PR_STACK_FRAMES - PR_MAX_FRAMES)
		nu = PR_STACK_FRAMES - PR_MAX_FRAMES;
	normalize_kernel(st, k, nk);
	for (i = 0; i < nu; i++)
		st->scratch[nk + i] = user_frame(st, pid, &u[i]);
	return intern_scratch(st, pid, nk + nu);
}

/* Names handed out by the last request have been copied by now. */
static void new_request(struct pr_stacks *st)
{
	if (st->bins)
		pr_elfsyms_release(st->bins);
	if (st->perfmaps)
		pr_perfmaps_release(st->perfmaps);
}

/* A native frame's function, preceded by the functions inlined into it
 * at that address (DWARF), innermost first, all with its addr: at most
 * room frames (inline levels past room are left out, the function
 * stays). caller: a return address, whose call is the byte before it. */
static int symbolize_binary(struct pr_stacks *st, const struct frame *fr, bool caller,
			    struct pr_frame *out, int room)
{
	const struct pr_elfsym_line *l;
	struct pr_frame f = *out;
	int n, extra, j;

	f.module = pr_elfsym_name(frame_bin(fr));
	f.name = pr_elfsym_resolve(frame_bin(fr), fr->addr, &f.offset);
	if (!f.name)
		f.offset = fr->addr;
	n = pr_elfsym_lines(frame_bin(fr), fr->addr - (caller && fr->addr), &l);
	if (n <= 0) {
		*out = f;
		return 1;
	}
	extra = st->no_inline ? 0 : n - 1 < room - 1 ? n - 1 : room - 1;
	for (j = 0; j < extra; j++) {
		out[j] = f;
		out[j].name = l[j].name ? l[j].name : f.name;
		out[j].file = l[j].file;
		out[j].line = l[j].line;
		out[j].inlined = 1;
	}
	f.file = l[n - 1].file;
	f.line = l[n - 1].line;
	if (!f.name)
		f.name = l[n - 1].name;
	out[extra] = f;
	return extra + 1;
}

/* Fills out[0..room) for one interned frame: how many frames it became. */
static int symbolize(struct pr_stacks *st, const struct frame *fr, bool caller,
		     struct pr_frame *out, int room)
{
	uint64_t start;

	*out = (struct pr_frame){ .addr = fr->addr, .offset = fr->addr };
	switch (frame_kind(fr)) {
	case FK_KERNEL:
		out->kernel = 1;
		out->kind = PR_FRAME_KERNEL;
		out->name = pr_ksym_lookup(st->ksym, fr->addr, &out->offset, &out->module);
		if (!out->name)
			out->offset = fr->addr;
		break;
	case FK_BPF:
		out->kernel = 1;
		out->kind = PR_FRAME_KERNEL;
		out->module = "bpf";
		out->name = pr_bpfsym_name(st->bpfsym, frame_id(fr), &start);
		out->offset = out->name ? fr->addr - start : fr->addr;
		break;
	case FK_BINARY:
		return symbolize_binary(st, fr, caller, out, room);
	case FK_PYTHON: {
		int kind = pr_python_frame(st->python, frame_id(fr), &out->name, &out->file,
					   &out->line);

		out->addr = out->offset = 0;
		out->kind = kind < 0 ? PR_FRAME_PYTHON : (uint32_t)kind;
		out->module = kind == PR_FRAME_PYTHON ? out->file : NULL;
		break;
	}
	default:
		/* anonymous executable memory: a JIT may have named it */
		if (st->perfmaps)
			out->name = pr_perfmap_lookup(st->perfmaps, frame_id(fr), fr->addr, &out->offset,
						      &out->module);
		break;
	}
	return 1;
}

/* The stack named id, or NULL. */
static const struct stack *find_id(struct pr_stacks *st, uint32_t id)
{
	if (id == 0)
		return NULL;
	if (id <= st->base) {
		st->stale_lookups++;
		return NULL;
	}
	id -= st->base;
	return id < st->nstacks ? &st->stacks[id] : NULL;
}

int pr_stacks_frames(struct pr_stacks *st, uint32_t id, struct pr_frame *out, int max)
{
	const struct stack *s = find_id(st, id);
	bool user_seen = false;
	uint32_t i;
	int k = 0;

	if (!s)
		return -ENOENT;
	new_request(st);
	for (i = 0; i < s->n && k < max; i++) {
		const struct frame *fr = &st->frames[st->pool[s->start + i]];

		k += symbolize(st, fr, user_seen, out + k, max - k);
		/* the first user frame is where the thread was; the others
		 * are return addresses */
		if (frame_kind(fr) != FK_KERNEL && frame_kind(fr) != FK_BPF)
			user_seen = true;
	}
	return k;
}

int pr_stacks_pid(struct pr_stacks *st, uint32_t id)
{
	const struct stack *s = find_id(st, id);

	return s ? (int)s->pid : -ENOENT;
}

int pr_stacks_usym(struct pr_stacks *st, uint32_t pid, uint64_t addr, struct pr_frame *f)
{
	struct frame fr = id_frame(FK_ANON, pid, addr);
	struct pr_elfsym *bin;
	uint64_t foff;

	new_request(st);
	bin = pr_maps_normalize(st->maps, pid, addr, 0, &foff);
	if (bin)
		fr = bin_frame(bin, foff);
	symbolize(st, &fr, false, f, 1);
	f->addr = addr;
	return f->name ? 0 : -ENOENT;
}

int pr_stacks_ksym(struct pr_stacks *st, uint64_t addr, struct pr_frame *f)
{
	uint32_t id = st->bpfsym ? pr_bpfsym_find(st->bpfsym, addr) : 0;
	struct frame fr = id_frame(id ? FK_BPF : FK_KERNEL, id, addr);

	new_request(st);
	symbolize(st, &fr, false, f, 1);
	return f->name ? 0 : -ENOENT;
}

void pr_stacks_set_bpfsym(struct pr_stacks *st, struct pr_bpfsym *bs)
{
	st->bpfsym = bs;
	/* kernel frames remembered before were placed without it */
	if (st->memo)
		memset(st->memo, 0, MEMO_SLOTS * sizeof(*st->memo));
}

void pr_stacks_set_python(struct pr_stacks *st, struct pr_python *py)
{
	st->python = py;
}

uint64_t pr_stacks_count(const struct pr_stacks *st)
{
	return st->nstacks - 1;
}

void pr_stacks_end_cycle(struct pr_stacks *st)
{
	uint32_t n = st->nstacks - 1;

	/* ids are 32 bits: a run that used them all keeps what it has */
	if (!st->recent || n < st->recent || (uint64_t)st->base + n + st->max_stacks >= UINT32_MAX)
		return;
	st->base += n;
	st->forgotten += n;
	st->restarts++;
	st->nstacks = 1;
	st->npool = 0;
	st->nframes = 1;
	memset(st->table, 0, ((size_t)st->table_mask + 1) * sizeof(*st->table));
	memset(st->frame_table, 0, ((size_t)st->frame_mask + 1) * sizeof(*st->frame_table));
	if (st->memo)
		memset(st->memo, 0, MEMO_SLOTS * sizeof(*st->memo));
}

uint64_t pr_stacks_forgotten(const struct pr_stacks *st)
{
	return st->forgotten;
}

uint64_t pr_stacks_restarts(const struct pr_stacks *st)
{
	return st->restarts;
}

uint64_t pr_stacks_stale_lookups(const struct pr_stacks *st)
{
	return st->stale_lookups;
}

uint64_t pr_stacks_memo_hits(const struct pr_stacks *st)
{
	return st->memo_hits;
}

uint64_t pr_stacks_full(const struct pr_stacks *st)
{
	return st->full;
}

uint64_t pr_stacks_nframes(const struct pr_stacks *st)
{
	return st->npool;
}

uint64_t pr_stacks_bytes(const struct pr_stacks *st)
{
	return sizeof(*st) + (uint64_t)st->cap_stacks * sizeof(*st->stacks) +
	       (uint64_t)st->cap_pool * sizeof(*st->pool) +
	       (uint64_t)st->cap_frames * sizeof(*st->frames) +
	       ((uint64_t)st->frame_mask + 1) * sizeof(*st->frame_table) +
	       ((uint64_t)st->table_mask + 1) * sizeof(*st->table);
}
