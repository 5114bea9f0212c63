#!/bin/sh
# verify.sh CLUSTER TYPE COMPONENT VERSION - exit 0 when that step's outcome is in
# place in the simulated cluster's profile (the minor of VERSION matches).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cluster=$1 type=$2 component=${3#nodepool/} version=$4
profile=$here/clusters/$cluster.yaml
case $type in
control-plane) line=$(grep '^  controlPlane:' "$profile") ;;
nodepool|addon) line=$(grep "{name: $component," "$profile") ;;
*) echo "cannot verify $type"; exit 2 ;;
esac
case $line in
*"version: \"$version\""*|*"version: \"$version."*)
	echo "$type $component of $cluster is at $version"; exit 0 ;;
esac
echo "$type $component of $cluster is not at $version: $line"
exit 1
