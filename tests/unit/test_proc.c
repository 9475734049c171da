// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Process metadata cache: runtime/proc.c over a fake procfs tree in a
 * temporary directory (<root>/<pid>/stat, status, cmdline, environ, cgroup;
 * exe, cwd, ns/mnt and ns/pid as symlinks), driven by lookups and by
 * exec, fork and exit events built here. Start times are clock ticks; an
 * event carries them as CLOCK_BOOTTIME ns (boot_ns below).
 */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroup.h"
#include "harness.h"
#include "proc.h"

#define T1 1000 /* start times, clock ticks since boot */
#define T2 2000
#define MNTNS 4026531841u
#define PIDNS 4026531836u
#define HEX "3f1e2d4c5b6a79880123456789abcdef0fedcba9876543210a1b2c3d4e5f6789"
#define MAX_EVICTED 16
#define MAX_LIVE 8

struct fx {
	char root[64];
	struct pr_proc *pc;
	uint32_t evicted[MAX_EVICTED];
	unsigned nevicted;
	/* a fake live table: pid -> exact start of the process holding it */
	struct {
		uint32_t pid;
		uint64_t ns;
	} live[MAX_LIVE];
	unsigned nlive;
	int live_miss; /* what a pid the table lacks gives: -ENOENT, -EAGAIN */
};

static uint64_t boot_ns(uint64_t ticks)
{
	long hz = sysconf(_SC_CLK_TCK);

	return ticks * (1000000000ull / (hz > 0 ? hz : 100));
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

/* rm -rf path (symlinks are removed, not followed). */
static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void record_evict(void *ctx, uint32_t pid)
{
	struct fx *f = ctx;

	if (f->nevicted < MAX_EVICTED)
		f->evicted[f->nevicted] = pid;
	f->nevicted++;
}

static bool fx_init_cg(struct fx *f, uint32_t capacity, struct pr_cgroup *cg)
{
	struct pr_proc_opts o = {
		.capacity = capacity, .cgroups = cg, .on_evict = record_evict, .evict_ctx = f
	};

	*f = (struct fx){ .pc = NULL };
	if (!test_mkdtemp(f->root))
		return false;
	o.root = f->root;
	return ASSERT_OK(pr_proc_new(&o, &f->pc), "proc_new");
}

static bool fx_init(struct fx *f, uint32_t capacity)
{
	return fx_init_cg(f, capacity, NULL);
}

static void fx_free(struct fx *f)
{
	pr_proc_free(f->pc);
	if (f->root[0])
		rm_tree(f->root);
}

static struct pr_proc_stats stats(const struct fx *f)
{
	struct pr_proc_stats s;

	memset(&s, 0, sizeof(s));
	pr_proc_stats(f->pc, &s);
	return s;
}

/* root/pid and root/pid/ns exist; path gets root/pid[/name]. */
static void pid_path(const struct fx *f, uint32_t pid, const char *name, char *path)
{
	snprintf(path, 256, "%s/%u", f->root, pid);
	mkdir(path, 0755);
	snprintf(path, 256, "%s/%u/ns", f->root, pid);
	mkdir(path, 0755);
	snprintf(path, 256, "%s/%u%s%s", f->root, pid, name ? "/" : "", name ? name : "");
}

static bool put_file(const struct fx *f, uint32_t pid, const char *name, const void *data,
		     size_t len)
{
	char dir[256], path[256];

	pid_path(f, pid, NULL, dir);
	return test_write_file(dir, name, data, len, path);
}

static bool put_str(const struct fx *f, uint32_t pid, const char *name, const char *text)
{
	return put_file(f, pid, name, text, strlen(text));
}

/* A symlink root/pid/name -> target, replacing what was there. */
static bool put_link(const struct fx *f, uint32_t pid, const char *name, const char *target)
{
	char path[256];

	pid_path(f, pid, name, path);
	unlink(path);
	return ASSERT_OK(symlink(target, path), "symlink");
}

static void del(const struct fx *f, uint32_t pid, const char *name)
{
	char path[256];

	pid_path(f, pid, name, path);
	if (name)
		unlink(path);
	else
		rm_tree(path);
}

/* /proc/pid/stat and status: the least a live process has. */
static bool put_proc(const struct fx *f, uint32_t pid, const char *comm, uint32_t ppid,
		     uint64_t start, uint32_t uid)
{
	char stat[256], status[256];

	snprintf(stat, sizeof(stat),
		 "%u (%s) S %u 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 %llu 23 24 25\n", pid,
		 comm, ppid, (unsigned long long)start);
	snprintf(status, sizeof(status),
		 "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%u\nPid:\t%u\n"
		 "PPid:\t%u\nUid:\t%u\t%u\t%u\t%u\nGid:\t0\t0\t0\t0\n",
		 comm, pid, pid, ppid, uid, uid, uid, uid);
	return put_str(f, pid, "stat", stat) && put_str(f, pid, "status", status);
}

static const char worker_argv[] = "/usr/bin/worker\0--flag\0x y\0";
static const char worker_env[] = "HOME=/root\0PATH=/bin:/usr/bin\0EMPTY=\0LAST=1";

/* A process with every file: comm "worker", ppid 1, uid 1000, in a docker
 * container. */
static bool put_worker(const struct fx *f, uint32_t pid, uint64_t start)
{
	return put_proc(f, pid, "worker", 1, start, 1000) &&
	       put_file(f, pid, "cmdline", worker_argv, sizeof(worker_argv) - 1) &&
	       put_file(f, pid, "environ", worker_env, sizeof(worker_env) - 1) &&
	       put_str(f, pid, "cgroup", "0::/system.slice/docker-" HEX ".scope\n") &&
	       put_link(f, pid, "exe", "/usr/bin/worker") && put_link(f, pid, "cwd", "/srv") &&
	       put_link(f, pid, "ns/mnt", "mnt:[4026531841]") &&
	       put_link(f, pid, "ns/pid", "pid:[4026531836]");
}

/* Field `which` of (pid, gen) as text, NULs shown as '|', or "error N". */
static const char *fld(struct fx *f, uint32_t pid, uint64_t gen, int which)
{
	static char ring[4][2048];
	static unsigned next;
	char *buf = ring[next++ % 4];
	int i, n = pr_proc_field(f->pc, pid, gen, which, buf, sizeof(ring[0]));

	if (n < 0) {
		snprintf(buf, sizeof(ring[0]), "error %d", n);
		return buf;
	}
	for (i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = '|';
	return buf;
}

static int fld_rc(struct fx *f, uint32_t pid, uint64_t gen, int which)
{
	char buf[2048];

	return pr_proc_field(f->pc, pid, gen, which, buf, sizeof(buf));
}

/* The fake live table's answer (pr_proc_live_fn). */
static int fake_live(void *ctx, uint32_t pid, uint64_t *start_ns)
{
	struct fx *f = ctx;
	unsigned i;

	for (i = 0; i < f->nlive; i++) {
		if (f->live[i].pid == pid) {
			*start_ns = f->live[i].ns;
			return 0;
		}
	}
	return f->live_miss;
}

/* A cache with a live table that misses with -ENOENT. */
static bool fx_init_live(struct fx *f)
{
	if (!fx_init(f, 16))
		return false;
	f->live_miss = -ENOENT;
	pr_proc_set_live(f->pc, fake_live, f);
	return true;
}

/* The table now says pid is held by the process that started at ns (0:
 * by no process the table knows). */
static void live_put(struct fx *f, uint32_t pid, uint64_t ns)
{
	unsigned i;

	for (i = 0; i < f->nlive && f->live[i].pid != pid; i++)
		;
	if (!ns) {
		if (i < f->nlive)
			f->live[i] = f->live[--f->nlive];
		return;
	}
	if (i == f->nlive && f->nlive < MAX_LIVE)
		f->nlive++;
	if (i < f->nlive)
		f->live[i].pid = pid, f->live[i].ns = ns;
}

/* A numeric field, or the negative error. */
static long long num(struct fx *f, uint32_t pid, uint64_t gen, int which)
{
	uint64_t v = 0;
	int err = pr_proc_number(f->pc, pid, gen, which, &v);

	return err ? err : (long long)v;
}

/* The gen of pid after a lookup, 0 when the lookup failed. */
static uint64_t gen_of(struct fx *f, uint32_t pid)
{
	struct pr_proc_info info;

	if (!ASSERT_OK(pr_proc_lookup(f->pc, pid, &info), "lookup"))
		return 0;
	return info.gen;
}

static struct pr_exec exec_ev(uint32_t pid, uint64_t start, const char *comm, const char *filename,
			      const char *args, uint32_t args_len)
{
	struct pr_exec e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = PR_REC_EXEC;
	e.pid = pid;
	e.old_pid = pid;
	e.ppid = 55;
	e.uid = 2000;
	e.mntns = 11;
	e.pidns = 22;
	e.start_boottime = boot_ns(start);
	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	snprintf(e.filename, sizeof(e.filename), "%s", filename);
	memcpy(e.args, args, args_len);
	e.args_len = args_len;
	return e;
}

static struct pr_fork fork_ev(uint32_t pid, uint32_t ppid, uint64_t start, const char *comm)
{
	struct pr_fork e;

	memset(&e, 0, sizeof(e));
	e.pid = pid;
	e.ppid = ppid;
	e.start_boottime = boot_ns(start);
	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	return e;
}

static struct pr_exit exit_ev(uint32_t pid, uint32_t ppid, uint64_t start, const char *comm)
{
	struct pr_exit e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = PR_REC_EXIT;
	e.pid = pid;
	e.tid = pid;
	e.ppid = ppid;
	e.start_boottime = boot_ns(start);
	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	return e;
}

static void on_exec(struct fx *f, struct pr_exec e)
{
	pr_proc_on_exec(f->pc, &e);
}

static void on_fork(struct fx *f, struct pr_fork e)
{
	pr_proc_on_fork(f->pc, &e);
}

static void on_exit_ev(struct fx *f, struct pr_exit e)
{
	pr_proc_on_exit(f->pc, &e);
}

void test_proc_lookup(void)
{
	struct pr_proc_info info, again, other;
	struct pr_proc_stats s;
	struct fx f;

	if (!fx_init(&f, 0) || !put_worker(&f, 100, T1) || !put_proc(&f, 102, "other", 100, T2, 0))
		goto out;
	s = stats(&f);
	ASSERT_EQ(s.capacity, PR_PROC_DEFAULT_CAPACITY, "default capacity");
	ASSERT_EQ(s.size, 0, "empty at start");

	memset(&info, 0xa5, sizeof(info));
	if (!ASSERT_OK(pr_proc_lookup(f.pc, 100, &info), "lookup 100"))
		goto out;
	ASSERT_EQ(info.pid, 100, "pid");
	ASSERT_EQ(info.ppid, 1, "ppid");
	ASSERT_STREQ(info.comm, "worker", "comm");
	ASSERT_EQ(info.start_ticks, T1, "start_ticks");
	ASSERT_TRUE(info.gen != 0, "gen != 0");
	ASSERT_EQ(info.exited, 0, "not exited");
	s = stats(&f);
	ASSERT_EQ(s.misses, 1, "first lookup misses");
	ASSERT_EQ(s.hits, 0, "no hit yet");
	ASSERT_EQ(s.size, 1, "one entry");

	if (ASSERT_OK(pr_proc_lookup(f.pc, 100, &again), "lookup 100 again")) {
		ASSERT_EQ(again.gen, info.gen, "same gen");
		ASSERT_STREQ(again.comm, "worker", "comm again");
	}
	s = stats(&f);
	ASSERT_EQ(s.hits, 1, "second lookup hits");
	ASSERT_EQ(s.misses, 1, "still one miss");

	memset(&other, 0, sizeof(other));
	if (ASSERT_OK(pr_proc_lookup(f.pc, 102, &other), "lookup 102")) {
		ASSERT_TRUE(other.gen != 0 && other.gen != info.gen,
			    "another process, another gen");
		ASSERT_EQ(other.ppid, 100, "ppid of 102");
		ASSERT_EQ(other.start_ticks, T2, "start of 102");
	}

	ASSERT_EQ(pr_proc_lookup(f.pc, 101, &again), -ENOENT, "absent pid");
	s = stats(&f);
	ASSERT_EQ(s.misses, 3, "absent pid counts a miss");
	ASSERT_EQ(s.size, 2, "absent pid adds nothing");
out:
	fx_free(&f);
}

void test_proc_fields(void)
{
	uint64_t g, groot;
	char buf[8];
	struct fx f;

	if (!fx_init(&f, 16) || !put_worker(&f, 100, T1) ||
	    !put_proc(&f, 101, "rootly", 1, T1, 0) ||
	    !put_str(&f, 101, "cgroup", "12:memory:/x\n0::/user.slice/user-1000.slice\n"))
		goto out;
	g = gen_of(&f, 100);
	/* fields are read on first use, not at lookup */
	if (!put_file(&f, 100, "cmdline", "late\0args\0", 10))
		goto out;
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_EXE), "/usr/bin/worker", "exe");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_CMDLINE), "late args", "cmdline read lazily");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_ARGV), "late|args", "argv NUL-separated");
	ASSERT_EQ(fld_rc(&f, 100, g, PR_PF_ARGV), 9, "argv length");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_CWD), "/srv", "cwd");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_CGROUP), "/system.slice/docker-" HEX ".scope",
		     "cgroup from the 0:: line");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_CONTAINER), HEX, "container");
	ASSERT_EQ(num(&f, 100, g, PR_PF_UID), 1000, "uid");
	ASSERT_EQ(num(&f, 100, g, PR_PF_MNTNS), MNTNS, "mntns");
	ASSERT_EQ(num(&f, 100, g, PR_PF_PIDNS), PIDNS, "pidns");

	/* each field is read once: the files changing or going is not seen */
	put_link(&f, 100, "exe", "/usr/bin/changed");
	put_file(&f, 100, "cmdline", "changed\0", 8);
	del(&f, 100, "cwd");
	del(&f, 100, "cgroup");
	put_proc(&f, 100, "worker", 1, T1, 4242);
	del(&f, 100, "ns/mnt");
	put_link(&f, 100, "ns/pid", "pid:[1]");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_EXE), "/usr/bin/worker", "exe cached");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_CMDLINE), "late args", "cmdline cached");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_ARGV), "late|args", "argv cached");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_CWD), "/srv", "cwd cached");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_CGROUP), "/system.slice/docker-" HEX ".scope",
		     "cgroup cached");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_CONTAINER), HEX, "container cached");
	ASSERT_EQ(num(&f, 100, g, PR_PF_UID), 1000, "uid cached");
	ASSERT_EQ(num(&f, 100, g, PR_PF_MNTNS), MNTNS, "mntns cached");
	ASSERT_EQ(num(&f, 100, g, PR_PF_PIDNS), PIDNS, "pidns cached");

	/* a short buffer gets a NUL-terminated prefix */
	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(pr_proc_field(f.pc, 100, g, PR_PF_EXE, buf, 5), 4, "exe into 5 bytes");
	ASSERT_STREQ(buf, "/usr", "exe prefix");

	/* uid 0 is root; a cgroup that is no container */
	groot = gen_of(&f, 101);
	ASSERT_EQ(num(&f, 101, groot, PR_PF_UID), 0, "uid 0");
	ASSERT_STREQ(fld(&f, 101, groot, PR_PF_USER), "root", "user of uid 0");
	ASSERT_STREQ(fld(&f, 101, groot, PR_PF_CGROUP), "/user.slice/user-1000.slice",
		     "cgroup among v1 lines");
	ASSERT_EQ(fld_rc(&f, 101, groot, PR_PF_CONTAINER), -ENOENT, "no container");
	ASSERT_EQ(fld_rc(&f, 101, groot, PR_PF_CWD), -ENOENT, "no cwd link");
	ASSERT_EQ(fld_rc(&f, 101, groot, PR_PF_CWD), -ENOENT, "no cwd link, again");

	/* bad requests */
	ASSERT_EQ(pr_proc_field(f.pc, 100, g, PR_PF_UID, buf, sizeof(buf)), -EINVAL,
		  "a number as a string");
	ASSERT_EQ(pr_proc_field(f.pc, 100, g, -1, buf, sizeof(buf)), -EINVAL, "field -1");
	ASSERT_EQ(num(&f, 100, g, PR_PF_EXE), -EINVAL, "a string as a number");
	ASSERT_EQ(fld_rc(&f, 100, g + 1000, PR_PF_EXE), -ESTALE, "wrong gen");
	ASSERT_EQ(num(&f, 100, g + 1000, PR_PF_UID), -ESTALE, "wrong gen, number");
	ASSERT_EQ(fld_rc(&f, 4242, g, PR_PF_EXE), -ESTALE, "unknown pid");
out:
	fx_free(&f);
}

void test_proc_env(void)
{
	char buf[64];
	uint64_t g;
	struct fx f;

	if (!fx_init(&f, 16) || !put_worker(&f, 100, T1))
		goto out;
	g = gen_of(&f, 100);
	ASSERT_EQ(pr_proc_env(f.pc, 100, g, "PATH", buf, sizeof(buf)), 13, "PATH length");
	ASSERT_STREQ(buf, "/bin:/usr/bin", "PATH");
	ASSERT_EQ(pr_proc_env(f.pc, 100, g, "EMPTY", buf, sizeof(buf)), 0, "EMPTY length");
	ASSERT_STREQ(buf, "", "EMPTY");
	ASSERT_EQ(pr_proc_env(f.pc, 100, g, "LAST", buf, sizeof(buf)), 1, "last, no final NUL");
	ASSERT_STREQ(buf, "1", "LAST");
	ASSERT_EQ(pr_proc_env(f.pc, 100, g, "PAT", buf, sizeof(buf)), -ENOENT, "a prefix only");
	ASSERT_EQ(pr_proc_env(f.pc, 100, g, "NOPE", buf, sizeof(buf)), -ENOENT, "absent");
	ASSERT_EQ(pr_proc_env(f.pc, 100, g, "HOME", buf, 3), 2, "short buffer");
	ASSERT_STREQ(buf, "/r", "HOME prefix");
	/* read once */
	del(&f, 100, "environ");
	ASSERT_EQ(pr_proc_env(f.pc, 100, g, "HOME", buf, sizeof(buf)), 5, "HOME cached");
	ASSERT_STREQ(buf, "/root", "HOME");
	ASSERT_EQ(pr_proc_env(f.pc, 100, g + 1, "HOME", buf, sizeof(buf)), -ESTALE, "wrong gen");
out:
	fx_free(&f);
}

void test_proc_vanished(void)
{
	struct pr_proc_info info, again;
	struct fx f;
	uint64_t g;

	if (!fx_init(&f, 16) || !put_worker(&f, 100, T1) ||
	    !ASSERT_OK(pr_proc_lookup(f.pc, 100, &info), "lookup"))
		goto out;
	g = info.gen;
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_EXE), "/usr/bin/worker", "exe before");
	del(&f, 100, NULL);
	ASSERT_TRUE(fld_rc(&f, 100, g, PR_PF_CWD) < 0, "cwd after the process went");
	ASSERT_TRUE(fld_rc(&f, 100, g, PR_PF_CMDLINE) < 0, "cmdline after");
	ASSERT_TRUE(fld_rc(&f, 100, g, PR_PF_ARGV) < 0, "argv after");
	ASSERT_TRUE(fld_rc(&f, 100, g, PR_PF_CGROUP) < 0, "cgroup after");
	ASSERT_TRUE(fld_rc(&f, 100, g, PR_PF_CONTAINER) < 0, "container after");
	ASSERT_TRUE(fld_rc(&f, 100, g, PR_PF_USER) < 0, "user after");
	ASSERT_TRUE(num(&f, 100, g, PR_PF_UID) < 0, "uid after");
	ASSERT_TRUE(num(&f, 100, g, PR_PF_MNTNS) < 0, "mntns after");
	ASSERT_TRUE(num(&f, 100, g, PR_PF_PIDNS) < 0, "pidns after");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_EXE), "/usr/bin/worker", "exe read before stays");
	if (ASSERT_OK(pr_proc_lookup(f.pc, 100, &again), "lookup after")) {
		ASSERT_EQ(again.gen, g, "same entry");
		ASSERT_STREQ(again.comm, "worker", "comm stays");
		ASSERT_EQ(again.start_ticks, T1, "start stays");
	}
out:
	fx_free(&f);
}

void test_proc_reused_under_entry(void)
{
	static const int fields[] = { PR_PF_EXE,    PR_PF_CMDLINE,   PR_PF_ARGV, PR_PF_CWD,
				      PR_PF_CGROUP, PR_PF_CONTAINER, PR_PF_USER };
	char buf[2048];
	size_t i;
	uint64_t g, v;
	struct fx f;
	int n;

	if (!fx_init(&f, 16) || !put_worker(&f, 200, T1))
		goto out;
	g = gen_of(&f, 200);
	/* pid 200 now names another process: same files, another start */
	if (!put_proc(&f, 200, "intruder", 7, T2, 0) ||
	    !put_link(&f, 200, "exe", "/usr/bin/intruder") ||
	    !put_link(&f, 200, "cwd", "/intruder") ||
	    !put_file(&f, 200, "cmdline", "intruder\0", 9) ||
	    !put_str(&f, 200, "cgroup", "0::/intruder\n") ||
	    !put_file(&f, 200, "environ", "WHO=intruder", 12) ||
	    !put_link(&f, 200, "ns/mnt", "mnt:[1]"))
		goto out;
	strcpy(buf, "untouched");
	ASSERT_EQ(pr_proc_field(f.pc, 200, g, PR_PF_EXE, buf, sizeof(buf)), -ESTALE,
		  "exe of the reused pid is stale");
	ASSERT_STREQ(buf, "untouched", "exe not copied");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		strcpy(buf, "untouched");
		n = pr_proc_field(f.pc, 200, g, fields[i], buf, sizeof(buf));
		ASSERT_TRUE(n < 0, fld(&f, 200, g, fields[i]));
		ASSERT_STREQ(buf, "untouched", "buffer untouched");
	}
	v = 777;
	ASSERT_TRUE(pr_proc_number(f.pc, 200, g, PR_PF_UID, &v) < 0, "uid of the reused pid");
	ASSERT_TRUE(pr_proc_number(f.pc, 200, g, PR_PF_MNTNS, &v) < 0, "mntns of the reused pid");
	ASSERT_EQ(v, 777, "number untouched");
	ASSERT_TRUE(pr_proc_env(f.pc, 200, g, "WHO", buf, sizeof(buf)) < 0,
		    "env of the reused pid");
out:
	fx_free(&f);
}

void test_proc_reuse_by_exec(void)
{
	struct pr_proc_info info;
	struct pr_proc_stats s;
	uint64_t g1;
	struct fx f;

	if (!fx_init(&f, 16) || !put_worker(&f, 100, T1))
		goto out;
	g1 = gen_of(&f, 100);
	on_exec(&f, exec_ev(100, T2, "newcomm", "/usr/bin/new", "new\0arg", 7));
	ASSERT_EQ(fld_rc(&f, 100, g1, PR_PF_EXE), -ESTALE, "old gen after reuse: string");
	ASSERT_EQ(num(&f, 100, g1, PR_PF_UID), -ESTALE, "old gen after reuse: number");
	if (ASSERT_OK(pr_proc_lookup(f.pc, 100, &info), "lookup after reuse")) {
		ASSERT_TRUE(info.gen != 0 && info.gen != g1, "another gen");
		ASSERT_STREQ(info.comm, "newcomm", "comm of the exec");
		ASSERT_EQ(info.ppid, 55, "ppid of the exec");
		ASSERT_EQ(info.start_ticks, T2, "start of the exec");
		ASSERT_EQ(info.exited, 0, "alive");
		ASSERT_STREQ(fld(&f, 100, info.gen, PR_PF_CMDLINE), "new arg", "args of the exec");
		/* /proc still shows the old process: its exe is not taken */
		ASSERT_STREQ(fld(&f, 100, info.gen, PR_PF_EXE), "/usr/bin/new", "exe of the exec");
	}
	s = stats(&f);
	ASSERT_EQ(s.reloads, 1, "one reload");
	ASSERT_EQ(s.size, 1, "one entry");
out:
	fx_free(&f);
}

void test_proc_exec_same_process(void)
{
	struct pr_proc_info info;
	struct pr_proc_stats s;
	struct fx f;
	uint64_t g;

	if (!fx_init(&f, 16) || !put_worker(&f, 100, T1))
		goto out;
	g = gen_of(&f, 100);
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_EXE), "/usr/bin/worker", "exe before exec");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_CMDLINE), "/usr/bin/worker --flag x y",
		     "cmdline before exec");
	ASSERT_EQ(num(&f, 100, g, PR_PF_UID), 1000, "uid before exec");
	ASSERT_EQ(num(&f, 100, g, PR_PF_MNTNS), MNTNS, "mntns before exec");
	ASSERT_EQ(num(&f, 100, g, PR_PF_PIDNS), PIDNS, "pidns before exec");

	put_link(&f, 100, "exe", "/usr/bin/new");
	on_exec(&f, exec_ev(100, T1, "new", "/usr/bin/new", "a\0b\0c\0", 6));
	if (!ASSERT_OK(pr_proc_lookup(f.pc, 100, &info), "lookup after exec"))
		goto out;
	g = info.gen;
	ASSERT_STREQ(info.comm, "new", "comm from the exec");
	ASSERT_EQ(info.ppid, 55, "ppid from the exec");
	ASSERT_EQ(info.start_ticks, T1, "same start");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_EXE), "/usr/bin/new", "exe read again");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_CMDLINE), "a b c", "cmdline from the exec");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_ARGV), "a|b|c", "argv from the exec");
	ASSERT_EQ(fld_rc(&f, 100, g, PR_PF_ARGV), 5, "argv length without trailing NUL");
	ASSERT_EQ(num(&f, 100, g, PR_PF_UID), 2000, "uid from the exec");
	ASSERT_EQ(num(&f, 100, g, PR_PF_MNTNS), 11, "mntns from the exec");
	ASSERT_EQ(num(&f, 100, g, PR_PF_PIDNS), 22, "pidns from the exec");
	s = stats(&f);
	ASSERT_EQ(s.reloads, 0, "no reload");
	ASSERT_EQ(s.size, 1, "one entry");
out:
	fx_free(&f);
}

/* An exec whose argument block was cut after args_len bytes. */
static void exec_cut(struct fx *f, uint32_t pid, const char *args, uint32_t args_len)
{
	struct pr_exec e = exec_ev(pid, T1, "a", "/bin/a", args, args_len);

	e.args_truncated = 1;
	pr_proc_on_exec(f->pc, &e);
}

void test_proc_exec_args_truncated(void)
{
	struct fx f;
	uint64_t g;

	if (!fx_init(&f, 16) || !put_worker(&f, 100, T1) ||
	    !put_file(&f, 100, "cmdline", "a\0b\0c\0d\0", 8) || !put_worker(&f, 102, T1) ||
	    !put_file(&f, 102, "cmdline", "a\0b\0c\0d\0", 8))
		goto out;

	/* 100 and 102 have all of "a b c d" in /proc, 101 has no /proc entry */
	exec_cut(&f, 100, "a\0b", 3);
	exec_cut(&f, 101, "a\0b\0", 4);
	exec_cut(&f, 102, "a\0b", 3);

	/* cut, the process alive: /proc has all of it */
	g = gen_of(&f, 100);
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_ARGV), "a|b|c|d", "cut argv: /proc preferred");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_CMDLINE), "a b c d", "cut cmdline: /proc preferred");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_ARGV), "a|b|c|d", "argv again");

	/* cut, the process gone (101 has no /proc dir): what the event had */
	g = gen_of(&f, 101);
	ASSERT_STREQ(fld(&f, 101, g, PR_PF_ARGV), "a|b", "gone: cut argv");
	ASSERT_STREQ(fld(&f, 101, g, PR_PF_CMDLINE), "a b", "gone: cut cmdline");
	ASSERT_STREQ(fld(&f, 101, g, PR_PF_ARGV), "a|b", "gone: cut argv, read again");

	/* cut and exited: /proc is not read even though 102 is there */
	on_exit_ev(&f, exit_ev(102, 55, T1, "a"));
	g = gen_of(&f, 102);
	ASSERT_STREQ(fld(&f, 102, g, PR_PF_CMDLINE), "a b", "exited: cut cmdline");
	ASSERT_STREQ(fld(&f, 102, g, PR_PF_ARGV), "a|b", "exited: cut argv");
out:
	fx_free(&f);
}

void test_proc_exec_only(void)
{
	struct pr_proc_info info;
	struct fx f;
	uint64_t g;

	if (!fx_init(&f, 16))
		goto out;
	/* a process that lived 1 ms: never in /proc, known from its events */
	on_exec(&f, exec_ev(300, T1, "blink", "/usr/bin/blink", "blink\0-n\0001\0", 12));
	if (!ASSERT_OK(pr_proc_lookup(f.pc, 300, &info), "lookup"))
		goto out;
	g = info.gen;
	ASSERT_STREQ(info.comm, "blink", "comm");
	ASSERT_EQ(info.ppid, 55, "ppid");
	ASSERT_EQ(info.start_ticks, T1, "start");
	ASSERT_STREQ(fld(&f, 300, g, PR_PF_EXE), "/usr/bin/blink", "exe from the event");
	ASSERT_STREQ(fld(&f, 300, g, PR_PF_CMDLINE), "blink -n 1", "cmdline from the event");
	ASSERT_EQ(num(&f, 300, g, PR_PF_UID), 2000, "uid");
	ASSERT_EQ(num(&f, 300, g, PR_PF_MNTNS), 11, "mntns");
	ASSERT_EQ(num(&f, 300, g, PR_PF_PIDNS), 22, "pidns");
	ASSERT_TRUE(fld_rc(&f, 300, g, PR_PF_CWD) < 0, "cwd unknown");

	on_exit_ev(&f, exit_ev(300, 55, T1, "blink"));
	if (ASSERT_OK(pr_proc_lookup(f.pc, 300, &info), "lookup after exit")) {
		ASSERT_EQ(info.gen, g, "same entry");
		ASSERT_EQ(info.exited, 1, "exited");
	}
	ASSERT_STREQ(fld(&f, 300, g, PR_PF_EXE), "/usr/bin/blink", "exe after exit");
	ASSERT_STREQ(fld(&f, 300, g, PR_PF_ARGV), "blink|-n|1", "argv after exit");
	ASSERT_EQ(num(&f, 300, g, PR_PF_UID), 2000, "uid after exit");
out:
	fx_free(&f);
}

void test_proc_exit_grace(void)
{
	struct pr_proc_info info;
	struct pr_proc_stats s;
	struct fx f;
	uint64_t g;

	if (!fx_init(&f, 16) || !put_worker(&f, 100, T1) || !put_worker(&f, 101, T1))
		goto out;
	g = gen_of(&f, 100);
	gen_of(&f, 101);
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_EXE), "/usr/bin/worker", "exe before exit");
	on_exit_ev(&f, exit_ev(100, 1, T1, "worker"));
	del(&f, 100, NULL);
	if (ASSERT_OK(pr_proc_lookup(f.pc, 100, &info), "lookup after exit")) {
		ASSERT_EQ(info.exited, 1, "exited");
		ASSERT_EQ(info.gen, g, "same entry");
		ASSERT_STREQ(info.comm, "worker", "comm");
	}
	pr_proc_end_cycle(f.pc); /* the cycle of the exit */
	ASSERT_EQ(f.nevicted, 0, "not evicted at the end of its own cycle");
	if (ASSERT_OK(pr_proc_lookup(f.pc, 100, &info), "lookup in the next cycle"))
		ASSERT_EQ(info.exited, 1, "exited");
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_EXE), "/usr/bin/worker", "exe in the next cycle");
	pr_proc_end_cycle(f.pc); /* the next one */
	ASSERT_EQ(f.nevicted, 1, "evicted once");
	ASSERT_EQ(f.evicted[0], 100, "evicted pid");
	ASSERT_EQ(pr_proc_lookup(f.pc, 100, &info), -ENOENT, "gone");
	ASSERT_EQ(fld_rc(&f, 100, g, PR_PF_EXE), -ESTALE, "fields of an evicted entry");
	pr_proc_end_cycle(f.pc);
	pr_proc_end_cycle(f.pc);
	ASSERT_EQ(f.nevicted, 1, "still evicted once");
	s = stats(&f);
	ASSERT_EQ(s.exited_evictions, 1, "exited_evictions");
	ASSERT_EQ(s.evictions, 0, "no LRU eviction");
	ASSERT_EQ(s.size, 1, "101 stays");
	if (ASSERT_OK(pr_proc_lookup(f.pc, 101, &info), "lookup 101"))
		ASSERT_EQ(info.exited, 0, "101 alive");
out:
	fx_free(&f);
}

void test_proc_exited_never_reads_proc(void)
{
	struct pr_proc_info info;
	char buf[64];
	struct fx f;
	uint64_t g;

	if (!fx_init(&f, 16) || !put_worker(&f, 100, T1))
		goto out;
	g = gen_of(&f, 100);
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_EXE), "/usr/bin/worker", "exe before exit");
	on_exit_ev(&f, exit_ev(100, 1, T1, "worker"));
	/* pid 100 again, other content (even the same start time) */
	del(&f, 100, NULL);
	if (!put_proc(&f, 100, "newcomer", 9, T1, 0) ||
	    !put_link(&f, 100, "exe", "/usr/bin/newcomer") ||
	    !put_link(&f, 100, "cwd", "/newcomer") ||
	    !put_file(&f, 100, "cmdline", "newcomer\0", 9) ||
	    !put_str(&f, 100, "cgroup", "0::/newcomer\n") ||
	    !put_file(&f, 100, "environ", "WHO=newcomer", 12) ||
	    !put_link(&f, 100, "ns/mnt", "mnt:[1]") || !put_link(&f, 100, "ns/pid", "pid:[2]"))
		goto out;
	if (ASSERT_OK(pr_proc_lookup(f.pc, 100, &info), "lookup")) {
		ASSERT_STREQ(info.comm, "worker", "comm of the exited entry");
		ASSERT_EQ(info.ppid, 1, "ppid of the exited entry");
		ASSERT_EQ(info.exited, 1, "exited");
	}
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_EXE), "/usr/bin/worker", "exe read before exit");
	ASSERT_TRUE(fld_rc(&f, 100, g, PR_PF_CWD) < 0, fld(&f, 100, g, PR_PF_CWD));
	ASSERT_TRUE(fld_rc(&f, 100, g, PR_PF_CMDLINE) < 0, fld(&f, 100, g, PR_PF_CMDLINE));
	ASSERT_TRUE(fld_rc(&f, 100, g, PR_PF_ARGV) < 0, fld(&f, 100, g, PR_PF_ARGV));
	ASSERT_TRUE(fld_rc(&f, 100, g, PR_PF_CGROUP) < 0, fld(&f, 100, g, PR_PF_CGROUP));
	ASSERT_TRUE(fld_rc(&f, 100, g, PR_PF_USER) < 0, fld(&f, 100, g, PR_PF_USER));
	ASSERT_TRUE(num(&f, 100, g, PR_PF_UID) < 0, "uid not read after exit");
	ASSERT_TRUE(num(&f, 100, g, PR_PF_MNTNS) < 0, "mntns not read after exit");
	ASSERT_TRUE(num(&f, 100, g, PR_PF_PIDNS) < 0, "pidns not read after exit");
	ASSERT_TRUE(pr_proc_env(f.pc, 100, g, "WHO", buf, sizeof(buf)) < 0, "env not read");
out:
	fx_free(&f);
}

void test_proc_exit_unseen(void)
{
	struct pr_proc_info info;
	struct fx f;

	if (!fx_init(&f, 16))
		goto out;
	on_exit_ev(&f, exit_ev(400, 7, T1, "short"));
	if (ASSERT_OK(pr_proc_lookup(f.pc, 400, &info), "lookup")) {
		ASSERT_STREQ(info.comm, "short", "comm from the event");
		ASSERT_EQ(info.ppid, 7, "ppid from the event");
		ASSERT_EQ(info.start_ticks, T1, "start from the event");
		ASSERT_EQ(info.exited, 1, "exited");
		ASSERT_TRUE(info.gen != 0, "gen");
	}
	pr_proc_end_cycle(f.pc);
	ASSERT_OK(pr_proc_lookup(f.pc, 400, &info), "still there in the next cycle");
	pr_proc_end_cycle(f.pc);
	ASSERT_EQ(pr_proc_lookup(f.pc, 400, &info), -ENOENT, "gone after it");
	ASSERT_EQ(f.nevicted, 1, "evicted once");
out:
	fx_free(&f);
}

void test_proc_fork(void)
{
	struct pr_proc_info info;
	struct pr_proc_stats s;
	struct fx f;
	uint64_t g;

	if (!fx_init(&f, 16))
		goto out;
	on_fork(&f, fork_ev(500, 1, T1, "child"));
	if (!ASSERT_OK(pr_proc_lookup(f.pc, 500, &info), "lookup"))
		goto out;
	g = info.gen;
	ASSERT_STREQ(info.comm, "child", "comm");
	ASSERT_EQ(info.ppid, 1, "ppid");
	ASSERT_EQ(info.start_ticks, T1, "start");
	ASSERT_EQ(info.exited, 0, "alive");

	on_fork(&f, fork_ev(500, 2, T2, "again"));
	if (ASSERT_OK(pr_proc_lookup(f.pc, 500, &info), "lookup after reuse")) {
		ASSERT_TRUE(info.gen != g, "another gen");
		ASSERT_STREQ(info.comm, "again", "comm");
		ASSERT_EQ(info.ppid, 2, "ppid");
		ASSERT_EQ(info.start_ticks, T2, "start");
	}
	ASSERT_EQ(fld_rc(&f, 500, g, PR_PF_EXE), -ESTALE, "old gen");
	s = stats(&f);
	ASSERT_EQ(s.reloads, 1, "one reload");
	ASSERT_EQ(s.size, 1, "one entry");
out:
	fx_free(&f);
}

void test_proc_lru(void)
{
	struct pr_proc_info info;
	uint32_t pid, kept = 1000;
	struct pr_proc_stats s;
	char what[64];
	bool ok = true;
	struct fx f;
	uint64_t g;

	if (!fx_init(&f, 16))
		goto out;
	on_fork(&f, fork_ev(kept, 1, T1, "kept"));
	g = gen_of(&f, kept);
	for (pid = kept + 1; pid < kept + 100; pid++) {
		on_fork(&f, fork_ev(pid, 1, T1, "filler"));
		ok = ok && ASSERT_OK(pr_proc_lookup(f.pc, kept, &info), "touch the kept one");
		s = stats(&f);
		snprintf(what, sizeof(what), "size after pid %u", pid);
		ok = ok && ASSERT_TRUE(s.size <= 16, what);
	}
	s = stats(&f);
	ASSERT_EQ(s.size, 16, "full");
	ASSERT_EQ(s.capacity, 16, "capacity");
	ASSERT_EQ(s.evictions, 100 - 16, "evictions");
	if (ASSERT_OK(pr_proc_lookup(f.pc, kept, &info), "the kept one survives"))
		ASSERT_EQ(info.gen, g, "same entry");
	for (pid = kept + 85; pid < kept + 100; pid++) {
		snprintf(what, sizeof(what), "recent pid %u survives", pid);
		ASSERT_OK(pr_proc_lookup(f.pc, pid, &info), what);
	}
	for (pid = kept + 1; pid < kept + 85; pid += 7) {
		snprintf(what, sizeof(what), "old pid %u evicted", pid);
		ASSERT_EQ(pr_proc_lookup(f.pc, pid, &info), -ENOENT, what);
	}

	/* entries read from /proc obey the same bound */
	for (pid = 1; pid <= 40 && ok; pid++) {
		ok = put_proc(&f, pid, "fromproc", 1, T1, 0) &&
		     ASSERT_OK(pr_proc_lookup(f.pc, pid, &info), "lookup from /proc");
		s = stats(&f);
		ok = ok && ASSERT_TRUE(s.size <= 16, "size with /proc entries");
	}
	s = stats(&f);
	ASSERT_EQ(s.size, 16, "full again");
	ASSERT_EQ(s.evictions, 100 - 16 + 40, "evictions with /proc entries");
	ASSERT_EQ(pr_proc_lookup(f.pc, kept, &info), -ENOENT, "kept one finally evicted");
out:
	fx_free(&f);
}

void test_proc_exited_dropped_early(void)
{
	struct pr_proc_info info;
	uint32_t pid;
	struct fx f;

	/* an exited pid that leaves the cache before its grace cycle ends,
	 * pushed out by the LRU bound or by a new process on the same pid,
	 * still left the cache: on_evict hears of it once */
	if (!fx_init(&f, 4))
		goto out;
	on_fork(&f, fork_ev(10, 1, T1, "ten"));
	on_exit_ev(&f, exit_ev(10, 1, T1, "ten"));
	for (pid = 20; pid < 24; pid++)
		on_fork(&f, fork_ev(pid, 1, T1, "filler"));
	ASSERT_EQ(pr_proc_lookup(f.pc, 10, &info), -ENOENT, "exited 10 pushed out");
	pr_proc_end_cycle(f.pc);
	pr_proc_end_cycle(f.pc);
	ASSERT_EQ(f.nevicted, 1, "on_evict after an LRU eviction of an exited pid");
	ASSERT_EQ(f.evicted[0], 10, "evicted pid");

	f.nevicted = 0;
	on_exit_ev(&f, exit_ev(20, 1, T1, "filler"));
	on_fork(&f, fork_ev(20, 1, T2, "newer"));
	if (ASSERT_OK(pr_proc_lookup(f.pc, 20, &info), "new process on 20")) {
		ASSERT_EQ(info.exited, 0, "the new one");
		ASSERT_EQ(info.start_ticks, T2, "its start");
	}
	pr_proc_end_cycle(f.pc);
	pr_proc_end_cycle(f.pc);
	ASSERT_EQ(f.nevicted, 1, "on_evict after the exited 20 was replaced");
	if (ASSERT_OK(pr_proc_lookup(f.pc, 20, &info), "new process on 20 stays"))
		ASSERT_EQ(info.start_ticks, T2, "its start");
out:
	fx_free(&f);
}

void test_proc_seed(void)
{
	struct pr_proc_info info;
	char path[256];
	struct pr_proc_stats s;
	uint32_t pid;
	struct fx f;

	if (!fx_init(&f, 16))
		goto out;
	for (pid = 1; pid <= 5; pid++)
		if (!put_proc(&f, pid * 100, "seeded", 1, T1 + pid, 0))
			goto out;
	/* not processes */
	snprintf(path, sizeof(path), "%s/sys", f.root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/123abc", f.root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/self", f.root);
	symlink("100", path);
	if (!put_proc(&f, 0, "zero", 0, T1, 0) || !put_str(&f, 777, "status", "Uid:\t0\n"))
		goto out;
	if (!ASSERT_EQ(pr_proc_seed(f.pc), 5, "seeded"))
		goto out;
	s = stats(&f);
	ASSERT_EQ(s.seeded, 5, "stats seeded");
	ASSERT_EQ(s.size, 5, "size");
	for (pid = 1; pid <= 5; pid++) {
		if (ASSERT_OK(pr_proc_lookup(f.pc, pid * 100, &info), "seeded pid")) {
			ASSERT_STREQ(info.comm, "seeded", "comm");
			ASSERT_EQ(info.start_ticks, T1 + pid, "start");
		}
	}
	s = stats(&f);
	ASSERT_EQ(s.hits, 5, "seeded pids hit");
	ASSERT_EQ(pr_proc_seed(f.pc), 0, "a second seed finds nothing new");
	s = stats(&f);
	ASSERT_EQ(s.seeded, 5, "stats seeded unchanged");
out:
	fx_free(&f);
}

/* The cgroup path and container come from the id an event carried, so
 * they outlive the process. */
void test_proc_cgroup_from_event(void)
{
	char cgroot[64] = "", path[256];
	struct pr_cgroup_opts co = { 0 };
	struct pr_cgroup *cg = NULL;
	struct pr_proc_info info;
	struct pr_exec e;
	struct pr_exit x;
	struct stat st;
	struct fx f = { .pc = NULL };

	if (!test_mkdtemp(cgroot))
		goto out;
	snprintf(path, sizeof(path), "%s/system.slice", cgroot);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/system.slice/docker-" HEX ".scope", cgroot);
	if (!ASSERT_OK(mkdir(path, 0755), "mkdir scope") || !ASSERT_OK(stat(path, &st), "stat"))
		goto out;
	co.root = cgroot;
	if (!ASSERT_OK(pr_cgroup_new(&co, &cg), "cgroup_new") || !fx_init_cg(&f, 16, cg))
		goto out;
	e = exec_ev(600, T1, "boxed", "/app", "app\0", 4);
	e.cgroup = st.st_ino;
	pr_proc_on_exec(f.pc, &e);
	x = exit_ev(600, 55, T1, "boxed");
	x.cgroup = st.st_ino;
	pr_proc_on_exit(f.pc, &x);
	if (!ASSERT_OK(pr_proc_lookup(f.pc, 600, &info), "lookup"))
		goto out;
	ASSERT_STREQ(fld(&f, 600, info.gen, PR_PF_CGROUP), "/system.slice/docker-" HEX ".scope",
		     "cgroup from the id");
	ASSERT_STREQ(fld(&f, 600, info.gen, PR_PF_CONTAINER), HEX, "container from the id");

	/* a never-seen process: the exit event's id */
	x = exit_ev(601, 55, T1, "boxed2");
	x.cgroup = st.st_ino;
	pr_proc_on_exit(f.pc, &x);
	if (ASSERT_OK(pr_proc_lookup(f.pc, 601, &info), "lookup 601"))
		ASSERT_STREQ(fld(&f, 601, info.gen, PR_PF_CONTAINER), HEX, "container of 601");
out:
	fx_free(&f);
	pr_cgroup_free(cg);
	if (cgroot[0])
		rm_tree(cgroot);
}

/* Process B: what must never show through A's object. */
static bool put_b(const struct fx *f, uint32_t pid, uint64_t start)
{
	return put_proc(f, pid, "prog_b", 9, start, 0) &&
	       put_link(f, pid, "exe", "/usr/bin/prog_b") && put_link(f, pid, "cwd", "/b.d") &&
	       put_file(f, pid, "cmdline", "BBB\0", 4) &&
	       put_file(f, pid, "environ", "MARK=B", 6) && put_link(f, pid, "ns/mnt", "mnt:[7]");
}

/* What A's object (pid 100, gen g) shows once B holds its pid: A's own
 * event data or nothing, never B's. */
static void expect_only_a(struct fx *f, uint64_t g, const char *when)
{
	char buf[64], what[128];

	snprintf(what, sizeof(what), "%s: exe from A's exec event", when);
	ASSERT_STREQ(fld(f, 100, g, PR_PF_EXE), "/usr/bin/prog_a", what);
	snprintf(what, sizeof(what), "%s: cmdline from A's exec event", when);
	ASSERT_STREQ(fld(f, 100, g, PR_PF_CMDLINE), "AAA -x", what);
	snprintf(what, sizeof(what), "%s: no cwd (B's is /b.d)", when);
	ASSERT_TRUE(fld_rc(f, 100, g, PR_PF_CWD) < 0, what);
	snprintf(what, sizeof(what), "%s: no MARK (B's is B)", when);
	ASSERT_TRUE(pr_proc_env(f->pc, 100, g, "MARK", buf, sizeof(buf)) < 0, what);
	snprintf(what, sizeof(what), "%s: mntns from A's exec event", when);
	ASSERT_EQ(num(f, 100, g, PR_PF_MNTNS), 11, what);
}

/* A execs and exits within a tick; B gets A's pid in that same tick. A's
 * object, first looked up only then, must not be pinned to B: the live
 * table names B's exact start (or nobody), not A's. */
void test_proc_live_reuse_same_tick(void)
{
	uint64_t ns_a = boot_ns(T1) + 1000, ns_b = boot_ns(T1) + 5000;
	struct pr_proc_info info;
	struct pr_exec ea;
	struct pr_exit xa;
	struct pr_proc_stats s;
	struct fx f;
	uint64_t g, g101;

	if (!fx_init_live(&f) || !put_b(&f, 100, T1))
		goto out;
	ea = exec_ev(100, T1, "prog_a", "/usr/bin/prog_a", "AAA\0-x\0", 7);
	ea.start_boottime = ns_a;
	live_put(&f, 100, ns_b); /* A is gone, B holds the pid */
	pr_proc_on_exec(f.pc, &ea);
	if (!ASSERT_OK(pr_proc_lookup(f.pc, 100, &info), "lookup A"))
		goto out;
	g = info.gen;
	ASSERT_STREQ(info.comm, "prog_a", "A's comm");
	ASSERT_EQ(info.start_ticks, T1, "A's start tick, B's too");
	ASSERT_EQ(info.exited, 0, "A's exit event not seen yet");
	expect_only_a(&f, g, "B on the pid");
	s = stats(&f);
	ASSERT_EQ(s.gone, 1, "A found gone");

	/* the same with nobody the table knows on the pid */
	f.nlive = 0;
	ea.pid = 101;
	if (!put_b(&f, 101, T1))
		goto out;
	pr_proc_on_exec(f.pc, &ea);
	g101 = gen_of(&f, 101);
	ASSERT_STREQ(fld(&f, 101, g101, PR_PF_EXE), "/usr/bin/prog_a", "no holder: A's exe");
	ASSERT_TRUE(fld_rc(&f, 101, g101, PR_PF_CWD) < 0, "no holder: no cwd");

	/* A's exit, then B's exec: B is a new entry and reads its own */
	xa = exit_ev(100, 55, T1, "prog_a");
	xa.start_boottime = ns_a;
	pr_proc_on_exit(f.pc, &xa);
	if (ASSERT_OK(pr_proc_lookup(f.pc, 100, &info), "lookup A after its exit")) {
		ASSERT_EQ(info.gen, g, "A's entry");
		ASSERT_EQ(info.exited, 1, "exited");
	}
	ea = exec_ev(100, T1, "prog_b", "/usr/bin/prog_b", "BBB\0", 4);
	ea.start_boottime = ns_b;
	live_put(&f, 100, ns_b);
	pr_proc_on_exec(f.pc, &ea);
	if (ASSERT_OK(pr_proc_lookup(f.pc, 100, &info), "lookup B")) {
		ASSERT_TRUE(info.gen != g, "B has its own gen");
		ASSERT_STREQ(fld(&f, 100, info.gen, PR_PF_CWD), "/b.d", "B reads its cwd");
	}
	ASSERT_EQ(fld_rc(&f, 100, g, PR_PF_EXE), -ESTALE, "A's gen is gone");
out:
	fx_free(&f);
}

/* The table naming A's exact start pins A's object to A; once A is gone
 * nothing more is read through it, though B has the pid and the tick. */
void test_proc_live_same_process(void)
{
	uint64_t ns_a = boot_ns(T1) + 1000;
	struct pr_exec ea;
	char buf[64];
	struct fx f;
	uint64_t g;

	if (!fx_init_live(&f) || !put_worker(&f, 100, T1))
		goto out;
	ea = exec_ev(100, T1, "prog_a", "/usr/bin/prog_a", "AAA\0-x\0", 7);
	ea.start_boottime = ns_a;
	live_put(&f, 100, ns_a);
	pr_proc_on_exec(f.pc, &ea);
	g = gen_of(&f, 100);
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_CWD), "/srv", "A's cwd from /proc");
	ASSERT_EQ(pr_proc_env(f.pc, 100, g, "HOME", buf, sizeof(buf)), 5, "A's environment");

	/* A exits, B takes the pid in the same tick */
	del(&f, 100, NULL);
	live_put(&f, 100, boot_ns(T1) + 5000);
	if (!put_b(&f, 100, T1))
		goto out;
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_CWD), "/srv", "A's cwd stays");
	ASSERT_EQ(num(&f, 100, g, PR_PF_UID), 2000, "uid from A's exec event, not B's 0");
	ASSERT_TRUE(fld_rc(&f, 100, g, PR_PF_CGROUP) < 0, "no cgroup: A's fd reads nothing now");
	ASSERT_EQ(stats(&f).gone, 0, "pinned: the table was not needed again");
out:
	fx_free(&f);
}

/* An entry that could not be pinned reads by path: a value counts only
 * if the table still names its process after the read. */
void test_proc_live_by_path(void)
{
	uint64_t ns_a = boot_ns(T1) + 1000;
	struct pr_exec ea;
	char buf[64];
	struct fx f;
	uint64_t g;

	if (!fx_init_live(&f))
		goto out;
	ea = exec_ev(100, T1, "prog_a", "/usr/bin/prog_a", "AAA\0-x\0", 7);
	ea.start_boottime = ns_a;
	live_put(&f, 100, ns_a);
	pr_proc_on_exec(f.pc, &ea);
	g = gen_of(&f, 100); /* no /proc/100: nothing to pin */
	live_put(&f, 100, boot_ns(T1) + 5000);
	if (!put_b(&f, 100, T1))
		goto out;
	expect_only_a(&f, g, "read by path");
	ASSERT_TRUE(pr_proc_env(f.pc, 100, g, "MARK", buf, sizeof(buf)) < 0, "env again");
	ASSERT_EQ(stats(&f).gone, 1, "found gone after a read");
out:
	fx_free(&f);
}

/* A table that cannot tell (it overflowed) leaves the tick check: a live
 * process is still read. */
void test_proc_live_unknown(void)
{
	struct pr_exec ea;
	struct fx f;
	uint64_t g;

	if (!fx_init_live(&f) || !put_worker(&f, 100, T1))
		goto out;
	f.live_miss = -EAGAIN;
	ea = exec_ev(100, T1, "worker", "/usr/bin/worker", "w\0", 2);
	ea.start_boottime = boot_ns(T1) + 1000;
	pr_proc_on_exec(f.pc, &ea);
	g = gen_of(&f, 100);
	ASSERT_STREQ(fld(&f, 100, g, PR_PF_CWD), "/srv", "cwd by the tick check");
	ASSERT_EQ(stats(&f).gone, 0, "not gone");
out:
	fx_free(&f);
}

/* Starts compare exactly once both are known: an event of another process
 * in the same tick is never taken for the cached one. */
void test_proc_live_exact_identity(void)
{
	uint64_t ns_w = boot_ns(T1) + 1000, ns_x = boot_ns(T1) + 7000;
	struct pr_proc_info info;
	struct pr_exec e;
	struct pr_exit x;
	struct fx f;
	uint64_t g;

	/* loaded from /proc: its exact start comes from the table */
	if (!fx_init_live(&f) || !put_worker(&f, 100, T1))
		goto out;
	live_put(&f, 100, ns_w);
	g = gen_of(&f, 100);
	e = exec_ev(100, T1, "same", "/usr/bin/same", "s\0", 2);
	e.start_boottime = ns_w;
	pr_proc_on_exec(f.pc, &e);
	if (ASSERT_OK(pr_proc_lookup(f.pc, 100, &info), "exec of the same process"))
		ASSERT_EQ(info.gen, g, "same gen");

	/* its exit event was lost; another process, same pid, same tick */
	e = exec_ev(100, T1, "other", "/usr/bin/other", "o\0", 2);
	e.start_boottime = ns_x;
	live_put(&f, 100, ns_x);
	pr_proc_on_exec(f.pc, &e);
	if (ASSERT_OK(pr_proc_lookup(f.pc, 100, &info), "exec of another process")) {
		ASSERT_TRUE(info.gen != g, "another gen");
		ASSERT_STREQ(info.comm, "other", "its comm");
	}
	ASSERT_EQ(fld_rc(&f, 100, g, PR_PF_EXE), -ESTALE, "the old gen reads nothing");

	/* the first one's late exit does not end the second */
	g = info.gen;
	x = exit_ev(100, 1, T1, "same");
	x.start_boottime = ns_w;
	pr_proc_on_exit(f.pc, &x);
	if (ASSERT_OK(pr_proc_lookup(f.pc, 100, &info), "after the late exit"))
		ASSERT_TRUE(info.gen != g || !info.exited, "the second is not marked exited");
out:
	fx_free(&f);
}
