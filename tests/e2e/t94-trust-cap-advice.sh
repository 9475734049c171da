#!/bin/bash
# The advice for a user without privileges does not open the machine: it
# says what CAP_BPF+CAP_PERFMON grant (reading any process's memory, with
# profrun running arbitrary Lua) and gives the safe recipe, a copy only a
# dedicated group may run (mode 0750), never setcap on a binary everyone
# may execute. Needs root to run profrun as nobody.
. "$(dirname "$0")/lib.sh"
require_profrun
[ "$(id -u)" = 0 ] || skip_all "needs root to run profrun as nobody"
command -v setpriv >/dev/null 2>&1 || skip_all "needs setpriv"

RUN_TIMEOUT=20
cd /tmp || exit 1
run_cmd setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
	"$PROFRUN" -e 'function on_sample(s) end'
expect_rc "nobody: exit 1" 1
expect_grep "says what is missing" "$ERR" '^profrun: .*needs root or CAP_BPF\+CAP_PERFMON'
expect_grep "says what the capabilities grant" "$ERR" "read any process's memory"
expect_grep "says profrun runs arbitrary Lua" "$ERR" 'arbitrary Lua'
expect_grep "recipe: a dedicated group" "$ERR" 'groupadd profrun'
expect_grep "recipe: mode 0750, group profrun" "$ERR" 'install -o root -g profrun -m 0750'
expect_grep "recipe: setcap on that copy" "$ERR" 'setcap cap_bpf,cap_perfmon\+ep /usr/local/bin/profrun-cap'
expect_no_grep "never setcap on the plain profrun" "$ERR" 'setcap [^ ]+ profrun([^-]|$)'

finish
