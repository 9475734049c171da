#!/bin/bash
# /proc/kallsyms is opened at most once in a whole run, however many
# kernel frames are named and however many BPF programs come and go:
# strace -f on profrun counts the opens. strace slows profrun down, so
# this run is short: a system-wide run whose script names every kernel
# frame of every sample, while xdpload loads, runs and unloads an XDP
# program; the script must still name that program's functions (they
# come from the BPF syscalls and PERF_RECORD_KSYMBOL, not from kallsyms).
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures xdpload
[ -r "$FIXTURES/xdp_slow_a.bpf.o" ] || { echo "Bail out! no fixture $FIXTURES/xdp_slow_a.bpf.o (make fixtures)"; exit 1; }
command -v strace >/dev/null 2>&1 || skip_all "needs strace"

RUN_TIMEOUT=25
ln -s "$FIXTURES/xdpload" "$TMP/xdpload_s"

cat >"$TMP/all.lua" <<'EOF'
local dir = arg[1]
sample { kernel = true }
local kframes, xdp, ready = 0, 0, false
function on_sample(s)
  for _, f in ipairs(s:frames()) do
    if f.kernel then
      kframes = kframes + 1
      if f.name and f.name:find("_xdp_slow_a", 1, true) then xdp = xdp + 1 end
    end
  end
end
every(0.1, function()
  if not ready then
    ready = true
    local f = assert(io.open(dir .. "/ready", "w"))
    f:close()
  end
end)
function on_end()
  local k = stats().ksym
  print("kframes=" .. kframes)
  print("xdp_frames=" .. xdp)
  print("kallsyms_reads=" .. k.kallsyms_reads)
  print("bpf_updates=" .. k.bpf_updates)
end
EOF

# as start_profrun does, with strace between timeout and profrun
OUT=$TMP/run1.out
ERR=$TMP/run1.err
# LeakSanitizer cannot run under ptrace (SANITIZE=1 builds)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
timeout -k 5 "$RUN_TIMEOUT" strace -f -qq -e trace=open,openat -o "$TMP/strace.log" \
	"$PROFRUN" -F 999 "$TMP/all.lua" "$TMP" >"$OUT" 2>"$ERR" </dev/null &
BG_PID=$!
track_pid "$BG_PID"
if ! wait_file "$TMP/ready" 20; then
	fail "profrun under strace started" "no first tick within 20 s" "$OUT" "$ERR"
	finish
fi
pass "profrun under strace started"
# strace's child is profrun
for ((i = 0; i < 50; i++)); do
	st=$(cat "/proc/$BG_PID/task/$BG_PID/children" 2>/dev/null)
	PR_PID=$(cat "/proc/${st%% *}/task/${st%% *}/children" 2>/dev/null)
	PR_PID=${PR_PID%% *}
	[ -n "$PR_PID" ] && break
	sleep 0.1
done
track_pid "${st%% *}"
[ -n "$PR_PID" ] && track_pid "$PR_PID"
wait_attached "$PR_PID" pr_sample || fail "attached" "no pr_sample link" "$ERR"

timeout -k 5 10 "$TMP/xdpload_s" "$FIXTURES/xdp_slow_a.bpf.o" 2 >/dev/null 2>"$TMP/xdp.err" </dev/null
expect_eq "xdpload ran" "$?" 0 "$TMP/xdp.err"
sleep 0.3
kill -INT "$PR_PID" 2>/dev/null
wait "$BG_PID"
# shellcheck disable=SC2034 # read by expect_rc
RC=$?
expect_rc "SIGINT ends profrun (under strace) with exit 0" 0

opens=$(grep -c '"/proc/kallsyms"' "$TMP/strace.log")
if _is_int "$opens" && [ "$opens" -le 1 ]; then
	pass "/proc/kallsyms opened at most once in the run ($opens)"
else
	fail "/proc/kallsyms opened at most once in the run" "opened $opens times" "$TMP/strace.log"
	grep '"/proc/kallsyms"' "$TMP/strace.log" | sed 's/^/#   /'
fi
expect_eq "stats().ksym.kallsyms_reads agrees with strace" "$(val kallsyms_reads "$OUT")" \
	"$opens" "$OUT"
expect_gt "kernel frames named" "$(val kframes "$OUT")" 0 "$OUT" "$ERR"
expect_gt "xdp_slow_a named without re-reading kallsyms" "$(val xdp_frames "$OUT")" 0 "$OUT"
expect_ge "its functions came and went through the feed" "$(val bpf_updates "$OUT")" 4 "$OUT"

finish
