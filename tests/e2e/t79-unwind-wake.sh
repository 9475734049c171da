#!/bin/bash
# A busy process whose tables are not loaded yet wakes profrun to load
# them (at 4999 Hz its 32nd sample without them does), rather than being copied and
# unwound in user space until the next poll, up to 100 ms later when
# aggregating (~1000 copies at 4999 Hz on two CPUs); a short-lived one
# does not:
#  - profrun aggregating at 4999 Hz, its walker loaded: three uw-chain
#    runs, started one after another, add at least one wake-up
#    (stats().unwind.kernel.wakes), and their samples are walked in BPF
#    (kernel.complete grows by at least half their samples);
#  - 200 runs of /bin/true add fewer than 20: most end before their 32nd
#    sample (6.4 ms of CPU), and wake-ups are at least 10 ms apart;
#  - with --kernel-unwind off nothing walks: wakes stays 0;
#  - at 999 Hz the threshold is the samples of 6.4 ms of CPU (7), not
#    32: five 25 ms runs (~25 samples each) add at least one wake-up
#    (none with a threshold of 32), 200 /bin/true still fewer than 20.
# Anything else that makes the loop load the tables before the 32nd
# sample takes the wake-up's place, so the script keeps them rare: no
# Python (a process is asked about after 5 ms of CPU, and the ask wakes
# the runtime at once, which then loads the tables too: CI saw all three
# runs served that way once), and a report every 0.25 s.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures uw-chain

RUN_TIMEOUT=40
cat >"$TMP/wake.lua" <<'EOF'
sample { hz = tonumber(arg[1]) or 4999, user = true, kernel = true, aggregate = true,
         python = false }
local n = 0
function on_sample(s) n = n + s.count end
local function report()
  local k = stats().unwind.kernel
  io.stderr:write(string.format("wakes=%d\ncomplete=%d\nsamples=%d\n", k.wakes, k.complete, n))
end
every(0.25, report)
function on_end() report() end
EOF

# snapshot: the counters the run printed last
snapshot() {
	WAKES=$(val wakes "$ERR")
	COMPLETE=$(val complete "$ERR")
}

# wait_walker: until the walker is loaded and profrun's own start-up is
# behind it (its own tables woke it, or not: 1.5 s either way)
wait_walker() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -n "$(val wakes "$ERR")" ] && break
		sleep 0.05
	done
	sleep 1.5
}

# busy_then_short HZ SECONDS N SAMPLES_MIN: profrun at HZ; N uw-chain runs
# of SECONDS each must add a wake-up, and at least SAMPLES_MIN walks
# (0: not checked); then 200 /bin/true fewer than 20
busy_then_short() {
	local hz=$1 secs=$2 n=$3 walked=$4 i w0 c0 w1 c1 w2
	start_profrun -d 30 "$TMP/wake.lua" "$hz"
	wait_walker
	snapshot
	w0=$WAKES c0=$COMPLETE
	for ((i = 0; i < n; i++)); do
		"$FIXTURES/uw-chain" "$secs" >/dev/null 2>&1
	done
	sleep 0.6
	snapshot
	w1=$WAKES c1=$COMPLETE
	expect_ge "$hz Hz: $n new busy processes wake profrun for their tables" \
		"$((w1 - w0))" 1 "$ERR"
	[ "$walked" -gt 0 ] &&
		expect_ge "$hz Hz: their samples are walked in BPF (complete +$walked)" \
			"$((c1 - c0))" "$walked" "$ERR"
	for ((i = 0; i < 200; i++)); do
		/bin/true
	done
	sleep 0.6
	snapshot
	w2=$WAKES
	expect_lt "$hz Hz: 200 short-lived processes wake it fewer than 20 times" \
		"$((w2 - w1))" 20 "$ERR"
	kill -INT "$PR_PID"
	wait_profrun
	expect_eq "$hz Hz: the run ends cleanly" "$RC" 0 "$ERR"
}

# 3 x 0.4 s of one CPU at 4999 Hz: ~6000 samples
busy_then_short 4999 0.4 3 3000
# 25 ms at 999 Hz: ~25 samples, below the 32 of 4999 Hz
busy_then_short 999 0.025 5 0

run_profrun -d 2 --kernel-unwind off "$TMP/wake.lua"
expect_eq "--kernel-unwind off: exit 0" "$RC" 0 "$ERR"
expect_eq "--kernel-unwind off: no wake-up" "$(val wakes "$ERR")" 0 "$ERR"

finish
