-- profrun.json: values, escaping of every byte, UTF-8 pass-through and the
-- Latin-1 fallback for invalid bytes, stable key order, cycles.
local json = require "profrun.json"
local ffi = require "ffi"

local char, byte, format = string.char, string.byte, string.format

-- A minimal JSON string decoder, to check round-trips: escapes back to
-- bytes, \uXXXX to the code point's UTF-8 (surrogate pairs are not used by
-- the encoder, which never writes a \u above 00ff).
local function utf8_char(cp)
    if cp < 0x80 then return char(cp) end
    if cp < 0x800 then return char(0xc0 + math.floor(cp / 64), 0x80 + cp % 64) end
    return char(0xe0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
end
local SIMPLE = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\",
    ["/"] = "/" }
local function decode_string(s)
    assert(s:sub(1, 1) == '"' and s:sub(-1) == '"', "quoted: " .. s)
    local body = s:sub(2, -2)
    local out, i = {}, 1
    while i <= #body do
        local c = body:sub(i, i)
        if c == "\\" then
            local e = body:sub(i + 1, i + 1)
            if e == "u" then
                out[#out + 1] = utf8_char(tonumber(body:sub(i + 2, i + 5), 16))
                i = i + 6
            else
                out[#out + 1] = assert(SIMPLE[e], "bad escape \\" .. e)
                i = i + 2
            end
        else
            local b = byte(c)
            assert(b >= 0x20 and b ~= 0x7f and c ~= '"', format("raw byte 0x%02x in output", b))
            out[#out + 1] = c
            i = i + 1
        end
    end
    return table.concat(out)
end

return function(t)
    t.test("json: scalars", function()
        t.eq(json.encode(nil), "null", "nil")
        t.eq(json.encode(json.null), "null", "json.null")
        t.eq(json.encode(true), "true", "true")
        t.eq(json.encode(false), "false", "false")
        t.eq(json.encode(0), "0", "0")
        t.eq(json.encode(-7), "-7", "-7")
        t.eq(json.encode(3.0), "3", "3.0 has no .0")
        t.eq(json.encode(1234567890123), "1234567890123", "big integer")
        t.eq(json.encode(2 ^ 53), "9007199254740992", "2^53")
        t.eq(json.encode(1.5), "1.5", "1.5")
        t.eq(json.encode(0.1), "0.1", "0.1")
        t.eq(tonumber(json.encode(1 / 3)), 1 / 3, "1/3 round-trips")
        t.eq(json.encode(0 / 0), "null", "NaN")
        t.eq(json.encode(math.huge), "null", "inf")
        t.eq(json.encode(-math.huge), "null", "-inf")
        t.eq(json.encode(ffi.new("uint64_t", 18446744073709551615ULL)), "18446744073709551615",
            "uint64 cdata")
        t.eq(json.encode(ffi.new("int64_t", -5)), "-5", "int64 cdata")
    end)

    t.test("json: arrays and objects", function()
        t.eq(json.encode({ 1, "a", true }), '[1,"a",true]', "array")
        t.eq(json.encode({}), "{}", "empty table")
        t.eq(json.encode(json.array({})), "[]", "empty marked array")
        t.eq(json.encode({ b = 1, a = 2, c = { z = 1, y = { 3 } } }),
            '{"a":2,"b":1,"c":{"y":[3],"z":1}}', "object keys sorted")
        t.eq(json.encode({ [1] = "x", [3] = "y" }), '{"1":"x","3":"y"}', "sparse -> object")
        t.eq(json.encode({ 1, 2, n = 3 }), '{"1":1,"2":2,"n":3}', "mixed -> object")
        t.eq(json.encode({ ["a\nb"] = 1 }), '{"a\\nb":1}', "keys are escaped")
        local shared = { 1 }
        t.eq(json.encode({ shared, shared }), "[[1],[1]]", "shared table is not a cycle")
    end)

    t.test("json: cycles and unencodable values are errors", function()
        local a = {}
        a.self = a
        t.raises(function() json.encode(a) end, "cycle")
        local b = { { {} } }
        b[1][1][1] = b
        t.raises(function() json.encode(b) end, "cycle")
        t.raises(function() json.encode({ f = print }) end, "cannot encode a function")
        t.raises(function() json.encode({ [true] = 1 }) end, "object keys must be strings")
    end)

    t.test("json: escapes of quotes, backslashes and control characters", function()
        t.eq(json.encode('say "hi"'), '"say \\"hi\\""', "quotes")
        t.eq(json.encode("a\\b"), '"a\\\\b"', "backslash")
        t.eq(json.encode("/usr/bin"), '"/usr/bin"', "slash is not escaped")
        t.eq(json.encode("\b\f\n\r\t"), '"\\b\\f\\n\\r\\t"', "short escapes")
        t.eq(json.encode("\0"), '"\\u0000"', "NUL")
        t.eq(json.encode("\1\31"), '"\\u0001\\u001f"', "other controls")
        t.eq(json.encode("\127"), '"\\u007f"', "DEL")
        t.eq(json.encode('we"ird\\na\nme\t'), '"we\\"ird\\\\na\\nme\\t"', "a weird name")
    end)

    t.test("json: every single byte", function()
        for b = 0, 255 do
            local s = json.encode(char(b))
            local want
            if b == 34 then want = '"\\""'
            elseif b == 92 then want = '"\\\\"'
            elseif b == 8 then want = '"\\b"'
            elseif b == 9 then want = '"\\t"'
            elseif b == 10 then want = '"\\n"'
            elseif b == 12 then want = '"\\f"'
            elseif b == 13 then want = '"\\r"'
            elseif b < 0x20 or b >= 0x7f then want = format('"\\u%04x"', b)
            else want = '"' .. char(b) .. '"' end
            t.eq(s, want, format("byte 0x%02x", b))
        end
    end)

    t.test("json: valid UTF-8 passes through", function()
        local cases = {
            "é", "日本語", "emoji \240\159\152\128", "\194\128", "\223\191", -- U+0080 U+07FF
            "\224\160\128", "\237\159\191", "\238\128\128", "\239\191\191", -- U+0800 U+D7FF U+E000 U+FFFF
            "\240\144\128\128", "\244\143\191\191", -- U+10000 U+10FFFF
        }
        for _, s in ipairs(cases) do
            t.eq(json.encode(s), '"' .. s .. '"', "utf-8 " .. s)
            t.eq(decode_string(json.encode(s)), s, "round-trip " .. s)
        end
    end)

    t.test("json: invalid UTF-8 bytes become \\u00XX (Latin-1)", function()
        local cases = {
            { "\128", '"\\u0080"' },                      -- lone continuation byte
            { "a\255b", '"a\\u00ffb"' },                   -- 0xff never appears in UTF-8
            { "\192\175", '"\\u00c0\\u00af"' },            -- overlong "/"
            { "\193\191", '"\\u00c1\\u00bf"' },            -- overlong
            { "\224\128\175", '"\\u00e0\\u0080\\u00af"' }, -- overlong 3-byte
            { "\237\160\128", '"\\u00ed\\u00a0\\u0080"' }, -- surrogate U+D800
            { "\244\144\128\128", '"\\u00f4\\u0090\\u0080\\u0080"' }, -- > U+10FFFF
            { "\245\128\128\128", '"\\u00f5\\u0080\\u0080\\u0080"' }, -- 0xf5 lead
            { "\195", '"\\u00c3"' },                       -- truncated at the end
            { "\195x", '"\\u00c3x"' },                     -- truncated before ASCII
            { "\226\130", '"\\u00e2\\u0082"' },            -- truncated 3-byte
            { "\233t\233", '"\\u00e9t\\u00e9"' },           -- Latin-1 "été"
            { "ok\195\169\255", '"ok\195\169\\u00ff"' },   -- valid then invalid
        }
        for _, c in ipairs(cases) do
            t.eq(json.encode(c[1]), c[2], "invalid " .. c[2])
        end
        -- the fallback reads back as the Latin-1 code points
        t.eq(decode_string(json.encode("\233t\233")), "été", "latin-1 reading")
    end)

    t.test("json: round-trip of every byte string 0..255", function()
        local all = {}
        for b = 0, 127 do all[#all + 1] = char(b) end
        local s = table.concat(all) .. "é\226\130\172" -- ASCII, é, €
        t.eq(decode_string(json.encode(s)), s, "round-trip")
        local enc = json.encode(s)
        assert(not enc:find("[%z\1-\31\127]"), "no raw control byte in the output")
    end)

    t.test("json: line writes one line", function()
        local tmp = os.tmpname()
        local f = assert(io.open(tmp, "w"))
        json.line({ comm = "a\nb", pid = 1 }, f)
        json.line({ 1, 2 }, f)
        f:close()
        local text = assert(io.open(tmp)):read("*a")
        os.remove(tmp)
        t.eq(text, '{"comm":"a\\nb","pid":1}\n[1,2]\n', "two lines")
        t.raises(function() local c = {}; c[1] = c; json.line(c) end, "cycle")
    end)
end
