// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Command-line parsing, kept free of side effects so unit tests can feed it
 * any argv. Options may come before or after the script name (so that
 * `profrun top.lua -d 5` works); unknown words after the script belong to
 * the script, and `--` hands everything after it to the script.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/types.h>
#include "events.h"
#include "ffi_types.h"
#include "opts.h"

const char pr_opts_usage[] =
	"usage: profrun [options] script.lua [script args...]\n"
	"       profrun [options] -e 'CODE' [script args...]\n"
	"\n"
	"Runs a Lua script against live kernel data: CPU samples, off-CPU time,\n"
	"process exec, fork and exit events. The script defines hooks (on_sample,\n"
	"on_offcpu, on_exec, on_fork, on_exit, on_end, every()) and probes\n"
	"(probe(SPEC, fn)); only the BPF programs those need are loaded.\n"
	"SPEC: u:BINARY:SYMBOL[+OFF] (a user function's entry: e.arg[1..6]),\n"
	"ur:BINARY:SYMBOL (its return: e.retval, e.duration), t:CATEGORY:NAME\n"
	"(a tracepoint: e.args.FIELD), usdt:BINARY:PROVIDER:NAME (a USDT probe),\n"
	"k:FUNC / kr:FUNC (kernel functions, where the kernel has kprobes).\n"
	"BINARY: a path or a library (libc); SYMBOL may be a glob\n"
	"(u:libc:pthread_mutex_*). probe(SPEC, {stack=true, strings={1},\n"
	"count_only=true, sample=N, pid=N}, fn): stacks without frame pointers,\n"
	"C string arguments, counting in the kernel (p:counts()), every Nth hit,\n"
	"one process.\n"
	"\n"
	"options:\n"
	"  -e, --exec CODE  run CODE instead of a script file\n"
	"  -d, --duration DURATION  stop after DURATION (10s, 500ms, 2m, 1h; bare number = s);\n"
	"                   a hard limit: a running hook is interrupted, on_end runs\n"
	"  -p, --pid PID    watch only process PID and its descendants, forked before\n"
	"                   or after attaching (filtered in the kernel, for every\n"
	"                   event); the run ends when PID exits\n"
	"  -c, --cmd CMD    run CMD once everything is attached, watch only it and\n"
	"                   its descendants, stop when it exits; the script sees it\n"
	"                   as target_pid() and how it ended as target_exit(). Shell\n"
	"                   syntax and builtins (exit 7, cd, VAR=x cmd) go through\n"
	"                   sh; a pipeline or list (| ; & &&) runs under sh\n"
	"  --no-children    with -p or -c: that one process, not its descendants\n"
	"  --cgroup PATH    watch only processes in this cgroup v2 directory and below\n"
	"                   (absolute, or relative to the cgroup2 mount)\n"
	"  --container ID   watch only this container (the id proc().container shows;\n"
	"                   a unique prefix of at least 12 hex digits will do)\n"
	"  -F, --freq HZ    sampling frequency per CPU (default 99; overrides sample{hz})\n"
	"  --unwind MODE    user stacks: auto (default: unwind tables, frame pointers\n"
	"                   where a binary has none), fp (frame pointers only), dwarf\n"
	"                   (unwind tables only); overrides sample{unwind}\n"
	"  --kernel-unwind MODE  where unwind tables are walked: on (default: in BPF,\n"
	"                   from tables loaded per binary; a stack copy unwound here\n"
	"                   until they are), off (always copy), only (BPF, no copy),\n"
	"                   verify (both, compared: tests); overrides\n"
	"                   sample{kernel_unwind} and $PROFRUN_KERNEL_UNWIND\n"
	"  --no-inline      one frame per address: no frames for inlined functions\n"
	"                   (source lines stay)\n"
	"  --no-lines       no source lines or inline frames: DWARF is not read\n"
	"                   (saves the memory of decompressed debuginfo)\n"
	"  --no-debuginfod  do not ask the $DEBUGINFOD_URLS servers for debuginfo\n"
	"  --debuginfod-timeout DURATION  how long one debuginfod request may take\n"
	"                   (default 10s); the run's end waits at most that long for\n"
	"                   requests in flight\n"
	"  --keep-going     count errors raised by hooks and continue (default: stop);\n"
	"                   the first errors are shown, the rest counted per hook\n"
	"  --max-memory SIZE  cap the script's Lua heap (default 512M; 0 = no cap);\n"
	"                   at the cap the hook fails, on_end runs, exit 1\n"
	"  --allow-unsafe-script  run a script or module that others can write\n"
	"                   (refused by default), with a warning\n"
	"  --restricted     no ffi, os.execute, io.popen, debug, bytecode, loadlib;\n"
	"                   files may be written only under --write-dir\n"
	"  --write-dir DIR  where a --restricted script may write files\n"
	"  -v, --verbose    debug messages, libbpf's included\n"
	"  -h, --help       this text\n"
	"  -V, --version    print the version\n"
	"  --               the rest of the command line goes to the script\n"
	"\n"
	"Options may also follow the script name; other words after it are the\n"
	"script's arguments (`arg` in Lua).\n"
	"\n"
	"exit codes:\n"
	"  0  the run ended normally (duration, exit(), SIGINT/SIGTERM, the -c command\n"
	"     or -p process ended, whatever its own status: see target_exit())\n"
	"  1  runtime error: BPF could not be loaded (privileges, no BTF), a hook raised\n"
	"     an error, the script memory limit, on_end interrupted, exit(1)\n"
	"  2  usage error: bad option or value, unreadable or unsafe script or module,\n"
	"     Lua syntax error, setup error or budget, no such PID; nothing was loaded\n"
	"\n"
	"A second SIGINT/SIGTERM within 0.3 s is the same stop; during on_end one more\n"
	"Ctrl-C is noted and the next interrupts it (on_end gets at most 10 s after a\n"
	"stop by signal). Setup may run 1000 million Lua instructions.\n"
	"\n"
	"needs root, or CAP_BPF+CAP_PERFMON (on a copy only a trusted group may run:\n"
	"they let it read every process's memory; see README), and a kernel with BTF.\n";

/* The index of s among names[0..n), into *mode; -EINVAL when absent. */
static int parse_name(const char *s, const char *const *names, int n, int *mode)
{
	int i;

	for (i = 0; s && i < n; i++) {
		if (!strcmp(s, names[i])) {
			*mode = i;
			return 0;
		}
	}
	return -EINVAL;
}

int pr_opts_parse_unwind(const char *s, int *mode)
{
	static const char *const names[] = { [PR_UNWIND_AUTO] = "auto",
					     [PR_UNWIND_FP] = "fp",
					     [PR_UNWIND_DWARF] = "dwarf" };

	return parse_name(s, names, sizeof(names) / sizeof(names[0]), mode);
}

int pr_opts_parse_kernel_unwind(const char *s, int *mode)
{
	static const char *const names[] = { [PR_KUNWIND_OFF] = "off",
					     [PR_KUNWIND_ON] = "on",
					     [PR_KUNWIND_ONLY] = "only",
					     [PR_KUNWIND_VERIFY] = "verify" };

	return parse_name(s, names, sizeof(names) / sizeof(names[0]), mode);
}

int pr_opts_parse_uint(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static const struct unit {
	const char *name;
	double ns;
} units[] = {
	{ .name = "ns", .ns = 1 },     { .name = "us", .ns = 1e3 }, { .name = "ms", .ns = 1e6 },
	{ .name = "s", .ns = 1e9 },    { .name = "", .ns = 1e9 },   { .name = "m", .ns = 60e9 },
	{ .name = "h", .ns = 3600e9 },
};

int pr_opts_parse_size(const char *s, uint64_t *bytes)
{
	static const char units[] = "kmgt";
	unsigned long long v;
	const char *u;
	char *end;
	int shift;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end == '\0') {
		*bytes = v;
		return 0;
	}
	u = strchr(units, *end | 0x20);
	if (!u || (end[1] && strcasecmp(end + 1, "b") && strcasecmp(end + 1, "ib")))
		return -EINVAL;
	shift = 10 * (u - units + 1);
	if (v > (~0ull >> shift))
		return -ERANGE;
	*bytes = v << shift;
	return 0;
}

int pr_opts_parse_duration(const char *s, uint64_t *ns)
{
	double v, total;
	char *end;
	size_t i;

	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -EINVAL;
	/* plain decimal only: strtod would also take "0x10" and "1e3" */
	if (s[strspn(s, "0123456789.")] == 'x' || strpbrk(s, "eE"))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].name))
			continue;
		total = v * units[i].ns;
		/* at least 1 ms, at most 30 days */
		if (total < 1e6 || total > 30 * 86400e9)
			return -ERANGE;
		*ns = (uint64_t)total;
		return 0;
	}
	return -EINVAL;
}

enum opt_id {
	OPT_E,
	OPT_D,
	OPT_P,
	OPT_C,
	OPT_F,
	OPT_UNWIND,
	OPT_KEEP,
	OPT_MAXMEM,
	OPT_UNSAFE,
	OPT_RESTRICTED,
	OPT_WRITEDIR,
	OPT_NO_CHILDREN,
	OPT_CGROUP,
	OPT_CONTAINER,
	OPT_KUNWIND,
	OPT_NO_INLINE,
	OPT_NO_LINES,
	OPT_NO_DEBUGINFOD,
	OPT_DI_TIMEOUT,
	OPT_V,
	OPT_H,
	OPT_VERSION
};

static const struct opt_desc {
	char shrt;
	const char *lng;
	bool has_arg;
	enum opt_id id;
} opt_table[] = {
	{ .shrt = 'e', .lng = "exec", .has_arg = true, .id = OPT_E },
	{ .shrt = 'd', .lng = "duration", .has_arg = true, .id = OPT_D },
	{ .shrt = 'p', .lng = "pid", .has_arg = true, .id = OPT_P },
	{ .shrt = 'c', .lng = "cmd", .has_arg = true, .id = OPT_C },
	{ .shrt = 'F', .lng = "freq", .has_arg = true, .id = OPT_F },
	{ .shrt = 0, .lng = "unwind", .has_arg = true, .id = OPT_UNWIND },
	{ .shrt = 0, .lng = "kernel-unwind", .has_arg = true, .id = OPT_KUNWIND },
	{ .shrt = 0, .lng = "no-inline", .has_arg = false, .id = OPT_NO_INLINE },
	{ .shrt = 0, .lng = "no-lines", .has_arg = false, .id = OPT_NO_LINES },
	{ .shrt = 0, .lng = "no-debuginfod", .has_arg = false, .id = OPT_NO_DEBUGINFOD },
	{ .shrt = 0, .lng = "debuginfod-timeout", .has_arg = true, .id = OPT_DI_TIMEOUT },
	{ .shrt = 0, .lng = "keep-going", .has_arg = false, .id = OPT_KEEP },
	{ .shrt = 0, .lng = "max-memory", .has_arg = true, .id = OPT_MAXMEM },
	{ .shrt = 0, .lng = "allow-unsafe-script", .has_arg = false, .id = OPT_UNSAFE },
	{ .shrt = 0, .lng = "restricted", .has_arg = false, .id = OPT_RESTRICTED },
	{ .shrt = 0, .lng = "write-dir", .has_arg = true, .id = OPT_WRITEDIR },
	{ .shrt = 0, .lng = "no-children", .has_arg = false, .id = OPT_NO_CHILDREN },
	{ .shrt = 0, .lng = "cgroup", .has_arg = true, .id = OPT_CGROUP },
	{ .shrt = 0, .lng = "container", .has_arg = true, .id = OPT_CONTAINER },
	{ .shrt = 'v', .lng = "verbose", .has_arg = false, .id = OPT_V },
	{ .shrt = 'h', .lng = "help", .has_arg = false, .id = OPT_H },
	{ .shrt = 'V', .lng = "version", .has_arg = false, .id = OPT_VERSION },
};

/* Finds the option a word names; *val points at an attached value
 * ("-d5", "--duration=5") or is NULL. */
static const struct opt_desc *find_opt(const char *w, const char **val)
{
	size_t i, n;

	*val = NULL;
	for (i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++) {
		const struct opt_desc *d = &opt_table[i];

		if (w[1] == '-') {
			n = strlen(d->lng);
			if (strncmp(w + 2, d->lng, n))
				continue;
			if (w[2 + n] == '\0')
				return d;
			if (w[2 + n] == '=' && d->has_arg) {
				*val = w + 3 + n;
				return d;
			}
			continue;
		}
		if (d->shrt && w[1] == d->shrt) {
			if (w[2] == '\0')
				return d;
			if (d->has_arg) {
				*val = w + 2;
				return d;
			}
		}
	}
	return NULL;
}

static int apply_opt(struct pr_opts *o, const struct opt_desc *d, const char *v, char *err,
		     size_t errlen)
{
	int r = 0;

	switch (d->id) {
	case OPT_E:
		o->code = v;
		break;
	case OPT_D:
		r = pr_opts_parse_duration(v, &o->duration_ns);
		if (r)
			snprintf(
				err, errlen,
				"-d %s: not a duration between 1ms and 30 days; write e.g. 10s, 500ms, 2m",
				v);
		break;
	case OPT_P:
		r = pr_opts_parse_uint(v, 1, 4194304, &o->pid);
		if (r)
			snprintf(err, errlen, "-p %s: not a process id (1..4194304)", v);
		break;
	case OPT_C:
		o->cmd = v;
		if (!*v) {
			snprintf(err, errlen, "-c: empty command");
			r = -EINVAL;
		}
		break;
	case OPT_F:
		r = pr_opts_parse_uint(v, 1, 100000, &o->hz);
		if (r)
			snprintf(err, errlen, "-F %s: not a frequency in Hz (1..100000)", v);
		break;
	case OPT_UNWIND:
		r = pr_opts_parse_unwind(v, &o->unwind);
		if (r)
			snprintf(err, errlen, "--unwind %s: not a mode; use auto, fp or dwarf", v);
		break;
	case OPT_KUNWIND:
		r = pr_opts_parse_kernel_unwind(v, &o->kernel_unwind);
		if (r)
			snprintf(err, errlen,
				 "--kernel-unwind %s: not a mode; use on, off, only or verify", v);
		break;
	case OPT_NO_INLINE:
		o->no_inline = true;
		break;
	case OPT_NO_LINES:
		o->no_lines = true;
		break;
	case OPT_NO_DEBUGINFOD:
		o->no_debuginfod = true;
		break;
	case OPT_DI_TIMEOUT:
		r = pr_opts_parse_duration(v, &o->debuginfod_timeout_ns);
		if (r || o->debuginfod_timeout_ns < 100000000ull ||
		    o->debuginfod_timeout_ns > 3600000000000ull) {
			snprintf(err, errlen,
				 "--debuginfod-timeout %s: not a duration between 100ms and 1h; "
				 "write e.g. 5s",
				 v);
			r = -EINVAL;
		}
		break;
	case OPT_KEEP:
		o->keep_going = true;
		break;
	case OPT_MAXMEM:
		r = pr_opts_parse_size(v, &o->max_memory);
		if (r)
			snprintf(err, errlen,
				 "--max-memory %s: not a size; write e.g. 256M, 2G (0 = no limit)", v);
		else if (!o->max_memory)
			o->unlimited_memory = true;
		else if (o->max_memory < 4ull << 20) {
			snprintf(err, errlen, "--max-memory %s: at least 4M, or 0 for no limit", v);
			r = -ERANGE;
		}
		break;
	case OPT_UNSAFE:
		o->allow_unsafe_script = true;
		break;
	case OPT_RESTRICTED:
		o->restricted = true;
		break;
	case OPT_WRITEDIR:
		o->write_dir = v;
		if (!*v) {
			snprintf(err, errlen, "--write-dir: empty directory name");
			r = -EINVAL;
		}
		break;
	case OPT_NO_CHILDREN:
		o->no_children = true;
		break;
	case OPT_CGROUP:
		o->cgroup = v;
		if (!*v) {
			snprintf(err, errlen, "--cgroup: empty path");
			r = -EINVAL;
		}
		break;
	case OPT_CONTAINER:
		o->container = v;
		if (strlen(v) < 12 || strlen(v) > 64 || strspn(v, "0123456789abcdef") != strlen(v)) {
			snprintf(err, errlen,
				 "--container %s: not a container id; give the 64 hex digits "
				 "proc().container shows, or a prefix of at least 12",
				 v);
			r = -EINVAL;
		}
		break;
	case OPT_V:
		o->verbose = true;
		break;
	case OPT_H:
		o->help = true;
		break;
	case OPT_VERSION:
		o->version = true;
		break;
	}
	return r ? -EINVAL : 0;
}

int pr_opts_parse(int argc, char **argv, struct pr_opts *o, char *err, size_t errlen)
{
	bool rest = false, have_script = false;
	const struct opt_desc *d;
	const char *val;
	int i, r = 0;

	*o = (struct pr_opts){ .args = calloc(argc + 1, sizeof(char *)), .unwind = -1,
			     .kernel_unwind = -1 };
	if (!o->args) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (rest || w[0] != '-' || w[1] == '\0') {
			if (!have_script && !o->code && !rest) {
				o->script = w;
				have_script = true;
			} else {
				o->args[o->nargs++] = argv[i];
			}
			continue;
		}
		if (!strcmp(w, "--")) {
			rest = true;
			continue;
		}
		d = find_opt(w, &val);
		if (!d) {
			if (have_script || o->code) {
				o->args[o->nargs++] = argv[i];
				continue;
			}
			snprintf(err, errlen, "unknown option '%s'; see profrun --help", w);
			r = -EINVAL;
			goto out;
		}
		if (d->has_arg && !val) {
			if (i + 1 >= argc) {
				snprintf(err, errlen,
					 "option '%s' needs a value; see profrun --help", w);
				r = -EINVAL;
				goto out;
			}
			val = argv[++i];
		}
		r = apply_opt(o, d, val, err, errlen);
		if (r)
			goto out;
		/* -e after words: those words were script args, not a script */
		if (d->id == OPT_E && have_script) {
			memmove(o->args + 1, o->args, o->nargs * sizeof(char *));
			o->args[0] = (char *)o->script;
			o->nargs++;
			o->script = NULL;
			have_script = false;
		}
	}
	if (o->help || o->version)
		goto out;
	if (!o->script && !o->code) {
		snprintf(err, errlen,
			 "no script given; usage: profrun [options] script.lua [args...]");
		r = -EINVAL;
	} else if (o->write_dir && !o->restricted) {
		snprintf(err, errlen, "--write-dir is for --restricted scripts; add --restricted");
		r = -EINVAL;
	} else if (o->pid && o->cmd) {
		snprintf(err, errlen,
			 "-p and -c exclude each other: -c profiles the command it starts");
		r = -EINVAL;
	} else if (o->no_children && !o->pid && !o->cmd) {
		snprintf(err, errlen, "--no-children applies to -p or -c; add one of them");
		r = -EINVAL;
	} else if (o->cgroup && o->container) {
		snprintf(err, errlen,
			 "--cgroup and --container exclude each other: a container is a cgroup");
		r = -EINVAL;
	}
out:
	return r;
}

static bool needs_shell(const char *cmd)
{
	return strpbrk(cmd, "|&;<>()$`\\\"'*?[]#~=%{}\n") != NULL;
}

/* One simple command (quotes, globs, variables allowed): the shell can
 * exec it in place, so its PID stays the one profrun filters on. */
static bool single_command(const char *cmd)
{
	const char *p;
	char q = 0;

	for (p = cmd; *p; p++) {
		if (*p == '\\' && q != '\'' && p[1])
			p++;
		else if (q && *p == q)
			q = 0;
		else if (!q && (*p == '\'' || *p == '"'))
			q = *p;
		else if (q != '\'' && (*p == '`' || (*p == '$' && p[1] == '(')))
			return false;
		else if (!q && strchr("|&;()\n", *p))
			return false;
	}
	return true;
}

/* Words only a shell can run: keywords and builtins with no program of
 * the same name (`exit 7`, `cd dir && ...`, `. ./env.sh`). */
static bool shell_word(const char *w, size_t n)
{
	static const char *const words[] = {
		"!",	 "{",	 "}",	  "case",   "for",   "if",	"until", "while", ".",
		":",	 "break", "continue", "eval", "exec", "exit", "export", "readonly",
		"return", "set", "shift", "times", "trap", "unset", "alias", "cd", "command",
		"getopts", "hash", "jobs", "local", "read", "type", "ulimit", "umask",
		"unalias", "wait", "fg",  "bg",
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && !memcmp(words[i], w, n))
			return true;
	return false;
}

/* Length of the shell word at w (quotes and backslashes kept whole). */
static size_t word_len(const char *w)
{
	const char *p = w;
	char q = 0;

	for (; *p && (q || !strchr(" \t", *p)); p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (q && *p == q)
			q = 0;
		else if (!q && (*p == '\'' || *p == '"'))
			q = *p;
	}
	return p - w;
}

static bool assignment(const char *w, size_t n)
{
	size_t i = 0;

	if (!n || !(w[0] == '_' || isalpha((unsigned char)w[0])))
		return false;
	while (i < n && (w[i] == '_' || isalnum((unsigned char)w[i])))
		i++;
	return i < n && w[i] == '=';
}

/* Offset of the command word after leading VAR=value assignments. */
static size_t command_word(const char *cmd, size_t *len)
{
	size_t off = strspn(cmd, " \t"), n;

	for (;;) {
		n = word_len(cmd + off);
		if (!assignment(cmd + off, n))
			break;
		off += n + strspn(cmd + off + n, " \t");
	}
	*len = n;
	return off;
}

char *pr_opts_shell_text(const char *cmd)
{
	size_t n, at = command_word(cmd, &n);
	char *out = NULL;

	if (!needs_shell(cmd) && !shell_word(cmd + at, n))
		return NULL;
	if (!single_command(cmd) || shell_word(cmd + at, n) || !n)
		return strdup(cmd);
	if (asprintf(&out, "%.*sexec %s", (int)at, cmd, cmd + at) < 0)
		return NULL;
	return out;
}

void pr_opts_free(struct pr_opts *o)
{
	if (!o)
		return;
	free(o->args);
	o->args = NULL;
}
