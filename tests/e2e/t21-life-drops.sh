#!/bin/bash
# The drop identity: with the smallest lifecycle ring (one page) and an
# on_exec that cannot keep up, exec events are lost, and every one is
# accounted for: produced == delivered + dropped (+ discarded, the records
# read after the run stopped, where the runtime counts them), reported by
# stats() and on stderr.
# The overflow must be certain, not a race between a slow hook and the
# storm (under load a fork+exec can take longer than any fixed spin, and
# the consumer then keeps up: that made this test flaky). So the first
# on_exec blocks until the whole storm has finished: all N execs happen
# while nothing reads the ring, and a one-page ring holds far fewer than
# N exec records (each is a few hundred bytes), so most of them must drop.
# The same identity holds for every source at once: fork and exit events
# share the ring and drop with it, and samples (a one-page ring too) are
# counted the same way; no record is malformed.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures exiter

RUN_TIMEOUT=90
EXITER=$FIXTURES/exiter
N=1000
DONE=$TMP/storm-done

cat >"$TMP/drops.lua" <<'EOF'
local ffi = require "ffi"
ffi.cdef "int poll(void *fds, unsigned long nfds, int timeout);"
lifecycle{ buffer = 4096 }
sample{ hz = 499, buffer = 4096 }
local hook_calls = { sample = 0, exit = 0, fork = 0 }
function on_sample(s) hook_calls.sample = hook_calls.sample + 1 end
function on_exit(e) hook_calls.exit = hook_calls.exit + 1 end
function on_fork(e) hook_calls.fork = hook_calls.fork + 1 end
local done_file = arg[1]
local seen, blocked, storm_done_in_hook = 0, false, false

local function storm_done()
  local f = io.open(done_file, "r")
  if f then f:close() end
  return f ~= nil
end

function on_exec(e)
  seen = seen + 1
  if blocked then return end
  blocked = true
  -- Block the consumer until the storm is over (at most 60 s, so a
  -- broken storm fails the test instead of hanging it).
  local limit = now() + 60e9
  while not storm_done() and now() < limit do ffi.C.poll(nil, 0, 10) end
  storm_done_in_hook = storm_done()
end

function on_end()
  local s = stats().exec
  print("produced=" .. s.produced)
  print("delivered=" .. s.delivered)
  print("dropped=" .. s.dropped)
  print("discarded=" .. (s.discarded or 0))
  print("seen=" .. seen)
  print("storm_done_in_hook=" .. tostring(storm_done_in_hook))
  local all = stats()
  for src, calls in pairs(hook_calls) do
    local c = all[src]
    print(string.format("%s.identity=%d %d %d %d %d", src, c.produced, c.delivered,
      c.dropped, c.discarded, calls))
  end
  print("bad_records=" .. all.bad_records)
end
EOF

run_profrun -c "$EXITER -f $N 0 && : >$DONE" "$TMP/drops.lua" "$DONE"
expect_rc "drops: exit 0" 0
produced=$(val produced "$OUT")
delivered=$(val delivered "$OUT")
dropped=$(val dropped "$OUT")
discarded=$(val discarded "$OUT")
seen=$(val seen "$OUT")
expect_eq "drops: the storm ran while on_exec blocked the ring" \
	"$(val storm_done_in_hook "$OUT")" true "$OUT" "$ERR"
expect_ge "drops: produced >= $((N + 1))" "$produced" $((N + 1)) "$OUT" "$ERR"
expect_gt "drops: dropped > 0" "$dropped" 0 "$OUT"
if _is_int "$produced" && _is_int "$delivered" && _is_int "$dropped" && _is_int "$discarded"; then
	expect_eq "drops: produced == delivered + dropped + discarded" "$produced" \
		"$((delivered + dropped + discarded))" "$OUT"
else
	fail "drops: produced == delivered + dropped + discarded" "not numbers" "$OUT"
fi
expect_eq "drops: on_exec ran once per delivered event" "$seen" "$delivered" "$OUT"
expect_grep "drops: stderr reports the loss" "$ERR" "lost [0-9]+ of [0-9]+ exec events"
expect_grep "drops: stderr has the same numbers" "$ERR" "lost $dropped of $produced exec events"
expect_grep "drops: stderr says what to do" "$ERR" "lifecycle\{buffer=...\}"
for src in fork exit sample; do
	read -r p d x c calls <<<"$(val "$src.identity" "$OUT")"
	if _is_int "$p" && _is_int "$d" && _is_int "$x" && _is_int "$c" && _is_int "$calls"; then
		expect_gt "drops: $src records produced" "$p" 0 "$OUT"
		expect_eq "drops: $src produced == delivered + dropped + discarded" "$p" \
			"$((d + x + c))" "$OUT"
		expect_eq "drops: on_$src ran once per delivered $src record" "$calls" "$d" "$OUT"
	else
		fail "drops: $src counts" "not numbers" "$OUT"
	fi
done
expect_gt "drops: fork events were lost with exec's" "$(val fork.identity "$OUT" | cut -d' ' -f3)" 0 "$OUT"
expect_eq "drops: no malformed record" "$(val bad_records "$OUT")" 0 "$OUT"

finish
