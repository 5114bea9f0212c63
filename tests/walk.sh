#!/bin/bash
# walk.sh KUPGRADE NAME - the directory walk of scan and fix on links and unreadable entries.
#
# Each check builds a small tree in a temporary directory (links are made
# here, not kept in the repository) and runs `kupgrade scan` or `fix` on it:
#   one-loop      `ln -s . loop`: ends, a warning names the loop, each file once
#   two-loops     two `ln -s . x` links and a link to the parent: ends, each file once
#   fix-loops     fix --diff over the same: one diff per file
#   dangling      a dangling link: an error naming it, exit 1, the rest still read
#   unreadable    a file and a directory that cannot be read (run as nobody through
#                 setpriv, since root reads everything): errors naming them, exit 1,
#                 the rest still read
set -u
BIN=$(realpath "$1")
NAME=$2
EX=$(cd "$(dirname "$0")/.." && pwd)/examples
T=$(mktemp -d "${TMPDIR:-/tmp}/kup-walk.XXXXXX")
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
export NO_COLOR=1
fail=0

check() {   # check DESCRIPTION COMMAND...: fails the test unless COMMAND succeeds
	local what=$1
	shift
	if "$@"; then
		echo "ok: $NAME: $what"
	else
		echo "FAIL: $NAME: $what"
		fail=1
	fi
}

# d/ with a removed API at the top and one two levels down
tree() {
	mkdir -p "$T/d/sub/deeper"
	cp "$EX/manifests/ingress-extensions-v1beta1.yaml" "$T/d/a.yaml"
	cp "$EX/manifests/pdb-policy-v1beta1.yaml" "$T/d/sub/deeper/z.yaml"
	cp "$EX/manifests/flowschema-v1beta2.yaml" "$T/d/sub/m.yaml"
}

run() {   # run ARGS...: in $T, stdout to out, stderr to err, exit code to $rc (60 s at most)
	(cd "$T" && timeout 60 "$BIN" "$@" >out 2>err)
	rc=$?
}

count() { grep -c -- "$1" "$T/$2"; }

case $NAME in
one-loop)
	tree
	ln -s . "$T/d/sub/loop"
	run scan d --to 1.31 -o csv
	check "scan exits 3 (removed APIs found), not 124 (killed) or 1" [ "$rc" = 3 ]
	check "three findings, each file once" [ "$(grep -c '^removed' "$T/out")" = 3 ]
	check "no path through the loop" [ "$(count 'loop/' out)" = 0 ]
	check "a warning names the loop" grep -q "warning: not following 'd/sub/loop': a symbolic link loop back to 'd/sub'" "$T/err"
	;;
two-loops)
	tree
	ln -s . "$T/d/sub/x"
	ln -s . "$T/d/sub/y"
	ln -s .. "$T/d/sub/deeper/up"
	run scan d --to 1.31 -o csv
	check "scan ends with exit 3" [ "$rc" = 3 ]
	check "three findings, each file once" [ "$(grep -c '^removed' "$T/out")" = 3 ]
	check "warnings name each loop" eval "grep -q \"'d/sub/x': a symbolic link loop\" '$T/err' &&
		grep -q \"'d/sub/y': a symbolic link loop\" '$T/err' &&
		grep -q \"'d/sub/deeper/up': a symbolic link loop back to 'd/sub'\" '$T/err'"
	;;
fix-loops)
	tree
	ln -s . "$T/d/sub/x"
	ln -s . "$T/d/sub/y"
	ln -s ../.. "$T/d/sub/deeper/top"
	ln -s sub/m.yaml "$T/d/m-alias.yaml"   # the same file twice: fixed once
	run fix d --to 1.31 --diff
	check "fix ends with exit 0" [ "$rc" = 0 ]
	check "one diff for each of the three files" [ "$(count '^--- a/' out)" = 3 ]
	check "a warning names the loop" grep -q "not following 'd/sub/deeper/top': a symbolic link loop back to 'd'" "$T/err"
	;;
dangling)
	tree
	ln -s gone.yaml "$T/d/sub/dangling.yaml"
	run scan d --to 1.31 -o csv
	check "scan exits 1 (an input could not be read)" [ "$rc" = 1 ]
	check "the other files are still read (three findings)" [ "$(grep -c '^removed' "$T/out")" = 3 ]
	check "the error names the link" grep -q "cannot read 'd/sub/dangling.yaml': a dangling symbolic link" "$T/err"
	run fix d --to 1.31 --diff
	check "fix exits 1 too" [ "$rc" = 1 ]
	check "fix names the link" grep -q "cannot read 'd/sub/dangling.yaml': a dangling symbolic link" "$T/err"
	check "fix still diffs the three files" [ "$(count '^--- a/' out)" = 3 ]
	;;
unreadable)
	if ! command -v setpriv >/dev/null || ! setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
		echo "FAIL: $NAME: setpriv cannot run a command as nobody here (util-linux); the check cannot run"
		exit 1
	fi
	tree
	mkdir "$T/d/closed"
	cp "$EX/manifests/pdb-policy-v1beta1.yaml" "$T/d/closed/hidden.yaml"
	cp "$EX/manifests/deployment-apps-v1beta2.yaml" "$T/d/sub/secret.yaml"
	chmod 755 "$T"
	chmod -R a+rX "$T/d"
	chmod 000 "$T/d/sub/secret.yaml" "$T/d/closed"
	nobody() { (cd "$T" && timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" "$@" >out 2>err); rc=$?; }
	nobody scan d --to 1.31 -o csv
	check "scan exits 1" [ "$rc" = 1 ]
	check "the readable files are still read (three findings)" [ "$(grep -c '^removed' "$T/out")" = 3 ]
	check "the error names the file" grep -q "cannot open 'd/sub/secret.yaml': Permission denied" "$T/err"
	check "the error names the directory" grep -q "cannot open directory 'd/closed': Permission denied" "$T/err"
	nobody fix d --to 1.31 --diff
	check "fix exits 1" [ "$rc" = 1 ]
	check "fix names the file" grep -q "'d/sub/secret.yaml': Permission denied" "$T/err"
	check "fix still diffs the three readable files" [ "$(count '^--- a/' out)" = 3 ]
	;;
*)
	echo "walk.sh: no check named '$NAME'" >&2
	exit 2 ;;
esac
if [ "$fail" != 0 ]; then
	echo "--- stdout"; head -40 "$T/out"; echo "--- stderr"; head -20 "$T/err"
fi
exit $fail
