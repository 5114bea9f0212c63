#!/bin/sh
# gen-rows.sh - writes one test case per row of the Deprecated API Migration
# Guide table (research deprecations.md section 1.1, 50 rows), plus the
# FlowSchema/PriorityLevelConfiguration replacement variants.
#
# The expected values below are typed in by hand from the guide (removed-in,
# replacement) and the k8s.io/api lifecycle markers (deprecated-in).  They are
# NOT read from data/apis.yaml: these cases check the knowledge base against
# an independent source.  Re-run after editing:  sh tests/cases/gen-rows.sh
#
# Each case: a one-object manifest, `scan in.yaml --to REMOVED -o csv`,
# exactly one finding (status removed, exit 3), compared as exact CSV
# (RFC 4180: CRLF line ends).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
header='status,kind,api_version,name,namespace,deprecated_in,removed_in,replacement,source_type,path,line,column,release,revision,chart,manager'

# case NAME KIND APIVERSION TO STATUS EXIT DEPRECATED_IN REMOVED_IN REPLACEMENT
mkcase() {
	name=$1 kind=$2 api=$3 to=$4 status=$5 rc=$6 dep=$7 rem=$8 repl=$9
	d=$here/$name
	rm -rf "$d"
	mkdir -p "$d"
	lower=$(printf '%s' "$kind" | tr 'A-Z' 'a-z')
	cat >"$d/in.yaml" <<YAML
apiVersion: $api
kind: $kind
metadata:
  name: $lower-sample
  namespace: team-a
YAML
	printf "scan in.yaml --to %s -o csv\n" "$to" >"$d/cmd"
	printf '%s\n' "$rc" >"$d/exit"
	printf '%s\r\n%s,%s,%s,%s-sample,team-a,%s,%s,%s,file,in.yaml,1,1,,,,\r\n' \
		"$header" "$status" "$kind" "$api" "$lower" "$dep" "$rem" "$repl" >"$d/expected"
}

# row | kind | old apiVersion | deprecated in ("" = unknown) | removed in | replacement ("" = none)
while IFS='|' read -r row kind api dep rem repl; do
	[ -z "$row" ] && continue
	case $row in '#'*) continue ;; esac
	# row-NN-kind-group-version, group cut at its first dot
	slug=$(printf '%s' "$kind-$api" | tr 'A-Z' 'a-z' | sed 's/\.[^/]*\//\//; s/[^a-z0-9]\{1,\}/-/g')
	mkcase "row-$row-$slug" "$kind" "$api" "$rem" removed 3 "$dep" "$rem" "$repl"
done <<'ROWS'
01|NetworkPolicy|extensions/v1beta1|1.9|1.16|networking.k8s.io/v1
02|DaemonSet|extensions/v1beta1|1.8|1.16|apps/v1
03|DaemonSet|apps/v1beta2|1.9|1.16|apps/v1
04|Deployment|extensions/v1beta1|1.8|1.16|apps/v1
05|Deployment|apps/v1beta1|1.8|1.16|apps/v1
06|Deployment|apps/v1beta2|1.9|1.16|apps/v1
07|StatefulSet|apps/v1beta1|1.8|1.16|apps/v1
08|StatefulSet|apps/v1beta2|1.9|1.16|apps/v1
09|ReplicaSet|extensions/v1beta1|1.8|1.16|apps/v1
# row 10: apps/v1beta1 never registered ReplicaSet, so it has no lifecycle marker
10|ReplicaSet|apps/v1beta1||1.16|apps/v1
11|ReplicaSet|apps/v1beta2|1.9|1.16|apps/v1
12|PodSecurityPolicy|extensions/v1beta1|1.11|1.16|policy/v1beta1
13|MutatingWebhookConfiguration|admissionregistration.k8s.io/v1beta1|1.16|1.22|admissionregistration.k8s.io/v1
14|ValidatingWebhookConfiguration|admissionregistration.k8s.io/v1beta1|1.16|1.22|admissionregistration.k8s.io/v1
15|CustomResourceDefinition|apiextensions.k8s.io/v1beta1|1.16|1.22|apiextensions.k8s.io/v1
16|APIService|apiregistration.k8s.io/v1beta1|1.19|1.22|apiregistration.k8s.io/v1
17|TokenReview|authentication.k8s.io/v1beta1|1.19|1.22|authentication.k8s.io/v1
18|LocalSubjectAccessReview|authorization.k8s.io/v1beta1|1.19|1.22|authorization.k8s.io/v1
19|SelfSubjectAccessReview|authorization.k8s.io/v1beta1|1.19|1.22|authorization.k8s.io/v1
20|SubjectAccessReview|authorization.k8s.io/v1beta1|1.19|1.22|authorization.k8s.io/v1
21|SelfSubjectRulesReview|authorization.k8s.io/v1beta1|1.19|1.22|authorization.k8s.io/v1
22|CertificateSigningRequest|certificates.k8s.io/v1beta1|1.19|1.22|certificates.k8s.io/v1
23|Lease|coordination.k8s.io/v1beta1|1.19|1.22|coordination.k8s.io/v1
24|Ingress|extensions/v1beta1|1.14|1.22|networking.k8s.io/v1
25|Ingress|networking.k8s.io/v1beta1|1.19|1.22|networking.k8s.io/v1
26|IngressClass|networking.k8s.io/v1beta1|1.19|1.22|networking.k8s.io/v1
27|ClusterRole|rbac.authorization.k8s.io/v1beta1|1.17|1.22|rbac.authorization.k8s.io/v1
28|ClusterRoleBinding|rbac.authorization.k8s.io/v1beta1|1.17|1.22|rbac.authorization.k8s.io/v1
29|Role|rbac.authorization.k8s.io/v1beta1|1.17|1.22|rbac.authorization.k8s.io/v1
30|RoleBinding|rbac.authorization.k8s.io/v1beta1|1.17|1.22|rbac.authorization.k8s.io/v1
31|PriorityClass|scheduling.k8s.io/v1beta1|1.14|1.22|scheduling.k8s.io/v1
32|CSIDriver|storage.k8s.io/v1beta1|1.19|1.22|storage.k8s.io/v1
33|CSINode|storage.k8s.io/v1beta1|1.17|1.22|storage.k8s.io/v1
34|StorageClass|storage.k8s.io/v1beta1|1.19|1.22|storage.k8s.io/v1
35|VolumeAttachment|storage.k8s.io/v1beta1|1.19|1.22|storage.k8s.io/v1
36|CronJob|batch/v1beta1|1.21|1.25|batch/v1
37|EndpointSlice|discovery.k8s.io/v1beta1|1.21|1.25|discovery.k8s.io/v1
38|Event|events.k8s.io/v1beta1|1.22|1.25|events.k8s.io/v1
39|HorizontalPodAutoscaler|autoscaling/v2beta1|1.22|1.25|autoscaling/v2
40|PodDisruptionBudget|policy/v1beta1|1.21|1.25|policy/v1
# row 41: no replacement (Pod Security Admission is not an API version)
41|PodSecurityPolicy|policy/v1beta1|1.21|1.25|
# rows 43/44: the guide says v1beta2; at 1.26 the newest served replacement is v1beta3
43|FlowSchema|flowcontrol.apiserver.k8s.io/v1beta1|1.23|1.26|flowcontrol.apiserver.k8s.io/v1beta3
44|PriorityLevelConfiguration|flowcontrol.apiserver.k8s.io/v1beta1|1.23|1.26|flowcontrol.apiserver.k8s.io/v1beta3
42|RuntimeClass|node.k8s.io/v1beta1|1.22|1.25|node.k8s.io/v1
45|HorizontalPodAutoscaler|autoscaling/v2beta2|1.23|1.26|autoscaling/v2
46|FlowSchema|flowcontrol.apiserver.k8s.io/v1beta2|1.26|1.29|flowcontrol.apiserver.k8s.io/v1
47|PriorityLevelConfiguration|flowcontrol.apiserver.k8s.io/v1beta2|1.26|1.29|flowcontrol.apiserver.k8s.io/v1
48|CSIStorageCapacity|storage.k8s.io/v1beta1|1.24|1.27|storage.k8s.io/v1
49|FlowSchema|flowcontrol.apiserver.k8s.io/v1beta3|1.29|1.32|flowcontrol.apiserver.k8s.io/v1
50|PriorityLevelConfiguration|flowcontrol.apiserver.k8s.io/v1beta3|1.29|1.32|flowcontrol.apiserver.k8s.io/v1
ROWS

# The replacement offered depends on what the target serves (rows 43, 44, 46).
fs=flowcontrol.apiserver.k8s.io
mkcase row-43-flowschema-v1beta1-at-1-25 FlowSchema $fs/v1beta1 1.25 deprecated 2 1.23 1.26 $fs/v1beta2
mkcase row-43-flowschema-v1beta1-at-1-29 FlowSchema $fs/v1beta1 1.29 removed 3 1.23 1.26 $fs/v1
mkcase row-43-flowschema-v1beta1-at-1-37 FlowSchema $fs/v1beta1 1.37 removed 3 1.23 1.26 $fs/v1
mkcase row-44-prioritylevelconfiguration-v1beta1-at-1-25 PriorityLevelConfiguration $fs/v1beta1 1.25 deprecated 2 1.23 1.26 $fs/v1beta2
mkcase row-44-prioritylevelconfiguration-v1beta1-at-1-29 PriorityLevelConfiguration $fs/v1beta1 1.29 removed 3 1.23 1.26 $fs/v1
mkcase row-46-flowschema-v1beta2-at-1-28 FlowSchema $fs/v1beta2 1.28 deprecated 2 1.26 1.29 $fs/v1beta3
