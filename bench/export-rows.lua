-- export-rows.lua: rows/s profrun.export sustains into ClickHouse. Exec
-- rows (hostname, labels, comm, path, four arguments) are made in Lua at
-- --rows per 10 ms tick until --total are queued, then export.close()
-- waits until the sink delivered them; the time from the first row queued
-- to the last delivered is what the line reports.
--   profrun bench/export-rows.lua --url URL [--total 1000000] [--rows 10000]
local export = require "profrun.export"
local url, total, per = nil, 1000000, 10000
local i = 1
while arg[i] do
    local a, v = arg[i], arg[i + 1]
    if a == "--url" then url = v
    elseif a == "--total" then total = tonumber(v)
    elseif a == "--rows" then per = tonumber(v)
    else error("usage: export-rows.lua --url URL [--total N] [--rows N]", 0) end
    i = i + 2
end
local ch = export.clickhouse { url = url, host = "rows", labels = { bench = "rows" },
    batch_rows = per, memory = 1024 * 1024 * 1024, wait = 120 }
local made, t0 = 0, nil
local ev = { pid = 1, ppid = 1, uid = 0, comm = "bench", filename = "/usr/bin/bench",
    argv = { "bench", "--flag", "value", "argument" }, time = 0 }
every(0.01, function()
    if made >= total then return end
    t0 = t0 or export.wall_ns()
    ev.time = now()
    for _ = 1, per do
        made = made + 1
        ev.pid = made % 4000000
        ch:exec(ev)
    end
    ch:flush_events()
    if made >= total then exit(0) end
end)
function on_end()
    export.close()
    local secs = (export.wall_ns() - t0) / 1e9
    local e = stats().export
    print(string.format("# rowsbench rows=%d sent=%d seconds=%.3f rows_per_s=%.0f", made,
        e.sent.rows, secs, e.sent.rows / secs))
end
