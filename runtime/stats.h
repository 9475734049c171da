/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Builds the Lua-facing run statistics (stats(), the end-of-run summary)
 * from every module's own counters. */
#ifndef PR_STATS_H
#define PR_STATS_H

#include "ffi_types.h"

struct pr_rt;

int pr_stats_build(const struct pr_rt *rt, struct pr_stats *out);

#endif
