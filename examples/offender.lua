-- offender.lua: which short-lived process burned the most CPU, and where?
-- Processes that live less than a second do not show in top(1), yet a
-- build or a script loop can spend most of a machine on them. Samples are
-- kept per process and stack; exit events give each process's lifetime.
-- At the end, among the processes that exited having lived less than
-- SECONDS (default 1), the one with the most CPU samples is printed with
-- its command line and its hottest stack (folded: comm;root;...;leaf).
--
--   profrun examples/offender.lua -d 30s         # whole machine, < 1 s
--   profrun examples/offender.lua -d 30s 0.2     # lived < 200 ms
--   profrun -F 999 -c 'make -j8' examples/offender.lua
--
-- Samples are at 99 Hz unless -F says otherwise: at 99 Hz, 48 samples are
-- about 485 ms of CPU.
--
--   offender among 212 processes that lived < 1 s (1731 samples in all):
--     pid 48113  cc1  lived 0.502 s, 48 samples
--     command: /usr/lib/gcc/x86_64-linux-gnu/12/cc1 -quiet foo.c ...
--     hottest stack, 37 of its 48 samples:
--       cc1;_start;__libc_start_main;main;toplev::main;compile_file;...
local event = require "profrun.event"
local esc = require("profrun.text").escape -- names and commands: no forged lines

local limit_s = tonumber(arg[1] or 1)
if not limit_s or limit_s <= 0 then
    error("usage: offender.lua [SECONDS]: SECONDS must be a number > 0, got " .. tostring(arg[1]))
end
sample { hz = 99, user = true, kernel = true }

local samples = {}  -- pid -> { [stack id] = n, total = n }
local comm_of = {}  -- pid -> comm of its latest sample
local exited = {}   -- pid -> { lifetime = ns, cmdline = ..., comm = ... }
local total = 0

function on_sample(s)
    if s.pid == 0 then return end
    local pid = s.pid
    local per = samples[pid]
    if not per then
        per = { total = 0 }
        samples[pid] = per
    end
    -- the latest: a child sampled between its fork and its exec still
    -- has its parent's comm in its first samples
    comm_of[pid] = s.comm
    local id = s.stack
    per[id] = (per[id] or 0) + 1
    per.total = per.total + 1
    total = total + 1
end

function on_exit(e)
    -- proc() still knows the process during its exit event
    local p = proc(e.pid)
    exited[e.pid] = { lifetime = e.duration, comm = e.comm, cmdline = p and p.cmdline }
end

function on_end()
    local best, best_n, short = nil, 0, 0
    for pid, x in pairs(exited) do
        if x.lifetime < limit_s * 1e9 then
            short = short + 1
            local per = samples[pid]
            if per and per.total > best_n then best, best_n = pid, per.total end
        end
    end
    print(string.format("offender among %d %s that lived < %g s (%d samples in all):",
        short, short == 1 and "process" or "processes", limit_s, total))
    if not best then
        print("  none of them was sampled")
        return
    end
    local x, per = exited[best], samples[best]
    print(string.format("  pid %d  %s  lived %.3f s, %d samples", best,
        esc(comm_of[best] or x.comm), x.lifetime / 1e9, best_n))
    local cmd = x.cmdline
    print("  command: " .. esc((cmd and cmd ~= "") and cmd or "[" .. x.comm .. "]"))
    local top_id, top_n = nil, 0
    for id, n in pairs(per) do
        if id ~= "total" and n > top_n then top_id, top_n = id, n end
    end
    print(string.format("  hottest stack, %d of its %d samples:", top_n, best_n))
    local frames = top_id ~= 0 and stack(top_id) or {}
    print("    " .. event.folded(comm_of[best] or x.comm, frames))
end
