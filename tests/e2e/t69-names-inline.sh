#!/bin/bash
# Source lines and inline frames from DWARF: inlfix (-O2 -g) burns its CPU
# in inl_leaf <- inl_mid <- inl_top, all always_inline into hot_loop. For
# every distinct address sampled in inlfix, profrun's frames at that
# address (names, files, lines, inline order) equal `eu-addr2line -f -i`
# on the same address; --no-inline keeps one frame per address (with the
# function's line); the folded stacks carry the inline frames and the
# flame graph reads them (tooltips say inlined); pprof has one Location
# with a Line per inline level, which `go tool pprof -lines` lists.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-lines.sh"
require_bpf
require_fixtures inlfix
command -v eu-addr2line >/dev/null || skip_all "needs eu-addr2line (Debian package elfutils)"

RUN_TIMEOUT=60
INL=$(readlink -f "$FIXTURES/inlfix")
SRC=$ROOT/tests/fixtures/names/inlfix.c

lines_leaf_script "$TMP/leaf.lua"

run_profrun -F 999 -c "$INL 2" "$TMP/leaf.lua" "$INL"
expect_rc "inline: exit 0" 0
LEAF=$OUT
total=$(val total "$LEAF")
expect_ge "inline: samples in inlfix (>= 500)" "$total" 500 "$LEAF" "$ERR"
expect_ge "inline: samples with 3 inline frames above hot_loop (>= 50%)" \
	"$(val deep "$LEAF")" $((${total:-0} / 2)) "$LEAF"
expect_eq "inline: only the last frame of an address is not inlined" "$(val bad_flags "$LEAF")" 0 "$LEAF"
expect_gt "inline: stats().symbols.lines counts addresses with lines" "$(val lines "$LEAF")" 0 "$LEAF"
expect_gt "inline: stats().symbols.inlined counts inline frames" "$(val inlined "$LEAF")" 0 "$LEAF"

lines_expect_addr2line inline "$INL" "$LEAF"
LEAF_LINE=$(grep -n 'x = x \* 6364136223846793005ull' "$SRC" | cut -d: -f1)
expect_grep "inline: the hot chain, leaf first, with its lines" "$LEAF" \
	"	inl_leaf\|$SRC\|$LEAF_LINE;inl_mid\|$SRC\|[0-9]+;inl_top\|$SRC\|[0-9]+;hot_loop\|$SRC\|[0-9]+\$"

# --no-inline: one frame per address, the function with its own line
run_profrun -F 999 --no-inline -c "$INL 1" "$TMP/leaf.lua" "$INL"
expect_rc "--no-inline: exit 0" 0
expect_eq "--no-inline: no address has inline frames" "$(val deep "$OUT")" 0 "$OUT"
CALL_LINE=$(grep -n 'seed = inl_top(seed + i);' "$SRC" | cut -d: -f1)
expect_grep "--no-inline: hot_loop at the line of its call into the inline chain" "$OUT" \
	"	hot_loop\|$SRC\|$CALL_LINE\$"
expect_no_grep "--no-inline: no inline function named" "$OUT" 'inl_leaf'

# folded with the inline frames; the flame graph reads them and its
# tooltips say where the code is and that it was inlined
run_profrun -F 999 -c "$INL 1" "$EXAMPLES/flamegraph.lua" "$TMP/f.svg" "$TMP/f.folded"
expect_rc "flamegraph.lua: exit 0" 0
expect_grep "folded: the inline chain on hot_loop" "$TMP/f.folded" \
	';main;hot_loop;inl_top;inl_mid;inl_leaf [0-9]+$'
expect_grep "svg: inl_leaf's tooltip says inlined, in inlfix.c" "$TMP/f.svg" \
	'<title>inl_leaf \([0-9]+ samples, [0-9.]+%\) inlfix.c, inlined</title>'
expect_grep "svg: hot_loop's tooltip names its file" "$TMP/f.svg" \
	'<title>hot_loop \([0-9]+ samples, [0-9.]+%\) inlfix.c</title>'
cat >"$TMP/refold.lua" <<'EOF'
local flame = require "profrun.flame"
local f = flame.new()
for line in io.lines(arg[1]) do
  local stack, n = line:match("^(.*) (%d+)$")
  f:add(stack, tonumber(n))
end
f:write_svg(arg[2])
print("total=" .. f:total())
EOF
run_profrun -e "$(cat "$TMP/refold.lua")" "$TMP/f.folded" "$TMP/g.svg"
expect_rc "flame from the folded text: exit 0" 0
expect_grep "flame from the folded text: inl_leaf drawn" "$TMP/g.svg" '<title>inl_leaf \('

# Compressed debuginfo (python3.11-dbg's, under /usr/lib/debug) is opened
# off the loop: stacks asked for in on_sample before it is open have no
# lines yet; asked again in on_end (the names generation moved) they do.
PY=/usr/bin/python3.11
if [ -x "$PY" ]; then
	cat >"$TMP/late.lua" <<'EOF'
sample { python = false }
local ids, early, early_lines = {}, 0, 0
local function eval_frame(fr)
  for _, f in ipairs(fr) do
    if f.name == "_PyEval_EvalFrameDefault" then return f end
  end
end
function on_sample(s)
  local f = eval_frame(s:frames())
  if f then
    ids[s.stack] = (ids[s.stack] or 0) + 1
    early = early + 1
    if f.line then early_lines = early_lines + 1 end
  end
end
function on_end()
  local n, with = 0, 0
  for id, c in pairs(ids) do
    local f = eval_frame(stack(id))
    n = n + c
    if f and f.line and f.file and f.file:find("ceval%.c$") then with = with + c end
  end
  print("early=" .. early)
  print("early_lines=" .. early_lines)
  print("end=" .. n)
  print("end_lines=" .. with)
end
EOF
	printf 'import time\nt = time.time()\nwhile time.time() - t < 1.5:\n    sum(range(1000))\n' >"$TMP/spin.py"
	run_profrun -F 999 -c "$PY $TMP/spin.py" "$TMP/late.lua"
	expect_rc "python3.11 (compressed DWARF): exit 0" 0
	expect_ge "python3.11: samples in the eval loop (>= 300)" "$(val end "$OUT")" 300 "$OUT" "$ERR"
	expect_eq "python3.11: in on_end every one has its ceval.c line" "$(val end_lines "$OUT")" \
		"$(val end "$OUT")" "$OUT"
	# the thread that opens DWARF files is started inside a hook (signals
	# unblocked there): it must not take the SIGINT meant for the loop
	printf 'import time\nt = time.time()\nwhile time.time() - t < 30:\n    sum(range(1000))\n' \
		>"$TMP/long.py"
	start_profrun -F 999 -c "$PY $TMP/long.py" "$TMP/late.lua"
	sleep 1.5
	kill -INT "$PR_PID"
	if wait_gone "$PR_PID" 10; then
		pass "SIGINT with the DWARF opener running: profrun stops"
	else
		fail "SIGINT with the DWARF opener running: profrun stops" "still running 10 s later" "$ERR"
	fi
	wait_profrun
	expect_rc "SIGINT with the DWARF opener running: exit 0" 0
	expect_grep "SIGINT with the DWARF opener running: on_end ran" "$OUT" '^end_lines=[0-9]+$'
else
	fail "python3.11 present" "scripts/install-deps.sh installs python3.11 and python3.11-dbg"
fi

# pprof: a Line per inline level, read by Go's pprof
if command -v go >/dev/null 2>&1; then
	mkdir -p "$TMP/home" "$TMP/gocache" "$TMP/gopath"
	run_profrun -F 999 -c "$INL 1" "$EXAMPLES/pprof.lua" "$TMP/p.pb.gz"
	expect_rc "pprof.lua: exit 0" 0
	HOME=$TMP/home GOCACHE=$TMP/gocache GOPATH=$TMP/gopath GOTOOLCHAIN=local \
		GOPROXY=off GOFLAGS='' PPROF_TMPDIR=$TMP run_cmd go tool pprof -top -lines \
		-symbolize=none -sample_index=samples "$TMP/p.pb.gz"
	expect_rc "go tool pprof -lines: exit 0" 0
	expect_grep "go tool pprof -lines: inl_leaf at its line, inlined" "$OUT" " inl_leaf $SRC:$LEAF_LINE \\(inline\\)\$"
	HOME=$TMP/home GOCACHE=$TMP/gocache GOPATH=$TMP/gopath GOTOOLCHAIN=local \
		GOPROXY=off GOFLAGS='' PPROF_TMPDIR=$TMP run_cmd go tool pprof -traces \
		-symbolize=none "$TMP/p.pb.gz"
	expect_grep "go tool pprof -traces: inl_mid shown as inlined" "$OUT" 'inl_mid \(inline\)$'
else
	fail "go present" "scripts/install-deps.sh installs golang-go"
fi

finish
