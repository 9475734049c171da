// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * BPF function ranges. Records are append-only (an id is an index + 1), so
 * a name handed out stays valid and stays right: an unloaded program's
 * record is only unlinked from the live index, a sorted array of ids by
 * start address. Programs come and go far more often than modules, and
 * there are at most a few thousand live ones, so insertion into the sorted
 * index by memmove is cheap. The baseline walks the program ids with the
 * BPF syscalls and names each JITed function as the kernel does: from the
 * function's BTF name when the program has func_info, else the program
 * name, after the per-function tag.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "array.h"
#include "bpfsym.h"

#define MAX_FUNCS 256

struct rec {
	uint64_t start;
	uint32_t len;
	char name[PR_BPFSYM_NAME_LEN];
};

struct pr_bpfsym {
	struct rec *recs; /* every range ever seen */
	uint32_t nrecs, cap_recs;
	uint32_t *live; /* ids, sorted by start */
	uint32_t nlive, cap_live;
	uint64_t updates, resyncs;
};

int pr_bpfsym_new(struct pr_bpfsym **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void pr_bpfsym_free(struct pr_bpfsym *bs)
{
	if (!bs)
		return;
	free(bs->recs);
	free(bs->live);
	free(bs);
}

/* First live index whose start is >= start. */
static uint32_t lower_bound(const struct pr_bpfsym *bs, uint64_t start)
{
	uint32_t lo = 0, hi = bs->nlive, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (bs->recs[bs->live[mid] - 1].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void unlink_at(struct pr_bpfsym *bs, uint32_t i)
{
	memmove(bs->live + i, bs->live + i + 1, (bs->nlive - i - 1) * sizeof(*bs->live));
	bs->nlive--;
}

int pr_bpfsym_add(struct pr_bpfsym *bs, uint64_t start, uint32_t len, const char *name)
{
	uint32_t i;
	struct rec *r;

	if (!len || start + len < start)
		return -EINVAL;
	if (pr_array_reserve((void **)&bs->recs, &bs->cap_recs, bs->nrecs + 1, sizeof(*bs->recs)) ||
	    pr_array_reserve((void **)&bs->live, &bs->cap_live, bs->nlive + 1, sizeof(*bs->live)))
		return -ENOMEM;
	i = lower_bound(bs, start);
	/* a register for a start already live replaces it (we missed the
	 * unregister, or this is the resync's view) */
	if (i < bs->nlive && bs->recs[bs->live[i] - 1].start == start)
		unlink_at(bs, i);
	r = &bs->recs[bs->nrecs++];
	r->start = start;
	r->len = len;
	snprintf(r->name, sizeof(r->name), "%s", name);
	memmove(bs->live + i + 1, bs->live + i, (bs->nlive - i) * sizeof(*bs->live));
	bs->live[i] = bs->nrecs;
	bs->nlive++;
	bs->updates++;
	return 0;
}

void pr_bpfsym_remove(struct pr_bpfsym *bs, uint64_t start)
{
	uint32_t i = lower_bound(bs, start);

	if (i < bs->nlive && bs->recs[bs->live[i] - 1].start == start) {
		unlink_at(bs, i);
		bs->updates++;
	}
}

uint32_t pr_bpfsym_find(const struct pr_bpfsym *bs, uint64_t addr)
{
	uint32_t i = lower_bound(bs, addr + 1);
	const struct rec *r;

	/* i is the first range starting after addr: the candidate is before */
	if (i == 0)
		return 0;
	r = &bs->recs[bs->live[i - 1] - 1];
	return addr - r->start < r->len ? bs->live[i - 1] : 0;
}

const char *pr_bpfsym_name(const struct pr_bpfsym *bs, uint32_t id, uint64_t *start)
{
	if (id == 0 || id > bs->nrecs)
		return NULL;
	*start = bs->recs[id - 1].start;
	return bs->recs[id - 1].name;
}

/* The kernel's name for function i of a program: bpf_prog_<tag>_<name>. */
static void func_name(char *buf, size_t len, const uint8_t *tag, const char *name)
{
	int n = snprintf(buf, len, "bpf_prog_");
	int k;

	for (k = 0; k < 8 && n > 0 && (size_t)n < len; k++)
		n += snprintf(buf + n, len - n, "%02x", tag[k]);
	if (name && *name && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "_%s", name);
}

static void add_prog(struct pr_bpfsym *bs, int fd)
{
	uint64_t ksyms[MAX_FUNCS] = { 0 }, tags[MAX_FUNCS] = { 0 };
	uint32_t lens[MAX_FUNCS] = { 0 }, i, n;
	struct bpf_func_info finfo[MAX_FUNCS];
	struct bpf_prog_info info = { 0 };
	uint32_t ilen = sizeof(info);
	struct btf *btf = NULL;
	const struct btf_type *t;
	const char *nm;
	char name[PR_BPFSYM_NAME_LEN];

	/* first call: counts; second: the arrays */
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen) || !info.nr_jited_ksyms)
		return;
	n = info.nr_jited_ksyms < MAX_FUNCS ? info.nr_jited_ksyms : MAX_FUNCS;
	memset(&info, 0, sizeof(info));
	info.nr_jited_ksyms = n;
	info.jited_ksyms = (uintptr_t)ksyms;
	info.nr_jited_func_lens = n;
	info.jited_func_lens = (uintptr_t)lens;
	info.nr_prog_tags = n;
	info.prog_tags = (uintptr_t)tags;
	info.nr_func_info = n;
	info.func_info_rec_size = sizeof(struct bpf_func_info);
	info.func_info = (uintptr_t)finfo;
	ilen = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		return;
	if (info.btf_id && info.nr_func_info >= n)
		btf = btf__load_from_kernel_by_id(info.btf_id);
	if (btf && libbpf_get_error(btf))
		btf = NULL;
	for (i = 0; i < n && i < info.nr_jited_ksyms; i++) {
		nm = info.name;
		if (btf && (t = btf__type_by_id(btf, finfo[i].type_id)))
			nm = btf__name_by_offset(btf, t->name_off);
		/* the kernel names the main function with the program's tag,
		 * the others with their own */
		func_name(name, sizeof(name), i == 0 ? info.tag : (const uint8_t *)&tags[i], nm);
		pr_bpfsym_add(bs, ksyms[i], lens[i], name);
	}
	btf__free(btf);
}

int pr_bpfsym_resync(struct pr_bpfsym *bs)
{
	uint32_t id = 0;
	int fd, err;

	bs->nlive = 0;
	bs->resyncs++;
	for (;;) {
		err = bpf_prog_get_next_id(id, &id);
		if (err)
			break;
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue; /* unloaded meanwhile */
		add_prog(bs, fd);
		close(fd);
	}
	return err == -ENOENT || errno == ENOENT ? (int)bs->nlive : err;
}

uint64_t pr_bpfsym_count(const struct pr_bpfsym *bs)
{
	return bs->nlive;
}

uint64_t pr_bpfsym_updates(const struct pr_bpfsym *bs)
{
	return bs->updates;
}

uint64_t pr_bpfsym_resyncs(const struct pr_bpfsym *bs)
{
	return bs->resyncs;
}
