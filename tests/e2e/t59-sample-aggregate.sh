#!/bin/bash
# sample{aggregate=true} (issue 15, part 2): samples whose whole stack is
# known in BPF are counted there per (pid, tid, stack) and reach on_sample
# as one event per count, s.count the samples it stands for.
#  - the same profile: two runs at once on the same burn process (3/4 of
#    its CPU in burn_heavy, 1/4 in burn_light), one counting in the kernel
#    and one sending every sample: each folded stack's share (user frames,
#    by name) differs by at most 2 points, and the aggregate run got far
#    fewer events than samples;
#  - every sample counted: the counts add up to what BPF produced, minus
#    drops; produced = counted in the kernel + sent as records;
#  - full maps: with room for 64 counts and stacks, python3.11 (whose
#    interpreter loop gives a new stack nearly every sample) overflows
#    them; the excess is sent as records (stats().aggregate.counts_full /
#    stacks_full), none is lost;
#  - each stack reaches the runtime once, on its ring as BPF adds it, not
#    once per count: stacks received, none read from the map when the
#    ring had room for all (stack_reads <= stacks_unsent: a read is only
#    for a stack the ring lost), and fewer than the counts; a stack no
#    count named for 2 s is deleted from the map (burn for 1 s, then 5 s
#    of sleep), and no count ever lacks its stack;
#  - a full ring of stacks (64 counts: an 8 KiB ring, python3.11's
#    deep stacks with their kernel frames): the stacks it lost are
#    counted and read from the map instead, at most once each; no count
#    lacks its stack;
#  - collisions: with the hash cut to 1 bit ($PROFRUN_AGG_HASH_BITS),
#    burn's stacks share two hashes; the second hash tells them apart,
#    so the collisions are counted and sent as records, every sample is
#    still counted, and burn_heavy keeps its 3/4.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures burn
PY=/usr/bin/python3.11
[ -x "$PY" ] || skip_all "needs $PY (Debian's python3.11 package)"

RUN_TIMEOUT=40
cat >"$TMP/agg.lua" <<'EOF'
local agg = arg[1]
-- python = false: samples with Python frames are records, not counts
sample { hz = 999, kernel = arg[2] == "kernel", aggregate = agg == "on" and true
  or (tonumber(agg) or false), python = false }
local event = require "profrun.event"
local shares, events, weight, tp = {}, 0, 0, nil
local ids, nids = {}, 0
function on_sample(s)
  events = events + 1
  if not ids[s.stack] then ids[s.stack] = true; nids = nids + 1 end
  weight = weight + s.count
  tp = tp or target_pid()
  if tp and s.pid ~= tp then return end
  local names = {}
  for _, f in ipairs(s:frames()) do
    if not f.kernel then names[#names + 1] = f.name or "?" end
  end
  local line = table.concat(names, ";")
  shares[line] = (shares[line] or 0) + s.count
end
function on_end()
  local st = stats()
  print("events=" .. events)
  print("distinct=" .. nids)
  print("weight=" .. weight)
  print("produced=" .. st.sample.produced)
  print("delivered=" .. st.sample.delivered)
  print("dropped=" .. st.sample.dropped)
  print("discarded=" .. st.sample.discarded)
  for k, v in pairs(st.aggregate) do print("agg." .. k .. "=" .. v) end
  local total = 0
  for _, n in pairs(shares) do total = total + n end
  print("total=" .. total)
  for line, n in pairs(shares) do print("stack " .. n .. " " .. line) end
end
EOF

# ---- the same profile, at the same time on the same process ----
start_bg "$FIXTURES/burn" 8
burn=$WL_PID
start_profrun -p "$burn" -d 4 "$TMP/agg.lua" on
A_OUT=$OUT A_BG=$BG_PID
start_profrun -p "$burn" -d 4 "$TMP/agg.lua" off
S_OUT=$OUT
wait "$A_BG"
expect_eq "aggregate run: exit 0" "$?" 0 "$A_OUT"
wait_profrun
expect_eq "stream run: exit 0" "$RC" 0 "$S_OUT"
a_total=$(val total "$A_OUT")
s_total=$(val total "$S_OUT")
expect_ge "aggregate run: burn samples" "$a_total" 2000 "$A_OUT"
expect_ge "stream run: burn samples" "$s_total" 2000 "$S_OUT"
# each stack of either run: its share in both, in tenths of a point
awk -v at="$a_total" -v st="$s_total" '
	FNR == 1 { f++ }
	/^stack / { n = $2; sub(/^stack [0-9]+ /, ""); if (f == 1) a[$0] = n; else s[$0] = n; k[$0] = 1 }
	END { for (x in k) { d = 1000 * (a[x] / at - s[x] / st); if (d < 0) d = -d
		printf "%d %.1f%% %.1f%% %s\n", d, 100 * a[x] / at, 100 * s[x] / st, x } }' \
	"$A_OUT" "$S_OUT" | sort -rn >"$TMP/diff"
worst=$(head -1 "$TMP/diff" | cut -d' ' -f1)
if _is_int "$worst" && [ "$worst" -le 20 ] && [ "$(wc -l <"$TMP/diff")" -ge 2 ]; then
	pass "every folded stack's share within 2 points of the stream run's (worst: $(head -1 "$TMP/diff"))"
else
	fail "every folded stack's share within 2 points of the stream run's" \
		"$(head -5 "$TMP/diff")" "$A_OUT" "$S_OUT"
fi
heavy=$(awk '$4 ~ /^burn_heavy;main;/ { print $2 }' "$TMP/diff" | head -1)
check "the aggregate run has burn_heavy on main ($heavy)" test -n "$heavy"
events=$(val events "$A_OUT")
if _is_int "$events" && _is_int "$a_total" && [ $((events * 4)) -le "$a_total" ]; then
	pass "aggregate run: at most one event per 4 samples ($events for $(val weight "$A_OUT"))"
else
	fail "aggregate run: at most one event per 4 samples" "events=$events samples=$a_total" "$A_OUT"
fi

# ---- every sample counted ----
# (README, "Counts add up": a -d stop that lands in a batch discards the
# rest of it, counted; a CI run saw 50 discarded in the stream run)
for o in "$A_OUT" "$S_OUT"; do
	which=$([ "$o" = "$A_OUT" ] && echo aggregate || echo stream)
	p=$(val produced "$o") d=$(val delivered "$o") x=$(val dropped "$o") w=$(val weight "$o")
	z=$(val discarded "$o")
	expect_eq "$which run: delivered = produced - dropped - discarded" "$d" "$((p - x - z))" "$o"
	expect_eq "$which run: the counts add up to what was delivered" "$w" "$d" "$o"
done
c=$(val agg.counted "$A_OUT")
r=$(val agg.records "$A_OUT")
expect_gt "aggregate run: samples counted in BPF" "$c" 0 "$A_OUT"
expect_gt "aggregate run: counts drained" "$r" 0 "$A_OUT"
expect_eq "aggregate run: no count without its stack" "$(val agg.stack_misses "$A_OUT")" 0 "$A_OUT"
expect_eq "stream run: nothing counted in BPF" "$(val agg.counted "$S_OUT")" 0 "$S_OUT"
reads=$(val agg.stack_reads "$A_OUT")
received=$(val agg.stacks_received "$A_OUT")
expect_gt "aggregate run: stacks received on their ring" "$received" 0 "$A_OUT"
expect_le "aggregate run: stacks read from the map only when the ring lost them" "$reads" \
	"$(val agg.stacks_unsent "$A_OUT")" "$A_OUT"
expect_lt "aggregate run: fewer stacks received and read than counts" \
	"$((received + reads))" "$r" "$A_OUT"

# ---- a stack no count names for 2 s leaves the map ----
run_profrun -c "sh -c '$FIXTURES/burn 1; sleep 5'" "$TMP/agg.lua" on
expect_rc "burn, then sleep: exit 0" 0
expect_gt "burn, then sleep: its stacks deleted from the map" "$(val agg.stack_deletes "$OUT")" 0 \
	"$OUT"
expect_eq "burn, then sleep: no count without its stack" "$(val agg.stack_misses "$OUT")" 0 "$OUT"
d=$(val delivered "$OUT") w=$(val weight "$OUT")
expect_eq "burn, then sleep: the counts add up to what was delivered" "$w" "$d" "$OUT"

# ---- full maps and a full ring of stacks: the excess streams or is read, nothing lost ----
run_profrun -c "$PY -c 'import time
t = time.time()
while time.time() - t < 2: sum(i * i for i in range(1000))'" "$TMP/agg.lua" 64 kernel
expect_rc "64 counts: exit 0" 0
full=$(( $(val agg.counts_full "$OUT") + $(val agg.stacks_full "$OUT") ))
expect_gt "64 counts: full maps counted" "$full" 0 "$OUT"
p=$(val produced "$OUT") d=$(val delivered "$OUT") x=$(val dropped "$OUT") w=$(val weight "$OUT")
expect_eq "64 counts: delivered = produced - dropped" "$d" "$((p - x))" "$OUT"
expect_eq "64 counts: the counts add up to what was delivered" "$w" "$d" "$OUT"
expect_gt "64 counts: some samples still counted in BPF" "$(val agg.counted "$OUT")" 0 "$OUT"
unsent=$(val agg.stacks_unsent "$OUT")
expect_gt "64 counts: stacks the 8 KiB ring had no room for, counted" "$unsent" 0 "$OUT"
expect_gt "64 counts: those read from the map" "$(val agg.stack_reads "$OUT")" 0 "$OUT"
expect_le "64 counts: each read at most once" "$(val agg.stack_reads "$OUT")" "$unsent" "$OUT"
expect_eq "64 counts: no count without its stack" "$(val agg.stack_misses "$OUT")" 0 "$OUT"

# ---- colliding hashes: told apart, streamed, counted ----
PROFRUN_AGG_HASH_BITS=1 run_profrun -c "$FIXTURES/burn 2" "$TMP/agg.lua" on kernel
expect_rc "1-bit hash: exit 0" 0
expect_gt "1-bit hash: collisions counted" "$(val agg.collisions "$OUT")" 0 "$OUT"
expect_gt "1-bit hash: some samples still counted in BPF" "$(val agg.counted "$OUT")" 0 "$OUT"
p=$(val produced "$OUT") d=$(val delivered "$OUT") x=$(val dropped "$OUT") w=$(val weight "$OUT")
expect_eq "1-bit hash: delivered = produced - dropped" "$d" "$((p - x))" "$OUT"
expect_eq "1-bit hash: the counts add up to what was delivered" "$w" "$d" "$OUT"
expect_eq "1-bit hash: no count without its stack" "$(val agg.stack_misses "$OUT")" 0 "$OUT"
share=$(awk '/^stack / { t += $2; if ($3 ~ /^burn_heavy;main;/) h += $2 }
	END { if (t) printf "%d", 1000 * h / t }' "$OUT")
if _is_int "$share" && [ "$share" -ge 700 ] && [ "$share" -le 800 ]; then
	pass "1-bit hash: burn_heavy;main has 3/4 of burn's samples ($share per mille)"
else
	fail "1-bit hash: burn_heavy;main has 3/4 of burn's samples" "share=$share" "$OUT"
fi

finish
