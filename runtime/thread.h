/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Worker threads (export sinks, debuginfod, the DWARF opener, the BPF
 * loader). Each starts with every signal blocked: SIGINT and SIGTERM
 * belong to the loop's signalfd and its hook-interrupting handler, and a
 * thread created while a hook runs (signals unblocked then) would
 * otherwise take them.
 *
 * Each also starts on another CPU than its creator's, then may run on any
 * the creator may. This kernel puts a new thread on its creator's CPU,
 * where it waits while the creator computes: here 6 of 10 threads had not
 * run 3 ms after pthread_create while their creator was busy (0.1 ms
 * each when started elsewhere), and the verifier's thread of a start
 * waited 0.2-1.2 ms for the main thread to block.
 */
#ifndef PR_THREAD_H
#define PR_THREAD_H

#include <pthread.h>

/* pthread_create with every signal blocked in the new thread: 0 or -errno. */
int pr_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
