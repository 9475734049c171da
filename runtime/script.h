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
#include <signal.h>

struct pr_opts;

/* The -d deadline: a timer signal, so it can interrupt a running hook. */
#define PR_SIG_DEADLINE (SIGRTMIN + 1)

struct pr_script;

/* Creates the Lua state and loads profrun's library; ffi_ctx is what
 * Lua hands back to every pr_ffi_* call (the run context). */
int pr_script_new(const struct pr_opts *opts, void *ffi_ctx, struct pr_script **out);
/* Loads the script (path, or code when path is NULL) and runs its setup
 * phase with args as `arg`. Returns 0, or -EINVAL after printing why
 * (unreadable file, syntax error, error while setting up). */
int pr_script_setup(struct pr_script *s, const char *path, const char *code, char **args,
		    int nargs);
/* The hooks the script defined (enum pr_hook bits), valid after setup. */
uint32_t pr_script_hooks(const struct pr_script *s);
/* Setup's budget, in millions of Lua instructions (documented). */
#define PR_SCRIPT_SETUP_BUDGET 1000

/* What cut a call short (pr_script_cause). */
enum pr_script_cause {
	PR_SCRIPT_CAUSE_SIGNAL,	  /* SIGINT or SIGTERM */
	PR_SCRIPT_CAUSE_DEADLINE, /* the -d deadline (hooks and every() only) */
	PR_SCRIPT_CAUSE_BOUND,	  /* on_end's own time bound */
	PR_SCRIPT_CAUSE_DRAIN,	  /* the bound on handing out what was read after a stop */
};

/* Hands the loop's current batch to the hooks; hook(ctx) names the hook
 * that ran last, for messages. 0, or -ECANCELED when a hook raised an
 * error and the run must stop, -EINTR when a stop interrupted it. */
int pr_script_dispatch(struct pr_script *s, const char *(*hook)(void *ctx), void *ctx);
/* Runs the every() callback with this index. Same returns as dispatch. */
int pr_script_timer(struct pr_script *s, int idx);
/* Runs on_end if the script defined it (bounded after a stop by signal),
 * flushes stdout, then prints the end-of-run hook error summary. */
int pr_script_end(struct pr_script *s, bool bounded);
/* True when a stop cut a running hook short; pr_script_cause says which. */
bool pr_script_interrupted(const struct pr_script *s);
enum pr_script_cause pr_script_cause(const struct pr_script *s);
/* The loop read a stop signal: a copy of it arriving within 0.3 s
 * (timeout signals the PID and its group) is not a second Ctrl-C. */
void pr_script_note_signal(void);
/* The Lua heap in bytes and its cap (0: none). */
void pr_script_heap(const struct pr_script *s, uint64_t *used, uint64_t *limit);
/* From now on the deadline signal ends the drain after a stop, not -d. */
void pr_script_draining(void);
/* --keep-going: a protected hook raised msg (with its traceback); reported
 * by the same rules as every other error. */
void pr_script_hook_error(struct pr_script *s, const char *hook, const char *msg);
/* Hook errors so far. */
uint64_t pr_script_errors(const struct pr_script *s);
/* True while a stop (signal, deadline, bound) waits for Lua to return. */
bool pr_script_stop_pending(void);
/* True from an allocation refused at the cap until it is reported. */
bool pr_script_memory_hit(const struct pr_script *s);
void pr_script_free(struct pr_script *s);

#endif
