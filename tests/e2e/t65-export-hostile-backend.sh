#!/bin/bash
# profrun.export against backends that misbehave, each a loopback server
# this test starts: one that accepts and never answers, one that answers
# 500 to everything, one that closes the connection halfway through the
# body, one that answers 400 with a hostile message. Sampling is not
# delayed (no ring drops at 999 Hz), every row is counted somewhere
# (waiting in the spool or dropped, with the reason), the run ends within
# its wait, and the server's words are escaped when printed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-export.sh"
require_bpf
require_fixtures burn
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"

RUN_TIMEOUT=40
cat >"$TMP/backend.py" <<'EOS'
import socket, sys, threading, time
mode, port = sys.argv[1], int(sys.argv[2])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
held = []
def serve(c):
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = c.recv(65536)
            if not chunk:
                return
            data += chunk
        if mode == "silent":
            held.append(c)          # never answers, never closes
            return
        if mode == "close":
            c.recv(10)              # part of the body, then gone
            c.close()
            return
        head, _, body = data.partition(b"\r\n\r\n")
        n = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                n = int(line.split(b":")[1])
        while len(body) < n:
            chunk = c.recv(65536)
            if not chunk:
                break
            body += chunk
        if mode == "500":
            msg = b"Internal error"
            c.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: %d\r\n\r\n%s" % (len(msg), msg))
        else:  # "400": a refusal whose words try to forge a log line
            msg = b"bad\n\x1b[31mprofrun: forged line\x1b[0m\x07"
            c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: %d\r\n\r\n%s" % (len(msg), msg))
        c.close()
    except OSError:
        pass
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOS
cat >"$TMP/push.lua" <<'EOS'
local export = require "profrun.export"
local ch = export.clickhouse { url = arg[1], host = "h", spool = arg[2], memory = 1048576,
  wait = 3, timeout = 2, retry_max = 0.5 }
local queued = 0
function on_sample(s) ch:sample(s) end
every(0.5, function() queued = queued + ch:flush() end)
function on_end()
  queued = queued + ch:flush()
  export.close()
  local e, st = stats().export, stats()
  print("queued=" .. queued)
  print("sent=" .. e.sent.rows)
  print("waiting=" .. e.waiting.rows)
  print("dropped=" .. e.dropped.rows)
  print("rejected=" .. e.dropped.rejected)
  print("retried=" .. e.retried)
  print("ring_dropped=" .. st.sample.dropped)
  print("samples=" .. st.sample.delivered)
end
EOS

for mode in silent 500 close 400; do
	port=$(free_port)
	python3 "$TMP/backend.py" "$mode" "$port" &
	track_pid $!
	wait_port "$port"
	t0=$(date +%s%N)
	run_profrun -F 999 -c "$FIXTURES/burn 4" "$TMP/push.lua" "http://127.0.0.1:$port" \
		"$TMP/spool-$mode"
	t1=$(date +%s%N)
	expect_eq "$mode: exit 0" "$RC" 0 "$ERR"
	# burn 4 s + the 3 s wait + start and stop: far below the 40 s timeout;
	# a send that blocked the end would hit it
	expect_eq "$mode: ends without the timeout (took $(((t1 - t0) / 1000000)) ms)" \
		"$(((t1 - t0) / 1000000000 < 20))" 1
	expect_ge "$mode: samples at 999 Hz" "$(val samples "$OUT")" 1000 "$OUT"
	expect_eq "$mode: sampling not delayed: no ring drops" "$(val ring_dropped "$OUT")" 0 "$OUT"
	expect_eq "$mode: nothing sent" "$(val sent "$OUT")" 0 "$OUT"
	expect_eq "$mode: every row waiting in the spool or dropped" \
		"$(($(val waiting "$OUT") + $(val dropped "$OUT")))" "$(val queued "$OUT")" "$OUT"
	if [ "$mode" = 400 ]; then
		expect_eq "400: every row dropped as rejected" "$(val rejected "$OUT")" \
			"$(val queued "$OUT")" "$OUT"
		expect_grep "400: the refusal is logged" "$ERR" \
			'the backend refused [0-9]+ rows \(dropped\): HTTP 400: bad \\x1b\[31mprofrun: forged line\\x1b\[0m\\x07'
		expect_eq "400: no raw escape or forged line reaches stderr" \
			"$(grep -c $'\x1b\\|^profrun: forged' "$ERR")" 0 "$ERR"
	else
		expect_ge "$mode: sends retried" "$(val retried "$OUT")" 2 "$OUT"
		expect_eq "$mode: nothing dropped (all kept for the next run)" "$(val dropped "$OUT")" 0 "$OUT"
		expect_grep "$mode: the end says what is left and where" "$ERR" \
			"rows not delivered by the end .*kept in $TMP/spool-$mode for the next run"
	fi
done
finish
