-- funclatency.lua: how long does a function take, per process? Probes a
-- function's entry and return (user functions; kernel ones where the
-- kernel has kprobes) and prints, at the end, one log2 histogram of its
-- latency in microseconds per process, the busiest first, with the call
-- count and the total time. The spec is probe()'s without the u:/ur:
-- part: BINARY:SYMBOL (a path or a library's short name; SYMBOL may be a
-- glob, the latencies of all matches together) or k:FUNC.
--
--   profrun examples/funclatency.lua libc:malloc -d 10          # every process
--   profrun -p 1234 examples/funclatency.lua libc:pthread_mutex_lock
--   profrun -c './app' examples/funclatency.lua ./app:parse_request
--
--   @latency_us[app 4242] 1200 calls, 1402.3 ms:
--   [1K, 2K)            1200 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
local hist = require "profrun.hist"
local esc = require("profrun.text").escape -- comms: no forged lines

local what = arg[1]
if not what then
    error("usage: funclatency.lua BINARY:SYMBOL | k:FUNC  (e.g. libc:malloc)", 0)
end
local spec = what:match("^k:(.*)$") and "kr:" .. what:sub(3) or "ur:" .. what

local per = {} -- "comm pid" -> { h = histogram, n = calls, ns = total }

probe(spec, function(e)
    local d = e.duration
    if not d then return end -- its entry came before the probe attached
    local key = e.comm .. " " .. e.pid
    local p = per[key]
    if not p then
        p = { h = hist.log2(), n = 0, ns = 0, key = key }
        per[key] = p
    end
    p.h:add(d / 1000)
    p.n, p.ns = p.n + 1, p.ns + d
end)

function on_end()
    local l = {}
    for _, p in pairs(per) do l[#l + 1] = p end
    table.sort(l, function(a, b) return a.n > b.n end)
    if #l == 0 then print("no completed calls of " .. what) end
    for _, p in ipairs(l) do
        p.h:print(string.format("@latency_us[%s] %d calls, %.1f ms:", esc(p.key), p.n, p.ns / 1e6))
    end
    local s = stats().probe
    if s.dropped > 0 then print(string.format("lost %d of %d hits: the ring was full", s.dropped, s.produced)) end
end
