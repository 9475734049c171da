// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cgroups: runtime/cgroup.c container ids on the path schemes of docker,
 * containerd/CRI, cri-o and podman, and id -> path lookups over a
 * directory tree standing in for the cgroup2 mount, with an injected
 * clock.
 */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroup.h"
#include "harness.h"

#define ID "3f1e2d4c5b6a79880123456789abcdef0fedcba9876543210a1b2c3d4e5f6789"
#define ID2 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID63 "3f1e2d4c5b6a79880123456789abcdef0fedcba9876543210a1b2c3d4e5f678"
#define ID_UPPER "3F1E2D4C5B6A79880123456789ABCDEF0FEDCBA9876543210A1B2C3D4E5F6789"
#define POD "pod0f8e3a2c-1b4d-4e6f-9a7b-2c3d4e5f6a7b"
#define POD_ "pod0f8e3a2c_1b4d_4e6f_9a7b_2c3d4e5f6a7b"
#define UNKNOWN_ID 0xfffffffffffffff0ull

/* The container id of path, or "error N". */
static const char *cid(const char *path)
{
	static char buf[128];
	int n = pr_cgroup_container_id(path, buf, sizeof(buf));

	if (n < 0)
		snprintf(buf, sizeof(buf), "error %d", n);
	else if (n != (int)strlen(buf))
		snprintf(buf, sizeof(buf), "length %d", n);
	return buf;
}

void test_cgroup_container_id(void)
{
	static const struct {
		const char *path, *id;
	} cases[] = {
		/* docker, systemd driver and cgroupfs driver */
		{ "/system.slice/docker-" ID ".scope", ID },
		{ "/docker/" ID, ID },
		/* kubernetes with containerd, systemd driver */
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-" POD_
		  ".slice/cri-containerd-" ID ".scope",
		  ID },
		/* kubernetes, cgroupfs driver */
		{ "/kubepods/besteffort/" POD "/" ID, ID },
		{ "/kubepods/burstable/" POD "/" ID "/", ID },
		/* cri-o */
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-" POD_
		  ".slice/crio-" ID ".scope",
		  ID },
		/* podman */
		{ "/machine.slice/libpod-" ID ".scope", ID },
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope",
		  ID },
		/* nested containers: the innermost wins */
		{ "/docker/" ID2 "/docker/" ID, ID },
		{ "/system.slice/docker-" ID2 ".scope/kubepods/" POD "/" ID, ID },
		/* no container */
		{ "/user.slice/user-1000.slice", NULL },
		{ "/user.slice/user-1000.slice/session-3.scope", NULL },
		{ "/", NULL },
		{ "", NULL },
		{ "/docker/" ID63, NULL },
		{ "/system.slice/docker-" ID63 ".scope", NULL },
		{ "/docker/" ID "0", NULL },
		{ "/docker/" ID_UPPER, NULL },
		{ "/system.slice/docker-" ID_UPPER ".scope", NULL },
		{ "/system.slice/docker-" ID ".service", NULL },
		{ "/system.slice/unknown-" ID ".scope", NULL },
		{ "/docker/x" ID, NULL },
	};
	char buf[128], what[400];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(what, sizeof(what), "container of \"%s\"", cases[i].path);
		ASSERT_STREQ(cid(cases[i].path), cases[i].id ? cases[i].id : "error -2", what);
	}

	/* the id and its NUL need 65 bytes */
	strcpy(buf, "untouched");
	ASSERT_EQ(pr_cgroup_container_id("/docker/" ID, buf, 64), -ENOENT, "64-byte buffer");
	ASSERT_STREQ(buf, "untouched", "buffer untouched");
	ASSERT_EQ(pr_cgroup_container_id("/docker/" ID, buf, 0), -ENOENT, "0-byte buffer");
	ASSERT_EQ(pr_cgroup_container_id("/docker/" ID, buf, 65), 64, "65-byte buffer");
	ASSERT_STREQ(buf, ID, "id in 65 bytes");
	ASSERT_EQ(pr_cgroup_container_id(NULL, buf, sizeof(buf)), -ENOENT, "NULL path");
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* mkdir root/rel; returns its inode (the cgroup id), 0 on failure. */
static uint64_t make_cgroup(const char *root, const char *rel)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	if (*rel && !ASSERT_OK(mkdir(path, 0755), path))
		return 0;
	if (!ASSERT_OK(stat(path, &st), path))
		return 0;
	return st.st_ino;
}

static uint64_t fake_now(void *ctx)
{
	return *(uint64_t *)ctx;
}

void test_cgroup_lookup(void)
{
	struct pr_cgroup_opts o = { .now = fake_now, .rescan_ns = 1000 };
	uint64_t now = 5000, id_root, id_a, id_ab, id_late;
	struct pr_cgroup *cg = NULL;
	char root[64] = "";

	o.now_ctx = &now;
	if (!test_mkdtemp(root))
		goto out;
	id_root = make_cgroup(root, "");
	id_a = make_cgroup(root, "/a");
	id_ab = make_cgroup(root, "/a/b");
	if (!id_root || !id_a || !id_ab)
		goto out;
	o.root = root;
	if (!ASSERT_OK(pr_cgroup_new(&o, &cg), "cgroup_new"))
		goto out;
	ASSERT_EQ(pr_cgroup_walks(cg), 0, "no walk before a lookup");

	ASSERT_STREQ(pr_cgroup_lookup(cg, id_root), "/", "root cgroup");
	ASSERT_EQ(pr_cgroup_walks(cg), 1, "first lookup walks");
	ASSERT_STREQ(pr_cgroup_lookup(cg, id_ab), "/a/b", "nested cgroup");
	ASSERT_STREQ(pr_cgroup_lookup(cg, id_a), "/a", "middle cgroup");
	ASSERT_EQ(pr_cgroup_walks(cg), 1, "known ids need no walk");

	/* unknown ids: one walk per rescan interval at most */
	now += 2000;
	ASSERT_NULL(pr_cgroup_lookup(cg, UNKNOWN_ID), "unknown id");
	ASSERT_EQ(pr_cgroup_walks(cg), 2, "an unknown id walks again");
	id_late = make_cgroup(root, "/a/late");
	if (!id_late)
		goto out;
	now += 999;
	ASSERT_NULL(pr_cgroup_lookup(cg, UNKNOWN_ID), "unknown id again");
	ASSERT_NULL(pr_cgroup_lookup(cg, id_late), "new cgroup, within the interval");
	ASSERT_EQ(pr_cgroup_walks(cg), 2, "no walk within rescan_ns");
	now += 1;
	ASSERT_STREQ(pr_cgroup_lookup(cg, id_late), "/a/late", "new cgroup after the interval");
	ASSERT_EQ(pr_cgroup_walks(cg), 3, "walked after rescan_ns");
	ASSERT_STREQ(pr_cgroup_lookup(cg, id_ab), "/a/b", "older cgroups kept");
	ASSERT_STREQ(pr_cgroup_lookup(cg, id_root), "/", "root kept");
	ASSERT_EQ(pr_cgroup_walks(cg), 3, "no more walks");
out:
	pr_cgroup_free(cg);
	if (root[0])
		rm_tree(root);
}

void test_cgroup_lookup_no_mount(void)
{
	struct pr_cgroup_opts o = { .root = "/nonexistent/cgroup2" };
	struct pr_cgroup *cg = NULL;

	if (!ASSERT_OK(pr_cgroup_new(&o, &cg), "cgroup_new"))
		return;
	ASSERT_NULL(pr_cgroup_lookup(cg, 1), "nothing under a missing mount");
	ASSERT_NULL(pr_cgroup_lookup(cg, 2), "nothing, again");
	pr_cgroup_free(cg);
}
