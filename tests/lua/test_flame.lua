-- profrun.flame: aggregation, folded text and the SVG, without BPF.
local flame = require "profrun.flame"

-- A stand-in for a sample view: what f:add(s) reads of one.
local function fake_sample(id, comm, frames)
    local event = require "profrun.event"
    return {
        stack = id, comm = comm,
        folded = function(self) return event.folded(self.comm, frames) end,
        frames = function() return frames end,
    }
end

local function frame_of(svg, name)
    return svg:match('<g class="f"[^>]*><title>' .. name:gsub("%p", "%%%0") .. ' %b()</title>[^\n]*')
end

local function attr(s, name)
    return s and tonumber(s:match(" " .. name .. '="([^"]*)"'))
end

local function rect_width(svg, name)
    local g = frame_of(svg, name)
    return g and attr(g:match("<rect[^>]*>"), "width")
end

local function read(path)
    local fh = assert(io.open(path))
    local s = fh:read("*a")
    fh:close()
    return s
end

local function burn_graph()
    local f = flame.new()
    f:add("burn;main;burn_heavy", 300)
    f:add("burn;main;burn_light", 100)
    return f
end

return function(t)
    t.test("flame: add aggregates identical stacks", function()
        local f = flame.new()
        f:add("a;b;c")
        f:add("a;b;c", 2)
        f:add("a;b", 4)
        t.eq(f:total(), 7, "total")
        t.eq(f:stacks(), 2, "stacks")
        t.eq(f:folded(), "a;b 4\na;b;c 3\n", "folded")
    end)
    t.test("flame: folded lines are sorted, counts integral", function()
        local f = flame.new()
        f:add("z;y", 1)
        f:add("b;a", 10)
        f:add("m", 2.5)
        t.eq(f:folded(), "b;a 10\nm 2.5\nz;y 1\n", "folded")
        t.eq(flame.new():folded(), "", "empty folded")
    end)
    t.test("flame: add(s) folds a sample once per stack and comm", function(expect)
        local frames = { { name = "leaf" }, { name = "main" } }
        local s = fake_sample(7, "prog", frames)
        s.folded = expect(s.folded, 2) -- once for "prog", once for "other"
        local f = flame.new()
        for _ = 1, 10 do f:add(s) end
        s.comm = "other"
        f:add(s)
        f:add(s)
        t.eq(f:folded(), "other;main;leaf 2\nprog;main;leaf 10\n", "folded")
    end)
    t.test("flame: off-CPU time colours frames by where their time went", function()
        local f = flame.new()
        f:add("app;main;compute", 30, "on")
        f:add("app;main;wait", 70, "off")
        f:add("app;main;compute", 10, "off")
        local svg = f:svg()
        local function fill(name) return frame_of(svg, name):match('fill="([^"]*)"') end
        local r, g, b = fill("wait"):match("rgb%((%d+),(%d+),(%d+)%)")
        assert(r == g and tonumber(b) >= 190, "off-CPU frame is blue: " .. fill("wait"))
        r, g, b = fill("compute"):match("rgb%((%d+),(%d+),(%d+)%)")
        assert(tonumber(r) >= 205 and tonumber(b) <= 55, "on-CPU frame is red: " .. fill("compute"))
        -- main: 70 of its 110 off CPU
        r, g = fill("main"):match("rgb%((%d+),(%d+),")
        t.eq(r, g, "a mostly off-CPU frame is blue")
        t.raises(function() f:add("x;y", 1, "idle") end, 'class must be "on" or "off"')
    end)
    t.test("flame: argument errors point at the caller", function()
        local f = flame.new()
        t.raises(function() f:add(42) end, "flame:add(s, n): s must be a sample or a folded line")
        t.raises(function() f:add("a;b", 0) end, "n must be a positive number, got 0")
        t.raises(function() f:add("a;b", 0 / 0) end, "n must be a positive number")
        t.raises(function() f:add("") end, "line is empty")
        t.raises(function() f:svg { widht = 10 } end, "unknown option 'widht'")
        t.raises(function() f:svg { width = "wide" } end, "width must be a number, got string")
        t.raises(function() f:svg { width = 5 } end, "width must be 200..100000, got 5")
        t.raises(function() f:svg { colors = { kernal = "aqua" } } end, "unknown kind 'kernal'")
        t.raises(function() f:svg { colors = { user = "url(http://x)" } } end,
            "colors.user must be a palette")
        t.raises(function() f:write_svg(nil) end, "path must be a file name")
        t.raises(function() f:write_folded("/nonexistent/dir/x.folded") end, "cannot open")
        local ok, err = pcall(function() f:add(false) end)
        assert(not ok and err:find("test_flame.lua:%d+:"), "error points here: " .. tostring(err))
    end)
    t.test("flame: svg has every frame, root to leaf", function()
        local svg = burn_graph():svg()
        for _, name in ipairs { "all", "burn", "main", "burn_heavy", "burn_light" } do
            assert(frame_of(svg, name), "no frame " .. name)
        end
        assert(svg:find("<title>burn_heavy (300 samples, 75.00%)</title>", 1, true), "tooltip")
        assert(svg:find("<title>all (400 samples, 100.00%)</title>", 1, true), "root tooltip")
        assert(svg:find(">burn_heavy</text>", 1, true), "label")
        local _, n = svg:gsub('<g class="f"', "")
        t.eq(n, 5, "frames")
        assert(svg:find('^<%?xml version="1.0"'), "xml declaration")
        assert(svg:find("</svg>\n$"), "closed")
    end)
    t.test("flame: widths are proportional to samples", function()
        local svg = burn_graph():svg { width = 1020 } -- 1000 px for frames
        t.eq(rect_width(svg, "all"), 1000, "all")
        t.eq(rect_width(svg, "main"), 1000, "main")
        t.eq(rect_width(svg, "burn_heavy"), 750, "burn_heavy")
        t.eq(rect_width(svg, "burn_light"), 250, "burn_light")
        local heavy, light = frame_of(svg, "burn_heavy"), frame_of(svg, "burn_light")
        t.eq(attr(heavy, "data%-w"), 300, "data-w")
        t.eq(attr(light, "data%-x"), 300, "light starts after heavy (sorted by name)")
        t.eq(attr(heavy, "data%-d"), 3, "depth")
        local hy = attr(heavy:match("<rect[^>]*>"), "y")
        local my = attr(frame_of(svg, "main"):match("<rect[^>]*>"), "y")
        assert(hy < my, "callee above caller")
    end)
    t.test("flame: a deep graph is drawn root at the top, in the first screen", function()
        local f = flame.new()
        f:add("app;main;hot", 900)
        local deep = { "app", "main" }
        for i = 1, 120 do deep[#deep + 1] = "r" .. i end
        f:add(table.concat(deep, ";"), 100)
        local svg = f:svg()
        local function y(name) return attr(frame_of(svg, name):match("<rect[^>]*>"), "y") end
        assert(y("all") < y("main") and y("main") < y("hot"), "callers above callees")
        assert(y("hot") + 16 <= 900, "hot frame in the first 900 px")
        assert(y("r120") > 900, "the deep tower runs off the page")
        local top = burn_graph():svg { direction = "down" }
        local ty = attr(frame_of(top, "all"):match("<rect[^>]*>"), "y")
        local hy = attr(frame_of(top, "burn_heavy"):match("<rect[^>]*>"), "y")
        assert(ty < hy, "direction = down forces it")
        local up = f:svg { direction = "up" }
        local uy = attr(frame_of(up, "all"):match("<rect[^>]*>"), "y")
        assert(uy > 900, "direction = up forces a classic graph")
        t.raises(function() f:svg { direction = "left" } end, 'direction must be "up"')
    end)
    t.test("flame: names are XML-escaped everywhere", function()
        local f = flame.new()
        f:add([[p;a<b>&"c'd;std::vector<int>::push_back]], 3)
        local svg = f:svg { title = [[<&"'>]], subtitle = "x & y", count_name = "<n>" }
        assert(not svg:find("a<b", 1, true) and not svg:find("vector<int>", 1, true), "raw <")
        assert(svg:find("a&lt;b&gt;&amp;&quot;c&apos;d (3 &lt;n&gt;, 100.00%)", 1, true),
            "escaped tooltip")
        assert(svg:find("std::vector&lt;int&gt;::push_back", 1, true), "escaped name")
        assert(svg:find(">&lt;&amp;&quot;&apos;&gt;</text>", 1, true), "escaped title")
        assert(svg:find(">x &amp; y</text>", 1, true), "escaped subtitle")
        -- outside the script and style sections, every & starts an entity
        local body = svg:gsub("<!%[CDATA%[.-%]%]>", "")
        for amp in body:gmatch("&[^;]*;?") do
            assert(amp:find("^&[a-z]+;$"), "bare & in " .. amp)
        end
    end)
    t.test("flame: bytes XML cannot carry become ?", function()
        local f = flame.new()
        f:add("p;bad\255\1name;ok\226\130\172", 1)
        local svg = f:svg()
        assert(svg:find("bad??name (", 1, true), "invalid bytes replaced")
        assert(svg:find("ok\226\130\172 (", 1, true), "valid UTF-8 kept")
        assert(not svg:find("[\1\255]"), "no raw control or invalid bytes")
    end)
    t.test("flame: labels are cut to fit, tiny frames dropped", function()
        local f = flame.new()
        local long = "a_really_long_function_name_that_cannot_fit_in_a_narrow_frame"
        f:add("p;main;" .. long, 36)
        f:add("p;main;wide", 964)
        f:add("p;main;tiny", 0.01)
        local svg = f:svg { width = 1020, font_size = 10 } -- 36 px: 4 chars of 6 px
        local g = frame_of(svg, long)
        assert(g, "long frame present")
        t.eq(g:match("<text[^>]*>([^<]*)</text>"), "a_..", "cut label")
        t.eq(frame_of(svg, "wide"):match("<text[^>]*>([^<]*)</text>"), "wide", "whole label")
        t.eq(frame_of(svg, "tiny"), nil, "frame under min_width")
        t.eq(flame.fit("abcdef", 100, 6), "abcdef", "fit")
        t.eq(flame.fit("abcdef", 10, 6), "", "nothing fits")
        t.eq(flame.fit("\226\130\172\226\130\172\226\130\172\226\130\172", 24, 6),
            "\226\130\172..", "cut between UTF-8 characters")
    end)
    t.test("flame: kernel frames get the kernel colour", function()
        local frames = { { name = "do_syscall", kernel = true }, { name = "read" },
            { name = "main" } }
        local f = flame.new()
        f:add(fake_sample(1, "prog", frames), 5)
        f:add("prog;main;write;ksys_write_[k]", 5)
        local svg = f:svg { colors = { kernel = "#123456", user = "rgb(1,2,3)", comm = "blue" } }
        local function fill(name) return frame_of(svg, name):match('fill="([^"]*)"') end
        t.eq(fill("do_syscall"), "#123456", "kernel frame")
        t.eq(fill("ksys_write"), "#123456", "_[k] frame")
        t.eq(fill("read"), "rgb(1,2,3)", "user frame")
        assert(fill("prog"):find("^rgb%("), "comm palette")
        t.eq(f:folded(), "prog;main;read;do_syscall 5\nprog;main;write;ksys_write_[k] 5\n",
            "folded keeps the lines")
    end)
    t.test("flame: same name, same colour", function()
        local f = flame.new()
        f:add("a;x;hot", 1)
        f:add("b;y;hot", 1)
        local svg = f:svg()
        local fills = {}
        for g in svg:gmatch('<title>hot %b()</title><rect[^>]*fill="([^"]*)"') do
            fills[#fills + 1] = g
        end
        t.eq(#fills, 2, "two hot frames")
        t.eq(fills[1], fills[2], "fill")
    end)
    t.test("flame: the script, its handlers and no outside resources", function()
        local svg = burn_graph():svg()
        assert(svg:find('<script type="text/ecmascript"><![CDATA[', 1, true), "script element")
        assert(svg:find('onload="init(evt)"', 1, true), "onload")
        assert(svg:find('onclick="unzoom()"', 1, true), "reset zoom")
        assert(svg:find('onclick="search_click()"', 1, true), "search button")
        for _, fn in ipairs { "function init(", "function zoom(", "function unzoom(",
            "function search(", "function reset_search(", 'addEventListener("click"',
            'addEventListener("mouseover"', 'addEventListener("keydown"' } do
            assert(svg:find(fn, 1, true), "script lacks " .. fn)
        end
        local _, cdata_ends = svg:gsub("%]%]>", "")
        t.eq(cdata_ends, 2, "CDATA sections (style, script)")
        local s = svg:gsub('xmlns="http://www.w3.org/2000/svg"', "")
        assert(not s:find("https?:") and not s:find("href") and not s:find("@import"),
            "external resource")
    end)
    t.test("flame: an empty graph is still an SVG", function()
        local svg = flame.new():svg()
        assert(svg:find(">No samples</text>", 1, true), "says so")
        assert(not svg:find('<g class="f"', 1, true), "no frames")
        assert(svg:find("</svg>\n$"), "closed")
    end)
    t.test("flame: write_folded and write_svg write files", function()
        local f = burn_graph()
        local base = os.tmpname()
        f:write_folded(base)
        t.eq(read(base), f:folded(), "folded file")
        f:write_svg(base, { title = "T" })
        t.eq(read(base), f:svg { title = "T" }, "svg file")
        os.remove(base)
    end)
end
