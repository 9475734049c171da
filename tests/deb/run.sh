#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/deb/run.sh DEB: installs the package on this machine (apt resolves
# its Depends), checks what a user of the package gets, runs the installed
# profrun and an installed example, then removes the package. Needs root;
# refuses to touch a profrun package that was installed before.
set -u
DEB=$(readlink -f "$1")
PASS=0
FAIL=0
TMP=$(mktemp -d /tmp/profrun-test-deb.XXXXXX)
ok() { echo "ok $((PASS + FAIL + 1)) - $1"; PASS=$((PASS + 1)); }
bad() {
	echo "not ok $((PASS + FAIL + 1)) - $1${2:+: $2}"
	[ -n "${3:-}" ] && [ -r "$3" ] && head -n 20 "$3" | sed 's/^/#   | /'
	FAIL=$((FAIL + 1))
}
check() { # NAME CMD...: passes when CMD succeeds
	local name=$1
	shift
	if "$@" >"$TMP/check.out" 2>&1; then ok "$name"; else bad "$name" "failed: $*" "$TMP/check.out"; fi
}
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
	exit
}
installed=0
cleanup() {
	[ "$installed" = 1 ] && dpkg --purge profrun >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	bad "root" "installing a package needs root"
	finish
fi
if dpkg-query -W -f='${Status}' profrun 2>/dev/null | grep -q 'install ok installed'; then
	bad "no profrun package installed before" "one is: not touching it"
	finish
fi

VERSION=$(dpkg-deb -f "$DEB" Version)
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
# ${shlibs:Depends}: the libraries the binary links, found by dpkg-shlibdeps
for lib in libbpf1 libelf1 libdw1 libluajit-5.1-2 libc6; do
	case $DEPENDS in
	*"$lib"*) ok "Depends names $lib (from the binary's libraries)" ;;
	*) bad "Depends names $lib" "Depends: $DEPENDS" ;;
	esac
done

if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" >"$TMP/apt.log" 2>&1; then
	installed=1
	ok "apt-get install $(basename "$DEB")"
else
	bad "apt-get install $(basename "$DEB")" "" "$TMP/apt.log"
	finish
fi

for f in /usr/bin/profrun /usr/share/man/man1/profrun.1.gz \
	/usr/share/bash-completion/completions/profrun /usr/share/profrun/examples/top.lua \
	/usr/share/profrun/lua/profrun/init.lua /lib/systemd/system/profrun-fleet.service \
	/usr/share/doc/profrun/copyright; do
	if dpkg -L profrun | grep -qx "$f"; then ok "the package has $f"; else bad "the package has $f"; fi
done

out=$(/usr/bin/profrun -V 2>&1)
if [ "$out" = "profrun $VERSION" ]; then
	ok "installed profrun -V: $out"
else
	bad "installed profrun -V says profrun $VERSION" "got: $out"
fi

# an installed example, for 2 s, from the installed library
timeout -k 5 30 /usr/bin/profrun -d 2 /usr/share/profrun/examples/top.lua \
	>"$TMP/top.out" 2>"$TMP/top.err" </dev/null
rc=$?
if [ "$rc" = 0 ] && [ -s "$TMP/top.out" ]; then
	ok "installed profrun runs examples/top.lua for 2 s (exit 0, $(wc -l <"$TMP/top.out") lines)"
else
	bad "installed profrun runs examples/top.lua for 2 s" "exit $rc" "$TMP/top.err"
fi

# the manual page renders, and man finds it by name
if MANWIDTH=80 man -l /usr/share/man/man1/profrun.1.gz 2>"$TMP/man.err" | col -b >"$TMP/man.txt" &&
	grep -q '^PROFRUN(1)' "$TMP/man.txt" && grep -q -- '--kernel-unwind' "$TMP/man.txt" &&
	[ ! -s "$TMP/man.err" ]; then
	ok "man -l renders profrun.1.gz ($(wc -l <"$TMP/man.txt") lines, no warnings)"
else
	bad "man -l renders profrun.1.gz" "" "$TMP/man.err"
fi
check "man -w profrun finds the page" test "$(man -w profrun 2>/dev/null)" = /usr/share/man/man1/profrun.1.gz

# completion: options, their values, the installed examples by name
comp() {
	bash -c 'source /usr/share/bash-completion/completions/profrun
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _profrun
		printf "%s\n" "${COMPREPLY[@]}"' bash "$@"
}
check "completion: --kernel-u completes to --kernel-unwind" test "$(comp profrun --kernel-u)" = --kernel-unwind
check "completion: --unwind's modes" test "$(comp profrun --unwind '' | tr '\n' ' ')" = "auto fp dwarf "
if (cd "$TMP" && comp profrun to) | grep -qx /usr/share/profrun/examples/top.lua; then
	ok "completion: 'to' offers the installed examples/top.lua"
else
	bad "completion: 'to' offers the installed examples/top.lua" "$(cd "$TMP" && comp profrun to | tr '\n' ' ')"
fi

unit=/lib/systemd/system/profrun-fleet.service
check "the unit runs the installed profrun and example" \
	grep -q '^ExecStart=/usr/bin/profrun /usr/share/profrun/examples/fleet-profile.lua' "$unit"
if [ -d /run/systemd/system ]; then
	check "the unit is not enabled by installing" test "$(systemctl is-enabled profrun-fleet 2>/dev/null)" != enabled
fi

check "the run made its caches (/var/cache/profrun)" test -d /var/cache/profrun
if dpkg --purge profrun >"$TMP/purge.log" 2>&1 && [ ! -e /usr/bin/profrun ] && [ ! -e /usr/share/profrun ]; then
	installed=0
	ok "dpkg --purge removes it"
else
	bad "dpkg --purge removes it" "" "$TMP/purge.log"
fi
check "dpkg --purge removes its caches (/var/cache/profrun)" test ! -e /var/cache/profrun
finish
