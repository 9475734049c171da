-- exitsnoop.lua: one line per process exit on the whole machine: how long
-- it lived, how it ended (exit code, or the signal that killed it) and its
-- command line, which proc() still knows after the exit. Names and
-- command lines are escaped (profrun.text: a newline shows as \n, ESC as
-- \x1b), so a process cannot forge a line or colour the terminal.
--
-- With --json, one JSON object per line instead (JSON lines, no header):
-- every field of the exit event (duration and start in nanoseconds), plus
-- `cmdline` from proc() (null when it is no longer known).
--
--   profrun examples/exitsnoop.lua            # until Ctrl-C
--   profrun examples/exitsnoop.lua -d 10s
--   profrun examples/exitsnoop.lua --json | jq 'select(.signal != 0)'
--
--   COMM             PID     PPID    LIFETIME(ms)  EXIT                 COMMAND
--   sh               4312    4290          2.314   code 3               sh -c exit 3
--   sleep            4318    4290       1001.870   signal 15 (TERM)     sleep 10
--
--   {"cgroup":5123,"cmdline":"sh -c exit 3","comm":"sh","core":false,"duration":2314012,
--    "exit_code":3,"pid":4312,"ppid":4290,"signal":0,"start":81234567890,
--    "tid":4312,"time":81236881902}
local fmt = string.format
local esc = require("profrun.text").escape

local as_json = false
for _, a in ipairs(arg) do
    if a == "--json" then
        as_json = true
    else
        error("unknown argument '" .. a .. "'; usage: exitsnoop.lua [--json]")
    end
end

local SIGNALS = {
    [1] = "HUP", [2] = "INT", [3] = "QUIT", [4] = "ILL", [5] = "TRAP", [6] = "ABRT",
    [7] = "BUS", [8] = "FPE", [9] = "KILL", [10] = "USR1", [11] = "SEGV", [12] = "USR2",
    [13] = "PIPE", [14] = "ALRM", [15] = "TERM",
}

local function text_exit(e)
    local how
    if e.signal ~= 0 then
        how = fmt("signal %d (%s)%s", e.signal, SIGNALS[e.signal] or "?",
            e.core and " core dumped" or "")
    else
        how = fmt("code %d", e.exit_code)
    end
    local p = proc(e.pid)
    local cmd = p and p.cmdline
    print(fmt("%-16s %-7d %-7d %13.3f  %-20s %s", esc(e.comm), e.pid, e.ppid, e.duration / 1e6,
        how, esc((cmd and cmd ~= "") and cmd or "[" .. e.comm .. "]")))
end

if as_json then
    local json = require "profrun.json"
    function on_exit(e)
        local p = proc(e.pid)
        json.line {
            pid = e.pid, ppid = e.ppid, tid = e.tid, comm = e.comm, exit_code = e.exit_code,
            signal = e.signal, core = e.core, time = e.time, start = e.start,
            duration = e.duration, cgroup = e.cgroup, cmdline = p and p.cmdline or json.null,
        }
    end
else
    print(fmt("%-16s %-7s %-7s %13s  %-20s %s", "COMM", "PID", "PPID", "LIFETIME(ms)", "EXIT",
        "COMMAND"))
    on_exit = text_exit
end

function on_end()
    local s = stats().exit
    if s.dropped > 0 then
        io.stderr:write(fmt("exitsnoop: %d of %d exit events lost\n", s.dropped, s.produced))
    end
end
