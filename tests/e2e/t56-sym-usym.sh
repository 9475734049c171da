#!/bin/bash
# usym(pid, addr) for an address in a live process: the shell computes the
# run-time address of sf_leaf (+4) from nm (its link-time address),
# readelf -l (that address's file offset) and /proc/PID/maps (where that
# offset is mapped), in a PIE, a non-PIE and a shared library (symfix-uselib
# has sf_leaf in libsymfix.so); usym names sf_leaf at offset 4 in that
# module. An unmapped address and an address in a binary without names
# give nil.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures symfix-pie symfix-nopie symfix-uselib libsymfix.so symfix-stripped
for tool in nm readelf; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "needs $tool (binutils)"
done

RUN_TIMEOUT=20

# arg: pid addr (decimal); prints what usym returns
cat >"$TMP/usym.lua" <<'EOF'
local pid, addr = tonumber(arg[1]), tonumber(arg[2])
function on_end()
  local f = usym(pid, addr)
  if not f then print("usym=nil"); return end
  print("name=" .. tostring(f.name))
  print("offset=" .. tostring(f.offset))
  print("module=" .. tostring(f.module))
  print("addr=" .. string.format("%d", f.addr))
  print("kernel=" .. tostring(f.kernel))
end
EOF

# file_offset BIN VADDR: the file offset of link-time address VADDR (hex,
# no 0x), from the PT_LOAD segment that holds it
file_offset() {
	local v=$((16#$2)) type off va fsz
	while read -r type off va _ fsz _; do
		[ "$type" = LOAD ] || continue
		if ((v >= va && v < va + fsz)); then
			echo $((v - va + off))
			return 0
		fi
	done < <(readelf -lW "$1" 2>/dev/null)
	return 1
}

# run_addr PID BIN FOFF: the address at which file offset FOFF of BIN is
# mapped executable in PID (decimal)
run_addr() {
	local pid=$1 real range perms moff path start end
	real=$(readlink -f "$2")
	while read -r range perms moff _ _ path; do
		if [ "$path" != "$real" ] || [[ $perms != *x* ]]; then
			continue
		fi
		start=$((16#${range%-*}))
		end=$((16#${range#*-}))
		moff=$((16#$moff))
		if (($3 >= moff && $3 < moff + end - start)); then
			echo $((start + $3 - moff))
			return 0
		fi
	done <"/proc/$pid/maps"
	return 1
}

# leaf_addr PID BIN: the run-time address of sf_leaf+4 in PID, once BIN is
# mapped (waits up to 5 s)
leaf_addr() {
	local vaddr foff i
	vaddr=$(nm "$2" 2>/dev/null | awk '$3 == "sf_leaf" { print $1; exit }')
	[ -n "$vaddr" ] || return 1
	foff=$(file_offset "$2" "$vaddr") || return 1
	for ((i = 0; i < 50; i++)); do
		run_addr "$1" "$2" $((foff + 4)) && return 0
		sleep 0.1
	done
	return 1
}

# usym_case NAME EXE BIN: runs EXE, asks usym for sf_leaf+4 of BIN in it
usym_case() {
	local name=$1 exe=$2 bin=$3 pid addr
	start_bg "$exe" 8
	pid=$WL_PID
	if [ -z "$pid" ]; then
		fail "$name: start $exe" "no process"
		return
	fi
	if ! addr=$(leaf_addr "$pid" "$bin"); then
		fail "$name: sf_leaf address" "cannot find sf_leaf of $bin in /proc/$pid/maps"
		kill -TERM "$pid" 2>/dev/null
		return
	fi
	pass "$name: sf_leaf+4 is at $(printf '0x%x' "$addr") in pid $pid"
	run_profrun -p "$pid" -d 200ms "$TMP/usym.lua" "$pid" "$addr"
	expect_rc "$name: exit 0" 0
	expect_eq "$name: usym().name" "$(val name "$OUT")" sf_leaf "$OUT" "$ERR"
	expect_eq "$name: usym().offset" "$(val offset "$OUT")" 4 "$OUT"
	expect_eq "$name: usym().module" "$(val module "$OUT")" "$(readlink -f "$bin")" "$OUT"
	expect_eq "$name: usym().addr is the address asked" "$(val addr "$OUT")" "$addr" "$OUT"
	expect_eq "$name: usym().kernel" "$(val kernel "$OUT")" false "$OUT"

	# nothing is mapped at 4096
	run_profrun -p "$pid" -d 200ms "$TMP/usym.lua" "$pid" 4096
	expect_rc "$name, unmapped address: exit 0" 0
	expect_eq "$name, unmapped address: usym is nil" "$(val usym "$OUT")" nil "$OUT" "$ERR"
	kill -TERM "$pid" 2>/dev/null
	wait_gone "$pid" 5
}

usym_case "PIE" "$FIXTURES/symfix-pie" "$FIXTURES/symfix-pie"
usym_case "non-PIE" "$FIXTURES/symfix-nopie" "$FIXTURES/symfix-nopie"
usym_case "shared library" "$FIXTURES/symfix-uselib" "$FIXTURES/libsymfix.so"

# a binary with no names at all: its first executable mapping gives nil
start_bg "$FIXTURES/symfix-stripped" 8
pid=$WL_PID
real=$(readlink -f "$FIXTURES/symfix-stripped")
addr=
for ((i = 0; i < 50; i++)); do
	addr=$(awk -v p="$real" '$6 == p && $2 ~ /x/ { split($1, r, "-"); print r[1]; exit }' \
		"/proc/$pid/maps" 2>/dev/null)
	[ -n "$addr" ] && break
	sleep 0.1
done
if [ -n "$addr" ]; then
	run_profrun -p "$pid" -d 200ms "$TMP/usym.lua" "$pid" $((16#$addr + 0x100))
	expect_rc "stripped: exit 0" 0
	expect_eq "stripped: usym is nil" "$(val usym "$OUT")" nil "$OUT" "$ERR"
else
	fail "stripped: executable mapping" "no $real in /proc/$pid/maps"
fi
kill -TERM "$pid" 2>/dev/null

finish
