#!/bin/bash
# Without privileges or without BTF, a script with hooks fails with exit 1
# and says what is missing; a script without hooks loads nothing and so
# runs anywhere.
. "$(dirname "$0")/lib.sh"
require_bpf
command -v setpriv >/dev/null 2>&1 || skip_all "needs setpriv (util-linux)"
[ "$(id -u)" = 0 ] || skip_all "needs root to switch to user nobody (uid $(id -u))"

RUN_TIMEOUT=20
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all)

# a copy of the binary and the scripts where nobody can read them
D=$TMP/nobody
mkdir -p "$D"
chmod 755 "$TMP" "$D"
cp "$PROFRUN" "$D/profrun"
chmod 755 "$D/profrun"
echo 'function on_exec(e) end' >"$D/hook.lua"
echo 'function on_sample(s) end' >"$D/sample.lua"
cat >"$D/nohook.lua" <<'EOF'
print("top=" .. tostring(arg[1]))
local ticks = 0
every(0.05, function() ticks = ticks + 1 end)
function on_end() print("end=yes") end
EOF
echo 'print("never")' >"$D/secret.lua"
chmod 644 "$D"/*.lua
chmod 600 "$D/secret.lua"

if ! "${NOBODY[@]}" test -x "$D/profrun"; then
	skip_all "user nobody cannot reach $D (a parent directory is not searchable)"
fi

run_cmd "${NOBODY[@]}" "$D/profrun" "$D/hook.lua"
expect_rc "nobody, on_exec: exit 1" 1
expect_grep "nobody, on_exec: names CAP_BPF" "$ERR" 'CAP_BPF'
expect_grep "nobody, on_exec: names CAP_PERFMON" "$ERR" 'CAP_PERFMON'
expect_grep "nobody, on_exec: says root" "$ERR" 'root'
expect_grep "nobody, on_exec: says the uid" "$ERR" '65534'

run_cmd "${NOBODY[@]}" "$D/profrun" -d 1 "$D/sample.lua"
expect_rc "nobody, on_sample: exit 1" 1
expect_grep "nobody, on_sample: names CAP_BPF" "$ERR" 'CAP_BPF'

run_cmd "${NOBODY[@]}" "$D/profrun" -d 200ms "$D/nohook.lua" hello
expect_rc "nobody, no hooks: exit 0" 0
expect_eq "nobody, no hooks: top level ran" "$(val top "$OUT")" hello "$OUT" "$ERR"
expect_eq "nobody, no hooks: on_end ran" "$(val end "$OUT")" yes "$OUT" "$ERR"

run_cmd "${NOBODY[@]}" "$D/profrun" "$D/secret.lua"
expect_rc "nobody, unreadable script: exit 2" 2
expect_grep "nobody, unreadable script: names it" "$ERR" 'secret\.lua'
expect_grep "nobody, unreadable script: says why" "$ERR" 'Permission denied'
expect_no_grep "nobody, unreadable script: did not run" "$OUT" 'never'

# no BTF: checked before anything is loaded
PROFRUN_VMLINUX_BTF=/nonexistent run_profrun -e 'function on_exec(e) end'
expect_rc "no BTF: exit 1" 1
expect_grep "no BTF: mentions BTF" "$ERR" 'BTF'
expect_grep "no BTF: names the path" "$ERR" '/nonexistent'

PROFRUN_VMLINUX_BTF=/nonexistent run_profrun -d 100ms -e 'print("ok=1")'
expect_rc "no BTF, no hooks: exit 0" 0
expect_eq "no BTF, no hooks: ran" "$(val ok "$OUT")" 1 "$OUT" "$ERR"

finish
