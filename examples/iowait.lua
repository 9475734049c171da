-- iowait.lua: who waits for the disk? Time threads spent in
-- uninterruptible sleep (state D: reading or writing files, page faults
-- that read from disk, fsync, direct I/O) by process and by stack, as a
-- table: the processes first, then the stacks that waited longest, each
-- with its innermost frames (user and kernel).
--
--   profrun -d 10 examples/iowait.lua             # whole machine, top 10
--   profrun -c 'dd if=/dev/zero of=f bs=1M count=64 oflag=direct' examples/iowait.lua 5
--
--   PID      COMM             D(ms)  WAITS
--   4242     dd               812.4    64
--   D(ms)  WAITS COMM             STACK
--   812.4     64 dd               dd;main;write;...;blkdev_direct_IO;io_schedule
local text = require "profrun.text"
local event = require "profrun.event"

local top_n = tonumber(arg[1]) or 10
local FRAMES = 6

offcpu { min = 1e6 }

local procs, stacks = {}, {}

local function tail(e)
    local f = e:frames()
    local names = {}
    -- user frames root first, then kernel frames: the innermost FRAMES
    for i = #f, 1, -1 do if not f[i].kernel then names[#names + 1] = f[i] end end
    for i = #f, 1, -1 do if f[i].kernel then names[#names + 1] = f[i] end end
    local out = {}
    local from = math.max(1, #names - FRAMES + 1)
    if from > 1 then out[1] = "..." end
    for i = from, #names do out[#out + 1] = text.frame(event.frame_name(names[i])) end
    return table.concat(out, ";")
end

function on_offcpu(e)
    if e.state ~= "D" then return end
    local p = procs[e.pid]
    if not p then
        p = { pid = e.pid, ns = 0, n = 0, by_comm = {} }
        procs[e.pid] = p
    end
    -- the name it waited under most: a -c command waits as sh before its
    -- exec, and summed short waits arrive after the long ones, so the
    -- name of the last event to arrive may be the older one
    local c = (p.by_comm[e.comm] or 0) + e.duration
    p.by_comm[e.comm] = c
    if not p.comm or c > p.by_comm[p.comm] then p.comm = e.comm end
    p.ns, p.n = p.ns + e.duration, p.n + e.count
    local key = e.comm .. "\0" .. e.stack
    local s = stacks[key]
    if not s then
        s = { comm = e.comm, stack = tail(e), ns = 0, n = 0 }
        stacks[key] = s
    end
    s.ns, s.n = s.ns + e.duration, s.n + e.count
end

local function sorted(t)
    local l = {}
    for _, v in pairs(t) do l[#l + 1] = v end
    table.sort(l, function(a, b) return a.ns > b.ns end)
    return l
end

function on_end()
    print(string.format("%-8s %-16s %8s %6s", "PID", "COMM", "D(ms)", "WAITS"))
    local l = sorted(procs)
    for i = 1, math.min(top_n, #l) do
        print(string.format("%-8d %-16s %8.1f %6d", l[i].pid, text.escape(l[i].comm),
            l[i].ns / 1e6, l[i].n))
    end
    print(string.format("%8s %6s %-16s %s", "D(ms)", "WAITS", "COMM", "STACK"))
    l = sorted(stacks)
    for i = 1, math.min(top_n, #l) do
        print(string.format("%8.1f %6d %-16s %s", l[i].ns / 1e6, l[i].n, text.escape(l[i].comm),
            l[i].stack))
    end
end
