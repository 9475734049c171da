// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One lua_State per run. The Lua side of the API lives in lua/profrun
 * (linked in as bytecode); this file boots it, runs the user's script once
 * (setup), then calls three Lua functions held as registry refs: dispatch
 * (a batch of events), timer (an every() callback) and finish (on_end).
 *
 * Every call into Lua goes through call(): a traceback handler sits below
 * the function, errors are turned into text with __tostring, and the
 * stop-or-keep-going policy is applied in one place.
 *
 * Stops. Signals are blocked (the loop reads them through signalfd)
 * except while Lua runs. What a stop signal does depends on the phase:
 *  - setup and hooks: SIGINT/SIGTERM (and, in hooks, the -d deadline's
 *    signal) stop the dispatcher at its next record, and give the running
 *    call 0.1 s to return; then a count hook raises "interrupted" at the
 *    next instruction the interpreter runs. LuaJIT never runs hooks inside
 *    compiled traces, so a hook stuck in `while true do end` ignores it: a
 *    watchdog alarm, or a stop signal that a person sends a second time,
 *    then ends the process with _exit. Setup runs with the JIT off (see
 *    init.lua), so a loop at the top level is always interruptible, and
 *    an instruction budget ends it by itself.
 *  - on_end: stop signals are counted, not fatal: the first is noted, the
 *    next interrupts on_end, and so does a bound of END_SECONDS after a
 *    stop by signal. What on_end wrote is flushed either way.
 * A signal within DUP_NS (0.3 s) of the previous one is the same stop sent twice
 * (`timeout` signals the PID and then its process group) and only counted.
 * The kernel detaches every BPF link and program when their fds close with
 * the process, so nothing is left behind even after _exit.
 *
 * Memory: the state's allocator counts the Lua heap and fails allocations
 * past --max-memory; the failing call is reported as "script memory limit
 * reached" and the cap is raised by a reserve so on_end can still run.
 */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <luajit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "opts.h"
#include "script.h"
#include "trust.h"

#define WATCHDOG_SECONDS 2
#define GRACE_US 100000
#define END_SECONDS 10
#define DUP_NS 300000000ll
#define SETUP_STEP 1000000 /* instructions between budget checks */
#define DEFAULT_MAX_MEMORY (512ull << 20)
#define MIN_RESERVE (16ull << 20)

enum { REF_DISPATCH, REF_TIMER, REF_FINISH, REF_FINISH_SETUP, REF_MAX };

#define SHOWN_ERRORS 3 /* --keep-going: errors printed in full; the rest counted */
#define ERROR_KINDS 16

struct hook_errors {
	char name[24]; /* on_sample, every(), ... */
	uint64_t n;
};

enum phase { PH_NONE, PH_SETUP, PH_HOOK, PH_END };

struct heap {
	lua_Alloc alloc; /* LuaJIT's own allocator, which does the work */
	void *alloc_ud;
	size_t used;
	size_t limit; /* 0: none */
	bool hit;     /* an allocation failed at the limit */
};

struct pr_script {
	lua_State *L;
	const struct pr_opts *opts;
	void *ffi_ctx; /* what Lua hands back to every pr_ffi_* call */
	bool end_bounded; /* a signal stopped the run: on_end gets END_SECONDS */
	int refs[REF_MAX];
	uint32_t hooks;
	bool interrupted;
	enum pr_script_cause cause; /* what interrupted the last call */
	struct heap heap;
	const char *(*namer)(void *ctx); /* names the hook a dispatch ran, for messages */
	void *namer_ctx;
	struct hook_errors errors[ERROR_KINDS]; /* per hook, in the order first seen */
	uint64_t nerrors;
};

/* The signal handler cannot be given a context: these are the only
 * globals, and only the handler, the count hooks and call() touch them. */
static lua_State *sig_L;
static volatile sig_atomic_t in_lua, phase, stopping, requested, cause, end_signals;
static volatile sig_atomic_t setup_steps;
static volatile sig_atomic_t timer_cause = PR_SCRIPT_CAUSE_DEADLINE;
static int64_t last_signal_ns;

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void say(const char *msg)
{
	if (write(STDERR_FILENO, msg, strlen(msg)) < 0) {
		/* nothing left to report it to */
	}
}

static void hard_exit(void)
{
	static const char *const msgs[] = {
		[PH_NONE] = "profrun: exiting now\n",
		[PH_SETUP] = "profrun: setup did not stop (a loop in JIT-compiled code); exiting now, "
			     "nothing was loaded\n",
		[PH_HOOK] = "profrun: the running hook did not stop (a loop in JIT-compiled code); "
			    "exiting now, on_end skipped\n",
		[PH_END] = "profrun: on_end did not stop (a loop in JIT-compiled code); exiting now\n",
	};

	say(msgs[phase]);
	/* Best effort: the loop we cut short may itself be inside stdio,
	 * but what a hook or on_end wrote so far is worth the risk. */
	if (phase != PH_SETUP)
		fflush(stdout);
	_exit(phase == PH_SETUP ? PR_EXIT_USAGE : PR_EXIT_RUNTIME);
}

static void stop_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	lua_sethook(L, NULL, 0, 0);
	luaL_error(L, "interrupted");
}

/* Asks the running Lua code to stop at its next interpreted instruction,
 * and arms the watchdog for code that never gets there. */
static void stop_lua(enum pr_script_cause c)
{
	cause = c;
	stopping = 1;
	lua_sethook(sig_L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
	alarm(WATCHDOG_SECONDS);
}

/* A stop in setup or a hook: the dispatcher stops at its next record at
 * once (pr_script_stop_pending), and the running call gets GRACE_US to
 * return by itself before it is interrupted, so a quick hook or timer that
 * happens to run at the deadline is not cut short. */
static void request_stop(enum pr_script_cause c)
{
	struct itimerval grace = { .it_value = { .tv_usec = GRACE_US } };

	if (stopping || requested)
		return;
	cause = c;
	requested = 1;
	setitimer(ITIMER_REAL, &grace, NULL);
}

/* True when this stop signal repeats the previous one (within DUP_NS). */
static bool duplicate_signal(void)
{
	int64_t now = mono_ns();
	bool dup = last_signal_ns && now - last_signal_ns < DUP_NS;

	last_signal_ns = now;
	return dup;
}

static void on_end_signal(void)
{
	if (duplicate_signal())
		return;
	if (stopping)
		hard_exit();
	if (end_signals++ == 0) {
		say("profrun: on_end is running; it ends by itself, or now at one more Ctrl-C\n");
		return;
	}
	stop_lua(PR_SCRIPT_CAUSE_SIGNAL);
}

static void on_alarm(void)
{
	if (!in_lua)
		return;
	if (stopping)
		hard_exit();
	if (requested) {
		stop_lua(cause);
		return;
	}
	if (phase == PH_END) {
		say("profrun: on_end ran for 10 s after a stop signal; interrupting it\n");
		stop_lua(PR_SCRIPT_CAUSE_BOUND);
	}
}

static void on_signal(int sig)
{
	if (sig == SIGALRM) {
		on_alarm();
		return;
	}
	if (!in_lua)
		return;
	if (phase == PH_END) {
		on_end_signal();
		return;
	}
	if (sig == PR_SIG_DEADLINE) {
		request_stop(timer_cause);
		return;
	}
	if (duplicate_signal())
		return;
	if (stopping || requested)
		hard_exit(); /* asked again: the hook ignored the first */
	request_stop(PR_SCRIPT_CAUSE_SIGNAL);
}

static void install_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int sigs[] = { SIGINT, SIGTERM, SIGALRM, PR_SIG_DEADLINE };
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* The deadline may cut setup and hooks short, never on_end. */
static void unblock_signals(bool on, enum phase ph)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGALRM);
	if (ph == PH_HOOK || !on)
		sigaddset(&set, PR_SIG_DEADLINE);
	sigprocmask(on ? SIG_UNBLOCK : SIG_BLOCK, &set, NULL);
}

void pr_script_note_signal(void)
{
	duplicate_signal();
}

/* Setup's instruction budget: a top-level loop ends by itself, naming
 * its line. */
static void budget_hook(lua_State *L, lua_Debug *ar)
{
	if (++setup_steps <= PR_SCRIPT_SETUP_BUDGET)
		return;
	lua_sethook(L, NULL, 0, 0);
	lua_getinfo(L, "Sl", ar);
	lua_pushfstring(L,
			"%s:%d: setup ran more than %d million Lua instructions (a loop at the "
			"top level?); the top level should only set options and define hooks: "
			"do the work in hooks, every() or on_end",
			ar->short_src, ar->currentline, PR_SCRIPT_SETUP_BUDGET);
	lua_error(L);
}

/* Wraps LuaJIT's allocator (faster than malloc for Lua's small blocks,
 * by a third on a table-heavy hook) and counts what it holds. */
static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct heap *h = ud;
	size_t old = ptr ? osize : 0;
	void *p;

	if (nsize > old && h->limit && h->used - old + nsize > h->limit) {
		h->hit = true;
		return NULL;
	}
	p = h->alloc(h->alloc_ud, ptr, osize, nsize);
	if (p || nsize == 0)
		h->used = h->used - old + nsize;
	return p;
}

static lua_State *new_state(struct heap *h)
{
	lua_State *L = luaL_newstate();

	if (!L)
		return NULL;
	h->alloc = lua_getallocf(L, &h->alloc_ud);
	h->used = (size_t)lua_gc(L, LUA_GCCOUNT, 0) * 1024 + lua_gc(L, LUA_GCCOUNTB, 0);
	lua_setallocf(L, counting_alloc, h);
	return L;
}

/* C frames and profrun's own library frames say nothing about the
 * user's mistake. */
static bool internal_frame(const char *line, size_t len)
{
	static const char *const marks[] = { "[C]:", "[builtin", "lua/profrun/" };
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (memmem(line, len, marks[i], strlen(marks[i])))
			return true;
	return false;
}

/* A traceback left with no frame is just noise. */
static void drop_empty_traceback(lua_State *L)
{
	static const char tail[] = "\nstack traceback:";
	size_t len, tl = sizeof(tail) - 1;
	const char *s = lua_tolstring(L, -1, &len);

	while (len && s[len - 1] == '\n')
		len--;
	if (len >= tl && !memcmp(s + len - tl, tail, tl)) {
		lua_pushlstring(L, s, len - tl);
		lua_remove(L, -2);
	}
}

/* Message handler: error value -> "msg\ntraceback" without C frames. */
static int traceback(lua_State *L)
{
	const char *msg, *line, *nl;
	bool in_trace = false;
	luaL_Buffer b;

	/* stack: err */
	if (!lua_isstring(L, 1) && !luaL_callmeta(L, 1, "__tostring"))
		lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	else if (!lua_isstring(L, 1) || lua_type(L, 1) == LUA_TNUMBER)
		lua_pushstring(L, lua_tostring(L, -1));
	else
		lua_pushvalue(L, 1);
	/* stack: err, msg */
	luaL_traceback(L, L, lua_tostring(L, -1), 1);
	/* stack: err, msg, trace */
	msg = lua_tostring(L, -1);
	luaL_buffinit(L, &b);
	for (line = msg; *line; line = nl + (*nl != '\0')) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		/* the message itself stays, even when a library module raised it */
		if (!strncmp(line, "stack traceback:", 16))
			in_trace = true;
		if (!in_trace || !internal_frame(line, nl - line))
			luaL_addlstring(&b, line, nl - line + (*nl == '\n'));
	}
	luaL_pushresult(&b);
	/* stack: err, msg, trace, filtered */
	drop_empty_traceback(L);
	return 1;
}

static const char *const cause_text[] = {
	[PR_SCRIPT_CAUSE_SIGNAL] = "interrupted inside",
	[PR_SCRIPT_CAUSE_DEADLINE] = "the -d deadline interrupted",
	[PR_SCRIPT_CAUSE_BOUND] = "the 10 s bound interrupted",
	[PR_SCRIPT_CAUSE_DRAIN] = "after the stop, the 0.5 s for events already read ran out in",
};

/* The one place a hook's error is reported: in full for the first
 * SHOWN_ERRORS (one stops the run without --keep-going), then only
 * counted per hook for the end-of-run line. */
static void report_error(struct pr_script *s, const char *what, const char *msg)
{
	struct hook_errors *e = s->errors;
	size_t len = msg ? strlen(msg) : 0;
	int i;

	for (i = 0; i < ERROR_KINDS - 1 && e[i].name[0] && strcmp(e[i].name, what); i++)
		;
	if (!e[i].name[0])
		snprintf(e[i].name, sizeof(e[i].name), "%s", what);
	e[i].n++;

	if (++s->nerrors > SHOWN_ERRORS)
		return;
	while (len && msg[len - 1] == '\n')
		len--;
	pr_err("error in %s: %.*s", what, (int)len, msg ? msg : "");
	if (s->nerrors == SHOWN_ERRORS && s->opts->keep_going)
		pr_warn("--keep-going: further hook errors are counted, not shown; the totals "
			"come at the end");
}

void pr_script_hook_error(struct pr_script *s, const char *hook, const char *msg)
{
	report_error(s, hook, msg);
}

uint64_t pr_script_errors(const struct pr_script *s)
{
	return s->nerrors;
}

/* The end-of-run line for --keep-going: errors per hook. */
static void report_error_totals(const struct pr_script *s)
{
	char line[512];
	size_t off = 0;
	int i;

	if (!s->opts->keep_going || !s->nerrors)
		return;
	line[0] = '\0';
	for (i = 0; i < ERROR_KINDS && s->errors[i].name[0] && off < sizeof(line); i++)
		off += snprintf(line + off, sizeof(line) - off, "%s%s %llu", i ? ", " : "",
				s->errors[i].name, (unsigned long long)s->errors[i].n);
	pr_warn("%llu hook error%s (--keep-going): %s", (unsigned long long)s->nerrors,
		s->nerrors == 1 ? "" : "s", line);
}

/* The cap grows by a reserve once it is hit, so on_end can still run. */
static void report_memory(struct pr_script *s, const char *what)
{
	size_t reserve = s->heap.limit / 8;

	pr_err("script memory limit reached in %s: the Lua heap holds %zu MiB, the cap is %zu MiB; "
	       "keep less in tables (aggregate, or write out), or raise --max-memory",
	       what, s->heap.used >> 20, s->heap.limit >> 20);
	if (reserve < MIN_RESERVE)
		reserve = MIN_RESERVE;
	s->heap.limit += reserve;
	s->heap.hit = false;
}

/* An error the call raised, or the memory cap it hit. */
static void report_failure(struct pr_script *s, int status, const char *what)
{
	if (s->heap.hit || status == LUA_ERRMEM)
		report_memory(s, what);
	else
		report_error(s, what, lua_tostring(s->L, -1));
}

/* Calls the function below nargs arguments in phase ph. what names it in
 * messages (name(ctx), when given, names it better once it ran). Returns
 * 0, -EINTR (a stop cut it short: pr_script_cause says which) or
 * -ECANCELED (it raised an error, or the memory cap was hit). */
static int call(struct pr_script *s, int nargs, int nres, enum phase ph, const char *what,
		bool may_continue)
{
	lua_State *L = s->L;
	int base = lua_gettop(L) - nargs, status;
	bool memory;

	lua_pushcfunction(L, traceback);
	lua_insert(L, base);
	/* stack: traceback, fn, args... */
	stopping = 0;
	requested = 0;
	end_signals = 0;
	phase = ph;
	in_lua = 1;
	if (ph == PH_END && s->end_bounded)
		alarm(END_SECONDS);
	unblock_signals(true, ph);
	status = lua_pcall(L, nargs, nres, base);
	unblock_signals(false, ph);
	in_lua = 0;
	alarm(0);
	lua_sethook(L, NULL, 0, 0);
	lua_remove(L, base);
	memory = status && (s->heap.hit || status == LUA_ERRMEM);
	if (status && s->namer)
		what = s->namer(s->namer_ctx);
	if (stopping && status && !memory)
		pr_warn("%s %s", cause_text[cause], what); /* its error is the interrupt */
	else if (status)
		report_failure(s, status, what);
	if (status)
		lua_pop(L, 1);
	/* A stop is a stop whatever the call did: interrupted, returning
	 * as it came, or raising an error of its own (--keep-going would
	 * otherwise carry on past it). The handler consumed its signal. */
	if ((stopping || requested) && ph != PH_END && !memory) {
		s->interrupted = true;
		s->cause = cause;
		return -EINTR;
	}
	if (stopping && ph == PH_END) {
		s->interrupted = true;
		s->cause = cause;
		return -EINTR;
	}
	if (!status || (may_continue && s->opts->keep_going && !memory))
		return 0;
	return -ECANCELED;
}

/* Lua bootstrap: a require that searches only PROFRUN_LUA_PATH (when set,
 * first), profrun's own library linked into this binary, the script's
 * directory, and the installed library directory (where sites may add
 * modules; the linked-in ones always win). LUA_PATH, LUA_CPATH and
 * LUA_INIT are never consulted. Every module file found is passed to
 * trust (trust_module below) before it is loaded: a module others can
 * write is code others choose, run as us. */
static const char bootstrap[] =
	"local devpath, luadir, scriptdir, trust = ...\n"
	"package.cpath = ''\n"
	"package.path = (scriptdir and (scriptdir .. '/?.lua;' .. scriptdir .. '/?/init.lua;') or '')\n"
	"  .. luadir .. '/?.lua;' .. luadir .. '/?/init.lua'\n"
	"local loaders = package.loaders\n"
	"for i = #loaders, 2, -1 do loaders[i] = nil end\n"
	"local function searcher(path)\n"
	"  return function(name)\n"
	"    local f, err = package.searchpath(name, path())\n"
	"    if not f then return err end\n"
	"    trust(f)\n"
	"    return assert(loadfile(f))\n"
	"  end\n"
	"end\n"
	"loaders[2] = searcher(function() return package.path end)\n"
	"package.profrun_trust = trust -- for --restricted's own module loader\n"
	"if devpath and devpath ~= '' then\n"
	"  table.insert(loaders, 1, searcher(function() return devpath end))\n"
	"end\n";

/* 0 if path is safe or allow (--allow-unsafe-script, then with a warning);
 * else -EPERM and msg says why and how to fix it. */
static int trust_file(bool allow, const char *what, const char *path, char *msg, size_t len)
{
	char why[1024];

	if (!pr_trust_check_path(path, pr_trust_invoker(), why, sizeof(why)))
		return 0;
	if (allow) {
		pr_warn("running unsafe %s '%s' (--allow-unsafe-script): %s", what, path, why);
		return 0;
	}
	snprintf(msg, len, "refusing to run %s '%s': %s (or, at your own risk, run with "
		 "--allow-unsafe-script)", what, path, why);
	return -EPERM;
}

/* trust(path) for the bootstrap's searchers; upvalue 1: allow. */
static int trust_module(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	char msg[1400];

	if (!trust_file(lua_toboolean(L, lua_upvalueindex(1)), "module", path, msg, sizeof(msg)))
		return 0;
	lua_pushstring(L, msg); /* no position: the bootstrap's line says nothing */
	return lua_error(L);
}

/* The library functions C calls, as registry refs. Expects M on top. */
static void take_refs(struct pr_script *s)
{
	static const char *const names[REF_MAX] = { "dispatch", "timer", "finish",
						    "finish_setup" };
	lua_State *L = s->L;
	int i;

	for (i = 0; i < REF_MAX; i++) {
		lua_getfield(L, -1, names[i]);
		s->refs[i] = lua_isfunction(L, -1) ? luaL_ref(L, LUA_REGISTRYINDEX) : LUA_NOREF;
		if (s->refs[i] == LUA_NOREF)
			lua_pop(L, 1);
	}
}

static int open_libs(lua_State *L)
{
	luaL_openlibs(L);
	return 0;
}

/* Runs the bootstrap: package.path and the searchers. */
static int run_bootstrap(struct pr_script *s, const char *scriptdir)
{
	lua_State *L = s->L;

	if (luaL_loadbuffer(L, bootstrap, sizeof(bootstrap) - 1, "=profrun bootstrap")) {
		report_error(s, "profrun's bootstrap", lua_tostring(L, -1));
		lua_pop(L, 1);
		return -EINVAL;
	}
	lua_pushstring(L, getenv("PROFRUN_LUA_PATH"));
	lua_pushstring(L, PROFRUN_LUADIR);
	if (scriptdir)
		lua_pushstring(L, scriptdir);
	else
		lua_pushnil(L);
	lua_pushboolean(L, s->opts->allow_unsafe_script);
	lua_pushcclosure(L, trust_module, 1);
	/* stack: bootstrap, devpath, luadir, scriptdir, trust */
	return call(s, 4, 0, PH_SETUP, "profrun's bootstrap", false);
}

/* require "profrun", then M.start(rt, options..., traceback): the same
 * traceback handler then serves --keep-going's protected hooks. */
static int start_library(struct pr_script *s)
{
	const struct pr_opts *o = s->opts;
	lua_State *L = s->L;
	int err;

	lua_getglobal(L, "require");
	lua_pushliteral(L, "profrun");
	err = call(s, 1, 1, PH_SETUP, "require \"profrun\"", false);
	if (err)
		return err;
	/* stack: M */
	lua_getfield(L, -1, "start");
	lua_pushlightuserdata(L, s->ffi_ctx);
	lua_pushboolean(L, o->keep_going);
	lua_pushboolean(L, o->restricted);
	lua_pushstring(L, o->write_dir);
	lua_pushstring(L, o->script);
	lua_pushcfunction(L, traceback);
	/* stack: M, start, rt, keep_going, restricted, write_dir, script, traceback */
	err = call(s, 6, 0, PH_SETUP, "profrun's Lua library", false);
	if (!err)
		take_refs(s);
	lua_pop(L, 1);
	return err;
}

int pr_script_new(const struct pr_opts *opts, void *ffi_ctx, struct pr_script **out)
{
	struct pr_script *s = calloc(1, sizeof(*s));
	int i;

	if (!s)
		return -ENOMEM;
	s->opts = opts;
	s->ffi_ctx = ffi_ctx;
	for (i = 0; i < REF_MAX; i++)
		s->refs[i] = LUA_NOREF;
	s->heap.limit = opts->unlimited_memory ? 0
			: opts->max_memory	   ? opts->max_memory
						   : DEFAULT_MAX_MEMORY;
	s->L = new_state(&s->heap);
	if (!s->L) {
		free(s);
		return -ENOMEM;
	}
	sig_L = s->L;
	install_handlers();
	*out = s;
	return 0;
}

static int load_chunk(struct pr_script *s, const char *path, const char *code)
{
	lua_State *L = s->L;
	char msg[1400];
	struct stat st;
	int r;

	if (path && (stat(path, &st) || access(path, R_OK))) {
		pr_err("cannot read script '%s': %s", path, strerror(errno));
		return -EINVAL;
	}
	/* luaL_loadfile's own message for a directory can show a freed name */
	if (path && !S_ISREG(st.st_mode)) {
		pr_err("cannot read script '%s': not a regular file", path);
		return -EINVAL;
	}
	if (path && trust_file(s->opts->allow_unsafe_script, "script", path, msg,
			       sizeof(msg))) {
		pr_err("%s", msg);
		return -EINVAL;
	}
	r = path ? luaL_loadfile(L, path) : luaL_loadbuffer(L, code, strlen(code), "=(-e)");
	if (r) {
		pr_err("%s%s", r == LUA_ERRSYNTAX ? "syntax error: " : "", lua_tostring(L, -1));
		lua_pop(L, 1);
		return -EINVAL;
	}
	return 0;
}

static void push_args(lua_State *L, const char *arg0, char **args, int nargs)
{
	int i;

	lua_createtable(L, nargs, 1);
	lua_pushstring(L, arg0);
	lua_rawseti(L, -2, 0);
	for (i = 0; i < nargs; i++) {
		lua_pushstring(L, args[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setglobal(L, "arg");
}

static char *dir_of(const char *path)
{
	char *d = strdup(path ? path : ".");
	char *slash;

	if (!d)
		return NULL;
	slash = strrchr(d, '/');
	if (!slash)
		strcpy(d, ".");
	else if (slash == d)
		d[1] = '\0';
	else
		*slash = '\0';
	return d;
}

/* Every step goes through call(), like any other call into Lua: one
 * traceback, one error report, the same stop rules. */
static int boot_state(struct pr_script *s, const char *path)
{
	char *dir = path ? dir_of(path) : NULL;
	int err;

	if (path && !dir)
		return -ENOMEM;
	lua_pushcfunction(s->L, open_libs);
	err = call(s, 0, 0, PH_SETUP, "the Lua standard library", false);
	err = err ?: run_bootstrap(s, dir);
	err = err ?: start_library(s);
	free(dir);
	return err ? -EINVAL : 0;
}

/* Expects the script's main chunk on the stack (it is consumed): the
 * Lua side looks in it for what the hooks alone do not say. */
static int finish_setup(struct pr_script *s)
{
	lua_State *L = s->L;
	int err;

	/* stack: chunk */
	lua_rawgeti(L, LUA_REGISTRYINDEX, s->refs[REF_FINISH_SETUP]);
	lua_insert(L, -2);
	/* stack: finish_setup, chunk */
	err = call(s, 1, 1, PH_SETUP, "setup", false);
	if (err)
		return -EINVAL;
	s->hooks = lua_tointeger(L, -1);
	lua_pop(L, 1);
	return 0;
}

int pr_script_setup(struct pr_script *s, const char *path, const char *code, char **args, int nargs)
{
	int err;

	err = boot_state(s, path);
	err = err ?: load_chunk(s, path, code);
	if (err)
		return err;
	/* stack: chunk */
	lua_pushvalue(s->L, -1);
	push_args(s->L, path ? path : "-e", args, nargs);
	/* stack: chunk, chunk */
	setup_steps = 0;
	lua_sethook(s->L, budget_hook, LUA_MASKCOUNT, SETUP_STEP);
	err = call(s, 0, 0, PH_SETUP, "setup (the script's top level)", false);
	if (err) {
		lua_pop(s->L, 1);
		return -EINVAL;
	}
	return finish_setup(s);
}

uint32_t pr_script_hooks(const struct pr_script *s)
{
	return s->hooks;
}

static int call_ref(struct pr_script *s, int ref, int nargs, enum phase ph, const char *what)
{
	lua_State *L = s->L;

	lua_rawgeti(L, LUA_REGISTRYINDEX, s->refs[ref]);
	if (nargs)
		lua_insert(L, -1 - nargs);
	return call(s, nargs, 0, ph, what, true);
}

int pr_script_dispatch(struct pr_script *s, const char *(*hook)(void *ctx), void *ctx)
{
	int err;

	s->namer = hook;
	s->namer_ctx = ctx;
	err = call_ref(s, REF_DISPATCH, 0, PH_HOOK, "a hook");
	s->namer = NULL;
	/* stdout may be a pipe: what a hook printed is due now, not at exit */
	fflush(stdout);
	return err;
}

int pr_script_timer(struct pr_script *s, int idx)
{
	int err;

	lua_pushinteger(s->L, idx);
	err = call_ref(s, REF_TIMER, 1, PH_HOOK, "an every() callback");
	/* stdout may be a pipe: what a timer printed is due now, not at exit */
	fflush(stdout);
	return err;
}

int pr_script_end(struct pr_script *s, bool bounded)
{
	int err;

	s->end_bounded = bounded;
	err = call_ref(s, REF_FINISH, 0, PH_END, "on_end");

	fflush(stdout);
	report_error_totals(s);
	return err;
}

bool pr_script_interrupted(const struct pr_script *s)
{
	return s->interrupted;
}

enum pr_script_cause pr_script_cause(const struct pr_script *s)
{
	return s->cause;
}

void pr_script_heap(const struct pr_script *s, uint64_t *used, uint64_t *limit)
{
	*used = s->heap.used;
	*limit = s->heap.limit;
}

void pr_script_draining(void)
{
	timer_cause = PR_SCRIPT_CAUSE_DRAIN;
}

bool pr_script_stop_pending(void)
{
	return stopping || requested;
}

bool pr_script_memory_hit(const struct pr_script *s)
{
	return s->heap.hit;
}

void pr_script_free(struct pr_script *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < REF_MAX; i++) {
		luaL_unref(s->L, LUA_REGISTRYINDEX, s->refs[i]);
		s->refs[i] = LUA_NOREF;
	}
	lua_close(s->L);
	sig_L = NULL;
	free(s);
}
