// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The layout is the kernel's (kernel/bpf/ringbuf.c): a consumer page the
 * reader may write (consumer_pos), then, read-only, a producer page
 * (producer_pos) and the data, whose size is a power of two. Each record
 * is an 8-byte header (length with a busy and a discard bit, then the
 * page offset the kernel uses) and the data, the whole rounded up to 8
 * bytes. Positions only grow; a position's place in the data is pos &
 * mask. The producer publishes a record by clearing its busy bit with a
 * release store, so the header is read with acquire, and the consumer
 * position is stored with release once the record is no longer read.
 */
#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "bpfring.h"

struct pr_bpfring {
	int fd;
	pr_bpfring_fn fn;
	void *ctx;
	size_t page, size; /* size: the data's, a power of two */
	uint64_t *consumer_pos;
	const uint64_t *producer_pos;
	const uint8_t *data;
	uint8_t *bounce; /* a wrapped record, copied whole */
	size_t bounce_cap;
};

int pr_bpfring_new(int map_fd, pr_bpfring_fn fn, void *ctx, struct pr_bpfring **out)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	struct pr_bpfring *r;
	void *p;

	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = map_fd;
	r->fn = fn;
	r->ctx = ctx;
	r->page = sysconf(_SC_PAGESIZE);
	r->size = info.max_entries;
	p = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED) {
		free(r);
		return -errno;
	}
	r->consumer_pos = p;
	/* the producer page and the data once (libbpf: the data twice) */
	p = mmap(NULL, r->page + r->size, PROT_READ, MAP_SHARED, map_fd, r->page);
	if (p == MAP_FAILED) {
		int err = -errno;

		munmap(r->consumer_pos, r->page);
		free(r);
		return err;
	}
	r->producer_pos = p;
	r->data = (const uint8_t *)p + r->page;
	*out = r;
	return 0;
}

void pr_bpfring_free(struct pr_bpfring *r)
{
	if (!r)
		return;
	munmap(r->consumer_pos, r->page);
	munmap((void *)r->producer_pos, r->page + r->size);
	free(r->bounce);
	free(r);
}

int pr_bpfring_fd(const struct pr_bpfring *r)
{
	return r->fd;
}

void pr_ring_copy_out(void *dst, const void *data, size_t size, size_t off, size_t len)
{
	size_t first = size - off < len ? size - off : len;

	memcpy(dst, (const uint8_t *)data + off, first);
	memcpy((uint8_t *)dst + first, data, len - first);
}

/* The record of len bytes at position pos, in one piece: in place, or
 * copied out when it wraps around the end of the data. */
static void *record_at(struct pr_bpfring *r, uint64_t pos, size_t len)
{
	size_t off = pos & (r->size - 1);
	uint8_t *b;

	if (off + len <= r->size)
		return (void *)(r->data + off);
	if (len > r->bounce_cap) {
		b = realloc(r->bounce, len);
		if (!b)
			return NULL;
		r->bounce = b;
		r->bounce_cap = len;
	}
	pr_ring_copy_out(r->bounce, r->data, r->size, off, len);
	return r->bounce;
}

int pr_bpfring_consume(struct pr_bpfring *r)
{
	uint64_t cons = __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE), prod, total;
	uint32_t hdr, len;
	int n = 0, err = 0;
	void *rec;

	prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
	while (cons < prod) {
		/* the header never wraps: records are 8-aligned, size a power of two */
		hdr = __atomic_load_n((const uint32_t *)(r->data + (cons & (r->size - 1))),
				      __ATOMIC_ACQUIRE);
		if (hdr & BPF_RINGBUF_BUSY_BIT)
			break; /* reserved, not yet committed: the rest waits */
		len = hdr & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		if (len > r->size - BPF_RINGBUF_HDR_SZ) {
			err = -EIO; /* not the kernel's layout: read no further */
			break;
		}
		total = (len + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
		if (!(hdr & BPF_RINGBUF_DISCARD_BIT)) {
			rec = record_at(r, cons + BPF_RINGBUF_HDR_SZ, len);
			err = rec ? r->fn(r->ctx, rec, len) : -ENOMEM;
			if (!rec)
				break; /* left in the ring: retried at the next call */
			if (n < INT_MAX)
				n++;
		}
		cons += total;
		__atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
		if (err < 0)
			break;
		if (cons >= prod)
			prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
	}
	return err < 0 ? err : n;
}
