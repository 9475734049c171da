// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * HTTP sinks for profrun.export (export.h says what they promise).
 *
 * libcurl (Debian's libcurl4, opened with the first sink) does the HTTP:
 * TLS, proxies from the environment, chunked and keep-alive answers,
 * timeouts and an abort hook are all things a fleet's backend may need and
 * a small client of our own would get wrong. One easy handle per sink,
 * used only by its worker, so connections are reused and no handle is
 * shared between threads.
 *
 * The worker sends the FIFO's head, and only removes it once the backend
 * took it (or refused it for good): a batch is in exactly one place at a
 * time, memory or its spool file, and counted in exactly one outcome.
 * Spool files are written whole under a temporary name and renamed, so a
 * crash leaves either a complete batch or none; at open, the files a
 * previous run left are queued first (oldest first: names sort by time).
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "dl.h"
#include "thread.h"
#include "export.h"
#include "log.h"
#include "trust.h"

#define PR_EXPORT_SINKS 8
#define SPOOL_MAGIC "PRSPOOL1\n"
#define SPOOL_SUFFIX ".batch"

/* libcurl and what it pulls in (OpenSSL, Kerberos, LDAP, ...: 29 more
 * shared objects) cost every profrun start ~12 ms of relocations when
 * linked, and a run without a sink needs none of it: it is opened with
 * the first sink. The types still come from <curl/curl.h>. */
static struct {
	CURLcode (*global_init)(long flags);
	CURL *(*init)(void);
	CURLcode (*setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*perform)(CURL *curl);
	CURLcode (*getinfo)(CURL *curl, CURLINFO info, ...);
	const char *(*strerror)(CURLcode code);
	void (*cleanup)(CURL *curl);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
} cu;

static int load_curl(char *err, size_t errlen)
{
	static const struct pr_dl_sym fns[] = {
		PR_DL_SYM(typeof(cu), global_init, "curl_global_init"),
		PR_DL_SYM(typeof(cu), init, "curl_easy_init"),
		PR_DL_SYM(typeof(cu), setopt, "curl_easy_setopt"),
		PR_DL_SYM(typeof(cu), perform, "curl_easy_perform"),
		PR_DL_SYM(typeof(cu), getinfo, "curl_easy_getinfo"),
		PR_DL_SYM(typeof(cu), strerror, "curl_easy_strerror"),
		PR_DL_SYM(typeof(cu), cleanup, "curl_easy_cleanup"),
		PR_DL_SYM(typeof(cu), slist_append, "curl_slist_append"),
		PR_DL_SYM(typeof(cu), slist_free_all, "curl_slist_free_all"),
	};

	return pr_dl_open("libcurl.so.4", "libcurl4", fns, sizeof(fns) / sizeof(fns[0]), &cu, err,
			  errlen);
}

struct batch {
	struct batch *next;
	char *path;	/* appended to the sink's URL */
	uint8_t *body;	/* NULL while it lives only in its spool file */
	uint64_t len;	/* body bytes */
	uint64_t rows;
	char *file;	/* its spool file, or NULL */
	uint64_t file_bytes;
};

struct sink {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake; /* work queued, or stop */
	pthread_cond_t idle; /* the head was taken off */
	struct batch *head, *tail;
	bool stopping;
	atomic_bool abort; /* read by libcurl's progress hook */
	bool started, finished;
	char *url, *name, *spool_dir;
	int spool_lock; /* the spool directory, flock()ed: one sink per spool */
	struct curl_slist *headers;
	uint64_t memory_cap, disk_cap;
	uint32_t timeout_ms, retry_min_ms, retry_max_ms, wait_ms;
	uint64_t spool_seq;
	struct pr_export_stats st;
	CURL *curl;
	char answer[512]; /* the start of the backend's answer, for errors */
	size_t answer_len;
};

static struct sink *sinks[PR_EXPORT_SINKS];
static int nsinks;

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A backend's words (or a path) in a log line: printable ASCII only, one
 * line, so a hostile server cannot forge lines or send escapes. */
static void printable(char *dst, size_t cap, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < cap; i++) {
		unsigned char c = src[i];

		if (c == '\n' || c == '\r') {
			if (o && dst[o - 1] != ' ')
				dst[o++] = ' ';
		} else if (c >= 0x20 && c < 0x7f && c != '\\') {
			dst[o++] = c;
		} else {
			o += snprintf(dst + o, cap - o, "\\x%02x", c);
		}
	}
	while (o && dst[o - 1] == ' ')
		o--;
	dst[o] = 0;
}

static void batch_free(struct batch *b)
{
	if (!b)
		return;
	free(b->path);
	free(b->body);
	free(b->file);
	free(b);
}

static void account(struct sink *s, struct batch *b, int sign)
{
	if (b->body)
		s->st.memory_bytes += sign * (int64_t)b->len;
	else
		s->st.disk_bytes += sign * (int64_t)b->file_bytes;
	s->st.batches_waiting += sign;
	s->st.rows_waiting += sign * (int64_t)b->rows;
	if (s->st.memory_bytes > s->st.memory_peak)
		s->st.memory_peak = s->st.memory_bytes;
	if (s->st.disk_bytes > s->st.disk_peak)
		s->st.disk_peak = s->st.disk_bytes;
}

static void drop(struct sink *s, struct batch *b, enum pr_export_drop why)
{
	s->st.dropped_batches[why]++;
	s->st.dropped_rows[why] += b->rows;
}

/* ---- the spool directory ------------------------------------------------ */

/* Writes b's body to a new spool file (b->body stays); 0 or -errno. */
static int spool_write(struct sink *s, struct batch *b)
{
	char tmp[4096], final[4096], hdr[96];
	size_t plen = strlen(b->path);
	int fd, n, err = 0;
	FILE *f;

	n = snprintf(hdr, sizeof(hdr), "%" PRIu64 " %zu %" PRIu64 "\n", b->rows, plen, b->len);
	snprintf(final, sizeof(final), "%s/%020" PRIu64 "-%08" PRIu64 SPOOL_SUFFIX, s->spool_dir,
		 now_ns(CLOCK_REALTIME), s->spool_seq);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%08" PRIu64, s->spool_dir, s->spool_seq++);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	if (fwrite(SPOOL_MAGIC, 1, sizeof(SPOOL_MAGIC) - 1, f) != sizeof(SPOOL_MAGIC) - 1 ||
	    fwrite(hdr, 1, n, f) != (size_t)n || fwrite(b->path, 1, plen, f) != plen ||
	    fwrite(b->body, 1, b->len, f) != b->len || fflush(f) || fsync(fileno(f)))
		err = errno ? -errno : -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, final))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	b->file = strdup(final);
	if (!b->file) {
		unlink(final);
		return -ENOMEM;
	}
	b->file_bytes = sizeof(SPOOL_MAGIC) - 1 + n + plen + b->len;
	return 0;
}

/* Would b's spool file fit under the cap? (its header is < 128 bytes) */
static bool spool_fits(const struct sink *s, const struct batch *b)
{
	return s->spool_dir && s->st.disk_bytes + b->len + strlen(b->path) + 128 <= s->disk_cap;
}

/* Reads a spool file's header (and its body when body != NULL). The files
 * are ours, in a directory only we may write, but are still read as
 * untrusted: every size is checked against the file's own. */
static int spool_read(const char *file, uint64_t *rows, char **path, uint8_t **body,
		      uint64_t *len, uint64_t *file_bytes)
{
	char magic[sizeof(SPOOL_MAGIC) - 1];
	unsigned long long r, b;
	size_t plen;
	struct stat sb;
	int err = -EINVAL;
	FILE *f;

	f = fopen(file, "re");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode))
		goto out;
	if (fread(magic, 1, sizeof(magic), f) != sizeof(magic) ||
	    memcmp(magic, SPOOL_MAGIC, sizeof(magic)) ||
	    fscanf(f, "%llu %zu %llu", &r, &plen, &b) != 3 || fgetc(f) != '\n')
		goto out;
	if (plen == 0 || plen > 65536 || b > (unsigned long long)sb.st_size ||
	    (uint64_t)ftell(f) + plen + b != (uint64_t)sb.st_size)
		goto out;
	*path = calloc(1, plen + 1);
	if (!*path) {
		err = -ENOMEM;
		goto out;
	}
	if (fread(*path, 1, plen, f) != plen || memchr(*path, 0, plen) || (*path)[0] != '/') {
		free(*path);
		*path = NULL;
		goto out;
	}
	if (body) {
		*body = malloc(b ? b : 1);
		if (!*body || fread(*body, 1, b, f) != b) {
			free(*body);
			*body = NULL;
			free(*path);
			*path = NULL;
			err = -EIO;
			goto out;
		}
	}
	*rows = r;
	*len = b;
	*file_bytes = sb.st_size;
	err = 0;
out:
	fclose(f);
	return err;
}

static void enqueue(struct sink *s, struct batch *b)
{
	if (s->tail)
		s->tail->next = b;
	else
		s->head = b;
	s->tail = b;
	account(s, b, 1);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Queues the batches an earlier run left in the spool, oldest first.
 * Files that do not read back as batches are left where they are, named
 * in a warning: they may be someone's data. */
static void spool_recover(struct sink *s)
{
	struct dirent **names;
	char file[4096], why[160];
	int n;

	n = scandir(s->spool_dir, &names, NULL, by_name);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name;
		size_t l = strlen(d);
		struct batch *b;

		if (d[0] == '.' && !strncmp(d, ".tmp-", 5)) {
			/* a write a crash cut short: never a whole batch */
			snprintf(file, sizeof(file), "%s/%s", s->spool_dir, d);
			unlink(file);
		}
		if (l <= strlen(SPOOL_SUFFIX) || strcmp(d + l - strlen(SPOOL_SUFFIX), SPOOL_SUFFIX))
			goto next;
		snprintf(file, sizeof(file), "%s/%s", s->spool_dir, d);
		b = calloc(1, sizeof(*b));
		if (!b || spool_read(file, &b->rows, &b->path, NULL, &b->len, &b->file_bytes) ||
		    !(b->file = strdup(file))) {
			printable(why, sizeof(why), d, l);
			pr_warn("export %s: %s in the spool is not a batch; left as it is", s->name,
				why);
			batch_free(b);
			goto next;
		}
		enqueue(s, b);
		s->st.batches_recovered++;
		s->st.rows_recovered += b->rows;
next:
		free(names[i]);
	}
	free(names);
}

/* ---- HTTP ----------------------------------------------------------------- */

static size_t keep_answer(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n, room = sizeof(s->answer) - 1 - s->answer_len;

	if (room) {
		memcpy(s->answer + s->answer_len, data, len < room ? len : room);
		s->answer_len += len < room ? len : room;
	}
	return len; /* the rest is read and ignored: the connection stays usable */
}

static int abort_hook(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct sink *s = arg;

	(void)a, (void)b, (void)c, (void)d;
	return atomic_load(&s->abort) ? 1 : 0;
}

enum outcome { SENT, RETRY, REJECTED, UNREADABLE };

/* One attempt; *status gets the HTTP status (0: no answer) and, unless
 * SENT, why[] says what went wrong (printable). Runs without the lock:
 * only the worker touches the handle and the answer buffer. */
static enum outcome post(struct sink *s, const struct batch *b, const uint8_t *body,
			 long *status, char *why, size_t whylen)
{
	char url[8192], words[sizeof(s->answer) + 64];
	CURLcode rc;

	snprintf(url, sizeof(url), "%s%s", s->url, b->path);
	s->answer_len = 0;
	*status = 0;
	cu.setopt(s->curl, CURLOPT_URL, url);
	cu.setopt(s->curl, CURLOPT_POSTFIELDS, body);
	cu.setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
	rc = cu.perform(s->curl);
	if (rc == CURLE_OK)
		cu.getinfo(s->curl, CURLINFO_RESPONSE_CODE, status);
	if (rc == CURLE_OK && *status >= 200 && *status < 300)
		return SENT;
	s->answer[s->answer_len] = 0;
	if (rc != CURLE_OK)
		snprintf(words, sizeof(words), "%s", cu.strerror(rc));
	else
		snprintf(words, sizeof(words), "HTTP %ld: %s", *status, s->answer);
	printable(why, whylen, words, strlen(words));
	/* 4xx is the backend saying this request is wrong: sending it again
	 * cannot help. 408 and 429 say "later". */
	if (rc == CURLE_OK && *status >= 400 && *status < 500 && *status != 408 && *status != 429)
		return REJECTED;
	return RETRY;
}

static void *worker(void *arg)
{
	struct sink *s = arg;
	char why[sizeof(s->st.last_error)];
	uint32_t backoff = 0;
	uint8_t *loaded;
	struct batch *b;
	enum outcome o;
	long status;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->wake, &s->mu);
		if (!s->head || atomic_load(&s->abort))
			break;
		b = s->head;
		pthread_mutex_unlock(&s->mu);

		loaded = NULL;
		status = 0;
		if (!b->body) {
			uint64_t rows, len, fb;
			char *path = NULL;

			if (spool_read(b->file, &rows, &path, &loaded, &len, &fb) || len != b->len)
				o = UNREADABLE; /* dropped below */
			else
				o = post(s, b, loaded, &status, why, sizeof(why));
			free(path);
		} else {
			o = post(s, b, b->body, &status, why, sizeof(why));
		}
		free(loaded);

		pthread_mutex_lock(&s->mu);
		s->st.last_status = (int32_t)status;
		if (o == RETRY || o == REJECTED)
			memcpy(s->st.last_error, why, sizeof(why));
		if (o == RETRY) {
			struct timespec until;
			uint64_t t;

			s->st.attempts_failed++;
			backoff = backoff ? backoff * 2 : s->retry_min_ms;
			if (backoff > s->retry_max_ms)
				backoff = s->retry_max_ms;
			t = now_ns(CLOCK_REALTIME) + (uint64_t)backoff * 1000000ull;
			until.tv_sec = t / 1000000000ull;
			until.tv_nsec = t % 1000000000ull;
			while (!atomic_load(&s->abort) &&
			       pthread_cond_timedwait(&s->wake, &s->mu, &until) != ETIMEDOUT)
				;
			continue;
		}
		backoff = 0;
		s->head = b->next;
		if (!s->head)
			s->tail = NULL;
		account(s, b, -1);
		if (o == SENT) {
			s->st.batches_sent++;
			s->st.rows_sent += b->rows;
			s->st.bytes_sent += b->len;
		} else if (o == REJECTED) {
			drop(s, b, PR_EXPORT_DROP_REJECTED);
			pr_warn("export %s: the backend refused %" PRIu64 " rows (dropped): %s",
				s->name, b->rows, s->st.last_error);
		} else {
			drop(s, b, PR_EXPORT_DROP_SPOOL);
			pr_warn("export %s: a spooled batch could not be read back; %" PRIu64
				" rows dropped", s->name, b->rows);
		}
		if (b->file)
			unlink(b->file);
		batch_free(b);
		pthread_cond_broadcast(&s->idle);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- the sinks ------------------------------------------------------------ */

static int setup_curl(struct sink *s, const char *ctype)
{
	char hdr[256];

	s->curl = cu.init();
	if (!s->curl)
		return -ENOMEM;
	snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
	s->headers = cu.slist_append(NULL, hdr);
	/* no "Expect: 100-continue" wait before larger bodies */
	s->headers = cu.slist_append(s->headers, "Expect:");
	if (!s->headers)
		return -ENOMEM;
	cu.setopt(s->curl, CURLOPT_HTTPHEADER, s->headers);
	cu.setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	cu.setopt(s->curl, CURLOPT_POST, 1L);
	cu.setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	cu.setopt(s->curl, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
	cu.setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(s->timeout_ms < 5000 ? s->timeout_ms : 5000));
	cu.setopt(s->curl, CURLOPT_USERAGENT, "profrun/" PROFRUN_VERSION);
	cu.setopt(s->curl, CURLOPT_WRITEFUNCTION, keep_answer);
	cu.setopt(s->curl, CURLOPT_WRITEDATA, s);
	cu.setopt(s->curl, CURLOPT_NOPROGRESS, 0L);
	cu.setopt(s->curl, CURLOPT_XFERINFOFUNCTION, abort_hook);
	cu.setopt(s->curl, CURLOPT_XFERINFODATA, s);
	return 0;
}

static int open_spool(struct sink *s, const char *dir, char *err, size_t errlen)
{
	char why[512];
	int e;

	/* profrun reads the batches back and sends them: a directory someone
	 * else can write would let them inject rows or read ours */
	e = pr_trust_make_dir(dir, 0700, pr_trust_invoker(), why, sizeof(why));
	if (e) {
		snprintf(err, errlen, "spool directory: %s", why);
		return e;
	}
	/* two sinks sending the same spooled batches would send them twice */
	s->spool_lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->spool_lock < 0 || flock(s->spool_lock, LOCK_EX | LOCK_NB)) {
		e = -errno;
		snprintf(err, errlen, "spool directory %s: %s", dir,
			 e == -EWOULDBLOCK ? "in use by another sink or profrun; give each its own"
					   : strerror(-e));
		return e;
	}
	s->spool_dir = strdup(dir);
	return s->spool_dir ? 0 : -ENOMEM;
}

static void sink_free(struct sink *s)
{
	struct batch *b;

	while ((b = s->head)) {
		s->head = b->next;
		batch_free(b);
	}
	if (s->curl)
		cu.cleanup(s->curl);
	cu.slist_free_all(s->headers);
	if (s->spool_lock >= 0)
		close(s->spool_lock);
	free(s->url);
	free(s->name);
	free(s->spool_dir);
	free(s);
}

int pr_export_open(const struct pr_export_opts *o, char *err, size_t errlen)
{
	static bool curl_ready;
	struct sink *s;
	size_t l;
	int e;

	if (!o->url || !o->name || !o->content_type || o->timeout_ms == 0 ||
	    o->retry_min_ms == 0 || o->retry_max_ms < o->retry_min_ms) {
		snprintf(err, errlen, "bad sink options");
		return -EINVAL;
	}
	if (strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8)) {
		snprintf(err, errlen, "the URL must start with http:// or https://");
		return -EINVAL;
	}
	if (nsinks == PR_EXPORT_SINKS) {
		snprintf(err, errlen, "at most %d sinks per run", PR_EXPORT_SINKS);
		return -ENOSPC;
	}
	if (!curl_ready) {
		/* before any thread: curl_global_init is not thread-safe */
		if ((e = load_curl(err, errlen)))
			return e;
		if (cu.global_init(CURL_GLOBAL_DEFAULT)) {
			snprintf(err, errlen, "libcurl could not start");
			return -EIO;
		}
		curl_ready = true;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->spool_lock = -1;
	s->url = strdup(o->url);
	s->name = strdup(o->name);
	if (!s->url || !s->name) {
		e = -ENOMEM;
		goto fail;
	}
	l = strlen(s->url);
	while (l && s->url[l - 1] == '/')
		s->url[--l] = 0; /* paths come with their own "/" */
	s->memory_cap = o->memory_bytes;
	s->disk_cap = o->disk_bytes;
	s->timeout_ms = o->timeout_ms;
	s->retry_min_ms = o->retry_min_ms;
	s->retry_max_ms = o->retry_max_ms;
	s->wait_ms = o->wait_ms;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->idle, NULL);
	if (o->spool_dir && o->spool_dir[0] && (e = open_spool(s, o->spool_dir, err, errlen)))
		goto fail;
	if ((e = setup_curl(s, o->content_type))) {
		snprintf(err, errlen, "libcurl: out of memory");
		goto fail;
	}
	if (s->spool_dir)
		spool_recover(s);
	e = pr_thread_start(&s->thread, worker, s);
	if (e) {
		snprintf(err, errlen, "cannot start its thread: %s", strerror(-e));
		goto fail;
	}
	s->started = true;
	sinks[nsinks] = s;
	return nsinks++;
fail:
	sink_free(s);
	return e;
}

int pr_export_send(int id, const char *path, const void *body, uint64_t len, uint64_t rows)
{
	struct sink *s = id >= 0 && id < nsinks ? sinks[id] : NULL;
	struct batch *b;
	int err = 0;

	if (!s || !path || path[0] != '/' || (!body && len) || s->finished)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->path = strdup(path)) || !(b->body = malloc(len ? len : 1))) {
		batch_free(b);
		return -ENOMEM;
	}
	memcpy(b->body, body, len);
	b->len = len;
	b->rows = rows;
	pthread_mutex_lock(&s->mu);
	if (s->st.memory_bytes + len > s->memory_cap) {
		/* memory is full: the newest batch goes to disk, the FIFO keeps
		 * its order either way */
		if (!spool_fits(s, b)) {
			err = -ENOSPC;
		} else if ((err = spool_write(s, b))) {
			pr_warn("export %s: cannot write to the spool: %s", s->name, strerror(-err));
			drop(s, b, PR_EXPORT_DROP_SPOOL);
			batch_free(b);
			pthread_mutex_unlock(&s->mu);
			return err;
		} else {
			free(b->body);
			b->body = NULL;
			s->st.batches_spooled++;
			s->st.rows_spooled += rows;
		}
	}
	if (err) {
		drop(s, b, PR_EXPORT_DROP_FULL);
		batch_free(b);
	} else {
		enqueue(s, b);
		pthread_cond_signal(&s->wake);
	}
	pthread_mutex_unlock(&s->mu);
	return err;
}

int pr_export_stats(int id, struct pr_export_stats *out)
{
	struct sink *s = id >= 0 && id < nsinks ? sinks[id] : NULL;

	if (!s)
		return -ENOENT;
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* After its worker stopped: what is still queued in memory goes to the
 * spool if there is room, else it is dropped; spooled batches stay. */
static void leave(struct sink *s)
{
	uint64_t kept_rows = 0, lost_rows = 0;
	struct batch *b;

	while ((b = s->head)) {
		s->head = b->next;
		account(s, b, -1);
		if (b->body && spool_fits(s, b) && !spool_write(s, b)) {
			free(b->body);
			b->body = NULL;
			s->st.batches_spooled++;
			s->st.rows_spooled += b->rows;
		}
		if (b->body) {
			drop(s, b, PR_EXPORT_DROP_EXIT);
			lost_rows += b->rows;
		} else {
			kept_rows += b->rows;
			s->st.disk_bytes += b->file_bytes; /* still there */
		}
		batch_free(b);
	}
	s->tail = NULL;
	s->st.rows_waiting = kept_rows;
	if (kept_rows || lost_rows)
		pr_warn("export %s: %" PRIu64 " rows not delivered by the end (last error: %s)%s%s%s",
			s->name, kept_rows + lost_rows,
			s->st.last_error[0] ? s->st.last_error : "none", kept_rows ? "; kept in " : "",
			kept_rows ? s->spool_dir : "", kept_rows ? " for the next run" : "");
	if (lost_rows)
		pr_warn("export %s: %" PRIu64 " of them dropped (no spool room)", s->name,
			lost_rows);
}

void pr_export_finish(void)
{
	uint64_t wait_ms = 0, deadline;
	struct timespec until;
	int i;

	for (i = 0; i < nsinks; i++)
		if (!sinks[i]->finished && sinks[i]->wait_ms > wait_ms)
			wait_ms = sinks[i]->wait_ms;
	deadline = now_ns(CLOCK_REALTIME) + wait_ms * 1000000ull;
	until.tv_sec = deadline / 1000000000ull;
	until.tv_nsec = deadline % 1000000000ull;
	for (i = 0; i < nsinks; i++) {
		struct sink *s = sinks[i];

		if (s->finished)
			continue;
		pthread_mutex_lock(&s->mu);
		s->stopping = true;
		pthread_cond_broadcast(&s->wake);
		while (s->head && pthread_cond_timedwait(&s->idle, &s->mu, &until) != ETIMEDOUT)
			;
		atomic_store(&s->abort, true);
		pthread_cond_broadcast(&s->wake);
		pthread_mutex_unlock(&s->mu);
	}
	for (i = 0; i < nsinks; i++) {
		struct sink *s = sinks[i];
		uint64_t dropped = 0;

		if (s->finished)
			continue;
		pthread_join(s->thread, NULL);
		s->finished = true;
		leave(s);
		for (int w = 0; w < PR_EXPORT_DROP_MAX; w++)
			dropped += w == PR_EXPORT_DROP_EXIT ? 0 : s->st.dropped_rows[w];
		if (dropped)
			pr_warn("export %s: %" PRIu64 " rows dropped during the run (stats().export"
				" says why)", s->name, dropped);
	}
}
