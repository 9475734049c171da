/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Readers and parsers of /proc/PID files. A process may vanish between
 * any two reads: every function returns -errno (usually -ENOENT or -ESRCH)
 * and leaves its output untouched rather than half-written. */
#ifndef PR_PROCFS_H
#define PR_PROCFS_H

#include <stddef.h>
#include <stdint.h>

/* What /proc/PID/stat (and status, for uid) says of a process. */
struct pr_proc_stat {
	uint32_t pid;
	uint32_t ppid;
	uint32_t uid;
	uint64_t start_ticks; /* field 22 of /proc/PID/stat, clock ticks since boot */
	uint64_t start_stack; /* field 28: the main thread's stack top (0: not shown) */
	char state;
	char comm[16];
};

/* Parses the text of /proc/PID/stat; comm may hold spaces and ')'. */
int pr_procfs_parse_stat(const char *buf, size_t len, struct pr_proc_stat *out);
/* Reads /proc/PID/stat and the real uid from /proc/PID/status. */
int pr_procfs_read_stat(unsigned pid, struct pr_proc_stat *out);
/* what: "exe", "cwd" (link targets), "cmdline" (args joined by spaces),
 * "comm". Returns the length written to buf (NUL-terminated). */
int pr_procfs_read(unsigned pid, const char *what, char *buf, size_t len);
/* Reads a whole small file into buf (NUL-terminated); returns its length. */
int pr_procfs_slurp(const char *path, char *buf, size_t len);

/* Longest path these readers build under a procfs root. */
#define PR_PROCFS_PATH 512

/* The same readers under another procfs root (tests use a fake tree).
 * what adds "environ" (raw, NUL-separated) and "cgroup" (the v2 path). */
int pr_procfs_read_at(const char *root, unsigned pid, const char *what, char *buf, size_t len);
/* /proc/PID/stat alone (uid is left 0). */
int pr_procfs_stat_at(const char *root, unsigned pid, struct pr_proc_stat *out);
/* The real uid from /proc/PID/status. */
int pr_procfs_uid_at(const char *root, unsigned pid, uint32_t *uid);
/* argv as NUL-separated words (no trailing NUL counted); returns the length. */
int pr_procfs_argv_at(const char *root, unsigned pid, char *buf, size_t len);
/* Turns n bytes of NUL-separated words into one space-separated string. */
int pr_procfs_join_args(char *buf, int n);
/* The inode of namespace ns ("mnt", "pid") from the /proc/PID/ns link. */
int pr_procfs_ns_at(const char *root, unsigned pid, const char *ns, uint32_t *inum);

#endif
