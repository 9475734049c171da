-- profrun.sandbox: --restricted, for scripts one team ships to another's
-- hosts. The script keeps the profrun API, the public profrun.* modules,
-- reading files, print and stdout/stderr; it loses the ways out of the
-- Lua VM (ffi, debug, bytecode, C modules, string.buffer's pointers), the
-- ways to run programs (os.execute, io.popen), and may write files only
-- under --write-dir.
--
-- profrun's own library still needs ffi: it is loaded with the real
-- require, in an environment of its own (libenv) that the script cannot
-- reach (getfenv/setfenv refuse it, package.loaded is the script's own
-- table). Writes are checked by patching the shared io/os tables before
-- any public module is loaded, so modules that keep io.open as a local
-- keep the checked one.
local ffi = require "ffi"

local M = {}

local format, byte, sub = string.format, string.byte, string.sub
local type, error, pairs, setmetatable = type, error, pairs, setmetatable
local real_getfenv, real_setfenv = getfenv, setfenv
local real_load, real_loadfile = load, loadfile
local real_require = require
local real_package = package
local trust = package.profrun_trust
local real_loaded = package.loaded
local io_open, io_output, os_remove, os_rename = io.open, io.output, os.remove, os.rename
local getinfo, co_running = debug.getinfo, coroutine.running

-- one by one: a declaration runtime/ffi.h already has must not stop the rest
for _, decl in ipairs({
    "char *realpath(const char *path, char *resolved);",
    "long readlink(const char *path, char *buf, size_t size);",
    "void free(void *p);",
}) do
    pcall(ffi.cdef, decl)
end
local C = ffi.C

local HOW = "not available under --restricted"

-- The script may not have these; profrun's library may.
local INTERNAL = "internal to profrun and is"
local BLOCKED = {
    ffi = "ffi is", debug = "debug is", jit = "jit is", ["string.buffer"] = "string.buffer is",
    ["profrun.cdef"] = INTERNAL, ["profrun.sandbox"] = INTERNAL,
}

local function realpath(p)
    local r = C.realpath(p, nil)
    if r == nil then return nil end
    local s = ffi.string(r)
    C.free(r)
    return s
end

local function is_symlink(p)
    local buf = ffi.new("char[1]")
    return C.readlink(p, buf, 1) >= 0
end

local write_root -- realpath(--write-dir), nil: no writes at all

local function refuse(what, path, why)
    if not write_root then
        error(format("%s('%s'): a --restricted script may not write files; pass"
            .. " --write-dir DIR to allow writes under DIR", what, tostring(path)), 0)
    end
    error(format("%s('%s'): %s; a --restricted script writes only under --write-dir %s",
        what, tostring(path), why, write_root), 0)
end

-- May the script create or change the file at path? Its real parent must be
-- under the write dir and the name itself must not be a symlink (a link to
-- /etc/passwd inside the dir would otherwise be followed).
local function check_write(what, path)
    if type(path) ~= "string" then
        error(format("%s: the path must be a string, got %s", what, type(path)), 0)
    end
    if not write_root then refuse(what, path) end
    local dir, base = path:match("^(.*)/([^/]*)$")
    if not dir then
        dir, base = ".", path
    elseif dir == "" then
        dir = "/"
    end
    if base == "" or base == "." or base == ".." then
        refuse(what, path, "not a file name")
    end
    local rdir = realpath(dir)
    if not rdir then refuse(what, path, "its directory does not exist") end
    if write_root ~= "/" and rdir ~= write_root and sub(rdir, 1, #write_root + 1) ~= write_root .. "/" then
        refuse(what, path, format("its directory %s is outside the write dir", rdir))
    end
    if is_symlink(path) then refuse(what, path, "it is a symlink") end
end

local applied = false

-- for profrun's own modules that write through C (profrun.export's spool):
-- under --restricted, the same rule as io.open's
function M.check_write(what, path)
    if applied then check_write(what, path) end
end

local function stub(name, hint)
    return function()
        error(format("%s is %s%s", name, HOW, hint or ""), 2)
    end
end

-- a table whose every field is refused by name (debug.getinfo, ...)
local function gone(name)
    return setmetatable({}, {
        __index = function(_, k)
            error(format("%s.%s is %s", name, tostring(k), HOW), 2)
        end,
        __newindex = function() error(format("%s is %s", name, HOW), 2) end,
        __metatable = false,
    })
end

local function text_only(f, err)
    if not f and err and err:find("wrong mode", 1, true) then
        err = "binary (bytecode) chunks cannot be loaded under --restricted"
    end
    return f, err
end

-- apply(write_dir, script_path): restricts the globals for the script.
-- Returns nil and a message when the setup cannot be made safe.
function M.apply(write_dir, script_path)
    local G = _G
    applied = true
    if write_dir then
        write_root = realpath(write_dir)
        if not write_root then
            return nil, format("--write-dir '%s': no such directory; create it first", write_dir)
        end
    end
    if script_path then
        local f = io_open(script_path, "rb")
        local head = f and f:read(1)
        if f then f:close() end
        if head == "\27" then
            return nil, format("'%s' is bytecode; a --restricted script must be Lua source",
                script_path)
        end
    end

    -- writes: patched in the shared tables, before any public module loads
    function io.open(path, mode)
        if type(mode) == "string" and mode:find("[wa+]") then check_write("io.open", path) end
        return io_open(path, mode)
    end
    function io.output(f)
        if type(f) == "string" then check_write("io.output", f) end
        return io_output(f)
    end
    io.popen = stub("io.popen")
    function os.remove(path)
        check_write("os.remove", path)
        return os_remove(path)
    end
    function os.rename(from, to)
        check_write("os.rename", from)
        check_write("os.rename", to)
        return os_rename(from, to)
    end
    os.tmpname = stub("os.tmpname", "; use a path under --write-dir")
    os.execute = stub("os.execute")
    -- os.exit would skip on_end and profrun's cleanup; exit() does neither
    os.exit = stub("os.exit", "; call exit(code) to end the run")

    -- bytecode: source only, whatever mode the script asks for
    function G.load(chunk, name, _, env)
        if env ~= nil then return text_only(real_load(chunk, name, "t", env)) end
        return text_only(real_load(chunk, name, "t"))
    end
    function G.loadstring(s, name) return text_only(real_load(s, name, "t")) end
    function G.loadfile(path, _, env)
        if path == nil then return nil, "loadfile needs a path under --restricted" end
        if env ~= nil then return text_only(real_loadfile(path, "t", env)) end
        return text_only(real_loadfile(path, "t"))
    end
    function G.dofile(path)
        local f, err = G.loadfile(path)
        if not f then error(err, 2) end
        return f()
    end

    -- profrun's library: real require, an environment of its own
    local load_lib
    -- a library module's own requires of profrun.* modules load them into
    -- libenv too (real_require would run them in the script's globals,
    -- where ffi is refused)
    local libenv = setmetatable({ require = function(name)
        if type(name) == "string" and name:match("^profrun%.") and real_loaded[name] == nil then
            return load_lib(name)
        end
        return real_require(name)
    end }, { __index = G })
    function G.getfenv(f)
        if f == nil then f = 1 end
        if type(f) == "number" and f > 0 then f = f + 1 end
        local env = real_getfenv(f)
        if env == libenv then
            error("getfenv: the environment of profrun's library is " .. HOW, 2)
        end
        return env
    end
    function G.setfenv(f, t)
        -- the runtime looks up require in the thread's globals
        if f == 0 then error("setfenv(0): replacing the globals is " .. HOW, 2) end
        if type(f) == "number" and f > 0 then f = f + 1 end
        if real_getfenv(f) == libenv then
            error("setfenv: the environment of profrun's library is " .. HOW, 2)
        end
        return real_setfenv(f, t)
    end

    -- the loaders the bootstrap left: [PROFRUN_LUA_PATH,] linked-in, files
    local loaders = real_package.loaders
    local lib_loaders = { loaders[#loaders - 1] }
    if #loaders == 3 then table.insert(lib_loaders, 1, loaders[1]) end

    local jit_view = {}
    for _, k in ipairs({ "version", "version_num", "os", "arch", "on", "off", "flush", "status" }) do
        jit_view[k] = jit[k]
    end

    local pkg = { path = real_package.path, cpath = "", preload = {}, config = real_package.config }
    local user_loaded = {
        _G = G, string = string, table = table, math = math, io = io, os = os,
        coroutine = coroutine, bit = bit, package = pkg, jit = jit_view,
    }
    pkg.loaded = user_loaded
    pkg.loaders = {}
    pkg.loadlib = stub("package.loadlib")
    pkg.seeall = stub("package.seeall")
    pkg.searchpath = real_package.searchpath

    function load_lib(name)
        for _, loader in ipairs(lib_loaders) do
            local chunk = loader(name)
            if type(chunk) == "function" then
                real_setfenv(chunk, libenv)
                local m = chunk(name)
                if m == nil then m = real_loaded[name] end
                if m == nil then m = true end
                real_loaded[name] = m
                return m
            end
        end
        error(format("module '%s' not found in profrun's library", name), 3)
    end

    function G.require(name)
        if type(name) ~= "string" then
            error(format("require: module name must be a string, got %s", type(name)), 2)
        end
        local b = BLOCKED[name] or (name:match("^jit%.") and "jit is")
        if b then
            error(format("require '%s': %s %s", name, b, HOW), 2)
        end
        -- The runtime's C side asks the globals' require for "profrun" (to
        -- reach finish_setup); the script must not get it (M.start casts its
        -- argument to a pointer, dispatch drains the loop's batch). A call
        -- from C has no caller frame and runs on the main thread: pcall,
        -- gsub, metamethods and coroutines all leave one of those behind.
        if name == "profrun" then
            if getinfo(2, "S") == nil and co_running() == nil then return real_loaded.profrun end
            error(format("require 'profrun': %s %s", INTERNAL, HOW), 2)
        end
        local m = user_loaded[name]
        if m ~= nil then return m end
        if name:match("^profrun%.") then
            m = real_loaded[name]
            if m == nil then m = load_lib(name) end
        else
            local pre = pkg.preload[name]
            if pre then
                m = pre(name)
            else
                local path, err = pkg.searchpath(name, pkg.path)
                if not path then error(format("module '%s' not found:%s", name, err), 2) end
                -- the same ownership rule as the bootstrap's searchers
                if trust then trust(path) end
                local chunk, lerr = G.loadfile(path)
                if not chunk then
                    error(format("error loading module '%s' from %s: %s", name, path, lerr), 2)
                end
                m = chunk(name)
            end
            if m == nil then m = user_loaded[name] end
            if m == nil then m = true end
        end
        user_loaded[name] = m
        return m
    end

    -- profrun.event's helpers (folded, frame_name, ...) are for scripts;
    -- its ctypes would build a pointer from any number, and its set_*
    -- functions rewire the runtime: the script gets a copy without them
    local ev = {}
    for k, v in pairs(real_require("profrun.event")) do
        if type(v) == "function" and not k:match("^set_") then ev[k] = v end
    end
    user_loaded["profrun.event"] = ev

    G.package = pkg
    G.module = stub("module")
    G.jit = jit_view
    G.debug = gone("debug")
    -- LuaJIT 2.1 registers the ffi in package.preload: the script gets none
    G.ffi = nil
    return true
end

return M
