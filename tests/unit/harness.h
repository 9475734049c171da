/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit test harness, after the kernel's selftests/bpf test_progs.h. Every
 * ASSERT_* prints `name: actual X != expected Y (file:line)` on failure,
 * marks the running test failed and evaluates to a bool, so a test can
 * `if (!ASSERT_OK(err, "open")) goto out;` and still clean up. Tests are
 * listed in harness.c.
 */
#ifndef PR_TEST_HARNESS_H
#define PR_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

/* How test__eq prints a value: 0 signed, 1 unsigned, 2 hex (pointers). */
#define test__kind(x)                                                                             \
	_Generic((x), unsigned char : 1, unsigned short : 1, unsigned int : 1, unsigned long : 1, \
		 unsigned long long : 1, default : 0)

#define ASSERT_EQ(actual, expected, name)                                          \
	({                                                                         \
		typeof(actual) ___a = (actual);                                    \
		typeof(actual) ___e = (typeof(actual))(expected);                  \
		test__eq(___a == ___e, test__kind(___a), (unsigned long long)___a, \
			 (unsigned long long)___e, name, __FILE__, __LINE__);      \
	})
#define ASSERT_OK(res, name) ASSERT_EQ((long long)(res), 0, name)
#define ASSERT_STREQ(actual, expected, name) test__streq(actual, expected, name, __FILE__, __LINE__)
#define ASSERT_NULL(ptr, name)                                                             \
	({                                                                                 \
		const void *___p = (ptr);                                                  \
		test__eq(!___p, 2, (unsigned long long)___p, 0, name, __FILE__, __LINE__); \
	})
#define ASSERT_TRUE(cond, name) test__true(!!(cond), name, __FILE__, __LINE__)

bool test__eq(bool ok, int kind, unsigned long long a, unsigned long long e, const char *name,
	      const char *file, int line);
bool test__streq(const char *a, const char *e, const char *name, const char *file, int line);
bool test__true(bool ok, const char *name, const char *file, int line);

/* Ends the running test as skipped (a failure under CI=true); the caller
 * returns. A test that neither asserts nor skips fails. */
void test__skip(const char *why);

/* argv of the runner, for tests that look at our own /proc entries. */
extern int test_argc;
extern char **test_argv;

/* A fresh directory under $TMPDIR (or /tmp); dir must hold 64 bytes. */
bool test_mkdtemp(char *dir);
/* Writes dir/name; the path is left in path[256]. */
bool test_write_file(const char *dir, const char *name, const void *data, size_t len, char *path);
/* Removes dir and the files in it (not subdirectories). */
void test_rmdir(const char *dir);

#endif
