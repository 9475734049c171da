// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Debuginfod client (debuginfod.h says what it promises).
 *
 * One table of build ids, each an entry that lives until pr_debuginfod_free
 * (so a FOUND path handed out never dangles), and one FIFO of the entries
 * waiting for the worker. An entry is queued only on its way into PENDING
 * and leaves PENDING only when the worker answers, so no build id is ever
 * asked twice at once. Everything but the worker's call into
 * libdebuginfod happens under mu; the worker reads only the entry's id,
 * which never changes, while it is out of the lock.
 *
 * libdebuginfod (Debian's libdebuginfod1) is opened when a client starts:
 * linked, it and libcurl would cost every run ~30 shared objects. Its
 * client is made and used on the worker only. It reads its settings from
 * the environment at each query, so the URLs we are given go into
 * $DEBUGINFOD_URLS. What 0.188 does that we correct for:
 *  - its progress hook (called when a query starts and then at least every
 *    second while it waits on the servers) is the only way to bound a
 *    query's whole time; $DEBUGINFOD_TIMEOUT only ends a transfer slower
 *    than 100 KB/s for that many seconds, and each failure is retried
 *    twice, so a server that accepts and never answers costs 3 times it;
 *  - a query the hook aborts returns -ENOENT, as if the servers had said
 *    "not there", and leaves the empty file that marks a miss in its
 *    cache (trusted for 10 min): we count it as failed and remove it;
 *  - a miss marker older than our negative TTL is removed before we ask
 *    again, so our TTL, not its 10 min, decides when a server is asked.
 */
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "debuginfod.h"
#include "dl.h"
#include "log.h"
#include "thread.h"

#define NSEC 1000000000ull
#define DEFAULT_TIMEOUT_NS (10 * NSEC)
#define DEFAULT_TTL_NS (600 * NSEC)
/* libdebuginfod refuses 64 bytes and more (its MAX_BUILD_ID_BYTES) */
#define MAX_ID_BYTES 63

static struct {
	typeof(debuginfod_begin) *begin;
	typeof(debuginfod_end) *end;
	typeof(debuginfod_find_debuginfo) *find_debuginfo;
	typeof(debuginfod_set_progressfn) *set_progressfn;
	typeof(debuginfod_set_user_data) *set_user_data;
	typeof(debuginfod_get_user_data) *get_user_data;
} di;
static pthread_mutex_t di_lock = PTHREAD_MUTEX_INITIALIZER;
static bool di_loaded;

struct entry {
	struct entry *hnext; /* hash chain */
	struct entry *qnext; /* the FIFO, while queued */
	int state;	     /* enum pr_debuginfod_state */
	uint64_t until_ns;   /* MISSING, FAILED: trusted until then */
	char *path;	     /* FOUND: the file in libdebuginfod's cache */
	char id[];
};

/* What the worker learnt about one build id. */
struct outcome {
	int state;
	bool cached; /* the file was in the cache before we asked */
	char *path;
	uint64_t bytes;
};

struct pr_debuginfod {
	pthread_mutex_t mu;
	pthread_cond_t wake; /* queued work, or stop */
	pthread_cond_t idle; /* a request ended, or the worker started */
	pthread_t thread;
	struct entry **buckets;
	size_t nbuckets, nentries;
	struct entry *head, *tail;
	uint64_t generation;
	struct pr_debuginfod_stats st; /* .pending: queued or in flight */
	int started;		       /* 1 running, -errno the worker could not start */
	bool stop;
	atomic_bool abort; /* stop, for the progress hook (which holds no lock) */
	uint64_t timeout_ns, ttl_ns;
	/* the worker's alone */
	debuginfod_client *client;
	uint64_t deadline_ns; /* of the query in flight */
	bool aborted;	      /* the progress hook ended it */
};

static int load_debuginfod(void)
{
	static const struct pr_dl_sym syms[] = {
		PR_DL_SYM(typeof(di), begin, "debuginfod_begin"),
		PR_DL_SYM(typeof(di), end, "debuginfod_end"),
		PR_DL_SYM(typeof(di), find_debuginfo, "debuginfod_find_debuginfo"),
		PR_DL_SYM(typeof(di), set_progressfn, "debuginfod_set_progressfn"),
		PR_DL_SYM(typeof(di), set_user_data, "debuginfod_set_user_data"),
		PR_DL_SYM(typeof(di), get_user_data, "debuginfod_get_user_data"),
	};
	char err[512];
	int e = 0;

	pthread_mutex_lock(&di_lock);
	if (!di_loaded) {
		e = pr_dl_open(DEBUGINFOD_SONAME, "libdebuginfod1", syms,
			       sizeof(syms) / sizeof(syms[0]), &di, err, sizeof(err));
		di_loaded = !e;
	}
	pthread_mutex_unlock(&di_lock);
	/* only this module knows the package: say it here, once per attempt */
	if (e)
		pr_warn("debuginfod: %s; debuginfo is not fetched", err);
	return e;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* id as bytes in raw[MAX_ID_BYTES]: their count, or 0 when id is not an
 * even number of lowercase hex digits libdebuginfod accepts. */
static int unhex(const char *id, unsigned char *raw)
{
	size_t len = strnlen(id, 2 * MAX_ID_BYTES + 1), i;

	if (!len || len % 2 || len > 2 * MAX_ID_BYTES)
		return 0;
	for (i = 0; i < len; i += 2) {
		int hi = hexval(id[i]), lo = hexval(id[i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		raw[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return (int)(len / 2);
}

static size_t hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return (size_t)h;
}

static struct entry *lookup(struct pr_debuginfod *d, const char *id)
{
	struct entry *e;

	for (e = d->buckets[hash(id) & (d->nbuckets - 1)]; e; e = e->hnext)
		if (!strcmp(e->id, id))
			return e;
	return NULL;
}

/* Doubles the buckets once there are as many entries; a failed grow only
 * makes the chains longer. */
static void grow(struct pr_debuginfod *d)
{
	size_t n = d->nbuckets * 2, i;
	struct entry **b, *e, *next;

	if (d->nentries < d->nbuckets || !(b = calloc(n, sizeof(*b))))
		return;
	for (i = 0; i < d->nbuckets; i++) {
		for (e = d->buckets[i]; e; e = next) {
			next = e->hnext;
			e->hnext = b[hash(e->id) & (n - 1)];
			b[hash(e->id) & (n - 1)] = e;
		}
	}
	free(d->buckets);
	d->buckets = b;
	d->nbuckets = n;
}

static struct entry *insert(struct pr_debuginfod *d, const char *id)
{
	size_t len = strlen(id), slot;
	struct entry *e = calloc(1, sizeof(*e) + len + 1);

	if (!e)
		return NULL;
	memcpy(e->id, id, len + 1);
	grow(d);
	slot = hash(id) & (d->nbuckets - 1);
	e->hnext = d->buckets[slot];
	d->buckets[slot] = e;
	d->nentries++;
	return e;
}

static void enqueue(struct pr_debuginfod *d, struct entry *e)
{
	e->state = PR_DI_PENDING;
	e->qnext = NULL;
	if (d->tail)
		d->tail->qnext = e;
	else
		d->head = e;
	d->tail = e;
	d->st.pending++;
	pthread_cond_signal(&d->wake);
}

static struct entry *dequeue(struct pr_debuginfod *d)
{
	struct entry *e = d->head;

	d->head = e->qnext;
	if (!d->head)
		d->tail = NULL;
	e->qnext = NULL;
	return e;
}

/* libdebuginfod's file for id: <cache>/<id>/debuginfo, the cache chosen
 * as 0.188 chooses it. NULL when out of memory. */
static char *cache_file(const char *id)
{
	const char *v = getenv(DEBUGINFOD_CACHE_PATH_ENV_VAR), *home = getenv("HOME");
	const char *xdg = getenv("XDG_CACHE_HOME");
	char *p = NULL, *legacy = NULL;
	struct stat st;
	int r;

	if (!home)
		home = "/";
	if (v && *v) {
		r = asprintf(&p, "%s/%s/debuginfo", v, id);
	} else if (asprintf(&legacy, "%s/.debuginfod_client_cache", home) >= 0 &&
		   !stat(legacy, &st)) {
		/* an old cache in $HOME is still used when it exists */
		r = asprintf(&p, "%s/%s/debuginfo", legacy, id);
	} else if (xdg && *xdg) {
		r = asprintf(&p, "%s/debuginfod_client/%s/debuginfo", xdg, id);
	} else {
		r = asprintf(&p, "%s/.cache/debuginfod_client/%s/debuginfo", home, id);
	}
	free(legacy);
	return r < 0 ? NULL : p;
}

/* now + ns, saturated: a huge TTL or timeout means "for ever", not "now" */
static uint64_t after(uint64_t ns)
{
	uint64_t now = pr_mono_ns();

	return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* Whether file holds the debuginfo already. An empty file is
 * libdebuginfod's miss marker: it answers "not there" from it for 10 min
 * without asking; one at least min_age_ns old goes, so the server is
 * asked. */
static bool in_cache(const char *file, uint64_t min_age_ns)
{
	struct stat st;

	if (!file || stat(file, &st) || !S_ISREG(st.st_mode))
		return false;
	if (st.st_size > 0)
		return true;
	if (real_ns() - ((uint64_t)st.st_mtim.tv_sec * NSEC + st.st_mtim.tv_nsec) >= min_age_ns)
		unlink(file);
	return false;
}

/* Called by libdebuginfod on the worker when a query starts, then about
 * every second until it ends: non-zero ends the query. */
static int progress(debuginfod_client *c, long a, long b)
{
	struct pr_debuginfod *d = di.get_user_data(c);

	(void)a;
	(void)b;
	if (atomic_load(&d->abort) || pr_mono_ns() >= d->deadline_ns)
		d->aborted = true;
	return d->aborted;
}

/* Asks libdebuginfod for id's debuginfo (the worker, outside the lock). */
static void fetch(struct pr_debuginfod *d, const char *id, struct outcome *o)
{
	unsigned char raw[MAX_ID_BYTES];
	int n = unhex(id, raw), fd;
	char *file = cache_file(id);
	struct stat st;

	o->cached = in_cache(file, d->ttl_ns);
	d->deadline_ns = after(d->timeout_ns);
	d->aborted = false;
	fd = di.find_debuginfo(d->client, raw, n, &o->path);
	if (fd >= 0) {
		o->state = o->path ? PR_DI_FOUND : PR_DI_FAILED;
		o->bytes = fstat(fd, &st) ? 0 : (uint64_t)st.st_size;
		close(fd);
	} else if (fd == -ENOENT && !d->aborted) {
		o->state = PR_DI_MISSING;
	} else {
		/* refused, timed out, aborted; -ENOSYS too: no server is set
		 * any more, which says nothing about the build id */
		o->state = PR_DI_FAILED;
		pr_debug("debuginfod: %s: %s", id,
			 d->aborted ? "abandoned (timeout or stop)" : strerror(-fd));
		if (d->aborted)
			in_cache(file, 0); /* the marker it left is no answer */
	}
	free(file);
}

/* Records o for e and wakes the waiters (under mu). */
static void answer(struct pr_debuginfod *d, struct entry *e, struct outcome *o)
{
	e->state = o->state;
	d->st.requests++;
	if (o->state == PR_DI_FOUND) {
		e->path = o->path;
		o->path = NULL;
		if (o->cached) {
			d->st.cached++;
		} else {
			d->st.fetched++;
			d->st.bytes += o->bytes;
		}
	} else {
		e->until_ns = after(d->ttl_ns);
		if (o->state == PR_DI_MISSING)
			d->st.not_found++;
		else
			d->st.failed++;
	}
	free(o->path);
	d->st.pending--;
	d->generation++;
	pthread_cond_broadcast(&d->idle);
}

static void *worker(void *arg)
{
	struct pr_debuginfod *d = arg;
	debuginfod_client *c = di.begin();
	struct outcome o;
	struct entry *e;

	if (c) {
		di.set_user_data(c, d);
		di.set_progressfn(c, progress);
	}
	pthread_mutex_lock(&d->mu);
	d->client = c;
	d->started = c ? 1 : -ENOMEM;
	pthread_cond_broadcast(&d->idle);
	while (c && !d->stop) {
		if (!d->head) {
			pthread_cond_wait(&d->wake, &d->mu);
			continue;
		}
		e = dequeue(d);
		pthread_mutex_unlock(&d->mu);
		o = (struct outcome){ .path = NULL };
		fetch(d, e->id, &o);
		pthread_mutex_lock(&d->mu);
		answer(d, e, &o);
	}
	pthread_mutex_unlock(&d->mu);
	if (c)
		di.end(c);
	return NULL;
}

/* The environment libdebuginfod reads at each query. */
static int set_env(const struct pr_debuginfod_opts *o, const char *urls, uint64_t timeout_ns)
{
	const char *cur = getenv(DEBUGINFOD_URLS_ENV_VAR);
	char secs[24];
	uint64_t n;

	if (o->urls && (!cur || strcmp(cur, urls)) && setenv(DEBUGINFOD_URLS_ENV_VAR, urls, 1))
		return -errno;
	/* its no-progress limit, never shorter than our whole-query one */
	n = timeout_ns / NSEC + !!(timeout_ns % NSEC);
	snprintf(secs, sizeof(secs), "%llu", (unsigned long long)(n < INT_MAX ? n : INT_MAX));
	if (setenv(DEBUGINFOD_TIMEOUT_ENV_VAR, secs, 0))
		return -errno;
	return 0;
}

static int init(struct pr_debuginfod *d, const struct pr_debuginfod_opts *o)
{
	pthread_condattr_t ca;

	d->timeout_ns = o->timeout_ns ? o->timeout_ns : DEFAULT_TIMEOUT_NS;
	d->ttl_ns = o->negative_ttl_ns ? o->negative_ttl_ns : DEFAULT_TTL_NS;
	d->nbuckets = 64;
	d->buckets = calloc(d->nbuckets, sizeof(*d->buckets));
	if (!d->buckets)
		return -ENOMEM;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->wake, NULL);
	/* pr_debuginfod_wait's deadline is CLOCK_MONOTONIC */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->idle, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

/* Starts the worker and waits until its client exists (or could not). */
static int start(struct pr_debuginfod *d)
{
	int e = pr_thread_start(&d->thread, worker, d);

	if (e)
		return e;
	pthread_mutex_lock(&d->mu);
	while (!d->started)
		pthread_cond_wait(&d->idle, &d->mu);
	e = d->started < 0 ? d->started : 0;
	pthread_mutex_unlock(&d->mu);
	if (e)
		pthread_join(d->thread, NULL);
	return e;
}

static void destroy(struct pr_debuginfod *d)
{
	struct entry *e, *next;
	size_t i;

	for (i = 0; i < d->nbuckets; i++) {
		for (e = d->buckets[i]; e; e = next) {
			next = e->hnext;
			free(e->path);
			free(e);
		}
	}
	free(d->buckets);
	pthread_cond_destroy(&d->idle);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

int pr_debuginfod_new(const struct pr_debuginfod_opts *o, struct pr_debuginfod **out)
{
	static const struct pr_debuginfod_opts none = { .urls = NULL };
	const char *urls;
	struct pr_debuginfod *d;
	int e;

	*out = NULL;
	o = o ? o : &none;
	urls = o->urls ? o->urls : getenv(DEBUGINFOD_URLS_ENV_VAR);
	if (!urls || !*urls)
		return 0;
	if ((e = load_debuginfod()))
		return e;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if ((e = init(d, o))) {
		free(d);
		return e;
	}
	e = set_env(o, urls, d->timeout_ns);
	e = e ?: start(d);
	if (e) {
		destroy(d);
		return e;
	}
	*out = d;
	return 0;
}

void pr_debuginfod_free(struct pr_debuginfod *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = true;
	atomic_store(&d->abort, true);
	pthread_cond_broadcast(&d->wake);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	destroy(d);
}

/* A new id: invalid ones fail for good without a request, since asking
 * again cannot help (under mu). */
static struct entry *add(struct pr_debuginfod *d, const char *id)
{
	unsigned char raw[MAX_ID_BYTES];
	struct entry *e = insert(d, id);

	if (!e)
		return NULL;
	if (unhex(id, raw)) {
		enqueue(d, e);
	} else {
		e->state = PR_DI_FAILED;
		e->until_ns = UINT64_MAX;
		d->st.failed++;
	}
	return e;
}

int pr_debuginfod_find(struct pr_debuginfod *d, const char *build_id, const char **path)
{
	struct entry *e;
	int state;

	pthread_mutex_lock(&d->mu);
	e = lookup(d, build_id);
	if (!e) {
		e = add(d, build_id);
	} else if (e->state != PR_DI_PENDING && e->state != PR_DI_FOUND &&
		   pr_mono_ns() >= e->until_ns) {
		enqueue(d, e);
	}
	state = e ? e->state : -ENOMEM;
	if (path)
		*path = state == PR_DI_FOUND ? e->path : NULL;
	pthread_mutex_unlock(&d->mu);
	return state;
}

uint64_t pr_debuginfod_generation(struct pr_debuginfod *d)
{
	uint64_t g;

	pthread_mutex_lock(&d->mu);
	g = d->generation;
	pthread_mutex_unlock(&d->mu);
	return g;
}

int pr_debuginfod_wait(struct pr_debuginfod *d, uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / NSEC),
		.tv_nsec = (long)(deadline_ns % NSEC),
	};
	int n;

	pthread_mutex_lock(&d->mu);
	while (d->st.pending && pr_mono_ns() < deadline_ns)
		pthread_cond_timedwait(&d->idle, &d->mu, &ts);
	n = (int)d->st.pending;
	pthread_mutex_unlock(&d->mu);
	return n;
}

void pr_debuginfod_stats(struct pr_debuginfod *d, struct pr_debuginfod_stats *out)
{
	pthread_mutex_lock(&d->mu);
	*out = d->st;
	pthread_mutex_unlock(&d->mu);
}
