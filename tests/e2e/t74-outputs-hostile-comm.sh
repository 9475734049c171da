#!/bin/bash
# A process named `ev"il;` newline ESC `[31m` cannot forge the text
# outputs. The hostile fixture, copied to a file of that name (so the exec
# event's comm and the binary's module name are hostile too) and renaming
# itself with prctl, is profiled and traced through the folded stacks of
# flame:folded() (examples/flamegraph.lua) and of examples/profile.lua,
# examples/execsnoop.lua, examples/exitsnoop.lua, examples/top.lua and a
# profrun.top table. No output may hold a raw control byte (ESC or any
# other, newlines only between lines), the name must show escaped
# (\n, \x1b, and \x3b for ";" in folded frames), and every folded line
# must still parse as "frame;...;frame COUNT" with the right frames.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures hostile

NAME=$'ev"il;\n\e[31m'
ESC_TEXT='ev"il;\n\x1b[31m'     # profrun.text escape: what a text line shows
ESC_FRAME='ev"il\x3b\n\x1b[31m' # profrun.text frame: what a folded frame shows
cp "$FIXTURES/hostile" "$TMP/$NAME"
# the command profrun -c runs: a script that execs the hostile file (the
# only ev* in $TMP), so no newline has to pass through a command line
# shellcheck disable=SC2016 # $0 is for the script, not for us
printf '#!/bin/sh\nexec "$(dirname "$0")"/ev* 0.6\n' >"$TMP/run.sh"
chmod +x "$TMP/run.sh"
RUN=$TMP/run.sh

# no_ctl NAME FILE: no control byte but newline in FILE
no_ctl() {
	if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$2" || tr -d '\n' <"$2" | LC_ALL=C grep -qaP '\x00'; then
		fail "$1: no raw control bytes" "found: $(LC_ALL=C grep -an $'[\x01-\x09\x0b-\x1f\x7f]' "$2" | head -2 | cat -A)" "$2"
	else
		pass "$1: no raw control bytes"
	fi
}

# fixed_grep NAME FILE STRING: a line of FILE holds STRING (no regex)
fixed_grep() {
	if grep -qF -- "$3" "$2"; then
		pass "$1"
	else
		fail "$1" "no line of $(basename "$2") holds '$3'" "$2"
	fi
}

# line_with NAME FILE STRING REGEX: a line of FILE holds STRING (fixed)
# and matches REGEX
line_with() {
	if grep -F -- "$3" "$2" | grep -Eq -- "$4"; then
		pass "$1"
	else
		fail "$1" "no line holds '$3' and matches /$4/" "$2"
	fi
}

# folded_ok NAME FILE FORMAT: every line parses (count last or first, as
# FORMAT "count-last" or "count-first" says), and the hostile stack is
# one line of ESC_FRAME;...;main;hostile_burn with no other frame from
# the name. flamegraph.pl reads a line the same way: the last space-
# separated field is the count, the rest split on ";".
folded_ok() {
	local name=$1 file=$2 mode=$3 res
	res=$(ESC_FRAME="$ESC_FRAME" awk -v mode="$mode" '
		{
			if (mode == "count-last") { cnt = $NF; st = $0; sub(/ [^ ]*$/, "", st) }
			else { cnt = $1; st = $0; sub(/^[^ ]* /, "", st) }
			if (cnt !~ /^[0-9]+$/) { bad++; next }
			n = split(st, f, ";")
			if (f[n] == "hostile_burn" && f[n - 1] == "main") {
				hot++
				if (f[1] != ENVIRON["ESC_FRAME"]) badcomm++
				for (i = 2; i <= n; i++) if (f[i] ~ /ev"il|31m/) stray++
			}
		}
		END { printf "%d %d %d %d %d\n", NR, bad + 0, hot + 0, badcomm + 0, stray + 0 }
	' "$file")
	read -r nl bad hot badcomm stray <<<"$res"
	expect_ge "$name: folded lines" "$nl" 1 "$file"
	expect_eq "$name: every line ends in a count" "$bad" 0 "$file"
	expect_ge "$name: a ...;main;hostile_burn stack" "$hot" 1 "$file"
	expect_eq "$name: its first frame is the whole escaped comm" "$badcomm" 0 "$file"
	expect_eq "$name: no frame made of a piece of the name" "$stray" 0 "$file"
}

# flame:folded() through examples/flamegraph.lua
run_profrun -F 499 -c "$RUN" "$EXAMPLES/flamegraph.lua" "$TMP/out.svg" "$TMP/out.folded"
expect_rc "flamegraph.lua: exit 0" 0
no_ctl "flamegraph.lua folded" "$TMP/out.folded"
folded_ok "flamegraph.lua folded" "$TMP/out.folded" count-last
no_ctl "flamegraph.lua stdout" "$OUT"

# examples/profile.lua: "COUNT stack" lines on stdout
run_profrun -F 499 -c "$RUN" "$EXAMPLES/profile.lua"
expect_rc "profile.lua: exit 0" 0
no_ctl "profile.lua" "$OUT"
folded_ok "profile.lua" "$OUT" count-first

# examples/execsnoop.lua: the exec of the hostile file
run_profrun -c "$RUN" "$EXAMPLES/execsnoop.lua"
expect_rc "execsnoop.lua: exit 0" 0
no_ctl "execsnoop.lua" "$OUT"
fixed_grep "execsnoop.lua: comm escaped" "$OUT" "$ESC_TEXT "
fixed_grep "execsnoop.lua: filename escaped" "$OUT" "/$ESC_TEXT"

# examples/exitsnoop.lua: the hostile process's exit (code 3)
run_profrun -c "$RUN" "$EXAMPLES/exitsnoop.lua"
expect_rc "exitsnoop.lua: exit 0" 0
no_ctl "exitsnoop.lua" "$OUT"
line_with "exitsnoop.lua: escaped comm, code 3" "$OUT" "$ESC_TEXT " 'code 3'

# examples/top.lua: the module column is the hostile file's name
run_profrun -F 499 -c "$RUN" "$EXAMPLES/top.lua"
expect_rc "top.lua: exit 0" 0
no_ctl "top.lua" "$OUT"
# (the kernel writes a newline in a mapped file's path as \012; the ESC
# is still raw, profrun's escaping makes that \\012\x1b[31m)
line_with "top.lua: hostile_burn with the escaped module name" "$OUT" '\x1b[31m' \
	'hostile_burn .*ev"il'

# a profrun.top table keyed by comm
cat >"$TMP/top-comm.lua" <<'LUA'
local top = require "profrun.top"
local t = top.new { every = false, title = "comms", columns = { "SAMPLES", "COMM" } }
sample {}
function on_sample(s) t:add(s.comm) end
function on_end() t:print() end
LUA
run_profrun -F 499 -c "$RUN" "$TMP/top-comm.lua"
expect_rc "profrun.top: exit 0" 0
no_ctl "profrun.top" "$OUT"
expect_grep "profrun.top: a row with the escaped comm" "$OUT" \
	'^ +[0-9]+ +[0-9.]+%  ev"il;\\n\\x1b\[31m$'

finish
