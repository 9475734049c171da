// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dlopen() and a table of symbols (dl.h). Every symbol is looked up
 * before any is stored, so a failed open leaves the caller's table as it
 * was. A handle opened twice is the same handle (dlopen counts), so
 * calling again after a success is harmless.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "dl.h"

int pr_dl_open(const char *soname, const char *package, const struct pr_dl_sym *syms, size_t n,
	       void *table, char *err, size_t errlen)
{
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!lib) {
		snprintf(err, errlen, "cannot load %s (%s); install %s", soname, dlerror(),
			 package);
		return -ENOENT;
	}
	for (i = 0; i < n; i++) {
		if (!dlsym(lib, syms[i].name)) {
			snprintf(err, errlen, "%s has no %s: too old", soname, syms[i].name);
			dlclose(lib);
			return -ENOENT;
		}
	}
	for (i = 0; i < n; i++) {
		void *f = dlsym(lib, syms[i].name);

		memcpy((char *)table + syms[i].off, &f, sizeof(f));
	}
	return 0;
}
