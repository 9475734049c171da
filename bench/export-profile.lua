-- export-profile.lua: the profile bench/export.sh runs under profrun, with
-- and without the ClickHouse sink: a whole-machine profile at --hz in
-- --window windows, counted per stack in Lua either way; with --url each
-- sample also goes to profrun.export's ClickHouse sink and each window is
-- pushed. Prints one line: samples, rows sent, seconds spent in flushes.
--   profrun bench/export-profile.lua [--url URL] [--hz 99] [--window 10]
local export = require "profrun.export"
local url, hz, window = nil, 99, 10
local i = 1
while arg[i] do
    local a, v = arg[i], arg[i + 1]
    if a == "--url" then url = v
    elseif a == "--hz" then hz = tonumber(v)
    elseif a == "--window" then window = tonumber(v)
    else error("usage: export-profile.lua [--url URL] [--hz N] [--window S]", 0) end
    i = i + 2
end
sample { hz = hz }
local ch = url and export.clickhouse { url = url, host = "bench" }
local counts, samples, queued = {}, 0, 0
function on_sample(s)
    samples = samples + s.count
    counts[s.stack] = (counts[s.stack] or 0) + s.count
    if ch then ch:sample(s) end
end
every(window, function() if ch then queued = queued + ch:flush() end end)
function on_end()
    if ch then
        queued = queued + ch:flush()
        export.close()
    end
    local e = stats().export
    print(string.format("# exportbench samples=%d queued=%d sent=%d dropped=%d", samples, queued,
        e and e.sent.rows or 0, e and e.dropped.rows or 0))
end
