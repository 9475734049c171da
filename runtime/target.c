// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The target: options resolved before anything loads (a bad cgroup is a
 * usage error, not a half-started run), and the followed set the BPF
 * programs share. The set lives in one map the runtime creates, so the
 * lifecycle programs that keep it and every program that reads it see
 * the same entries.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include "cgroup.h"
#include "procfs.h"
#include "target.h"

/* Enough for any host's process trees; a full set is counted in BPF. */
#define TARGET_MAX 65536

struct pr_target {
	bool children;
	uint32_t pid;
	int map_fd;
	uint64_t cgroup;
	uint32_t level;
	char *cgroup_path; /* relative to the cgroup2 mount, "/a/b" */
};

/* Components below the mount: "/" is level 0, "/a/b" level 2. */
static uint32_t level_of(const char *rel)
{
	uint32_t n = 0;

	for (; *rel; rel++)
		if (*rel == '/' && rel[1] && rel[1] != '/')
			n++;
	return n;
}

static int resolve_cgroup(struct pr_target *t, const char *root, const char *arg, char *err,
			  size_t len)
{
	char want[PATH_MAX], real[PATH_MAX];
	size_t rl = strlen(root);
	struct statfs sfs;
	struct stat st;

	if (arg[0] == '/' && !strncmp(arg, root, rl) && (arg[rl] == '/' || !arg[rl]))
		snprintf(want, sizeof(want), "%s", arg);
	else
		snprintf(want, sizeof(want), "%s/%s", root, arg[0] == '/' ? arg + 1 : arg);
	if (!realpath(want, real) || stat(real, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, len,
			 "--cgroup %s: no cgroup directory %s; give a path under the cgroup2 "
			 "mount %s (ls it to see the groups)",
			 arg, want, root);
		return -ENOENT;
	}
	if (strncmp(real, root, rl) || (real[rl] != '/' && real[rl]) || statfs(real, &sfs) ||
	    sfs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(err, len, "--cgroup %s: %s is not a cgroup v2 directory under %s", arg,
			 real, root);
		return -EINVAL;
	}
	t->cgroup = st.st_ino;
	t->cgroup_path = strdup(real[rl] ? real + rl : "/");
	return t->cgroup_path ? 0 : -ENOMEM;
}

static int resolve_container(struct pr_target *t, struct pr_cgroup *cg, const char *id,
			     char *err, size_t len)
{
	const char *path;
	int r = pr_cgroup_find_container(cg, id, &t->cgroup, &path);

	if (r == -ENOTUNIQ)
		snprintf(err, len, "--container %s: the prefix names more than one container; "
				   "give more of its digits", id);
	else if (r)
		snprintf(err, len,
			 "--container %s: no cgroup under %s belongs to that container; check the "
			 "id (proc(pid).container of one of its processes)",
			 id, pr_cgroup_root(cg) ? pr_cgroup_root(cg) : "the cgroup2 mount");
	if (r)
		return r == -ENOTUNIQ ? -EINVAL : -ENOENT;
	t->cgroup_path = strdup(path);
	return t->cgroup_path ? 0 : -ENOMEM;
}

int pr_target_new(const struct pr_target_cfg *cfg, struct pr_target **out, char *err,
		  size_t len)
{
	struct pr_cgroup_opts co = { .root = cfg->cgroup_root };
	struct pr_target *t = calloc(1, sizeof(*t));
	struct pr_cgroup *cg = NULL;
	int r = 0;

	if (!t)
		return -ENOMEM;
	t->children = cfg->children;
	t->map_fd = -1;
	if (cfg->cgroup || cfg->container) {
		r = pr_cgroup_new(&co, &cg);
		if (!r && !pr_cgroup_root(cg)) {
			snprintf(err, len, "--%s: this machine has no cgroup v2 mount",
				 cfg->cgroup ? "cgroup" : "container");
			r = -ENOENT;
		}
	}
	if (!r && cfg->cgroup)
		r = resolve_cgroup(t, pr_cgroup_root(cg), cfg->cgroup, err, len);
	else if (!r && cfg->container)
		r = resolve_container(t, cg, cfg->container, err, len);
	if (!r && t->cgroup_path)
		t->level = level_of(t->cgroup_path);
	pr_cgroup_free(cg);
	if (r) {
		pr_target_free(t);
		return r;
	}
	*out = t;
	return 0;
}

int pr_target_set_pid(struct pr_target *t, uint32_t pid)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	uint32_t one = 1;

	t->map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "pr_target", sizeof(uint32_t),
				   sizeof(uint32_t), TARGET_MAX, &o);
	if (t->map_fd < 0)
		return -errno;
	t->pid = pid;
	return bpf_map_update_elem(t->map_fd, &pid, &one, BPF_ANY) ? -errno : 0;
}

void pr_target_bpf(const struct pr_target *t, struct pr_target_bpf *out)
{
	*out = (struct pr_target_bpf){
		.tgids = t && t->map_fd >= 0,
		.children = t && t->children,
		.cgroup = t ? t->cgroup : 0,
		.cgroup_level = t ? t->level : 0,
		.map_fd = t ? t->map_fd : -1,
	};
}

static bool followed(const struct pr_target *t, uint32_t pid)
{
	uint32_t v;

	return !bpf_map_lookup_elem(t->map_fd, &pid, &v);
}

/* Every process's parent, from /proc. */
static int read_parents(uint32_t **pids, uint32_t **ppids)
{
	struct pr_proc_stat st;
	size_t n = 0, cap = 0;
	struct dirent *d;
	uint32_t *a = NULL, *b = NULL, *na, *nb;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]) ||
		    pr_procfs_stat_at("/proc", strtoul(d->d_name, NULL, 10), &st))
			continue; /* not a process, or gone already */
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			na = realloc(a, cap * sizeof(*a));
			nb = na ? realloc(b, cap * sizeof(*b)) : NULL;
			a = na ? na : a;
			if (!nb) {
				free(a);
				free(b);
				closedir(dir);
				return -ENOMEM;
			}
			b = nb;
		}
		a[n] = st.pid;
		b[n++] = st.ppid;
	}
	closedir(dir);
	*pids = a;
	*ppids = b;
	return n;
}

int pr_target_add_descendants(struct pr_target *t)
{
	uint32_t *pids = NULL, *ppids = NULL, one = 1;
	int n, i, added = 0, round;
	bool more = true;

	if (!t || t->map_fd < 0 || !t->children)
		return 0;
	n = read_parents(&pids, &ppids);
	if (n < 0)
		return n;
	/* a generation per round: children of what the last round added */
	for (round = 0; more && round < n; round++) {
		more = false;
		for (i = 0; i < n; i++) {
			if (!pids[i] || !followed(t, ppids[i]))
				continue;
			if (!followed(t, pids[i]) &&
			    !bpf_map_update_elem(t->map_fd, &pids[i], &one, BPF_ANY)) {
				added++;
				more = true;
			}
			pids[i] = 0;
		}
	}
	free(pids);
	free(ppids);
	return added;
}

int pr_target_has(const struct pr_target *t, uint32_t pid)
{
	char path[4096];
	size_t n;

	if (!t)
		return 1;
	if (t->map_fd >= 0 && !followed(t, pid))
		return 0;
	if (!t->cgroup_path)
		return 1;
	if (pr_procfs_read_at("/proc", pid, "cgroup", path, sizeof(path)) < 0)
		return 0;
	n = strlen(t->cgroup_path);
	if (!strcmp(t->cgroup_path, "/"))
		return 1;
	return !strncmp(path, t->cgroup_path, n) && (path[n] == '/' || !path[n]);
}

const char *pr_target_cgroup(const struct pr_target *t)
{
	return t ? t->cgroup_path : NULL;
}

void pr_target_free(struct pr_target *t)
{
	if (!t)
		return;
	if (t->map_fd >= 0)
		close(t->map_fd);
	free(t->cgroup_path);
	free(t);
}
