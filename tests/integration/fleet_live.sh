#!/bin/bash
# fleet_live.sh - clusters given by `context:` are read live: a real
# kube-apiserver (v1.20.2, tests/integration/lib/apiserver.sh) with two nodes of
# pool "pool-a".  `fleet status` shows the version and the next step from the
# live cluster; `fleet run --once` runs the control-plane step once (the driver
# gets {context}); the next tick reads the cluster again, which still says 1.20
# (nothing really upgraded it), and the step is NOT run again: the cluster fails
# with "already ran (exactly once)".  A context whose server is down is held with
# the reason, never run.
#   $1: the kupgrade CLI, $2: the build directory (unused).
set -u
K="$1"
. "$(dirname "$0")/lib/apiserver.sh"
kup_api_start
W="$KUP_API_DIR/fleet"
mkdir -p "$W"
cd "$W" || exit 1
for n in pool-a-1 pool-a-2; do
	kup_api_json POST /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",
	  \"metadata\":{\"name\":\"$n\",\"labels\":{\"kubernetes.io/os\":\"linux\",\"eks.amazonaws.com/nodegroup\":\"pool-a\"}},
	  \"status\":{\"nodeInfo\":{\"kubeletVersion\":\"v1.20.2\",\"kubeProxyVersion\":\"v1.20.2\",
	    \"osImage\":\"Debian GNU/Linux 12\",\"containerRuntimeVersion\":\"containerd://1.6.20\",
	    \"machineID\":\"\",\"systemUUID\":\"\",\"bootID\":\"\",\"kernelVersion\":\"6.1.0\",
	    \"operatingSystem\":\"linux\",\"architecture\":\"amd64\"}}}" >/dev/null
done
cat >fleet.yaml <<EOF2
apiVersion: kupgrade.dev/v1alpha1
kind: Fleet
metadata: {name: live}
spec:
  target: {version: "1.21"}
  clusters:
    - {name: live-1, context: admin, kubeconfig: "$KUP_KUBECONFIG", labels: {env: dev}}
    - {name: live-down, context: down, kubeconfig: "$KUP_KUBECONFIG", labels: {env: dev}}
  waves:
    - {name: dev, selector: {env: dev}}
  driver:
    control-plane: "echo {cluster} {context} {type} {version} >> $W/driver.log"
    nodepool: "echo {cluster} {context} {type} {pool} {version} >> $W/driver.log"
    verify: "false"
EOF2
S="sqlite:$W/fleet.db"
fail=0
ff() { echo "fleet_live.sh: FAIL: $*" >&2; fail=1; }

"$K" fleet status fleet.yaml --store "$S" >status1.out 2>status1.err
cat status1.out >&2
grep -Eq '^live-1 +dev +v?1\.20(\.2)? +1\.21 +pending +control-plane v?1\.20(\.2)? -> 1\.21' status1.out ||
	ff "status does not show live-1 at 1.20 with the control-plane step next"
grep -q "live-down .*cannot read the live cluster (context 'down')" status1.out ||
	ff "status does not say why live-down cannot be read"
"$K" fleet run fleet.yaml --store "$S" --once 2>run1.log
n=$(grep -c '^live-1 admin control-plane 1.21$' driver.log 2>/dev/null)
[ "$n" = 1 ] || { ff "the control-plane driver ran $n times in the first tick (expected once)"; cat run1.log >&2; }
"$K" fleet run fleet.yaml --store "$S" --once 2>run2.log
n=$(grep -c 'live-1' driver.log)
[ "$n" = 1 ] || ff "the step ran again ($n runs): the live cluster still says 1.20"
"$K" fleet status fleet.yaml --store "$S" -o json >status2.json
grep -q '"name": "live-1".*"state": "failed".*already ran (exactly once)' status2.json ||
	{ ff "live-1 is not failed with 'already ran'"; grep live-1 status2.json >&2; }
grep -q '"name": "live-down".*"state": "held"' status2.json || { ff "live-down is not held"; grep live-down status2.json >&2; }
grep -q 'live-down' driver.log && ff "live-down ran"
[ "$fail" = 0 ] && echo "fleet_live.sh: PASS" >&2
exit $fail
