#!/bin/bash
# proc() across PID reuse. Program A (a copy of sleep named prog_a, argv[0]
# "AAA_<k>") gets PID P and exits; program B (prog_b, argv[0] "BBB_<k>") is
# then forced onto the same PID P by writing P-1 to
# /proc/sys/kernel/ns_last_pid right before forking it (retried when
# another fork on the machine took P first).
#
# The script records proc(e.pid) in on_exec and on_exit, and keeps every
# proc object it got in on_exec, reading them again from every hook and
# every 20 ms: B's lookups never show prog_a, A's lookups never show
# prog_b, and A's kept object never turns into B (nil is fine).
#
# Two schedules:
#   slow: A lives 0.3 s, B starts 0.3 s after A exited;
#   fast: A lives 50 ms and the script's on_exec for A takes 0.5 s, so A's
#         exit and B's exec reach profrun in the same batch; on_exit(A)
#         still sees A (an exited process stays readable through the
#         dispatch cycle after its exit event), and B's exec replaces the
#         entry (stats().proc.reloads).
. "$(dirname "$0")/lib.sh"
require_bpf
require_bpftool

NS_LAST_PID=/proc/sys/kernel/ns_last_pid
if [ "$(id -u)" != 0 ]; then
	skip_all "forcing PID reuse through $NS_LAST_PID needs root"
fi
[ -w "$NS_LAST_PID" ] || { echo "Bail out! $NS_LAST_PID is not writable as root"; exit 1; }

RUN_TIMEOUT=60
SLEEP=$(type -P sleep)
cp "$SLEEP" "$TMP/prog_a"
cp "$SLEEP" "$TMP/prog_b"

cat >"$TMP/reuse.lua" <<'EOF'
local format = string.format
local objs = {}   -- tag -> the proc object on_exec got
local cur = {}    -- pid -> tag of our process running there
local nbad = 0
local function show(v) return v == nil and "nil" or tostring(v) end
local function bad(s)
  nbad = nbad + 1
  if nbad <= 20 then print("BAD " .. s) end
end
-- what tag's data looks like: exe .../prog_a or .../prog_b, cmdline "<tag> ..."
local function prog_of(tag) return tag:sub(1, 1) == "A" and "prog_a" or "prog_b" end
local function consistent(tag, exe, cmdline)
  local prog = prog_of(tag)
  if exe ~= nil and not exe:match("/" .. prog .. "$") then return false end
  if cmdline ~= nil and cmdline:sub(1, #tag + 1) ~= tag .. " " then return false end
  return true
end
local function check_kept(where)
  for tag, o in pairs(objs) do
    local exe, cmdline = o.exe, o.cmdline
    if not consistent(tag, exe, cmdline) then
      bad(format("%s: kept object of %s (pid %d) reads exe=%s cmdline=%s", where, tag,
        o.pid, show(exe), show(cmdline)))
    end
  end
end
local function tag_of(e)
  local a0 = e.argv[1]
  if a0 and a0:match("^[AB][AB][AB]_[sf]%d+$") then return a0 end
end
function on_exec(e)
  local tag = tag_of(e)
  if not tag then return end
  local p = proc(e.pid)
  local exe, cmdline = p and p.exe, p and p.cmdline
  print(format("exec tag=%s pid=%d exe=%s cmdline=%s start=%s reloads=%d", tag, e.pid,
    show(exe), show(cmdline), show(p and p.start_time), stats().proc.reloads))
  if not p or not consistent(tag, exe, cmdline) then
    bad(format("on_exec of %s: proc(%d) reads exe=%s cmdline=%s", tag, e.pid, show(exe),
      show(cmdline)))
  end
  if p then objs[tag] = p end
  cur[e.pid] = tag
  check_kept("on_exec of " .. tag)
  if tag:match("^AAA_f") then
    -- a slow hook: A's exit and B's exec pile up behind it
    local t0 = now()
    while now() - t0 < 5e8 do end
  end
end
function on_exit(e)
  local tag = cur[e.pid]
  if not tag then return end
  cur[e.pid] = nil
  local p = proc(e.pid)
  local exe, cmdline = p and p.exe, p and p.cmdline
  print(format("exit tag=%s pid=%d comm=%s exe=%s cmdline=%s", tag, e.pid, e.comm, show(exe),
    show(cmdline)))
  if not consistent(tag, exe, cmdline) then
    bad(format("on_exit of %s: proc(%d) reads exe=%s cmdline=%s", tag, e.pid, show(exe),
      show(cmdline)))
  end
  check_kept("on_exit of " .. tag)
end
every(0.02, function() check_kept("every") end)
function on_end()
  check_kept("on_end")
  local st = stats().proc
  print("reloads=" .. st.reloads)
  print("nbad=" .. nbad)
end
EOF

start_profrun -d 50 "$TMP/reuse.lua"
if ! wait_attached "$PR_PID" pr_exec pr_exit; then
	fail "attached" "no link to pr_exec and pr_exit within 20 s" "$OUT" "$ERR"
	finish
fi
pass "attached"

# attempt SCHEDULE K: runs A then B; sets APID and BPID. A's run time and
# the gap before B depend on the schedule (slow or fast).
attempt() {
	local sched=$1 k=$2 a_secs=0.3 gap=0.3
	[ "$sched" = f ] && a_secs=0.05 gap=0
	{ exec -a "AAA_$sched$k" "$TMP/prog_a" $a_secs; } &
	APID=$!
	track_pid "$APID"
	wait "$APID"
	[ "$gap" != 0 ] && sleep "$gap"
	# the next PID the kernel hands out is ns_last_pid + 1 (when free);
	# hold the lock CRIU and other users of ns_last_pid take
	exec 9<"$NS_LAST_PID"
	flock -w 5 9
	echo $((APID - 1)) >"$NS_LAST_PID"
	{ exec -a "BBB_$sched$k" "$TMP/prog_b" 1 9<&-; } &
	BPID=$!
	exec 9<&-
	track_pid "$BPID"
}

# scenario SCHEDULE: attempts until B got A's PID; sets K_OK (0 = never)
scenario() {
	local sched=$1 k
	K_OK=0
	for k in 1 2 3 4 5 6 7 8 9 10; do
		attempt "$sched" "$k"
		if [ "$BPID" = "$APID" ]; then
			K_OK=$k
			echo "# $sched: PID $APID reused on attempt $k"
			return
		fi
		echo "# $sched: attempt $k: A had PID $APID, B got $BPID"
	done
}

scenario s
K_SLOW=$K_OK
P_SLOW=$APID
scenario f
K_FAST=$K_OK
P_FAST=$APID
# every B has exited and profrun has seen it
sleep 1.5
kill -INT "$PR_PID"
wait_profrun
expect_rc "SIGINT ends the run with exit 0" 0

# check_pair SCHEDULE K PID
check_pair() {
	local s=$1 k=$2 pid=$3 name
	name="$s: A=AAA_$s$k B=BBB_$s$k pid $pid"
	expect_grep "$name: A's exec sees prog_a" "$OUT" \
		"^exec tag=AAA_$s$k pid=$pid exe=/.*/prog_a cmdline=AAA_$s$k "
	expect_grep "$name: B's exec sees prog_b with B's cmdline" "$OUT" \
		"^exec tag=BBB_$s$k pid=$pid exe=/.*/prog_b cmdline=BBB_$s$k 1 "
	expect_grep "$name: A's exit still reads A (exe and cmdline)" "$OUT" \
		"^exit tag=AAA_$s$k pid=$pid comm=prog_a exe=/.*/prog_a cmdline=AAA_$s$k "
	expect_grep "$name: B's exit reads B" "$OUT" \
		"^exit tag=BBB_$s$k pid=$pid comm=prog_b exe=/.*/prog_b cmdline=BBB_$s$k 1"
	expect_no_grep "$name: B is never shown with prog_a" "$OUT" \
		"tag=BBB_$s$k .*(prog_a|AAA_)"
	expect_no_grep "$name: A is never shown with prog_b" "$OUT" \
		"tag=AAA_$s$k .*(prog_b|BBB_)"
}

if [ "$K_SLOW" = 0 ]; then
	fail "slow: PID reuse forced" "B never got A's PID in 10 attempts (ns_last_pid)"
else
	pass "slow: PID reuse forced"
	check_pair s "$K_SLOW" "$P_SLOW"
fi
if [ "$K_FAST" = 0 ]; then
	fail "fast: PID reuse forced" "B never got A's PID in 10 attempts (ns_last_pid)"
else
	pass "fast: PID reuse forced"
	check_pair f "$K_FAST" "$P_FAST"
	expect_ge "fast: B's exec replaced A's exited entry (stats().proc.reloads)" \
		"$(val reloads "$OUT")" 1 "$OUT"
fi
expect_eq "no lookup or kept object ever read another process's data" \
	"$(val nbad "$OUT")" 0 "$OUT" "$ERR"

finish
