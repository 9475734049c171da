#!/bin/bash
# JSON output of the snoop examples (--json) for a process whose name holds
# quotes, backslashes, a newline, a tab and UTF-8: every line parses with a
# real JSON parser (jq, else python3), and comm, filename and cmdline read
# back as the exact bytes. comm is the first 15 bytes of the name (the
# kernel truncates it); the filename is the whole path.
#
# The name is a symlink to the exiter fixture in a directory of its own, run
# by a small shell script through a glob, so no shell ever parses the name
# and the -c command's PID is the process that execs it.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures exiter

if command -v jq >/dev/null 2>&1; then
	PARSER=jq
elif command -v python3 >/dev/null 2>&1; then
	PARSER=python3
else
	skip_all "needs jq (Debian package jq) or python3"
fi

RUN_TIMEOUT=30
name=$'a"b\\c\nd\te-json-names-\xc3\xa9t\xc3\xa9'
comm=${name:0:15} # bytes: the name's first 15 are ASCII
mkdir "$TMP/w"
ln -s "$FIXTURES/exiter" "$TMP/w/$name"
path=$TMP/w/$name
cat >"$TMP/run" <<'SH'
#!/bin/sh
for f in "$(dirname "$0")"/w/*; do exec "$f" 3; done
SH
chmod +x "$TMP/run"

# all_parse FILE: every line of FILE is one JSON object
all_parse() {
	if [ "$PARSER" = jq ]; then
		jq -e -s 'all(type == "object")' "$1" >/dev/null 2>&1 &&
			[ "$(jq -c . "$1" | wc -l)" = "$(wc -l <"$1")" ]
	else
		python3 -c '
import json, sys
for line in open(sys.argv[1], "rb"):
    assert isinstance(json.loads(line), dict)' "$1" 2>/dev/null
	fi
}

# count_match FILE KEY VALUE [KEY VALUE]: lines whose KEY equals VALUE exactly
count_match() {
	if [ "$PARSER" = jq ]; then
		if [ $# -eq 3 ]; then
			jq -c --arg a "$3" "select(.$2 == \$a)" "$1" | wc -l
		else
			jq -c --arg a "$3" --arg b "$5" "select(.$2 == \$a and .$4 == \$b)" "$1" | wc -l
		fi
	else
		python3 -c '
import json, sys
f, kv = sys.argv[1], sys.argv[2:]
n = 0
for line in open(f, "rb"):
    o = json.loads(line)
    if all(o.get(kv[i]) == kv[i + 1] for i in range(0, len(kv), 2)):
        n += 1
print(n)' "$@"
	fi
}

# jget FILE FILTER-KEY FILTER-VALUE FIELD: FIELD of the first matching line
jget() {
	if [ "$PARSER" = jq ]; then
		jq -r --arg a "$3" "select(.$2 == \$a) | .$4" "$1" | head -n 1
	else
		python3 -c '
import json, sys
for line in open(sys.argv[1], "rb"):
    o = json.loads(line)
    if o.get(sys.argv[2]) == sys.argv[3]:
        print(o.get(sys.argv[4]))
        break' "$@"
	fi
}

# count_argv FILE PATH: lines whose filename is PATH and argv is [PATH, "3"]
count_argv() {
	if [ "$PARSER" = jq ]; then
		jq -c --arg a "$2" 'select(.filename == $a and .argv == [$a, "3"])' "$1" | wc -l
	else
		python3 -c '
import json, sys
p = sys.argv[2]
print(sum(1 for line in open(sys.argv[1], "rb")
          if json.loads(line).get("filename") == p and json.loads(line).get("argv") == [p, "3"]))' "$@"
	fi
}

# ---- execsnoop --json ----
run_profrun -c "$TMP/run" "$EXAMPLES/execsnoop.lua" --json
expect_rc "execsnoop --json: exit 0" 0
expect_ge "execsnoop --json: lines" "$(wc -l <"$OUT")" 2 "$OUT" "$ERR"
check "execsnoop --json: every line parses ($PARSER)" all_parse "$OUT"
expect_no_grep "execsnoop --json: no header" "$OUT" '^COMM '
expect_eq "execsnoop --json: filename is the whole name, exactly" \
	"$(count_match "$OUT" filename "$path")" 1 "$OUT"
expect_eq "execsnoop --json: comm is its first 15 bytes, exactly" \
	"$(count_match "$OUT" filename "$path" comm "$comm")" 1 "$OUT"
expect_eq "execsnoop --json: cmdline" \
	"$(count_match "$OUT" filename "$path" cmdline "$path 3")" 1 "$OUT"
expect_eq "execsnoop --json: argv, exactly" "$(count_argv "$OUT" "$path")" 1 "$OUT"
expect_eq "execsnoop --json: pid is the -c command's" \
	"$(jget "$OUT" filename "$path" pid)" "$(jget "$OUT" filename "$TMP/run" pid)" "$OUT"
expect_grep "execsnoop --json: integers have no .0" "$OUT" '"uid":0[,}]'

# ---- exitsnoop --json ----
run_profrun -c "$TMP/run" "$EXAMPLES/exitsnoop.lua" --json
expect_rc "exitsnoop --json: exit 0" 0
check "exitsnoop --json: every line parses ($PARSER)" all_parse "$OUT"
expect_eq "exitsnoop --json: comm is the name's first 15 bytes, exactly" \
	"$(count_match "$OUT" comm "$comm")" 1 "$OUT" "$ERR"
expect_eq "exitsnoop --json: cmdline from proc(), exactly" \
	"$(count_match "$OUT" comm "$comm" cmdline "$path 3")" 1 "$OUT"
expect_eq "exitsnoop --json: exit_code" "$(jget "$OUT" comm "$comm" exit_code)" 3 "$OUT"
expect_eq "exitsnoop --json: signal" "$(jget "$OUT" comm "$comm" signal)" 0 "$OUT"
expect_gt "exitsnoop --json: duration in ns" "$(jget "$OUT" comm "$comm" duration)" 0 "$OUT"

# ---- the text output is unchanged: comm first, header kept ----
run_profrun -c "$FIXTURES/exiter 3" "$EXAMPLES/exitsnoop.lua"
expect_grep "exitsnoop without --json: header" "$OUT" '^COMM +PID +PPID +LIFETIME\(ms\) +EXIT'
expect_grep "exitsnoop without --json: text line" "$OUT" '^exiter .* code 3 +.*exiter 3$'

run_profrun -c "$FIXTURES/exiter 3" "$EXAMPLES/execsnoop.lua" --bogus
expect_rc "execsnoop: an unknown argument is a usage error" 2
expect_grep "execsnoop: the error names it" "$ERR" "unknown argument '--bogus'"

finish
