-- opensnoop.lua: which files do processes open, as it happens? One line
-- per openat() (the syscall every open goes through), from the
-- syscalls:sys_enter_openat tracepoint: the command, its pid and parent,
-- the path as the process passed it, the flags, and the process's
-- executable from proc() (so a "python3" opening a file says which
-- python3 it is). Paths and names are escaped: a file named with a
-- newline cannot forge a line. An optional argument keeps only paths
-- that contain it.
--
--   profrun examples/opensnoop.lua -d 10            # the whole machine
--   profrun -p 1234 examples/opensnoop.lua
--   profrun -c 'make' examples/opensnoop.lua .h     # headers a build opens
--
--   COMM             PID     PPID    FLAGS    PATH                        EXE
--   cat              4312    4290    0x80000  /etc/hostname               /usr/bin/cat
local esc = require("profrun.text").escape
local fmt = string.format

local only = arg[1]

print(fmt("%-16s %-7s %-7s %-8s %-27s %s", "COMM", "PID", "PPID", "FLAGS", "PATH", "EXE"))

probe("t:syscalls:sys_enter_openat", function(e)
    local a = e.args
    local path = a.filename
    if not path then path = "?" end
    if only and not path:find(only, 1, true) then return end
    local p = proc(e.pid)
    print(fmt("%-16s %-7d %-7s 0x%-6x %-27s %s", esc(e.comm), e.pid,
        p and tostring(p.ppid) or "?", tonumber(a.flags) or 0, esc(path),
        p and p.exe and esc(p.exe) or "?"))
end)
