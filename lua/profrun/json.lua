-- profrun.json: a JSON encoder for event output (JSON lines).
--
--   local json = require "profrun.json"
--   json.encode({ pid = 12, comm = "a\"b" })  --> {"comm":"a\"b","pid":12}
--   json.line({ pid = 12 })                   -- writes {"pid":12} and "\n" to stdout
--   json.line({ pid = 12 }, file)             -- ... to an io file
--
-- Values:
--   nil, json.null          null
--   true, false             true, false
--   numbers                 integers without ".0"; NaN and +-inf -> null;
--                           int64/uint64 cdata as exact integers
--   strings                 see below
--   tables                  an array when its keys are exactly 1..n (n >= 1)
--                           or it was marked with json.array(t); otherwise an
--                           object whose keys (strings, or numbers written as
--                           strings) are sorted, so output is stable; an
--                           empty unmarked table is {}
-- A table that contains itself (a cycle) is an error; the same table
-- twice on different branches is fine.
--
-- Strings: process names, paths and arguments are bytes, not text, and the
-- output must still be valid JSON. `"` and `\` are escaped, control
-- characters become \b \f \n \r \t or \u00XX (0x00-0x1f and 0x7f), valid
-- UTF-8 is passed through unchanged, and every byte that is not part of a
-- valid UTF-8 sequence (stray continuation bytes, truncated sequences,
-- overlong forms, surrogates, > U+10FFFF) is written as \u00XX of the byte
-- value: a Latin-1 reading of that byte. Such output always parses; a byte
-- 0xE9 that was not UTF-8 reads back as "é" (U+00E9), not as the raw byte.
local ffi = require "ffi"

local M = {}

local type, pairs, tostring, error, pcall = type, pairs, tostring, error, pcall
local setmetatable, getmetatable, tonumber, ipairs = setmetatable, getmetatable, tonumber, ipairs
local format, byte, sub, find, gsub = string.format, string.byte, string.sub, string.find,
    string.gsub
local concat, sort = table.concat, table.sort
local floor, huge = math.floor, math.huge
local istype = ffi.istype
local io_stdout = io.stdout

local int64_t, uint64_t = ffi.typeof("int64_t"), ffi.typeof("uint64_t")

-- json.null: a value that encodes as null (nil cannot sit in a table)
M.null = setmetatable({}, { __tostring = function() return "json.null" end })

local array_mt = { __jsontype = "array" }

-- json.array(t): t always encodes as an array, [] when empty. Returns t.
function M.array(t)
    t = t or {}
    if type(t) ~= "table" then error("json.array(t): t must be a table, got " .. type(t), 2) end
    if getmetatable(t) == nil then setmetatable(t, array_mt) end
    return t
end

-- ---- strings ------------------------------------------------------------

local SHORT = { [8] = "\\b", [9] = "\\t", [10] = "\\n", [12] = "\\f", [13] = "\\r",
    [34] = '\\"', [92] = "\\\\" }

local function hex_escape(b)
    return SHORT[b] or format("\\u%04x", b)
end

-- valid UTF-8 is kept as it is, every other byte of SPECIAL becomes
-- hex_escape(b) (\u00XX for a byte that is not UTF-8: read as Latin-1)
local escape_bytes = require("profrun.text").escape_bytes

-- bytes that need a look: controls, DEL, `"`, `\`, and everything >= 0x80
local SPECIAL = '[%z\1-\31\34\92\127-\255]'

local function encode_string(s)
    if not find(s, SPECIAL) then return '"' .. s .. '"' end
    return '"' .. escape_bytes(s, SPECIAL, hex_escape) .. '"'
end
M.encode_string = encode_string

-- ---- numbers ----------------------------------------------------------------

local function encode_number(v)
    if v ~= v or v == huge or v == -huge then return "null" end
    if floor(v) == v and v >= -2 ^ 53 and v <= 2 ^ 53 then
        return format("%d", v)
    end
    local s = format("%.14g", v)
    if tonumber(s) ~= v then s = format("%.17g", v) end
    return s
end

-- ---- tables -------------------------------------------------------------------

local encode_value

local function is_array(t)
    local mt = getmetatable(t)
    if mt and mt.__jsontype == "array" then return true, #t end
    local n = #t
    if n == 0 then return false end
    local count = 0
    for _ in pairs(t) do count = count + 1 end
    return count == n, n
end

local function encode_table(t, path)
    if path[t] then error("json.encode: cycle: a table contains itself", 0) end
    path[t] = true
    local arr, n = is_array(t)
    local s
    if arr then
        local out = {}
        for i = 1, n do out[i] = encode_value(t[i], path) end
        s = "[" .. concat(out, ",") .. "]"
    else
        local keys, names = {}, {}
        for k in pairs(t) do
            local tk = type(k)
            local name
            if tk == "string" then
                name = k
            elseif tk == "number" then
                name = encode_number(k)
            else
                error("json.encode: object keys must be strings or numbers, got " .. tk, 0)
            end
            keys[#keys + 1] = name
            names[name] = k
        end
        sort(keys)
        local out = {}
        for i, name in ipairs(keys) do
            out[i] = encode_string(name) .. ":" .. encode_value(t[names[name]], path)
        end
        s = "{" .. concat(out, ",") .. "}"
    end
    path[t] = nil
    return s
end

function encode_value(v, path)
    local tv = type(v)
    if tv == "string" then return encode_string(v) end
    if tv == "number" then return encode_number(v) end
    if tv == "boolean" then return v and "true" or "false" end
    if v == nil or v == M.null then return "null" end
    if tv == "table" then return encode_table(v, path) end
    if tv == "cdata" and (istype(int64_t, v) or istype(uint64_t, v)) then
        return (gsub(tostring(v), "U?LL$", ""))
    end
    error("json.encode: cannot encode a " .. tv, 0)
end

-- json.encode(value): the JSON text of value (one line: no newlines)
function M.encode(value)
    local ok, s = pcall(encode_value, value, {})
    if not ok then error(s, 2) end
    return s
end

-- json.line(value[, file]): writes encode(value) and "\n" to file (default
-- stdout): one JSON object per line (JSON lines)
function M.line(value, file)
    local ok, s = pcall(encode_value, value, {})
    if not ok then error(s, 2) end
    (file or io_stdout):write(s, "\n")
end

return M
