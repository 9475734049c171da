-- A small test harness for profrun's Lua tests (after luv's lib/tap.lua).
-- t.test(name, fn) runs fn(expect) in a protected call; expect(fn, n)
-- wraps a callback that must have run exactly n times when the test ends.
-- t.summary() prints the closing `N passed, N failed` line.
local M = { passed = 0, failed = 0 }

function M.test(name, fn)
    local pending = {}
    local function expect(cb, n)
        local rec = { calls = 0, want = n or 1 }
        pending[#pending + 1] = rec
        return function(...)
            rec.calls = rec.calls + 1
            return cb(...)
        end
    end
    local ok, err = xpcall(fn, debug.traceback, expect)
    if ok then
        for _, rec in ipairs(pending) do
            if rec.calls ~= rec.want then
                ok, err = false, string.format("callback ran %d times, expected %d",
                    rec.calls, rec.want)
            end
        end
    end
    if ok then
        M.passed = M.passed + 1
        print("ok " .. name)
    else
        M.failed = M.failed + 1
        print("FAIL " .. name .. ": " .. tostring(err))
    end
end

function M.eq(actual, expected, what)
    if actual ~= expected then
        error(string.format("%s: got %s, expected %s", what or "value", tostring(actual),
            tostring(expected)), 2)
    end
end

-- Calls fn, which must raise an error whose text contains `pattern` (plain).
function M.raises(fn, pattern)
    local ok, err = pcall(fn)
    if ok then error("expected an error containing '" .. pattern .. "'", 2) end
    if not tostring(err):find(pattern, 1, true) then
        error(string.format("error '%s' does not contain '%s'", tostring(err), pattern), 2)
    end
end

function M.summary()
    print(string.format("%d passed, %d failed", M.passed, M.failed))
    return M.failed == 0
end

return M
