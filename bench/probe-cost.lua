-- The probes benchmark's profrun side (bench/probes.sh): a uprobe on
-- probespin's pb_hot in one of four modes, and at the end the hits seen,
-- the hits lost, and the depth of the most common stack.
--   profrun -p PID bench/probe-cost.lua MODE BINARY
--   MODE: count | count+stack (count_only) | event | event+stack
local mode, bin = arg[1], arg[2]
local spec = "u:" .. bin .. ":pb_hot"
local with_stack = mode == "count+stack" or mode == "event+stack"

local function depth(id)
    return id and #stack(id) or 0
end

if mode == "count" or mode == "count+stack" then
    local p = probe(spec, { count_only = true, stack = with_stack })
    function on_end()
        local rows, lost = p:counts()
        local n = 0
        for _, r in ipairs(rows) do n = n + r.count end
        print("hits=" .. n) print("lost=" .. lost.hits)
        print("frames=" .. (rows[1] and depth(rows[1].stack) or 0))
    end
elseif mode == "event" or mode == "event+stack" then
    local hits, by_stack = 0, {}
    probes { buffer = 16 * 1024 * 1024 }
    probe(spec, { stack = with_stack }, function(e)
        hits = hits + 1
        local id = e.stack
        if id then by_stack[id] = (by_stack[id] or 0) + 1 end
    end)
    function on_end()
        local best, bn = nil, 0
        for id, n in pairs(by_stack) do if n > bn then best, bn = id, n end end
        print("hits=" .. hits) print("lost=" .. stats().probe.dropped)
        print("frames=" .. depth(best))
    end
else
    error("usage: probe-cost.lua count|count+stack|event|event+stack BINARY", 0)
end
