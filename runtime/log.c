// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include "log.h"

static enum pr_log_level cur_level = PR_LOG_WARN;

void pr_log_set_level(enum pr_log_level level)
{
	cur_level = level;
}

enum pr_log_level pr_log_level(void)
{
	return cur_level;
}

void pr_log(enum pr_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	fputs("profrun: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
