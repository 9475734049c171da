// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Process metadata cache. An entry is one process: its pid plus its start
 * time in clock ticks since boot (what /proc/PID/stat field 22 holds) and,
 * when an event or the live table told it, in exact CLOCK_BOOTTIME ns (what
 * exec/fork/exit events carry as start_boottime). Each entry gets a
 * generation number when created; Lua objects hold (pid, gen), so a proc()
 * object never reads another process's data after the pid is reused.
 *
 * A tick is 10 ms: a process can exit and another take its pid within the
 * tick it started in. Two starts are compared exactly when both are known,
 * by tick otherwise. /proc is read through a /proc/PID dirfd checked once
 * (pin): a read through it fails once that process is gone, whoever has
 * the pid. The live table (pr_proc_set_live: pid -> exact start of the
 * process holding it, kept by the lifecycle programs) tells whether the
 * process there is the entry's own: asked after the dirfd is opened and
 * before its start is checked through it, it names the process behind the
 * fd, which was alive at both ends. An entry with an exact start that the
 * table no longer holds is gone: /proc is never read for it again, even
 * if the pid and tick now belong to another process. Entries of processes
 * older than the table (seeded) have only the tick check.
 *
 * Sources, in order of trust: lifecycle events (exec carries comm, ppid,
 * uid, cgroup, namespaces, filename and argv, so a 1 ms process is fully
 * described), then /proc, read one field at a time on first use. A /proc
 * read for a live entry is checked afterwards against the entry's start
 * time: if the pid now belongs to another process the value is dropped.
 * Exited entries never read /proc (the pid may be someone else's by now).
 *
 * Lifetime: an exit marks the entry; it stays readable through the end of
 * the next dispatch cycle (on_exit and samples still in flight find it),
 * then it is evicted. An exec of the same process drops every field read
 * so far. An event or /proc stat with another start time replaces the
 * entry (a reload). The LRU bound holds at all times: past capacity the
 * least recently used entry goes, whatever its state.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "proc.h"
#include "procfs.h"

#define ENV_MAX (128 * 1024)
#define ARGV_MAX (64 * 1024)

enum have_bits {
	HAVE_UID = 1 << 0,
	HAVE_MNTNS = 1 << 1,
	HAVE_PIDNS = 1 << 2,
	HAVE_CGROUP_ID = 1 << 3,
};

struct entry {
	uint32_t pid, ppid, uid, mntns, pidns;
	uint32_t have;	/* enum have_bits */
	uint32_t tried; /* string fields tried (bit per enum pr_proc_field) */
	bool exited;
	bool stale;	     /* /proc showed another process on this pid */
	bool gone;	     /* the live table showed this process gone: no more /proc */
	int dirfd;	     /* /proc/PID of this very process, once looked up */
	bool args_truncated; /* the exec event's argv was cut */
	uint64_t gen, start_ticks, cgroup_id, exit_cycle;
	uint64_t start_ns; /* exact start, CLOCK_BOOTTIME ns; 0 = only the tick is known */
	char comm[16];
	char *str[PR_PF_STR_MAX];
	uint32_t str_len[PR_PF_STR_MAX];
	char *event_exe; /* filename from the exec event */
	char *environ;	 /* raw, NUL-separated */
	uint32_t environ_len;
	bool environ_tried;
	struct entry *hnext;		   /* hash chain */
	struct entry *lru_prev, *lru_next; /* most recent at head */
	struct entry *xnext;		   /* exited list, oldest first */
};

struct pr_proc {
	char *root;
	struct pr_cgroup *cgroups;
	uint32_t capacity, nbuckets;
	struct entry **buckets;
	struct entry *lru_head, *lru_tail;
	struct entry *x_head, *x_tail;
	uint64_t size, next_gen, cycle, ns_per_tick;
	void (*on_evict)(void *ctx, uint32_t pid);
	void *evict_ctx;
	pr_proc_live_fn live;
	void *live_ctx;
	uint64_t hits, misses, evictions, exited_evictions, reloads, seeded, gone;
	uint32_t ndirfds;
	char scratch[ENV_MAX > ARGV_MAX ? ENV_MAX : ARGV_MAX];
};

int pr_proc_new(const struct pr_proc_opts *o, struct pr_proc **out)
{
	struct pr_proc *pc = calloc(1, sizeof(*pc));
	long hz = sysconf(_SC_CLK_TCK);

	if (!pc)
		return -ENOMEM;
	pc->capacity = o->capacity ? o->capacity : PR_PROC_DEFAULT_CAPACITY;
	for (pc->nbuckets = 64; pc->nbuckets < pc->capacity; pc->nbuckets *= 2)
		;
	pc->buckets = calloc(pc->nbuckets, sizeof(*pc->buckets));
	pc->root = strdup(o->root ? o->root : "/proc");
	if (!pc->buckets || !pc->root) {
		free(pc->buckets);
		free(pc->root);
		free(pc);
		return -ENOMEM;
	}
	pc->cgroups = o->cgroups;
	pc->on_evict = o->on_evict;
	pc->evict_ctx = o->evict_ctx;
	pc->ns_per_tick = 1000000000ull / (hz > 0 ? hz : 100);
	pc->next_gen = 1;
	*out = pc;
	return 0;
}

static void clear_fields(struct entry *e)
{
	int i;

	for (i = 0; i < PR_PF_STR_MAX; i++) {
		free(e->str[i]);
		e->str[i] = NULL;
		e->str_len[i] = 0;
	}
	free(e->event_exe);
	free(e->environ);
	e->event_exe = NULL;
	e->environ = NULL;
	e->environ_len = 0;
	e->environ_tried = false;
	e->tried = 0;
	e->have = 0;
	e->args_truncated = false;
}

static void entry_free(struct pr_proc *pc, struct entry *e)
{
	clear_fields(e);
	if (e->dirfd >= 0) {
		close(e->dirfd);
		pc->ndirfds--;
	}
	free(e);
}

void pr_proc_set_live(struct pr_proc *pc, pr_proc_live_fn fn, void *ctx)
{
	pc->live = fn;
	pc->live_ctx = ctx;
}

void pr_proc_free(struct pr_proc *pc)
{
	struct entry *e, *next;

	if (!pc)
		return;
	for (e = pc->lru_head; e; e = next) {
		next = e->lru_next;
		entry_free(pc, e);
	}
	free(pc->buckets);
	free(pc->root);
	free(pc);
}

static struct entry **slot_of(struct pr_proc *pc, uint32_t pid)
{
	return &pc->buckets[pid & (pc->nbuckets - 1)];
}

static struct entry *find(struct pr_proc *pc, uint32_t pid)
{
	struct entry *e;

	for (e = *slot_of(pc, pid); e; e = e->hnext)
		if (e->pid == pid)
			return e;
	return NULL;
}

static void lru_unlink(struct pr_proc *pc, struct entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		pc->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		pc->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push(struct pr_proc *pc, struct entry *e)
{
	e->lru_next = pc->lru_head;
	if (pc->lru_head)
		pc->lru_head->lru_prev = e;
	pc->lru_head = e;
	if (!pc->lru_tail)
		pc->lru_tail = e;
}

static void touch(struct pr_proc *pc, struct entry *e)
{
	if (pc->lru_head == e)
		return;
	lru_unlink(pc, e);
	lru_push(pc, e);
}

static void xlist_remove(struct pr_proc *pc, struct entry *e)
{
	struct entry **pp, *prev = NULL;

	for (pp = &pc->x_head; *pp; prev = *pp, pp = &(*pp)->xnext) {
		if (*pp != e)
			continue;
		*pp = e->xnext;
		if (pc->x_tail == e)
			pc->x_tail = prev;
		e->xnext = NULL;
		return;
	}
}

/* Removes e from every structure and frees it. An exited process leaving
 * the cache, whatever the reason, is reported to on_evict. */
static void drop(struct pr_proc *pc, struct entry *e)
{
	uint32_t pid = e->pid;
	bool exited = e->exited;
	struct entry **pp;

	for (pp = slot_of(pc, e->pid); *pp; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	}
	lru_unlink(pc, e);
	if (e->exited)
		xlist_remove(pc, e);
	pc->size--;
	entry_free(pc, e);
	if (exited && pc->on_evict)
		pc->on_evict(pc->evict_ctx, pid);
}

static struct entry *create(struct pr_proc *pc, uint32_t pid, uint64_t start_ticks,
			    uint64_t start_ns)
{
	struct entry *e = calloc(1, sizeof(*e)), **slot;

	if (!e)
		return NULL;
	while (pc->size >= pc->capacity && pc->lru_tail) {
		pc->evictions++;
		drop(pc, pc->lru_tail);
	}
	e->pid = pid;
	e->dirfd = -1;
	e->start_ticks = start_ticks;
	e->start_ns = start_ns;
	e->gen = pc->next_gen++;
	slot = slot_of(pc, pid);
	e->hnext = *slot;
	*slot = e;
	lru_push(pc, e);
	pc->size++;
	return e;
}

/* Did e's process start at start_ns (in tick start_ticks)? Exactly when
 * both are known (0 = unknown), else by the tick. */
static bool same_start(const struct entry *e, uint64_t start_ticks, uint64_t start_ns)
{
	if (e->start_ns && start_ns)
		return e->start_ns == start_ns;
	return e->start_ticks == start_ticks;
}

/* The entry for the process (pid, start): the cached one when it is the
 * same process, else a fresh one replacing it. */
static struct entry *entry_for(struct pr_proc *pc, uint32_t pid, uint64_t start_ticks,
			       uint64_t start_ns)
{
	struct entry *e = find(pc, pid);

	if (e && !e->exited && same_start(e, start_ticks, start_ns)) {
		if (!e->start_ns)
			e->start_ns = start_ns;
		touch(pc, e);
		return e;
	}
	if (e) {
		/* an exited entry stays for its grace cycle unless the pid is
		 * taken again: then the new process wins the slot */
		pc->reloads++;
		drop(pc, e);
	}
	return create(pc, pid, start_ticks, start_ns);
}

static uint64_t ticks_of(const struct pr_proc *pc, uint64_t boottime_ns)
{
	return boottime_ns / pc->ns_per_tick;
}

static void set_comm(struct entry *e, const char *comm)
{
	memcpy(e->comm, comm, sizeof(e->comm));
	e->comm[sizeof(e->comm) - 1] = '\0';
}

static char *dup_bytes(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

void pr_proc_on_exec(struct pr_proc *pc, const struct pr_exec *ev)
{
	struct entry *e =
		entry_for(pc, ev->pid, ticks_of(pc, ev->start_boottime), ev->start_boottime);
	uint32_t n;

	if (!e)
		return;
	clear_fields(e); /* a new image: nothing read before still holds */
	set_comm(e, ev->comm);
	e->ppid = ev->ppid;
	e->uid = ev->uid;
	e->mntns = ev->mntns;
	e->pidns = ev->pidns;
	e->cgroup_id = ev->cgroup;
	e->have = HAVE_UID | HAVE_MNTNS | HAVE_PIDNS | HAVE_CGROUP_ID;
	n = strnlen(ev->filename, sizeof(ev->filename));
	if (n)
		e->event_exe = dup_bytes(ev->filename, n);
	n = ev->args_len < sizeof(ev->args) ? ev->args_len : sizeof(ev->args);
	while (n > 0 && ev->args[n - 1] == '\0')
		n--;
	if (n) {
		e->str[PR_PF_ARGV] = dup_bytes(ev->args, n);
		e->str_len[PR_PF_ARGV] = e->str[PR_PF_ARGV] ? n : 0;
		e->args_truncated = ev->args_truncated;
	}
}

void pr_proc_on_fork(struct pr_proc *pc, const struct pr_fork *ev)
{
	struct entry *e =
		entry_for(pc, ev->pid, ticks_of(pc, ev->start_boottime), ev->start_boottime);

	if (!e)
		return;
	set_comm(e, ev->comm);
	e->ppid = ev->ppid;
}

void pr_proc_on_exit(struct pr_proc *pc, const struct pr_exit *ev)
{
	uint64_t ticks = ticks_of(pc, ev->start_boottime);
	struct entry *e = find(pc, ev->pid);

	/* never seen (it started and ended between two looks): keep what the
	 * event tells, so on_exit can still ask */
	if (!e || e->exited || !same_start(e, ticks, ev->start_boottime)) {
		e = entry_for(pc, ev->pid, ticks, ev->start_boottime);
		if (!e)
			return;
		set_comm(e, ev->comm);
		e->ppid = ev->ppid;
		e->cgroup_id = ev->cgroup;
		e->have |= HAVE_CGROUP_ID;
	}
	e->exited = true;
	e->exit_cycle = pc->cycle;
	e->xnext = NULL;
	if (pc->x_tail)
		pc->x_tail->xnext = e;
	else
		pc->x_head = e;
	pc->x_tail = e;
}

void pr_proc_end_cycle(struct pr_proc *pc)
{
	struct entry *e;

	while ((e = pc->x_head) && e->exit_cycle < pc->cycle) {
		pc->exited_evictions++;
		drop(pc, e);
	}
	pc->cycle++;
}

/* Reads of a looked-up process go through its /proc/PID directory fd:
 * once that process is gone they fail, even if its pid (and start tick)
 * now belong to another process. Others go by path. */
static const char *root_of(const struct pr_proc *pc, const struct entry *e)
{
	return e->dirfd >= 0 ? "/proc/self/fd" : pc->root;
}

static unsigned id_of(const struct entry *e)
{
	return e->dirfd >= 0 ? (unsigned)e->dirfd : e->pid;
}

#define MAX_DIRFDS 4096

/* /proc may be read for e: not after its exit, nor once it is known gone. */
static bool readable(const struct entry *e)
{
	return !e->exited && !e->gone;
}

static void mark_gone(struct pr_proc *pc, struct entry *e)
{
	if (!e->gone)
		pc->gone++;
	e->gone = true;
}

/* /proc/PID as a directory fd, or -1 (no such pid, or too many fds held). */
static int open_pid_dir(struct pr_proc *pc, uint32_t pid)
{
	char path[PR_PROCFS_PATH];

	if (pc->ndirfds >= MAX_DIRFDS)
		return -1;
	snprintf(path, sizeof(path), "%s/%u", pc->root, pid);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void keep_dirfd(struct pr_proc *pc, struct entry *e, int fd)
{
	e->dirfd = fd;
	pc->ndirfds++;
}

enum live { LIVE_UNKNOWN, LIVE_SAME, LIVE_GONE };

/* Whether the process holding e's pid now is e's own, by the live table.
 * Only an entry whose exact start is known can be told (the table holds
 * every process it came from until that process exits). */
static enum live ask_live(struct pr_proc *pc, const struct entry *e)
{
	uint64_t ns;
	int err;

	if (!pc->live || !e->start_ns)
		return LIVE_UNKNOWN;
	err = pc->live(pc->live_ctx, e->pid, &ns);
	if (err == -ENOENT || (!err && ns != e->start_ns))
		return LIVE_GONE;
	return err ? LIVE_UNKNOWN : LIVE_SAME;
}

/* Pins the entry to its process: opens /proc/PID, asks the live table,
 * then checks the start through the new fd. The process behind the fd was
 * alive at the open and at the check, so it held the pid when the table
 * answered: a table naming e's exact start means the fd is e's process,
 * even when another process now has the same start tick. */
static void pin(struct pr_proc *pc, struct entry *e)
{
	struct pr_proc_stat st;
	enum live live;
	int fd;

	if (e->dirfd >= 0 || !readable(e))
		return;
	fd = open_pid_dir(pc, e->pid);
	live = ask_live(pc, e);
	if (live == LIVE_GONE)
		mark_gone(pc, e);
	else if (fd >= 0 && !pr_procfs_stat_at("/proc/self/fd", fd, &st) &&
		 st.start_ticks == e->start_ticks) {
		keep_dirfd(pc, e, fd);
		return;
	}
	if (fd >= 0)
		close(fd);
}

/* The exact start of the process behind fd, from the live table asked
 * between the open and the stat through fd (see pin); 0 when unknown. */
static void exact_start(struct pr_proc *pc, uint32_t pid, int fd, uint64_t *ns)
{
	if (fd < 0 || !pc->live || pc->live(pc->live_ctx, pid, ns))
		*ns = 0;
}

/* A process first seen in /proc: with pin_it, the process behind a
 * /proc/PID fd opened before anything is read, so no other process can
 * slip in between. */
static struct entry *load(struct pr_proc *pc, uint32_t pid, bool pin_it)
{
	int fd = pin_it ? open_pid_dir(pc, pid) : -1;
	struct pr_proc_stat st;
	struct entry *e = NULL;
	uint64_t ns;
	int err;

	exact_start(pc, pid, fd, &ns);
	err = fd >= 0 ? pr_procfs_stat_at("/proc/self/fd", fd, &st)
		      : pr_procfs_stat_at(pc->root, pid, &st);
	if (!err && st.pid == pid)
		e = entry_for(pc, pid, st.start_ticks, ticks_of(pc, ns) == st.start_ticks ? ns : 0);
	if (e) {
		set_comm(e, st.comm);
		e->ppid = st.ppid;
	}
	if (e && fd >= 0 && e->dirfd < 0)
		keep_dirfd(pc, e, fd);
	else if (fd >= 0)
		close(fd);
	return e;
}

int pr_proc_seed(struct pr_proc *pc)
{
	struct dirent *d;
	char *end;
	DIR *dir;
	unsigned long pid;
	int n = 0;

	dir = opendir(pc->root);
	if (!dir)
		return -errno;
	while ((d = readdir(dir)) && n < (int)pc->capacity) {
		pid = strtoul(d->d_name, &end, 10);
		if (*end || pid == 0 || pid > 0xffffffffu)
			continue;
		if (!find(pc, pid) && load(pc, pid, false))
			n++;
	}
	closedir(dir);
	pc->seeded += n;
	return n;
}

static void fill_info(const struct entry *e, struct pr_proc_info *out)
{
	*out = (struct pr_proc_info){
		.gen = e->gen,
		.start_ticks = e->start_ticks,
		.pid = e->pid,
		.ppid = e->ppid,
		.exited = e->exited,
	};
	memcpy(out->comm, e->comm, sizeof(out->comm));
}

int pr_proc_lookup(struct pr_proc *pc, uint32_t pid, struct pr_proc_info *out)
{
	struct entry *e = find(pc, pid);

	/* its exit event was lost, but /proc told us: start over */
	if (e && e->stale) {
		pc->reloads++;
		drop(pc, e);
		e = NULL;
	}
	if (e) {
		pc->hits++;
		touch(pc, e);
	} else {
		pc->misses++;
		e = load(pc, pid, true);
		if (!e)
			return -ENOENT;
	}
	pin(pc, e);
	fill_info(e, out);
	return 0;
}

static struct entry *find_gen(struct pr_proc *pc, uint32_t pid, uint64_t gen)
{
	struct entry *e = find(pc, pid);

	return e && e->gen == gen && !e->stale ? e : NULL;
}

/* A value read from /proc counts only if the pid still names this process
 * after the read. */
static bool still_same(struct pr_proc *pc, struct entry *e)
{
	struct pr_proc_stat st;

	if (pr_procfs_stat_at(root_of(pc, e), id_of(e), &st))
		return false; /* gone: its exit event is on the way */
	if (st.start_ticks != e->start_ticks) {
		e->stale = true; /* another process has this pid now */
		return false;
	}
	/* through its pinned fd only this process can be read; by path, the
	 * read was its if it still holds the pid after it */
	if (e->dirfd >= 0 || ask_live(pc, e) != LIVE_GONE)
		return true;
	mark_gone(pc, e);
	return false;
}

static int read_procfs(struct pr_proc *pc, struct entry *e, int field, char *buf, size_t len)
{
	switch (field) {
	case PR_PF_EXE:
		return pr_procfs_read_at(root_of(pc, e), id_of(e), "exe", buf, len);
	case PR_PF_ARGV:
		return pr_procfs_argv_at(root_of(pc, e), id_of(e), buf, len);
	case PR_PF_CWD:
		return pr_procfs_read_at(root_of(pc, e), id_of(e), "cwd", buf, len);
	case PR_PF_CGROUP:
		return pr_procfs_read_at(root_of(pc, e), id_of(e), "cgroup", buf, len);
	default:
		return -EINVAL;
	}
}

/* The cgroup path from the id an event carried: good after the exit too. */
static int cgroup_from_id(struct pr_proc *pc, struct entry *e, char *buf, size_t len)
{
	const char *path;

	if (!(e->have & HAVE_CGROUP_ID) || !pc->cgroups)
		return -ENOENT;
	path = pr_cgroup_lookup(pc->cgroups, e->cgroup_id);
	if (!path)
		return -ENOENT;
	snprintf(buf, len, "%s", path);
	return strlen(buf);
}

static int user_name(uint32_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) || !res)
		return -ENOENT;
	snprintf(buf, len, "%s", res->pw_name);
	return strlen(buf);
}

static int load_number(struct pr_proc *pc, struct entry *e, int field);
static int get_string(struct pr_proc *pc, struct entry *e, int field);

static int fill_string(struct pr_proc *pc, struct entry *e, int field)
{
	char *buf = pc->scratch;
	size_t len = sizeof(pc->scratch);
	int n;

	switch (field) {
	case PR_PF_CONTAINER:
		n = get_string(pc, e, PR_PF_CGROUP);
		if (n >= 0)
			n = pr_cgroup_container_id(e->str[PR_PF_CGROUP], buf, len);
		break;
	case PR_PF_CMDLINE:
		n = get_string(pc, e, PR_PF_ARGV);
		if (n >= 0) {
			memcpy(buf, e->str[PR_PF_ARGV], n);
			n = pr_procfs_join_args(buf, n);
		}
		break;
	case PR_PF_USER:
		n = load_number(pc, e, PR_PF_UID);
		if (!n)
			n = user_name(e->uid, buf, len);
		break;
	case PR_PF_CGROUP:
		n = cgroup_from_id(pc, e, buf, len);
		if (n >= 0)
			break;
		/* fall through */
	default:
		n = !readable(e) ? -ENOENT : read_procfs(pc, e, field, buf, ARGV_MAX);
		if (n >= 0 && !still_same(pc, e))
			n = -ESTALE;
	}
	if (n < 0)
		return n;
	e->str[field] = dup_bytes(buf, n);
	if (!e->str[field])
		return -ENOMEM;
	e->str_len[field] = n;
	return n;
}

/* exe: the kernel's resolved path while the process lives; else the path
 * its exec event named. */
static int fill_exe(struct pr_proc *pc, struct entry *e)
{
	int n = fill_string(pc, e, PR_PF_EXE);
	size_t k;

	if (n >= 0 || !e->event_exe)
		return n;
	k = strlen(e->event_exe);
	e->str[PR_PF_EXE] = dup_bytes(e->event_exe, k);
	e->str_len[PR_PF_EXE] = e->str[PR_PF_EXE] ? k : 0;
	return e->str[PR_PF_EXE] ? (int)k : -ENOMEM;
}

/* argv from the exec event, unless it was cut and /proc has all of it. */
static int fill_argv(struct pr_proc *pc, struct entry *e)
{
	char *cut = e->str[PR_PF_ARGV];
	uint32_t cut_len = e->str_len[PR_PF_ARGV];
	int n;

	if (cut && !e->args_truncated)
		return cut_len;
	e->str[PR_PF_ARGV] = NULL;
	n = fill_string(pc, e, PR_PF_ARGV);
	if (n < 0 && cut) {
		/* the cut value is all there will ever be */
		e->str[PR_PF_ARGV] = cut;
		e->str_len[PR_PF_ARGV] = cut_len;
		e->args_truncated = false;
		return cut_len;
	}
	free(cut);
	e->args_truncated = false;
	return n;
}

static int get_string(struct pr_proc *pc, struct entry *e, int field)
{
	int n;

	if (e->str[field] && !(field == PR_PF_ARGV && e->args_truncated))
		return e->str_len[field];
	if (e->tried & (1u << field))
		return -ENOENT;
	if (field == PR_PF_EXE)
		n = fill_exe(pc, e);
	else if (field == PR_PF_ARGV)
		n = fill_argv(pc, e);
	else
		n = fill_string(pc, e, field);
	e->tried |= 1u << field;
	return n;
}

int pr_proc_field(struct pr_proc *pc, uint32_t pid, uint64_t gen, int field, char *buf,
		  uint32_t len)
{
	struct entry *e = find_gen(pc, pid, gen);
	int n;

	if (!e)
		return -ESTALE;
	if (field < 0 || field >= PR_PF_STR_MAX || len == 0)
		return -EINVAL;
	n = get_string(pc, e, field);
	if (n < 0)
		return n;
	if ((uint32_t)n >= len)
		n = len - 1;
	memcpy(buf, e->str[field], n);
	buf[n] = '\0';
	return n;
}

static int load_number(struct pr_proc *pc, struct entry *e, int field)
{
	uint32_t bit = field == PR_PF_UID     ? HAVE_UID
		       : field == PR_PF_MNTNS ? HAVE_MNTNS
					      : HAVE_PIDNS;
	uint32_t *dst = field == PR_PF_UID ? &e->uid : field == PR_PF_MNTNS ? &e->mntns : &e->pidns;
	uint32_t v;
	int err;

	if (e->have & bit)
		return 0;
	if (!readable(e))
		return -ENOENT;
	if (field == PR_PF_UID)
		err = pr_procfs_uid_at(root_of(pc, e), id_of(e), &v);
	else
		err = pr_procfs_ns_at(root_of(pc, e), id_of(e),
				      field == PR_PF_MNTNS ? "mnt" : "pid", &v);
	if (!err && !still_same(pc, e))
		err = -ESTALE;
	if (err)
		return err;
	*dst = v;
	e->have |= bit;
	return 0;
}

int pr_proc_number(struct pr_proc *pc, uint32_t pid, uint64_t gen, int field, uint64_t *out)
{
	struct entry *e = find_gen(pc, pid, gen);
	int err;

	if (!e)
		return -ESTALE;
	if (field != PR_PF_UID && field != PR_PF_MNTNS && field != PR_PF_PIDNS)
		return -EINVAL;
	err = load_number(pc, e, field);
	if (err)
		return err;
	*out = field == PR_PF_UID ? e->uid : field == PR_PF_MNTNS ? e->mntns : e->pidns;
	return 0;
}

static int load_environ(struct pr_proc *pc, struct entry *e)
{
	int n;

	if (e->environ || e->environ_tried)
		return e->environ ? 0 : -ENOENT;
	e->environ_tried = true;
	if (!readable(e))
		return -ENOENT;
	n = pr_procfs_read_at(root_of(pc, e), id_of(e), "environ", pc->scratch, ENV_MAX);
	if (n < 0 || !still_same(pc, e))
		return -ENOENT;
	e->environ = dup_bytes(pc->scratch, n);
	e->environ_len = e->environ ? n : 0;
	return e->environ ? 0 : -ENOMEM;
}

int pr_proc_env(struct pr_proc *pc, uint32_t pid, uint64_t gen, const char *name, char *buf,
		uint32_t len)
{
	struct entry *e = find_gen(pc, pid, gen);
	size_t k = strlen(name);
	const char *p, *end;
	int n;

	if (!e)
		return -ESTALE;
	if (len == 0 || load_environ(pc, e))
		return -ENOENT;
	end = e->environ + e->environ_len;
	for (p = e->environ; p < end; p += strnlen(p, end - p) + 1) {
		if ((size_t)(end - p) > k && !strncmp(p, name, k) && p[k] == '=') {
			n = strnlen(p + k + 1, end - p - k - 1);
			if ((uint32_t)n >= len)
				n = len - 1;
			memcpy(buf, p + k + 1, n);
			buf[n] = '\0';
			return n;
		}
	}
	return -ENOENT;
}

void pr_proc_stats(const struct pr_proc *pc, struct pr_proc_stats *out)
{
	*out = (struct pr_proc_stats){
		.size = pc->size,
		.capacity = pc->capacity,
		.hits = pc->hits,
		.misses = pc->misses,
		.evictions = pc->evictions,
		.exited_evictions = pc->exited_evictions,
		.reloads = pc->reloads,
		.seeded = pc->seeded,
		.gone = pc->gone,
	};
}
