-- profrun.pprof: CPU samples as a pprof profile (profile.proto, gzipped),
-- for `go tool pprof`, Grafana Pyroscope, speedscope and friends.
--
--   local pprof = require "profrun.pprof"
--   local p = pprof.new { hz = 99 }          -- the sampling frequency
--   function on_sample(s) p:add(s) end       -- one sample, by stack id
--   function on_end() p:write("profile.pb.gz") end
--
-- Sample types are samples/count and cpu/nanoseconds (count * period,
-- period = 1e9 / hz); period_type is cpu/nanoseconds. Every module gets a
-- mapping (kernel frames share "[kernel]"); frame addresses are file
-- offsets, so memory ranges are 0 and has_functions is set: profrun has
-- already named every frame. The protobuf is encoded here and compressed
-- with zlib through the FFI (the profrun binary links zlib).
local ffi = require "ffi"
local bit = require "bit"
local event = require "profrun.event"

local C = ffi.C
local band, bor, rshift, tohex = bit.band, bit.bor, bit.rshift, bit.tohex
local char, format, concat = string.char, string.format, table.concat
local floor, tonumber, type, pairs, ipairs, error, setmetatable, unpack =
    math.floor, tonumber, type, pairs, ipairs, error, setmetatable, unpack
local ffi_string, ffi_new, ffi_istype, cast, io_open = ffi.string, ffi.new, ffi.istype, ffi.cast, io.open

local M = {}

-- ---- zlib -------------------------------------------------------------------
-- Private names (asm-renamed to zlib's symbols) for z_stream (zlib.h's
-- layout) and its functions: another module declaring z_stream or
-- deflate() with its own types cannot collide with these.
ffi.cdef [[
typedef struct pr_pprof_zstream {
    const uint8_t *next_in; unsigned int avail_in; unsigned long total_in;
    uint8_t *next_out; unsigned int avail_out; unsigned long total_out;
    const char *msg; void *state;
    void *zalloc; void *zfree; void *opaque;
    int data_type; unsigned long adler; unsigned long reserved;
} pr_pprof_zstream;
const char *pr_pprof_zlibVersion(void) __asm__("zlibVersion");
int pr_pprof_deflateInit2_(pr_pprof_zstream *strm, int level, int method, int windowBits,
                  int memLevel, int strategy, const char *version, int stream_size)
    __asm__("deflateInit2_");
int pr_pprof_deflate(pr_pprof_zstream *strm, int flush) __asm__("deflate");
int pr_pprof_deflateEnd(pr_pprof_zstream *strm) __asm__("deflateEnd");
]]

local Z_OK, Z_STREAM_END, Z_FINISH, Z_DEFLATED = 0, 1, 4, 8

local zlib -- the namespace with zlib's symbols: the binary's own, else libz.so.1
local function z()
    if zlib then return zlib end
    if pcall(function() return C.pr_pprof_deflateInit2_ end) then
        zlib = C
    else
        local ok, lib = pcall(ffi.load, "libz.so.1")
        if not ok then error("profrun.pprof: zlib is not available: " .. tostring(lib), 3) end
        zlib = lib
    end
    return zlib
end
M.zlib = z -- the tests inflate with the same library

-- gzip(data): data compressed with a gzip header (windowBits 15 + 16)
function M.gzip(data)
    if type(data) ~= "string" then error("pprof.gzip(data): data must be a string", 2) end
    local Z = z()
    local s = ffi_new("pr_pprof_zstream")
    local r = Z.pr_pprof_deflateInit2_(s, 6, Z_DEFLATED, 31, 8, 0, Z.pr_pprof_zlibVersion(),
        ffi.sizeof("pr_pprof_zstream"))
    if r ~= Z_OK then error("pprof.gzip: deflateInit2 failed (" .. r .. ")", 2) end
    local chunk = 65536
    local out = ffi_new("uint8_t[?]", chunk)
    local parts = {}
    s.next_in, s.avail_in = data, #data
    repeat
        s.next_out, s.avail_out = out, chunk
        r = Z.pr_pprof_deflate(s, Z_FINISH)
        if r ~= Z_OK and r ~= Z_STREAM_END then
            Z.pr_pprof_deflateEnd(s)
            error("pprof.gzip: deflate failed (" .. r .. ")", 2)
        end
        parts[#parts + 1] = ffi_string(out, chunk - s.avail_out)
    until r == Z_STREAM_END
    Z.pr_pprof_deflateEnd(s)
    return concat(parts)
end

-- ---- protobuf encoding -----------------------------------------------------
local u64 = ffi.typeof("uint64_t")
local i64 = ffi.typeof("int64_t")
local vbytes = {}

-- varint(v): the base-128 varint of v: a non-negative integer number, or
-- int64/uint64 cdata (negative int64 takes 10 bytes, as protobuf says)
local function varint(v)
    if type(v) == "number" then
        if v >= 0 and v < 128 and v % 1 == 0 then return char(v) end
        if v >= 0 and v < 2 ^ 53 and v % 1 == 0 then
            local n = 0
            while v >= 128 do
                n = n + 1
                vbytes[n] = v % 128 + 128
                v = floor(v / 128)
            end
            vbytes[n + 1] = v
            return char(unpack(vbytes, 1, n + 1))
        end
        if v % 1 ~= 0 or v ~= v or v >= 2 ^ 64 or v < -2 ^ 63 then
            error("varint: not an integer in the 64-bit range: " .. tostring(v), 2)
        end
        v = v < 0 and cast(u64, cast(i64, v)) or cast(u64, v)
    elseif ffi_istype(i64, v) then
        v = cast(u64, v)
    elseif not ffi_istype(u64, v) then
        error("varint: expects an integer, got " .. type(v), 2)
    end
    local n = 0
    while v >= 128 do
        n = n + 1
        vbytes[n] = tonumber(bor(band(v, 127), 128))
        v = rshift(v, 7)
    end
    vbytes[n + 1] = tonumber(v)
    return char(unpack(vbytes, 1, n + 1))
end
M.varint = varint

-- field keys: (number << 3) | wire type (0 varint, 2 length-delimited)
local function key(field, wire)
    if field < 16 then return char(field * 8 + wire) end
    return varint(field * 8 + wire)
end

local function put_int(t, field, v)
    if v ~= 0 then
        t[#t + 1] = key(field, 0)
        t[#t + 1] = varint(v)
    end
end

local function put_bytes(t, field, s)
    t[#t + 1] = key(field, 2)
    t[#t + 1] = varint(#s)
    t[#t + 1] = s
end

local function put_packed(t, field, list)
    local p = {}
    for i = 1, #list do p[i] = varint(list[i]) end
    put_bytes(t, field, concat(p))
end

-- the protobuf writers, for profrun.otlp
M.proto = { key = key, put_int = put_int, put_bytes = put_bytes, put_packed = put_packed }

-- ---- the profile -----------------------------------------------------------
local Profile = {}
Profile.__index = Profile

local NEW_KEYS = { hz = true, time_nanos = true }

-- pprof.new{ hz = 99, time_nanos = wall clock ns (default: now) }
function M.new(opts)
    opts = opts or {}
    if type(opts) ~= "table" then error("pprof.new{}: expects a table, got " .. type(opts), 2) end
    for k in pairs(opts) do
        if not NEW_KEYS[k] then
            error(format("pprof.new{}: unknown option '%s' (known: hz, time_nanos)", tostring(k)), 2)
        end
    end
    -- without hz, the frequency in force when the profile is written
    local hz = opts.hz
    if hz ~= nil and (type(hz) ~= "number" or hz % 1 ~= 0 or hz < 1 or hz > 100000) then
        error("pprof.new{}: hz must be an integer 1..100000, got " .. tostring(hz), 2)
    end
    local tn = opts.time_nanos
    if tn ~= nil and (type(tn) ~= "number" or tn < 0 or tn % 1 ~= 0) then
        error("pprof.new{}: time_nanos must be a non-negative integer, got " .. tostring(tn), 2)
    end
    return setmetatable({
        hz = hz,
        period = hz and floor(1e9 / hz + 0.5),
        time_nanos = tn or os.time() * 1e9,
        started = tonumber(C.pr_ffi_now()),
        samples = 0,
        by_stack = {},   -- stack id -> count
        stack_frames = {}, -- stack id -> frames
        stack_order = {},
        by_frames = {},  -- frames table -> count (add_frames)
        frames_order = {},
    }, Profile)
end

-- p:add(s): a sample (an on_sample view), aggregated by its stack id; it
-- counts as s.weight samples (s.count of samples counted in the kernel)
function Profile:add(s)
    if type(s) ~= "cdata" and type(s) ~= "table" then
        error("p:add(s): s must be a sample event, got " .. type(s), 2)
    end
    local id, w = s.stack, s.weight or 1
    local n = self.by_stack[id]
    if n then
        self.by_stack[id] = n + w
    else
        self.by_stack[id] = w
        -- a sample view's frames are named when the profile is encoded
        -- (names that come later, from debuginfod, are in it)
        if type(s) ~= "cdata" then self.stack_frames[id] = s:frames() end
        self.stack_order[#self.stack_order + 1] = id
    end
    self.samples = self.samples + w
end

-- p:add_frames(frames, n): n samples (default 1) of a stack given as
-- frames, leaf first ({name=, module=, offset=, addr=, kernel=} each)
function Profile:add_frames(frames, n)
    if type(frames) ~= "table" then
        error("p:add_frames(frames, n): frames must be a table, got " .. type(frames), 2)
    end
    n = n or 1
    if type(n) ~= "number" or n % 1 ~= 0 or n < 1 then
        error("p:add_frames(frames, n): n must be a positive integer, got " .. tostring(n), 2)
    end
    for i, f in ipairs(frames) do
        if type(f) ~= "table" then
            error(format("p:add_frames(frames, n): frame %d must be a table, got %s", i,
                type(f)), 2)
        end
    end
    local c = self.by_frames[frames]
    if not c then self.frames_order[#self.frames_order + 1] = frames end
    self.by_frames[frames] = (c or 0) + n
    self.samples = self.samples + n
end

local function basename(p) return p:match("[^/]*$") end

-- a frame's function name: its symbol, module+offset, or its address
local function label(f)
    if f.name then return f.name end
    if f.module and f.offset then
        return format("%s+0x%x", basename(f.module), f.offset)
    end
    if f.addr then return "0x" .. tohex(cast(u64, f.addr), 16):gsub("^0+(.)", "%1") end
    return "[unknown]"
end

local function addr_of(f)
    local a = f.addr
    if a == nil then return 0ULL end
    return cast(u64, a)
end

-- p:tables(): the profile as the tables profile.proto (and OTLP's
-- profiles) are made of, ids from 1: strings (with str(s) -> its index; [0]
-- is ""), mappings (file names) and build_ids, locations {mapping, addr,
-- lines} (lines: {function, line} pairs, innermost inline function first,
-- the function they were inlined into last), functions (names) and
-- function_files (their source files, "" when unknown), samples {location
-- ids leaf first, count}, period (ns). A Python frame is a location with
-- no mapping and no address: its function has the source file, its line
-- the line.
function Profile:tables()
    local strings, str_index = { "" }, { [""] = 0 }
    local function str(s)
        local i = str_index[s]
        if not i then
            i = #strings
            strings[i + 1] = s
            str_index[s] = i
        end
        return i
    end

    local mappings, mapping_id = {}, {}   -- file -> id
    local functions, function_id = {}, {} -- name \0 module -> id
    local function_files = {}
    local locations, location_id = {}, {} -- mapping:addr:function -> id
    local build_ids = {}
    local hexbuf = ffi_new("char[129]")

    local function mapping_of(f)
        local file
        if f.kind == "python" or f.kind == "cut" then return 0 end
        if f.kernel then file = "[kernel]" else file = f.module end
        if not file then return 0 end
        local id = mapping_id[file]
        if id then return id end
        id = #mappings + 1
        mapping_id[file] = id
        local bid = ""
        if not f.kernel and file:sub(1, 1) == "/" then
            local r = C.pr_ffi_elf_build_id(file, hexbuf, 129)
            if r > 0 then bid = ffi_string(hexbuf, r) end
        end
        build_ids[id] = bid
        mappings[id] = file
        return id
    end

    local function function_of(f)
        local name = label(f)
        local file = f.file or ""
        local fkey = name .. "\0" .. (f.kernel and "[kernel]" or f.module or "") .. "\0" .. file
        local fid = function_id[fkey]
        if not fid then
            fid = #functions + 1
            function_id[fkey] = fid
            functions[fid] = name
            function_files[fid] = file
        end
        return fid
    end

    -- frames[i..j]: the functions inlined at one address (innermost
    -- first) and the function they were inlined into, last: one location,
    -- one line each
    local function location_of(frames, i, j)
        local f = frames[j]
        local m = mapping_of(f)
        local addr = addr_of(f)
        local lines, lk = {}, { m, tohex(addr, 16) }
        for k = i, j do
            local fid, line = function_of(frames[k]), frames[k].line or 0
            lines[#lines + 1] = { fid, line }
            lk[#lk + 1] = fid .. ":" .. line
        end
        local lkey = concat(lk, ":")
        local lid = location_id[lkey]
        if not lid then
            lid = #locations + 1
            location_id[lkey] = lid
            locations[lid] = { m, addr, lines }
        end
        return lid
    end

    -- samples with the same locations are one sample
    local samples, sample_of = {}, {}
    local function add(frames, n)
        local ids, first = {}, 1
        for i = 1, #frames do
            if not frames[i].inlined or i == #frames then
                ids[#ids + 1] = location_of(frames, first, i)
                first = i + 1
            end
        end
        local k = concat(ids, ",")
        local s = sample_of[k]
        if s then
            s[2] = s[2] + n
        else
            s = { ids, n }
            sample_of[k] = s
            samples[#samples + 1] = s
        end
    end
    for _, id in ipairs(self.stack_order) do
        add(self.stack_frames[id] or event.stack_frames(id), self.by_stack[id])
    end
    for _, fr in ipairs(self.frames_order) do add(fr, self.by_frames[fr]) end
    return { strings = strings, str = str, mappings = mappings, build_ids = build_ids,
        locations = locations, functions = functions, function_files = function_files,
        samples = samples,
        period = self.period or floor(1e9 / sample_hz() + 0.5) }
end

-- The profile as protobuf bytes (not compressed).
function Profile:encode()
    local t = self:tables()
    local strings, str, mappings, build_ids = t.strings, t.str, t.mappings, t.build_ids
    local locations, functions, samples = t.locations, t.functions, t.samples
    local out = {}
    local function value_type(field, t, unit)
        local v = {}
        put_int(v, 1, str(t))
        put_int(v, 2, str(unit))
        put_bytes(out, field, concat(v))
    end
    value_type(1, "samples", "count")
    value_type(1, "cpu", "nanoseconds")
    local period = t.period
    for _, s in ipairs(samples) do
        local m = {}
        put_packed(m, 1, s[1])
        put_packed(m, 2, { s[2], s[2] * period })
        put_bytes(out, 2, concat(m))
    end
    for id, file in ipairs(mappings) do
        local m = {}
        put_int(m, 1, id)
        -- memory_start, memory_limit, file_offset: 0 (addresses are file offsets)
        put_int(m, 5, str(file))
        if build_ids[id] ~= "" then put_int(m, 6, str(build_ids[id])) end
        put_int(m, 7, 1) -- has_functions
        put_bytes(out, 3, concat(m))
    end
    for id, l in ipairs(locations) do
        local m = {}
        put_int(m, 1, id)
        put_int(m, 2, l[1])
        if l[2] ~= 0ULL then
            m[#m + 1] = key(3, 0)
            m[#m + 1] = varint(l[2])
        end
        for _, ln in ipairs(l[3]) do
            local line = {}
            put_int(line, 1, ln[1])
            if ln[2] ~= 0 then put_int(line, 2, ln[2]) end
            put_bytes(m, 4, concat(line))
        end
        put_bytes(out, 4, concat(m))
    end
    local function_files = t.function_files
    for id, name in ipairs(functions) do
        local m = {}
        put_int(m, 1, id)
        local ni = str(name)
        put_int(m, 2, ni)
        put_int(m, 3, ni)
        put_int(m, 4, str(function_files[id])) -- "": no lines known
        put_bytes(out, 5, concat(m))
    end
    -- every string is known now: the table goes after its users
    local period_type = { str("cpu"), str("nanoseconds") }
    for i = 1, #strings do put_bytes(out, 6, strings[i]) end
    put_int(out, 9, self.time_nanos)
    local now = tonumber(C.pr_ffi_now())
    put_int(out, 10, now > self.started and now - self.started or 0)
    local pt = {}
    put_int(pt, 1, period_type[1])
    put_int(pt, 2, period_type[2])
    put_bytes(out, 11, concat(pt))
    put_int(out, 12, period)
    return concat(out)
end

-- p:write(path): the gzipped profile; returns the number of samples
function Profile:write(path)
    if type(path) ~= "string" or path == "" then
        error("p:write(path): path must be a non-empty string, got " .. tostring(path), 2)
    end
    local data = M.gzip(self:encode())
    local f, err = io_open(path, "wb")
    if not f then error("p:write(path): " .. err, 2) end
    local ok, werr = f:write(data)
    local cok, cerr = f:close()
    if not ok or not cok then error("p:write(path): " .. path .. ": " .. tostring(werr or cerr), 2) end
    return self.samples
end

return M
