# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/e2e/lib-unwind.sh: sourced after lib.sh by the t8x unwinding tests
# (run.sh runs only tNN-*.sh, so this file is never run on its own).
#
# uw_profile CMD MODE [STACK_BYTES [offsets]] profiles CMD (profrun -c, 999 Hz,
# user stacks only) with sample{unwind=MODE} ("default" leaves the option
# out) and sample{stack_bytes=STACK_BYTES} ("default" or empty: the
# default). $OUT then has:
#   stack<TAB>count<TAB>frames   one line per distinct stack, hottest first;
#                                frames root first, each "name@module"
#                                (module basename, symbol version dropped;
#                                no name: "module+0xoff@module"; no module:
#                                "[unknown]@?"); with "offsets", the leaf is
#                                "name+0xoff@module"
#   total=N                      samples of the command
#   target=PID                   the command's PID (nil if no sample came)
#   delivered=N                  stats().sample.delivered
#   unwind.KEY=value             every field of stats().unwind, nested tables
#                                as unwind.failures=table and
#                                unwind.failures.KEY=value; "unwind=nil" when
#                                the runtime reports none
# UW_ENV (array of NAME=VALUE) is put in the environment of the run; UW_ARGS
# (array) is added to profrun's options.
#
# The uw_expect_* helpers compare shares of samples whose frames match an
# ERE. Anchor a frame with (^|;) and (;|$): names are plain words.

# 999 Hz on the one busy CPU: up to 1000 samples a second, so a 1-2 s run
# has hundreds, and 90% leaves room for process start and vDSO samples.
UW_HZ=999
UW_MIN_SAMPLES=${UW_MIN_SAMPLES:-100}
UW_ENV=()
UW_ARGS=()

cat >"$TMP/uw-stacks.lua" <<'EOF'
local event = require "profrun.event"
local mode, bytes, offsets = arg[1], tonumber(arg[2]), arg[3] == "offsets"
-- the native unwinders' stacks: the eval loop's frames stay as they are
local opts = { kernel = false, python = false }
if mode and mode ~= "default" and mode ~= "" then opts.unwind = mode end
if bytes then opts.stack_bytes = bytes end
sample(opts)

local counts, tp = {}, nil
function on_sample(s)
  tp = tp or target_pid()
  if s.pid == tp then counts[s.stack] = (counts[s.stack] or 0) + 1 end
end

-- one frame per unwound address: frames of inlined code (DWARF's, not
-- the unwinder's) are left out
local function render(id)
  local fr, parts, leaf = stack(id), {}, nil
  for i = 1, #fr do
    if not fr[i].kernel and not fr[i].inlined then leaf = i; break end
  end
  for i = #fr, 1, -1 do
    local f = fr[i]
    if not f.kernel and not f.inlined then
      local name = event.frame_name(f):gsub("@.*$", "")
      if i == leaf and offsets and f.name then name = string.format("%s+0x%x", name, f.offset) end
      parts[#parts + 1] = name .. "@" .. (f.module and f.module:match("[^/]*$") or "?")
    end
  end
  return table.concat(parts, ";")
end

local function flatten(prefix, t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = t[k]
    if type(v) == "table" then
      print(prefix .. k .. "=table")
      flatten(prefix .. k .. ".", v)
    else
      print(prefix .. k .. "=" .. tostring(v))
    end
  end
end

function on_end()
  local agg, keys, total = {}, {}, 0
  for id, n in pairs(counts) do
    local r = render(id)
    if not agg[r] then keys[#keys + 1] = r end
    agg[r] = (agg[r] or 0) + n
    total = total + n
  end
  table.sort(keys, function(a, b) return agg[a] > agg[b] end)
  for _, k in ipairs(keys) do print("stack\t" .. agg[k] .. "\t" .. k) end
  local st = stats()
  print("total=" .. total)
  print("target=" .. tostring(tp))
  print("delivered=" .. st.sample.delivered)
  if type(st.unwind) == "table" then flatten("unwind.", st.unwind) else
    print("unwind=" .. tostring(st.unwind)) end
end
EOF

# uw_profile CMD MODE [STACK_BYTES [offsets]]: see the top of this file
uw_profile() {
	local cmd=$1 mode=$2 bytes=${3:-} offs=${4:-}
	[ "$bytes" = default ] && bytes=
	run_cmd env "${UW_ENV[@]}" "$PROFRUN" -F "$UW_HZ" "${UW_ARGS[@]}" -c "$cmd" \
		"$TMP/uw-stacks.lua" "$mode" "$bytes" "$offs"
}

# uw_count FILE [ERE...]: samples whose frames match every ERE
uw_count() {
	local f=$1
	shift
	UW_RES=$(printf '%s\n' "$@") awk -F '\t' '
		BEGIN { n = split(ENVIRON["UW_RES"], re, "\n") }
		$1 == "stack" {
			for (i = 1; i <= n; i++) if (re[i] != "" && $3 !~ re[i]) next
			c += $2
		}
		END { print c + 0 }' "$f"
}

# uw_diag FILE OF_ERE WANT_ERE: the hottest stacks among OF_ERE that miss
# WANT_ERE, then the unwind counters, into a file whose path is printed
uw_diag() {
	local d
	d=$(mktemp "$TMP/diag.XXXXXX")
	{
		echo "total=$(val total "$1") delivered=$(val delivered "$1")"
		echo "hottest stacks (root first) without the expected frames:"
		UW_OF=$2 UW_WANT=$3 awk -F '\t' '$1 == "stack" && $3 ~ ENVIRON["UW_OF"] &&
			$3 !~ ENVIRON["UW_WANT"] { print $2 "  " $3 }' "$1" | head -n 8
		echo "unwind counters:"
		grep '^unwind' "$1" | tr '\n' ' '
		echo
	} >"$d"
	echo "$d"
}

# uw_expect_share NAME FILE WANT_ERE OF_ERE MIN_PCT: of the samples matching
# OF_ERE ("" for all), at least MIN_PCT% also match WANT_ERE; and there are
# at least UW_MIN_SAMPLES of them
# uw_expect_complete NAME FILE [DIAG]: >= 90% of the stacks unwound in the
# run (stats().unwind in FILE) reached their outermost frame
uw_expect_complete() {
	expect_pct_ge "$1: >= 90% of unwound stacks complete" "$(val unwind.complete "$2")" \
		"$(val unwind.stacks "$2")" 90 "${3:-$2}"
}

uw_expect_share() {
	local name=$1 f=$2 want=$3 of=$4 min=$5 part all
	all=$(uw_count "$f" "$of")
	part=$(uw_count "$f" "$of" "$want")
	if [ "$all" -ge "$UW_MIN_SAMPLES" ] && [ $((part * 100)) -ge $((all * min)) ]; then
		pass "$name ($part/$all)"
	else
		fail "$name" "$part of $all samples (need >= $min% of >= $UW_MIN_SAMPLES)" \
			"$(uw_diag "$f" "$of" "$want")" "$ERR"
	fi
}

# uw_expect_share_below NAME FILE WANT_ERE OF_ERE MAX_PCT: fewer than
# MAX_PCT% of at least UW_MIN_SAMPLES samples matching OF_ERE match WANT_ERE
uw_expect_share_below() {
	local name=$1 f=$2 want=$3 of=$4 max=$5 part all
	all=$(uw_count "$f" "$of")
	part=$(uw_count "$f" "$of" "$want")
	if [ "$all" -ge "$UW_MIN_SAMPLES" ] && [ $((part * 100)) -lt $((all * max)) ]; then
		pass "$name ($part/$all)"
	else
		fail "$name" "$part of $all samples (need < $max% of >= $UW_MIN_SAMPLES)" "$f" "$ERR"
	fi
}

# uw_expect_profiled NAME: the last uw_profile run exited 0 with samples
uw_expect_profiled() {
	expect_rc "$1: exit 0" 0
	expect_ge "$1: samples (>= $UW_MIN_SAMPLES)" "$(val total "$OUT")" "$UW_MIN_SAMPLES" \
		"$OUT" "$ERR"
}

# uw_fp_setup BINARY FUNC: prints "yes" when FUNC sets up a frame pointer
# (push %rbp, then mov %rsp,%rbp with no other push or rsp change between:
# rbp then points at the saved rbp and the return address), "no" when it
# does not, "missing" when objdump does not find it
uw_fp_setup() {
	objdump -d --no-show-raw-insn --disassemble="$2" "$1" 2>/dev/null | awk -v fn="<$2>:" '
		index($0, fn) { found = 1 }
		/push +%rbp$/ { p = 1; next }
		/push|pop|,%rsp$/ { p = 0 }
		p && /mov +%rsp,%rbp$/ { fp = 1 }
		END { print !found ? "missing" : fp ? "yes" : "no" }'
}

# uw_expect_fp_setup NAME BINARY yes|no FUNC...: each FUNC does (yes) or does
# not (no) set up a frame pointer
uw_expect_fp_setup() {
	local name=$1 bin=$2 want=$3 fn got bad=
	shift 3
	for fn in "$@"; do
		got=$(uw_fp_setup "$bin" "$fn")
		[ "$got" = "$want" ] || bad="$bad $fn($got)"
	done
	if [ -z "$bad" ]; then
		pass "$name: frame pointer set up: $want, in $*"
	else
		fail "$name" "frame pointer set up, expected $want, got:$bad"
	fi
}

# uw_expect_no_fp NAME BINARY FUNC...: none of FUNC sets up a frame
# pointer, so only unwind tables lead through them
uw_expect_no_fp() {
	uw_expect_fp_setup "$1" "$2" no "${@:3}"
}

# uw_expect_sections NAME FILE WANT NOTWANT: readelf lists every section of
# WANT (space-separated) and none of NOTWANT
uw_expect_sections() {
	local secs s bad=
	secs=$(readelf -SW "$2" 2>/dev/null | awk '{ print $2 }')
	for s in $3; do grep -qx -- "$s" <<<"$secs" || bad="$bad no $s;"; done
	for s in $4; do ! grep -qx -- "$s" <<<"$secs" || bad="$bad has $s;"; done
	if [ -z "$bad" ]; then pass "$1"; else fail "$1" "$(basename "$2"):$bad"; fi
}

# The process entry as glibc 2.36 builds it, root first: _start (whose CFI
# marks the return address undefined: the outermost frame), then
# __libc_start_main (its .dynsym name; __libc_start_main_impl in debuginfo),
# then any libc frames (__libc_start_call_main) up to main.
uw_entry() { # EXE_BASENAME_ERE: ERE prefix up to and including "main@EXE;"
	echo "^_start@$1;$(_uw_to_main "$1")"
}

# The same from __libc_start_main on, for binaries whose _start has no CFI
uw_libc_main() { # EXE_BASENAME_ERE
	echo "(^|;)$(_uw_to_main "$1")"
}

_uw_to_main() {
	echo "__libc_start_main[^;]*@libc\\.so\\.6;([^;]*@libc\\.so\\.6;)*main@$1;"
}
