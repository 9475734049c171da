/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Messages from profrun itself: stderr, prefixed "profrun: ". stdout
 * belongs to the script. */
#ifndef PR_LOG_H
#define PR_LOG_H

enum pr_log_level { PR_LOG_ERR, PR_LOG_WARN, PR_LOG_INFO, PR_LOG_DEBUG };

/* Messages above this level are dropped; -v raises it to PR_LOG_DEBUG. */
void pr_log_set_level(enum pr_log_level level);
enum pr_log_level pr_log_level(void);
void pr_log(enum pr_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...) pr_log(PR_LOG_ERR, __VA_ARGS__)
#define pr_warn(...) pr_log(PR_LOG_WARN, __VA_ARGS__)
#define pr_info(...) pr_log(PR_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) pr_log(PR_LOG_DEBUG, __VA_ARGS__)

#endif
