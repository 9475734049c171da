/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Readers and parsers of /proc/PID files. A process may vanish between
 * any two reads: every function returns -errno (usually -ENOENT or -ESRCH)
 * and leaves its output untouched rather than half-written. */
#ifndef PR_PROCFS_H
#define PR_PROCFS_H

#include <stddef.h>
#include "ffi.h"

/* Parses the text of /proc/PID/stat; comm may hold spaces and ')'. */
int pr_procfs_parse_stat(const char *buf, size_t len, struct pr_proc_stat *out);
/* Reads /proc/PID/stat and the real uid from /proc/PID/status. */
int pr_procfs_read_stat(unsigned pid, struct pr_proc_stat *out);
/* what: "exe", "cwd" (link targets), "cmdline" (args joined by spaces),
 * "comm". Returns the length written to buf (NUL-terminated). */
int pr_procfs_read(unsigned pid, const char *what, char *buf, size_t len);
/* Reads a whole small file into buf (NUL-terminated); returns its length. */
int pr_procfs_slurp(const char *path, char *buf, size_t len);

#endif
