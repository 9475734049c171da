// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <sched.h>
#include <stdbool.h>
#include <time.h>
#include "harness.h"
#include "thread.h"

struct seen {
	volatile bool ran;
	int cpu;	/* where it first ran */
	cpu_set_t cpus; /* its affinity once running */
};

static void *note(void *arg)
{
	struct seen *s = arg;

	s->cpu = sched_getcpu();
	sched_getaffinity(0, sizeof(s->cpus), &s->cpus);
	s->ran = true;
	return NULL;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* A worker runs while its creator computes, on another CPU, and may then
 * run on every CPU its creator may: the creator busy-waits here (as main
 * does while the verifier's thread works), so a thread left on the
 * creator's CPU would not run until the scheduler preempted it. */
void test_thread_starts_elsewhere(void)
{
	cpu_set_t mine;
	int i, elsewhere = 0, late = 0, same_set = 0;

	if (sched_getaffinity(0, sizeof(mine), &mine) || CPU_COUNT(&mine) < 2) {
		test__skip("needs two CPUs to run on");
		return;
	}
	for (i = 0; i < 10; i++) {
		struct seen s = { .ran = false };
		pthread_t t;
		int here = sched_getcpu();
		double t0 = now_ms();

		ASSERT_OK(pr_thread_start(&t, note, &s), "pr_thread_start");
		while (!s.ran && now_ms() - t0 < 500)
			;
		late += !s.ran;
		pthread_join(t, NULL);
		elsewhere += s.cpu != here;
		same_set += CPU_EQUAL(&s.cpus, &mine);
	}
	ASSERT_EQ(late, 0, "each thread ran while its creator was busy");
	/* the creator may move between its sched_getcpu and the start */
	ASSERT_TRUE(elsewhere >= 9, "each started on another CPU than its creator's");
	ASSERT_EQ(same_set, 10, "each may then run on its creator's CPUs");
}
