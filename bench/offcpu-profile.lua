-- The off-CPU benchmark's profrun side (bench/offcpu.sh): off-CPU time of
-- the target summed by thread name, with the default threshold (shorter
-- waits summed in the kernel), printed as comm_ns=N lines at the end.
offcpu {}
local by = {}
function on_offcpu(e) by[e.comm] = (by[e.comm] or 0) + e.duration end
function on_end()
    for comm, ns in pairs(by) do print(comm .. "_ns=" .. ns) end
    local s = stats().offcpu
    print("produced=" .. s.produced .. " dropped=" .. s.dropped)
end
