#!/usr/bin/env bash
# Symbolization throughput: addresses per second, cold (open + parse +
# resolve) and warm (resolve again), for profrun's ELF symbolizer against
# binutils' addr2line and elfutils' eu-addr2line on the same address list
# from the same binaries. Medians of ROUNDS runs. Two tables:
#  - names only: symbench vs `addr2line -f` and `eu-addr2line -f`;
#  - names, source lines and inline frames: symbench --lines vs
#    `addr2line -f -i` and `eu-addr2line -f -i`, for binaries with DWARF
#    (their own or separate debuginfo by build id under PROFRUN_DEBUG_DIR,
#    default /usr/lib/debug). pr_warm asks the same addresses again (the
#    per-address cache answers); pr_new asks every address + 1 on the warm
#    table (DWARF open, addresses not cached).
# The addresses are drawn inside functions (a function from nm -S of the
# binary and its debuginfo, then an offset inside it; fixed seed), one
# external tool run per list. After the tables, per binary with DWARF: how
# many addresses profrun and `eu-addr2line -f -i` agree on (same inline
# depth, same name per level, same file:line where both give one), with
# names differing only by a GCC clone suffix (.constprop.0, .isra.0,
# .part.0, .cold) or being another name of the same function (symbol
# alias, glibc __GI_ linkage name, symbol version) counted apart, and the
# first differences. eu-addr2line computes its -i chain at the start of
# the address's line-table row, not at the address (it reuses the address
# dwfl_lineinfo rewrote), so inside a row that spans a change of inline
# scope it reports the row start's chain: such differences are flagged when
# its own first line ("A inlined at F:L in B", taken at the address) says
# otherwise. libdw's dwarf_getscopes (eu-addr2line's) finds no scope when
# the innermost inline instance's abstract origin is in another CU (LTO,
# e.g. python3.11): eu then names the symbol with the address's line and
# no inline frames; such differences are counted apart too.
# usage: bench/symbolize.sh BUILD_DIR [binary...]   (N=5000 ROUNDS=5 EX=5)
set -euo pipefail
build=$1
shift
n=${N:-5000}
rounds=${ROUNDS:-5}
examples=${EX:-5}
debug_dir=${PROFRUN_DEBUG_DIR:-/usr/lib/debug}
bins=("$@")
line_bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
	bins=(/lib/x86_64-linux-gnu/libc.so.6 /usr/bin/python3.11 "$(command -v node || true)"
		"$build/fixtures/cppfix")
	line_bins=(/lib/x86_64-linux-gnu/libc.so.6 /usr/bin/python3.11 "$build/fixtures/cppfix"
		"$build/fixtures/inlfix")
fi
work=$(mktemp -d /tmp/profrun-symbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
symbench=$build/bench/symbench
t0=$(date +%s)

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
rate() { median <"$1" | awk -v c="$2" '{ printf "%.0f/s", ($1 > 0 ? c / $1 : 0) }'; }
ratio() { paste <(median <"$1") <(median <"$2") | awk '{ printf "%.1fx", ($1 > 0 ? $2 / $1 : 0) }'; }

# The separate debuginfo of $1 by build id, if there is one.
debuginfo() {
	local id
	id=$(readelf -n "$1" 2>/dev/null | awk '/Build ID:/ { print $3; exit }')
	[ -n "$id" ] && [ -r "$debug_dir/.build-id/${id:0:2}/${id:2}.debug" ] &&
		echo "$debug_dir/.build-id/${id:0:2}/${id:2}.debug"
	return 0
}

# eu-addr2line -a -f -i output -> one line per address: addr, the call
# site on the first name line ("A inlined at F:L:C in B": F:L, else "-"),
# the name after its " in " (else "-"), then name and file:line per level
# (the column dropped), as symbench --print.
cat >"$work/eu.awk" <<'EOF'
function flush() { if (have) print a "\t" at "\t" inn "\t" out }
function pos(s) { if (s ~ /:[0-9]+:[0-9]+$/) sub(/:[0-9]+$/, "", s); return s }
/^0x[0-9a-f]+$/ {
	flush(); a = substr($0, 3); sub(/^0+/, "", a); if (a == "") a = "0"
	have = 1; odd = 1; first = 1; at = "-"; inn = "-"; out = ""; next
}
{
	s = $0
	if (odd) {
		i = index(s, " inlined")
		if (i) {
			if (first) {
				r = substr(s, i); k = index(r, " in ")
				if (r ~ /^ inlined at /) at = pos(substr(r, 13, k - 13))
				inn = substr(r, k + 4); sub(/ inlined.*/, "", inn)
			}
			s = substr(s, 1, i - 1)
		}
		first = 0
	} else
		s = pos(s)
	out = out (out == "" ? "" : "\t") s
	odd = !odd
}
END { flush() }
EOF

# awk -f cmp.awk SYMS PRINT EU: SYMS is "addr TAB name" per function
# symbol (aliases share an addr), PRINT symbench --print's, EU eu.awk's.
cat >"$work/cmp.awk" <<'EOF'
function strip(s) {
	sub(/@.*/, "", s)
	while (s ~ /\.(constprop|isra|part|cold|lto_priv|localalias)(\.[0-9]+)?$/)
		sub(/\.[a-z_]+(\.[0-9]+)?$/, "", s)
	return s
}
function bare(s) { s = strip(s); sub(/^__GI_/, "", s); sub(/^_+/, "", s); return s }
function alias(p, e) {
	return bare(p) == bare(e) || ((strip(p) in at) && (strip(e) in at) && at[strip(p)] == at[strip(e)])
}
# 0 same, 1 same but for a clone suffix, 2 another name of the same
# function, 3 different; d: profrun's DWARF name of the level
function namecmp(p, e, d) {
	if (p == e) return 0
	if (strip(p) == strip(e)) return 1
	if (alias(p, e) || (d != "-" && alias(d, e))) return 2
	return 3
}
function haspos(s) { return s !~ /:0$/ && s !~ /^\?\?/ }
FILENAME == ARGV[1] { k = index($0, "\t"); at[substr($0, k + 1)] = substr($0, 1, k - 1); next }
FILENAME == ARGV[2] { pr[FNR] = $0; next }
{
	# p: addr, DWARF name of the outermost level, (name, file:line)...
	# e: addr, first line's call site, first line's caller, (name, file:line)...
	np = split(pr[FNR], p, "\t"); ne = split($0, e, "\t"); n++
	if (p[1] != e[1]) { print "misaligned at line " FNR > "/dev/stderr"; exit 1 }
	lp = (np - 2) / 2; le = (ne - 3) / 2; cls = 0; why = ""; quirk = 0
	plined += haspos(p[4]); pinl += lp > 1; pnofn += p[2] == "-" && haspos(p[4])
	elined += haspos(e[5]); einl += le > 1 || e[2] != "-"
	if (le == 1 && e[2] != "-") {
		# -i found no inline at the row start: the first line's
		# "A inlined at P in B" is the chain at the address
		e[6] = e[3]; e[7] = e[2]; le = 2; quirk = 1
	} else if (le > 1 && e[2] != "-" && e[2] != e[7])
		quirk = 2
	if (lp != le) why = "depth"
	# eu found no DWARF function (its name is the symbol's, its line the
	# address's) where profrun has inline frames: libdw's
	# dwarf_getscopes gives nothing when the innermost inline instance's
	# abstract origin is in another CU (LTO)
	if (lp > 1 && le == 1 && e[2] == "-" && p[4] == e[5] && namecmp(p[np - 1], e[4], p[2]) < 3)
		nofn = 1
	else
		nofn = 0
	for (j = 0; j < lp && !why; j++) {
		c = namecmp(p[3 + 2 * j], e[4 + 2 * j], j == lp - 1 ? p[2] : "-")
		if (c == 3) why = "name"
		else if (haspos(p[4 + 2 * j]) && haspos(e[5 + 2 * j]) && p[4 + 2 * j] != e[5 + 2 * j])
			why = "line"
		else if (c > cls)
			cls = c
	}
	if (why) {
		bad[why]++
		badq += quirk == 2
		badn += nofn
		if (ex++ < EX && !nofn || exn++ < 2 && nofn)
			printf "    %s %s%s\n      profrun %s\n      eu      %s\n", why, p[1],
				quirk == 2 ? " (eu's first line says " e[2] ")" : nofn ? " (eu: no DWARF function)" : "", pr[FNR], $0
	} else
		cnt[cls]++
}
END {
	printf "  agree %d/%d (exact %d, clone suffix %d, other name of the function %d); differ: depth %d, name %d, file:line %d (of which eu contradicts itself %d, eu has no DWARF function where profrun has inline frames %d)\n",
		cnt[0] + cnt[1] + cnt[2], n, cnt[0], cnt[1], cnt[2], bad["depth"], bad["name"], bad["line"], badq, badn
	printf "  file:line given by profrun %d, eu-addr2line %d, addr2line %d; inline frames: profrun %d, eu-addr2line %d; profrun lines in no DWARF function: %d\n",
		plined, elined, A2L, pinl, einl, pnofn
}
EOF

# Per binary: its address list (work/NAME.addrs) and function names by
# address (work/NAME.syms); which have DWARF.
names=() lined=()
mapfile -t all < <(printf '%s\n' "${bins[@]}" "${line_bins[@]}" | awk 'NF && !seen[$0]++')
for bin in "${all[@]}"; do
	[ -r "$bin" ] || continue
	b=$(basename "$bin")
	dbg=$(debuginfo "$bin")
	srcs=("$bin")
	[ -z "$dbg" ] || srcs+=("$dbg")
	for f in "${srcs[@]}"; do
		nm -S --defined-only "$f" 2>/dev/null || true
		nm -D -S --defined-only "$f" 2>/dev/null || true
	done | awk 'NF == 4 && $3 ~ /^[TtWw]$/ { print $1, $2 }' | sort -u |
		"$symbench" --sample "$n" >"$work/$b.addrs"
	for f in "${srcs[@]}"; do
		nm -C --defined-only "$f" 2>/dev/null || true
		nm -C -D --defined-only "$f" 2>/dev/null || true
	done | awk '$2 ~ /^[TtWwi]$/ { a = $1; sub(/^[^ ]+ [^ ]+ /, ""); sub(/@.*/, ""); print a "\t" $0 }' \
		>"$work/$b.syms"
	printf '%s\n' "${bins[@]}" | grep -qxF -- "$bin" && names+=("$bin")
	if printf '%s\n' "${line_bins[@]}" | grep -qxF -- "$bin" &&
		{ [ -n "$dbg" ] || readelf -S "$bin" 2>/dev/null | grep -q '\.debug_info'; }; then
		lined+=("$bin")
	fi
done

echo "names only: addresses/s"
printf '%-20s %7s %12s %12s %12s %12s\n' binary addrs profrun_cold profrun_warm addr2line eu-addr2line
for bin in "${names[@]}"; do
	b=$(basename "$bin")
	cnt=$(wc -l <"$work/$b.addrs")
	: >"$work/cold"; : >"$work/warm"; : >"$work/a2l"; : >"$work/eu"
	for ((r = 0; r < rounds; r++)); do
		read -r cold warm _ _ < <("$symbench" "$bin" <"$work/$b.addrs")
		echo "$cold" >>"$work/cold"
		echo "$warm" >>"$work/warm"
		secs addr2line -f -e "$bin" <"$work/$b.addrs" >>"$work/a2l"
		secs eu-addr2line -f -e "$bin" <"$work/$b.addrs" >>"$work/eu"
	done
	printf '%-20s %7d %12s %12s %12s %12s\n' "$b" "$cnt" "$(rate "$work/cold" "$cnt")" \
		"$(rate "$work/warm" "$cnt")" "$(rate "$work/a2l" "$cnt")" "$(rate "$work/eu" "$cnt")"
done

echo
echo "names + source lines + inline frames: addresses/s (lined: addresses profrun gave a line; frames: per address)"
printf '%-20s %7s %6s %6s %11s %11s %11s %11s %11s %8s %7s\n' binary addrs lined frames pr_cold pr_warm \
	pr_new 'a2l -f -i' 'eu -f -i' warm/eu new/eu
: >"$work/agree"
for bin in "${lined[@]}"; do
	b=$(basename "$bin")
	cnt=$(wc -l <"$work/$b.addrs")
	: >"$work/cold"; : >"$work/warm"; : >"$work/new"; : >"$work/a2l"; : >"$work/eu"
	for ((r = 0; r < rounds; r++)); do
		read -r cold warm new with frames _ < <("$symbench" --lines "$bin" <"$work/$b.addrs")
		echo "$cold" >>"$work/cold"
		echo "$warm" >>"$work/warm"
		echo "$new" >>"$work/new"
		secs addr2line -f -i -e "$bin" <"$work/$b.addrs" >>"$work/a2l"
		secs eu-addr2line -f -i -e "$bin" <"$work/$b.addrs" >>"$work/eu"
	done
	printf '%-20s %7d %5.1f%% %6.2f %11s %11s %11s %11s %11s %8s %7s\n' "$b" "$cnt" \
		"$(echo "100 * $with / $cnt" | bc -l)" "$(echo "$frames / $cnt" | bc -l)" \
		"$(rate "$work/cold" "$cnt")" "$(rate "$work/warm" "$cnt")" "$(rate "$work/new" "$cnt")" \
		"$(rate "$work/a2l" "$cnt")" "$(rate "$work/eu" "$cnt")" "$(ratio "$work/warm" "$work/eu")" \
		"$(ratio "$work/new" "$work/eu")"
	# correctness: the same list through symbench --print and eu-addr2line -a -f -i -C
	"$symbench" --print "$bin" <"$work/$b.addrs" >"$work/pr.txt"
	{ eu-addr2line -a -f -i -C -e "$bin" <"$work/$b.addrs" 2>/dev/null || true; } | awk -f "$work/eu.awk" >"$work/eu.txt"
	{
		echo "$b vs eu-addr2line -f -i:"
		a2l=$(addr2line -a -f -i -e "$bin" <"$work/$b.addrs" 2>/dev/null | awk '/^0x[0-9a-f]+$/ { k = 0; next }
			++k == 2 && $0 !~ /^\?\?:/ && $0 !~ /:\?( |$)/ { n++ } END { print n + 0 }')
		awk -v EX="$examples" -v A2L="$a2l" -f "$work/cmp.awk" "$work/$b.syms" "$work/pr.txt" "$work/eu.txt" |
			awk '/^  (agree|file:line)/ { print; next } { ex = ex $0 "\n" } END { printf "%s", ex }'
	} >>"$work/agree"
done
echo
cat "$work/agree"
echo "($(($(date +%s) - t0)) s)"
