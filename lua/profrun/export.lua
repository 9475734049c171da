-- profrun.export: what a script finds, pushed to a backend that holds every
-- host's results: ClickHouse (rows over its HTTP interface), Pyroscope
-- (pprof to /ingest) and OpenTelemetry collectors (OTLP profiles over HTTP).
--
--   local export = require "profrun.export"
--   local ch = export.clickhouse { url = "http://ch:8123", labels = { service = "api" } }
--   function on_sample(s) ch:sample(s) end
--   function on_exec(e) ch:exec(e) end
--   every(10, function() ch:flush() end)      -- one window of rows per call
--   function on_end() ch:flush() end
--
-- Sends never block the event loop: each sink hands request bodies to a
-- worker thread of the runtime (runtime/export.c), which delivers them in
-- order, retries with backoff while the backend is down, keeps what waits
-- in memory (memory = bytes) and then in a spool directory (spool = dir,
-- disk = bytes), and counts every row it drops, with the reason, in
-- stats().export. At the end each sink gets `wait` seconds to deliver;
-- what is left is kept in the spool for the next run (or dropped and
-- counted), and one line says so. Retries mean at-least-once delivery: a
-- batch whose answer was lost on the way is sent again.
--
-- The ClickHouse schema (export.SCHEMA, created with create = true, the
-- default) is in the README, with how to spread it over a cluster.
local ffi = require "ffi"
local bit = require "bit"
local pprof = require "profrun.pprof"
local text = require "profrun.text"

local C = ffi.C
local char, format, byte, concat = string.char, string.format, string.byte, table.concat
local floor, type, pairs, ipairs, tostring, tonumber, error, setmetatable, sort =
    math.floor, type, pairs, ipairs, tostring, tonumber, error, setmetatable, table.sort
local band, rshift = bit.band, bit.rshift
local varint = pprof.varint

local M = {}

ffi.cdef [[
typedef struct pr_export_ts { long tv_sec; long tv_nsec; } pr_export_ts;
int pr_export_clock_gettime(int clk, pr_export_ts *ts) __asm__("clock_gettime");
int pr_export_gethostname(char *name, size_t len) __asm__("gethostname");
]]

local profrun = require "profrun"

local ts = ffi.new("pr_export_ts")
-- wall-clock nanoseconds (CLOCK_REALTIME): backends index by wall time
local function wall_ns()
    C.pr_export_clock_gettime(0, ts)
    return tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec)
end
M.wall_ns = wall_ns

-- event times are CLOCK_MONOTONIC: shifted by the offset between the two,
-- in uint64 (wall-clock ns are past 2^53: a double would round them)
local u64_t = ffi.typeof("uint64_t")
local function mono_to_wall(mono)
    C.pr_export_clock_gettime(0, ts)
    local wall = ffi.cast(u64_t, ts.tv_sec) * 1000000000ULL + ts.tv_nsec
    return wall - ffi.cast(u64_t, C.pr_ffi_now()) + ffi.cast(u64_t, mono)
end

-- n bytes from the kernel's random source (profile ids, boundaries): the
-- same on every host and run if they came from math.random's fixed seed
function M.random_bytes(n)
    local f = io.open("/dev/urandom", "rb")
    local b = f and f:read(n)
    if f then f:close() end
    if not b or #b ~= n then error("profrun.export: cannot read /dev/urandom", 2) end
    return b
end

function M.hostname()
    local buf = ffi.new("char[256]")
    if C.pr_export_gethostname(buf, 255) ~= 0 then return "unknown" end
    return ffi.string(buf)
end

-- ---- options ----------------------------------------------------------------

local COMMON = {
    url = "string", labels = "table", spool = "string", memory = "number", disk = "number",
    timeout = "number", wait = "number", retry_min = "number", retry_max = "number",
    host = "string",
}

local function check_opts(who, opts, extra)
    if type(opts) ~= "table" then error(format("%s{}: expects a table", who), 3) end
    for k, v in pairs(opts) do
        local want = COMMON[k] or extra[k]
        if not want then
            local known = {}
            for n in pairs(COMMON) do known[#known + 1] = n end
            for n in pairs(extra) do known[#known + 1] = n end
            sort(known)
            error(format("%s{}: unknown option '%s' (known: %s)", who, tostring(k),
                concat(known, ", ")), 3)
        end
        if type(v) ~= want then
            error(format("%s{}: %s must be a %s, got %s", who, k, want, type(v)), 3)
        end
    end
    if not opts.url or not opts.url:match("^https?://[^/]") then
        error(format("%s{}: url must be http://HOST:PORT or https://... (got %s)", who,
            tostring(opts.url)), 3)
    end
    -- sizes in bytes, times in seconds: finite, and positive where 0 means nothing
    for k, min in pairs { memory = 0, disk = 0, wait = 0, timeout = 0.001, retry_min = 0.001,
        retry_max = 0.001 } do
        local v = opts[k]
        if v ~= nil and not (v >= min and v < 2 ^ 50) then
            error(format("%s{}: %s must be a number >= %s, got %s", who, k, min, tostring(v)), 3)
        end
    end
    if opts.retry_max and opts.retry_max < (opts.retry_min or 0.2) then
        error(format("%s{}: retry_max must be at least retry_min", who), 3)
    end
    for k, v in pairs(opts.labels or {}) do
        if type(k) ~= "string" or (type(v) ~= "string" and type(v) ~= "number") then
            error(format("%s{}: labels must map names to strings", who), 3)
        end
    end
end

-- the URL as messages may show it: no password
local function public_url(url)
    return (url:gsub("^(https?://)[^@/]*@", "%1"))
end

local sinks = {} -- every sink opened, for stats().export

local Sink = {}
Sink.__index = Sink

local function open_sink(who, opts, ctype)
    local rt_ptr = profrun.rt()
    if rt_ptr == nil then error(who .. ": profrun has not started", 3) end
    if opts.spool then require("profrun.sandbox").check_write(who .. "{spool}", opts.spool) end
    local o = ffi.new("struct pr_export_opts")
    local name = public_url(opts.url)
    local keep = { opts.url, name, ctype, opts.spool } -- alive for the call
    o.url, o.name, o.content_type, o.spool_dir = keep[1], keep[2], keep[3], keep[4]
    o.memory_bytes = opts.memory or 64 * 1024 * 1024
    o.disk_bytes = opts.disk or 1024 * 1024 * 1024
    o.timeout_ms = floor((opts.timeout or 10) * 1000)
    o.retry_min_ms = floor((opts.retry_min or 0.2) * 1000)
    o.retry_max_ms = floor((opts.retry_max or 5) * 1000)
    o.wait_ms = floor((opts.wait or 10) * 1000)
    local err = ffi.new("const char *[1]")
    local id = C.pr_ffi_export_open(rt_ptr, o, err)
    if id < 0 then
        error(format("%s{}: %s: %s", who, name, ffi.string(err[0])), 3)
    end
    local s = setmetatable({ id = id, name = name, kind = who }, Sink)
    sinks[#sinks + 1] = s
    return s
end

-- export.close(): every sink gets its `wait` to deliver what waits, then
-- stops; what is left stays in its spool (or is dropped, counted). The
-- runtime does this after on_end anyway; in on_end it makes stats().export
-- final. Sinks take nothing after it.
function M.close()
    C.pr_ffi_export_finish()
end

-- sink:send(path, body, rows): queues one request; false when it was
-- dropped (both caps full: counted in stats().export)
function Sink:send(path, body, rows)
    local rc = C.pr_ffi_export_send(self.id, path, body, #body, rows or 0)
    if rc == 0 then return true end
    if rc == -28 then return false end -- ENOSPC: dropped, counted
    error(format("export %s: cannot send (%s)", self.name,
        rc == -22 and "the sink is closed: export.close() was called" or "out of memory"), 2)
end

local DROPS = { [0] = "full", "rejected", "exit", "spool" }
local st = ffi.new("struct pr_export_stats")

-- sink:stats(): this sink's counters (stats().export.sinks[i] too)
function Sink:stats()
    C.pr_ffi_export_stats(self.id, st)
    local t = {
        name = self.name, kind = self.kind,
        sent = { batches = tonumber(st.batches_sent), rows = tonumber(st.rows_sent),
            bytes = tonumber(st.bytes_sent) },
        retried = tonumber(st.attempts_failed),
        spooled = { batches = tonumber(st.batches_spooled), rows = tonumber(st.rows_spooled) },
        recovered = { batches = tonumber(st.batches_recovered),
            rows = tonumber(st.rows_recovered) },
        waiting = { batches = tonumber(st.batches_waiting), rows = tonumber(st.rows_waiting),
            memory = tonumber(st.memory_bytes), disk = tonumber(st.disk_bytes) },
        peak = { memory = tonumber(st.memory_peak), disk = tonumber(st.disk_peak) },
        dropped = { rows = 0, batches = 0 },
        last_status = st.last_status,
        last_error = st.last_error[0] ~= 0 and ffi.string(st.last_error) or nil,
    }
    for i = 0, C.PR_EXPORT_DROP_MAX - 1 do
        local r = tonumber(st.dropped_rows[i])
        t.dropped[DROPS[i]] = r
        t.dropped.rows = t.dropped.rows + r
        t.dropped.batches = t.dropped.batches + tonumber(st.dropped_batches[i])
    end
    return t
end

-- stats().export: every sink's counters summed, and each under sinks
function M.stats()
    local t = { sinks = {}, sent = { batches = 0, rows = 0, bytes = 0 }, retried = 0,
        spooled = { batches = 0, rows = 0 }, recovered = { batches = 0, rows = 0 },
        waiting = { batches = 0, rows = 0 }, dropped = { rows = 0, batches = 0 } }
    for _, w in pairs(DROPS) do t.dropped[w] = 0 end
    for i, s in ipairs(sinks) do
        local x = s:stats()
        t.sinks[i] = x
        for _, k in ipairs { "sent", "spooled", "recovered", "waiting", "dropped" } do
            for f, v in pairs(t[k]) do t[k][f] = v + (x[k][f] or 0) end
        end
        t.retried = t.retried + x.retried
    end
    return t
end
profrun.stats_extra.export = M.stats

-- ---- ClickHouse -------------------------------------------------------------

-- RowBinary: integers little-endian, strings and arrays length-prefixed by
-- a varint. Exact bytes: a comm or path holding any byte is stored as is.
local function u32(v)
    return char(band(v, 255), band(rshift(v, 8), 255), band(rshift(v, 16), 255),
        band(rshift(v, 24), 255))
end
-- v: a number (exact below 2^53) or uint64 cdata (exact)
local function u64(v)
    if type(v) == "cdata" then
        return u32(tonumber(band(v, 0xffffffffULL))) .. u32(tonumber(rshift(v, 32)))
    end
    local lo = v % 4294967296
    return u32(lo) .. u32((v - lo) / 4294967296)
end
local function str(s) return varint(#s) .. s end
local function strs(list)
    local t = { varint(#list) }
    for i = 1, #list do t[i + 1] = str(list[i]) end
    return concat(t)
end
M.rowbinary = { u32 = u32, u64 = u64, str = str, strs = strs }

local function urlencode(s)
    return (s:gsub("[^%w%-%._~]", function(c) return format("%%%02X", byte(c)) end))
end
M.urlencode = urlencode

local function ident(who, what, s)
    if not s:match("^[%a_][%w_]*$") then
        error(format("%s{}: %s must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*), got '%s'",
            who, what, text.escape(s)), 4)
    end
    return s
end

-- The tables. time is the window's start (wall clock, UTC); weight is
-- nanoseconds (count x the sampling period for CPU samples, the waits'
-- sum for off-CPU rows); stack is root first.
M.SCHEMA = {
    samples = [[
CREATE TABLE IF NOT EXISTS %s (
    time DateTime, window UInt32, host String,
    labels Nested(key String, value String),
    kind String, pid UInt32, comm String, stack Array(String),
    count UInt64, weight UInt64
) ENGINE = MergeTree() PARTITION BY toYYYYMMDD(time) ORDER BY (host, kind, time)]],
    events = [[
CREATE TABLE IF NOT EXISTS %s (
    time DateTime, time_ns UInt64, host String,
    labels Nested(key String, value String),
    event String, pid UInt32, ppid UInt32, uid UInt32, comm String,
    exe String, argv Array(String), exit_code Int32, signal UInt32, duration_ns UInt64
) ENGINE = MergeTree() PARTITION BY toYYYYMMDD(time) ORDER BY (host, event, time)]],
}
local SAMPLE_COLS = "time, window, host, `labels.key`, `labels.value`, kind, pid, comm, stack,"
    .. " count, weight"
local EVENT_COLS = "time, time_ns, host, `labels.key`, `labels.value`, event, pid, ppid, uid,"
    .. " comm, exe, argv, exit_code, signal, duration_ns"

local CH = setmetatable({}, { __index = Sink })
CH.__index = CH

-- labels (a table) as sorted keys and values, and as one key string
local function label_lists(base, extra)
    local all = {}
    for k, v in pairs(base) do all[k] = tostring(v) end
    for k, v in pairs(extra or {}) do all[k] = tostring(v) end
    local keys = {}
    for k in pairs(all) do keys[#keys + 1] = k end
    sort(keys)
    local vals = {}
    for i, k in ipairs(keys) do vals[i] = all[k] end
    return keys, vals
end

-- export.clickhouse{ url=, database="default", table="profrun_samples",
--   events_table="profrun_events", create=true, labels={}, host=hostname,
--   per_pid=false, batch_rows=10000, spool=, memory=, disk=, timeout=, wait= }
function M.clickhouse(opts)
    check_opts("export.clickhouse", opts, { database = "string", table = "string",
        events_table = "string", create = "boolean", per_pid = "boolean",
        batch_rows = "number" })
    local who = "export.clickhouse"
    local db = ident(who, "database", opts.database or "default")
    local s = open_sink(who, opts, "application/octet-stream")
    setmetatable(s, CH)
    s.samples_table = db .. "." .. ident(who, "table", opts.table or "profrun_samples")
    s.events_table = db .. "." .. ident(who, "events_table",
        opts.events_table or "profrun_events")
    s.host = opts.host or M.hostname()
    s.base_labels = opts.labels or {}
    s.per_pid = opts.per_pid or false
    s.batch_rows = opts.batch_rows or 10000
    s.window = {}        -- row key -> row
    s.window_rows = 0
    s.window_start = wall_ns()
    s.folded, s.nfolded = {}, 0 -- stack id -> comm -> frames list
    s.events, s.nevents = {}, 0
    s.label_cache = {}   -- labels table -> {keys, values, key}
    s.insert_samples = "/?query=" .. urlencode(format("INSERT INTO %s (%s) FORMAT RowBinary",
        s.samples_table, SAMPLE_COLS))
    s.insert_events = "/?query=" .. urlencode(format("INSERT INTO %s (%s) FORMAT RowBinary",
        s.events_table, EVENT_COLS))
    if opts.create ~= false then
        -- queued ahead of every insert: a backend that is down now gets
        -- its tables first when it comes back
        s:send("/", format(M.SCHEMA.samples, s.samples_table), 0)
        s:send("/", format(M.SCHEMA.events, s.events_table), 0)
    end
    return s
end

function CH:labels_of(extra)
    if extra == nil then extra = false end
    local c = self.label_cache[extra]
    if not c then
        local keys, vals = label_lists(self.base_labels, extra or nil)
        c = { keys, vals, strs(keys) .. strs(vals) }
        self.label_cache[extra] = c
    end
    return c
end

-- frames of a sample's stack, root first, and its comm, cached per stack
function CH:frames_of(s)
    local id, comm = s.stack, s.comm
    local per = self.folded[id]
    local f = per and per[comm]
    if not f then
        local line = s:folded()
        f = {}
        for name in line:gmatch("[^;]+") do f[#f + 1] = name end
        table.remove(f, 1) -- the comm: a column of its own
        if not per then per = {}; self.folded[id] = per end
        per[comm] = f
        self.nfolded = self.nfolded + 1
    end
    return f
end

local function add_row(self, kind, s, n, weight, extra)
    local lab = self:labels_of(extra)
    local pid = self.per_pid and s.pid or 0
    local comm = s.comm
    local key = lab[3] .. kind .. "\0" .. pid .. "\0" .. comm .. "\0" .. tostring(s.stack)
    local r = self.window[key]
    if r then
        r.count = r.count + n
        r.weight = r.weight + weight
    else
        self.window[key] = { kind = kind, pid = pid, comm = comm, lab = lab,
            stack = self:frames_of(s), count = n, weight = weight }
        self.window_rows = self.window_rows + 1
    end
end

-- ch:sample(s[, labels]): one on_sample view (its s.count samples) into
-- the current window; labels adds to the sink's (container = ..., ...)
function CH:sample(s, extra)
    local n = s.count or 1
    local hz = self.hz or C.pr_ffi_sample_hz(profrun.rt())
    self.hz = hz
    add_row(self, "cpu", s, n, floor(n * 1e9 / hz + 0.5), extra)
end

-- ch:offcpu(e[, labels]): an on_offcpu view: e.count waits, e.duration ns
function CH:offcpu(e, extra)
    add_row(self, "offcpu", e, e.count or 1, e.duration, extra)
end

local function event_row(self, what, e, extra, ppid, uid, exe, argv, code, sig, dur)
    local lab = self:labels_of(extra)
    local t = mono_to_wall(e.time)
    self.nevents = self.nevents + 1
    self.events[self.nevents] = concat {
        u32(tonumber(t / 1000000000ULL)), u64(t), str(self.host), lab[3], str(what),
        u32(e.pid), u32(ppid), u32(uid), str(e.comm), str(exe), strs(argv),
        u32(code % 4294967296), u32(sig), u64(dur),
    }
    if self.nevents >= self.batch_rows then self:flush_events() end
end

-- ch:exec(e[, labels]) / ch:exit(e[, labels]): one row per event
function CH:exec(e, extra)
    event_row(self, "exec", e, extra, e.ppid, e.uid, e.filename, e.argv, 0, 0, 0)
end

function CH:exit(e, extra)
    event_row(self, "exit", e, extra, e.ppid, 0, "", {}, e.exit_code, e.signal, e.duration)
end

function CH:flush_events()
    if self.nevents == 0 then return end
    self:send(self.insert_events, concat(self.events, "", 1, self.nevents), self.nevents)
    self.events, self.nevents = {}, 0
end

-- ch:flush(): ends the window: its rows (and the events waiting) are sent;
-- returns the number of sample rows
function CH:flush()
    self:flush_events()
    local now = wall_ns()
    local t0 = floor(self.window_start / 1e9)
    local secs = floor((now - self.window_start) / 1e9 + 0.5)
    local head = u32(t0) .. u32(secs) .. str(self.host)
    local out, n, sent = {}, 0, 0
    for _, r in pairs(self.window) do
        n = n + 1
        out[n] = concat { head, r.lab[3], str(r.kind), u32(r.pid), str(r.comm), strs(r.stack),
            u64(r.count), u64(r.weight) }
        if n >= self.batch_rows then
            self:send(self.insert_samples, concat(out, "", 1, n), n)
            sent, n = sent + n, 0
        end
    end
    if n > 0 then self:send(self.insert_samples, concat(out, "", 1, n), n) end
    sent = sent + n
    self.window, self.window_rows, self.window_start = {}, 0, now
    -- a run of days meets many stacks: the cache starts over past a bound
    if self.nfolded > 50000 then self.folded, self.nfolded = {}, 0 end
    return sent
end

-- ---- Pyroscope ----------------------------------------------------------------

local PY = setmetatable({}, { __index = Sink })
PY.__index = PY

-- export.pyroscope{ url=, app="profrun.cpu", labels={}, spool=, ... }
function M.pyroscope(opts)
    check_opts("export.pyroscope", opts, { app = "string" })
    local boundary = "profrun-" .. M.random_bytes(12):gsub(".", function(c)
        return format("%02x", byte(c))
    end)
    local s = open_sink("export.pyroscope", opts, "multipart/form-data; boundary=" .. boundary)
    setmetatable(s, PY)
    s.boundary = boundary
    local keys, vals = label_lists(opts.labels or {}, { host = opts.host or M.hostname() })
    local parts = {}
    for i, k in ipairs(keys) do
        -- the name's own syntax: no braces, commas or '=' inside
        parts[i] = k:gsub("[{},=]", "_") .. "=" .. vals[i]:gsub("[{},=]", "_")
    end
    s.app_name = (opts.app or "profrun.cpu") .. "{" .. concat(parts, ",") .. "}"
    return s
end

-- py:push(profile, from, until): a profrun.pprof profile for the wall-clock
-- seconds [from, until]; the profile's own hz is the sample rate
function PY:push(p, from, till)
    local hz = p.hz or C.pr_ffi_sample_hz(profrun.rt())
    local body = pprof.gzip(p:encode())
    local b = self.boundary
    local data = concat {
        "--", b, "\r\n",
        'Content-Disposition: form-data; name="profile"; filename="profile.pprof"\r\n',
        "Content-Type: application/octet-stream\r\n\r\n", body, "\r\n--", b, "--\r\n" }
    local path = format("/ingest?name=%s&from=%d&until=%d&format=pprof&sampleRate=%d&spyName=profrun",
        urlencode(self.app_name), from, till, hz)
    return self:send(path, data, p.samples)
end

-- ---- OTLP -----------------------------------------------------------------------
-- written in profrun.otlp (the protobuf messages); the sink is here
function M.otlp(opts)
    check_opts("export.otlp", opts, { service = "string" })
    local s = open_sink("export.otlp", opts, "application/x-protobuf")
    s.otlp = require("profrun.otlp")
    s.resource = { ["service.name"] = opts.service or "profrun",
        ["host.name"] = opts.host or M.hostname() }
    for k, v in pairs(opts.labels or {}) do s.resource[k] = tostring(v) end
    s.push = function(self, p, from, till)
        local body = self.otlp.encode(p, self.resource, from, till)
        return self:send("/v1development/profiles", body, p.samples)
    end
    return s
end

-- export.container_labels(proc(pid)): { container = ID } for a process in a
-- container, else nil; one table per container, so a sink's rows of one
-- container share their labels (sinks cache label sets by table)
local by_container = {}
function M.container_labels(p)
    local c = p and p.container
    if not c or c == "" then return nil end
    local l = by_container[c]
    if not l then
        l = { container = c }
        by_container[c] = l
    end
    return l
end

-- ---- fleet scripts' command line ----------------------------------------------

local ARG_ENV = { clickhouse = "PROFRUN_CLICKHOUSE", pyroscope = "PROFRUN_PYROSCOPE",
    otlp = "PROFRUN_OTLP" }

-- export.args(arg, usage, allowed): the options every fleet script takes:
--   --clickhouse URL  --pyroscope URL  --otlp URL  (else PROFRUN_CLICKHOUSE,
--   PROFRUN_PYROSCOPE, PROFRUN_OTLP from the environment)
--   --label K=V (repeatable; PROFRUN_LABELS="k=v,k=v" adds to them)
--   --window SECONDS  --host NAME  --spool DIR  --wait SECONDS
-- allowed says which backends the script can feed ({clickhouse=true, ...}).
-- Returns { clickhouse=, pyroscope=, otlp=, labels={}, window=, host=, spool=, wait= }.
function M.args(argv, usage, allowed)
    local o = { labels = {} }
    local function bad(msg) error(msg .. "\nusage: " .. usage, 0) end
    local function label(kv, from)
        local k, v = kv:match("^([%a_][%w_%.%-]*)=(.*)$")
        if not k then bad(format("%s: a label is NAME=VALUE, got '%s'", from, text.escape(kv))) end
        o.labels[k] = v
    end
    local envl = os.getenv("PROFRUN_LABELS")
    if envl and envl ~= "" then
        for kv in envl:gmatch("[^,]+") do label(kv, "PROFRUN_LABELS") end
    end
    local i = 1
    while argv[i] do
        local a, v = argv[i], argv[i + 1]
        local name = a:match("^%-%-(.*)$")
        if not name or (not ARG_ENV[name] and name ~= "label" and name ~= "window"
            and name ~= "host" and name ~= "spool" and name ~= "wait") then
            bad(format("unknown argument '%s'", text.escape(a)))
        end
        if v == nil then bad(format("%s needs a value", a)) end
        if name == "label" then
            label(v, "--label")
        elseif name == "window" or name == "wait" then
            local n = tonumber(v)
            if not n or n <= 0 then bad(format("%s needs a number of seconds, got '%s'", a,
                text.escape(v))) end
            o[name] = n
        else
            o[name] = v
        end
        i = i + 2
    end
    local any = false
    for k, env in pairs(ARG_ENV) do
        if not o[k] then
            local e = os.getenv(env)
            if e and e ~= "" then o[k] = e end
        end
        if o[k] then
            if not allowed[k] then bad(format("--%s: this script cannot send to %s", k, k)) end
            any = true
        end
    end
    if not any then
        local names = {}
        for k in pairs(allowed) do names[#names + 1] = "--" .. k .. " URL" end
        sort(names)
        bad("where to send: " .. concat(names, ", ") .. " (or " .. "PROFRUN_"
            .. "CLICKHOUSE etc. in the environment)")
    end
    return o
end

return M
