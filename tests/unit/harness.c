// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit test runner: `unit_tests [-t NAME]` runs every test in the table
 * below, or those whose name contains NAME. Each test prints `ok NAME`,
 * `ok NAME # SKIP why` or `FAIL NAME`; the last line is `N passed, N
 * failed, N skipped` and the exit status is non-zero when a test failed
 * (or none matched). A test that ran no assertion and did not skip fails:
 * it proved nothing. Under CI=true a skip is a failure, as in the e2e
 * suite, so a CI machine that lost a capability does not go green.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

/* Every test, in run order: X(name) runs void test_name(void). */
/* clang-format off */
#define TESTS(X)				\
	X(array_last_le)			\
	X(buildid_notes)			\
	X(buildid_path)				\
	X(providers_programs_exist)		\
	X(providers_unique)			\
	X(opts_script_and_args)			\
	X(opts_options_after_script)		\
	X(opts_double_dash)			\
	X(opts_exec_code)			\
	X(opts_attached_values)			\
	X(opts_errors)				\
	X(opts_target_flags)			\
	X(opts_help_version)			\
	X(opts_duration)			\
	X(opts_uint)				\
	X(opts_size)				\
	X(opts_trust_flags)			\
	X(opts_shell_text)			\
	X(procfs_parse_stat)			\
	X(procfs_parse_stat_odd_comm)		\
	X(procfs_parse_stat_truncated)		\
	X(procfs_read_stat_self)		\
	X(procfs_read_self)			\
	X(procfs_read_cmdline_child)		\
	X(procfs_read_missing)			\
	X(procfs_read_kthread_cmdline)		\
	X(procfs_ns_at)				\
	X(procfs_read_at_cgroup)		\
	X(procfs_read_at_files)			\
	X(procfs_stat_uid_at)			\
	X(procfs_argv_at)			\
	X(procfs_join_args)			\
	X(cgroup_container_id)			\
	X(cgroup_lookup)			\
	X(cgroup_lookup_no_mount)		\
	X(proc_lookup)				\
	X(proc_fields)				\
	X(proc_env)				\
	X(proc_vanished)			\
	X(proc_reused_under_entry)		\
	X(proc_reuse_by_exec)			\
	X(proc_exec_same_process)		\
	X(proc_exec_args_truncated)		\
	X(proc_exec_only)			\
	X(proc_exit_grace)			\
	X(proc_exited_never_reads_proc)		\
	X(proc_exit_unseen)			\
	X(proc_fork)				\
	X(proc_lru)				\
	X(proc_exited_dropped_early)		\
	X(proc_seed)				\
	X(proc_cgroup_from_event)		\
	X(proc_live_reuse_same_tick)		\
	X(proc_live_same_process)		\
	X(proc_live_by_path)			\
	X(proc_live_unknown)			\
	X(proc_live_exact_identity)		\
	X(ksym_fixture_lookup)			\
	X(ksym_malformed_lines)			\
	X(ksym_long_lines)			\
	X(ksym_missing_file)			\
	X(ksym_odd_lines)			\
	X(ksym_all_zero)			\
	X(ksym_unsorted)			\
	X(ksym_boundaries)			\
	X(ksym_proc_kallsyms)			\
	X(ksym_names_kept)			\
	X(bpfsym_ranges)			\
	X(bpfsym_remove)			\
	X(bpfsym_replace)			\
	X(bpfsym_bad_input)			\
	X(bpfsym_many)				\
	X(bpfsym_resync_live)			\
	X(ksymfeed_register_unregister)		\
	X(ksymfeed_ignored)			\
	X(ksymfeed_lost_resync)			\
	X(ksymfeed_live)			\
	X(ksymfeed_order_across_cpus)		\
	X(bpfring_laps)				\
	X(bpfring_not_a_ring)			\
	X(maps_parse_line)			\
	X(maps_parse_line_errors)		\
	X(maps_normalize_self)			\
	X(maps_normalize_anon)			\
	X(maps_full_sweeps_gone)		\
	X(unwind_cfi_chain)			\
	X(unwind_cfi_rbp)			\
	X(unwind_signal_frame)			\
	X(unwind_plt)				\
	X(unwind_fp_fallback)			\
	X(unwind_failures)			\
	X(unwind_self)				\
	X(unwind_self_through_libc)		\
	X(unwind_vdso)				\
	X(elfsym_burn)				\
	X(elfsym_libc_qsort)			\
	X(elfsym_bad_files)			\
	X(elfsym_same_binary)			\
	X(elfsym_alias_prefers_sized)		\
	X(elfsym_load_bias)			\
	X(elfsym_running_bias)			\
	X(elfsym_sources)			\
	X(elfsym_cpp_demangle)			\
	X(elfsym_symbol_versions)		\
	X(elfsym_rust_demangle)			\
	X(elfsym_negative_parsed_once)		\
	X(elfsym_negative_replaced)		\
	X(elfsym_overwrite_in_place)		\
	X(elfsym_negative_expiry)		\
	X(elfsym_negative_sweep)		\
	X(elfsym_budget)			\
	X(elfsym_cfi_budget)			\
	X(elfsym_dwarf_budget)			\
	X(elfsym_budget_names_live)		\
	X(elfsym_truncated)			\
	X(elfsym_corrupted)			\
	X(elfsym_debuglink_fifo)		\
	X(elfsym_lookup_fifo)			\
	X(elfsym_lookup_path_replaced)		\
	X(debuginfod_off)			\
	X(debuginfod_found)			\
	X(debuginfod_missing_once)		\
	X(debuginfod_server_down)		\
	X(debuginfod_stalled)			\
	X(debuginfod_negative_ttl)		\
	X(perfmap_parse_line)			\
	X(perfmap_parse_line_len)		\
	X(perfmap_lookup)			\
	X(perfmap_hostile)			\
	X(perfmap_owner)			\
	X(python_layout_dwarf)		\
	X(python_layout_versions)	\
	X(python_line_table)		\
	X(trust_path)				\
	X(dwarfcache_copy)			\
	X(dwarfcache_damaged_and_untrusted)	\
	X(dwarfcache_hostile)			\
	X(dwarfcache_prune)			\
	X(trust_invoker)			\
	X(thread_starts_elsewhere)		\
	X(probespec_parse)			\
	X(probespec_find_binary)		\
	X(elfsym_each_function)			\
	X(stacks_kernel_intern)			\
	X(stacks_user_frames)			\
	X(stacks_placed_frames)			\
	X(stacks_bpf_placed_frames)		\
	X(stacks_gone_frames)			\
	X(stacks_shared_across_pids)		\
	X(stacks_anon_frames)			\
	X(stacks_full)				\
	X(stacks_frames_bound)			\
	X(stacks_unknown_id)			\
	X(stacks_table_grows)			\
	X(stacks_frames_shared)		\
	X(stacks_memo)				\
	X(stacks_recent)			\
	X(cfi_eh_frame)				\
	X(cfi_functions)			\
	X(cfi_debug_frame)			\
	X(cfi_free_null)			\
	X(cfi_cfa_rules)			\
	X(cfi_reg_rules)			\
	X(cfi_restore_to_cie)			\
	X(cfi_remember_restore)			\
	X(cfi_advance_ops)			\
	X(cfi_rows_at_one_pc)			\
	X(cfi_set_loc)				\
	X(cfi_plt_expr)				\
	X(cfi_signal_frame)			\
	X(cfi_realign_expr)			\
	X(cfi_unknown_expr)			\
	X(cfi_augmentation_zplr)		\
	X(cfi_reject_opcode)			\
	X(cfi_reject_state)			\
	X(cfi_reject_encoding)			\
	X(cfi_reject_no_cie)			\
	X(cfi_reject_overlap)			\
	X(cfi_reject_truncated_section)		\
	X(cfi_reject_truncated_fde)		\
	X(cfi_reject_truncated_cie)		\
	X(cfi_prefixes)				\
	X(cfi_factored_overflow)		\
	X(cfi_terminator)			\
	X(cfi_gaps)				\
	X(cfi_segments)				\
	X(cfi_libc_vs_readelf)			\
	X(cfi_python_vs_readelf)		\
	X(cfi_fixture_vs_readelf)		\
	X(cfi_pack)				\
	X(cfi_fuzz)
/* clang-format on */

#define DECLARE(n) void test_##n(void);
#define ENTRY(n) { .name = #n, .fn = test_##n },
TESTS(DECLARE)

static const struct test {
	const char *name;
	void (*fn)(void);
} tests[] = { TESTS(ENTRY) };

int test_argc;
char **test_argv;
static bool cur_failed;
static const char *cur_skip;
static unsigned long cur_asserts;

static bool report(bool ok, const char *name, const char *file, int line, const char *a,
		   const char *e)
{
	cur_asserts++;
	if (!ok) {
		printf("  %s: actual %s != expected %s (%s:%d)\n", name, a, e, file, line);
		cur_failed = true;
	}
	return ok;
}

static void fmt_val(char *buf, size_t len, int kind, unsigned long long v)
{
	static const char *const fmts[] = { "%lld", "%llu", "0x%llx" };

	snprintf(buf, len, fmts[kind], v);
}

bool test__eq(bool ok, int kind, unsigned long long a, unsigned long long e, const char *name,
	      const char *file, int line)
{
	char as[32] = "", es[32] = "";

	if (!ok) {
		fmt_val(as, sizeof(as), kind, a);
		fmt_val(es, sizeof(es), kind, e);
	}
	return report(ok, name, file, line, as, es);
}

bool test__streq(const char *a, const char *e, const char *name, const char *file, int line)
{
	bool ok = a && e ? !strcmp(a, e) : a == e;
	char as[600] = "NULL", es[600] = "NULL";

	if (!ok && a)
		snprintf(as, sizeof(as), "\"%.580s\"", a);
	if (!ok && e)
		snprintf(es, sizeof(es), "\"%.580s\"", e);
	return report(ok, name, file, line, as, es);
}

bool test__true(bool ok, const char *name, const char *file, int line)
{
	return report(ok, name, file, line, "false", "true");
}

void test__skip(const char *why)
{
	cur_skip = why;
}

bool test_mkdtemp(char *dir)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, 64, "%.40s/profrun-unit.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return ASSERT_TRUE(mkdtemp(dir), "mkdtemp");
}

bool test_write_file(const char *dir, const char *name, const void *data, size_t len, char *path)
{
	ssize_t n = -1;
	int fd;

	snprintf(path, 256, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		n = write(fd, data, len);
		close(fd);
	}
	return ASSERT_EQ(n, (ssize_t)len, "write fixture file");
}

void test_rmdir(const char *dir)
{
	char path[320];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (de->d_type == DT_DIR)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

struct counts {
	int passed, failed, skipped;
};

/* Runs the tests whose name contains filter (all when NULL). */
static void run_tests(const char *filter, struct counts *c)
{
	const char *ci = getenv("CI");
	bool strict = ci && !strcmp(ci, "true");
	size_t i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		cur_failed = false;
		cur_skip = NULL;
		cur_asserts = 0;
		tests[i].fn();
		if (!cur_failed && !cur_skip && !cur_asserts) {
			printf("  no assertion ran: the test checked nothing\n");
			cur_failed = true;
		}
		if (!cur_failed && cur_skip && strict) {
			printf("  skipped under CI=true: %s\n", cur_skip);
			cur_failed = true;
		}
		if (cur_failed) {
			printf("FAIL %s\n", tests[i].name);
			c->failed++;
		} else if (cur_skip) {
			printf("ok %s # SKIP %s\n", tests[i].name, cur_skip);
			c->skipped++;
		} else {
			printf("ok %s\n", tests[i].name);
			c->passed++;
		}
	}
}

int main(int argc, char **argv)
{
	struct counts c = { 0 };
	int opt, rc = 0;
	const char *filter = NULL;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt == 't')
			filter = optarg;
		else
			rc = 2;
	}
	if (rc || optind < argc) {
		fprintf(stderr, "usage: %s [-t NAME]\n", argv[0]);
		rc = 2;
		goto out;
	}
	test_argc = argc;
	test_argv = argv;
	setvbuf(stdout, NULL, _IOLBF, 0);
	run_tests(filter, &c);
	if (!c.passed && !c.failed && !c.skipped)
		fprintf(stderr, "no test name contains '%s'\n", filter ? filter : "");
	printf("%d passed, %d failed, %d skipped\n", c.passed, c.failed, c.skipped);
	rc = c.failed || !(c.passed + c.skipped) ? 1 : 0;
out:
	return rc;
}
