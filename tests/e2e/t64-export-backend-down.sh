#!/bin/bash
# profrun.export when the backend is not there: rows wait (memory, then
# the spool directory) and arrive when it comes back, exactly; a backend
# killed mid-run and restarted loses nothing that is not counted as
# dropped; a spool smaller than the data drops (counted) and stays within
# its caps; what a run could not deliver is kept in the spool and the next
# run delivers it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-export.sh"
require_bpf
require_fixtures burn
require_clickhouse

RUN_TIMEOUT=60
# push.lua URL HOST SPOOL MEMORY DISK WAIT: 1 s windows of samples into
# ClickHouse; at the end, after export.close(), every count
cat >"$TMP/push.lua" <<'EOS'
local export = require "profrun.export"
local url, host, spool, memory, disk, wait = arg[1], arg[2], arg[3], tonumber(arg[4]),
  tonumber(arg[5]), tonumber(arg[6])
local flush_s = tonumber(arg[7]) or 1
local ch = export.clickhouse { url = url, host = host, spool = spool ~= "-" and spool or nil,
  memory = memory, disk = disk, wait = wait, retry_max = 1, timeout = 3 }
sample { hz = 499 }
local samples, queued = 0, 0
function on_sample(s) samples = samples + s.count; ch:sample(s) end
every(flush_s, function() queued = queued + ch:flush() end)
function on_end()
  queued = queued + ch:flush()
  export.close()
  local e = stats().export
  print("samples=" .. samples)
  print("queued=" .. queued)
  print("sent=" .. e.sent.rows)
  print("waiting=" .. e.waiting.rows)
  print("spooled=" .. e.spooled.rows)
  print("recovered=" .. e.recovered.rows)
  print("retried=" .. e.retried)
  print("dropped=" .. e.dropped.rows)
  print("dropped_full=" .. e.dropped.full)
  print("dropped_exit=" .. e.dropped.exit)
  print("dropped_rejected=" .. e.dropped.rejected)
  print("peak_memory=" .. e.sinks[1].peak.memory)
  print("peak_disk=" .. e.sinks[1].peak.disk)
end
EOS
table_rows() { ch_query "SELECT count() FROM profrun_samples WHERE host = '$1'"; }
table_sum() { ch_query "SELECT sum(count) FROM profrun_samples WHERE host = '$1'"; }

# ---- down at the start, up 10 s later; memory cap 2 KiB: to disk ----
ch_config
start_profrun -c "$FIXTURES/burn 13" "$TMP/push.lua" "$CH_URL" late "$TMP/spool1" 2048 \
	100000000 20
sleep 10
ch_start || fail "clickhouse-server starts" "no answer"
wait_profrun
expect_eq "late backend: exit 0" "$RC" 0 "$ERR"
expect_ge "late backend: batches went to the spool" "$(val spooled "$OUT")" 1 "$OUT"
expect_ge "late backend: sends were retried" "$(val retried "$OUT")" 1 "$OUT"
expect_eq "late backend: all rows sent" "$(val sent "$OUT")" "$(val queued "$OUT")" "$OUT"
expect_eq "late backend: nothing dropped" "$(val dropped "$OUT")" 0 "$OUT"
expect_eq "late backend: rows in the table = rows queued" "$(table_rows late)" "$(val queued "$OUT")"
expect_eq "late backend: samples in the table = samples" "$(table_sum late)" "$(val samples "$OUT")"
expect_eq "late backend: the spool is empty again" "$(find "$TMP/spool1" -type f | wc -l)" 0
expect_eq "late backend: spool directory is 0700" "$(stat -c %a "$TMP/spool1")" 700

# ---- killed mid-run (SIGKILL), restarted 3 s later ----
start_profrun -c "$FIXTURES/burn 12" "$TMP/push.lua" "$CH_URL" crash "$TMP/spool2" 65536 \
	100000000 20
sleep 4
ch_stop
sleep 3
ch_start || fail "clickhouse-server restarts" "no answer"
wait_profrun
expect_eq "crash: exit 0" "$RC" 0 "$ERR"
samples=$(val samples "$OUT")
dropped=$(val dropped "$OUT")
got=$(table_sum crash)
expect_ge "crash: sends failed and were retried" "$(val retried "$OUT")" 1 "$OUT"
# at-least-once: a batch the server took just before the kill may come
# twice; none may be missing
if _is_int "$samples" && _is_int "$dropped" && _is_int "$got" &&
	[ "$got" -ge $((samples - dropped)) ]; then
	pass "crash: every sample in the table or counted dropped ($got + $dropped >= $samples)"
else
	fail "crash: every sample in the table or counted dropped" \
		"table=$got dropped=$dropped samples=$samples" "$OUT"
fi
[ "${got:-0}" -gt "${samples:-0}" ] && echo "# crash: $((got - samples)) samples came twice (a batch resent after the kill)"

# ---- caps smaller than the data, backend never there ----
# A flush makes a row per distinct stack since the last, ~230 bytes on
# disk: the 4 KiB spool takes ~17 and the 2 KiB of memory ~10, so the
# run must make well over 27 rows for some to be dropped while it runs.
# Flushed each second, burn made 22 in 5 s and 27 in 10 s on one
# machine (its distinct stacks a second vary with the kernel's), and
# nothing was dropped until the end; flushed five times a second, the
# same stacks make a row per flush.
dead=http://127.0.0.1:$(free_port)
run_profrun -c "$FIXTURES/burn 10" "$TMP/push.lua" "$dead" capped "$TMP/spool3" 2048 4096 1 0.2
expect_eq "caps: exit 0" "$RC" 0 "$ERR"
queued=$(val queued "$OUT")
expect_gt "caps: rows dropped for want of room" "$(val dropped_full "$OUT")" 0 "$OUT"
expect_eq "caps: queued = left in the spool + dropped" \
	"$(($(val waiting "$OUT") + $(val dropped "$OUT")))" "$queued" "$OUT"
expect_eq "caps: nothing sent" "$(val sent "$OUT")" 0 "$OUT"
left=$(val waiting "$OUT")
if [ "$(val peak_memory "$OUT")" -le 2048 ] && [ "$(val peak_disk "$OUT")" -le 4096 ]; then
	pass "caps: peak memory <= 2048 and disk <= 4096 ($(val peak_memory "$OUT"), $(val peak_disk "$OUT"))"
else
	fail "caps: peaks within caps" "$(grep peak "$OUT" | tr '\n' ' ')"
fi
disk=$(find "$TMP/spool3" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
expect_eq "caps: spool bytes on disk <= 4096" "$((disk <= 4096))" 1
expect_grep "caps: the end says what was not delivered and where it is" "$ERR" \
	"export http://127.0.0.1:[0-9]+: [0-9]+ rows not delivered by the end .*kept in $TMP/spool3"
expect_grep "caps: and what was dropped" "$ERR" "rows dropped during the run"

# ---- the next run delivers what the spool kept ----
run_profrun -c "$FIXTURES/burn 1" "$TMP/push.lua" "$CH_URL" next "$TMP/spool3" 2048 4096 20
expect_eq "next run: exit 0" "$RC" 0 "$ERR"
expect_eq "next run: recovered the rows the last run left" "$(val recovered "$OUT")" "$left" "$OUT"
expect_eq "next run: they are in the table (host capped)" "$(table_rows capped)" "$left"
expect_eq "next run: spool empty" "$(find "$TMP/spool3" -type f | wc -l)" 0

# ---- a spool directory others can write is refused ----
mkdir -m 0777 "$TMP/openspool"
run_profrun "$TMP/push.lua" "$CH_URL" x "$TMP/openspool" 4096 16384 1
expect_rc "open spool: refused" 2
expect_grep "open spool: says why" "$ERR" "spool directory"

# ---- one spool, one sink: two would send its batches twice ----
cat >"$TMP/two.lua" <<'EOS'
local export = require "profrun.export"
export.clickhouse { url = arg[1], spool = arg[2], wait = 0.1 }
export.clickhouse { url = arg[1], spool = arg[2], wait = 0.1 }
EOS
run_profrun -d 1 "$TMP/two.lua" "$CH_URL" "$TMP/shared"
expect_rc "shared spool: refused" 2
expect_grep "shared spool: says why" "$ERR" "spool directory .*/shared: in use by another sink or profrun"
finish
