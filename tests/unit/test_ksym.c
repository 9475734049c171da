// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Kernel symbols: runtime/ksym.c on kallsyms fixtures and /proc/kallsyms. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "ksym.h"

/* Unsorted, with data, bss and absolute symbols that must be ignored. */
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

static const struct {
	uint64_t addr;
	const char *name; /* NULL: no symbol */
	uint64_t off;
	const char *module;
} lookups[] = {
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
	{ 0xffffffffc0001000ull, "mod_fn", 0, "mymod" },
	{ 0xffffffffc0001010ull, "mod_fn", 0x10, "mymod" },
	{ 0xffffffffc0001100ull, "mod_fn2", 0, "mymod" },
	{ 0xffffffffc0002010ull, "other_fn", 0x10, "othermod" },
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
	check_lookup(ks, 0xffffffffc0004000ull, "after_long", 0, "mymod");
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
		ASSERT_STREQ(mod, "mymod", "500-byte name module");
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
	pr_ksym_free(ks);
}
