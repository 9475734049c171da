/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cgroup v2 ids to paths, and container ids from paths. A cgroup's id (what
 * bpf_get_current_cgroup_id returns) is the inode number of its directory
 * in the cgroup2 mount, so a walk of that mount maps every id to a path.
 */
#ifndef PR_CGROUP_H
#define PR_CGROUP_H

#include <stddef.h>
#include <stdint.h>

struct pr_cgroup;

struct pr_cgroup_opts {
	const char *root;                /* cgroup2 mount; NULL = found in mountinfo */
	uint64_t (*now)(void *ctx);      /* monotonic ns; NULL = CLOCK_MONOTONIC */
	void *now_ctx;
	uint64_t rescan_ns;              /* at most one walk per interval; 0 = 1 s */
};

int pr_cgroup_new(const struct pr_cgroup_opts *o, struct pr_cgroup **out);
void pr_cgroup_free(struct pr_cgroup *cg);
/* The path ("/system.slice/x.service") of cgroup id, or NULL. An unknown id
 * triggers a walk of the mount unless one ran within rescan_ns. The string
 * lives until pr_cgroup_free. */
const char *pr_cgroup_lookup(struct pr_cgroup *cg, uint64_t id);
/* Writes the container id named by a cgroup path (docker, containerd/CRI,
 * cri-o, podman: a 64-hex-digit id, in their naming schemes) into buf.
 * Returns its length, or -ENOENT when the path names no container. */
int pr_cgroup_container_id(const char *path, char *buf, size_t len);
/* The cgroup2 mount point, or NULL when there is none. */
const char *pr_cgroup_root(const struct pr_cgroup *cg);
/* The cgroup of the container whose id starts with prefix (the top of
 * its subtree): its id and path (valid until pr_cgroup_free). -ENOENT
 * when no cgroup names such a container, -ENOTUNIQ when the prefix names
 * two. Walks the mount. */
int pr_cgroup_find_container(struct pr_cgroup *cg, const char *prefix, uint64_t *id,
			     const char **path);
/* Walks done so far (for stats and tests). */
uint64_t pr_cgroup_walks(const struct pr_cgroup *cg);

#endif
