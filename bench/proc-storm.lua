-- proc-storm.lua: the exec-storm benchmark's script. Every exec event asks
-- proc(pid) for exe and cmdline (what an enrichment script does); at the
-- end it prints one line of counters for bench/execstorm-proc.sh.
local handled, named, first, last = 0, 0, nil, nil

function on_exec(e)
    local p = proc(e.pid)
    handled = handled + 1
    if p and p.exe and p.cmdline then named = named + 1 end
    first = first or e.time
    last = e.time
end

function on_end()
    local s = stats()
    local span = (first and last and last > first) and (last - first) / 1e9 or 0
    print(string.format("RESULT handled=%d named=%d produced=%d dropped=%d span_s=%.3f " ..
        "proc_size=%d proc_capacity=%d", handled, named, s.exec.produced, s.exec.dropped, span,
        s.proc.size, s.proc.capacity))
end
