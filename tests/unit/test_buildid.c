// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The build-id reader on hand-made note sections: each buffer is malloc'd
 * at exactly its size, so under the sanitizer build a read past a note
 * that claims more than the section holds is a crash, not a pass.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "buildid.h"
#include "harness.h"

/* Appends one note to buf at *len: header, name padded, desc padded. */
static void note(uint8_t *buf, size_t *len, uint32_t namesz, uint32_t descsz, uint32_t type,
		 const char *name, const uint8_t *desc, size_t real_desc)
{
	uint32_t h[3] = { namesz, descsz, type };
	size_t n = strlen(name) + 1;

	memcpy(buf + *len, h, sizeof(h));
	*len += sizeof(h);
	memcpy(buf + *len, name, n);
	*len += (n + 3) & ~(size_t)3;
	memcpy(buf + *len, desc, real_desc);
	*len += (real_desc + 3) & ~(size_t)3;
}

/* pr_buildid_from_notes over an exact-size copy of buf[0..len). */
static int read_exact(const uint8_t *buf, size_t len, char *hex, size_t hexlen)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, buf, len);
	r = pr_buildid_from_notes(copy, len, hex, hexlen);
	free(copy);
	return r;
}

void test_buildid_notes(void)
{
	static const uint8_t id[20] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6,
					7,    8,    9,    10,   11, 12, 13, 14, 15, 0xff };
	uint8_t buf[512];
	char hex[PR_BUILDID_HEX];
	size_t len = 0;

	/* an ABI tag first, then the build-id */
	note(buf, &len, 4, 16, 1, "GNU", id, 16);
	note(buf, &len, 4, 20, 3, "GNU", id, 20);
	ASSERT_EQ(read_exact(buf, len, hex, sizeof(hex)), 40, "found after another note");
	ASSERT_STREQ(hex, "deadbeef0102030405060708090a0b0c0d0e0fff", "as lowercase hex");
	ASSERT_EQ(read_exact(buf, len, hex, 40), -ENOSPC, "hex buffer one byte short");
	ASSERT_EQ(read_exact(buf, len - 1, hex, sizeof(hex)), -ENOENT, "section cut short");

	len = 0;
	note(buf, &len, 4, 0x7ffffff0, 3, "GNU", id, 20);
	ASSERT_EQ(read_exact(buf, len, hex, sizeof(hex)), -ENOENT, "desc past the end");
	len = 0;
	note(buf, &len, 0xfffffffc, 20, 3, "GNU", id, 20);
	ASSERT_EQ(read_exact(buf, len, hex, sizeof(hex)), -ENOENT, "name size that would wrap");
	len = 0;
	note(buf, &len, 4, 0, 3, "GNU", id, 0);
	ASSERT_EQ(read_exact(buf, len, hex, sizeof(hex)), -ENOENT, "empty build-id");
	len = 0;
	note(buf, &len, 4, 20, 3, "GNX", id, 20);
	ASSERT_EQ(read_exact(buf, len, hex, sizeof(hex)), -ENOENT, "not a GNU note");
	len = 0;
	note(buf, &len, 4, 65, 3, "GNU", buf + 256, 65);
	ASSERT_EQ(read_exact(buf, len, hex, sizeof(hex)), -ENOENT, "longer than any build-id");
	ASSERT_EQ(read_exact(buf, 0, hex, sizeof(hex)), -ENOENT, "no notes");
	ASSERT_EQ(read_exact(buf, 11, hex, sizeof(hex)), -ENOENT, "less than a header");
}

void test_buildid_path(void)
{
	char dir[] = "/tmp/pr-buildid.XXXXXX", fifo[64], hex[PR_BUILDID_HEX];

	ASSERT_EQ(pr_buildid_from_path("/proc/self/exe", hex, sizeof(hex)), 40,
		  "this test binary has a 20-byte build-id");
	ASSERT_EQ(pr_buildid_from_path("/nonexistent", hex, sizeof(hex)), -ENOENT, "no file");
	if (!ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp"))
		return;
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	if (ASSERT_OK(mkfifo(fifo, 0600), "mkfifo"))
		ASSERT_EQ(pr_buildid_from_path(fifo, hex, sizeof(hex)), -ENOENT,
			  "a FIFO is not opened for reading");
	unlink(fifo);
	rmdir(dir);
}
