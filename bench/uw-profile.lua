-- uw-profile.lua: the profile bench/unwind.sh runs under profrun. A real
-- whole-machine profile (user+kernel stacks, counted per stack in
-- on_sample, folded and sorted at the end), then one line of counters:
--
--   profrun bench/uw-profile.lua --hz 999 --unwind dwarf [--stack-bytes N] [--aggregate on]
--
--   2717 uwspin;main;uw_f01;...;uw_f16;uw_leaf
--   ...
--   # uwstats samples=5580 dropped=0 stacks=5580 complete=5571 copy_bytes=... fail.no_tables=3
--
-- Without --unwind the runtime's default applies (and no stats().unwind is
-- needed: the line then carries the sample counters only).
local hz, unwind, stack_bytes, aggregate = 99, nil, nil, nil
local i = 1
while arg[i] do
    local a, v = arg[i], arg[i + 1]
    if a == "--hz" then
        hz = tonumber(v) or error("--hz needs a number")
    elseif a == "--unwind" then
        unwind = v or error("--unwind needs fp, dwarf or auto")
    elseif a == "--aggregate" then
        aggregate = v == "on"
    elseif a == "--stack-bytes" then
        stack_bytes = tonumber(v) or error("--stack-bytes needs a number")
    else
        error("unknown argument '" .. a .. "'; usage: uw-profile.lua [--hz N]"
            .. " [--unwind MODE] [--stack-bytes N]")
    end
    i = i + 2
end

local opts = { hz = hz, user = true, kernel = true }
opts.unwind = unwind
opts.stack_bytes = stack_bytes
opts.aggregate = aggregate
sample(opts)

local counts = {} -- stack id -> samples
local comms = {}  -- stack id -> comm of its first sample

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

local function print_profile()
    local event = require "profrun.event"
    local folded = {}
    for id, n in pairs(counts) do
        local line = event.folded(comms[id], stack(id))
        folded[line] = (folded[line] or 0) + n
    end
    local lines = {}
    for line, n in pairs(folded) do lines[#lines + 1] = { n, line } end
    table.sort(lines, function(a, b) return a[1] > b[1] end)
    for _, l in ipairs(lines) do print(l[1] .. " " .. l[2]) end
end

-- key=value for every number in t (nested tables as prefix.key), sorted
local function flatten(t, prefix, out)
    for k, v in pairs(t) do
        if type(v) == "number" then
            out[#out + 1] = prefix .. k .. "=" .. v
        elseif type(v) == "table" then
            flatten(v, prefix .. k .. ".", out)
        elseif type(v) == "string" then
            out[#out + 1] = prefix .. k .. "=" .. v
        end
    end
    return out
end

function on_end()
    print_profile()
    local st = stats()
    local kv = { "samples=" .. st.sample.delivered, "dropped=" .. st.sample.dropped,
        "ustack_errors=" .. st.ustack_errors }
    if st.unwind then
        local u = flatten(st.unwind, "", {})
        table.sort(u)
        for _, x in ipairs(u) do kv[#kv + 1] = x end
    end
    print("# uwstats " .. table.concat(kv, " "))
end
