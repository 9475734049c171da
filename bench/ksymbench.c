// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ksymbench: what the kernel symbolizer costs, for bench/ksym.sh. Prints
 * one "name value unit" line per measure: a full /proc/kallsyms parse (what
 * a re-read on every BPF change would cost each time), the BPF baseline
 * from the syscalls (what profrun does at start), one update (add+remove
 * of a BPF range), and lookups per second in kallsyms and in BPF ranges.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bpfsym.h"
#include "ksym.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	const int updates = 100000, lookups = 2000000;
	struct pr_bpfsym *bs;
	struct pr_ksym *ks;
	const char *m;
	uint64_t off, base = 0xffffffffc1000000ull, lo = 0xffffffff81000000ull;
	double t0, t1;
	int i, hits = 0;

	if (pr_ksym_new(&ks) || pr_bpfsym_new(&bs))
		return 1;
	t0 = now();
	pr_ksym_load(ks, NULL);
	t1 = now();
	printf("kallsyms_parse %.3f ms (%llu symbols)\n", (t1 - t0) * 1e3,
	       (unsigned long long)pr_ksym_count(ks));
	t0 = now();
	pr_bpfsym_resync(bs);
	t1 = now();
	printf("bpf_baseline %.3f ms (%llu functions)\n", (t1 - t0) * 1e3,
	       (unsigned long long)pr_bpfsym_count(bs));
	t0 = now();
	for (i = 0; i < updates; i++) {
		pr_bpfsym_add(bs, base + (uint64_t)(i % 500) * 4096, 512, "bpf_prog_0123456789abcdef_x");
		if (i >= 250)
			pr_bpfsym_remove(bs, base + (uint64_t)((i - 250) % 500) * 4096);
	}
	t1 = now();
	printf("bpf_update %.1f ns (add+remove, ~250 live)\n", (t1 - t0) * 1e9 / updates);
	srand(1);
	t0 = now();
	for (i = 0; i < lookups; i++)
		hits += pr_ksym_lookup(ks, lo + (uint64_t)rand() % 0x1200000, &off, &m) != NULL;
	t1 = now();
	printf("kallsyms_lookup %.0f /s (%d%% named)\n", lookups / (t1 - t0), hits * 100 / lookups);
	hits = 0;
	t0 = now();
	for (i = 0; i < lookups; i++)
		hits += pr_bpfsym_find(bs, base + (uint64_t)rand() % (500 * 4096)) != 0;
	t1 = now();
	printf("bpf_lookup %.0f /s (%d%% in a range)\n", lookups / (t1 - t0), hits * 100 / lookups);
	pr_bpfsym_free(bs);
	pr_ksym_free(ks);
	return 0;
}
