/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Is a file safe to run as the invoking user (often root)? Scripts and the
 * modules they require are code: if someone else can change them, or the
 * directory they sit in, that someone runs code as us. The rule is the one
 * sudo, cron and ssh apply: the file and every directory up to / are owned
 * by root or the invoker and are not writable by group or others. A
 * directory writable by others is fine only when sticky (/tmp): there only
 * the owner of a name may replace it, and the file itself is checked. A
 * group-writable path is unsafe even when its group is root (gid 0 is not
 * uid 0: members of group root are not root).
 */
#ifndef PR_TRUST_H
#define PR_TRUST_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* 0 if path (symlinks followed) is safe for invoker; -EPERM if not, or
 * -errno if it cannot be checked. On error, why says which path is unsafe
 * and how to fix it. */
int pr_trust_check_path(const char *path, uid_t invoker, char *why, size_t len);
/* Who invoked profrun: the real uid, or under sudo (root with SUDO_UID
 * set) the user who ran sudo, whose own scripts are theirs to run. Only
 * someone who can already run profrun as root can set SUDO_UID for it. */
uid_t pr_trust_invoker(void);
/* dir, made if missing (with its parents, mode for those made), and safe
 * for invoker as above: 0, or -errno with why. */
int pr_trust_make_dir(const char *dir, mode_t mode, uid_t invoker, char *why, size_t len);

/* Opens name (relative to dirfd, or AT_FDCWD) read-only: a cache file
 * root may hand to a parser or the kernel, so a regular file owned by the
 * effective user and writable by nobody else, not a symlink, judged by
 * the open file (its name cannot be swapped after the check). An fd, with
 * *st filled; -ENOENT when there is none; -EPERM when it is not such a
 * file or cannot be opened. */
int pr_trust_open_private(int dirfd, const char *name, struct stat *st);

#endif
