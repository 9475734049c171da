// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The debuginfod client against Debian's real server (/usr/bin/debuginfod,
 * package debuginfod) serving symfix-buildid's debuginfo from a temporary
 * directory, and against servers that are down or never answer. With -v
 * the server logs one line per request, so "asked once" is read from its
 * log. Each case has its own DEBUGINFOD_CACHE_PATH, so libdebuginfod's
 * cache never answers for a server the case means to ask; the variables
 * the cases set are put back at the end of each.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "buildid.h"
#include "clock.h"
#include "debuginfod.h"
#include "harness.h"

#define SEC 1000000000ull
/* never asked of any server: no build id starts with 16 zero bytes */
#define UNKNOWN_ID "0000000000000000000000000000000000c0ffee"

extern char **environ;

static const char *const env_names[] = { "DEBUGINFOD_URLS", "DEBUGINFOD_CACHE_PATH",
					 "DEBUGINFOD_TIMEOUT" };

struct env_save {
	char *val[3];
};

struct srv {
	char dir[64]; /* srv/ (what it serves), db, log, cache/ */
	char log[256];
	char url[64];
	char id[PR_BUILDID_HEX]; /* the build id it has */
	uint64_t size;		 /* of its debuginfo */
	pid_t pid;
};

static void env_save(struct env_save *s)
{
	for (size_t i = 0; i < 3; i++) {
		const char *v = getenv(env_names[i]);

		s->val[i] = v ? strdup(v) : NULL;
	}
}

static void env_restore(struct env_save *s)
{
	for (size_t i = 0; i < 3; i++) {
		if (s->val[i])
			setenv(env_names[i], s->val[i], 1);
		else
			unsetenv(env_names[i]);
		free(s->val[i]);
	}
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *dir)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh temporary directory whose cache/ is libdebuginfod's cache. */
static bool use_cache(char *dir)
{
	char cache[128];

	if (!test_mkdtemp(dir))
		return false;
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	setenv("DEBUGINFOD_CACHE_PATH", cache, 1);
	return true;
}

/* The debuginfod binary on $PATH, into bin[256]. */
static bool find_server_binary(char *bin)
{
	const char *path = getenv("PATH");
	char *copy = strdup(path && *path ? path : "/usr/bin:/bin"), *save = NULL, *d;
	bool found = false;

	for (d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		snprintf(bin, 256, "%s/debuginfod", d);
		found = !access(bin, X_OK);
	}
	free(copy);
	return ASSERT_TRUE(found, "debuginfod server binary on $PATH (Debian package debuginfod; "
				  "scripts/install-deps.sh installs it)");
}

static bool copy_file(const char *from, const char *to, uint64_t *size)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1;
	ssize_t n = 0;

	*size = 0;
	if (in >= 0)
		out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0 && write(out, buf, n) == n)
		*size += n;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return ASSERT_TRUE(in >= 0 && out >= 0 && !n && *size, "copy the fixture's debuginfo");
}

/* srv/ holds symfix-buildid's debuginfo, as the Makefile splits it off. */
static bool stage_debuginfo(struct srv *s)
{
	const char *fx = getenv("FIXTURES");
	char bin[256], dbg[512], to[256];

	snprintf(bin, sizeof(bin), "%s/symfix-buildid", fx && *fx ? fx : "build/fixtures");
	if (!ASSERT_EQ(pr_buildid_from_path(bin, s->id, sizeof(s->id)), 40,
		       "symfix-buildid has a build id (make fixtures)"))
		return false;
	snprintf(dbg, sizeof(dbg), "%s/debug/.build-id/%.2s/%s.debug",
		 fx && *fx ? fx : "build/fixtures", s->id, s->id + 2);
	snprintf(to, sizeof(to), "%s/srv", s->dir);
	mkdir(to, 0755);
	snprintf(to, sizeof(to), "%s/srv/symfix.debug", s->dir);
	return copy_file(dbg, to, &s->size);
}

/* A free TCP port on 127.0.0.1 (free now: nothing holds it). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Whether GET /metrics on port answers with a line holding needle. */
static bool metrics_have(int port, const char *needle)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 2 };
	static char buf[1 << 17];
	static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!connect(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    write(fd, req, sizeof(req) - 1) == sizeof(req) - 1)
		while (len < sizeof(buf) - 1 &&
		       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
			len += n;
	close(fd);
	buf[len] = '\0';
	return strstr(buf, needle);
}

/* The environment without DEBUGINFOD_*: with DEBUGINFOD_URLS the server
 * would pass its misses on to those servers. */
static char **server_env(void)
{
	size_t n = 0, i, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	for (i = 0; env && i < n; i++)
		if (strncmp(environ[i], "DEBUGINFOD_", 11))
			env[j++] = environ[i];
	return env;
}

/* Runs `debuginfod -p PORT -F srv -d db -v` with its output in log. */
static pid_t spawn(struct srv *s, const char *bin, int port)
{
	char portstr[16], srvdir[128], db[128];
	char *argv[] = { (char *)bin, "-p", portstr, "-F", srvdir, "-d", db, "-v", NULL };
	char **env = server_env();
	int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	pid_t pid = -1;

	snprintf(portstr, sizeof(portstr), "%d", port);
	snprintf(srvdir, sizeof(srvdir), "%s/srv", s->dir);
	snprintf(db, sizeof(db), "%s/db.sqlite", s->dir);
	if (env && fd >= 0)
		pid = fork();
	if (pid == 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execve(bin, argv, env);
		_exit(127);
	}
	if (fd >= 0)
		close(fd);
	free(env);
	return pid;
}

static void srv_stop(struct srv *s)
{
	int i, status;

	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	for (i = 0; i < 100 && !waitpid(s->pid, &status, WNOHANG); i++)
		usleep(50000);
	if (i == 100) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &status, 0);
	}
	s->pid = -1;
}

/* Ready once its scan indexed the debuginfo: asked sooner, it says 404. */
static bool srv_ready(struct srv *s, int port)
{
	int i, status;

	for (i = 0; i < 300; i++) {
		if (metrics_have(port, "found_debuginfo_total{source=\"files\"} 1"))
			return true;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = -1; /* the port was taken after all, or it failed */
			return false;
		}
		usleep(50000);
	}
	return false;
}

/* A server with s->id's debuginfo, and a cache of our own. */
static bool srv_start(struct srv *s)
{
	char bin[256];
	int tries, port = -1;
	bool ready = false;

	s->pid = -1;
	if (!find_server_binary(bin) || !use_cache(s->dir) || !stage_debuginfo(s))
		return false;
	snprintf(s->log, sizeof(s->log), "%s/log", s->dir);
	for (tries = 0; tries < 3 && !ready; tries++) {
		port = free_port();
		s->pid = port > 0 ? spawn(s, bin, port) : -1;
		ready = s->pid > 0 && srv_ready(s, port);
		if (!ready)
			srv_stop(s);
	}
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", port);
	return ASSERT_TRUE(ready, "debuginfod server indexed the fixture (see its log)");
}

static void srv_free(struct srv *s)
{
	srv_stop(s);
	rm_tree(s->dir);
}

/* Lines of the server's log asking for id's debuginfo. */
static int log_requests(const struct srv *s, const char *id)
{
	char line[1024], needle[200];
	FILE *f = fopen(s->log, "re");
	int n = 0;

	snprintf(needle, sizeof(needle), "GET /buildid/%s/debuginfo ", id);
	while (f && fgets(line, sizeof(line), f))
		n += !!strstr(line, needle);
	if (f)
		fclose(f);
	return n;
}

/* The server logs a request once it answered it: give the line a moment. */
static int log_requests_at_least(const struct srv *s, const char *id, int want)
{
	int i, n = 0;

	for (i = 0; i < 60 && (n = log_requests(s, id)) < want; i++)
		usleep(50000);
	return n;
}

/* find, then wait for the worker and find again: the settled state. */
static int find_settled(struct pr_debuginfod *d, const char *id, const char **path)
{
	int state = pr_debuginfod_find(d, id, path);

	if (state != PR_DI_PENDING)
		return state;
	ASSERT_EQ(pr_debuginfod_wait(d, pr_mono_ns() + 20 * SEC), 0, "answered in time");
	return pr_debuginfod_find(d, id, path);
}

static void check_found(struct pr_debuginfod *d, const struct srv *s, const char **path)
{
	char hex[PR_BUILDID_HEX] = "";

	ASSERT_EQ(find_settled(d, s->id, path), PR_DI_FOUND, "found");
	if (!ASSERT_TRUE(*path, "path"))
		return;
	ASSERT_EQ(pr_buildid_from_path(*path, hex, sizeof(hex)), 40, "fetched file has a build id");
	ASSERT_STREQ(hex, s->id, "and it is the one asked for");
}

void test_debuginfod_found(void)
{
	struct pr_debuginfod_stats st;
	struct pr_debuginfod *d = NULL;
	struct env_save env;
	struct srv s = { .pid = -1 };
	const char *path = NULL, *again = NULL;
	char first[512] = "";
	uint64_t gen;

	env_save(&env);
	if (!srv_start(&s))
		goto out;
	if (!ASSERT_OK(pr_debuginfod_new(&(struct pr_debuginfod_opts){ .urls = s.url }, &d),
		       "new") ||
	    !ASSERT_TRUE(d, "client"))
		goto out;
	gen = pr_debuginfod_generation(d);
	check_found(d, &s, &path);
	ASSERT_TRUE(pr_debuginfod_generation(d) != gen, "generation moved");
	pr_debuginfod_stats(d, &st);
	ASSERT_EQ(st.requests, 1, "requests");
	ASSERT_EQ(st.fetched, 1, "fetched");
	ASSERT_EQ(st.cached, 0, "cached");
	ASSERT_EQ(st.bytes, s.size, "bytes are the file's");
	ASSERT_EQ(st.pending, 0, "pending");
	snprintf(first, sizeof(first), "%s", path ? path : "");
	pr_debuginfod_free(d);

	/* a second client on the same cache finds the file there */
	d = NULL;
	if (!ASSERT_OK(pr_debuginfod_new(&(struct pr_debuginfod_opts){ .urls = s.url }, &d), "new"))
		goto out;
	check_found(d, &s, &again);
	ASSERT_STREQ(again, first, "the same file");
	pr_debuginfod_stats(d, &st);
	ASSERT_EQ(st.cached, 1, "cached");
	ASSERT_EQ(st.fetched, 0, "fetched");
	ASSERT_EQ(st.bytes, 0, "no bytes fetched");
	ASSERT_EQ(log_requests_at_least(&s, s.id, 1), 1, "server asked once in all");
out:
	pr_debuginfod_free(d);
	srv_free(&s);
	env_restore(&env);
}

void test_debuginfod_missing_once(void)
{
	struct pr_debuginfod_stats st;
	struct pr_debuginfod *d = NULL;
	struct env_save env;
	struct srv s = { .pid = -1 };
	const char *path = "x";
	int i, pending = 0, missing = 0;

	env_save(&env);
	if (!srv_start(&s) ||
	    !ASSERT_OK(pr_debuginfod_new(&(struct pr_debuginfod_opts){ .urls = s.url }, &d), "new"))
		goto out;
	for (i = 0; i < 50; i++)
		pending += pr_debuginfod_find(d, UNKNOWN_ID, &path) == PR_DI_PENDING;
	ASSERT_TRUE(pending >= 1, "first find queues it");
	ASSERT_EQ(pr_debuginfod_wait(d, pr_mono_ns() + 20 * SEC), 0, "answered in time");
	for (i = 0; i < 50; i++)
		missing += pr_debuginfod_find(d, UNKNOWN_ID, &path) == PR_DI_MISSING;
	ASSERT_EQ(missing, 50, "missing, remembered");
	ASSERT_NULL(path, "no path");
	ASSERT_EQ(log_requests_at_least(&s, UNKNOWN_ID, 1), 1, "server asked once");

	/* not hex: failed at once, and nobody is asked */
	ASSERT_EQ(pr_debuginfod_find(d, "not-a-build-id", &path), PR_DI_FAILED, "invalid id");
	ASSERT_EQ(pr_debuginfod_find(d, "ABCDEF", &path), PR_DI_FAILED, "uppercase id");
	ASSERT_EQ(pr_debuginfod_find(d, "abc", &path), PR_DI_FAILED, "odd length");
	ASSERT_EQ(pr_debuginfod_find(d, "abc", &path), PR_DI_FAILED, "still");
	pr_debuginfod_stats(d, &st);
	ASSERT_EQ(st.requests, 1, "requests");
	ASSERT_EQ(st.not_found, 1, "not_found");
	ASSERT_EQ(st.failed, 3, "failed: one per invalid id");
	ASSERT_EQ(st.pending, 0, "pending");
out:
	pr_debuginfod_free(d);
	srv_free(&s);
	env_restore(&env);
}

void test_debuginfod_server_down(void)
{
	struct pr_debuginfod_stats st;
	struct pr_debuginfod *d = NULL;
	struct env_save env;
	char dir[64] = "", url[64];
	const char *path;
	int i, failed = 0, port = free_port();

	env_save(&env);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	if (!ASSERT_TRUE(port > 0, "a closed port") || !use_cache(dir) ||
	    !ASSERT_OK(pr_debuginfod_new(&(struct pr_debuginfod_opts){ .urls = url }, &d), "new"))
		goto out;
	ASSERT_EQ(find_settled(d, UNKNOWN_ID, &path), PR_DI_FAILED, "refused: failed");
	for (i = 0; i < 20; i++)
		failed += pr_debuginfod_find(d, UNKNOWN_ID, &path) == PR_DI_FAILED;
	ASSERT_EQ(failed, 20, "failure remembered");
	pr_debuginfod_stats(d, &st);
	ASSERT_EQ(st.requests, 1, "requests");
	ASSERT_EQ(st.failed, 1, "failed");
	ASSERT_EQ(st.not_found, 0, "not_found");
out:
	pr_debuginfod_free(d);
	rm_tree(dir);
	env_restore(&env);
}

/* A socket that listens and never accepts: the kernel completes the
 * handshake, takes the request and nobody ever answers. */
static int silent_server(char *url)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&a, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(url, 64, "http://127.0.0.1:%d", ntohs(a.sin_port));
	return fd;
}

void test_debuginfod_stalled(void)
{
	struct pr_debuginfod_opts o = { .urls = NULL };
	struct pr_debuginfod_stats st;
	struct pr_debuginfod *d = NULL;
	struct env_save env;
	char dir[64] = "", url[64], marker[256];
	const char *path;
	uint64_t t;
	int fd = -1;

	env_save(&env);
	fd = silent_server(url);
	if (!ASSERT_TRUE(fd >= 0, "listening socket") || !use_cache(dir))
		goto out;
	o.urls = url;
	o.timeout_ns = SEC;
	if (!ASSERT_OK(pr_debuginfod_new(&o, &d), "new"))
		goto out;
	t = pr_mono_ns();
	ASSERT_EQ(pr_debuginfod_find(d, UNKNOWN_ID, &path), PR_DI_PENDING, "pending");
	ASSERT_TRUE(pr_mono_ns() - t < SEC / 10, "find did not wait on the network");
	ASSERT_EQ(pr_debuginfod_wait(d, t + 6 * SEC), 0, "given up within timeout + ~1 s");
	ASSERT_EQ(pr_debuginfod_find(d, UNKNOWN_ID, &path), PR_DI_FAILED, "timed out: failed");
	pr_debuginfod_stats(d, &st);
	ASSERT_EQ(st.failed, 1, "failed");
	ASSERT_EQ(st.not_found, 0, "an abort is no answer");
	/* libdebuginfod marks an aborted query as a miss; the mark must go */
	snprintf(marker, sizeof(marker), "%s/cache/%s/debuginfo", dir, UNKNOWN_ID);
	ASSERT_TRUE(access(marker, F_OK), "no miss marker left in the cache");
	pr_debuginfod_free(d);

	/* free ends a query in flight, long before its own timeout */
	d = NULL;
	o.timeout_ns = 60 * SEC;
	if (!ASSERT_OK(pr_debuginfod_new(&o, &d), "new"))
		goto out;
	ASSERT_EQ(pr_debuginfod_find(d, "0000000000000000000000000000000000c0ffef", &path),
		  PR_DI_PENDING, "pending");
	usleep(200000); /* let the worker start it */
	t = pr_mono_ns();
	pr_debuginfod_free(d);
	d = NULL;
	ASSERT_TRUE(pr_mono_ns() - t < 5 * SEC, "free cancelled the query in flight");
out:
	pr_debuginfod_free(d);
	if (fd >= 0)
		close(fd);
	rm_tree(dir);
	env_restore(&env);
}

void test_debuginfod_negative_ttl(void)
{
	struct pr_debuginfod_opts o = { .negative_ttl_ns = SEC };
	struct pr_debuginfod_stats st;
	struct pr_debuginfod *d = NULL;
	struct env_save env;
	struct srv s = { .pid = -1 };
	const char *path;

	env_save(&env);
	if (!srv_start(&s))
		goto out;
	o.urls = s.url;
	if (!ASSERT_OK(pr_debuginfod_new(&o, &d), "new"))
		goto out;
	ASSERT_EQ(find_settled(d, UNKNOWN_ID, &path), PR_DI_MISSING, "missing");
	ASSERT_EQ(pr_debuginfod_find(d, UNKNOWN_ID, &path), PR_DI_MISSING, "trusted for the TTL");
	usleep(1500000); /* the TTL runs on real time */
	ASSERT_EQ(pr_debuginfod_find(d, UNKNOWN_ID, &path), PR_DI_PENDING, "expired: asked again");
	ASSERT_EQ(pr_debuginfod_wait(d, pr_mono_ns() + 20 * SEC), 0, "answered in time");
	ASSERT_EQ(pr_debuginfod_find(d, UNKNOWN_ID, &path), PR_DI_MISSING, "missing again");
	ASSERT_EQ(log_requests_at_least(&s, UNKNOWN_ID, 2), 2, "server asked twice");
	pr_debuginfod_stats(d, &st);
	ASSERT_EQ(st.requests, 2, "requests");
	ASSERT_EQ(st.not_found, 2, "not_found");
out:
	pr_debuginfod_free(d);
	srv_free(&s);
	env_restore(&env);
}

void test_debuginfod_off(void)
{
	struct pr_debuginfod *d = (struct pr_debuginfod *)&d;
	struct env_save env;

	env_save(&env);
	unsetenv("DEBUGINFOD_URLS");
	ASSERT_OK(pr_debuginfod_new(&(struct pr_debuginfod_opts){ .urls = NULL }, &d), "no URLs");
	ASSERT_NULL(d, "off");
	d = (struct pr_debuginfod *)&d;
	ASSERT_OK(pr_debuginfod_new(&(struct pr_debuginfod_opts){ .urls = "" }, &d), "empty");
	ASSERT_NULL(d, "off");
	setenv("DEBUGINFOD_URLS", "", 1);
	d = (struct pr_debuginfod *)&d;
	ASSERT_OK(pr_debuginfod_new(NULL, &d), "empty $DEBUGINFOD_URLS");
	ASSERT_NULL(d, "off");
	pr_debuginfod_free(NULL);
	env_restore(&env);
}
