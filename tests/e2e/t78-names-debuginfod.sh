#!/bin/bash
# Names for a stripped binary. inlfix-stripped has no symbols and no
# debuginfo anywhere profrun looks; its debug file is served only by a real
# debuginfod (Debian's server, on a loopback port, over a directory with
# that one file).
#  - DEBUGINFOD_URLS set: hot_loop and its inline frames are named, with
#    lines, in what on_end prints; stats().symbols.debuginfod counts it
#  - unset (or --no-debuginfod): function ranges (inlfix-stripped+0xSTART,
#    START = hot_loop's file offset), one name per function
#  - a server that is down, and one that accepts and never answers: no
#    sample lost, the run ends on time, one failure per build id, ranges
#  - 50 binaries with one build id the server does not have: one request
#    in the server's log
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures inlfix-stripped symfix-buildid
command -v debuginfod >/dev/null || skip_all "needs debuginfod (Debian package debuginfod)"

RUN_TIMEOUT=60
unset DEBUGINFOD_URLS
STRIP=$(readlink -f "$FIXTURES/inlfix-stripped")
DEBUG_FILE=$FIXTURES/debuginfod/inlfix-stripped.debug
build_id() { readelf -n "$1" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p'; }
ID=$(build_id "$STRIP")
expect_eq "fixture: the debug file has the binary's build id" "$(build_id "$DEBUG_FILE")" "$ID"
HOT_OFF=$(nm "$DEBUG_FILE" | awk '$3 == "hot_loop" { print $1 }')
read -r SEG_OFF SEG_VA < <(readelf -lW "$STRIP" | awk '$1 == "LOAD" && $7 ~ /E/ { print $2, $3; exit }')
HOT_NAME=$(printf 'inlfix-stripped+0x%x' $((0x$HOT_OFF - SEG_VA + SEG_OFF)))

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# the server: serves $TMP/srv, which holds only the debug file
mkdir -p "$TMP/srv" "$TMP/empty"
cp "$DEBUG_FILE" "$TMP/srv/"
PORT=$(free_port)
env -u DEBUGINFOD_URLS debuginfod -p "$PORT" -F "$TMP/srv" -d "$TMP/db.sqlite" -v \
	>"$TMP/server.log" 2>&1 &
SERVER=$!
track_pid "$SERVER"
ready=0
for _ in $(seq 1 100); do
	if curl -sf -o /dev/null "http://127.0.0.1:$PORT/buildid/$ID/debuginfo"; then
		ready=1
		break
	fi
	sleep 0.1
done
expect_eq "server: serves the debug file by build id" "$ready" 1 "$TMP/server.log"
URL=http://127.0.0.1:$PORT
requests_for() { grep -c "/buildid/$1/debuginfo" "$TMP/server.log"; }
before=$(requests_for "$ID")

# The script keeps stack ids and names them in on_end (and the flame
# graph of examples/flamegraph.lua, which does the same).
cat >"$TMP/names.lua" <<'EOF'
local want = arg[1]
local by_stack, total = {}, 0
function on_sample(s)
  by_stack[s.stack] = (by_stack[s.stack] or 0) + 1
end
function on_end()
  local leaf, chain, lines = {}, 0, 0
  for id, n in pairs(by_stack) do
    local fr = stack(id)
    local first
    for i, f in ipairs(fr) do if not f.kernel then first = i; break end end
    if first and fr[first].module == want then
      total = total + n
      leaf[fr[first].name or "?"] = (leaf[fr[first].name or "?"] or 0) + n
      local names = {}
      for i = first, #fr do names[#names + 1] = fr[i].name or "?" end
      local s = table.concat(names, ";")
      if s:find("^inl_leaf;inl_mid;inl_top;hot_loop;main;") then chain = chain + n end
      if fr[first].line and fr[first].file and fr[first].file:find("inlfix.c$") then
        lines = lines + n
      end
    end
  end
  for name, n in pairs(leaf) do print("leaf\t" .. n .. "\t" .. name) end
  local distinct = 0
  for _ in pairs(leaf) do distinct = distinct + 1 end
  print("total=" .. total)
  print("chain=" .. chain)
  print("lines=" .. lines)
  print("distinct_leaves=" .. distinct)
  local st = stats()
  local d = st.symbols.debuginfod
  print("requests=" .. d.requests)
  print("fetched=" .. d.fetched)
  print("cached=" .. d.cached)
  print("not_found=" .. d.not_found)
  print("failed=" .. d.failed)
  print("bytes=" .. d.bytes)
  print("ranges=" .. st.symbols.ranges)
  print("dropped=" .. st.sample.dropped)
end
EOF

# 1. named through debuginfod
export PROFRUN_DEBUG_DIR=$TMP/empty
DEBUGINFOD_URLS=$URL DEBUGINFOD_CACHE_PATH=$TMP/cache1 \
	run_profrun -F 999 -c "$STRIP 2" "$TMP/names.lua" "$STRIP"
expect_rc "debuginfod: exit 0" 0
total=$(val total "$OUT")
expect_ge "debuginfod: samples in inlfix-stripped (>= 500)" "$total" 500 "$OUT" "$ERR"
expect_ge "debuginfod: >= 95% of them read inl_leaf;inl_mid;inl_top;hot_loop;main" \
	"$(val chain "$OUT")" $((${total:-0} * 95 / 100)) "$OUT"
expect_ge "debuginfod: >= 95% have their line in inlfix.c" \
	"$(val lines "$OUT")" $((${total:-0} * 95 / 100)) "$OUT"
expect_eq "debuginfod: fetched once" "$(val fetched "$OUT")" 1 "$OUT"
expect_gt "debuginfod: bytes fetched" "$(val bytes "$OUT")" 0 "$OUT"
expect_eq "debuginfod: no sample dropped" "$(val dropped "$OUT")" 0 "$OUT"
expect_eq "server: asked once for the build id" $(($(requests_for "$ID") - before)) 1 "$TMP/server.log"
check "debuginfod: the file is in DEBUGINFOD_CACHE_PATH" test -s "$TMP/cache1/$ID/debuginfo"

# the second run finds it in the cache: no request
before=$(requests_for "$ID")
DEBUGINFOD_URLS=$URL DEBUGINFOD_CACHE_PATH=$TMP/cache1 \
	run_profrun -F 999 -c "$STRIP 1" "$TMP/names.lua" "$STRIP"
expect_eq "cache: counted as cached" "$(val cached "$OUT")" 1 "$OUT"
expect_eq "cache: the server is not asked again" $(($(requests_for "$ID") - before)) 0 "$TMP/server.log"
expect_ge "cache: named" "$(val chain "$OUT")" $(($(val total "$OUT") * 95 / 100)) "$OUT"

# 2. no server: function ranges from the FDEs
ranges_ok() { # NAME: the run in OUT shows ranges, hot_loop's for most samples
	local total hot
	total=$(val total "$OUT")
	hot=$(awk -F'\t' -v n="$HOT_NAME" '$1 == "leaf" && $3 == n { print $2 }' "$OUT")
	expect_ge "$1: >= 95% of the samples in $HOT_NAME" "${hot:-0}" $((${total:-0} * 95 / 100)) "$OUT"
	expect_eq "$1: no inline chain without DWARF" "$(val chain "$OUT")" 0 "$OUT"
	expect_gt "$1: stats().symbols.ranges counts them" "$(val ranges "$OUT")" 0 "$OUT"
	expect_eq "$1: no sample dropped" "$(val dropped "$OUT")" 0 "$OUT"
}
DEBUGINFOD_CACHE_PATH=$TMP/cache2 \
	run_profrun -F 999 -c "$STRIP 2" "$TMP/names.lua" "$STRIP"
expect_rc "no DEBUGINFOD_URLS: exit 0" 0
ranges_ok "no DEBUGINFOD_URLS"
expect_eq "no DEBUGINFOD_URLS: no request" "$(val requests "$OUT")" 0 "$OUT"
# per function, not per instruction: the hot loop's many addresses are
# one or two names (hot_loop's, main's)
if _is_int "$(val distinct_leaves "$OUT")" && [ "$(val distinct_leaves "$OUT")" -le 3 ]; then
	pass "no DEBUGINFOD_URLS: samples grouped per function ($(val distinct_leaves "$OUT") names)"
else
	fail "no DEBUGINFOD_URLS: samples grouped per function" "$(val distinct_leaves "$OUT") names" "$OUT"
fi
before=$(requests_for "$ID")
DEBUGINFOD_URLS=$URL DEBUGINFOD_CACHE_PATH=$TMP/cache3 \
	run_profrun -F 999 --no-debuginfod -c "$STRIP 1" "$TMP/names.lua" "$STRIP"
ranges_ok "--no-debuginfod"
expect_eq "--no-debuginfod: the server is not asked" $(($(requests_for "$ID") - before)) 0 "$TMP/server.log"

# 3. a server that is down: one failure, ranges, on time
DOWN=$(free_port)
t0=$(date +%s%N)
DEBUGINFOD_URLS=http://127.0.0.1:$DOWN DEBUGINFOD_CACHE_PATH=$TMP/cache4 \
	run_profrun -F 999 -c "$STRIP 2" "$TMP/names.lua" "$STRIP"
t1=$(date +%s%N)
expect_rc "server down: exit 0" 0
ranges_ok "server down"
expect_eq "server down: failed once for inlfix-stripped's build id (one binary asks)" \
	"$(val failed "$OUT")" "$(val requests "$OUT")" "$OUT"
expect_ge "server down: at least one failure" "$(val failed "$OUT")" 1 "$OUT"
expect_within "server down: ends on time (a 2 s run)" 6 $(((t1 - t0) / 1000000000))

# 4. a server that accepts and never answers: bounded by --debuginfod-timeout
HANG=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
time.sleep(120)' "$HANG" &
track_pid $!
sleep 0.3
t0=$(date +%s%N)
DEBUGINFOD_URLS=http://127.0.0.1:$HANG DEBUGINFOD_CACHE_PATH=$TMP/cache5 \
	run_profrun -F 999 --debuginfod-timeout 2s -c "$STRIP 3" "$TMP/names.lua" "$STRIP"
t1=$(date +%s%N)
expect_rc "silent server: exit 0" 0
ranges_ok "silent server"
expect_ge "silent server: samples keep coming (>= 1500 in 3 s at 999 Hz)" "$(val total "$OUT")" 1500 "$OUT"
expect_ge "silent server: a failure counted" "$(val failed "$OUT")" 1 "$OUT"
expect_eq "silent server: each build id failed once" "$(val failed "$OUT")" "$(val requests "$OUT")" "$OUT"
expect_within "silent server: ends on time (a 3 s run + the 2 s timeout)" 9 \
	$(((t1 - t0) / 1000000000))

# 5. the negative cache: 50 copies (50 binaries, one build id the server
# does not have) running while profrun samples the machine; the server is
# asked once
SYMID=$(build_id "$FIXTURES/symfix-buildid")
mkdir -p "$TMP/copies"
for i in $(seq 1 50); do cp "$FIXTURES/symfix-buildid" "$TMP/copies/s$i"; done
before=$(requests_for "$SYMID")
cat >"$TMP/count.lua" <<'EOF'
local seen = {}
function on_sample(s)
  for _, f in ipairs(s:frames()) do
    if f.module and f.module:find("/copies/s%d+$") then seen[f.module] = true end
  end
end
function on_end()
  local n = 0
  for _ in pairs(seen) do n = n + 1 end
  print("binaries=" .. n)
  local d = stats().symbols.debuginfod
  print("not_found=" .. d.not_found)
end
EOF
# started (and exec'd) before profrun: their maps are settled when first
# read; at nice 19, so that 50 busy processes on this machine's CPUs do not
# starve profrun's loop (a CI run handed 2 of ~800 samples before the
# stop, the script's on_sample waiting for its turn on a CPU)
for i in $(seq 1 50); do
	nice -n 19 "$TMP/copies/s$i" 10 &
	track_pid $!
done
sleep 0.5
# 99 Hz: ~12 samples for each copy, and the whole machine's samples stay
# few enough for the script to name every one as it goes
DEBUGINFOD_URLS=$URL DEBUGINFOD_CACHE_PATH=$TMP/cache6 \
	run_profrun -F 99 -d 4 "$TMP/count.lua"
expect_rc "50 copies: exit 0" 0
expect_ge "50 copies: >= 10 of the binaries sampled (each looks the build id up)" \
	"$(val binaries "$OUT")" 10 "$OUT" "$ERR"
expect_eq "50 copies: one request for their build id in the server's log" \
	$(($(requests_for "$SYMID") - before)) 1 "$TMP/server.log"
expect_ge "50 copies: not found counted" "$(val not_found "$OUT")" 1 "$OUT"

finish
