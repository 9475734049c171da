// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cgroup id -> path. Ids are directory inode numbers in the cgroup2 mount;
 * one walk of the mount (nftw, no symlinks followed, other mounts not
 * crossed) fills a hash of every cgroup. A lookup of an unknown id walks
 * again at once when the id is above every id seen (kernfs ids grow, so it
 * is a cgroup made since), else at most once per rescan interval, so a
 * flood of lookups for a cgroup that is already gone costs one walk. Paths are
 * kept for the whole run: cgroups are few and their names short.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cgroup.h"

#define NBUCKETS 1024

struct cg_ent {
	uint64_t id;
	struct cg_ent *next;
	char path[]; /* relative to the mount, starting with '/' */
};

struct pr_cgroup {
	char *root;
	size_t root_len;
	uint64_t (*now)(void *ctx);
	void *now_ctx;
	uint64_t rescan_ns, last_walk;
	uint64_t max_id; /* the highest id a walk found or was asked for */
	bool walked;
	uint64_t walks;
	struct cg_ent *buckets[NBUCKETS];
};

static uint64_t mono_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Where cgroup2 is mounted, from mountinfo: /sys/fs/cgroup on a unified
 * host, /sys/fs/cgroup/unified on a hybrid one, nowhere on some. */
static char *find_cgroup2(void)
{
	char line[4096], mnt[4096], *sep;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - cgroup2 ");
		if (sep && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1)
			found = strdup(mnt);
	}
	fclose(f);
	return found;
}

int pr_cgroup_new(const struct pr_cgroup_opts *o, struct pr_cgroup **out)
{
	struct pr_cgroup *cg = calloc(1, sizeof(*cg));

	if (!cg)
		return -ENOMEM;
	/* no cgroup2 mount: ids cannot be mapped, lookups say so */
	cg->root = o->root ? strdup(o->root) : find_cgroup2();
	cg->root_len = cg->root ? strlen(cg->root) : 0;
	cg->now = o->now ? o->now : mono_now;
	cg->now_ctx = o->now_ctx;
	cg->rescan_ns = o->rescan_ns ? o->rescan_ns : 1000000000ull;
	*out = cg;
	return 0;
}

static void clear(struct pr_cgroup *cg)
{
	struct cg_ent *e, *next;
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		for (e = cg->buckets[i]; e; e = next) {
			next = e->next;
			free(e);
		}
		cg->buckets[i] = NULL;
	}
}

void pr_cgroup_free(struct pr_cgroup *cg)
{
	if (!cg)
		return;
	clear(cg);
	free(cg->root);
	free(cg);
}

static struct cg_ent *find(struct pr_cgroup *cg, uint64_t id)
{
	struct cg_ent *e;

	for (e = cg->buckets[id % NBUCKETS]; e; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

/* nftw has no context argument: the walk in progress is this one. */
static struct pr_cgroup *walking;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *rel = path + walking->root_len;
	struct cg_ent *e;
	size_t n;

	(void)ftw;
	if (type != FTW_D || find(walking, st->st_ino))
		return FTW_CONTINUE;
	if (!*rel)
		rel = "/";
	n = strlen(rel) + 1;
	e = malloc(sizeof(*e) + n);
	if (!e)
		return FTW_STOP;
	e->id = st->st_ino;
	if (e->id > walking->max_id)
		walking->max_id = e->id;
	memcpy(e->path, rel, n);
	e->next = walking->buckets[e->id % NBUCKETS];
	walking->buckets[e->id % NBUCKETS] = e;
	return FTW_CONTINUE;
}

static void walk(struct pr_cgroup *cg)
{
	walking = cg;
	nftw(cg->root, visit, 32, FTW_PHYS | FTW_MOUNT | FTW_ACTIONRETVAL);
	walking = NULL;
	cg->walked = true;
	cg->walks++;
	cg->last_walk = cg->now(cg->now_ctx);
}

const char *pr_cgroup_root(const struct pr_cgroup *cg)
{
	return cg->root;
}

int pr_cgroup_find_container(struct pr_cgroup *cg, const char *prefix, uint64_t *id,
			     const char **path)
{
	char cid[80], found[80] = "";
	const struct cg_ent *best = NULL, *e;
	size_t i, n = strlen(prefix);

	if (!cg->root)
		return -ENOENT;
	walk(cg);
	for (i = 0; i < NBUCKETS; i++)
		for (e = cg->buckets[i]; e; e = e->next) {
			if (pr_cgroup_container_id(e->path, cid, sizeof(cid)) < 0 ||
			    strncmp(cid, prefix, n))
				continue;
			if (found[0] && strcmp(found, cid))
				return -ENOTUNIQ; /* the prefix names two containers */
			strcpy(found, cid);
			/* the container's own cgroup is the top of its subtree */
			if (!best || strlen(e->path) < strlen(best->path))
				best = e;
		}
	if (!best)
		return -ENOENT;
	*id = best->id;
	*path = best->path;
	return 0;
}

const char *pr_cgroup_lookup(struct pr_cgroup *cg, uint64_t id)
{
	struct cg_ent *e = find(cg, id);

	if (e)
		return e->path;
	/* ids grow: one above all known is a cgroup made since the last walk,
	 * worth a walk at once; others wait for the rescan interval */
	if (!cg->root || (cg->walked && id <= cg->max_id &&
			  cg->now(cg->now_ctx) - cg->last_walk < cg->rescan_ns))
		return NULL;
	walk(cg);
	if (id > cg->max_id)
		cg->max_id = id; /* not found: do not walk for it again at once */
	e = find(cg, id);
	return e ? e->path : NULL;
}

uint64_t pr_cgroup_walks(const struct pr_cgroup *cg)
{
	return cg->walks;
}

static bool is_hex64(const char *s)
{
	int i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Known runtime prefixes of a systemd-driver scope: "<prefix><id>.scope". */
static const char *const scope_prefixes[] = {
	"docker-", "cri-containerd-", "crio-", "libpod-", "containerd-",
};

/* One path component: a container id alone (cgroupfs driver:
 * /docker/<id>, /kubepods/.../<id>, /machine.slice/libpod-<id>...) or
 * inside a known scope name. */
static const char *id_in_component(const char *c, size_t n)
{
	size_t i, p;

	if (n == 64 && is_hex64(c))
		return c;
	for (i = 0; i < sizeof(scope_prefixes) / sizeof(scope_prefixes[0]); i++) {
		p = strlen(scope_prefixes[i]);
		if (n >= p + 64 && !strncmp(c, scope_prefixes[i], p) && is_hex64(c + p) &&
		    (n == p + 64 || (n == p + 70 && !strncmp(c + p + 64, ".scope", 6))))
			return c + p;
	}
	return NULL;
}

int pr_cgroup_container_id(const char *path, char *buf, size_t len)
{
	const char *c = path, *end, *found = NULL, *id;

	if (!path || len < 65)
		return -ENOENT;
	/* the innermost component that names a container wins */
	while (*c) {
		while (*c == '/')
			c++;
		end = c + strcspn(c, "/");
		if (end > c && (id = id_in_component(c, end - c)))
			found = id;
		c = end;
	}
	if (!found)
		return -ENOENT;
	memcpy(buf, found, 64);
	buf[64] = '\0';
	return 64;
}
