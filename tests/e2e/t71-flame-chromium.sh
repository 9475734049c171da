#!/bin/bash
# The flame graph of a known workload (burn: burn_heavy and burn_light
# under main), drawn by headless Chromium: the screenshot is not blank.
# Its PNG must be much larger than a screenshot of an empty SVG taken the
# same way and, when python3 is there, have more than 2 colours. Needs
# chromium (Debian package chromium); skips only when it is missing.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures burn
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
if [ -z "$CHROMIUM" ] || [ ! -x "$CHROMIUM" ]; then
	skip_all "needs chromium (Debian package chromium)"
fi

RUN_TIMEOUT=60
mkdir -p "$TMP/home"

# shot NAME URL: screenshot of URL at 1200x800 into $TMP/NAME.png
shot() {
	rm -rf "$TMP/ud"
	run_cmd env HOME="$TMP/home" "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$TMP/ud" \
		--screenshot="$TMP/$1.png" --window-size=1200,800 "$2"
	if [ "$RC" = 0 ] && [ -s "$TMP/$1.png" ]; then
		pass "chromium: $1.png"
	else
		fail "chromium: $1.png" "exit status $RC, no screenshot" "$OUT" "$ERR"
	fi
}


run_profrun -F 499 -c "$FIXTURES/burn 2" "$EXAMPLES/flamegraph.lua" "$TMP/out.svg"
expect_rc "flamegraph.lua: exit 0" 0
[ -s "$TMP/out.svg" ] || { fail "out.svg: written" "missing or empty" "$OUT" "$ERR"; finish; }

cat >"$TMP/empty.svg" <<'SVG'
<?xml version="1.0" encoding="UTF-8"?>
<svg version="1.1" xmlns="http://www.w3.org/2000/svg" width="1200" height="800"></svg>
SVG

shot flame "file://$TMP/out.svg"
shot empty "file://$TMP/empty.svg"
flame_size=$(stat -c %s "$TMP/flame.png" 2>/dev/null || echo 0)
empty_size=$(stat -c %s "$TMP/empty.png" 2>/dev/null || echo 0)
expect_gt "flame.png larger than 2x empty.png ($flame_size vs $empty_size bytes)" \
	"$flame_size" $((2 * empty_size))

if command -v python3 >/dev/null 2>&1 && [ -s "$TMP/flame.png" ]; then
	colors=$(python3 "$E2E_DIR/png.py" colors "$TMP/flame.png" 2>"$TMP/colors.err")
	expect_gt "flame.png: more than 2 colours ($colors)" "$colors" 2 "$TMP/colors.err"
else
	echo "# no python3: colours not counted"
fi

# the embedded script runs: ?s= starts a search that marks burn_heavy
rm -rf "$TMP/ud"
run_cmd env HOME="$TMP/home" "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	--disable-quic --no-first-run --disable-background-networking \
	--disable-component-update --disable-sync --user-data-dir="$TMP/ud" \
	--dump-dom "file://$TMP/out.svg?s=^burn_heavy\$"
expect_grep "script: search marks burn_heavy" "$OUT" '<g class="f m"[^>]*><title>burn_heavy '
expect_grep "script: matched percentage" "$OUT" '>Matched: [0-9.]+% \('

finish
