/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* probe() at setup: a spec resolved to the uprobe attachments it makes. */
#ifndef PR_PROBES_H
#define PR_PROBES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "plan.h"

/* Most functions one glob may attach to: a link each (no uprobe_multi
 * in libbpf 1.1), and each costs an attach syscall and a breakpoint. */
#define PR_PROBE_MAX_MATCHES 1000

/*
 * Appends the attachments of spec (probe number index) to *v (*n of
 * them; the array grows), each with the probe's options conf: 0, or
 * -EINVAL/-ENOENT/-E2BIG with what is wrong in err. The process whose
 * root and mappings short library names and paths are looked up in is
 * conf->pid, else pid (-p; 0: none); with conf->pid, uprobes attach for
 * that process only. syms: where the binaries' symbols are read into
 * (probe() calls share one, so libc is read once), NULL: a table of its
 * own.
 */
int pr_probes_resolve(const char *spec, pid_t pid, uint32_t index,
		      const struct pr_probe_config *conf, struct pr_elfsyms *syms,
		      struct pr_probe_attach **v, size_t *n, char *err, size_t errlen);
void pr_probes_free(struct pr_probe_attach *v, size_t n);

#endif
