-- execsnoop.lua: one line per exec on the whole machine, as it happens.
-- The first field is the new command name (comm), so `grep`/`awk` on it
-- works; then the path that was executed and its arguments (from the exec
-- event itself, so even a process that lived a millisecond has them).
--
--   profrun examples/execsnoop.lua            # until Ctrl-C
--   profrun examples/execsnoop.lua -d 10s
--
--   COMM             PID     PPID    UID   FILENAME         ARGS
--   ls               4312    4290    0     /usr/bin/ls      ls -l /tmp
local fmt = string.format

print(fmt("%-16s %-7s %-7s %-5s %-16s %s", "COMM", "PID", "PPID", "UID", "FILENAME", "ARGS"))

function on_exec(e)
    print(fmt("%-16s %-7d %-7d %-5d %-16s %s%s", e.comm, e.pid, e.ppid, e.uid, e.filename,
        e.cmdline, e.args_truncated and " ..." or ""))
end

function on_end()
    local s = stats().exec
    if s.dropped > 0 then
        io.stderr:write(fmt("execsnoop: %d of %d exec events lost\n", s.dropped, s.produced))
    end
end
