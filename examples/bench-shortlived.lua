-- bench-shortlived.lua: for the short-lived-process benchmark (bench/).
-- Samples all CPUs and, at the end, prints `COUNT frame;frame;...` (leaf
-- first) for the samples of processes named `shortlived`, symbolized after
-- those processes exited.
--
--   profrun examples/bench-shortlived.lua --hz 999
local hz = 999
if arg[1] == "--hz" then hz = tonumber(arg[2]) or error("--hz needs a number") end
sample { hz = hz, user = true, kernel = false }

local counts = {}
function on_sample(s)
    if s.comm == "shortlived" then counts[s.stack] = (counts[s.stack] or 0) + 1 end
end

function on_end()
    local event = require "profrun.event"
    local frame = require("profrun.text").frame
    local out = {}
    for id, n in pairs(counts) do
        local names = {}
        for i, f in ipairs(stack(id)) do names[i] = frame(event.frame_name(f)) end
        local line = table.concat(names, ";")
        out[line] = (out[line] or 0) + n
    end
    for line, n in pairs(out) do print(n .. " " .. line) end
end
