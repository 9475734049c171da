#!/bin/bash
# The manual page (built next to profrun: $(O)/profrun.1) and the bash
# completion cannot drift from the binary: the options `profrun --help`
# prints are exactly the options the page's OPTIONS section documents, and
# exactly the options completion offers; completion offers each option's
# values and the scripts. The page renders without warnings. No BPF.
. "$(dirname "$0")/lib.sh"
require_profrun
MAN=$(dirname "$PROFRUN")/profrun.1
COMPLETION=$ROOT/scripts/completion/profrun
command -v man >/dev/null || skip_all "needs man (Debian package man-db)"

# "  -e, --exec CODE  text" -> -e --exec; "  --  text" -> --
options_of() {
	sed -E -n 's/^ {2,8}(-[^ ]*( [A-Z]+)?(, -[^ ]*( [A-Z]+)?)*)( {2,}.*)?$/\1/p' |
		grep -oE '(^|[ ,])--?[A-Za-z][-A-Za-z]*|^--$' | tr -d ' ,' | sort -u
}

run_profrun --help
expect_rc "--help: exit 0" 0
sed -n '/^options:/,/^$/p' "$OUT" | options_of >"$TMP/help.opts"
expect_gt "--help: options found" "$(wc -l <"$TMP/help.opts")" 20 "$OUT"

if [ ! -r "$MAN" ]; then
	fail "the manual page is built" "no $MAN (make builds it from scripts/man/profrun.pod)"
	finish
fi
MANWIDTH=80 man -l "$MAN" 2>"$TMP/man.err" | col -b >"$TMP/man.txt"
expect_eq "man -l renders the page without warnings" "$(wc -c <"$TMP/man.err")" 0 "$TMP/man.err"
expect_grep "the page is PROFRUN(1)" "$TMP/man.txt" '^PROFRUN\(1\)'
expect_grep "the page has the version" "$TMP/man.txt" "profrun $("$PROFRUN" -V | awk '{ print $2 }')"
for section in NAME SYNOPSIS OPTIONS "EXIT STATUS" "THE LUA API" ENVIRONMENT FILES SECURITY EXAMPLES; do
	expect_grep "the page has $section" "$TMP/man.txt" "^$section\$"
done
sed -n '/^OPTIONS$/,/^[A-Z][A-Z ]*$/p' "$TMP/man.txt" | options_of >"$TMP/man.opts"

if diff -u "$TMP/help.opts" "$TMP/man.opts" >"$TMP/diff"; then
	pass "the page documents exactly --help's options ($(wc -l <"$TMP/help.opts"))"
else
	fail "the page documents exactly --help's options (- only in --help, + only in the page)" "" "$TMP/diff"
fi

# completion
comp() {
	bash -c 'source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _profrun
		printf "%s\n" "${COMPREPLY[@]}"' bash "$COMPLETION" "$@"
}
comp profrun - | sort -u >"$TMP/comp.opts"
grep -vx -- -- "$TMP/help.opts" >"$TMP/help.nosep"
if diff -u "$TMP/help.nosep" "$TMP/comp.opts" >"$TMP/cdiff"; then
	pass "completion offers exactly --help's options"
else
	fail "completion offers exactly --help's options (- only in --help, + only in completion)" "" "$TMP/cdiff"
fi
expect_eq "completion: --unwind's modes" "$(comp profrun --unwind '' | tr '\n' ' ')" "auto fp dwarf "
expect_eq "completion: --kernel-unwind's modes" "$(comp profrun --kernel-unwind '' | tr '\n' ' ')" \
	"on off only verify "
expect_eq "completion: -p offers live PIDs" "$(comp profrun -p "$$" | grep -cx "$$")" 1
mkdir -p "$TMP/scripts" && touch "$TMP/scripts/mine.lua" "$TMP/scripts/notes.txt"
expect_eq "completion: the script is a .lua file" "$(cd "$TMP/scripts" && comp profrun '' | tr '\n' ' ')" \
	"mine.lua "
expect_eq "completion: words after the script are the script's" "$(comp profrun top.lua '')" ""

finish
