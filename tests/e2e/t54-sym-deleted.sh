#!/bin/bash
# A binary deleted while it runs: a copy of symfix-pie is started for a
# few seconds and removed after 0.3 s; profrun -p, started only after the
# removal, still names sf_leaf <- sf_middle <- sf_outer (the file is read
# through the process's mapping), and the module is the original path
# without " (deleted)". Variant: another binary (symfix-stripped, no
# names) takes the path after the removal: the names still come from the
# deleted file the process runs.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures symfix-pie symfix-stripped

RUN_TIMEOUT=20

cat >"$TMP/del.lua" <<'EOF'
local total, named, leaf_module = 0, 0, nil
local chains = {}
function on_sample(s)
  total = total + 1
  local has = {}
  for _, f in ipairs(s:frames()) do
    if f.name then has[f.name] = true end
    if f.name == "sf_leaf" and not leaf_module then leaf_module = f.module end
  end
  if has.sf_leaf and has.sf_middle and has.sf_outer then named = named + 1 end
  local k = s:folded()
  chains[k] = (chains[k] or 0) + 1
end
function on_end()
  for k, n in pairs(chains) do print("stack\t" .. n .. "\t" .. k) end
  print("total=" .. total)
  print("named=" .. named)
  print("leaf_module=" .. tostring(leaf_module))
end
EOF

# deleted_case NAME REPLACE: REPLACE=1 puts symfix-stripped at the path
deleted_case() {
	local name=$1 replace=$2 dir bin pid total named
	dir=$TMP/$replace
	mkdir -p "$dir"
	dir=$(readlink -f "$dir")
	bin=$dir/delbin
	cp "$FIXTURES/symfix-pie" "$bin"
	start_bg "$bin" 3
	pid=$WL_PID
	if [ -z "$pid" ]; then
		fail "$name: start the copy" "no process"
		return
	fi
	sleep 0.3
	rm -f "$bin"
	[ "$replace" = 1 ] && cp "$FIXTURES/symfix-stripped" "$bin"
	if grep -qF "$bin (deleted)" "/proc/$pid/maps"; then
		pass "$name: the running image is deleted"
	else
		fail "$name: the running image is deleted" "no '$bin (deleted)' in /proc/$pid/maps"
	fi
	run_profrun -p "$pid" -d 1 -F 499 "$TMP/del.lua"
	expect_rc "$name: exit 0" 0
	total=$(val total "$OUT")
	named=$(val named "$OUT")
	expect_ge "$name: samples after the removal (>= 100)" "$total" 100 "$OUT" "$ERR"
	expect_pct_ge "$name: >= 80% of the samples name sf_leaf, sf_middle and sf_outer" \
		"$named" "$total" 80 "$OUT"
	expect_grep "$name: the stack reads main;sf_outer;sf_middle;sf_leaf" "$OUT" \
		'^stack	[0-9]+	delbin;.*main;sf_outer;sf_middle;sf_leaf($|;)'
	expect_eq "$name: the module is the original path" "$(val leaf_module "$OUT")" "$bin" "$OUT"
	kill -TERM "$pid" 2>/dev/null
	wait_gone "$pid" 5
}

deleted_case "deleted" 0
deleted_case "deleted, path reused by another binary" 1

finish
