#!/bin/sh
# run-case.sh KUPGRADE CASE_DIR - runs one data-driven test case.
#
# A case is a folder:
#   cmd          the arguments to kupgrade, one line, shell-quoted; run in the case folder
#   stdin        optional: fed to standard input (else /dev/null)
#   expected     optional: standard output must equal this file exactly
#   contains     optional: every line is a fixed string standard output must contain
#   stderr       optional: every line is a fixed string standard error must contain
#   exit         optional: the expected exit code (default 0)
# NO_COLOR is set; the output is never a terminal.
set -u
bin=$1
dir=$2
cd "$dir" || exit 1
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
args=$(cat cmd)
in=/dev/null
[ -f stdin ] && in=stdin
eval "set -- $args"
NO_COLOR=1 "$bin" "$@" <"$in" >"$out" 2>"$err"
rc=$?
want=0
[ -f exit ] && want=$(cat exit)
fail=0
if [ "$rc" != "$want" ]; then
	echo "FAIL: exit code $rc, expected $want"
	fail=1
fi
if [ -f expected ] && ! diff -u expected "$out"; then
	echo "FAIL: standard output differs from 'expected' (diff above)"
	fail=1
fi
if [ -f contains ]; then
	while IFS= read -r line || [ -n "$line" ]; do
		[ -z "$line" ] && continue
		if ! grep -qF -- "$line" "$out"; then
			echo "FAIL: standard output lacks: $line"
			fail=1
		fi
	done <contains
fi
if [ -f stderr ]; then
	while IFS= read -r line || [ -n "$line" ]; do
		[ -z "$line" ] && continue
		if ! grep -qF -- "$line" "$err"; then
			echo "FAIL: standard error lacks: $line"
			fail=1
		fi
	done <stderr
fi
if [ "$fail" -ne 0 ]; then
	echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"
fi
exit $fail
