-- mallocstacks.lua: which code paths ask for memory? Probes libc's
-- malloc with the user stack (unwound with .eh_frame: complete without
-- frame pointers), every Nth call only (sample = N; each sampled call
-- counts N times its size), and writes the bytes requested by stack as
-- a flame graph (SVG), and as folded lines if a second path is given.
-- Requests, not memory held: frees are not tracked.
--
--   profrun -p 1234 -d 10 examples/mallocstacks.lua               # malloc.svg, 1 call in 10
--   profrun -c './app' examples/mallocstacks.lua app.svg app.folded 1   # every call
--
--   wrote malloc.svg: 1.2 MB requested (est.) in 4123 sampled calls, 37 stacks
local flame = require "profrun.flame"

local svg_path, folded_path = arg[1] or "malloc.svg", arg[2]
local every_n = tonumber(arg[3] or "10")
if not every_n or every_n < 1 or every_n % 1 ~= 0 then
    error("usage: mallocstacks.lua [OUT.svg [OUT.folded [N]]]  (N: sample 1 call in N)", 0)
end

local f = flame.new()
local calls, bytes = 0, 0

probe("u:libc:malloc", { stack = true, sample = every_n }, function(e)
    local size = e.arg[1]
    if type(size) ~= "number" or size <= 0 then return end -- malloc(0), or absurd sizes
    calls, bytes = calls + 1, bytes + size * every_n
    f:add(e, size * every_n)
end)

function on_end()
    if calls == 0 then
        print("no malloc calls seen")
        return
    end
    f:write_svg(svg_path, { title = "bytes requested by malloc, by stack", count_name = "bytes" })
    local extra = ""
    if folded_path then
        f:write_folded(folded_path)
        extra = "; folded stacks in " .. folded_path
    end
    print(string.format("wrote %s: %.1f MB requested%s in %d sampled calls, %d stacks%s",
        svg_path, bytes / 1e6, every_n > 1 and " (est.)" or "", calls, f.nlines, extra))
    local s = stats().probe
    if s.dropped > 0 then
        print(string.format("lost %d of %d calls: the ring was full (raise N)", s.dropped, s.produced))
    end
end
