-- profrun.flame: stacks aggregated into folded text and flame graphs.
--
--   local flame = require "profrun.flame"
--   local f = flame.new()
--   function on_sample(s) f:add(s) end              -- or f:add("comm;main;work", 3)
--   function on_end() f:write_svg("cpu.svg", { title = "CPU" }) end
--
-- f:folded() is the "comm;root;...;leaf count" text of flamegraph.pl,
-- inferno and speedscope. In lines folded from samples every name went
-- through profrun.text.frame (";" is \x3b, a newline \n, ESC \x1b, "\"
-- is \\), so a line has exactly its frames; the SVG shows names in that
-- same escaped form. f:write_svg() writes a self-contained SVG (no
-- external resources): one rectangle per frame, its width proportional to
-- its samples, labels cut to fit, a tooltip with samples and percent; a
-- click zooms into a frame, Ctrl-F or "Search" highlights the frames that
-- match a regular expression and shows their share of the samples.
-- Opening the file with ?s=REGEX in the URL starts with that search.
--
-- Orientation: a graph that fits in MAX_UP pixels (800, less than a
-- laptop's browser window) is a classic flame graph, root at the bottom.
-- A taller one (deep stacks: 100 frames are 1,600 px) is drawn top-down,
-- "icicle" style: the root and the widest, hottest frames sit right under
-- the title, in the first screenful, and only the thin deep towers run
-- off the bottom of the page. Drawn the classic way, the first screenful
-- of such a page is the top of the towers and mostly blank background,
-- with the hot frames a scroll away. The hover details and the search
-- result then also move to the top. opts.direction = "up" or "down"
-- forces one orientation.
local M = {}

local type, tostring, pairs, ipairs, error, setmetatable, next = type, tostring, pairs, ipairs,
    error, setmetatable, next
local format, byte, sub, find, gsub, gmatch = string.format, string.byte, string.sub,
    string.find, string.gsub, string.gmatch
local concat, sort = table.concat, table.sort
local floor, huge = math.floor, math.huge
local io_open = io.open

local F = {}
F.__index = F

-- flame.new(): an empty flame graph
function M.new()
    return setmetatable({
        counts = {},    -- folded line -> samples
        kdepth = {},    -- folded line -> how many frames at its end are kernel frames
        pending = {},   -- stack id -> comm -> { samples, off-CPU part }: folded when written
        by_stack = {},  -- stack id -> comm -> folded line (samples given as tables)
        offn = {},      -- folded line -> the part of its count that is off-CPU time
        where = {},     -- frame name -> { file = basename, inlined = bool } (tooltips)
        nlines = 0,
        n = 0,
    }, F)
end

local function count_kernel(frames)
    local k = 0
    for i = 1, #frames do
        if frames[i].kernel then k = k + 1 end
    end
    return k
end

-- Where each named frame's code is (source file, inlined or not), for the
-- tooltips: by the name the folded line gives it.
local event_mod
local function note_sources(where, frames)
    event_mod = event_mod or require "profrun.event"
    local text_frame = require("profrun.text").frame
    for i = 1, #frames do
        local f = frames[i]
        if f.file and f.kind ~= "python" then
            local key = text_frame(event_mod.frame_name(f))
            if not where[key] then
                where[key] = { file = f.file:match("[^/]*$"), inlined = f.inlined }
            end
        end
    end
end

-- f:add(s[, n]) with a sample view, or f:add(folded_line[, n]) with a
-- "comm;root;...;leaf" line: n more samples of that stack (default: the
-- view's weight, s.count for samples counted in the kernel; else 1).
-- Sample views are folded once per (stack, comm): f:add(s) is cheap in
-- on_sample, and their kernel frames are coloured as such in the SVG.
-- In folded lines, a frame name ending in "_[k]" is a kernel frame.
-- f:add(s, n, "off") counts n as off-CPU time (an on_offcpu event, or a
-- line): once a graph has any, each frame is coloured by which its time
-- mostly is, on CPU ("oncpu", red) or off CPU ("offcpu", blue), instead
-- of by user/kernel.
function F:add(s, n, class)
    if class ~= nil and class ~= "on" and class ~= "off" then
        error(format('flame:add(s, n, class): class must be "on" or "off", got %s',
            tostring(class)), 2)
    end
    local ts = type(s)
    if n == nil then
        n = (ts == "cdata" or ts == "table") and s.weight or 1
    elseif type(n) ~= "number" or not (n > 0) or n == huge then
        error(format("flame:add(s, n): n must be a positive number, got %s", tostring(n)), 2)
    end
    local line
    if ts == "string" then
        if s == "" then error("flame:add(line, n): line is empty", 2) end
        line = s
    elseif ts == "cdata" or ts == "table" then
        local id, comm = s.stack, s.comm
        if ts == "cdata" and id and id > 0 then
            -- a sample view: named when the graph is written, so a binary
            -- whose names come later (debuginfod) is named in the output
            local per = self.pending[id]
            if not per then per = {}; self.pending[id] = per end
            local p = per[comm]
            if not p then p = { 0, 0 }; per[comm] = p end
            p[1] = p[1] + n
            if class == "off" then p[2] = p[2] + n; self.has_off = true end
            self.n = self.n + n
            return
        end
        local per = id and self.by_stack[id]
        line = per and per[comm]
        if not line then
            line = s:folded()
            if type(line) ~= "string" or line == "" then
                error("flame:add(s): s:folded() gave no stack", 2)
            end
            local frames = s:frames()
            local k = count_kernel(frames)
            if k > 0 then self.kdepth[line] = k end
            note_sources(self.where, frames)
            if id and comm then
                if not per then per = {}; self.by_stack[id] = per end
                per[comm] = line
            end
        end
    else
        error(format("flame:add(s, n): s must be a sample or a folded line, got %s", ts), 2)
    end
    self.n = self.n + n
    self:count_line(line, n, class == "off" and n or 0)
end

function F:count_line(line, n, off)
    local c = self.counts[line]
    if c then
        self.counts[line] = c + n
    else
        self.counts[line] = n
        self.nlines = self.nlines + 1
    end
    if off > 0 then
        self.offn[line] = (self.offn[line] or 0) + off
        self.has_off = true
    end
end

-- The samples added by stack id, folded now.
local function settle(self)
    if next(self.pending) == nil then return end
    event_mod = event_mod or require "profrun.event"
    for id, per in pairs(self.pending) do
        local frames = event_mod.stack_frames(id)
        local k = count_kernel(frames)
        note_sources(self.where, frames)
        for comm, p in pairs(per) do
            local line = event_mod.folded(comm, frames)
            if k > 0 then self.kdepth[line] = k end
            self:count_line(line, p[1], p[2]) -- self.n counted them when added
        end
    end
    self.pending = {}
end

-- f:total(): samples added; f:stacks(): distinct folded lines
function F:total() return self.n end
function F:stacks() settle(self); return self.nlines end

local function count_text(n)
    if n % 1 == 0 then return format("%.0f", n) end
    return format("%.6g", n)
end

-- exact, for the layout numbers the JS reads back
local function num_text(n)
    if n % 1 == 0 then return format("%.0f", n) end
    return format("%.17g", n)
end

-- f:folded(): "stack count" lines, sorted by stack, each ending in "\n"
function F:folded()
    settle(self)
    local lines = {}
    for line in pairs(self.counts) do lines[#lines + 1] = line end
    sort(lines)
    local out = {}
    for i, line in ipairs(lines) do
        out[i] = line .. " " .. count_text(self.counts[line]) .. "\n"
    end
    return concat(out)
end

local function write_file(api, path, text)
    if type(path) ~= "string" or path == "" then
        error(format("%s: path must be a file name, got %s", api, tostring(path)), 3)
    end
    local fh, err = io_open(path, "w")
    if not fh then error(format("%s: cannot open %s", api, err), 3) end
    local ok, werr = fh:write(text)
    local cok, cerr = fh:close()
    if not ok or not cok then
        error(format("%s: cannot write %s: %s", api, path, tostring(werr or cerr)), 3)
    end
end

-- f:write_folded(path): writes f:folded() to path
function F:write_folded(path)
    write_file("flame:write_folded(path)", path, self:folded())
end

-- ---- SVG --------------------------------------------------------------

local ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
    ["'"] = "&apos;" }

-- Names come from binaries: anything that is not valid UTF-8, or is a
-- character XML 1.0 does not allow, becomes "?".
local function clean(s)
    if not find(s, "[%z\1-\31\127-\255]") then return s end
    local out, i, n = {}, 1, #s
    while i <= n do
        local c = byte(s, i)
        local len = 0
        if c >= 0x20 and c < 0x7f then
            len = 1
        elseif c >= 0xc2 and c <= 0xdf then
            len = 2
        elseif c >= 0xe0 and c <= 0xef then
            len = 3
        elseif c >= 0xf0 and c <= 0xf4 then
            len = 4
        end
        local ok = len > 0 and i + len - 1 <= n
        if ok and len > 1 then
            for j = i + 1, i + len - 1 do
                local b = byte(s, j)
                if b < 0x80 or b > 0xbf then ok = false; break end
            end
            if ok then
                local b2, b3 = byte(s, i + 1), byte(s, i + 2)
                if (c == 0xe0 and b2 < 0xa0) or (c == 0xed and b2 > 0x9f)
                    or (c == 0xf0 and b2 < 0x90) or (c == 0xf4 and b2 > 0x8f)
                    or (c == 0xef and b2 == 0xbf and b3 >= 0xbe) then
                    ok = false
                end
            end
        end
        if ok then
            out[#out + 1] = sub(s, i, i + len - 1)
            i = i + len
        else
            out[#out + 1] = "?"
            i = i + 1
        end
    end
    return concat(out)
end

local function esc(s)
    return (gsub(clean(s), "[&<>\"']", ESC))
end
M.xml_escape = esc

local CHAR_W = 0.6 -- average glyph width, in font sizes

-- The label of a frame w pixels wide: the name, or its start and "..",
-- or nothing when not even 3 characters fit (the same rule as the JS).
local function fit(name, w, charw)
    local max = floor((w - 6) / charw)
    if max < 3 then return "" end
    local chars = {}
    for ch in gmatch(name, "[^\128-\191][\128-\191]*") do
        chars[#chars + 1] = ch
        if #chars > max then break end
    end
    if #chars <= max then return name end
    return concat(chars, "", 1, max - 2) .. ".."
end
M.fit = fit

-- Colours: the same name always gets the same colour of its palette.
local function hash(name)
    local h = 0
    for i = 1, #name do h = (h * 31 + byte(name, i)) % 4294967296 end
    return (h % 997) / 997, (floor(h / 997) % 991) / 991
end

local PALETTES = {
    hot = function(a, b) return 205 + 50 * b, 230 * a, 55 * b end,
    orange = function(a, b) return 190 + 65 * a, 90 + 65 * a, 55 * b end,
    aqua = function(a) return 50 + 60 * a, 165 + 55 * a, 165 + 55 * a end,
    green = function(a, b) return 50 + 60 * a, 190 + 60 * a, 50 + 60 * b end,
    blue = function(a) return 80 + 60 * a, 80 + 60 * a, 190 + 55 * a end,
    yellow = function(a) return 175 + 55 * a, 175 + 55 * a, 50 + 20 * a end,
    purple = function(a) return 190 + 65 * a, 80 + 60 * a, 190 + 65 * a end,
    grey = function(a) return 170 + 40 * a, 170 + 40 * a, 170 + 40 * a end,
}

local KINDS = { root = "grey", comm = "purple", user = "hot", kernel = "aqua",
    unknown = "grey", oncpu = "hot", offcpu = "blue", inlined = "orange" }

local function is_color(v)
    return PALETTES[v] ~= nil or find(v, "^#%x%x%x$") ~= nil or find(v, "^#%x%x%x%x%x%x$") ~= nil
        or find(v, "^rgb%(%s*%d+%s*,%s*%d+%s*,%s*%d+%s*%)$") ~= nil or find(v, "^%a+$") ~= nil
end

local function color(spec, name)
    local p = PALETTES[spec]
    if not p then return spec end
    local r, g, b = p(hash(name))
    return format("rgb(%d,%d,%d)", r, g, b)
end

local OPTS = {
    title = "string", subtitle = "string", width = "number", frame_height = "number",
    font_size = "number", min_width = "number", colors = "table", count_name = "string",
    direction = "string",
}

-- the tallest graph drawn root at the bottom (see the top of the file)
local MAX_UP = 800

local function check_opts(opts)
    local api = "flame:write_svg(path, opts)"
    if opts == nil then return {} end
    if type(opts) ~= "table" then
        error(format("%s: opts must be a table, got %s", api, type(opts)), 3)
    end
    for k, v in pairs(opts) do
        local want = OPTS[k]
        if not want then
            local names = {}
            for name in pairs(OPTS) do names[#names + 1] = name end
            sort(names)
            error(format("%s: unknown option '%s' (options: %s)", api, tostring(k),
                concat(names, ", ")), 3)
        end
        if type(v) ~= want then
            error(format("%s: %s must be a %s, got %s", api, k, want, type(v)), 3)
        end
    end
    local function range(k, lo, hi)
        local v = opts[k]
        if v ~= nil and not (v >= lo and v <= hi) then
            error(format("%s: %s must be %g..%g, got %s", api, k, lo, hi, tostring(v)), 4)
        end
    end
    range("width", 200, 100000)
    range("frame_height", 4, 100)
    range("font_size", 4, 72)
    range("min_width", 0, 1000)
    if opts.direction and opts.direction ~= "up" and opts.direction ~= "down" then
        error(format('%s: direction must be "up" (root at the bottom) or "down" (root at'
            .. ' the top), got %s', api, opts.direction), 3)
    end
    if opts.colors then
        for k, v in pairs(opts.colors) do
            if not KINDS[k] then
                error(format("%s: colors: unknown kind '%s' (kinds: comm, inlined, kernel,"
                    .. " offcpu, oncpu, root, unknown, user)", api, tostring(k)), 3)
            end
            if type(v) ~= "string" or not is_color(v) then
                error(format("%s: colors.%s must be a palette (aqua, blue, green, grey, hot,"
                    .. " orange, purple, yellow) or a colour (#rrggbb, rgb(r,g,b)), got %s",
                    api, k, tostring(v)), 3)
            end
        end
    end
    return opts
end

local function split(line)
    local parts = {}
    for part in gmatch(line, "[^;]+") do parts[#parts + 1] = part end
    return parts
end

-- The tree of frames: root "all", then comm, then the stack root to leaf.
local function build(self)
    settle(self)
    local root = { name = "all", kind = "root", value = 0, children = {} }
    local wall = self.has_off
    for line, n in pairs(self.counts) do
        local parts = split(line)
        local np, kd = #parts, self.kdepth[line] or 0
        local off = self.offn[line] or 0
        local node = root
        root.value = root.value + n
        for i = 1, np do
            local name, kind = parts[i], "user"
            if i == 1 then
                kind = "comm"
            elseif i > np - kd then
                kind = "kernel"
            end
            if sub(name, -4) == "_[k]" and #name > 4 then
                name, kind = sub(name, 1, -5), "kernel"
            end
            if kind == "user" and (name == "[unknown]" or find(name, "%+0x%x+$")) then
                kind = "unknown"
            end
            local child = node.children[name]
            if not child then
                local w = self.where[name]
                if kind == "user" and w and w.inlined then kind = "inlined" end
                child = { name = name, kind = kind, value = 0, children = {}, where = w }
                node.children[name] = child
            end
            child.value = child.value + n
            child.off = (child.off or 0) + off
            node = child
        end
    end
    -- a wall-clock graph: frames say whether their time is mostly on CPU
    local function by_time(node)
        for _, c in pairs(node.children) do
            if c.kind ~= "comm" then c.kind = 2 * c.off > c.value and "offcpu" or "oncpu" end
            by_time(c)
        end
    end
    if wall then by_time(root) end
    return root
end

-- Frames at least min_width pixels wide, in depth-first order, each with
-- its x (samples before it) and depth.
local function layout(root, total, avail, min_width)
    local out, maxd = {}, 0
    local function walk(node, x, d)
        if node.value / total * avail < min_width then return end
        out[#out + 1] = { node = node, x = x, d = d }
        if d > maxd then maxd = d end
        local names = {}
        for name in pairs(node.children) do names[#names + 1] = name end
        sort(names)
        for _, name in ipairs(names) do
            local child = node.children[name]
            walk(child, x, d + 1)
            x = x + child.value
        end
    end
    walk(root, 0, 0)
    return out, maxd
end

local STYLE = [[
text { font-family: Verdana, "DejaVu Sans", sans-serif; fill: #000; }
#title { text-anchor: middle; }
#subtitle { text-anchor: middle; fill: #444; }
#matched { text-anchor: end; }
.btn { cursor: pointer; fill: #224; text-decoration: underline; }
.btn:hover { fill: #00c; }
g.f { cursor: pointer; }
g.f text { pointer-events: none; }
g.f:hover > rect { stroke: #000; stroke-width: 0.8; }
g.m > rect { fill: rgb(230,0,230); }
g.p > rect { opacity: 0.55; }
.hide { display: none; }
]]

-- Reads the layout from the data-* attributes (x and w in samples, d the
-- depth) and redraws frames on zoom; search marks frames with class "m".
local SCRIPT = [[
"use strict";
var svg, frames, details, matched, unzoombtn, searchbtn;
var total, avail, pad, charw, eps, unit, term = null;
function num(g, k) { return +g.getAttribute("data-" + k); }
function init(evt) {
    svg = document.documentElement;
    frames = Array.prototype.slice.call(document.getElementsByClassName("f"));
    details = document.getElementById("details").firstChild;
    matched = document.getElementById("matched").firstChild;
    unzoombtn = document.getElementById("unzoom");
    searchbtn = document.getElementById("search");
    total = num(svg, "total"); avail = num(svg, "avail"); pad = num(svg, "pad");
    charw = num(svg, "charw"); eps = total * 1e-9; unit = svg.getAttribute("data-unit");
    svg.addEventListener("click", function (e) {
        var g = frame_of(e.target);
        if (g) zoom(g);
    }, false);
    svg.addEventListener("mouseover", function (e) {
        var g = frame_of(e.target);
        if (g) details.nodeValue = "Function: " + info(g);
    }, false);
    svg.addEventListener("mouseout", function (e) {
        if (frame_of(e.target)) details.nodeValue = " ";
    }, false);
    window.addEventListener("keydown", function (e) {
        if (e.keyCode === 114 || ((e.ctrlKey || e.metaKey) && e.keyCode === 70)) {
            e.preventDefault();
            search();
        } else if (e.keyCode === 27) {
            reset_search();
        }
    }, false);
    var q = /[?&]s=([^&]*)/.exec(window.location.search);
    if (q) search(decodeURIComponent(q[1].replace(/\+/g, " ")));
}
function frame_of(n) {
    while (n && n !== svg) {
        if (n.classList && n.classList.contains("f")) return n;
        n = n.parentNode;
    }
    return null;
}
function info(g) { return g.getElementsByTagName("title")[0].textContent; }
function name_of(g) {
    var t = info(g), i = t.lastIndexOf(" (");
    return i < 0 ? t : t.substring(0, i);
}
function fit(name, w) {
    var max = Math.floor((w - 6) / charw);
    if (max < 3) return "";
    var chars = Array.from(name);
    if (chars.length <= max) return name;
    return chars.slice(0, max - 2).join("") + "..";
}
function place(g, x, w) {
    var r = g.getElementsByTagName("rect")[0], t = g.getElementsByTagName("text")[0];
    r.setAttribute("x", x.toFixed(2));
    r.setAttribute("width", w.toFixed(2));
    t.setAttribute("x", (x + 3).toFixed(2));
    t.textContent = fit(name_of(g), w);
}
function show(g, on) { g.style.display = on ? "" : "none"; }
function zoom(z) {
    var zx = num(z, "x"), zw = num(z, "w"), zd = num(z, "d");
    if (zw <= 0) return;
    frames.forEach(function (g) {
        var x = num(g, "x"), w = num(g, "w"), d = num(g, "d");
        if (d < zd) {
            var parent = x <= zx + eps && x + w >= zx + zw - eps;
            show(g, parent);
            g.classList.toggle("p", parent);
            if (parent) place(g, pad, avail);
        } else {
            var inside = x >= zx - eps && x + w <= zx + zw + eps;
            show(g, inside);
            g.classList.remove("p");
            if (inside) place(g, pad + (x - zx) / zw * avail, w / zw * avail);
        }
    });
    unzoombtn.classList.remove("hide");
}
function unzoom() {
    frames.forEach(function (g) {
        show(g, true);
        g.classList.remove("p");
        place(g, pad + num(g, "x") / total * avail, num(g, "w") / total * avail);
    });
    unzoombtn.classList.add("hide");
}
function reset_search() {
    frames.forEach(function (g) { g.classList.remove("m"); });
    matched.nodeValue = " ";
    searchbtn.firstChild.nodeValue = "Search";
    term = null;
}
function search_click() {
    if (term !== null) reset_search(); else search();
}
function search(t) {
    if (t === undefined) {
        t = window.prompt("Search for a function (regular expression):", term || "");
        if (t === null) return;
    }
    reset_search();
    if (t === "") return;
    var re;
    try { re = new RegExp(t); } catch (err) { matched.nodeValue = "Bad expression: " + t; return; }
    var hits = [];
    frames.forEach(function (g) {
        if (num(g, "d") > 0 && re.test(name_of(g))) {
            g.classList.add("m");
            hits.push([num(g, "x"), num(g, "w")]);
        }
    });
    // nested matches count once: intervals are either nested or disjoint
    hits.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    var sum = 0, end = -Infinity;
    hits.forEach(function (h) {
        if (h[0] >= end - eps) { sum += h[1]; end = h[0] + h[1]; }
    });
    term = t;
    searchbtn.firstChild.nodeValue = "Reset Search";
    matched.nodeValue = "Matched: " + (total > 0 ? 100 * sum / total : 0).toFixed(2) + "% ("
        + sum + " " + unit + ", " + hits.length + " frames)";
}
]]

local function pct(v, total)
    return total > 0 and 100 * v / total or 0
end

-- f:write_svg(path[, opts]): an interactive SVG flame graph. opts: title,
-- subtitle, width (pixels, 1200), frame_height (16), font_size (12),
-- min_width (pixels, 0.1: narrower frames are left out), count_name
-- ("samples"), colors = { user=, kernel=, comm=, root=, unknown= }, each a
-- palette (hot, orange, aqua, green, blue, yellow, purple, grey) or a
-- CSS colour, direction ("up": root at the bottom, "down": at the top;
-- default: "up" when the graph is at most MAX_UP pixels tall).
function F:write_svg(path, opts)
    opts = check_opts(opts)
    if type(path) ~= "string" or path == "" then
        error(format("flame:write_svg(path, opts): path must be a file name, got %s",
            tostring(path)), 2)
    end
    write_file("flame:write_svg(path, opts)", path, self:svg(opts))
end

-- f:svg([opts]): the SVG text that write_svg writes
function F:svg(opts)
    opts = check_opts(opts)
    local width = opts.width or 1200
    local fh = opts.frame_height or 16
    local fs = opts.font_size or 12
    local min_width = opts.min_width or 0.1
    local unit = opts.count_name or "samples"
    local kinds = {}
    for k, v in pairs(KINDS) do kinds[k] = opts.colors and opts.colors[k] or v end
    local charw = fs * CHAR_W
    local pad = 10
    local avail = width - 2 * pad
    local total = self.n
    local top = fs * 3 + (opts.subtitle and fs * 1.5 or 0)

    local frames, maxd = {}, 0
    if total > 0 then
        frames, maxd = layout(build(self), total, avail, min_width)
    end
    local height = top + (maxd + 1) * fh + fs * 2.5
    local down = opts.direction == "down" or (opts.direction == nil and height > MAX_UP)
    -- details/matched: at the bottom of a classic graph, in a line under
    -- the title of a top-down one (the bottom of a tall page is not in view)
    local info_y = height - fs * 0.8
    if down then
        top = top + fs * 1.5
        info_y = top - fs * 0.6
        height = top + (maxd + 1) * fh + fs
    end
    local o = {}
    local function w(...)
        local args = { ... }
        for i = 1, #args do o[#o + 1] = args[i] end
    end
    w('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n')
    w(format('<svg version="1.1" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d"'
        .. ' viewBox="0 0 %d %d" onload="init(evt)" data-total="%s" data-avail="%d"'
        .. ' data-pad="%d" data-charw="%.3f" data-unit="%s" font-size="%g">\n',
        width, height, width, height, num_text(total), avail, pad, charw, esc(unit), fs))
    w('<!-- Flame graph written by profrun.flame. Click a frame to zoom, Ctrl-F to',
        ' search. -->\n')
    w('<defs><linearGradient id="bg" y1="0" y2="1" x1="0" x2="0">',
        '<stop stop-color="#eeeeee" offset="5%"/><stop stop-color="#eeeeb0" offset="95%"/>',
        '</linearGradient></defs>\n')
    w('<style type="text/css"><![CDATA[\n', STYLE, ']]></style>\n')
    w('<script type="text/ecmascript"><![CDATA[\n', SCRIPT, ']]></script>\n')
    w(format('<rect x="0" y="0" width="%d" height="%d" fill="url(#bg)"/>\n', width, height))
    w(format('<text id="title" x="%g" y="%g" font-size="%g">%s</text>\n', width / 2, fs * 1.6,
        fs * 1.4, esc(opts.title or "Flame Graph")))
    if opts.subtitle then
        w(format('<text id="subtitle" x="%g" y="%g">%s</text>\n', width / 2, fs * 3.1,
            esc(opts.subtitle)))
    end
    w(format('<text id="unzoom" class="btn hide" x="%d" y="%g" onclick="unzoom()">'
        .. 'Reset Zoom</text>\n', pad, fs * 1.6))
    w(format('<text id="search" class="btn" x="%d" y="%g" onclick="search_click()"'
        .. ' style="text-anchor: end">Search</text>\n', width - pad, fs * 1.6))
    w(format('<text id="details" x="%d" y="%g"> </text>\n', pad, info_y))
    w(format('<text id="matched" x="%d" y="%g"> </text>\n', width - pad, info_y))
    if total == 0 then
        w(format('<text x="%g" y="%g" style="text-anchor: middle">No %s</text>\n',
            width / 2, top + fh, esc(unit)))
    end
    for _, fr in ipairs(frames) do
        local node = fr.node
        local x = pad + fr.x / total * avail
        local pw = node.value / total * avail
        local y = top + (down and fr.d or maxd - fr.d) * fh
        local name = clean(node.name)
        local src = node.where and format(" %s%s", clean(node.where.file),
            node.where.inlined and ", inlined" or "") or ""
        -- the name, then " (count unit, pct%)": the script finds the name
        -- before the last " (", so the source goes after it
        w(format('<g class="f" data-x="%s" data-w="%s" data-d="%d"><title>%s (%s %s, %.2f%%)%s'
            .. '</title><rect x="%.2f" y="%g" width="%.2f" height="%g" rx="2" fill="%s"/>'
            .. '<text x="%.2f" y="%g">%s</text></g>\n',
            num_text(fr.x), num_text(node.value), fr.d, esc(name),
            count_text(node.value), esc(unit), pct(node.value, total), esc(src),
            x, y, pw, fh - 1, color(kinds[node.kind], name),
            x + 3, y + fh / 2 + fs * 0.35, esc(fit(name, pw, charw))))
    end
    w('</svg>\n')
    return concat(o)
end

return M
