/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the run watches: a process tree (-p/-c, descendants followed
 * unless --no-children) and/or a cgroup v2 subtree (--cgroup,
 * --container). The filter itself runs in BPF (bpf/common.bpf.h); this
 * module resolves the options, owns the map of followed processes that
 * every BPF object shares, seeds it with the descendants a -p process
 * already has, and answers in_target(pid).
 */
#ifndef PR_TARGET_H
#define PR_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pr_target;

struct pr_target_cfg {
	bool children;		/* follow descendants */
	const char *cgroup;	/* --cgroup PATH, or NULL */
	const char *container;	/* --container ID (hex prefix), or NULL */
	const char *cgroup_root; /* cgroup2 mount; NULL = from mountinfo (tests) */
};

/* What the BPF side needs (rodata, and the shared map). */
struct pr_target_bpf {
	bool tgids;	/* a process set is in force */
	bool children;
	uint64_t cgroup; /* 0: no cgroup filter */
	uint32_t cgroup_level;
	int map_fd;	/* the shared set; -1 when none */
};

/* Resolves the cgroup or container (no BPF, no privileges needed). On
 * a bad path or id: -EINVAL (or -ENOENT) with a message in err that says
 * what to do. */
int pr_target_new(const struct pr_target_cfg *cfg, struct pr_target **out, char *err,
		  size_t len);
/* Makes pid (a -p or -c process) the root of the followed set: creates
 * the shared map. Needs CAP_BPF. */
int pr_target_set_pid(struct pr_target *t, uint32_t pid);
void pr_target_bpf(const struct pr_target *t, struct pr_target_bpf *out);
/* After the fork tracker is attached: adds every live descendant of the
 * root, so a child forked before the attach is followed too. Returns
 * how many were added. */
int pr_target_add_descendants(struct pr_target *t);
/* 1 when pid is in the target, 0 when not; with no target every pid is. */
int pr_target_has(const struct pr_target *t, uint32_t pid);
/* The cgroup path the filter names ("/a/b"), or NULL. */
const char *pr_target_cgroup(const struct pr_target *t);
void pr_target_free(struct pr_target *t);

#endif
