#!/bin/bash
# fleet-profile.lua pushing to Pyroscope's /ingest (pprof) and to an OTLP
# collector's /v1development/profiles at once, both captured by a loopback
# receiver this test starts. The pprof bodies (multipart "profile" parts)
# decode with `go tool pprof`: burn's leaves, burn_heavy above burn_light,
# and every sample accounted for; the name carries the labels, from/until
# cover the windows. The OTLP bodies decode with `protoc --decode_raw`
# (Debian's protobuf-compiler); the test reads them by field number (the
# messages of opentelemetry-proto v1.5.0): resource attributes, the string
# table, the samples' values and their leaf functions.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-export.sh"
command -v go >/dev/null 2>&1 || skip_all "needs go (Debian package golang-go)"
command -v protoc >/dev/null 2>&1 || skip_all "needs protoc (Debian package protobuf-compiler)"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
require_bpf
require_fixtures burn

RUN_TIMEOUT=60
mkdir -p "$TMP/req" "$TMP/home" "$TMP/gocache" "$TMP/gopath"
cat >"$TMP/receiver.py" <<'EOS'
import http.server, os, sys
out, port = sys.argv[1], int(sys.argv[2])
n = 0
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global n
        body = self.rfile.read(int(self.headers["Content-Length"]))
        n += 1
        base = os.path.join(out, "%04d" % n)
        with open(base + ".body", "wb") as f: f.write(body)
        with open(base + ".meta", "w") as f:
            f.write(self.path + "\n" + self.headers.get("Content-Type", "") + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOS
port=$(free_port)
python3 "$TMP/receiver.py" "$TMP/req" "$port" &
track_pid $!
wait_port "$port"

run_profrun -F 499 -c "$FIXTURES/burn 4" "$EXAMPLES/fleet-profile.lua" -- \
	--pyroscope "http://127.0.0.1:$port" --otlp "http://127.0.0.1:$port/" --window 1 \
	--label env=ci --host h1
expect_rc "fleet-profile: exit 0" 0
samples=$(sed -n 's/^fleet-profile: \([0-9]*\) samples.*/\1/p' "$OUT")
expect_ge "samples (>= 500)" "${samples:-x}" 500 "$OUT" "$ERR"
expect_grep "nothing waiting or dropped" "$OUT" ' 0 waiting, 0 dropped$'

# ---- Pyroscope: /ingest with a pprof part ----
python3 - "$TMP/req" >"$TMP/ingest.txt" <<'EOS'
import glob, sys, urllib.parse
for meta in sorted(glob.glob(sys.argv[1] + "/*.meta")):
    path, ctype = open(meta).read().split("\n")[:2]
    u = urllib.parse.urlparse(path)
    if u.path != "/ingest":
        continue
    q = urllib.parse.parse_qs(u.query)
    boundary = ctype.split("boundary=")[1].encode()
    body = open(meta[:-5] + ".body", "rb").read()
    parts = body.split(b"--" + boundary)
    prof = [p for p in parts if b'name="profile"' in p][0]
    data = prof.split(b"\r\n\r\n", 1)[1][:-2]
    out = meta[:-5] + ".pb.gz"
    open(out, "wb").write(data)
    print("ingest name=%s from=%s until=%s format=%s rate=%s file=%s" % (q["name"][0],
        q["from"][0], q["until"][0], q["format"][0], q["sampleRate"][0], out))
EOS
expect_ge "pyroscope: one push per window (>= 3)" "$(grep -c '^ingest' "$TMP/ingest.txt")" 3 "$TMP/ingest.txt"
expect_eq "pyroscope: name with labels, format, rate" \
	"$(grep -vc '^ingest name=profrun.cpu{env=ci,host=h1} from=[0-9]* until=[0-9]* format=pprof rate=499 ' "$TMP/ingest.txt")" 0 "$TMP/ingest.txt"
expect_eq "pyroscope: from <= until in every push" \
	"$(awk '{ split($3, f, "="); split($4, u, "="); if (f[2] > u[2]) bad++ } END { print bad + 0 }' "$TMP/ingest.txt")" 0
HOME=$TMP/home GOCACHE=$TMP/gocache GOPATH=$TMP/gopath GOTOOLCHAIN=local GOPROXY=off GOFLAGS='' \
	PPROF_TMPDIR=$TMP run_cmd go tool pprof -top -symbolize=none -sample_index=samples \
	$(sed -n 's/.* file=//p' "$TMP/ingest.txt")
expect_rc "go tool pprof reads every pushed profile" 0
expect_grep "pprof: burn_heavy" "$OUT" ' burn_heavy$'
expect_grep "pprof: burn_light" "$OUT" ' burn_light$'
heavy=$(awk '$NF == "burn_heavy" { print $1; exit }' "$OUT")
light=$(awk '$NF == "burn_light" { print $1; exit }' "$OUT")
if _is_int "$heavy" && _is_int "$light" && [ "$heavy" -gt "$light" ]; then
	pass "pprof: burn_heavy above burn_light ($heavy > $light)"
else
	fail "pprof: burn_heavy above burn_light" "heavy=$heavy light=$light" "$OUT"
fi
expect_eq "pprof: every sample pushed" \
	"$(sed -n 's/.* of \([0-9]*\) total.*/\1/p' "$OUT" | head -1)" "${samples:-x}" "$OUT"

# ---- OTLP: /v1development/profiles, protobuf ----
n=0
: >"$TMP/otlp.txt"
for meta in "$TMP"/req/*.meta; do
	[ "$(head -1 "$meta")" = /v1development/profiles ] || continue
	n=$((n + 1))
	[ "$(sed -n 2p "$meta")" = application/x-protobuf ] || fail "otlp: content type" "$(sed -n 2p "$meta")"
	if ! protoc --decode_raw <"${meta%.meta}.body" >"${meta%.meta}.txt" 2>"$TMP/protoc.err"; then
		fail "otlp: protoc --decode_raw reads the body" "$(cat "$TMP/protoc.err")"
	fi
done
expect_ge "otlp: one export per window (>= 3)" "$n" 3
# decode_raw's text as a tree; then by field number:
# request 1 resource_profiles > 1 resource > 1 attributes {1 key, 2 {1 string}}
#                             > 2 scope_profiles > 2 profile
# profile: 1 sample_type, 2 sample {1 start, 2 length, 3 value...}, 4 location
# {3 line {1 function_index}}, 5 location_indices, 6 function {1 name}, 10 strings
python3 - "$TMP"/req/*.txt >"$TMP/otlp.txt" <<'EOS'
import ast, sys
def parse(lines):
    root, stack = [], []
    cur = root
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if line == "}":
            cur = stack.pop()
        elif line.endswith("{"):
            node = []
            cur.append((int(line.split()[0]), node))
            stack.append(cur)
            cur = node
        else:
            k, v = line.split(": ", 1)
            v = ast.literal_eval(v if not v.startswith('"') else "b" + v) if v[0] in '"-0123456789' else v
            cur.append((int(k), v))
    return root
def get(node, f): return [v for k, v in node if k == f]
def text_node(v): return v if isinstance(v, list) else parse_bytes(v)
def parse_bytes(b): raise ValueError("AnyValue shown as a string")
def varint(n):
    out = b""
    while True:
        b, n = n & 0x7f, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out
# decode_raw shows a string whose bytes happen to parse as a message as that
# message ("h1" is field 13 = 49): encoded back, it is the string again
def text(v):
    if isinstance(v, bytes):
        return v
    out = b""
    for k, x in v:
        if isinstance(x, int):
            out += varint(k << 3) + varint(x)
        elif isinstance(x, str) and x.startswith("0x"):
            w = 5 if len(x) == 10 else 1
            out += varint(k << 3 | w) + int(x, 16).to_bytes(4 if w == 5 else 8, "little")
        else:
            b = text(x)
            out += varint(k << 3 | 2) + varint(len(b)) + b
    return out
total = heavy = light = 0
attrs = set()
strings_ok = True
for path in sys.argv[1:]:
    req = parse(open(path))
    for rp in get(req, 1):
        for res in get(rp, 1):
            for kv in get(res, 1):
                val = get(text_node(get(kv, 2)[0]), 1)[0]
                attrs.add((text(get(kv, 1)[0]).decode(), text(val).decode()))
        for sp in get(rp, 2):
            for prof in get(sp, 2):
                strings = [text(s) for s in get(prof, 10)]
                strings_ok = strings_ok and strings[0] == b""
                funcs = [get(f, 1)[0] if get(f, 1) else 0 for f in get(prof, 6)]
                locs = [get(get(l, 3)[0], 1) for l in get(prof, 4)]
                locs = [x[0] if x else 0 for x in locs]
                idx = get(prof, 5)
                types = [(strings[get(t, 1)[0]], strings[get(t, 2)[0]]) for t in get(prof, 1)]
                assert types == [(b"samples", b"count"), (b"cpu", b"nanoseconds")], types
                for s in get(prof, 2):
                    start = (get(s, 1) or [0])[0]
                    vals = get(s, 3)
                    total += vals[0]
                    assert vals[1] == vals[0] * get(prof, 14)[0], (vals, get(prof, 14))
                    leaf = strings[funcs[locs[idx[start]]]]
                    if leaf == b"burn_heavy": heavy += vals[0]
                    if leaf == b"burn_light": light += vals[0]
print("total=%d" % total)
print("heavy=%d" % heavy)
print("light=%d" % light)
print("strings0_empty=%d" % strings_ok)
for k, v in sorted(attrs):
    print("attr_%s=%s" % (k, v))
EOS
expect_eq "otlp: the bodies read by field number" "$?" 0 "$TMP/otlp.txt"
expect_eq "otlp: samples (value[0]) = samples delivered" "$(val total "$TMP/otlp.txt")" "${samples:-x}" "$TMP/otlp.txt"
expect_eq "otlp: string_table[0] is empty" "$(val strings0_empty "$TMP/otlp.txt")" 1
expect_eq "otlp: resource service.name" "$(val attr_service.name "$TMP/otlp.txt")" profrun
expect_eq "otlp: resource host.name" "$(val attr_host.name "$TMP/otlp.txt")" h1
expect_eq "otlp: resource label env" "$(val attr_env "$TMP/otlp.txt")" ci
heavy=$(val heavy "$TMP/otlp.txt")
light=$(val light "$TMP/otlp.txt")
if _is_int "$heavy" && _is_int "$light" && [ "$light" -gt 0 ] &&
	[ $((heavy * 10)) -ge $((light * 20)) ] && [ $((heavy * 10)) -le $((light * 45)) ]; then
	pass "otlp: leaf burn_heavy/burn_light between 2 and 4.5 ($heavy/$light)"
else
	fail "otlp: leaf burn_heavy/burn_light between 2 and 4.5" "heavy=$heavy light=$light" "$TMP/otlp.txt"
fi
finish
