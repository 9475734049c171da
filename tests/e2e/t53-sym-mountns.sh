#!/bin/bash
# A binary that exists only in a private mount namespace: unshare -m mounts
# a tmpfs on a fresh directory, copies symfix-pie into it and execs the
# copy; the host sees an empty directory. profrun (in the host namespace)
# still names sf_leaf <- sf_middle <- sf_outer, and the frames' module is
# the path inside the namespace.
#
# The script defines on_exec, so the exec program is loaded and the maps
# of the -c pid are re-read after each exec in its unshare -> sh -> privbin
# chain: without it the pid's maps cache keeps the first image it saw (see
# the sl_exec case of t51), which is not what this file tests.
. "$(dirname "$0")/lib.sh"
require_bpf
require_fixtures symfix-pie
command -v unshare >/dev/null 2>&1 || skip_all "needs unshare (util-linux)"

RUN_TIMEOUT=20
mkdir -p "$TMP/priv"
PRIV=$(readlink -f "$TMP/priv")

# ns.sh DIR: runs inside the new mount namespace; the host-visible marker
# says whether the copy is there, then the shell becomes the copy
cat >"$TMP/ns.sh" <<EOF
mount -t tmpfs none "\$1" || exit 3
cp "$FIXTURES/symfix-pie" "\$1/privbin" || exit 4
[ -x "\$1/privbin" ] && echo inside=yes >"$TMP/marker.tmp" && mv "$TMP/marker.tmp" "$TMP/marker"
exec "\$1/privbin" 1.5
EOF

cat >"$TMP/ns.lua" <<'EOF'
local total, named, leaf_module = 0, 0, nil
local chains = {}
function on_exec(e) end
function on_sample(s)
  if s.comm ~= "privbin" then return end
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

start_profrun -F 499 -c "unshare -m --propagation private sh $TMP/ns.sh $PRIV" "$TMP/ns.lua"
if wait_file "$TMP/marker" 10; then
	expect_eq "the copy exists inside the namespace" "$(val inside "$TMP/marker")" yes "$TMP/marker"
	# the host does not see the tmpfs, nor the file
	if [ -e "$PRIV/privbin" ]; then
		fail "the host cannot see the copy" "$PRIV/privbin exists on the host"
	else
		pass "the host cannot see the copy"
	fi
	if grep -qF " $PRIV " /proc/self/mountinfo; then
		fail "no tmpfs on the host" "$PRIV is a mount point on the host"
	else
		pass "no tmpfs on the host"
	fi
else
	fail "the namespace ran the copy" "no marker within 10 s" "$OUT" "$ERR"
fi
wait_profrun
expect_rc "-c unshare: exit 0" 0
total=$(val total "$OUT")
named=$(val named "$OUT")
expect_ge "privbin samples (>= 100)" "$total" 100 "$OUT" "$ERR"
expect_pct_ge ">= 80% of privbin samples name sf_leaf, sf_middle and sf_outer" "$named" "$total" 80 "$OUT"
expect_grep "the stack reads sf_outer;sf_middle;sf_leaf" "$OUT" \
	'^stack	[0-9]+	privbin;.*main;sf_outer;sf_middle;sf_leaf($|;)'
expect_eq "the module is the path inside the namespace" "$(val leaf_module "$OUT")" \
	"$PRIV/privbin" "$OUT"

finish
