-- Runs profrun's Lua tests: `profrun tests/lua/run.lua`. No hooks that need
-- BPF, so no privileges. Setup-phase tests run while this script loads;
-- run-phase tests run from on_end, after setup, like a hook would.
local t = require "tap"

local setup_suites = { "test_setup" }
local run_suites = { "test_abi", "test_event", "test_api" }

for _, name in ipairs(setup_suites) do require(name)(t) end

function on_end()
    for _, name in ipairs(run_suites) do require(name)(t) end
    if not t.summary() then exit(1) end
end
