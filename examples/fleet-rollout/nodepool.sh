#!/bin/sh
# nodepool.sh CONTEXT POOL VERSION - the fleet's nodepool driver: kupgrade rolls the
# pool itself (surge nodes through provider.sh provision, drains through the Eviction API within
# the budget, old nodes retired through provider.sh retire), recorded in a state file per
# cluster, pool and version, so a driver run again after a crash resumes the roll
# instead of starting it twice.  A path with spaces or quotes would break the
# --provision and --retire commands: keep the folder's path plain.  KUPGRADE: the kupgrade binary (default: kupgrade).
set -eu
ctx=$1 pool=$2 version=$3
here=$(cd "$(dirname "$0")" && pwd)
state="sqlite:$here/rollout-$ctx-$pool-$version.db"
if [ -f "$here/rollout-$ctx-$pool-$version.db" ]; then
	# a roll recorded: go on with it (exit 3: it failed or quarantined a node; 128+N: stopped);
	# exit 1 is also "nothing recorded to resume", then the roll starts (and refuses to start
	# when one is recorded, so nothing runs twice)
	rc=0
	"${KUPGRADE:-kupgrade}" rollout run --state "$state" --resume -q || rc=$?
	[ "$rc" = 1 ] || exit "$rc"
fi
exec "${KUPGRADE:-kupgrade}" rollout run --context "$ctx" --pool "$pool" --to "$version" \
	--provider exec --provision "$here/provider.sh provision $ctx {pool} {zone} {version}" \
	--retire "$here/provider.sh retire $ctx {node}" --max-surge 3 --max-unavailable 0 \
	--drain-timeout 15m --provision-timeout 10m --state "$state" -q
