// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loading the in-kernel unwinder's tables. Rows are written through a
 * mapping of the array (BPF_F_MMAPABLE) made for the one table and
 * unmapped after it, so they never stay in profrun's RSS: through
 * bpf_map_update_batch each row cost ~0.3 us here (two copies from user
 * memory with their checks, per element), libc's 28,617 rows 9 ms of the
 * main loop, ~28 ms for a new process with a dozen libraries; a memcpy
 * does not show. Batches stay the way when the mapping fails.
 *
 * Safety of reuse: a process entry names row ranges; when a binary is
 * evicted, every entry naming it is deleted first, and its rows go to a
 * quarantine that is freed at the next tick (>= TICK_NS later). A walk
 * that read the entry before the delete runs for microseconds, so it never
 * sees another binary's rows under the old range.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "array.h"
#include "cfi.h"
#include "clock.h"
#include "kunwind.h"

/* the same numbers under two names: BPF cannot include cfi.h */
#define SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(SAME(PR_KUW_CFA_INVALID, PR_CFA_INVALID) && SAME(PR_KUW_CFA_SP, PR_CFA_SP) &&
		       SAME(PR_KUW_CFA_BP, PR_CFA_BP) &&
		       SAME(PR_KUW_CFA_DEREF_SP, PR_CFA_DEREF_SP) &&
		       SAME(PR_KUW_CFA_DEREF_BP, PR_CFA_DEREF_BP) && SAME(PR_KUW_CFA_PLT, PR_CFA_PLT),
	       "BPF's CFA kinds are cfi.h's");
_Static_assert(SAME(PR_KUW_REG_SAME, PR_REG_SAME) && SAME(PR_KUW_REG_AT_CFA, PR_REG_AT_CFA) &&
		       SAME(PR_KUW_REG_AT_SP, PR_REG_AT_SP) &&
		       SAME(PR_KUW_REG_VAL_CFA, PR_REG_VAL_CFA) &&
		       SAME(PR_KUW_REG_UNDEFINED, PR_REG_UNDEFINED) &&
		       SAME(PR_KUW_ROW_SIGNAL, PR_CFI_SIGNAL) &&
		       SAME(PR_KUW_ROW_UNSUPPORTED, PR_CFI_UNSUPPORTED),
	       "BPF's register rules are cfi.h's");

#define TICK_NS 10000000ull	   /* requests are served at most this often */
#define MAX_PER_TICK 64		   /* processes loaded per tick: a bounded pause */
/* A process whose pcs miss its maps is reread one tick after its last
 * load, then twice as late each time up to once a second: a process first
 * loaded while ld.so was still mapping its libraries gets them at once,
 * one running code no mapping covers (a JIT) costs a read a second. */
#define NO_MAP_RETRY_MAX_NS 1000000000ull
/* Rule dictionary: open addressing, half full at most, grown by doubling
 * up to RULE_SLOTS (a machine's binaries share a few hundred rules: the
 * whole table would be 0.5 MB of pages touched at random) */
#define RULE_SLOTS (2 * PR_UW_RULES_MAX)
#define RULE_SLOTS_MIN 1024
#define PROC_BUCKETS 1024
#define BATCH 4096

struct bin {
	struct pr_elfsym *elf; /* NULL: a free slot */
	uint32_t start, count; /* its extent (page index, then rows); 0: no rows */
	uint32_t first_page, npages;
	uint32_t table; /* this load's number (struct pr_uw_map's table) */
	uint64_t last_use;
	bool no_cfi; /* the binary has no unwind info: BPF walks it by frame pointer */
};

struct extent {
	uint32_t start, count;
};

struct proc {
	uint32_t pid;
	uint64_t loaded_at;
	uint64_t no_map_wait; /* ns from loaded_at before a NO_MAP reread */
	uint32_t nbins;
	uint32_t bins[PR_UW_MAPS]; /* indexes in k->bins */
	struct proc *next;
};

struct pr_kunwind {
	struct pr_kunwind_fds fd;
	struct pr_maps *maps;
	struct bin *bins;
	uint32_t nbins, capbins;
	struct extent *free, *quarantine;
	uint32_t nfree, capfree, nquar, capquar;
	struct pr_uw_rule *rules;
	uint32_t nrules;
	uint32_t rules_written; /* rules[0..rules_written) are in BPF */
	uint32_t *rule_slot; /* rule index + 1; 0: empty */
	uint32_t rule_slots; /* a power of two */
	struct proc *procs[PROC_BUCKETS];
	uint64_t clock, load_clock; /* LRU clock; the clock a load started at */
	uint64_t last_tick;
	uint64_t rows_used;
	uint32_t tables_loaded; /* numbers struct bin's table */
	/* every table number's binary, kept after eviction: a frame BPF
	 * placed by table number (PR_UFRAME) may be read long after */
	struct pr_elfsym **table_elf;
	uint32_t ntable_elf, cap_table_elf;
	uint32_t entry_gens;	/* numbers struct pr_uw_proc's gen */
	struct pr_kunwind_stats st;
	/* the entry being built */
	struct pr_uw_proc entry;
	uint32_t entry_bins[PR_UW_MAPS], entry_nbins;
	uint32_t keys[BATCH];
	struct pr_uw_row rowbuf[BATCH];
};

/* The next number of a counter BPF caches by: never 0 (none), and not
 * reused before 2^32 more. */
static uint32_t next_number(uint32_t *counter)
{
	if (!++*counter)
		++*counter;
	return *counter;
}

int pr_kunwind_new(const struct pr_kunwind_fds *fds, struct pr_maps *maps,
		   struct pr_kunwind **out)
{
	struct pr_kunwind *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->fd = *fds;
	k->maps = maps;
	k->rules = calloc(PR_UW_RULES_MAX, sizeof(*k->rules));
	k->rule_slots = RULE_SLOTS_MIN;
	k->rule_slot = calloc(k->rule_slots, sizeof(*k->rule_slot));
	k->free = malloc(sizeof(*k->free));
	if (!k->rules || !k->rule_slot || !k->free) {
		pr_kunwind_free(k);
		return -ENOMEM;
	}
	k->capfree = 1;
	k->nfree = 1;
	k->free[0] = (struct extent){ 0, fds->max_rows };
	k->st.row_budget = fds->max_rows;
	*out = k;
	return 0;
}

void pr_kunwind_free(struct pr_kunwind *k)
{
	struct proc *p, *next;
	size_t i;

	if (!k)
		return;
	for (i = 0; i < PROC_BUCKETS; i++) {
		for (p = k->procs[i]; p; p = next) {
			next = p->next;
			free(p);
		}
	}
	free(k->bins);
	free(k->free);
	free(k->quarantine);
	free(k->rules);
	free(k->rule_slot);
	free(k->table_elf);
	free(k);
}

/* --- row space: first fit over sorted free extents --- */

static bool alloc_rows(struct pr_kunwind *k, uint32_t n, uint32_t *start)
{
	uint32_t i;

	for (i = 0; i < k->nfree; i++) {
		if (k->free[i].count < n)
			continue;
		*start = k->free[i].start;
		k->free[i].start += n;
		k->free[i].count -= n;
		if (!k->free[i].count)
			memmove(&k->free[i], &k->free[i + 1], (--k->nfree - i) * sizeof(*k->free));
		return true;
	}
	return false;
}

/* Returns an extent to the free list, merging neighbours. */
static void free_rows(struct pr_kunwind *k, struct extent e)
{
	uint32_t i = 0;

	while (i < k->nfree && k->free[i].start < e.start)
		i++;
	if (i > 0 && k->free[i - 1].start + k->free[i - 1].count == e.start) {
		k->free[i - 1].count += e.count;
		if (i < k->nfree && e.start + e.count == k->free[i].start) {
			k->free[i - 1].count += k->free[i].count;
			memmove(&k->free[i], &k->free[i + 1], (--k->nfree - i) * sizeof(*k->free));
		}
		return;
	}
	if (i < k->nfree && e.start + e.count == k->free[i].start) {
		k->free[i].start = e.start;
		k->free[i].count += e.count;
		return;
	}
	if (pr_array_reserve((void **)&k->free, &k->capfree, k->nfree + 1, sizeof(*k->free)))
		return; /* leaked until the run ends: never handed out twice */
	memmove(&k->free[i + 1], &k->free[i], (k->nfree - i) * sizeof(*k->free));
	k->free[i] = e;
	k->nfree++;
}

/* --- processes --- */

static struct proc **proc_slot(struct pr_kunwind *k, uint32_t pid)
{
	struct proc **pp = &k->procs[pid % PROC_BUCKETS];

	while (*pp && (*pp)->pid != pid)
		pp = &(*pp)->next;
	return pp;
}

static void proc_drop(struct pr_kunwind *k, struct proc **pp)
{
	struct proc *p = *pp;

	bpf_map_delete_elem(k->fd.procs, &p->pid);
	*pp = p->next;
	free(p);
	k->st.procs--;
}

static bool proc_uses(const struct proc *p, uint32_t bin)
{
	uint32_t i;

	for (i = 0; i < p->nbins; i++)
		if (p->bins[i] == bin)
			return true;
	return false;
}

/* Deletes the entries of processes that are gone: the map is full. */
static void sweep_gone(struct pr_kunwind *k)
{
	struct proc **pp;
	size_t i;

	for (i = 0; i < PROC_BUCKETS; i++) {
		for (pp = &k->procs[i]; *pp;) {
			if (kill((*pp)->pid, 0) && errno == ESRCH)
				proc_drop(k, pp);
			else
				pp = &(*pp)->next;
		}
	}
}

/* --- binaries --- */

static void evict(struct pr_kunwind *k, uint32_t b)
{
	struct bin *bin = &k->bins[b];
	struct proc **pp;
	size_t i;

	for (i = 0; i < PROC_BUCKETS; i++) {
		for (pp = &k->procs[i]; *pp;) {
			if (proc_uses(*pp, b))
				proc_drop(k, pp);
			else
				pp = &(*pp)->next;
		}
	}
	if (bin->count &&
	    !pr_array_reserve((void **)&k->quarantine, &k->capquar, k->nquar + 1,
			      sizeof(*k->quarantine))) {
		k->quarantine[k->nquar++] = (struct extent){ bin->start, bin->count };
		k->rows_used -= bin->count;
	}
	k->st.evictions++;
	k->st.binaries--;
	*bin = (struct bin){ 0 };
}

/* Evicts the least recently used binary not needed by the load in
 * progress; false when there is none. */
static bool evict_lru(struct pr_kunwind *k)
{
	uint32_t i, best = UINT32_MAX;

	for (i = 0; i < k->nbins; i++) {
		if (!k->bins[i].elf || !k->bins[i].count || k->bins[i].last_use >= k->load_clock)
			continue;
		if (best == UINT32_MAX || k->bins[i].last_use < k->bins[best].last_use)
			best = i;
	}
	if (best == UINT32_MAX)
		return false;
	evict(k, best);
	return true;
}

static uint32_t rule_hash(const struct pr_uw_rule *r)
{
	const uint8_t *p = (const uint8_t *)r;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*r); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* The dictionary's slots doubled, every rule placed again (in index
 * order, as they were added); false without memory (the old stay). */
static bool grow_rule_slots(struct pr_kunwind *k)
{
	uint32_t n = k->rule_slots * 2, *slot = calloc(n, sizeof(*slot)), i, h;

	if (!slot)
		return false;
	for (i = 0; i < k->nrules; i++) {
		for (h = rule_hash(&k->rules[i]) & (n - 1); slot[h]; h = (h + 1) & (n - 1))
			;
		slot[h] = i + 1;
	}
	free(k->rule_slot);
	k->rule_slot = slot;
	k->rule_slots = n;
	return true;
}

/* The dictionary index of row's rule, added when new (written to BPF
 * with the binary's rows, by flush_rules); false when the dictionary is
 * full. */
static bool rule_index(struct pr_kunwind *k, const struct pr_cfi_row *row, uint32_t *out)
{
	struct pr_uw_rule r = { .cfa_off = row->cfa_off, .rbp_off = row->rbp_off,
				.ra_off = row->ra_off, .cfa = row->cfa, .rbp = row->rbp,
				.ra = row->ra, .flags = row->flags };
	uint32_t h, idx;

	if ((k->nrules + 1) * 2 > k->rule_slots && k->rule_slots < RULE_SLOTS &&
	    !grow_rule_slots(k))
		return false;
	for (h = rule_hash(&r) & (k->rule_slots - 1); k->rule_slot[h];
	     h = (h + 1) & (k->rule_slots - 1)) {
		idx = k->rule_slot[h] - 1;
		if (!memcmp(&k->rules[idx], &r, sizeof(r))) {
			*out = idx;
			return true;
		}
	}
	if (k->nrules == PR_UW_RULES_MAX)
		return false;
	idx = k->nrules;
	k->rules[idx] = r;
	k->rule_slot[h] = idx + 1;
	k->nrules++;
	*out = idx;
	return true;
}

/* values[0..n) into map fd at k->keys[0..n): true when all went in */
static bool update_batch(struct pr_kunwind *k, int fd, const void *values, uint32_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t done = n;

	return !n || (!bpf_map_update_batch(fd, k->keys, values, &done, &opts) && done == n);
}

static bool flush_batch(struct pr_kunwind *k, uint32_t n)
{
	return update_batch(k, k->fd.rows, k->rowbuf, n);
}

/* Writes the rules added since the last call to BPF, a batch at a time
 * (one syscall each had been ~500 at the first tables' load, a few ms of
 * the main loop while every sample fell back to a copy). On a failure
 * they leave the dictionary too: no row BPF can reach names them yet,
 * and they were the last added, so no older rule's probe sequence runs
 * through their slots. */
static bool flush_rules(struct pr_kunwind *k)
{
	uint32_t i, n, h;

	while (k->rules_written < k->nrules) {
		n = k->nrules - k->rules_written;
		if (n > BATCH)
			n = BATCH;
		for (i = 0; i < n; i++)
			k->keys[i] = k->rules_written + i;
		if (!update_batch(k, k->fd.rules, &k->rules[k->rules_written], n))
			goto undo;
		k->rules_written += n;
	}
	return true;
undo:
	for (h = 0; h < k->rule_slots; h++)
		if (k->rule_slot[h] > k->rules_written)
			k->rule_slot[h] = 0;
	k->nrules = k->rules_written;
	return false;
}

/* Maps rows [start, start + n) of the rows array: *rows points at row
 * start; returns the mapping (*len bytes, for munmap), NULL when it cannot
 * be made (the rows then go by batches). */
static void *map_rows(struct pr_kunwind *k, uint32_t start, uint32_t n, struct pr_uw_row **rows,
		      size_t *len)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t from = (uint64_t)start * sizeof(**rows), to = from + (uint64_t)n * sizeof(**rows);
	uint64_t off = from & ~(page - 1);
	void *m;

	*len = ((to + page - 1) & ~(page - 1)) - off;
	m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, k->fd.rows, (off_t)off);
	if (m == MAP_FAILED)
		return NULL;
	*rows = (struct pr_uw_row *)((char *)m + (from - off));
	return m;
}

/* Writes b's page index and t's rows at b->start (bpf/events.h), and the
 * rules they name; false on a failure (nothing names them yet). A
 * table's rules are looked up in the dictionary once each, not once per
 * row (libc: 301 lookups, not 28,274). */
static bool write_rows(struct pr_kunwind *k, const struct pr_cfi_packed *t, const struct bin *b)
{
	uint32_t total = b->npages + 1 + t->n, i, j = 0, row = 0, local, *global;
	struct pr_uw_row *mapped = NULL, *dst;
	bool ok = false;
	size_t len = 0;
	void *m;

	/* global[local]: the dictionary's index + 1, 0 until looked up */
	global = calloc(t->nrules, sizeof(*global));
	if (!global)
		return false;
	m = map_rows(k, b->start, total, &mapped, &len);
	for (i = 0; i < total; i++) {
		dst = m ? &mapped[i] : &k->rowbuf[j];
		if (i <= b->npages) {
			/* the first row at or past page first_page + i */
			while (row < t->n && (t->pc[row] >> 12) < b->first_page + i)
				row++;
			*dst = (struct pr_uw_row){ .pc = row };
		} else {
			dst->pc = t->pc[i - b->npages - 1];
			local = pr_cfi_packed_rule(t, i - b->npages - 1);
			if (!global[local]) {
				if (!rule_index(k, &t->rules[local], &global[local]))
					goto out;
				global[local]++;
			}
			dst->rule = global[local] - 1;
		}
		if (m)
			continue;
		k->keys[j] = b->start + i;
		if (++j == BATCH) {
			if (!flush_batch(k, j))
				goto out;
			j = 0;
		}
	}
	/* the rows are in before the rules they name, as by batches: an entry
	 * naming either is written after both (a system call: ordered) */
	ok = (m || flush_batch(k, j)) && flush_rules(k);
out:
	if (m)
		munmap(m, len);
	free(global);
	return ok;
}

static uint32_t new_bin_slot(struct pr_kunwind *k)
{
	uint32_t i;

	for (i = 0; i < k->nbins; i++)
		if (!k->bins[i].elf)
			return i;
	if (pr_array_reserve((void **)&k->bins, &k->capbins, k->nbins + 1, sizeof(*k->bins)))
		return UINT32_MAX;
	return k->nbins++;
}

/* Numbers this load (BPF caches rules by it, and places the frames of
 * forks walked with their parent's entry by it) and remembers its
 * binary. */
static void number_table(struct pr_kunwind *k, struct bin *bin)
{
	bin->table = next_number(&k->tables_loaded);
	if (bin->table >= (1u << PR_UFRAME_TABLE_BITS) ||
	    pr_array_reserve((void **)&k->table_elf, &k->cap_table_elf, bin->table + 1,
			     sizeof(*k->table_elf)))
		return; /* BPF cannot place frames by it: they are left unplaced */
	while (k->ntable_elf < bin->table)
		k->table_elf[k->ntable_elf++] = NULL;
	k->table_elf[bin->table] = bin->elf;
	k->ntable_elf = bin->table + 1;
}

struct pr_elfsym *pr_kunwind_table_bin(const struct pr_kunwind *k, uint32_t table)
{
	return k && table < k->ntable_elf ? k->table_elf[table] : NULL;
}

/* The slot of elf's rows, loading them when they are not; UINT32_MAX
 * when there is no memory for the slot itself. */
static uint32_t load_bin(struct pr_kunwind *k, struct pr_elfsym *elf)
{
	const struct pr_cfi_packed *t;
	struct bin *bin;
	uint32_t i, start, first, npages, total;

	for (i = 0; i < k->nbins; i++) {
		if (k->bins[i].elf == elf) {
			k->bins[i].last_use = ++k->clock;
			return i;
		}
	}
	i = new_bin_slot(k);
	if (i == UINT32_MAX)
		return i;
	bin = &k->bins[i];
	*bin = (struct bin){ .elf = elf, .last_use = ++k->clock };
	k->st.binaries++;
	t = pr_elfsym_cfi_table(elf);
	if (!t->n) {
		/* user space has no rows for it either: it steps by frame pointer */
		bin->no_cfi = true;
		number_table(k, bin);
		return i;
	}
	first = t->pc[0] >> 12;
	npages = (t->pc[t->n - 1] >> 12) - first + 1;
	total = npages + 1 + t->n;
	/* a table bigger than half the budget would evict everything else */
	if (total > k->fd.max_rows / 2) {
		k->st.failed++;
		return i;
	}
	while (!alloc_rows(k, total, &start))
		if (!evict_lru(k)) {
			k->st.failed++;
			return i;
		}
	bin = &k->bins[i];
	bin->start = start;
	bin->first_page = first;
	bin->npages = npages;
	if (!write_rows(k, t, bin)) {
		free_rows(k, (struct extent){ start, total });
		bin->start = 0;
		k->st.failed++;
		return i;
	}
	bin->count = total;
	number_table(k, bin);
	k->rows_used += total;
	k->st.loads++;
	return i;
}

/* --- process entries --- */

static void add_range(void *ctx, uint64_t start, uint64_t end, uint64_t offset,
		      struct pr_elfsym *elf)
{
	struct pr_kunwind *k = ctx;
	struct pr_uw_map *m;
	uint32_t b = UINT32_MAX;

	if (k->entry.n == PR_UW_MAPS)
		return; /* its pcs miss the entry: those samples are copied */
	if (elf)
		b = load_bin(k, elf);
	m = &k->entry.maps[k->entry.n++];
	*m = (struct pr_uw_map){ .start = start, .end = end, .offset = offset };
	/* anonymous code (JIT): no unwind info, user space steps by frame pointer */
	if (!elf)
		m->flags = PR_UW_MAP_NO_CFI;
	if (b != UINT32_MAX) {
		const struct bin *bin = &k->bins[b];

		if (bin->no_cfi)
			m->flags = PR_UW_MAP_NO_CFI;
		/* a fork walked with this entry places its frames by it, rows or not */
		m->table = bin->table;
		if (bin->count) {
			m->row_start = bin->start + bin->npages + 1;
			m->row_count = bin->count - bin->npages - 1;
			m->first_page = bin->first_page;
			m->npages = bin->npages;
		}
		k->entry_bins[k->entry_nbins++] = b;
	}
}

static void load_proc(struct pr_kunwind *k, uint32_t pid, const struct pr_uw_pending *want,
		      uint64_t now)
{
	struct proc **pp = proc_slot(k, pid), *p = *pp;
	int n;

	if (p && want->reason == PR_KUW_NO_MAP && now - p->loaded_at < p->no_map_wait)
		return;
	memset(&k->entry, 0, sizeof(k->entry));
	k->entry.start_time = want->start_time;
	k->entry.exec_id = want->exec_id;
	/* BPF skips copying an entry whose gen it copied last */
	k->entry.gen = next_number(&k->entry_gens);
	k->entry_nbins = 0;
	k->load_clock = k->clock + 1;
	/* the maps must be read after the request: its identity is of an
	 * image at least that old, so a newer image can only mismatch */
	n = pr_maps_each_exec(k->maps, pid, want->time, add_range, k);
	pp = proc_slot(k, pid); /* an eviction may have dropped it */
	if (n < 0) {
		if (*pp)
			proc_drop(k, pp);
		return;
	}
	if (bpf_map_update_elem(k->fd.procs, &pid, &k->entry, BPF_ANY)) {
		sweep_gone(k);
		pp = proc_slot(k, pid);
		if (bpf_map_update_elem(k->fd.procs, &pid, &k->entry, BPF_ANY)) {
			k->st.failed++;
			return;
		}
	}
	if (!*pp) {
		*pp = calloc(1, sizeof(**pp));
		if (!*pp) {
			bpf_map_delete_elem(k->fd.procs, &pid);
			return;
		}
		(*pp)->pid = pid;
		k->st.procs++;
	}
	p = *pp;
	/* doubled from at least a tick: an entry made by a NO_MAP request
	 * (its user-space record dropped) starts at 0 */
	if (want->reason != PR_KUW_NO_MAP || p->no_map_wait < TICK_NS)
		p->no_map_wait = TICK_NS;
	else if (p->no_map_wait < NO_MAP_RETRY_MAX_NS / 2)
		p->no_map_wait *= 2;
	else
		p->no_map_wait = NO_MAP_RETRY_MAX_NS;
	p->loaded_at = now;
	p->nbins = k->entry_nbins;
	memcpy(p->bins, k->entry_bins, k->entry_nbins * sizeof(p->bins[0]));
	k->st.proc_loads++;
}

void pr_kunwind_set_fds(struct pr_kunwind *k, const struct pr_kunwind_fds *fds)
{
	if (k)
		k->fd = *fds;
}

void pr_kunwind_tick(struct pr_kunwind *k)
{
	uint32_t pids[MAX_PER_TICK], n = 0, key, next, i;
	struct pr_uw_pending want;
	uint64_t now = pr_mono_ns();
	int err;

	if (!k || k->fd.pending < 0 || now - k->last_tick < TICK_NS)
		return;
	k->last_tick = now;
	/* rows evicted a tick ago: no walk can still be reading them */
	for (i = 0; i < k->nquar; i++)
		free_rows(k, k->quarantine[i]);
	k->nquar = 0;
	for (err = bpf_map_get_next_key(k->fd.pending, NULL, &next); !err && n < MAX_PER_TICK;
	     err = bpf_map_get_next_key(k->fd.pending, &key, &next)) {
		pids[n++] = next;
		key = next;
	}
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_and_delete_elem(k->fd.pending, &pids[i], &want))
			continue;
		load_proc(k, pids[i], &want, now);
	}
}

void pr_kunwind_stats(const struct pr_kunwind *k, struct pr_kunwind_stats *out)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	uint64_t *v;
	uint32_t slot;

	*out = k->st;
	out->rows = k->rows_used;
	out->rules = k->nrules;
	out->bytes = k->rows_used * sizeof(struct pr_uw_row) + k->nrules * sizeof(struct pr_uw_rule) +
		     k->st.procs * sizeof(struct pr_uw_proc);
	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof(*v))))
		return;
	for (slot = 0; slot < PR_KUW_SLOTS; slot++) {
		if (bpf_map_lookup_elem(k->fd.counts, &slot, v))
			continue;
		for (c = 0; c < ncpu; c++) {
			if (slot < PR_KUW_MAX)
				out->walks[slot] += v[c];
			else if (slot == PR_KUW_FRAMES)
				out->frames += v[c];
			else if (slot == PR_KUW_FP_FRAMES)
				out->fp_frames += v[c];
			else if (slot == PR_KUW_BORROWED)
				out->borrowed += v[c];
			else
				out->wakes += v[c];
		}
	}
	free(v);
}
