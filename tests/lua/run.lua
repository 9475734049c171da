-- Runs profrun's Lua tests: `profrun tests/lua/run.lua`. No hooks that need
-- BPF, so no privileges. Setup-phase tests run while this script loads;
-- every other tests/lua/test_*.lua runs from on_end, after setup, like a
-- hook would. Each test file returns function(t) (t is tap.lua).
local t = require "tap"

local dir = arg[0]:match("^(.*)/[^/]*$") or "."
local SETUP = { test_setup = true }

local function suites()
    local names = {}
    local p = io.popen("ls '" .. dir .. "'")
    for f in p:lines() do
        local name = f:match("^(test_[%w_]+)%.lua$")
        if name and not SETUP[name] then names[#names + 1] = name end
    end
    p:close()
    table.sort(names)
    return names
end

require("test_setup")(t)

function on_end()
    for _, name in ipairs(suites()) do require(name)(t) end
    if not t.summary() then exit(1) end
end
