// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * perf-PID.map reader. The file is written by the process itself, so it is
 * hostile input: lines are parsed within their length, numbers must be
 * hex and fit, names are copied with their length, and both the file size
 * and the entry count are capped. Entries are kept sorted by start; a JIT
 * that re-uses an address range appends a new line, and a later line for
 * the same start wins. The file is read again only when it has grown.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "array.h"
#include "perfmap.h"
#include "strpool.h"

#define NBUCKETS 256
#define MAX_FILE (64u << 20)
#define MAX_ENTRIES (1u << 20)

struct jit_sym {
	uint64_t start, size;
	uint32_t name; /* pool offset */
	uint32_t seq;  /* line number: later lines win */
};

struct pmap {
	uint32_t pid;
	off_t size_read;
	uid_t uid;	/* the process's, once seen: it may exit before a re-read */
	bool uid_known;
	char module[32];
	struct jit_sym *syms;
	size_t n;
	struct pr_strpool names;
	struct pmap *next;
};

/* A pool replaced by a re-read, kept until pr_perfmaps_release: a caller
 * may still hold a name from it. */
struct old_pool {
	char *pool;
	struct old_pool *next;
};

struct pr_perfmaps {
	char *dir;
	struct old_pool *old;
	struct pmap *buckets[NBUCKETS];
	uint64_t reads;
	uint64_t untrusted;
};

int pr_perfmaps_new(const struct pr_perfmaps_opts *o, struct pr_perfmaps **out)
{
	struct pr_perfmaps *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return -ENOMEM;
	pm->dir = strdup(o && o->dir ? o->dir : "/tmp");
	if (!pm->dir) {
		free(pm);
		return -ENOMEM;
	}
	*out = pm;
	return 0;
}

void pr_perfmaps_release(struct pr_perfmaps *pm)
{
	struct old_pool *o, *next;

	for (o = pm->old; o; o = next) {
		next = o->next;
		free(o->pool);
		free(o);
	}
	pm->old = NULL;
}

/* Keeps the pool for names handed out before; frees it if that fails. */
static void retire_pool(struct pr_perfmaps *pm, char *pool)
{
	struct old_pool *o;

	if (!pool)
		return;
	o = malloc(sizeof(*o));
	if (!o) {
		free(pool);
		return;
	}
	o->pool = pool;
	o->next = pm->old;
	pm->old = o;
}

static void pmap_clear(struct pmap *p)
{
	free(p->syms);
	p->syms = NULL;
	p->n = 0;
	pr_strpool_clear(&p->names);
}

void pr_perfmaps_free(struct pr_perfmaps *pm)
{
	struct pmap *p, *next;
	size_t i;

	if (!pm)
		return;
	for (i = 0; i < NBUCKETS; i++) {
		for (p = pm->buckets[i]; p; p = next) {
			next = p->next;
			pmap_clear(p);
			free(p);
		}
	}
	pr_perfmaps_release(pm);
	free(pm->dir);
	free(pm);
}

static int hex_field(const char **p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0, d;
	const char *s = *p;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; s < end && *s != ' '; s++, digits++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (*s | 0x20) - 'a' + 10;
		else
			return -EINVAL;
		if (digits >= 16)
			return -EINVAL;
		v = v << 4 | d;
	}
	if (!digits || s >= end)
		return -EINVAL;
	*out = v;
	*p = s + 1;
	return 0;
}

int pr_perfmap_parse_line(const char *line, size_t len, uint64_t *start, uint64_t *size,
			  const char **name, size_t *name_len)
{
	const char *p = line, *end = line + len;

	if (hex_field(&p, end, start) || hex_field(&p, end, size))
		return -EINVAL;
	if (p >= end || *size == 0 || *start + *size < *start)
		return -EINVAL;
	*name = p;
	*name_len = end - p;
	return 0;
}

static int cmp_jit(const void *a, const void *b)
{
	const struct jit_sym *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->seq < y->seq) - (x->seq > y->seq); /* latest first */
}

static int add_entry(struct pmap *p, size_t *cap, uint64_t start, uint64_t size, const char *name,
		     size_t nlen)
{
	uint32_t off;
	void *np;

	if (p->n >= MAX_ENTRIES)
		return -E2BIG;
	if (p->n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		np = realloc(p->syms, *cap * sizeof(*p->syms));
		if (!np)
			return -ENOMEM;
		p->syms = np;
	}
	if (pr_strpool_add(&p->names, name, nlen, &off))
		return -ENOMEM;
	p->syms[p->n] = (struct jit_sym){ .start = start, .size = size, .name = off, .seq = p->n };
	p->n++;
	return 0;
}

/* May the process's map be owned by uid? Root's always; else only the
 * process's user's. The owner of /proc/PID is the process's (effective)
 * user; once the process is gone, the uid seen before is used, and if it
 * was never seen only root's map is trusted. */
static bool owner_ok(struct pmap *p, uid_t owner)
{
	char path[32];
	struct stat st;

	if (owner == 0)
		return true;
	snprintf(path, sizeof(path), "/proc/%u", p->pid);
	if (!stat(path, &st)) {
		p->uid = st.st_uid;
		p->uid_known = true;
	}
	return p->uid_known && p->uid == owner;
}

/* Reads the whole file again (it only grows; re-reading keeps this simple
 * and the cost is paid once per growth, not per lookup). */
static void read_map(struct pr_perfmaps *pm, struct pmap *p, const char *path, off_t fsize)
{
	size_t cap = 0, len, nlen;
	uint64_t start, size;
	const char *name;
	char *line = NULL;
	size_t line_cap = 0;
	struct stat st;
	ssize_t got;
	FILE *f;
	int fd;

	/* names handed out before stay valid until pr_perfmaps_release */
	retire_pool(pm, p->names.buf);
	p->names = (struct pr_strpool){ 0 };
	pmap_clear(p);
	p->size_read = fsize;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP) /* a symlink: anyone may point it anywhere */
			pm->untrusted++;
		return;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !owner_ok(p, st.st_uid)) {
		/* counted once per size seen: lookups do not inflate it */
		pm->untrusted++;
		close(fd);
		return;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return;
	}
	pm->reads++;
	/* getline, not fgets: a NUL inside a line must not hide its end */
	while ((got = getline(&line, &line_cap, f)) > 0) {
		len = got;
		if (line[len - 1] == '\n')
			len--;
		if (len > 4096 || memchr(line, '\0', len))
			continue;
		if (pr_perfmap_parse_line(line, len, &start, &size, &name, &nlen))
			continue;
		if (add_entry(p, &cap, start, size, name, nlen))
			break;
	}
	free(line);
	fclose(f);
	if (p->n)
		qsort(p->syms, p->n, sizeof(*p->syms), cmp_jit);
}

static struct pmap *get(struct pr_perfmaps *pm, uint32_t pid)
{
	struct pmap **head = &pm->buckets[pid % NBUCKETS], *p;

	for (p = *head; p; p = p->next)
		if (p->pid == pid)
			return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	snprintf(p->module, sizeof(p->module), "perf-%u.map", pid);
	p->next = *head;
	*head = p;
	return p;
}

static void map_path(const struct pr_perfmaps *pm, uint32_t pid, char *path, size_t size)
{
	snprintf(path, size, "%s/perf-%u.map", pm->dir, pid);
}

const char *pr_perfmap_lookup(struct pr_perfmaps *pm, uint32_t pid, uint64_t addr, uint64_t *off,
			      const char **module)
{
	struct pmap *p = get(pm, pid);
	char path[4200];
	long lo;
	struct stat st;

	if (!p)
		return NULL;
	map_path(pm, pid, path, sizeof(path));
	if (!stat(path, &st) && st.st_size != p->size_read && st.st_size <= MAX_FILE)
		read_map(pm, p, path, st.st_size);
	lo = PR_ARRAY_LAST_LE(p->syms, p->n, start, addr);
	if (lo < 0)
		return NULL;
	/* the latest line for this start sorts first among equals */
	while (lo > 0 && p->syms[lo - 1].start == p->syms[lo].start)
		lo--;
	if (addr - p->syms[lo].start >= p->syms[lo].size)
		return NULL;
	*off = addr - p->syms[lo].start;
	*module = p->module;
	return p->names.buf + p->syms[lo].name;
}

bool pr_perfmap_exists(const struct pr_perfmaps *pm, uint32_t pid)
{
	char path[4200];

	map_path(pm, pid, path, sizeof(path));
	return !access(path, F_OK);
}

uint64_t pr_perfmaps_reads(const struct pr_perfmaps *pm)
{
	return pm->reads;
}

uint64_t pr_perfmaps_untrusted(const struct pr_perfmaps *pm)
{
	return pm->untrusted;
}
