-- profrun.event: how events look from Lua.
--
-- Events are FFI views of records in the loop's arena (no Lua table per
-- event). A view is valid during its callback only; e:copy() keeps one.
-- Fields read like plain Lua values: strings are Lua strings, ids and
-- counters are numbers, times are CLOCK_MONOTONIC nanoseconds (numbers).
local ffi = require "ffi"
local bit = require "bit"
local text_frame = require("profrun.text").frame

local M = {}

local ffi_string, tonumber, format = ffi.string, tonumber, string.format

local stack_of -- set by profrun: id -> frames
local C = ffi.C -- the enums of bpf/events.h, declared by profrun

local function comm(r) return ffi_string(r.comm) end

-- the exec event's argument block: NUL-separated words
local function args_text(r)
    local n = r.args_len
    if n > ffi.sizeof(r.args) then n = ffi.sizeof(r.args) end
    while n > 0 and r.args[n - 1] == 0 do n = n - 1 end
    return ffi_string(r.args, n)
end

local function split_args(s)
    local t = {}
    for w in (s .. "\0"):gmatch("([^%z]*)%z") do t[#t + 1] = w end
    if s == "" then t = {} end
    return t
end
M.split_args = split_args
local function time(r) return tonumber(r.hdr.time) end
local function cgroup(r) return tonumber(r.cgroup) end

-- A blocked thread's state as ps shows it. The bits are the kernel's
-- task states (include/linux/sched.h): TASK_IDLE is D that does not count
-- as load; 0 means the thread was preempted (runnable, not blocked).
local C_PREEMPTED, C_SUM, C_WAKER, C_USER_MISSED
local C_PROBE_RET, C_PROBE_DURATION
local probe_names = {} -- probe index + 1 -> its spec (set by profrun)
local probe_fields = {} -- t: probes: probe index + 1 -> the record's fields
local probe_funcs = {} -- probe index + 1 -> match + 1 -> what matched

-- A register as a Lua number while that is exact: small negative values
-- (a register holds a signed long as well) read as negative numbers,
-- anything else past 2^53 stays uint64 cdata.
local EXACT = 9007199254740992ULL
local INT_TYPES = {
    [true] = { [1] = "const int8_t *", [2] = "const int16_t *", [4] = "const int32_t *",
        [8] = "const int64_t *" },
    [false] = { [1] = "const uint8_t *", [2] = "const uint16_t *", [4] = "const uint32_t *",
        [8] = "const uint64_t *" },
}
local function field_int(p, size, signed)
    local ct = INT_TYPES[signed][size]
    if not ct then return nil end
    local v = ffi.cast(ct, p)[0]
    if size < 8 then return tonumber(v) end
    if signed then
        if v < 9007199254740992LL and v > -9007199254740992LL then return tonumber(v) end
    elseif v < EXACT then
        return tonumber(v)
    end
    return v
end
local int64_t = ffi.typeof("int64_t")
local function register(v)
    if v < EXACT then return tonumber(v) end
    if v > -EXACT then return tonumber(ffi.cast(int64_t, v)) end
    return v
end

local function state_letter(r)
    local s = r.state
    if s == 0 or bit.band(r.flags, C_PREEMPTED) ~= 0 then return "R" end
    if bit.band(s, 0x402) == 0x402 then return "I" end
    if bit.band(s, 0x2) ~= 0 then return "D" end
    if bit.band(s, 0x1) ~= 0 then return "S" end
    if bit.band(s, 0x4) ~= 0 then return "T" end
    if bit.band(s, 0x8) ~= 0 then return "t" end
    if bit.band(s, 0x40) ~= 0 then return "P" end
    return "?"
end

-- What a blocked thread waits for, read from its kernel stack, leaf
-- first: the first frame that names a kind of wait decides, so a page
-- fault that waits for the disk is "disk" and a futex under poll is
-- "futex". Patterns match function names that have been stable across
-- kernels (6.x renamed pipe_read to anon_pipe_read, hence no anchor
-- there); what matches none is "other".
local REASONS = {
    { "futex", { "^futex_", "^__futex_", "^do_futex" } },
    { "pipe", { "pipe_read$", "pipe_write$", "^pipe_wait", "^wait_for_partner" } },
    { "socket", { "^sk_wait_", "^sock_", "^tcp_", "^udp_", "^unix_", "^__skb_wait",
        "^inet_", "^__sys_recv", "^__sys_send", "^__sys_accept" } },
    { "poll", { "^do_sys_poll", "^do_poll", "^do_select", "^core_sys_select", "^ep_poll",
        "^do_epoll_wait", "^poll_schedule_timeout" } },
    { "disk", { "^io_schedule", "^blk_", "^bio_", "^submit_bio", "^folio_wait",
        "^__folio_lock", "^wait_on_page", "^__lock_page", "^jbd2_", "^__wait_on_buffer",
        "^wait_on_buffer", "^io_uring_" } },
    { "nanosleep", { "^do_nanosleep", "^hrtimer_nanosleep", "^common_nsleep",
        "^__x64_sys_nanosleep", "^__x64_sys_clock_nanosleep" } },
    { "fault", { "^exc_page_fault", "^do_user_addr_fault", "^handle_mm_fault",
        "^__handle_mm_fault", "^filemap_fault", "^do_fault" } },
}

local reason_memo = {}

local function reason_of_stack(id)
    local frames = stack_of(id)
    for i = 1, #frames do
        local f = frames[i]
        if f.kernel and f.name then
            for _, kind in ipairs(REASONS) do
                for _, pat in ipairs(kind[2]) do
                    if f.name:find(pat) then return kind[1] end
                end
            end
        end
    end
    return "other"
end

local function reason(r)
    if r.state == 0 or bit.band(r.flags, C_PREEMPTED) ~= 0 then return "preempted" end
    local id = r.stack
    local why = reason_memo[id]
    if not why then
        why = reason_of_stack(id)
        if id ~= 0 then reason_memo[id] = why end
    end
    return why
end

-- One view per provider (runtime/providers.c), keyed by its name: the
-- fields its hook's event has. The record behind the view is struct
-- pr_<name> (bpf/events.h).
local getters = {
    sample = {
        pid = function(r) return r.pid end,
        tid = function(r) return r.tid end,
        -- nil for samples counted in the kernel (PR_CPU_ANY): they come from any CPU
        cpu = function(r) if r.cpu ~= 0xffffffff then return r.cpu end end,
        stack = function(r) return r.stack end,
        count = function(r) return r.count end,
        -- samples this event stands for in a profile (flame, pprof, top)
        weight = function(r) return r.count end,
        comm = comm, time = time, cgroup = cgroup,
    },
    exec = {
        pid = function(r) return r.pid end,
        ppid = function(r) return r.ppid end,
        uid = function(r) return r.uid end,
        old_pid = function(r) return r.old_pid end,
        start = function(r) return tonumber(r.start) end,
        filename = function(r) return ffi_string(r.filename) end,
        argv = function(r) return split_args(args_text(r)) end,
        cmdline = function(r) return (args_text(r):gsub("%z", " ")) end,
        args_truncated = function(r) return r.args_truncated ~= 0 end,
        mntns = function(r) return r.mntns end,
        pidns = function(r) return r.pidns end,
        comm = comm, time = time, cgroup = cgroup,
    },
    fork = {
        pid = function(r) return r.pid end,
        ppid = function(r) return r.ppid end,
        start = function(r) return tonumber(r.start) end,
        comm = comm, time = time,
    },
    offcpu = {
        pid = function(r) return r.pid end,
        tid = function(r) return r.tid end,
        start = function(r) return tonumber(r.start) end,
        duration = function(r) return tonumber(r.duration) end,
        weight = function() return 1 end,
        count = function(r) return r.count end,
        state = state_letter,
        state_bits = function(r) return r.state end,
        reason = reason,
        stack = function(r) return r.stack end,
        aggregated = function(r) return bit.band(r.flags, C_SUM) ~= 0 end,
        user_missed = function(r) return bit.band(r.flags, C_USER_MISSED) ~= 0 end,
        waker_pid = function(r) if bit.band(r.flags, C_WAKER) ~= 0 then return r.waker_pid end end,
        waker_tid = function(r) if bit.band(r.flags, C_WAKER) ~= 0 then return r.waker_tid end end,
        waker_comm = function(r)
            if bit.band(r.flags, C_WAKER) ~= 0 then return ffi_string(r.waker_comm) end
        end,
        waker_stack = function(r)
            if bit.band(r.flags, C_WAKER) ~= 0 then return r.waker_stack end
        end,
        comm = comm, time = time,
    },
    probe = {
        weight = function() return 1 end,
        pid = function(r) return r.pid end,
        tid = function(r) return r.tid end,
        cpu = function(r) return r.cpu end,
        probe = function(r) return probe_names[r.probe + 1] end,
        probe_index = function(r) return r.probe end,
        func = function(r)
            local f = probe_funcs[r.probe + 1]
            return f and f[r.match + 1]
        end,
        stack = function(r) if r.stack ~= 0 then return r.stack end end,
        arg = function(r)
            local a = {}
            for i = 0, 5 do a[i + 1] = register(r.args[i]) end
            return a
        end,
        retval = function(r)
            if bit.band(r.flags, C_PROBE_RET) == 0 then return nil end
            return register(r.retval)
        end,
        duration = function(r)
            if bit.band(r.flags, C_PROBE_DURATION) == 0 then return nil end
            return tonumber(r.duration)
        end,
        comm = comm, time = time, cgroup = cgroup,
    },
    tracepoint = {
        pid = function(r) return r.pid end,
        tid = function(r) return r.tid end,
        cpu = function(r) return r.cpu end,
        probe = function(r) return probe_names[r.probe + 1] end,
        probe_index = function(r) return r.probe end,
        -- the record's fields by name: integers as numbers (exact) or
        -- int64/uint64 cdata, char arrays and captured strings as strings
        args = function(r)
            local t = {}
            for _, f in ipairs(probe_fields[r.probe + 1] or {}) do
                local v
                if f.kind == 2 then
                    local n = r.str_len[f.slot]
                    v = n > 0 and ffi_string(r.str[f.slot], n - 1) or nil
                elseif f.offset + f.size > r.len then
                    v = nil
                elseif f.kind == 1 then
                    local p = r.raw + f.offset
                    local n = 0
                    while n < f.size and p[n] ~= 0 do n = n + 1 end
                    v = ffi_string(p, n)
                else
                    v = field_int(r.raw + f.offset, f.size, f.signed)
                end
                t[f.name] = v
            end
            return t
        end,
        comm = comm, time = time, cgroup = cgroup,
    },
    exit = {
        pid = function(r) return r.pid end,
        ppid = function(r) return r.ppid end,
        tid = function(r) return r.tid end,
        exit_code = function(r) return r.exit_code end,
        signal = function(r) return r.signal end,
        core = function(r) return r.core ~= 0 end,
        start = function(r) return tonumber(r.start) end,
        duration = function(r) return tonumber(r.duration) end,
        comm = comm, time = time, cgroup = cgroup,
    },
}

-- "module+0x1f" for frames without a name; the basename keeps lines short.
local function frame_name(f)
    if f.kind == "python" then
        return format("%s (%s:%d)", f.name, (f.file or "?"):match("[^/]*$"), f.line or 0)
    end
    if f.name then return f.name end
    if f.module then
        return format("%s+0x%x", f.module:match("[^/]*$"), f.offset)
    end
    return "[unknown]"
end
M.frame_name = frame_name

-- comm;root;...;leaf (user frames, then kernel frames on top). Each
-- name goes through text.frame: a ";", newline or control byte in a comm
-- or symbol cannot add a frame or a line (see profrun.text).
local function folded(comm_name, frames)
    local parts, n = { text_frame(comm_name) }, 1
    for i = #frames, 1, -1 do
        local f = frames[i]
        if not f.kernel then n = n + 1; parts[n] = text_frame(frame_name(f)) end
    end
    for i = #frames, 1, -1 do
        local f = frames[i]
        if f.kernel then n = n + 1; parts[n] = text_frame(frame_name(f)) end
    end
    return table.concat(parts, ";")
end
M.folded = folded

local function methods_for(kind, ctype)
    local m = {
        copy = function(self)
            local v = ffi.new(ctype)
            ffi.copy(v, self, ffi.sizeof(ctype))
            return v
        end,
    }
    if kind == "sample" or kind == "offcpu" or kind == "probe" then
        m.frames = function(self) return stack_of(self.r.stack) end
        m.folded = function(self) return folded(comm(self.r), stack_of(self.r.stack)) end
    end
    if kind == "probe" then
        -- argument i as the string read at the probe (strings = {i}), or nil
        m.str = function(self, i)
            local r = self.r
            for k = 0, 1 do
                if r.str_arg[k] == i and r.str_len[k] > 0 then
                    return ffi_string(r.str[k], r.str_len[k] - 1)
                end
            end
            return nil
        end
    end
    if kind == "offcpu" then
        m.waker_frames = function(self)
            if bit.band(self.r.flags, C_WAKER) == 0 then return {} end
            return stack_of(self.r.waker_stack)
        end
    end
    return m
end

local function describe(kind, g, self)
    local keys = {}
    for k in pairs(g) do keys[#keys + 1] = k end
    table.sort(keys)
    local out = { kind }
    for _, k in ipairs(keys) do out[#out + 1] = k .. "=" .. tostring(g[k](self.r)) end
    return table.concat(out, " ")
end

local view_ptrs = {}

-- The pointer type hooks of provider `kind` get their records as: a view
-- of struct pr_<kind> with its getters and methods.
function M.view_ptr(kind)
    local ptr = view_ptrs[kind]
    if ptr then return ptr end
    local g = getters[kind]
    if not g then error(format("no event view for provider '%s'", kind), 2) end
    local ctype = "pr_" .. kind .. "_view"
    ffi.cdef(format("typedef struct { struct pr_%s r; } %s;", kind, ctype))
    local methods = methods_for(kind, ctype)
    ffi.metatype(ctype, {
        __index = function(self, k)
            local get = g[k]
            if get then return get(self.r) end
            local m = methods[k]
            if m then return m end
            error(format("%s event has no field '%s'", kind, tostring(k)), 2)
        end,
        __tostring = function(self) return describe(kind, g, self) end,
    })
    ptr = ffi.typeof("const " .. ctype .. " *")
    view_ptrs[kind] = ptr
    return ptr
end

-- event.stack_frames(id): the frames of stack id (profrun's stack())
function M.stack_frames(id) return stack_of(id) end

function M.set_stack_resolver(fn)
    stack_of = fn
    -- bpf/events.h is declared by now
    C_PREEMPTED, C_SUM = C.PR_OFFCPU_PREEMPTED, C.PR_OFFCPU_SUM
    C_WAKER, C_USER_MISSED = C.PR_OFFCPU_WAKER, C.PR_OFFCPU_USER_MISSED
    C_PROBE_RET, C_PROBE_DURATION = C.PR_PROBE_RET, C.PR_PROBE_DURATION
end

function M.set_probe_names(names, fields, funcs)
    probe_names, probe_fields, probe_funcs = names, fields, funcs
end

return M
