# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/e2e/lib-offcpu.sh: sourced after lib.sh by the t13-t18 off-CPU tests
# (run.sh runs only tNN-*.sh, so this file is never run on its own).
#
# off_fixture [MIN_NS] runs the offcpufix fixture under profrun -c with
# offcpu{min=MIN_NS} (default 1 ms). $OUT then has the fixture's lines
# (thread=NAME tid= wall_ns= oncpu_ns= blocked_ns=, short_ns=) and:
#   off_TID=ns        off-CPU time reported for thread TID, summed or not
#   agg_TID=ns        the part of it that came in aggregated events
#   fn_F=ns, n_F=N    time and count of single intervals whose user stack
#                     holds the fixture's waiting function F (the count
#                     leaves out preemptions: they are not waits)
#   reason_F=N        of those, how many had the reason F's wait has
#   pipe_waker_tid=T  the thread that woke wait_pipe most; pipe_waker_n how
#                     often, pipe_waker_write how often its kernel stack
#                     was in the pipe's write
#   long_below_min=N  single intervals shorter than min (must be none)
#   agg_not_below=N   aggregated events whose mean is not below min
#   produced= delivered= dropped= discarded=  stats().offcpu
#   pids=P,...        every pid an event came from
#   ev=TID,START,END,NS,AGG   every event (AGG 1: aggregated), for
#                     off_within

cat >"$TMP/offfix.lua" <<'EOF2'
local min = tonumber(arg[1]) or 1e6
offcpu{ min = min }
-- the fixture's waiting functions, and the reason each one's wait has
local FN = { wait_sleep = "nanosleep", wait_pipe = "pipe", wait_lock = "futex",
  wait_short = "nanosleep", wait_long = "nanosleep" }
local per_tid, agg_tid, fn_ns, fn_n, fn_reason, pids = {}, {}, {}, {}, {}, {}
local long_below_min, agg_not_below = 0, 0
local evs = {}
local pipe_wakers, pipe_waker_write = {}, 0

local function waiting_fn(e)
  for _, f in ipairs(e:frames()) do
    if not f.kernel and FN[f.name] then return f.name end
  end
end

function on_offcpu(e)
  pids[e.pid] = true
  per_tid[e.tid] = (per_tid[e.tid] or 0) + e.duration
  evs[#evs + 1] = string.format("ev=%d,%d,%d,%d,%d", e.tid, e.start, e.time, e.duration,
    e.aggregated and 1 or 0)
  if e.aggregated then
    agg_tid[e.tid] = (agg_tid[e.tid] or 0) + e.duration
    if e.duration >= e.count * min then agg_not_below = agg_not_below + 1 end
    return
  end
  if e.duration < min then long_below_min = long_below_min + 1 end
  local fn = waiting_fn(e)
  if not fn then return end
  fn_ns[fn] = (fn_ns[fn] or 0) + e.duration
  -- a wait, not a preemption in the function around it (a loaded host
  -- takes the CPU away from it for over min now and then): its time is
  -- part of what the fixture measured, but it is not one of the waits
  if e.reason ~= "preempted" then fn_n[fn] = (fn_n[fn] or 0) + 1 end
  if e.reason == FN[fn] then fn_reason[fn] = (fn_reason[fn] or 0) + 1 end
  if fn == "wait_pipe" and e.waker_tid then
    pipe_wakers[e.waker_tid] = (pipe_wakers[e.waker_tid] or 0) + 1
    for _, f in ipairs(e:waker_frames()) do
      -- pipe_write, or anon_pipe_write since 6.x
      if f.kernel and f.name and f.name:find("pipe_write$") then
        pipe_waker_write = pipe_waker_write + 1
        break
      end
    end
  end
end

function on_end()
  for tid, ns in pairs(per_tid) do print("off_" .. tid .. "=" .. ns) end
  for tid, ns in pairs(agg_tid) do print("agg_" .. tid .. "=" .. ns) end
  for fn in pairs(FN) do
    print("fn_" .. fn .. "=" .. (fn_ns[fn] or 0))
    print("n_" .. fn .. "=" .. (fn_n[fn] or 0))
    print("reason_" .. fn .. "=" .. (fn_reason[fn] or 0))
  end
  local top, topn = 0, 0
  for tid, n in pairs(pipe_wakers) do if n > topn then top, topn = tid, n end end
  print("pipe_waker_tid=" .. top)
  print("pipe_waker_n=" .. topn)
  print("pipe_waker_write=" .. pipe_waker_write)
  print("long_below_min=" .. long_below_min)
  print("agg_not_below=" .. agg_not_below)
  local p = {}
  for pid in pairs(pids) do p[#p + 1] = pid end
  table.sort(p)
  print("pids=" .. table.concat(p, ","))
  for _, l in ipairs(evs) do print(l) end
  local s = stats().offcpu
  for _, k in ipairs { "produced", "delivered", "dropped", "discarded" } do
    print(k .. "=" .. s[k])
  end
end
EOF2

off_fixture() {
	run_profrun -c "$FIXTURES/offcpufix" "$TMP/offfix.lua" "${1:-1000000}"
}

# thread_val NAME FIELD: FIELD of the fixture's line for thread NAME
thread_val() {
	awk -v t="thread=$1" -v k="$2=" '$1 == t {
		for (i = 2; i <= NF; i++) if (index($i, k) == 1) v = substr($i, length(k) + 1)
	} END { print v }' "$OUT"
}

# off_within TID T0 T1: the off-CPU ns reported for thread TID within
# [T0, T1] (CLOCK_MONOTONIC ns): single intervals clipped to it; an
# aggregated event counts in the share of its span that lies inside (its
# waits are short, so spread evenly enough), all of it if it has no span.
# A thread's own wall time runs from T0 to T1, so this is what it is held
# to, whatever the thread did after it took its figures.
off_within() {
	awk -F'[=,]' -v tid="$1" -v t0="$2" -v t1="$3" '
		$1 == "ev" && $2 == tid {
			s = $3; e = $4; d = $5
			lo = s > t0 ? s : t0; hi = e < t1 ? e : t1
			if ($6 == 0) { if (hi > lo) sum += hi - lo }
			else if (e <= s) { if (s >= t0 && s <= t1) sum += d }
			else if (hi > lo) sum += d * (hi - lo) / (e - s)
		}
		END { printf "%.0f\n", sum }' "$OUT"
}

# expect_close NAME ACTUAL TRUTH PERCENT: |ACTUAL - TRUTH| <= PERCENT% of TRUTH
expect_close() {
	local d
	if _is_int "$2" && _is_int "$3" && [ "$3" -gt 0 ]; then
		d=$(($2 - $3))
		d=${d#-}
		if [ $((d * 100)) -le $(($4 * $3)) ]; then
			pass "$1 (got $2, truth $3)"
			return
		fi
	fi
	fail "$1" "got '$2', truth '$3', allowed $4%" "$OUT" "$ERR"
}
