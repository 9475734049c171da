-- profile.lua: a whole-machine CPU profile, aggregated in memory and
-- printed at the end as folded stacks (`COUNT comm;root;...;leaf`, most
-- frequent first), the input of flamegraph.pl and friends.
--
--   profrun examples/profile.lua                 # until Ctrl-C, 99 Hz
--   profrun -d 5 examples/profile.lua --hz 999   # 5 s at 999 Hz
--
--   448 burn;__libc_start_call_main;main;burn_heavy
local hz = 99
local i = 1
while arg[i] do
    if arg[i] == "--hz" then
        hz = tonumber(arg[i + 1]) or error("--hz needs a number")
        i = i + 2
    else
        error("unknown argument '" .. arg[i] .. "'; usage: profile.lua [--hz N]")
    end
end

-- counted in the kernel: s.count samples per on_sample
sample { hz = hz, user = true, kernel = true, aggregate = true }

local counts = {} -- stack id -> samples
local comms = {}  -- stack id -> comm

function on_sample(s)
    local id = s.stack
    local n = counts[id]
    if n then
        counts[id] = n + s.count
    else
        counts[id] = s.count
        comms[id] = s.comm
    end
end

function on_end()
    local folded = {}
    local event = require "profrun.event"
    for id, n in pairs(counts) do
        local line = event.folded(comms[id], stack(id))
        folded[line] = (folded[line] or 0) + n
    end
    local lines = {}
    for line, n in pairs(folded) do lines[#lines + 1] = { n, line } end
    table.sort(lines, function(a, b) return a[1] > b[1] end)
    for _, l in ipairs(lines) do print(l[1] .. " " .. l[2]) end
end
