-- bench-first-sample.lua: for the start-up benchmark (bench/). Samples all
-- CPUs at 999 Hz with user and kernel stacks and prints, at the first
-- sample, `FIRST <CLOCK_MONOTONIC ns of the sample>`; then keeps sampling
-- until stopped.
--
--   profrun examples/bench-first-sample.lua
-- idle CPUs are sampled too, as bpftrace's profile:hz probe does, so both
-- tools wait for the same first timer tick, not for a task to run
sample { hz = 999, user = true, kernel = true, idle = true }

local first = true
function on_sample(s)
    if first then
        first = false
        print("FIRST " .. string.format("%.0f", s.time))
        io.stdout:flush()
    end
end
