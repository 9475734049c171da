// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc readers: runtime/procfs.c on literal stat lines and on live pids. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "procfs.h"

/* Fields 3.. of a stat line: state, ppid, 17 fields, starttime (22), rest. */
#define STAT_TAIL " S 42 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 98765 23 24 25\n"

/* Parses an exact-size heap copy of s[0..len), so ASan sees an overread. */
static int parse_copy(const char *s, size_t len, struct pr_proc_stat *out)
{
	char *buf = malloc(len ? len : 1);
	int rc;

	memcpy(buf, s, len);
	rc = pr_procfs_parse_stat(buf, len, out);
	free(buf);
	return rc;
}

void test_procfs_parse_stat(void)
{
	const char *line = "1234 (bash)" STAT_TAIL;
	struct pr_proc_stat st;

	memset(&st, 0xff, sizeof(st));
	if (ASSERT_OK(parse_copy(line, strlen(line), &st), "parse")) {
		ASSERT_EQ(st.pid, 1234, "pid");
		ASSERT_STREQ(st.comm, "bash", "comm");
		ASSERT_EQ(st.state, 'S', "state");
		ASSERT_EQ(st.ppid, 42, "ppid");
		ASSERT_EQ(st.start_ticks, 98765, "start_ticks");
		ASSERT_EQ(st.uid, 0, "uid is not in stat");
	}
}

void test_procfs_parse_stat_odd_comm(void)
{
	const char *odd = "1234 (a) b (c))" STAT_TAIL;
	const char *spaces = "77 (  x y  )" STAT_TAIL;
	const char *empty = "5 ()" STAT_TAIL;
	const char *lng = "9 (abcdefghijklmnopqrstuvwxyz)" STAT_TAIL;
	struct pr_proc_stat st;

	if (ASSERT_OK(parse_copy(odd, strlen(odd), &st), "parens in comm")) {
		ASSERT_STREQ(st.comm, "a) b (c)", "comm up to the last ')'");
		ASSERT_EQ(st.ppid, 42, "ppid");
		ASSERT_EQ(st.start_ticks, 98765, "start_ticks");
	}
	if (ASSERT_OK(parse_copy(spaces, strlen(spaces), &st), "spaces in comm")) {
		ASSERT_STREQ(st.comm, "  x y  ", "comm");
		ASSERT_EQ(st.pid, 77, "pid");
	}
	if (ASSERT_OK(parse_copy(empty, strlen(empty), &st), "empty comm"))
		ASSERT_STREQ(st.comm, "", "comm");
	if (ASSERT_OK(parse_copy(lng, strlen(lng), &st), "long comm")) {
		ASSERT_STREQ(st.comm, "abcdefghijklmno", "comm truncated to 15");
		ASSERT_EQ(st.start_ticks, 98765, "start_ticks");
	}
}

void test_procfs_parse_stat_truncated(void)
{
	const char *line = "1234 (a) b (c))" STAT_TAIL;
	const char *nonum = "1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 - 1\n";
	size_t f22 = strstr(line, "98765") - line, len;
	struct pr_proc_stat st, before;
	char what[64];

	/* every cut before field 22 fails and leaves the output untouched */
	for (len = 0; len <= f22; len++) {
		memset(&st, 0xa5, sizeof(st));
		before = st;
		snprintf(what, sizeof(what), "cut at %zu", len);
		ASSERT_EQ(parse_copy(line, len, &st), -EINVAL, what);
		ASSERT_TRUE(!memcmp(&st, &before, sizeof(st)), what);
	}
	/* cuts inside or after field 22 parse (the value may be partial) */
	for (len = f22 + 1; len <= strlen(line); len++) {
		snprintf(what, sizeof(what), "cut at %zu", len);
		ASSERT_OK(parse_copy(line, len, &st), what);
	}
	ASSERT_EQ(parse_copy("1234 (bash S 1 2 3", 18, &st), -EINVAL, "no ')'");
	ASSERT_EQ(parse_copy("1234 bash) S 1 2 3", 18, &st), -EINVAL, "no '('");
	ASSERT_EQ(parse_copy("1 )x( S" STAT_TAIL, 7, &st), -EINVAL, "')' before '('");
	ASSERT_EQ(parse_copy("", 0, &st), -EINVAL, "empty");
	ASSERT_EQ(parse_copy(nonum, strlen(nonum), &st), -EINVAL, "field 22 not a number");
}

void test_procfs_read_stat_self(void)
{
	struct pr_proc_stat st;
	char comm[64];

	snprintf(comm, sizeof(comm), "%.15s", program_invocation_short_name);
	if (ASSERT_OK(pr_procfs_read_stat(getpid(), &st), "read_stat(self)")) {
		ASSERT_EQ(st.pid, getpid(), "pid");
		ASSERT_EQ(st.ppid, getppid(), "ppid");
		ASSERT_EQ(st.uid, getuid(), "uid");
		ASSERT_EQ(st.state, 'R', "state");
		ASSERT_TRUE(st.start_ticks > 0, "start_ticks");
		ASSERT_STREQ(st.comm, comm, "comm");
	}
}

void test_procfs_read_self(void)
{
	char buf[4096], want[4096] = "", exe[4096];
	int i, n;
	ssize_t len;

	for (i = 0; i < test_argc; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", i ? " " : "",
			 test_argv[i]);
	n = pr_procfs_read(getpid(), "cmdline", buf, sizeof(buf));
	ASSERT_EQ(n, (int)strlen(want), "cmdline length");
	ASSERT_STREQ(buf, want, "cmdline is argv joined by spaces");

	n = pr_procfs_read(getpid(), "cmdline", buf, 4);
	ASSERT_EQ(n, 3, "cmdline into a small buffer");
	ASSERT_EQ(strlen(buf), 3, "small buffer NUL-terminated");

	n = pr_procfs_read(getpid(), "comm", buf, sizeof(buf));
	ASSERT_STREQ(buf, program_invocation_short_name, "comm without newline");
	ASSERT_EQ(n, (int)strlen(program_invocation_short_name), "comm length");

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 0] = '\0';
	n = pr_procfs_read(getpid(), "exe", buf, sizeof(buf));
	ASSERT_STREQ(buf, exe, "exe");
	ASSERT_EQ(n, (int)len, "exe length");

	ASSERT_EQ(pr_procfs_read(getpid(), "environ", buf, sizeof(buf)), -EINVAL, "unknown what");
	ASSERT_EQ(pr_procfs_read(getpid(), "comm", buf, 0), -EINVAL, "zero length");
}

/* Starts `sleep 30 1s` and returns once it has exec'd: the pipe's write
 * end is close-on-exec, so the read sees EOF at exec. */
static pid_t start_sleep(void)
{
	pid_t pid = -1;
	int fds[2];
	char c;

	if (pipe2(fds, O_CLOEXEC))
		goto out;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sleep", "sleep", "30", "1s", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (pid > 0 && read(fds[0], &c, 1) > 0)
		;
	close(fds[0]);
out:
	return pid;
}

/* A child's cmdline and stat, read while it runs, gone once reaped. */
static void check_child(pid_t pid)
{
	struct pr_proc_stat st;
	char buf[256];
	int n;

	n = pr_procfs_read(pid, "cmdline", buf, sizeof(buf));
	ASSERT_STREQ(buf, "sleep 30 1s", "child cmdline");
	ASSERT_EQ(n, 11, "child cmdline length");
	if (ASSERT_OK(pr_procfs_read_stat(pid, &st), "child stat")) {
		ASSERT_STREQ(st.comm, "sleep", "child comm");
		ASSERT_EQ(st.ppid, getpid(), "child ppid");
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ASSERT_EQ(pr_procfs_read_stat(pid, &st), -ENOENT, "reaped child stat");
}

void test_procfs_read_cmdline_child(void)
{
	pid_t pid = start_sleep();

	if (ASSERT_TRUE(pid > 0, "fork"))
		check_child(pid);
}

void test_procfs_read_missing(void)
{
	struct pr_proc_stat st = { .pid = 777 };
	char buf[64] = "untouched";

	/* above any pid_max (4194304) */
	ASSERT_EQ(pr_procfs_read_stat(4194305, &st), -ENOENT, "read_stat");
	ASSERT_EQ(st.pid, 777, "stat untouched");
	ASSERT_EQ(pr_procfs_read(4194305, "cmdline", buf, sizeof(buf)), -ENOENT, "cmdline");
	ASSERT_EQ(pr_procfs_read(4194305, "comm", buf, sizeof(buf)), -ENOENT, "comm");
	ASSERT_EQ(pr_procfs_read(4194305, "exe", buf, sizeof(buf)), -ENOENT, "exe");
	ASSERT_STREQ(buf, "untouched", "buf untouched");
	ASSERT_EQ(pr_procfs_slurp("/nonexistent/file", buf, sizeof(buf)), -ENOENT, "slurp");
}

void test_procfs_read_kthread_cmdline(void)
{
	char buf[64];
	int n;

	/* pid 2 is kthreadd unless we run in a pid namespace */
	n = pr_procfs_read(2, "comm", buf, sizeof(buf));
	if (n < 0 || strcmp(buf, "kthreadd")) {
		test__skip("pid 2 is not kthreadd (pid namespace)");
	} else {
		strcpy(buf, "x");
		n = pr_procfs_read(2, "cmdline", buf, sizeof(buf));
		ASSERT_EQ(n, 0, "kthreadd cmdline length");
		ASSERT_STREQ(buf, "", "kthreadd cmdline");
	}
}

/* A fake procfs root for the *_at readers: <root>/<pid>/... files and
 * symlinks in a temporary directory. */
struct fake_root {
	char dir[64];
};

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void fake_free(struct fake_root *r)
{
	if (r->dir[0])
		nftw(r->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* <root>/<pid>/name in path[256], creating <root>/<pid> and its ns/. */
static void fake_path(const struct fake_root *r, unsigned pid, const char *name, char *path)
{
	snprintf(path, 256, "%s/%u", r->dir, pid);
	mkdir(path, 0755);
	snprintf(path, 256, "%s/%u/ns", r->dir, pid);
	mkdir(path, 0755);
	snprintf(path, 256, "%s/%u/%s", r->dir, pid, name);
}

static bool fake_file(const struct fake_root *r, unsigned pid, const char *name, const void *data,
		      size_t len)
{
	char dir[256], path[256];

	fake_path(r, pid, "", dir);
	return test_write_file(dir, name, data, len, path);
}

static bool fake_link(const struct fake_root *r, unsigned pid, const char *name, const char *target)
{
	char path[256];

	fake_path(r, pid, name, path);
	unlink(path);
	return ASSERT_OK(symlink(target, path), "symlink");
}

void test_procfs_ns_at(void)
{
	struct fake_root r = { "" };
	uint32_t inum;

	if (!test_mkdtemp(r.dir) || !fake_link(&r, 10, "ns/mnt", "mnt:[4026531841]") ||
	    !fake_link(&r, 10, "ns/pid", "pid:[4026531836]") ||
	    !fake_link(&r, 11, "ns/mnt", "garbage") || !fake_link(&r, 11, "ns/pid", "pid:[]") ||
	    !fake_link(&r, 12, "ns/mnt", "mnt:[x1]"))
		goto out;
	inum = 0;
	ASSERT_OK(pr_procfs_ns_at(r.dir, 10, "mnt", &inum), "mnt");
	ASSERT_EQ(inum, 4026531841u, "mnt inode");
	ASSERT_OK(pr_procfs_ns_at(r.dir, 10, "pid", &inum), "pid");
	ASSERT_EQ(inum, 4026531836u, "pid inode");

	inum = 7;
	ASSERT_EQ(pr_procfs_ns_at(r.dir, 11, "mnt", &inum), -EINVAL, "garbage target");
	ASSERT_EQ(pr_procfs_ns_at(r.dir, 11, "pid", &inum), -EINVAL, "empty brackets");
	ASSERT_EQ(pr_procfs_ns_at(r.dir, 12, "mnt", &inum), -EINVAL, "not a number");
	ASSERT_EQ(pr_procfs_ns_at(r.dir, 12, "pid", &inum), -ENOENT, "no link");
	ASSERT_EQ(pr_procfs_ns_at(r.dir, 13, "mnt", &inum), -ENOENT, "no process");
	ASSERT_EQ(inum, 7, "inum untouched on errors");
out:
	fake_free(&r);
}

void test_procfs_read_at_cgroup(void)
{
	static const char v1_and_v2[] =
		"12:memory:/user.slice\n"
		"11:cpu,cpuacct:/user.slice\n"
		"0::/user.slice/user-1000.slice/session-2.scope\n"
		"1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n";
	static const char v1_only[] = "12:memory:/x\n1:name=systemd:/x\n";
	static const char v2_first[] = "0::/\n";
	static const char no_newline[] = "3:pids:/a\n0::/system.slice/cron.service";
	struct fake_root r = { "" };
	char buf[256];

	if (!test_mkdtemp(r.dir) || !fake_file(&r, 1, "cgroup", v1_and_v2, strlen(v1_and_v2)) ||
	    !fake_file(&r, 2, "cgroup", v1_only, strlen(v1_only)) ||
	    !fake_file(&r, 3, "cgroup", v2_first, strlen(v2_first)) ||
	    !fake_file(&r, 4, "cgroup", no_newline, strlen(no_newline)))
		goto out;
	ASSERT_EQ(pr_procfs_read_at(r.dir, 1, "cgroup", buf, sizeof(buf)), 43, "0:: among v1");
	ASSERT_STREQ(buf, "/user.slice/user-1000.slice/session-2.scope", "the v2 path");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 3, "cgroup", buf, sizeof(buf)), 1, "root cgroup");
	ASSERT_STREQ(buf, "/", "root path");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 4, "cgroup", buf, sizeof(buf)), 26, "last line");
	ASSERT_STREQ(buf, "/system.slice/cron.service", "last line without newline");
	strcpy(buf, "untouched");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 2, "cgroup", buf, sizeof(buf)), -ENOENT, "v1 only");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 1, "cgroup", buf, 10), -ENAMETOOLONG, "short buffer");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 9, "cgroup", buf, sizeof(buf)), -ENOENT, "no process");
	ASSERT_STREQ(buf, "untouched", "buffer untouched on errors");
out:
	fake_free(&r);
}

void test_procfs_read_at_files(void)
{
	static const char argv[] = "/bin/prog\0-v\0two words\0";
	static const char env[] = "A=1\0B=two\0";
	struct fake_root r = { "" };
	char buf[256];

	if (!test_mkdtemp(r.dir) || !fake_file(&r, 5, "cmdline", argv, sizeof(argv) - 1) ||
	    !fake_file(&r, 5, "environ", env, sizeof(env) - 1) ||
	    !fake_file(&r, 5, "comm", "prog\n", 5) || !fake_link(&r, 5, "exe", "/bin/prog") ||
	    !fake_link(&r, 5, "cwd", "/home/u") || !fake_file(&r, 6, "cmdline", "", 0))
		goto out;
	ASSERT_EQ(pr_procfs_read_at(r.dir, 5, "cmdline", buf, sizeof(buf)), 22, "cmdline length");
	ASSERT_STREQ(buf, "/bin/prog -v two words", "cmdline joined by spaces");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 5, "environ", buf, sizeof(buf)), 10, "environ length");
	ASSERT_TRUE(!memcmp(buf, env, 11), "environ raw, NUL-separated");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 5, "comm", buf, sizeof(buf)), 4, "comm length");
	ASSERT_STREQ(buf, "prog", "comm without newline");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 5, "exe", buf, sizeof(buf)), 9, "exe length");
	ASSERT_STREQ(buf, "/bin/prog", "exe link");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 5, "cwd", buf, sizeof(buf)), 7, "cwd length");
	ASSERT_STREQ(buf, "/home/u", "cwd link");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 5, "exe", buf, 5), 4, "exe into 5 bytes");
	ASSERT_STREQ(buf, "/bin", "exe prefix");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 6, "cmdline", buf, sizeof(buf)), 0, "empty cmdline");
	ASSERT_STREQ(buf, "", "empty cmdline text");
	strcpy(buf, "untouched");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 6, "exe", buf, sizeof(buf)), -ENOENT, "no exe link");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 7, "cmdline", buf, sizeof(buf)), -ENOENT, "no pid");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 5, "maps", buf, sizeof(buf)), -EINVAL, "unknown what");
	ASSERT_EQ(pr_procfs_read_at(r.dir, 5, "comm", buf, 0), -EINVAL, "zero length");
	ASSERT_STREQ(buf, "untouched", "buffer untouched on errors");
out:
	fake_free(&r);
}

void test_procfs_stat_uid_at(void)
{
	static const char stat[] = "42 (my (prog))" STAT_TAIL;
	static const char status[] = "Name:\tmy (prog)\nPid:\t42\nPPid:\t7\n"
				     "Uid:\t1000\t1001\t1002\t1003\nGid:\t5\t5\t5\t5\n";
	static const char no_uid[] = "Name:\tx\nPid:\t43\n";
	struct pr_proc_stat st;
	struct fake_root r = { "" };
	uint32_t uid;

	if (!test_mkdtemp(r.dir) || !fake_file(&r, 42, "stat", stat, strlen(stat)) ||
	    !fake_file(&r, 42, "status", status, strlen(status)) ||
	    !fake_file(&r, 43, "stat", "43 (x) S", 8) ||
	    !fake_file(&r, 43, "status", no_uid, strlen(no_uid)))
		goto out;
	memset(&st, 0xa5, sizeof(st));
	if (ASSERT_OK(pr_procfs_stat_at(r.dir, 42, &st), "stat_at")) {
		ASSERT_EQ(st.pid, 42, "pid");
		ASSERT_STREQ(st.comm, "my (prog)", "comm");
		ASSERT_EQ(st.state, 'S', "state");
		ASSERT_EQ(st.ppid, 42, "ppid");
		ASSERT_EQ(st.start_ticks, 98765, "start_ticks");
		ASSERT_EQ(st.uid, 0, "stat_at leaves uid 0");
	}
	uid = 0;
	ASSERT_OK(pr_procfs_uid_at(r.dir, 42, &uid), "uid_at");
	ASSERT_EQ(uid, 1000, "real uid");

	st.pid = 777;
	ASSERT_EQ(pr_procfs_stat_at(r.dir, 43, &st), -EINVAL, "truncated stat");
	ASSERT_EQ(pr_procfs_stat_at(r.dir, 44, &st), -ENOENT, "no process");
	ASSERT_EQ(st.pid, 777, "stat untouched on errors");
	uid = 777;
	ASSERT_EQ(pr_procfs_uid_at(r.dir, 43, &uid), -EINVAL, "no Uid line");
	ASSERT_EQ(pr_procfs_uid_at(r.dir, 44, &uid), -ENOENT, "no status");
	ASSERT_EQ(uid, 777, "uid untouched on errors");
out:
	fake_free(&r);
}

void test_procfs_argv_at(void)
{
	struct fake_root r = { "" };
	char buf[64];

	if (!test_mkdtemp(r.dir) || !fake_file(&r, 1, "cmdline", "a\0b\0\0\0", 6) ||
	    !fake_file(&r, 2, "cmdline", "a\0b", 3) || !fake_file(&r, 3, "cmdline", "\0\0", 2) ||
	    !fake_file(&r, 4, "cmdline", "x\0\0y\0", 5))
		goto out;
	memset(buf, 'z', sizeof(buf));
	ASSERT_EQ(pr_procfs_argv_at(r.dir, 1, buf, sizeof(buf)), 3, "trailing NULs stripped");
	ASSERT_TRUE(!memcmp(buf, "a\0b\0", 4), "words NUL-separated, then a NUL");
	ASSERT_EQ(pr_procfs_argv_at(r.dir, 2, buf, sizeof(buf)), 3, "no trailing NUL");
	ASSERT_TRUE(!memcmp(buf, "a\0b\0", 4), "NUL-terminated");
	ASSERT_EQ(pr_procfs_argv_at(r.dir, 3, buf, sizeof(buf)), 0, "only NULs");
	ASSERT_EQ(pr_procfs_argv_at(r.dir, 4, buf, sizeof(buf)), 4, "an empty word inside stays");
	ASSERT_TRUE(!memcmp(buf, "x\0\0y\0", 5), "empty word");
	/* 2 bytes fit: "a\0", whose trailing NUL goes */
	ASSERT_EQ(pr_procfs_argv_at(r.dir, 1, buf, 3), 1, "short buffer");
	ASSERT_TRUE(!memcmp(buf, "a", 2), "short buffer content");
	ASSERT_EQ(pr_procfs_argv_at(r.dir, 5, buf, sizeof(buf)), -ENOENT, "no process");
out:
	fake_free(&r);
}

void test_procfs_join_args(void)
{
	char buf[16];

	memcpy(buf, "a\0b\0c", 5);
	ASSERT_EQ(pr_procfs_join_args(buf, 5), 5, "length kept");
	ASSERT_STREQ(buf, "a b c", "joined");
	memcpy(buf, "one", 3);
	ASSERT_EQ(pr_procfs_join_args(buf, 3), 3, "one word");
	ASSERT_STREQ(buf, "one", "one word, NUL-terminated");
	memcpy(buf, "\0\0x", 3);
	ASSERT_EQ(pr_procfs_join_args(buf, 3), 3, "empty words");
	ASSERT_STREQ(buf, "  x", "empty words become spaces");
	strcpy(buf, "zzz");
	ASSERT_EQ(pr_procfs_join_args(buf, 0), 0, "nothing");
	ASSERT_STREQ(buf, "", "nothing, NUL-terminated");
}
