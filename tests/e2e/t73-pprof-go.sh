#!/bin/bash
# examples/pprof.lua writes a profile that Go's own pprof reads: burn's
# two leaves are listed, burn_heavy (3/4 of the CPU) above burn_light
# (1/4), and the burn binary is a mapping. Needs `go` (Debian golang-go);
# go runs offline with its caches in $TMP.
. "$(dirname "$0")/lib.sh"
command -v go >/dev/null 2>&1 || skip_all "needs go (Debian package golang-go)"
require_bpf
require_fixtures burn

RUN_TIMEOUT=60
BURN=$FIXTURES/burn
PB=$TMP/p.pb.gz

mkdir -p "$TMP/home" "$TMP/gocache" "$TMP/gopath"
gopprof() {
	HOME=$TMP/home GOCACHE=$TMP/gocache GOPATH=$TMP/gopath GOTOOLCHAIN=local \
		GOPROXY=off GOFLAGS='' PPROF_TMPDIR=$TMP run_cmd go tool pprof "$@"
}

run_profrun -F 499 -c "$BURN 2" "$EXAMPLES/pprof.lua" "$PB"
expect_rc "pprof.lua: exit 0" 0
expect_grep "pprof.lua: says where" "$OUT" "^wrote [0-9]+ samples \([0-9]+ stacks\) to $PB\$"
expect_ge "pprof.lua: samples (>= 100)" \
	"$(sed -n 's/^wrote \([0-9]*\) samples.*/\1/p' "$OUT")" 100 "$OUT" "$ERR"
check "pprof.lua: gzip file" gzip -t "$PB"

# -top by sample count: "flat flat% sum% cum cum% name"
gopprof -top -symbolize=none -sample_index=samples "$PB"
expect_rc "go tool pprof -top: exit 0" 0
TOP=$OUT
expect_grep "-top: burn_heavy listed" "$TOP" ' burn_heavy$'
expect_grep "-top: burn_light listed" "$TOP" ' burn_light$'
expect_grep "-top: main listed" "$TOP" ' main$'
heavy=$(awk '$NF == "burn_heavy" { print $1; exit }' "$TOP")
light=$(awk '$NF == "burn_light" { print $1; exit }' "$TOP")
if _is_int "$heavy" && _is_int "$light" && [ "$heavy" -gt "$light" ]; then
	pass "-top: burn_heavy flat > burn_light flat ($heavy > $light)"
else
	fail "-top: burn_heavy flat > burn_light flat" "heavy=$heavy light=$light" "$TOP"
fi
# by default the last sample type, CPU time
gopprof -top -symbolize=none "$PB"
expect_grep "-top: cpu time by default" "$OUT" '^Type: cpu$'

# -raw lists the mappings: the burn binary is one, with functions
gopprof -raw -symbolize=none "$PB"
expect_rc "go tool pprof -raw: exit 0" 0
expect_grep "-raw: burn mapping" "$OUT" " $BURN( |\$)"
expect_grep "-raw: period type" "$OUT" '^PeriodType: cpu nanoseconds$'

# Python frames: a Function with the source file, a Line with the line
PY=/usr/bin/python3.11
NESTED=$ROOT/tests/fixtures/python/nested.py
if [ -x "$PY" ]; then
	run_profrun -F 499 -c "$PY $NESTED 2" "$EXAMPLES/pprof.lua" "$TMP/py.pb.gz"
	expect_rc "python: pprof.lua: exit 0" 0
	C_LINE=$(grep -n "x += i \* i" "$NESTED" | head -n 1 | cut -d: -f1)
	# -lines: "flat flat% sum% cum cum% function file:line"
	gopprof -top -lines -symbolize=none -sample_index=samples "$TMP/py.pb.gz"
	expect_rc "python: go tool pprof -lines: exit 0" 0
	expect_grep "python: -lines lists c at its line in nested.py" "$OUT" " c $NESTED:$C_LINE\$"
	gopprof -top -symbolize=none -sample_index=samples "$TMP/py.pb.gz"
	expect_grep "python: -top lists the Python functions" "$OUT" ' b$'
	# -traces: the chain, leaf first, each frame once
	gopprof -traces -symbolize=none "$TMP/py.pb.gz"
	expect_grep "python: -traces shows <module> under main under a" "$OUT" '^ +a$'
else
	fail "python: $PY present" "scripts/install-deps.sh installs python3.11"
fi

finish
