-- profrun.otlp: a profrun.pprof profile as an OTLP profiles export request
-- (ExportProfilesServiceRequest, protobuf), for OTLP/HTTP collectors at
-- POST /v1development/profiles (profrun.export.otlp sends it).
--
--   local body = require("profrun.otlp").encode(p, { ["service.name"] = "x" }, from, till)
--
-- Written from the published messages of opentelemetry-proto v1.5.0
-- (opentelemetry/proto/profiles/v1development/profiles.proto and
-- collector/profiles/v1development/profiles_service.proto): every table
-- (strings, mappings, locations, functions, attributes) lives in the
-- Profile; indices are 0-based; a sample's stack is location_indices
-- [start, start + length), leaf first, as in pprof. Sample values and
-- location_indices are written unpacked (one field each: parsers must take
-- both forms), so `protoc --decode_raw` shows them as numbers. Later versions of the
-- spec moved the tables into a dictionary and renumbered fields: a
-- collector must speak v1.5.0's profiles (OpenTelemetry Collector
-- v0.117-v0.119 with --feature-gates=service.profilesSupport).
local pprof = require "profrun.pprof"

local concat, ipairs, pairs, sort = table.concat, ipairs, pairs, table.sort
local P = pprof.proto
local key, put_int, put_bytes, put_packed = P.key, P.put_int, P.put_bytes, P.put_packed
local varint = pprof.varint

local M = {}
M.SPEC = "opentelemetry-proto v1.5.0, profiles v1development"

local AGGREGATION_DELTA = 1

local function msg(fn)
    local t = {}
    fn(t)
    return concat(t)
end

-- an optional int32 (presence matters: 0 is written too)
local function put_present(t, field, v)
    t[#t + 1] = key(field, 0)
    t[#t + 1] = varint(v)
end

local function key_value(k, v)
    return msg(function(t)
        put_bytes(t, 1, k)
        put_bytes(t, 2, msg(function(a) put_bytes(a, 1, v) end)) -- AnyValue.string_value
    end)
end

local function profile_id()
    local b = require("profrun.export").random_bytes(16)
    if b == ("\0"):rep(16) then b = ("\0"):rep(15) .. "\1" end -- all zero is invalid
    return b
end

-- encode(p, resource, from, till): p a profrun.pprof profile; resource
-- attributes (string -> string); from/till wall-clock seconds
function M.encode(p, resource, from, till)
    local tb = p:tables()
    local str = tb.str
    local attrs, attr_of = {}, {} -- attribute_table: build ids of mappings
    local profile = msg(function(out)
        local function value_type(field, t, unit)
            put_bytes(out, field, msg(function(v)
                put_int(v, 1, str(t))
                put_int(v, 2, str(unit))
                put_int(v, 3, AGGREGATION_DELTA)
            end))
        end
        value_type(1, "samples", "count")
        value_type(1, "cpu", "nanoseconds")
        local indices, start = {}, 0
        for _, s in ipairs(tb.samples) do
            local ids = s[1]
            for i = 1, #ids do indices[start + i] = ids[i] - 1 end
            put_bytes(out, 2, msg(function(m)
                put_int(m, 1, start)
                put_int(m, 2, #ids)
                put_present(m, 3, s[2])
                put_present(m, 3, s[2] * tb.period)
            end))
            start = start + #ids
        end
        for id, file in ipairs(tb.mappings) do
            put_bytes(out, 3, msg(function(m)
                put_int(m, 4, str(file))
                local bid = tb.build_ids[id]
                if bid ~= "" then
                    local a = attr_of[bid]
                    if not a then
                        attrs[#attrs + 1] = key_value("process.executable.build_id.gnu", bid)
                        a = #attrs - 1
                        attr_of[bid] = a
                    end
                    put_packed(m, 5, { a })
                end
                put_int(m, 6, 1) -- has_functions
            end))
        end
        for _, l in ipairs(tb.locations) do
            put_bytes(out, 4, msg(function(m)
                if l[1] > 0 then put_present(m, 1, l[1] - 1) end
                if l[2] ~= 0ULL then
                    m[#m + 1] = key(2, 0)
                    m[#m + 1] = varint(l[2])
                end
                for _, ln in ipairs(l[3]) do
                    put_bytes(m, 3, msg(function(line)
                        put_int(line, 1, ln[1] - 1)
                        if ln[2] ~= 0 then put_int(line, 2, ln[2]) end
                    end))
                end
            end))
        end
        for i = 1, #indices do put_present(out, 5, indices[i]) end
        for id, name in ipairs(tb.functions) do
            put_bytes(out, 6, msg(function(m)
                local ni = str(name)
                put_int(m, 1, ni)
                put_int(m, 2, ni)
                local file = tb.function_files[id]
                if file ~= "" then put_int(m, 3, str(file)) end
            end))
        end
        for _, a in ipairs(attrs) do put_bytes(out, 7, a) end
        local pt_type, pt_unit = str("cpu"), str("nanoseconds")
        -- every string is known now
        for i = 1, #tb.strings do put_bytes(out, 10, tb.strings[i]) end
        put_int(out, 11, from * 1e9)
        put_int(out, 12, (till - from) * 1e9)
        put_bytes(out, 13, msg(function(v)
            put_int(v, 1, pt_type)
            put_int(v, 2, pt_unit)
            put_int(v, 3, AGGREGATION_DELTA)
        end))
        put_int(out, 14, tb.period)
        put_bytes(out, 17, profile_id())
    end)
    local keys = {}
    for k in pairs(resource) do keys[#keys + 1] = k end
    sort(keys)
    local res = msg(function(r)
        for _, k in ipairs(keys) do put_bytes(r, 1, key_value(k, resource[k])) end
    end)
    local scope = msg(function(s)
        put_bytes(s, 1, msg(function(i)
            put_bytes(i, 1, "profrun")
        end))
        put_bytes(s, 2, profile)
    end)
    local rp = msg(function(t)
        put_bytes(t, 1, res)
        put_bytes(t, 2, scope)
    end)
    return msg(function(t) put_bytes(t, 1, rp) end)
end

return M
