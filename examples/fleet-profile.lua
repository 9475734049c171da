-- fleet-profile.lua: a continuous CPU profile of this host, pushed to a
-- backend every window, for many hosts to be queried together.
--
--   profrun examples/fleet-profile.lua --clickhouse http://ch:8123 --label env=prod
--   profrun examples/fleet-profile.lua --pyroscope http://pyroscope:4040
--   profrun examples/fleet-profile.lua --otlp http://collector:4318
--   PROFRUN_CLICKHOUSE=http://ch:8123 profrun examples/fleet-profile.lua
--
-- Options: --window SECONDS (10), --hz N (19), --label NAME=VALUE
-- (repeatable, and PROFRUN_LABELS="a=b,c=d"), --host NAME (the host name),
-- --spool DIR (where unsent windows wait while the backend is down; memory
-- only without it), --wait SECONDS (10: time to deliver at the end).
-- ClickHouse rows carry the process's container (proc(pid).container) as
-- the label "container" when it runs in one; the tables are created when
-- missing (profrun.export's SCHEMA, README "Shipping results").
-- examples/fleet/ has a systemd unit and a Kubernetes DaemonSet for it.
local export = require "profrun.export"
local pprof = require "profrun.pprof"

local USAGE = "fleet-profile.lua (--clickhouse|--pyroscope|--otlp) URL [--window S] [--hz N]"
    .. " [--label K=V]... [--host NAME] [--spool DIR] [--wait S]"

-- --hz is ours; the rest is profrun.export's
local rest, hz = {}, 19
do
    local i = 1
    while arg[i] do
        if arg[i] == "--hz" then
            hz = tonumber(arg[i + 1])
            if not hz or hz < 1 or hz % 1 ~= 0 then error("--hz needs a whole number\nusage: " .. USAGE, 0) end
            i = i + 2
        else
            rest[#rest + 1] = arg[i]
            i = i + 1
        end
    end
end
local o = export.args(rest, USAGE, { clickhouse = true, pyroscope = true, otlp = true })
local window = o.window or 10
local common = { labels = o.labels, host = o.host, wait = o.wait }

local ch, py, ot
if o.clickhouse then
    ch = export.clickhouse { url = o.clickhouse, labels = o.labels, host = o.host,
        spool = o.spool and o.spool .. "/clickhouse", wait = o.wait }
end
if o.pyroscope then
    common.url, common.spool = o.pyroscope, o.spool and o.spool .. "/pyroscope"
    py = export.pyroscope(common)
end
if o.otlp then
    common.url, common.spool = o.otlp, o.spool and o.spool .. "/otlp"
    ot = export.otlp(common)
end

sample { hz = hz }

-- no hz: the profile takes the rate in force (-F overrides --hz)
local profile, from = pprof.new(), os.time()

function on_sample(s)
    if ch then ch:sample(s, export.container_labels(proc(s.pid))) end
    if py or ot then profile:add(s) end
end

local function push()
    if ch then ch:flush() end
    local now = os.time()
    if profile.samples > 0 then
        if py then py:push(profile, from, now) end
        if ot then ot:push(profile, from, now) end
    end
    profile, from = pprof.new { time_nanos = now * 1e9 }, now
end

every(window, push)

function on_end()
    push()
    export.close() -- delivered (or spooled) now: the counts below are final
    local st = stats()
    print(string.format("fleet-profile: %d samples, %d rows sent, %d waiting, %d dropped",
        st.sample.delivered, st.export.sent.rows, st.export.waiting.rows,
        st.export.dropped.rows))
end
