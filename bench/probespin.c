// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The probes benchmark's workload: pb_hot() called N times in a tight
 * loop, three calls deep under main, built -O2 without frame pointers
 * (as distributions build), so a stack walked by frame pointers stops
 * early and one unwound with .eh_frame reaches main.
 *
 *   probespin N [DELAY]   N < 0: forever; DELAY s of sleep first (tools attach)
 *
 * prints "pid=PID", then after the loop "calls=N ns=T" (the loop's wall time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

volatile long sink;

__attribute__((noinline, noclone)) long pb_hot(long i)
{
	sink += i;
	return sink;
}

__attribute__((noinline, noclone)) long pb_mid(long i)
{
	return pb_hot(i) + 1;
}

__attribute__((noinline, noclone)) void pb_loop(long n)
{
	for (long i = 0; n < 0 || i < n; i++)
		sink += pb_mid(i);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	double delay = argc > 2 ? atof(argv[2]) : 0;
	struct timespec a, b;

	printf("pid=%d\n", getpid());
	fflush(stdout);
	if (delay > 0)
		usleep(delay * 1e6);
	clock_gettime(CLOCK_MONOTONIC, &a);
	pb_loop(n);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("calls=%ld ns=%lld\n", n,
	       (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
