/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Worker threads (export sinks, debuginfod, the DWARF opener). Each starts
 * with every signal blocked: SIGINT and SIGTERM belong to the loop's
 * signalfd and its hook-interrupting handler, and a thread created while
 * a hook runs (signals unblocked then) would otherwise take them.
 */
#ifndef PR_THREAD_H
#define PR_THREAD_H

#include <pthread.h>

/* pthread_create with every signal blocked in the new thread: 0 or -errno. */
int pr_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
