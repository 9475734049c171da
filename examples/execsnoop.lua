-- execsnoop.lua: one line per exec on the whole machine, as it happens.
-- The first field is the new command name (comm), so `grep`/`awk` on it
-- works; then the path that was executed and its arguments (from the exec
-- event itself, so even a process that lived a millisecond has them).
-- Names, paths and arguments are escaped (profrun.text: a newline shows
-- as \n, ESC as \x1b), so a process cannot forge a line or colour the
-- terminal.
--
-- With --json, one JSON object per line instead (JSON lines, no header)
-- with every field of the exec event; names, paths and arguments are
-- escaped so any byte they hold gives valid JSON (see profrun.json).
--
--   profrun examples/execsnoop.lua            # until Ctrl-C
--   profrun examples/execsnoop.lua -d 10s
--   profrun examples/execsnoop.lua --json | jq -r .filename
--
--   COMM             PID     PPID    UID   FILENAME         ARGS
--   ls               4312    4290    0     /usr/bin/ls      ls -l /tmp
--
--   {"args_truncated":false,"argv":["ls","-l","/tmp"],"cgroup":5123,"cmdline":"ls -l /tmp",
--    "comm":"ls","filename":"/usr/bin/ls","mntns":4026531841,"old_pid":4312,"pid":4312,
--    "pidns":4026531836,"ppid":4290,"start":81234567890,"time":81234601234,"uid":0}
local fmt = string.format
local esc = require("profrun.text").escape

local as_json = false
for _, a in ipairs(arg) do
    if a == "--json" then
        as_json = true
    else
        error("unknown argument '" .. a .. "'; usage: execsnoop.lua [--json]")
    end
end

if as_json then
    local json = require "profrun.json"
    function on_exec(e)
        json.line {
            pid = e.pid, ppid = e.ppid, uid = e.uid, old_pid = e.old_pid, comm = e.comm,
            filename = e.filename, cmdline = e.cmdline, argv = json.array(e.argv),
            args_truncated = e.args_truncated, time = e.time, start = e.start,
            cgroup = e.cgroup, mntns = e.mntns, pidns = e.pidns,
        }
    end
else
    print(fmt("%-16s %-7s %-7s %-5s %-16s %s", "COMM", "PID", "PPID", "UID", "FILENAME", "ARGS"))

    function on_exec(e)
        print(fmt("%-16s %-7d %-7d %-5d %-16s %s%s", esc(e.comm), e.pid, e.ppid, e.uid,
            esc(e.filename), esc(e.cmdline), e.args_truncated and " ..." or ""))
    end
end

function on_end()
    local s = stats().exec
    if s.dropped > 0 then
        io.stderr:write(fmt("execsnoop: %d of %d exec events lost\n", s.dropped, s.produced))
    end
end
