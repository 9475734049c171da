-- offcpu.lua: where do threads wait? An off-CPU flame graph: every
-- interval a thread spent blocked or waiting for a CPU, weighted by its
-- time, on the stack it waited in (user frames from the thread, kernel
-- frames from the scheduler down). Waits shorter than offcpu{min=} come
-- summed per thread and kernel stack, so the graph holds all of the
-- time. Widths are microseconds of waiting; the line printed at the end
-- says how much time the graph holds and how much of it was spent
-- runnable, waiting for a CPU.
--
--   profrun -c './myprog --flag' examples/offcpu.lua              # offcpu.svg
--   profrun -p 1234 -d 10 examples/offcpu.lua /tmp/app-off.svg
--   profrun -d 5 examples/offcpu.lua all.svg all.folded              # whole machine
--
--   wrote offcpu.svg: 2315.4 ms off CPU in 812 waits (3.1% waiting for a CPU), 41 stacks
local flame = require "profrun.flame"

local svg_path = arg[1] or "offcpu.svg"
local folded_path = arg[2]

offcpu { min = 1e6 }

local graph = flame.new()
local total_ns, runnable_ns, waits = 0, 0, 0

function on_offcpu(e)
    local us = e.duration / 1e3
    if us <= 0 then return end
    graph:add(e, us)
    total_ns = total_ns + e.duration
    waits = waits + e.count
    if e.reason == "preempted" then runnable_ns = runnable_ns + e.duration end
end

function on_end()
    local st = stats().offcpu
    local lost = st.dropped > 0 and string.format(", %.1f ms in %d lost records",
        st.dropped_ns / 1e6, st.dropped) or ""
    graph:write_svg(svg_path, {
        title = "Off-CPU time",
        subtitle = string.format("%.1f ms in %d waits%s, profrun", total_ns / 1e6, waits, lost),
        count_name = "us",
    })
    local line = string.format("wrote %s: %.1f ms off CPU in %d waits (%.1f%% waiting for a CPU), %d stacks",
        svg_path, total_ns / 1e6, waits,
        total_ns > 0 and 100 * runnable_ns / total_ns or 0, graph:stacks())
    if folded_path then
        graph:write_folded(folded_path)
        line = line .. "; folded stacks in " .. folded_path
    end
    print(line)
end
