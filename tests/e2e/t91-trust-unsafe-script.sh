#!/bin/bash
# A script others can change is not run: world- or group-writable, owned
# by another user, or in a directory others can write (not sticky) ends
# profrun with exit 2 before anything runs or loads, and the message
# names the unsafe path and the fix. A safe script in a sticky
# world-writable directory (like /tmp) runs; --allow-unsafe-script runs an
# unsafe one with a warning. A symlink is judged by what it points at.
. "$(dirname "$0")/lib.sh"
require_bpf
[ "$(id -u)" = 0 ] || skip_all "needs root to chown files to nobody"

RUN_TIMEOUT=30

# top-level code prints setup=ran: a refused script never gets that far;
# -v makes libbpf say when it loads anything
write_script() {
	cat >"$1" <<'EOS'
print("setup=ran")
local n = 0
function on_sample(s) n = n + 1 end
function on_end() print("end=ran") end
EOS
	chmod 0644 "$1"
}

# refused NAME PATTERN_IN_ERR SCRIPT
refused() {
	run_profrun -v -d 1 "$3"
	expect_rc "$1: exit 2" 2
	expect_grep "$1: says it refuses and why" "$ERR" "^profrun: refusing to run script .*$2"
	expect_grep "$1: mentions --allow-unsafe-script" "$ERR" 'allow-unsafe-script'
	expect_no_grep "$1: the script did not run" "$OUT" '^(setup|end)=ran'
	expect_no_grep "$1: nothing was loaded" "$ERR" 'libbpf'
}

chmod 0755 "$TMP"

write_script "$TMP/ww.lua"
chmod o+w "$TMP/ww.lua"
refused "world-writable script" "ww.lua is writable by others.*chmod go-w" "$TMP/ww.lua"

write_script "$TMP/gw.lua"
chmod g+w "$TMP/gw.lua"
refused "group-writable script" "gw.lua is writable by its group.*chmod go-w" "$TMP/gw.lua"

write_script "$TMP/nobody.lua"
chown nobody "$TMP/nobody.lua"
refused "script owned by nobody" "nobody.lua is owned by uid [0-9]+.*chown root" "$TMP/nobody.lua"

mkdir "$TMP/open"
chmod 0777 "$TMP/open"
write_script "$TMP/open/s.lua"
refused "safe script in a world-writable, non-sticky dir" "/open is writable by others" \
	"$TMP/open/s.lua"

# a safe link to an unsafe file is the unsafe file
ln -s "$TMP/ww.lua" "$TMP/link.lua"
refused "symlink to a world-writable script" "ww.lua is writable by others" "$TMP/link.lua"

mkdir "$TMP/sticky"
chmod 1777 "$TMP/sticky"
write_script "$TMP/sticky/s.lua"
run_profrun -v -d 1 "$TMP/sticky/s.lua"
expect_rc "safe script in a sticky world-writable dir: exit 0" 0
expect_grep "safe script in a sticky dir: it ran" "$OUT" '^end=ran$'
expect_no_grep "safe script in a sticky dir: no refusal" "$ERR" 'refusing|unsafe'

run_profrun -d 1 --allow-unsafe-script "$TMP/ww.lua"
expect_rc "--allow-unsafe-script: exit 0" 0
expect_grep "--allow-unsafe-script: it ran" "$OUT" '^end=ran$'
expect_grep "--allow-unsafe-script: warns, naming the file" "$ERR" \
	"^profrun: running unsafe script '.*ww.lua' \(--allow-unsafe-script\): .*writable by others"

finish
