// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Stack interning: runtime/stacks.c wired as main.c's make_caches does,
 * with a kallsyms fixture for kernel frames and our own process for user
 * frames.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "stacks.h"

#define KFN_A 0xffffffff81000100ull
#define KFN_B 0xffffffff81000200ull
#define NO_PID 4194305 /* above any pid_max */

static const char kallsyms[] = "ffffffff81000000 T _stext\n"
			       "ffffffff81000100 T kfn_a\n"
			       "ffffffff81000200 t kfn_b\n"
			       "ffffffff81001000 T _etext\n";

struct env {
	char dir[64];
	struct pr_ksym *ksym;
	struct pr_elfsyms *bins;
	struct pr_maps *maps;
	struct pr_stacks *st;
};

static void env_free(struct env *e)
{
	pr_stacks_free(e->st);
	pr_maps_free(e->maps);
	pr_elfsyms_free(e->bins);
	pr_ksym_free(e->ksym);
	if (e->dir[0])
		test_rmdir(e->dir);
}

/* The caches of runtime/main.c make_caches, kernel symbols from a fixture. */
static bool env_init(struct env *e, uint32_t max_stacks)
{
	struct pr_stacks_opts so = { .max_stacks = max_stacks };
	char path[256];
	bool ok;

	*e = (struct env){ .ksym = NULL };
	ok = test_mkdtemp(e->dir) &&
	     test_write_file(e->dir, "kallsyms", kallsyms, strlen(kallsyms), path) &&
	     ASSERT_OK(pr_ksym_new(&e->ksym), "ksym_new") &&
	     ASSERT_OK(pr_ksym_load(e->ksym, path), "ksym_load") &&
	     ASSERT_OK(pr_elfsyms_new(&e->bins), "elfsyms_new") &&
	     ASSERT_OK(pr_maps_new(e->bins, &e->maps), "maps_new");
	if (ok) {
		so.ksym = e->ksym;
		so.maps = e->maps;
		ok = ASSERT_OK(pr_stacks_new(&so, &e->st), "stacks_new");
	}
	return ok;
}

/* The table made again from so (the env's caches wired in). */
static bool env_reopen(struct env *e, struct pr_stacks_opts *so)
{
	pr_stacks_free(e->st);
	so->ksym = e->ksym;
	so->maps = e->maps;
	e->st = NULL;
	return ASSERT_OK(pr_stacks_new(so, &e->st), "stacks_new");
}

static void check_frame(const struct pr_frame *f, const char *name, uint64_t off,
			const char *module, uint32_t kernel, const char *what)
{
	ASSERT_STREQ(f->name, name, what);
	ASSERT_EQ(f->offset, off, what);
	ASSERT_STREQ(f->module, module, what);
	ASSERT_EQ(f->kernel, kernel, what);
}

void test_stacks_kernel_intern(void)
{
	uint64_t k1[] = { KFN_A + 0x10, KFN_B + 0x20 }, k2[] = { KFN_A + 0x10 };
	uint64_t k3[] = { KFN_B + 0x20, KFN_A + 0x10 }, k4[] = { 0xffffffff90000000ull };
	uint64_t deep[PR_MAX_FRAMES + 73];
	struct pr_frame out[PR_MAX_FRAMES + 73];
	uint32_t id1, id2, id3, id4, i;
	struct env e;

	if (!env_init(&e, 0))
		goto out;
	id1 = pr_stacks_intern(e.st, 10, 0, k1, 2, NULL, 0);
	ASSERT_TRUE(id1 >= 1, "first id");
	ASSERT_EQ(pr_stacks_intern(e.st, 10, 0, k1, 2, NULL, 0), id1, "same stack, same id");
	ASSERT_EQ(pr_stacks_intern(e.st, 11, 0, k1, 2, NULL, 0), id1, "kernel stacks span pids");
	id2 = pr_stacks_intern(e.st, 10, 0, k2, 1, NULL, 0);
	id3 = pr_stacks_intern(e.st, 10, 0, k3, 2, NULL, 0);
	ASSERT_TRUE(id2 && id2 != id1, "a prefix is another stack");
	ASSERT_TRUE(id3 && id3 != id1 && id3 != id2, "order matters");
	ASSERT_EQ(pr_stacks_intern(e.st, 10, 0, NULL, 0, NULL, 0), 0, "empty stack");
	ASSERT_EQ(pr_stacks_count(e.st), 3, "count");
	ASSERT_EQ(pr_stacks_pid(e.st, id1), 10, "pid of the first sample");

	if (ASSERT_EQ(pr_stacks_frames(e.st, id1, out, 8), 2, "frames")) {
		check_frame(&out[0], "kfn_a", 0x10, "kernel", 1, "leaf");
		check_frame(&out[1], "kfn_b", 0x20, "kernel", 1, "caller");
		ASSERT_EQ(out[0].addr, KFN_A + 0x10, "kernel frame addr");
	}
	ASSERT_EQ(pr_stacks_frames(e.st, id1, out, 1), 1, "frames, max 1");

	id4 = pr_stacks_intern(e.st, 10, 0, k4, 1, NULL, 0);
	if (ASSERT_EQ(pr_stacks_frames(e.st, id4, out, 8), 1, "unknown kernel address")) {
		check_frame(&out[0], NULL, k4[0], NULL, 1, "past _etext");
		ASSERT_EQ(out[0].addr, k4[0], "addr");
	}

	/* deeper than PR_MAX_FRAMES: cut to the leaf-most frames */
	for (i = 0; i < PR_MAX_FRAMES + 73; i++)
		deep[i] = KFN_A + i;
	id4 = pr_stacks_intern(e.st, 10, 0, deep, PR_MAX_FRAMES + 73, NULL, 0);
	ASSERT_EQ(pr_stacks_frames(e.st, id4, out, PR_MAX_FRAMES + 73), PR_MAX_FRAMES,
		  "frames capped");
	ASSERT_EQ(pr_stacks_intern(e.st, 10, 0, deep, PR_MAX_FRAMES, NULL, 0), id4,
		  "capped stack equals its first PR_MAX_FRAMES");
out:
	env_free(&e);
}

static volatile int probe_sink;

/* Two functions of this binary for user frames. */
__attribute__((noinline)) void unit_stacks_leaf(void)
{
	int i;

	for (i = 0; i < 8; i++)
		probe_sink += i;
}

__attribute__((noinline)) void unit_stacks_caller(void)
{
	int i;

	for (i = 0; i < 8; i++)
		unit_stacks_leaf();
}

static bool exe_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	return ASSERT_TRUE(n > 0, "readlink /proc/self/exe");
}

void test_stacks_user_frames(void)
{
	uint64_t u[] = { (uintptr_t)unit_stacks_leaf + 1, (uintptr_t)unit_stacks_caller + 2 };
	uint64_t k[] = { KFN_B + 4 };
	struct pr_frame out[8];
	char exe[4096];
	uint32_t id;
	struct env e;

	if (!env_init(&e, 0) || !exe_path(exe, sizeof(exe)))
		goto out;
	id = pr_stacks_intern(e.st, getpid(), 0, NULL, 0, u, 2);
	ASSERT_TRUE(id >= 1, "user stack id");
	ASSERT_EQ(pr_stacks_intern(e.st, getpid(), 0, NULL, 0, u, 2), id, "same user stack");
	if (ASSERT_EQ(pr_stacks_frames(e.st, id, out, 8), 2, "user frames")) {
		check_frame(&out[0], "unit_stacks_leaf", 1, exe, 0, "user leaf");
		check_frame(&out[1], "unit_stacks_caller", 2, exe, 0, "user caller");
		ASSERT_TRUE(out[0].addr != u[0], "user addr is a file offset");
	}

	/* kernel frames come first, then user frames, each leaf first */
	id = pr_stacks_intern(e.st, getpid(), 0, k, 1, u, 2);
	if (ASSERT_EQ(pr_stacks_frames(e.st, id, out, 8), 3, "mixed frames")) {
		check_frame(&out[0], "kfn_b", 4, "kernel", 1, "kernel leaf");
		check_frame(&out[1], "unit_stacks_leaf", 1, exe, 0, "user leaf");
		check_frame(&out[2], "unit_stacks_caller", 2, exe, 0, "user caller");
	}
out:
	env_free(&e);
}

/* The unwinder hands over frames it already placed in their binaries:
 * they intern to the same stack as the addresses looked up here, and an
 * anonymous frame stays the address it was. */
void test_stacks_placed_frames(void)
{
	uint64_t u[] = { (uintptr_t)unit_stacks_leaf + 1, (uintptr_t)unit_stacks_caller + 2,
			 0x1000 };
	uint64_t k[] = { KFN_B + 4 };
	struct pr_user_frame placed[3];
	struct pr_frame out[8];
	uint32_t id, i;
	struct env e;

	if (!env_init(&e, 0))
		goto out;
	id = pr_stacks_intern(e.st, getpid(), 0, k, 1, u, 3);
	for (i = 0; i < 3; i++) {
		placed[i] = (struct pr_user_frame){ .addr = u[i] };
		placed[i].bin = pr_maps_normalize(e.maps, getpid(), u[i], 0, &placed[i].foff);
	}
	ASSERT_TRUE(placed[0].bin && placed[1].bin && !placed[2].bin, "two in the binary, one not");
	ASSERT_TRUE(id >= 1, "stack id");
	ASSERT_EQ(pr_stacks_intern_frames(e.st, getpid(), k, 1, placed, 3), id,
		  "placed frames intern to the same stack");
	if (ASSERT_EQ(pr_stacks_frames(e.st, id, out, 8), 4, "frames"))
		ASSERT_EQ(out[3].addr, 0x1000, "the anonymous frame keeps its address");
	placed[0].foff += 4;
	ASSERT_TRUE(pr_stacks_intern_frames(e.st, getpid(), k, 1, placed, 3) != id,
		    "another offset is another stack");
out:
	env_free(&e);
}

static struct pr_elfsym *unit_table_bin;

static struct pr_elfsym *unit_table_of(const void *ctx, uint32_t table)
{
	(void)ctx;
	return table == 5 ? unit_table_bin : NULL;
}

/* Frames BPF placed itself (a fork walked with its parent's entry:
 * PR_UFRAME, table number and file offset) name their binary through the
 * table, whatever the process: here one that never existed. */
void test_stacks_bpf_placed_frames(void)
{
	uint64_t u[2], foff0 = 0, foff1 = 0;
	struct pr_frame out[4];
	char exe[4096];
	uint32_t id;
	struct env e;

	if (!env_init(&e, 0) || !exe_path(exe, sizeof(exe)))
		goto out;
	unit_table_bin = pr_maps_normalize(e.maps, getpid(), (uintptr_t)unit_stacks_leaf + 1, 0,
					   &foff0);
	if (!ASSERT_TRUE(unit_table_bin, "our binary") ||
	    !ASSERT_TRUE(pr_maps_normalize(e.maps, getpid(), (uintptr_t)unit_stacks_caller + 2, 0,
					   &foff1) == unit_table_bin,
			 "both in it"))
		goto out;
	pr_maps_set_table_bin(e.maps, unit_table_of, NULL);
	u[0] = PR_UFRAME(5, foff0);
	u[1] = PR_UFRAME(5, foff1);
	id = pr_stacks_intern(e.st, NO_PID, 0, NULL, 0, u, 2);
	if (ASSERT_EQ(pr_stacks_frames(e.st, id, out, 4), 2, "placed frames")) {
		check_frame(&out[0], "unit_stacks_leaf", 1, exe, 0, "placed leaf");
		check_frame(&out[1], "unit_stacks_caller", 2, exe, 0, "placed caller");
	}
	u[0] = (uintptr_t)unit_stacks_leaf + 1;
	u[1] = (uintptr_t)unit_stacks_caller + 2;
	ASSERT_EQ(pr_stacks_intern(e.st, getpid(), 0, NULL, 0, u, 2), id,
		  "the same stack as our own addresses");
	u[0] = PR_UFRAME(6, foff0);
	id = pr_stacks_intern(e.st, NO_PID, 0, NULL, 0, u, 1);
	if (ASSERT_EQ(pr_stacks_frames(e.st, id, out, 4), 1, "an unknown table"))
		ASSERT_NULL(out[0].module, "names no binary");
out:
	env_free(&e);
}

/* An address of a process whose maps cannot be read (gone) names
 * nothing: all such frames are one, whatever the pid and address. */
void test_stacks_gone_frames(void)
{
	uint64_t a[] = { 0x7f0000001000 }, b[] = { 0x7f1234567000 };
	struct pr_frame out[2];
	uint32_t id;
	struct env e;

	if (!env_init(&e, 0))
		goto out;
	id = pr_stacks_intern(e.st, NO_PID, 0, NULL, 0, a, 1);
	ASSERT_TRUE(id >= 1, "stack id");
	ASSERT_EQ(pr_stacks_intern(e.st, NO_PID + 1, 0, NULL, 0, b, 1), id,
		  "another gone process, another address: the same stack");
	if (ASSERT_EQ(pr_stacks_frames(e.st, id, out, 2), 1, "one frame")) {
		ASSERT_NULL(out[0].name, "no name");
		ASSERT_NULL(out[0].module, "no module");
		ASSERT_EQ(out[0].addr, 0, "no address kept");
	}
out:
	env_free(&e);
}

/* A walked stack seen again comes from the memo of raw stacks, only
 * while the maps it was placed with hold (an exec seen, or the maps read
 * again, place it anew), and never one with a frame in no mapping (the
 * maps may be read again for it later). */
void test_stacks_memo(void)
{
	uint64_t u[] = { (uintptr_t)unit_stacks_leaf + 1, (uintptr_t)unit_stacks_caller + 2 };
	uint64_t other[] = { (uintptr_t)unit_stacks_leaf + 2, (uintptr_t)unit_stacks_caller + 2 };
	uint64_t odd[] = { (uintptr_t)unit_stacks_leaf + 1, 0x1000 };
	uint64_t k[] = { KFN_B + 4 };
	uint32_t id, id2;
	struct env e;

	if (!env_init(&e, 0))
		goto out;
	id = pr_stacks_intern(e.st, getpid(), 0, k, 1, u, 2);
	ASSERT_TRUE(id >= 1, "stack id");
	ASSERT_EQ(pr_stacks_memo_hits(e.st), 0, "a new stack is placed");
	ASSERT_EQ(pr_stacks_intern(e.st, getpid(), 0, k, 1, u, 2), id, "seen again: the same id");
	ASSERT_EQ(pr_stacks_memo_hits(e.st), 1, "... from the memo");
	id2 = pr_stacks_intern(e.st, getpid(), 0, k, 1, other, 2);
	ASSERT_TRUE(id2 >= 1 && id2 != id, "another offset: another stack");
	ASSERT_EQ(pr_stacks_intern(e.st, getpid(), 0, NULL, 0, u, 2) != id, 1,
		  "without the kernel frame: another stack");
	ASSERT_EQ(pr_stacks_memo_hits(e.st), 1, "neither from the memo");
	ASSERT_TRUE(pr_stacks_intern(e.st, NO_PID, 0, k, 1, u, 2) != id,
		    "the same addresses in a process without them: another stack");

	/* a sample from before an exec seen (time 1 < 2) places in the old
	 * maps, and is not remembered: the same addresses after it are the
	 * new image's */
	pr_maps_on_exec(e.maps, getpid(), 2);
	ASSERT_EQ(pr_stacks_intern(e.st, getpid(), 1, k, 1, u, 2), id, "before the exec: old maps");
	ASSERT_EQ(pr_stacks_intern(e.st, getpid(), 1, k, 1, u, 2), id, "again");
	ASSERT_EQ(pr_stacks_memo_hits(e.st), 1, "... not remembered");
	ASSERT_EQ(pr_stacks_intern(e.st, getpid(), 3, k, 1, u, 2), id, "after the exec: placed again");
	ASSERT_EQ(pr_stacks_memo_hits(e.st), 1, "... not from the memo");
	ASSERT_EQ(pr_stacks_intern(e.st, getpid(), 0, k, 1, u, 2), id, "then remembered");
	ASSERT_EQ(pr_stacks_memo_hits(e.st), 2, "... from the memo");
	pr_maps_forget(e.maps, getpid());
	ASSERT_EQ(pr_stacks_intern(e.st, getpid(), 0, k, 1, u, 2), id, "maps forgotten: placed again");
	ASSERT_EQ(pr_stacks_memo_hits(e.st), 2, "... not from the memo");

	id = pr_stacks_intern(e.st, getpid(), 0, k, 1, odd, 2);
	ASSERT_EQ(pr_stacks_intern(e.st, getpid(), 0, k, 1, odd, 2), id,
		  "a frame in no mapping: the same stack");
	ASSERT_EQ(pr_stacks_memo_hits(e.st), 2, "... never from the memo");
out:
	env_free(&e);
}

void test_stacks_shared_across_pids(void)
{
	uint64_t u[] = { (uintptr_t)unit_stacks_leaf + 1, (uintptr_t)unit_stacks_caller + 2 };
	uint32_t id;
	struct env e;
	pid_t child;

	if (!env_init(&e, 0))
		goto out;
	fflush(NULL);
	child = fork();
	if (child == 0) {
		for (;;)
			pause();
	}
	if (!ASSERT_TRUE(child > 0, "fork"))
		goto out;
	id = pr_stacks_intern(e.st, getpid(), 0, NULL, 0, u, 2);
	ASSERT_EQ(pr_stacks_intern(e.st, child, 0, NULL, 0, u, 2), id,
		  "same code in two processes, one stack");
	ASSERT_EQ(pr_stacks_pid(e.st, id), getpid(), "pid of the first sample");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
out:
	env_free(&e);
}

void test_stacks_anon_frames(void)
{
	char *heap = malloc(64);
	uint64_t u[] = { (uintptr_t)heap };
	struct pr_frame out[2];
	uint32_t id;
	struct env e;

	if (!env_init(&e, 0))
		goto out;
	id = pr_stacks_intern(e.st, getpid(), 0, NULL, 0, u, 1);
	if (ASSERT_EQ(pr_stacks_frames(e.st, id, out, 2), 1, "anon frame")) {
		check_frame(&out[0], NULL, u[0], NULL, 0, "heap address");
		ASSERT_EQ(out[0].addr, u[0], "anon addr");
	}
	ASSERT_EQ(pr_stacks_intern(e.st, getpid(), 0, NULL, 0, u, 1), id, "same anon stack");
	ASSERT_TRUE(pr_stacks_intern(e.st, NO_PID, 0, NULL, 0, u, 1) != id,
		    "anon frames are per process");
out:
	env_free(&e);
	free(heap);
}

void test_stacks_full(void)
{
	uint64_t k1[] = { KFN_A }, k2[] = { KFN_B }, k3[] = { KFN_A, KFN_B };
	uint32_t id1, id2;
	struct env e;

	if (!env_init(&e, 2))
		goto out;
	id1 = pr_stacks_intern(e.st, 1, 0, k1, 1, NULL, 0);
	id2 = pr_stacks_intern(e.st, 1, 0, k2, 1, NULL, 0);
	ASSERT_TRUE(id1 && id2 && id1 != id2, "two stacks fit");
	ASSERT_EQ(pr_stacks_full(e.st), 0, "not full yet");
	ASSERT_EQ(pr_stacks_intern(e.st, 1, 0, k3, 2, NULL, 0), 0, "third stack");
	ASSERT_EQ(pr_stacks_full(e.st), 1, "counted as full");
	ASSERT_EQ(pr_stacks_intern(e.st, 1, 0, k1, 1, NULL, 0), id1, "known stacks still found");
	ASSERT_EQ(pr_stacks_full(e.st), 1, "a known stack is not counted");
	ASSERT_EQ(pr_stacks_count(e.st), 2, "count");
out:
	env_free(&e);
}

/* The frame pool is bounded too: a stack that would pass max_frames gets
 * id 0 and is counted, like one past max_stacks; and so is one that would
 * pass max_frames / 2 distinct frames. */
void test_stacks_frames_bound(void)
{
	uint64_t k1[] = { KFN_A, KFN_B }, k2[] = { KFN_B, KFN_A, KFN_A }, k3[] = { KFN_A };
	uint64_t k4[] = { KFN_A + 0x10 };
	struct pr_stacks_opts so = { .max_frames = 4 };
	uint32_t id1;
	struct env e;

	if (!env_init(&e, 0))
		goto out;
	if (!env_reopen(&e, &so))
		goto out;
	id1 = pr_stacks_intern(e.st, 1, 0, k1, 2, NULL, 0);
	ASSERT_TRUE(id1 != 0, "two frames fit");
	ASSERT_EQ(pr_stacks_intern(e.st, 1, 0, k2, 3, NULL, 0), 0, "three more would not");
	ASSERT_EQ(pr_stacks_full(e.st), 1, "counted as full");
	ASSERT_TRUE(pr_stacks_intern(e.st, 1, 0, k3, 1, NULL, 0) != 0, "one more frame fits");
	ASSERT_EQ(pr_stacks_intern(e.st, 1, 0, k4, 1, NULL, 0), 0,
		  "a third distinct frame would not");
	ASSERT_EQ(pr_stacks_full(e.st), 2, "counted as full");
	ASSERT_EQ(pr_stacks_intern(e.st, 1, 0, k1, 2, NULL, 0), id1, "known stacks still found");
out:
	env_free(&e);
}

void test_stacks_unknown_id(void)
{
	uint64_t k[] = { KFN_A };
	struct pr_frame out[2];
	uint32_t id;
	struct env e;

	if (!env_init(&e, 0))
		goto out;
	ASSERT_EQ(pr_stacks_frames(e.st, 1, out, 2), -ENOENT, "empty table");
	id = pr_stacks_intern(e.st, 1, 0, k, 1, NULL, 0);
	ASSERT_EQ(pr_stacks_frames(e.st, 0, out, 2), -ENOENT, "id 0");
	ASSERT_EQ(pr_stacks_frames(e.st, id + 1, out, 2), -ENOENT, "next id");
	ASSERT_EQ(pr_stacks_frames(e.st, UINT32_MAX, out, 2), -ENOENT, "huge id");
	ASSERT_EQ(pr_stacks_pid(e.st, 0), -ENOENT, "pid of id 0");
	ASSERT_EQ(pr_stacks_pid(e.st, id + 1), -ENOENT, "pid of unknown id");
out:
	env_free(&e);
}

void test_stacks_table_grows(void)
{
	uint32_t i, n = 20000, bad = 0;
	struct env e;
	uint64_t k;

	if (!env_init(&e, 0))
		goto out;
	for (i = 0; i < n; i++) {
		k = KFN_A + i;
		if (pr_stacks_intern(e.st, 1, 0, &k, 1, NULL, 0) != i + 1)
			bad++;
	}
	ASSERT_EQ(bad, 0, "ids in order");
	for (i = 0; i < n; i++) {
		k = KFN_A + i;
		if (pr_stacks_intern(e.st, 1, 0, &k, 1, NULL, 0) != i + 1)
			bad++;
	}
	ASSERT_EQ(bad, 0, "every stack found after the table grew");
	ASSERT_EQ(pr_stacks_count(e.st), n, "count");
	ASSERT_EQ(pr_stacks_nframes(e.st), n, "one frame each");
	/* every frame distinct here: a 16-byte frame and its number (4 bytes
	 * in the pool), a 24-byte entry, a 4-byte slot each for the frame and
	 * the stack at most half full, each array at most twice what it
	 * holds: 2 * 44 + 2 * 16 bytes a stack */
	ASSERT_TRUE(pr_stacks_bytes(e.st) <= (uint64_t)n * (2 * (4 + 16 + 24) + 2 * 16) + 65536,
		    "bytes a stack");
	ASSERT_EQ(pr_stacks_full(e.st), 0, "nothing dropped");
out:
	env_free(&e);
}

/* Stacks keep frame numbers; each distinct frame is kept once. 2000
 * stacks of 20 frames under the same 19 callers, each with a leaf of its
 * own: 40,000 frames in the pool but 2019 distinct, and every stack gives
 * back its own frames, leaf first. */
void test_stacks_frames_shared(void)
{
	enum { N = 2000, DEPTH = 20 };
	uint32_t i, j, bad = 0, ids[N];
	struct pr_frame out[DEPTH + 1];
	uint64_t k[DEPTH];
	struct env e;

	if (!env_init(&e, 0))
		goto out;
	for (j = 1; j < DEPTH; j++)
		k[j] = KFN_B + 0x10 * j;
	for (i = 0; i < N; i++) {
		k[0] = KFN_A + i;
		ids[i] = pr_stacks_intern(e.st, 1, 0, k, DEPTH, NULL, 0);
		bad += ids[i] != i + 1;
	}
	ASSERT_EQ(bad, 0, "a new stack for each leaf");
	for (i = 0; i < N; i++) {
		k[0] = KFN_A + i;
		bad += pr_stacks_intern(e.st, 1, 0, k, DEPTH, NULL, 0) != ids[i];
		if (pr_stacks_frames(e.st, ids[i], out, DEPTH + 1) != DEPTH) {
			bad++;
			continue;
		}
		for (j = 0; j < DEPTH; j++)
			bad += out[j].addr != k[j];
	}
	ASSERT_EQ(bad, 0, "found again, frames given back as interned");
	ASSERT_EQ(pr_stacks_nframes(e.st), N * DEPTH, "frames in the pool");
	/* each array at most twice what it holds: 4-byte numbers in the pool,
	 * 16-byte frames and 4-byte slots for the distinct ones, 24-byte
	 * entries and 4-byte slots for the stacks (578 KB: a pool of the
	 * frames themselves alone took 640) */
	ASSERT_TRUE(pr_stacks_bytes(e.st) <= (uint64_t)N * DEPTH * 2 * 4 +
						  (uint64_t)(N + DEPTH) * 2 * (16 + 4) +
						  (uint64_t)N * 2 * (24 + 4) + 65536,
		    "bytes: frames kept once");
	ASSERT_EQ(pr_stacks_full(e.st), 0, "nothing dropped");
out:
	env_free(&e);
}

/* stacks{keep="recent"}: past opts.recent stacks the table starts over at
 * the end of a cycle; old ids name nothing (counted), are not handed out
 * again (the memo forgets them too), and the memory is reused. */
void test_stacks_recent(void)
{
	uint64_t k1[] = { KFN_A }, k2[] = { KFN_B, KFN_A };
	struct pr_stacks_opts so = { .recent = 2 };
	struct pr_frame out[4];
	uint32_t id1, id2, id3, id4;
	uint64_t bytes;
	struct env e;

	if (!env_init(&e, 0))
		goto out;
	pr_stacks_end_cycle(e.st);
	ASSERT_EQ(pr_stacks_restarts(e.st), 0, "keep all: never starts over");
	if (!env_reopen(&e, &so))
		goto out;
	id1 = pr_stacks_intern(e.st, 1, 0, k1, 1, NULL, 0);
	pr_stacks_end_cycle(e.st);
	ASSERT_EQ(pr_stacks_restarts(e.st), 0, "one stack: below the bound");
	id2 = pr_stacks_intern(e.st, 1, 0, k2, 2, NULL, 0);
	ASSERT_EQ(pr_stacks_intern(e.st, 1, 0, k1, 1, NULL, 0), id1, "found within the cycle");
	bytes = pr_stacks_bytes(e.st);
	pr_stacks_end_cycle(e.st);
	ASSERT_EQ(pr_stacks_restarts(e.st), 1, "two stacks: started over");
	ASSERT_EQ(pr_stacks_forgotten(e.st), 2, "both forgotten");
	ASSERT_EQ(pr_stacks_count(e.st), 0, "none held");
	ASSERT_EQ(pr_stacks_frames(e.st, id1, out, 4), -ENOENT, "an old id names nothing");
	ASSERT_EQ(pr_stacks_pid(e.st, id2), -ENOENT, "nor has a pid");
	ASSERT_EQ(pr_stacks_stale_lookups(e.st), 2, "the lookups counted");
	id3 = pr_stacks_intern(e.st, 1, 0, k1, 1, NULL, 0);
	id4 = pr_stacks_intern(e.st, 1, 0, k2, 2, NULL, 0);
	ASSERT_TRUE(id3 > id2 && id4 > id3, "new ids, not the old ones (nor the memo's)");
	if (ASSERT_EQ(pr_stacks_frames(e.st, id4, out, 4), 2, "the new id's frames")) {
		check_frame(&out[0], "kfn_b", 0, "kernel", 1, "leaf");
		check_frame(&out[1], "kfn_a", 0, "kernel", 1, "caller");
	}
	ASSERT_EQ(pr_stacks_bytes(e.st), bytes, "the memory is reused");
	ASSERT_EQ(pr_stacks_frames(e.st, id4 + 1, out, 4), -ENOENT, "a future id is unknown");
	ASSERT_EQ(pr_stacks_stale_lookups(e.st), 2, "and not stale");
out:
	env_free(&e);
}
