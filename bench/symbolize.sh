#!/usr/bin/env bash
# Symbolization throughput: addresses per second, cold (open + parse +
# resolve) and warm (resolve again), for profrun's ELF symbolizer against
# `addr2line -f` (binutils) and `eu-addr2line -f` (elfutils) on the same
# address list from the same binaries. Medians of ROUNDS runs.
# usage: bench/symbolize.sh BUILD_DIR [binary...]   (N=20000 ROUNDS=5)
set -euo pipefail
build=$1
shift
n=${N:-20000}
rounds=${ROUNDS:-5}
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=(/lib/x86_64-linux-gnu/libc.so.6 "$(command -v node || true)" "$build/fixtures/cppfix")
work=$(mktemp -d /tmp/profrun-symbench.XXXXXX)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }

printf '%-28s %7s %12s %12s %12s %12s\n' binary addrs profrun_cold profrun_warm addr2line eu-addr2line
for bin in "${bins[@]}"; do
	[ -n "$bin" ] && [ -r "$bin" ] || continue
	# n addresses drawn from the function symbols' starts (every tool gets the same list)
	nm -D --defined-only "$bin" 2>/dev/null | awk '$2 ~ /[Tt]/ { print $1 }' >"$work/starts" || true
	nm --defined-only "$bin" 2>/dev/null | awk '$2 ~ /[Tt]/ { print $1 }' >>"$work/starts" || true
	sort -u "$work/starts" | awk -v n="$n" 'BEGIN { srand(1) } { s[NR] = $1 }
		END { for (i = 0; i < n; i++) print s[int(rand() * NR) + 1] }' >"$work/addrs"
	cnt=$(wc -l <"$work/addrs")
	: >"$work/cold"; : >"$work/warm"; : >"$work/a2l"; : >"$work/eu"
	for ((r = 0; r < rounds; r++)); do
		read -r cold warm _ _ < <("$build/bench/symbench" "$bin" <"$work/addrs")
		echo "$cold" >>"$work/cold"
		echo "$warm" >>"$work/warm"
		secs addr2line -f -e "$bin" <"$work/addrs" >>"$work/a2l"
		secs eu-addr2line -f -e "$bin" <"$work/addrs" >>"$work/eu"
	done
	rate() { median <"$1" | awk -v c="$cnt" '{ printf "%.0f/s", ($1 > 0 ? c / $1 : 0) }'; }
	printf '%-28s %7d %12s %12s %12s %12s\n' "$(basename "$bin")" "$cnt" "$(rate "$work/cold")" \
		"$(rate "$work/warm")" "$(rate "$work/a2l")" "$(rate "$work/eu")"
done
