/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel symbol feed: PERF_RECORD_KSYMBOL side-band records, which the
 * kernel emits when a JITed BPF function is registered or unregistered.
 * One dummy perf event per CPU; their records are merged by time into one
 * ordered stream; a PERF_RECORD_LOST in it means updates were missed and
 * triggers one full resync of the BPF baseline, in its place.
 */
#ifndef PR_KSYMFEED_H
#define PR_KSYMFEED_H

#include "bpfsym.h"

struct pr_ksymfeed;

int pr_ksymfeed_new(struct pr_ksymfeed **out);
void pr_ksymfeed_free(struct pr_ksymfeed *f);
/* An fd (epoll over every CPU's buffer) to poll for new records. */
int pr_ksymfeed_fd(const struct pr_ksymfeed *f);
/* Applies every record waiting to bs. Returns how many were applied. */
int pr_ksymfeed_drain(struct pr_ksymfeed *f, struct pr_bpfsym *bs);
/* Applies one record (the bytes of a perf_event_header and its body) to
 * bs; exported for tests on synthetic records. */
void pr_ksymfeed_apply(const void *rec, size_t len, struct pr_bpfsym *bs);

#endif
