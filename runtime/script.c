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
 * Ctrl-C during a hook: signals are blocked (the loop reads them through
 * signalfd) except while Lua runs. A SIGINT that lands in Lua installs a
 * count hook that raises "interrupted" at the next instruction the
 * interpreter runs. LuaJIT never runs hooks inside compiled traces, so a
 * hook stuck in `while true do end` ignores it: a watchdog alarm (or a
 * second Ctrl-C) then ends the process with _exit. The kernel detaches
 * every BPF link and program when their fds close with the process, so
 * nothing is left behind even then.
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
#include <unistd.h>
#include "log.h"
#include "opts.h"
#include "script.h"
#include "trust.h"

#define WATCHDOG_SECONDS 2

enum { REF_DISPATCH, REF_TIMER, REF_FINISH, REF_MAX };

struct pr_script {
	lua_State *L;
	struct pr_rt *rt;
	int refs[REF_MAX];
	uint32_t hooks;
	bool interrupted;
};

/* The signal handler cannot be given a context: these are the only
 * globals, and only the handler and call() touch them. */
static lua_State *sig_L;
static volatile sig_atomic_t in_lua, sig_count;

static void hard_exit(void)
{
	static const char msg[] =
		"profrun: the running hook did not stop (a loop in JIT-compiled code); "
		"exiting now, on_end skipped\n";

	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing left to report it to */
	}
	_exit(PR_EXIT_RUNTIME);
}

static void stop_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	lua_sethook(L, NULL, 0, 0);
	luaL_error(L, "interrupted");
}

static void on_signal(int sig)
{
	if (sig == SIGALRM) {
		if (in_lua)
			hard_exit();
		return;
	}
	if (!in_lua)
		return;
	if (sig_count++ > 0)
		hard_exit();
	lua_sethook(sig_L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
	alarm(WATCHDOG_SECONDS);
}

static void install_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int sigs[] = { SIGINT, SIGTERM, SIGALRM };
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void unblock_signals(bool on)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGALRM);
	sigprocmask(on ? SIG_UNBLOCK : SIG_BLOCK, &set, NULL);
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
		if (!internal_frame(line, nl - line))
			luaL_addlstring(&b, line, nl - line + (*nl == '\n'));
	}
	luaL_pushresult(&b);
	/* stack: err, msg, trace, filtered */
	drop_empty_traceback(L);
	return 1;
}

/* Calls the function below nargs arguments. what names it in messages.
 * Returns 0, -EINTR (Ctrl-C cut it short) or -ECANCELED (it raised). */
static int call(struct pr_script *s, int nargs, int nres, const char *what, bool may_continue)
{
	lua_State *L = s->L;
	int base = lua_gettop(L) - nargs, status;

	lua_pushcfunction(L, traceback);
	lua_insert(L, base);
	/* stack: traceback, fn, args... */
	sig_count = 0;
	in_lua = 1;
	unblock_signals(true);
	status = lua_pcall(L, nargs, nres, base);
	unblock_signals(false);
	in_lua = 0;
	alarm(0);
	lua_sethook(L, NULL, 0, 0);
	lua_remove(L, base);
	if (status == 0)
		return 0;
	if (sig_count > 0) {
		s->interrupted = true;
		pr_warn("interrupted inside %s", what);
		lua_pop(L, 1);
		return -EINTR;
	}
	pr_err("error in %s: %s", what, lua_tostring(L, -1));
	lua_pop(L, 1);
	if (may_continue && s->rt->opts->keep_going)
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
	"if devpath and devpath ~= '' then\n"
	"  table.insert(loaders, 1, searcher(function() return devpath end))\n"
	"end\n";

/* 0 if path is safe or allow (--allow-unsafe-script, then with a warning);
 * else -EPERM and msg says why and how to fix it. */
static int trust_file(bool allow, const char *what, const char *path, char *msg, size_t len)
{
	char why[1024];

	if (!pr_trust_check_path(path, getuid(), why, sizeof(why)))
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

struct boot_args {
	struct pr_script *s;
	const char *scriptdir;
};

static int boot(lua_State *L)
{
	struct boot_args *a = lua_touserdata(L, 1);
	const char *dev = getenv("PROFRUN_LUA_PATH");
	int i;

	luaL_openlibs(L);
	if (luaL_loadbuffer(L, bootstrap, sizeof(bootstrap) - 1, "=profrun bootstrap"))
		return lua_error(L);
	lua_pushstring(L, dev);
	lua_pushstring(L, PROFRUN_LUADIR);
	if (a->scriptdir)
		lua_pushstring(L, a->scriptdir);
	else
		lua_pushnil(L);
	lua_pushboolean(L, a->s->rt->opts->allow_unsafe_script);
	lua_pushcclosure(L, trust_module, 1);
	lua_call(L, 4, 0);
	/* stack: (empty) */
	lua_getglobal(L, "require");
	lua_pushliteral(L, "profrun");
	lua_call(L, 1, 1);
	/* stack: M */
	lua_getfield(L, -1, "start");
	lua_pushlightuserdata(L, a->s->rt);
	lua_pushboolean(L, a->s->rt->opts->keep_going);
	lua_call(L, 2, 0);
	/* stack: M */
	for (i = 0; i < REF_MAX; i++) {
		static const char *const names[REF_MAX] = { "dispatch", "timer", "finish" };

		lua_getfield(L, -1, names[i]);
		luaL_checktype(L, -1, LUA_TFUNCTION);
		a->s->refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	lua_pop(L, 1);
	return 0;
}

int pr_script_new(struct pr_rt *rt, struct pr_script **out)
{
	struct pr_script *s = calloc(1, sizeof(*s));
	int i;

	if (!s)
		return -ENOMEM;
	s->rt = rt;
	for (i = 0; i < REF_MAX; i++)
		s->refs[i] = LUA_NOREF;
	s->L = luaL_newstate();
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
	if (path && trust_file(s->rt->opts->allow_unsafe_script, "script", path, msg,
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

static int boot_state(struct pr_script *s, const char *path)
{
	struct boot_args a = { .s = s };
	char *dir = path ? dir_of(path) : NULL;
	int st;

	if (path && !dir)
		return -ENOMEM;
	a.scriptdir = dir;
	st = lua_cpcall(s->L, boot, &a);
	free(dir);
	if (st) {
		pr_err("cannot start the Lua runtime: %s", lua_tostring(s->L, -1));
		lua_pop(s->L, 1);
		return -EINVAL;
	}
	return 0;
}

/* Expects the script's main chunk on the stack (it is consumed): the
 * Lua side looks in it for what the hooks alone do not say. */
static int finish_setup(struct pr_script *s)
{
	lua_State *L = s->L;
	int err;

	/* stack: chunk */
	lua_getglobal(L, "require");
	lua_pushliteral(L, "profrun");
	lua_call(L, 1, 1);
	lua_getfield(L, -1, "finish_setup");
	lua_remove(L, -2);
	lua_insert(L, -2);
	/* stack: finish_setup, chunk */
	err = call(s, 1, 1, "setup", false);
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
	err = call(s, 0, 0, path ? path : "-e", false);
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

static int call_ref(struct pr_script *s, int ref, int nargs, const char *what)
{
	lua_State *L = s->L;

	lua_rawgeti(L, LUA_REGISTRYINDEX, s->refs[ref]);
	if (nargs)
		lua_insert(L, -1 - nargs);
	return call(s, nargs, 0, what, true);
}

int pr_script_dispatch(struct pr_script *s)
{
	return call_ref(s, REF_DISPATCH, 0, "a hook");
}

int pr_script_timer(struct pr_script *s, int idx)
{
	lua_pushinteger(s->L, idx);
	return call_ref(s, REF_TIMER, 1, "an every() callback");
}

int pr_script_end(struct pr_script *s)
{
	int err = call_ref(s, REF_FINISH, 0, "on_end");

	fflush(stdout);
	return err;
}

bool pr_script_interrupted(const struct pr_script *s)
{
	return s->interrupted;
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
