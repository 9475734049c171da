#!/bin/bash
# --restricted still profiles: examples/top.lua and examples/flamegraph.lua
# run for real (BPF, samples) under --restricted, and the flame graph is
# written into --write-dir.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures burn

RUN_TIMEOUT=60
W=$TMP/out
mkdir -p "$W"

# a workload of its own: an idle machine gives top.lua no table to print
run_profrun --restricted -c "$FIXTURES/burn 2" "$EXAMPLES/top.lua"
expect_rc "top.lua: exit 0" 0
expect_grep "top.lua: a table of samples" "$OUT" "^ *[0-9.]+% +[0-9.]+% +[0-9]+ "
expect_grep "top.lua: burn_heavy is listed" "$OUT" '%.* burn_heavy +burn$'
expect_no_grep "top.lua: no error" "$ERR" "^profrun: error"

run_profrun --restricted --write-dir "$W" -c "$FIXTURES/burn 2" "$EXAMPLES/flamegraph.lua" "$W/flame.svg" "$W/all.folded"
expect_rc "flamegraph.lua: exit 0" 0
expect_grep "flamegraph.lua: says what it wrote" "$OUT" "wrote $W/flame.svg: [0-9]+ samples"
expect_grep "flamegraph.lua: an SVG" "$W/flame.svg" "<svg"
n=$(awk '{ s += $NF } END { print s + 0 }' "$W/all.folded" 2>/dev/null)
expect_gt "flamegraph.lua: folded stacks have samples" "$n" 0

# without --write-dir its output is refused, when on_end writes it
run_profrun --restricted -d 2 "$EXAMPLES/flamegraph.lua" "$TMP/flame.svg"
expect_rc "flamegraph.lua without --write-dir: exit 1 (an error in on_end)" 1
expect_grep "flamegraph.lua without --write-dir: message" "$ERR" \
	"^profrun: .*io.open\\('$TMP/flame.svg'\\): a --restricted script may not write files; pass --write-dir"
check "flamegraph.lua without --write-dir: no file" test ! -e "$TMP/flame.svg"

finish
