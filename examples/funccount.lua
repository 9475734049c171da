-- funccount.lua: how often is each function of a glob called? The
-- kernel counts the calls (count_only: no event crosses the ring, so a
-- function called millions of times a second costs one map update per
-- call); at the end, and every INTERVAL seconds if given, one line per
-- function, the busiest first. The pattern is probe()'s spec; without a
-- kind it is a user function: BINARY:GLOB (a path or a library's short
-- name), or k:GLOB, usdt:BINARY:PROVIDER:NAME.
--
--   profrun -d 5 examples/funccount.lua 'libc:pthread_mutex_*'
--   profrun -p 1234 examples/funccount.lua './app:parse_*' 1     # every second
--   profrun -c 'make -j2' examples/funccount.lua 'libc:malloc'
--
--       CALLS FUNCTION
--       40123 pthread_mutex_lock
--       40121 pthread_mutex_unlock
--   2 functions, 80244 calls
local esc = require("profrun.text").escape -- names come from others' binaries

local pattern, interval = arg[1], tonumber(arg[2])
if not pattern then
    error("usage: funccount.lua PATTERN [INTERVAL]  (e.g. 'libc:pthread_mutex_*')", 0)
end
local KINDS = { u = true, ur = true, k = true, kr = true, usdt = true }
local spec = KINDS[pattern:match("^(%a+):") or ""] and pattern or "u:" .. pattern

local p = probe(spec, { count_only = true })
local before = {} -- func -> count at the last print (interval mode)

local function report(title)
    local rows, lost = p:counts()
    local by, total = {}, 0
    for _, r in ipairs(rows) do
        local n = r.count - (before[r.func] or 0)
        before[r.func] = r.count
        if n > 0 then by[#by + 1] = { func = r.func, n = n } end
        total = total + n
    end
    table.sort(by, function(a, b)
        if a.n ~= b.n then return a.n > b.n end
        return a.func < b.func
    end)
    if title then print(title) end
    print(string.format("%12s %s", "CALLS", "FUNCTION"))
    for _, r in ipairs(by) do print(string.format("%12d %s", r.n, esc(r.func))) end
    print(string.format("%d functions, %d calls", #by, total))
    if lost.hits > 0 then print(string.format("%d calls not counted: the counts table was full", lost.hits)) end
end

if interval then
    every(interval, function() report(os.date("%H:%M:%S")) end)
end

function on_end() report(interval and os.date("%H:%M:%S") or nil) end
