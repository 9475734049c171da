// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Separate debuginfo: DEBUG_DIR/.build-id/xx/rest.debug by the binary's
 * build-id, else .gnu_debuglink's name next to the binary, in .debug/ and
 * under DEBUG_DIR; a file is used only when it has function symbols and,
 * when both have one, the same build-id (no file is ever hashed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "buildid.h"
#include "elfsym_int.h"

/* .gnu_debuglink: a NUL-terminated file name (the CRC after it is not
 * checked: files are never hashed; the build-id check covers mismatches). */
static bool debuglink(Elf *elf, char *name, size_t len)
{
	GElf_Shdr sh;
	Elf_Scn *scn = pr_elfsym_find_section(elf, SHT_PROGBITS, ".gnu_debuglink", &sh);
	Elf_Data *data;
	size_t n;

	if (!scn || !(data = elf_getdata(scn, NULL)) || !data->d_buf || data->d_size < 2)
		return false;
	n = strnlen(data->d_buf, data->d_size);
	if (n == 0 || n == data->d_size || n >= len || memchr(data->d_buf, '/', n))
		return false;
	memcpy(name, data->d_buf, n);
	name[n] = '\0';
	return true;
}


static bool open_elf(const char *path, struct elf_file *f)
{
	struct stat st;

	/* a debuglink names a file beside the binary: whoever owns that
	 * directory may have put a FIFO there */
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	f->elf = NULL;
	if (f->fd < 0)
		return false;
	if (fstat(f->fd, &st) || !S_ISREG(st.st_mode)) {
		close(f->fd);
		return false;
	}
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (f->elf && elf_kind(f->elf) == ELF_K_ELF)
		return true;
	elf_end(f->elf);
	close(f->fd);
	return false;
}

void pr_elfsym_close_elf(struct elf_file *f)
{
	elf_end(f->elf);
	close(f->fd);
}

/* A separate debuginfo file with a .symtab (and, when the binary has a
 * build-id, the same build-id). */
bool pr_elfsym_open_debuginfo(const char *path, const char *want_id, struct elf_file *f)
{
	char id[PR_BUILDID_HEX] = "";

	if (!open_elf(path, f))
		return false;
	if (pr_elfsym_count_functions(f->elf, SHT_SYMTAB) &&
	    (!*want_id || (pr_buildid_from_elf(f->elf, id, sizeof(id)) > 0 && !strcmp(id, want_id))))
		return true;
	pr_elfsym_close_elf(f);
	return false;
}

/* The debuginfod servers' copy, when asked before and fetched by now;
 * else the question is asked (never waited for: the worker fetches it
 * and b is read again when the answer is there, see elfsym.c). A binary
 * with DWARF of its own asks for nothing. */
static enum source from_debuginfod(struct pr_elfsym *b, Elf *elf, const char *id,
				   struct elf_file *f)
{
	struct pr_debuginfod *di = b->table->debuginfod;
	const char *path;
	GElf_Shdr sh;
	int state;

	if (!di || strlen(id) < 2 || pr_elfsym_find_section(elf, SHT_PROGBITS, ".debug_info", &sh))
		return SRC_NONE;
	snprintf(b->build_id, sizeof(b->build_id), "%s", id);
	state = pr_debuginfod_find(di, id, &path);
	b->di_pending = state == PR_DI_PENDING;
	b->di_generation = pr_debuginfod_generation(di);
	if (state == PR_DI_FOUND && pr_elfsym_open_debuginfo(path, id, f))
		return SRC_DEBUGINFOD;
	return SRC_NONE;
}

enum source pr_elfsym_find_debuginfo(struct pr_elfsym *b, Elf *elf, struct elf_file *f)
{
	char id[PR_BUILDID_HEX] = "", link[256], path[4096], dir[4096], *slash;
	const char *dd = b->table->debug_dir;

	/* two hex digits make the directory, the rest the file name */
	if (pr_buildid_from_elf(elf, id, sizeof(id)) > 2) {
		snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", dd, id, id + 2);
		if (pr_elfsym_open_debuginfo(path, id, f))
			return SRC_DEBUGINFO;
	}
	if (!debuglink(elf, link, sizeof(link)))
		return from_debuginfod(b, elf, id, f);
	snprintf(dir, sizeof(dir), "%s", b->name);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	/* gdb's search order: next to the binary, .debug/ beside it, the
	 * global debug directory */
	snprintf(path, sizeof(path), "%s/%s", dir, link);
	if (strcmp(path, b->name) && pr_elfsym_open_debuginfo(path, id, f))
		return SRC_DEBUGLINK;
	snprintf(path, sizeof(path), "%s/.debug/%s", dir, link);
	if (pr_elfsym_open_debuginfo(path, id, f))
		return SRC_DEBUGLINK;
	snprintf(path, sizeof(path), "%s%s/%s", dd, dir, link);
	if (pr_elfsym_open_debuginfo(path, id, f))
		return SRC_DEBUGLINK;
	return from_debuginfod(b, elf, id, f);
}
