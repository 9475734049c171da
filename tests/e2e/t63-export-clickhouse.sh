#!/bin/bash
# profrun.export into a real ClickHouse: two profrun instances, each with
# its own host name, profile the 3:1 burn fixture with
# examples/fleet-profile.lua and push 1 s windows. SQL over the table the
# script created gives the 3:1 split for each host and the sum across
# both; each host's rows and sample counts are exactly what its instance
# says it sent; labels from --label and PROFRUN_LABELS are on every row.
# Then fleet-exec.lua: each exec the test makes is one row, argv intact,
# hostile bytes stored exactly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-export.sh"
require_bpf
require_fixtures burn
require_clickhouse

RUN_TIMEOUT=60
ch_start || { fail "clickhouse-server starts" "no answer"; finish; }
pass "clickhouse-server answers on $CH_URL"

# ---- two hosts' profiles ----
run_host() { # HOST: profrun in the background, its output in $TMP/HOST.out
	PROFRUN_LABELS="team=perf,env=x" timeout -k 5 "$RUN_TIMEOUT" "$PROFRUN" -F 499 \
		-c "$FIXTURES/burn 4" "$EXAMPLES/fleet-profile.lua" -- --clickhouse "$CH_URL" \
		--window 1 --host "$1" --label env=test >"$TMP/$1.out" 2>"$TMP/$1.err" </dev/null &
	track_pid $!
}
run_host alpha
PA=$!
run_host beta
PB=$!
wait "$PA"
expect_eq "alpha: profrun exit 0" "$?" 0 "$TMP/alpha.err"
wait "$PB"
expect_eq "beta: profrun exit 0" "$?" 0 "$TMP/beta.err"

for h in alpha beta; do
	line=$(grep '^fleet-profile:' "$TMP/$h.out")
	samples=$(sed -n 's/^fleet-profile: \([0-9]*\) samples.*/\1/p' <<<"$line")
	rows=$(sed -n 's/.* samples, \([0-9]*\) rows sent.*/\1/p' <<<"$line")
	eval "samples_$h=\${samples:-x}"
	expect_ge "$h: samples (>= 500)" "${samples:-x}" 500 "$TMP/$h.out" "$TMP/$h.err"
	expect_grep "$h: nothing waiting or dropped" "$TMP/$h.out" ' 0 waiting, 0 dropped$'
	expect_no_grep "$h: no export warning" "$TMP/$h.err" 'export'
	expect_eq "$h: rows in the table = rows sent" \
		"$(ch_query "SELECT count() FROM profrun_samples WHERE host = '$h'")" "${rows:-x}"
	expect_eq "$h: samples in the table = samples delivered" \
		"$(ch_query "SELECT sum(count) FROM profrun_samples WHERE host = '$h'")" "${samples:-x}"
	heavy=$(ch_query "SELECT sum(count) FROM profrun_samples WHERE host = '$h' AND stack[-1] = 'burn_heavy'")
	light=$(ch_query "SELECT sum(count) FROM profrun_samples WHERE host = '$h' AND stack[-1] = 'burn_light'")
	if _is_int "$heavy" && _is_int "$light" && [ "$light" -gt 0 ] &&
		[ $((heavy * 10)) -ge $((light * 20)) ] && [ $((heavy * 10)) -le $((light * 45)) ]; then
		pass "$h: burn_heavy/burn_light between 2 and 4.5 by SQL ($heavy/$light)"
	else
		fail "$h: burn_heavy/burn_light between 2 and 4.5 by SQL" "heavy=$heavy light=$light"
	fi
	expect_eq "$h: weight = count x 1e9/499 (ns)" "$(ch_query "SELECT sum(weight) = sum(count * toUInt64(round(1e9 / 499))) FROM profrun_samples WHERE host = '$h'")" 1
	expect_ge "$h: windows (>= 3 distinct times)" \
		"$(ch_query "SELECT uniq(time) FROM profrun_samples WHERE host = '$h'")" 3
done
expect_eq "sum across both hosts" \
	"$(ch_query "SELECT sum(count) FROM profrun_samples WHERE host IN ('alpha', 'beta')")" \
	"$((samples_alpha + samples_beta))"
expect_eq "every row has env=test (--label wins over PROFRUN_LABELS) and team=perf" \
	"$(ch_query "SELECT countIf(labels.value[indexOf(labels.key, 'env')] = 'test' AND labels.value[indexOf(labels.key, 'team')] = 'perf') = count() FROM profrun_samples")" 1
expect_eq "stacks reach main" \
	"$(ch_query "SELECT sumIf(count, has(stack, 'main')) * 10 >= sum(count) * 8 FROM profrun_samples WHERE comm = 'burn'")" 1

# ---- exec events ----
start_profrun "$EXAMPLES/fleet-exec.lua" -- --clickhouse "$CH_URL" --window 1 --host gamma
sleep 1.5
for i in 1 2 3; do
	/bin/echo "arg$i" $'semi;colon\nnew line\x01' >/dev/null
done
sleep 1.5
kill -INT "$PR_PID"
wait_profrun
expect_eq "fleet-exec: exit 0" "$RC" 0 "$ERR"
expect_eq "fleet-exec: three echo execs" \
	"$(ch_query "SELECT count() FROM profrun_events WHERE host = 'gamma' AND event = 'exec' AND exe = '/bin/echo' AND argv[2] LIKE 'arg_'")" 3
expect_eq "fleet-exec: argv stored byte for byte" \
	"$(ch_query "SELECT hex(argv[3]) FROM profrun_events WHERE host = 'gamma' AND argv[2] = 'arg1'")" \
	"$(printf 'semi;colon\nnew line\x01' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
expect_eq "fleet-exec: their exits, exit code 0" \
	"$(ch_query "SELECT count() FROM profrun_events WHERE host = 'gamma' AND event = 'exit' AND comm = 'echo' AND exit_code = 0")" 3
expect_eq "fleet-exec: time is time_ns's second (wall clock, exact ns)" \
	"$(ch_query "SELECT countIf(toUInt64(time) != intDiv(time_ns, 1000000000)) FROM profrun_events WHERE host = 'gamma'")" 0
expect_eq "fleet-exec: event times within 2 minutes of now" \
	"$(ch_query "SELECT countIf(abs(toInt64(intDiv(time_ns, 1000000000)) - toInt64(now())) > 120) FROM profrun_events WHERE host = 'gamma'")" 0
rows=$(sed -n 's/.* \([0-9]*\) rows sent.*/\1/p' "$OUT")
expect_eq "fleet-exec: rows in the table = rows sent" \
	"$(ch_query "SELECT count() FROM profrun_events WHERE host = 'gamma'")" "${rows:-x}"

# ---- the systemd unit's command line, as the unit runs it ----
unit=$ROOT/examples/profrun-fleet.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
expect_grep "unit: runs the installed fleet-profile.lua" "$unit" \
	'^ExecStart=/usr/local/bin/profrun /usr/local/share/profrun/examples/fleet-profile.lua -- '
# the same words, with this build's paths and the spool under $TMP
read -r -a words <<<"$(sed -e "s|^/usr/local/bin/profrun ||" \
	-e "s|/usr/local/share/profrun/examples/|$EXAMPLES/|" \
	-e "s|/var/lib/profrun-fleet|$TMP/state|" <<<"$exec_start")"
mkdir -m 0700 "$TMP/state"
PROFRUN_CLICKHOUSE=$CH_URL PROFRUN_LABELS=unit=yes run_profrun -d 3 -F 99 "${words[@]}"
expect_eq "unit: its command runs (environment file's backend)" "$RC" 0 "$ERR"
expect_ge "unit: rows arrive with its labels" \
	"$(ch_query "SELECT count() FROM profrun_samples WHERE labels.value[indexOf(labels.key, 'unit')] = 'yes'")" 1
expect_eq "unit: the spool directory is where the unit says" "$(stat -c %a "$TMP/state/spool/clickhouse")" 700

# ---- a bad command line says what to do ----
run_profrun "$EXAMPLES/fleet-profile.lua"
expect_rc "no backend: usage error" 2
expect_grep "no backend: says where to send" "$ERR" 'where to send: --clickhouse URL'
run_profrun "$EXAMPLES/fleet-exec.lua" -- --pyroscope http://127.0.0.1:1
expect_grep "fleet-exec: pyroscope refused" "$ERR" 'cannot send to pyroscope'
finish
