#!/bin/bash
# live-empty.sh KUPGRADE - an API server that answers but lists nothing.
#
# tests/data/live/server.py (a stand-in API server, plain HTTP here) is run
# with --empty-discovery (/api and /apis list nothing) and with --no-nodes
# (an empty list of nodes).  A clean "nothing found, exit 0" would be a
# clean result on input never read: `scan --kubeconfig` must warn (exit
# stays what the findings say), and with --strict fail with exit 1.  The
# stand-in with its usual answers is the control: no warning.
set -u
BIN=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$SRC/tests/lib/standin.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/kup-live-empty.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT
export NO_COLOR=1
fail=0

check() {
	local what=$1
	shift
	if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}

serve() {   # serve FLAGS...: (re)starts the stand-in, writes $T/kubeconfig
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -f "$T/port"
	python3 "$SRC/tests/data/live/server.py" "$T" --insecure-http "$@" &
	pid=$!
	standin_wait "$T" || { echo "FAIL: the stand-in server did not start"; exit 1; }
	standin_kubeconfig "$T" good-token
}

scan() {   # scan ARGS...: stdout $T/out, stderr $T/err, exit code $rc
	timeout 60 "$BIN" scan --kubeconfig "$T/kubeconfig" --to 1.25 "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

serve
scan
check "control: the usual stand-in gives findings (exit 3)" [ "$rc" = 3 ]
check "control: no warning about empty answers" eval "! grep -q 'empty list\|lists no' '$T/err'"

serve --empty-discovery
scan
check "empty discovery: a warning names it" grep -q "warning: the API server's discovery lists no API group versions" "$T/err"
check "empty discovery: exit 0 without --strict (nothing found)" [ "$rc" = 0 ]
scan --strict
check "empty discovery, --strict: exit 1" [ "$rc" = 1 ]
check "empty discovery, --strict: an error names it" grep -q "error: the API server's discovery lists no API group versions" "$T/err"

serve --no-nodes
scan
check "no nodes: a warning names it" grep -q "warning: the cluster answered an empty list of nodes" "$T/err"
check "no nodes: exit 3 without --strict (the findings)" [ "$rc" = 3 ]
scan --strict
check "no nodes, --strict: exit 1" [ "$rc" = 1 ]
check "no nodes, --strict: the findings are still reported" grep -q "Ingress" "$T/out"

if [ "$fail" != 0 ]; then echo "--- stderr"; cat "$T/err"; fi
exit $fail
