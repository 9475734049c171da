#!/bin/bash
# A BPF program loaded before profrun starts is named from the baseline
# profrun takes with the BPF syscalls at start (no PERF_RECORD_KSYMBOL
# ever told it about the program): its samples and ksym() must name its
# functions as /proc/kallsyms does, tag included, for the main function
# as well as for its bpf_loop callback.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures xdpload
[ -r "$FIXTURES/xdp_slow_b.bpf.o" ] || { echo "Bail out! no fixture $FIXTURES/xdp_slow_b.bpf.o (make fixtures)"; exit 1; }

RUN_TIMEOUT=20
ln -s "$FIXTURES/xdpload" "$TMP/xdpload_pre"

# arg: hex addresses of the program's functions, looked up at the end
cat >"$TMP/pre.lua" <<'EOF'
sample { kernel = true }
local names = {}
local function u64(hex)
  local v = 0ULL
  for c in hex:gmatch("%x") do v = v * 16 + tonumber(c, 16) end
  return v
end
function on_sample(s)
  if s.comm ~= "xdpload_pre" then return end
  for _, f in ipairs(s:frames()) do
    if f.kernel and f.name then names[f.name] = (names[f.name] or 0) + 1 end
  end
end
function on_end()
  for n, c in pairs(names) do print("frame " .. n .. " " .. c) end
  for i = 1, #arg do
    local r = ksym(u64(arg[i]))
    print("ksym " .. arg[i] .. " " .. (r and tostring(r.name) .. " " .. r.offset or "nil"))
  end
  print("bpf_resyncs=" .. stats().ksym.bpf_resyncs)
end
EOF

timeout -k 5 15 "$TMP/xdpload_pre" "$FIXTURES/xdp_slow_b.bpf.o" 8 >"$TMP/xdp.out" 2>"$TMP/xdp.err" </dev/null &
xdp_pid=$!
track_pid "$xdp_pid"
for ((i = 0; i < 50; i++)); do
	[ "$(grep -c '^func ' "$TMP/xdp.out")" -ge 2 ] && break
	sleep 0.1
done
if [ "$(grep -c '^func ' "$TMP/xdp.out")" -lt 2 ]; then
	fail "xdpload printed its functions" "no func lines" "$TMP/xdp.out" "$TMP/xdp.err"
	finish
fi
addrs=()
while read -r _ a _; do addrs+=("$(printf '%016x' "$a")"); done <"$TMP/xdp.out"
# kallsyms' names of those functions, in the same order
awk 'FILENAME == ARGV[1] { order[++n] = $1; next } $4 == "[bpf]" { name[$1] = $3 }
	END { for (i = 1; i <= n; i++) print (order[i] in name) ? name[order[i]] : "-" }' \
	<(printf '%s\n' "${addrs[@]}") /proc/kallsyms >"$TMP/kallsyms.names"
main_name=$(sed -n 1p "$TMP/kallsyms.names")
cb_name=$(sed -n 2p "$TMP/kallsyms.names")
expect_grep "kallsyms names the main function" "$TMP/kallsyms.names" \
	'^bpf_prog_[0-9a-f]{16}_xdp_slow_b$'
expect_grep "kallsyms names the callback" "$TMP/kallsyms.names" \
	'^bpf_prog_[0-9a-f]{16}_xdp_slow_b_cb$'

run_profrun -F 999 -d 1500ms "$TMP/pre.lua" "${addrs[0]}" "${addrs[1]}"
expect_rc "profrun -d 1500ms: exit 0" 0
kill -TERM "$xdp_pid" 2>/dev/null

expect_grep "samples name the callback as kallsyms does" "$OUT" "^frame $cb_name [0-9]+$"
expect_grep "samples name the main function as kallsyms does" "$OUT" "^frame $main_name [0-9]+$"
expect_eq "no xdp_slow_b frame named otherwise" \
	"$(grep -E "^frame bpf_prog_[0-9a-f]{16}_xdp_slow_b" "$OUT" |
		grep -vE "^frame ($main_name|$cb_name) " | tr '\n' ' ')" "" "$OUT"
expect_grep "ksym(main) names it as kallsyms does" "$OUT" "^ksym ${addrs[0]} $main_name 0$"
expect_grep "ksym(callback) names it as kallsyms does" "$OUT" "^ksym ${addrs[1]} $cb_name 0$"

finish
