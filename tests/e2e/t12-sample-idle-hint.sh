#!/bin/bash
# On an idle machine a first on_sample script sees almost nothing, since
# idle CPUs are skipped by default. BPF counts the idle ticks it skips
# (stats().sample.idle_skipped), and a run that ends with a handful of
# samples and many skipped ticks says so once, with the option to use.
. "$(dirname "$0")/lib.sh"
require_bpf

RUN_TIMEOUT=30

cat >"$TMP/few.lua" <<'EOF'
sample { hz = 20 }
function on_sample(s) end
function on_end()
  local s = stats().sample
  print("produced=" .. s.produced)
  print("idle=" .. tostring(s.idle_skipped))
end
EOF
# one CPU sleeps for sure: a 2-CPU machine running this test is mostly idle
run_profrun -d 2 "$TMP/few.lua"
expect_rc "idle: exit 0" 0
produced=$(val produced "$OUT")
idle=$(val idle "$OUT")
expect_gt "idle: skipped idle ticks are counted" "$idle" 0 "$OUT" "$ERR"
if _is_int "$produced" && _is_int "$idle" && [ "$produced" -lt 100 ] && [ "$idle" -gt $((4 * produced)) ]; then
	expect_grep "idle: the end says why there are so few samples" "$ERR" \
		"only $produced samples: the CPUs were idle for $idle more ticks.*sample\\{idle=true\\}"
	expect_eq "idle: said once" "$(grep -c 'only .* samples' "$ERR")" 1 "$ERR"
else
	expect_no_grep "idle: a busy machine gets no idle hint" "$ERR" 'only .* samples'
fi

# with idle=true the idle ticks are samples, and there is no hint
cat >"$TMP/all.lua" <<'EOF'
sample { hz = 20, idle = true }
function on_sample(s) end
function on_end() print("produced=" .. stats().sample.produced) end
EOF
run_profrun -d 2 "$TMP/all.lua"
expect_ge "idle=true: idle ticks are sampled" "$(val produced "$OUT")" 40 "$OUT" "$ERR"
expect_no_grep "idle=true: no hint" "$ERR" 'only .* samples'

# a script without on_sample never gets the hint
run_profrun -d 1 -e 'function on_exec(e) end'
expect_no_grep "no on_sample: no hint" "$ERR" 'only .* samples'

finish
