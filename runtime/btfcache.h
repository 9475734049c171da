/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A minimal BTF for profrun's own BPF objects on the running kernel: only
 * the types their CO-RE relocations use (bpftool gen min_core_btf), a few
 * KiB instead of the kernel's 5 MB, so libbpf does not parse the whole
 * /sys/kernel/btf/vmlinux at every start (~45 ms here, per object).
 *
 * Built once per kernel and set of objects, kept in a cache directory
 * under a name made of the kernel's build-id (/sys/kernel/notes) and a
 * hash of the objects, so another kernel or another profrun never uses
 * it. profrun runs as root: the directory and the file must belong to
 * the effective user and be writable by nobody else, or they are not
 * used; a file libbpf cannot parse is removed and built again.
 */
#ifndef PR_BTFCACHE_H
#define PR_BTFCACHE_H

#include <stddef.h>

/* The default directory; PROFRUN_BTF_CACHE overrides it ("off": none). */
#define PR_BTFCACHE_DIR "/var/cache/profrun/btf"

struct pr_btf_object {
	const void *elf; /* the object file's bytes (a skeleton's) */
	size_t size;
};

/*
 * The cached minimal BTF for these objects on the running kernel, built
 * now if missing, into path[len]: 0; or -errno when there is none and
 * none could be made (no bpftool, an untrusted directory, no kernel
 * build-id): then why[] says so and the caller uses the kernel's BTF.
 * *built tells whether this call made it.
 */
int pr_btfcache_get(const char *dir, const struct pr_btf_object *objs, size_t n, char *path,
		    size_t len, int *built, char *why, size_t whylen);

#endif
