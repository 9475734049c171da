-- container-top.lua: which containers (or cgroups) use the CPU right now?
-- Samples every CPU and, every second, prints the busiest containers by
-- CPU samples in that second: the 12-hex short id for docker, containerd,
-- cri-o and podman containers (proc(pid).container), else the process's
-- cgroup path (proc(pid).cgroup), so systemd services and user sessions
-- show up too. The key is looked up once per cgroup, not once per sample.
--
--   profrun examples/container-top.lua             # until Ctrl-C
--   profrun examples/container-top.lua -d 30s 5 2  # top 5, every 2 s
--
--   CPU samples per container / cgroup  14:02:31
--    SAMPLES       %  CONTAINER / CGROUP
--        187   94.4%  3f4e1a2b9c0d
--          9    4.5%  /system.slice/containerd.service
--          2    1.0%  /user.slice/user-1000.slice/session-2.scope
local top = require "profrun.top"

local n = tonumber(arg[1]) or 10
local interval = tonumber(arg[2]) or 1

sample { user = false, kernel = false } -- no stacks needed: who, not where

local table_ = top.new {
    n = n, every = interval, reset = true,
    title = "CPU samples per container / cgroup",
    columns = { "SAMPLES", "CONTAINER / CGROUP" },
}

local label_of = {} -- cgroup id -> label

local function label(s)
    local l = label_of[s.cgroup]
    if l then return l end
    local p = proc(s.pid)
    if not p then return "[cgroup " .. s.cgroup .. "]" end -- not cached: retry later
    local id = p.container
    if id and id ~= "" then
        l = id:sub(1, 12)
    else
        l = p.cgroup or ""
        if l == "" then l = "[cgroup " .. s.cgroup .. "]" end
    end
    label_of[s.cgroup] = l
    return l
end

function on_sample(s)
    table_:add(label(s))
end

-- the last partial interval, so a short run shows it too
function on_end()
    if table_:changed() then table_:print() end
end
