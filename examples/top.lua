-- top.lua: which functions burn the CPU? Samples every CPU (or one
-- process), user and kernel stacks, and at the end prints the hottest
-- functions by self time (samples where the function was running) with
-- their total time (samples where it was anywhere on the stack).
--
--   profrun examples/top.lua -d 5                 # whole machine, 5 s
--   profrun -p 1234 -F 999 examples/top.lua       # one process, 999 Hz
--   profrun -c './myprog --flag' examples/top.lua # a command, until it exits
--   profrun examples/top.lua -d 5 40              # top 40 instead of 20
--
--   600 samples, 0.2% of them idle (0 lost)
--    SELF%  TOTAL%  SAMPLES  FUNCTION                        MODULE
--    74.6%   74.6%      448  burn_heavy                      burn
--    24.8%   24.8%      149  burn_light                      burn
--     0.5%   99.9%        3  main                            burn
--
-- Function and module names are escaped (profrun.text: a newline shows as
-- \n, ESC as \x1b): a binary or process cannot forge a row.
local esc = require("profrun.text").escape
local limit = tonumber(arg[1]) or 20

-- idle samples are taken too, but only counted: the header says how busy
-- the machine was, the table is about the work
-- counted in the kernel: one on_sample per distinct stack every 500 ms,
-- s.count the samples it stands for
sample { idle = true, aggregate = true }
-- each stack is folded into its functions as it comes and its id is not
-- kept: the stack table starts over now and then, and a run of any
-- length holds only its functions
stacks { keep = "recent" }

local self_n, total_n = {}, {} -- "function\0module" -> samples
local folded = {}              -- stack id -> { leaf's key, each key once }
local nfolded = 0
local total, idle = 0, 0

local function label(f)
    if f.name then return f.name end
    if f.module then return string.format("0x%x", f.offset) end
    return string.format("[unknown 0x%x]", f.addr)
end

local function module(f)
    if f.kernel then return f.module == "kernel" and "[kernel]" or f.module or "[kernel]" end
    return f.module and f.module:match("[^/]*$") or "?"
end

-- the stack's keys: the leaf's first, then each function on it once
local function fold(id)
    local keys, seen = {}, {}
    for i, f in ipairs(stack(id)) do
        local key = label(f) .. "\0" .. module(f)
        if i == 1 then keys[1] = key end
        if not seen[key] then
            seen[key] = true
            keys[#keys + 1] = key
        end
    end
    return keys
end

local function add(keys, c)
    self_n[keys[1]] = (self_n[keys[1]] or 0) + c
    for i = 2, #keys do
        local k = keys[i]
        total_n[k] = (total_n[k] or 0) + c
    end
end

function on_sample(s)
    local c = s.count
    if s.pid == 0 then
        idle = idle + c
        return
    end
    total = total + c
    local id = s.stack
    local keys = folded[id]
    if not keys then
        -- stack(0), no stack, has no frames: folded[0] is never kept
        keys = fold(id)
        if #keys == 0 then
            local key = "[no stack: " .. s.comm .. "]"
            keys = { key, key }
        elseif nfolded < 4096 then
            nfolded = nfolded + 1
            folded[id] = keys
        else
            -- ids are never reused: the cache only has to stay small
            folded, nfolded = { [id] = keys }, 1
        end
    end
    add(keys, c)
end

function on_end()
    local keys = {}
    for k in pairs(total_n) do
        keys[#keys + 1] = k
        self_n[k] = self_n[k] or 0
    end
    table.sort(keys, function(a, b)
        if self_n[a] ~= self_n[b] then return self_n[a] > self_n[b] end
        if total_n[a] ~= total_n[b] then return total_n[a] > total_n[b] end
        return a < b
    end)
    local st = stats()
    local all = total + idle
    print(string.format("%d samples, %.1f%% of them idle (%d lost)", all,
        all > 0 and 100 * idle / all or 0, st.sample.dropped))
    if total == 0 then return end
    print(string.format("%7s %7s %8s  %-40s %s", "SELF%", "TOTAL%", "SAMPLES", "FUNCTION",
        "MODULE"))
    for i = 1, math.min(limit, #keys) do
        local k = keys[i]
        local name, m = k:match("^(.-)%z(.*)$")
        print(string.format("%6.1f%% %6.1f%% %8d  %-40s %s", 100 * self_n[k] / total,
            100 * total_n[k] / total, self_n[k], esc(name or k), esc(m or "")))
    end
end
