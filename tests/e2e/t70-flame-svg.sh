#!/bin/bash
# examples/flamegraph.lua on a known workload: burn spends 3/4 of its CPU
# in burn_heavy and 1/4 in burn_light, both called from main. The SVG is
# well-formed XML with those frames, and the folded file counts more
# burn_heavy samples than burn_light ones.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures burn

RUN_TIMEOUT=40

# xml_ok FILE: well-formed XML? xmllint (libxml2-utils), else python3
xml_ok() {
	if command -v xmllint >/dev/null 2>&1; then
		xmllint --noout "$1"
	elif command -v python3 >/dev/null 2>&1; then
		python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1"
	else
		echo "# no XML checker: install libxml2-utils (xmllint) or python3" >&2
		return 1
	fi
}

run_profrun -F 499 -c "$FIXTURES/burn 2" "$EXAMPLES/flamegraph.lua" "$TMP/out.svg" "$TMP/out.folded"
expect_rc "flamegraph.lua: exit 0" 0
expect_grep "flamegraph.lua: says where and how many" "$OUT" \
	"^wrote $TMP/out.svg: [0-9]+ samples, [0-9]+ stacks; folded stacks in $TMP/out.folded\$"
samples=$(sed -n 's/^wrote .*: \([0-9]*\) samples.*/\1/p' "$OUT")
expect_ge "flamegraph.lua: samples (>= 300)" "$samples" 300 "$OUT" "$ERR"

if [ -s "$TMP/out.svg" ]; then
	if xml_ok "$TMP/out.svg" >"$TMP/xml.err" 2>&1; then
		pass "out.svg: well-formed XML"
	else
		fail "out.svg: well-formed XML" "not well-formed (or no checker)" "$TMP/xml.err"
	fi
	for name in main burn_heavy burn_light; do
		expect_grep "out.svg: a $name frame" "$TMP/out.svg" "<title>$name \\([0-9]+ samples, "
	done
	expect_grep "out.svg: the script" "$TMP/out.svg" '<script type="text/ecmascript">'
else
	fail "out.svg: written" "missing or empty" "$OUT" "$ERR"
fi

if [ -s "$TMP/out.folded" ]; then
	expect_grep "out.folded: stack count lines" "$TMP/out.folded" '^burn;.*main;burn_heavy [0-9]+$'
	# the burn_heavy and burn_light leaves (user frames only)
	heavy=$(awk '$1 ~ /;burn_heavy$/ { print $2; exit }' "$TMP/out.folded")
	light=$(awk '$1 ~ /;burn_light$/ { print $2; exit }' "$TMP/out.folded")
	expect_gt "out.folded: burn_light samples" "$light" 0 "$TMP/out.folded"
	if _is_int "$heavy" && _is_int "$light" && [ "$heavy" -gt "$light" ]; then
		pass "out.folded: burn_heavy count > burn_light count ($heavy > $light)"
	else
		fail "out.folded: burn_heavy count > burn_light count" \
			"heavy=$heavy light=$light" "$TMP/out.folded"
	fi
else
	fail "out.folded: written" "missing or empty" "$OUT" "$ERR"
fi

finish
