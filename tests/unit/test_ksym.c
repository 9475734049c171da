// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Kernel symbols: runtime/ksym.c on kallsyms fixtures and /proc/kallsyms. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "ksym.h"

/* Unsorted, with data, bss and absolute symbols that must be ignored.
 * Module names keep their brackets ("[mymod]"), as kallsyms spells them. */
static const char fixture[] = "ffffffffc0002000 t other_fn\t[othermod]\n"
			      "ffffffff81000200 t func_b\n"
			      "ffffffff81000300 d data_x\n"
			      "ffffffff81000100 T func_a\n"
			      "ffffffff81000400 b bss_y\n"
			      "0000000000001000 A abs_z\n"
			      "ffffffff81000500 W weak_w\n"
			      "ffffffff81001000 T _etext\n"
			      "ffffffffc0001000 t mod_fn\t[mymod]\n"
			      "ffffffffc0001100 t mod_fn2\t[mymod]\n"
			      "ffffffff81000000 T _stext\n"
			      "ffffffff81000600 D data_big\n";

struct lookup {
	uint64_t addr;
	const char *name; /* NULL: no symbol */
	uint64_t off;
	const char *module; /* NULL: not checked */
};

static const struct lookup lookups[] = {
	{ 0, NULL, 0, NULL },
	{ 0x1000, NULL, 0, NULL },
	{ 0xffffffff80ffffffull, NULL, 0, NULL },
	{ 0xffffffff81000000ull, "_stext", 0, "kernel" },
	{ 0xffffffff81000100ull, "func_a", 0, "kernel" },
	{ 0xffffffff81000150ull, "func_a", 0x50, "kernel" },
	{ 0xffffffff810001ffull, "func_a", 0xff, "kernel" },
	{ 0xffffffff81000200ull, "func_b", 0, "kernel" },
	{ 0xffffffff81000350ull, "func_b", 0x150, "kernel" },
	{ 0xffffffff81000450ull, "func_b", 0x250, "kernel" },
	{ 0xffffffff81000500ull, "weak_w", 0, "kernel" },
	{ 0xffffffff81000650ull, "weak_w", 0x150, "kernel" },
	{ 0xffffffff81001000ull, NULL, 0, NULL },
	{ 0xffffffff81001001ull, NULL, 0, NULL },
	{ 0xffffffffc0000fffull, NULL, 0, NULL },
	{ 0xffffffffc0001000ull, "mod_fn", 0, "[mymod]" },
	{ 0xffffffffc0001010ull, "mod_fn", 0x10, "[mymod]" },
	{ 0xffffffffc0001100ull, "mod_fn2", 0, "[mymod]" },
	/* the last symbol of a module ends where another module's starts */
	{ 0xffffffffc0001fffull, "mod_fn2", 0xeff, "[mymod]" },
	{ 0xffffffffc0002000ull, "other_fn", 0, "[othermod]" },
	{ 0xffffffffc0002010ull, "other_fn", 0x10, "[othermod]" },
	/* ... or, with no /proc/modules to say, one page after its start */
	{ 0xffffffffc0002fffull, "other_fn", 0xfff, "[othermod]" },
	{ 0xffffffffc0003000ull, NULL, 0, NULL },
	{ 0xffffffffc0100000ull, NULL, 0, NULL },
};

/* Writes text as a kallsyms file in a new directory and loads it. */
static struct pr_ksym *load_fixture(const char *text, char *dir)
{
	struct pr_ksym *ks = NULL;
	char path[256];

	if (!test_mkdtemp(dir) || !test_write_file(dir, "kallsyms", text, strlen(text), path) ||
	    !ASSERT_OK(pr_ksym_new(&ks), "ksym_new"))
		goto out;
	if (!ASSERT_OK(pr_ksym_load(ks, path), "ksym_load")) {
		pr_ksym_free(ks);
		ks = NULL;
	}
out:
	return ks;
}

static void check_lookup(struct pr_ksym *ks, uint64_t addr, const char *name, uint64_t off,
			 const char *module)
{
	const char *mod = NULL, *got;
	uint64_t o = 0;
	char what[64];

	snprintf(what, sizeof(what), "lookup %#" PRIx64, addr);
	got = pr_ksym_lookup(ks, addr, &o, &mod);
	if (ASSERT_STREQ(got, name, what) && name) {
		ASSERT_EQ(o, off, what);
		if (module)
			ASSERT_STREQ(mod, module, what);
	}
}

void test_ksym_fixture_lookup(void)
{
	char dir[64] = "";
	struct pr_ksym *ks = load_fixture(fixture, dir);
	size_t i;

	if (ks) {
		ASSERT_EQ(pr_ksym_count(ks), 8, "text symbols only");
		for (i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++)
			check_lookup(ks, lookups[i].addr, lookups[i].name, lookups[i].off,
				     lookups[i].module);
	}
	pr_ksym_free(ks);
	test_rmdir(dir);
}

void test_ksym_malformed_lines(void)
{
	static const char text[] = "ffffffff81000100 T good_a\n"
				   "\n"
				   "garbage\n"
				   "ffffffff81000180\n"
				   "ffffffff81000190 \n"
				   "ffffffff810001a0 T\n"
				   "ffffffff810001b0 T \n"
				   "xyz T bad_addr\n"
				   "ffffffff810001c0 TT bad_type\n"
				   "ffffffff810001d0 T\tbad_sep\n"
				   "ffffffff810001e0\tT bad_sep2\n"
				   "ffffffff810001f0 ? unknown\n"
				   "0000000000000000 T zero_addr\n"
				   "ffffffff81000200 T good_b\n"
				   "ffffffff81000300 T last_without_newline";
	char dir[64] = "";
	struct pr_ksym *ks = load_fixture(text, dir);

	if (ks) {
		ASSERT_EQ(pr_ksym_count(ks), 3, "only the good lines");
		check_lookup(ks, 0xffffffff810001f0ull, "good_a", 0xf0, "kernel");
		check_lookup(ks, 0xffffffff81000200ull, "good_b", 0, "kernel");
		check_lookup(ks, 0xffffffff81000301ull, "last_without_newline", 1, "kernel");
	}
	pr_ksym_free(ks);
	test_rmdir(dir);
}

/* "ADDR t NAME[\tMOD]\n" with a name of n copies of c. */
static char *long_line(char *p, const char *addr, char c, size_t n, const char *mod)
{
	p += sprintf(p, "%s t ", addr);
	memset(p, c, n);
	p += n;
	p += sprintf(p, "%s%s%s\n", mod ? "\t[" : "", mod ? mod : "", mod ? "]" : "");
	return p;
}

void test_ksym_long_lines(void)
{
	char text[4096], *p, dir[64] = "";
	const char *mod = NULL, *name;
	struct pr_ksym *ks;
	uint64_t off = 0;

	/* a 2000-byte name: longer than any kernel allows (KSYM_NAME_LEN 512) */
	p = long_line(text, "ffffffff81000900", 'a', 2000, NULL);
	p += sprintf(p, "ffffffff81000a00 T after_overlong\n");
	/* a 500-byte name is valid since Linux 6.1: the line is 527 bytes */
	p = long_line(p, "ffffffffc0003000", 'n', 500, "mymod");
	sprintf(p, "ffffffffc0004000 t after_long\t[mymod]\n");
	ks = load_fixture(text, dir);
	if (!ks)
		goto out;
	check_lookup(ks, 0xffffffff81000a10ull, "after_overlong", 0x10, "kernel");
	check_lookup(ks, 0xffffffffc0004000ull, "after_long", 0, "[mymod]");
	/* the over-long symbol may be dropped or cut, but only to a prefix */
	name = pr_ksym_lookup(ks, 0xffffffff81000900ull, &off, &mod);
	ASSERT_TRUE(!name || (strspn(name, "a") == strlen(name) && *name), "overlong name");
	ASSERT_TRUE(pr_ksym_count(ks) >= 3 && pr_ksym_count(ks) <= 4, "no symbols from tails");
	/* a valid 500-byte name comes back whole, with its module */
	name = pr_ksym_lookup(ks, 0xffffffffc0003004ull, &off, &mod);
	if (ASSERT_TRUE(name, "500-byte name found")) {
		ASSERT_EQ(strlen(name), 500, "500-byte name length");
		ASSERT_EQ(strspn(name, "n"), strlen(name), "500-byte name text");
		ASSERT_EQ(off, 4, "500-byte name offset");
		ASSERT_STREQ(mod, "[mymod]", "500-byte name module");
	}
out:
	pr_ksym_free(ks);
	test_rmdir(dir);
}

void test_ksym_missing_file(void)
{
	char dir[64] = "";
	struct pr_ksym *ks = load_fixture(fixture, dir);
	const char *mod;
	uint64_t off;

	if (!ks)
		goto out;
	ASSERT_EQ(pr_ksym_load(ks, "/nonexistent/kallsyms"), -ENOENT, "load missing");
	ASSERT_EQ(pr_ksym_count(ks), 0, "old symbols dropped");
	/* a failed load counts as loaded: no lazy fall back to /proc/kallsyms */
	ASSERT_NULL(pr_ksym_lookup(ks, 0xffffffff81000100ull, &off, &mod), "lookup");
out:
	pr_ksym_free(ks);
	test_rmdir(dir);
}

static void check_lookups(struct pr_ksym *ks, const struct lookup *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check_lookup(ks, l[i].addr, l[i].name, l[i].off, l[i].module);
}

/* Lines a kallsyms reader may meet besides "ADDR t name[\t[mod]]". */
void test_ksym_odd_lines(void)
{
	static const char text[] =
		/* every type but t T w W is not text, and leaves no gap */
		"ffffffff81000100 T text_T\n"
		"ffffffff81000110 r ro_r\n"
		"ffffffff81000120 R ro_R\n"
		"ffffffff81000130 d data_d\n"
		"ffffffff81000140 D data_D\n"
		"ffffffff81000150 b bss_b\n"
		"ffffffff81000160 B bss_B\n"
		"ffffffff81000170 a abs_a\n"
		"ffffffff81000180 A abs_A\n"
		"ffffffff81000190 u unique_u\n"
		"ffffffff810001a0 v weakobj_v\n"
		"ffffffff810001b0 V weakobj_V\n"
		"ffffffff810001c0 n debug_n\n"
		"ffffffff810001d0 N debug_N\n"
		"ffffffff810001e0 U undef_U\n"
		"ffffffff810001f0 i indirect_i\n"
		"ffffffff81000200 t text_t\n"
		"ffffffff81000300 w weak_w\n"
		"ffffffff81000400 W weak_W\n"
		/* zero addresses: what a reader without privileges sees */
		"0000000000000000 T zero_T\n"
		"0000000000000000 t zero_t\t[zmod]\n"
		/* tabs where the spaces belong: not symbol lines */
		"ffffffff81000500\tt tab_sep\n"
		"ffffffff81000600 t\ttab_sep2\n"
		/* a module without brackets, and a bracket never closed */
		"ffffffffc0001000 t nobracket\tnbmod\n"
		"ffffffffc0003000 t open_bracket\t[obmod\n"
		/* the [bpf] pseudo-module is bpfsym.c's, never ours */
		"ffffffffc0005000 t bpf_prog_0123456789abcdef_prog\t[bpf]\n"
		"ffffffffc0005800 t bpf_dispatcher_xdp\t[bpf]\n"
		"ffffffff81001000 T _etext\n";
	static const struct lookup l[] = {
		{ 0, NULL, 0, NULL },
		{ 0xffffffff81000100ull, "text_T", 0, "kernel" },
		{ 0xffffffff81000110ull, "text_T", 0x10, "kernel" },
		{ 0xffffffff810001f0ull, "text_T", 0xf0, "kernel" },
		{ 0xffffffff810001ffull, "text_T", 0xff, "kernel" },
		{ 0xffffffff81000200ull, "text_t", 0, "kernel" },
		{ 0xffffffff81000300ull, "weak_w", 0, "kernel" },
		{ 0xffffffff81000400ull, "weak_W", 0, "kernel" },
		{ 0xffffffff81000500ull, "weak_W", 0x100, "kernel" },
		{ 0xffffffff81000600ull, "weak_W", 0x200, "kernel" },
		{ 0xffffffff81001000ull, NULL, 0, NULL },
		/* open_bracket ends a page on: [bpf] lines leave no symbol */
		{ 0xffffffffc0003fffull, "open_bracket", 0xfff, NULL },
		{ 0xffffffffc0004000ull, NULL, 0, NULL },
		{ 0xffffffffc0005000ull, NULL, 0, NULL },
		{ 0xffffffffc0005810ull, NULL, 0, NULL },
	};
	const char *mod = NULL, *name;
	char dir[64] = "";
	struct pr_ksym *ks = load_fixture(text, dir);
	uint64_t off = 0;

	if (!ks)
		goto out;
	ASSERT_EQ(pr_ksym_count(ks), 7, "text symbols with an address, no [bpf]");
	check_lookups(ks, l, sizeof(l) / sizeof(l[0]));
	/* a module name however it is spelt: a module, not the kernel */
	name = pr_ksym_lookup(ks, 0xffffffffc0001004ull, &off, &mod);
	if (ASSERT_STREQ(name, "nobracket", "module without brackets")) {
		ASSERT_EQ(off, 4, "module without brackets: offset");
		ASSERT_TRUE(mod && strstr(mod, "nbmod"), "module without brackets: module");
	}
	name = pr_ksym_lookup(ks, 0xffffffffc0003000ull, &off, &mod);
	if (ASSERT_STREQ(name, "open_bracket", "unclosed bracket"))
		ASSERT_TRUE(mod && strstr(mod, "obmod"), "unclosed bracket: module");
out:
	pr_ksym_free(ks);
	test_rmdir(dir);
}

/* Every address reads zero (kallsyms to a reader without privileges). */
void test_ksym_all_zero(void)
{
	static const char text[] = "0000000000000000 T _stext\n"
				   "0000000000000000 T schedule\n"
				   "0000000000000000 t ext4_fn\t[ext4]\n"
				   "0000000000000000 T _etext\n";
	const char *mod = NULL;
	char dir[64] = "";
	struct pr_ksym *ks = load_fixture(text, dir);
	uint64_t off = 0;

	if (!ks)
		goto out;
	ASSERT_EQ(pr_ksym_count(ks), 0, "no symbol");
	ASSERT_NULL(pr_ksym_lookup(ks, 0, &off, &mod), "lookup 0");
	ASSERT_NULL(pr_ksym_lookup(ks, 0xffffffff81000000ull, &off, &mod), "lookup kernel text");
	ASSERT_EQ(pr_ksym_reads(ks), 1, "read once, not again on lookup");
out:
	pr_ksym_free(ks);
	test_rmdir(dir);
}

/* Shuffled kernel and module symbols: the table is sorted after the read. */
void test_ksym_unsorted(void)
{
	enum { NK = 300, NM = 100, N = NK + NM };
	static char text[N * 64];
	uint64_t addr[N], t, o = 0;
	const char *mod = NULL, *name;
	char want[32], dir[64] = "", *p = text;
	struct pr_ksym *ks = NULL;
	unsigned int seed = 12345;
	int idx[N], i, j, k, bad = 0;

	/* kernel: fn_0..fn_299, 0x40 apart; module [mm]: mfn_0..mfn_99 */
	for (i = 0; i < N; i++) {
		idx[i] = i;
		addr[i] = i < NK ? 0xffffffff81000000ull + i * 0x40
				 : 0xffffffffc0000000ull + (i - NK) * 0x20;
	}
	for (i = N - 1; i > 0; i--) {
		j = rand_r(&seed) % (i + 1);
		k = idx[i];
		idx[i] = idx[j];
		idx[j] = k;
	}
	for (i = 0; i < N; i++) {
		k = idx[i];
		if (k < NK)
			p += sprintf(p, "%016" PRIx64 " t fn_%d\n", addr[k], k);
		else
			p += sprintf(p, "%016" PRIx64 " t mfn_%d\t[mm]\n", addr[k], k - NK);
	}
	ks = load_fixture(text, dir);
	if (!ks)
		goto out;
	ASSERT_EQ(pr_ksym_count(ks), N, "every symbol");
	for (i = 0; i < N; i++) {
		uint64_t size = i < NK ? 0x40 : 0x20;
		uint64_t probe[3] = { 0, 1, size - 1 };

		if (i < NK)
			snprintf(want, sizeof(want), "fn_%d", i);
		else
			snprintf(want, sizeof(want), "mfn_%d", i - NK);
		for (k = 0; k < 3; k++) {
			t = addr[i] + probe[k];
			name = pr_ksym_lookup(ks, t, &o, &mod);
			if (!name || strcmp(name, want) || o != probe[k] ||
			    strcmp(mod, i < NK ? "kernel" : "[mm]")) {
				if (bad++ < 5)
					printf("  lookup %#" PRIx64 ": got %s+%#" PRIx64
					       " %s, want %s+%#" PRIx64 "\n",
					       t, name ? name : "NULL", o, name ? mod : "", want,
					       probe[k]);
			}
		}
	}
	ASSERT_EQ(bad, 0, "lookups in shuffled input");
	/* the last module symbol ends one page on */
	check_lookup(ks, addr[N - 1] + 0xfff, "mfn_99", 0xfff, "[mm]");
	check_lookup(ks, addr[N - 1] + 0x1000, NULL, 0, NULL);
out:
	pr_ksym_free(ks);
	test_rmdir(dir);
}

/* Where each symbol starts and ends. */
void test_ksym_boundaries(void)
{
	static const char text[] = "ffffffff81000000 T _stext\n"
				   "ffffffff81000100 T fa\n"
				   "ffffffff81000180 t fb\n"
				   "ffffffff81002000 T _etext\n"
				   "ffffffff81003000 t init_fn\n"
				   "ffffffff81003800 T _einittext\n"
				   "ffffffffc0000000 t m1_a\t[m1]\n"
				   "ffffffffc0000100 t m1_b\t[m1]\n"
				   "ffffffffc0000200 t m2_a\t[m2]\n"
				   "ffffffffc0010000 t m3_a\t[m3]\n";
	static const struct lookup l[] = {
		{ 0xffffffff80ffffffull, NULL, 0, NULL },
		/* at a symbol's start: offset 0; its last byte is before the next */
		{ 0xffffffff81000100ull, "fa", 0, "kernel" },
		{ 0xffffffff8100017full, "fa", 0x7f, "kernel" },
		{ 0xffffffff81000180ull, "fb", 0, "kernel" },
		{ 0xffffffff81001fffull, "fb", 0x1e7f, "kernel" },
		/* _etext and what follows it up to the next symbol: no text */
		{ 0xffffffff81002000ull, NULL, 0, NULL },
		{ 0xffffffff81002001ull, NULL, 0, NULL },
		{ 0xffffffff81002fffull, NULL, 0, NULL },
		{ 0xffffffff81003000ull, "init_fn", 0, "kernel" },
		{ 0xffffffff810037ffull, "init_fn", 0x7ff, "kernel" },
		{ 0xffffffff81003800ull, NULL, 0, NULL },
		{ 0xffffffff81003900ull, NULL, 0, NULL },
		/* a module's symbols */
		{ 0xffffffffc0000000ull, "m1_a", 0, "[m1]" },
		{ 0xffffffffc00000ffull, "m1_a", 0xff, "[m1]" },
		{ 0xffffffffc0000100ull, "m1_b", 0, "[m1]" },
		/* its last ends where the next module's first starts */
		{ 0xffffffffc00001ffull, "m1_b", 0xff, "[m1]" },
		{ 0xffffffffc0000200ull, "m2_a", 0, "[m2]" },
		/* with no /proc/modules (a fixture path): one page after it */
		{ 0xffffffffc00011ffull, "m2_a", 0xfff, "[m2]" },
		{ 0xffffffffc0001200ull, NULL, 0, NULL },
		{ 0xffffffffc0005000ull, NULL, 0, NULL },
		{ 0xffffffffc000ffffull, NULL, 0, NULL },
		{ 0xffffffffc0010000ull, "m3_a", 0, "[m3]" },
		{ 0xffffffffc0010fffull, "m3_a", 0xfff, "[m3]" },
		{ 0xffffffffc0011000ull, NULL, 0, NULL },
		{ 0xffffffffffffffffull, NULL, 0, NULL },
	};
	char dir[64] = "", path[256];
	struct pr_ksym *ks = NULL;

	if (!test_mkdtemp(dir) || !test_write_file(dir, "kallsyms", text, strlen(text), path) ||
	    !ASSERT_OK(pr_ksym_new(&ks), "ksym_new"))
		goto out;
	ASSERT_EQ(pr_ksym_reads(ks), 0, "no read before the load");
	if (!ASSERT_OK(pr_ksym_load(ks, path), "ksym_load"))
		goto out;
	ASSERT_EQ(pr_ksym_reads(ks), 1, "one read after the load");
	ASSERT_EQ(pr_ksym_count(ks), 10, "symbols");
	check_lookups(ks, l, sizeof(l) / sizeof(l[0]));
	ASSERT_EQ(pr_ksym_reads(ks), 1, "lookups read nothing");
out:
	pr_ksym_free(ks);
	test_rmdir(dir);
}

/* Appends to names every text symbol of f at addr, or, when addr is 0,
 * returns the address of the text symbol want. */
static uint64_t scan_kallsyms(FILE *f, const char *want, uint64_t addr, char *names, size_t len)
{
	char line[600], name[512], type;
	uint64_t a, found = 0;

	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %c %511s", &a, &type, name) != 3 ||
		    (type != 'T' && type != 't'))
			continue;
		if (!addr && !found && !strcmp(name, want))
			found = a;
		if (addr && a == addr)
			snprintf(names + strlen(names), len - strlen(names), " %s ", name);
	}
	return found;
}

/* The address of `want` in /proc/kallsyms and, in names, every text
 * symbol at that address (" a  b "). 0 when unknown or hidden. */
static uint64_t kallsyms_addr(const char *want, char *names, size_t len)
{
	uint64_t addr = 0;
	FILE *f;

	names[0] = '\0';
	f = fopen("/proc/kallsyms", "re");
	if (f) {
		addr = scan_kallsyms(f, want, 0, names, len);
		rewind(f);
		scan_kallsyms(f, want, addr, names, len);
		fclose(f);
	}
	return addr;
}

/* Looks up the real address of schedule, with a lazy load. */
static void check_schedule(struct pr_ksym *ks, uint64_t addr, const char *names)
{
	const char *mod = NULL, *name;
	uint64_t off = 1;
	char pat[600];

	ASSERT_EQ(pr_ksym_count(ks), 0, "nothing loaded before the first lookup");
	name = pr_ksym_lookup(ks, addr, &off, &mod);
	ASSERT_TRUE(pr_ksym_count(ks) > 1000, "lazy load of /proc/kallsyms");
	snprintf(pat, sizeof(pat), " %s ", name ? name : "(null)");
	if (!ASSERT_TRUE(strstr(names, pat), "schedule or an alias at its address"))
		printf("  got %s, want one of:%s\n", name ? name : "NULL", names);
	ASSERT_EQ(off, 0, "offset");
	ASSERT_STREQ(mod, "kernel", "module");
	name = pr_ksym_lookup(ks, addr + 2, &off, &mod);
	ASSERT_TRUE(name && strstr(names, name), "schedule+2");
	ASSERT_EQ(off, 2, "offset inside");
	ASSERT_EQ(pr_ksym_reads(ks), 1, "/proc/kallsyms read once for two lookups");
}

/* The first BPF program /proc/kallsyms lists: its address, and its name
 * in name; 0 when none is loaded. */
static uint64_t kallsyms_bpf_prog(char *name, size_t len)
{
	char line[600], nm[512], mod[64], type;
	uint64_t a, found = 0;
	FILE *f = fopen("/proc/kallsyms", "re");

	while (f && !found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %c %511s %63s", &a, &type, nm, mod) == 4 && a &&
		    !strcmp(mod, "[bpf]") && !strncmp(nm, "bpf_prog_", 9)) {
			found = a;
			snprintf(name, len, "%s", nm);
		}
	}
	if (f)
		fclose(f);
	return found;
}

void test_ksym_proc_kallsyms(void)
{
	struct pr_ksym *ks = NULL;
	char names[1024];
	uint64_t addr;

	addr = kallsyms_addr("schedule", names, sizeof(names));
	if (!addr)
		test__skip("/proc/kallsyms shows no addresses (not root?)");
	else if (ASSERT_OK(pr_ksym_new(&ks), "ksym_new"))
		check_schedule(ks, addr, names);
	/* BPF programs are not kallsyms' business here (bpfsym.c has them) */
	if (ks && (addr = kallsyms_bpf_prog(names, sizeof(names)))) {
		const char *mod = NULL, *name;
		uint64_t off = 0;

		name = pr_ksym_lookup(ks, addr, &off, &mod);
		ASSERT_TRUE(!name || strcmp(name, names), "a [bpf] symbol is not loaded");
		ASSERT_TRUE(!name || strcmp(mod, "[bpf]"), "no symbol of module [bpf]");
	}
	pr_ksym_free(ks);
}

/* Names are inflated from their block when first asked for and kept: a
 * name handed out stays where it is, with its text, however many names of
 * other blocks are asked for after it, and asking again gives the same
 * pointer. */
void test_ksym_names_kept(void)
{
	enum { N = 1000 };
	static char text[N * 64];
	static const char *got[N];
	char want[32], dir[64] = "", *p = text;
	const char *mod = NULL;
	struct pr_ksym *ks;
	uint64_t o = 0;
	int i, bad = 0;

	for (i = 0; i < N; i++)
		p += sprintf(p, "%016" PRIx64 " T kept_fn_%d\n",
			     (uint64_t)0xffffffff81000000ull + i * 0x40, i);
	ks = load_fixture(text, dir);
	if (!ks)
		goto out;
	/* every block, twice over, in an order that leaves no block current */
	for (i = 0; i < 2 * N; i++) {
		int k = (int)(((uint64_t)i * 617) % N);
		const char *name = pr_ksym_lookup(ks, 0xffffffff81000000ull + k * 0x40, &o, &mod);

		if (got[k] && name != got[k] && bad++ < 5)
			printf("  kept_fn_%d moved: %p then %p\n", k, (void *)got[k], (void *)name);
		got[k] = name;
	}
	for (i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "kept_fn_%d", i);
		if ((!got[i] || strcmp(got[i], want)) && bad++ < 5)
			printf("  symbol %d: got %s, want %s\n", i, got[i] ? got[i] : "NULL", want);
	}
	ASSERT_EQ(bad, 0, "names stay where they were handed out");
out:
	pr_ksym_free(ks);
	test_rmdir(dir);
}
