// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Symbols by name, of any type, and where a file offset is loaded: what
 * a reader of another program's data structures needs from its binary
 * (the Python interpreter's _PyRuntime, Py_Version). The function tables
 * of elfsym.c are by address and hold functions only; these look-ups are
 * rare (once per binary), so they read the file each time.
 */
#include <errno.h>
#include <string.h>
#include "elfsym_int.h"

static Elf *open_elf(struct pr_elfsym *b)
{
	Elf *elf;

	if (b->fd < 0)
		return NULL;
	elf = elf_begin(b->fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return NULL;
	}
	return elf;
}

/* Fills the names still missing from one symbol table; how many it found. */
static size_t find_in(Elf *elf, Elf64_Word type, const char *const *names, size_t n,
		      uint64_t *vaddr, uint64_t *size)
{
	Elf_Scn *scn;
	GElf_Shdr sh;
	Elf_Data *data;
	size_t i, j, count, found = 0;
	const char *nm;
	GElf_Sym s;

	scn = pr_elfsym_find_section(elf, type, NULL, &sh);
	if (!scn || !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
		return 0;
	count = data->d_size / sh.sh_entsize;
	for (i = 0; i < count; i++) {
		if (!gelf_getsym(data, i, &s) || s.st_shndx == SHN_UNDEF || !s.st_value)
			continue;
		nm = elf_strptr(elf, sh.sh_link, s.st_name);
		if (!nm || !*nm)
			continue;
		for (j = 0; j < n; j++) {
			if (!vaddr[j] && !strcmp(nm, names[j])) {
				vaddr[j] = s.st_value;
				size[j] = s.st_size;
				found++;
			}
		}
	}
	return found;
}

int pr_elfsym_symbols(struct pr_elfsym *b, const char *const *names, size_t n, uint64_t *vaddr,
		      uint64_t *size)
{
	Elf *elf = open_elf(b);
	size_t found;

	memset(vaddr, 0, n * sizeof(*vaddr));
	memset(size, 0, n * sizeof(*size));
	if (!elf)
		return -ENOEXEC;
	found = find_in(elf, SHT_DYNSYM, names, n, vaddr, size);
	if (found < n)
		found += find_in(elf, SHT_SYMTAB, names, n, vaddr, size);
	elf_end(elf);
	return found;
}

int pr_elfsym_vaddr_of(struct pr_elfsym *b, uint64_t foff, uint64_t *vaddr)
{
	Elf *elf = open_elf(b);
	size_t i, n = 0;
	GElf_Phdr ph;
	int err = -ENOENT;

	if (!elf)
		return -ENOEXEC;
	if (elf_getphdrnum(elf, &n))
		n = 0;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (foff >= ph.p_offset && foff - ph.p_offset < ph.p_filesz) {
			*vaddr = ph.p_vaddr + (foff - ph.p_offset);
			err = 0;
			break;
		}
	}
	elf_end(elf);
	return err;
}
