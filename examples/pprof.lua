-- pprof.lua: a CPU profile for `go tool pprof` (and anything else that
-- reads profile.proto). Samples user and kernel stacks of every CPU (or
-- one process, or a command) and, at the end, writes them as a gzipped
-- pprof profile: one sample per distinct stack, with sample counts and CPU
-- time, one mapping per binary (with its build id) and kernel frames in
-- "[kernel]".
--
--   profrun examples/pprof.lua -d 10                      # whole machine, 10 s
--   profrun -c './myprog --flag' examples/pprof.lua out.pb.gz
--   profrun -p 1234 -F 499 examples/pprof.lua out.pb.gz 499
--   go tool pprof -top -symbolize=none out.pb.gz
--   go tool pprof -http=:8080 out.pb.gz
--
-- Arguments: the output path (default profile.pb.gz) and the sampling
-- frequency in Hz (default 99, or -F's).
--
--   wrote 1996 samples (12 stacks) to out.pb.gz
local pprof = require "profrun.pprof"

local path = arg[1] or "profile.pb.gz"
local hz = arg[2] and tonumber(arg[2])
if arg[2] and (not hz or hz % 1 ~= 0 or hz < 1 or hz > 100000) then
    error("pprof.lua: the second argument is the frequency in Hz (1..100000), got "
        .. tostring(arg[2]), 0)
end

-- counted in the kernel: profile:add(s) weighs each by s.count
sample { hz = hz, user = true, kernel = true, aggregate = true }

-- no hz here: the profile's period follows the frequency in force (-F too)
local profile = pprof.new {}
local stacks = 0
local seen = {}

function on_sample(s)
    local id = s.stack
    if not seen[id] then
        seen[id] = true
        stacks = stacks + 1
    end
    profile:add(s)
end

function on_end()
    local n = profile:write(path)
    print(string.format("wrote %d samples (%d stacks) to %s", n, stacks, path))
end
