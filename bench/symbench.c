// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * symbench: how fast profrun's ELF symbolizer names addresses, for
 * bench/symbolize.sh, which runs addr2line and eu-addr2line on the same
 * list. Reads link-time addresses (hex, one per line, as addr2line takes
 * them) from stdin, converts them to file offsets once, then times:
 * cold = a fresh table (open, parse, resolve every address), warm = the
 * same table again. Prints "cold_s warm_s named n".
 * usage: symbench BINARY < addresses
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "elfsym.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* link-time address -> file offset, through the executable PT_LOADs */
static int to_offsets(const char *path, uint64_t *a, size_t n)
{
	int fd = open(path, O_RDONLY), found;
	Elf *elf;
	GElf_Phdr ph;
	size_t i, k, np;

	elf_version(EV_CURRENT);
	elf = fd < 0 ? NULL : elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &np))
		return -1;
	for (i = 0; i < n; i++) {
		found = 0;
		for (k = 0; k < np && !found; k++) {
			if (!gelf_getphdr(elf, k, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
				continue;
			if (a[i] >= ph.p_vaddr && a[i] < ph.p_vaddr + ph.p_filesz) {
				a[i] = a[i] - ph.p_vaddr + ph.p_offset;
				found = 1;
			}
		}
	}
	elf_end(elf);
	close(fd);
	return 0;
}

static size_t resolve_all(struct pr_elfsym *b, const uint64_t *a, size_t n)
{
	size_t i, named = 0;
	uint64_t off;

	for (i = 0; i < n; i++)
		named += pr_elfsym_resolve(b, a[i], &off) != NULL;
	return named;
}

int main(int argc, char **argv)
{
	size_t n = 0, cap = 1024, named;
	uint64_t *a = malloc(cap * sizeof(*a));
	struct pr_elfsyms *t;
	struct pr_elfsym *b;
	unsigned long long v;
	double t0, t1, t2;

	if (argc != 2 || !a)
		return 2;
	while (scanf("%llx", &v) == 1) {
		if (n == cap && !(a = realloc(a, (cap *= 2) * sizeof(*a))))
			return 1;
		a[n++] = v;
	}
	if (to_offsets(argv[1], a, n))
		return 1;
	t0 = now();
	if (pr_elfsyms_new(&t) || !(b = pr_elfsym_lookup_path(t, argv[1])))
		return 1;
	named = resolve_all(b, a, n);
	t1 = now();
	resolve_all(b, a, n);
	t2 = now();
	printf("%.6f %.6f %zu %zu\n", t1 - t0, t2 - t1, named, n);
	pr_elfsyms_free(t);
	free(a);
	return 0;
}
