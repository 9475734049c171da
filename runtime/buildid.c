// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Notes are walked by hand, not with gelf_getnote, so every bound is ours
 * to check: a note header must fit, then its name and descriptor (each
 * padded to 4 bytes) must fit in what is left, with the sizes checked
 * before they are added (a hostile n_namesz near 4 GiB must not wrap).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "buildid.h"

struct note_hdr {
	uint32_t namesz, descsz, type;
};

#define GNU_BUILD_ID 3 /* NT_GNU_BUILD_ID */

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static int to_hex(const unsigned char *d, size_t n, char *hex, size_t hexlen)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (hexlen < 2 * n + 1)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[2 * n] = '\0';
	return (int)(2 * n);
}

int pr_buildid_from_notes(const void *data, size_t len, char *hex, size_t hexlen)
{
	const unsigned char *p = data;
	struct note_hdr h;
	size_t off = 0, left, name, desc;

	while (len - off >= sizeof(h)) {
		memcpy(&h, p + off, sizeof(h));
		off += sizeof(h);
		left = len - off;
		if (h.namesz > left || h.descsz > left)
			break; /* truncated: nothing after it can be trusted */
		name = pad4(h.namesz);
		desc = pad4(h.descsz);
		if (name > left || desc > left - name)
			break;
		if (h.type == GNU_BUILD_ID && h.namesz == 4 && !memcmp(p + off, "GNU", 4) &&
		    h.descsz > 0 && h.descsz <= PR_BUILDID_MAX)
			return to_hex(p + off + name, h.descsz, hex, hexlen);
		off += name + desc;
	}
	return -ENOENT;
}

int pr_buildid_from_elf(Elf *elf, char *hex, size_t hexlen)
{
	Elf_Scn *scn = NULL;
	Elf_Data *data;
	GElf_Shdr sh;
	int r;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    !(data = elf_getdata(scn, NULL)) || !data->d_buf)
			continue;
		r = pr_buildid_from_notes(data->d_buf, data->d_size, hex, hexlen);
		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}

int pr_buildid_from_path(const char *path, char *hex, size_t hexlen)
{
	struct stat st;
	Elf *elf;
	int fd, r;

	if (!path || !hex || !hexlen)
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
	r = elf_kind(elf) == ELF_K_ELF ? pr_buildid_from_elf(elf, hex, hexlen) : -ENOENT;
	elf_end(elf);
	close(fd);
	return r;
}
