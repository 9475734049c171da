#!/bin/bash
# Walked samples go to a small ring that stays in the CPU's caches; a
# record it cannot take goes to the big ring, counted as spilled, not
# lost. A reader blocked for a second while two shells spin at 4999 Hz
# (~10k samples) overflows the small ring (1 MiB: ~0.2 s of them at this
# rate), and the big ring (sample{buffer = 64 MiB}) takes the rest: stats().sample.spilled > 0, nothing dropped, and
# produced == delivered + dropped + discarded still holds with two rings.
# With the default sizes and a reader that keeps up, (almost) nothing
# spills.
. "$(dirname "$0")/lib.sh"
require_bpf

RUN_TIMEOUT=60
cat >"$TMP/ring.lua" <<'EOF2'
local ffi = require "ffi"
ffi.cdef "int poll(void *fds, unsigned long nfds, int timeout);"
local block = tonumber(arg[1]) ~= 0
-- a big ring that takes both the second's spill and what the reader has
-- not read yet: the first samples' copies (5 KiB each, ~4k of them), which
-- the sanitizer build is still unwinding when the small ring's records
-- say it has caught up (16 MiB lost ~500-1500 records there)
sample { hz = 4999, buffer = block and 64 * 1024 * 1024 or nil }
local t0, blocked, weight, seen, walked0 = now(), false, 0, 0, 0
function on_sample(s)
  weight = weight + s.weight
  seen = seen + 1
  -- once the spinners' tables are loaded (their stacks walked in BPF:
  -- most of the last 256 samples were) and the reader has caught up
  -- with the first samples' copies (this sample is under 50 ms old: the
  -- big ring is about empty; the sanitizer build takes seconds to work
  -- through them), the reader stops for a second
  if block and not blocked and seen % 256 == 0 and now() - t0 > 1.5e9 then
    local walked = stats().unwind.kernel.complete
    if walked - walked0 >= 200 and now() - s.time < 50e6 then
      blocked = true
      ffi.C.poll(nil, 0, 1000)
    end
    walked0 = walked
  end
end
function on_end()
  local s = stats().sample
  print("spilled=" .. s.spilled)
  print("produced=" .. s.produced)
  print("delivered=" .. s.delivered)
  print("dropped=" .. s.dropped)
  print("discarded=" .. s.discarded)
  print("weight=" .. weight)
  print("walked=" .. stats().unwind.kernel.complete)
  print("blocked=" .. (blocked and 1 or 0))
end
EOF2

spin() { sh -c 'while :; do :; done' >/dev/null 2>&1 & echo $!; }
S1=$(spin)
S2=$(spin)
trap 'kill $S1 $S2 2>/dev/null' EXIT

run_profrun -d 8 "$TMP/ring.lua" 1
expect_rc "blocked reader: exit 0" 0
expect_eq "blocked reader: it blocked, once the spinners were walked" "$(val blocked "$OUT")" 1 "$OUT"
expect_gt "blocked reader: BPF walked the spinners' stacks" "$(val walked "$OUT")" 1000 "$OUT" "$ERR"
expect_gt "blocked reader: the small ring filled and passed records on (spilled)" \
	"$(val spilled "$OUT")" 0 "$OUT" "$ERR"
expect_eq "blocked reader: the big ring took them: nothing dropped" "$(val dropped "$OUT")" 0 \
	"$OUT" "$ERR"
expect_counts_add_up "blocked reader" "$OUT"
expect_eq "blocked reader: the hook saw every delivered sample" "$(val weight "$OUT")" \
	"$(val delivered "$OUT")" "$OUT"

run_profrun -d 2 "$TMP/ring.lua" 0
expect_rc "default sizes: exit 0" 0
produced=$(val produced "$OUT")
expect_gt "default sizes: samples" "$produced" 1000 "$OUT"
expect_pct_le "default sizes: a reader that keeps up spills <= 5%" "$(val spilled "$OUT")" \
	"$produced" 5 "$OUT"
kill $S1 $S2 2>/dev/null
finish
