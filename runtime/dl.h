/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Optional libraries opened at run time: a library that pulls dozens of
 * shared objects (libcurl, libdebuginfod) costs every profrun start its
 * relocations when linked, so the feature that needs it opens it first.
 * The caller keeps a table of function pointers, typed from the
 * library's own header, and names each entry here.
 */
#ifndef PR_DL_H
#define PR_DL_H

#include <stddef.h>

struct pr_dl_sym {
	const char *name; /* the symbol */
	size_t off;	  /* where its pointer goes in the caller's table */
};

/* An entry for field of the table type: PR_DL_SYM(typeof(tbl), fn, "lib_fn"). */
#define PR_DL_SYM(type, field, sym)                         \
	{                                                   \
		.name = (sym), .off = offsetof(type, field) \
	}

/* Opens soname and fills table with every symbol of syms[n], or none of
 * them. 0, or -ENOENT with why in err: soname is missing (the message
 * says to install package) or lacks a symbol (too old). The library
 * stays loaded for the life of the process: the pointers never dangle. */
int pr_dl_open(const char *soname, const char *package, const struct pr_dl_sym *syms, size_t n,
	       void *table, char *err, size_t errlen);

#endif
