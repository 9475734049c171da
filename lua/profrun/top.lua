-- profrun.top: a refreshing top-N table, for "what is busiest right now".
--
--   local top = require "profrun.top"
--   -- at the top level of the script: top.new registers its own every()
--   local t = top.new { n = 10, every = 1, title = "CPU samples per command",
--                       columns = { "SAMPLES", "COMM" }, reset = true }
--   function on_sample(s) t:add(s.comm) end
--
-- Every `every` seconds the N largest keys are printed, largest first (ties
-- by key), with their share of the total:
--
--   CPU samples per command  14:02:31
--    SAMPLES       %  COMM
--        412   82.4%  burn
--         61   12.2%  node
--   ... 7 more (27)
--
-- On a terminal each table replaces the previous one (ANSI clear screen);
-- otherwise (a pipe, a file) a separator line is printed before each table,
-- and stdout is flushed after it. With reset = true the counts start again
-- from zero after each table, so it shows the last interval; otherwise it
-- shows totals since the start.
--
-- Options of top.new{}:
--   n        rows shown (default 10)
--   every    seconds between tables (default 1); false: no timer, print
--            with t:print() yourself (top.new may then be called anytime)
--   title    first line of each table (the tick's time is appended)
--   columns  { VALUE_HEADER, KEY_HEADER } (default { "COUNT", "KEY" })
--   reset    zero the counts after each table (default false)
--   percent  show the % column (default true)
--   clear    clear the screen between tables (default: when stdout is a tty)
--
-- Keys are printed through profrun.text.escape: a comm or path with a
-- newline or an escape sequence shows as \n, \x1b, never as a forged row
-- or a coloured terminal.
--
-- top.format(values, opts) is the table as a string, from a key -> number
-- table and the same options, for scripts that keep their own counts (and
-- for tests).
local ffi = require "ffi"
local escape = require("profrun.text").escape

local M = {}

local type, error, tostring, pairs, pcall, rawget, setmetatable =
    type, error, tostring, pairs, pcall, rawget, setmetatable
local format, rep = string.format, string.rep
local floor, max, min = math.floor, math.max, math.min
local concat, sort = table.concat, table.sort
local os_date = os.date
local io_stdout = io.stdout

local isatty
do
    pcall(ffi.cdef, "int isatty(int fd);")
    local ok, fn = pcall(function() return ffi.C.isatty end)
    isatty = ok and function() return fn(1) == 1 end or function() return false end
end

local CLEAR = "\27[H\27[2J"
local SEPARATOR = rep("-", 60)

local function num(v)
    if v == floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then return format("%d", v) end
    return format("%.2f", v)
end

-- keys of `values`, largest value first, ties by key (as strings)
local function ranked(values)
    local keys = {}
    for k in pairs(values) do keys[#keys + 1] = k end
    sort(keys, function(a, b)
        local va, vb = values[a], values[b]
        if va ~= vb then return va > vb end
        return tostring(a) < tostring(b)
    end)
    return keys
end
M.ranked = ranked

-- top.format(values, opts): the table for a key -> number map (see above
-- for opts; opts.when is appended to the title line)
function M.format(values, opts)
    opts = opts or {}
    local n = opts.n or 10
    local columns = opts.columns or { "COUNT", "KEY" }
    local percent = opts.percent ~= false
    local keys = ranked(values)
    local total = 0
    for _, v in pairs(values) do total = total + v end

    local out = {}
    if opts.title or opts.when then
        local parts = {}
        if opts.title then parts[#parts + 1] = tostring(opts.title) end
        if opts.when then parts[#parts + 1] = tostring(opts.when) end
        out[1] = concat(parts, "  ")
    end
    local shown = min(n, #keys)
    local cells = {}
    local vw = #columns[1]
    for i = 1, shown do
        cells[i] = num(values[keys[i]])
        vw = max(vw, #cells[i])
    end
    local header = format("%" .. vw .. "s", columns[1])
    if percent then header = header .. format("  %6s", "%") end
    out[#out + 1] = header .. "  " .. columns[2]
    for i = 1, shown do
        local line = format("%" .. vw .. "s", cells[i])
        if percent then
            line = line .. format("  %5.1f%%", total ~= 0 and 100 * values[keys[i]] / total or 0)
        end
        out[#out + 1] = line .. "  " .. escape(keys[i])
    end
    if #keys == 0 then
        out[#out + 1] = "(nothing yet)"
    elseif #keys > shown then
        local rest = 0
        for i = shown + 1, #keys do rest = rest + values[keys[i]] end
        out[#out + 1] = format("... %d more (%s)", #keys - shown, num(rest))
    end
    return concat(out, "\n") .. "\n"
end

local Top = {}
Top.__index = Top

-- t:add(key[, value]): adds value (default 1) to key's count
function Top:add(key, value)
    if key == nil then error("t:add(key, value): key must not be nil", 2) end
    if value == nil then
        value = 1
    elseif type(value) ~= "number" then
        error("t:add(key, value): value must be a number, got " .. type(value), 2)
    end
    local v = self.values
    v[key] = (v[key] or 0) + value
    self.changed_ = true
end

-- t:set(key, value): sets key's count (a gauge); nil removes the key
function Top:set(key, value)
    if key == nil then error("t:set(key, value): key must not be nil", 2) end
    if value ~= nil and type(value) ~= "number" then
        error("t:set(key, value): value must be a number or nil, got " .. type(value), 2)
    end
    self.values[key] = value
    self.changed_ = true
end

-- t:changed(): true when something was added or set since the last table
-- (print it in on_end so a run's last partial interval is not lost)
function Top:changed() return self.changed_ end

-- t:get(key): key's current count, or nil
function Top:get(key) return self.values[key] end

-- t:reset(): forget every count
function Top:reset()
    self.values = {}
    self.changed_ = false
end

-- t:text([when]): the table as it would print now
function Top:text(when)
    local o = self.opts
    return M.format(self.values, { n = o.n, title = o.title, columns = o.columns,
        percent = o.percent, when = when })
end

-- t:print(): prints the table now (clearing the screen or with a
-- separator, like a tick), then resets the counts when reset = true
function Top:print()
    local clear = self.opts.clear
    if clear == nil then clear = isatty() end
    io_stdout:write(clear and CLEAR or SEPARATOR .. "\n", self:text(os_date("%H:%M:%S")))
    io_stdout:flush()
    self.ticks = self.ticks + 1
    if self.opts.reset then self:reset() else self.changed_ = false end
end

local KEYS = { n = true, every = true, title = true, columns = true, reset = true,
    percent = true, clear = true }

-- top.new{...}: a top-N table; registers an every() timer unless every = false
function M.new(opts)
    local api = "top.new{}"
    if opts == nil then opts = {} end
    if type(opts) ~= "table" then error(api .. ": expects a table, got " .. type(opts), 2) end
    for k in pairs(opts) do
        if not KEYS[k] then error(format("%s: unknown option '%s'", api, tostring(k)), 2) end
    end
    local n = opts.n or 10
    if type(n) ~= "number" or n < 1 or n % 1 ~= 0 then
        error(api .. ": n must be an integer >= 1, got " .. tostring(n), 2)
    end
    local every = opts.every
    if every == nil then every = 1 end
    if every ~= false and (type(every) ~= "number" or every <= 0) then
        error(api .. ": every must be seconds > 0 or false, got " .. tostring(every), 2)
    end
    local columns = opts.columns or { "COUNT", "KEY" }
    if type(columns) ~= "table" or type(columns[1]) ~= "string"
        or type(columns[2]) ~= "string" then
        error(api .. ": columns must be { VALUE_HEADER, KEY_HEADER } (two strings)", 2)
    end
    local self = setmetatable({
        opts = { n = n, title = opts.title, columns = columns, reset = opts.reset == true,
            percent = opts.percent ~= false, clear = opts.clear },
        values = {}, changed_ = false, ticks = 0,
    }, Top)
    if every then
        local register = rawget(_G, "every")
        local ok = type(register) == "function" and pcall(register, every, function()
            self:print()
        end)
        if not ok then
            error(api .. ": call it at the top level of the script: it registers an every()"
                .. " timer, and every() can only be called while the script loads"
                .. " (or pass every = false and call t:print() yourself)", 2)
        end
    end
    return self
end

return M
