/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading a BPF ring buffer map through one mapping of its data. libbpf's
 * reader maps the data twice, back to back, so a record that wraps
 * around the end reads as one piece; the kernel fills both mappings' page
 * tables when they are made, so the whole ring counts twice in profrun's
 * RSS from the start (a 16 MiB ring at 4999 Hz: 32 MB). Here the data is
 * mapped once, and the rare record that wraps is copied out whole first.
 */
#ifndef PR_BPFRING_H
#define PR_BPFRING_H

#include <stddef.h>

struct pr_bpfring;

/* Called for each record in order; a negative return stops the
 * consumption (the record counts as read) and is returned. */
typedef int (*pr_bpfring_fn)(void *ctx, void *data, size_t len);

/* Maps the ring of map_fd (BPF_MAP_TYPE_RINGBUF): 0 or -errno. */
int pr_bpfring_new(int map_fd, pr_bpfring_fn fn, void *ctx, struct pr_bpfring **out);
void pr_bpfring_free(struct pr_bpfring *r);

/* The map's fd, for epoll: readable while records are waiting. */
int pr_bpfring_fd(const struct pr_bpfring *r);

/* Hands every committed record to fn, oldest first, and frees their
 * space: how many, or fn's negative return. */
int pr_bpfring_consume(struct pr_bpfring *r);

/* Copies len bytes (len <= size) from offset off (< size) of the
 * circular buffer data[size] to dst, across its end if need be. */
void pr_ring_copy_out(void *dst, const void *data, size_t size, size_t off, size_t len);

#endif
