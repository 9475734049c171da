-- lockwait.lua: which locks do threads wait for, and who holds them up?
-- Lock waits in user space (pthread mutexes, condition variables, Go and
-- Rust locks: anything that sleeps in futex) by the user stack that
-- waited, as a top-N table: total and longest wait, how many waits,
-- which threads waited and which threads woke them (the waker is the
-- thread that released the lock, usually the one that held it). Waits
-- shorter than offcpu{min=} have no user stack of their own: their
-- total is the last line.
--
--   profrun -p 1234 -d 10 examples/lockwait.lua          # top 10
--   profrun -c './myprog' examples/lockwait.lua 20       # top 20
--
--   TOTAL(ms) WAITS  MAX(ms) WAITERS              WAKERS               STACK
--      100.3     5     20.1 locker(5)            holder(5)            main;worker;wait_lock
--   short futex waits (< 1 ms, no stack): 12 waits, 0.4 ms
local text = require "profrun.text"
local event = require "profrun.event"

local top_n = tonumber(arg[1]) or 10
local FRAMES = 4 -- the innermost user functions shown per stack

offcpu { min = 1e6 }

local by_stack = {} -- user-stack key -> { ns, n, max, waiters = {}, wakers = {}, stack }
local key_of = {}   -- stack id -> key (the same user frames, any kernel frames)
local short_n, short_ns = 0, 0

-- The innermost user functions, root first: two waits in the same code
-- with different kernel paths are one lock site. Code inlined into a
-- function is not a frame of its own here (libc's lock path is inline
-- helpers: counted, they would push the caller that took the lock out of
-- the window, and only once libc's debuginfo is open).
local function user_key(e)
    local id = e.stack
    local k = key_of[id]
    if k then return k end
    local names = {}
    for _, f in ipairs(e:frames()) do
        if not f.kernel and not f.inlined then
            names[#names + 1] = text.frame(event.frame_name(f))
        end
    end
    local parts = {}
    for i = math.min(#names, FRAMES), 1, -1 do parts[#parts + 1] = names[i] end
    k = #parts > 0 and table.concat(parts, ";") or "[no user stack]"
    key_of[id] = k
    return k
end

local function bump(t, k) t[k] = (t[k] or 0) + 1 end

function on_offcpu(e)
    if e.reason ~= "futex" then return end
    if e.aggregated then
        short_n, short_ns = short_n + e.count, short_ns + e.duration
        return
    end
    local k = user_key(e)
    local s = by_stack[k]
    if not s then
        s = { ns = 0, n = 0, max = 0, waiters = {}, wakers = {}, stack = k }
        by_stack[k] = s
    end
    s.ns, s.n = s.ns + e.duration, s.n + 1
    if e.duration > s.max then s.max = e.duration end
    bump(s.waiters, e.comm)
    bump(s.wakers, e.waker_comm or "?")
end

-- "a(5) b(2)": the two most frequent names
local function who(t)
    local l = {}
    for name, n in pairs(t) do l[#l + 1] = { name, n } end
    table.sort(l, function(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] < b[1]) end)
    local out = {}
    for i = 1, math.min(2, #l) do out[i] = string.format("%s(%d)", text.escape(l[i][1]), l[i][2]) end
    return table.concat(out, " ")
end

function on_end()
    local rows = {}
    for _, s in pairs(by_stack) do rows[#rows + 1] = s end
    table.sort(rows, function(a, b) return a.ns > b.ns end)
    print(string.format("%9s %5s %8s %-20s %-20s %s", "TOTAL(ms)", "WAITS", "MAX(ms)", "WAITERS",
        "WAKERS", "STACK"))
    for i = 1, math.min(top_n, #rows) do
        local s = rows[i]
        print(string.format("%9.1f %5d %8.1f %-20s %-20s %s", s.ns / 1e6, s.n, s.max / 1e6,
            who(s.waiters), who(s.wakers), s.stack))
    end
    print(string.format("short futex waits (< 1 ms, no stack): %d waits, %.1f ms", short_n,
        short_ns / 1e6))
    local st = stats().offcpu
    if st.dropped > 0 then
        print(string.format("lost %d records (%.1f ms): the ring buffer was full", st.dropped,
            st.dropped_ns / 1e6))
    end
end
