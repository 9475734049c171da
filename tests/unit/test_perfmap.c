// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* JIT symbol maps: runtime/perfmap.c on literal lines and perf-PID.map
 * files in a temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "perfmap.h"

static const struct {
	const char *line;
	uint64_t start, size;
	const char *name;
} good[] = {
	{ "1000 10 foo", 0x1000, 0x10, "foo" },
	{ "0x1000 0x10 foo", 0x1000, 0x10, "foo" },
	{ "0X1000 0X10 foo", 0x1000, 0x10, "foo" },
	{ "7f0012340000 2a LazyCompile:~main /tmp/app.js:1:1", 0x7f0012340000, 0x2a,
	  "LazyCompile:~main /tmp/app.js:1:1" },
	{ "ABCDEF abc Up And Low", 0xabcdef, 0xabc, "Up And Low" },
	{ "0000000000001000 10 sixteen-digits", 0x1000, 0x10, "sixteen-digits" },
	{ "fffffffffffffff0 f near-the-top", 0xfffffffffffffff0ull, 0xf, "near-the-top" },
	{ "0 1 at-zero", 0, 1, "at-zero" },
	{ "1000 10  leading space", 0x1000, 0x10, " leading space" },
	{ "1000 10 trailing space ", 0x1000, 0x10, "trailing space " },
	{ "1000 10 x", 0x1000, 0x10, "x" },
};

static const char *const bad[] = {
	"",
	"1000",
	"1000 ",
	"1000 10",
	"1000 10 ", /* no name */
	"zz 10 x",
	"1000 1g x",
	"10g0 10 x",
	"1000 0 x",		 /* size 0 */
	"1000 00 x",		 /* size 0 */
	"ffffffffffffffff 1 x",	 /* start + size overflows */
	"fffffffffffffff0 11 x", /* start + size overflows */
	"8000000000000000 8000000000000000 x",
	"10000000000000000 1 x",    /* 17 hex digits */
	"1000 10000000000000000 x", /* 17 hex digits */
	"0x 10 x",
	"1000 0x x",
	" 1000 10 x",
	"-1000 10 x",
	"1000 -10 x",
	"0x0x1000 10 x",
};

void test_perfmap_parse_line(void)
{
	const char *name = NULL;
	uint64_t start = 0, size = 0;
	size_t i, len = 0;
	char what[96];

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(what, sizeof(what), "good line \"%s\"", good[i].line);
		if (!ASSERT_OK(pr_perfmap_parse_line(good[i].line, strlen(good[i].line), &start,
						     &size, &name, &len),
			       what))
			continue;
		ASSERT_EQ(start, good[i].start, what);
		ASSERT_EQ(size, good[i].size, what);
		ASSERT_EQ(len, strlen(good[i].name), what);
		ASSERT_TRUE(name >= good[i].line &&
				    name + len == good[i].line + strlen(good[i].line),
			    what);
		ASSERT_OK(strncmp(name, good[i].name, len), what);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(what, sizeof(what), "bad line \"%s\"", bad[i]);
		ASSERT_EQ(pr_perfmap_parse_line(bad[i], strlen(bad[i]), &start, &size, &name, &len),
			  -EINVAL, what);
	}
}

/* len, not a NUL, ends the line: fields and name stop there. */
void test_perfmap_parse_line_len(void)
{
	static const char line[] = "1000 10 foobar\n2000 20 next";
	const char *name = NULL;
	uint64_t start, size;
	size_t len = 0;
	char *heap;

	if (ASSERT_OK(pr_perfmap_parse_line(line, 10, &start, &size, &name, &len), "len 10"))
		ASSERT_EQ(len, 2, "name cut at len");
	ASSERT_EQ(pr_perfmap_parse_line(line, 7, &start, &size, &name, &len), -EINVAL,
		  "len inside the size field");
	ASSERT_EQ(pr_perfmap_parse_line(line, 3, &start, &size, &name, &len), -EINVAL,
		  "len inside the start field");
	ASSERT_EQ(pr_perfmap_parse_line(line, 0, &start, &size, &name, &len), -EINVAL, "len 0");
	/* exactly len bytes on the heap, no NUL after: ASan sees any overread */
	heap = malloc(8);
	if (heap) {
		memcpy(heap, "1 1 abcd", 8);
		if (ASSERT_OK(pr_perfmap_parse_line(heap, 8, &start, &size, &name, &len), "heap"))
			ASSERT_EQ(len, 4, "heap name");
		memcpy(heap, "12345678", 8);
		ASSERT_EQ(pr_perfmap_parse_line(heap, 8, &start, &size, &name, &len), -EINVAL,
			  "digits to the end");
		memcpy(heap, "0x123456", 8);
		ASSERT_EQ(pr_perfmap_parse_line(heap, 8, &start, &size, &name, &len), -EINVAL,
			  "0x digits to the end");
		free(heap);
	}
}

static bool append(const char *dir, const char *name, const char *text)
{
	char path[256];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		n = write(fd, text, strlen(text));
		close(fd);
	}
	return ASSERT_EQ(n, (ssize_t)strlen(text), "append to map file");
}

static void check_lookup(struct pr_perfmaps *pm, uint32_t pid, uint64_t addr, const char *want,
			 uint64_t want_off, const char *what)
{
	const char *module = NULL, *name;
	uint64_t off = 12345;

	name = pr_perfmap_lookup(pm, pid, addr, &off, &module);
	if (ASSERT_STREQ(name, want, what) && want) {
		ASSERT_EQ(off, want_off, what);
		ASSERT_STREQ(module, "perf-4242.map", what);
	}
}

void test_perfmap_lookup(void)
{
	struct pr_perfmaps_opts o = { .dir = NULL };
	struct pr_perfmaps *pm = NULL;
	char dir[64] = "", *longline = NULL;

	if (!test_mkdtemp(dir) || !append(dir, "perf-4242.map",
					  "1000 100 first\n"
					  "2000 10 second name with spaces\n"
					  "garbage line\n"
					  "3000 10 old\n"
					  "3000 20 new\n"
					  "5000 0 empty\n"
					  "6000 10 no newline at the end"))
		goto out;
	o.dir = dir;
	if (!ASSERT_OK(pr_perfmaps_new(&o, &pm), "perfmaps_new"))
		goto out;
	check_lookup(pm, 4242, 0x1000, "first", 0, "exact start");
	check_lookup(pm, 4242, 0x1050, "first", 0x50, "inside");
	check_lookup(pm, 4242, 0x10ff, "first", 0xff, "last byte");
	check_lookup(pm, 4242, 0x1100, NULL, 0, "past the end");
	check_lookup(pm, 4242, 0xfff, NULL, 0, "before the first");
	check_lookup(pm, 4242, 0x0, NULL, 0, "zero");
	check_lookup(pm, 4242, 0x2005, "second name with spaces", 5, "name with spaces");
	check_lookup(pm, 4242, 0x3000, "new", 0, "later line for the same start wins");
	check_lookup(pm, 4242, 0x3015, "new", 0x15, "later line's size");
	check_lookup(pm, 4242, 0x5000, NULL, 0, "size 0 line ignored");
	check_lookup(pm, 4242, 0x6001, "no newline at the end", 1, "last line without newline");
	check_lookup(pm, 4242, UINT64_MAX, NULL, 0, "top of the address space");
	ASSERT_EQ(pr_perfmaps_reads(pm), 1, "read once");
	check_lookup(pm, 4243, 0x1000, NULL, 0, "no map file for this pid");
	ASSERT_EQ(pr_perfmaps_reads(pm), 1, "missing file not counted as read");

	/* the JIT appends: read again, old and new entries found */
	if (append(dir, "perf-4242.map", "\n7000 10 appended\n3000 8 newest\n")) {
		check_lookup(pm, 4242, 0x7003, "appended", 3, "appended line");
		ASSERT_EQ(pr_perfmaps_reads(pm), 2, "grown file read again");
		check_lookup(pm, 4242, 0x1050, "first", 0x50, "old entry after re-read");
		check_lookup(pm, 4242, 0x3004, "newest", 4, "newest line for the start wins");
		check_lookup(pm, 4242, 0x3010, NULL, 0, "newest line's size applies");
		check_lookup(pm, 4242, 0x6001, "no newline at the end", 1,
			     "line ended by the append");
		ASSERT_EQ(pr_perfmaps_reads(pm), 2, "unchanged file not read again");
	}
	/* a line longer than the reader's buffer is skipped, not split */
	longline = malloc(10000);
	if (longline) {
		memset(longline, 'a', 9998);
		memcpy(longline, "8000 10 ", 8);
		memcpy(longline + 9998, "\n", 2);
		if (append(dir, "perf-4242.map", longline) &&
		    append(dir, "perf-4242.map", "9000 10 after the long line\n")) {
			check_lookup(pm, 4242, 0x9001, "after the long line", 1,
				     "after a long line");
			check_lookup(pm, 4242, 0x8001, NULL, 0, "long line skipped");
			ASSERT_EQ(pr_perfmaps_reads(pm), 3, "read a third time");
		}
	}
out:
	free(longline);
	pr_perfmaps_free(pm);
	test_rmdir(dir);
}

/* Hostile map files: binary garbage, NULs, no newline at all. */
void test_perfmap_hostile(void)
{
	struct pr_perfmaps_opts o = { .dir = NULL };
	struct pr_perfmaps *pm = NULL;
	const char *module, *name;
	unsigned char buf[20000];
	char dir[64] = "", path[256];
	uint64_t off, seed = 42;
	size_t i;

	if (!test_mkdtemp(dir))
		goto out;
	for (i = 0; i < sizeof(buf); i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		buf[i] = (seed & 3) ? (unsigned char)"0123456789abcdefx \n"[seed % 19]
				    : (unsigned char)(seed >> 8);
	}
	if (!test_write_file(dir, "perf-1.map", buf, sizeof(buf), path) ||
	    !test_write_file(dir, "perf-2.map", "1000 10 a\0b\n2000 10 next\n", 25, path))
		goto out;
	memset(buf, 'f', sizeof(buf));
	if (!test_write_file(dir, "perf-3.map", buf, sizeof(buf), path))
		goto out;
	o.dir = dir;
	if (!ASSERT_OK(pr_perfmaps_new(&o, &pm), "perfmaps_new"))
		goto out;
	for (i = 0; i < 4096; i++) {
		name = pr_perfmap_lookup(pm, 1, i * 0x1000003ull, &off, &module);
		if (name)
			ASSERT_TRUE(strlen(name) < 4096, "random file: names readable");
	}
	/* a NUL in a line: that line may go, the next one must not */
	name = pr_perfmap_lookup(pm, 2, 0x1001, &off, &module);
	ASSERT_TRUE(!name || !strcmp(name, "a"), "a NUL in the name: dropped or cut there");
	ASSERT_STREQ(pr_perfmap_lookup(pm, 2, 0x2001, &off, &module), "next",
		     "the line after a line with a NUL");
	ASSERT_NULL(pr_perfmap_lookup(pm, 3, 0xffff, &off, &module), "one huge line");
	ASSERT_EQ(pr_perfmaps_reads(pm), 3, "three files read");
out:
	pr_perfmaps_free(pm);
	test_rmdir(dir);
}

/* A map is used only when root or the process's user owns it: here the
 * process is this one (root) or a child running as nobody. */
void test_perfmap_owner(void)
{
	struct pr_perfmaps_opts o = { .dir = NULL };
	struct pr_perfmaps *pm = NULL;
	const char *module = NULL;
	char dir[64] = "", path[256], link[300];
	uint32_t me = getpid();
	uint64_t off;
	pid_t child = -1;
	int status;

	if (getuid() != 0) {
		test__skip("needs root to chown map files");
		return;
	}
	if (!test_mkdtemp(dir))
		return;
	o.dir = dir;
	if (!ASSERT_OK(pr_perfmaps_new(&o, &pm), "perfmaps_new"))
		goto out;
	snprintf(path, sizeof(path), "%s/perf-%u.map", dir, me);
	if (!append(dir, strrchr(path, '/') + 1, "1000 10 mine\n") ||
	    !ASSERT_OK(chown(path, 65534, -1), "chown nobody"))
		goto out;
	ASSERT_NULL(pr_perfmap_lookup(pm, me, 0x1001, &off, &module),
		    "root's process, map owned by nobody: ignored");
	ASSERT_NULL(pr_perfmap_lookup(pm, me, 0x1002, &off, &module), "still ignored");
	ASSERT_EQ(pr_perfmaps_untrusted(pm), 1, "counted once, not per lookup");
	ASSERT_EQ(pr_perfmaps_reads(pm), 0, "not read");
	/* given back to root and grown: read */
	if (ASSERT_OK(chown(path, 0, -1), "chown root") && append(dir, strrchr(path, '/') + 1,
								  "2000 10 more\n"))
		ASSERT_STREQ(pr_perfmap_lookup(pm, me, 0x1001, &off, &module), "mine",
			     "map owned by root: used");
	ASSERT_EQ(pr_perfmaps_untrusted(pm), 1, "root's map not counted");

	/* a child running as nobody: its user's map is used */
	child = fork();
	if (!ASSERT_TRUE(child >= 0, "fork"))
		goto out;
	if (child == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(1);
		pause();
		_exit(0);
	}
	/* the child is nobody once /proc/CHILD says so */
	for (int i = 0; i < 200; i++) {
		struct stat st;
		char proc[32];

		snprintf(proc, sizeof(proc), "/proc/%d", child);
		if (!stat(proc, &st) && st.st_uid == 65534)
			break;
		usleep(5000);
	}
	snprintf(path, sizeof(path), "%s/perf-%d.map", dir, child);
	if (append(dir, strrchr(path, '/') + 1, "3000 10 nobodys\n") &&
	    ASSERT_OK(chown(path, 65534, -1), "chown nobody")) {
		ASSERT_STREQ(pr_perfmap_lookup(pm, child, 0x3001, &off, &module), "nobodys",
			     "nobody's process, map owned by nobody: used");
	}
	/* a symlink at a map's name is not followed, whoever owns the target */
	snprintf(link, sizeof(link), "%s/perf-%d.map", dir, child + 1);
	unlink(link);
	if (ASSERT_OK(symlink(path, link), "symlink")) {
		ASSERT_NULL(pr_perfmap_lookup(pm, child + 1, 0x3001, &off, &module),
			    "symlinked map: ignored");
		ASSERT_EQ(pr_perfmaps_untrusted(pm), 2, "symlinked map: counted");
		unlink(link);
	}
out:
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
	pr_perfmaps_free(pm);
	test_rmdir(dir);
}
