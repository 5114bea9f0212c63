#!/bin/sh
# tests/fleet-lease.sh KUPGRADE - a step that outlives the lease is still recorded.
#
# `fleet run --once` with a 1 s lease and a driver step of 3 s: the replica renews
# its leases while it waits for the driver, records the step and exits.  (It
# used to find its own lease expired and retry the record forever - the
# secrets test against a live cluster hung on this: a tick reading slow
# clusters took longer than the lease.)  A hang is a failure: timeout.
set -u
K=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
cat >c1.yaml <<'EOP'
apiVersion: kupgrade.dev/v1alpha1
kind: ClusterProfile
metadata: {name: c1}
spec:
  controlPlane: {version: "1.34"}
  nodePools: [{name: general, version: "1.34", count: 3}]
EOP
cat >fleet.yaml <<'EOP'
apiVersion: kupgrade.dev/v1alpha1
kind: Fleet
metadata: {name: lease}
spec:
  target: {version: "1.35"}
  clusters:
    - {name: c1, profile: c1.yaml, labels: {env: dev}}
  waves:
    - {name: dev, selector: {env: dev}}
  driver:
    control-plane: "sleep 3"
    nodepool: "sleep 3"
    verify: "true"
EOP
timeout -k 5 60 "$K" fleet run fleet.yaml --store sqlite:fleet.db --once --lease-ttl 1s >run.out 2>run.err
rc=$?
fail=0
if [ "$rc" -ge 124 ]; then
	echo "fleet-lease: FAIL: fleet run --once hung (exit $rc); its last lines:" >&2
	tail -n 3 run.err >&2
	fail=1
fi
"$K" fleet events --store sqlite:fleet.db >events.txt 2>&1
grep -q 'step-succeeded' events.txt || { echo "fleet-lease: FAIL: the step's success was not recorded" >&2; cat events.txt run.err >&2; fail=1; }
[ "$fail" = 0 ] && echo "fleet-lease: PASS"
exit $fail
