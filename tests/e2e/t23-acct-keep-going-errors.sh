#!/bin/bash
# Hook errors are reported once, not per event: with --keep-going the
# first few errors are printed with their traceback, the rest are
# counted, and the end of the run gives the total per hook.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures exiter

RUN_TIMEOUT=60

cat >"$TMP/errors.lua" <<'EOF'
local execs = 0
function on_exec(e)
  execs = execs + 1
  error("bad exec " .. execs)
end
function on_exit(e)
  local x = nil
  return x.field
end
every(0.05, function() error("tick") end)
function on_end()
  print("execs=" .. execs)
  print("hook_errors=" .. stats().hook_errors)
end
EOF
run_profrun --keep-going -d 3 -c "$FIXTURES/exiter -f 200 0" "$TMP/errors.lua"
expect_rc "--keep-going: exit 0" 0
execs=$(val execs "$OUT")
expect_ge "--keep-going: the hooks ran on (on_exec)" "$execs" 200 "$OUT" "$ERR"
shown=$(grep -c '^profrun: error in ' "$ERR")
expect_eq "--keep-going: three errors shown" "$shown" 3 "$ERR"
expect_grep "--keep-going: a shown error has its traceback" "$ERR" 'errors\.lua:[0-9]+:'
expect_grep "--keep-going: says the rest are counted" "$ERR" 'further hook errors are counted'
expect_grep "--keep-going: the end line gives on_exec's total" "$ERR" \
	"hook errors \\(--keep-going\\):.*on_exec $execs"
expect_grep "--keep-going: ... and on_exit's" "$ERR" 'hook errors \(--keep-going\):.*on_exit [0-9]+'
expect_grep "--keep-going: ... and every()'s" "$ERR" 'hook errors \(--keep-going\):.*every\(\) [0-9]+'
lines=$(wc -l <"$ERR")
if [ "$lines" -le 20 ]; then
	pass "--keep-going: stderr stays short ($lines lines for $(val hook_errors "$OUT") errors)"
else
	fail "--keep-going: stderr stays short" "$lines lines" "$ERR"
fi

finish
