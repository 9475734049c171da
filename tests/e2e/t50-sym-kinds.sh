#!/bin/bash
# User-space symbolization of every kind of binary a profiler meets: the
# same sf_outer -> sf_middle -> sf_leaf workload built as a PIE, a non-PIE,
# through a shared library, stripped with debuginfo found by build-id
# (PROFRUN_DEBUG_DIR), by .gnu_debuglink and in MiniDebugInfo: at least 80%
# of the samples carry the three names in call order. A binary stripped of
# everything shows module+offset frames, no name, and counts a negative
# cache entry.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures symfix-pie symfix-nopie symfix-uselib symfix-buildid symfix-debuglink \
	symfix-minidebug symfix-stripped

RUN_TIMEOUT=20
DEBUG_DIR=$FIXTURES/debug

# Folded stacks, aggregated; at on_end every distinct stack as
# "stack<TAB>count<TAB>folded", hottest first, then counters and the
# module of the first sf_leaf frame seen.
cat >"$TMP/folded.lua" <<'EOF'
local counts, total, leaf_module = {}, 0, nil
function on_sample(s)
  total = total + 1
  local f = s:folded()
  counts[f] = (counts[f] or 0) + 1
  if not leaf_module then
    for _, fr in ipairs(s:frames()) do
      if fr.name == "sf_leaf" then leaf_module = fr.module or "?"; break end
    end
  end
end
function on_end()
  local keys = {}
  for k in pairs(counts) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return counts[a] > counts[b] end)
  for _, k in ipairs(keys) do print("stack\t" .. counts[k] .. "\t" .. k) end
  local sy = stats().symbols
  print("total=" .. total)
  print("negative=" .. sy.negative)
  print("binaries=" .. sy.binaries)
  print("leaf_module=" .. tostring(leaf_module))
end
EOF

CHAIN='sf_outer;sf_middle;sf_leaf'

# samples_with FILE STR: samples whose folded stack contains STR
samples_with() {
	awk -F '\t' -v s="$2" '$1 == "stack" && index($3, s) { n += $2 } END { print n + 0 }' "$1"
}

for x in symfix-pie symfix-nopie symfix-uselib symfix-buildid symfix-debuglink symfix-minidebug; do
	if [ "$x" = symfix-buildid ]; then
		run_cmd env PROFRUN_DEBUG_DIR="$DEBUG_DIR" "$PROFRUN" -F 499 -c "$FIXTURES/$x 1" \
			"$TMP/folded.lua"
	else
		run_profrun -F 499 -c "$FIXTURES/$x 1" "$TMP/folded.lua"
	fi
	expect_rc "$x: exit 0" 0
	total=$(val total "$OUT")
	expect_ge "$x: samples (>= 100)" "$total" 100 "$OUT" "$ERR"
	expect_pct_ge "$x: >= 80% of samples contain $CHAIN" "$(samples_with "$OUT" "$CHAIN")" "$total" 80 "$OUT"
	case $x in
	symfix-uselib)
		expect_pct_ge "$x: >= 80% of samples contain main;sf_lib_outer;$CHAIN" \
			"$(samples_with "$OUT" "main;sf_lib_outer;$CHAIN")" "$total" 80 "$OUT"
		expect_eq "$x: sf_leaf is in libsymfix.so" "$(basename "$(val leaf_module "$OUT")")" \
			libsymfix.so "$OUT"
		;;
	*)
		expect_eq "$x: sf_leaf is in the executable" "$(val leaf_module "$OUT")" \
			"$(readlink -f "$FIXTURES/$x")" "$OUT"
		;;
	esac
done

# The build-id debuginfo is what names symfix-buildid: an empty debug dir
# leaves it without names (the binary itself has none).
mkdir -p "$TMP/nodebug"
run_cmd env PROFRUN_DEBUG_DIR="$TMP/nodebug" "$PROFRUN" -F 499 -c "$FIXTURES/symfix-buildid 0.5" \
	"$TMP/folded.lua"
expect_rc "symfix-buildid, empty debug dir: exit 0" 0
expect_ge "symfix-buildid, empty debug dir: samples (>= 50)" "$(val total "$OUT")" 50 "$OUT" "$ERR"
expect_no_grep "symfix-buildid, empty debug dir: no sf_ name" "$OUT" '^stack.*;sf_'

# Stripped of everything: offsets only, and a negative cache entry.
x=symfix-stripped
run_profrun -F 499 -c "$FIXTURES/$x 1" "$TMP/folded.lua"
expect_rc "$x: exit 0" 0
total=$(val total "$OUT")
expect_ge "$x: samples (>= 100)" "$total" 100 "$OUT" "$ERR"
expect_no_grep "$x: no sf_ name at all" "$OUT" 'sf_'
expect_pct_ge "$x: >= 80% of samples show symfix-stripped+0x frames" \
	"$(samples_with "$OUT" ";symfix-stripped+0x")" "$total" 80 "$OUT"
expect_ge "$x: stats().symbols.negative >= 1" "$(val negative "$OUT")" 1 "$OUT"

finish
