// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reader of the perf side-band buffers. The events count nothing
 * (software dummy) and exist only to receive PERF_RECORD_KSYMBOL; they are
 * opened on every possible CPU because side-band records go to the events
 * of the CPU where the change happened, and the kernel does not let one
 * CPU's event write into another's buffer. So each record carries its
 * time (sample_id_all), a drain copies the records of every buffer out and
 * applies them sorted by time: one ordered stream. A lost-records notice
 * in any buffer means updates were missed: one full resync of the BPF
 * baseline, in its place in that stream. Records may wrap around the end
 * of a buffer, so each is copied out before it is parsed; sizes are
 * checked against the header and the buffer before use.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bpfring.h"
#include "ksymfeed.h"

#define DATA_PAGES 8
#define MAX_PENDING 4096

struct cpu_buf {
	int fd;
	void *base;
};

struct pending {
	uint64_t time;
	uint32_t seq; /* keeps one buffer's order among equal times */
	uint32_t len;
	uint8_t *rec;
};

struct pr_ksymfeed {
	struct cpu_buf *bufs;
	int nbufs;
	int epfd;
	size_t data_size, page;
	struct pending pend[MAX_PENDING];
	uint32_t npend;
};

struct ksymbol_rec {
	struct perf_event_header h;
	uint64_t addr;
	uint32_t len;
	uint16_t ksym_type;
	uint16_t flags;
	char name[];
};

static int open_dummy(int cpu)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_DUMMY,
		.ksymbol = 1,
		.sample_id_all = 1,
		.sample_type = PERF_SAMPLE_TIME,
		.use_clockid = 1,
		.clockid = CLOCK_MONOTONIC,
		.watermark = 1,
		.wakeup_watermark = 1,
	};
	int fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int add_cpu(struct pr_ksymfeed *f, int cpu)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct cpu_buf *b = &f->bufs[f->nbufs];
	int fd = open_dummy(cpu);

	if (fd == -ENODEV || fd == -ENOENT)
		return 0; /* offline CPU */
	if (fd < 0)
		return fd;
	b->fd = fd;
	b->base = mmap(NULL, f->page + f->data_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (b->base == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	f->nbufs++;
	ev.data.u32 = cpu;
	return epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int pr_ksymfeed_new(struct pr_ksymfeed **out)
{
	int ncpu = libbpf_num_possible_cpus(), cpu, err = 0;
	struct pr_ksymfeed *f = calloc(1, sizeof(*f));

	if (!f || ncpu <= 0)
		return -ENOMEM;
	f->page = sysconf(_SC_PAGESIZE);
	f->data_size = DATA_PAGES * f->page;
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	f->bufs = calloc(ncpu, sizeof(*f->bufs));
	if (!f->bufs || f->epfd < 0) {
		err = f->bufs ? -errno : -ENOMEM;
		goto err;
	}
	for (cpu = 0; cpu < ncpu && !err; cpu++)
		err = add_cpu(f, cpu);
	if (!err && !f->nbufs)
		err = -ENODEV;
	if (err)
		goto err;
	*out = f;
	return 0;
err:
	pr_ksymfeed_free(f);
	return err;
}

void pr_ksymfeed_free(struct pr_ksymfeed *f)
{
	uint32_t i;
	int k;

	if (!f)
		return;
	for (k = 0; k < f->nbufs; k++) {
		munmap(f->bufs[k].base, f->page + f->data_size);
		close(f->bufs[k].fd);
	}
	for (i = 0; i < f->npend; i++)
		free(f->pend[i].rec);
	if (f->epfd >= 0)
		close(f->epfd);
	free(f->bufs);
	free(f);
}

int pr_ksymfeed_fd(const struct pr_ksymfeed *f)
{
	return f->epfd;
}

void pr_ksymfeed_apply(const void *rec, size_t len, struct pr_bpfsym *bs)
{
	const struct perf_event_header *h = rec;
	const struct ksymbol_rec *k = rec;
	size_t nlen, body;

	if (len < sizeof(*h) || h->size > len)
		return;
	if (h->type == PERF_RECORD_LOST) {
		/* updates were dropped: rebuild from the kernel's own view */
		pr_bpfsym_resync(bs);
		return;
	}
	if (h->type != PERF_RECORD_KSYMBOL || h->size < sizeof(*k) ||
	    k->ksym_type != PERF_RECORD_KSYMBOL_TYPE_BPF)
		return;
	/* the name is followed by sample_id_all's time: not part of it */
	if (h->size < sizeof(*k) + sizeof(uint64_t))
		return;
	body = h->size - sizeof(*k) - sizeof(uint64_t);
	nlen = strnlen(k->name, body);
	if (nlen == body)
		return; /* no NUL inside the record: not a name */
	if (k->flags & PERF_RECORD_KSYMBOL_FLAGS_UNREGISTER)
		pr_bpfsym_remove(bs, k->addr);
	else
		pr_bpfsym_add(bs, k->addr, k->len, k->name);
}

/* The time sample_id_all appends to every record: its last 8 bytes. */
static uint64_t record_time(const uint8_t *rec, size_t len)
{
	uint64_t t = 0;

	if (len >= sizeof(struct perf_event_header) + sizeof(t))
		memcpy(&t, rec + len - sizeof(t), sizeof(t));
	return t;
}

/* Copies every complete record of one buffer into the pending list. */
static void collect(struct pr_ksymfeed *f, struct cpu_buf *b, uint32_t *seq)
{
	struct perf_event_mmap_page *meta = b->base;
	uint8_t *data = (uint8_t *)b->base + f->page, *rec;
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = meta->data_tail;
	struct perf_event_header h;
	size_t off;

	while (tail + sizeof(h) <= head && f->npend < MAX_PENDING) {
		off = tail % f->data_size;
		pr_ring_copy_out(&h, data, f->data_size, off, sizeof(h));
		if (h.size < sizeof(h) || tail + h.size > head || !(rec = malloc(h.size)))
			break;
		pr_ring_copy_out(rec, data, f->data_size, off, h.size);
		f->pend[f->npend++] = (struct pending){
			.time = record_time(rec, h.size), .seq = (*seq)++, .len = h.size, .rec = rec
		};
		tail += h.size;
	}
	__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

int pr_ksymfeed_drain(struct pr_ksymfeed *f, struct pr_bpfsym *bs)
{
	uint32_t i, seq = 0;
	int k, n;

	for (k = 0; k < f->nbufs; k++)
		collect(f, &f->bufs[k], &seq);
	qsort(f->pend, f->npend, sizeof(f->pend[0]), cmp_pending);
	for (i = 0; i < f->npend; i++) {
		pr_ksymfeed_apply(f->pend[i].rec, f->pend[i].len, bs);
		free(f->pend[i].rec);
	}
	n = f->npend;
	f->npend = 0;
	return n;
}
