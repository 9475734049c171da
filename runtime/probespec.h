/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Probe specs (issue 14): what probe("SPEC", fn) names, parsed and
 * checked before anything loads, and the binaries they name found the way
 * the dynamic linker would find them.
 *
 *   u:BINARY:SYMBOL[+OFF]      entry of a user function (SYMBOL may be a glob)
 *   ur:BINARY:SYMBOL           its return
 *   usdt:BINARY:PROVIDER:NAME  a USDT probe
 *   t:CATEGORY:NAME            a kernel tracepoint
 *   k:FUNC[+OFF] / kr:FUNC     a kernel function's entry / return
 *
 * BINARY is a path or a library's short name ("libc", "libpthread",
 * "libc.so.6"). SYMBOL runs to the end of the spec, so C++ names with
 * "::" need no quoting; BINARY is everything before it up to the first
 * ':' after the kind (a path with ':' in it cannot be named).
 */
#ifndef PR_PROBESPEC_H
#define PR_PROBESPEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum pr_probe_kind {
	PR_PROBE_UPROBE,
	PR_PROBE_URETPROBE,
	PR_PROBE_USDT,
	PR_PROBE_TRACEPOINT,
	PR_PROBE_KPROBE,
	PR_PROBE_KRETPROBE,
};

#define PR_PROBE_FIELD 256

struct pr_probe_spec {
	enum pr_probe_kind kind;
	char binary[4096]; /* u, ur, usdt: as written */
	char symbol[PR_PROBE_FIELD]; /* u, ur: symbol or glob; k, kr: function */
	uint64_t offset;	     /* u, k: +OFF */
	char provider[PR_PROBE_FIELD]; /* usdt; t: the category */
	char name[PR_PROBE_FIELD];     /* usdt, t */
};

/* Parses spec into out: 0, or -EINVAL with what is wrong in err. */
int pr_probe_spec_parse(const char *spec, struct pr_probe_spec *out, char *err, size_t errlen);

/* Whether a symbol or function field is a glob (has *, ? or [). */
int pr_probe_is_glob(const char *pattern);

/*
 * The file BINARY names, into path[len]: 0, or -ENOENT with why in err.
 * A name with a '/' is a path; with pid (-p) it is looked up in that
 * process's mount namespace (/proc/PID/root). A short name is, with pid,
 * the library of that name the process has mapped; without, the one
 * ld.so.cache (cache, NULL = /etc/ld.so.cache) lists for it.
 */
int pr_probe_find_binary(const char *binary, pid_t pid, const char *cache, char *path,
			 size_t len, char *err, size_t errlen);

#endif
