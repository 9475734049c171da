-- flamegraph.lua: where does the CPU time go, as a picture? Samples user
-- and kernel stacks (of every CPU, one process or a command) and at the
-- end writes an interactive SVG flame graph: open it in a browser, hover
-- for samples and percent, click a frame to zoom, Ctrl-F to search. The
-- optional second argument also writes the folded stacks, the input of
-- flamegraph.pl, inferno and speedscope.
--
--   profrun -c './myprog --flag' examples/flamegraph.lua            # flame.svg
--   profrun -p 1234 -F 999 examples/flamegraph.lua /tmp/app.svg
--   profrun -d 10 examples/flamegraph.lua all.svg all.folded        # whole machine
--
--   wrote flame.svg: 998 samples, 7 stacks
--   wrote flame.svg: 998 samples, 7 stacks; folded stacks in all.folded
local flame = require "profrun.flame"

local svg_path = arg[1] or "flame.svg"
local folded_path = arg[2]

-- counted in the kernel: graph:add(s) weighs each by s.count
sample { user = true, kernel = true, aggregate = true }

local graph = flame.new()

function on_sample(s)
    graph:add(s)
end

function on_end()
    local st = stats()
    local lost = st.sample.dropped
    graph:write_svg(svg_path, {
        title = "CPU flame graph",
        subtitle = string.format("%d samples%s, profrun", graph:total(),
            lost > 0 and string.format(" (%d lost)", lost) or ""),
    })
    local line = string.format("wrote %s: %d samples, %d stacks", svg_path, graph:total(),
        graph:stacks())
    if folded_path then
        graph:write_folded(folded_path)
        line = line .. "; folded stacks in " .. folded_path
    end
    print(line)
end
