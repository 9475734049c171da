// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * /proc/PID/maps cache. Only executable, file-backed ranges are kept,
 * sorted by address. The binary behind a range is looked up in elfsym the
 * first time an address falls into it, through /proc/PID/map_files/, which
 * reaches files in other mount namespaces and deleted files. A process
 * whose maps cannot be read (it is gone) keeps an empty entry until it is
 * forgotten, so a burst of its samples costs one failed open, not many.
 * The number of cached processes is bounded (MAX_PROCS); when full, the
 * entries of processes that are gone go first (without proc() nothing
 * reports exits here, and an exec-heavy machine fills the cache with the
 * dead), and only if that frees too little does the cache start over,
 * which costs re-reads, never wrong answers.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <linux/types.h>
#include "clock.h"
#include "events.h"
#include "maps.h"

#define NBUCKETS 4096
#define MAX_PROCS 4096

struct range {
	uint64_t start, end, offset;
	dev_t dev;
	ino_t ino;
	char *path;
	struct pr_elfsym *bin; /* looked up on first use */
	int tried;
	bool vdso; /* the kernel's vDSO: the same image in every process */
};

struct proc_maps {
	uint32_t pid;
	uint64_t exec_time; /* != 0: an exec at this time replaced the image */
	uint64_t read_time; /* when /proc/PID/maps was read (CLOCK_MONOTONIC ns) */
	bool unreadable;    /* it could not be: the process is gone (or not ours) */
	struct range *ranges;
	size_t n;
	struct proc_maps *next;
};

struct pr_maps {
	struct pr_elfsyms *bins;
	struct proc_maps *buckets[NBUCKETS];
	size_t count;
	uint64_t gen; /* pr_maps_gen */
	struct pr_elfsym *(*table_bin)(const void *ctx, uint32_t table);
	const void *table_ctx;
};

int pr_maps_new(struct pr_elfsyms *bins, struct pr_maps **out)
{
	struct pr_maps *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->bins = bins;
	*out = m;
	return 0;
}

static void ranges_free(struct proc_maps *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->ranges[i].path);
	free(p->ranges);
}

static void proc_free(struct proc_maps *p)
{
	ranges_free(p);
	free(p);
}

static void flush(struct pr_maps *m)
{
	struct proc_maps *p, *next;
	size_t i;

	m->gen++;
	for (i = 0; i < NBUCKETS; i++) {
		for (p = m->buckets[i]; p; p = next) {
			next = p->next;
			proc_free(p);
		}
		m->buckets[i] = NULL;
	}
	m->count = 0;
}

void pr_maps_free(struct pr_maps *m)
{
	if (!m)
		return;
	flush(m);
	free(m);
}

/* "/usr/bin/x (deleted)": the name users know is the path. */
static void strip_deleted(char *path)
{
	static const char suffix[] = " (deleted)";
	size_t n = strlen(path), k = sizeof(suffix) - 1;

	if (n > k && !strcmp(path + n - k, suffix))
		path[n - k] = '\0';
}

int pr_maps_parse_line(char *line, struct pr_map_range *out)
{
	unsigned long long start, end, off, ino;
	unsigned int maj, min;
	char perms[5];
	int pos = 0;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &off, &maj, &min,
		   &ino, &pos) < 7 ||
	    pos == 0 || end <= start)
		return -EINVAL;
	*out = (struct pr_map_range){
		.start = start,
		.end = end,
		.offset = off,
		.dev = makedev(maj, min),
		.ino = ino,
		.path = line + pos,
	};
	line[pos + strcspn(line + pos, "\n")] = '\0';
	strip_deleted(line + pos);
	out->exec = strlen(perms) >= 3 && perms[2] == 'x';
	if (!out->exec || ino == 0 || out->path[0] != '/')
		return 0;
	return 1;
}

static int add_range(struct proc_maps *p, size_t *cap, const struct pr_map_range *r)
{
	struct range *nr;

	if (p->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		nr = realloc(p->ranges, *cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		p->ranges = nr;
	}
	p->ranges[p->n] = (struct range){
		.start = r->start,
		.end = r->end,
		.offset = r->offset,
		.dev = r->dev,
		.ino = r->ino,
		.path = strdup(r->path),
	};
	if (!p->ranges[p->n].path)
		return -ENOMEM;
	p->n++;
	return 0;
}

/* A miss may mean maps changed without an event we saw (an exec with no
 * exec program loaded, a dlopen): read again, at most this often. */
#define REREAD_NS 1000000ull
/* ... and for an address that may be garbage (see pr_maps_find) */
#define REREAD_UNSURE_NS 100000000ull

static void read_maps(struct proc_maps *p)
{
	int rc;
	struct pr_map_range r;
	char path[64], line[4096 + 128], buf[16384];
	size_t cap = 0;
	FILE *f;

	p->read_time = pr_mono_ns();
	snprintf(path, sizeof(path), "/proc/%u/maps", p->pid);
	f = fopen(path, "re");
	p->unreadable = !f;
	if (!f)
		return;
	/* stdio would read /proc 1 KiB at a time (its st_blksize): a system
	 * call for every ~12 lines, 8-10 for a small process's maps */
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	while (fgets(line, sizeof(line), f)) {
		/* a line longer than the buffer: skip the rest of it */
		if (!strchr(line, '\n') && !feof(f)) {
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		/* anonymous executable ranges (JIT code, vdso) are kept too, with
		 * no file, so an address in them is known as anonymous, not a
		 * miss that makes the maps be read again */
		rc = pr_maps_parse_line(line, &r);
		if (rc == 0 && r.exec) {
			r.ino = 0;
			r.path = strcmp(r.path, "[vdso]") ? "" : "[vdso]";
		}
		if ((rc == 1 || (rc == 0 && r.exec)) && add_range(p, &cap, &r))
			break;
		if (rc == 0 && r.exec && r.path[0])
			p->ranges[p->n - 1].vdso = true;
	}
	fclose(f);
}

/* Frees the entries of processes that no longer exist. */
static void sweep_gone(struct pr_maps *m)
{
	struct proc_maps **pp, *p;
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		for (pp = &m->buckets[i]; (p = *pp);) {
			if (kill(p->pid, 0) && errno == ESRCH) {
				*pp = p->next;
				proc_free(p);
				m->count--;
				m->gen++;
			} else {
				pp = &p->next;
			}
		}
	}
}

/* pid's entry, or NULL: never reads /proc */
static struct proc_maps *find_proc(const struct pr_maps *m, uint32_t pid)
{
	struct proc_maps *p;

	for (p = m->buckets[pid % NBUCKETS]; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

static struct proc_maps *get_proc(struct pr_maps *m, uint32_t pid)
{
	struct proc_maps **head = &m->buckets[pid % NBUCKETS], *p = find_proc(m, pid);

	if (p)
		return p;
	if (m->count >= MAX_PROCS) {
		sweep_gone(m);
		if (m->count >= MAX_PROCS * 3 / 4)
			flush(m);
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	read_maps(p);
	p->next = *head;
	*head = p;
	m->count++;
	return p;
}

static struct range *find_range(struct proc_maps *p, uint64_t addr)
{
	size_t lo = 0, hi = p->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (addr < p->ranges[mid].start)
			hi = mid;
		else if (addr >= p->ranges[mid].end)
			lo = mid + 1;
		else
			return &p->ranges[mid];
	}
	return NULL;
}

/* The binary of a file-backed range, opened once: through the process
 * (its mount namespace, a deleted file), so only while it is alive. */
static void range_bin(struct pr_maps *m, uint32_t pid, struct range *r)
{
	char path[4200];

	if (r->tried)
		return;
	r->tried = 1;
	snprintf(path, sizeof(path), "/proc/%u/map_files/%llx-%llx", pid,
		 (unsigned long long)r->start, (unsigned long long)r->end);
	r->bin = pr_elfsym_lookup(m->bins, r->dev, r->ino, path, r->path);
	/* map_files needs CAP_SYS_ADMIN; CAP_BPF+CAP_PERFMON gets here */
	if (!r->bin && snprintf(path, sizeof(path), "/proc/%u/root%s", pid, r->path) <
			       (int)sizeof(path))
		r->bin = pr_elfsym_lookup(m->bins, r->dev, r->ino, path, r->path);
}

struct pr_elfsym *pr_maps_find(struct pr_maps *m, uint32_t pid, uint64_t addr, uint64_t time,
			       bool sure, uint64_t *foff, bool *mapped)
{
	struct proc_maps *p = get_proc(m, pid);
	struct range *r;

	*mapped = false;
	if (p && p->exec_time && (time == 0 || time >= p->exec_time)) {
		pr_maps_forget(m, pid);
		p = get_proc(m, pid);
	}
	if (!p)
		return NULL;
	r = find_range(p, addr);
	/* only a sample taken after the last read can show a newer mapping */
	if (!r && (time == 0 || time > p->read_time) &&
	    pr_mono_ns() - p->read_time > (sure ? REREAD_NS : REREAD_UNSURE_NS)) {
		pr_maps_forget(m, pid);
		p = get_proc(m, pid);
		r = p ? find_range(p, addr) : NULL;
	}
	if (!r)
		return NULL;
	*mapped = true;
	if (r->vdso) {
		/* named and unwound from profrun's own copy of the image */
		*foff = addr - r->start;
		return pr_elfsyms_vdso(m->bins);
	}
	if (r->ino == 0)
		return NULL; /* anonymous memory */
	range_bin(m, pid, r);
	*foff = addr - r->start + r->offset;
	return r->bin;
}

struct pr_user_frame pr_maps_place(struct pr_maps *m, uint32_t pid, uint64_t addr,
				   uint64_t time)
{
	struct pr_user_frame f = { .addr = addr };

	if (addr & PR_UFRAME_PLACED) {
		f.bin = m->table_bin ? m->table_bin(m->table_ctx, PR_UFRAME_TABLE(addr)) : NULL;
		f.foff = PR_UFRAME_FOFF(addr);
		if (f.bin)
			f.addr = f.foff; /* no address of the process is known */
		return f;
	}
	f.bin = pr_maps_normalize(m, pid, addr, time, &f.foff);
	return f;
}

void pr_maps_set_table_bin(struct pr_maps *m,
			   struct pr_elfsym *(*table_bin)(const void *ctx, uint32_t table),
			   const void *ctx)
{
	m->table_bin = table_bin;
	m->table_ctx = ctx;
}

void pr_maps_preload(struct pr_maps *m, uint32_t pid)
{
	struct proc_maps *p = get_proc(m, pid);
	size_t i;

	for (i = 0; p && i < p->n; i++)
		if (p->ranges[i].ino && !p->ranges[i].vdso)
			range_bin(m, pid, &p->ranges[i]);
}

int pr_maps_each_exec(struct pr_maps *m, uint32_t pid, uint64_t not_before,
		      void (*fn)(void *ctx, uint64_t start, uint64_t end, uint64_t offset,
				 struct pr_elfsym *bin),
		      void *ctx)
{
	struct proc_maps *p = get_proc(m, pid), fresh = { .pid = pid };
	struct range *r;
	size_t i;

	if (p && p->read_time < not_before) {
		read_maps(&fresh);
		if (fresh.unreadable || !fresh.n) {
			/* gone, or exiting (its maps read empty): what was read
			 * before holds for its records still queued */
			ranges_free(&fresh);
			return -ESRCH;
		}
		/* the new maps in place of the old, in the same bucket */
		fresh.next = p->next;
		ranges_free(p);
		*p = fresh;
		m->gen++;
	}
	if (!p || p->unreadable)
		return -ESRCH;
	for (i = 0; i < p->n; i++) {
		r = &p->ranges[i];
		if (r->vdso) {
			fn(ctx, r->start, r->end, 0, pr_elfsyms_vdso(m->bins));
			continue;
		}
		if (r->ino)
			range_bin(m, pid, r);
		fn(ctx, r->start, r->end, r->offset, r->ino ? r->bin : NULL);
	}
	return (int)p->n;
}

struct pr_elfsym *pr_maps_normalize(struct pr_maps *m, uint32_t pid, uint64_t addr,
				    uint64_t time, uint64_t *foff)
{
	bool mapped;

	return pr_maps_find(m, pid, addr, time, true, foff, &mapped);
}

bool pr_maps_unreadable(struct pr_maps *m, uint32_t pid)
{
	struct proc_maps *p = get_proc(m, pid);

	return !p || p->unreadable;
}

void pr_maps_on_exec(struct pr_maps *m, uint32_t pid, uint64_t time)
{
	struct proc_maps *p = find_proc(m, pid);

	if (p) {
		p->exec_time = time;
		m->gen++;
	}
}

bool pr_maps_exec_pending(const struct pr_maps *m, uint32_t pid)
{
	const struct proc_maps *p = find_proc(m, pid);

	return p && p->exec_time != 0;
}

uint64_t pr_maps_gen(const struct pr_maps *m)
{
	return m->gen;
}

size_t pr_maps_count(const struct pr_maps *m)
{
	return m->count;
}

void pr_maps_forget(struct pr_maps *m, uint32_t pid)
{
	struct proc_maps **pp = &m->buckets[pid % NBUCKETS], *p;

	for (; (p = *pp); pp = &p->next) {
		if (p->pid == pid) {
			*pp = p->next;
			proc_free(p);
			m->count--;
			m->gen++;
			return;
		}
	}
}
