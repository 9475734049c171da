// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cfibench: what DWARF unwinding costs in memory and build time, per
 * binary: the compact table pr_cfi_build_elf makes from .eh_frame (FDEs,
 * rows, bytes held, FDEs rejected and why), the median time of RUNS builds
 * (each from a fresh elf_begin, as profrun meets a binary), the bytes of
 * the table as profrun keeps it (packed: pr_cfi_pack), and the time of one
 * pr_cfi_packed_find in it (the per-frame lookup of an unwind in user
 * space). The last line sums the tables: with the defaults, the memory for
 * the tables of libc + python3. Separate debuginfo is not searched (debug
 * = NULL): both default binaries carry .eh_frame, which is what profrun
 * reads first.
 *
 *   cfibench [-r RUNS] [BINARY...]   (default: libc.so.6, python3.11; 7 runs)
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cfi.h"

#define MAX_RUNS 101
#define FIND_LOOKUPS 1000000

static const char *const default_bins[] = {
	"/lib/x86_64-linux-gnu/libc.so.6",
	"/usr/bin/python3.11",
};

static const char *const reject_names[PR_CFI_REJ_MAX] = {
	[PR_CFI_REJ_TRUNCATED] = "truncated", [PR_CFI_REJ_ENCODING] = "encoding",
	[PR_CFI_REJ_OPCODE] = "opcode",	      [PR_CFI_REJ_STATE] = "state",
	[PR_CFI_REJ_NO_CIE] = "no_cie",	      [PR_CFI_REJ_RANGE] = "range",
	[PR_CFI_REJ_OVERLAP] = "overlap",
};

struct result {
	struct pr_cfi_build_stats st;
	size_t rows, bytes, packed, eh_frame;
	double build_ms, build_min_ms, find_ns;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* size of the section called name, 0 when there is none */
static size_t section_size(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shstrndx;
	const char *n;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		n = gelf_getshdr(scn, &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
		if (n && !strcmp(n, name))
			return sh.sh_size;
	}
	return 0;
}

/* one build from a fresh Elf: *ms is elf_begin through the finished table */
static int build_once(int fd, struct pr_cfi_table *t, struct pr_cfi_build_stats *st,
		      size_t *eh_frame, double *ms)
{
	double t0 = now();
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	int err;

	if (!elf)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	memset(st, 0, sizeof(*st));
	err = pr_cfi_build_elf(elf, NULL, t, st);
	*ms = (now() - t0) * 1e3;
	if (eh_frame)
		*eh_frame = section_size(elf, ".eh_frame");
	elf_end(elf);
	return err;
}

/* mean ns of pr_cfi_packed_find over pcs spread across the table's range */
static double time_find(const struct pr_cfi_packed *t)
{
	uint64_t lo, span, x = 88172645463325252ull;
	struct pr_cfi_row row;
	size_t hits = 0;
	double t0;
	int i;

	if (!t->n)
		return 0;
	lo = t->pc[0];
	span = t->pc[t->n - 1] - lo + 1;
	t0 = now();
	for (i = 0; i < FIND_LOOKUPS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		hits += pr_cfi_packed_find(t, lo + x % span, &row);
	}
	return hits ? (now() - t0) * 1e9 / FIND_LOOKUPS : 0;
}

static int bench_binary(const char *path, int runs, struct result *r)
{
	double ms[MAX_RUNS];
	struct pr_cfi_table t = { .rows = NULL, .n = 0 };
	struct pr_cfi_packed packed = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0, i;

	if (fd < 0)
		return -errno;
	for (i = 0; i < runs && !err; i++) {
		pr_cfi_free(&t);
		err = build_once(fd, &t, &r->st, i ? NULL : &r->eh_frame, &ms[i]);
	}
	if (err)
		goto out;
	qsort(ms, runs, sizeof(ms[0]), cmp_double);
	r->build_ms = runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
	r->build_min_ms = ms[0];
	r->rows = t.n;
	r->bytes = t.n * sizeof(struct pr_cfi_row);
	err = pr_cfi_pack(&t, &packed);
	if (err)
		goto out;
	r->packed = pr_cfi_packed_bytes(&packed);
	r->find_ns = time_find(&packed);
out:
	pr_cfi_packed_free(&packed);
	pr_cfi_free(&t);
	close(fd);
	return err;
}

static void print_rejects(const struct pr_cfi_build_stats *st)
{
	int k, any = 0;

	for (k = 0; k < PR_CFI_REJ_MAX; k++) {
		if (!st->rejected[k])
			continue;
		printf("%s%s=%u", any ? "," : " ", reject_names[k], st->rejected[k]);
		any = 1;
	}
	printf("%s\n", any ? "" : " -");
}

static void print_result(const char *path, const struct result *r)
{
	const char *base = strrchr(path, '/');

	printf("%-20s %10zu %7u %8zu %7u %10zu %9.1f %10zu %8.2f %8.2f %7.0f",
	       base ? base + 1 : path, r->eh_frame, r->st.fdes, r->rows, r->st.invalid_rows, r->bytes,
	       r->bytes / 1024.0, r->packed, r->build_ms, r->build_min_ms, r->find_ns);
	print_rejects(&r->st);
}

int main(int argc, char **argv)
{
	const char *const *bins = default_bins;
	int runs = 7, nbins = 2, opt, i, err, rc = 0;
	size_t total = 0, total_packed = 0, total_eh = 0;
	double total_ms = 0;
	struct result r;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt != 'r' || (runs = atoi(optarg)) < 1 || runs > MAX_RUNS) {
			fprintf(stderr, "usage: cfibench [-r RUNS (1..%d)] [BINARY...]\n",
				MAX_RUNS);
			return 2;
		}
	}
	if (optind < argc) {
		bins = (const char *const *)argv + optind;
		nbins = argc - optind;
	}
	elf_version(EV_CURRENT);
	printf("%-20s %10s %7s %8s %7s %10s %9s %10s %8s %8s %7s %s\n", "binary", "eh_frame_B",
	       "fdes", "rows", "invalid", "table_B", "table_KiB", "packed_B", "build_ms", "min_ms",
	       "find_ns", "rejected");
	for (i = 0; i < nbins; i++) {
		memset(&r, 0, sizeof(r));
		err = bench_binary(bins[i], runs, &r);
		if (err) {
			fprintf(stderr, "cfibench: %s: %s\n", bins[i], strerror(-err));
			rc = 1;
			continue;
		}
		print_result(bins[i], &r);
		total += r.bytes;
		total_packed += r.packed;
		total_eh += r.eh_frame;
		total_ms += r.build_ms;
	}
	printf("%-20s %10zu %7s %8s %7s %10zu %9.1f %10zu %8.2f   (median of %d builds each)\n",
	       "total", total_eh, "", "", "", total, total / 1024.0, total_packed, total_ms, runs);
	return rc;
}
