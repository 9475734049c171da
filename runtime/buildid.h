/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The GNU build-id of an ELF file, the one reader every caller uses
 * (debuginfo search, pprof labels). ELF files are untrusted: every note
 * header, name and descriptor is checked against the data that holds it
 * before a byte of it is read, and the hex always fits the buffer.
 */
#ifndef PR_BUILDID_H
#define PR_BUILDID_H

#include <stddef.h>
#include <stdint.h>
#include <libelf.h>

/* Bytes of build-id accepted (the longest in use are 20). */
#define PR_BUILDID_MAX 64
/* Room for the longest build-id as hex, NUL included. */
#define PR_BUILDID_HEX (2 * PR_BUILDID_MAX + 1)

/* The build-id in len bytes of SHT_NOTE data (4-byte aligned notes, in
 * the host's byte order), as lowercase hex in hex[hexlen]: its length,
 * -ENOENT when no valid GNU build-id note is there, -ENOSPC when hexlen
 * is too small. Reads nothing outside data[0..len). */
int pr_buildid_from_notes(const void *data, size_t len, char *hex, size_t hexlen);
/* The same over every SHT_NOTE section of elf. */
int pr_buildid_from_elf(Elf *elf, char *hex, size_t hexlen);
/* The same for the ELF file at path (regular files only; a FIFO or a
 * device is never opened for reading). */
int pr_buildid_from_path(const char *path, char *hex, size_t hexlen);

#endif
