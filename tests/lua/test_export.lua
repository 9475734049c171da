-- profrun.export without a backend: RowBinary bytes, URL encoding, the
-- fleet scripts' command line (every error says what to do), options
-- checked before anything opens. The delivery itself is tested end to end
-- against a real ClickHouse (tests/e2e/t63-t66).
local export = require "profrun.export"
local rb = export.rowbinary

local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end

return function(t)
    t.test("export: RowBinary integers are little-endian", function()
        t.eq(hex(rb.u32(0)), "00000000", "u32 0")
        t.eq(hex(rb.u32(0x12345678)), "78563412", "u32")
        t.eq(hex(rb.u32(4294967295)), "ffffffff", "u32 max")
        t.eq(hex(rb.u64(1)), "0100000000000000", "u64 1")
        t.eq(hex(rb.u64(2 ^ 32 + 5)), "0500000001000000", "u64 over 2^32")
        t.eq(hex(rb.u64(2 ^ 53)), "0000000000002000", "u64 2^53 (wall-clock ns are ~2^60)")
        t.eq(hex(rb.u64(1796512652123456789ULL)), "15455020bd7eee18", "u64 cdata: exact ns")
    end)
    t.test("export: RowBinary strings and arrays carry their length, bytes as they are", function()
        t.eq(hex(rb.str("")), "00", "empty")
        t.eq(hex(rb.str("a;\n\0\255")), "05613b0a00ff", "any byte")
        t.eq(#rb.str(string.rep("x", 300)), 302, "300 bytes: a two-byte varint")
        t.eq(hex(rb.strs({ "a", "bc" })), "0201610262" .. "63", "array of strings")
        t.eq(hex(rb.strs({})), "00", "empty array")
    end)
    t.test("export: URL encoding keeps only unreserved characters", function()
        t.eq(export.urlencode("INSERT INTO a.b (x, `y.z`) FORMAT RowBinary"),
            "INSERT%20INTO%20a.b%20%28x%2C%20%60y.z%60%29%20FORMAT%20RowBinary", "query")
        t.eq(export.urlencode("app{k=v,host=h}"), "app%7Bk%3Dv%2Chost%3Dh%7D", "name")
    end)
    t.test("export.args: backends, labels, windows; the environment as fallback", function()
        local o = export.args({ "--clickhouse", "http://a:1", "--label", "env=prod", "--label",
            "team=web", "--window", "2.5", "--host", "h" }, "u", { clickhouse = true })
        t.eq(o.clickhouse, "http://a:1", "url")
        t.eq(o.labels.env, "prod", "label")
        t.eq(o.labels.team, "web", "second label")
        t.eq(o.window, 2.5, "window")
        t.eq(o.host, "h", "host")
        t.raises(function() export.args({}, "USAGE", { clickhouse = true }) end,
            "where to send: --clickhouse URL")
        t.raises(function() export.args({}, "USAGE", { clickhouse = true }) end, "usage: USAGE")
        t.raises(function()
            export.args({ "--pyroscope", "http://x" }, "u", { clickhouse = true })
        end, "--pyroscope: this script cannot send to pyroscope")
        t.raises(function()
            export.args({ "--clickhouse", "http://x", "--label", "no-equals" }, "u",
                { clickhouse = true })
        end, "a label is NAME=VALUE, got 'no-equals'")
        t.raises(function()
            export.args({ "--clickhouse", "http://x", "--window", "0" }, "u", { clickhouse = true })
        end, "--window needs a number of seconds")
        t.raises(function()
            export.args({ "--clickhouse", "http://x", "--bogus", "1" }, "u", { clickhouse = true })
        end, "unknown argument '--bogus'")
        t.raises(function() export.args({ "--clickhouse" }, "u", { clickhouse = true }) end,
            "--clickhouse needs a value")
    end)
    t.test("export: options are checked before a sink opens", function()
        t.raises(function() export.clickhouse { url = "ftp://x" } end,
            "url must be http://HOST:PORT")
        t.raises(function() export.clickhouse { url = "http://x", tabel = "t" } end,
            "unknown option 'tabel'")
        t.raises(function() export.clickhouse { url = "http://x", table = "a;drop" } end,
            "table must be a plain identifier")
        t.raises(function() export.clickhouse { url = "http://x", labels = { k = {} } } end,
            "labels must map names to strings")
        t.raises(function() export.pyroscope { url = "http://x", memory = "big" } end,
            "memory must be a number")
        t.raises(function() export.otlp { url = "http://x", timeout = 0 } end,
            "timeout must be a number >= 0.001")
        t.raises(function() export.otlp { url = "http://x", disk = 0 / 0 } end,
            "disk must be a number >= 0")
        t.raises(function() export.otlp { url = "http://x", retry_min = 2, retry_max = 1 } end,
            "retry_max must be at least retry_min")
    end)
    t.test("export: random bytes differ between calls", function()
        local a, b = export.random_bytes(16), export.random_bytes(16)
        t.eq(#a, 16, "16 bytes")
        t.eq(a ~= b, true, "two draws differ")
    end)
end
