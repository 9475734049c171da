#!/bin/bash
# -p PID follows the process tree: a child it already had when profrun
# attached (found in /proc) and a child it forks afterwards (added by the
# fork tracker in the kernel before it runs) are both sampled, and their
# fork and exec events are seen; with --no-children neither is.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures burn

RUN_TIMEOUT=60
for n in burn_pre burn_kid; do cp "$FIXTURES/burn" "$TMP/$n"; done

cat >"$TMP/tree.lua" <<'EOF2'
local by, forks, execs = {}, 0, {}
function on_sample(s) by[s.comm] = (by[s.comm] or 0) + 1 end
function on_fork(e) forks = forks + 1 end
function on_exec(e) execs[e.comm] = true end
function on_end()
  for _, c in ipairs { "burn_pre", "burn_kid" } do print(c .. "=" .. (by[c] or 0)) end
  print("forks=" .. forks)
  print("exec_kid=" .. tostring(execs.burn_kid == true))
end
EOF2

# parent: one child before attach, one more once $GO exists, then waits
parent() {
	local go=$1
	start_bg sh -c "'$TMP/burn_pre' 8 & while [ ! -e '$go' ]; do sleep 0.05; done; '$TMP/burn_kid' 2; wait"
}

# run_tree NAME [profrun options...]: -p on a fresh parent; OUT/ERR/RC
run_tree() {
	local name=$1 go=$TMP/go.$1
	shift
	parent "$go"
	start_profrun -F 199 "$@" -p "$WL_PID" "$TMP/tree.lua"
	if ! wait_attached "$PR_PID" pr_sample; then
		fail "$name: attached" "no pr_sample link within 20 s" "$OUT" "$ERR"
	fi
	sleep 0.5
	: >"$go" # the child forked after attach
	wait_profrun
}

run_tree follow
expect_rc "follow: exit 0 when the parent ends" 0
expect_gt "follow: the child it had before attach is sampled" "$(val burn_pre "$OUT")" 0 \
	"$OUT" "$ERR"
expect_gt "follow: the child forked after attach is sampled" "$(val burn_kid "$OUT")" 0 \
	"$OUT" "$ERR"
expect_gt "follow: its fork is seen" "$(val forks "$OUT")" 0 "$OUT"
expect_eq "follow: its exec is seen" "$(val exec_kid "$OUT")" true "$OUT"

run_tree alone --no-children
expect_rc "--no-children: exit 0" 0
expect_eq "--no-children: no child is sampled" \
	"$(($(val burn_pre "$OUT") + $(val burn_kid "$OUT")))" 0 "$OUT" "$ERR"
expect_eq "--no-children: the child's exec is not an event of the target" \
	"$(val exec_kid "$OUT")" false "$OUT"

finish
