/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Sending what scripts produce to a backend over HTTP, off the event loop.
 * Each sink is one worker thread with its own libcurl handle and a FIFO
 * of batches (an HTTP request body each): the loop only appends to the
 * FIFO, so a slow, dead or hostile backend never delays sampling. While
 * the backend is down, batches wait in memory up to a cap, then on disk in
 * a spool directory up to a cap; past both they are dropped and counted.
 * Failed sends are retried with exponential backoff; a backend that
 * rejects a batch (HTTP 4xx but 408/429) gets it once: that batch is
 * dropped, counted, and the server's reason logged. At the end
 * (pr_export_finish) each sink gets a bounded time to deliver; what is
 * still in memory then goes to the spool directory if there is one, and
 * one line per sink says what was not delivered and where it is.
 */
#ifndef PR_EXPORT_H
#define PR_EXPORT_H

#include <stdint.h>
#include "ffi_types.h"

/* A new sink: its number (>= 0), or -errno with the reason in err. */
int pr_export_open(const struct pr_export_opts *o, char *err, size_t errlen);
/* Queues one request body (copied) for path (appended to the sink's base
 * URL: "/?query=..." or "/ingest?name=..."). 0: queued (memory or disk);
 * -ENOSPC: both caps full, dropped and counted; -EINVAL: bad arguments. */
int pr_export_send(int sink, const char *path, const void *body, uint64_t len, uint64_t rows);
int pr_export_stats(int sink, struct pr_export_stats *out);
/* Waits up to the longest of the sinks' wait_ms for
 * every sink to deliver, stops the workers, spools or drops what is left
 * and reports it. Idempotent. */
void pr_export_finish(void);

#endif
