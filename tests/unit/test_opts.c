// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Command-line parsing: runtime/opts.c, fed literal argv vectors. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "opts.h"

#define SEC 1000000000ull

static char err[256];

static int parse_words(struct pr_opts *o, char **words)
{
	int argc = 0;

	while (words[argc])
		argc++;
	err[0] = '\0';
	return pr_opts_parse(argc, words, o, err, sizeof(err));
}

/* PARSE(&o, "x.lua", "-d", "5") parses `profrun x.lua -d 5`. */
#define PARSE(o, ...) parse_words(o, (char *[]){ "profrun", __VA_ARGS__, NULL })

void test_opts_script_and_args(void)
{
	struct pr_opts o;

	if (ASSERT_OK(PARSE(&o, "top.lua", "a", "b"), "parse")) {
		ASSERT_STREQ(o.script, "top.lua", "script");
		ASSERT_NULL(o.code, "code");
		ASSERT_EQ(o.nargs, 2, "nargs");
		ASSERT_STREQ(o.args[0], "a", "args[0]");
		ASSERT_STREQ(o.args[1], "b", "args[1]");
		ASSERT_NULL(o.args[2], "args end with NULL");
		ASSERT_EQ(o.duration_ns, 0, "duration");
		ASSERT_EQ(o.pid, 0, "pid");
		ASSERT_EQ(o.hz, 0, "hz");
		ASSERT_NULL(o.cmd, "cmd");
	}
	pr_opts_free(&o);

	if (ASSERT_OK(PARSE(&o, "-d", "5", "-p", "42", "-F", "999", "top.lua"), "before script")) {
		ASSERT_STREQ(o.script, "top.lua", "script");
		ASSERT_EQ(o.duration_ns, 5 * SEC, "duration");
		ASSERT_EQ(o.pid, 42, "pid");
		ASSERT_EQ(o.hz, 999, "hz");
		ASSERT_EQ(o.nargs, 0, "nargs");
	}
	pr_opts_free(&o);
}

void test_opts_options_after_script(void)
{
	struct pr_opts o;

	if (ASSERT_OK(PARSE(&o, "top.lua", "-d", "5"), "top.lua -d 5")) {
		ASSERT_STREQ(o.script, "top.lua", "script");
		ASSERT_EQ(o.duration_ns, 5 * SEC, "duration");
		ASSERT_EQ(o.nargs, 0, "nargs");
	}
	pr_opts_free(&o);

	if (ASSERT_OK(PARSE(&o, "x.lua", "--json", "foo"), "x.lua --json foo")) {
		ASSERT_STREQ(o.script, "x.lua", "script");
		ASSERT_EQ(o.nargs, 2, "nargs");
		ASSERT_STREQ(o.args[0], "--json", "args[0]");
		ASSERT_STREQ(o.args[1], "foo", "args[1]");
	}
	pr_opts_free(&o);

	if (ASSERT_OK(PARSE(&o, "x.lua", "a", "-v", "--keep-going", "-p", "7", "b", "-"),
		      "mixed")) {
		ASSERT_TRUE(o.verbose, "verbose");
		ASSERT_TRUE(o.keep_going, "keep_going");
		ASSERT_EQ(o.pid, 7, "pid");
		ASSERT_EQ(o.nargs, 3, "nargs");
		ASSERT_STREQ(o.args[0], "a", "args[0]");
		ASSERT_STREQ(o.args[1], "b", "args[1]");
		ASSERT_STREQ(o.args[2], "-", "args[2]");
	}
	pr_opts_free(&o);
}

void test_opts_double_dash(void)
{
	struct pr_opts o;

	if (ASSERT_OK(PARSE(&o, "-v", "x.lua", "--", "-d", "5", "--"), "x.lua -- -d 5 --")) {
		ASSERT_STREQ(o.script, "x.lua", "script");
		ASSERT_EQ(o.duration_ns, 0, "-d after -- is not ours");
		ASSERT_TRUE(o.verbose, "verbose");
		ASSERT_EQ(o.nargs, 3, "nargs");
		ASSERT_STREQ(o.args[0], "-d", "args[0]");
		ASSERT_STREQ(o.args[1], "5", "args[1]");
		ASSERT_STREQ(o.args[2], "--", "args[2]");
	}
	pr_opts_free(&o);

	if (ASSERT_OK(PARSE(&o, "-e", "print(1)", "--", "-v"), "-e CODE -- -v")) {
		ASSERT_STREQ(o.code, "print(1)", "code");
		ASSERT_NULL(o.script, "script");
		ASSERT_TRUE(!o.verbose, "-v after -- is not ours");
		ASSERT_EQ(o.nargs, 1, "nargs");
		ASSERT_STREQ(o.args[0], "-v", "args[0]");
	}
	pr_opts_free(&o);
}

void test_opts_exec_code(void)
{
	struct pr_opts o;

	if (ASSERT_OK(PARSE(&o, "-e", "CODE", "a", "b"), "-e CODE a b")) {
		ASSERT_STREQ(o.code, "CODE", "code");
		ASSERT_NULL(o.script, "script");
		ASSERT_EQ(o.nargs, 2, "nargs");
		ASSERT_STREQ(o.args[0], "a", "args[0]");
		ASSERT_STREQ(o.args[1], "b", "args[1]");
	}
	pr_opts_free(&o);

	/* words before a late -e were script arguments, not a script */
	if (ASSERT_OK(PARSE(&o, "a", "-e", "CODE", "b"), "a -e CODE b")) {
		ASSERT_STREQ(o.code, "CODE", "code");
		ASSERT_NULL(o.script, "script");
		ASSERT_EQ(o.nargs, 2, "nargs");
		ASSERT_STREQ(o.args[0], "a", "args[0]");
		ASSERT_STREQ(o.args[1], "b", "args[1]");
	}
	pr_opts_free(&o);
}

void test_opts_attached_values(void)
{
	struct pr_opts o;

	if (ASSERT_OK(PARSE(&o, "-d5s", "-F999", "-p42", "x.lua"), "-d5s -F999 -p42")) {
		ASSERT_EQ(o.duration_ns, 5 * SEC, "duration");
		ASSERT_EQ(o.hz, 999, "hz");
		ASSERT_EQ(o.pid, 42, "pid");
		ASSERT_EQ(o.nargs, 0, "nargs");
	}
	pr_opts_free(&o);

	if (ASSERT_OK(PARSE(&o, "--duration=5s", "--freq=10", "--cmd=sleep 1", "x.lua"),
		      "--duration=5s --freq=10 --cmd=")) {
		ASSERT_EQ(o.duration_ns, 5 * SEC, "duration");
		ASSERT_EQ(o.hz, 10, "hz");
		ASSERT_STREQ(o.cmd, "sleep 1", "cmd");
	}
	pr_opts_free(&o);

	if (ASSERT_OK(PARSE(&o, "--exec=x()", "--pid=9"), "--exec= --pid=")) {
		ASSERT_STREQ(o.code, "x()", "code");
		ASSERT_EQ(o.pid, 9, "pid");
	}
	pr_opts_free(&o);
}

static void expect_usage_error(char **words, const char *what)
{
	struct pr_opts o;

	ASSERT_EQ(parse_words(&o, words), -EINVAL, what);
	ASSERT_TRUE(err[0], what);
	pr_opts_free(&o);
}

#define EXPECT_ERROR(...) \
	expect_usage_error((char *[]){ "profrun", __VA_ARGS__, NULL }, #__VA_ARGS__)

void test_opts_errors(void)
{
	EXPECT_ERROR("--bogus", "x.lua");
	EXPECT_ERROR("-x", "x.lua");
	EXPECT_ERROR("--keep-going=1", "x.lua");
	EXPECT_ERROR("x.lua", "-d");
	EXPECT_ERROR("-d");
	EXPECT_ERROR("-p", "0", "x.lua");
	EXPECT_ERROR("-p", "abc", "x.lua");
	EXPECT_ERROR("-p", "4194305", "x.lua");
	EXPECT_ERROR("-F", "0", "x.lua");
	EXPECT_ERROR("-F", "100001", "x.lua");
	EXPECT_ERROR("-d", "0", "x.lua");
	EXPECT_ERROR("-d", "10x", "x.lua");
	EXPECT_ERROR("-v");
	EXPECT_ERROR("-d", "5", "--");
	EXPECT_ERROR("-p", "5", "-c", "ls", "x.lua");
	EXPECT_ERROR("x.lua", "-c", "ls", "-p", "5");
	EXPECT_ERROR("-c", "", "x.lua");
	EXPECT_ERROR("--cmd=", "x.lua");
	EXPECT_ERROR("--no-children", "x.lua");
	EXPECT_ERROR("--cgroup", "", "x.lua");
	EXPECT_ERROR("--container", "abc", "x.lua");
	EXPECT_ERROR("--container", "0123456789ABCDEF", "x.lua");
	EXPECT_ERROR("--cgroup", "/a", "--container", "0123456789abcdef", "x.lua");
	/* no words at all */
	expect_usage_error((char *[]){ "profrun", NULL }, "no arguments");
}

void test_opts_target_flags(void)
{
	struct pr_opts o;

	if (ASSERT_OK(PARSE(&o, "-p", "7", "--no-children", "--cgroup=/x/y", "x.lua"), "parse")) {
		ASSERT_TRUE(o.no_children, "--no-children");
		ASSERT_STREQ(o.cgroup, "/x/y", "--cgroup");
	}
	pr_opts_free(&o);
	if (ASSERT_OK(PARSE(&o, "x.lua", "--container", "0123456789abcdef"), "container"))
		ASSERT_STREQ(o.container, "0123456789abcdef", "--container after the script");
	pr_opts_free(&o);
}

void test_opts_help_version(void)
{
	struct pr_opts o;

	if (ASSERT_OK(PARSE(&o, "--help"), "--help"))
		ASSERT_TRUE(o.help && !o.version, "help set");
	pr_opts_free(&o);
	if (ASSERT_OK(PARSE(&o, "-h"), "-h"))
		ASSERT_TRUE(o.help, "help set");
	pr_opts_free(&o);
	if (ASSERT_OK(PARSE(&o, "x.lua", "--help"), "x.lua --help"))
		ASSERT_TRUE(o.help, "help after script");
	pr_opts_free(&o);
	if (ASSERT_OK(PARSE(&o, "-V"), "-V"))
		ASSERT_TRUE(o.version && !o.help, "version set");
	pr_opts_free(&o);
	if (ASSERT_OK(PARSE(&o, "--version"), "--version"))
		ASSERT_TRUE(o.version, "version set");
	pr_opts_free(&o);
}

static const struct {
	const char *s;
	int rc;
	uint64_t ns;
} durations[] = {
	{ .s = "10s", .ns = 10 * SEC },	     { .s = "500ms", .ns = 500000000 },
	{ .s = "2m", .ns = 120 * SEC },	     { .s = "1.5h", .ns = 5400 * SEC },
	{ .s = "10", .ns = 10 * SEC },	     { .s = ".5", .ns = SEC / 2 },
	{ .s = "1ms", .ns = 1000000 },	     { .s = "1000us", .ns = 1000000 },
	{ .s = "1000000ns", .ns = 1000000 }, { .s = "720h", .ns = 720 * 3600 * SEC },
	{ .s = "250us", .rc = -ERANGE },     { .s = "999999ns", .rc = -ERANGE },
	{ .s = "0", .rc = -ERANGE },	     { .s = "721h", .rc = -ERANGE },
	{ .s = "10x", .rc = -EINVAL },	     { .s = "10 s", .rc = -EINVAL },
	{ .s = "10S", .rc = -EINVAL },	     { .s = "-5", .rc = -EINVAL },
	{ .s = "+5", .rc = -EINVAL },	     { .s = " 5", .rc = -EINVAL },
	{ .s = "s", .rc = -EINVAL },	     { .s = "", .rc = -EINVAL },
	{ .s = ".", .rc = -EINVAL },	     { .s = "inf", .rc = -EINVAL },
	{ .s = "nan", .rc = -EINVAL },	     { .s = "1e999", .rc = -EINVAL },
};

void test_opts_duration(void)
{
	uint64_t ns;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		ns = 12345;
		rc = pr_opts_parse_duration(durations[i].s, &ns);
		ASSERT_EQ(rc, durations[i].rc, durations[i].s);
		ASSERT_EQ(ns, rc ? 12345 : durations[i].ns, durations[i].s);
	}
	ASSERT_EQ(pr_opts_parse_duration(NULL, &ns), -EINVAL, "NULL");
}

static const struct {
	const char *s;
	uint32_t min, max;
	int rc;
	uint32_t v;
} uints[] = {
	{ .s = "1", .min = 1, .max = 10, .v = 1 },
	{ .s = "10", .min = 1, .max = 10, .v = 10 },
	{ .s = "007", .min = 1, .max = 10, .v = 7 },
	{ .s = "0", .min = 0, .max = 0 },
	{ .s = "4294967295", .min = 0, .max = UINT32_MAX, .v = UINT32_MAX },
	{ .s = "0", .min = 1, .max = 10, .rc = -EINVAL },
	{ .s = "11", .min = 1, .max = 10, .rc = -EINVAL },
	{ .s = "4294967296", .min = 0, .max = UINT32_MAX, .rc = -EINVAL },
	{ .s = "18446744073709551616", .min = 0, .max = UINT32_MAX, .rc = -EINVAL },
	{ .s = "", .min = 0, .max = 10, .rc = -EINVAL },
	{ .s = "-1", .min = 0, .max = 10, .rc = -EINVAL },
	{ .s = "+1", .min = 0, .max = 10, .rc = -EINVAL },
	{ .s = " 1", .min = 0, .max = 10, .rc = -EINVAL },
	{ .s = "1 ", .min = 0, .max = 10, .rc = -EINVAL },
	{ .s = "1x", .min = 0, .max = 10, .rc = -EINVAL },
	{ .s = "0x1", .min = 0, .max = 10, .rc = -EINVAL },
	{ .s = "1.0", .min = 0, .max = 10, .rc = -EINVAL },
};

void test_opts_uint(void)
{
	uint32_t v;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
		v = 12345;
		rc = pr_opts_parse_uint(uints[i].s, uints[i].min, uints[i].max, &v);
		ASSERT_EQ(rc, uints[i].rc, uints[i].s);
		ASSERT_EQ(v, rc ? 12345 : uints[i].v, uints[i].s);
	}
	ASSERT_EQ(pr_opts_parse_uint(NULL, 0, 10, &v), -EINVAL, "NULL");
}

static const struct {
	const char *s;
	uint64_t v;
	int rc;
} sizes[] = {
	{ .s = "0", .v = 0 },
	{ .s = "4096", .v = 4096 },
	{ .s = "64k", .v = 64 << 10 },
	{ .s = "512M", .v = 512ull << 20 },
	{ .s = "512MiB", .v = 512ull << 20 },
	{ .s = "2g", .v = 2ull << 30 },
	{ .s = "2GB", .v = 2ull << 30 },
	{ .s = "1T", .v = 1ull << 40 },
	{ .s = "", .rc = -EINVAL },
	{ .s = "M", .rc = -EINVAL },
	{ .s = "12x", .rc = -EINVAL },
	{ .s = "1.5G", .rc = -EINVAL },
	{ .s = "-1M", .rc = -EINVAL },
	{ .s = "1Mx", .rc = -EINVAL },
	{ .s = "99999999999T", .rc = -ERANGE },
};

void test_opts_size(void)
{
	uint64_t v;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		v = 7;
		rc = pr_opts_parse_size(sizes[i].s, &v);
		ASSERT_EQ(rc, sizes[i].rc, sizes[i].s);
		ASSERT_EQ(v, rc ? 7 : sizes[i].v, sizes[i].s);
	}
}

void test_opts_trust_flags(void)
{
	char *argv[] = { "profrun", "--max-memory", "64M", "--restricted", "--write-dir", "/tmp/o",
			 "--allow-unsafe-script", "s.lua", NULL };
	char *bad[] = { "profrun", "--write-dir", "/tmp/o", "s.lua", NULL };
	char *zero[] = { "profrun", "--max-memory=0", "s.lua", NULL };
	char *tiny[] = { "profrun", "--max-memory=1M", "s.lua", NULL };
	struct pr_opts o;
	char err[256];

	if (ASSERT_EQ(pr_opts_parse(8, argv, &o, err, sizeof(err)), 0, "all flags")) {
		ASSERT_EQ(o.max_memory, 64ull << 20, "max_memory");
		ASSERT_TRUE(o.restricted && o.allow_unsafe_script && !o.unlimited_memory, "flags");
		ASSERT_STREQ(o.write_dir, "/tmp/o", "write_dir");
	}
	pr_opts_free(&o);
	ASSERT_EQ(pr_opts_parse(4, bad, &o, err, sizeof(err)), -EINVAL, "--write-dir alone");
	ASSERT_TRUE(strstr(err, "--restricted") != NULL, "says --restricted");
	pr_opts_free(&o);
	if (ASSERT_EQ(pr_opts_parse(3, zero, &o, err, sizeof(err)), 0, "--max-memory=0"))
		ASSERT_TRUE(o.unlimited_memory, "0 = no cap");
	pr_opts_free(&o);
	ASSERT_EQ(pr_opts_parse(3, tiny, &o, err, sizeof(err)), -EINVAL, "1M is too small");
	pr_opts_free(&o);
}

static const struct {
	const char *cmd;
	const char *sh; /* NULL: exec'd without a shell */
} shells[] = {
	{ .cmd = "sleep 1", .sh = NULL },
	{ .cmd = "./prog --flag x", .sh = NULL },
	{ .cmd = "exit 7", .sh = "exit 7" },
	{ .cmd = "cd /tmp", .sh = "cd /tmp" },
	{ .cmd = ". ./env.sh", .sh = ". ./env.sh" },
	{ .cmd = "prog > out", .sh = "exec prog > out" },
	{ .cmd = "prog 'a b'", .sh = "exec prog 'a b'" },
	{ .cmd = "A=1 prog", .sh = "A=1 exec prog" },
	{ .cmd = "A='x y' B=2 prog arg", .sh = "A='x y' B=2 exec prog arg" },
	{ .cmd = "prog 'a;b'", .sh = "exec prog 'a;b'" },
	{ .cmd = "prog \"$(date)\"", .sh = "prog \"$(date)\"" },
	{ .cmd = "prog 'no $(sub)'", .sh = "exec prog 'no $(sub)'" },
	{ .cmd = "a | b", .sh = "a | b" },
	{ .cmd = "a && b", .sh = "a && b" },
	{ .cmd = "a; b", .sh = "a; b" },
	{ .cmd = "A=1", .sh = "A=1" },
	{ .cmd = "exec prog", .sh = "exec prog" },
	{ .cmd = "while true; do :; done", .sh = "while true; do :; done" },
};

void test_opts_shell_text(void)
{
	size_t i;
	char *t;

	for (i = 0; i < sizeof(shells) / sizeof(shells[0]); i++) {
		t = pr_opts_shell_text(shells[i].cmd);
		if (!shells[i].sh)
			ASSERT_NULL(t, shells[i].cmd);
		else if (ASSERT_TRUE(t != NULL, shells[i].cmd))
			ASSERT_STREQ(t, shells[i].sh, shells[i].cmd);
		free(t);
	}
}
