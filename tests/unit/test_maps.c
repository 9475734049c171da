// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc/PID/maps: runtime/maps.c on literal lines and on our own process. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "harness.h"
#include "maps.h"

#define PAD "                    " /* the kernel pads paths to column 73 */

/* Valid lines: 1 for executable file-backed code, else 0; the path. */
static const struct {
	const char *line;
	int rc;
	const char *path;
} lines[] = {
	{ .line = "55c0d3c80000-55c0d3c96000 r-xp 00004000 fd:01 1234567" PAD "/usr/bin/cat\n",
	  .rc = 1,
	  .path = "/usr/bin/cat" },
	{ .line = "55c0d3c96000-55c0d3c9a000 r--p 0001a000 fd:01 1234567" PAD "/usr/bin/cat\n",
	  .path = "/usr/bin/cat" },
	{ .line = "7f0000000000-7f0000021000 rw-p 00000000 00:00 0 \n", .path = "" },
	{ .line = "7f0000100000-7f0000101000 rwxp 00000000 00:00 0 \n", .path = "" },
	{ .line = "7ffd1c7f2000-7ffd1c7f4000 r-xp 00000000 00:00 0" PAD PAD "[vdso]\n",
	  .path = "[vdso]" },
	{ .line = "7ffd1c6d1000-7ffd1c6f2000 rw-p 00000000 00:00 0" PAD PAD "[stack]\n",
	  .path = "[stack]" },
	{ .line = "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0" PAD "[vsyscall]\n",
	  .path = "[vsyscall]" },
	{ .line = "7f0000200000-7f0000201000 r-xp 00001000 103:05 42" PAD "/tmp/my lib.so\n",
	  .rc = 1,
	  .path = "/tmp/my lib.so" },
	{ .line = "7f0000300000-7f0000301000 r-xp 00000000 08:02 99 /tmp/no-newline.so",
	  .rc = 1,
	  .path = "/tmp/no-newline.so" },
};

static void check_line(size_t i)
{
	struct pr_map_range r = { 0 };
	char buf[256], what[48];

	snprintf(what, sizeof(what), "line %zu", i);
	snprintf(buf, sizeof(buf), "%s", lines[i].line);
	if (ASSERT_EQ(pr_maps_parse_line(buf, &r), lines[i].rc, what))
		ASSERT_STREQ(r.path, lines[i].path, what);
}

/* Every field of one line, with a device major above 255. */
static void check_fields(void)
{
	char buf[] = "7f0000200000-7f0000201000 r-xp 00001000 103:05 42" PAD "/tmp/x.so\n";
	struct pr_map_range r = { 0 };

	if (ASSERT_EQ(pr_maps_parse_line(buf, &r), 1, "fields")) {
		ASSERT_EQ(r.start, 0x7f0000200000, "start");
		ASSERT_EQ(r.end, 0x7f0000201000, "end");
		ASSERT_EQ(r.offset, 0x1000, "offset");
		ASSERT_EQ(major(r.dev), 0x103, "dev major");
		ASSERT_EQ(minor(r.dev), 5, "dev minor");
		ASSERT_EQ(r.ino, 42, "inode");
		ASSERT_STREQ(r.path, "/tmp/x.so", "path without newline");
	}
}

void test_maps_parse_line(void)
{
	char buf[256] = "7f0000400000-7f0000401000 r-xp 00001000 08:02 77 /tmp/gone.so (deleted)\n";
	struct pr_map_range r;
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		check_line(i);
	check_fields();
	/* a deleted file is still file-backed code, reachable via map_files */
	if (ASSERT_EQ(pr_maps_parse_line(buf, &r), 1, "deleted file"))
		ASSERT_TRUE(!strncmp(r.path, "/tmp/gone.so", 12), "deleted file path");
}

void test_maps_parse_line_errors(void)
{
	static const char *const bad[] = {
		"",
		"\n",
		"garbage",
		"55c0d3c80000-55c0d3c96000 r-xp",
		"55c0d3c80000-55c0d3c96000 r-xp 00004000 fd:01",
		"55c0d3c80000 r-xp 00004000 fd:01 1 /x\n",
		"zz-yy r-xp 00000000 fd:01 1 /x\n",
		"55c0d3c96000-55c0d3c80000 r-xp 00000000 fd:01 1 /x\n",
		"55c0d3c80000-55c0d3c80000 r-xp 00000000 fd:01 1 /x\n",
		"55c0d3c80000-55c0d3c96000 r-xp 00000000 fd-01 1 /x\n",
	};
	struct pr_map_range r = { .start = 7 };
	char buf[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", bad[i]);
		ASSERT_EQ(pr_maps_parse_line(buf, &r), -EINVAL, bad[i]);
	}
	ASSERT_EQ(r.start, 7, "range untouched");
}

static volatile int probe_sink;

/* A function of this binary with a .symtab entry, for normalize. */
__attribute__((noinline)) void unit_maps_probe(void)
{
	int i;

	for (i = 0; i < 8; i++)
		probe_sink += i;
}

/* b is the binary ending in bin_suffix, and foff, foff + 1 are in fn. */
static void check_binary(struct pr_elfsym *b, uint64_t foff, const char *bin_suffix, const char *fn)
{
	const char *bin = pr_elfsym_name(b);
	size_t n = strlen(bin), k = strlen(bin_suffix);
	uint64_t off = 99;

	if (!ASSERT_TRUE(n >= k && !strcmp(bin + n - k, bin_suffix), fn))
		printf("  binary %s, want %s\n", bin, bin_suffix);
	ASSERT_STREQ(pr_elfsym_resolve(b, foff, &off), fn, fn);
	ASSERT_EQ(off, 0, fn);
	ASSERT_STREQ(pr_elfsym_resolve(b, foff + 1, &off), fn, fn);
	ASSERT_EQ(off, 1, fn);
}

static void check_normalize(struct pr_maps *m, uint64_t addr, const char *bin_suffix,
			    const char *fn)
{
	struct pr_elfsym *b;
	uint64_t foff = 0;

	b = pr_maps_normalize(m, getpid(), addr, 0, &foff);
	if (ASSERT_TRUE(b, fn))
		check_binary(b, foff, bin_suffix, fn);
	else if (geteuid())
		printf("  not root: opening /proc/PID/map_files needs CAP_SYS_ADMIN or "
		       "CAP_CHECKPOINT_RESTORE\n");
}

void test_maps_normalize_self(void)
{
	struct pr_elfsyms *bins = NULL;
	struct pr_maps *m = NULL;
	char exe[4096];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	if (!ASSERT_TRUE(n > 0, "readlink /proc/self/exe") ||
	    !ASSERT_OK(pr_elfsyms_new(&bins), "elfsyms_new") ||
	    !ASSERT_OK(pr_maps_new(bins, &m), "maps_new"))
		goto out;
	check_normalize(m, (uintptr_t)unit_maps_probe, exe, "unit_maps_probe");
	check_normalize(m, (uintptr_t)test_maps_normalize_self, exe, "test_maps_normalize_self");
	check_normalize(m, (uintptr_t)getppid, "/libc.so.6", "getppid");
	/* forgetting the pid re-reads its maps */
	pr_maps_forget(m, getpid());
	check_normalize(m, (uintptr_t)unit_maps_probe, exe, "unit_maps_probe");
out:
	pr_maps_free(m);
	pr_elfsyms_free(bins);
}

void test_maps_normalize_anon(void)
{
	struct pr_elfsyms *bins = NULL;
	struct pr_maps *m = NULL;
	uint64_t foff = 12345;
	char *heap = malloc(64);
	int local = 0;

	if (!ASSERT_OK(pr_elfsyms_new(&bins), "elfsyms_new") ||
	    !ASSERT_OK(pr_maps_new(bins, &m), "maps_new"))
		goto out;
	ASSERT_NULL(pr_maps_normalize(m, getpid(), (uintptr_t)heap, 0, &foff), "heap");
	ASSERT_NULL(pr_maps_normalize(m, getpid(), (uintptr_t)&local, 0, &foff), "stack");
	ASSERT_NULL(pr_maps_normalize(m, getpid(), 0, 0, &foff), "address 0");
	ASSERT_NULL(pr_maps_normalize(m, 4194305, (uintptr_t)unit_maps_probe, 0, &foff),
		    "no such pid");
	ASSERT_EQ(pr_elfsyms_count(bins), 0, "no binary opened");
out:
	free(heap);
	pr_maps_free(m);
	pr_elfsyms_free(bins);
}

/* A full cache drops the processes that are gone, not the live ones:
 * without proc() nothing reports exits to it. PIDs past pid_max never
 * exist. */
void test_maps_full_sweeps_gone(void)
{
	struct pr_elfsyms *bins = NULL;
	struct pr_maps *m = NULL;
	uint64_t foff;
	uint32_t i, n = 0;
	bool mapped;

	if (!ASSERT_OK(pr_elfsyms_new(&bins), "elfsyms_new") ||
	    !ASSERT_OK(pr_maps_new(bins, &m), "maps_new"))
		goto out;
	pr_maps_find(m, getpid(), (uintptr_t)unit_maps_probe, 0, true, &foff, &mapped);
	ASSERT_TRUE(mapped, "our own maps read");
	for (i = 0; i < 5000 && pr_maps_count(m) > n; i++) {
		n = pr_maps_count(m);
		pr_maps_find(m, 0x7ffff000u - i, 0x1000, 0, true, &foff, &mapped);
	}
	ASSERT_TRUE(i > 1000 && i < 5000, "the cache filled, then shrank");
	/* ours and the one that found the cache full: a flush would leave 1 */
	ASSERT_EQ(pr_maps_count(m), 2, "the gone ones were swept, ours stayed");
out:
	pr_maps_free(m);
	pr_elfsyms_free(bins);
}
