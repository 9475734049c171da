#!/bin/bash
# Short-lived processes are symbolized late: a system-wide profile sees a
# copy of symfix-pie run for 0.15 s, several times; the script keeps only
# stack ids while sampling and symbolizes them in on_end, a second after
# the last process exited. At least 90% of those samples are fully named
# (sf_leaf and sf_middle), not counting those taken while the kernel
# execs it or the dynamic loader runs (none of its code to name yet). Variants: each copy is deleted as soon as it
# exited, before profrun ends: still named; the copy is exec'd by a
# process (same pid) that ran bash code first: named after the exec.
. "$(dirname "$0")/lib.sh"
require_bpf
require_bpftool
require_fixtures symfix-pie

RUN_TIMEOUT=25
RUNS=5

# arg[1]: the comm to keep. Stack ids and pids only in on_sample; stack()
# only in on_end.
cat >"$TMP/late.lua" <<'EOF'
local want = arg[1]
local ids, n, pids = {}, 0, {}
function on_sample(s)
  if s.comm == want then
    n = n + 1
    ids[n] = s.stack
    pids[s.pid] = true
  end
end
function on_end()
  local named, shown, loading = 0, 0, 0
  for i = 1, n do
    local has, parts, in_loader = {}, {}, false
    for _, f in ipairs(stack(ids[i])) do
      if f.name then has[f.name] = true end
      if not f.kernel and f.module and f.module:match("/ld%-linux[^/]*$") then in_loader = true end
      parts[#parts + 1] = f.name or string.format("%s+0x%x", f.module or "?", f.offset or 0)
    end
    if has.sf_leaf and has.sf_middle then
      named = named + 1
    elseif has.bprm_execve or in_loader then
      -- the kernel's exec or the dynamic loader: the binary's own code
      -- has not run yet, nothing of it to name (a loaded machine makes
      -- these a larger share)
      loading = loading + 1
    elseif shown < 5 then
      shown = shown + 1
      print("unnamed: " .. table.concat(parts, " <- "))
    end
  end
  local npids = 0
  for _ in pairs(pids) do npids = npids + 1 end
  print("samples=" .. n - loading)
  print("loading=" .. loading)
  print("named=" .. named)
  print("pids=" .. npids)
end
EOF

# short_lived NAME COMM MODE: one system-wide profile, RUNS short runs of
# copies named COMM, a fresh copy per run. MODE: plain; delete (each copy
# is removed once it exited); exec (bash burns 0.2 s of CPU in the same
# pid, then execs the copy)
short_lived() {
	local name=$1 comm=$2 mode=$3 i dir pr_out pr_err
	start_profrun -F 999 "$TMP/late.lua" "$comm"
	pr_out=$OUT
	pr_err=$ERR
	if ! wait_attached "$PR_PID" pr_sample; then
		fail "$name: attached" "no pr_sample link within 20 s" "$OUT" "$ERR"
		kill -INT "$PR_PID" 2>/dev/null
		wait_profrun
		return
	fi
	for ((i = 1; i <= RUNS; i++)); do
		dir=$TMP/$comm.$i
		mkdir -p "$dir"
		cp "$FIXTURES/symfix-pie" "$dir/$comm"
		if [ "$mode" = exec ]; then
			# no fork: EPOCHREALTIME is a bash variable
			# shellcheck disable=SC2016 # expanded by the inner bash
			timeout -k 2 10 bash -c 'end=$((${EPOCHREALTIME/./} + 200000))
				while [ "${EPOCHREALTIME/./}" -lt $end ]; do :; done
				exec "$0" 0.15' "$dir/$comm" >/dev/null 2>&1 </dev/null
		else
			timeout -k 2 10 "$dir/$comm" 0.15 >/dev/null 2>&1 </dev/null
		fi
		[ "$mode" = delete ] && rm -f "$dir/$comm"
		sleep 0.1
	done
	if [ "$mode" = delete ]; then
		expect_eq "$name: the copies are gone" "$(find "$TMP" -name "$comm" | wc -l)" 0
	fi
	sleep 1
	kill -INT "$PR_PID"
	wait_profrun
	OUT=$pr_out
	ERR=$pr_err
	expect_rc "$name: SIGINT ends it with exit 0" 0
	local samples named
	samples=$(val samples "$OUT")
	named=$(val named "$OUT")
	# 0.15 s of CPU at 999 Hz is ~150 samples a run
	expect_ge "$name: samples of $comm (>= 100)" "$samples" 100 "$OUT" "$ERR"
	expect_ge "$name: every run sampled" "$(val pids "$OUT")" "$RUNS" "$OUT"
	expect_pct_ge "$name: >= 90% of the samples named sf_leaf and sf_middle" "$named" "$samples" 90 "$OUT"
}

short_lived "short-lived" sl_copy plain
short_lived "short-lived, deleted after exit" sl_gone delete
short_lived "short-lived, exec'd after bash ran in its pid" sl_exec exec

finish
