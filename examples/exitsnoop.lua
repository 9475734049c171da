-- exitsnoop.lua: one line per process exit on the whole machine: how long
-- it lived, how it ended (exit code, or the signal that killed it) and its
-- command line, which proc() still knows after the exit.
--
--   profrun examples/exitsnoop.lua            # until Ctrl-C
--   profrun examples/exitsnoop.lua -d 10s
--
--   COMM             PID     PPID    LIFETIME(ms)  EXIT                 COMMAND
--   sh               4312    4290          2.314   code 3               sh -c exit 3
--   sleep            4318    4290       1001.870   signal 15 (TERM)     sleep 10
local fmt = string.format

local SIGNALS = {
    [1] = "HUP", [2] = "INT", [3] = "QUIT", [4] = "ILL", [5] = "TRAP", [6] = "ABRT",
    [7] = "BUS", [8] = "FPE", [9] = "KILL", [10] = "USR1", [11] = "SEGV", [12] = "USR2",
    [13] = "PIPE", [14] = "ALRM", [15] = "TERM",
}

print(fmt("%-16s %-7s %-7s %13s  %-20s %s", "COMM", "PID", "PPID", "LIFETIME(ms)", "EXIT",
    "COMMAND"))

function on_exit(e)
    local how
    if e.signal ~= 0 then
        how = fmt("signal %d (%s)%s", e.signal, SIGNALS[e.signal] or "?",
            e.core and " core dumped" or "")
    else
        how = fmt("code %d", e.exit_code)
    end
    local p = proc(e.pid)
    local cmd = p and p.cmdline
    print(fmt("%-16s %-7d %-7d %13.3f  %-20s %s", e.comm, e.pid, e.ppid, e.duration / 1e6, how,
        (cmd and cmd ~= "") and cmd or "[" .. e.comm .. "]"))
end

function on_end()
    local s = stats().exit
    if s.dropped > 0 then
        io.stderr:write(fmt("exitsnoop: %d of %d exit events lost\n", s.dropped, s.produced))
    end
end
