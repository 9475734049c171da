#!/bin/bash
# Only the BPF programs the script's hooks need are loaded and attached.
# Programs and links are looked up with bpftool and kept to those whose
# fds the profrun process holds.
. "$(dirname "$0")/lib.sh"
require_bpf
require_bpftool

RUN_TIMEOUT=40

# plan_case NAME CODE WANT_EXEC WANT_EXIT WANT_SAMPLE
plan_case() {
	local name=$1 code=$2 want
	declare -A want=([pr_exec]=$3 [pr_exit]=$4 [pr_sample]=$5)
	local attach=() p n links
	for p in pr_exec pr_exit pr_sample; do
		[ "${want[$p]}" = 1 ] && attach+=("$p")
	done
	start_profrun -d 30 -e "$code"
	if ! wait_attached "$PR_PID" "${attach[@]}"; then
		fail "$name: attached" "no link to ${attach[*]} within 20 s" "$OUT" "$ERR"
		kill -INT "$PR_PID" 2>/dev/null
		wait_profrun
		return
	fi
	pass "$name: attached"
	for p in pr_exec pr_exit pr_sample; do
		n=$(count_pr_progs -p "$PR_PID" "$p")
		if [ "${want[$p]}" = 1 ]; then
			expect_ge "$name: $p loaded" "$n" 1
		else
			expect_eq "$name: no $p program" "$n" 0
		fi
	done
	links=$(pr_links "$PR_PID")
	n=$(count_pr_links -p "$PR_PID" perf_event)
	if [ "${want[pr_sample]}" = 1 ]; then
		expect_ge "$name: perf_event links" "$n" 1
	else
		expect_eq "$name: no perf_event link" "$n" 0
	fi
	n=$(awk '$2 != "perf_event"' <<<"$links" | grep -c .)
	if [ "${want[pr_exec]}" = 1 ] || [ "${want[pr_exit]}" = 1 ]; then
		expect_eq "$name: one tracepoint link per lifecycle program" "$n" $(($3 + $4))
	else
		expect_eq "$name: no tracepoint link" "$n" 0
	fi
	# every link of this process belongs to a wanted program
	n=$(awk -v ok=" ${attach[*]} " 'index(ok, " " $3 " ") == 0' <<<"$links" | grep -c .)
	expect_eq "$name: no link to an unwanted program" "$n" 0
	kill -INT "$PR_PID"
	wait_profrun
	expect_rc "$name: SIGINT ends it with exit 0" 0
}

plan_case "on_exec only" 'function on_exec(e) end' 1 0 0
plan_case "on_exit only" 'function on_exit(e) end' 0 1 0
plan_case "on_sample only" 'function on_sample(s) end' 0 0 1
plan_case "on_exec + on_sample" 'function on_exec(e) end function on_sample(s) end' 1 0 1

# no hooks at all: nothing is loaded, so nothing needs privileges (t02)
# and the run does not wait for events
run_profrun -d 30 -e 'every(0.05, function() exit(0) end)'
expect_rc "timers only: exit(0) from every()" 0

finish
