#!/bin/sh
# The knowledge base's date: `kupgrade version` prints it with the newest
# Kubernetes minor; a KB more than 120 days old, or a target newer than the KB
# knows, is announced once on stderr while the command goes on.
#   $1 the kupgrade binary
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
top="$here/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check NAME COMMAND-STATUS: reports a failed expectation
	if [ "$2" -ne 0 ]; then
		echo "FAIL: $1"
		fail=1
	fi
}
# The date is the newest `checked:` of data/; the newest minor the newest release.
want_date=$(grep -rhoE 'checked: "?[0-9]{4}-[0-9]{2}-[0-9]{2}' "$top/data" | grep -oE '[0-9-]{10}' | sort | tail -n 1)
# Scheduled minors (`status: scheduled`) are not released: they are named after it.
want_minor=$(grep -v 'status: scheduled' "$top/data/releases.yaml" | grep -oE 'version: "1\.[0-9]+"' | grep -oE '1\.[0-9]+' | sort -t. -k2,2n | tail -n 1)
want_sched=$(grep 'status: scheduled' "$top/data/releases.yaml" | sed -E 's/.*version: "(1\.[0-9]+)".*scheduled: "([0-9-]{10})".*/, \1 scheduled for \2/' | tr -d '\n')
"$bin" version >"$tmp/out" 2>"$tmp/err"
check "version exits 0" $?
grep -qx "knowledge base: $want_date (embedded), newest Kubernetes $want_minor$want_sched" "$tmp/out"
check "version prints 'knowledge base: $want_date (embedded), newest Kubernetes $want_minor$want_sched'" $?

# 120 days after the date: quiet; 121 days: one warning, and the scan still runs.
day() { python3 -c "import datetime,sys; print(datetime.date.fromisoformat(sys.argv[1]) + datetime.timedelta(days=int(sys.argv[2])))" "$@"; }
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n' >"$tmp/cm.yaml"
KUPGRADE_TODAY=$(day "$want_date" 120) "$bin" scan "$tmp/cm.yaml" >"$tmp/out" 2>"$tmp/err"
check "scan at 120 days exits 0" $?
! grep -q "warning" "$tmp/err"
check "no warning at 120 days" $?
KUPGRADE_TODAY=$(day "$want_date" 121) "$bin" scan --to "$want_minor" "$tmp/cm.yaml" "$tmp/cm.yaml" >"$tmp/out" 2>"$tmp/err"
check "scan at 121 days exits 0" $?
[ "$(grep -c "last checked on $want_date, 121 days ago" "$tmp/err")" -eq 1 ]
check "exactly one age warning at 121 days" $?

# A scheduled target: its own warning (with the date) once, the scan goes on; plan refuses
# naming the date and the newest released minor.
newest=$want_minor
printf 'apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\nmetadata: {name: p}\nspec:\n  provider: kubeadm\n  controlPlane: {version: "%s.1"}\n' "$want_minor" >"$tmp/p.yaml"
if [ -n "$want_sched" ]; then
	sched=$(echo "$want_minor" | awk -F. '{print $1 "." $2 + 1}')
	sdate=$(grep 'status: scheduled' "$top/data/releases.yaml" | grep "version: \"$sched\"" | grep -oE 'scheduled: "[0-9-]{10}"' | grep -oE '[0-9-]{10}')
	"$bin" scan --to "$sched" "$tmp/cm.yaml" "$tmp/cm.yaml" >"$tmp/out" 2>"$tmp/err"
	check "scan --to $sched (scheduled) exits 0" $?
	[ "$(grep -c "Kubernetes $sched is scheduled for $sdate, not released in the knowledge base (newest released: $want_minor)" "$tmp/err")" -eq 1 ]
	check "one scheduled warning for --to $sched" $?
	"$bin" plan "$tmp/p.yaml" --to "$sched" >"$tmp/out" 2>"$tmp/err"
	[ $? -ne 0 ] && grep -q "target $sched is scheduled for $sdate (.*), not released in the knowledge base: what it removes is not known yet; the newest released version it knows is $want_minor" "$tmp/err"
	check "plan --to $sched refuses, naming $sdate and $want_minor" $?
	want_minor=$sched   # the next unknown minor is after the scheduled one
fi
"$bin" plan "$tmp/p.yaml" --to 9.99 >"$tmp/out" 2>"$tmp/err"
[ $? -ne 0 ] && grep -q "is beyond the knowledge base" "$tmp/err"
check "plan --to 9.99 refuses" $?

# A target newer than the KB: warned once, the scan goes on; plan refuses.
next=$(echo "$want_minor" | awk -F. '{print $1 "." $2 + 1}')
"$bin" scan --to "$next" "$tmp/cm.yaml" >"$tmp/out" 2>"$tmp/err"
check "scan --to $next exits 0" $?
[ "$(grep -c "the target $next is newer than the newest Kubernetes minor the knowledge base knows ($newest)" "$tmp/err")" -eq 1 ]
check "one target warning for --to $next" $?
"$bin" scan --to "$want_minor" "$tmp/cm.yaml" >"$tmp/out" 2>"$tmp/err"
! grep -q "is newer than" "$tmp/err"
check "no target warning for --to $want_minor" $?
"$bin" fix --to "$next" "$tmp/cm.yaml" >"$tmp/out" 2>"$tmp/err"
grep -q "the target $next is newer" "$tmp/err"
check "fix --to $next warns" $?
exit $fail
