/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The one clock the runtime times things with: CLOCK_MONOTONIC, the
 * clock of bpf_ktime_get_ns and of every event's time. */
#ifndef PR_CLOCK_H
#define PR_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t pr_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

#endif
