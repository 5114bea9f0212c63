#!/bin/sh
# tests/fleet/dump-replan.sh KUPGRADE - a running fleet loop re-plans a cluster
# when only its dump: file changes, as it does when its profile changes.
#
# c1's dump holds a policy/v1beta1 PodSecurityPolicy (removed in 1.25): the loop
# holds c1.  The dump is then replaced by one without it (the profile is left
# alone): the loop must release the hold ("unheld") on a later tick.  It used
# to look at the profile file only, and kept c1 held until restarted.
# Polls with generous limits; no timing is asserted.
set -u
K=$1
W=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$W"' EXIT
cd "$W" || exit 1
cat >c1.yaml <<'EOP'
apiVersion: kupgrade.dev/v1alpha1
kind: ClusterProfile
metadata: {name: c1}
spec:
  controlPlane: {version: "1.24"}
  nodePools: [{name: general, version: "1.24", count: 3}]
EOP
cat >dump.json <<'EOD'
{"apiVersion":"v1","kind":"List","items":[
{"apiVersion":"policy/v1beta1","kind":"PodSecurityPolicy","metadata":{"name":"restricted"}}]}
EOD
cat >fleet.yaml <<'EOP'
apiVersion: kupgrade.dev/v1alpha1
kind: Fleet
metadata: {name: dump-replan}
spec:
  target: {version: "1.25"}
  clusters:
    - {name: c1, profile: c1.yaml, dump: dump.json, labels: {env: dev}}
  waves:
    - {name: dev, selector: {env: dev}}
  driver:
    control-plane: "true"
    nodepool: "true"
    addon: "true"
    verify: "true"
EOP
"$K" fleet run fleet.yaml --store sqlite:f.db --tick 100ms -q >run.out 2>run.err &
pid=$!
# wait_event KIND: up to 60 s for an event of that kind
wait_event() {
	i=0
	while [ $i -lt 600 ]; do
		"$K" fleet events --store sqlite:f.db 2>/dev/null | awk -v k="$1" '$3 == k {f=1} END {exit !f}' && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
fail=0
if ! wait_event held; then
	echo "fleet/dump-replan.sh: FAIL: c1 was never held on its dump's PodSecurityPolicy" >&2
	cat run.err >&2
	exit 1
fi
cat >dump.new <<'EOD'
{"apiVersion":"v1","kind":"List","items":[
{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"default"}}]}
EOD
mv dump.new dump.json
if ! wait_event unheld; then
	echo "fleet/dump-replan.sh: FAIL: the dump changed but c1 stayed held" >&2
	"$K" fleet events --store sqlite:f.db >&2
	fail=1
fi
[ $fail = 0 ] && echo "fleet/dump-replan.sh: PASS"
exit $fail
