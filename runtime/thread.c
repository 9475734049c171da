// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include "thread.h"

struct start {
	void *(*fn)(void *);
	void *arg;
	cpu_set_t cpus; /* the creator's: the thread's once it runs */
};

static void *run(void *p)
{
	struct start s = *(struct start *)p;

	free(p);
	sched_setaffinity(0, sizeof(s.cpus), &s.cpus);
	return s.fn(s.arg);
}

/* The CPUs other than the caller's that it may run on, in *away; false
 * when there are none (or more than a cpu_set_t holds). */
static bool other_cpus(const cpu_set_t *mine, cpu_set_t *away)
{
	int here = sched_getcpu();

	*away = *mine;
	if (here >= 0 && here < CPU_SETSIZE)
		CPU_CLR(here, away);
	return here >= 0 && CPU_COUNT(away) > 0;
}

int pr_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	struct start *s = malloc(sizeof(*s));
	pthread_attr_t attr, *a = NULL;
	sigset_t all, old;
	cpu_set_t away;
	int e;

	if (s && !sched_getaffinity(0, sizeof(s->cpus), &s->cpus) && other_cpus(&s->cpus, &away) &&
	    !pthread_attr_init(&attr)) {
		a = &attr;
		pthread_attr_setaffinity_np(a, sizeof(away), &away);
	}
	/* a new thread starts with its creator's mask */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (a) {
		s->fn = fn;
		s->arg = arg;
		e = pthread_create(t, a, run, s);
		if (e)
			free(s);
		pthread_attr_destroy(a);
	} else {
		free(s);
		e = pthread_create(t, NULL, fn, arg);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -e;
}
