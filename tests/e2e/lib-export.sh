# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/e2e/lib-export.sh: sourced after lib.sh by the t63-t67 export tests.
# A real clickhouse-server (Debian's, installed by scripts/install-deps.sh)
# on loopback ports with its data under $TMP, started and stopped by the
# test; and free_port for the loopback receivers the tests write.
#
#   require_clickhouse        skips the test when the server is not there
#   ch_config                 picks its ports and writes its config: sets CH_URL
#                             (a URL to send to before the server is up)
#   ch_start                  starts it (or again, on the same data and ports):
#                             sets CH_PID; 1 if it does not answer
#   ch_stop                   SIGKILL (a crash: nothing flushed politely)
#   ch_query SQL              the answer as TSV on stdout
#   free_port                 a TCP port nothing listens on now
#   wait_port PORT            until something accepts on 127.0.0.1:PORT (5 s)

CH_DIR=$TMP/clickhouse
CH_HTTP=
CH_PID=

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {
	local i
	for ((i = 0; i < 50; i++)); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $1))" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

require_clickhouse() {
	command -v clickhouse-server >/dev/null 2>&1 ||
		skip_all "clickhouse-server is not installed (scripts/install-deps.sh installs it)"
	command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
}

ch_config() {
	if [ -z "$CH_HTTP" ]; then
		CH_HTTP=$(free_port)
		mkdir -p "$CH_DIR"
		cat >"$CH_DIR/config.xml" <<EOX
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$CH_DIR/server.log</log>
    <errorlog>$CH_DIR/server.err.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$CH_HTTP</http_port>
  <tcp_port>$(free_port)</tcp_port>
  <path>$CH_DIR/data/</path>
  <tmp_path>$CH_DIR/tmp/</tmp_path>
  <user_files_path>$CH_DIR/user_files/</user_files_path>
  <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
  <mark_cache_size>5368709</mark_cache_size>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <profiles><default></default></profiles>
  <quotas><default></default></quotas>
</yandex>
EOX
	fi
	CH_URL=http://127.0.0.1:$CH_HTTP
}

ch_start() {
	local i
	ch_config
	clickhouse-server --config-file="$CH_DIR/config.xml" >"$CH_DIR/stdout" 2>&1 </dev/null &
	CH_PID=$!
	track_pid "$CH_PID"
	for ((i = 0; i < 150; i++)); do
		[ "$(curl -s "$CH_URL/ping" 2>/dev/null)" = "Ok." ] && return 0
		kill -0 "$CH_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# clickhouse-server did not answer on $CH_URL:" >&2
	tail -n 5 "$CH_DIR/stdout" "$CH_DIR/server.err.log" 2>/dev/null | sed 's/^/#   /' >&2
	return 1
}

ch_stop() {
	[ -n "$CH_PID" ] || return 0
	kill -KILL "$CH_PID" 2>/dev/null
	wait "$CH_PID" 2>/dev/null
	CH_PID=
}

ch_query() {
	curl -sS --max-time 20 "$CH_URL/" --data-binary "$1"
}
