// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uwspin: fixed CPU-bound work with a 16-deep call chain and NO frame
 * pointers, for bench/unwind.sh. A frame-pointer walk of its stacks stops
 * after the leaf (rbp is an ordinary register here); only a DWARF unwinder
 * (.eh_frame) reaches main. Every sample should read, leaf first:
 *   uw_leaf; uw_f16; ...; uw_f01; main        (the main thread)
 *   uw_leaf; uw_f16; ...; uw_f01; uw_thread   (the other threads)
 * Each link has its own frame size (a volatile buffer of 32..272 bytes), so
 * the chain takes a few KiB of stack, as real code does, and the CFA rule
 * differs per function. noinline+noclone keep every name as written
 * (no .isra/.constprop clones); the code after each call keeps it a call.
 * The work is fixed (MITERS million xorshift steps per thread), not the
 * time: wall time grows when a profiler takes CPU.
 *
 *   uwspin [-t THREADS] [-m MILLION_ITERS_PER_THREAD]
 *
 * THREADS defaults to the online CPUs; the main thread is one of them.
 * Prints "uwspin threads=T miters=M depth=16 wall_ms=W cpu_ms=C" on stdout
 * (C: the process's own user+sys CPU, so a driver can tell how much of the
 * machine others took meanwhile).
 * Build: gcc -O2 -fomit-frame-pointer -g (the Makefile's bench-unwind).
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define UW_DEPTH 16
#define UW_MAX_THREADS 256

static unsigned long miters = 1000;
static volatile unsigned long sink;

__attribute__((noinline, noclone)) unsigned long uw_leaf(unsigned long n, unsigned long x)
{
	unsigned long i;

	/* xorshift64: a dependent chain no compiler folds across iterations */
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

__attribute__((noinline, noclone)) unsigned long uw_f16(unsigned long x)
{
	volatile unsigned char pad[272];
	unsigned long c;

	pad[0] = (unsigned char)x;
	pad[sizeof(pad) - 1] = 1;
	for (c = 0; c < miters; c++)
		x = uw_leaf(1000000, x);
	return x + pad[0] + pad[sizeof(pad) - 1];
}

/* One link: a frame of PAD bytes that calls NEXT and uses the result after. */
#define UW_LINK(name, next, padsz)                                             \
	__attribute__((noinline, noclone)) unsigned long name(unsigned long x) \
	{                                                                      \
		volatile unsigned char pad[padsz];                             \
		pad[0] = (unsigned char)x;                                     \
		pad[sizeof(pad) - 1] = 1;                                      \
		x = next(x + pad[0]);                                          \
		__asm__ volatile("" : "+r"(x));                                \
		return x + pad[sizeof(pad) - 1];                               \
	}

UW_LINK(uw_f15, uw_f16, 32)
UW_LINK(uw_f14, uw_f15, 48)
UW_LINK(uw_f13, uw_f14, 64)
UW_LINK(uw_f12, uw_f13, 80)
UW_LINK(uw_f11, uw_f12, 96)
UW_LINK(uw_f10, uw_f11, 112)
UW_LINK(uw_f09, uw_f10, 128)
UW_LINK(uw_f08, uw_f09, 144)
UW_LINK(uw_f07, uw_f08, 160)
UW_LINK(uw_f06, uw_f07, 176)
UW_LINK(uw_f05, uw_f06, 192)
UW_LINK(uw_f04, uw_f05, 208)
UW_LINK(uw_f03, uw_f04, 224)
UW_LINK(uw_f02, uw_f03, 240)
UW_LINK(uw_f01, uw_f02, 256)

__attribute__((noinline, noclone)) void *uw_thread(void *arg)
{
	sink += uw_f01((unsigned long)arg);
	return NULL;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv)
{
	pthread_t tid[UW_MAX_THREADS];
	int threads = (int)sysconf(_SC_NPROCESSORS_ONLN), opt, i;
	double t0, t1;

	while ((opt = getopt(argc, argv, "t:m:")) != -1) {
		switch (opt) {
		case 't':
			threads = atoi(optarg);
			break;
		case 'm':
			miters = strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr,
				"usage: uwspin [-t THREADS] [-m MILLION_ITERS_PER_THREAD]\n");
			return 2;
		}
	}
	if (threads < 1 || threads > UW_MAX_THREADS) {
		fprintf(stderr, "uwspin: threads must be 1..%d\n", UW_MAX_THREADS);
		return 2;
	}
	t0 = now_ms();
	for (i = 1; i < threads; i++) {
		if (pthread_create(&tid[i], NULL, uw_thread, (void *)(unsigned long)(i + 1))) {
			fprintf(stderr, "uwspin: pthread_create failed\n");
			return 1;
		}
	}
	/* the main thread runs the chain too, so its stacks end in main */
	sink += uw_f01(1);
	for (i = 1; i < threads; i++)
		pthread_join(tid[i], NULL);
	t1 = now_ms();
	printf("uwspin threads=%d miters=%lu depth=%d wall_ms=%.1f cpu_ms=%.1f\n", threads, miters,
	       UW_DEPTH, t1 - t0, cpu_ms());
	return 0;
}
