#!/bin/bash
# The proc cache is bounded: proc_cache{capacity=200} under an exec storm
# (`exiter -f N 0`: N short processes one after the other), with on_exec
# looking every new process up. More processes than the capacity are alive
# when profrun starts (the seeding stops at the bound, the storm then
# pushes them out: LRU evictions). stats().proc.size, sampled in every hook
# call and every 0.1 s, never exceeds the capacity; entries were evicted
# (LRU and after their exit); the exec events add up: produced ==
# delivered + dropped (the drops are reported, whatever they are).
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures exiter

RUN_TIMEOUT=100
EXITER=$FIXTURES/exiter
N=${T44_N:-6000}
CAP=200
NLIVE=250

# more live processes than the capacity, before profrun starts
for ((i = 0; i < NLIVE; i++)); do
	sleep 40 >/dev/null 2>&1 &
	track_pid $!
done

cat >"$TMP/bounded.lua" <<'EOF'
proc_cache{ capacity = tonumber(arg[1]) }
local max_size, samples, over = 0, 0, 0
local cap_seen
local lookups, found, execs, exits = 0, 0, 0, 0
local function look()
  local st = stats().proc
  samples = samples + 1
  cap_seen = st.capacity
  if st.size > max_size then max_size = st.size end
  if st.size > st.capacity then over = over + 1 end
end
local function is_child(e)
  local tp = target_pid()
  return tp and e.ppid == tp and e.pid ~= tp
end
function on_exec(e)
  lookups = lookups + 1
  if proc(e.pid) then found = found + 1 end
  if is_child(e) then execs = execs + 1 end
  look()
end
local target_exit = "none"
function on_exit(e)
  if is_child(e) then exits = exits + 1 end
  if e.pid == target_pid() then target_exit = e.exit_code .. "/" .. e.signal end
  look()
end
every(0.1, look)
function on_end()
  look()
  local st = stats()
  local p = st.proc
  print("target_exit=" .. target_exit)
  print("capacity=" .. tostring(cap_seen))
  print("seeded=" .. p.seeded)
  print("max_size=" .. max_size)
  print("over=" .. over)
  print("samples=" .. samples)
  print("final_size=" .. p.size)
  print("evictions=" .. p.evictions)
  print("exited_evictions=" .. p.exited_evictions)
  print("child_execs=" .. execs)
  print("child_exits=" .. exits)
  print("lookups=" .. lookups)
  print("found=" .. found)
  print("exec_produced=" .. st.exec.produced)
  print("exec_delivered=" .. st.exec.delivered)
  print("exec_dropped=" .. st.exec.dropped)
  print("exit_produced=" .. st.exit.produced)
  print("exit_delivered=" .. st.exit.delivered)
  print("exit_dropped=" .. st.exit.dropped)
end
EOF

run_profrun -c "$EXITER -f $N 0" "$TMP/bounded.lua" $CAP
expect_rc "exec storm ($N): exit 0" 0
expect_eq "exiter -f $N 0 ran to its end (exit code/signal)" "$(val target_exit "$OUT")" 0/0 "$OUT" "$ERR"
expect_eq "stats().proc.capacity is the proc_cache{} bound" "$(val capacity "$OUT")" $CAP "$OUT" "$ERR"
expect_gt "size was sampled" "$(val samples "$OUT")" 0 "$OUT"
max=$(val max_size "$OUT")
if _is_int "$max" && [ "$max" -le $CAP ] && [ "$max" -gt 0 ]; then
	pass "max stats().proc.size seen ($max) <= capacity ($CAP)"
else
	fail "max stats().proc.size seen <= capacity" "got '$max', capacity $CAP" "$OUT"
fi
expect_eq "size never above capacity in any sample" "$(val over "$OUT")" 0 "$OUT"
final=$(val final_size "$OUT")
if _is_int "$final" && [ "$final" -le $CAP ]; then
	pass "final size ($final) <= capacity"
else
	fail "final size <= capacity" "got '$final'" "$OUT"
fi
ev=$(val evictions "$OUT")
xev=$(val exited_evictions "$OUT")
if _is_int "$ev" && _is_int "$xev"; then
	expect_gt "evictions + exited_evictions > 0 ($ev + $xev)" $((ev + xev)) 0 "$OUT"
else
	fail "evictions + exited_evictions > 0" "got '$ev' + '$xev'" "$OUT"
fi
seeded=$(val seeded "$OUT")
if _is_int "$seeded" && [ "$seeded" -gt 0 ] && [ "$seeded" -le $CAP ]; then
	pass "seeding stopped at the bound ($seeded of > $NLIVE live processes)"
else
	fail "seeding stopped at the bound" "seeded '$seeded', capacity $CAP" "$OUT"
fi
expect_gt "LRU evictions (more live processes than the capacity)" "$ev" 0 "$OUT"
dropped=$(val exec_dropped "$OUT")
produced=$(val exec_produced "$OUT")
delivered=$(val exec_delivered "$OUT")
echo "# exec: produced $produced, delivered $delivered, dropped $dropped;" \
	"child execs seen $(val child_execs "$OUT"), lookups $(val lookups "$OUT")," \
	"found $(val found "$OUT")"
expect_ge "exec: produced >= $N" "$produced" "$N" "$OUT"
if _is_int "$produced" && _is_int "$delivered" && _is_int "$dropped"; then
	expect_eq "exec: produced == delivered + dropped" "$produced" $((delivered + dropped)) "$OUT"
else
	fail "exec: produced == delivered + dropped" "not reported: '$produced' '$delivered' '$dropped'" "$OUT"
fi
expect_eq "exec: every child exec not dropped was delivered" \
	"$(val child_execs "$OUT")" $((N - dropped)) "$OUT"
xd=$(val exit_dropped "$OUT")
xp=$(val exit_produced "$OUT")
xdl=$(val exit_delivered "$OUT")
if _is_int "$xp" && _is_int "$xdl" && _is_int "$xd"; then
	expect_eq "exit: produced == delivered + dropped" "$xp" $((xdl + xd)) "$OUT"
else
	fail "exit: produced == delivered + dropped" "not reported: '$xp' '$xdl' '$xd'" "$OUT"
fi
if [ "$dropped" = 0 ]; then
	pass "no exec event lost with the default buffer"
else
	# reported, as it must be; not a failure of the cache
	echo "# $dropped exec events lost with the default buffer"
	expect_grep "lost exec events are reported on stderr" "$ERR" 'exec'
fi

finish
