#!/bin/bash
# every() timers and -d, with no hooks (nothing is loaded), and a script
# with neither hooks nor timers, which ends once its top level has run.
# Needs no privileges.
. "$(dirname "$0")/lib.sh"
require_profrun

RUN_TIMEOUT=20

cat >"$TMP/every.lua" <<'EOF'
local n = 0
every(tonumber(arg[1]), function() n = n + 1 end)
function on_end()
  print("ticks=" .. n)
  print("end=ran")
end
EOF

run_profrun -d 1 "$TMP/every.lua" 0.2
expect_rc "every(0.2) -d 1: exit 0" 0
expect_ge "every(0.2) -d 1: called >= 3 times" "$(val ticks "$OUT")" 3 "$OUT" "$ERR"
expect_eq "every(0.2) -d 1: on_end ran" "$(val end "$OUT")" ran "$OUT"

# -d ends a run that would otherwise go on (a timer keeps it alive);
# RUN_TIMEOUT bounds it, so exit 0 means -d ended it
run_profrun -d 500ms "$TMP/every.lua" 0.1
expect_rc "-d 500ms: the run ends, exit 0" 0
expect_ge "-d 500ms: timer ran" "$(val ticks "$OUT")" 1 "$OUT" "$ERR"
expect_eq "-d 500ms: on_end ran" "$(val end "$OUT")" ran "$OUT"

run_profrun --duration=500ms "$TMP/every.lua" 0.1
expect_rc "--duration=500ms: exit 0" 0
expect_eq "--duration=500ms: on_end ran" "$(val end "$OUT")" ran "$OUT" "$ERR"

# options may follow the script name
run_profrun "$TMP/every.lua" 0.1 -d 300ms
expect_rc "-d after the script: exit 0" 0
expect_eq "-d after the script: on_end ran" "$(val end "$OUT")" ran "$OUT" "$ERR"

# no hooks, no timers, no -d: top level, on_end, done
cat >"$TMP/plain.lua" <<'EOF'
print("top=ran")
function on_end() print("end=ran") end
EOF
run_profrun "$TMP/plain.lua"
expect_rc "no hooks, no timers: exit 0 (does not wait)" 0
expect_eq "no hooks, no timers: top level ran" "$(val top "$OUT")" ran "$OUT" "$ERR"
expect_eq "no hooks, no timers: on_end ran" "$(val end "$OUT")" ran "$OUT"

run_profrun -e 'print("top=ran")'
expect_rc "-e, no hooks: exit 0" 0
expect_eq "-e, no hooks: ran" "$(val top "$OUT")" ran "$OUT" "$ERR"

# exit() at the top level sets the status
run_profrun -e 'function on_end() print("end=ran") end exit(4)'
expect_rc "exit(4) at top level: exit 4" 4

# a timer that raises stops the run with exit 1
run_profrun -d 10 -e 'every(0.05, function() error("tick failed") end)'
expect_rc "every() error: exit 1" 1
expect_grep "every() error: message" "$ERR" 'tick failed'

finish
