-- lifetimes.lua: how long do processes live, per parent command? At the
-- end, one log2 histogram of lifetimes (microseconds) for each parent
-- command, the busiest parents first: a build system forking thousands of
-- 2 ms compilers, a cron job, a shell loop stand out at once.
--
-- The parent is named by proc(ppid).comm when the exit arrives (the
-- parent is usually alive), else by the comm the parent had when it was
-- last seen exec'ing, else "[ppid N]".
--
--   profrun examples/lifetimes.lua -d 10s        # whole machine
--   profrun -c 'make -j8' examples/lifetimes.lua # until the command ends
--   profrun examples/lifetimes.lua -d 10s 3      # only the top 3 parents
--
--   @lifetime_us[make] (1412 processes):
--   [512, 1K)             57 |@@@@                                                |
--   [1K, 2K)             682 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
--   [2K, 4K)             431 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                    |
--   [4K, 8K)             242 |@@@@@@@@@@@@@@@@@@                                  |
local hist = require "profrun.hist"
local esc = require("profrun.text").escape -- comms: no forged lines

local limit = tonumber(arg[1]) or math.huge

local per_parent = {} -- parent comm -> log2 histogram of lifetimes (us)
local seen_comm = {}  -- pid -> comm at its last exec (for parents gone by the exit)

function on_exec(e)
    seen_comm[e.pid] = e.comm
end

function on_exit(e)
    local parent = proc(e.ppid)
    local name = parent and parent.comm or seen_comm[e.ppid] or ("[ppid " .. e.ppid .. "]")
    local h = per_parent[name]
    if not h then
        h = hist.log2()
        per_parent[name] = h
    end
    h:add(e.duration / 1000)
    seen_comm[e.pid] = nil
end

function on_end()
    local names = {}
    for name in pairs(per_parent) do names[#names + 1] = name end
    table.sort(names, function(a, b)
        local ca, cb = per_parent[a]:count(), per_parent[b]:count()
        if ca ~= cb then return ca > cb end
        return a < b
    end)
    for i = 1, math.min(limit, #names) do
        local h = per_parent[names[i]]
        if i > 1 then print() end
        local n = h:count()
        h:print(string.format("@lifetime_us[%s] (%d %s):", esc(names[i]), n,
            n == 1 and "process" or "processes"))
    end
    local s = stats().exit
    if s.dropped > 0 then
        io.stderr:write(string.format("lifetimes: %d of %d exit events lost\n", s.dropped,
            s.produced))
    end
end
