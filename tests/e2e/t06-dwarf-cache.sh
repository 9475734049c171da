#!/bin/bash
# Compressed DWARF read through inflated copies kept on disk (dwarfcache.h):
# inlfix-gz is inlfix with its debug sections zlib-compressed, as Debian
# ships debuginfo. With the cache off, on first use (a copy is made), on
# second use (the copy is found, and only copies of binaries the first run
# did not sample are made), with the copy cut short (made again) and
# with the directory writable by others (not used), profrun's frames at
# every sampled address equal eu-addr2line's on the binary itself. The copy
# holds exactly the inflated sections (objcopy --decompress-debug-sections
# gives the same bytes), is root's and 0644, and the directory stays within
# PROFRUN_DWARF_CACHE_MAX_MB, least recently used copies first.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-lines.sh"
require_bpf
require_fixtures inlfix-gz
command -v eu-addr2line >/dev/null || skip_all "needs eu-addr2line (Debian package elfutils)"

RUN_TIMEOUT=60
GZ=$(readlink -f "$FIXTURES/inlfix-gz")
DC=$TMP/dwarf
lines_leaf_script "$TMP/leaf.lua"

# profile inlfix-gz with the cache in $1 ("off": none), extra options after
profile() {
	local dir=$1
	shift
	PROFRUN_DWARF_CACHE=$dir run_profrun -F 999 "$@" -c "$GZ 1" "$TMP/leaf.lua" "$GZ" at-end
}
# the copy of inlfix-gz's DWARF in $1 (the run makes copies of libc's and
# the loader's debuginfo too, when installed): the one naming inlfix.c
copy_in() { grep -l -a 'inlfix\.c' "$1"/*.debug 2>/dev/null | head -1; }

readelf -SW "$GZ" | grep -q ' \.debug_info .* C ' ||
	fail "inlfix-gz's .debug_info is compressed" "$(readelf -SW "$GZ" | grep debug_info)"

profile off
expect_rc "cache off: exit 0" 0
expect_ge "cache off: samples in inlfix-gz (>= 300)" "$(val total "$OUT")" 300 "$OUT" "$ERR"
lines_expect_addr2line "cache off" "$GZ" "$OUT"
expect_eq "cache off: no copy made" "$(val dwarf_cache.builds "$OUT")" 0 "$OUT"
expect_eq "cache off: no directory made" "$(test -e "$DC" && echo yes || echo no)" no

profile "$DC"
expect_rc "first use: exit 0" 0
lines_expect_addr2line "first use" "$GZ" "$OUT"
expect_ge "first use: stats().symbols.dwarf_cache.builds" "$(val dwarf_cache.builds "$OUT")" 1 "$OUT"
expect_eq "first use: no hit" "$(val dwarf_cache.hits "$OUT")" 0 "$OUT"
COPY=$(copy_in "$DC")
expect_eq "first use: inlfix-gz's copy in the directory" "$(test -f "$COPY" && echo yes)" yes \
	"$(ls -la "$DC")"
expect_eq "the copy: root's, mode 644" "$(stat -c '%u %a' "$COPY")" "0 644"
expect_eq "the copy: no section left compressed" \
	"$(readelf -SW "$COPY" | grep -c ' \.debug_[a-z_]* .* C ')" 0 "$(readelf -SW "$COPY")"
objcopy --decompress-debug-sections "$GZ" "$TMP/ref"
for sec in .debug_info .debug_line .debug_abbrev .debug_str; do
	readelf -x "$sec" "$TMP/ref" >"$TMP/ref$sec.hex" 2>&1
	readelf -x "$sec" "$COPY" >"$TMP/copy$sec.hex" 2>&1
	if [ -s "$TMP/ref$sec.hex" ] && cmp -s "$TMP/ref$sec.hex" "$TMP/copy$sec.hex"; then
		pass "the copy's $sec: the bytes objcopy --decompress-debug-sections gives"
	else
		fail "the copy's $sec: the bytes objcopy --decompress-debug-sections gives" \
			"they differ" "$TMP/copy$sec.hex"
	fi
done

# a second run may sample a binary the first did not (libc or the loader
# as the process starts or ends): it makes that one's copy, and no other
copies() { ls "$DC" | grep '\.debug$' | sort; }
copies >"$TMP/copies.before"
COPY_INODE=$(stat -c %i "$COPY")
profile "$DC"
expect_rc "second use: exit 0" 0
lines_expect_addr2line "second use" "$GZ" "$OUT"
expect_ge "second use: the copies found" "$(val dwarf_cache.hits "$OUT")" 1 "$OUT"
expect_eq "second use: inlfix-gz's copy not made again (same inode)" "$(stat -c %i "$COPY")" \
	"$COPY_INODE"
expect_eq "second use: made only copies not in the directory before" \
	"$(val dwarf_cache.builds "$OUT")" "$(copies | comm -13 "$TMP/copies.before" - | wc -l)" \
	"$OUT" "$(ls -la "$DC")"

SIZE=$(stat -c %s "$COPY")
truncate -s $((SIZE - 100)) "$COPY"
profile "$DC"
expect_rc "copy cut short: exit 0" 0
lines_expect_addr2line "copy cut short" "$GZ" "$OUT"
expect_eq "copy cut short: made again (stats rebuilds)" "$(val dwarf_cache.rebuilds "$OUT")" 1 "$OUT"
expect_eq "copy cut short: whole again" "$(stat -c %s "$COPY")" "$SIZE"

chmod 0777 "$DC"
profile "$DC" -v
expect_rc "directory writable by others: exit 0" 0
expect_grep "directory writable by others: said, and not used" "$ERR" \
	"DWARF cache not used .*$DC.*writable by others"
lines_expect_addr2line "directory writable by others" "$GZ" "$OUT"
expect_eq "directory writable by others: no copy used" \
	"$(val dwarf_cache.hits "$OUT")/$(val dwarf_cache.builds "$OUT")" "0/0" "$OUT"
chmod 0755 "$DC"

# the bound: a directory with three old 1 MiB copies, and 2 MiB allowed:
# the oldest go first, until what is left fits (a copy may be half of it:
# libc's is not made)
DC2=$TMP/dwarf2
mkdir -m 0755 "$DC2"
for i in 1 2 3; do
	head -c $((1 << 20)) /dev/zero >"$DC2/old$i.debug"
	touch -d "2020-01-0$i" "$DC2/old$i.debug"
done
PROFRUN_DWARF_CACHE_MAX_MB=2 profile "$DC2"
expect_rc "bound: exit 0" 0
lines_expect_addr2line "bound" "$GZ" "$OUT"
expect_ge "bound: copies pruned (stats pruned)" "$(val dwarf_cache.pruned "$OUT")" 2 "$OUT"
expect_eq "bound: the least recently used went first" \
	"$(test -e "$DC2/old1.debug" && echo kept || echo gone)" gone "$(ls -la "$DC2")"
expect_eq "bound: the new copy kept" "$(test -n "$(copy_in "$DC2")" && echo yes)" yes "$(ls -la "$DC2")"
expect_le "bound: the directory within 2 MiB" \
	"$(du -c -B1 "$DC2"/*.debug | tail -1 | cut -f1)" $((2 << 20)) "$(ls -las "$DC2")"
PROFRUN_DWARF_CACHE_MAX_MB=lots profile "$DC2"
expect_grep "a bound that is not a size: said" "$ERR" "PROFRUN_DWARF_CACHE_MAX_MB=lots is not a size"

finish
