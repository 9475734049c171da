#!/bin/bash
# stacks{keep="recent"}: a whole-machine profile at 2999 Hz while shell
# loops make many distinct stacks, the table bounded at max = 1024. The
# table starts over (restarts, stacks forgotten counted); every id a hook
# gets names its stack while the hook runs and lies above the ids
# forgotten (never handed out twice: seen again, it names the same
# stack); an old id at the end names nothing or the same stack it
# named (Lua's memo) - never another; the table never holds much more
# than max. keep="all" (the default) never starts over. Bad options are
# usage errors that say what to write.
. "$(dirname "$0")/lib.sh"
require_bpf

RUN_TIMEOUT=60

# distinct stacks: directory walks, compression, sorting, both CPUs
(end=$((SECONDS + 12)); while [ $SECONDS -lt $end ]; do ls -R /usr/lib >/dev/null 2>&1; done) &
track_pid $!
(end=$((SECONDS + 12)); while [ $SECONDS -lt $end ]; do
	gzip -c /usr/bin/bash | sort -R >/dev/null 2>&1
	find /usr/share -name '*.gz' >/dev/null 2>&1
done) &
track_pid $!

cat >"$TMP/recent.lua" <<'EOF2'
sample { aggregate = true }
local keep = arg[1]
if keep == "recent" then stacks { keep = "recent", max = 1024 } end
local first = {}    -- id -> folded frames when first seen
local ids = {}
local empty_in_hook, seen, below_base, renamed, last = 0, 0, 0, 0, 0
local max_held = 0
-- what a frame is, not what it is called: names and inlined frames may
-- come later (DWARF is read in the background)
local function fold(fr)
    local t = {}
    for _, f in ipairs(fr) do
        if not f.inlined then t[#t + 1] = tostring(f.addr) .. "@" .. tostring(f.module) end
    end
    return table.concat(t, ";")
end
function on_sample(s)
    local id = s.stack
    if id == 0 then return end
    seen = seen + 1
    local fr = stack(id)
    if #fr == 0 then empty_in_hook = empty_in_hook + 1 end
    -- the table's base: every id it hands out now lies above it
    if id <= stats().stacks_forgotten then below_base = below_base + 1 end
    local f = fold(fr)
    if not first[id] then
        if id > last then last = id end
        first[id] = f
        ids[#ids + 1] = id
    elseif first[id] ~= f then
        renamed = renamed + 1
    end
end
every(0.1, function()
    local n = stats().stacks
    if n > max_held then max_held = n end
end)
function on_end()
    collectgarbage()
    local gone, same, other = 0, 0, 0
    for _, id in ipairs(ids) do
        local fr = stack(id)
        if #fr == 0 then gone = gone + 1
        elseif fold(fr) == first[id] then same = same + 1
        else other = other + 1 end
    end
    local st = stats()
    print("seen=" .. seen)
    print("distinct=" .. #ids)
    print("empty_in_hook=" .. empty_in_hook)
    print("below_base=" .. below_base)
    print("renamed=" .. renamed)
    print("gone=" .. gone)
    print("same=" .. same)
    print("other=" .. other)
    print("max_held=" .. max_held)
    print("restarts=" .. st.stack_restarts)
    print("forgotten=" .. st.stacks_forgotten)
    print("stale=" .. st.stack_stale)
    print("last_id=" .. last)
    print("held=" .. st.stacks)
end
EOF2

run_profrun -F 2999 -d 6 "$TMP/recent.lua" recent
expect_rc "keep=recent: exit 0" 0
distinct=$(val distinct "$OUT")
expect_gt "distinct stacks seen" "$distinct" 1024 "$OUT" "$ERR"
expect_ge "the table started over" "$(val restarts "$OUT")" 1 "$OUT"
expect_ge "stacks forgotten counted" "$(val forgotten "$OUT")" 1024 "$OUT"
expect_eq "every id named its stack in its hook" "$(val empty_in_hook "$OUT")" 0 "$OUT"
expect_eq "every id a hook got lies above the forgotten ones" "$(val below_base "$OUT")" 0 "$OUT"
expect_eq "an id seen again in a hook names the same stack" "$(val renamed "$OUT")" 0 "$OUT"
expect_eq "an old id never names another stack" "$(val other "$OUT")" 0 "$OUT"
expect_gt "old ids name nothing at the end" "$(val gone "$OUT")" 0 "$OUT"
expect_ge "those lookups counted as stale" "$(val stale "$OUT")" "$(val gone "$OUT")" "$OUT"
# (records read as the run stops intern stacks no hook sees: <=, not ==)
expect_le "every id a hook got was forgotten or is held" "$(val last_id "$OUT")" \
	$(($(val forgotten "$OUT") + $(val held "$OUT"))) "$OUT"
# one dispatch cycle's new stacks may come on top of max before it starts over
expect_le "the table stayed near its bound" "$(val max_held "$OUT")" 4096 "$OUT"

run_profrun -F 2999 -d 3 "$TMP/recent.lua" all
expect_rc "keep=all: exit 0" 0
expect_eq "keep=all never starts over" "$(val restarts "$OUT")" 0 "$OUT"
expect_eq "keep=all: every id still names its stack" "$(val gone "$OUT")" 0 "$OUT"
expect_eq "keep=all: and the same one" "$(val other "$OUT")" 0 "$OUT"

bad() { # NAME SCRIPT PATTERN [RC]
	run_profrun -d 1 -e "$2"
	expect_rc "$1: exit ${4:-2}" "${4:-2}"
	expect_grep "$1: says what to write" "$ERR" "$3"
}
bad "keep=sometimes" 'stacks{ keep = "sometimes" }' 'keep must be "all" or "recent"'
bad "max without recent" 'stacks{ max = 4096 }' 'max bounds keep = "recent" only'
bad "max too small" 'stacks{ keep = "recent", max = 10 }' 'max'
bad "a misspelt key" 'stacks{ keeps = "recent" }' 'keep'
# a hook's error (exit 1), not a usage error
bad "after setup" 'every(0.1, function() stacks{ keep = "recent" } end)' \
	'stacks\{\} configures the run: call it at the top level' 1
finish
