#!/usr/bin/env bash
# What pushing to ClickHouse costs (issue 16): profrun's CPU and peak RSS
# for a RUN s whole-machine profile at HZ of a busy machine (bench/uwspin
# on every CPU, over and over, plus a process a second), with and without
# profrun.export's ClickHouse sink (bench/export-profile.lua; rotated
# order per round), and the rows/s the sink sustains into the local
# server (bench/export-rows.lua: ROWS exec rows, made as fast as Lua
# makes them, timed until the last is delivered). The server is Debian's
# clickhouse-server on loopback ports with its data in a temporary
# directory (tests/e2e/lib-export.sh starts it, as the tests do).
#
#   bench/export.sh BUILD_DIR      (make bench-export; part of make bench)
#   knobs: ROUNDS=3 RUN=60 HZ=99 ROWS=1000000
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

ROUNDS=${ROUNDS:-3}
RUN=${RUN:-60}
HZ=${HZ:-99}
ROWS=${ROWS:-1000000}
PROFRUN=$build/profrun
UWSPIN=$build/bench/uwspin
[ -x "$PROFRUN" ] && [ -x "$UWSPIN" ] || die "build $PROFRUN and $UWSPIN first (make bench-export)"
command -v clickhouse-server >/dev/null || die "clickhouse-server is missing (scripts/install-deps.sh)"
TMPD=$(mktemp -d /tmp/profrun-exportbench.XXXXXX)
RESULTS=${RESULTS:-$TMPD}
TMP=$TMPD
track_pid() { track "$1"; }
# shellcheck source=tests/e2e/lib-export.sh
. "$repo/tests/e2e/lib-export.sh"
ch_start || die "clickhouse-server did not start"
log "clickhouse-server $(ch_query 'SELECT version()') on $CH_URL; $ROUNDS rounds of ${RUN}s at ${HZ} Hz"

# the busy machine, for the whole bench; stopped at exit (after the
# tracked profrun and server), each loop finishing its current command
busy() { while [ ! -e "$TMPD/stop" ]; do "$@" >/dev/null 2>&1; done; }
busy "$UWSPIN" -m 200 &
busy sh -c 'sleep 1; exec /bin/true' &
EXIT_HOOKS+=('touch "$TMPD/stop"; wait')

csv=$RESULTS/export.csv
echo "round,mode,cpu_ms,rss_kb,samples,rows" >"$csv"
one() { # ROUND MODE
	local args=() out=$TMPD/$2.$1
	[ "$2" = sink ] && args=(--url "$CH_URL")
	/usr/bin/time -v -o "$out.time" "$PROFRUN" -d "$RUN" "$repo/bench/export-profile.lua" \
		--hz "$HZ" "${args[@]}" >"$out.out" 2>"$out.err"
	local line user sys
	line=$(grep '^# exportbench' "$out.out")
	user=$(timev "$out.time" user)
	sys=$(timev "$out.time" sys)
	echo "$1,$2,$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", (u + s) * 1000 }')" \
		",$(timev "$out.time" rss),$(sed -n 's/.* samples=\([0-9]*\).*/\1/p' <<<"$line")" \
		",$(sed -n 's/.* sent=\([0-9]*\).*/\1/p' <<<"$line")" | tr -d ' ' >>"$csv"
}
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then one "$r" none; one "$r" sink; else one "$r" sink; one "$r" none; fi
done

"$PROFRUN" "$repo/bench/export-rows.lua" --url "$CH_URL" --total "$ROWS" >"$TMPD/rows.out" 2>"$TMPD/rows.err"
rows_line=$(grep '^# rowsbench' "$TMPD/rows.out")
in_table=$(ch_query "SELECT count() FROM profrun_events WHERE host = 'rows'")

awk -F, "$MEDIAN_AWK"'
	NR > 1 { n[$2]++; cpu[$2, n[$2]] = $3; rss[$2, n[$2]] = $4; s[$2, n[$2]] = $5; rows[$2, n[$2]] = $6 }
	END {
		printf "%-8s %5s %8s %8s %9s %7s\n", "mode", "runs", "cpu_ms", "rss_MB", "samples", "rows"
		for (m in n) printf "%-8s %5d %8.0f %8.1f %9.0f %7.0f\n", m, n[m], med(cpu, m, n[m]),
			med(rss, m, n[m]) / 1024, med(s, m, n[m]), med(rows, m, n[m])
		c0 = med(cpu, "none", n["none"]); c1 = med(cpu, "sink", n["sink"])
		r0 = med(rss, "none", n["none"]); r1 = med(rss, "sink", n["sink"])
		if (c0 > 0 && r0 > 0) printf "sink/none: cpu %.2fx (+%.0f ms over the run), rss %.2fx (+%.1f MB)\n",
			c1 / c0, c1 - c0, r1 / r0, (r1 - r0) / 1024
	}' "$csv"
echo "rows into ClickHouse: $rows_line; in the table: $in_table"
echo "raw: $csv"
