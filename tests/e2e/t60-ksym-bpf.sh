#!/bin/bash
# Kernel stacks through JITed BPF programs that come and go while profrun
# runs. profrun samples the whole machine; once it is attached, two XDP
# programs are loaded and run one after the other (BPF_PROG_TEST_RUN) by
# xdpload under two names, so their samples have different comms:
# xdpload_a runs xdp_slow_a (and its bpf_loop callback xdp_slow_a_cb),
# then xdpload_b runs xdp_slow_b, likely at addresses xdp_slow_a had.
# Samples name each function as /proc/kallsyms spells it while it is
# loaded, xdpload_b's never name xdp_slow_a, kallsyms is read once, and
# the feed saw the programs come and go. ksym() on addresses taken from
# the kernel (xdpload prints where its functions are) names a live
# program, and gives nil just past its end and after it is unloaded.
. "$(dirname "$0")/lib.sh"
require_bpf
require_bpftool
require_fixtures xdpload
for o in xdp_slow_a.bpf.o xdp_slow_b.bpf.o; do
	[ -r "$FIXTURES/$o" ] || { echo "Bail out! no fixture $FIXTURES/$o (make fixtures)"; exit 1; }
done

RUN_TIMEOUT=25
for n in a b k; do
	ln -s "$FIXTURES/xdpload" "$TMP/xdpload_$n"
done

# arg[1]: the directory where the test and the script talk through files.
# The script collects, for samples whose comm starts with "xdpload", the
# names of the kernel frames by comm; every 0.1 s it answers ksym()
# requests: file req is "SEQ" then one hex address a line, the answer goes
# to ans.SEQ. Addresses are parsed into uint64 cdata: a Lua number holds
# only 53 bits, and kernel addresses need 64.
cat >"$TMP/ksym.lua" <<'EOF'
local dir = arg[1]
sample { kernel = true }
local frames, samples = {}, {}
local base, last_req = nil, 0
local frame_ok, frame_bad, frame_bad_ex = 0, 0, ""

local function put(path, text)
  local f = assert(io.open(path .. ".tmp", "w"))
  f:write(text)
  f:close()
  assert(os.rename(path .. ".tmp", path))
end

local function u64(hex)
  local v = 0ULL
  for c in hex:gmatch("%x") do v = v * 16 + tonumber(c, 16) end
  return v
end

function on_sample(s)
  local c = s.comm
  if c:sub(1, 7) ~= "xdpload" then return end
  samples[c] = (samples[c] or 0) + 1
  for _, f in ipairs(s:frames()) do
    if f.kernel then
      local k = c .. " " .. tostring(f.name) .. " " .. tostring(f.module)
      frames[k] = (frames[k] or 0) + 1
      -- a frame's own address names its own function
      if f.name and f.name:find("_xdp_slow_", 1, true) then
        local r = ksym(f.addr)
        if r and r.name == f.name then
          frame_ok = frame_ok + 1
        else
          frame_bad = frame_bad + 1
          frame_bad_ex = string.format("%s at addr=%.0f -> %s", f.name, f.addr,
            r and tostring(r.name) or "nil")
        end
      end
    end
  end
end

every(0.1, function()
  if not base then
    base = stats().ksym.bpf_updates
    put(dir .. "/ready", "base_updates=" .. base .. "\n")
  end
  local f = io.open(dir .. "/req")
  if not f then return end
  local seq = tonumber(f:read("*l"))
  if seq and seq > last_req then
    last_req = seq
    local out = {}
    for line in f:lines() do
      local r = ksym(u64(line))
      if r then
        out[#out + 1] = string.format("%s name=%s offset=%d module=%s kernel=%s", line,
          tostring(r.name), r.offset, tostring(r.module), tostring(r.kernel))
      else
        out[#out + 1] = line .. " nil"
      end
    end
    put(dir .. "/ans." .. seq, table.concat(out, "\n") .. "\n")
  end
  f:close()
end)

function on_end()
  for c, n in pairs(samples) do print("samples " .. c .. " " .. n) end
  for k, n in pairs(frames) do print("frame " .. k .. " " .. n) end
  local k = stats().ksym
  print("kallsyms_reads=" .. k.kallsyms_reads)
  print("kallsyms_symbols=" .. k.kallsyms_symbols)
  print("bpf_updates=" .. k.bpf_updates)
  print("base_updates=" .. tostring(base))
  print("bpf_resyncs=" .. k.bpf_resyncs)
  print("frame_ok=" .. frame_ok)
  print("frame_bad=" .. frame_bad)
  print("frame_bad_example=" .. frame_bad_ex)
end
EOF

# xdp_start NAME OBJECT SECONDS: runs $TMP/xdpload_NAME in the background
# (its "func ADDR LEN" lines go to $TMP/NAME.out); sets XDP_PID
xdp_start() {
	timeout -k 5 20 "$TMP/xdpload_$1" "$FIXTURES/$2" "$3" >"$TMP/$1.out" 2>"$TMP/$1.err" </dev/null &
	XDP_PID=$!
	track_pid "$XDP_PID"
}

# xdp_funcs NAME: waits (up to 5 s) for xdpload_NAME's "func" lines
xdp_funcs() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(grep -c '^func ' "$TMP/$1.out" 2>/dev/null)" -ge 2 ] && return 0
		sleep 0.1
	done
	return 1
}

# kallsyms_names NAME: the names /proc/kallsyms gives, now, to the
# functions xdpload_NAME printed, one a line ("-" when it has none)
kallsyms_names() {
	local _f addr _len
	while read -r _f addr _len; do
		printf '%016x\n' "$addr"
	done <"$TMP/$1.out" >"$TMP/$1.addrs"
	awk 'FILENAME == ARGV[1] { order[++n] = $1; next }
		$4 == "[bpf]" { name[$1] = $3 }
		END { for (i = 1; i <= n; i++) print (order[i] in name) ? name[order[i]] : "-" }' \
		"$TMP/$1.addrs" /proc/kallsyms
}

# a run of one program: records its functions and their kallsyms names
xdp_run() { # NAME OBJECT SECONDS
	xdp_start "$1" "$2" "$3"
	if xdp_funcs "$1"; then
		kallsyms_names "$1" >"$TMP/$1.kallsyms"
	else
		: >"$TMP/$1.kallsyms"
	fi
	wait "$XDP_PID"
	echo "$?" >"$TMP/$1.rc"
}

start_profrun -F 999 "$TMP/ksym.lua" "$TMP"
if ! wait_attached "$PR_PID" pr_sample || ! wait_file "$TMP/ready" 10; then
	fail "profrun attached" "no pr_sample link or no first tick within 20 s" "$OUT" "$ERR"
	kill -INT "$PR_PID" 2>/dev/null
	finish
fi
pass "profrun attached (pid $PR_PID)"

xdp_run a xdp_slow_a.bpf.o 1.5
# the kernel frees a program's JIT memory a grace period after the unload:
# a pause makes it likely that xdp_slow_b gets xdp_slow_a's addresses
sleep 0.5
xdp_run b xdp_slow_b.bpf.o 1.5
if grep -qxF -f <(awk '{ print $2 }' "$TMP/a.out") <(awk '{ print $2 }' "$TMP/b.out"); then
	echo "# xdp_slow_b reused addresses of xdp_slow_a"
else
	echo "# xdp_slow_b did not reuse addresses of xdp_slow_a"
fi
expect_eq "xdpload_a ran" "$(cat "$TMP/a.rc")" 0 "$TMP/a.err"
expect_eq "xdpload_b ran" "$(cat "$TMP/b.rc")" 0 "$TMP/b.err"
a_names=$(grep -v '^-$' "$TMP/a.kallsyms")
b_names=$(grep -v '^-$' "$TMP/b.kallsyms")
expect_eq "kallsyms named xdp_slow_a's 2 functions while it ran" \
	"$(grep -cE '^bpf_prog_[0-9a-f]{16}_xdp_slow_a(_cb)?$' <<<"$a_names")" 2 "$TMP/a.kallsyms"
expect_eq "kallsyms named xdp_slow_b's 2 functions while it ran" \
	"$(grep -cE '^bpf_prog_[0-9a-f]{16}_xdp_slow_b(_cb)?$' <<<"$b_names")" 2 "$TMP/b.kallsyms"

# ---- ksym() on a live program, just past its end, and after its unload ----
xdp_start k xdp_slow_a.bpf.o 15
k_pid=$XDP_PID
if xdp_funcs k; then
	kallsyms_names k >"$TMP/k.kallsyms"
	read -r _ main_addr main_len < <(sed -n 1p "$TMP/k.out")
	read -r _ cb_addr cb_len < <(sed -n 2p "$TMP/k.out")
	main_name=$(sed -n 1p "$TMP/k.kallsyms")
	cb_name=$(sed -n 2p "$TMP/k.kallsyms")
	hex() { printf '%x\n' "$(($1))"; }
	# ans_is NAME N ERE: line N of the answer matches ERE
	ans_is() {
		local l
		l=$(sed -n "${2}p" "$TMP/ans.1")
		if grep -Eq -- "$3" <<<"$l"; then
			pass "$1"
		else
			fail "$1" "answer '$l' does not match /$3/ (main $main_addr+$main_len, callback $cb_addr+$cb_len)"
		fi
	}
	{
		echo 1
		hex "$main_addr"
		hex "$main_addr + 1"
		hex "$main_addr + $main_len - 1"
		hex "$main_addr + $main_len"
		hex "$cb_addr"
		hex "$cb_addr + $cb_len - 1"
		hex "$cb_addr + $cb_len"
	} >"$TMP/req.tmp"
	mv "$TMP/req.tmp" "$TMP/req"
	if wait_file "$TMP/ans.1" 5; then
		pass "ksym() answered while xdp_slow_a is loaded"
		ans_is "ksym(main start) names it, offset 0" 1 " name=$main_name offset=0 "
		ans_is "ksym(main start + 1): offset 1" 2 " name=$main_name offset=1 "
		ans_is "ksym(main end - 1): offset len - 1" 3 \
			" name=$main_name offset=$((main_len - 1)) "
		ans_is "ksym(main start): a kernel frame" 1 " kernel=true$"
		ans_is "ksym(main start): module bpf" 1 ' module=\[?bpf\]? '
		# the end of a JITed function is never another's start: each
		# has its own bpf_prog_pack chunk, with slack after it
		ans_is "ksym(main end) is nil" 4 ' nil$'
		ans_is "ksym(callback start) names it" 5 " name=$cb_name offset=0 "
		ans_is "ksym(callback end - 1)" 6 " name=$cb_name offset=$((cb_len - 1)) "
		ans_is "ksym(callback end) is nil" 7 ' nil$'
	else
		fail "ksym() answers" "no answer within 5 s" "$OUT" "$ERR"
	fi
	kill -TERM "$k_pid" 2>/dev/null
	wait "$k_pid" 2>/dev/null
	# once /proc/kallsyms has dropped it, the feed has too
	for ((i = 0; i < 50; i++)); do
		[ "$(kallsyms_names k | head -n 1)" != "$main_name" ] && break
		sleep 0.1
	done
	{
		echo 2
		hex "$main_addr + 1"
		hex "$cb_addr + 1"
	} >"$TMP/req.tmp"
	mv "$TMP/req.tmp" "$TMP/req"
	if wait_file "$TMP/ans.2" 5; then
		# nil, or a program loaded there since: never the unloaded one
		expect_no_grep "ksym(main + 1) after the unload: not xdp_slow_a" "$TMP/ans.2" \
			"name=$main_name "
		expect_no_grep "ksym(callback + 1) after the unload: not xdp_slow_a_cb" "$TMP/ans.2" \
			"name=$cb_name "
	else
		fail "ksym() answers after the unload" "no answer within 5 s" "$OUT" "$ERR"
	fi
else
	fail "xdpload_k printed its functions" "no func lines" "$TMP/k.out" "$TMP/k.err"
fi

kill -INT "$PR_PID"
wait_profrun
expect_rc "SIGINT ends profrun with exit 0" 0

# ---- what the samples named ----
frames() { # COMM: the kernel frame names of COMM's samples
	awk -v c="$1" '$1 == "frame" && $2 == c { print $3 }' "$OUT" | sort -u
}
expect_ge "xdpload_a sampled" "$(awk '$1 == "samples" && $2 == "xdpload_a" { print $3 }' "$OUT")" \
	50 "$OUT" "$ERR"
expect_ge "xdpload_b sampled" "$(awk '$1 == "samples" && $2 == "xdpload_b" { print $3 }' "$OUT")" \
	50 "$OUT" "$ERR"
frames xdpload_a >"$TMP/a.frames"
frames xdpload_b >"$TMP/b.frames"
expect_grep "xdpload_a: frames name xdp_slow_a" "$TMP/a.frames" \
	'^bpf_prog_[0-9a-f]{16}_xdp_slow_a(_cb)?$'
expect_grep "xdpload_b: frames name xdp_slow_b" "$TMP/b.frames" \
	'^bpf_prog_[0-9a-f]{16}_xdp_slow_b(_cb)?$'
expect_no_grep "xdpload_b: no frame names xdp_slow_a" "$TMP/b.frames" 'xdp_slow_a'
expect_no_grep "xdpload_a: no frame names xdp_slow_b" "$TMP/a.frames" 'xdp_slow_b'
# spelt as /proc/kallsyms spelt them while they ran (tag included)
for n in a b; do
	bad=$(grep -E "_xdp_slow_" "$TMP/$n.frames" | grep -vxF -f <(grep -v '^-$' "$TMP/$n.kallsyms"))
	expect_eq "xdpload_$n: frame names as /proc/kallsyms spells them" "$bad" "" \
		"$TMP/$n.frames" "$TMP/$n.kallsyms"
done
expect_grep "xdpload_a: frames of the bpf_loop callback" "$TMP/a.frames" '_xdp_slow_a_cb$'
expect_grep "xdpload_b: frames of the bpf_loop callback" "$TMP/b.frames" '_xdp_slow_b_cb$'
# a frame's own address (f.addr) gives its own name back from ksym()
ok=$(val frame_ok "$OUT")
bad=$(val frame_bad "$OUT")
expect_gt "ksym(f.addr) of xdp_slow frames: looked up" "$((${ok:-0} + ${bad:-0}))" 0 "$OUT"
expect_eq "ksym(f.addr) of xdp_slow frames names the frame's function ($ok ok)" "$bad" 0 "$OUT"
[ "$bad" = 0 ] || echo "#   e.g. $(val frame_bad_example "$OUT")"

# ---- stats().ksym ----
reads=$(val kallsyms_reads "$OUT")
if _is_int "$reads" && [ "$reads" -le 1 ]; then
	pass "stats().ksym.kallsyms_reads <= 1 ($reads)"
else
	fail "stats().ksym.kallsyms_reads <= 1" "got '$reads'" "$OUT"
fi
expect_eq "stats().ksym.kallsyms_reads: read once, for the kernel frames" "$reads" 1 "$OUT"
expect_gt "stats().ksym.kallsyms_symbols" "$(val kallsyms_symbols "$OUT")" 1000 "$OUT"
updates=$(val bpf_updates "$OUT")
base=$(val base_updates "$OUT")
expect_ge "stats().ksym.bpf_updates >= 4" "$updates" 4 "$OUT"
# after attach: xdp_slow_a and xdp_slow_b (and xdp_slow_a again for
# ksym()), each 2 functions registered and unregistered
if _is_int "$updates" && _is_int "$base"; then
	expect_ge "bpf_updates since attach >= 8 (2 programs x 2 functions x 2)" \
		$((updates - base)) 8 "$OUT"
else
	fail "bpf_updates since attach" "updates='$updates' base='$base'" "$OUT"
fi

finish
