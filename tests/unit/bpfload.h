/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers for the tests of BPF program symbols (test_bpfsym.c,
 * test_ksymfeed.c): load a fixture program and ask the kernel, not
 * profrun, where its JITed functions are and what /proc/kallsyms calls
 * them.
 */
#ifndef PR_TEST_BPFLOAD_H
#define PR_TEST_BPFLOAD_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define TEST_BPF_MAX_FUNCS 8

/* Where the kernel put the JITed functions of one program. */
struct test_bpf_funcs {
	uint32_t n;
	uint64_t addr[TEST_BPF_MAX_FUNCS];
	uint32_t len[TEST_BPF_MAX_FUNCS];
};

/* $FIXTURES/name (build/fixtures when FIXTURES is not set). */
static inline void test_fixture_path(char *path, size_t len, const char *name)
{
	const char *dir = getenv("FIXTURES");

	snprintf(path, len, "%s/%s", dir && *dir ? dir : "build/fixtures", name);
}

/* Opens and loads the object at path; fn gets its first program's
 * functions from the BPF syscalls. */
static inline bool test_bpf_load(const char *path, struct bpf_object **obj,
				 struct test_bpf_funcs *fn)
{
	uint64_t ksyms[TEST_BPF_MAX_FUNCS] = { 0 };
	uint32_t lens[TEST_BPF_MAX_FUNCS] = { 0 }, ilen, i;
	struct bpf_prog_info info;
	struct bpf_program *prog;
	int fd;

	*obj = bpf_object__open_file(path, NULL);
	if (!*obj || libbpf_get_error(*obj)) {
		*obj = NULL;
		return false;
	}
	if (bpf_object__load(*obj) || !(prog = bpf_object__next_program(*obj, NULL)) ||
	    (fd = bpf_program__fd(prog)) < 0)
		return false;
	memset(&info, 0, sizeof(info));
	info.nr_jited_ksyms = TEST_BPF_MAX_FUNCS;
	info.jited_ksyms = (uintptr_t)ksyms;
	info.nr_jited_func_lens = TEST_BPF_MAX_FUNCS;
	info.jited_func_lens = (uintptr_t)lens;
	ilen = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		return false;
	fn->n = info.nr_jited_ksyms < TEST_BPF_MAX_FUNCS ? info.nr_jited_ksyms : TEST_BPF_MAX_FUNCS;
	for (i = 0; i < fn->n; i++) {
		fn->addr[i] = ksyms[i];
		fn->len[i] = lens[i];
	}
	return fn->n > 0;
}

/* The name /proc/kallsyms gives the BPF function at addr (module [bpf]). */
static inline bool test_kallsyms_name(uint64_t addr, char *name, size_t len)
{
	char line[700], nm[600], mod[64], type;
	bool found = false;
	uint64_t a;
	FILE *f = fopen("/proc/kallsyms", "re");

	while (f && !found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %c %599s %63s", &a, &type, nm, mod) == 4 &&
		    a == addr && !strcmp(mod, "[bpf]")) {
			found = strlen(nm) < len;
			if (found)
				memcpy(name, nm, strlen(nm) + 1);
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* Polls (up to 5 s) until /proc/kallsyms no longer has name at addr. */
static inline bool test_kallsyms_gone(uint64_t addr, const char *name)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	char now[600];
	int i;

	for (i = 0; i < 500; i++) {
		if (!test_kallsyms_name(addr, now, sizeof(now)) || strcmp(now, name))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

#endif
