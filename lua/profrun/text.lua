-- profrun.text: names from the traced machine, made safe for text output.
--
--   local text = require "profrun.text"
--   print(text.escape(e.comm))          -- ev"il;\n\x1b[31m
--   text.frame("operator;x")            -- operator\x3bx (one folded frame)
--
-- A process chooses its own comm (prctl), file names and arguments, so
-- whatever profrun prints of them must not start a new line or send an
-- escape sequence to the terminal. text.escape(s) keeps printable ASCII
-- and valid UTF-8 as they are and writes every other byte as an escape:
--   \n \t \r        newline, tab, carriage return
--   \xNN            any other control byte (0x00-0x1f, 0x7f: ESC is \x1b)
--                   and every byte that is not part of valid UTF-8
--   \\              a backslash, so the escaping can be undone: a "\" in
--                   the output always starts one of these escapes
-- text.frame(s) is text.escape(s) that also writes ";" as \x3b: in the
-- folded format ("comm;root;...;leaf COUNT", one stack per line) a frame
-- name then never splits into two frames or two lines, and flamegraph.pl
-- still reads it (it splits on ";" and takes the last field as the count).
-- text.unescape(s) undoes either. JSON (profrun.json) and the SVG
-- (profrun.flame) have their own escaping; this is for text only.
local M = {}

local byte, char, format, find, sub = string.byte, string.char, string.format,
    string.find, string.sub
local concat = table.concat
local type, tostring, tonumber = type, tostring, tonumber

local SHORT = { [9] = "\\t", [10] = "\\n", [13] = "\\r", [92] = "\\\\" }

-- Length of the valid UTF-8 sequence at i (lead byte b >= 0xc2), or nil.
-- RFC 3629 section 4: no overlong forms, no surrogates, nothing above
-- U+10FFFF.
local function utf8_len(s, i, b)
    local b2, b3, b4 = byte(s, i + 1, i + 3)
    if not b2 then return nil end
    if b <= 0xdf then
        return (b2 >= 0x80 and b2 <= 0xbf) and 2 or nil
    end
    local lo, hi = 0x80, 0xbf
    if b == 0xe0 then lo = 0xa0 elseif b == 0xed then hi = 0x9f
    elseif b == 0xf0 then lo = 0x90 elseif b == 0xf4 then hi = 0x8f end
    if b2 < lo or b2 > hi or not b3 or b3 < 0x80 or b3 > 0xbf then return nil end
    if b <= 0xef then return 3 end
    if b > 0xf4 or not b4 or b4 < 0x80 or b4 > 0xbf then return nil end
    return 4
end

-- escape_bytes(s, special, esc_of): s with each byte that matches the
-- pattern `special` and is not part of a valid UTF-8 sequence replaced
-- by esc_of(byte). Shared by every escaping of traced names (text here,
-- JSON strings in profrun.json).
local function escape_bytes(s, special, esc_of)
    local i = find(s, special)
    if not i then return s end
    local out, n = {}, 0
    local start = 1
    while i do
        local b = byte(s, i)
        local step, esc = 1, nil
        if b >= 0xc2 and b <= 0xf4 then
            local l = utf8_len(s, i, b)
            if l then step = l else esc = esc_of(b) end
        else
            esc = esc_of(b)
        end
        if esc then
            if i > start then n = n + 1; out[n] = sub(s, start, i - 1) end
            n = n + 1; out[n] = esc
            start = i + 1
        end
        i = find(s, special, i + step)
    end
    if start <= #s then n = n + 1; out[n] = sub(s, start) end
    return concat(out)
end
M.escape_bytes = escape_bytes

-- bytes that need a look: controls, "\", DEL and everything >= 0x80
local SPECIAL = "[%z\1-\31\92\127-\255]"
local FRAME_SPECIAL = "[%z\1-\31;\92\127-\255]"

local function text_esc(b)
    return SHORT[b] or format("\\x%02x", b)
end

local function frame_esc(b)
    return b == 59 and "\\x3b" or SHORT[b] or format("\\x%02x", b)
end

-- text.escape(s): s with control bytes, "\" and invalid UTF-8 escaped
-- (anything that is not a string goes through tostring first)
function M.escape(s)
    if type(s) ~= "string" then s = tostring(s) end
    return escape_bytes(s, SPECIAL, text_esc)
end

-- text.frame(s): text.escape(s), and ";" as \x3b (a folded-format frame)
function M.frame(s)
    if type(s) ~= "string" then s = tostring(s) end
    return escape_bytes(s, FRAME_SPECIAL, frame_esc)
end

local UNSHORT = { n = "\n", t = "\t", r = "\r", ["\\"] = "\\" }

-- text.unescape(s): the original bytes of an escaped string (a "\" that
-- starts no escape of this module is kept as it is)
function M.unescape(s)
    local out, n, i = {}, 0, 1
    while true do
        local j = find(s, "\\", i, true)
        if not j then break end
        n = n + 1; out[n] = sub(s, i, j - 1)
        local c = sub(s, j + 1, j + 1)
        local hex = sub(s, j + 2, j + 3)
        local v = c == "x" and #hex == 2 and find(hex, "^%x%x$") and tonumber(hex, 16)
        if v then
            n = n + 1; out[n] = char(v)
            i = j + 4
        elseif UNSHORT[c] then
            n = n + 1; out[n] = UNSHORT[c]
            i = j + 2
        else
            n = n + 1; out[n] = "\\"
            i = j + 1
        end
    end
    n = n + 1; out[n] = sub(s, i)
    return concat(out)
end

return M
