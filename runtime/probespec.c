// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Probe specs: parsing and finding binaries (see probespec.h). Every
 * error says which spec and what is wrong, for a usage error before any
 * BPF loads.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "probespec.h"

static const struct {
	const char *prefix;
	enum pr_probe_kind kind;
	int fields; /* after the kind */
	const char *form;
} kinds[] = {
	{ "u", PR_PROBE_UPROBE, 2, "u:BINARY:SYMBOL[+OFF]" },
	{ "ur", PR_PROBE_URETPROBE, 2, "ur:BINARY:SYMBOL" },
	{ "usdt", PR_PROBE_USDT, 3, "usdt:BINARY:PROVIDER:NAME" },
	{ "t", PR_PROBE_TRACEPOINT, 2, "t:CATEGORY:NAME" },
	{ "k", PR_PROBE_KPROBE, 1, "k:FUNC[+OFF]" },
	{ "kr", PR_PROBE_KRETPROBE, 1, "kr:FUNC" },
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static int fail(char *err, size_t errlen, const char *spec, const char *what)
{
	snprintf(err, errlen, "probe '%s': %s", spec, what);
	return -EINVAL;
}

/* Copies [s, s+n) into dst[PR_PROBE_FIELD]: -1 when empty or too long. */
static int field(char *dst, size_t cap, const char *s, size_t n)
{
	if (!n || n >= cap)
		return -1;
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

/* "name+OFF" → name and OFF (decimal or 0x hex); 0 without an offset. */
static int split_offset(char *name, uint64_t *off)
{
	char *plus = strrchr(name, '+'), *end;

	*off = 0;
	if (!plus)
		return 0;
	if (plus == name || !plus[1])
		return -1;
	errno = 0;
	*off = strtoull(plus + 1, &end, 0);
	if (errno || *end)
		return -1;
	*plus = 0;
	return 0;
}

int pr_probe_is_glob(const char *pattern)
{
	return strpbrk(pattern, "*?[") != NULL;
}

static int parse_fields(const char *spec, const char *rest, struct pr_probe_spec *o, int nf,
			char *err, size_t errlen, const char *form)
{
	const char *c1, *c2;
	char msg[160];

	snprintf(msg, sizeof(msg), "expected %s", form);
	if (nf == 1)
		return field(o->symbol, sizeof(o->symbol), rest, strlen(rest)) ?
			       fail(err, errlen, spec, msg) : 0;
	c1 = strchr(rest, ':');
	if (!c1)
		return fail(err, errlen, spec, msg);
	if (o->kind == PR_PROBE_UPROBE || o->kind == PR_PROBE_URETPROBE) {
		/* the symbol is the rest: C++ names have "::" */
		if (field(o->binary, sizeof(o->binary), rest, c1 - rest) ||
		    field(o->symbol, sizeof(o->symbol), c1 + 1, strlen(c1 + 1)))
			return fail(err, errlen, spec, msg);
		return 0;
	}
	if (o->kind == PR_PROBE_TRACEPOINT) {
		if (field(o->provider, sizeof(o->provider), rest, c1 - rest) ||
		    field(o->name, sizeof(o->name), c1 + 1, strlen(c1 + 1)) || strchr(c1 + 1, ':'))
			return fail(err, errlen, spec, msg);
		return 0;
	}
	/* usdt: BINARY:PROVIDER:NAME, the last two without ':' */
	c2 = strrchr(rest, ':');
	if (c2 == c1) {
		return fail(err, errlen, spec, msg);
	}
	{
		const char *c0 = c2 - 1;

		while (c0 > rest && *c0 != ':')
			c0--;
		if (c0 == rest || field(o->binary, sizeof(o->binary), rest, c0 - rest) ||
		    field(o->provider, sizeof(o->provider), c0 + 1, c2 - c0 - 1) ||
		    field(o->name, sizeof(o->name), c2 + 1, strlen(c2 + 1)))
			return fail(err, errlen, spec, msg);
	}
	return 0;
}

int pr_probe_spec_parse(const char *spec, struct pr_probe_spec *o, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t i, klen;
	int r;

	memset(o, 0, sizeof(*o));
	if (!colon)
		return fail(err, errlen, spec,
			    "no kind: start with u:, ur:, usdt:, t:, k: or kr: "
			    "(e.g. u:libc:malloc, t:sched:sched_switch, k:vfs_read)");
	klen = colon - spec;
	for (i = 0; i < NKINDS; i++)
		if (strlen(kinds[i].prefix) == klen && !strncmp(spec, kinds[i].prefix, klen))
			break;
	if (i == NKINDS)
		return fail(err, errlen, spec, "unknown kind: use u:, ur:, usdt:, t:, k: or kr:");
	o->kind = kinds[i].kind;
	r = parse_fields(spec, colon + 1, o, kinds[i].fields, err, errlen, kinds[i].form);
	if (r)
		return r;
	if (o->kind == PR_PROBE_UPROBE || o->kind == PR_PROBE_KPROBE) {
		if (split_offset(o->symbol, &o->offset))
			return fail(err, errlen, spec, "bad +OFF: a number after the name (+16, +0x10)");
		if (o->offset && pr_probe_is_glob(o->symbol))
			return fail(err, errlen, spec, "an offset needs one function, not a glob");
	} else if (strchr(o->symbol, '+')) {
		return fail(err, errlen, spec, "returns and USDT probes take no +OFF");
	}
	if ((o->kind == PR_PROBE_KPROBE || o->kind == PR_PROBE_KRETPROBE) && strchr(o->symbol, ':'))
		return fail(err, errlen, spec, "expected k:FUNC or kr:FUNC (no binary)");
	return 0;
}

/* ---- finding binaries ------------------------------------------------------ */

#if defined(__x86_64__)
#define OUR_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define OUR_MACHINE EM_AARCH64
#else
#define OUR_MACHINE EM_NONE
#endif

/* A 64-bit ELF file for this machine (the only kind a probe can attach to
 * from here). */
static int is_our_elf(const char *path)
{
	Elf64_Ehdr h;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = pread(fd, &h, sizeof(h), 0);
	close(fd);
	return n == sizeof(h) && !memcmp(h.e_ident, ELFMAG, SELFMAG) &&
	       h.e_ident[EI_CLASS] == ELFCLASS64 &&
	       (OUR_MACHINE == EM_NONE || h.e_machine == OUR_MACHINE);
}

/* Whether a library file or soname base is what a short name means:
 * "libc" and "c" both mean libc.so.6 (or libc.so, libc-2.36.so). */
static int names_library(const char *base, const char *name)
{
	char lib[PR_PROBE_FIELD + 8];
	const char *want[2] = { name, lib };
	size_t i, n;

	if (!strcmp(base, name))
		return 1;
	snprintf(lib, sizeof(lib), "lib%s", name);
	for (i = 0; i < 2; i++) {
		n = strlen(want[i]);
		if (!strncmp(base, want[i], n) && (!strncmp(base + n, ".so", 3) || base[n] == '-') &&
		    strstr(base + n, ".so"))
			return 1;
	}
	return 0;
}

#define CACHE_MAGIC "glibc-ld.so.cache1.1"
#define CACHE_HEADER 48
#define CACHE_ENTRY 24

/* The library ld.so.cache lists for name, first match in cache order (the
 * linker's preference): 0, or -ENOENT. */
static int from_cache(const char *cache, const char *name, char *path, size_t len)
{
	int fd = open(cache, O_RDONLY | O_CLOEXEC), found = -ENOENT;
	const uint8_t *m;
	struct stat st;
	uint32_t n, i, key, val;

	if (fd < 0)
		return -ENOENT;
	if (fstat(fd, &st) || st.st_size < CACHE_HEADER) {
		close(fd);
		return -ENOENT;
	}
	m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -ENOENT;
	if (memcmp(m, CACHE_MAGIC, strlen(CACHE_MAGIC)))
		goto out;
	memcpy(&n, m + 20, sizeof(n));
	if (n > (st.st_size - CACHE_HEADER) / CACHE_ENTRY)
		goto out;
	for (i = 0; i < n; i++) {
		const uint8_t *e = m + CACHE_HEADER + (size_t)i * CACHE_ENTRY;
		const char *k, *v;

		memcpy(&key, e + 4, sizeof(key));
		memcpy(&val, e + 8, sizeof(val));
		if (key >= st.st_size || val >= st.st_size)
			continue;
		k = (const char *)m + key;
		v = (const char *)m + val;
		/* both must end inside the file */
		if (!memchr(k, 0, st.st_size - key) || !memchr(v, 0, st.st_size - val))
			continue;
		if (names_library(k, name) && strlen(v) < len && is_our_elf(v)) {
			strcpy(path, v);
			found = 0;
			break;
		}
	}
out:
	munmap((void *)m, st.st_size);
	return found;
}

/* The library of that name process pid has mapped, seen through its root. */
static int from_maps(pid_t pid, const char *name, char *path, size_t len)
{
	char maps[64], line[4608], *file, *base;
	FILE *f;
	int found = -ENOENT;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		file = strchr(line, '/');
		if (!file || strstr(file, " (deleted)"))
			continue;
		base = strrchr(file, '/') + 1;
		if (names_library(base, name) &&
		    (size_t)snprintf(path, len, "/proc/%d/root%s", (int)pid, file) < len &&
		    is_our_elf(path)) {
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

int pr_probe_find_binary(const char *binary, pid_t pid, const char *cache, char *path,
			 size_t len, char *err, size_t errlen)
{
	int r;

	if (strchr(binary, '/')) {
		if (pid > 0 && binary[0] == '/')
			r = (size_t)snprintf(path, len, "/proc/%d/root%s", (int)pid, binary) < len;
		else
			r = (size_t)snprintf(path, len, "%s", binary) < len;
		if (!r || access(path, R_OK)) {
			snprintf(err, errlen, "no such binary: %s%s", path,
				 pid > 0 && binary[0] == '/' ? " (in the process's mount namespace)" : "");
			return -ENOENT;
		}
		if (!is_our_elf(path)) {
			snprintf(err, errlen, "%s is not a 64-bit ELF file for this machine", binary);
			return -ENOENT;
		}
		return 0;
	}
	if (pid > 0) {
		r = from_maps(pid, binary, path, len);
		if (r == -ESRCH) {
			snprintf(err, errlen, "no process %d to find '%s' in", (int)pid, binary);
			return -ENOENT;
		}
		if (!r)
			return 0;
		snprintf(err, errlen, "process %d has no library '%s' mapped (give a path instead)",
			 (int)pid, binary);
		return -ENOENT;
	}
	if (!from_cache(cache ? cache : "/etc/ld.so.cache", binary, path, len))
		return 0;
	snprintf(err, errlen,
		 "no library '%s' in the dynamic linker's cache (ldconfig -p); give a path instead",
		 binary);
	return -ENOENT;
}
