// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * /proc readers. The files belong to other users' processes, so every
 * parser is bounded by the bytes actually read and accepts truncated or
 * odd input without reading past it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "procfs.h"

int pr_procfs_slurp(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd, err = 0;

	if (len == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < len - 1) {
		n = read(fd, buf + total, len - 1 - total);
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	if (err)
		return err;
	buf[total] = '\0';
	return total;
}

/* Skips n space-separated fields; NULL when the text ends first. */
static const char *skip_fields(const char *p, const char *end, int n)
{
	while (n-- > 0) {
		while (p < end && *p != ' ')
			p++;
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			return NULL;
	}
	return p;
}

static unsigned long long field_ull(const char *p, const char *end)
{
	unsigned long long v = 0;

	while (p < end && *p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	return v;
}

int pr_procfs_parse_stat(const char *buf, size_t len, struct pr_proc_stat *out)
{
	const char *end = buf + len, *open_p, *close_p = NULL, *p;
	struct pr_proc_stat st = { 0 };
	size_t clen;

	open_p = memchr(buf, '(', len);
	if (!open_p)
		return -EINVAL;
	/* comm is whatever lies between the first '(' and the last ')' */
	for (p = end; p > open_p; p--) {
		if (p[-1] == ')') {
			close_p = p - 1;
			break;
		}
	}
	if (!close_p)
		return -EINVAL;
	st.pid = field_ull(buf, open_p);
	clen = close_p - open_p - 1;
	if (clen >= sizeof(st.comm))
		clen = sizeof(st.comm) - 1;
	memcpy(st.comm, open_p + 1, clen);
	/* after ") ": state is field 3, ppid 4, starttime 22 */
	p = close_p + 1;
	while (p < end && *p == ' ')
		p++;
	if (p >= end)
		return -EINVAL;
	st.state = *p;
	p = skip_fields(p, end, 1);
	if (!p)
		return -EINVAL;
	st.ppid = field_ull(p, end);
	p = skip_fields(p, end, 18);
	if (!p || *p < '0' || *p > '9')
		return -EINVAL;
	st.start_ticks = field_ull(p, end);
	/* startstack, field 28: hidden (0) from those who may not ptrace */
	p = skip_fields(p, end, 6);
	if (p && *p >= '0' && *p <= '9')
		st.start_stack = field_ull(p, end);
	*out = st;
	return 0;
}

static int path_of(char *buf, size_t len, const char *root, unsigned pid, const char *file)
{
	int n = snprintf(buf, len, "%s/%u/%s", root, pid, file);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pr_procfs_uid_at(const char *root, unsigned pid, uint32_t *uid)
{
	char path[PR_PROCFS_PATH], buf[4096], *p;
	int n;

	n = path_of(path, sizeof(path), root, pid, "status");
	n = n ?: pr_procfs_slurp(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	p = strstr(buf, "\nUid:");
	if (!p)
		return -EINVAL;
	*uid = strtoul(p + 5, NULL, 10);
	return 0;
}

int pr_procfs_stat_at(const char *root, unsigned pid, struct pr_proc_stat *out)
{
	char path[PR_PROCFS_PATH], buf[1024];
	int n;

	n = path_of(path, sizeof(path), root, pid, "stat");
	n = n ?: pr_procfs_slurp(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	return pr_procfs_parse_stat(buf, n, out);
}

int pr_procfs_read_stat(unsigned pid, struct pr_proc_stat *out)
{
	struct pr_proc_stat st;
	int err;

	err = pr_procfs_stat_at("/proc", pid, &st);
	err = err ?: pr_procfs_uid_at("/proc", pid, &st.uid);
	if (!err)
		*out = st;
	return err;
}

static int read_link(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/* argv as NUL-separated words, without the trailing NULs */
static int read_argv(const char *path, char *buf, size_t len)
{
	int n = pr_procfs_slurp(path, buf, len);

	if (n < 0)
		return n;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	buf[n] = '\0';
	return n;
}

/* The path of the cgroup v2 hierarchy: the "0::" line of /proc/PID/cgroup. */
static int read_cgroup(const char *path, char *buf, size_t len)
{
	char text[4096], *line;
	int n = pr_procfs_slurp(path, text, sizeof(text));

	if (n < 0)
		return n;
	for (line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, "0::", 3))
			continue;
		line += 3;
		n = strcspn(line, "\n");
		if ((size_t)n >= len)
			return -ENAMETOOLONG;
		memcpy(buf, line, n);
		buf[n] = '\0';
		return n;
	}
	return -ENOENT;
}

int pr_procfs_join_args(char *buf, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return n;
}

int pr_procfs_read_at(const char *root, unsigned pid, const char *what, char *buf, size_t len)
{
	char path[PR_PROCFS_PATH];
	int n;

	if (len == 0)
		return -EINVAL;
	n = path_of(path, sizeof(path), root, pid, what);
	if (n)
		return n;
	if (!strcmp(what, "exe") || !strcmp(what, "cwd"))
		return read_link(path, buf, len);
	if (!strcmp(what, "cmdline")) {
		n = read_argv(path, buf, len);
		return n < 0 ? n : pr_procfs_join_args(buf, n);
	}
	if (!strcmp(what, "environ"))
		return pr_procfs_slurp(path, buf, len);
	if (!strcmp(what, "cgroup"))
		return read_cgroup(path, buf, len);
	if (!strcmp(what, "comm")) {
		n = pr_procfs_slurp(path, buf, len);
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		return n;
	}
	return -EINVAL;
}

int pr_procfs_argv_at(const char *root, unsigned pid, char *buf, size_t len)
{
	char path[PR_PROCFS_PATH];
	int err = path_of(path, sizeof(path), root, pid, "cmdline");

	return err ?: read_argv(path, buf, len);
}

int pr_procfs_ns_at(const char *root, unsigned pid, const char *ns, uint32_t *inum)
{
	char path[PR_PROCFS_PATH], link[64], *open_b;
	int n;

	n = snprintf(path, sizeof(path), "%s/%u/ns/%s", root, pid, ns);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	n = read_link(path, link, sizeof(link));
	if (n < 0)
		return n;
	/* "mnt:[4026531841]" */
	open_b = strchr(link, '[');
	if (!open_b || open_b[1] < '0' || open_b[1] > '9')
		return -EINVAL;
	*inum = strtoul(open_b + 1, NULL, 10);
	return 0;
}

int pr_procfs_read(unsigned pid, const char *what, char *buf, size_t len)
{
	if (strcmp(what, "exe") && strcmp(what, "cwd") && strcmp(what, "cmdline") &&
	    strcmp(what, "comm"))
		return -EINVAL;
	return pr_procfs_read_at("/proc", pid, what, buf, len);
}
