#!/bin/bash
# p:env(NAME), p.user, p.uid and p.cwd, read in on_exec while the process
# runs (the environment is only readable while it lives):
#   root:   a shell started with FOO=first_<pid> in a directory of ours
#           waits 0.3 s, exports FOO=bar_<pid> and execs envsleep (a
#           uniquely named copy of sleep) in place. FOO is looked up (and
#           cached) at the shell's exec; after the second exec of the same
#           PID p:env("FOO") is the new value;
#   nobody: the same through `setpriv --reuid=65534`: uid 65534, its user
#           name, its own environment.
. "$(dirname "$0")/lib.sh"
require_bpf
[ "$(id -u)" = 0 ] || skip_all "needs root (checks p.user == root, runs a process as nobody)"

RUN_TIMEOUT=30
WORK=$TMP/work.d
mkdir -p "$WORK"
cp "$(type -P sleep)" "$TMP/envsleep"
chmod 755 "$TMP/envsleep"
# nobody runs $TMP/envsleep from $WORK
chmod 711 "$TMP"
chmod 755 "$WORK"
NOBODY=$(getent passwd 65534 | cut -d: -f1)

cat >"$TMP/env.lua" <<'EOF'
local format = string.format
local EXE = arg[1]
local function show(v) return v == nil and "nil" or tostring(v) end
function on_exec(e)
  local a = e.argv
  local p = proc(e.pid)
  if not p then return end
  if a[1] == "sh" and a[2] == "-c" and a[3] and a[3]:find(EXE, 1, true) then
    -- the shell's image: fills the cache for this pid before its exec
    print(format("shell pid=%d foo=%s", e.pid, show(p:env("FOO"))))
    return
  end
  if e.filename ~= EXE then return end
  print(format("exec pid=%d arg=%s foo=%s nope=%s path_set=%s user=%s uid=%s e_uid=%d cwd=%s",
    e.pid, show(a[2]), show(p:env("FOO")), show(p:env("NOPE_NOT_SET")),
    tostring(p:env("PATH") ~= nil), show(p.user), show(p.uid), e.uid, show(p.cwd)))
end
EOF

start_profrun -d 25 "$TMP/env.lua" "$TMP/envsleep"
if ! wait_attached "$PR_PID" pr_exec pr_exit; then
	fail "attached" "no link to pr_exec and pr_exit within 20 s" "$OUT" "$ERR"
	finish
fi
pass "attached"

(cd "$WORK" && FOO="first_$$" exec sh -c "sleep 0.3; export FOO=bar_$$; exec '$TMP/envsleep' 1.1")
HAVE_SETPRIV=
if command -v setpriv >/dev/null 2>&1 && [ -n "$NOBODY" ]; then
	HAVE_SETPRIV=1
	(cd "$WORK" && exec setpriv --reuid=65534 --regid=65534 --clear-groups \
		env FOO="nobody_$$" "$TMP/envsleep" 1.2)
fi
sleep 0.3
kill -INT "$PR_PID"
wait_profrun
expect_rc "SIGINT ends the run with exit 0" 0

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

l=$(grep -m1 '^exec .* arg=1\.1 ' "$OUT")
expect_eq "root: on_exec seen" "$([ -n "$l" ] && echo yes)" yes "$OUT" "$ERR"
sl=$(grep -m1 '^shell ' "$OUT")
expect_eq "root: the shell's p:env(\"FOO\")" "$(field "$sl" foo)" "first_$$" "$OUT"
expect_eq "root: the shell and the sleep are the same PID" "$(field "$sl" pid)" "$(field "$l" pid)" "$OUT"
expect_eq "root: p:env(\"FOO\") after the exec is the new value" "$(field "$l" foo)" "bar_$$" "$OUT"
expect_eq "root: p:env of an unset name is nil" "$(field "$l" nope)" nil "$OUT"
expect_eq "root: p:env(\"PATH\") is set" "$(field "$l" path_set)" true "$OUT"
expect_eq "root: p.user" "$(field "$l" user)" root "$OUT"
expect_eq "root: p.uid" "$(field "$l" uid)" 0 "$OUT"
expect_eq "root: e.uid" "$(field "$l" e_uid)" 0 "$OUT"
expect_eq "root: p.cwd is where it was started" "$(field "$l" cwd)" "$WORK" "$OUT"

if [ -n "$HAVE_SETPRIV" ]; then
	l=$(grep -m1 '^exec .* arg=1\.2 ' "$OUT")
	expect_eq "nobody: on_exec seen" "$([ -n "$l" ] && echo yes)" yes "$OUT" "$ERR"
	expect_eq "nobody: p:env(\"FOO\")" "$(field "$l" foo)" "nobody_$$" "$OUT"
	expect_eq "nobody: p.user" "$(field "$l" user)" "$NOBODY" "$OUT"
	expect_eq "nobody: p.uid" "$(field "$l" uid)" 65534 "$OUT"
	expect_eq "nobody: e.uid" "$(field "$l" e_uid)" 65534 "$OUT"
	expect_eq "nobody: p.cwd" "$(field "$l" cwd)" "$WORK" "$OUT"
else
	echo "# no setpriv or no user 65534: the nobody case is not run"
fi

finish
