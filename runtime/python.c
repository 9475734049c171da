// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Python frames: the interpreters BPF reads, the names of what it read,
 * and their place in the native stack (see python.h).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/uio.h>
#include "array.h"
#include "clock.h"
#include "elfsym.h"
#include "ffi_types.h"
#include "log.h"
#include "python.h"

/* Requests served per tick: a storm of new processes is spread out. */
#define MAX_PER_TICK 64
#define PROC_BUCKETS 1024
#define CODE_BUCKETS 256
#define FRAME_BUCKETS_MIN 1024
/* A process that is not Python (yet) is asked about again this late: it
 * may load libpython later (an embedding application). */
#define RETRY_NS (5ull * 1000000000)
/* Samples of a process this young (since found) wake the runtime at
 * once: a short script may exit before a batched read names its code.
 * Older processes' code is mostly named already. */
#define URGENT_NS (200ull * 1000000)
#define MAX_NAME 1024
#define MAX_LINETABLE (1u << 20)
#define MAX_INTERPS 64
/* the initial pid namespace's inode (include/linux/proc_ns.h) */
#define PROC_PID_INIT_INO 0xEFFFFFFCu
/* Processes gone this long are forgotten (their entries too); looked for
 * this often. Samples read late still find them before that. */
#define GONE_NS (10ull * 1000000000)
#define SWEEP_NS (2ull * 1000000000)

/*
 * CPython 3.11 (x86-64), from Include/internal/pycore_runtime.h,
 * pycore_interp.h, cpython/pystate.h, pycore_frame.h, cpython/code.h,
 * cpython/unicodeobject.h, cpython/bytesobject.h; checked against
 * python3.11-dbg's DWARF by tests/e2e (t68). 3.12 moved frames and
 * thread states again and 3.13 publishes _Py_DebugOffsets: each needs an
 * entry here (and an interpreter to test it with), never a guess.
 */
static const struct pr_python_layout layouts[] = {
	{
		.major = 3,
		.minor = 11,
		.runtime_interp_head = 40,
		.off = {
			.interp_threads = 16,
			.ts_next = 8,
			.ts_native_tid = 160,
			.ts_cframe = 56,
			.cframe_frame = 8,
			.frame_code = 32,
			.frame_previous = 48,
			.frame_instr = 56,
			.frame_entry = 68,
			.code_adaptive = 184,
			.code_firstline = 72,
			.code_filename = 112,
			.code_qualname = 128,
			.frame_window = 72,
			.code_window = 64,
		},
		.code_name = 120,
		.code_linetable = 136,
		.str_state = 32,
		.str_length = 16,
		.str_ascii_data = 48,
		.str_compact_data = 72,
		.bytes_size = 16,
		.bytes_data = 32,
	},
};

const struct pr_python_layout *pr_python_layout(uint32_t major, uint32_t minor)
{
	size_t i;

	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].major == major && layouts[i].minor == minor)
			return &layouts[i];
	return NULL;
}

/* 3.11's location table (Objects/locations.md): entries of 1..8 code
 * units, each a first byte 1cccclll (code c, units l + 1) and the code's
 * varints; only the line delta matters here. */
static uint32_t read_varint(const uint8_t *t, uint32_t len, uint32_t *i)
{
	uint32_t v = 0, shift = 0;

	while (*i < len && shift < 32) {
		uint8_t b = t[(*i)++];

		v |= (uint32_t)(b & 63) << shift;
		shift += 6;
		if (!(b & 64))
			break;
	}
	return v;
}

static int32_t read_svarint(const uint8_t *t, uint32_t len, uint32_t *i)
{
	uint32_t v = read_varint(t, len, i);

	return v & 1 ? -(int32_t)(v >> 1) : (int32_t)(v >> 1);
}

uint32_t pr_python_line(const uint8_t *t, uint32_t len, uint32_t first, uint32_t instr)
{
	int64_t line = first;
	uint32_t i = 0, unit = 0, code, n;
	bool has_line;

	while (i < len) {
		uint8_t b = t[i++];

		if (!(b & 128))
			return 0; /* not the start of an entry: a corrupt table */
		code = (b >> 3) & 15;
		n = (b & 7) + 1;
		has_line = true;
		if (code == 15) {
			has_line = false;
		} else if (code == 14) {
			line += read_svarint(t, len, &i);
			read_varint(t, len, &i); /* end line delta */
			read_varint(t, len, &i); /* column + 1 */
			read_varint(t, len, &i); /* end column + 1 */
		} else if (code == 13) {
			line += read_svarint(t, len, &i);
		} else if (code >= 10) {
			line += code - 10;
			i += 2; /* columns */
		} else {
			i += 1; /* column */
		}
		if (instr < unit + n)
			return has_line && line > 0 && line < UINT32_MAX ? (uint32_t)line : 0;
		unit += n;
	}
	return 0;
}

/* Strings are kept once each, never freed before the table: frames and
 * code objects point at them. */
struct str {
	struct str *next;
	uint64_t hash;
	char s[];
};

/* A named frame: what pr_user_frame.py means. */
struct pyframe {
	const char *name, *file;
	uint32_t line;
	uint32_t kind; /* enum pr_frame_kind */
};

struct code {
	struct code *next;
	uint64_t addr;
	uint32_t tag;
	uint32_t firstline;
	const char *name, *file;
	uint8_t *lines;
	uint32_t nlines;
};

struct interp {
	struct pr_elfsym *bin;
	bool python;
	uint64_t runtime, version, eval, eval_size; /* link-time addresses */
};

struct proc {
	struct proc *next;
	uint32_t pid;
	const struct pr_python_layout *layout;
	struct pr_elfsym *bin;	 /* the interpreter's binary */
	uint64_t eval_lo, eval_hi; /* _PyEval_EvalFrameDefault, file offsets */
	struct code *codes[CODE_BUCKETS];
	uint64_t bytes;
	uint64_t seen;		 /* when last checked or used (ns): LRU, and gone */
	bool unsupported;	 /* counted as such once */
	/* what BPF was told: the image (start time, exec) and the state */
	struct pr_py_proc entry;
};

struct pr_python {
	struct pr_python_opts o;
	struct proc *procs[PROC_BUCKETS];
	struct str **strs;
	uint32_t strs_mask, nstrs;
	struct pyframe *frames; /* index = id; frames[0] unused */
	uint32_t nframes, cap_frames;
	uint32_t *frame_table; /* ids, 0 = empty */
	uint32_t frame_mask;
	uint32_t cut_id;
	struct interp interps[MAX_INTERPS];
	uint32_t ninterps;
	uint32_t warned[8]; /* versions said to be unsupported: major << 8 | minor */
	uint32_t nwarned;
	uint64_t last_sweep;
	struct pr_python_stats st;
};

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static int grow_strs(struct pr_python *py)
{
	uint32_t mask = py->strs_mask ? py->strs_mask * 2 + 1 : 1023, i, k;
	struct str **t = calloc(mask + 1, sizeof(*t)), *s, *next;

	if (!t)
		return -ENOMEM;
	for (i = 0; py->strs && i <= py->strs_mask; i++) {
		for (s = py->strs[i]; s; s = next) {
			next = s->next;
			k = s->hash & mask;
			s->next = t[k];
			t[k] = s;
		}
	}
	free(py->strs);
	py->strs = t;
	py->strs_mask = mask;
	return 0;
}

/* The one copy of s[0..n); NULL without memory. */
static const char *intern_str(struct pr_python *py, const char *s, size_t n)
{
	uint64_t h = hash_bytes(s, n, 0xcbf29ce484222325ull);
	struct str *e;

	if (py->nstrs >= py->strs_mask / 2 && grow_strs(py))
		return NULL;
	for (e = py->strs[h & py->strs_mask]; e; e = e->next)
		if (e->hash == h && !strncmp(e->s, s, n) && !e->s[n])
			return e->s;
	e = malloc(sizeof(*e) + n + 1);
	if (!e)
		return NULL;
	e->hash = h;
	memcpy(e->s, s, n);
	e->s[n] = 0;
	e->next = py->strs[h & py->strs_mask];
	py->strs[h & py->strs_mask] = e;
	py->nstrs++;
	return e->s;
}

static uint64_t frame_hash(const char *name, const char *file, uint32_t line, uint32_t kind)
{
	uint64_t h = (uintptr_t)name * 0x9E3779B97F4A7C15ull;

	h ^= (uintptr_t)file * 0xff51afd7ed558ccdull;
	h ^= ((uint64_t)line << 8 | kind) * 0xc4ceb9fe1a85ec53ull;
	return h ^ h >> 29;
}

static int grow_frames(struct pr_python *py)
{
	uint32_t mask = py->frame_mask ? py->frame_mask * 2 + 1 : FRAME_BUCKETS_MIN - 1, i, k;
	uint32_t *t = calloc(mask + 1, sizeof(*t));
	const struct pyframe *f;

	if (!t)
		return -ENOMEM;
	for (i = 1; i < py->nframes; i++) {
		f = &py->frames[i];
		k = frame_hash(f->name, f->file, f->line, f->kind) & mask;
		while (t[k])
			k = (k + 1) & mask;
		t[k] = i;
	}
	free(py->frame_table);
	py->frame_table = t;
	py->frame_mask = mask;
	return 0;
}

/* The id of (name, file, line) (interned strings); 0 without memory. */
static uint32_t intern_frame(struct pr_python *py, const char *name, const char *file,
			     uint32_t line, uint32_t kind)
{
	uint32_t k, id;
	const struct pyframe *f;

	if ((py->nframes + 1) * 2 > py->frame_mask && grow_frames(py))
		return 0;
	for (k = frame_hash(name, file, line, kind) & py->frame_mask; (id = py->frame_table[k]);
	     k = (k + 1) & py->frame_mask) {
		f = &py->frames[id];
		if (f->name == name && f->file == file && f->line == line && f->kind == kind)
			return id;
	}
	if (pr_array_reserve((void **)&py->frames, &py->cap_frames, py->nframes + 1,
			     sizeof(*py->frames)))
		return 0;
	id = py->nframes++;
	py->frames[id] = (struct pyframe){ .name = name, .file = file, .line = line, .kind = kind };
	py->frame_table[k] = id;
	return id;
}

int pr_python_new(const struct pr_python_opts *o, struct pr_python **out)
{
	struct pr_python *py = calloc(1, sizeof(*py));

	if (!py)
		return -ENOMEM;
	py->o = *o;
	if (!py->o.max_bytes)
		py->o.max_bytes = 32ull << 20;
	py->nframes = 1; /* id 0: a native frame */
	if (grow_strs(py) || grow_frames(py)) {
		pr_python_free(py);
		return -ENOMEM;
	}
	py->cut_id = intern_frame(py, intern_str(py, "[python: more frames]", 21), NULL, 0,
				  PR_FRAME_CUT);
	*out = py;
	return 0;
}

void pr_python_set_fds(struct pr_python *py, const int *procs, const int *pending, int n)
{
	int i;

	for (i = 0; py && i < n && i < py->o.nmaps; i++) {
		py->o.procs_fd[i] = procs[i];
		py->o.pending_fd[i] = pending[i];
	}
}

static void free_codes(struct pr_python *py, struct proc *p)
{
	struct code *c, *next;
	uint32_t i;

	for (i = 0; i < CODE_BUCKETS; i++) {
		for (c = p->codes[i]; c; c = next) {
			next = c->next;
			py->st.code_objects--;
			free(c->lines);
			free(c);
		}
		p->codes[i] = NULL;
	}
	py->st.bytes -= p->bytes;
	p->bytes = 0;
}

void pr_python_free(struct pr_python *py)
{
	struct proc *p, *pn;
	struct str *s, *sn;
	uint32_t i;

	if (!py)
		return;
	for (i = 0; i < PROC_BUCKETS; i++) {
		for (p = py->procs[i]; p; p = pn) {
			pn = p->next;
			free_codes(py, p);
			free(p);
		}
	}
	for (i = 0; py->strs && i <= py->strs_mask; i++) {
		for (s = py->strs[i]; s; s = sn) {
			sn = s->next;
			free(s);
		}
	}
	free(py->strs);
	free(py->frames);
	free(py->frame_table);
	free(py);
}

static struct proc *find_proc(struct pr_python *py, uint32_t pid)
{
	struct proc *p;

	for (p = py->procs[pid % PROC_BUCKETS]; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

/* Reads n bytes of pid's memory at addr; 0 or -errno. */
static int read_mem(uint32_t pid, uint64_t addr, void *buf, size_t n)
{
	struct iovec local = { buf, n }, remote = { (void *)(uintptr_t)addr, n };
	ssize_t r;

	if (!addr)
		return -EFAULT;
	r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (r < 0)
		return -errno;
	return (size_t)r == n ? 0 : -EFAULT;
}

/* What a binary is, looked up once: an interpreter exports _PyRuntime,
 * Py_Version (3.11 and later) and the eval loop. */
static const struct interp *interp_of(struct pr_python *py, struct pr_elfsym *bin)
{
	static const char *const names[] = { "_PyRuntime", "Py_Version",
					     "_PyEval_EvalFrameDefault" };
	uint64_t vaddr[3], size[3];
	struct interp *in;
	uint32_t i;

	for (i = 0; i < py->ninterps; i++)
		if (py->interps[i].bin == bin)
			return &py->interps[i];
	if (py->ninterps == MAX_INTERPS)
		memmove(py->interps, py->interps + 1, --py->ninterps * sizeof(*py->interps));
	in = &py->interps[py->ninterps++];
	*in = (struct interp){ .bin = bin };
	if (pr_elfsym_symbols(bin, names, 3, vaddr, size) < 1 || !vaddr[0])
		return in;
	in->python = true;
	in->runtime = vaddr[0];
	in->version = vaddr[1];
	in->eval = vaddr[2];
	in->eval_size = size[2];
	return in;
}

struct find_ctx {
	struct pr_python *py;
	const struct interp *in;
	uint64_t start, offset;
	bool any_python;
};

static void find_interp(void *ctx, uint64_t start, uint64_t end, uint64_t offset,
			struct pr_elfsym *bin)
{
	struct find_ctx *f = ctx;
	const struct interp *in;

	(void)end;
	if (!bin || f->in)
		return;
	in = interp_of(f->py, bin);
	if (in->python) {
		f->in = in;
		f->start = start;
		f->offset = offset;
	}
}

static void warn_version(struct pr_python *py, struct proc *p, uint32_t major, uint32_t minor)
{
	uint32_t key = major << 8 | minor, i, pid = p->pid;

	if (!p->unsupported)
		py->st.unsupported++;
	p->unsupported = true;
	for (i = 0; i < py->nwarned; i++)
		if (py->warned[i] == key)
			return;
	if (py->nwarned < 8)
		py->warned[py->nwarned++] = key;
	if (major)
		pr_warn("python %u.%u (pid %u and any other): native frames only; profrun reads "
			"the frames of Python 3.11",
			major, minor, pid);
	else
		pr_warn("python older than 3.11 (pid %u and any other): native frames only; "
			"profrun reads the frames of Python 3.11",
			pid);
}

static void write_entry(struct pr_python *py, uint32_t pid, const struct pr_py_proc *e)
{
	int i;

	for (i = 0; i < py->o.nmaps; i++)
		if (py->o.procs_fd[i] >= 0)
			bpf_map_update_elem(py->o.procs_fd[i], &pid, e, BPF_ANY);
}

/* Looks at pid and says what it is in its BPF entries. A request with no
 * identity comes from a probe, which cannot read the task: it is looked
 * at again whole, under the identity samples gave (if any). */
static void check_proc(struct pr_python *py, uint32_t pid, const struct pr_py_pending *want)
{
	struct pr_py_proc e = { .start_time = want->start_time, .exec_id = want->exec_id };
	bool anon = !want->start_time && !want->exec_id;
	struct find_ctx f = { .py = py };
	uint64_t now = pr_mono_ns(), vstart, bias = 0;
	uint32_t version = 0, major = 0, minor = 0;
	struct proc *p = find_proc(py, pid);
	char path[64];
	struct stat sb;

	py->st.checked++;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return;
		p->pid = pid;
		p->next = py->procs[pid % PROC_BUCKETS];
		py->procs[pid % PROC_BUCKETS] = p;
	}
	if (!anon && p->entry.start_time == want->start_time && p->entry.exec_id == want->exec_id &&
	    p->entry.state == PR_PY_PYTHON) {
		/* asked again (a sample raced the answer, or the entry was lost):
		 * the process may be gone by now, what was found holds */
		write_entry(py, pid, &p->entry);
		return;
	}
	if (!anon && p->entry.start_time == want->start_time && p->entry.exec_id > want->exec_id)
		return; /* asked before the exec that was answered already */
	if (anon) {
		e.start_time = p->entry.start_time;
		e.exec_id = p->entry.exec_id;
	}
	p->seen = now;
	/* maps read before may be the image before an exec, or predate a
	 * dlopen of libpython: a check is rare, read them now */
	pr_maps_each_exec(py->o.maps, pid, now, find_interp, &f);
	e.state = PR_PY_NONE;
	e.retry = now + RETRY_NS;
	if (f.in && !pr_elfsym_vaddr_of(f.in->bin, f.offset, &vstart)) {
		bias = f.start - vstart;
		if (f.in->version && read_mem(pid, bias + f.in->version, &version, 4))
			version = 0;
		major = version >> 24;
		minor = version >> 16 & 0xff;
		e.retry = 0; /* an interpreter it stays */
		snprintf(path, sizeof(path), "/proc/%u/ns/pid", pid);
		if (!major || !pr_python_layout(major, minor)) {
			warn_version(py, p, major, minor);
		} else if (!stat(path, &sb)) {
			const struct pr_python_layout *l = pr_python_layout(major, minor);

			e.state = PR_PY_PYTHON;
			e.interp_head = bias + f.in->runtime + l->runtime_interp_head;
			/* the initial namespace's ids are the kernel's: no look-up */
			if (sb.st_ino != PROC_PID_INIT_INO) {
				e.pidns_dev = sb.st_dev;
				e.pidns_ino = sb.st_ino;
			}
			e.version_addr = bias + f.in->version;
			e.version = version;
			e.urgent_until = now + URGENT_NS;
			e.off = l->off;
		}
	}
	if (e.state != p->entry.state || e.interp_head != p->entry.interp_head ||
	    e.start_time != p->entry.start_time || e.exec_id != p->entry.exec_id) {
		/* another process, image or interpreter: nothing known holds */
		free_codes(py, p);
		py->st.processes += (e.state == PR_PY_PYTHON) - (p->entry.state == PR_PY_PYTHON);
		p->layout = NULL;
		p->bin = NULL;
		if (e.state == PR_PY_PYTHON) {
			p->layout = pr_python_layout(major, minor);
			p->bin = f.in->bin;
			/* file offsets of the eval loop: as the mapping places them */
			p->eval_lo = f.in->eval + bias - f.start + f.offset;
			p->eval_hi = p->eval_lo + (f.in->eval_size ? f.in->eval_size : 1);
		}
	}
	p->entry = e;
	pr_debug("python: pid %u (exec %u): %s", pid, want->exec_id,
		 e.state == PR_PY_PYTHON ? "python" : "not python");
	write_entry(py, pid, &e);
}

/* Forgets processes that are gone, with their entries: the tables stay
 * the size of what runs. */
static void sweep(struct pr_python *py, uint64_t now)
{
	struct proc **pp, *p;
	uint32_t i;
	int m;

	py->last_sweep = now;
	for (i = 0; i < PROC_BUCKETS; i++) {
		for (pp = &py->procs[i]; (p = *pp);) {
			if (now - p->seen < GONE_NS || !(kill(p->pid, 0) && errno == ESRCH)) {
				pp = &p->next;
				continue;
			}
			*pp = p->next;
			for (m = 0; m < py->o.nmaps; m++)
				if (py->o.procs_fd[m] >= 0)
					bpf_map_delete_elem(py->o.procs_fd[m], &p->pid);
			py->st.processes -= p->entry.state == PR_PY_PYTHON;
			free_codes(py, p);
			free(p);
		}
	}
}

void pr_python_tick(struct pr_python *py)
{
	uint32_t key, next, pids[MAX_PER_TICK], n, i;
	struct pr_py_pending want[MAX_PER_TICK];
	uint64_t now;
	int err, m;

	if (!py)
		return;
	now = pr_mono_ns();
	if (now - py->last_sweep > SWEEP_NS)
		sweep(py, now);
	for (m = 0; m < py->o.nmaps; m++) {
		if (py->o.pending_fd[m] < 0)
			continue;
		n = 0;
		for (err = bpf_map_get_next_key(py->o.pending_fd[m], NULL, &next);
		     !err && n < MAX_PER_TICK;
		     err = bpf_map_get_next_key(py->o.pending_fd[m], &key, &next)) {
			key = next;
			pids[n++] = next;
		}
		for (i = 0; i < n; i++)
			if (!bpf_map_lookup_and_delete_elem(py->o.pending_fd[m], &pids[i], &want[i]))
				check_proc(py, pids[i], &want[i]);
	}
}

/* Reads a str object as UTF-8 into out (at most MAX_NAME bytes); its
 * length, or -1. */
static int read_str(uint32_t pid, const struct pr_python_layout *l, uint64_t addr, char *out)
{
	uint8_t head[80], raw[MAX_NAME * 4];
	uint64_t len;
	uint32_t state, kind, i, n = 0, c;

	if (read_mem(pid, addr, head, l->str_compact_data))
		return -1;
	memcpy(&len, head + l->str_length, 8);
	memcpy(&state, head + l->str_state, 4);
	kind = state >> 2 & 7;
	if (!(state & 32) || (kind != 1 && kind != 2 && kind != 4))
		return -1; /* not compact: not a name CPython makes for code */
	if (len > MAX_NAME / 4)
		len = MAX_NAME / 4; /* every character fits in 4 bytes of UTF-8 */
	if (state & 64) { /* ASCII */
		if (read_mem(pid, addr + l->str_ascii_data, out, len))
			return -1;
		return len;
	}
	if (read_mem(pid, addr + l->str_compact_data, raw, len * kind))
		return -1;
	for (i = 0; i < len; i++) {
		if (kind == 1)
			c = raw[i];
		else if (kind == 2)
			c = raw[2 * i] | raw[2 * i + 1] << 8;
		else
			c = raw[4 * i] | raw[4 * i + 1] << 8 | raw[4 * i + 2] << 16 |
			    (uint32_t)raw[4 * i + 3] << 24;
		if (c < 0x80) {
			out[n++] = c;
		} else if (c < 0x800) {
			out[n++] = 0xc0 | c >> 6;
			out[n++] = 0x80 | (c & 63);
		} else if (c < 0x10000) {
			out[n++] = 0xe0 | c >> 12;
			out[n++] = 0x80 | (c >> 6 & 63);
			out[n++] = 0x80 | (c & 63);
		} else if (c < 0x110000) {
			out[n++] = 0xf0 | c >> 18;
			out[n++] = 0x80 | (c >> 12 & 63);
			out[n++] = 0x80 | (c >> 6 & 63);
			out[n++] = 0x80 | (c & 63);
		} else {
			out[n++] = '?';
		}
	}
	return n;
}

static uint32_t tag_of(const uint8_t *code, const struct pr_py_offsets *o)
{
	uint32_t first;
	uint64_t file, qual;

	memcpy(&first, code + o->code_firstline, 4);
	memcpy(&file, code + o->code_filename, 8);
	memcpy(&qual, code + o->code_qualname, 8);
	return first ^ (uint32_t)(file >> 4) * 31 ^ (uint32_t)(qual >> 4) * 961;
}

/* Drops every cached code object of the least recently used processes
 * until the budget holds again; names already placed stay. */
static void enforce_budget(struct pr_python *py, struct proc *keep)
{
	struct proc *p, *lru;
	uint32_t i;

	while (py->st.bytes > py->o.max_bytes) {
		lru = NULL;
		for (i = 0; i < PROC_BUCKETS; i++)
			for (p = py->procs[i]; p; p = p->next)
				if (p != keep && p->bytes && (!lru || p->seen < lru->seen))
					lru = p;
		if (!lru)
			return;
		free_codes(py, lru);
	}
}

/* The code object at addr in p, read now when not cached (or cached
 * under another tag); NULL when it cannot be read. */
static struct code *code_of(struct pr_python *py, struct proc *p, uint64_t addr, uint32_t tag)
{
	const struct pr_python_layout *l = p->layout;
	struct code **slot = &p->codes[(addr >> 4) % CODE_BUCKETS], *c;
	uint8_t obj[256], head[40];
	char name[MAX_NAME + 8], file[MAX_NAME + 8];
	uint64_t qual, fname, lt, size;
	int nn, nf;

	for (c = *slot; c; c = c->next)
		if (c->addr == addr)
			break;
	if (c && c->tag == tag)
		return c;
	if (c)
		py->st.reread++;
	if (read_mem(p->pid, addr, obj, l->code_linetable + 8) || tag_of(obj, &l->off) != tag)
		return NULL; /* gone, or already another object: no name is better than a wrong one */
	memcpy(&qual, obj + l->off.code_qualname, 8);
	memcpy(&fname, obj + l->off.code_filename, 8);
	memcpy(&lt, obj + l->code_linetable, 8);
	nn = read_str(p->pid, l, qual, name);
	nf = read_str(p->pid, l, fname, file);
	if (nn < 0 || nf < 0)
		return NULL;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		c->addr = addr;
		c->next = *slot;
		*slot = c;
		py->st.code_objects++;
	}
	py->st.bytes -= c->nlines;
	p->bytes -= c->nlines;
	free(c->lines);
	c->lines = NULL;
	c->nlines = 0;
	c->tag = tag;
	memcpy(&c->firstline, obj + l->off.code_firstline, 4);
	c->name = intern_str(py, name, nn);
	c->file = intern_str(py, file, nf);
	if (!read_mem(p->pid, lt, head, l->bytes_data)) {
		memcpy(&size, head + l->bytes_size, 8);
		if (size && size <= MAX_LINETABLE && (c->lines = malloc(size))) {
			if (read_mem(p->pid, lt + l->bytes_data, c->lines, size)) {
				free(c->lines);
				c->lines = NULL;
			} else {
				c->nlines = size;
			}
		}
	}
	py->st.bytes += sizeof(*c) + c->nlines;
	p->bytes += sizeof(*c) + c->nlines;
	enforce_budget(py, p);
	return c;
}

/* The frame id of one Python frame of p; 0 when it cannot be named. */
static uint32_t name_frame(struct pr_python *py, struct proc *p, const struct pr_py_frame *f)
{
	struct code *c = code_of(py, p, f->code, f->tag);
	uint32_t instr = f->instr & PR_PY_INSTR, line;

	if (!c || !c->name)
		return 0;
	line = instr && c->lines ? pr_python_line(c->lines, c->nlines, c->firstline, instr - 1)
				 : c->firstline;
	return intern_frame(py, c->name, c->file, line ? line : c->firstline, PR_FRAME_PYTHON);
}

static bool is_eval(const struct proc *p, const struct pr_user_frame *u)
{
	return u->bin && u->bin == p->bin && u->foff >= p->eval_lo && u->foff < p->eval_hi;
}

/* Appends run g's named frames (and the marker of a cut chain after
 * the outermost one) to out. */
static uint32_t put_run(struct pr_python *py, const uint32_t *ids, const uint32_t *run_end,
			uint32_t g, uint32_t nruns, uint32_t flags, struct pr_user_frame *out,
			uint32_t n, uint32_t max)
{
	uint32_t k;

	for (k = g ? run_end[g - 1] : 0; k < run_end[g] && n < max; k++) {
		if (ids[k]) {
			out[n++] = (struct pr_user_frame){ .py = ids[k] };
			py->st.frames++;
		}
	}
	if (g == nruns - 1 && (flags & PR_PYF_CUT) && n < max)
		out[n++] = (struct pr_user_frame){ .py = py->cut_id };
	return n;
}

uint32_t pr_python_merge(struct pr_python *py, uint32_t pid, const struct pr_py_frame *pf,
			 uint32_t npf, uint32_t flags, const struct pr_user_frame *nat,
			 uint32_t nnat, struct pr_user_frame *out, uint32_t max)
{
	uint32_t run_end[PR_PY_MAX_FRAMES + 1], evals[PR_MAX_FRAMES], ids[PR_PY_MAX_FRAMES];
	uint32_t nruns = 0, nevals = 0, i, j, n = 0, g = 0, skip = 0;
	struct proc *p = find_proc(py, pid);
	bool inside = false;

	py->st.cut += !!(flags & PR_PYF_CUT);
	py->st.no_thread += !!(flags & PR_PYF_NO_THREAD);
	py->st.faults += !!(flags & PR_PYF_FAULT);
	if (npf > PR_PY_MAX_FRAMES)
		npf = PR_PY_MAX_FRAMES;
	if (!p || p->entry.state != PR_PY_PYTHON || !npf) {
		for (i = 0; i < nnat && n < max; i++)
			out[n++] = nat[i];
		return n;
	}
	p->seen = pr_mono_ns();
	py->st.stacks++;
	/* name every frame, and split them into the eval loop's runs: a run
	 * ends at the frame that entered the loop */
	for (i = 0; i < npf; i++) {
		ids[i] = name_frame(py, p, &pf[i]);
		py->st.unnamed += !ids[i];
		if (pf[i].instr & PR_PY_ENTRY)
			run_end[nruns++] = i + 1;
	}
	if (!nruns || run_end[nruns - 1] != npf)
		run_end[nruns++] = npf;
	for (i = 0; i < nnat; i++)
		if (is_eval(p, &nat[i]) && nevals < PR_MAX_FRAMES)
			evals[nevals++] = i;
	/* Runs pair with eval frames leaf first. A whole chain with more eval
	 * frames than runs pairs from the root: the extra leaf one is
	 * entering a frame not linked in yet. A chain cut short pairs from
	 * the leaf; runs left over go to the root end. */
	if (nevals > nruns && !(flags & (PR_PYF_CUT | PR_PYF_FAULT)))
		skip = nevals - nruns;
	if (nevals != nruns)
		py->st.unpaired++;
	for (i = 0, j = 0; i < nnat && n < max; i++) {
		bool eval = j < nevals && evals[j] == i;

		j += eval;
		if (!eval || j - 1 < skip || g == nruns) {
			/* between two runs the interpreter's own frames are its
			 * call machinery: left out; other code (an extension
			 * calling back into Python) stays */
			if (!(inside && nat[i].bin == p->bin))
				out[n++] = nat[i];
			continue;
		}
		n = put_run(py, ids, run_end, g, nruns, flags, out, n, max);
		g++;
		/* past the outermost run the native frames are the embedder's */
		inside = g < nruns;
	}
	for (; g < nruns && n < max; g++)
		n = put_run(py, ids, run_end, g, nruns, flags, out, n, max);
	return n;
}

int pr_python_frame(const struct pr_python *py, uint32_t id, const char **name,
		    const char **file, uint32_t *line)
{
	const struct pyframe *f;

	if (!py || !id || id >= py->nframes)
		return -ENOENT;
	f = &py->frames[id];
	*name = f->name;
	*file = f->file;
	*line = f->line;
	return f->kind;
}

/* Sum over the CPUs of slot k of the per-CPU timing map. */
static uint64_t cost_sum(int fd, uint32_t k)
{
	int i, n = libbpf_num_possible_cpus();
	uint64_t *v, sum = 0;

	if (n <= 0 || !(v = calloc(n, sizeof(*v))))
		return 0;
	if (!bpf_map_lookup_elem(fd, &k, v))
		for (i = 0; i < n; i++)
			sum += v[i];
	free(v);
	return sum;
}

void pr_python_stats(const struct pr_python *py, struct pr_python_stats *out)
{
	*out = py ? py->st : (struct pr_python_stats){ 0 };
	if (py) /* ids 0 (a native frame) and the cut marker are no function */
		out->functions = py->nframes - 2;
	if (py && py->o.cost_fd >= 0) {
		out->bpf_walk_ns = cost_sum(py->o.cost_fd, 0);
		out->bpf_walks = cost_sum(py->o.cost_fd, 1);
		out->bpf_walk_frames = cost_sum(py->o.cost_fd, 2);
	}
}
