-- bpf/events.h and runtime/ffi.h are compiled by C and parsed by LuaJIT:
-- both must lay the structs out identically.
local ffi = require "ffi"
local C = ffi.C

local TYPES = { "pr_hdr", "pr_sample_raw", "pr_sample", "pr_exec", "pr_exit", "pr_frame",
    "pr_stats", "pr_sample_opts", "pr_src_counts",
    "pr_provider_info", "pr_offcpu", "pr_offcpu_opts", "pr_probe", "pr_probe_opts", "pr_probe_count",
    "pr_tracepoint", "pr_tp_field", "pr_export_opts", "pr_export_stats" }
local FIELDS = {
    pr_hdr = { "type", "size", "time" },
    pr_sample = { "pid", "tid", "cpu", "stack", "cgroup", "comm", "count" },
    pr_exec = { "pid", "ppid", "uid", "old_pid", "cgroup", "start", "comm", "filename" },
    pr_exit = { "pid", "ppid", "tid", "exit_code", "signal", "core", "cgroup", "start",
        "duration", "comm" },
    pr_sample_raw = { "addrs" },
    pr_frame = { "name", "module", "kernel", "line", "file", "kind", "inlined" },
    pr_stats = { "delivered", "binaries", "proc_untracked", "offcpu_flushes", "kunwind_walks",
        "kunwind_mismatched", "agg_stack_misses", "python_processes", "python_bytes",
        "stack_bytes", "kunwind_wakes", "sample_spilled", "kunwind_fp_frames",
        "dwarf_cache_hits", "dwarf_cache_builds", "dwarf_cache_refused",
        "dwarf_cache_rebuilds", "dwarf_cache_pruned", "kunwind_borrowed" },
    pr_offcpu = { "pid", "start", "duration", "count", "stack", "waker_stack", "flags",
        "comm", "waker_comm" },
    pr_offcpu_opts = { "pid", "buffer" },
    pr_sample_opts = { "unwind_tables", "kernel_unwind", "kernel_tables", "aggregate",
        "python" },
    pr_probe = { "probe", "args", "retval", "comm", "str_len", "str_arg", "str", "stack", "match" },
    pr_probe_opts = { "count_only" },
    pr_probe_count = { "stack" },
    pr_tracepoint = { "raw", "str" },
    pr_tp_field = { "slot" },
    pr_export_opts = { "wait_ms" },
    pr_export_stats = { "dropped_rows", "last_error" },
}

return function(t)
    t.test("ABI version matches", function()
        t.eq(C.pr_ffi_abi_version(), C.PR_ABI_VERSION, "abi")
    end)
    for _, name in ipairs(TYPES) do
        t.test("sizeof " .. name, function()
            t.eq(ffi.sizeof("struct " .. name), C.pr_ffi_sizeof(name), name)
        end)
    end
    for name, fields in pairs(FIELDS) do
        for _, f in ipairs(fields) do
            t.test("offsetof " .. name .. "." .. f, function()
                local c = C.pr_ffi_offsetof(name, f)
                assert(c >= 0, "C does not know " .. name .. "." .. f)
                t.eq(ffi.offsetof("struct " .. name, f), c, name .. "." .. f)
            end)
        end
    end
end
