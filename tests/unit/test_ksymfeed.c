// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The kernel symbol feed: runtime/ksymfeed.c applying synthetic
 * PERF_RECORD_KSYMBOL and PERF_RECORD_LOST records (laid out as the kernel
 * writes them with sample_id_all and PERF_SAMPLE_TIME: header, addr, len,
 * ksym_type, flags, the name NUL-padded to 8 bytes, then the time), and
 * the live feed on a program this test loads and unloads.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "bpfsym.h"
#include "ksymfeed.h"
#include "bpfload.h"

/* The body of PERF_RECORD_KSYMBOL (include/uapi/linux/perf_event.h). */
struct ksym_head {
	struct perf_event_header h;
	uint64_t addr;
	uint32_t len;
	uint16_t ksym_type;
	uint16_t flags;
};

/* A record in buf: head, then nlen bytes of name (copied as they are,
 * then NUL-padded to a multiple of 8), then the time. Returns its size. */
static size_t raw_ksym(void *buf, uint64_t addr, uint32_t len, uint16_t ksym_type, uint16_t flags,
		       const char *name, size_t nlen, uint64_t time)
{
	size_t padded = (nlen + 7) & ~(size_t)7, size = sizeof(struct ksym_head) + padded + 8;
	struct ksym_head *k = buf;
	uint8_t *p = buf;

	memset(buf, 0, size);
	k->h.type = PERF_RECORD_KSYMBOL;
	k->h.misc = PERF_RECORD_MISC_KERNEL;
	k->h.size = size;
	k->addr = addr;
	k->len = len;
	k->ksym_type = ksym_type;
	k->flags = flags;
	memcpy(p + sizeof(*k), name, nlen);
	memcpy(p + sizeof(*k) + padded, &time, sizeof(time));
	return size;
}

/* A well-formed BPF ksymbol record, as the kernel writes it. */
static size_t bpf_ksym(void *buf, uint64_t addr, uint32_t len, bool unregister, const char *name,
		       uint64_t time)
{
	return raw_ksym(buf, addr, len, PERF_RECORD_KSYMBOL_TYPE_BPF,
			unregister ? PERF_RECORD_KSYMBOL_FLAGS_UNREGISTER : 0, name,
			strlen(name) + 1, time);
}

/* PERF_RECORD_LOST: header, id, lost, time. */
static size_t lost_rec(void *buf, uint64_t lost, uint64_t time)
{
	struct perf_event_header *h = buf;
	uint64_t *v = (uint64_t *)(h + 1);

	h->type = PERF_RECORD_LOST;
	h->misc = 0;
	h->size = sizeof(*h) + 3 * sizeof(uint64_t);
	v[0] = 1;
	v[1] = lost;
	v[2] = time;
	return h->size;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void check_named(struct pr_bpfsym *bs, uint64_t addr, const char *name, const char *what)
{
	uint32_t id = pr_bpfsym_find(bs, addr);
	uint64_t start = 0;

	if (ASSERT_TRUE(id, what))
		ASSERT_STREQ(pr_bpfsym_name(bs, id, &start), name, what);
}

#define F_A 0xffffffffc0100000ull
#define F_B 0xffffffffc0100080ull

void test_ksymfeed_register_unregister(void)
{
	uint64_t buf[64];
	struct pr_bpfsym *bs = NULL;
	uint32_t id_a;
	uint64_t start = 0;
	size_t n;

	if (!ASSERT_OK(pr_bpfsym_new(&bs), "bpfsym_new"))
		return;
	n = bpf_ksym(buf, F_A, 0x80, false, "bpf_prog_0123456789abcdef_fa", mono_ns());
	pr_ksymfeed_apply(buf, n, bs);
	n = bpf_ksym(buf, F_B, 0x40, false, "bpf_prog_fedcba9876543210_fa_cb", mono_ns());
	pr_ksymfeed_apply(buf, n, bs);
	ASSERT_EQ(pr_bpfsym_count(bs), 2, "registered: two live");
	ASSERT_EQ(pr_bpfsym_updates(bs), 2, "registered: two updates");
	check_named(bs, F_A, "bpf_prog_0123456789abcdef_fa", "fa at its start");
	check_named(bs, F_A + 0x7f, "bpf_prog_0123456789abcdef_fa", "fa at end - 1");
	check_named(bs, F_B, "bpf_prog_fedcba9876543210_fa_cb", "fa_cb at its start");
	check_named(bs, F_B + 0x3f, "bpf_prog_fedcba9876543210_fa_cb", "fa_cb at end - 1");
	ASSERT_EQ(pr_bpfsym_find(bs, F_B + 0x40), 0, "past fa_cb");
	id_a = pr_bpfsym_find(bs, F_A);

	n = bpf_ksym(buf, F_A, 0x80, true, "bpf_prog_0123456789abcdef_fa", mono_ns());
	pr_ksymfeed_apply(buf, n, bs);
	ASSERT_EQ(pr_bpfsym_count(bs), 1, "unregistered: one live");
	ASSERT_EQ(pr_bpfsym_updates(bs), 3, "unregistered: an update");
	ASSERT_EQ(pr_bpfsym_find(bs, F_A), 0, "fa gone");
	check_named(bs, F_B, "bpf_prog_fedcba9876543210_fa_cb", "fa_cb still there");
	ASSERT_STREQ(pr_bpfsym_name(bs, id_a, &start), "bpf_prog_0123456789abcdef_fa",
		     "fa's id still names it");
	/* an unregister for an address never registered changes nothing */
	n = bpf_ksym(buf, 0xffffffffc0200000ull, 0x80, true, "bpf_prog_0000000000000000_x",
		     mono_ns());
	pr_ksymfeed_apply(buf, n, bs);
	ASSERT_EQ(pr_bpfsym_count(bs), 1, "unknown unregister: one live");
	ASSERT_EQ(pr_bpfsym_updates(bs), 3, "unknown unregister: no update");
	pr_bpfsym_free(bs);
}

/* Records that are not a BPF symbol, or not whole, change nothing. */
void test_ksymfeed_ignored(void)
{
	static const char noterm[16] = "bpf_prog_nonulls"; /* 16 bytes, no NUL */
	uint64_t buf[64];
	struct ksym_head *k = (struct ksym_head *)buf;
	struct pr_bpfsym *bs = NULL;
	size_t n;

	if (!ASSERT_OK(pr_bpfsym_new(&bs), "bpfsym_new"))
		return;
	/* ksym types other than BPF */
	n = raw_ksym(buf, F_A, 0x80, PERF_RECORD_KSYMBOL_TYPE_OOL, 0, "ool_sym", 8, 1);
	pr_ksymfeed_apply(buf, n, bs);
	n = raw_ksym(buf, F_A, 0x80, PERF_RECORD_KSYMBOL_TYPE_UNKNOWN, 0, "unk_sym", 8, 1);
	pr_ksymfeed_apply(buf, n, bs);
	n = raw_ksym(buf, F_A, 0x80, PERF_RECORD_KSYMBOL_TYPE_MAX + 7, 0, "future", 7, 1);
	pr_ksymfeed_apply(buf, n, bs);
	ASSERT_EQ(pr_bpfsym_count(bs), 0, "non-BPF ksym types ignored");
	/* other record types with a ksymbol-like body */
	n = bpf_ksym(buf, F_A, 0x80, false, "bpf_prog_0123456789abcdef_mmap", 1);
	k->h.type = PERF_RECORD_MMAP;
	pr_ksymfeed_apply(buf, n, bs);
	k->h.type = PERF_RECORD_BPF_EVENT;
	pr_ksymfeed_apply(buf, n, bs);
	ASSERT_EQ(pr_bpfsym_count(bs), 0, "other record types ignored");
	/* no NUL in the name: with a time of no zero byte ... */
	n = raw_ksym(buf, F_A, 0x80, PERF_RECORD_KSYMBOL_TYPE_BPF, 0, noterm, sizeof(noterm),
		     0x0102030405060708ull);
	pr_ksymfeed_apply(buf, n, bs);
	ASSERT_EQ(pr_bpfsym_count(bs), 0, "name without NUL (time without zero bytes)");
	/* ... and with a real time, whose high bytes are zero: the time is
	 * not part of the name */
	n = raw_ksym(buf, F_A, 0x80, PERF_RECORD_KSYMBOL_TYPE_BPF, 0, noterm, sizeof(noterm),
		     mono_ns());
	pr_ksymfeed_apply(buf, n, bs);
	ASSERT_EQ(pr_bpfsym_count(bs), 0, "name without NUL (a real time after it)");
	pr_bpfsym_free(bs);
	if (!ASSERT_OK(pr_bpfsym_new(&bs), "bpfsym_new"))
		return;
	/* truncated: the header says more than the buffer holds */
	n = bpf_ksym(buf, F_A, 0x80, false, "bpf_prog_0123456789abcdef_trunc", 1);
	pr_ksymfeed_apply(buf, n - 1, bs);
	pr_ksymfeed_apply(buf, sizeof(struct perf_event_header) - 1, bs);
	pr_ksymfeed_apply(buf, 0, bs);
	ASSERT_EQ(pr_bpfsym_count(bs), 0, "truncated records ignored");
	/* a header too short for the ksymbol fields, or with no name at all */
	k->h.size = sizeof(struct perf_event_header) + 8;
	pr_ksymfeed_apply(buf, n, bs);
	k->h.size = sizeof(struct ksym_head);
	pr_ksymfeed_apply(buf, n, bs);
	ASSERT_EQ(pr_bpfsym_count(bs), 0, "records too short ignored");
	ASSERT_EQ(pr_bpfsym_updates(bs), 0, "no update");
	/* the whole record is applied */
	pr_ksymfeed_apply(buf, bpf_ksym(buf, F_A, 0x80, false, "bpf_prog_0123456789abcdef_ok", 1),
			  bs);
	check_named(bs, F_A, "bpf_prog_0123456789abcdef_ok", "a whole record");
	/* an unregister of another ksym type leaves the BPF range alone */
	n = raw_ksym(buf, F_A, 0x80, PERF_RECORD_KSYMBOL_TYPE_OOL,
		     PERF_RECORD_KSYMBOL_FLAGS_UNREGISTER, "ool_sym", 8, 1);
	pr_ksymfeed_apply(buf, n, bs);
	check_named(bs, F_A, "bpf_prog_0123456789abcdef_ok", "OOL unregister ignored");
	pr_bpfsym_free(bs);
}

/* PERF_RECORD_LOST: the live set is rebuilt from the kernel; ranges the
 * kernel does not have are dropped, programs it has are named. */
void test_ksymfeed_lost_resync(void)
{
	struct test_bpf_funcs fn = { 0 };
	struct bpf_object *obj = NULL;
	struct pr_bpfsym *bs = NULL;
	char path[512], kname[256];
	uint64_t buf[64], start = 0;
	uint32_t id;
	size_t n;

	if (geteuid()) {
		test__skip("needs root for the BPF syscalls");
		return;
	}
	test_fixture_path(path, sizeof(path), "xdp_slow_b.bpf.o");
	if (!ASSERT_OK(pr_bpfsym_new(&bs), "bpfsym_new") ||
	    !ASSERT_TRUE(test_bpf_load(path, &obj, &fn), "load xdp_slow_b.bpf.o (make fixtures)"))
		goto out;
	/* synthetic ranges in user space: no kernel function is there */
	n = bpf_ksym(buf, 0x1000, 0x100, false, "bpf_prog_0000000000000001_synth", mono_ns());
	pr_ksymfeed_apply(buf, n, bs);
	n = bpf_ksym(buf, 0x2000, 0x100, false, "bpf_prog_0000000000000002_synth2", mono_ns());
	pr_ksymfeed_apply(buf, n, bs);
	id = pr_bpfsym_find(bs, 0x1000);
	ASSERT_TRUE(id, "synthetic range live");
	ASSERT_EQ(pr_bpfsym_resyncs(bs), 0, "no resync yet");
	n = lost_rec(buf, 3, mono_ns());
	pr_ksymfeed_apply(buf, n, bs);
	ASSERT_EQ(pr_bpfsym_resyncs(bs), 1, "a lost notice: one resync");
	ASSERT_EQ(pr_bpfsym_find(bs, 0x1000), 0, "synthetic range dropped");
	ASSERT_EQ(pr_bpfsym_find(bs, 0x20ff), 0, "second synthetic range dropped");
	ASSERT_STREQ(pr_bpfsym_name(bs, id, &start), "bpf_prog_0000000000000001_synth",
		     "dropped range's id still names it");
	ASSERT_TRUE(pr_bpfsym_count(bs) >= fn.n, "the kernel's programs are live");
	if (ASSERT_TRUE(test_kallsyms_name(fn.addr[0], kname, sizeof(kname)), "kallsyms name"))
		check_named(bs, fn.addr[0] + 1, kname, "our program after the resync");
	/* a truncated lost notice is no notice */
	n = lost_rec(buf, 3, mono_ns());
	pr_ksymfeed_apply(buf, n - 1, bs);
	ASSERT_EQ(pr_bpfsym_resyncs(bs), 1, "truncated lost notice ignored");
out:
	bpf_object__close(obj);
	pr_bpfsym_free(bs);
}

/* Drains f into bs until pred(bs, addr) holds or 3 s pass. */
static bool drain_until(struct pr_ksymfeed *f, struct pr_bpfsym *bs, uint64_t addr, bool live)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 300; i++) {
		pr_ksymfeed_drain(f, bs);
		if (!!pr_bpfsym_find(bs, addr) == live)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static bool pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !sched_setaffinity(0, sizeof(set), &set);
}

/* The live feed: a program this test loads is registered with the name
 * /proc/kallsyms gives it, its unload unregisters it; the feed's fd
 * polls readable when records wait. */
void test_ksymfeed_live(void)
{
	struct test_bpf_funcs fn = { 0 };
	struct bpf_object *obj = NULL;
	struct pr_ksymfeed *f = NULL;
	struct pr_bpfsym *bs = NULL;
	char path[512], kname[TEST_BPF_MAX_FUNCS][256];
	uint32_t i, ids[TEST_BPF_MAX_FUNCS];
	uint64_t start = 0;
	struct pollfd pfd;

	if (geteuid()) {
		test__skip("needs root for perf_event_open and BPF");
		return;
	}
	test_fixture_path(path, sizeof(path), "xdp_slow_b.bpf.o");
	if (!ASSERT_OK(pr_bpfsym_new(&bs), "bpfsym_new") ||
	    !ASSERT_OK(pr_ksymfeed_new(&f), "ksymfeed_new"))
		goto out;
	pr_ksymfeed_drain(f, bs); /* whatever came before */
	if (!ASSERT_TRUE(test_bpf_load(path, &obj, &fn), "load xdp_slow_b.bpf.o (make fixtures)"))
		goto out;
	pfd = (struct pollfd){ .fd = pr_ksymfeed_fd(f), .events = POLLIN };
	ASSERT_EQ(poll(&pfd, 1, 3000), 1, "feed fd readable after a load");
	if (!ASSERT_TRUE(drain_until(f, bs, fn.addr[0], true), "registered through the feed"))
		goto out;
	for (i = 0; i < fn.n; i++) {
		if (!ASSERT_TRUE(test_kallsyms_name(fn.addr[i], kname[i], sizeof(kname[i])),
				 "kallsyms name"))
			goto out;
		check_named(bs, fn.addr[i], kname[i], "named as kallsyms names it");
		check_named(bs, fn.addr[i] + fn.len[i] - 1, kname[i], "at its end - 1");
		ids[i] = pr_bpfsym_find(bs, fn.addr[i]);
		ASSERT_TRUE(pr_bpfsym_find(bs, fn.addr[i] + fn.len[i]) != ids[i], "past its end");
	}
	ASSERT_TRUE(pr_bpfsym_updates(bs) >= fn.n, "an update per function");
	ASSERT_EQ(pr_bpfsym_resyncs(bs), 0, "no resync");
	bpf_object__close(obj);
	obj = NULL;
	ASSERT_TRUE(drain_until(f, bs, fn.addr[0], false), "unregistered through the feed");
	for (i = 0; i < fn.n; i++) {
		ASSERT_TRUE(pr_bpfsym_find(bs, fn.addr[i]) != ids[i], "unloaded: not live");
		ASSERT_STREQ(pr_bpfsym_name(bs, ids[i], &start), kname[i], "unloaded: id names it");
	}
	ASSERT_TRUE(pr_bpfsym_updates(bs) >= 2 * fn.n, "an update per function and event");
out:
	bpf_object__close(obj);
	pr_ksymfeed_free(f);
	pr_bpfsym_free(bs);
}

/* Nothing live at addr is still our program under its kallsyms name:
 * another program loaded meanwhile (tests run side by side on one
 * machine) may reuse the address, but never the name. */
static bool gone_as(struct pr_bpfsym *bs, uint64_t addr, const char *kname)
{
	uint32_t id = pr_bpfsym_find(bs, addr);
	uint64_t start;
	const char *name = id ? pr_bpfsym_name(bs, id, &start) : NULL;

	return !name || strcmp(name, kname);
}

/* One ordered stream: a program loaded on CPU 1 and unloaded on CPU 0
 * leaves its register in one CPU's buffer and its unregister in the
 * other's; one drain must apply them in time order, so it ends unloaded
 * (applied CPU by CPU, the unregister would come first and leave it
 * live). */
void test_ksymfeed_order_across_cpus(void)
{
	struct test_bpf_funcs fn = { 0 };
	struct bpf_object *obj = NULL;
	struct pr_ksymfeed *f = NULL;
	struct pr_bpfsym *bs = NULL;
	char path[512], kname[256], kname_cb[256];
	cpu_set_t saved;
	uint64_t before;
	bool pinned = false;

	if (geteuid()) {
		test__skip("needs root for perf_event_open and BPF");
		return;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || sched_getaffinity(0, sizeof(saved), &saved) ||
	    !CPU_ISSET(0, &saved) || !CPU_ISSET(1, &saved)) {
		test__skip("needs CPUs 0 and 1");
		return;
	}
	test_fixture_path(path, sizeof(path), "xdp_slow_a.bpf.o");
	if (!ASSERT_OK(pr_bpfsym_new(&bs), "bpfsym_new") ||
	    !ASSERT_OK(pr_ksymfeed_new(&f), "ksymfeed_new"))
		goto out;
	pr_ksymfeed_drain(f, bs);
	before = pr_bpfsym_updates(bs);
	pinned = true;
	if (!ASSERT_TRUE(pin_cpu(1), "run on CPU 1") ||
	    !ASSERT_TRUE(test_bpf_load(path, &obj, &fn), "load on CPU 1") ||
	    !ASSERT_TRUE(test_kallsyms_name(fn.addr[0], kname, sizeof(kname)), "kallsyms name") ||
	    !ASSERT_TRUE(test_kallsyms_name(fn.addr[fn.n - 1], kname_cb, sizeof(kname_cb)),
			 "callback's kallsyms name") ||
	    !ASSERT_TRUE(pin_cpu(0), "run on CPU 0"))
		goto out;
	bpf_object__close(obj);
	obj = NULL;
	/* the unregister is written when the last reference goes: wait for
	 * kallsyms to drop it, then drain once */
	ASSERT_TRUE(test_kallsyms_gone(fn.addr[0], kname), "unloaded");
	usleep(50 * 1000);
	pr_ksymfeed_drain(f, bs);
	ASSERT_TRUE(pr_bpfsym_updates(bs) - before >= 2 * fn.n, "both events seen in one drain");
	ASSERT_TRUE(gone_as(bs, fn.addr[0], kname), "main function not live after its unload");
	ASSERT_TRUE(gone_as(bs, fn.addr[fn.n - 1], kname_cb), "callback not live after its unload");
out:
	if (pinned)
		sched_setaffinity(0, sizeof(saved), &saved);
	bpf_object__close(obj);
	pr_ksymfeed_free(f);
	pr_bpfsym_free(bs);
}
