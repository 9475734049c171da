// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unwind tables from an ELF file: its .eh_frame (or, failing that, the
 * .debug_frame of the file or of its separate debuginfo), with the
 * executable segments that map vaddrs to file offsets.
 */
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "cfi.h"

static bool section(Elf *elf, const char *name, struct pr_cfi_section *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const char *nm;
	GElf_Shdr sh;
	Elf_Data *d;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !(nm = elf_strptr(elf, shstrndx, sh.sh_name)) || strcmp(nm, name))
			continue;
		/* debuginfo packages compress .debug_frame */
		if ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
			return false;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || !d->d_size)
			return false;
		*out = (struct pr_cfi_section){ .data = d->d_buf,
						.size = d->d_size,
						.vaddr = sh.sh_addr,
						.debug_frame = name[1] == 'd' };
		return true;
	}
	return false;
}

static int exec_segments(Elf *elf, struct pr_cfi_seg **out, size_t *n)
{
	size_t count, i;
	GElf_Phdr ph;

	*out = NULL;
	*n = 0;
	if (elf_getphdrnum(elf, &count) || count > 4096)
		return -EINVAL;
	*out = calloc(count ? count : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		(*out)[(*n)++] = (struct pr_cfi_seg){ .vaddr = ph.p_vaddr,
						      .off = ph.p_offset,
						      .size = ph.p_filesz };
	}
	return 0;
}

int pr_cfi_build_elf(Elf *elf, Elf *debug, struct pr_cfi_table *out,
		     struct pr_cfi_build_stats *st)
{
	static const char *const names[] = { ".eh_frame", ".debug_frame" };
	struct pr_cfi_section sec;
	struct pr_cfi_seg *segs;
	size_t nsegs, i;
	int err;

	out->rows = NULL;
	out->n = 0;
	err = exec_segments(elf, &segs, &nsegs);
	if (err)
		return err;
	if (nsegs == 0) {
		free(segs);
		return 0; /* nothing executable: nothing to unwind */
	}
	/* the binary's own .eh_frame, its .debug_frame, then the debuginfo's */
	for (i = 0; i < 3 && out->n == 0; i++) {
		if (!section(i < 2 ? elf : debug, names[i == 0 ? 0 : 1], &sec))
			continue;
		err = pr_cfi_build(&sec, segs, nsegs, out, st);
		if (err == -ENOMEM)
			break;
		err = 0;
	}
	free(segs);
	return err;
}

int pr_cfi_functions_elf(Elf *elf, struct pr_cfi_func **out, size_t *n)
{
	static const char *const names[] = { ".eh_frame", ".debug_frame" };
	struct pr_cfi_section sec;
	struct pr_cfi_seg *segs;
	size_t nsegs, i;
	int err;

	*out = NULL;
	*n = 0;
	err = exec_segments(elf, &segs, &nsegs);
	for (i = 0; !err && nsegs && i < 2 && *n == 0; i++) {
		if (!section(elf, names[i], &sec))
			continue;
		free(*out);
		err = pr_cfi_functions(&sec, segs, nsegs, out, n);
		if (err != -ENOMEM)
			err = 0;
	}
	free(segs);
	return err;
}
