-- execsnoop.lua: one line per exec on the whole machine, as it happens.
-- The first field is the new command name (comm), so `grep`/`awk` on it
-- works; the line ends with the path that was executed.
--
--   profrun examples/execsnoop.lua            # until Ctrl-C
--   profrun examples/execsnoop.lua -d 10s
--
--   COMM             PID     PPID    UID   FILENAME
--   ls               4312    4290    0     /usr/bin/ls
local fmt = string.format

print(fmt("%-16s %-7s %-7s %-5s %s", "COMM", "PID", "PPID", "UID", "FILENAME"))

function on_exec(e)
    print(fmt("%-16s %-7d %-7d %-5d %s", e.comm, e.pid, e.ppid, e.uid, e.filename))
end

function on_end()
    local s = stats().exec
    if s.dropped > 0 then
        io.stderr:write(fmt("execsnoop: %d of %d exec events lost\n", s.dropped, s.produced))
    end
end
