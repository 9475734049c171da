#!/bin/bash
# A module others can change is not loaded: require() of a module file
# that is world-writable, owned by another user, or in a world-writable
# non-sticky directory fails setup with exit 2 before anything loads, and
# says which file and the fix. This holds for the script's own directory
# and for PROFRUN_LUA_PATH. A safe module is loaded; --allow-unsafe-script
# loads an unsafe one with a warning.
. "$(dirname "$0")/lib.sh"
require_bpf
[ "$(id -u)" = 0 ] || skip_all "needs root to chown files to nobody"

RUN_TIMEOUT=30
chmod 0755 "$TMP"

# DIR/main.lua requires mod; mod prints mod=loaded
make_case() {
	mkdir -p "$1"
	cat >"$1/main.lua" <<'EOS'
local m = require("mod")
print("setup=ran")
local n = 0
function on_sample(s) n = n + 1 end
function on_end() print("end=ran") end
EOS
	echo 'print("mod=loaded") return {}' >"$1/mod.lua"
	chmod 0644 "$1/main.lua" "$1/mod.lua"
}

# refused NAME PATTERN_IN_ERR ARGS...
refused() {
	local name=$1 pat=$2
	shift 2
	run_profrun -v -d 1 "$@"
	expect_rc "$name: exit 2" 2
	expect_grep "$name: says it refuses the module and why" "$ERR" \
		"refusing to run module .*$pat"
	expect_no_grep "$name: the module did not run" "$OUT" '^mod=loaded'
	expect_no_grep "$name: the script did not get past require" "$OUT" '^(setup|end)=ran'
	expect_no_grep "$name: nothing was loaded" "$ERR" 'libbpf'
}

make_case "$TMP/safe"
run_profrun -d 1 "$TMP/safe/main.lua"
expect_rc "safe module: exit 0" 0
expect_grep "safe module: loaded" "$OUT" '^mod=loaded$'
expect_grep "safe module: the script ran" "$OUT" '^end=ran$'

make_case "$TMP/ww"
chmod o+w "$TMP/ww/mod.lua"
refused "world-writable module" "mod.lua is writable by others.*chmod go-w" "$TMP/ww/main.lua"

make_case "$TMP/nobody"
chown nobody "$TMP/nobody/mod.lua"
refused "module owned by nobody" "mod.lua is owned by uid [0-9]+.*chown root" \
	"$TMP/nobody/main.lua"
# --restricted loads the script's modules itself: the same rule holds
refused "world-writable module under --restricted" "mod.lua is writable by others" \
	--restricted "$TMP/ww/main.lua"

# the module sits in a world-writable directory owned by nobody, found
# through PROFRUN_LUA_PATH; the script itself is safe
make_case "$TMP/main"
rm "$TMP/main/mod.lua"
mkdir "$TMP/dev"
echo 'print("mod=loaded") return {}' >"$TMP/dev/mod.lua"
chmod 0644 "$TMP/dev/mod.lua"
chmod 0777 "$TMP/dev"
chown nobody "$TMP/dev"
PROFRUN_LUA_PATH="$TMP/dev/?.lua" refused "module in a dir nobody owns (PROFRUN_LUA_PATH)" \
	"/dev is owned by uid [0-9]+" "$TMP/main/main.lua"

run_profrun -d 1 --allow-unsafe-script "$TMP/ww/main.lua"
expect_rc "--allow-unsafe-script: exit 0" 0
expect_grep "--allow-unsafe-script: module loaded" "$OUT" '^mod=loaded$'
expect_grep "--allow-unsafe-script: the script ran" "$OUT" '^end=ran$'
expect_grep "--allow-unsafe-script: warns, naming the module" "$ERR" \
	"^profrun: running unsafe module '.*ww/mod.lua' \(--allow-unsafe-script\)"

finish
