-- profrun.text: the escaping of names for text outputs, and its use by
-- the folded format (event.folded, flame:folded) and top tables.
local text = require "profrun.text"
local event = require "profrun.event"
local flame = require "profrun.flame"
local top = require "profrun.top"

local HOSTILE = 'ev"il;\n\27[31m'

return function(t)
    t.test("text.escape: controls, backslash, DEL; printable text unchanged", function()
        t.eq(text.escape("burn_heavy"), "burn_heavy", "plain")
        t.eq(text.escape(HOSTILE), 'ev"il;\\n\\x1b[31m', "hostile comm")
        t.eq(text.escape("a\tb\rc\0d\127"), "a\\tb\\rc\\x00d\\x7f", "tab, cr, nul, del")
        t.eq(text.escape("C:\\x1b"), "C:\\\\x1b", "a backslash is doubled")
        t.eq(text.escape(42), "42", "non-strings through tostring")
    end)

    t.test("text.escape: valid UTF-8 kept, invalid bytes as \\xNN", function()
        t.eq(text.escape("caf\195\169 \226\130\172"), "caf\195\169 \226\130\172", "é and €")
        t.eq(text.escape("a\255b\192\128"), "a\\xffb\\xc0\\x80", "invalid and overlong")
        t.eq(text.escape("\195"), "\\xc3", "cut sequence")
        t.eq(text.escape("\237\160\128"), "\\xed\\xa0\\x80", "surrogate")
    end)

    t.test("text.frame: ';' too; unescape gives the bytes back", function()
        t.eq(text.frame(HOSTILE), 'ev"il\\x3b\\n\\x1b[31m', "hostile frame")
        t.eq(text.frame("a b"), "a b", "spaces stay (the count is the last field)")
        for _, s in ipairs({ HOSTILE, "C:\\x1b\\", "a\255\0;\\n", "plain", "" }) do
            t.eq(text.unescape(text.frame(s)), s, "round trip (frame)")
            t.eq(text.unescape(text.escape(s)), s, "round trip (escape)")
        end
    end)

    t.test("event.folded: a hostile comm and symbol stay one frame each", function()
        local line = event.folded(HOSTILE, { { name = "leaf;x" }, { name = "main" } })
        t.eq(line, 'ev"il\\x3b\\n\\x1b[31m;main;leaf\\x3bx', "line")
        local f = flame.new()
        f:add({ stack = 1, comm = HOSTILE, folded = function() return line end,
            frames = function() return {} end }, 5)
        local out = f:folded()
        t.eq(select(2, out:gsub("\n", "")), 1, "one line")
        t.eq(out:find("[%z\1-\9\11-\31\127]"), nil, "no control bytes")
        local stack, n = out:match("^(.*) (%d+)\n$")
        t.eq(n, "5", "count is the last field")
        local frames = {}
        for fr in stack:gmatch("[^;]+") do frames[#frames + 1] = fr end
        t.eq(#frames, 3, "three frames")
        t.eq(text.unescape(frames[1]), HOSTILE, "first frame is the comm")
    end)

    t.test("top.format: keys escaped", function()
        local s = top.format({ [HOSTILE] = 3 }, { percent = false })
        t.eq(s, 'COUNT  KEY\n    3  ev"il;\\n\\x1b[31m\n', "table")
    end)
end
