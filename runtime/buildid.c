// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pr_ffi_elf_build_id: the GNU build-id of an ELF file, for Lua code that
 * labels binaries (profrun.pprof mappings). The file is untrusted: only
 * regular files are read, every note is checked against its section's
 * data before a byte of it is used, and the hex always fits the buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ffi.h"

#define BUILD_ID_MAX 64 /* bytes of note descriptor accepted */

static int note_build_id(Elf *elf, char *hex, uint32_t len)
{
	static const char digits[] = "0123456789abcdef";
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Nhdr nh;
	Elf_Data *data;
	size_t off, noff, doff, i;
	const unsigned char *d;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    !(data = elf_getdata(scn, NULL)) || !data->d_buf)
			continue;
		for (off = 0; (off = gelf_getnote(data, off, &nh, &noff, &doff)) > 0;) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 || nh.n_descsz == 0 ||
			    nh.n_descsz > BUILD_ID_MAX)
				continue;
			if (noff > data->d_size || data->d_size - noff < 4 || doff > data->d_size ||
			    data->d_size - doff < nh.n_descsz)
				continue;
			d = data->d_buf;
			if (memcmp(d + noff, "GNU", 4))
				continue;
			if ((size_t)len < 2 * (size_t)nh.n_descsz + 1)
				return -ENOSPC;
			for (i = 0; i < nh.n_descsz; i++) {
				hex[2 * i] = digits[d[doff + i] >> 4];
				hex[2 * i + 1] = digits[d[doff + i] & 15];
			}
			hex[2 * i] = '\0';
			return (int)(2 * i);
		}
	}
	return -ENOENT;
}

int pr_ffi_elf_build_id(const char *path, char *hex, uint32_t len)
{
	struct stat st;
	Elf *elf;
	int fd, r;

	if (!path || !hex || !len)
		return -EINVAL;
	hex[0] = '\0';
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOENT;
	/* O_NONBLOCK: a FIFO at that path must not hang the caller */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -ENOENT;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENOENT;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		close(fd);
		return -ENOENT;
	}
	r = elf_kind(elf) == ELF_K_ELF ? note_build_id(elf, hex, len) : -ENOENT;
	elf_end(elf);
	close(fd);
	return r;
}
