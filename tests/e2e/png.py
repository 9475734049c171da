# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# tests/e2e/png.py: reads a screenshot PNG (8-bit RGB/RGBA, not
# interlaced, the kind Chromium writes) without PIL, for the flame graph
# tests.
#   python3 png.py colors FILE       distinct colours (every 4th pixel)
#   python3 png.py count FILE R G B  pixels of exactly that colour
import sys, zlib, struct

def rows(path):
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
    prev, p = bytearray(stride), 0
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
        yield line, bpp
        prev = line

if sys.argv[1] == 'colors':
    seen = set()
    for line, bpp in rows(sys.argv[2]):
        for x in range(0, len(line), bpp * 4): seen.add(bytes(line[x:x + 3]))
    print(len(seen))
elif sys.argv[1] == 'count':
    want, n = bytes(int(v) for v in sys.argv[3:6]), 0
    for line, bpp in rows(sys.argv[2]):
        for x in range(0, len(line), bpp):
            if line[x:x + 3] == want: n += 1
    print(n)
