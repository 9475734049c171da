/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The LuaJIT state: loading the user's script (the setup phase), the hook
 * registry, and every call into Lua, each protected, with the script's
 * file:line and a traceback on error. Owns the only lua_State.
 */
#ifndef PR_SCRIPT_H
#define PR_SCRIPT_H

#include <stdbool.h>
#include <stdint.h>
#include "rt.h"

struct pr_script;

/* Creates the Lua state and loads profrun's library. */
int pr_script_new(struct pr_rt *rt, struct pr_script **out);
/* Loads the script (path, or code when path is NULL) and runs its setup
 * phase with args as `arg`. Returns 0, or -EINVAL after printing why
 * (unreadable file, syntax error, error while setting up). */
int pr_script_setup(struct pr_script *s, const char *path, const char *code, char **args,
		    int nargs);
/* The hooks the script defined (enum pr_hook bits), valid after setup. */
uint32_t pr_script_hooks(const struct pr_script *s);
/* Hands the loop's current batch to the hooks. 0, or -ECANCELED when a
 * hook raised an error and the run must stop, -EINTR when interrupted. */
int pr_script_dispatch(struct pr_script *s);
/* Runs the every() callback with this index. Same returns as dispatch. */
int pr_script_timer(struct pr_script *s, int idx);
/* Runs on_end if the script defined it. */
int pr_script_end(struct pr_script *s);
/* True when Ctrl-C cut a running hook short. */
bool pr_script_interrupted(const struct pr_script *s);
void pr_script_free(struct pr_script *s);

#endif
