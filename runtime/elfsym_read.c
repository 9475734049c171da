// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Function symbols out of one ELF file: the PT_LOAD segments that map
 * file offsets to link-time addresses, .symtab/.dynsym, MiniDebugInfo
 * (.gnu_debugdata, xz), the choice of the best source, and demangling
 * (libiberty) on first use. Every file may belong to another user: every
 * offset and size from it is checked against the data it points into.
 */
#include <errno.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libiberty/demangle.h>
#include "array.h"
#include "elfsym_int.h"

int pr_elfsym_cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* at one address: the sized symbol, then the public name first */
	if ((x->size != 0) != (y->size != 0))
		return x->size ? -1 : 1;
	return (x->rank > y->rank) - (x->rank < y->rank);
}

/* qsort over __GI_qsort, a global over a local alias, a weak in between */
static uint32_t rank_of(const GElf_Sym *s, const char *name)
{
	int bind = GELF_ST_BIND(s->st_info);
	uint32_t r = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 2 : 4;

	return r + (name[0] == '_' && name[1] == '_');
}

int pr_elfsym_read_segments(Elf *elf, struct pr_elfsym *b)
{
	size_t n, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n) || n > 4096)
		return -EINVAL;
	b->segs = calloc(n ? n : 1, sizeof(*b->segs));
	if (!b->segs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		b->segs[b->nsegs++] = (struct seg){ .off = ph.p_offset,
						    .vaddr = ph.p_vaddr,
						    .filesz = ph.p_filesz };
	}
	return 0;
}

Elf_Scn *pr_elfsym_find_section(Elf *elf, Elf64_Word type, const char *name, GElf_Shdr *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const char *nm;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || (type && sh.sh_type != type))
			continue;
		if (name && (!(nm = elf_strptr(elf, shstrndx, sh.sh_name)) || strcmp(nm, name)))
			continue;
		*out = sh;
		return scn;
	}
	return NULL;
}

static bool is_function(const GElf_Sym *s)
{
	int type = GELF_ST_TYPE(s->st_info);

	return (type == STT_FUNC || type == STT_GNU_IFUNC) && s->st_shndx != SHN_UNDEF &&
	       s->st_value != 0;
}

/* Appends the function symbols of one symbol table section. */
int pr_elfsym_add_symbols(Elf *elf, Elf64_Word type, struct pr_elfsym *b, size_t *cap)
{
	Elf_Scn *scn;
	GElf_Shdr sh;
	Elf_Data *data;
	size_t i, n;
	GElf_Sym s;
	const char *nm;
	struct sym *ns;
	uint32_t off;

	scn = pr_elfsym_find_section(elf, type, NULL, &sh);
	if (!scn || !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
		return 0;
	n = data->d_size / sh.sh_entsize;
	for (i = 0; i < n; i++) {
		if (!gelf_getsym(data, i, &s) || !is_function(&s))
			continue;
		nm = elf_strptr(elf, sh.sh_link, s.st_name);
		if (!nm || !*nm)
			continue;
		if (b->nsyms == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			ns = realloc(b->syms, *cap * sizeof(*ns));
			if (!ns)
				return -ENOMEM;
			b->syms = ns;
		}
		if (pr_strpool_add(&b->names, nm, strlen(nm), &off))
			return -ENOMEM;
		b->syms[b->nsyms++] = (struct sym){
			.addr = s.st_value, .size = s.st_size, .name = off, .rank = rank_of(&s, nm)
		};
	}
	return 0;
}

size_t pr_elfsym_count_functions(Elf *elf, Elf64_Word type)
{
	Elf_Scn *scn;
	GElf_Shdr sh;
	Elf_Data *data;
	size_t i, n, k = 0;
	GElf_Sym s;

	scn = pr_elfsym_find_section(elf, type, NULL, &sh);
	if (!scn || !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
		return 0;
	n = data->d_size / sh.sh_entsize;
	for (i = 0; i < n; i++)
		if (gelf_getsym(data, i, &s) && is_function(&s))
			k++;
	return k;
}

/* .gnu_debugdata: an xz stream holding a small ELF with a .symtab. */
static int read_minidebuginfo(Elf *elf, struct pr_elfsym *b, size_t *cap)
{
	uint64_t memlimit = MINIDEBUG_MAX;
	size_t in_pos = 0, out_pos = 0, out_cap;
	GElf_Shdr sh;
	Elf_Scn *scn = pr_elfsym_find_section(elf, SHT_PROGBITS, ".gnu_debugdata", &sh);
	Elf_Data *data;
	uint8_t *out;
	Elf *inner;
	int err = 0;

	if (!scn || !(data = elf_getdata(scn, NULL)) || !data->d_buf || !data->d_size)
		return 0;
	out_cap = data->d_size * 8 < MINIDEBUG_MAX ? data->d_size * 8 : MINIDEBUG_MAX;
	for (;;) {
		lzma_ret r;

		out = malloc(out_cap);
		if (!out)
			return -ENOMEM;
		in_pos = out_pos = 0;
		r = lzma_stream_buffer_decode(&memlimit, 0, NULL, data->d_buf, &in_pos,
					      data->d_size, out, &out_pos, out_cap);
		if (r == LZMA_OK)
			break;
		free(out);
		if (r != LZMA_BUF_ERROR || out_cap >= MINIDEBUG_MAX)
			return 0; /* corrupt or too large: no names from here */
		out_cap = out_cap * 4 < MINIDEBUG_MAX ? out_cap * 4 : MINIDEBUG_MAX;
	}
	inner = elf_memory((char *)out, out_pos);
	if (inner && elf_kind(inner) == ELF_K_ELF)
		err = pr_elfsym_add_symbols(inner, SHT_SYMTAB, b, cap);
	elf_end(inner);
	free(out);
	return err;
}

int pr_elfsym_read_symbols(Elf *elf, struct pr_elfsym *b)
{
	struct elf_file dbg;
	size_t cap = 0, before;
	int err;

	b->source = pr_elfsym_find_debuginfo(b, elf, &dbg);
	if (b->source != SRC_NONE) {
		err = pr_elfsym_add_symbols(dbg.elf, SHT_SYMTAB, b, &cap);
		pr_elfsym_close_elf(&dbg);
		return err;
	}
	if (pr_elfsym_count_functions(elf, SHT_SYMTAB)) {
		b->source = SRC_SYMTAB;
		return pr_elfsym_add_symbols(elf, SHT_SYMTAB, b, &cap);
	}
	err = read_minidebuginfo(elf, b, &cap);
	before = b->nsyms;
	err = err ?: pr_elfsym_add_symbols(elf, SHT_DYNSYM, b, &cap);
	if (before)
		b->source = SRC_MINIDEBUG;
	else if (b->nsyms)
		b->source = SRC_DYNSYM;
	return err;
}

/* Demangles on first use; keeps the result for the table's lifetime. */
char *pr_elfsym_demangle(const char *name)
{
	char *d = NULL;

	if (name[0] == '_' && (name[1] == 'Z' || name[1] == 'R')) {
		d = rust_demangle(name, DMGL_PARAMS | DMGL_ANSI);
		if (!d && name[1] == 'Z')
			d = cplus_demangle_v3(name, DMGL_PARAMS | DMGL_ANSI);
	}
	return d;
}

uint32_t pr_elfsym_keep_name(struct pr_elfsym *b, char *s)
{
	char **nd = realloc(b->demangled, (b->ndemangled + 1) * sizeof(*nd));

	if (!nd) {
		free(s);
		return 0;
	}
	b->demangled = nd;
	b->demangled[b->ndemangled++] = s;
	return b->ndemangled;
}

const char *pr_elfsym_display_name(struct pr_elfsym *b, struct sym *s)
{
	const char *raw = b->names.buf + s->name, *at, *name = raw;
	char *d, *base = NULL;

	if (s->demangled == UINT32_MAX)
		return raw;
	if (s->demangled)
		return b->demangled[s->demangled - 1];
	/* a .symtab names versioned definitions "memcpy@@GLIBC_2.14": users
	 * know the function, not the version */
	at = strchr(raw, '@');
	if (at && at != raw && (base = strndup(raw, at - raw)))
		name = base;
	d = pr_elfsym_demangle(name);
	if (d)
		free(base);
	else
		d = base;
	s->demangled = d ? pr_elfsym_keep_name(b, d) : 0;
	if (!s->demangled) {
		s->demangled = UINT32_MAX;
		return raw;
	}
	return d;
}
