-- profrun.pprof: varints, build ids, and a profile decoded back (gunzip
-- with zlib's inflate, then a minimal protobuf reader) and checked for
-- consistency: string table, samples, locations, functions, mappings.
local ffi = require "ffi"
local bit = require "bit"
local pprof = require "profrun.pprof"
local C = ffi.C

ffi.cdef [[
int pr_pprof_test_inflateInit2_(pr_pprof_zstream *strm, int windowBits, const char *version,
                                int stream_size) __asm__("inflateInit2_");
int pr_pprof_test_inflate(pr_pprof_zstream *strm, int flush) __asm__("inflate");
int pr_pprof_test_inflateEnd(pr_pprof_zstream *strm) __asm__("inflateEnd");
]]

local function gunzip(data)
    local Z = pprof.zlib()
    local s = ffi.new("pr_pprof_zstream")
    assert(Z.pr_pprof_test_inflateInit2_(s, 31, Z.pr_pprof_zlibVersion(),
        ffi.sizeof("pr_pprof_zstream")) == 0, "inflateInit2")
    local out, parts, r = ffi.new("uint8_t[?]", 4096), {}, 0
    s.next_in, s.avail_in = data, #data
    repeat
        s.next_out, s.avail_out = out, 4096
        r = Z.pr_pprof_test_inflate(s, 0)
        assert(r == 0 or r == 1, "inflate: " .. r)
        parts[#parts + 1] = ffi.string(out, 4096 - s.avail_out)
    until r == 1
    Z.pr_pprof_test_inflateEnd(s)
    return table.concat(parts)
end

-- reads a varint at position i; returns it (a number, or uint64 cdata when
-- it does not fit 2^53) and the next position
local function read_varint(s, i)
    local v, shift = 0ULL, 0
    while true do
        local b = s:byte(i)
        assert(b, "truncated varint")
        i = i + 1
        v = bit.bor(v, bit.lshift(ffi.cast("uint64_t", bit.band(b, 127)), shift))
        if b < 128 then break end
        shift = shift + 7
        assert(shift < 70, "varint too long")
    end
    if v < 2ULL ^ 53 then return tonumber(v), i end
    return v, i
end

-- message -> { [field] = { values... } }: varints as numbers, bytes as strings
local function decode(s)
    local m, i = {}, 1
    while i <= #s do
        local k
        k, i = read_varint(s, i)
        local field, wire = math.floor(k / 8), k % 8
        local v
        if wire == 0 then
            v, i = read_varint(s, i)
        elseif wire == 2 then
            local n
            n, i = read_varint(s, i)
            v = s:sub(i, i + n - 1)
            assert(#v == n, "truncated field")
            i = i + n
        else
            error("unexpected wire type " .. wire)
        end
        m[field] = m[field] or {}
        table.insert(m[field], v)
    end
    return m
end

local function packed(s)
    local t, i = {}, 1
    while i <= #s do t[#t + 1], i = read_varint(s, i) end
    return t
end

local function one(m, f) return m[f] and m[f][1] or 0 end

local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end

local function read_file(path)
    local f = assert(io.open(path, "rb"))
    local d = f:read("*a")
    f:close()
    return d
end

local function write_file(path, data)
    local f = assert(io.open(path, "wb"))
    f:write(data)
    f:close()
end

-- the decoded profile with ids resolved
local function load_profile(path)
    local p = decode(gunzip(read_file(path)))
    local strings = p[6]
    local function S(i) return strings[i + 1] end
    local prof = { strings = strings, S = S, raw = p, mappings = {}, functions = {},
        locations = {}, samples = {}, sample_types = {} }
    for _, vt in ipairs(p[1] or {}) do
        local d = decode(vt)
        prof.sample_types[#prof.sample_types + 1] = S(one(d, 1)) .. "/" .. S(one(d, 2))
    end
    for _, b in ipairs(p[3] or {}) do
        local d = decode(b)
        prof.mappings[one(d, 1)] = { file = S(one(d, 5)), build_id = S(one(d, 6)),
            has_functions = one(d, 7) == 1, start = one(d, 2), limit = one(d, 3) }
    end
    for _, b in ipairs(p[5] or {}) do
        local d = decode(b)
        prof.functions[one(d, 1)] = { name = S(one(d, 2)), system_name = S(one(d, 3)),
            filename = S(one(d, 4)) }
    end
    for _, b in ipairs(p[4] or {}) do
        local d = decode(b)
        local lines = {}
        for _, l in ipairs(d[4] or {}) do lines[#lines + 1] = one(decode(l), 1) end
        prof.locations[one(d, 1)] = { mapping = one(d, 2), address = one(d, 3), lines = lines }
    end
    for _, b in ipairs(p[2] or {}) do
        local d = decode(b)
        prof.samples[#prof.samples + 1] = { locs = packed(one(d, 1)), values = packed(one(d, 2)) }
    end
    local pt = decode(one(p, 11))
    prof.period_type = S(one(pt, 1)) .. "/" .. S(one(pt, 2))
    prof.period = one(p, 12)
    prof.time_nanos = one(p, 9)
    return prof
end

-- names of a sample's frames, leaf first
local function names(prof, s)
    local t = {}
    for i, id in ipairs(s.locs) do
        t[i] = prof.functions[prof.locations[id].lines[1]].name
    end
    return table.concat(t, ";")
end

return function(t)
    t.test("pprof varint: 0, 127, 128, 300", function()
        t.eq(hex(pprof.varint(0)), "00", "0")
        t.eq(hex(pprof.varint(127)), "7f", "127")
        t.eq(hex(pprof.varint(128)), "8001", "128")
        t.eq(hex(pprof.varint(300)), "ac02", "300")
    end)
    t.test("pprof varint: 2^32, 2^53 - 1 as number and cdata", function()
        t.eq(hex(pprof.varint(2 ^ 32)), "8080808010", "2^32")
        t.eq(hex(pprof.varint(2 ^ 32)), hex(pprof.varint(4294967296ULL)), "2^32 cdata")
        t.eq(hex(pprof.varint(2 ^ 53 - 1)), hex(pprof.varint(9007199254740991ULL)), "2^53-1")
        t.eq(hex(pprof.varint(2 ^ 53 - 1)), "ffffffffffffff0f", "2^53-1 bytes")
    end)
    t.test("pprof varint: 2^63 and 2^64 - 1 (uint64), -1 (int64) take 10 bytes", function()
        t.eq(hex(pprof.varint(0x8000000000000000ULL)), "80808080808080808001", "2^63")
        t.eq(hex(pprof.varint(0xffffffffffffffffULL)), "ffffffffffffffffff01", "2^64-1")
        t.eq(hex(pprof.varint(-1LL)), "ffffffffffffffffff01", "-1LL")
        t.eq(hex(pprof.varint(0xffffffff81000000ULL)), "80808088f8ffffffff01", "kernel addr")
    end)
    t.test("pprof varint: decoded back", function()
        for _, v in ipairs({ 0ULL, 1ULL, 127ULL, 128ULL, 16383ULL, 16384ULL, 2ULL ^ 32,
            2ULL ^ 63, 0xffffffffffffffffULL, 0xffffffff81000000ULL }) do
            local d = read_varint(pprof.varint(v), 1)
            t.eq(ffi.cast("uint64_t", d), v, "round trip of " .. tostring(v))
        end
    end)
    t.test("pprof varint: non-integers raise", function()
        t.raises(function() pprof.varint(1.5) end, "not an integer")
        t.raises(function() pprof.varint("7") end, "expects an integer")
    end)

    t.test("pprof.new: bad options name the option", function()
        t.raises(function() pprof.new { hz = 0 } end, "pprof.new{}: hz must be an integer")
        t.raises(function() pprof.new { hx = 99 } end, "unknown option 'hx'")
        local p = pprof.new {}
        t.raises(function() p:add_frames("x") end, "p:add_frames(frames, n): frames must be")
        t.raises(function() p:add_frames({}, 0) end, "n must be a positive integer")
        t.raises(function() p:write(nil) end, "p:write(path): path must be")
        t.eq(p.period, nil, "no hz: the period follows the frequency in force")
        t.eq(type(sample_hz()), "number", "the frequency in force is known")
    end)

    t.test("pprof gzip: inflated back", function()
        local s = string.rep("profrun ", 10000) .. "\0\1\2"
        local z = pprof.gzip(s)
        t.eq(z:sub(1, 2), "\31\139", "gzip magic")
        assert(#z < #s / 10, "compressed")
        t.eq(gunzip(z), s, "round trip")
    end)

    t.test("pr_ffi_elf_build_id: hex, missing file, not ELF, truncated, small buffer", function()
        local buf = ffi.new("char[129]")
        local r = C.pr_ffi_elf_build_id("/proc/self/exe", buf, 129)
        assert(r > 0 or r == -2, "self: " .. r)
        if r > 0 then
            local h = ffi.string(buf, r)
            assert(h:match("^[0-9a-f]+$") and #h % 2 == 0 and #h <= 128, h)
            t.eq(C.pr_ffi_elf_build_id("/proc/self/exe", buf, r), -28, "no room for NUL")
        end
        t.eq(C.pr_ffi_elf_build_id("/nonexistent/profrun", buf, 129), -2, "missing")
        t.eq(C.pr_ffi_elf_build_id("/", buf, 129), -2, "directory")
        local tmp = os.tmpname()
        write_file(tmp, "not an ELF file at all\n")
        t.eq(C.pr_ffi_elf_build_id(tmp, buf, 129), -2, "text file")
        local exe = read_file("/proc/self/exe")
        for _, n in ipairs({ 4, 64, 700, 4096 }) do
            write_file(tmp, exe:sub(1, n))
            local rr = C.pr_ffi_elf_build_id(tmp, buf, 129)
            assert(rr == -2 or rr > 0, "truncated at " .. n .. ": " .. rr)
        end
        os.remove(tmp)
    end)

    t.test("pprof profile: decoded back, consistent", function()
        local p = pprof.new { hz = 100, time_nanos = 1700000000000000000 }
        local kleaf = { name = "native_write_msr", kernel = true, module = "kernel",
            addr = 0xffffffff81000000ULL, offset = 6 }
        local heavy = { name = "burn_heavy", module = "/opt/burn", addr = 0x1130ULL, offset = 0 }
        local light = { name = "burn_light", module = "/opt/burn", addr = 0x1160ULL, offset = 0 }
        local main = { name = "main", module = "/opt/burn", addr = 0x11a0ULL, offset = 16 }
        local anon = { module = "/usr/lib/libc.so.6", addr = 0x2a1ca, offset = 0x2a1ca }
        local s1 = { kleaf, heavy, main, anon }
        p:add_frames(s1, 3)
        p:add_frames(s1)                               -- same table: same sample
        p:add_frames({ kleaf, heavy, main, anon }, 2)  -- same frames: merged
        p:add_frames({ light, main, anon })
        -- a sample view: anything with .stack and :frames()
        local view = { stack = 7, frames = function() return { light, main, anon } end }
        p:add(view)
        p:add(view)
        p:add_frames({}, 1) -- a sample with no stack
        local path = os.tmpname()
        t.eq(p:write(path), 10, "write returns the sample count")
        local prof = load_profile(path)
        os.remove(path)

        t.eq(prof.strings[1], "", "string_table[0]")
        local seen = {}
        for _, s in ipairs(prof.strings) do
            assert(not seen[s], "duplicate string " .. s)
            seen[s] = true
        end
        t.eq(table.concat(prof.sample_types, ","), "samples/count,cpu/nanoseconds", "sample types")
        t.eq(prof.period_type, "cpu/nanoseconds", "period type")
        t.eq(prof.period, 10000000, "period")
        t.eq(ffi.cast("uint64_t", prof.time_nanos), 1700000000000000000ULL, "time_nanos")

        local by = {}
        for _, s in ipairs(prof.samples) do
            t.eq(#s.values, 2, "values per sample")
            t.eq(s.values[2], s.values[1] * 10000000, "cpu = count * period")
            for _, id in ipairs(s.locs) do
                local l = prof.locations[id]
                assert(l, "sample names location " .. id)
                t.eq(#l.lines, 1, "one line per location")
                assert(prof.functions[l.lines[1]], "location names function " .. l.lines[1])
                assert(l.mapping == 0 or prof.mappings[l.mapping], "mapping " .. l.mapping)
            end
            local k = names(prof, s)
            assert(not by[k], "one sample per stack: " .. k)
            by[k] = s.values[1]
        end
        t.eq(by["native_write_msr;burn_heavy;main;libc.so.6+0x2a1ca"], 6, "heavy samples")
        t.eq(by["burn_light;main;libc.so.6+0x2a1ca"], 3, "light samples")
        t.eq(by[""], 1, "empty stack")
        t.eq(#prof.samples, 3, "samples")

        -- one location per (mapping, address, function); main is shared
        t.eq(#prof.locations, 5, "locations")
        local files = {}
        for id, m in pairs(prof.mappings) do
            files[m.file] = m
            assert(m.has_functions, "has_functions")
            t.eq(m.start, 0, "memory_start")
        end
        assert(files["[kernel]"], "kernel mapping")
        assert(files["/opt/burn"], "burn mapping")
        assert(files["/usr/lib/libc.so.6"], "libc mapping")
        t.eq(#prof.mappings, 3, "one mapping per module")
        for _, l in pairs(prof.locations) do
            local f = prof.functions[l.lines[1]]
            if f.name == "native_write_msr" then
                t.eq(prof.mappings[l.mapping].file, "[kernel]", "kernel frame mapping")
                t.eq(ffi.cast("uint64_t", l.address), 0xffffffff81000000ULL, "kernel address")
            elseif f.name == "burn_heavy" then
                t.eq(l.address, 0x1130, "user address")
            end
            t.eq(f.system_name, f.name, "system_name")
            t.eq(f.filename, "", "function filename")
        end
    end)

    t.test("pprof profile: a counted sample weighs what it stands for", function()
        -- aggregating, one view stands for s.weight samples: the count
        -- write() returns and the profile's values are samples, not views
        local leaf = { name = "leaf", module = "/opt/x", addr = 0x1000ULL, offset = 0 }
        local p = pprof.new { hz = 100 }
        local view = { stack = 3, weight = 5, frames = function() return { leaf } end }
        p:add(view)
        p:add({ stack = 3, weight = 2, frames = view.frames })
        p:add({ stack = 4, frames = function() return { leaf, leaf } end })
        local path = os.tmpname()
        t.eq(p:write(path), 8, "write returns 5 + 2 + 1 samples")
        local prof = load_profile(path)
        os.remove(path)
        local total = 0
        for _, s in ipairs(prof.samples) do total = total + s.values[1] end
        t.eq(total, 8, "the samples/count values add up to 8")
    end)

    t.test("pprof profile: a real binary's mapping carries its build id", function()
        local buf = ffi.new("char[129]")
        local r = C.pr_ffi_elf_build_id("/proc/self/exe", buf, 129)
        local p = pprof.new { hz = 99 }
        p:add_frames({ { name = "main", module = "/proc/self/exe", addr = 0x1000ULL } })
        local path = os.tmpname()
        p:write(path)
        local prof = load_profile(path)
        os.remove(path)
        t.eq(prof.mappings[1].file, "/proc/self/exe", "file")
        t.eq(prof.mappings[1].build_id, r > 0 and ffi.string(buf, r) or "", "build_id")
    end)
end
