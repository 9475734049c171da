// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * CPU sampling events. The software cpu-clock event is used because these
 * machines have no hardware PMU, and it samples every task on its CPU;
 * filtering by process happens in the BPF program, so one set of events
 * serves system-wide and per-PID runs alike. Offline CPUs are skipped.
 */
#include <errno.h>
#include <stdbool.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "log.h"
#include "procfs.h"
#include "sampler.h"

struct pr_sampler {
	int n;
	int *fds;
	struct bpf_link **links;
};

/* Marks the CPUs a list like "0-3,5" names; returns the count marked. */
static int parse_cpu_list(const char *s, bool *online, int ncpu)
{
	int a, b, n = 0, i;
	char *end;

	while (*s >= '0' && *s <= '9') {
		a = b = strtol(s, &end, 10);
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (i = a; i <= b && i < ncpu; i++, n++)
			online[i] = true;
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

static int open_event(int cpu, uint32_t hz)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_freq = hz,
		.freq = 1,
	};
	int fd;

	fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int pr_sampler_new(struct bpf_program *prog, uint32_t hz, struct pr_sampler **out, int *failed_cpu)
{
	int ncpu = libbpf_num_possible_cpus(), cpu, fd, err = 0;
	bool *online = NULL;
	struct pr_sampler *s;
	char list[256];

	s = calloc(1, sizeof(*s));
	if (!s || ncpu <= 0)
		return -ENOMEM;
	s->fds = calloc(ncpu, sizeof(int));
	s->links = calloc(ncpu, sizeof(*s->links));
	online = calloc(ncpu, sizeof(bool));
	if (!s->fds || !s->links || !online) {
		err = -ENOMEM;
		goto err;
	}
	if (pr_procfs_slurp("/sys/devices/system/cpu/online", list, sizeof(list)) <= 0 ||
	    parse_cpu_list(list, online, ncpu) == 0)
		memset(online, 1, ncpu * sizeof(bool));
	for (cpu = 0; cpu < ncpu; cpu++) {
		if (!online[cpu])
			continue;
		fd = open_event(cpu, hz);
		if (fd < 0) {
			err = fd;
			*failed_cpu = cpu;
			goto err;
		}
		s->links[s->n] = bpf_program__attach_perf_event(prog, fd);
		if (!s->links[s->n]) {
			err = -errno;
			close(fd);
			*failed_cpu = cpu;
			goto err;
		}
		s->fds[s->n++] = fd;
	}
	free(online);
	*out = s;
	return 0;
err:
	free(online);
	pr_sampler_free(s);
	return err;
}

void pr_sampler_free(struct pr_sampler *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		bpf_link__destroy(s->links[i]);
		close(s->fds[i]);
	}
	free(s->fds);
	free(s->links);
	free(s);
}
