/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Debuginfo by build id from debuginfod servers (Debian's libdebuginfod),
 * fetched on a worker thread: the event loop asks and never waits on the
 * network. At most one request per build id is ever in flight; an answer
 * of "not there" (or a failure: refused, timed out) is remembered for a
 * TTL, so a build id is asked for at most once per TTL however often its
 * binaries are seen. Files land in libdebuginfod's standard cache
 * ($DEBUGINFOD_CACHE_PATH, else ~/.cache/debuginfod_client); they are
 * hostile input like any ELF file and are parsed as such by the caller.
 */
#ifndef PR_DEBUGINFOD_H
#define PR_DEBUGINFOD_H

#include <stdint.h>

struct pr_debuginfod;

struct pr_debuginfod_opts {
	const char *urls;	  /* NULL: $DEBUGINFOD_URLS; NULL/empty there too: off */
	uint64_t timeout_ns;	  /* one request's whole time; 0 = 10 s */
	uint64_t negative_ttl_ns; /* how long a miss or failure is trusted; 0 = 10 min */
};

enum pr_debuginfod_state {
	PR_DI_PENDING = 0, /* queued or in flight (the first find queues it) */
	PR_DI_FOUND = 1,   /* *path names the debuginfo file */
	PR_DI_MISSING = 2, /* no server has it: not asked again until the TTL ends */
	PR_DI_FAILED = 3,  /* error or timeout: not asked again until the TTL ends */
};

/* *out is NULL (and 0 returned) when no server is configured: callers
 * treat a NULL client as "off". -errno when the worker cannot start;
 * -ENOENT when libdebuginfod1 is not installed (said with pr_warn).
 * libdebuginfod reads its settings from the environment, so this sets
 * DEBUGINFOD_URLS to o->urls (when given) and DEBUGINFOD_TIMEOUT (when
 * unset): process-wide, and setenv is unsafe while other threads read the
 * environment, so call it before starting threads. */
int pr_debuginfod_new(const struct pr_debuginfod_opts *o, struct pr_debuginfod **out);
/* Cancels the request in flight (within ~1 s), joins the worker. */
void pr_debuginfod_free(struct pr_debuginfod *d);

/* Never blocks. build_id is lowercase hex (else PR_DI_FAILED for good,
 * never asked). On PR_DI_FOUND *path is the file's path, valid until
 * pr_debuginfod_free; NULL otherwise. -ENOMEM when a new id cannot be
 * recorded. */
int pr_debuginfod_find(struct pr_debuginfod *d, const char *build_id, const char **path);
/* Changes whenever a request ends: a caller holding PENDING build ids asks
 * again only when it moved. */
uint64_t pr_debuginfod_generation(struct pr_debuginfod *d);
/* Waits until no request is queued or in flight, or until deadline
 * (CLOCK_MONOTONIC ns). Returns how many are still queued or in flight. */
int pr_debuginfod_wait(struct pr_debuginfod *d, uint64_t deadline_ns);

struct pr_debuginfod_stats {
	uint64_t requests;  /* lookups done by libdebuginfod (its cache may answer) */
	uint64_t fetched;   /* downloaded now */
	uint64_t cached;    /* already in the local cache */
	uint64_t not_found; /* no server has it */
	uint64_t failed;    /* error or timeout (and invalid build ids, never asked) */
	uint64_t bytes;     /* size of the files fetched */
	uint64_t pending;   /* queued or in flight now */
};

void pr_debuginfod_stats(struct pr_debuginfod *d, struct pr_debuginfod_stats *out);

#endif
