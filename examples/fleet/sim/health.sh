#!/bin/sh
# health.sh CLUSTER - the simulated cluster's health check: healthy unless the
# cluster is named in $UNHEALTHY (comma-separated) or on a line of unhealthy.list.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
case ",${UNHEALTHY:-}," in *",$1,"*) echo "$1: 3 nodes NotReady (injected)"; exit 1 ;; esac
if [ -f "$here/unhealthy.list" ] && grep -qx "$1" "$here/unhealthy.list"; then
	echo "$1: 3 nodes NotReady (injected)"
	exit 1
fi
echo "$1: healthy"
