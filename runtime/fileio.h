/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small file helpers shared by the modules that write caches. */
#ifndef PR_FILEIO_H
#define PR_FILEIO_H

#include <stddef.h>

/* All of data[len] written to fd (short writes and EINTR resumed): 0, or
 * -errno (-EIO when write made no progress). */
int pr_write_all(int fd, const void *data, size_t len);

#endif
