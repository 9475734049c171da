#!/bin/bash
# JIT code, the case "auto" exists for: node runs a hot JavaScript loop;
# V8's JIT code is anonymous memory with no unwind table (named from
# /tmp/perf-PID.map by --perf-basic-prof) but keeps frame pointers. In the
# default mode, >= 90% of the samples in hotFunctionForProfrun go from
# _start through __libc_start_main and node's C++ into the JIT frame: CFI
# where node and libc have it, frame pointers through the JIT code and V8's
# builtins. With unwind="dwarf" (tables only) fewer than half do, so the
# fallback is what carries them. Skipped only when node is not installed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-unwind.sh"
require_bpf
command -v node >/dev/null 2>&1 || skip_all "needs node (nodejs) for --perf-basic-prof"
NODE=$(command -v node)

RUN_TIMEOUT=30
cat >"$TMP/hot.js" <<'JSEOF'
function hotFunctionForProfrun(n) {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + i * 7) % 1000003;
  return s;
}
const end = Date.now() + Number(process.argv[2]) * 1000;
let acc = 0;
while (Date.now() < end) acc += hotFunctionForProfrun(100000);
console.log("acc=" + acc);
JSEOF

M=$(basename "$(readlink -f "$NODE")" | sed 's/\./\\./g')
HOT="(^|;)[^;]*hotFunctionForProfrun[^;]*@perf-[0-9]+\\.map(;|$)"
FULL="^_start@$M;__libc_start_main[^;]*@libc\\.so\\.6;(.*;)?[^;]*hotFunctionForProfrun[^;]*@perf-[0-9]+\\.map(;|$)"

# node may leave logs (isolate-*-v8.log) in its working directory: keep
# them in $TMP, not in the checkout
cd "$TMP" || exit 1

# node_run MODE SECS: profiles hot.js, then removes node's perf map
node_run() {
	local tp
	uw_profile "$NODE --perf-basic-prof $TMP/hot.js $2" "$1"
	tp=$(val target "$OUT")
	_is_int "$tp" && rm -f "/tmp/perf-$tp.map"
}

node_run default 1.5
uw_expect_profiled "node"
uw_expect_share "node: >= 50% of samples in the JIT frame hotFunctionForProfrun (the workload)" \
	"$OUT" "$HOT" "" 50
uw_expect_share "node: >= 90% of JIT-frame samples go _start;__libc_start_main;..;hotFunctionForProfrun" \
	"$OUT" "$FULL" "$HOT" 90

node_run dwarf 1
uw_expect_profiled "node, unwind=dwarf"
uw_expect_share_below "node, unwind=dwarf: JIT-frame samples reach _start < 50%" \
	"$OUT" "$FULL" "$HOT" 50

finish
