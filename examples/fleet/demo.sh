#!/bin/sh
# demo.sh [KUPGRADE] - a whole fleet roll in fast-forward, in a scratch copy.
#
# Copies this folder to a temporary directory (the repository stays clean),
# then rolls the 30 simulated clusters from 1.33/1.32 to 1.35 on a clock that
# runs 7200 times faster (two hours per second), starting Monday 08:00 UTC:
# dev (all at once, soak 1h), staging (two at a time, soak 24h, then it waits
# for `fleet approve staging`, which this script gives), prod (25% at a time,
# only Mon-Fri 09:00-17:00 UTC, halt on the first failure).  Then prints
# `fleet status`, the last events, and writes the HTML report.
#
#   FAIL_CLUSTER=prod-3 examples/fleet/demo.sh     # watch a failure halt prod
set -eu
here=$(cd "$(dirname "$0")" && pwd)
K=${1:-$here/../../build/kupgrade}
work=$(mktemp -d "${TMPDIR:-/tmp}/kupgrade-fleet-demo.XXXXXX")
cp -R "$here/." "$work/"
"$work/gen.sh"
cd "$work"
store="sqlite:$work/fleet.db"
echo "== demo in $work (store $store)"
set +e
"$K" fleet run fleet.yaml --store "$store" --time-scale 7200 --now 2026-11-23T08:00:00Z \
	--tick 200ms --until-done
echo "== exit $?: staging waits for approval"
"$K" fleet plan fleet.yaml --store "$store" | tail -4
"$K" fleet approve staging --by "${USER:-demo}" --store "$store"
"$K" fleet run fleet.yaml --store "$store" --tick 200ms --until-done
echo "== exit $?"
"$K" fleet status fleet.yaml --store "$store"
"$K" fleet events --store "$store" | tail -8
"$K" fleet report fleet.yaml --store "$store" -o html "$work/report.html"
echo "== the driver log: $(grep -c ' start ' driver.log) steps; report: $work/report.html"
