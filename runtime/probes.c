// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probe("u:BINARY:SYMBOL", fn): the binary found (probespec.c), the
 * symbol or glob matched against its functions (demangled names, as
 * stacks show them), each match one attachment at its file offset.
 * probe("k:FUNC", fn): FUNC or a glob matched against /proc/kallsyms. A
 * spec that names nothing, or too much, is an error that says so, with
 * the nearest names when a symbol is not there.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <linux/types.h>
#include "array.h"
#include "elfsym.h"
#include "events.h"
#include "probes.h"
#include "probespec.h"

struct match {
	const char *pattern;
	bool glob;
	bool nearest; /* a second walk, for the names nearest a missing one */
	struct found {
		uint64_t foff;
		char *name;
	} *found; /* the matches, in the binary's order */
	uint32_t n, cap;
	/* the nearest names, for "no such symbol" */
	char near[3][PR_PROBE_FIELD];
	unsigned near_d[3];
};

/* Edit distance, bounded: names are compared by their first 64 bytes. */
static unsigned distance(const char *a, const char *b)
{
	unsigned row[65], i, j, la = strnlen(a, 64), lb = strnlen(b, 64), prev, cur;

	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			if (a[i - 1] == b[j - 1]) {
				row[j] = prev;
			} else {
				unsigned best = prev < row[j] ? prev : row[j];

				row[j] = 1 + (best < row[j - 1] ? best : row[j - 1]);
			}
			prev = cur;
		}
	}
	return row[lb];
}

static void note_near(struct match *m, const char *name)
{
	unsigned d = distance(m->pattern, name), i, k;

	for (i = 0; i < 3; i++)
		if (!m->near[i][0] || d < m->near_d[i])
			break;
	if (i == 3)
		return;
	for (k = 2; k > i; k--) {
		memcpy(m->near[k], m->near[k - 1], sizeof(m->near[k]));
		m->near_d[k] = m->near_d[k - 1];
	}
	snprintf(m->near[i], sizeof(m->near[i]), "%s", name);
	m->near_d[i] = d;
}

/* " (nearest: a, b, c)" after the at bytes of err already written */
static void add_nearest(const struct match *m, char *err, size_t errlen, size_t at)
{
	size_t i;

	for (i = 0; i < 3 && m->near[i][0] && at < errlen; i++)
		at += snprintf(err + at, errlen - at, "%s%s", i ? ", " : " (nearest: ", m->near[i]);
	if (i && at < errlen)
		snprintf(err + at, errlen - at, ")");
}

static int on_function(void *ctx, const char *name, uint64_t foff, uint64_t size)
{
	struct match *m = ctx;
	struct found *f;
	uint32_t i;

	(void)size;
	if (m->nearest) {
		note_near(m, name);
		return 0;
	}
	if (m->glob ? fnmatch(m->pattern, name, 0) : strcmp(m->pattern, name))
		return 0;
	/* aliases (open, open64, __open) are one function: one attachment,
	 * named by the shortest, or each hit would count twice */
	for (i = 0; i < m->n; i++) {
		f = &m->found[i];
		if (f->foff != foff)
			continue;
		if (strlen(name) < strlen(f->name)) {
			char *d = strdup(name);

			if (!d)
				return -ENOMEM;
			free(f->name);
			f->name = d;
		}
		return 0;
	}
	if (pr_array_reserve((void **)&m->found, &m->cap, m->n + 1, sizeof(*m->found)))
		return -ENOMEM;
	f = &m->found[m->n];
	f->name = strdup(name);
	if (!f->name)
		return -ENOMEM;
	f->foff = foff;
	m->n++;
	/* one past the cap is enough to say it is too many */
	return m->n > PR_PROBE_MAX_MATCHES ? 1 : 0;
}

/* Where a probe's attachments go, and what each of them gets. */
struct sink {
	struct pr_probe_attach **v;
	size_t *n;
	uint32_t index;
	const struct pr_probe_config *conf;
};

static void free_attach(struct pr_probe_attach *a)
{
	free(a->path);
	free(a->func);
	free(a->event);
	free(a->provider);
	free(a->fields);
}

/* One attachment of match number match (func), on the program of
 * bpf/probe.bpf.c named prog; stamp: a return probe's entry half. */
static int add(struct sink *k, const char *prog, const char *path, uint64_t foff, uint32_t match,
	       const char *func, bool stamp)
{
	struct pr_probe_attach *nv = realloc(*k->v, (*k->n + 1) * sizeof(**k->v));

	if (!nv)
		return -ENOMEM;
	*k->v = nv;
	nv[*k->n] = (struct pr_probe_attach){
		.prog = prog,
		.path = strdup(path),
		.func = strdup(func),
		.foff = foff,
		.cookie = k->index | match << PR_PROBE_COOKIE_MATCH_SHIFT |
			  (stamp ? PR_PROBE_COOKIE_STAMP : 0),
		.pid = k->conf->pid ? (int32_t)k->conf->pid : -1,
		.conf = *k->conf,
	};
	if (!nv[*k->n].path || !nv[*k->n].func) {
		free_attach(&nv[*k->n]);
		return -ENOMEM;
	}
	(*k->n)++;
	return 0;
}

/* A function entry, or a return with its entry's stamp first; count_only
 * needs no durations, so no stamps. */
static int add_function(struct sink *k, bool ret, const char *enter, const char *leave,
			const char *path, uint64_t foff, uint32_t match, const char *func)
{
	if (!ret)
		return add(k, enter, path, foff, match, func, false);
	if (!(k->conf->flags & PR_PROBE_CFG_COUNT)) {
		int r = add(k, enter, path, foff, match, func, true);

		if (r)
			return r;
	}
	return add(k, leave, path, foff, match, func, false);
}

/* k:/kr: the kernel's functions from /proc/kallsyms (text symbols). */
static int resolve_kernel(const char *spec, const struct pr_probe_spec *s, struct sink *k,
			  char *err, size_t errlen)
{
	struct match m = { .pattern = s->symbol, .glob = pr_probe_is_glob(s->symbol) };
	char line[512], name[PR_PROBE_FIELD], type;
	size_t first = *k->n, i, at;
	int r = 0, hits = 0;
	FILE *f;

	/* libbpf attaches kprobes through the kprobe PMU, or tracefs's
	 * kprobe_events on old kernels: a kernel built without kprobes has
	 * neither (fentry programs are no way around it there: a kernel that
	 * lacks kprobes usually refuses them too) */
	if (access("/sys/bus/event_source/devices/kprobe/type", R_OK) &&
	    access("/sys/kernel/tracing/kprobe_events", F_OK) &&
	    access("/sys/kernel/debug/tracing/kprobe_events", F_OK)) {
		snprintf(err, errlen,
			 "probe '%s': this kernel has no kprobes (no kprobe PMU, no "
			 "kprobe_events): k: and kr: probes cannot attach here",
			 spec);
		return -EOPNOTSUPP;
	}
	f = fopen("/proc/kallsyms", "re");
	if (!f) {
		snprintf(err, errlen, "probe '%s': cannot read /proc/kallsyms", spec);
		return -ENOENT;
	}
	while (!r && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %c %255s", &type, name) != 2 || (type != 't' && type != 'T'))
			continue;
		if (m.glob ? fnmatch(m.pattern, name, 0) : strcmp(m.pattern, name))
			continue;
		/* a name kallsyms lists twice (static functions) is one probe */
		for (i = first; i < *k->n; i++)
			if (!strcmp((*k->v)[i].path, name))
				break;
		if (i < *k->n)
			continue;
		if (++hits > PR_PROBE_MAX_MATCHES) {
			snprintf(err, errlen,
				 "probe '%s': the glob matches more than %d kernel functions: narrow it",
				 spec, PR_PROBE_MAX_MATCHES);
			r = -E2BIG;
			break;
		}
		r = add_function(k, s->kind == PR_PROBE_KRETPROBE, "pr_probe_kenter",
				 "pr_probe_kreturn", name, s->offset, hits - 1, name);
	}
	if (!r && !hits && !m.glob) {
		/* the names nearest the missing one: a second read, only now */
		rewind(f);
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%*s %c %255s", &type, name) == 2 &&
			    (type == 't' || type == 'T'))
				note_near(&m, name);
	}
	fclose(f);
	if (!r && !hits && m.glob) {
		snprintf(err, errlen, "probe '%s': the glob matches no kernel function", spec);
		r = -ENOENT;
	} else if (!r && !hits) {
		at = snprintf(err, errlen, "probe '%s': no kernel function %s", spec, s->symbol);
		add_nearest(&m, err, errlen, at);
		r = -ENOENT;
	}
	return r;
}

/* tracefs, mounted if it is not (tracepoint ids and formats live there) */
static const char *tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char p[128];
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/events", dirs[i]);
		if (!access(p, F_OK))
			return dirs[i];
	}
	if (!mount("nodev", dirs[0], "tracefs", 0, NULL))
		return dirs[0];
	return NULL;
}

/* One "field:TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;" line of a format
 * file into f: 0, or -1 for a line that is not a field (or a common_ one). */
static int parse_field(const char *line, struct pr_tp_field *f, char *type, size_t tlen)
{
	const char *decl = strstr(line, "field:"), *semi, *name;
	unsigned off, size, sgn;
	const char *o = strstr(line, "offset:");
	size_t dl, nl;

	if (!decl || !o || sscanf(o, "offset:%u;\tsize:%u;\tsigned:%u;", &off, &size, &sgn) != 3)
		return -1;
	decl += 6;
	semi = strchr(decl, ';');
	if (!semi)
		return -1;
	dl = semi - decl;
	/* the name is the last word; an array's [N] follows it */
	name = decl + dl;
	while (name > decl && name[-1] != ' ' && name[-1] != '*')
		name--;
	nl = decl + dl - name;
	if (!nl || nl >= sizeof(f->name) || !strncmp(name, "common_", 7))
		return -1;
	memset(f, 0, sizeof(*f));
	memcpy(f->name, name, nl);
	f->name[strcspn(f->name, "[")] = 0;
	f->offset = off;
	f->size = size;
	f->is_signed = sgn;
	snprintf(type, tlen, "%.*s", (int)(name - decl), decl);
	if (strchr(name, '[') && strstr(type, "char") && !strstr(type, "__data_loc"))
		f->kind = PR_TP_FIELD_CHARS;
	return 0;
}

/* t:CATEGORY:NAME: its id must exist; its format says what to copy */
static int resolve_tracepoint(const char *spec, const struct pr_probe_spec *s, struct sink *k,
			      char *err, size_t errlen)
{
	const char *root = tracefs();
	struct pr_tp_field *fields = NULL, f;
	struct pr_tp_config c = { 0 };
	char path[1024], line[512], type[256], func[2 * PR_PROBE_FIELD + 2];
	uint32_t nf = 0, nstr = 0, end = 0;
	FILE *fp;
	int r;

	if (!root) {
		snprintf(err, errlen, "probe '%s': tracefs is not mounted and cannot be "
			 "(mount -t tracefs nodev /sys/kernel/tracing)", spec);
		return -ENOENT;
	}
	if (strchr(s->provider, '/') || strchr(s->name, '/') || s->provider[0] == '.' ||
	    s->name[0] == '.') {
		snprintf(err, errlen, "probe '%s': not a tracepoint name", spec);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", root, s->provider, s->name);
	fp = fopen(path, "re");
	if (!fp) {
		snprintf(path, sizeof(path), "%s/events/%s", root, s->provider);
		snprintf(err, errlen, "probe '%s': no tracepoint %s:%s%s", spec, s->provider, s->name,
			 access(path, F_OK) ? " (no such category; see " "events/ in tracefs)" :
					      " in that category");
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), fp)) {
		struct pr_tp_field *nfields;

		if (parse_field(line, &f, type, sizeof(type)))
			continue;
		if (f.offset + f.size > end)
			end = f.offset + f.size;
		if (nstr < PR_TP_NSTR && (strstr(type, "__data_loc") || strstr(type, "char *") ||
					  strstr(type, "char*"))) {
			f.kind = PR_TP_FIELD_STRING;
			f.slot = nstr;
			c.kind[nstr] = strstr(type, "__data_loc") ? PR_TP_STR_DATALOC :
				       !strcmp(s->provider, "syscalls") ? PR_TP_STR_USER :
									  PR_TP_STR_KERNEL;
			c.off[nstr++] = f.offset;
		}
		nfields = realloc(fields, (nf + 1) * sizeof(*fields));
		if (!nfields) {
			fclose(fp);
			free(fields);
			return -ENOMEM;
		}
		fields = nfields;
		fields[nf++] = f;
	}
	fclose(fp);
	c.size = end > PR_TP_RAW ? PR_TP_RAW : end;
	snprintf(func, sizeof(func), "%s:%s", s->provider, s->name);
	r = add(k, "pr_probe_tp", s->provider, 0, 0, func, false);
	if (!r) {
		struct pr_probe_attach *a = &(*k->v)[*k->n - 1];

		a->event = strdup(s->name);
		a->tp = c;
		a->fields = fields;
		a->nfields = nf;
		if (!a->event)
			r = -ENOMEM;
	} else {
		free(fields);
	}
	return r;
}

/* The USDT probes of a binary's .note.stapsdt: calls fn(ctx, provider,
 * name) for each until it returns non-zero; -ENOENT without such notes. */
static int each_usdt(const char *path, int (*fn)(void *ctx, const char *prov, const char *name),
		     void *ctx)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = -ENOENT;
	Elf_Scn *scn = NULL;
	Elf *elf;

	if (fd < 0)
		return -ENOENT;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		GElf_Nhdr nh;
		Elf_Data *d;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			const char *desc = (const char *)d->d_buf + doff, *prov, *name;
			size_t len = nh.n_descsz, at = 24; /* pc, base, semaphore */

			if (nh.n_type != 3 || nh.n_namesz != 8 ||
			    memcmp((const char *)d->d_buf + noff, "stapsdt", 8) || len <= at)
				continue;
			if (r == -ENOENT)
				r = 0;
			prov = desc + at;
			if (!memchr(prov, 0, len - at))
				continue;
			name = prov + strlen(prov) + 1;
			if (name >= desc + len || !memchr(name, 0, desc + len - name))
				continue;
			if (fn(ctx, prov, name)) {
				r = 1;
				goto out;
			}
		}
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return r;
}

struct usdt_find {
	const char *prov, *name;
	char some[256]; /* a few of the binary's probes, for the message */
	size_t at;
};

static int usdt_is(void *ctx, const char *prov, const char *name)
{
	struct usdt_find *f = ctx;

	if (!strcmp(prov, f->prov) && !strcmp(name, f->name))
		return 1;
	if (f->at < sizeof(f->some) - 1 && !strstr(f->some, name))
		f->at += snprintf(f->some + f->at, sizeof(f->some) - f->at, "%s%s:%s",
				  f->at ? ", " : "", prov, name);
	return 0;
}

static int resolve_usdt(const char *spec, const struct pr_probe_spec *s, pid_t pid,
			struct sink *k, char *err, size_t errlen)
{
	struct usdt_find f = { .prov = s->provider, .name = s->name };
	char path[4096], why[512], func[2 * PR_PROBE_FIELD + 2];
	struct pr_probe_attach *a;
	int r;

	if (pr_probe_find_binary(s->binary, pid, NULL, path, sizeof(path), why, sizeof(why))) {
		snprintf(err, errlen, "probe '%s': %s", spec, why);
		return -ENOENT;
	}
	r = each_usdt(path, usdt_is, &f);
	if (r == -ENOENT) {
		snprintf(err, errlen, "probe '%s': %s is not a USDT binary (no .note.stapsdt)", spec,
			 path);
		return -ENOENT;
	}
	if (r != 1) {
		snprintf(err, errlen, "probe '%s': %s has no USDT probe %s:%s (it has: %s)", spec,
			 path, s->provider, s->name, f.some);
		return -ENOENT;
	}
	snprintf(func, sizeof(func), "%s:%s", s->provider, s->name);
	r = add(k, "pr_probe_usdt", path, 0, 0, func, false);
	if (r)
		return r;
	a = &(*k->v)[*k->n - 1];
	a->provider = strdup(s->provider);
	a->event = strdup(s->name);
	return a->provider && a->event ? 0 : -ENOMEM;
}

/* What a spec kind cannot do with conf's options; NULL: all fine. */
static const char *refused_option(const struct pr_probe_spec *s,
				  const struct pr_probe_config *conf)
{
	if (conf->str_arg[0] && s->kind != PR_PROBE_UPROBE && s->kind != PR_PROBE_USDT)
		return "strings are for u: and usdt: probes' arguments";
	if (s->kind == PR_PROBE_TRACEPOINT && (conf->flags || conf->sample > 1))
		return "stack, count_only and sample are for u:, ur:, usdt:, k: and kr: probes";
	return NULL;
}

int pr_probes_resolve(const char *spec, pid_t pid, uint32_t index,
		      const struct pr_probe_config *conf, struct pr_elfsyms *syms,
		      struct pr_probe_attach **v, size_t *n, char *err, size_t errlen)
{
	struct sink k = { .v = v, .n = n, .index = index, .conf = conf };
	struct pr_probe_spec s;
	struct match m = { 0 };
	struct pr_elfsyms *t = NULL;
	struct pr_elfsym *b;
	char path[4096], why[512];
	const char *no;
	size_t i;
	int r;

	r = pr_probe_spec_parse(spec, &s, err, errlen);
	if (r)
		return r;
	if (index >= PR_PROBE_MAX) {
		snprintf(err, errlen, "probe '%s': more than %d probe() calls", spec, PR_PROBE_MAX);
		return -E2BIG;
	}
	no = refused_option(&s, conf);
	if (no) {
		snprintf(err, errlen, "probe '%s': %s", spec, no);
		return -EINVAL;
	}
	if (conf->pid)
		pid = conf->pid;
	if (s.kind == PR_PROBE_USDT)
		return resolve_usdt(spec, &s, pid, &k, err, errlen);
	if (s.kind == PR_PROBE_KPROBE || s.kind == PR_PROBE_KRETPROBE)
		return resolve_kernel(spec, &s, &k, err, errlen);
	if (s.kind == PR_PROBE_TRACEPOINT)
		return resolve_tracepoint(spec, &s, &k, err, errlen);
	if (pr_probe_find_binary(s.binary, pid, NULL, path, sizeof(path), why, sizeof(why))) {
		snprintf(err, errlen, "probe '%s': %s", spec, why);
		return -ENOENT;
	}
	if (!syms) {
		r = pr_elfsyms_new(&t);
		if (r)
			return r;
	}
	b = pr_elfsym_lookup_path(syms ?: t, path);
	if (!b) {
		snprintf(err, errlen, "probe '%s': %s has no symbols to find %s in", spec, path,
			 s.symbol);
		r = -ENOENT;
		goto out;
	}
	m.pattern = s.symbol;
	m.glob = pr_probe_is_glob(s.symbol);
	r = pr_elfsym_each_function(b, on_function, &m);
	if (r < 0)
		goto out;
	r = 0;
	if (m.n > PR_PROBE_MAX_MATCHES) {
		snprintf(err, errlen,
			 "probe '%s': the glob matches more than %d functions of %s: narrow it", spec,
			 PR_PROBE_MAX_MATCHES, path);
		r = -E2BIG;
	} else if (!m.n && m.glob) {
		snprintf(err, errlen, "probe '%s': the glob matches no function of %s", spec, path);
		r = -ENOENT;
	} else if (!m.n) {
		/* the edit distances cost more than the walk: only for an error */
		m.nearest = true;
		pr_elfsym_each_function(b, on_function, &m);
		add_nearest(&m, err, errlen,
			    snprintf(err, errlen, "probe '%s': no function %s in %s", spec, s.symbol,
				     path));
		r = -ENOENT;
	}
	for (i = 0; !r && i < m.n; i++)
		r = add_function(&k, s.kind == PR_PROBE_URETPROBE, "pr_probe_enter",
				 "pr_probe_return", path, m.found[i].foff + s.offset, i, m.found[i].name);
out:
	for (i = 0; i < m.n; i++)
		free(m.found[i].name);
	free(m.found);
	pr_elfsyms_free(t);
	return r;
}

void pr_probes_free(struct pr_probe_attach *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free_attach(&v[i]);
	free(v);
}
