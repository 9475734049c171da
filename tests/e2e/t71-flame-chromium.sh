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

# distinct colours of a PNG (8-bit RGB/RGBA, every 4th pixel), no PIL needed
cat >"$TMP/colors.py" <<'PY'
import sys, zlib, struct
def colors(path):
    d = open(path, 'rb').read()
    assert d[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    i, idat, ihdr = 8, [], None
    while i < len(d):
        n, t = struct.unpack('>I4s', d[i:i + 8])
        body = d[i + 8:i + 8 + n]
        if t == b'IHDR': ihdr = struct.unpack('>IIBBBBB', body)
        elif t == b'IDAT': idat.append(body)
        i += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    bpp = {2: 3, 6: 4}.get(ctype)
    assert depth == 8 and bpp and not interlace, 'unsupported PNG %r' % (ihdr,)
    raw, stride = zlib.decompress(b''.join(idat)), w * bpp
    prev, seen, p = bytearray(stride), set(), 0
    for _ in range(h):
        f, line = raw[p], bytearray(raw[p + 1:p + 1 + stride]); p += 1 + stride
        if f == 1:
            for x in range(bpp, stride): line[x] = (line[x] + line[x - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for x in range(stride):
                line[x] = (line[x] + ((line[x - bpp] if x >= bpp else 0) + prev[x]) // 2) & 255
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp * 4): seen.add(bytes(line[x:x + 3]))
        prev = line
    return len(seen)
print(colors(sys.argv[1]))
PY

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
	colors=$(python3 "$TMP/colors.py" "$TMP/flame.png" 2>"$TMP/colors.err")
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
