-- pyfuncs.lua: which Python functions run, and how often? Counts
-- function entries of CPython 3.11 through its USDT probe
-- python:function__entry (file, function, first line), which the
-- interpreter fires only while a tracer holds its semaphore, so Python
-- runs at full speed when nobody looks. At the end, the most called
-- functions. Works on any CPython 3.11 built with its probes (Debian's
-- /usr/bin/python3.11, the default; a second argument names another), no
-- change to the program; with -p the path is the one in that process's
-- mount namespace (containers).
--
--   profrun -c '/usr/bin/python3.11 app.py' examples/pyfuncs.lua
--   profrun -p 1234 examples/pyfuncs.lua 20        # top 20
--   profrun -p 1234 examples/pyfuncs.lua 10 /opt/py/bin/python3.11
--
--     CALLS FUNCTION                         FILE:LINE
--       840 parse_line                       app.py:12
local esc = require("profrun.text").escape

local top_n = tonumber(arg[1]) or 10
local binary = arg[2] or "/usr/bin/python3.11"

local calls = {} -- "file\0func\0line" -> count

probe("usdt:" .. binary .. ":python:function__entry", { strings = { 1, 2 } }, function(e)
    local key = (e:str(1) or "?") .. "\0" .. (e:str(2) or "?") .. "\0" .. e.arg[3]
    calls[key] = (calls[key] or 0) + 1
end)

-- CPython 3.11 fires function__entry only while its line probe is also
-- wanted (that puts the interpreter in its tracing mode, where every call
-- goes through the probes; without it, only calls made from C do). So the
-- line probe is attached too: each line then costs a probe hit, which
-- is what tracing Python costs on 3.11.
probe("usdt:" .. binary .. ":python:line", function() end)

function on_end()
    local l = {}
    for k, n in pairs(calls) do l[#l + 1] = { k, n } end
    table.sort(l, function(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] < b[1]) end)
    print(string.format("%8s %-32s %s", "CALLS", "FUNCTION", "FILE:LINE"))
    for i = 1, math.min(top_n, #l) do
        local file, func, line = l[i][1]:match("^(.-)%z(.-)%z(.*)$")
        print(string.format("%8d %-32s %s:%s", l[i][2], esc(func), esc(file), line))
    end
end
