// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* runtime/probespec.c: spec parsing, finding binaries as the dynamic
 * linker does (checked against ldconfig -p and this process's own maps),
 * and hostile ld.so.cache files; elfsym's function walk, whose offsets
 * probes attach at, checked by resolving them back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"
#include "elfsym.h"
#include "probespec.h"

void test_probespec_parse(void)
{
	struct pr_probe_spec s;
	char err[256];

	ASSERT_OK(pr_probe_spec_parse("u:libc:malloc", &s, err, sizeof(err)), "u:");
	ASSERT_EQ(s.kind, PR_PROBE_UPROBE, "u: kind");
	ASSERT_STREQ(s.binary, "libc", "u: binary");
	ASSERT_STREQ(s.symbol, "malloc", "u: symbol");
	ASSERT_OK(pr_probe_spec_parse("u:/opt/app:ns::Cls::run+0x10", &s, err, sizeof(err)), "C++");
	ASSERT_STREQ(s.binary, "/opt/app", "C++: binary up to the first ':'");
	ASSERT_STREQ(s.symbol, "ns::Cls::run", "C++: symbol keeps its '::'");
	ASSERT_EQ(s.offset, 16, "C++: +0x10");
	ASSERT_OK(pr_probe_spec_parse("ur:libc:pthread_mutex_*", &s, err, sizeof(err)), "ur: glob");
	ASSERT_EQ(s.kind, PR_PROBE_URETPROBE, "ur: kind");
	ASSERT_TRUE(pr_probe_is_glob(s.symbol), "ur: a glob");
	ASSERT_OK(pr_probe_spec_parse("usdt:/usr/bin/python3.11:python:function__entry", &s, err,
				      sizeof(err)),
		  "usdt");
	ASSERT_STREQ(s.binary, "/usr/bin/python3.11", "usdt: binary");
	ASSERT_STREQ(s.provider, "python", "usdt: provider");
	ASSERT_STREQ(s.name, "function__entry", "usdt: name");
	ASSERT_OK(pr_probe_spec_parse("t:syscalls:sys_enter_openat", &s, err, sizeof(err)), "t:");
	ASSERT_STREQ(s.provider, "syscalls", "t: category");
	ASSERT_STREQ(s.name, "sys_enter_openat", "t: name");
	ASSERT_OK(pr_probe_spec_parse("k:vfs_read+4", &s, err, sizeof(err)), "k:");
	ASSERT_STREQ(s.symbol, "vfs_read", "k: function");
	ASSERT_EQ(s.offset, 4, "k: +4");
	ASSERT_OK(pr_probe_spec_parse("kr:do_sys_openat2", &s, err, sizeof(err)), "kr:");
	ASSERT_EQ(s.kind, PR_PROBE_KRETPROBE, "kr: kind");

	static const struct {
		const char *spec, *why;
	} bad[] = {
		{ "malloc", "no kind" },
		{ "x:libc:malloc", "unknown kind" },
		{ "u:libc", "expected u:BINARY:SYMBOL" },
		{ "u::malloc", "expected u:BINARY:SYMBOL" },
		{ "u:libc:", "expected u:BINARY:SYMBOL" },
		{ "u:libc:malloc+", "bad +OFF" },
		{ "u:libc:malloc+12z", "bad +OFF" },
		{ "u:libc:mall*+4", "not a glob" },
		{ "ur:libc:malloc+4", "take no +OFF" },
		{ "usdt:/bin/x:prov", "expected usdt:BINARY:PROVIDER:NAME" },
		{ "usdt:/bin/x::name", "expected usdt:BINARY:PROVIDER:NAME" },
		{ "t:sched", "expected t:CATEGORY:NAME" },
		{ "t:sched:a:b", "expected t:CATEGORY:NAME" },
		{ "k:", "expected k:FUNC" },
		{ "kr:vmlinux:vfs_read", "no binary" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		ASSERT_EQ(pr_probe_spec_parse(bad[i].spec, &s, err, sizeof(err)), -EINVAL, bad[i].spec);
		if (!ASSERT_TRUE(strstr(err, bad[i].why) && strstr(err, bad[i].spec), bad[i].spec))
			fprintf(stderr, "  # got: %s\n", err);
	}
}

/* The path `ldconfig -p` lists first for soname, the x86-64 one. */
static int ldconfig_path(const char *soname, char *out, size_t len)
{
	char cmd[256], line[1024];
	FILE *p;
	int found = -1;

	snprintf(cmd, sizeof(cmd), "PATH=$PATH:/sbin:/usr/sbin ldconfig -p 2>/dev/null");
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		char *arrow = strstr(line, "=> ");
		if (!found || !arrow || strncmp(line + strspn(line, " \t"), soname, strlen(soname)) ||
		    !strstr(line, "x86-64"))
			continue;
		arrow[3 + strcspn(arrow + 3, "\n")] = 0;
		snprintf(out, len, "%s", arrow + 3);
		found = 0;
	}
	pclose(p);
	return found;
}

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void test_probespec_find_binary(void)
{
	char path[4096], want[4096], err[256], dir[] = "/tmp/profrun-probespec.XXXXXX", bad[4200];
	FILE *f;

	if (!ASSERT_OK(ldconfig_path("libc.so.6", want, sizeof(want)), "ldconfig -p lists libc"))
		return;
	ASSERT_OK(pr_probe_find_binary("libc", 0, NULL, path, sizeof(path), err, sizeof(err)),
		  "libc from ld.so.cache");
	ASSERT_TRUE(same_file(path, want), "libc: the file ldconfig -p names");
	ASSERT_OK(pr_probe_find_binary("c", 0, NULL, path, sizeof(path), err, sizeof(err)), "c");
	ASSERT_TRUE(same_file(path, want), "c: libc too");
	ASSERT_OK(pr_probe_find_binary("libc.so.6", 0, NULL, path, sizeof(path), err, sizeof(err)),
		  "a soname");
	ASSERT_EQ(pr_probe_find_binary("libnosuchthing", 0, NULL, path, sizeof(path), err,
				       sizeof(err)),
		  -ENOENT, "an unknown library");
	ASSERT_TRUE(strstr(err, "libnosuchthing") && strstr(err, "give a path"), "says what to do");

	/* -p: the library this process has mapped, through its root */
	ASSERT_OK(pr_probe_find_binary("libc", getpid(), NULL, path, sizeof(path), err, sizeof(err)),
		  "libc of a process");
	ASSERT_TRUE(!strncmp(path, "/proc/", 6) && strstr(path, "/root/"), "through /proc/PID/root");
	ASSERT_TRUE(same_file(path, want), "the same libc");
	ASSERT_EQ(pr_probe_find_binary("libnosuchthing", getpid(), NULL, path, sizeof(path), err,
				       sizeof(err)),
		  -ENOENT, "not mapped");
	ASSERT_TRUE(strstr(err, "has no library"), "not mapped: says so");
	ASSERT_EQ(pr_probe_find_binary("libc", 999999999, NULL, path, sizeof(path), err,
				       sizeof(err)),
		  -ENOENT, "no such process");

	/* paths */
	ASSERT_OK(pr_probe_find_binary("/bin/sh", 0, NULL, path, sizeof(path), err, sizeof(err)),
		  "a path");
	ASSERT_EQ(pr_probe_find_binary("/etc/passwd", 0, NULL, path, sizeof(path), err,
				       sizeof(err)),
		  -ENOENT, "not ELF");
	ASSERT_TRUE(strstr(err, "not a 64-bit ELF"), "not ELF: says so");
	ASSERT_EQ(pr_probe_find_binary("/no/such/bin", 0, NULL, path, sizeof(path), err,
				       sizeof(err)),
		  -ENOENT, "no such path");
	ASSERT_TRUE(strstr(err, "no such binary"), "no such path: says so");

	/* hostile caches: offsets out of the file, a count larger than it,
	 * names without an end; nothing is found and nothing crashes */
	if (!ASSERT_TRUE(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(bad, sizeof(bad), "%s/cache", dir);
	for (int kind = 0; kind < 3; kind++) {
		uint8_t buf[48 + 24 + 8] = "glibc-ld.so.cache1.1";
		uint32_t n = kind == 1 ? 0x7fffffff : 1, key = kind == 0 ? 0xfffffff0 : 72,
			 val = kind == 2 ? 76 : 72;

		memcpy(buf + 20, &n, 4);
		memcpy(buf + 48 + 4, &key, 4);
		memcpy(buf + 48 + 8, &val, 4);
		memcpy(buf + 72, "libc.so.", 8); /* no NUL before the end */
		f = fopen(bad, "we");
		if (!ASSERT_TRUE(f, "write the cache"))
			break;
		fwrite(buf, 1, sizeof(buf), f);
		fclose(f);
		ASSERT_EQ(pr_probe_find_binary("libc", 0, bad, path, sizeof(path), err, sizeof(err)),
			  -ENOENT, "a hostile cache finds nothing");
	}
	unlink(bad);
	rmdir(dir);
}

struct find {
	const char *name;
	uint64_t foff;
	int n, funcs;
};

static int find_fn(void *ctx, const char *name, uint64_t foff, uint64_t size)
{
	struct find *f = ctx;

	(void)size;
	f->funcs++;
	if (!strcmp(name, f->name)) {
		f->foff = foff;
		f->n++;
	}
	return 0;
}

void test_elfsym_each_function(void)
{
	char libc[4096], err[256];
	struct pr_elfsyms *t;
	struct pr_elfsym *b;
	struct find f = { .name = "malloc" };
	uint64_t off = 1;
	const char *name;

	if (!ASSERT_OK(pr_probe_find_binary("libc", 0, NULL, libc, sizeof(libc), err, sizeof(err)),
		       "libc") ||
	    !ASSERT_OK(pr_elfsyms_new(&t), "elfsyms"))
		return;
	b = pr_elfsym_lookup_path(t, libc);
	if (ASSERT_TRUE(b, "libc's symbols")) {
		ASSERT_OK(pr_elfsym_each_function(b, find_fn, &f), "walk");
		ASSERT_TRUE(f.funcs > 1000, "libc has over 1000 functions");
		ASSERT_EQ(f.n, 1, "malloc once");
		name = pr_elfsym_resolve(b, f.foff, &off);
		ASSERT_STREQ(name ? name : "(none)", "malloc", "its offset resolves back to malloc");
		ASSERT_EQ(off, 0, "at its first byte");
	}
	pr_elfsyms_free(t);
}
