-- Events are FFI views that read like plain Lua values.
local ffi = require "ffi"
local event = require "profrun.event"
local C = ffi.C
-- views are made per provider on first use
local exec_ptr, exit_ptr = event.view_ptr("exec"), event.view_ptr("exit")
local offcpu_ptr = event.view_ptr("offcpu")

local function exec_record()
    local rec = ffi.new("pr_exec_view")
    rec.r.hdr.type = C.PR_REC_EXEC
    rec.r.hdr.size = ffi.sizeof(rec)
    rec.r.hdr.time = 123456789012ULL
    rec.r.pid, rec.r.ppid, rec.r.uid = 1234, 1, 1000
    rec.r.cgroup = 42
    ffi.copy(rec.r.comm, "bash")
    ffi.copy(rec.r.filename, "/usr/bin/bash")
    return rec
end

return function(t)
    t.test("exec view fields are Lua values", function()
        local rec = exec_record()
        local e = ffi.cast(exec_ptr, rec)
        assert(e.comm == "bash", "comm == 'bash'")
        assert(e.pid == 1234, "pid == 1234")
        t.eq(type(e.pid), "number", "type(pid)")
        t.eq(type(e.time), "number", "type(time)")
        t.eq(e.time, 123456789012, "time")
        t.eq(e.filename, "/usr/bin/bash", "filename")
        t.eq(e.cgroup, 42, "cgroup")
    end)
    t.test("unknown field raises naming it", function()
        local e = ffi.cast(exec_ptr, exec_record())
        t.raises(function() return e.pdi end, "exec event has no field 'pdi'")
    end)
    t.test("copy() outlives the record", function()
        local rec = exec_record()
        local c = ffi.cast(exec_ptr, rec):copy()
        rec.r.pid = 9
        t.eq(c.pid, 1234, "copied pid")
        t.eq(c.comm, "bash", "copied comm")
    end)
    t.test("offcpu view: state letters, sums, waker only when known", function()
        local rec = ffi.new("pr_offcpu_view")
        rec.r.pid, rec.r.tid, rec.r.count, rec.r.duration = 10, 11, 3, 4500000
        local e = ffi.cast(offcpu_ptr, rec)
        local letters = { [1] = "S", [2] = "D", [0x402] = "I", [4] = "T", [8] = "t",
            [0x101] = "S", [0x102] = "D" }
        for bits, want in pairs(letters) do
            rec.r.state = bits
            t.eq(e.state, want, "state " .. bits)
        end
        rec.r.state = 0
        t.eq(e.state, "R", "state 0")
        t.eq(e.reason, "preempted", "reason of a preempted thread")
        t.eq(e.aggregated, false, "aggregated")
        t.eq(e.waker_pid, nil, "waker_pid without PR_OFFCPU_WAKER")
        rec.r.flags = bit.bor(C.PR_OFFCPU_SUM, C.PR_OFFCPU_WAKER)
        rec.r.waker_pid = 77
        ffi.copy(rec.r.waker_comm, "writer")
        t.eq(e.aggregated, true, "aggregated")
        t.eq(e.count, 3, "count")
        t.eq(e.duration, 4500000, "duration")
        t.eq(e.waker_pid, 77, "waker_pid")
        t.eq(e.waker_comm, "writer", "waker_comm")
    end)
    t.test("exit view: signal, core, duration", function()
        local rec = ffi.new("pr_exit_view")
        rec.r.signal, rec.r.core, rec.r.duration = 9, 1, 2500000
        local e = ffi.cast(exit_ptr, rec)
        t.eq(e.signal, 9, "signal")
        t.eq(e.core, true, "core")
        t.eq(e.duration, 2500000, "duration")
    end)
    t.test("tostring names the kind and fields", function()
        local s = tostring(ffi.cast(exec_ptr, exec_record()))
        assert(s:find("^exec ") and s:find("pid=1234", 1, true), s)
    end)
    t.test("comm of 15 characters is kept whole", function()
        local rec = exec_record()
        ffi.copy(rec.r.comm, "abcdefghijklmno")
        t.eq(ffi.cast(exec_ptr, rec).comm, "abcdefghijklmno", "comm")
    end)
    t.test("folded: comm, user root..leaf, then kernel", function()
        local frames = {
            { name = "k_leaf", kernel = true }, { name = "k_entry", kernel = true },
            { name = "leaf" }, { module = "/usr/lib/libc.so.6", offset = 0x2a }, { name = "main" },
        }
        t.eq(event.folded("prog", frames), "prog;main;libc.so.6+0x2a;leaf;k_entry;k_leaf",
            "folded")
    end)
    t.test("frame_name of an unknown frame", function()
        t.eq(event.frame_name({}), "[unknown]", "name")
    end)
end
