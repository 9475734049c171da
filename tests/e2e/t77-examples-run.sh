#!/bin/bash
# Every example in examples/ runs for about 2 s on real BPF and prints what
# its header says it prints. Each run is tied to a fixture started with -c
# (so it ends when the fixture does): burn for the CPU examples, exiter for
# the lifecycle ones. flamegraph.lua and pprof.lua are checked when they
# exist; an example this file does not know is run once and must exit 0.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures burn exiter offcpufix probefix

RUN_TIMEOUT=30
BURN=$FIXTURES/burn
EXITER=$FIXTURES/exiter
declare -A KNOWN

# ---- top.lua ----
KNOWN[top.lua]=1
run_profrun -c "$BURN 1.5" "$EXAMPLES/top.lua"
expect_rc "top: exit 0" 0
expect_grep "top: sample summary" "$OUT" '^[0-9]+ samples, [0-9.]+% of them idle'
expect_grep "top: header" "$OUT" 'SELF% +TOTAL% +SAMPLES +FUNCTION +MODULE'
expect_grep "top: burn_heavy is listed" "$OUT" '%.* burn_heavy +burn$'

# ---- profile.lua ----
KNOWN[profile.lua]=1
run_profrun -c "$BURN 1.5" "$EXAMPLES/profile.lua"
expect_rc "profile: exit 0" 0
expect_grep "profile: folded burn_heavy stack" "$OUT" '^[0-9]+ burn;.*main;burn_heavy$'

# ---- flamegraph.lua (another module's example: only when present) ----
KNOWN[flamegraph.lua]=1
if [ -e "$EXAMPLES/flamegraph.lua" ]; then
	run_profrun -c "$BURN 1.5" "$EXAMPLES/flamegraph.lua" "$TMP/flame.svg" "$TMP/flame.folded"
	expect_rc "flamegraph: exit 0" 0
	expect_grep "flamegraph: says what it wrote" "$OUT" "wrote .*flame\.svg"
	check "flamegraph: the SVG exists" test -s "$TMP/flame.svg"
	expect_grep "flamegraph: an SVG" "$TMP/flame.svg" '<svg'
	expect_grep "flamegraph: burn_heavy in the SVG" "$TMP/flame.svg" 'burn_heavy'
	expect_grep "flamegraph: folded stacks" "$TMP/flame.folded" 'burn_heavy'
else
	echo "# flamegraph.lua not present: skipped"
fi

# ---- pprof.lua (another module's example: only when present) ----
KNOWN[pprof.lua]=1
if [ -e "$EXAMPLES/pprof.lua" ]; then
	run_profrun -c "$BURN 1.5" "$EXAMPLES/pprof.lua" "$TMP/cpu.pb.gz"
	expect_rc "pprof: exit 0" 0
	expect_grep "pprof: says what it wrote" "$OUT" "wrote .*cpu\.pb\.gz"
	check "pprof: a gzip file" gzip -t "$TMP/cpu.pb.gz"
	expect_ge "pprof: burn_heavy in the profile's strings" \
		"$(gzip -dc "$TMP/cpu.pb.gz" 2>/dev/null | grep -ac burn_heavy)" 1
else
	echo "# pprof.lua not present: skipped"
fi

# ---- execsnoop.lua ----
KNOWN[execsnoop.lua]=1
run_profrun -c "$EXITER 0" "$EXAMPLES/execsnoop.lua"
expect_rc "execsnoop: exit 0" 0
expect_grep "execsnoop: header" "$OUT" '^COMM +PID +PPID +UID +FILENAME +ARGS'
expect_grep "execsnoop: the fixture's exec" "$OUT" "^exiter +[0-9]+ +[0-9]+ +0 +.*exiter 0\$"

run_profrun -c "$EXITER 0" "$EXAMPLES/execsnoop.lua" --json
expect_rc "execsnoop --json: exit 0" 0
expect_grep "execsnoop --json: a JSON line for the fixture" "$OUT" '^\{.*"comm":"exiter".*\}$'

# ---- exitsnoop.lua ----
KNOWN[exitsnoop.lua]=1
run_profrun -c "$EXITER 4" "$EXAMPLES/exitsnoop.lua"
expect_rc "exitsnoop: exit 0" 0
expect_grep "exitsnoop: header" "$OUT" '^COMM +PID +PPID +LIFETIME\(ms\) +EXIT +COMMAND'
expect_grep "exitsnoop: code 4" "$OUT" '^exiter .* code 4 +.*exiter 4$'

run_profrun -c "$EXITER 4" "$EXAMPLES/exitsnoop.lua" --json
expect_rc "exitsnoop --json: exit 0" 0
expect_grep "exitsnoop --json: a JSON line with exit_code 4" "$OUT" \
	'^\{.*"comm":"exiter".*"exit_code":4,.*\}$'

# ---- container-top.lua ----
KNOWN[container-top.lua]=1
run_profrun -c "$BURN 2" "$EXAMPLES/container-top.lua"
expect_rc "container-top: exit 0" 0
expect_grep "container-top: title" "$OUT" '^CPU samples per container / cgroup  [0-9:]+$'
expect_grep "container-top: header" "$OUT" '^SAMPLES +% +CONTAINER / CGROUP$'
expect_grep "container-top: a row (container id or cgroup path)" "$OUT" \
	'^ *[0-9]+ +[0-9.]+% +([0-9a-f]{12}|/.*|\[cgroup [0-9]+\])$'
expect_ge "container-top: at least one table per second" "$(grep -c '^SAMPLES ' "$OUT")" 2 "$OUT"

# ---- lifetimes.lua ----
KNOWN[lifetimes.lua]=1
run_profrun -c "$EXITER -f 50 0" "$EXAMPLES/lifetimes.lua"
expect_rc "lifetimes: exit 0" 0
expect_grep "lifetimes: a histogram for the fixture's children" "$OUT" \
	'^@lifetime_us\[exiter\] \(50 processes\):$'
expect_grep "lifetimes: bucket lines" "$OUT" \
	'^\[[0-9]+[KMGTPE]?, [0-9]+[KMGTPE]?\) +[0-9]+ \|@+ *\|$'
expect_ge "lifetimes: bucket counts add up to 50 children" "$(awk '
	/^@lifetime_us\[exiter\]/ { on = 1; next }
	/^$/ { on = 0 }
	on && /^\[/ { s = $0; sub(/ \|.*/, "", s); k = split(s, a, " "); n += a[k] }
	END { print n + 0 }' "$OUT")" 50 "$OUT"

# ---- offender.lua ----
KNOWN[offender.lua]=1
run_profrun -c "$BURN 0.5" "$EXAMPLES/offender.lua"
expect_rc "offender: exit 0" 0
expect_grep "offender: summary" "$OUT" '^offender among [0-9]+ process(es)? that lived < 1 s'
expect_grep "offender: burn is the offender" "$OUT" '^  pid [0-9]+  burn  lived 0\.[0-9]+ s, [0-9]+ samples$'
expect_grep "offender: its command line" "$OUT" "^  command: .*burn 0\\.5\$"
expect_grep "offender: its stack names burn's functions" "$OUT" \
	'^    burn;.*main;burn_(heavy|light)$'

# exit events are system-wide: other short-lived processes may count, but
# burn (0.5 s) must not be among them
run_profrun -c "$BURN 0.5" "$EXAMPLES/offender.lua" 0.1
expect_grep "offender 0.1: summary" "$OUT" '^offender among [0-9]+ process(es)? that lived < 0.1 s'
expect_no_grep "offender 0.1: burn lived too long to count" "$OUT" '^  pid [0-9]+  burn '

# ---- off-CPU examples, on the fixture whose threads wait in known places ----
OFFFIX=$FIXTURES/offcpufix
KNOWN[offcpu.lua]=1
run_profrun -c "$OFFFIX" "$EXAMPLES/offcpu.lua" "$TMP/off.svg" "$TMP/off.folded"
expect_rc "offcpu: exit 0" 0
expect_grep "offcpu: says what it wrote" "$OUT" \
	'^wrote .*off\.svg: [0-9.]+ ms off CPU in [0-9]+ waits \([0-9.]+% waiting for a CPU\), [0-9]+ stacks'
expect_grep "offcpu: an SVG with the sleeping function" "$TMP/off.svg" 'wait_sleep'
expect_grep "offcpu: folded stacks weighted by time" "$TMP/off.folded" \
	'^sleeper;.*wait_sleep;.*schedule;__schedule [0-9.]+$'

KNOWN[wallclock.lua]=1
run_profrun -c "$OFFFIX" "$EXAMPLES/wallclock.lua" "$TMP/wall.svg" "$TMP/wall.folded"
expect_rc "wallclock: exit 0" 0
expect_grep "wallclock: says what it wrote" "$OUT" \
	'^wrote .*wall\.svg: [0-9.]+ s of thread time, [0-9.]+% on CPU, [0-9.]+% off CPU'
# the blue palette of off-CPU frames: red = green, blue 190..245
expect_grep "wallclock: off-CPU frames coloured as such" "$TMP/wall.svg" \
	'fill="rgb\(([0-9]+),\1,(19[0-9]|2[0-4][0-9])\)"'
expect_grep "wallclock: the waits are in it" "$TMP/wall.folded" 'wait_pipe'

KNOWN[lockwait.lua]=1
run_profrun -c "$OFFFIX" "$EXAMPLES/lockwait.lua"
expect_rc "lockwait: exit 0" 0
expect_grep "lockwait: header" "$OUT" '^TOTAL\(ms\) +WAITS +MAX\(ms\) +WAITERS +WAKERS +STACK'
expect_grep "lockwait: the contended mutex, its waiter and its waker" "$OUT" \
	'^ +[0-9.]+ +5 +[0-9.]+ locker\(5\) +holder\(5\) +.*wait_lock'
expect_grep "lockwait: short waits line" "$OUT" '^short futex waits \(< 1 ms, no stack\): [0-9]+ waits'

KNOWN[iowait.lua]=1
run_profrun -c "dd if=/dev/zero of=$TMP/dd.out bs=1M count=32 oflag=direct" "$EXAMPLES/iowait.lua"
expect_rc "iowait: exit 0" 0
expect_grep "iowait: process table" "$OUT" '^PID +COMM +D\(ms\) +WAITS'
expect_grep "iowait: dd waited for the disk" "$OUT" '^[0-9]+ +dd +[0-9.]+ +[0-9]+$'
expect_grep "iowait: its stack" "$OUT" '^ +[0-9.]+ +[0-9]+ dd +.*io_schedule'
rm -f "$TMP/dd.out"

# ---- funclatency.lua, on a function that sleeps 1 ms per call ----
KNOWN[funclatency.lua]=1
run_profrun -c "$FIXTURES/probefix 20" "$EXAMPLES/funclatency.lua" "$FIXTURES/probefix:pf_target"
expect_rc "funclatency: exit 0" 0
expect_grep "funclatency: a histogram for the fixture, 20 calls" "$OUT" \
	'^@latency_us\[probefix [0-9]+\] 20 calls, [0-9.]+ ms:$'
expect_grep "funclatency: in the 1-2 ms bucket or above" "$OUT" '^\[(1K, 2K|2K, 4K|4K, 8K)\) +[0-9]+ \|'
run_profrun -c "$FIXTURES/probefix 1" "$EXAMPLES/funclatency.lua"
expect_rc "funclatency without a spec: exit 2" 2
expect_grep "funclatency without a spec: says how to call it" "$ERR" 'usage: funclatency.lua BINARY:SYMBOL'

# ---- opensnoop.lua: a path with a newline in it cannot forge a line ----
KNOWN[opensnoop.lua]=1
printf 'x\n' >"$TMP/evil
name"
run_profrun -c "cat '$TMP/evil
name'" "$EXAMPLES/opensnoop.lua" evil
expect_rc "opensnoop: exit 0" 0
expect_grep "opensnoop: header" "$OUT" '^COMM +PID +PPID +FLAGS +PATH +EXE$'
expect_grep "opensnoop: cat's open, escaped, with its exe from proc()" "$OUT" \
	'^cat +[0-9]+ +[0-9]+ +0x[0-9a-f]+ +.*evil\\nname +/usr/bin/cat$'
expect_no_grep "opensnoop: no forged line" "$OUT" '^name'

# ---- pyfuncs.lua: CPython's own USDT probes, a function called 17 times ----
KNOWN[pyfuncs.lua]=1
cat >"$TMP/known.py" <<'EOF2'
def fx_known(i):
    return i * 2

total = 0
for i in range(17):
    total += fx_known(i)
print("total", total)
EOF2
run_profrun -c "/usr/bin/python3.11 $TMP/known.py" "$EXAMPLES/pyfuncs.lua" 1000
expect_rc "pyfuncs: exit 0" 0
expect_grep "pyfuncs: header" "$OUT" '^ +CALLS +FUNCTION +FILE:LINE$'
expect_grep "pyfuncs: fx_known, 17 calls, its file and line" "$OUT" \
	"^ +17 fx_known +$TMP/known.py:1\$"

# ---- funccount.lua: a glob counted in the kernel, one line each ----
KNOWN[funccount.lua]=1
run_profrun -c "$FIXTURES/probefix 20" "$EXAMPLES/funccount.lua" "$FIXTURES/probefix:fx_*"
expect_rc "funccount: exit 0" 0
expect_grep "funccount: header" "$OUT" '^ +CALLS FUNCTION$'
expect_eq "funccount: 40 functions, 20 calls each" \
	"$(grep -cE '^ +20 fx_[0-9]{2}$' "$OUT")" 40 "$OUT" "$ERR"
expect_grep "funccount: the total" "$OUT" '^40 functions, 800 calls$'
run_profrun -c "$FIXTURES/probefix 1" "$EXAMPLES/funccount.lua"
expect_rc "funccount without a pattern: exit 2" 2
expect_grep "funccount without a pattern: says how to call it" "$ERR" 'usage: funccount.lua PATTERN'

# ---- mallocstacks.lua -p: bytes by stack, exact with every call ----
KNOWN[mallocstacks.lua]=1
start_bg "$FIXTURES/probefix" 200 3
run_profrun -p "$WL_PID" "$EXAMPLES/mallocstacks.lua" "$TMP/m.svg" "$TMP/m.folded" 1
expect_rc "mallocstacks: exit 0" 0
expect_grep "mallocstacks: says what it wrote" "$OUT" "^wrote $TMP/m.svg: "
# pf_alloc(i) asks for 1000 + i bytes, i = 1..200: 220100 in all
expect_grep "mallocstacks: pf_alloc's bytes, through main, without frame pointers" \
	"$TMP/m.folded" '^probefix;.*;main;pf_alloc;malloc 220100$'
expect_grep "mallocstacks: an SVG" "$TMP/m.svg" '<svg '
run_profrun -c "$FIXTURES/probefix 1" "$EXAMPLES/mallocstacks.lua" "$TMP/m2.svg" "" 0
expect_rc "mallocstacks with N = 0: exit 2" 2

# ---- the fleet scripts need a backend: t63 (a real ClickHouse), t66
# (Pyroscope and OTLP receivers) run them ----
KNOWN[fleet-profile.lua]=1
KNOWN[fleet-exec.lua]=1

# ---- anything else in examples/ runs and exits 0 ----
for f in "$EXAMPLES"/*.lua; do
	b=$(basename "$f")
	[ -n "${KNOWN[$b]:-}" ] && continue
	run_profrun -c "$BURN 1" "$f"
	expect_rc "$b: runs and exits 0" 0
done

finish
