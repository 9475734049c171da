#!/bin/bash
# A flame graph with deep stacks opens with its hot part in view. The
# deepburn fixture spends 90% of its time in deep_hot, three frames from
# the root, and 10% at the top of a 150-deep recursion. Its SVG, drawn by
# headless Chromium in a 1400x900 window (what a person opening the file
# sees first), must show deep_hot: its rectangle lies inside the first
# 1400x900 px by the SVG's own coordinates, and the screenshot has at
# least half of its area in its exact fill colour. Needs chromium
# (Debian package chromium) and python3 for the pixels; skips without.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures deepburn
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
if [ -z "$CHROMIUM" ] || [ ! -x "$CHROMIUM" ]; then
	skip_all "needs chromium (Debian package chromium)"
fi
command -v python3 >/dev/null 2>&1 || skip_all "needs python3 (to read the screenshot)"

VIEW_W=1400
VIEW_H=900
mkdir -p "$TMP/home"

run_profrun -F 499 -c "$FIXTURES/deepburn 2 150" "$EXAMPLES/flamegraph.lua" "$TMP/out.svg" \
	"$TMP/out.folded"
expect_rc "flamegraph.lua: exit 0" 0
[ -s "$TMP/out.svg" ] || { fail "out.svg: written" "missing or empty" "$OUT" "$ERR"; finish; }

# the profile is deep: the premise of the test
depth=$(awk '{ n = split($1, f, ";"); if (n > m) m = n } END { print m + 0 }' "$TMP/out.folded")
expect_ge "folded: a stack of 100+ frames" "$depth" 100 "$TMP/out.folded"
height=$(sed -n 's/^<svg [^>]* height="\([0-9]*\)".*/\1/p' "$TMP/out.svg" | head -1)
expect_gt "svg: taller than the window ($height px)" "$height" "$VIEW_H"

# deep_hot's rectangle and fill, from the SVG
g=$(grep -m1 '<title>deep_hot (' "$TMP/out.svg")
read -r x y w h r gr b <<<"$(sed -n 's/.*<rect x="\([0-9.]*\)" y="\([0-9.]*\)" width="\([0-9.]*\)" height="\([0-9.]*\)"[^>]* fill="rgb(\([0-9]*\),\([0-9]*\),\([0-9]*\))".*/\1 \2 \3 \4 \5 \6 \7/p' <<<"$g")"
if [ -z "$b" ]; then
	fail "svg: a deep_hot frame" "no deep_hot rectangle with an rgb fill" "$TMP/out.folded"
	finish
fi
pass "svg: a deep_hot frame at x=$x y=$y ${w}x$h, rgb($r,$gr,$b)"
inside=$(awk -v x="$x" -v y="$y" -v w="$w" -v h="$h" -v vw="$VIEW_W" -v vh="$VIEW_H" \
	'BEGIN { print (x >= 0 && y >= 0 && x + w <= vw && y + h <= vh) ? 1 : 0 }')
expect_eq "svg: deep_hot inside the first ${VIEW_W}x$VIEW_H" "$inside" 1
# wide enough to count: 90% of the samples is far more than 100 px
wide=$(awk -v w="$w" 'BEGIN { print (w >= 100) ? 1 : 0 }')
expect_eq "svg: deep_hot is wide (${w} px)" "$wide" 1

rm -rf "$TMP/ud"
run_cmd env HOME="$TMP/home" "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	--disable-quic --no-first-run --disable-background-networking \
	--disable-component-update --disable-sync --user-data-dir="$TMP/ud" \
	--hide-scrollbars --screenshot="$TMP/view.png" --window-size=$VIEW_W,$VIEW_H \
	"file://$TMP/out.svg"
if [ "$RC" != 0 ] || [ ! -s "$TMP/view.png" ]; then
	fail "chromium: view.png" "exit status $RC, no screenshot" "$OUT" "$ERR"
	finish
fi
pass "chromium: view.png"

# pixels of deep_hot's colour on screen: at least half its area (its label
# and the rounded corners cover some)
px=$(python3 "$E2E_DIR/png.py" count "$TMP/view.png" "$r" "$gr" "$b" 2>"$TMP/png.err")
min=$(awk -v w="$w" -v h="$h" 'BEGIN { printf "%d\n", w * h / 2 }')
expect_ge "screenshot: deep_hot's colour on screen ($px px)" "$px" "$min" "$TMP/png.err"

finish
