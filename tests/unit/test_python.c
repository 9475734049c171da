// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * runtime/python.c's tables against independent readers: the offsets of
 * the 3.11 layout against python3.11-dbg's DWARF (gdb prints them), and
 * the location table decoder against CPython's own co_lines() on code
 * objects python3.11 compiles here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "python.h"

#define PYTHON "/usr/bin/python3.11"

/* What gdb says offsetof / sizeof is, for each line of exprs. */
static const struct {
	const char *expr;
	size_t at; /* offset of the field in struct pr_python_layout */
	int u16;   /* the field is a __u16 of struct pr_py_offsets */
} fields[] = {
#define L(f) offsetof(struct pr_python_layout, f), 0
#define O(f) offsetof(struct pr_python_layout, off) + offsetof(struct pr_py_offsets, f), 1
	{ "&((_PyRuntimeState *)0)->interpreters.head", L(runtime_interp_head) },
	{ "&((PyInterpreterState *)0)->threads.head", O(interp_threads) },
	{ "&((PyThreadState *)0)->next", O(ts_next) },
	{ "&((PyThreadState *)0)->native_thread_id", O(ts_native_tid) },
	{ "&((PyThreadState *)0)->cframe", O(ts_cframe) },
	{ "&((_PyCFrame *)0)->current_frame", O(cframe_frame) },
	{ "&((_PyInterpreterFrame *)0)->f_code", O(frame_code) },
	{ "&((_PyInterpreterFrame *)0)->previous", O(frame_previous) },
	{ "&((_PyInterpreterFrame *)0)->prev_instr", O(frame_instr) },
	{ "&((_PyInterpreterFrame *)0)->is_entry", O(frame_entry) },
	{ "&((PyCodeObject *)0)->co_code_adaptive", O(code_adaptive) },
	{ "&((PyCodeObject *)0)->co_firstlineno", O(code_firstline) },
	{ "&((PyCodeObject *)0)->co_filename", O(code_filename) },
	{ "&((PyCodeObject *)0)->co_qualname", O(code_qualname) },
	{ "&((PyCodeObject *)0)->co_name", L(code_name) },
	{ "&((PyCodeObject *)0)->co_linetable", L(code_linetable) },
	{ "&((PyASCIIObject *)0)->state", L(str_state) },
	{ "&((PyASCIIObject *)0)->length", L(str_length) },
	{ "sizeof(PyASCIIObject)", L(str_ascii_data) },
	{ "sizeof(PyCompactUnicodeObject)", L(str_compact_data) },
	{ "&((PyVarObject *)0)->ob_size", L(bytes_size) },
	{ "&((PyBytesObject *)0)->ob_sval", L(bytes_data) },
#undef L
#undef O
};

static bool have(const char *path)
{
	return access(path, X_OK) == 0;
}

void test_python_layout_dwarf(void)
{
	const struct pr_python_layout *l = pr_python_layout(3, 11);
	char cmd[8192], line[256];
	size_t i, n = sizeof(fields) / sizeof(fields[0]), got = 0;
	FILE *p;

	if (!ASSERT_TRUE(l, "3.11 layout"))
		return;
	if (!have("/usr/bin/gdb") || !have(PYTHON)) {
		test__skip("gdb or python3.11 missing (scripts/install-deps installs them)");
		return;
	}
	snprintf(cmd, sizeof(cmd), "gdb -batch -nx %s", PYTHON);
	for (i = 0; i < n; i++) {
		size_t len = strlen(cmd);

		snprintf(cmd + len, sizeof(cmd) - len, " -ex 'print (long)%s'", fields[i].expr);
	}
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	if (!ASSERT_TRUE(p, "gdb"))
		return;
	while (fgets(line, sizeof(line), p)) {
		unsigned idx;
		long v;

		if (strstr(line, "No symbol") || strstr(line, "no debugging symbols")) {
			pclose(p);
			test__skip("no DWARF for python3.11 (install python3.11-dbg)");
			return;
		}
		if (sscanf(line, "$%u = %ld", &idx, &v) != 2 || idx < 1 || idx > n)
			continue;
		i = idx - 1;
		got++;
		if (fields[i].u16)
			ASSERT_EQ((long)*(const uint16_t *)((const char *)l + fields[i].at), v,
				  fields[i].expr);
		else
			ASSERT_EQ((long)*(const uint32_t *)((const char *)l + fields[i].at), v,
				  fields[i].expr);
	}
	pclose(p);
	ASSERT_EQ(got, n, "gdb answered every field");
	/* the windows BPF reads cover the fields it takes from them */
	ASSERT_TRUE(l->off.frame_window >= l->off.frame_entry + 1 &&
			    l->off.frame_window >= l->off.frame_instr + 8 &&
			    l->off.frame_window >= l->off.frame_previous + 8 &&
			    l->off.frame_window >= l->off.frame_code + 8,
		    "frame window");
	ASSERT_TRUE(l->off.code_window >= l->off.code_qualname + 8 - l->off.code_firstline &&
			    l->off.code_window >= l->off.code_filename + 8 - l->off.code_firstline,
		    "code window");
}

void test_python_layout_versions(void)
{
	ASSERT_TRUE(pr_python_layout(3, 11), "3.11");
	/* never guessed: each needs its own checked table */
	ASSERT_NULL(pr_python_layout(3, 10), "3.10");
	ASSERT_NULL(pr_python_layout(3, 12), "3.12");
	ASSERT_NULL(pr_python_layout(2, 7), "2.7");
}

/* Every code object python3.11 compiles from a source with long, short,
 * multi-line and negative line steps: its co_linetable, first line and,
 * per code unit, the line co_lines() gives; the decoder must agree. */
static const char LINES_SCRIPT[] =
	"import sys\n"
	"src = '''\n"
	"def f(a,\n"
	"      b):\n"
	"    x = [i * i\n"
	"         for i in range(a)]\n"
	"    if b:\n"
	"        return (x,\n"
	"\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n"
	"                b)\n"
	"    while a:\n"
	"        a -= 1\n"
	"    return {k: v for k, v in zip(x, x)}\n"
	"class C:\n"
	"    def m(self): return [self] * 3\n"
	"'''\n"
	"def walk(co):\n"
	"    yield co\n"
	"    for c in co.co_consts:\n"
	"        if hasattr(c, 'co_code'):\n"
	"            yield from walk(c)\n"
	"for co in walk(compile(src, 'x.py', 'exec')):\n"
	"    lines = [0] * (len(co.co_code) // 2)\n"
	"    for s, e, l in co.co_lines():\n"
	"        for u in range(s // 2, e // 2):\n"
	"            lines[u] = l or 0\n"
	"    print(co.co_firstlineno, co.co_linetable.hex(), ' '.join(map(str, lines)))\n";

void test_python_line_table(void)
{
	char cmd[4096], *buf = NULL, *hex, *rest, *tok;
	size_t cap = 0, codes = 0, units = 0;
	uint8_t table[4096];
	FILE *p;

	if (!have(PYTHON)) {
		test__skip("python3.11 missing (scripts/install-deps installs it)");
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s -c \"$PR_PY_LINES\"", PYTHON);
	setenv("PR_PY_LINES", LINES_SCRIPT, 1);
	p = popen(cmd, "r");
	if (!ASSERT_TRUE(p, "python3.11"))
		return;
	while (getline(&buf, &cap, p) > 0) {
		unsigned first = strtoul(buf, &hex, 10), u = 0;
		size_t len = 0;

		hex += strspn(hex, " ");
		rest = hex + strcspn(hex, " \n");
		while (hex + 1 < rest && len < sizeof(table)) {
			unsigned b;

			sscanf(hex, "%2x", &b);
			table[len++] = b;
			hex += 2;
		}
		codes++;
		for (tok = strtok(rest, " \n"); tok; tok = strtok(NULL, " \n"), u++) {
			char what[64];

			snprintf(what, sizeof(what), "code %zu unit %u", codes, u);
			ASSERT_EQ(pr_python_line(table, len, first, u), strtoul(tok, NULL, 10), what);
			units++;
		}
	}
	free(buf);
	ASSERT_OK(pclose(p), "python3.11 exit");
	ASSERT_TRUE(codes >= 4, "code objects compared");
	ASSERT_TRUE(units >= 60, "code units compared");
}
