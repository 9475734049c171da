// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The BPF ring reader (runtime/bpfring.c) on a real ring buffer map,
 * filled by a real BPF program: a socket filter run with BPF_PROG_TEST_RUN
 * that outputs one 40-byte record a run (5 copies of bpf_ktime_get_ns).
 * Records take 48 bytes with their header, which does not divide the
 * 4096-byte ring: every lap leaves a record across the end, read through
 * the copy the reader makes of it.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "harness.h"
#include "bpfring.h"

#define RING 4096
#define REC 40 /* bytes of data a record: 48 with its header */

struct seen {
	uint32_t n, bad;
	uint64_t last;
	int stop_at; /* return -1 at this record (1-based); 0: never */
};

static int on_rec(void *ctx, void *data, size_t len)
{
	struct seen *s = ctx;
	uint64_t w[REC / 8];
	int i;

	s->n++;
	if (len != REC) {
		s->bad++;
		return 0;
	}
	memcpy(w, data, sizeof(w));
	for (i = 1; i < REC / 8; i++)
		if (w[i] != w[0])
			s->bad++;
	if (w[0] < s->last)
		s->bad++;
	s->last = w[0];
	return s->stop_at && (int)s->n == s->stop_at ? -1 : 0;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* The producer: a socket filter that outputs REC bytes to the ring. */
static int load_producer(int map_fd)
{
	struct bpf_insn p[] = {
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ktime_get_ns),
		INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, -40, 0),
		INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, -32, 0),
		INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, -24, 0),
		INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, -16, 0),
		INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, -8, 0),
		/* r1 = the map (a 16-byte load of its fd) */
		INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -40),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, REC),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};

	return bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "pr_test_ring", "GPL", p,
			     sizeof(p) / sizeof(p[0]), NULL);
}

/* Runs the producer n times: n records (while they fit). */
static int produce(int prog, int n)
{
	uint8_t pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = n);

	return bpf_prog_test_run_opts(prog, &o);
}

void test_bpfring_laps(void)
{
	struct pr_bpfring *r = NULL;
	struct seen s = { 0 };
	int map = -1, prog = -1, lap, n;

	if (geteuid()) {
		test__skip("needs root for BPF");
		return;
	}
	map = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "pr_test_ring", 0, 0, RING, NULL);
	if (!ASSERT_TRUE(map >= 0, "ring buffer map created"))
		goto out;
	prog = load_producer(map);
	if (!ASSERT_TRUE(prog >= 0, "producer program loaded") ||
	    !ASSERT_OK(pr_bpfring_new(map, on_rec, &s, &r), "bpfring_new"))
		goto out;
	ASSERT_EQ(pr_bpfring_fd(r), map, "the map's fd is the one to poll");
	ASSERT_EQ(pr_bpfring_consume(r), 0, "empty ring: nothing");
	/* 60 records a lap: 2880 bytes, so laps 2.. start mid-ring and wrap */
	for (lap = 0; lap < 6; lap++) {
		if (!ASSERT_OK(produce(prog, 60), "producer ran"))
			goto out;
		n = pr_bpfring_consume(r);
		ASSERT_EQ(n, 60, "a lap's records, all of them");
	}
	ASSERT_EQ(s.n, 360, "every record read once");
	ASSERT_EQ(s.bad, 0, "every record whole and in order, across the end too");
	/* a callback that fails stops the reading after its record */
	s = (struct seen){ .stop_at = 2 };
	if (!ASSERT_OK(produce(prog, 3), "producer ran"))
		goto out;
	ASSERT_EQ(pr_bpfring_consume(r), -1, "the callback's error returned");
	ASSERT_EQ(s.n, 2, "stopped at the failing record");
	ASSERT_EQ(pr_bpfring_consume(r), 1, "the rest at the next call");
	ASSERT_EQ(s.n, 3, "no record read twice");
	/* a full ring: what fits is read, the rest was refused by BPF */
	s = (struct seen){ 0 };
	if (!ASSERT_OK(produce(prog, 100), "producer ran"))
		goto out;
	n = pr_bpfring_consume(r);
	ASSERT_TRUE(n >= RING / 48 - 1 && n <= RING / 48, "a full ring's records (85 of 48 bytes)");
	ASSERT_EQ(s.bad, 0, "whole and in order");
out:
	pr_bpfring_free(r);
	if (prog >= 0)
		close(prog);
	if (map >= 0)
		close(map);
}

void test_bpfring_not_a_ring(void)
{
	struct pr_bpfring *r = NULL;
	struct seen s = { 0 };
	int map;

	if (geteuid()) {
		test__skip("needs root for BPF");
		return;
	}
	map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pr_test_arr", 4, 8, 1, NULL);
	if (!ASSERT_TRUE(map >= 0, "array map created"))
		return;
	ASSERT_EQ(pr_bpfring_new(map, on_rec, &s, &r), -EINVAL, "an array is refused");
	ASSERT_NULL(r, "nothing made");
	close(map);
}
