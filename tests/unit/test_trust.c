// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* runtime/trust.c on files and directories built in a temporary
 * directory: modes, sticky directories, symlinks, and (as root) owners. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"
#include "trust.h"

#define NOBODY 65534

/* path is checked for invoker: want 0 or an errno; on refusal, why must
 * name bad (the unsafe path) and contain fix */
static void check(const char *path, uid_t invoker, int want, const char *bad, const char *fix,
		  const char *what)
{
	char why[1024] = "";
	int err = pr_trust_check_path(path, invoker, why, sizeof(why));

	if (!ASSERT_EQ(err, want, what) || !want)
		return;
	if (bad)
		ASSERT_TRUE(strstr(why, bad), what);
	if (fix)
		ASSERT_TRUE(strstr(why, fix), what);
}

static bool make(const char *path, mode_t mode)
{
	FILE *f = fopen(path, "we");

	if (!ASSERT_TRUE(f, path))
		return false;
	fputs("return 1\n", f);
	fclose(f);
	return ASSERT_OK(chmod(path, mode), path);
}

void test_trust_path(void)
{
	char dir[64], why[1024], p[8][320] = { "" };
	uid_t me = getuid();
	int i;

	if (!test_mkdtemp(dir))
		return;
	if (pr_trust_check_path(dir, me, why, sizeof(why))) {
		test__skip("the temporary directory itself is not safe here");
		goto out;
	}
	snprintf(p[0], sizeof(p[0]), "%s/safe.lua", dir);
	snprintf(p[1], sizeof(p[1]), "%s/ww.lua", dir);
	snprintf(p[2], sizeof(p[2]), "%s/gw.lua", dir);
	snprintf(p[3], sizeof(p[3]), "%s/open", dir);
	snprintf(p[4], sizeof(p[4]), "%s/open/s.lua", dir);
	snprintf(p[5], sizeof(p[5]), "%s/sticky", dir);
	snprintf(p[6], sizeof(p[6]), "%s/sticky/s.lua", dir);
	snprintf(p[7], sizeof(p[7]), "%s/link.lua", dir);
	if (!make(p[0], 0644) || !make(p[1], 0646) || !make(p[2], 0664))
		goto out;
	if (!ASSERT_OK(mkdir(p[3], 0777) || chmod(p[3], 0777), "mkdir open") ||
	    !ASSERT_OK(mkdir(p[5], 0777) || chmod(p[5], 01777), "mkdir sticky") ||
	    !make(p[4], 0644) || !make(p[6], 0644) || !ASSERT_OK(symlink(p[1], p[7]), "symlink"))
		goto out;

	check(p[0], me, 0, NULL, NULL, "safe file");
	check(p[1], me, -EPERM, p[1], "chmod go-w", "world-writable file");
	check(p[2], me, -EPERM, "writable by its group", "chmod go-w", "group-writable file");
	check(p[4], me, -EPERM, p[3], "chmod go-w", "safe file in a world-writable dir");
	check(p[6], me, 0, NULL, NULL, "safe file in a sticky world-writable dir");
	check(p[7], me, -EPERM, p[1], "chmod go-w", "symlink judged by its target");
	check(p[3], me, -EPERM, p[3], NULL, "world-writable dir itself");
	check(p[5], me, 0, NULL, NULL, "sticky dir itself");
	if (ASSERT_OK(chmod(p[6], 0666), "chmod"))
		check(p[6], me, -EPERM, p[6], "chmod go-w", "sticky dir does not save the file");
	check("/nonexistent/profrun/x.lua", me, -ENOENT, NULL, NULL, "missing file");
	check("/", me, 0, NULL, NULL, "root");

	if (me == 0) {
		/* a file another user owns is theirs to change; the invoker's is fine */
		if (ASSERT_OK(chown(p[0], NOBODY, -1), "chown nobody")) {
			check(p[0], 0, -EPERM, "owned by uid 65534", "chown root",
			      "file owned by nobody, root invokes");
			check(p[0], NOBODY, 0, NULL, NULL, "file owned by the invoker");
		}
		/* and so is a directory on the way */
		if (ASSERT_OK(chown(p[5], NOBODY, -1), "chown sticky"))
			check(p[5], 0, -EPERM, p[5], "chown root", "dir owned by nobody");
	}
out:
	for (i = 7; i >= 0; i--) {
		if (i == 3 || i == 5)
			rmdir(p[i]);
		else
			unlink(p[i]);
	}
	rmdir(dir);
}

/* Under sudo the invoker is the user who ran it: their script is theirs. */
void test_trust_invoker(void)
{
	char *saved = getenv("SUDO_UID") ? strdup(getenv("SUDO_UID")) : NULL;

	unsetenv("SUDO_UID");
	ASSERT_EQ(pr_trust_invoker(), getuid(), "no sudo: the real uid");
	setenv("SUDO_UID", "1234", 1);
	ASSERT_EQ(pr_trust_invoker(), getuid() == 0 ? 1234 : getuid(), "sudo: SUDO_UID (as root)");
	setenv("SUDO_UID", "12x", 1);
	ASSERT_EQ(pr_trust_invoker(), getuid(), "a bad SUDO_UID is ignored");
	setenv("SUDO_UID", "4294967295", 1);
	ASSERT_EQ(pr_trust_invoker(), getuid(), "(uid_t)-1 is ignored");
	if (saved)
		setenv("SUDO_UID", saved, 1);
	else
		unsetenv("SUDO_UID");
	free(saved);
}

/* A directory profrun makes for itself (the export spool, the BTF cache):
 * parents made with the mode asked for, an existing one judged like any
 * path, a file in the way refused. */
void test_trust_make_dir(void)
{
	char dir[64], why[1024], deep[160], open[160], file[160];
	uid_t me = getuid();
	struct stat st;

	if (!test_mkdtemp(dir))
		return;
	if (pr_trust_check_path(dir, me, why, sizeof(why))) {
		test__skip("the temporary directory itself is not safe here");
		rmdir(dir);
		return;
	}
	snprintf(deep, sizeof(deep), "%s/a/b/spool", dir);
	snprintf(open, sizeof(open), "%s/open", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	ASSERT_EQ(pr_trust_make_dir(deep, 0700, me, why, sizeof(why)), 0, "made with parents");
	if (ASSERT_OK(stat(deep, &st), "stat spool"))
		ASSERT_EQ(st.st_mode & 07777, 0700, "mode 0700");
	ASSERT_EQ(pr_trust_make_dir(deep, 0700, me, why, sizeof(why)), 0, "exists: fine");
	if (ASSERT_OK(mkdir(open, 0700) || chmod(open, 0777), "mkdir open")) {
		ASSERT_EQ(pr_trust_make_dir(open, 0700, me, why, sizeof(why)), -EPERM,
			  "world-writable: refused");
		ASSERT_TRUE(strstr(why, "chmod go-w"), "says the fix");
	}
	if (make(file, 0644)) {
		ASSERT_EQ(pr_trust_make_dir(file, 0700, me, why, sizeof(why)), -EPERM, "a file");
		ASSERT_TRUE(strstr(why, "not a directory"), "says so");
	}
	unlink(file);
	rmdir(open);
	rmdir(deep);
	snprintf(deep, sizeof(deep), "%s/a/b", dir);
	rmdir(deep);
	snprintf(deep, sizeof(deep), "%s/a", dir);
	rmdir(deep);
	rmdir(dir);
}
