// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * BPF program symbols: runtime/bpfsym.c on synthetic ranges, and its
 * baseline (pr_bpfsym_resync) against a program this test loads, named as
 * /proc/kallsyms names it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "harness.h"
#include "bpfsym.h"
#include "bpfload.h"

/* The id of the live range holding addr is want (0: none). */
static void check_find(struct pr_bpfsym *bs, uint64_t addr, uint32_t want)
{
	char what[64];

	snprintf(what, sizeof(what), "find %#" PRIx64, addr);
	ASSERT_EQ(pr_bpfsym_find(bs, addr), want, what);
}

/* Id id names name, starting at start. */
static void check_name(struct pr_bpfsym *bs, uint32_t id, const char *name, uint64_t start)
{
	uint64_t got = 0;
	char what[64];

	snprintf(what, sizeof(what), "name of id %u", id);
	if (ASSERT_STREQ(pr_bpfsym_name(bs, id, &got), name, what))
		ASSERT_EQ(got, start, what);
}

/* Adds a range and returns the id find gives for its start (0 on error). */
static uint32_t add(struct pr_bpfsym *bs, uint64_t start, uint32_t len, const char *name)
{
	if (!ASSERT_OK(pr_bpfsym_add(bs, start, len, name), name))
		return 0;
	return pr_bpfsym_find(bs, start);
}

void test_bpfsym_ranges(void)
{
	struct pr_bpfsym *bs = NULL;
	uint32_t a, b, c;

	if (!ASSERT_OK(pr_bpfsym_new(&bs), "bpfsym_new"))
		return;
	ASSERT_EQ(pr_bpfsym_count(bs), 0, "empty");
	ASSERT_EQ(pr_bpfsym_updates(bs), 0, "no updates yet");
	check_find(bs, 0x10000, 0);
	/* out of address order: the index is sorted by start */
	a = add(bs, 0x10000, 0x100, "bpf_prog_00000000000000aa_fa");
	b = add(bs, 0x10200, 0x80, "bpf_prog_00000000000000bb_fb");
	c = add(bs, 0x10100, 0x40, "bpf_prog_00000000000000cc_fc");
	if (!ASSERT_TRUE(a && b && c, "three ids"))
		goto out;
	ASSERT_TRUE(a != b && b != c && a != c, "distinct ids");
	ASSERT_EQ(pr_bpfsym_count(bs), 3, "three live ranges");
	ASSERT_EQ(pr_bpfsym_updates(bs), 3, "three updates");
	check_find(bs, 0, 0);
	check_find(bs, 0xffff, 0);
	check_find(bs, 0x10000, a); /* at the start */
	check_find(bs, 0x10080, a);
	check_find(bs, 0x100ff, a); /* end - 1 */
	check_find(bs, 0x10100, c); /* a's end is c's start */
	check_find(bs, 0x1013f, c);
	check_find(bs, 0x10140, 0); /* at c's end: between ranges */
	check_find(bs, 0x101ff, 0);
	check_find(bs, 0x10200, b);
	check_find(bs, 0x1027f, b);
	check_find(bs, 0x10280, 0); /* at b's end: past every range */
	check_find(bs, UINT64_MAX, 0);
	check_name(bs, a, "bpf_prog_00000000000000aa_fa", 0x10000);
	check_name(bs, b, "bpf_prog_00000000000000bb_fb", 0x10200);
	check_name(bs, c, "bpf_prog_00000000000000cc_fc", 0x10100);
out:
	pr_bpfsym_free(bs);
}

void test_bpfsym_remove(void)
{
	struct pr_bpfsym *bs = NULL;
	uint32_t a, b;

	if (!ASSERT_OK(pr_bpfsym_new(&bs), "bpfsym_new"))
		return;
	a = add(bs, 0x20000, 0x100, "bpf_prog_00000000000000aa_fa");
	b = add(bs, 0x20100, 0x100, "bpf_prog_00000000000000bb_fb");
	if (!ASSERT_TRUE(a && b, "two ids"))
		goto out;
	/* starts nobody registered: nothing happens, nothing is counted */
	pr_bpfsym_remove(bs, 0x20001);
	pr_bpfsym_remove(bs, 0x200ff);
	pr_bpfsym_remove(bs, 0x1000);
	pr_bpfsym_remove(bs, 0x30000);
	ASSERT_EQ(pr_bpfsym_count(bs), 2, "unknown starts: both live");
	ASSERT_EQ(pr_bpfsym_updates(bs), 2, "unknown starts: no update");
	check_find(bs, 0x20010, a);
	check_find(bs, 0x20110, b);
	pr_bpfsym_remove(bs, 0x20000);
	ASSERT_EQ(pr_bpfsym_count(bs), 1, "one left");
	ASSERT_EQ(pr_bpfsym_updates(bs), 3, "a removal is an update");
	check_find(bs, 0x20000, 0);
	check_find(bs, 0x200ff, 0);
	check_find(bs, 0x20100, b);
	/* a removed range keeps its record: its id still names it */
	check_name(bs, a, "bpf_prog_00000000000000aa_fa", 0x20000);
	pr_bpfsym_remove(bs, 0x20000);
	ASSERT_EQ(pr_bpfsym_updates(bs), 3, "removed twice: counted once");
	pr_bpfsym_remove(bs, 0x20100);
	ASSERT_EQ(pr_bpfsym_count(bs), 0, "none left");
	check_find(bs, 0x20100, 0);
	check_name(bs, b, "bpf_prog_00000000000000bb_fb", 0x20100);
out:
	pr_bpfsym_free(bs);
}

/* A register for a start that is live replaces it (a missed unregister,
 * or a resync); the old id keeps naming the old function, so a stack
 * interned before keeps its name (the intern-time id rule). */
void test_bpfsym_replace(void)
{
	struct pr_bpfsym *bs = NULL;
	uint32_t old, new;

	if (!ASSERT_OK(pr_bpfsym_new(&bs), "bpfsym_new"))
		return;
	old = add(bs, 0x40000, 0x100, "bpf_prog_1111111111111111_old");
	new = add(bs, 0x40000, 0x80, "bpf_prog_2222222222222222_new");
	if (!ASSERT_TRUE(old && new, "two ids"))
		goto out;
	ASSERT_TRUE(old != new, "a new id for the new function");
	ASSERT_EQ(pr_bpfsym_count(bs), 1, "one live range at that start");
	check_find(bs, 0x40000, new);
	check_find(bs, 0x4007f, new);
	/* the new, shorter range ends where it says */
	check_find(bs, 0x40080, 0);
	check_find(bs, 0x400ff, 0);
	check_name(bs, new, "bpf_prog_2222222222222222_new", 0x40000);
	check_name(bs, old, "bpf_prog_1111111111111111_old", 0x40000);
	pr_bpfsym_remove(bs, 0x40000);
	ASSERT_EQ(pr_bpfsym_count(bs), 0, "removed");
	check_find(bs, 0x40000, 0);
	check_name(bs, old, "bpf_prog_1111111111111111_old", 0x40000);
	check_name(bs, new, "bpf_prog_2222222222222222_new", 0x40000);
out:
	pr_bpfsym_free(bs);
}

void test_bpfsym_bad_input(void)
{
	char longname[PR_BPFSYM_NAME_LEN + 100], *name;
	struct pr_bpfsym *bs = NULL;
	uint64_t start = 0;
	uint32_t id;

	if (!ASSERT_OK(pr_bpfsym_new(&bs), "bpfsym_new"))
		return;
	ASSERT_EQ(pr_bpfsym_add(bs, 0x50000, 0, "empty"), -EINVAL, "zero length");
	ASSERT_EQ(pr_bpfsym_add(bs, UINT64_MAX - 0x10, 0x100, "wraps"), -EINVAL, "wraps around");
	ASSERT_EQ(pr_bpfsym_count(bs), 0, "nothing added");
	ASSERT_EQ(pr_bpfsym_updates(bs), 0, "no update");
	ASSERT_NULL(pr_bpfsym_name(bs, 0, &start), "id 0");
	ASSERT_NULL(pr_bpfsym_name(bs, 1, &start), "id never handed out");
	ASSERT_NULL(pr_bpfsym_name(bs, UINT32_MAX, &start), "id UINT32_MAX");
	/* a name as long as the buffer holds comes back whole; a longer one
	 * is cut to a prefix of that length */
	memset(longname, 'x', sizeof(longname));
	longname[PR_BPFSYM_NAME_LEN - 1] = '\0';
	id = add(bs, 0x50000, 0x10, longname);
	name = (char *)pr_bpfsym_name(bs, id, &start);
	ASSERT_STREQ(name, longname, "name of PR_BPFSYM_NAME_LEN - 1 bytes");
	memset(longname, 'y', sizeof(longname));
	longname[sizeof(longname) - 1] = '\0';
	id = add(bs, 0x50100, 0x10, longname);
	name = (char *)pr_bpfsym_name(bs, id, &start);
	if (ASSERT_TRUE(name, "long name"))
		ASSERT_TRUE(strlen(name) >= PR_BPFSYM_NAME_LEN - 1 &&
				    !strncmp(name, longname, strlen(name)),
			    "long name: a prefix");
	pr_bpfsym_free(bs);
}

/* Many ranges added in random order, then half removed: the sorted index
 * stays right. */
void test_bpfsym_many(void)
{
	enum { N = 2000 };
	static int order[N];
	struct pr_bpfsym *bs = NULL;
	unsigned int seed = 4242;
	uint32_t ids[N], got;
	char name[64];
	int i, j, k, bad = 0;

	if (!ASSERT_OK(pr_bpfsym_new(&bs), "bpfsym_new"))
		return;
	for (i = 0; i < N; i++)
		order[i] = i;
	for (i = N - 1; i > 0; i--) {
		j = rand_r(&seed) % (i + 1);
		k = order[i];
		order[i] = order[j];
		order[j] = k;
	}
	/* range i: [0x100000 + i * 0x100, + 0x80 + i % 0x80) */
	for (i = 0; i < N; i++) {
		k = order[i];
		snprintf(name, sizeof(name), "bpf_prog_%016x_f%d", k, k);
		if (pr_bpfsym_add(bs, 0x100000 + k * 0x100ull, 0x80 + k % 0x80, name))
			bad++;
	}
	for (i = 0; i < N; i++)
		ids[i] = pr_bpfsym_find(bs, 0x100000 + i * 0x100ull);
	ASSERT_EQ(bad, 0, "adds");
	ASSERT_EQ(pr_bpfsym_count(bs), N, "every range live");
	/* remove the even ones, in the shuffled order */
	for (i = 0; i < N; i++)
		if (order[i] % 2 == 0)
			pr_bpfsym_remove(bs, 0x100000 + order[i] * 0x100ull);
	ASSERT_EQ(pr_bpfsym_count(bs), N / 2, "odd ones live");
	ASSERT_EQ(pr_bpfsym_updates(bs), N + N / 2, "updates");
	for (i = 0; i < N; i++) {
		uint64_t start = 0x100000 + i * 0x100ull, len = 0x80 + i % 0x80, s = 0;
		uint32_t want = i % 2 ? ids[i] : 0;
		const char *nm = pr_bpfsym_name(bs, ids[i], &s);

		snprintf(name, sizeof(name), "bpf_prog_%016x_f%d", i, i);
		got = pr_bpfsym_find(bs, start);
		if (!ids[i] || got != want || pr_bpfsym_find(bs, start + len - 1) != want ||
		    pr_bpfsym_find(bs, start + len) || pr_bpfsym_find(bs, start - 1) || !nm ||
		    strcmp(nm, name) || s != start) {
			if (bad++ < 5)
				printf("  range %d: id %u, find %u, name %s\n", i, ids[i], got,
				       nm ? nm : "NULL");
		}
	}
	ASSERT_EQ(bad, 0, "finds after removals");
	pr_bpfsym_free(bs);
}

/* The kernel's own names for the functions of a program this test loads:
 * after a resync, each JITed function (main and bpf_loop callback) is
 * found at every address of its range, named as /proc/kallsyms names it. */
void test_bpfsym_resync_live(void)
{
	struct bpf_object *obj = NULL;
	struct pr_bpfsym *bs = NULL;
	struct test_bpf_funcs fn = { 0 };
	char path[512], kname[TEST_BPF_MAX_FUNCS][256];
	uint32_t i, id, ids[TEST_BPF_MAX_FUNCS] = { 0 };

	if (geteuid()) {
		test__skip("needs root to load BPF");
		return;
	}
	test_fixture_path(path, sizeof(path), "xdp_slow_a.bpf.o");
	if (!ASSERT_TRUE(test_bpf_load(path, &obj, &fn), "load xdp_slow_a.bpf.o (make fixtures)") ||
	    !ASSERT_EQ(fn.n, 2, "two JITed functions") || !ASSERT_OK(pr_bpfsym_new(&bs), "new"))
		goto out;
	ASSERT_TRUE(pr_bpfsym_resync(bs) >= 2, "resync: at least our two functions");
	ASSERT_EQ(pr_bpfsym_resyncs(bs), 1, "one resync");
	for (i = 0; i < fn.n; i++) {
		if (!ASSERT_TRUE(test_kallsyms_name(fn.addr[i], kname[i], sizeof(kname[i])),
				 "function in /proc/kallsyms"))
			goto out;
		ASSERT_TRUE(strstr(kname[i], "_xdp_slow_a"), "kallsyms names xdp_slow_a");
		ids[i] = id = pr_bpfsym_find(bs, fn.addr[i]);
		check_name(bs, id, kname[i], fn.addr[i]);
		check_find(bs, fn.addr[i] + fn.len[i] / 2, id);
		check_find(bs, fn.addr[i] + fn.len[i] - 1, id);
		ASSERT_TRUE(pr_bpfsym_find(bs, fn.addr[i] + fn.len[i]) != id, "past the end");
		ASSERT_TRUE(pr_bpfsym_find(bs, fn.addr[i] - 1) != id, "before the start");
	}
	/* unloaded: a resync drops its ranges; the ids still name them */
	bpf_object__close(obj);
	obj = NULL;
	for (i = 0; i < fn.n; i++)
		ASSERT_TRUE(test_kallsyms_gone(fn.addr[i], kname[i]), "gone from /proc/kallsyms");
	pr_bpfsym_resync(bs);
	ASSERT_EQ(pr_bpfsym_resyncs(bs), 2, "two resyncs");
	for (i = 0; i < fn.n; i++) {
		ASSERT_TRUE(pr_bpfsym_find(bs, fn.addr[i]) != ids[i], "unloaded: not found");
		check_name(bs, ids[i], kname[i], fn.addr[i]);
	}
out:
	bpf_object__close(obj);
	pr_bpfsym_free(bs);
}
