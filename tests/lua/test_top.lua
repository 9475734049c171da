-- profrun.top: ordering, the n limit, the table layout, and top.new's
-- rules (every() only during setup). The table is tested through
-- top.format and t:text(), without timers.
local top = require "profrun.top"

local function lines(s)
    local t = {}
    for l in s:gmatch("([^\n]*)\n") do t[#t + 1] = l end
    return t
end

return function(t)
    t.test("top.format: largest first, ties by key", function()
        local keys = top.ranked({ b = 5, a = 5, c = 9, d = 1 })
        t.eq(table.concat(keys, ","), "c,a,b,d", "order")
    end)

    t.test("top.format: layout, percentages and header", function()
        local l = lines(top.format({ burn = 30, node = 10 },
            { title = "CPU", columns = { "SAMPLES", "COMM" } }))
        t.eq(l[1], "CPU", "title")
        t.eq(l[2], "SAMPLES       %  COMM", "header")
        t.eq(l[3], "     30   75.0%  burn", "first row")
        t.eq(l[4], "     10   25.0%  node", "second row")
        t.eq(#l, 4, "no trailer when everything is shown")
    end)

    t.test("top.format: n limits the rows and sums the rest", function()
        local v = {}
        for i = 1, 25 do v["k" .. i] = i end
        local l = lines(top.format(v, { n = 3, percent = false }))
        t.eq(l[1], "COUNT  KEY", "default header, no % column")
        t.eq(l[2], "   25  k25", "largest")
        t.eq(l[3], "   24  k24", "second")
        t.eq(l[4], "   23  k23", "third")
        t.eq(l[5], "... 22 more (253)", "the rest")
        t.eq(#l, 5, "lines")
    end)

    t.test("top.format: wide values widen the column; empty table", function()
        local l = lines(top.format({ x = 123456789, y = 1.5 }, { percent = false }))
        t.eq(l[1], "    COUNT  KEY", "header right-aligned to the widest value")
        t.eq(l[2], "123456789  x", "integer")
        t.eq(l[3], "     1.50  y", "fraction")
        local e = lines(top.format({}, { title = "T", when = "12:00:00" }))
        t.eq(e[1], "T  12:00:00", "title with time")
        t.eq(e[3], "(nothing yet)", "empty")
    end)

    t.test("top.new without a timer: add, set, text, reset", function()
        local tp = top.new { every = false, n = 2, columns = { "SAMPLES", "CONTAINER" },
            reset = true }
        tp:add("a")
        tp:add("b", 3)
        tp:add("a", 1)
        tp:add("c")
        tp:set("d", 10)
        t.eq(tp:get("a"), 2, "a added twice")
        local l = lines(tp:text())
        t.eq(l[2], "     10   62.5%  d", "largest first")
        t.eq(l[3], "      3   18.8%  b", "second")
        t.eq(l[4], "... 2 more (3)", "n = 2")
        t.eq(tp:changed(), true, "changed after add")
        tp:reset()
        t.eq(tp:get("a"), nil, "reset")
        t.eq(tp:changed(), false, "not changed after reset")
    end)

    t.test("top.new: options are checked; every() only during setup", function()
        t.raises(function() top.new { n = 0, every = false } end, "top.new{}: n must be")
        t.raises(function() top.new { every = -1 } end, "every must be seconds > 0")
        t.raises(function() top.new { rows = 3 } end, "unknown option 'rows'")
        t.raises(function() top.new { columns = { "A" }, every = false } end, "columns must be")
        -- these tests run after setup, like a hook: every() is refused
        t.raises(function() top.new { every = 1 } end, "call it at the top level")
    end)
end
