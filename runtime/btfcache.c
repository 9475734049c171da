// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The minimal-BTF cache (btfcache.h). Building it takes bpftool, which
 * has the CO-RE matching libbpf keeps private (gen min_core_btf); without
 * bpftool, or with a cache that cannot be trusted, profrun uses the
 * kernel's BTF as before, only slower to start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "btfcache.h"
#include "buildid.h"
#include "fileio.h"
#include "trust.h"

#define KERNEL_NOTES "/sys/kernel/notes"
#define KERNEL_BTF "/sys/kernel/btf/vmlinux"
#define MAX_OBJECTS 8
#define MAX_BTF_BYTES (4u << 20)

/* The running kernel's build-id, as hex: its BTF was made from the same
 * build, so the id names the BTF too. */
static int kernel_buildid(char *hex, size_t len)
{
	char notes[4096];
	ssize_t n;
	int fd = open(KERNEL_NOTES, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, notes, sizeof(notes));
	close(fd);
	if (n <= 0)
		return -ENOENT;
	return pr_buildid_from_notes(notes, n, hex, len) > 0 ? 0 : -ENOENT;
}

/* The objects' bytes, a word at a time (a byte at a time, the 465 KB of
 * objects took 0.5 ms of every start): another profrun build, another
 * file. */
static uint64_t objects_hash(const struct pr_btf_object *objs, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull, w;
	size_t i, k;

	for (i = 0; i < n; i++) {
		const uint8_t *p = objs[i].elf;

		for (k = 0; k + 8 <= objs[i].size; k += 8) {
			memcpy(&w, p + k, 8);
			h = (h ^ w) * 0x9e3779b97f4a7c15ull;
			h ^= h >> 29;
		}
		for (; k < objs[i].size; k++)
			h = (h ^ p[k]) * 0x100000001b3ull;
		h = (h ^ objs[i].size) * 0x9e3779b97f4a7c15ull;
	}
	return h;
}

/* dir, made if missing (with its parents), and trusted. */
static int trusted_dir(const char *dir, char *why, size_t whylen)
{
	char twhy[512];
	int err;

	if (dir[0] != '/') {
		snprintf(why, whylen, "the BTF cache directory must be an absolute path");
		return -EINVAL;
	}
	err = pr_trust_make_dir(dir, 0755, geteuid(), twhy, sizeof(twhy));
	if (err == -EPERM)
		snprintf(why, whylen, "%s is not a directory only uid %u may write: not used (%s)",
			 dir, geteuid(), twhy);
	else if (err)
		snprintf(why, whylen, "%s", twhy);
	return err;
}

/* A cached file fit to use: ours, private, of a sane size, and BTF that
 * libbpf parses. 0, -ENOENT (none), -EPERM (not trusted: left alone),
 * -EINVAL (corrupt: the caller removes it). */
static int check_file(const char *path)
{
	struct stat st;
	struct btf *b;
	int fd = pr_trust_open_private(AT_FDCWD, path, &st);

	if (fd < 0)
		return fd;
	close(fd);
	if (st.st_size < 24 || st.st_size > MAX_BTF_BYTES)
		return -EINVAL;
	b = btf__parse(path, NULL);
	if (libbpf_get_error(b) || !b)
		return -EINVAL;
	btf__free(b);
	return 0;
}

/* bpftool from PROFRUN_BPFTOOL, PATH or the sbin directories. */
static int find_bpftool(char *out, size_t len)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/local/sbin" };
	const char *env = getenv("PROFRUN_BPFTOOL"), *path = getenv("PATH");
	char buf[4096], *tok, *save = NULL;
	size_t i;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, X_OK) ? -ENOENT : 0;
	}
	snprintf(buf, sizeof(buf), "%s", path ? path : "");
	for (tok = strtok_r(buf, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		if (tok[0] != '/')
			continue; /* a relative PATH entry would run what the cwd holds */
		snprintf(out, len, "%s/bpftool", tok);
		if (!access(out, X_OK))
			return 0;
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(out, len, "%s/bpftool", dirs[i]);
		if (!access(out, X_OK))
			return 0;
	}
	return -ENOENT;
}

/* Runs argv (argv[0] a path), quietly; 0 when it exits 0. */
static int run_quiet(char *const argv[])
{
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

/* bpftool gen min_core_btf over the objects, written to temporary files
 * in dir, into final (atomically: a reader never sees half a file). */
static int build(const char *dir, const struct pr_btf_object *objs, size_t n, const char *final,
		 char *why, size_t whylen)
{
	char tool[4096], out[4200], objpath[MAX_OBJECTS][4200];
	char *argv[5 + MAX_OBJECTS + 1];
	size_t i, made = 0;
	int fd, r;

	if (find_bpftool(tool, sizeof(tool))) {
		snprintf(why, whylen, "no bpftool to build the minimal BTF (apt-get install "
			 "bpftool, or set PROFRUN_BPFTOOL)");
		return -ENOENT;
	}
	snprintf(out, sizeof(out), "%s/.btf-XXXXXX", dir);
	fd = mkstemp(out);
	if (fd < 0) {
		snprintf(why, whylen, "cannot write in %s: %s", dir, strerror(errno));
		return -errno;
	}
	close(fd);
	argv[0] = tool;
	argv[1] = "gen";
	argv[2] = "min_core_btf";
	argv[3] = KERNEL_BTF;
	argv[4] = out;
	r = 0;
	for (i = 0; i < n && !r; i++) {
		snprintf(objpath[i], sizeof(objpath[i]), "%s/.obj-XXXXXX", dir);
		fd = mkstemp(objpath[i]);
		if (fd < 0) {
			r = -errno;
			break;
		}
		made++;
		r = pr_write_all(fd, objs[i].elf, objs[i].size);
		close(fd);
		argv[5 + i] = objpath[i];
	}
	argv[5 + n] = NULL;
	if (!r) {
		r = run_quiet(argv);
		if (r)
			snprintf(why, whylen, "%s gen min_core_btf failed", tool);
	}
	for (i = 0; i < made; i++)
		unlink(objpath[i]);
	if (!r && (chmod(out, 0644) || check_file(out))) {
		snprintf(why, whylen, "bpftool made no usable BTF");
		r = -EINVAL;
	}
	if (!r && rename(out, final)) {
		snprintf(why, whylen, "cannot rename into %s: %s", final, strerror(errno));
		r = -errno;
	}
	if (r)
		unlink(out);
	return r;
}

/* After a build: files of other kernels (an upgrade leaves the old one
 * behind) and temporaries an interrupted build left over an hour ago. */
static void prune(const char *dir, const char *id)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	size_t l;

	if (!d)
		return;
	while ((e = readdir(d))) {
		l = strlen(e->d_name);
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode) ||
		    st.st_uid != geteuid())
			continue;
		if ((!strncmp(e->d_name, ".btf-", 5) || !strncmp(e->d_name, ".obj-", 5)) &&
		    st.st_mtime < time(NULL) - 3600)
			unlinkat(dirfd(d), e->d_name, 0);
		else if (l > 4 && !strcmp(e->d_name + l - 4, ".btf") && e->d_name[0] != '.' &&
			 strncmp(e->d_name, id, strlen(id)))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

int pr_btfcache_get(const char *dir, const struct pr_btf_object *objs, size_t n, char *path,
		    size_t len, int *built, char *why, size_t whylen)
{
	char id[PR_BUILDID_HEX];
	int r;

	*built = 0;
	if (n > MAX_OBJECTS)
		return -E2BIG;
	r = kernel_buildid(id, sizeof(id));
	if (r) {
		snprintf(why, whylen, "the kernel has no build-id in %s to key the BTF cache by",
			 KERNEL_NOTES);
		return r;
	}
	r = trusted_dir(dir, why, whylen);
	if (r)
		return r;
	if ((size_t)snprintf(path, len, "%s/%s-%016llx.btf", dir, id,
			     (unsigned long long)objects_hash(objs, n)) >= len)
		return -ENAMETOOLONG;
	r = check_file(path);
	if (!r)
		return 0;
	if (r == -EPERM) {
		snprintf(why, whylen, "%s is not a private file of uid %u: not used", path,
			 geteuid());
		return r;
	}
	if (r == -EINVAL)
		unlink(path); /* corrupt or truncated: made again */
	r = build(dir, objs, n, path, why, whylen);
	*built = !r;
	if (!r)
		prune(dir, id);
	return r;
}
