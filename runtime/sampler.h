/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One cpu-clock perf_event per online CPU, each running a BPF program. */
#ifndef PR_SAMPLER_H
#define PR_SAMPLER_H

#include <bpf/libbpf.h>
#include <stdint.h>

struct pr_sampler;

/* Opens a sampling event at hz on every online CPU and attaches prog to
 * each. On failure *failed_cpu names the CPU and the error is -errno. */
int pr_sampler_new(struct bpf_program *prog, uint32_t hz, struct pr_sampler **out, int *failed_cpu);
/* Detaches and closes every event; accepts NULL. */
void pr_sampler_free(struct pr_sampler *s);

#endif
