#!/bin/bash
# --restricted: a script shipped from elsewhere cannot leave the Lua VM
# (ffi, debug, bytecode, loadlib, module tricks) nor run programs
# (os.execute, io.popen). Each refusal fails setup with exit 2 and a
# message naming the forbidden thing, before any BPF object is loaded
# (the scripts define on_sample, so an unrestricted run would load one).
# Refusals come before any privileged step, so this needs no root.
. "$(dirname "$0")/lib.sh"
require_profrun

RUN_TIMEOUT=30

# refused NAME ERE CODE: CODE, after an on_sample hook, must be refused at
# setup with a message matching ERE; nothing after it runs or loads
refused() {
	local name=$1 ere=$2 code=$3
	run_profrun -v --restricted -d 1 -e "function on_sample() end
$code
print('after=reached')"
	expect_rc "$name: exit 2" 2
	expect_grep "$name: message" "$ERR" "^profrun: .*$ere"
	expect_no_grep "$name: the script stopped there" "$OUT" "after=reached"
	expect_no_grep "$name: no BPF object loaded" "$ERR" "libbpf: loading object"
}

NA='not available under --restricted'
refused 'require "ffi"' "require 'ffi': ffi is $NA" 'require "ffi"'
refused 'package.loaded.ffi' "package.loaded.ffi is nil" \
	'assert(package.loaded.ffi == nil, "package.loaded.ffi is nil") error("ffi=" .. tostring(package.loaded.ffi) .. " (package.loaded.ffi is nil)")'
refused 'package.preload.ffi' "require 'ffi': ffi is $NA" \
	'local p = package.preload.ffi; if p then p() end; require "ffi"'
refused 'require "jit.util"' "jit is $NA" 'require "jit.util"'
refused 'jit.util' "jit.util is gone" 'assert(jit.util == nil, "jit.util is gone") error("jit.util is gone")'
refused 'require "string.buffer"' "string.buffer is $NA" 'require "string.buffer"'
refused 'debug.getinfo' "debug.getinfo is $NA" 'debug.getinfo(1)'
refused 'debug.sethook' "debug.sethook is $NA" 'debug.sethook(print, "l")'
refused 'require "debug"' "debug is $NA" 'require "debug"'
refused 'os.execute' "os.execute is $NA" 'os.execute("true")'
refused 'io.popen' "io.popen is $NA" 'io.popen("true")'
refused 'package.loadlib' "package.loadlib is $NA" 'package.loadlib("libc.so.6", "puts")'
refused 'module()' "module is $NA" 'module("ffi")'
refused 'os.exit' "os.exit is $NA; call exit" 'os.exit(0)'
refused 'load(string.dump(f))' "binary \\(bytecode\\) chunks cannot be loaded" \
	'assert(load(string.dump(function() return 1 end)))'
refused 'loadstring(bytecode)' "binary \\(bytecode\\) chunks cannot be loaded" \
	'assert(loadstring(string.dump(function() return 1 end), "x"))'
refused 'load(bytecode, name, "b")' "binary \\(bytecode\\) chunks cannot be loaded" \
	'assert(load(string.dump(function() return 1 end), "x", "b"))'
refused 'getfenv on a library function' "getfenv: the environment of profrun's library is $NA" \
	'getfenv(require("profrun.flame").new)'
refused 'setfenv on a library function' "setfenv: the environment of profrun's library is $NA" \
	'setfenv(require("profrun.flame").new, {})'
refused 'setfenv(0)' "setfenv\\(0\\): replacing the globals is $NA" \
	'setfenv(0, { require = function() return {} end })'
refused 'profrun internals' "require 'profrun.cdef': internal to profrun and is $NA" 'require "profrun.cdef"'
refused 'profrun.event ctypes' "sample_ptr=nil" \
	'local e = require "profrun.event" error("sample_ptr=" .. tostring(e.sample_ptr) .. " set=" .. tostring(e.set_stack_resolver), 0)'
refused 'require "profrun"' "require 'profrun': internal to profrun and is $NA" 'require("profrun").start(1)'
refused 'pcall(require, "profrun")' "require 'profrun': internal to profrun and is $NA" \
	'local ok, e = pcall(require, "profrun") error(ok and "got profrun" or e, 0)'
refused 'require "profrun" from a coroutine' "require 'profrun': internal to profrun and is $NA" \
	'coroutine.wrap(require)("profrun")'
refused 'require "profrun" through gsub' "require 'profrun': internal to profrun and is $NA" \
	'string.gsub("profrun", ".+", require)'

# bytecode as files: the script itself, loadfile, dofile, a module
S=$TMP/scripts
mkdir -p "$S"
echo 'print("bc=ran")' >"$TMP/src.lua"
"$PROFRUN" -e "local f = io.open('$S/bc.lua', 'wb') f:write(string.dump(assert(loadfile('$TMP/src.lua')))) f:close()" ||
	fail "write bytecode" "could not write $S/bc.lua"
cp "$S/bc.lua" "$S/bcmod.lua"
run_profrun --restricted "$S/bc.lua"
expect_rc "bytecode script: exit 2" 2
expect_grep "bytecode script: message" "$ERR" "^profrun: .*bc.lua' is bytecode; a --restricted script must be Lua source"
expect_no_grep "bytecode script: did not run" "$OUT" "bc=ran"
run_profrun "$S/bc.lua"
expect_rc "bytecode script without --restricted: runs" 0
expect_grep "bytecode script without --restricted: output" "$OUT" "^bc=ran$"
refused 'loadfile(bytecode)' "binary \\(bytecode\\) chunks cannot be loaded" "assert(loadfile('$S/bc.lua'))"
refused 'dofile(bytecode)' "binary \\(bytecode\\) chunks cannot be loaded" "dofile('$S/bc.lua')"

# the script's own modules: source loads, bytecode and ffi do not
echo 'return { x = 42 }' >"$S/okmod.lua"
echo 'local ffi = require "ffi" return {}' >"$S/ffimod.lua"
cat >"$S/mods.lua" <<'EOF'
print("okmod=" .. require("okmod").x)
require(arg[1])
print("after=reached")
EOF
run_profrun --restricted "$S/mods.lua" ffimod
expect_rc "module requiring ffi: exit 2" 2
expect_grep "module requiring ffi: source module loads" "$OUT" "^okmod=42$"
expect_grep "module requiring ffi: message" "$ERR" "ffimod.lua:1: require 'ffi': ffi is $NA"
run_profrun --restricted "$S/mods.lua" bcmod
expect_rc "bytecode module: exit 2" 2
expect_grep "bytecode module: message" "$ERR" "error loading module 'bcmod' from .*bcmod.lua: binary \\(bytecode\\)"

# what stays: reading files, print, stdout/stderr, the API, public modules
run_profrun --restricted -e '
local f = assert(io.open("/proc/self/stat"))
print("stat=" .. (f:read("*l"):match("^%d+") or "none"))
f:close()
io.stdout:write("stdout=ok\n")
io.stderr:write("stderr=ok\n")
print("hz=" .. type(sample_hz))
print("json=" .. require("profrun.json").encode({ 1, 2 }))
print("flame=" .. type(require("profrun.flame").new))
print("folded=" .. type(require("profrun.event").folded))
print("env=" .. tostring(getfenv(1) == _G))
print("str=" .. ("%d"):format(7))'
expect_rc "what stays: exit 0" 0
expect_grep "what stays: reads /proc/self/stat" "$OUT" "^stat=[0-9]+$"
expect_grep "what stays: io.stdout" "$OUT" "^stdout=ok$"
expect_grep "what stays: io.stderr" "$ERR" "^stderr=ok$"
expect_grep "what stays: the API" "$OUT" "^hz=function$"
expect_grep "what stays: profrun.json" "$OUT" '^json=\[1, ?2\]$'
expect_grep "what stays: profrun.flame" "$OUT" "^flame=function$"
expect_grep "what stays: profrun.event helpers" "$OUT" "^folded=function$"
expect_grep "what stays: getfenv of the script" "$OUT" "^env=true$"

# without --restricted nothing changes
run_profrun -e 'local ffi = require "ffi" print("ffi=" .. type(ffi.new)) print("dbg=" .. type(debug.getinfo))'
expect_rc "unrestricted: exit 0" 0
expect_grep "unrestricted: ffi" "$OUT" "^ffi=function$"
expect_grep "unrestricted: debug" "$OUT" "^dbg=function$"

finish
