// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Source lines and inline frames from DWARF (libdw): the binary's own
 * .debug_info, else its separate debuginfo (build id, debuglink, or
 * debuginfod's copy), opened on the first question and kept open with
 * the binary (libdw reads CUs lazily, so an open file costs what was
 * asked of it). Answers are cached per file offset; the cache holds at
 * most MAX_CACHED addresses per binary and starts over past that.
 *
 * An address in code inlined into a function gives one entry per level,
 * innermost first: the inline function with the address's own line, then
 * each caller with the line of the call (DW_AT_call_file/line), ending
 * with the concrete function: what `eu-addr2line -f -i` prints.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "dwarfcache.h"
#include "elfsym_int.h"
#include "thread.h"

#define MAX_CACHED (1u << 16)
#define MAX_DEPTH 64 /* inline levels kept for one address */
#define PATHS 4096    /* source files joined to their directory, per binary */

struct cached {
	uint64_t foff;
	uint32_t first, n; /* slice of pool; n = 0: no lines there */
	bool used;
};

/* One CU's functions with code (subprograms and inline instances), in
 * the DIE tree's depth-first order, so a function's descendants follow
 * it, up to end. Built once per CU on its first address: libdw's own
 * dwarf_getscopes walks the CU's DIE tree from its root on every call
 * (~1 ms an address in python3.11's ceval.c). */
struct fn {
	Dwarf_Off off;	      /* its DIE */
	int32_t parent;	      /* the function it is inlined into (index), -1: none */
	uint32_t end;	      /* index past its last descendant */
	uint32_t range, nrange; /* its code ranges: slice of ranges[] */
	uint16_t depth;
	bool inlined;
};

struct fn_range {
	uint64_t lo, hi;
};

struct top {
	uint64_t lo, hi;
	uint32_t fn;
};

struct cu_index {
	Dwarf_Off cu;
	struct cu_index *next;
	struct fn *fns;
	uint32_t nfns, cap_fns;
	struct fn_range *ranges;
	uint32_t nranges, cap_ranges;
	struct top *tops; /* the outermost functions' ranges, sorted */
	uint32_t ntops, cap_tops;
};

#define CU_BUCKETS 256
#define MAX_NEST 256 /* DIE nesting walked; deeper DIEs (hostile files) are skipped */

enum dwarf_state {
	D_NEW = 0,  /* not looked for yet */
	D_OPENING,  /* queued for, or being opened by, the opener thread */
	D_READY,    /* dw is open */
	D_NONE,     /* no DWARF for this binary */
};

/* A CU's code range, for files without .debug_aranges (clang's DWARF 5
 * has none; libdw 0.188's dwarf_addrdie then finds nothing). */
struct cu_range {
	uint64_t lo, hi;
	Dwarf_Off cu;
};

struct pr_elfsym_dwarf {
	struct cu_index *cus[CU_BUCKETS];
	struct cu_range *cu_ranges; /* built on the first address aranges miss */
	uint32_t ncu_ranges, cap_cu_ranges;
	bool cu_ranges_built;
	enum dwarf_state state;
	struct elf_file own;  /* the binary's own ELF when it carries DWARF */
	struct elf_file sep;  /* else its separate debuginfo */
	struct elf_file copy; /* the inflated copy of either, from the cache */
	bool have_own, have_sep, have_copy;
	int src_fd;			   /* target's file */
	struct pr_dwarfcache *cache;	   /* where its inflated copy is, or NULL */
	uint32_t lookups;		   /* made through a mapping: settle_pages */
	Dwarf *dw;
	/* with the opener (under its lock) */
	Elf *target;			 /* what dwarf_begin_elf reads */
	Dwarf *opened;			 /* its result */
	bool done;			 /* the opener is through with it */
	struct pr_elfsym_dwarf *qnext;	 /* its queue */
	uint64_t bytes;			 /* decompressed debug sections: counted in the budget */
	uint64_t last_use;
	struct cached *slots;
	uint32_t mask, count;
	struct pr_elfsym_line *pool;
	uint32_t npool, cap_pool;
	struct path {
		const char *rel; /* libdw's string: stable while dw is open */
		char *full;
	} *paths;		 /* PATHS of them, made on the first join */
};

static void forget(struct pr_elfsym_dwarf *d)
{
	free(d->slots);
	free(d->pool);
	d->slots = NULL;
	d->pool = NULL;
	d->mask = d->count = d->npool = d->cap_pool = 0;
}

void pr_elfsym_dwarf_unload(struct pr_elfsym *b)
{
	if (b->dwarf)
		forget(b->dwarf);
}

static void free_cus(struct pr_elfsym_dwarf *d)
{
	struct cu_index *x, *next;
	size_t i;

	for (i = 0; i < CU_BUCKETS; i++) {
		for (x = d->cus[i]; x; x = next) {
			next = x->next;
			free(x->fns);
			free(x->ranges);
			free(x->tops);
			free(x);
		}
		d->cus[i] = NULL;
	}
}

/* ---- opening, in the background --------------------------------------- */

/* dwarf_begin_elf decompresses every debug section of a debuginfo file
 * (python3.11's: 180 ms, libc's: 80 ms): done on the loop thread it held
 * up the rings and the in-kernel unwinder's table loads. The opener does
 * it on a thread of its own while the run goes on; a binary asked for
 * meanwhile has no lines yet (not cached; the names generation moves when
 * the file is open, so frames are asked for again). Outside the run
 * (pr_elfsyms_set_background_dwarf off: on_end, tools, tests) opening
 * waits, so every answer is complete. */
struct pr_dwarf_opener {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	pthread_t thread;
	bool started, stop;
	struct pr_elfsym_dwarf *head, *tail, *busy;
	uint64_t opened; /* opens finished: part of the names generation */
	uint32_t pending;
};

/* Drops the pages of elf's file image from profrun's mapping (with
 * advice: MADV_PAGEOUT also from the page cache, MADV_DONTNEED only from
 * the mapping). Harmless whatever the image is: libelf maps files
 * read-only, so pages read again come back from the file; memory libelf
 * allocated instead, with no swap, stays. */
static void drop_image_pages(Elf *elf, int advice)
{
	size_t size = 0;
	char *image = elf_rawfile(elf, &size);
	long page = sysconf(_SC_PAGESIZE);

	if (image && size && page > 0 && !((uintptr_t)image & (uintptr_t)(page - 1)))
		madvise(image, size, advice);
}

/* Units read between two drops of the pages behind them */
#define UNITS_PER_DROP 64

/* libdw learns a file's units on the first address asked for: dwarf_addrdie
 * reads .debug_aranges, then every unit's header, which touches most pages
 * of .debug_info (6 of libc's 10 MB) through the mapping, all resident at
 * once until the lookup is over. Learning them here instead, in order,
 * with the pages behind dropped every UNITS_PER_DROP units, keeps a few
 * pages resident, not the section (libc: the first lookup's peak RSS 11.3
 * -> 5.9 MB). libdw keeps what it learned (~1 KB a unit), so lookups read
 * only the units they need. For a file read through a mapping (dw's
 * sections point into elf's image): a copy, or DWARF stored uncompressed. */
static void learn_units(Dwarf *dw, Elf *elf)
{
	Dwarf_Off off = 0, next;
	size_t hsize, size = 0, n = 0;
	char *image = elf_rawfile(elf, &size), *done, *upto;
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t mask = (uintptr_t)page - 1;
	Dwarf_Die die;
	GElf_Shdr sh;

	if (!image || page <= 0 || ((uintptr_t)image & mask) ||
	    !pr_elfsym_find_section(elf, SHT_PROGBITS, ".debug_info", &sh) ||
	    sh.sh_offset > size || sh.sh_size > size - sh.sh_offset)
		return;
	done = image + (sh.sh_offset & ~(uint64_t)mask);
	while (dwarf_next_unit(dw, off, &next, &hsize, NULL, NULL, NULL, NULL, NULL, NULL) == 0 &&
	       next > off && next <= sh.sh_size) {
		dwarf_offdie(dw, off + hsize, &die);
		off = next;
		if (++n % UNITS_PER_DROP)
			continue;
		/* the page holding the next header stays */
		upto = image + ((sh.sh_offset + off) & ~(uint64_t)mask);
		if (upto > done) {
			madvise(done, (size_t)(upto - done), MADV_DONTNEED);
			done = upto;
		}
	}
	upto = image + ((sh.sh_offset + sh.sh_size + mask) & ~(uint64_t)mask);
	if (upto > image + size)
		upto = image + size;
	if (upto > done)
		madvise(done, (size_t)(upto - done), MADV_DONTNEED);
}

/* d's DWARF opened: through the cache's inflated copy when there is one
 * (libdw reads it through a mapping: only what lookups touch is resident,
 * and nothing is inflated), else from the file itself, libdw inflating
 * its sections into memory. */
static Dwarf *begin_dwarf(struct pr_elfsym_dwarf *d)
{
	Dwarf *dw;
	int fd;

	if (d->cache && d->bytes && !pr_dwarfcache_open(d->cache, d->src_fd, d->target, &fd)) {
		d->copy.fd = fd;
		d->copy.elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		dw = d->copy.elf ? dwarf_begin_elf(d->copy.elf, DWARF_C_READ, NULL) : NULL;
		if (dw) {
			d->have_copy = true;
			learn_units(dw, d->copy.elf);
			/* the compressed file is not read again (libc6-dbg's: ~0.7
			 * MB read while it was copied or its headers checked) */
			drop_image_pages(d->target, MADV_PAGEOUT);
			return dw;
		}
		pr_elfsym_close_elf(&d->copy);
	}
	dw = dwarf_begin_elf(d->target, DWARF_C_READ, NULL);
	/* nor are the compressed bytes libdw inflated (libc6-dbg's: ~4 MB) */
	if (dw && d->bytes)
		drop_image_pages(d->target, MADV_PAGEOUT);
	else if (dw)
		learn_units(dw, d->target);
	return dw;
}

static void *opener_main(void *arg)
{
	struct pr_dwarf_opener *o = arg;
	struct pr_elfsym_dwarf *d;
	Dwarf *dw;

	/* decompressing is background work: on a busy machine the loop (which
	 * reads the rings and loads the unwinder's tables) comes first */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);

	pthread_mutex_lock(&o->mu);
	while (!o->stop) {
		if (!o->head) {
			pthread_cond_wait(&o->work, &o->mu);
			continue;
		}
		d = o->head;
		o->head = d->qnext;
		if (!o->head)
			o->tail = NULL;
		o->busy = d;
		pthread_mutex_unlock(&o->mu);
		dw = begin_dwarf(d);
		pthread_mutex_lock(&o->mu);
		d->opened = dw;
		d->done = true;
		o->busy = NULL;
		o->opened++;
		o->pending--;
		pthread_cond_broadcast(&o->done);
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

static struct pr_dwarf_opener *opener_of(struct pr_elfsyms *t)
{
	struct pr_dwarf_opener *o = t->opener;

	if (o)
		return o->started ? o : NULL;
	o = t->opener = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->work, NULL);
	pthread_cond_init(&o->done, NULL);
	o->started = !pr_thread_start(&o->thread, opener_main, o);
	return o->started ? o : NULL;
}

void pr_elfsym_dwarf_stop(struct pr_elfsyms *t)
{
	struct pr_dwarf_opener *o = t->opener;

	if (!o)
		return;
	if (o->started) {
		pthread_mutex_lock(&o->mu);
		o->stop = true;
		pthread_cond_signal(&o->work);
		pthread_mutex_unlock(&o->mu);
		pthread_join(o->thread, NULL);
	}
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->work);
	pthread_cond_destroy(&o->done);
	free(o);
	t->opener = NULL;
}

uint64_t pr_elfsym_dwarf_opened(struct pr_elfsyms *t)
{
	struct pr_dwarf_opener *o = t->opener;
	uint64_t n;

	if (!o || !o->started)
		return 0;
	pthread_mutex_lock(&o->mu);
	n = o->opened;
	pthread_mutex_unlock(&o->mu);
	return n;
}

/* Takes d's open over when the opener is through with it (waiting for
 * that when wait): true once d is no longer D_OPENING. */
static bool collect(struct pr_elfsyms *t, struct pr_elfsym_dwarf *d, bool wait)
{
	struct pr_dwarf_opener *o = t->opener;

	pthread_mutex_lock(&o->mu);
	while (wait && !d->done && !o->stop)
		pthread_cond_wait(&o->done, &o->mu);
	if (d->done) {
		d->dw = d->opened;
		d->state = d->dw ? D_READY : D_NONE;
	}
	pthread_mutex_unlock(&o->mu);
	return d->state != D_OPENING;
}

/* Out of the opener's hands (b is going): off its queue, or waited for. */
static void withdraw(struct pr_elfsyms *t, struct pr_elfsym_dwarf *d)
{
	struct pr_dwarf_opener *o = t->opener;
	struct pr_elfsym_dwarf **pp;

	if (d->state != D_OPENING)
		return;
	/* without an opener (stopped and joined) its fields hold still */
	if (o) {
		pthread_mutex_lock(&o->mu);
		for (pp = &o->head; *pp; pp = &(*pp)->qnext) {
			if (*pp == d) {
				*pp = d->qnext;
				o->pending--;
				break;
			}
		}
		for (o->tail = o->head; o->tail && o->tail->qnext; o->tail = o->tail->qnext)
			;
		while (o->busy == d)
			pthread_cond_wait(&o->done, &o->mu);
	}
	if (d->done)
		d->dw = d->opened;
	if (o)
		pthread_mutex_unlock(&o->mu);
	d->state = D_NONE;
}

void pr_elfsym_dwarf_free(struct pr_elfsym *b)
{
	struct pr_elfsym_dwarf *d = b->dwarf;

	if (!d)
		return;
	withdraw(b->table, d);
	b->table->dwarf_bytes -= d->bytes;
	forget(d);
	free_cus(d);
	free(d->cu_ranges);
	for (size_t i = 0; d->paths && i < PATHS; i++)
		free(d->paths[i].full);
	free(d->paths);
	if (d->dw)
		dwarf_end(d->dw);
	if (d->have_own)
		pr_elfsym_close_elf(&d->own);
	if (d->have_sep)
		pr_elfsym_close_elf(&d->sep);
	if (d->have_copy)
		pr_elfsym_close_elf(&d->copy);
	free(d);
	b->dwarf = NULL;
}

/* The bytes libdw allocates to decompress elf's DWARF sections (0: none
 * compressed; an uncompressed file is read through its mapping). */
static uint64_t decompressed_size(Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const char *name;
	uint64_t n = 0;
	GElf_Chdr ch;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (!strncmp(name, ".debug_", 7) && (sh.sh_flags & SHF_COMPRESSED))
			n += gelf_getchdr(scn, &ch) ? ch.ch_size : sh.sh_size;
		else if (!strncmp(name, ".zdebug_", 8))
			n += 4 * sh.sh_size; /* GNU-style: no header to ask; a guess */
	}
	return n;
}

/* Which file holds b's DWARF (its own, else its separate debuginfo:
 * finding it is cheap), then opens it: in the background during the run,
 * here otherwise. */
static void open_dwarf(struct pr_elfsym *b, struct pr_elfsym_dwarf *d)
{
	struct pr_elfsyms *t = b->table;
	struct pr_dwarf_opener *o;
	GElf_Shdr sh;

	d->state = D_NONE;
	if (b->fd < 0)
		return;
	d->own.fd = -1;
	d->own.elf = elf_begin(b->fd, ELF_C_READ_MMAP, NULL);
	if (!d->own.elf || elf_kind(d->own.elf) != ELF_K_ELF) {
		elf_end(d->own.elf);
		return;
	}
	if (pr_elfsym_find_section(d->own.elf, SHT_PROGBITS, ".debug_info", &sh)) {
		d->have_own = true;
		d->target = d->own.elf;
		d->src_fd = b->fd;
	} else {
		if (pr_elfsym_find_debuginfo(b, d->own.elf, &d->sep) != SRC_NONE) {
			d->have_sep = true;
			d->target = d->sep.elf;
			d->src_fd = d->sep.fd;
		}
		elf_end(d->own.elf);
		d->own.elf = NULL;
		if (!d->have_sep)
			return;
	}
	d->bytes = decompressed_size(d->target);
	d->cache = t->dwarf_cache;
	t->dwarf_bytes += d->bytes;
	/* uncompressed DWARF (a local -g build) opens in a millisecond */
	o = t->background_dwarf && d->bytes ? opener_of(t) : NULL;
	if (!o) {
		d->dw = begin_dwarf(d);
		d->state = d->dw ? D_READY : D_NONE;
		return;
	}
	pthread_mutex_lock(&o->mu);
	d->state = D_OPENING;
	d->qnext = NULL;
	if (o->tail)
		o->tail->qnext = d;
	else
		o->head = d;
	o->tail = d;
	o->pending++;
	pthread_cond_signal(&o->work);
	pthread_mutex_unlock(&o->mu);
}

/* A subprogram's or inline instance's name: the linkage name demangled
 * (C++: qualified, with parameters, as the symbol tables give it), else
 * DW_AT_name, following abstract origins and specifications. */
static const char *die_name(struct pr_elfsym *b, Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
	char *dm;
	uint32_t k;

	if (!n)
		n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a));
	if (n && (dm = pr_elfsym_demangle(n)) && (k = pr_elfsym_keep_name(b, dm)))
		return b->demangled[k - 1];
	return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
}

static const char *call_file(Dwarf_Die *cu, Dwarf_Die *inl)
{
	Dwarf_Attribute a;
	Dwarf_Files *files;
	Dwarf_Word idx;
	size_t n;

	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &a), &idx) ||
	    dwarf_getsrcfiles(cu, &files, &n) || idx >= n)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

/* A relative source path joined to its CU's compilation directory (what
 * eu-addr2line and gdb show), made once per (CU, file) and kept with the
 * DWARF file. */
static const char *full_path(struct pr_elfsym_dwarf *d, Dwarf_Die *cu, const char *file)
{
	Dwarf_Attribute a;
	const char *dir;
	uint32_t i, k;
	char *p;

	if (!file || file[0] == '/')
		return file;
	dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &a));
	if (!dir || !*dir)
		return file;
	if (!d->paths && !(d->paths = calloc(PATHS, sizeof(*d->paths))))
		return file;
	k = (uint32_t)(((uintptr_t)file * 0x9E3779B97F4A7C15ull) >> 40) & (PATHS - 1);
	for (i = 0; i < PATHS; i++, k = (k + 1) & (PATHS - 1)) {
		if (d->paths[k].rel == file)
			return d->paths[k].full;
		if (!d->paths[k].rel)
			break;
	}
	if (i == PATHS || asprintf(&p, "%s/%s", dir, file) < 0)
		return file;
	d->paths[k].rel = file;
	d->paths[k].full = p;
	return p;
}

static int push(struct pr_elfsym_dwarf *d, const struct pr_elfsym_line *l)
{
	if (pr_array_reserve((void **)&d->pool, &d->cap_pool, d->npool + 1, sizeof(*d->pool)))
		return -ENOMEM;
	d->pool[d->npool++] = *l;
	return 0;
}

/* Adds die as a function when it has code: its index, -1 when not. */
static int32_t add_fn(struct cu_index *x, Dwarf_Die *die, int32_t parent, bool inlined)
{
	Dwarf_Addr base, lo, hi;
	uint32_t first = x->nranges, k = x->nfns;
	ptrdiff_t o = 0;

	while ((o = dwarf_ranges(die, o, &base, &lo, &hi)) > 0) {
		if (hi <= lo)
			continue;
		if (pr_array_reserve((void **)&x->ranges, &x->cap_ranges, x->nranges + 1,
				     sizeof(*x->ranges)))
			break;
		x->ranges[x->nranges++] = (struct fn_range){ lo, hi };
		if (parent < 0) {
			if (pr_array_reserve((void **)&x->tops, &x->cap_tops, x->ntops + 1,
					     sizeof(*x->tops)))
				break;
			x->tops[x->ntops++] = (struct top){ lo, hi, k };
		}
	}
	if (x->nranges == first ||
	    pr_array_reserve((void **)&x->fns, &x->cap_fns, k + 1, sizeof(*x->fns))) {
		x->nranges = first;
		while (x->ntops && x->tops[x->ntops - 1].fn == k)
			x->ntops--;
		return -1;
	}
	x->fns[k] = (struct fn){ .off = dwarf_dieoffset(die),
				 .parent = parent,
				 .end = k + 1,
				 .range = first,
				 .nrange = x->nranges - first,
				 .depth = parent < 0 ? 0 : x->fns[parent].depth + 1,
				 .inlined = inlined };
	x->nfns++;
	return (int32_t)k;
}

static int cmp_top(const void *a, const void *b)
{
	const struct top *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Walks cu's DIE tree once (depth first, without recursion). */
static void build_index(struct cu_index *x, Dwarf_Die *cu)
{
	Dwarf_Die stack[MAX_NEST], ch;
	int32_t encl[MAX_NEST], mine[MAX_NEST];
	int sp = 0;

	if (dwarf_child(cu, &stack[0]) != 0)
		return;
	encl[0] = -1;
	sp = 1;
	while (sp > 0) {
		Dwarf_Die *cur = &stack[sp - 1];
		int tag = dwarf_tag(cur);

		mine[sp - 1] = -1;
		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine)
			mine[sp - 1] = add_fn(x, cur, encl[sp - 1],
					      tag == DW_TAG_inlined_subroutine);
		if (sp < MAX_NEST && dwarf_haschildren(cur) && dwarf_child(cur, &ch) == 0) {
			stack[sp] = ch;
			encl[sp] = mine[sp - 1] >= 0 ? mine[sp - 1] : encl[sp - 1];
			sp++;
			continue;
		}
		/* leaving cur's subtree: on to its sibling, or up */
		while (sp > 0) {
			if (mine[sp - 1] >= 0)
				x->fns[mine[sp - 1]].end = x->nfns;
			if (dwarf_siblingof(&stack[sp - 1], &ch) == 0) {
				stack[sp - 1] = ch;
				break;
			}
			sp--;
		}
	}
	if (x->ntops)
		qsort(x->tops, x->ntops, sizeof(*x->tops), cmp_top);
}

static struct cu_index *cu_index_of(struct pr_elfsym_dwarf *d, Dwarf_Die *cu)
{
	Dwarf_Off off = dwarf_dieoffset(cu);
	size_t k = (off * 0x9E3779B97F4A7C15ull) >> 56;
	struct cu_index *x;

	for (x = d->cus[k]; x; x = x->next)
		if (x->cu == off)
			return x;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->cu = off;
	build_index(x, cu);
	x->next = d->cus[k];
	d->cus[k] = x;
	return x;
}

static bool covers(const struct cu_index *x, const struct fn *f, uint64_t va)
{
	uint32_t i;

	for (i = 0; i < f->nrange; i++)
		if (va >= x->ranges[f->range + i].lo && va < x->ranges[f->range + i].hi)
			return true;
	return false;
}

/* The innermost function with code at va: index, or -1. Down the tree:
 * among a function's children (a child's subtree ends at its end), the
 * one that covers va, and so on: siblings are skipped whole, so a lookup
 * in a function with thousands of inline instances (python's eval loop)
 * looks at a few dozen. */
static int32_t innermost(const struct cu_index *x, uint64_t va)
{
	long t = PR_ARRAY_LAST_LE(x->tops, x->ntops, lo, va);
	int32_t best;
	uint32_t i, end;

	if (t < 0 || va >= x->tops[t].hi)
		return -1;
	best = (int32_t)x->tops[t].fn;
	i = best + 1;
	end = x->fns[best].end;
	while (i < end && i < x->nfns) {
		if (covers(x, &x->fns[i], va)) {
			best = (int32_t)i;
			end = x->fns[i].end;
			i++;
		} else {
			i = x->fns[i].end > i ? x->fns[i].end : i + 1;
		}
	}
	return best;
}

static int cmp_cu_range(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Every CU's ranges, from the CUs themselves. */
static void build_cu_ranges(struct pr_elfsym_dwarf *d)
{
	Dwarf_Addr base, lo, hi;
	Dwarf_CU *unit = NULL;
	Dwarf_Die cu, sub;
	uint8_t unit_type;
	Dwarf_Half version;
	Dwarf_Off off;
	ptrdiff_t o;

	d->cu_ranges_built = true;
	while (dwarf_get_units(d->dw, unit, &unit, &version, &unit_type, &cu, &sub) == 0) {
		off = dwarf_dieoffset(&cu);
		for (o = 0; (o = dwarf_ranges(&cu, o, &base, &lo, &hi)) > 0;) {
			if (hi <= lo)
				continue;
			if (pr_array_reserve((void **)&d->cu_ranges, &d->cap_cu_ranges,
					     d->ncu_ranges + 1, sizeof(*d->cu_ranges)))
				break;
			d->cu_ranges[d->ncu_ranges++] = (struct cu_range){ lo, hi, off };
		}
	}
	if (d->ncu_ranges)
		qsort(d->cu_ranges, d->ncu_ranges, sizeof(*d->cu_ranges), cmp_cu_range);
}

/* The CU holding va: through .debug_aranges, else the CUs' own ranges. */
static bool cu_of(struct pr_elfsym_dwarf *d, uint64_t va, Dwarf_Die *cu)
{
	long i;

	if (dwarf_addrdie(d->dw, va, cu))
		return true;
	if (!d->cu_ranges_built)
		build_cu_ranges(d);
	i = PR_ARRAY_LAST_LE(d->cu_ranges, d->ncu_ranges, lo, va);
	/* ranges of different CUs do not nest: the last start below va */
	return i >= 0 && va < d->cu_ranges[i].hi && dwarf_offdie(d->dw, d->cu_ranges[i].cu, cu);
}

/* The entries of vaddr appended to the pool: how many. One per function
 * level from the innermost inline instance out to the concrete function;
 * each caller's position is where the level inside it was called. */
static uint32_t lookup(struct pr_elfsym *b, struct pr_elfsym_dwarf *d, uint64_t va)
{
	struct pr_elfsym_line cur = { 0 };
	struct cu_index *x;
	Dwarf_Attribute a;
	Dwarf_Die cudie, die;
	Dwarf_Line *ln;
	Dwarf_Word w;
	uint32_t n = 0;
	int32_t k;
	int lineno;

	if (!cu_of(d, va, &cudie))
		return 0;
	ln = dwarf_getsrc_die(&cudie, va);
	if (ln) {
		cur.file = full_path(d, &cudie, dwarf_linesrc(ln, NULL, NULL));
		if (!dwarf_lineno(ln, &lineno) && lineno > 0)
			cur.line = lineno;
	}
	x = cu_index_of(d, &cudie);
	k = x ? innermost(x, va) : -1;
	for (; k >= 0 && n < MAX_DEPTH; k = x->fns[k].parent) {
		if (!dwarf_offdie(d->dw, x->fns[k].off, &die))
			break;
		cur.name = die_name(b, &die);
		cur.inlined = x->fns[k].inlined;
		if (push(d, &cur))
			break;
		n++;
		if (!cur.inlined)
			break;
		cur.file = full_path(d, &cudie, call_file(&cudie, &die));
		cur.line = dwarf_formudata(dwarf_attr(&die, DW_AT_call_line, &a), &w) ? 0 : w;
	}
	/* an address in a CU's line table but in no function DIE still has
	 * its line */
	if (n == 0 && cur.file && !push(d, &cur))
		n = 1;
	if (n) {
		b->table->lines++;
		b->table->inlined += n - 1;
	}
	return n;
}

/* A lookup through a mapping leaves every page it read resident, and the
 * kernel maps up to 15 cached neighbours with each (fault-around, which
 * MADV_RANDOM does not stop): up to ~0.5 MB for a lookup in a CU not seen
 * before, the first one's .debug_aranges included. Those pages leave the
 * mapping after the 1st, 2nd, 4th, 8th... lookup; a later lookup reads
 * them back from the page cache. Dropping them after every lookup made
 * lookups 13x slower, every 16th 10x (symbench, libc): doubling the gap
 * keeps a small profile's pages few and costs a large one a dozen drops. */
static void settle_pages(struct pr_elfsym_dwarf *d)
{
	Elf *mapped = d->have_copy ? d->copy.elf : d->have_own && !d->bytes ? d->own.elf : NULL;
	uint32_t n = ++d->lookups;

	if (mapped && !(n & (n - 1)))
		drop_image_pages(mapped, MADV_DONTNEED);
}

static struct cached *slot_of(struct pr_elfsym_dwarf *d, uint64_t foff)
{
	uint32_t k = (uint32_t)((foff * 0x9E3779B97F4A7C15ull) >> 40) & d->mask;

	while (d->slots[k].used && d->slots[k].foff != foff)
		k = (k + 1) & d->mask;
	return &d->slots[k];
}

static int grow(struct pr_elfsym_dwarf *d)
{
	struct pr_elfsym_dwarf old = *d;
	uint32_t i;

	d->mask = d->mask ? d->mask * 2 + 1 : 255;
	d->slots = calloc(d->mask + 1, sizeof(*d->slots));
	if (!d->slots) {
		*d = old;
		return -ENOMEM;
	}
	for (i = 0; old.slots && i <= old.mask; i++)
		if (old.slots[i].used)
			*slot_of(d, old.slots[i].foff) = old.slots[i];
	free(old.slots);
	return 0;
}

void pr_elfsym_dwarf_budget(struct pr_elfsyms *t)
{
	struct pr_elfsym *b, *lru;

	while (t->dwarf_bytes > t->max_dwarf_bytes) {
		lru = NULL;
		for (b = t->all; b; b = b->all_next)
			if (b->dwarf && b->dwarf->bytes && b->dwarf->state != D_OPENING &&
			    (!lru || b->dwarf->last_use < lru->dwarf->last_use))
				lru = b;
		if (!lru)
			return;
		pr_elfsym_dwarf_free(lru);
		t->dwarf_evictions++;
	}
}

int pr_elfsym_dwarf_lines(struct pr_elfsym *b, uint64_t foff, uint64_t va,
			  const struct pr_elfsym_line **out)
{
	struct pr_elfsym_dwarf *d = b->dwarf;
	struct cached *c;
	uint32_t first;

	if (!d) {
		d = b->dwarf = calloc(1, sizeof(*d));
		if (!d)
			return 0;
	}
	d->last_use = ++b->table->use_clock;
	if (d->state == D_NEW)
		open_dwarf(b, d);
	if (d->state == D_OPENING && !collect(b->table, d, !b->table->background_dwarf))
		return 0;
	if (d->state != D_READY)
		return 0;
	if (d->count >= MAX_CACHED)
		forget(d);
	if ((!d->slots || d->count * 2 >= d->mask) && grow(d))
		return 0;
	c = slot_of(d, foff);
	if (!c->used) {
		first = d->npool;
		*c = (struct cached){ .foff = foff, .first = first, .used = true };
		c->n = lookup(b, d, va);
		settle_pages(d);
		d->count++;
	}
	*out = c->n ? d->pool + c->first : NULL;
	return c->n;
}
