#!/bin/sh
# tools/k8s-lifecycle on a fixture: every kind of difference is reported, an
# accepted one is not, a stale exception is, and the exit code is 1.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tool="$here/../../tools/k8s-lifecycle"
fx="$here/lifecycle"
out=$(python3 "$tool" verify "$fx/src" "$fx/kb.json" "$fx/exceptions")
rc=$?
want=$(sed "s|^EXC:|$fx/exceptions:|" "$fx/expected")
if [ "$rc" -ne 1 ]; then
	echo "want exit 1, got $rc" >&2
	exit 1
fi
if [ "$out" != "$want" ]; then
	echo "output differs:" >&2
	printf '%s\n' "$want" >"${TMPDIR:-/tmp}/lifecycle-want.$$"
	printf '%s\n' "$out" | diff -u "${TMPDIR:-/tmp}/lifecycle-want.$$" - >&2
	rm -f "${TMPDIR:-/tmp}/lifecycle-want.$$"
	exit 1
fi
# Without the exceptions every difference counts.
python3 "$tool" verify "$fx/src" "$fx/kb.json" /dev/null >/dev/null
[ $? -eq 1 ] || { echo "no exceptions: want exit 1" >&2; exit 1; }
exit 0
