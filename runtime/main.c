// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * profrun: command line, checks, wiring and exit codes. The order is the
 * design's: parse, run the script's setup (no BPF yet: a broken script or
 * bad option costs nothing), check privileges and BTF, start the -c
 * command held on a pipe, load and attach in plan order, release the
 * command, run the loop; then detach, drain, on_end, report drops.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "aggregate.h"
#include "bpfsym.h"
#include "btfcache.h"
#include "dwarfcache.h"
#include "clock.h"
#include "debuginfod.h"
#include "elfsym.h"
#include "ksymfeed.h"
#include "ksym.h"
#include "kunwind.h"
#include "python.h"
#include "export.h"
#include "log.h"
#include "loop.h"
#include "maps.h"
#include "opts.h"
#include "perfmap.h"
#include "proc.h"
#include "probes.h"
#include "procfs.h"
#include "providers.h"
#include "rt.h"
#include "script.h"
#include "stacks.h"
#include "stats.h"
#include "target.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (pr_log_level() < PR_LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

/* 0 when this process may load BPF and open perf events; else prints
 * which capabilities are missing. */
static int check_privileges(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };
	bool bpf, perfmon;

	if (syscall(SYS_capget, &h, d))
		return 0; /* cannot tell: let the load say */
	if (has_cap(d, CAP_SYS_ADMIN))
		return 0;
	bpf = has_cap(d, CAP_BPF);
	perfmon = has_cap(d, CAP_PERFMON);
	if (bpf && perfmon)
		return 0;
	/* never suggest setcap on a binary everyone may run: with these
	 * capabilities and Lua FFI, any user could read every process */
	pr_err("profrun needs root or CAP_BPF+CAP_PERFMON to load BPF programs: missing %s%s%s "
	       "(uid %u); run it as root (sudo), or have an admin make a copy only a trusted "
	       "group may run: CAP_BPF+CAP_PERFMON let it read any process's memory and "
	       "arguments, and profrun runs arbitrary Lua with FFI, so whoever can run that "
	       "copy can read everything: groupadd profrun; install -o root -g profrun "
	       "-m 0750 profrun /usr/local/bin/profrun-cap; setcap cap_bpf,cap_perfmon+ep "
	       "/usr/local/bin/profrun-cap (see README, Requirements)",
	       bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON",
	       getuid());
	return -EPERM;
}

static int check_btf(struct pr_plan_cfg *cfg)
{
	const char *custom = getenv("PROFRUN_VMLINUX_BTF");
	const char *path = custom ? custom : "/sys/kernel/btf/vmlinux";

	if (access(path, R_OK)) {
		pr_err("kernel has no BTF at %s: %s; profrun's BPF programs (CO-RE) need a kernel "
		       "built with CONFIG_DEBUG_INFO_BTF=y (or set PROFRUN_VMLINUX_BTF to its BTF file)",
		       path, strerror(errno));
		return -ENOENT;
	}
	cfg->btf_path = custom;
	return 0;
}

/* The minimal BTF of profrun's objects for this kernel, from the cache
 * (built on first use): libbpf then relocates against a few KiB instead of
 * parsing the kernel's whole BTF for every object. Without it (no bpftool,
 * PROFRUN_BTF_CACHE=off, an untrusted directory) the kernel's BTF serves,
 * as it does when PROFRUN_VMLINUX_BTF names another. */
static void use_btf_cache(struct pr_plan_cfg *cfg)
{
	static char path[4096];
	const char *dir = getenv("PROFRUN_BTF_CACHE");
	struct pr_btf_object objs[PR_OBJ_MAX];
	char why[512];
	size_t n;
	int built;

	if (cfg->btf_path || (dir && !strcmp(dir, "off")))
		return;
	n = pr_plan_objects(objs, PR_OBJ_MAX);
	if (pr_btfcache_get(dir && *dir ? dir : PR_BTFCACHE_DIR, objs, n, path, sizeof(path),
			    &built, why, sizeof(why))) {
		pr_info("minimal BTF cache not used (%s): libbpf reads the kernel's BTF", why);
		return;
	}
	pr_info("kernel BTF: %s minimal BTF %s", built ? "built" : "cached", path);
	cfg->btf_path = path;
	cfg->btf_minimal = true;
}

/* The child end of -c: waits for the go byte, then execs the command. An
 * exec failure is written to err_fd (close-on-exec, so a successful exec
 * writes nothing) for the parent to turn into a non-zero exit. */
static void run_held_child(int go_fd, int err_fd, const char *cmd)
{
	char *argv[64], *copy, *tok, *save = NULL, *shell_cmd, c;
	sigset_t none;
	int n = 0, e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	if (read(go_fd, &c, 1) != 1)
		_exit(127); /* profrun failed before attaching: never run */
	close(go_fd);
	copy = strdup(cmd);
	shell_cmd = pr_opts_shell_text(cmd);
	if (!copy || shell_cmd) {
		execl("/bin/sh", "sh", "-c", shell_cmd ? shell_cmd : cmd, (char *)NULL);
	} else {
		for (tok = strtok_r(copy, " \t", &save); tok && n < 63;
		     tok = strtok_r(NULL, " \t", &save))
			argv[n++] = tok;
		argv[n] = NULL;
		if (n)
			execvp(argv[0], argv);
	}
	e = errno;
	fprintf(stderr, "profrun: -c: cannot run '%s': %s\n", cmd, strerror(e));
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

static int spawn_held(const char *cmd, pid_t *pid, int *go_fd, int *pidfd, int *err_fd)
{
	int p[2], e[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	if (pipe2(e, O_CLOEXEC)) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	*pid = fork();
	if (*pid < 0) {
		close(p[0]);
		close(p[1]);
		close(e[0]);
		close(e[1]);
		return -errno;
	}
	if (*pid == 0) {
		close(p[1]);
		close(e[0]);
		run_held_child(p[0], e[1], cmd);
	}
	close(p[0]);
	close(e[1]);
	*go_fd = p[1];
	*err_fd = e[0];
	*pidfd = syscall(SYS_pidfd_open, *pid, 0);
	return *pidfd < 0 ? -errno : 0;
}

/* True when the -c command could not be executed; closes err_fd. */
static bool exec_failed(int err_fd)
{
	int e = 0;
	bool failed;

	if (err_fd < 0)
		return false;
	failed = read(err_fd, &e, sizeof(e)) == sizeof(e);
	close(err_fd);
	return failed;
}

static void release_child(int *go_fd)
{
	if (*go_fd < 0)
		return;
	if (write(*go_fd, "g", 1) != 1)
		pr_warn("-c: could not release the command: %s", strerror(errno));
	close(*go_fd);
	*go_fd = -1;
}

static void reap_child(pid_t pid, int *go_fd)
{
	int status;

	if (pid <= 0)
		return;
	if (*go_fd >= 0) {
		close(*go_fd); /* never released: it exits on EOF */
		*go_fd = -1;
	} else if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGTERM);
	}
	waitpid(pid, &status, 0);
}

static bool pid_exists(uint32_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

#define PF_KTHREAD 0x00200000

/* -p must name a process that can still run. A zombie never will; a
 * kernel thread runs, but only in the kernel. */
static int check_target(uint32_t pid)
{
	char path[64], buf[1024], state;
	const char *p;
	unsigned flags;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (pr_procfs_slurp(path, buf, sizeof(buf)) < 0)
		return 0; /* gone already: the pidfd says so at once */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %u", &state, &flags) != 2)
		return 0;
	if (state == 'Z' || state == 'X') {
		pr_err("-p %u: the process has exited (a zombie waiting for its parent to reap "
		       "it): it will never run again, so nothing could be sampled; give a live PID",
		       pid);
		return -ESRCH;
	}
	if (flags & PF_KTHREAD)
		pr_warn("-p %u is a kernel thread: its samples have kernel stacks only, and it "
			"never execs, forks or exits like a process",
			pid);
	return 0;
}

/* A frame of a BPF program or of the machinery between a tracepoint and
 * it: JITed code kallsyms did not list when it was read, the program
 * itself, bpf_trace_runN, __bpf_trace_* and __traceiter_* (how many of
 * those a stack has depends on how many programs share the tracepoint). */
static bool is_trace_glue(void *ksym, uint64_t addr)
{
	static const char *const glue[] = { "bpf_prog_", "bpf_trace_run", "__bpf_trace_",
					    "__traceiter_", "bpf_trampoline_" };
	const char *name, *module;
	uint64_t off;
	size_t i;

	name = pr_ksym_lookup(ksym, addr, &off, &module);
	if (!name)
		return true;
	for (i = 0; i < sizeof(glue) / sizeof(glue[0]); i++)
		if (!strncmp(name, glue[i], strlen(glue[i])))
			return true;
	return false;
}

#define DRAIN_NS 500000000ull

static uint32_t default_sample_buffer(const struct pr_plan_cfg *cfg)
{
	bool copy = cfg->unwind != PR_UNWIND_FP && cfg->user;
	/* ~0.5 s of records at full rate on every CPU: 1 KiB with frame
	 * pointers; with stack copies a quarter of the copy size more (most
	 * stacks are shallower than the copy allows), an eighth when BPF
	 * walks the stacks and only its fallbacks carry a copy (a sixteenth
	 * lost 0.1% of samples to a compile storm at 999 Hz: every new
	 * process's first samples are copies) */
	uint64_t rec = !copy ? 1024
		       : 1024 + cfg->stack_bytes / (pr_plan_kernel_unwinds(cfg) ? 8 : 4);
	uint64_t b = (uint64_t)cfg->hz * libbpf_num_possible_cpus() * rec / 2;
	/* a copying ring must ride out a reader stalled for a while on a busy
	 * machine: at 99 Hz one stalled second is ~1 MiB of copies on two
	 * CPUs, ~0.6 MiB when BPF walks the stacks (copies only for its
	 * fallbacks). The ring is resident whole from the start: 1 MiB less
	 * of ring is 1 MB less of RSS (bpfring.c maps it once) */
	uint64_t floor = !copy ? 64 * 1024 : pr_plan_kernel_unwinds(cfg) ? 1024 * 1024
									 : 2 * 1024 * 1024;

	if (b < floor)
		b = floor;
	if (b > 64 * 1024 * 1024)
		b = 64 * 1024 * 1024;
	return b;
}

/* Events read after the run stopped are counted, never silently gone. */
static void report_discarded(const struct pr_stats *st)
{
	char parts[256];
	size_t off = 0;
	uint64_t total = 0;
	int i;

	parts[0] = '\0';
	for (i = 0; i < PR_SRC_MAX; i++) {
		if (!st->discarded[i])
			continue;
		total += st->discarded[i];
		off += snprintf(parts + off, sizeof(parts) - off, "%s%llu %s", off ? ", " : "",
				(unsigned long long)st->discarded[i], pr_providers[i].what);
		if (off >= sizeof(parts))
			off = sizeof(parts) - 1;
	}
	if (total)
		pr_warn("%llu events were read after the run stopped and not handed to a hook (%s)",
			(unsigned long long)total, parts);
}

/* A first on_sample script on an idle machine sees almost nothing: say
 * why once, and how to see the idle CPUs too. */
static void report_idle(const struct pr_rt *rt, const struct pr_stats *st)
{
	uint64_t got = st->produced[PR_SRC_SAMPLE];

	if (!(rt->cfg.hooks & PR_HOOK_BIT(PR_SRC_SAMPLE)) || got >= 100 || st->idle_skipped <= 4 * got)
		return;
	pr_warn("only %llu samples: the CPUs were idle for %llu more ticks, which are skipped "
		"by default; sample{idle=true} includes them",
		(unsigned long long)got, (unsigned long long)st->idle_skipped);
}

static void report_drops(struct pr_rt *rt)
{
	struct pr_stats st;
	int i;

	pr_stats_build(rt, &st);
	for (i = 0; i < PR_SRC_MAX; i++) {
		if (st.dropped[i] > st.failed[i])
			pr_warn("lost %llu of %llu %s (ring buffer full); %s",
				(unsigned long long)(st.dropped[i] - st.failed[i]),
				(unsigned long long)st.produced[i], pr_providers[i].what, pr_providers[i].hint);
		if (st.failed[i])
			pr_warn("lost %llu of %llu %s inside BPF (no scratch buffer, or a record "
				"larger than its buffer); run with -v and report it",
				(unsigned long long)st.failed[i], (unsigned long long)st.produced[i],
				pr_providers[i].what);
	}
	if (st.bad_records)
		pr_warn("%llu records from the kernel were malformed and skipped; run with -v "
			"and report it",
			(unsigned long long)st.bad_records);
	if (st.target_untracked)
		pr_warn("%llu descendants of the target were not followed: its process set was full; "
			"their events are missing",
			(unsigned long long)st.target_untracked);
	if (st.offcpu_dropped_ns)
		pr_warn("%.3f s of off-CPU time were in the records lost above",
			st.offcpu_dropped_ns / 1e9);
	if (st.offcpu_untracked)
		pr_warn("%llu switches off CPU were not timed: no memory for the thread's state",
			(unsigned long long)st.offcpu_untracked);
	if (st.probe_count_lost)
		pr_warn("%llu count_only probe hits were not counted: the counts table (%d keys) "
			"was full; count fewer probes, or without stack",
			(unsigned long long)st.probe_count_lost, PR_PROBE_COUNT_KEYS);
	if (st.probe_stack_lost)
		pr_warn("%llu probe stacks were lost: the stack map (%d stacks) was full or two "
			"stacks collided; those hits count without a stack",
			(unsigned long long)st.probe_stack_lost, PR_PROBE_STACK_IDS);
	report_discarded(&st);
	report_idle(rt, &st);
	if (st.stacks_full)
		pr_warn("%llu samples got no stack id: the stack table is full",
			(unsigned long long)st.stacks_full);
	if (st.proc_untracked)
		pr_warn("%llu processes did not fit proc()'s live process table; from then on a "
			"pid reused within one clock tick (10 ms) may not be told from its "
			"old process",
			(unsigned long long)st.proc_untracked);
	if (st.elf_perfmap_untrusted)
		pr_warn("ignored %llu perf map file(s) owned by neither the process's user nor "
			"root (or not regular files): anyone could have written them; chown them "
			"to the process's user to use them",
			(unsigned long long)st.elf_perfmap_untrusted);
}

/* proc()'s live table: which process holds a pid, by exact start. */
static int live_start(void *ctx, uint32_t pid, uint64_t *start_ns)
{
	return pr_plan_live_start(ctx, pid, start_ns);
}

/* An exited process left the process cache: its maps can go too. */
static void forget_maps(void *ctx, uint32_t pid)
{
	pr_maps_forget(ctx, pid);
}

/* The kernel symbol feed opens before the baseline is taken, so no BPF
 * program that comes or goes in between is missed; both before the
 * samplers, so the first sample already finds every program named. */
/* --cgroup and --container are resolved before anything else happens:
 * a wrong one is a usage error, and nothing is loaded. */
static int make_target(const struct pr_opts *o, struct pr_target **out)
{
	struct pr_target_cfg tc = {
		.children = !o->no_children,
		.cgroup = o->cgroup,
		.container = o->container,
	};
	char why[512] = "";
	int err = pr_target_new(&tc, out, why, sizeof(why));

	if (err == -ENOMEM)
		pr_err("out of memory");
	else if (err)
		pr_err("%s", why);
	return err;
}

/* The process the run watches, and its descendants unless
 * --no-children: a set the BPF programs share and keep. */
static int follow_target(struct pr_rt *rt, uint32_t pid)
{
	int err;

	if (pid) {
		err = pr_target_set_pid(rt->target, pid);
		if (err) {
			pr_err("cannot create the target process set: %s", strerror(-err));
			return err;
		}
	}
	pr_target_bpf(rt->target, &rt->cfg.target);
	if (rt->cfg.target.tgids && rt->cfg.target.children)
		rt->cfg.hooks |= PR_HOOK_TARGET;
	return 0;
}

static int start_ksym_feed(void *ctx)
{
	struct pr_rt *rt = ctx;
	int err;

	if (!rt->cfg.kernel)
		return 0;
	err = pr_bpfsym_new(&rt->bpfsym);
	if (err)
		return err;
	err = pr_ksymfeed_new(&rt->ksymfeed);
	if (err)
		pr_warn("kernel symbol feed: perf_event_open failed: %s; BPF program names "
			"are taken once at start and may go stale",
			strerror(-err));
	pr_bpfsym_resync(rt->bpfsym);
	pr_stacks_set_bpfsym(rt->stacks, rt->bpfsym);
	return 0;
}

/* Calls fn for each process watched from before the run: -p, probe{pid=}
 * (a pid named twice is seen twice: both callers make a repeat cheap). */
static void each_watched(struct pr_rt *rt, void (*fn)(struct pr_rt *rt, uint32_t pid))
{
	size_t i;

	if (rt->opts->pid)
		fn(rt, rt->opts->pid);
	for (i = 0; i < rt->cfg.probes.n; i++)
		if (rt->cfg.probes.v[i].pid > 0)
			fn(rt, rt->cfg.probes.v[i].pid);
}

/* A watched process may exit before its first stack is resolved: its
 * maps and binaries are taken now, while /proc still has them (a pid
 * preloaded already costs one cache lookup). A -c command execs later
 * and is read at its exec. */
static void preload_maps(struct pr_rt *rt, uint32_t pid)
{
	pr_maps_preload(rt->maps, pid);
}

/* Where a watched process's stack ends, for probes with stack = true:
 * otherwise learnt at its first hit taken, and a burst of hits before
 * that copies past it (a 200-malloc burst overflowed the 1 MiB probe
 * ring that way). Once per pid (the plan remembers). */
static void seed_stack_top(struct pr_rt *rt, uint32_t pid)
{
	pr_plan_probe_stack_top(rt->plan, pid);
}

/* --kernel-unwind, else $PROFRUN_KERNEL_UNWIND (the test suites run every
 * unwinding test with each mode through it), else the script's. */
static int kernel_unwind_override(const struct pr_opts *o, struct pr_plan_cfg *cfg)
{
	const char *env = getenv("PROFRUN_KERNEL_UNWIND");
	int mode;

	if (o->kernel_unwind >= 0) {
		cfg->kernel_unwind = o->kernel_unwind;
	} else if (env && *env) {
		if (pr_opts_parse_kernel_unwind(env, &mode)) {
			pr_err("PROFRUN_KERNEL_UNWIND=%s: not a mode; use on, off, only or verify",
			       env);
			return -EINVAL;
		}
		cfg->kernel_unwind = mode;
	}
	return 0;
}

/* Servers in $DEBUGINFOD_URLS fill in binaries with no debuginfo here. A
 * client that cannot start costs names, never the run. */
static void start_debuginfod(struct pr_rt *rt)
{
	struct pr_debuginfod_opts o = { .timeout_ns = rt->opts->debuginfod_timeout_ns };
	int err = pr_debuginfod_new(&o, &rt->debuginfod);

	/* a missing libdebuginfod was said by the client, with its package */
	if (err && err != -ENOENT)
		pr_warn("debuginfod: cannot start (%s); binaries without local debuginfo keep "
			"their symbols",
			strerror(-err));
	pr_elfsyms_set_debuginfod(rt->bins, rt->debuginfod);
}

/* Names fetched before on_end reach its outputs: requests in flight get
 * their own bound (--debuginfod-timeout), no more; a wait past a second
 * is said, so a slow end has a reason on screen. From here on DWARF files
 * are opened before answering: on_end's frames have their lines. */
static void settle_names(struct pr_rt *rt)
{
	uint64_t timeout = rt->opts->debuginfod_timeout_ns ?: 10000000000ull;
	uint64_t start = pr_mono_ns(), first = 1000000000ull;
	int left;

	if (rt->bins)
		pr_elfsyms_set_background_dwarf(rt->bins, false);
	if (!rt->debuginfod)
		return;
	left = pr_debuginfod_wait(rt->debuginfod, start + (timeout < first ? timeout : first));
	if (left <= 0 || timeout <= first)
		return;
	pr_warn("waiting up to %.0f s for %d debuginfod request(s) (--debuginfod-timeout)",
		(timeout - first) / 1e9, left);
	pr_debuginfod_wait(rt->debuginfod, start + timeout);
}

/* Debuginfo read through inflated copies kept on disk (dwarfcache.h):
 * lines without holding a file's whole DWARF in memory, and without
 * inflating it again every run. Without the cache (PROFRUN_DWARF_CACHE=off,
 * an untrusted directory) libdw inflates the files in memory as before. */
static void use_dwarf_cache(struct pr_rt *rt)
{
	const char *dir = getenv("PROFRUN_DWARF_CACHE"), *max = getenv("PROFRUN_DWARF_CACHE_MAX_MB");
	unsigned long long mb = 0;
	struct pr_dwarfcache *c;
	char why[512], *end;

	if (rt->opts->no_lines || (dir && !strcmp(dir, "off")))
		return;
	if (max && *max) {
		errno = 0;
		mb = strtoull(max, &end, 10);
		if (errno || *end || !mb || mb > (1ull << 30)) {
			pr_warn("PROFRUN_DWARF_CACHE_MAX_MB=%s is not a size in MiB (1 or more): "
				"the default, %llu, is used",
				max, PR_DWARFCACHE_MAX_BYTES >> 20);
			mb = 0;
		}
	}
	if (pr_dwarfcache_new(dir && *dir ? dir : PR_DWARFCACHE_DIR, mb << 20, &c, why,
			      sizeof(why))) {
		pr_info("DWARF cache not used (%s): debuginfo is inflated in memory", why);
		return;
	}
	pr_elfsyms_set_dwarf_cache(rt->bins, c);
}

static int make_caches(struct pr_rt *rt)
{
	struct pr_stacks_opts so = { 0 };
	struct pr_cgroup_opts co = { 0 };
	struct pr_elfsyms_opts eo = { .max_cfi_bytes = rt->cfg.unwind_tables };
	struct pr_proc_opts po = { 0 };
	int err;

	err = pr_ksym_new(&rt->ksym);
	err = err ?: pr_elfsyms_new_opts(&eo, &rt->bins);
	if (!err) {
		/* the loop never waits on a DWARF file's decompression */
		pr_elfsyms_set_background_dwarf(rt->bins, true);
		pr_elfsyms_set_lines(rt->bins, !rt->opts->no_lines);
		use_dwarf_cache(rt);
	}
	if (!err && !rt->opts->no_debuginfod)
		start_debuginfod(rt);
	err = err ?: pr_maps_new(rt->bins, &rt->maps);
	err = err ?: pr_cgroup_new(&co, &rt->cgroups);
	err = err ?: pr_perfmaps_new(NULL, &rt->perfmaps);
	if (err)
		return err;
	so.ksym = rt->ksym;
	so.maps = rt->maps;
	so.bins = rt->bins;
	so.perfmaps = rt->perfmaps;
	so.no_inline = rt->opts->no_inline;
	so.recent = rt->stacks_recent;
	po.cgroups = rt->cgroups;
	po.capacity = rt->proc_capacity;
	po.on_evict = forget_maps;
	po.evict_ctx = rt->maps;
	err = pr_proc_new(&po, &rt->procs);
	return err ?: pr_stacks_new(&so, &rt->stacks);
}

static struct pr_elfsym *table_bin(const void *kunwind, uint32_t table)
{
	return pr_kunwind_table_bin(kunwind, table);
}

/* The in-kernel unwinder's loader, when BPF walks user stacks. Without
 * it every walk finds no tables and copies: slower, never wrong. */
static void start_kernel_unwind(struct pr_rt *rt)
{
	struct pr_kunwind_fds fds;
	int err;

	if (pr_plan_kunwind_fds(rt->plan, &fds))
		return;
	err = pr_kunwind_new(&fds, rt->maps, &rt->kunwind);
	if (!err)
		/* frames BPF placed by table number name their binary here */
		pr_maps_set_table_bin(rt->maps, table_bin, rt->kunwind);
	else
		pr_warn("cannot load unwind tables into the kernel (%s): user stacks are "
			"copied and unwound here",
			strerror(-err));
}

/* The reader of Python processes' frames, when samples take them.
 * Without it BPF is never told which processes run Python: native
 * frames only, never wrong. */
static void start_python(struct pr_rt *rt)
{
	struct pr_python_opts o = { .maps = rt->maps };
	int err;

	o.nmaps = pr_plan_python_fds(rt->plan, o.procs_fd, o.pending_fd, PR_PY_OBJECTS);
	o.cost_fd = pr_plan_python_cost_fd(rt->plan);
	if (!o.nmaps)
		return;
	err = pr_python_new(&o, &rt->python);
	if (err) {
		pr_warn("cannot read Python frames (%s): native frames only", strerror(-err));
		return;
	}
	pr_stacks_set_python(rt->stacks, rt->python);
}

/* The drain of samples counted in BPF (sample{aggregate}). Without it
 * nothing would read the counts: that is an error, not a fallback. */
static int start_aggregate(struct pr_rt *rt)
{
	struct pr_agg_fds fds;
	int err;

	if (pr_plan_agg_fds(rt->plan, &fds))
		return 0;
	err = pr_aggregate_new(&fds, &rt->aggregate);
	if (err)
		pr_err("sample{aggregate}: cannot reach the counts map: %s", strerror(-err));
	return err;
}

static void free_caches(struct pr_rt *rt)
{
	pr_proc_free(rt->procs);
	pr_cgroup_free(rt->cgroups);
	rt->procs = NULL;
	rt->cgroups = NULL;
	pr_stacks_free(rt->stacks);
	pr_ksymfeed_free(rt->ksymfeed);
	pr_bpfsym_free(rt->bpfsym);
	rt->ksymfeed = NULL;
	rt->bpfsym = NULL;
	pr_perfmaps_free(rt->perfmaps);
	rt->perfmaps = NULL;
	pr_maps_free(rt->maps);
	pr_elfsyms_free(rt->bins);
	pr_debuginfod_free(rt->debuginfod);
	rt->debuginfod = NULL;
	pr_ksym_free(rt->ksym);
	rt->stacks = NULL;
	rt->maps = NULL;
	rt->bins = NULL;
	rt->ksym = NULL;
}

static void block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGALRM);
	sigaddset(&set, PR_SIG_DEADLINE);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Big blocks (the stack table's arrays and hash tables, unwind rows as
 * they are built) are mmap'd, always: glibc otherwise raises its mmap
 * threshold the first time such a block is freed, after which every
 * doubling copies the array inside the heap and leaves the old copy
 * there, freed but resident. A whole-machine soak at 999 Hz: 5 MB less
 * from the first minute on (37.6 MB instead of 42.9 at one minute, 51.1
 * instead of 56.6 at 4.5). */
static void map_big_blocks(void)
{
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int exit_code_for(struct pr_rt *rt, enum pr_stop stop)
{
	if (stop == PR_STOP_ERROR && !pr_script_interrupted(rt->script))
		return PR_EXIT_RUNTIME;
	if (rt->exit_requested)
		return rt->exit_code;
	return PR_EXIT_OK;
}

/* How the -c command ended, said before on_end (which may ask for it
 * with target_exit()); nothing when it exited 0. True when it could not
 * be run at all (the child said why already). */
static bool note_target_exit(struct pr_rt *rt, pid_t child, int *exec_err_fd)
{
	const char *name;
	bool never_ran;
	int st;

	if (child <= 0 || waitpid(child, &st, WNOHANG) != child)
		return false;
	never_ran = exec_failed(*exec_err_fd);
	*exec_err_fd = -1;
	if (never_ran)
		return true;
	rt->target_exited = true;
	rt->target_status = st;
	if (WIFEXITED(st) && WEXITSTATUS(st))
		pr_warn("command exited %d", WEXITSTATUS(st));
	if (WIFSIGNALED(st)) {
		name = sigabbrev_np(WTERMSIG(st));
		pr_warn("command killed by %s%s%s", name ? "SIG" : "signal ", name ? name : "",
			WCOREDUMP(st) ? " (core dumped)" : "");
		if (!name)
			pr_warn("(signal %d)", WTERMSIG(st));
	}
	return false;
}

/* From loaded programs to the end of the run; returns the exit code. */
static int run(struct pr_rt *rt, int child_pidfd, int *go_fd, pid_t child, int *exec_err_fd)
{
	enum pr_stop stop = PR_STOP_ERROR;
	bool never_ran;
	int err, rc;
	struct pr_loop_cfg lc = {
		.plan = rt->plan,
		.script = rt->script,
		.maps = rt->maps,
		.stacks = rt->stacks,
		.procs = rt->procs,
		.ksymfeed = rt->ksymfeed,
		.bpfsym = rt->bpfsym,
		.kunwind = rt->kunwind,
		.python = rt->python,
		.aggregate = rt->aggregate,
		.hooks = rt->cfg.hooks,
		.unwind_mode = rt->cfg.unwind,
		.timer_ns = rt->timer_ns,
		.ntimers = rt->ntimers,
		.duration_ns = rt->opts->duration_ns,
		.child_pidfd = child_pidfd,
	};

	err = pr_loop_new(&lc, &rt->loop);
	if (err) {
		pr_err("cannot set up the event loop: %s", strerror(-err));
		return PR_EXIT_RUNTIME;
	}
	release_child(go_fd);
	if (!rt->exit_requested)
		stop = pr_loop_run(rt->loop);
	else
		stop = PR_STOP_EXIT;
	pr_debug("loop stopped (%d)", stop);
	pr_plan_detach(rt->plan);
	if (stop == PR_STOP_CHILD && !child)
		pr_warn("process %u exited; stopping", rt->target_pid);
	/* What the rings still hold was produced before the stop: after
	 * Ctrl-C or the deadline it is handed out for DRAIN_NS at most (-d
	 * stays a hard limit under slow hooks), when the target ended in
	 * full; after an error or exit() it is only counted. */
	err = pr_loop_drain(rt->loop, stop == PR_STOP_CHILD || stop == PR_STOP_SIGNAL ||
					      stop == PR_STOP_DURATION,
			    stop == PR_STOP_CHILD ? 0 : DRAIN_NS);
	if (err == -EINTR)
		err = 0; /* a stop while draining: the rest is discarded, counted */
	never_ran = note_target_exit(rt, child, exec_err_fd);
	/* a hook can fail on what was still in the rings, too */
	if (err == -ECANCELED)
		stop = PR_STOP_ERROR;
	rc = exit_code_for(rt, stop);
	settle_names(rt);
	if (pr_script_end(rt->script, pr_loop_stopped_by_signal(rt->loop)) && rc == PR_EXIT_OK)
		rc = PR_EXIT_RUNTIME;
	if (rt->exit_requested && stop != PR_STOP_ERROR)
		rc = rt->exit_code;
	if (never_ran && rc == PR_EXIT_OK)
		rc = PR_EXIT_RUNTIME;
	/* what on_end pushed gets its bounded time to reach the backend */
	pr_export_finish();
	report_drops(rt);
	return rc;
}

int main(int argc, char **argv)
{
	struct pr_opts opts;
	struct pr_rt rt = {
		.opts = &opts,
		.cfg = { .hz = 99, .user = true, .kernel = true, .life_buffer = 512 * 1024,
			 .unwind = PR_UNWIND_AUTO, .stack_bytes = PR_USTACK_MAX,
			 .kernel_unwind = PR_KUNWIND_ON, .kernel_tables = 8u << 20,
			 .python = true, .python_timing = getenv("PROFRUN_PYTHON_TIMING") != NULL,
			 /* 1 ms: shorter waits come summed per thread and stack, so
			  * a switch storm cannot flood the ring, yet no time is lost */
			 .offcpu = { .min_ns = 1000000, .user = true, .waker = true,
				     .buffer = 4 * 1024 * 1024, .kstacks = 8192 },
			 .probes = { .buffer = 1024 * 1024 } },
	};
	int go_fd = -1, pidfd = -1, exec_err_fd = -1, rc = PR_EXIT_RUNTIME, err;
	pid_t child = 0;
	char msg[256];

	map_big_blocks();
	if (pr_opts_parse(argc, argv, &opts, msg, sizeof(msg))) {
		pr_err("%s", msg);
		pr_opts_free(&opts);
		return PR_EXIT_USAGE;
	}
	if (opts.help || opts.version) {
		if (opts.help)
			fputs(pr_opts_usage, stdout);
		else
			printf("profrun %s\n", PROFRUN_VERSION);
		pr_opts_free(&opts);
		return PR_EXIT_OK;
	}
	if (opts.verbose)
		pr_log_set_level(PR_LOG_DEBUG);
	libbpf_set_print(libbpf_log);
	if (opts.pid && (!pid_exists(opts.pid) || check_target(opts.pid))) {
		if (!pid_exists(opts.pid))
			pr_err("-p %u: no such process; check the PID (ps -p %u)", opts.pid,
			       opts.pid);
		pr_opts_free(&opts);
		return PR_EXIT_USAGE;
	}
	if (make_target(&opts, &rt.target)) {
		pr_opts_free(&opts);
		return PR_EXIT_USAGE;
	}
	block_signals();
	raise_nofile();
	rt.target_pid = opts.pid;
	/* -p: the run ends when the process does, as with -c */
	if (opts.pid) {
		pidfd = syscall(SYS_pidfd_open, opts.pid, 0);
		if (pidfd < 0) {
			pr_err("-p %u: cannot watch the process: %s", opts.pid, strerror(errno));
			rc = PR_EXIT_USAGE;
			goto out;
		}
	}
	/* started (held) before setup so the script sees target_pid() at once */
	if (opts.cmd) {
		err = spawn_held(opts.cmd, &child, &go_fd, &pidfd, &exec_err_fd);
		if (err) {
			pr_err("-c: cannot start '%s': %s", opts.cmd, strerror(-err));
			goto out;
		}
		rt.target_pid = child;
	}
	err = pr_script_new(&opts, &rt, &rt.script);
	if (err) {
		pr_err("cannot create the Lua state: %s", strerror(-err));
		goto out;
	}
	if (pr_script_setup(rt.script, opts.script, opts.code, opts.args, opts.nargs)) {
		rc = PR_EXIT_USAGE;
		goto out;
	}
	rt.setup_done = true;
	if (opts.hz)
		rt.cfg.hz = opts.hz;
	if (opts.unwind >= 0)
		rt.cfg.unwind = opts.unwind;
	if (kernel_unwind_override(&opts, &rt.cfg)) {
		rc = PR_EXIT_USAGE;
		goto out;
	}
	if (!rt.cfg.sample_buffer)
		rt.cfg.sample_buffer = default_sample_buffer(&rt.cfg);
	rt.cfg.hooks = pr_script_hooks(rt.script);
	if (rt.cfg.hooks && (check_btf(&rt.cfg) || check_privileges()))
		goto out;
	if (rt.cfg.hooks)
		use_btf_cache(&rt.cfg);
	if (rt.cfg.hooks && follow_target(&rt, opts.pid ? opts.pid : child ? (uint32_t)child : rt.sample_pid))
		goto out;
	rt.cfg.before_late = start_ksym_feed;
	rt.cfg.ctx = &rt;
	if (pr_plan_new(&rt.plan)) {
		pr_err("out of memory");
		goto out;
	}
	/* the programs are verified on a thread (most of a start) while the
	 * caches are made here */
	pr_plan_load_start(rt.plan, &rt.cfg);
	if (make_caches(&rt)) {
		pr_err("out of memory");
		goto out;
	}
	pr_plan_set_kglue(rt.plan, is_trace_glue, rt.ksym);
	each_watched(&rt, preload_maps);
	/* before anything attaches: processes older than profrun are known */
	if (rt.cfg.hooks & PR_HOOK_PROC)
		pr_proc_seed(rt.procs);
	if (pr_plan_load_finish(rt.plan))
		goto out;
	each_watched(&rt, seed_stack_top);
	start_kernel_unwind(&rt);
	start_python(&rt);
	if (start_aggregate(&rt))
		goto out;
	if (rt.cfg.hooks & PR_HOOK_PROC)
		pr_proc_set_live(rt.procs, live_start, rt.plan);
	/* the tracker is attached: what forks from now on is followed, and
	 * what forked before is found in /proc */
	err = pr_target_add_descendants(rt.target);
	if (err < 0)
		pr_warn("-p: could not list the process's children: %s; only those forked from "
			"now on are followed",
			strerror(-err));
	rc = run(&rt, pidfd, &go_fd, child, &exec_err_fd);
out:
	reap_child(child, &go_fd);
	if (exec_failed(exec_err_fd) && rc == PR_EXIT_OK)
		rc = PR_EXIT_RUNTIME;
	if (pidfd >= 0)
		close(pidfd);
	pr_loop_free(rt.loop);
	if (rt.maps)
		pr_maps_set_table_bin(rt.maps, NULL, NULL); /* its table numbers go */
	pr_kunwind_free(rt.kunwind);
	pr_python_free(rt.python);
	pr_aggregate_free(rt.aggregate);
	pr_plan_free(rt.plan);
	pr_target_free(rt.target);
	pr_script_free(rt.script);
	pr_probes_free(rt.cfg.probes.v, rt.cfg.probes.n);
	pr_elfsyms_free(rt.probe_syms);
	free_caches(&rt);
	pr_opts_free(&opts);
	fflush(stdout);
	return rc;
}
