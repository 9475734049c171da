// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Path trust check for scripts and modules: see trust.h for the rule.
 * realpath first, so a symlink is judged by what it points at; then the
 * file and each ancestor are stat'ed. There is a window between this
 * check and the open: closing it would need every component opened with
 * O_NOFOLLOW and checked by fd, and an attacker who cannot write any
 * component (which is what we check) cannot use the window anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "trust.h"

/* 0 if st is safe; else -EPERM with why filled for path. */
static int judge(const char *path, const struct stat *st, bool is_file, uid_t invoker, char *why,
		 size_t len)
{
	if (st->st_uid != 0 && st->st_uid != invoker) {
		snprintf(why, len,
			 "%s is owned by uid %u, not by root or you (uid %u), so its owner "
			 "can change what runs; fix: chown root '%s'",
			 path, (unsigned)st->st_uid, (unsigned)invoker, path);
		return -EPERM;
	}
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	/* others may add names to a sticky directory, not replace ours */
	if (!is_file && (st->st_mode & S_ISVTX))
		return 0;
	snprintf(why, len,
		 "%s is writable by %s (mode %04o), so they can change what runs; "
		 "fix: chmod go-w '%s'",
		 path, st->st_mode & S_IWOTH ? "others" : "its group",
		 (unsigned)(st->st_mode & 07777), path);
	return -EPERM;
}

int pr_trust_check_path(const char *path, uid_t invoker, char *why, size_t len)
{
	char *real = realpath(path, NULL), *slash;
	struct stat st;
	int err;

	if (!real) {
		err = -errno;
		snprintf(why, len, "cannot resolve %s: %s", path, strerror(errno));
		return err;
	}
	if (stat(real, &st)) {
		err = -errno;
		snprintf(why, len, "cannot stat %s: %s", real, strerror(errno));
		goto out;
	}
	err = judge(real, &st, !S_ISDIR(st.st_mode), invoker, why, len);
	/* each ancestor, from the file's directory up to / */
	while (!err && (slash = strrchr(real, '/'))) {
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(real, &st)) {
			err = -errno;
			snprintf(why, len, "cannot stat %s: %s", real, strerror(errno));
			break;
		}
		err = judge(real, &st, false, invoker, why, len);
		if (slash == real)
			break;
	}
out:
	free(real);
	return err;
}

uid_t pr_trust_invoker(void)
{
	const char *s = getenv("SUDO_UID");
	unsigned long v;
	char *end;

	if (getuid() != 0 || !s || *s < '0' || *s > '9')
		return getuid();
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xfffffffeul)
		return getuid();
	return (uid_t)v;
}

int pr_trust_make_dir(const char *dir, mode_t mode, uid_t invoker, char *why, size_t len)
{
	char p[4096], *s;
	struct stat st;
	size_t l = strlen(dir);

	if (l == 0 || l >= sizeof(p)) {
		snprintf(why, len, "'%s': not a directory name", dir);
		return -EINVAL;
	}
	memcpy(p, dir, l + 1);
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, mode) && errno != EEXIST)
			break;
		*s = '/';
	}
	if (mkdir(p, mode) && errno != EEXIST) {
		int err = -errno;

		snprintf(why, len, "cannot make %s: %s", dir, strerror(-err));
		return err;
	}
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(why, len, "%s is not a directory", dir);
		return -EPERM;
	}
	return pr_trust_check_path(dir, invoker, why, len);
}

int pr_trust_open_private(int dirfd, const char *name, struct stat *st)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EPERM;
	if (fstat(fd, st) || !S_ISREG(st->st_mode) || st->st_uid != geteuid() ||
	    (st->st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		return -EPERM;
	}
	return fd;
}
