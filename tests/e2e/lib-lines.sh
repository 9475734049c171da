# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/e2e/lib-lines.sh: sourced after lib.sh by the tests of source lines
# and inline frames (run.sh runs only tNN-*.sh, never this file).
#
# lines_leaf_script FILE writes a script that takes a module's path as its
# first argument and, per sample in that module, keeps the leaf address's
# frames: as on_sample gets them, or with "at-end" as its second argument,
# as stack() gives them in on_end (a compressed DWARF file is opened in the
# background: frames asked for before it is open have no lines yet). Its output: "group<TAB>count<TAB>file offset (hex)<TAB>frames",
# frames innermost first as name|file|line joined by ";"; then total=,
# deep= (addresses with 4 or more frames), bad_flags= (frames whose
# inlined flag is wrong), lines=, inlined= and dwarf_cache.KEY= from
# stats().symbols.
#
# lines_expect_addr2line LABEL BINARY OUT passes when every group in OUT
# has the frames `eu-addr2line -f -i` gives for its address in BINARY.

lines_leaf_script() {
	cat >"$1" <<'EOF'
local want, at_end = arg[1], arg[2] == "at-end"
local groups, ids, total, deep, bad_flags = {}, {}, 0, 0, 0
local function add(fr, weight)
  local first
  for i, f in ipairs(fr) do
    if not f.kernel then first = i; break end
  end
  if not first or fr[first].module ~= want then return end
  total = total + weight
  local addr, parts, n = fr[first].addr, {}, 0
  for i = first, #fr do
    local f = fr[i]
    if f.addr ~= addr then break end
    n = n + 1
    parts[n] = string.format("%s|%s|%d", f.name or "?", f.file or "?", f.line or 0)
    -- every frame but the last of an address is inlined into the next
    local last = fr[i + 1] == nil or fr[i + 1].addr ~= addr
    if (f.inlined == true) == last then bad_flags = bad_flags + weight end
  end
  if n >= 4 then deep = deep + weight end
  local k = string.format("%x", tonumber(addr)) .. "\t" .. table.concat(parts, ";")
  groups[k] = (groups[k] or 0) + weight
end
function on_sample(s)
  if at_end then
    ids[s.stack] = (ids[s.stack] or 0) + 1
  else
    add(s:frames(), 1)
  end
end
function on_end()
  for id, c in pairs(ids) do add(stack(id), c) end
  for k, c in pairs(groups) do print("group\t" .. c .. "\t" .. k) end
  print("total=" .. total)
  print("deep=" .. deep)
  print("bad_flags=" .. bad_flags)
  local st = stats().symbols
  print("lines=" .. st.lines)
  print("inlined=" .. st.inlined)
  for k, v in pairs(st.dwarf_cache) do print("dwarf_cache." .. k .. "=" .. v) end
end
EOF
}

# eu-addr2line -f -i prints, innermost first, "name[ inlined at ...]" then
# "file:line[:column]" per level; "??:0" where there is no line (_start,
# sampled once in a while): the script's "?|0"
_lines_a2l() { # BINARY VA
	eu-addr2line -f -i -e "$1" "$2" | awk '
		NR % 2 == 1 { sub(/ inlined at .*$/, ""); name = $0; next }
		{ n = split($0, p, ":"); file = p[1] == "??" ? "?" : p[1]; line = p[2]
		  out = out (out == "" ? "" : ";") name "|" file "|" line }
		END { print out }'
}

lines_expect_addr2line() { # LABEL BINARY OUT
	local label=$1 bin=$2 out=$3 seg_off seg_va addrs=0 same=0 count foff ours va theirs
	# file offset -> link-time address through the executable segment
	read -r seg_off seg_va < <(readelf -lW "$bin" | awk '$1 == "LOAD" && $7 ~ /E/ { print $2, $3; exit }')
	: >"$TMP/diff"
	while IFS=$'\t' read -r _ count foff ours; do
		va=$(printf '0x%x' $((0x$foff - seg_off + seg_va)))
		theirs=$(_lines_a2l "$bin" "$va")
		addrs=$((addrs + 1))
		if [ "$ours" = "$theirs" ]; then
			same=$((same + 1))
		else
			echo "differs at $va ($count samples): profrun '$ours' eu-addr2line '$theirs'" >>"$TMP/diff"
		fi
	done < <(grep '^group	' "$out")
	expect_gt "$label: distinct sampled addresses" "$addrs" 3 "$out"
	if [ "$addrs" -gt 0 ] && [ "$same" -eq "$addrs" ]; then
		pass "$label: frames at every sampled address equal eu-addr2line -f -i ($same of $addrs)"
	else
		fail "$label: frames at every sampled address equal eu-addr2line -f -i" \
			"$same of $addrs" "$TMP/diff"
	fi
}
