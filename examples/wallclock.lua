-- wallclock.lua: where does a process's wall-clock time go, running or
-- waiting? One flame graph of its on-CPU samples and its off-CPU time
-- together, both as time: a sample weighs one sampling period, a blocked
-- interval its length. Each frame is coloured by which its time mostly
-- is: red on CPU, blue off CPU. Made for one process (-p or -c): for the
-- whole machine the idle CPUs would dwarf the rest.
--
--   profrun -p 1234 -d 10 examples/wallclock.lua               # wallclock.svg
--   profrun -c './myprog' examples/wallclock.lua /tmp/wall.svg /tmp/wall.folded
--
--   wrote wallclock.svg: 10.02 s of thread time, 8.1% on CPU, 91.9% off CPU, 57 stacks
local flame = require "profrun.flame"

local svg_path = arg[1] or "wallclock.svg"
local folded_path = arg[2]

sample { hz = 199 }
offcpu { min = 1e6 }

local graph = flame.new()
local on_ns, off_ns = 0, 0
local period_us -- a sample stands for this much CPU time

if not target_pid() then
    io.stderr:write("wallclock.lua: no process given (-p PID or -c CMD): the graph will hold "
        .. "every thread of the machine, idle ones too\n")
end

function on_sample(s)
    period_us = period_us or 1e6 / sample_hz()
    graph:add(s, period_us, "on")
    on_ns = on_ns + period_us * 1e3
end

function on_offcpu(e)
    if e.duration <= 0 then return end
    graph:add(e, e.duration / 1e3, "off")
    off_ns = off_ns + e.duration
end

function on_end()
    local all = on_ns + off_ns
    local on_pct = all > 0 and 100 * on_ns / all or 0
    graph:write_svg(svg_path, {
        title = "Wall-clock time: on CPU (red) and off CPU (blue)",
        subtitle = string.format("%.2f s of thread time, %.1f%% on CPU, profrun", all / 1e9,
            on_pct),
        count_name = "us",
    })
    local line = string.format("wrote %s: %.2f s of thread time, %.1f%% on CPU, %.1f%% off CPU, %d stacks",
        svg_path, all / 1e9, on_pct, all > 0 and 100 - on_pct or 0, graph:stacks())
    if folded_path then
        graph:write_folded(folded_path)
        line = line .. "; folded stacks in " .. folded_path
    end
    print(line)
end
