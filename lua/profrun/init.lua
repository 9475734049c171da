-- profrun: the API a script sees, and the Lua half of the event loop.
--
-- A script runs once at load time (setup): it sets options with sample{}
-- and lifecycle{}, registers every() timers and defines hooks as globals
-- (on_sample, on_exec, on_exit, on_end). The runtime then loads only the
-- BPF programs those hooks need and calls M.dispatch once per batch of
-- events; dispatch walks the batch in Lua, handing each hook an FFI view.
local ffi = require "ffi"
ffi.cdef(require "profrun.cdef")

local C = ffi.C
local ABI_VERSION = 16
if C.pr_ffi_abi_version() ~= ABI_VERSION then
    error(string.format("profrun Lua library (ABI %d) does not match the runtime (ABI %d)",
        ABI_VERSION, C.pr_ffi_abi_version()))
end

local event = require "profrun.event"
-- kept before --restricted takes the real require from the globals
local require = require

local cast, ffi_string, tonumber, type, error = ffi.cast, ffi.string, tonumber, type, error
local format, band = string.format, bit.band
local rawget, rawset, pairs, setmetatable = rawget, rawset, pairs, setmetatable

local M = {}

local rt                -- struct pr_rt *, handed back to every pr_ffi_* call

-- for profrun.* modules that call the runtime themselves (profrun.export)
function M.rt() return rt end
-- stats().NAME = fn() for modules that keep their own counters
M.stats_extra = {}
local in_setup = true
local stopping = false  -- exit() was called: deliver nothing more
local keep_going = false
-- The runtime's own message handler (C frames and profrun's library
-- frames filtered out), handed over by M.start: one traceback for every
-- error, whoever catches it.
local traceback_handler
local hooks = {}
local timers = {}
local errp = ffi.new("const char *[1]")

-- The event sources, from the runtime's provider table: each one's name
-- (its stats() key and event view), hook, hook-mask bit and the arena
-- record type its hook gets.
local PROVIDERS = {}
do
    local info = ffi.new("struct pr_provider_info")
    local i = 0
    while C.pr_ffi_provider(i, info) == 0 do
        PROVIDERS[i] = {
            name = ffi_string(info.name),
            hook = info.hook ~= nil and ffi_string(info.hook) or nil,
            bit = info.bit, view = info.view,
        }
        i = i + 1
    end
end

local HOOK_BITS, HOOK_NAMES = { on_end = 0 }, {}
for i = 0, #PROVIDERS do
    local p = PROVIDERS[i]
    if p.hook then
        HOOK_BITS[p.hook] = p.bit
        HOOK_NAMES[#HOOK_NAMES + 1] = p.hook
    end
end
HOOK_NAMES[#HOOK_NAMES + 1] = "on_end"

-- ---- helpers ----------------------------------------------------------

local function c_error(api, r)
    error(format("%s: %s", api, errp[0] ~= nil and ffi_string(errp[0]) or ("error " .. r)), 3)
end

local function run_phase_only(api)
    if in_setup then
        error(api .. " can be called from hooks (" .. table.concat(HOOK_NAMES, ", ", 1,
            #HOOK_NAMES - 1) .. ", every, on_end),"
            .. " not while the script loads", 3)
    end
end

local function setup_only(api)
    if not in_setup then
        error(api .. " configures the run: call it at the top level of the script", 3)
    end
end

-- Levenshtein distance, for "did you mean" suggestions.
local function distance(a, b)
    local prev = {}
    for j = 0, #b do prev[j] = j end
    for i = 1, #a do
        local cur = { [0] = i }
        for j = 1, #b do
            local cost = a:byte(i) == b:byte(j) and 0 or 1
            cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
        end
        prev = cur
    end
    return prev[#b]
end

local function nearest(name, candidates)
    local best, bestd
    for _, c in ipairs(candidates) do
        local d = distance(name, c)
        if not bestd or d < bestd then best, bestd = c, d end
    end
    return best
end

local function check_keys(api, t, allowed)
    if type(t) ~= "table" then
        error(format("%s: expects a table, got %s", api, type(t)), 3)
    end
    local names = {}
    for k in pairs(allowed) do names[#names + 1] = k end
    for k in pairs(t) do
        if not allowed[k] then
            error(format("%s: unknown option '%s' (did you mean '%s'?)", api, tostring(k),
                nearest(tostring(k), names)), 3)
        end
    end
end

local function opt_int(api, t, key, lo, hi)
    local v = t[key]
    if v == nil then return nil end
    if type(v) ~= "number" or v % 1 ~= 0 or v < lo or v > hi then
        error(format("%s: %s must be an integer %d..%d, got %s", api, key, lo, hi, tostring(v)), 4)
    end
    return v
end

local function opt_bool(api, t, key)
    local v = t[key]
    if v == nil then return -1 end
    if type(v) ~= "boolean" then
        error(format("%s: %s must be true or false, got %s", api, key, tostring(v)), 4)
    end
    return v and 1 or 0
end

-- ---- the API ----------------------------------------------------------

local api = {}

local SAMPLE_KEYS = { hz = true, pid = true, user = true, kernel = true, idle = true,
    buffer = true, unwind = true, stack_bytes = true, unwind_tables = true,
    kernel_unwind = true, kernel_tables = true, aggregate = true,
    python = true }
local UNWIND_MODES = { auto = C.PR_UNWIND_AUTO, fp = C.PR_UNWIND_FP, dwarf = C.PR_UNWIND_DWARF }
local UNWIND_NAMES = { [C.PR_UNWIND_AUTO] = "auto", [C.PR_UNWIND_FP] = "fp",
    [C.PR_UNWIND_DWARF] = "dwarf" }
local UNWIND_FAILS = { [C.PR_UW_NO_CFI] = "no_cfi", [C.PR_UW_UNSUPPORTED] = "unsupported",
    [C.PR_UW_STACK_SHORT] = "stack_short", [C.PR_UW_BAD_FRAME] = "bad_frame",
    [C.PR_UW_NO_MAP] = "no_map", [C.PR_UW_TOO_DEEP] = "too_deep", [C.PR_UW_GONE] = "gone" }

local KERNEL_UNWIND_MODES = { off = C.PR_KUNWIND_OFF, on = C.PR_KUNWIND_ON,
    only = C.PR_KUNWIND_ONLY, verify = C.PR_KUNWIND_VERIFY }
local KERNEL_UNWIND_NAMES = {}
for k, v in pairs(KERNEL_UNWIND_MODES) do KERNEL_UNWIND_NAMES[tonumber(v)] = k end

-- sample{ hz=99, pid=N, user=true, kernel=true, idle=false, buffer=bytes,
--         unwind="auto"|"fp"|"dwarf", stack_bytes=16384, unwind_tables=bytes,
--         kernel_unwind="on"|"off"|"only"|"verify", kernel_tables=bytes,
--         aggregate=false, python=true }
function api.sample(t)
    setup_only("sample{}")
    check_keys("sample{}", t, SAMPLE_KEYS)
    local o = ffi.new("struct pr_sample_opts")
    o.hz = opt_int("sample{}", t, "hz", 1, 100000) or 0
    o.pid = opt_int("sample{}", t, "pid", 1, 4194304) or 0
    o.user = opt_bool("sample{}", t, "user")
    o.kernel = opt_bool("sample{}", t, "kernel")
    o.idle = opt_bool("sample{}", t, "idle")
    o.python = opt_bool("sample{}", t, "python")
    o.buffer = opt_int("sample{}", t, "buffer", 4096, 1024 * 1024 * 1024) or 0
    o.unwind = -1
    if t.unwind ~= nil then
        local m = UNWIND_MODES[t.unwind]
        if not m then
            error("sample{}: unwind must be \"auto\", \"fp\" or \"dwarf\", got "
                .. tostring(t.unwind), 2)
        end
        o.unwind = m
    end
    o.stack_bytes = opt_int("sample{}", t, "stack_bytes", 512, C.PR_USTACK_MAX) or 0
    o.unwind_tables = opt_int("sample{}", t, "unwind_tables", 65536, 4294967295) or 0
    o.kernel_unwind = -1
    if t.kernel_unwind ~= nil then
        o.kernel_unwind = KERNEL_UNWIND_MODES[t.kernel_unwind] or
            error("sample{}: kernel_unwind must be \"on\", \"off\", \"only\" or \"verify\", got "
                  .. tostring(t.kernel_unwind), 2)
    end
    o.kernel_tables = opt_int("sample{}", t, "kernel_tables", 65536, 4294967295) or 0
    -- aggregate = true, or how many distinct (pid, tid, stack) counts the
    -- kernel keeps between drains (with true, 1: the runtime sizes them
    -- from CPUs x Hz)
    if t.aggregate == true then
        o.aggregate = 1
    elseif t.aggregate == false then
        o.aggregate = 0
    elseif t.aggregate == nil then
        o.aggregate = -1
    else
        o.aggregate = opt_int("sample{}", t, "aggregate", 16, 4194304)
    end
    local r = C.pr_ffi_sample_config(rt, o, errp)
    if r < 0 then c_error("sample{}", r) end
end

-- lifecycle{ buffer=bytes }: the exec/exit ring buffer
-- NAME{ buffer=bytes } for a source whose only option is its ring; called
-- as a tail call, so its errors point at the script's line as the API
-- function's own would
local function buffer_only(name, t, configure)
    setup_only(name)
    check_keys(name, t, { buffer = true })
    local b = opt_int(name, t, "buffer", 4096, 1024 * 1024 * 1024) or 0
    local r = configure(rt, b, errp)
    if r < 0 then c_error(name, r) end
end

function api.lifecycle(t)
    return buffer_only("lifecycle{}", t, C.pr_ffi_lifecycle_config)
end

-- offcpu{ min=1e6, max=0, pid=N, user=true, waker=true, buffer=bytes }:
-- blocked intervals of at least min ns (and at most max, 0: no bound)
-- come one by one to on_offcpu; shorter ones (and longer than max) come
-- summed per thread, kernel stack and state (e.count intervals,
-- e.duration their total), so every nanosecond off CPU is reported.
-- user=false skips the user stacks; waker=false stops tracking wakers.
local OFFCPU_KEYS = { min = true, max = true, pid = true, user = true, waker = true,
    buffer = true }
local U64_KEEP = 0xffffffffffffffffULL -- UINT64_MAX: leave the setting as it is

function api.offcpu(t)
    setup_only("offcpu{}")
    check_keys("offcpu{}", t, OFFCPU_KEYS)
    local o = ffi.new("struct pr_offcpu_opts")
    local lim = 3600e9
    local min = opt_int("offcpu{}", t, "min", 0, lim)
    local max = opt_int("offcpu{}", t, "max", 0, lim)
    o.min_ns = min and min or U64_KEEP
    o.max_ns = max and max or U64_KEEP
    o.pid = opt_int("offcpu{}", t, "pid", 1, 4194304) or 0
    o.user = opt_bool("offcpu{}", t, "user")
    o.waker = opt_bool("offcpu{}", t, "waker")
    o.buffer = opt_int("offcpu{}", t, "buffer", 4096, 1024 * 1024 * 1024) or 0
    local r = C.pr_ffi_offcpu_config(rt, o, errp)
    if r < 0 then c_error("offcpu{}", r) end
end

-- probe(spec, [opts,] fn): fn(e) for every hit of a user function
-- ("u:BINARY:SYMBOL[+OFF]", entry: e.arg[1..6]) or its return
-- ("ur:BINARY:SYMBOL": e.retval, e.duration since the same thread's
-- entry), a USDT probe, a tracepoint, a kernel function. SYMBOL may be a
-- glob (e.func: which function). A bad spec is an error at setup.
-- opts: strings = {i[, j]} (arguments read as C strings at the probe:
-- e:str(i)), stack = true (e.stack, e:frames()), pid = N, sample = N
-- (every Nth hit), count_only = true (the kernel counts, fn is optional:
-- read them with the returned probe's :counts()). probes{buffer=bytes}:
-- their ring.
local probe_fns, probe_specs, probe_fields, probe_funcs = {}, {}, {}, {}
event.set_probe_names(probe_specs, probe_fields, probe_funcs)

-- a t: probe's record layout, by field name
local function tp_fields(index)
    local f, t, i = ffi.new("struct pr_tp_field"), {}, 0
    while C.pr_ffi_tp_field(rt, index, i, f) == 0 do
        t[#t + 1] = { name = ffi_string(f.name), offset = f.offset, size = f.size,
            signed = f.is_signed ~= 0, kind = f.kind, slot = f.slot }
        i = i + 1
    end
    return t
end

local PROBE_KEYS = { strings = true, stack = true, pid = true, sample = true, count_only = true }

local function probe_opts(opts)
    local o = ffi.new("struct pr_probe_opts")
    if opts == nil then return o end
    local strs = opts.strings
    if strs ~= nil then
        if type(strs) ~= "table" or #strs < 1 or #strs > 2 then
            error("probe(): strings must be a list of one or two argument numbers, like {1}", 3)
        end
        for _, i in ipairs(strs) do
            if type(i) ~= "number" or i % 1 ~= 0 or i < 1 or i > 6 then
                error("probe(): strings: argument numbers are 1..6, got " .. tostring(i), 3)
            end
        end
        o.str1, o.str2 = strs[1], strs[2] or 0
    end
    o.pid = opt_int("probe()", opts, "pid", 1, 4194304) or 0
    o.sample = opt_int("probe()", opts, "sample", 1, 1e9) or 0
    o.stack = opt_bool("probe()", opts, "stack") == 1 and 1 or 0
    o.count_only = opt_bool("probe()", opts, "count_only") == 1 and 1 or 0
    return o
end

-- what probe() returns: the probe's spec, and its counts when count_only
local Probe = {}
Probe.__index = Probe

-- count_only: { {count=, func=, pid=, stack=}, ... }, most hits first
-- (pid and stack with stack = true), and what the kernel could not
-- count: { hits = n, stacks = n }.
function Probe:counts()
    if not self.count_only then
        error("counts(): probe '" .. self.spec .. "' is not count_only", 2)
    end
    local max, lost = 256, ffi.new("uint64_t[2]")
    local buf, n
    repeat
        buf = ffi.new("struct pr_probe_count[?]", max)
        n = C.pr_ffi_probe_counts(rt, self.index, buf, max, lost)
        if n < 0 then
            error("counts(): the probes are not attached yet: call it from every() or on_end", 2)
        end
        if n <= max then break end
        max = n + 256
    until false
    local funcs, rows = probe_funcs[self.index + 1], {}
    for i = 0, n - 1 do
        local c = buf[i]
        rows[#rows + 1] = { count = tonumber(c.count), func = funcs[c.match + 1],
            pid = c.pid ~= 0 and c.pid or nil, stack = c.stack ~= 0 and c.stack or nil }
    end
    table.sort(rows, function(a, b)
        if a.count ~= b.count then return a.count > b.count end
        return (a.func or "") < (b.func or "")
    end)
    return rows, { hits = tonumber(lost[0]), stacks = tonumber(lost[1]) }
end

local function no_hits() end

function api.probe(spec, opts, fn)
    setup_only("probe()")
    if fn == nil and type(opts) ~= "table" then opts, fn = nil, opts end
    if type(spec) ~= "string" then
        error("probe(spec, fn): spec must be a string like \"u:libc:malloc\", got "
            .. type(spec), 2)
    end
    if opts ~= nil then
        if type(opts) ~= "table" then
            error("probe(spec, opts, fn): opts must be a table, got " .. type(opts), 2)
        end
        check_keys("probe()", opts, PROBE_KEYS)
    end
    local o = probe_opts(opts)
    if fn == nil and o.count_only == 1 then fn = no_hits end
    if type(fn) ~= "function" then
        error("probe(spec, fn): fn must be a function, got " .. type(fn), 2)
    end
    local r = C.pr_ffi_probe_add(rt, spec, o, errp)
    if r < 0 then error(ffi_string(errp[0]), 2) end
    probe_fns[r + 1], probe_specs[r + 1] = fn, spec
    if spec:sub(1, 2) == "t:" then probe_fields[r + 1] = tp_fields(r) end
    local funcs = {}
    repeat
        local f = C.pr_ffi_probe_func(rt, r, #funcs)
        if f ~= nil then funcs[#funcs + 1] = ffi_string(f) end
    until f == nil
    probe_funcs[r + 1] = funcs
    return setmetatable({ spec = spec, index = r, count_only = o.count_only == 1,
        funcs = funcs }, Probe)
end

function api.probes(t)
    return buffer_only("probes{}", t, C.pr_ffi_probes_config)
end

-- every(seconds, fn): fn() is called every `seconds` while profrun runs
function api.every(seconds, fn)
    setup_only("every()")
    if type(seconds) ~= "number" then
        error("every(seconds, fn): seconds must be a number, got " .. type(seconds), 2)
    end
    if type(fn) ~= "function" then
        error("every(seconds, fn): fn must be a function, got " .. type(fn), 2)
    end
    local id = C.pr_ffi_timer_add(rt, seconds, errp)
    if id < 0 then c_error("every()", id) end
    timers[id] = fn
end

-- in_target(pid): whether pid is in what the run watches: the -p/-c
-- process and its descendants (not with --no-children), within --cgroup
-- or --container; true for every pid when none of them is given
function api.in_target(pid)
    if type(pid) ~= "number" or pid % 1 ~= 0 or pid < 0 or pid > 4294967295 then
        error("in_target(pid): pid must be a process id, got " .. tostring(pid), 2)
    end
    return C.pr_ffi_in_target(rt, pid) == 1
end

-- exit(code): stop after the current hook returns; on_end still runs
function api.exit(code)
    code = code or 0
    if type(code) ~= "number" or code % 1 ~= 0 or code < 0 or code > 255 then
        error("exit(code): code must be an integer 0..255, got " .. tostring(code), 2)
    end
    stopping = true
    C.pr_ffi_exit(rt, code)
end

-- target_pid(): the PID given with -p, or of the -c command; nil otherwise
function api.target_pid()
    local p = C.pr_ffi_target_pid(rt)
    return p > 0 and p or nil
end

local exit_buf = ffi.new("int32_t[3]")

-- target_exit(): how the -c command ended, once it has: {code=N} when it
-- exited, {signal=N, signame="SIGSEGV", core=bool} when a signal killed
-- it; nil while it runs, when the run stopped first, or without -c
local SIGNAMES = { "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
    "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM" }
function api.target_exit()
    if C.pr_ffi_target_exit(rt, exit_buf, exit_buf + 1, exit_buf + 2) < 0 then return nil end
    if exit_buf[1] ~= 0 then
        local sig = exit_buf[1]
        return { signal = sig, signame = SIGNAMES[sig] or ("SIG" .. sig), core = exit_buf[2] ~= 0 }
    end
    return { code = exit_buf[0] }
end

local frames_buf = ffi.new("struct pr_frame[?]", C.PR_STACK_FRAMES)
-- a cache, not a store: a frames table the script no longer holds may go
-- (weak values), or a long run would keep every stack's table for good
local frames_memo = setmetatable({}, { __mode = "v" })
local names_generation = 0ULL

local FRAME_KINDS = { [C.PR_FRAME_NATIVE] = "native", [C.PR_FRAME_KERNEL] = "kernel",
    [C.PR_FRAME_PYTHON] = "python", [C.PR_FRAME_CUT] = "cut" }

local function frame_table(f)
    return {
        name = f.name ~= nil and ffi_string(f.name) or nil,
        module = f.module ~= nil and ffi_string(f.module) or nil,
        offset = tonumber(f.offset),
        addr = f.addr, -- uint64 cdata: kernel addresses do not fit a Lua number
        kernel = f.kernel ~= 0,
        kind = FRAME_KINDS[tonumber(f.kind)] or "native",
        file = f.file ~= nil and ffi_string(f.file) or nil,
        line = f.line ~= 0 and tonumber(f.line) or nil,
        inlined = f.inlined ~= 0 or nil,
    }
end

-- stack(id): frames of an interned stack, leaf first (kernel frames first);
-- each {name=, offset=, module=, kernel=, addr=, kind=, file=, line=,
-- inlined=}; native frames get file and line from DWARF where there is
-- some, and code inlined at an address is a frame of its own (inlined =
-- true, same addr) before the function it was inlined into; kind "python":
-- name is the function's qualified name, file and line where it was;
-- memoized per id
function api.stack(id)
    run_phase_only("stack()")
    local g = C.pr_ffi_names_generation(rt)
    if g ~= names_generation then
        -- debuginfod answered: binaries may have names now
        frames_memo = setmetatable({}, { __mode = "v" })
        names_generation = g
    end
    local t = frames_memo[id]
    if t then return t end
    local n = C.pr_ffi_stack_frames(rt, id, frames_buf, C.PR_STACK_FRAMES)
    t = {}
    for i = 0, n - 1 do t[i + 1] = frame_table(frames_buf[i]) end
    frames_memo[id] = t
    return t
end
event.set_stack_resolver(api.stack)

local one_frame = ffi.new("struct pr_frame")

-- ksym(addr) / usym(pid, addr): one frame table, or nil when unknown
function api.ksym(addr)
    run_phase_only("ksym()")
    if C.pr_ffi_ksym(rt, addr, one_frame) < 0 then return nil end
    return frame_table(one_frame)
end

function api.usym(pid, addr)
    run_phase_only("usym()")
    if C.pr_ffi_usym(rt, pid, addr, one_frame) < 0 then return nil end
    return frame_table(one_frame)
end

local proc_tracking = false -- proc_cache{} was called

-- proc_cache{ capacity = N }: bound of the process metadata cache
function api.proc_cache(t)
    setup_only("proc_cache{}")
    check_keys("proc_cache{}", t, { capacity = true })
    local c = opt_int("proc_cache{}", t, "capacity", 16, 4194304) or 0
    local r = C.pr_ffi_proc_config(rt, c, errp)
    if r < 0 then c_error("proc_cache{}", r) end
    proc_tracking = true
end

-- stacks{ keep = "all" }: every stack id stays valid for the whole run
-- (the default; the table grows with distinct stacks, up to its bound).
-- stacks{ keep = "recent", max = N }: the script reads a stack while its
-- event is handled (stack(s.stack) in the hook) and keeps no id for
-- later: once the table holds N stacks (default 16384) it starts over
-- between two batches, so memory stays flat however long the run. An id
-- is never reused; stack() of one dropped so returns {} (counted in
-- stats().stack_stale).
function api.stacks(t)
    setup_only("stacks{}")
    check_keys("stacks{}", t, { keep = true, max = true })
    local keep = t.keep == nil and "all" or t.keep
    if keep ~= "all" and keep ~= "recent" then
        error("stacks{}: keep must be \"all\" or \"recent\", got " .. tostring(keep), 2)
    end
    local max = opt_int("stacks{}", t, "max", 1024, 1048576)
    if max and keep ~= "recent" then
        error("stacks{}: max bounds keep = \"recent\" only (keep = \"all\" keeps every stack)", 2)
    end
    local r = C.pr_ffi_stacks_config(rt, keep == "recent" and (max or 16384) or 0, errp)
    if r < 0 then c_error("stacks{}", r) end
end

local STR_FIELDS = {
    exe = C.PR_PF_EXE, cmdline = C.PR_PF_CMDLINE, cwd = C.PR_PF_CWD,
    cgroup = C.PR_PF_CGROUP, container = C.PR_PF_CONTAINER, user = C.PR_PF_USER,
}
local NUM_FIELDS = { uid = C.PR_PF_UID, mntns = C.PR_PF_MNTNS, pidns = C.PR_PF_PIDNS }
local STRBUF_LEN = 65536
local strbuf = ffi.new("char[?]", STRBUF_LEN)
local numbuf = ffi.new("uint64_t[1]")
local info = ffi.new("struct pr_proc_info")

local proc_methods = {}

-- p:env(name): the value of an environment variable, or nil
function proc_methods.env(p, name)
    if type(name) ~= "string" then error("p:env(name): name must be a string", 2) end
    local n = C.pr_ffi_proc_env(rt, p.pid, p.gen, name, strbuf, STRBUF_LEN)
    return n >= 0 and ffi_string(strbuf, n) or nil
end

local function proc_string(p, field)
    local n = C.pr_ffi_proc_field(rt, p.pid, p.gen, field, strbuf, STRBUF_LEN)
    return n >= 0 and ffi_string(strbuf, n) or nil
end

-- Fields are read (and cached) by the runtime on first use; a proc object
-- is bound to one process: after the pid is reused it reads nil, never the
-- new process's data.
local proc_mt = {
    __index = function(p, k)
        local f = STR_FIELDS[k]
        if f then return proc_string(p, f) end
        f = NUM_FIELDS[k]
        if f then
            if C.pr_ffi_proc_number(rt, p.pid, p.gen, f, numbuf) < 0 then return nil end
            return tonumber(numbuf[0])
        end
        if k == "argv" then
            local s = proc_string(p, C.PR_PF_ARGV)
            return s and event.split_args(s) or nil
        end
        if k == "exited" then
            return C.pr_ffi_proc_lookup(rt, p.pid, info) < 0 or info.gen ~= p.gen
                or info.exited ~= 0
        end
        return proc_methods[k]
    end,
    __tostring = function(p) return format("proc %d (%s)", p.pid, p.comm) end,
}

-- proc(pid): what is known of a process (see the README), or nil when no
-- such process is known or alive. Never stale: a pid that was reused gives
-- the new process, and an exited one stays readable through the dispatch
-- cycle after its exit.
function api.proc(pid)
    run_phase_only("proc()")
    if type(pid) ~= "number" then error("proc(pid): pid must be a number", 2) end
    if C.pr_ffi_proc_lookup(rt, pid, info) < 0 then return nil end
    return setmetatable({
        pid = info.pid, ppid = info.ppid, comm = ffi_string(info.comm),
        start_time = tonumber(info.start_ticks), gen = info.gen,
    }, proc_mt)
end

local stats_buf = ffi.new("struct pr_stats")

-- stats(): what was produced, delivered and lost per source, and counters
function api.stats()
    C.pr_ffi_stats(rt, stats_buf)
    local s = stats_buf
    local t = {
        batches = tonumber(s.batches), stacks = tonumber(s.stacks),
        stacks_full = tonumber(s.stacks_full), stack_frames = tonumber(s.stack_frames),
        stack_bytes = tonumber(s.stack_bytes), kstack_errors = tonumber(s.kstack_errors),
        stacks_forgotten = tonumber(s.stacks_forgotten),
        stack_restarts = tonumber(s.stack_restarts), stack_stale = tonumber(s.stack_stale),
        ustack_errors = tonumber(s.ustack_errors), hook_errors = tonumber(s.hook_errors),
        bad_records = tonumber(s.bad_records),
        ksyms = tonumber(s.ksyms), binaries = tonumber(s.binaries),
        symbols = {
            binaries = tonumber(s.binaries), negative = tonumber(s.elf_negative),
            parses = tonumber(s.elf_parses), hits = tonumber(s.elf_hits),
            misses = tonumber(s.elf_misses), bytes = tonumber(s.elf_bytes),
            unloads = tonumber(s.elf_unloads),
            perfmap_untrusted = tonumber(s.elf_perfmap_untrusted),
            ranges = tonumber(s.elf_ranges), lines = tonumber(s.elf_lines),
            inlined = tonumber(s.elf_inlined), dwarf_bytes = tonumber(s.dwarf_bytes),
            dwarf_evictions = tonumber(s.dwarf_evictions),
            dwarf_cache = {
                hits = tonumber(s.dwarf_cache_hits), builds = tonumber(s.dwarf_cache_builds),
                refused = tonumber(s.dwarf_cache_refused),
                rebuilds = tonumber(s.dwarf_cache_rebuilds),
                pruned = tonumber(s.dwarf_cache_pruned),
            },
            debuginfod = {
                requests = tonumber(s.di_requests), fetched = tonumber(s.di_fetched),
                cached = tonumber(s.di_cached), not_found = tonumber(s.di_not_found),
                failed = tonumber(s.di_failed), bytes = tonumber(s.di_bytes),
                pending = tonumber(s.di_pending),
            },
        },
        ksym = {
            kallsyms_reads = tonumber(s.ksym_reads),
            kallsyms_parse_ms = tonumber(s.ksym_parse_ns) / 1e6,
            kallsyms_symbols = tonumber(s.ksyms), bpf_symbols = tonumber(s.bpf_symbols),
            bpf_updates = tonumber(s.bpf_updates), bpf_resyncs = tonumber(s.bpf_resyncs),
        },
        unwind = {
            mode = UNWIND_NAMES[tonumber(s.unwind_mode)],
            stacks = tonumber(s.unwind_stacks), complete = tonumber(s.unwind_complete),
            truncated = tonumber(s.unwind_truncated), frames = tonumber(s.unwind_frames),
            fp_frames = tonumber(s.unwind_fp_frames),
            copy_bytes = tonumber(s.unwind_copy_bytes), tables = tonumber(s.unwind_tables),
            no_tables = tonumber(s.unwind_no_tables),
            table_bytes = tonumber(s.unwind_table_bytes),
            evictions = tonumber(s.unwind_evictions), budget = tonumber(s.unwind_budget),
            failures = {},
            kernel = {
                mode = KERNEL_UNWIND_NAMES[tonumber(s.kunwind_mode)],
                walks = 0, complete = tonumber(s.kunwind_walks[C.PR_KUW_COMPLETE]),
                fallbacks = {
                    no_proc = tonumber(s.kunwind_walks[C.PR_KUW_NO_PROC]),
                    no_map = tonumber(s.kunwind_walks[C.PR_KUW_NO_MAP]),
                    no_table = tonumber(s.kunwind_walks[C.PR_KUW_NO_TABLE]),
                    stopped = tonumber(s.kunwind_walks[C.PR_KUW_STOPPED]),
                    no_copy = tonumber(s.kunwind_walks[C.PR_KUW_NO_COPY]),
                },
                frames = tonumber(s.kunwind_frames),
                fp_frames = tonumber(s.kunwind_fp_frames),
                borrowed = tonumber(s.kunwind_borrowed),
                wakes = tonumber(s.kunwind_wakes),
                binaries = tonumber(s.kunwind_binaries), rows = tonumber(s.kunwind_rows),
                row_budget = tonumber(s.kunwind_row_budget), rules = tonumber(s.kunwind_rules),
                bytes = tonumber(s.kunwind_bytes), loads = tonumber(s.kunwind_loads),
                evictions = tonumber(s.kunwind_evictions), procs = tonumber(s.kunwind_procs),
                proc_loads = tonumber(s.kunwind_proc_loads), failed = tonumber(s.kunwind_failed),
                verified = tonumber(s.kunwind_verified),
                mismatched = tonumber(s.kunwind_mismatched),
            },
        },
        proc = {
            size = tonumber(s.proc_size), capacity = tonumber(s.proc_capacity),
            hits = tonumber(s.proc_hits), misses = tonumber(s.proc_misses),
            evictions = tonumber(s.proc_evictions),
            exited_evictions = tonumber(s.proc_exited_evictions),
            reloads = tonumber(s.proc_reloads), seeded = tonumber(s.proc_seeded),
            gone = tonumber(s.proc_gone), untracked = tonumber(s.proc_untracked),
        },
        memory = { lua_bytes = tonumber(s.lua_bytes), lua_limit = tonumber(s.lua_limit) },
        aggregate = {
            counted = tonumber(s.agg_counted), records = tonumber(s.agg_records),
            collisions = tonumber(s.agg_collisions), counts_full = tonumber(s.agg_counts_full),
            stacks_full = tonumber(s.agg_stacks_full),
            stack_misses = tonumber(s.agg_stack_misses),
            stack_reads = tonumber(s.agg_stack_reads),
            stack_deletes = tonumber(s.agg_stack_deletes),
            stacks_received = tonumber(s.agg_stacks_received),
            stacks_unsent = tonumber(s.agg_stacks_unsent),
        },
        target = { untracked = tonumber(s.target_untracked) },
        python = {
            processes = tonumber(s.python_processes),
            checked = tonumber(s.python_checked),
            unsupported = tonumber(s.python_unsupported),
            stacks = tonumber(s.python_stacks),
            frames = tonumber(s.python_frames),
            unnamed = tonumber(s.python_unnamed),
            reread = tonumber(s.python_reread),
            cut = tonumber(s.python_cut),
            no_thread = tonumber(s.python_no_thread),
            faults = tonumber(s.python_faults),
            unpaired = tonumber(s.python_unpaired),
            functions = tonumber(s.python_functions),
            code_objects = tonumber(s.python_code_objects),
            bytes = tonumber(s.python_bytes),
            bpf_walks = tonumber(s.python_bpf_walks),
            bpf_walk_ns = tonumber(s.python_bpf_walk_ns),
            bpf_walk_frames = tonumber(s.python_bpf_walk_frames),
        },
    }
    for i = 0, C.PR_UW_FAIL_MAX - 1 do
        t.unwind.failures[UNWIND_FAILS[i]] = tonumber(s.unwind_fail[i])
    end
    local k = t.unwind.kernel
    k.walks = k.complete
    for _, v in pairs(k.fallbacks) do k.walks = k.walks + v end
    for i = 0, #PROVIDERS do
        t[PROVIDERS[i].name] = { produced = tonumber(s.produced[i]),
            delivered = tonumber(s.delivered[i]), dropped = tonumber(s.dropped[i]),
            discarded = tonumber(s.discarded[i]), failed = tonumber(s.failed[i]) }
    end
    t.sample.idle_skipped = tonumber(s.idle_skipped)
    t.sample.spilled = tonumber(s.sample_spilled)
    t.offcpu.untracked = tonumber(s.offcpu_untracked)
    t.offcpu.dropped_ns = tonumber(s.offcpu_dropped_ns)
    t.offcpu.flushes = tonumber(s.offcpu_flushes)
    t.offcpu.resynced = tonumber(s.offcpu_resynced)
    t.probe.sampled_out = tonumber(s.probe_sampled_out)
    t.probe.count_lost = tonumber(s.probe_count_lost)
    t.probe.stack_lost = tonumber(s.probe_stack_lost)
    for k, f in pairs(M.stats_extra) do t[k] = f() end
    return t
end

-- sample_hz(): the sampling frequency per CPU in force (-F overrides
-- sample{hz=}; final once the script's top level has run)
function api.sample_hz() return C.pr_ffi_sample_hz(rt) end

-- now(): CLOCK_MONOTONIC nanoseconds, the clock of every event's time
function api.now() return tonumber(C.pr_ffi_now()) end

-- ---- the loop's side ----------------------------------------------------

-- Setup runs with the JIT off: count hooks (the setup budget, Ctrl-C)
-- never fire inside compiled traces, so a top-level loop must stay
-- interpreted. jit.on()/jit.off() with no argument at the top level say
-- which engine the hooks get afterwards (on unless the script said off).
local jit_on, jit_off = jit.on, jit.off
local jit_wanted = true

local function hold_jit_for_setup()
    jit_off()
    jit.off = function(...)
        if select("#", ...) == 0 then jit_wanted = false end
        return jit_off(...)
    end
    jit.on = function(...)
        if select("#", ...) == 0 then
            jit_wanted = true
            return
        end
        return jit_on(...)
    end
end

local function release_jit()
    jit.on, jit.off = jit_on, jit_off
    if jit_wanted then jit_on() end
end

function M.start(rt_ptr, keep_going_opt, restricted, write_dir, script_path, traceback)
    -- once only: a script that gets this module must not point rt elsewhere
    if rt then error("profrun has already started", 2) end
    rt = cast("struct pr_rt *", rt_ptr)
    keep_going = keep_going_opt
    traceback_handler = traceback
    if restricted then
        local ok, err = require("profrun.sandbox").apply(write_dir, script_path)
        if not ok then error(err, 0) end
    end
    for k, v in pairs(api) do rawset(_G, k, v) end
    hold_jit_for_setup()
end

local function lock_globals()
    setmetatable(_G, {
        __newindex = function(_, k, _)
            error(format("assignment to undeclared global '%s' in a hook; declare it at the"
                .. " top of the script (local %s = ...)", tostring(k), tostring(k)), 2)
        end,
    })
end

-- Does fn (or a function defined inside it) name this global? Global
-- reads are string constants of the bytecode, so this finds every
-- proc(...) the script could call.
local function names_global(fn, name)
    local ok, jutil = pcall(require, "jit.util")
    if not ok then return true end -- cannot tell: assume it does
    local function walk(f)
        local fi = jutil.funcinfo(f)
        for i = 1, fi.gcconsts or 0 do
            local k = jutil.funck(f, -i)
            if k == name or (type(k) == "proto" and walk(k)) then return true end
        end
        return false
    end
    return walk(fn)
end

local walk_batch, make_walker -- the batch walker, and what makes it (below)

-- Called once the script's top level has run: collects the hooks, checks
-- them, and returns the bits of what needs BPF (hooks, and proc()
-- tracking when the script can call proc).
function M.finish_setup(chunk)
    local mask = 0
    if proc_tracking or (chunk and names_global(chunk, "proc")) then
        mask = C.PR_HOOK_PROC
    end
    for name, v in pairs(_G) do
        if type(name) == "string" and name:sub(1, 3) == "on_" then
            if not HOOK_BITS[name] then
                error(format("unknown hook '%s' (did you mean '%s'?)", name,
                    nearest(name, HOOK_NAMES)), 0)
            end
            if type(v) ~= "function" then
                error(format("%s must be a function, got %s", name, type(v)), 0)
            end
        end
    end
    if #probe_fns > 0 then
        if rawget(_G, "on_probe") or rawget(_G, "on_tracepoint") then
            error("define on_probe/on_tracepoint or give probe() functions, not both", 0)
        end
        -- each hit to the function of its probe() (e.probe_index)
        local fns = probe_fns
        local function dispatch(e) return fns[e.probe_index + 1](e) end
        local kinds = {}
        for _, spec in ipairs(probe_specs) do
            kinds[spec:sub(1, 2) == "t:" and "on_tracepoint" or "on_probe"] = true
        end
        for hook in pairs(kinds) do
            hooks[hook] = dispatch
            mask = mask + HOOK_BITS[hook]
        end
    end
    for name, bitv in pairs(HOOK_BITS) do
        local fn = rawget(_G, name)
        if fn then
            hooks[name] = fn
            mask = mask + bitv
        end
    end
    in_setup = false
    walk_batch = make_walker()
    release_jit()
    lock_globals()
    return mask
end

local hdr_ptr = ffi.typeof("const struct pr_hdr *")
local basep = ffi.new("const uint8_t *[1]")
local bytesp = ffi.new("uint32_t[1]")

local hook_error = C.pr_ffi_hook_error

local memory_hit = C.pr_ffi_memory_hit

-- With --keep-going each hook call is protected on its own, so one bad
-- event costs one event, not the rest of its batch. Hitting the memory
-- cap is not one bad event: it stops the run (the error handler is not
-- even called for it).
local function protected(name, fn, ev)
    local ok, err = xpcall(fn, traceback_handler, ev)
    if ok then return end
    if memory_hit(rt) ~= 0 then error(err, 0) end
    hook_error(rt, name, tostring(err))
end

-- The batch walker is generated once setup has said which hooks exist:
-- one branch per hook the script defined, on the arena record type its
-- provider hands out. A generated if-chain, not a table of functions,
-- because LuaJIT compiles the loop with its hooks inlined, and because
-- each hook is called through a local named like it: tracebacks name
-- the hook. handed() tells the runtime how many records were handed
-- over (it brings the process cache up to date with them first; if a
-- stop cuts the batch short, the rest count as discarded) and says when
-- a stop is pending: a count hook never fires inside a compiled trace.
function make_walker()
    local names, args, branches = {}, {}, {}
    for i = 0, #PROVIDERS do
        local p = PROVIDERS[i]
        local fn = p.hook and hooks[p.hook]
        if fn then
            local n = #names + 1
            names[n], args[n] = p.hook, fn
            names[n + 1], args[n + 1] = "view_" .. p.name, event.view_ptr(p.name)
            branches[#branches + 1] = format([[
        %s t == %d then
            if kg then protected(%q, %s, cast(view_%s, p))
            else %s(cast(view_%s, p)) end]], #branches == 0 and "if" or "elseif",
                tonumber(p.view), p.hook, p.hook, p.name, p.hook, p.name)
        end
    end
    local src = format([[
local cast, band, hdr_ptr, handed, protected, is_stopping%s = ...
return function(rt, n, p, kg)
    for i = 1, n do
        if is_stopping() or handed(rt, i) ~= 0 then return end
        local h = cast(hdr_ptr, p)
        local t = h.type
%s
        p = p + band(h.size + 7, -8)
    end
end]], #names > 0 and ", " .. table.concat(names, ", ") or "",
        #branches > 0 and table.concat(branches, "\n") .. "\n        end" or "")
    local chunk = assert(loadstring(src, "=lua/profrun/dispatch"))
    return chunk(cast, band, hdr_ptr, C.pr_ffi_handed, protected,
        function() return stopping end, unpack(args, 1, #names))
end

-- One batch: hands each record of the arena to its hook, in order.
function M.dispatch()
    local n = C.pr_ffi_batch(rt, basep, bytesp)
    walk_batch(rt, n, basep[0], keep_going)
end

function M.timer(id)
    if stopping then return end
    local every_callback = timers[id]
    if not every_callback then return end
    if keep_going then protected("every()", every_callback) else every_callback() end
end

function M.finish()
    local on_end = hooks.on_end
    if on_end then on_end() end
end


return M
