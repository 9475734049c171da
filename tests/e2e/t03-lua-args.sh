#!/bin/bash
# The Lua side: arg, require from the script's directory, LUA_PATH and
# LUA_INIT ignored, unknown hooks, errors raised by hooks (exit 1, file:line
# and a traceback, on_end still runs), exit() from a hook, --keep-going.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures exiter

RUN_TIMEOUT=30
EXITER=$FIXTURES/exiter

# ---- arg ----
S=$TMP/scripts
mkdir -p "$S" "$TMP/shadow"
cat >"$S/args.lua" <<'EOF'
print("arg0=" .. tostring(arg[0]))
print("arg1=" .. tostring(arg[1]))
print("arg2=" .. tostring(arg[2]))
print("nargs=" .. #arg)
EOF
run_profrun "$S/args.lua" a b
expect_rc "script args: exit 0" 0
expect_eq "script args: arg[0] is the script" "$(val arg0 "$OUT")" "$S/args.lua" "$OUT" "$ERR"
expect_eq "script args: arg[1]" "$(val arg1 "$OUT")" a
expect_eq "script args: arg[2]" "$(val arg2 "$OUT")" b
expect_eq "script args: #arg" "$(val nargs "$OUT")" 2

run_profrun "$S/args.lua" -- -x --y
expect_rc "args after --: exit 0" 0
expect_eq "args after --: arg[1]" "$(val arg1 "$OUT")" -x "$OUT" "$ERR"
expect_eq "args after --: arg[2]" "$(val arg2 "$OUT")" --y

run_profrun -e 'print("x=" .. tostring(arg[1]))' xval
expect_rc "-e args: exit 0" 0
expect_eq "-e args: arg[1]" "$(val x "$OUT")" xval "$OUT" "$ERR"

# ---- require, LUA_PATH, LUA_INIT ----
echo 'return { name = "scriptdir" }' >"$S/e2emod.lua"
echo 'return { name = "shadow" }' >"$TMP/shadow/e2emod.lua"
echo 'return { name = "shadow-only" }' >"$TMP/shadow/e2eshadowonly.lua"
cat >"$S/req.lua" <<'EOF'
print("mod=" .. require("e2emod").name)
local ok = pcall(require, "e2eshadowonly")
print("shadowonly=" .. tostring(ok))
print("init=" .. tostring(rawget(_G, "E2E_INIT_RAN")))
EOF
# from another cwd, so the module can only come from the script's directory
run_cmd env -C / LUA_INIT='E2E_INIT_RAN = true; error("LUA_INIT was run")' \
	LUA_PATH="$TMP/shadow/?.lua;;" LUA_PATH_5_1="$TMP/shadow/?.lua;;" \
	LUA_CPATH="$TMP/shadow/?.so" "$PROFRUN" "$S/req.lua"
expect_rc "require, LUA_PATH, LUA_INIT: exit 0" 0
expect_eq "require: module from the script's directory" "$(val mod "$OUT")" scriptdir "$OUT" "$ERR"
expect_eq "LUA_PATH ignored" "$(val shadowonly "$OUT")" false "$OUT" "$ERR"
expect_eq "LUA_INIT ignored" "$(val init "$OUT")" nil "$OUT" "$ERR"
expect_no_grep "LUA_INIT ignored: no error" "$ERR" 'LUA_INIT was run'

# ---- unknown hook ----
run_profrun -e 'function on_exce(e) end'
expect_rc "unknown hook: exit 2" 2
expect_grep "unknown hook: did you mean" "$ERR" "did you mean 'on_exec'"
expect_grep "unknown hook: names it" "$ERR" "on_exce"

# ---- an error raised by a hook ----
cat >"$S/boom.lua" <<'EOF'
function on_exec(e)
  error("boom")
end
function on_end() print("end=ran") end
EOF
# the -c command's own exec happens after attach and fires on_exec
run_profrun -d 30 -c "$EXITER 0" "$S/boom.lua"
expect_rc "hook error: exit 1" 1
expect_grep "hook error: message with file:line" "$ERR" "boom\.lua:2: boom"
expect_grep "hook error: traceback" "$ERR" "stack traceback"
expect_grep "hook error: traceback names the hook" "$ERR" "boom\.lua:2: in function 'on_exec'"
expect_no_grep "hook error: traceback hides profrun's own frames" "$ERR" "lua/profrun/|\[C\]:"
expect_eq "hook error: on_end still ran" "$(val end "$OUT")" ran "$OUT" "$ERR"

# ---- exit() from a hook ----
cat >"$S/exit3.lua" <<'EOF'
function on_exec(e)
  exit(3)
end
function on_end() print("end=ran") end
EOF
run_profrun -d 30 -c "$EXITER 0" "$S/exit3.lua"
expect_rc "exit(3) from a hook: exit 3" 3
expect_eq "exit(3) from a hook: on_end ran" "$(val end "$OUT")" ran "$OUT" "$ERR"

# ---- --keep-going ----
cat >"$S/keep.lua" <<'EOF'
local calls = 0
function on_exec(e)
  calls = calls + 1
  error("boom " .. calls)
end
function on_end()
  print("calls=" .. calls)
  print("hook_errors=" .. stats().hook_errors)
  print("end=ran")
end
EOF
# the command outlives -d: the run ends by duration, with errors behind it
run_profrun --keep-going -d 2 -c "$EXITER -f 5 0; exec sleep 60" "$S/keep.lua"
expect_rc "--keep-going: runs until -d ends, exit 0" 0
expect_eq "--keep-going: on_end ran" "$(val end "$OUT")" ran "$OUT" "$ERR"
expect_ge "--keep-going: hook_errors > 0" "$(val hook_errors "$OUT")" 1 "$OUT"
expect_ge "--keep-going: the hook ran for every exec (>= 7)" "$(val calls "$OUT")" 7 "$OUT"
expect_eq "--keep-going: hook_errors counts every call" \
	"$(val hook_errors "$OUT")" "$(val calls "$OUT")"
expect_grep "--keep-going: errors reported" "$ERR" "keep\.lua:4: boom"
expect_grep "--keep-going: errors have a traceback" "$ERR" "keep\.lua:4: in function"
expect_no_grep "--keep-going: traceback hides profrun's own frames" "$ERR" "lua/profrun/|\[C\]:"

finish
