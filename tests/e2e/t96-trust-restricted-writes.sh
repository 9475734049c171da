#!/bin/bash
# --restricted writes: without --write-dir a script may not write any file;
# with it, only files whose real directory is under the real write dir and
# whose name is not a symlink. io.open write/append/update modes,
# io.output, os.remove, os.rename and profrun.flame's writers all go
# through the same check; reading stays allowed. Needs no root.
. "$(dirname "$0")/lib.sh"
require_profrun

RUN_TIMEOUT=30
W=$TMP/out
mkdir -p "$W/sub" "$TMP/elsewhere"
ln -s "$TMP/elsewhere/target" "$W/link"
ln -s "$TMP/elsewhere" "$W/dirlink"
echo keep >"$TMP/elsewhere/keep"

# refused NAME ERE CODE [--write-dir DIR]
refused() {
	local name=$1 ere=$2 code=$3
	shift 3
	run_profrun --restricted "$@" -e "$code
print('after=reached')"
	expect_rc "$name: exit 2" 2
	expect_grep "$name: message" "$ERR" "^profrun: .*$ere"
	expect_no_grep "$name: the script stopped there" "$OUT" "after=reached"
}

NOWD="a --restricted script may not write files; pass --write-dir DIR"
refused 'no --write-dir: io.open w' "io.open\\('$TMP/x'\\): $NOWD" "io.open('$TMP/x', 'w')"
refused 'no --write-dir: io.open a' "io.open\\('$W/x'\\): $NOWD" "io.open('$W/x', 'a')"
refused 'no --write-dir: io.output' "io.output\\('$W/x'\\): $NOWD" "io.output('$W/x')"
refused 'no --write-dir: os.tmpname' "os.tmpname is not available" "os.tmpname()"
if [ ! -e "$TMP/x" ] && [ ! -e "$W/x" ]; then
	pass "no --write-dir: no file created"
else
	fail "no --write-dir: no file created" "$(ls "$TMP" "$W")"
fi

OUTSIDE="outside the write dir; a --restricted script writes only under --write-dir"
refused 'outside: io.open w' "io.open\\('$TMP/x'\\): its directory .* is $OUTSIDE" \
	"io.open('$TMP/x', 'w')" --write-dir "$W"
refused 'outside via ..: io.open a' "io.open\\('$W/../x'\\): its directory .* is $OUTSIDE" \
	"io.open('$W/../x', 'a')" --write-dir "$W"
refused 'outside: io.open r+' "io.open\\('$TMP/elsewhere/keep'\\): its directory .* is $OUTSIDE" \
	"io.open('$TMP/elsewhere/keep', 'r+')" --write-dir "$W"
refused 'outside: os.remove' "os.remove\\('$TMP/elsewhere/keep'\\): its directory .* is $OUTSIDE" \
	"os.remove('$TMP/elsewhere/keep')" --write-dir "$W"
refused 'outside: os.rename target' "os.rename\\('$TMP/elsewhere/moved'\\): its directory .* is $OUTSIDE" \
	"assert(io.open('$W/r', 'w')):close() os.rename('$W/r', '$TMP/elsewhere/moved')" --write-dir "$W"
refused 'symlinked file in the write dir' "io.open\\('$W/link'\\): it is a symlink" \
	"io.open('$W/link', 'w')" --write-dir "$W"
refused 'symlinked dir in the write dir' "io.open\\('$W/dirlink/x'\\): its directory .* is $OUTSIDE" \
	"io.open('$W/dirlink/x', 'w')" --write-dir "$W"
refused 'flame.write_svg outside' "io.open\\('$TMP/f.svg'\\): its directory .* is $OUTSIDE" \
	"require('profrun.flame').new():write_svg('$TMP/f.svg')" --write-dir "$W"
if [ ! -e "$TMP/elsewhere/target" ] && [ ! -e "$TMP/elsewhere/x" ] && [ ! -e "$TMP/f.svg" ] &&
	[ "$(cat "$TMP/elsewhere/keep")" = keep ]; then
	pass "outside: nothing written outside"
else
	fail "outside: nothing written outside" "$(ls -R "$TMP")"
fi

run_profrun --restricted --write-dir "$TMP/missing" -e 'print(1)'
expect_rc "missing --write-dir: exit 2" 2
expect_grep "missing --write-dir: message" "$ERR" "^profrun: .*--write-dir '$TMP/missing': no such directory"

# inside the write dir (also through a relative path and a subdirectory)
run_profrun --restricted --write-dir "$W" -e "
local f = assert(io.open('$W/a.txt', 'w')) f:write('hello') f:close()
f = assert(io.open('$W/a.txt', 'a')) f:write(' world') f:close()
assert(io.open('$W/sub/b.txt', 'w')):close()
assert(os.rename('$W/sub/b.txt', '$W/sub/c.txt'))
assert(io.open('$W/gone', 'w')):close()
assert(os.remove('$W/gone'))
io.output('$W/out.txt') io.write('via io.output') io.close() io.output(io.stdout)
require('profrun.flame').new():write_svg('$W/f.svg')
print('read=' .. assert(io.open('$W/a.txt')):read('*a'))
print('stat=' .. (assert(io.open('/proc/self/stat')):read('*l'):match('^%d+') or 'none'))"
expect_rc "inside: exit 0" 0
expect_eq "inside: io.open w + a" "$(cat "$W/a.txt" 2>/dev/null)" "hello world" "$OUT" "$ERR"
check "inside: os.rename in a subdirectory" test -e "$W/sub/c.txt"
check "inside: os.remove" test ! -e "$W/gone"
expect_eq "inside: io.output" "$(cat "$W/out.txt" 2>/dev/null)" "via io.output"
expect_grep "inside: flame.write_svg" "$W/f.svg" "<svg"
expect_grep "inside: reading back" "$OUT" "^read=hello world$"
expect_grep "inside: reading /proc" "$OUT" "^stat=[0-9]+$"

(cd "$W" && run_profrun --restricted --write-dir . -e "assert(io.open('rel.txt', 'w')):close() print('rel=ok')")
expect_rc "relative --write-dir: exit 0" 0
check "relative --write-dir: file written" test -e "$W/rel.txt"

finish
