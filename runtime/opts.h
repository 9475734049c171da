/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The command line: `profrun [options] script.lua [args...]`. */
#ifndef PR_OPTS_H
#define PR_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pr_opts {
	const char *script; /* path; NULL with -e */
	const char *code;   /* -e CODE */
	char **args;	    /* the script's arguments (owned; pr_opts_free) */
	int nargs;
	uint64_t duration_ns; /* -d; 0 = until exit(), SIGINT or the -c command ends */
	uint32_t pid;	      /* -p; 0 = none */
	const char *cmd;      /* -c */
	bool no_children;     /* --no-children: -p/-c name one process, not a tree */
	const char *cgroup;   /* --cgroup PATH */
	const char *container; /* --container ID (hex, >= 12 digits) */
	uint32_t hz;	      /* -F; 0 = the script's or the default */
	int unwind;	      /* --unwind; -1 = the script's or the default */
	int kernel_unwind;    /* --kernel-unwind; -1 = $PROFRUN_KERNEL_UNWIND, the script's */
	uint64_t max_memory;	      /* --max-memory bytes for the Lua heap; 0 = the default */
	bool unlimited_memory;	      /* --max-memory 0 */
	bool allow_unsafe_script;     /* --allow-unsafe-script */
	bool restricted;	      /* --restricted */
	const char *write_dir;	      /* --write-dir: where a restricted script may write */
	bool no_inline;		      /* --no-inline */
	bool no_lines;		      /* --no-lines */
	bool no_debuginfod;	      /* --no-debuginfod */
	uint64_t debuginfod_timeout_ns; /* --debuginfod-timeout; 0 = the default */
	bool verbose;
	bool keep_going;
	bool help;
	bool version;
};

/* Exit codes, documented in --help and the README. */
enum pr_exit_code { PR_EXIT_OK = 0, PR_EXIT_RUNTIME = 1, PR_EXIT_USAGE = 2 };

/* Parses argv into *o. Returns 0, or -EINVAL with a message in err. Known
 * options after the script name are still profrun's; every other word
 * after it, and everything after `--`, goes to the script. */
int pr_opts_parse(int argc, char **argv, struct pr_opts *o, char *err, size_t errlen);
void pr_opts_free(struct pr_opts *o);

/* "10s", "500ms", "2m", "1.5h", "250us", bare numbers are seconds. */
int pr_opts_parse_duration(const char *s, uint64_t *ns);
/* "auto", "fp" or "dwarf" → enum pr_unwind_mode. */
int pr_opts_parse_unwind(const char *s, int *mode);
/* "off", "on", "only" or "verify" → enum pr_kunwind_mode. */
int pr_opts_parse_kernel_unwind(const char *s, int *mode);
/* "512M", "2G", "64k", bare bytes → bytes. */
int pr_opts_parse_size(const char *s, uint64_t *bytes);
/* A decimal integer in [min, max], nothing else. */
int pr_opts_parse_uint(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/* What -c's /bin/sh -c gets (malloc'd): a simple command is exec'd by the
 * shell in place (`A=1 exec prog args`), so its PID is still the target; a
 * builtin, a pipeline or a list runs as written. NULL: no shell needed,
 * exec the words directly. */
char *pr_opts_shell_text(const char *cmd);

extern const char pr_opts_usage[];

#endif
