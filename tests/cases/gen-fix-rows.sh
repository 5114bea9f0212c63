#!/bin/sh
# gen-fix-rows.sh - (re)generates one `fix` golden case per pure apiVersion
# row of the lifecycle table (deprecations.md 1.1; rows with field changes
# have hand-written fix-* cases).  The expected output is the input with the
# apiVersion line replaced, written here independently of kupgrade.
# Run from tests/cases: sh gen-fix-rows.sh
set -eu
cd "$(dirname "$0")"
while IFS='|' read -r row kind old new to; do
	case "$row" in ''|'#'*) continue ;; esac
	slug=$(printf '%s' "$kind-$old" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9\n' '-')
	d="fix-row-$row-$slug"
	mkdir -p "$d"
	cat >"$d/in.yaml" <<YAML
# row $row: $kind $old -> $new
apiVersion: $old
kind: $kind
metadata:
  name: example   # a comment that must stay
  labels: {row: "$row"}
YAML
	sed "2s|^apiVersion: .*|apiVersion: $new|" "$d/in.yaml" >"$d/expected"
	echo "fix in.yaml --to $to --stdout" >"$d/cmd"
	echo "in.yaml:2:1: $kind example: converted $old -> $new" >"$d/stderr"
done <<'ROWS'
# row|kind|old apiVersion|new apiVersion|target
1|NetworkPolicy|extensions/v1beta1|networking.k8s.io/v1|1.16
16|APIService|apiregistration.k8s.io/v1beta1|apiregistration.k8s.io/v1|1.22
17|TokenReview|authentication.k8s.io/v1beta1|authentication.k8s.io/v1|1.22
18|LocalSubjectAccessReview|authorization.k8s.io/v1beta1|authorization.k8s.io/v1|1.22
19|SelfSubjectAccessReview|authorization.k8s.io/v1beta1|authorization.k8s.io/v1|1.22
20|SubjectAccessReview|authorization.k8s.io/v1beta1|authorization.k8s.io/v1|1.22
21|SelfSubjectRulesReview|authorization.k8s.io/v1beta1|authorization.k8s.io/v1|1.22
23|Lease|coordination.k8s.io/v1beta1|coordination.k8s.io/v1|1.22
26|IngressClass|networking.k8s.io/v1beta1|networking.k8s.io/v1|1.22
27|ClusterRole|rbac.authorization.k8s.io/v1beta1|rbac.authorization.k8s.io/v1|1.22
28|ClusterRoleBinding|rbac.authorization.k8s.io/v1beta1|rbac.authorization.k8s.io/v1|1.22
29|Role|rbac.authorization.k8s.io/v1beta1|rbac.authorization.k8s.io/v1|1.22
30|RoleBinding|rbac.authorization.k8s.io/v1beta1|rbac.authorization.k8s.io/v1|1.22
31|PriorityClass|scheduling.k8s.io/v1beta1|scheduling.k8s.io/v1|1.22
32|CSIDriver|storage.k8s.io/v1beta1|storage.k8s.io/v1|1.22
33|CSINode|storage.k8s.io/v1beta1|storage.k8s.io/v1|1.22
34|StorageClass|storage.k8s.io/v1beta1|storage.k8s.io/v1|1.22
35|VolumeAttachment|storage.k8s.io/v1beta1|storage.k8s.io/v1|1.22
36|CronJob|batch/v1beta1|batch/v1|1.25
40|PodDisruptionBudget|policy/v1beta1|policy/v1|1.25
42|RuntimeClass|node.k8s.io/v1beta1|node.k8s.io/v1|1.25
43|FlowSchema|flowcontrol.apiserver.k8s.io/v1beta1|flowcontrol.apiserver.k8s.io/v1beta2|1.23
44|PriorityLevelConfiguration|flowcontrol.apiserver.k8s.io/v1beta1|flowcontrol.apiserver.k8s.io/v1beta2|1.23
45|HorizontalPodAutoscaler|autoscaling/v2beta2|autoscaling/v2|1.26
46|FlowSchema|flowcontrol.apiserver.k8s.io/v1beta2|flowcontrol.apiserver.k8s.io/v1|1.29
48|CSIStorageCapacity|storage.k8s.io/v1beta1|storage.k8s.io/v1|1.27
49|FlowSchema|flowcontrol.apiserver.k8s.io/v1beta3|flowcontrol.apiserver.k8s.io/v1|1.32
50|PriorityLevelConfiguration|flowcontrol.apiserver.k8s.io/v1beta3|flowcontrol.apiserver.k8s.io/v1|1.32
ROWS
