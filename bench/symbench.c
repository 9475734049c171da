// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * symbench: how fast profrun's ELF symbolizer names addresses, for
 * bench/symbolize.sh, which runs addr2line and eu-addr2line on the same
 * list. Reads link-time addresses (hex, one per line, as addr2line takes
 * them) from stdin and converts them to file offsets once.
 *
 *   symbench BINARY          names only (pr_elfsym_resolve). Times cold =
 *                            a fresh table (open, parse, resolve every
 *                            address) and warm = the same table again.
 *                            Prints "cold_s warm_s named n".
 *   symbench --lines BINARY  names, source lines and inline frames
 *                            (resolve + pr_elfsym_lines, as stacks.c does).
 *                            Times cold and warm (the same addresses again:
 *                            answered from the per-address cache) and new
 *                            (every address + 1 on the warm table: DWARF
 *                            open, addresses not cached). Prints
 *                            "cold_s warm_s new_s with_lines frames n".
 *   symbench --print BINARY  one line per address, tab-separated:
 *                            addr, the outermost function's DWARF name
 *                            ("-" if none), then name and file:line per
 *                            level, innermost first, named as
 *                            stacks.c:symbolize_binary() names them (inline
 *                            levels by DWARF, the outermost by the symbol
 *                            table, else DWARF). "??" / "??:0" when unknown.
 *   SYMBENCH_DWARF_CACHE=DIR reads compressed DWARF through inflated
 *                            copies in DIR (dwarfcache.h), as profrun does.
 *   symbench --sample N      reads "addr size" (hex, as nm -S prints them)
 *                            per function and prints N addresses: a
 *                            function drawn uniformly, then an offset inside
 *                            it (fixed seed: the same list every run).
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dwarfcache.h"
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

/* What a profile asks per frame: the symbol's name, then the lines. */
static size_t lines_all(struct pr_elfsym *b, const uint64_t *a, size_t n, uint64_t delta,
			size_t *frames)
{
	const struct pr_elfsym_line *l;
	size_t i, with = 0;
	uint64_t off;
	int k;

	*frames = 0;
	for (i = 0; i < n; i++) {
		pr_elfsym_resolve(b, a[i] + delta, &off);
		k = pr_elfsym_lines(b, a[i] + delta, &l);
		with += k > 0;
		*frames += k > 0 ? (size_t)k : 1;
	}
	return with;
}

static void print_pos(const char *file, uint32_t line)
{
	if (file && line)
		printf("\t%s:%u", file, line);
	else
		printf("\t%s:0", file ? file : "??");
}

static void print_all(struct pr_elfsym *b, const uint64_t *a, const uint64_t *va, size_t n)
{
	const struct pr_elfsym_line *l;
	const char *name;
	uint64_t off;
	size_t i;
	int k, j;

	for (i = 0; i < n; i++) {
		name = pr_elfsym_resolve(b, a[i], &off); /* before lines: l lives until the next call */
		k = pr_elfsym_lines(b, a[i], &l);
		printf("%llx\t%s", (unsigned long long)va[i],
		       k > 0 && l[k - 1].name ? l[k - 1].name : "-");
		if (k <= 0) {
			printf("\t%s\t??:0\n", name ? name : "??");
			continue;
		}
		for (j = 0; j < k - 1; j++) {
			printf("\t%s", l[j].name ? l[j].name : name ? name : "??");
			print_pos(l[j].file, l[j].line);
		}
		printf("\t%s", name ? name : l[k - 1].name ? l[k - 1].name : "??");
		print_pos(l[k - 1].file, l[k - 1].line);
		putchar('\n');
	}
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int sample(long n)
{
	size_t nf = 0, cap = 1024;
	uint64_t (*f)[2] = malloc(cap * sizeof(*f)), seed = 0x9E3779B97F4A7C15ull, k;
	unsigned long long addr, size;

	if (!f)
		return 1;
	while (scanf("%llx %llx", &addr, &size) == 2) {
		if (!size)
			continue;
		if (nf == cap && !(f = realloc(f, (cap *= 2) * sizeof(*f))))
			return 1;
		f[nf][0] = addr;
		f[nf++][1] = size;
	}
	for (; nf && n > 0; n--) {
		k = rnd(&seed) % nf;
		printf("%llx\n", (unsigned long long)(f[k][0] + rnd(&seed) % f[k][1]));
	}
	free(f);
	return nf ? 0 : 1;
}

int main(int argc, char **argv)
{
	size_t n = 0, cap = 1024, named, with, frames;
	uint64_t *a = malloc(cap * sizeof(*a)), *va;
	const char *mode = argc == 3 ? argv[1] : "", *path = argv[argc - 1];
	const char *cache_dir = getenv("SYMBENCH_DWARF_CACHE");
	struct pr_dwarfcache *c;
	struct pr_elfsyms *t;
	struct pr_elfsym *b;
	unsigned long long v;
	char why[512];
	double t0, t1, t2, t3;

	if (argc == 3 && !strcmp(mode, "--sample"))
		return sample(atol(argv[2]));
	if ((argc != 2 && argc != 3) || !a ||
	    (argc == 3 && strcmp(mode, "--lines") && strcmp(mode, "--print"))) {
		fprintf(stderr, "usage: symbench [--lines|--print] BINARY < addresses\n"
				"       symbench --sample N < 'addr size' lines\n");
		return 2;
	}
	while (scanf("%llx", &v) == 1) {
		if (n == cap && !(a = realloc(a, (cap *= 2) * sizeof(*a))))
			return 1;
		a[n++] = v;
	}
	if (!(va = malloc((n ? n : 1) * sizeof(*va))))
		return 1;
	memcpy(va, a, n * sizeof(*a));
	if (to_offsets(path, a, n))
		return 1;
	t0 = now();
	if (pr_elfsyms_new(&t))
		return 1;
	if (cache_dir && *cache_dir) {
		if (pr_dwarfcache_new(cache_dir, 0, &c, why, sizeof(why))) {
			fprintf(stderr, "symbench: %s\n", why);
			return 1;
		}
		pr_elfsyms_set_dwarf_cache(t, c);
	}
	if (!(b = pr_elfsym_lookup_path(t, path)))
		return 1;
	if (!strcmp(mode, "--print")) {
		print_all(b, a, va, n);
	} else if (!strcmp(mode, "--lines")) {
		with = lines_all(b, a, n, 0, &frames);
		t1 = now();
		lines_all(b, a, n, 0, &named);
		t2 = now();
		lines_all(b, a, n, 1, &named);
		t3 = now();
		printf("%.6f %.6f %.6f %zu %zu %zu\n", t1 - t0, t2 - t1, t3 - t2, with, frames, n);
	} else {
		named = resolve_all(b, a, n);
		t1 = now();
		resolve_all(b, a, n);
		t2 = now();
		printf("%.6f %.6f %zu %zu\n", t1 - t0, t2 - t1, named, n);
	}
	pr_elfsyms_free(t);
	free(va);
	free(a);
	return 0;
}
