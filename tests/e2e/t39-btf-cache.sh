#!/bin/bash
# The minimal BTF cache: the first run builds it (bpftool gen
# min_core_btf), later runs use it and libbpf never reads the kernel's
# whole BTF, for samples, exec events or -c's child following (raw
# tracepoints attach without BTF); they work either way. A corrupt file is
# rebuilt; a file or directory others may write is not used; other
# kernels' files are pruned; PROFRUN_BTF_CACHE=off turns it off.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures burn

RUN_TIMEOUT=60
C=$TMP/btfcache
BURN=$FIXTURES/burn
cat >"$TMP/both.lua" <<'EOF2'
sample { hz = 199 }
local n, execs = 0, 0
function on_sample(s) n = n + 1 end
function on_exec(e) execs = execs + 1 end
function on_end() print("samples=" .. n) print("execs=" .. execs) end
EOF2
cat >"$TMP/sample.lua" <<'EOF2'
sample { hz = 199 }
local n = 0
function on_sample(s) n = n + 1 end
function on_end() print("samples=" .. n) end
EOF2

# what the kernel's BTF is loaded for: libbpf -v says so
kernel_btf_loads() { grep -c "loading kernel BTF '/sys/kernel/btf/vmlinux'" "$1"; }

mkdir -p "$C/old"
: >"$C/0000000000000000000000000000000000000000-0000000000000000.btf"
PROFRUN_BTF_CACHE=$C run_profrun -v -c "$BURN 0.5" "$TMP/both.lua"
expect_rc "first run: exit 0" 0
expect_grep "first run: builds the minimal BTF" "$ERR" 'kernel BTF: built minimal BTF '
F=$(sed -n 's/.*kernel BTF: built minimal BTF //p' "$ERR" | head -1)
expect_eq "the file is in the cache, named by the kernel's build-id" \
	"$(dirname "$F")" "$C" "$ERR"
expect_eq "the file is root's, 0644" "$(stat -c '%u %a' "$F" 2>/dev/null)" "0 644"
expect_gt "first run: samples" "$(val samples "$OUT")" 0 "$OUT" "$ERR"
expect_eq "first run: the command's exec" "$(val execs "$OUT")" 1 "$OUT"
expect_eq "another kernel's file pruned" \
	"$(ls "$C"/0000000000000000000000000000000000000000-* 2>/dev/null | wc -l)" 0

# system-wide, with a burner to sample
start_bg "$BURN" 20
PROFRUN_BTF_CACHE=$C run_profrun -v -d 0.5 "$TMP/sample.lua"
expect_rc "second run: exit 0" 0
expect_grep "second run: uses the cached file" "$ERR" "kernel BTF: cached minimal BTF $F"
expect_eq "second run: the kernel's BTF is not parsed at all" "$(kernel_btf_loads "$ERR")" 0 "$ERR"
expect_gt "second run: samples" "$(val samples "$OUT")" 0 "$OUT"

PROFRUN_BTF_CACHE=$C run_profrun -v -c "$BURN 0.5" "$TMP/both.lua"
expect_rc "cached, with exec: exit 0" 0
expect_gt "cached, with exec: samples" "$(val samples "$OUT")" 0 "$OUT" "$ERR"
expect_eq "cached, with exec: the exec" "$(val execs "$OUT")" 1 "$OUT"
expect_eq "cached, with exec and -c: the kernel's BTF is not parsed" \
	"$(kernel_btf_loads "$ERR")" 0 "$ERR"

# corrupt: detected, made again, the run unharmed
head -c 4096 /dev/urandom >"$F"
PROFRUN_BTF_CACHE=$C run_profrun -v -c "$BURN 0.3" "$TMP/sample.lua"
expect_rc "corrupt file: exit 0" 0
expect_grep "corrupt file: built again" "$ERR" 'kernel BTF: built minimal BTF '
expect_gt "corrupt file: samples" "$(val samples "$OUT")" 0 "$OUT"

# others may write the file, or the directory: not used, the kernel's BTF serves
chmod 0666 "$F"
PROFRUN_BTF_CACHE=$C run_profrun -v -d 0.5 "$TMP/sample.lua"
expect_rc "world-writable file: exit 0" 0
expect_grep "world-writable file: not used, says why" "$ERR" 'minimal BTF cache not used .*not a private file'
expect_eq "world-writable file: the kernel's BTF instead" "$(kernel_btf_loads "$ERR")" 1 "$ERR"
expect_gt "world-writable file: samples" "$(val samples "$OUT")" 0 "$OUT"
chmod 0644 "$F"
chmod 0777 "$C"
PROFRUN_BTF_CACHE=$C run_profrun -v -c "$BURN 0.3" "$TMP/sample.lua"
expect_grep "world-writable directory: not used" "$ERR" 'minimal BTF cache not used .*only uid 0 may write'
expect_gt "world-writable directory: samples" "$(val samples "$OUT")" 0 "$OUT"
chmod 0755 "$C"

PROFRUN_BTF_CACHE=off run_profrun -v -d 0.5 "$TMP/sample.lua"
expect_rc "off: exit 0" 0
expect_no_grep "off: no cache" "$ERR" 'minimal BTF'
expect_eq "off: the kernel's BTF" "$(kernel_btf_loads "$ERR")" 1 "$ERR"
expect_gt "off: samples" "$(val samples "$OUT")" 0 "$OUT"
kill "$WL_PID" 2>/dev/null
finish
