// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc readers: runtime/procfs.c on literal stat lines and on live pids. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
