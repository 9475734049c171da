-- fleet-exec.lua: every exec and exit of this host, with its process
-- metadata, pushed to ClickHouse (profrun.export) for all hosts to be
-- queried together ("which hosts ran binary Y?", README "Shipping results").
--
--   profrun examples/fleet-exec.lua --clickhouse http://ch:8123 --label env=prod
--   PROFRUN_CLICKHOUSE=http://ch:8123 profrun examples/fleet-exec.lua
--
-- Options: --window SECONDS (5: how often rows are sent), --label NAME=VALUE
-- (repeatable, and PROFRUN_LABELS), --host NAME, --spool DIR, --wait SECONDS.
-- The process's container (proc(pid).container) is the label "container"
-- when it runs in one.
local export = require "profrun.export"

local USAGE = "fleet-exec.lua --clickhouse URL [--window S] [--label K=V]... [--host NAME]"
    .. " [--spool DIR] [--wait S]"
local o = export.args(arg, USAGE, { clickhouse = true })
local ch = export.clickhouse { url = o.clickhouse, labels = o.labels, host = o.host,
    spool = o.spool, wait = o.wait }

local execs, exits = 0, 0
function on_exec(e)
    execs = execs + 1
    ch:exec(e, export.container_labels(proc(e.pid)))
end
function on_exit(e)
    exits = exits + 1
    ch:exit(e, export.container_labels(proc(e.pid)))
end

every(o.window or 5, function() ch:flush() end)

function on_end()
    ch:flush()
    export.close() -- delivered (or spooled) now: the counts below are final
    local st = stats()
    print(string.format("fleet-exec: %d execs, %d exits, %d rows sent, %d waiting, %d dropped",
        execs, exits, st.export.sent.rows, st.export.waiting.rows, st.export.dropped.rows))
end
