-- profrun.hist: histograms printed the way bpftrace prints hist() and
-- lhist(), so their output reads the same.
--
--   local hist = require "profrun.hist"
--   local h = hist.log2()                 -- power-of-two buckets
--   local l = hist.linear(0, 100, 10)     -- [0, 10) ... [90, 100), and the
--                                         -- (..., 0) and [100, ...) overflows
--   h:add(value)  h:add(value, n)         -- n observations of value
--   h:print("@lifetime_us:")              -- to stdout; h:text(title) returns it
--
--   @lifetime_us:
--   [256, 512)             3 |@@@@@@@@@                                           |
--   [512, 1K)             17 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
--   [1K, 2K)               6 |@@@@@@@@@@@@@@@@@@                                  |
--
-- log2 buckets: (..., 0) for negative values, [0], [1], then [2^k, 2^(k+1));
-- values are truncated to integers first. Bounds of 1024 and up are written
-- with K, M, G, T, P, E suffixes (powers of 1024), as bpftrace does. Linear
-- bounds get a K or M suffix only when the step is a multiple of 1024 or
-- 1024*1024 (bpftrace's lhist). Only the buckets from the lowest to the
-- highest non-empty one are printed; bars are scaled to the largest bucket
-- (52 characters wide) and counts are right-aligned in one column.
local M = {}

local type, error, tostring, setmetatable, pairs, ipairs = type, error, tostring,
    setmetatable, pairs, ipairs
local format, rep = string.format, string.rep
local floor, frexp, max = math.floor, math.frexp, math.max
local concat = table.concat
local io_stdout = io.stdout

local BAR_WIDTH = 52
local LABEL_WIDTH = 16
local COUNT_WIDTH = 8
local SUFFIXES = { [0] = "", "K", "M", "G", "T", "P", "E" }

local Hist = {}
Hist.__index = Hist

-- ---- log2 -----------------------------------------------------------------------

-- bucket index: 0 = negative, 1 = [0], 2 = [1], k + 2 = [2^k, 2^(k+1)) (k >= 1)
local function log2_index(v)
    v = floor(v)
    if v < 0 then return 0 end
    if v < 2 then return v + 1 end
    local _, e = frexp(v) -- v = m * 2^e, 0.5 <= m < 1: 2^(e-1) <= v < 2^e
    return e + 1
end

local function power_label(k)
    local s = floor(k / 10)
    if s > #SUFFIXES then s = #SUFFIXES end
    return format("%d%s", 2 ^ (k - 10 * s), SUFFIXES[s])
end

local function log2_label(i)
    if i == 0 then return "(..., 0)" end
    if i == 1 then return "[0]" end
    if i == 2 then return "[1]" end
    return "[" .. power_label(i - 2) .. ", " .. power_label(i - 1) .. ")"
end

-- hist.log2(): a histogram with power-of-two buckets
function M.log2()
    return setmetatable({ counts = {}, index = log2_index, label = log2_label, n = 0 }, Hist)
end

-- ---- linear -------------------------------------------------------------------

local function num(v)
    if v == floor(v) and v >= -2 ^ 53 and v <= 2 ^ 53 then return format("%d", v) end
    return format("%g", v)
end

-- hist.linear(min, max, step): buckets [min, min+step) ... up to max, with
-- (..., min) and [max, ...) for values outside
function M.linear(min, maxv, step)
    local api = "hist.linear(min, max, step)"
    for _, p in ipairs { { "min", min }, { "max", maxv }, { "step", step } } do
        if type(p[2]) ~= "number" or p[2] ~= p[2] or p[2] == math.huge or p[2] == -math.huge then
            error(format("%s: %s must be a finite number, got %s", api, p[1], tostring(p[2])), 2)
        end
    end
    if step <= 0 then error(format("%s: step must be > 0, got %s", api, num(step)), 2) end
    if maxv <= min then
        error(format("%s: max must be > min, got min %s, max %s", api, num(min), num(maxv)), 2)
    end
    local nb = math.ceil((maxv - min) / step) -- in-range buckets: 1..nb
    if nb > 100000 then
        error(format("%s: %d buckets is too many (at most 100000)", api, nb), 2)
    end
    local unit, suffix = 1, ""
    if step % (1024 * 1024) == 0 then unit, suffix = 1024 * 1024, "M"
    elseif step % 1024 == 0 then unit, suffix = 1024, "K" end
    local function bound(v)
        if unit == 1 or v % unit ~= 0 then return num(v) end
        return num(v / unit) .. suffix
    end
    -- index: 0 = below min, 1..nb in range, nb + 1 = max and above
    local function index(v)
        if v < min then return 0 end
        if v >= maxv then return nb + 1 end
        local i = floor((v - min) / step) + 1
        return i > nb and nb or i
    end
    local function label(i)
        if i == 0 then return "(..., " .. bound(min) .. ")" end
        if i == nb + 1 then return "[" .. bound(maxv) .. ", ...)" end
        local lo = min + (i - 1) * step
        local hi = lo + step
        if hi > maxv then hi = maxv end
        return "[" .. bound(lo) .. ", " .. bound(hi) .. ")"
    end
    return setmetatable({ counts = {}, index = index, label = label, n = 0 }, Hist)
end

-- ---- methods --------------------------------------------------------------------

-- h:add(value[, n]): counts value n times (default 1)
function Hist:add(value, n)
    if type(value) ~= "number" or value ~= value then
        error("h:add(value, n): value must be a number, got " .. tostring(value), 2)
    end
    if n == nil then
        n = 1
    elseif type(n) ~= "number" or n < 0 then
        error("h:add(value, n): n must be a number >= 0, got " .. tostring(n), 2)
    end
    local i = self.index(value)
    local c = self.counts
    c[i] = (c[i] or 0) + n
    self.n = self.n + n
end

-- h:count(): how many values were added
function Hist:count() return self.n end

-- h:bucket(value): the label of the bucket value falls into ("[4, 8)")
function Hist:bucket(value) return self.label(self.index(value)) end

-- h:reset(): forget every value
function Hist:reset()
    self.counts = {}
    self.n = 0
end

-- h:text([title]): the printed form: title line (when given), then one
-- line per bucket from the lowest to the highest non-empty one
function Hist:text(title)
    local out = {}
    if title ~= nil then out[1] = tostring(title) end
    local lo, hi, top = nil, nil, 0
    for i, c in pairs(self.counts) do
        if c > 0 then
            if not lo or i < lo then lo = i end
            if not hi or i > hi then hi = i end
            if c > top then top = c end
        end
    end
    if lo then
        local labels, counts = {}, {}
        local lw, cw = LABEL_WIDTH, COUNT_WIDTH
        for i = lo, hi do
            labels[i] = self.label(i)
            counts[i] = num(self.counts[i] or 0)
            lw = max(lw, #labels[i] + 1)
            cw = max(cw, #counts[i])
        end
        for i = lo, hi do
            local bar = floor((self.counts[i] or 0) / top * BAR_WIDTH)
            out[#out + 1] = format("%-" .. lw .. "s%" .. cw .. "s |%s%s|", labels[i], counts[i],
                rep("@", bar), rep(" ", BAR_WIDTH - bar))
        end
    end
    if #out == 0 then return "" end
    return concat(out, "\n") .. "\n"
end

-- h:print([title]): writes h:text(title) to stdout
function Hist:print(title)
    io_stdout:write(self:text(title))
end

return M
