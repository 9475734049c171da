/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The whole Lua <-> C ABI. LuaJIT reads this file (with bpf/events.h)
 * through ffi.cdef after preprocessor lines are stripped, so it holds
 * declarations only: no macros, no inline code. Functions take scalars,
 * buffers and structs, return int (>= 0 ok, -errno on failure) and pass
 * error text back as a static string through `const char **err`. Nothing
 * allocated crosses the boundary: strings returned inside structs belong to
 * the runtime's caches and stay valid until profrun exits.
 */
#ifndef PR_FFI_H
#define PR_FFI_H

#include <stdint.h>
#include "ffi_types.h"

struct pr_rt;

int pr_ffi_abi_version(void);
int pr_ffi_sizeof(const char *type);
int pr_ffi_offsetof(const char *type, const char *field);

/* Provider i (0-based; its enum pr_source): 0, or -ENOENT past the last. */
int pr_ffi_provider(uint32_t i, struct pr_provider_info *out);

int pr_ffi_sample_config(struct pr_rt *rt, const struct pr_sample_opts *o, const char **err);
int pr_ffi_offcpu_config(struct pr_rt *rt, const struct pr_offcpu_opts *o, const char **err);
/* probe(spec, opts): resolves spec into attachments with options o; its
 * index (from 0), or -errno with what is wrong in *err. */
int pr_ffi_probe_add(struct pr_rt *rt, const char *spec, const struct pr_probe_opts *o,
		     const char **err);
/* What match number match of probe number probe is (a function, a USDT
 * provider:name, a tracepoint category:name); NULL past the last. */
const char *pr_ffi_probe_func(struct pr_rt *rt, uint32_t probe, uint32_t match);
/* count_only: up to max of probe number probe's counts into out, their
 * stacks interned; returns how many there are (more than max: call again
 * with room), or -errno. lost[0]: hits the map could not hold, lost[1]:
 * stacks lost. */
int pr_ffi_probe_counts(struct pr_rt *rt, uint32_t probe, struct pr_probe_count *out,
			uint32_t max, uint64_t *lost);
int pr_ffi_probes_config(struct pr_rt *rt, uint32_t buffer, const char **err);
/* Field i of t: probe number probe's record: 0, or -ENOENT past the last. */
int pr_ffi_tp_field(struct pr_rt *rt, uint32_t probe, uint32_t i, struct pr_tp_field *out);
int pr_ffi_lifecycle_config(struct pr_rt *rt, uint32_t buffer, const char **err);
int pr_ffi_timer_add(struct pr_rt *rt, double seconds, const char **err);
/* The current batch: its start and size; returns the record count. */
int pr_ffi_batch(struct pr_rt *rt, const uint8_t **base, uint32_t *bytes);
/* Lua hands the batch's record n (1-based) to its hook: counted as
 * delivered (the rest count as discarded when a stop cuts the batch
 * short). Non-zero when a stop is pending: the dispatcher returns. A
 * call, not a flag in memory, so a JIT-compiled dispatch loop cannot
 * hoist the check out of the loop. */
int pr_ffi_handed(struct pr_rt *rt, uint32_t n);
/* --keep-going: a protected hook raised msg (its traceback included). */
void pr_ffi_hook_error(struct pr_rt *rt, const char *hook, const char *msg);
/* 1 after an allocation was refused at --max-memory, until reported. */
int pr_ffi_memory_hit(struct pr_rt *rt);
/* How the -c command ended: 0 with its exit code, or the signal that
 * killed it (and whether it dumped core); -1 while it runs or without -c. */
int pr_ffi_target_exit(struct pr_rt *rt, int32_t *code, int32_t *sig, int32_t *core);
void pr_ffi_exit(struct pr_rt *rt, int code);
int pr_ffi_target_pid(struct pr_rt *rt);
/* 1 when pid is in what the run watches (-p/-c and their descendants,
 * --cgroup, --container; every process when none is given), else 0. */
int pr_ffi_in_target(struct pr_rt *rt, uint32_t pid);
uint32_t pr_ffi_sample_hz(struct pr_rt *rt);
int pr_ffi_stats(struct pr_rt *rt, struct pr_stats *out);
uint64_t pr_ffi_now(void);

int pr_ffi_stack_frames(struct pr_rt *rt, uint32_t id, struct pr_frame *out, int max);
/* Changes when names may have changed (debuginfod answered): frames
 * cached before are stale. */
uint64_t pr_ffi_names_generation(struct pr_rt *rt);
int pr_ffi_ksym(struct pr_rt *rt, uint64_t addr, struct pr_frame *out);
int pr_ffi_usym(struct pr_rt *rt, uint32_t pid, uint64_t addr, struct pr_frame *out);

int pr_ffi_proc_config(struct pr_rt *rt, uint32_t capacity, const char **err);
/* stacks{}: recent 0 keeps every stack for the run, N starts the table
 * over past N (pr_stacks_end_cycle). */
int pr_ffi_stacks_config(struct pr_rt *rt, uint32_t recent, const char **err);
int pr_ffi_proc_lookup(struct pr_rt *rt, uint32_t pid, struct pr_proc_info *out);
int pr_ffi_proc_field(struct pr_rt *rt, uint32_t pid, uint64_t gen, int field, char *buf,
		      uint32_t len);
int pr_ffi_proc_number(struct pr_rt *rt, uint32_t pid, uint64_t gen, int field, uint64_t *out);
int pr_ffi_proc_env(struct pr_rt *rt, uint32_t pid, uint64_t gen, const char *name, char *buf,
		    uint32_t len);

/* The GNU build-id of the ELF file at path as lowercase hex (NUL-terminated
 * in hex[len]): its length, or -ENOENT (no file, not ELF, no note),
 * -ENOSPC (len too small). Needs no run context. */
int pr_ffi_elf_build_id(const char *path, char *hex, uint32_t len);

/* profrun.export's HTTP sinks (export.h): open returns the sink's number
 * or -errno with the reason in *err; send queues a copy of body for the
 * sink's URL + path: 0, or -ENOSPC when it was dropped (counted). */
int pr_ffi_export_open(struct pr_rt *rt, const struct pr_export_opts *o, const char **err);
int pr_ffi_export_send(int sink, const char *path, const void *body, uint64_t len,
		       uint64_t rows);
int pr_ffi_export_stats(int sink, struct pr_export_stats *out);
/* Every sink gets its bounded wait to deliver, then stops (what is left is
 * spooled or dropped, counted): stats are final after it. */
void pr_ffi_export_finish(void);

#endif
