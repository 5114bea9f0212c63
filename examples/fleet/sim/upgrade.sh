#!/bin/sh
# upgrade.sh CLUSTER TYPE COMPONENT VERSION - the simulated provider's upgrade.
#
# Waits $SIM_DELAY seconds (default 0.05), then moves COMPONENT of the cluster's
# profile (clusters/CLUSTER.yaml under the fleet folder) to VERSION:
#   control-plane  controlPlane.version
#   nodepool       the version of node pool COMPONENT ("general" or "nodepool/general")
#   addon          the version of add-on COMPONENT
# The profile is rewritten to a temporary file and renamed, so a reader never sees
# half of it.  Every run appends "start" and "end" lines to the driver log
# ($SIM_LOG, default driver.log in the fleet folder):
#   <ns since epoch> <pid> start|end|fail CLUSTER TYPE COMPONENT VERSION
# which is how the tests prove that every step ran exactly once.
#
# Injected failures: a cluster named in $FAIL_CLUSTER (comma-separated) or on a
# line of fail.list ("CLUSTER" or "CLUSTER TYPE") fails with exit 1 and changes
# nothing.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cluster=$1 type=$2 component=${3#nodepool/} version=$4
log=${SIM_LOG:-$here/driver.log}
profile=$here/clusters/$cluster.yaml
now() { date +%s%N; }

echo "$(now) $$ start $cluster $type $component $version" >>"$log"
sleep "${SIM_DELAY:-0.05}"

fail=no
case ",${FAIL_CLUSTER:-}," in *",$cluster,"*) fail=yes ;; esac
if [ -f "$here/fail.list" ]; then
	while read -r c t; do
		[ "$c" = "$cluster" ] || continue
		[ -z "${t:-}" ] || [ "$t" = "$type" ] && fail=yes
	done <"$here/fail.list"
fi
if [ "$fail" = yes ]; then
	echo "$(now) $$ fail $cluster $type $component $version" >>"$log"
	echo "simulated provider: $type $component of $cluster to $version failed (injected)" >&2
	exit 1
fi
if [ ! -f "$profile" ]; then
	echo "simulated provider: no profile $profile" >&2
	exit 2
fi

tmp=$profile.tmp.$$
case $type in
control-plane)
	sed "s/^\(  controlPlane: {version: \"\)[^\"]*\"/\1$version\"/" "$profile" >"$tmp" ;;
nodepool|addon)
	sed "/{name: $component,/ s/version: \"[^\"]*\"/version: \"$version\"/" "$profile" >"$tmp" ;;
*)
	echo "simulated provider: step type $type is not simulated" >&2
	exit 2 ;;
esac
mv "$tmp" "$profile"
echo "upgraded $type $component of $cluster to $version"
echo "$(now) $$ end $cluster $type $component $version" >>"$log"
