-- python-profile.lua: the profile bench/python.sh runs under profrun: all
-- CPUs, counted per stack, with or without Python frames; prints one
-- line of counters at the end.
--
--   profrun -d 4 bench/python-profile.lua --python on|off [--hz N]
local hz, python = 999, true
local i = 1
while arg[i] do
    local a, v = arg[i], arg[i + 1]
    if a == "--hz" then
        hz = tonumber(v) or error("--hz needs a number")
    elseif a == "--python" then
        python = v == "on"
    else
        error("unknown argument '" .. a .. "'; usage: python-profile.lua [--hz N] [--python on|off]")
    end
    i = i + 2
end
sample { hz = hz, python = python }
local counts, n = {}, 0
function on_sample(s)
    counts[s.stack] = (counts[s.stack] or 0) + 1
    n = n + 1
end
function on_end()
    local p = stats().python
    print(string.format("# pystats samples=%d stacks=%d pysamples=%d pyframes=%d unnamed=%d"
        .. " walks=%d walk_ns=%d", n, stats().stacks, p.stacks, p.frames, p.unnamed,
        p.bpf_walks, p.bpf_walk_ns))
end
