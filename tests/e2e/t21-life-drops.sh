#!/bin/bash
# The drop identity: with the smallest lifecycle ring (one page) and a
# slow on_exec, exec events are lost, and every one is accounted for:
# produced == delivered + dropped, reported by stats() and on stderr.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures exiter

RUN_TIMEOUT=90
EXITER=$FIXTURES/exiter
N=2000

cat >"$TMP/drops.lua" <<'EOF'
lifecycle{ buffer = 4096 }
local seen = 0
function on_exec(e)
  seen = seen + 1
  local t = now() + 2e6 -- spin ~2 ms
  while now() < t do end
end
function on_end()
  local s = stats().exec
  print("produced=" .. s.produced)
  print("delivered=" .. s.delivered)
  print("dropped=" .. s.dropped)
  print("seen=" .. seen)
end
EOF

run_profrun -c "$EXITER -f $N 0" "$TMP/drops.lua"
expect_rc "drops: exit 0" 0
produced=$(val produced "$OUT")
delivered=$(val delivered "$OUT")
dropped=$(val dropped "$OUT")
seen=$(val seen "$OUT")
expect_ge "drops: produced >= $((N + 1))" "$produced" $((N + 1)) "$OUT" "$ERR"
expect_gt "drops: dropped > 0" "$dropped" 0 "$OUT"
if _is_int "$produced" && _is_int "$delivered" && _is_int "$dropped"; then
	expect_eq "drops: produced == delivered + dropped" "$produced" "$((delivered + dropped))" "$OUT"
else
	fail "drops: produced == delivered + dropped" "not numbers" "$OUT"
fi
expect_eq "drops: on_exec ran once per delivered event" "$seen" "$delivered" "$OUT"
expect_grep "drops: stderr reports the loss" "$ERR" "lost [0-9]+ of [0-9]+ exec events"
expect_grep "drops: stderr has the same numbers" "$ERR" "lost $dropped of $produced exec events"
expect_grep "drops: stderr says what to do" "$ERR" "lifecycle\{buffer=...\}"

finish
