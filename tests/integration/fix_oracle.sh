#!/bin/bash
# fix_oracle.sh - what `kupgrade fix` writes means what the API server means.
#
# The oracle is kube-apiserver 1.20.2 itself.  For an object in an API that
# 1.20 serves in both its old and its replacement version: the object is
# created through the old version, fix's output (under another name) through
# the new one, both are read back in the new version and compared once
# identity is removed (name, uid, resourceVersion, creationTimestamp,
# generation, managedFields, selfLink, status, the last-applied annotation, the deployment
# controller's revision annotation).
# For the workload APIs 1.20 no longer serves (extensions/v1beta1,
# apps/v1beta1, apps/v1beta2) the oracle is kubectl-convert built from the
# same source (the server's scheme: the old defaults, then the conversion):
# its apps/v1 output is created beside fix's and both are read back.
# Custom resources with unknown fields at every level are created under the
# old CRD and under fix's and read back: what the old CRD kept, fix's keeps.
#
# Inputs: tests/integration/data/fix-oracle/*.yaml (every pair, fields set or
# null where the versions default differently), the fix cases
# (tests/cases/fix-*/*.yaml) and the real-world manifests under tests/data.
# Objects fix does not convert (unfixable, or already current) are counted,
# not compared.  The differences that are deliberate are listed in
# docs/fix.md and removed from both sides by `explained` below.
# Usage (ctest): fix_oracle.sh KUPGRADE_CLI BUILD_DIR
set -u
CLI="$1"
. "$(dirname "$0")/lib/apiserver.sh"
command -v jq >/dev/null || kup_die "jq not installed"
command -v kubectl >/dev/null || kup_die "kubectl not installed (scripts/install-deps --test)"
command -v openssl >/dev/null || kup_die "openssl not installed"
BIN=$("$KUP_SRC_DIR/scripts/build-apiserver") || kup_die "scripts/build-apiserver failed"
CONVERT="$BIN/kubectl-convert"
[ -x "$CONVERT" ] || kup_die "$CONVERT missing"
kup_api_start
OUT="$KUP_API_DIR/out"
mkdir -p "$OUT/docs"
NS=oracle
kup_api_namespace "$NS"
DATA="$KUP_SRC_DIR/tests/integration/data/fix-oracle"

# ---- the corpus: one object per file ------------------------------------------------------
CSR_PEM=$(openssl req -new -newkey rsa:2048 -nodes -keyout /dev/null -subj /CN=jane \
	-outform PEM 2>/dev/null | base64 -w0) || kup_die "openssl req failed"
n=0
split_docs() {   # FILE LABEL: each document with a kind into $OUT/docs/LABEL-N.yaml
	awk -v out="$OUT/docs/$2" -v pem="$CSR_PEM" '
		function flush() { if (buf ~ /(^|\n)kind:/ && buf ~ /(^|\n)apiVersion:/) { n++; f = out "-" n ".yaml"; printf "%s", buf > f; close(f) } buf = "" }
		/^---/ { flush(); next }
		{ gsub(/CSR_PEM/, pem); buf = buf $0 "\n" }
		END { flush() }' "$1"
}
for f in "$DATA"/builtin.yaml "$DATA"/workloads.yaml; do
	split_docs "$f" "$(basename "$f" .yaml)"
done
for f in "$KUP_SRC_DIR"/tests/cases/fix-*/*.yaml "$KUP_SRC_DIR"/tests/cases/fix-*/*.yml; do
	[ -f "$f" ] || continue
	d=$(basename "$(dirname "$f")")
	split_docs "$f" "case-$d-$(basename "$f" .yaml)"
done
# The generated corpus: every field of each old kind, and the same with explicit nulls
# (tests/integration/gen_every_field.py; the field source is this server's /openapi/v2).
GEN_SEEDS="${KUP_GEN_SEEDS:-1 2}"
GEN_COUNT="${KUP_GEN_COUNT:-2}"
command -v python3 >/dev/null || kup_die "python3 not installed"
$KUP_CURL -sf "$KUP_API_URL/openapi/v2" >"$OUT/openapi.json" || kup_die "cannot read /openapi/v2"
printf '%s' "$CSR_PEM" >"$OUT/csr.b64"
# The seeds run side by side (most of their time is waiting for the server and kubectl-convert);
# waited for by PID (the servers are background jobs of this shell too).
GEN_PIDS=""
for seed in $GEN_SEEDS; do
	(
		KUP_API_URL="$KUP_API_URL" KUP_API_TOKEN="$KUP_API_TOKEN" KUP_API_CA="$KUP_API_DIR/pki/ca.crt" \
			KUP_GEN_NS="$NS" python3 "$(dirname "$0")/gen_every_field.py" \
			"$OUT/openapi.json" "$OUT/gen" "$seed" "$GEN_COUNT" "$CONVERT" "$OUT/csr.b64" \
			>"$OUT/gen-$seed.summary" 2>"$OUT/gen-$seed.err"
		echo $? >"$OUT/gen-$seed.rc"
	) &
	GEN_PIDS="$GEN_PIDS $!"
done
# shellcheck disable=SC2086
wait $GEN_PIDS
for seed in $GEN_SEEDS; do
	[ "$(cat "$OUT/gen-$seed.rc" 2>/dev/null)" = 0 ] ||
		kup_die "gen_every_field.py seed $seed failed: $(tail -5 "$OUT/gen-$seed.err")"
	sed 's/^/harness: /' "$OUT/gen-$seed.summary" >&2
done
for f in "$OUT"/gen/gen-*.yaml; do
	[ -f "$f" ] && split_docs "$f" "$(basename "$f" .yaml)"
done
while IFS= read -r f; do
	split_docs "$f" "data-$(echo "$f" | tr '/' '_')"
done < <(grep -rlE '^apiVersion: (extensions/v1beta1|apps/v1beta[12]|networking.k8s.io/v1beta1|rbac.authorization.k8s.io/v1beta1|admissionregistration.k8s.io/v1beta1|scheduling.k8s.io/v1beta1|storage.k8s.io/v1beta1|coordination.k8s.io/v1beta1|node.k8s.io/v1beta1|events.k8s.io/v1beta1|certificates.k8s.io/v1beta1|autoscaling/v2beta1)' \
	"$KUP_SRC_DIR/tests/data" --include='*.yaml' 2>/dev/null | sort)

# ---- comparing --------------------------------------------------------------------------------
# deployment.kubernetes.io/revision is the deployment controller's, written when it first syncs
# the object: one of the two may be read before the controller got to it.
STRIP='del(.metadata.name, .metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp,
	.metadata.generation, .metadata.managedFields, .metadata.selfLink, .status,
	.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"],
	.metadata.annotations["deployment.kubernetes.io/revision"])
	| if (.metadata.annotations // {}) == {} then del(.metadata.annotations) else . end'
# The deliberate differences (docs/fix.md, "Differences from the server, on purpose"):
# a CRD read back from v1beta1 keeps spec.preserveUnknownFields: true, which v1 does not
# accept on create; fix writes x-kubernetes-preserve-unknown-fields on every object schema
# instead (and a root `type: object`); the custom resources below show both keep the same.
# kubectl-convert turns a Deployment's spec.rollbackTo into the deprecated.deployment.rollback.to
# annotation, which fix drops (a one-shot request, not a desired state); an extensions
# DaemonSet's spec.templateGeneration into deprecated.daemonset.template.generation, the
# controller's own counter, which fix drops too (the server starts a new object at 1).
# An HPA whose behavior names one direction: created through v2beta2 the other direction
# is defaulted (pkg/apis/autoscaling/v2beta2/defaults.go); moved from the v2beta1 annotation
# it stays nil, which the controller reads as the same defaults.
EXPLAINED='if .kind == "CustomResourceDefinition" then
		del(.spec.preserveUnknownFields, .spec.group, .spec.versions[].schema.openAPIV3Schema.type)
		| walk(if type == "object" then del(."x-kubernetes-preserve-unknown-fields") else . end)
	elif .kind == "DaemonSet" then
		del(.metadata.annotations["deprecated.daemonset.template.generation"])
		| if (.metadata.annotations // {}) == {} then del(.metadata.annotations) else . end
	elif .kind == "Deployment" then
		del(.metadata.annotations["deprecated.deployment.rollback.to"])
		| if (.metadata.annotations // {}) == {} then del(.metadata.annotations) else . end
	elif .kind == "HorizontalPodAutoscaler" then
		if .spec.behavior.scaleDown == {"policies": [{"periodSeconds": 15, "type": "Percent", "value": 100}], "selectPolicy": "Max"}
		then del(.spec.behavior.scaleDown) else . end
		| if .spec.behavior.scaleUp == {"policies": [{"periodSeconds": 15, "type": "Percent", "value": 100}, {"periodSeconds": 15, "type": "Pods", "value": 4}], "selectPolicy": "Max", "stabilizationWindowSeconds": 0}
		then del(.spec.behavior.scaleUp) else . end
	else . end'
PAIRS=$OUT/pairs
: >"$PAIRS"
COMPARED=0 SAME=0 DIFFERENT=0 SKIPPED=0 REFUSED=0 GEN_COMPARED=0 SOURCE_COMPARED=0

kc() { kup_api_kubectl "$@"; }

# The resource name kubectl resolves for KIND in APIVERSION ("ingress.v1.networking.k8s.io").
resource_of() {
	local kind="$1" av="$2" group ver
	kind=$(echo "$kind" | tr 'A-Z' 'a-z')
	if [[ "$av" == */* ]]; then group=${av%%/*}; ver=${av#*/}; echo "$kind.$ver.$group"
	else echo "$kind.$av"; fi
}

workload() { [[ "$1" == extensions/v1beta1 && "$2" =~ ^(Deployment|DaemonSet|ReplicaSet)$ ]] || [[ "$1" == apps/v1beta* ]]; }

compare_doc() {
	local doc="$1" label name kind oldav newav res to=1.22 fixed="$1.fixed.yaml" orig fx
	label=$(basename "$doc" .yaml)
	kind=$(awk '/^kind:/ {sub(/\r$/, ""); print $2; exit}' "$doc")
	oldav=$(awk '/^apiVersion:/ {sub(/\r$/, ""); print $2; exit}' "$doc")
	[ "$kind" = CustomResourceDefinition ] && return 0   # below, with their resources
	[ "$kind" = HorizontalPodAutoscaler ] && to=1.25
	if ! "$CLI" fix "$doc" --to "$to" --stdout >"$fixed" 2>"$doc.notes"; then
		REFUSED=$((REFUSED + 1))
		return 0
	fi
	# 1.20 serves autoscaling/v2beta2, whose fields are autoscaling/v2's
	sed -i 's#^apiVersion: autoscaling/v2$#apiVersion: autoscaling/v2beta2#' "$fixed"
	newav=$(awk '/^apiVersion:/ {sub(/\r$/, ""); print $2; exit}' "$fixed")
	if [ "$newav" = "$oldav" ] || [ "$(grep -c '^apiVersion:' "$fixed")" != 1 ]; then
		SKIPPED=$((SKIPPED + 1))
		return 0
	fi
	# the oracle's object, then fix's under NAME-fix
	if workload "$oldav" "$kind"; then
		if ! "$CONVERT" -f "$doc" --output-version "$newav" --local -o json >"$doc.oracle.json" 2>"$doc.oracle.err"; then
			SKIPPED=$((SKIPPED + 1))
			return 0
		fi
		orig="$doc.oracle.json"
	else
		orig="$doc"
	fi
	if source_pair "$oldav" "$kind" "$newav"; then
		source_check "$doc" "$label" "$kind" "$oldav" "$newav" "$fixed"
		return 0
	fi
	# kubectl's client-side reading of fix's output, once: its name, and below what is created
	kc create --dry-run=client -f "$fixed" -o json >"$doc.fixed.json" 2>/dev/null
	name=$(jq -r .metadata.name "$doc.fixed.json" 2>/dev/null)
	if [ -z "$name" ] || [ "$name" = null ]; then
		SKIPPED=$((SKIPPED + 1))
		return 0
	fi
	if ! kc create --validate=false -n "$NS" -f "$orig" -o name >"$doc.create.out" 2>&1; then
		# the server refuses the old object itself: nothing to compare with
		SKIPPED=$((SKIPPED + 1))
		return 0
	fi
	COMPARED=$((COMPARED + 1))
	[[ "$label" == gen-* ]] && GEN_COMPARED=$((GEN_COMPARED + 1))
	echo "$oldav $kind -> $newav" >>"$PAIRS"
	fx="$doc.fix.json"
	res=$(resource_of "$kind" "$newav")
	kc get -n "$NS" "$res" "$name" -o json | jq -S "$STRIP | $EXPLAINED" >"$doc.a.json"
	# one default PriorityClass at a time: the old one goes before fix's is created
	[ "$kind" = PriorityClass ] && kc delete "$res" "$name" >/dev/null
	jq '.metadata.name += "-fix" | del(.metadata.namespace)' "$doc.fixed.json" >"$fx"
	if ! kc create -n "$NS" -f "$fx" -o name >"$doc.fixcreate.out" 2>&1; then
		DIFFERENT=$((DIFFERENT + 1))
		kup_not_ok "$label ($oldav $kind $name): the server refuses fix's output: $(cat "$doc.fixcreate.out")"
		return 0
	fi
	kc get -n "$NS" "$res" "$name-fix" -o json | jq -S "$STRIP | $EXPLAINED" >"$doc.b.json"
	[ "$kind" = PriorityClass ] && kc delete "$res" "$name-fix" >/dev/null
	if diff -u "$doc.a.json" "$doc.b.json" >"$doc.diff"; then
		SAME=$((SAME + 1))
	else
		DIFFERENT=$((DIFFERENT + 1))
		kup_not_ok "$label ($oldav $kind $name -> $newav): the server reads fix's output otherwise:"
		sed 's/^/    | /' "$doc.diff" | head -n 40 >&2
	fi
}

# ---- the pairs 1.20 serves only the old side of: the kubernetes source is the reference ------
# batch/v1beta1 CronJob, policy/v1beta1 PodDisruptionBudget, discovery.k8s.io/v1beta1
# EndpointSlice: 1.20.2 serves none of their v1 versions.  The source (docs/fix.md) says
# v1 has the same fields and defaults as the beta for CronJob and PDB (except the PDB
# selectors fix handles or refuses), and for EndpointSlice converts v1 back to v1beta1
# with zone -> topology[topology.kubernetes.io/zone] and nodeName ->
# topology[kubernetes.io/hostname] (pkg/apis/discovery/v1beta1/conversion.go,
# Convert_discovery_Endpoint_To_v1beta1_Endpoint), and a PDB's v1 `selector: {}` to the
# v1beta1 match-all selector (pkg/apis/policy/v1beta1/conversion.go).  So fix's v1 output is taken back to
# the beta that way, created beside the old object, and both read back through the beta
# (the server's own defaults and validation) must be equal.  Explained (docs/fix.md): the
# topology keys other than the zone, which v1 cannot be given (deprecatedTopology).
source_pair() {
	case "$1 $2 $3" in
	"batch/v1beta1 CronJob batch/v1" | "policy/v1beta1 PodDisruptionBudget policy/v1" | \
	"discovery.k8s.io/v1beta1 EndpointSlice discovery.k8s.io/v1") return 0 ;;
	esac
	return 1
}
TO_BETA='if .kind == "PodDisruptionBudget" and .spec.selector == {} then
		.spec.selector = {"matchExpressions": [{"key": "pdb.kubernetes.io/deprecated-v1beta1-empty-selector-match", "operator": "DoesNotExist"}]}
	elif .kind == "EndpointSlice" then
		.endpoints |= (if . == null then . else map(
			(if .zone != null then .topology = ((.topology // {}) + {"topology.kubernetes.io/zone": .zone}) else . end)
			| (if .nodeName != null and ((.topology // {})["kubernetes.io/hostname"] // "") == ""
			   then .topology = ((.topology // {}) + {"kubernetes.io/hostname": .nodeName}) else . end)
			| del(.zone)) end)
	else . end'
SOURCE_EXPLAINED='if .kind == "EndpointSlice" then
		.endpoints |= (if . == null then . else map(
			if .topology then .topology |= with_entries(select(.key == "topology.kubernetes.io/zone"))
			| (if .topology == {} then del(.topology) else . end) else . end) end)
	else . end'
source_check() {   # DOC LABEL KIND OLDAV NEWAV FIXED
	local doc="$1" label="$2" kind="$3" oldav="$4" newav="$5" fixed="$6" name res fx
	name=$(kc create --dry-run=client -f "$doc" -o json 2>/dev/null | jq -r .metadata.name)
	if [ -z "$name" ] || [ "$name" = null ] ||
		! kc create --validate=false -n "$NS" -f "$doc" -o name >"$doc.create.out" 2>&1; then
		SKIPPED=$((SKIPPED + 1))
		return 0
	fi
	COMPARED=$((COMPARED + 1))
	SOURCE_COMPARED=$((SOURCE_COMPARED + 1))
	[[ "$label" == gen-* ]] && GEN_COMPARED=$((GEN_COMPARED + 1))
	echo "$oldav $kind -> $newav (against the source)" >>"$PAIRS"
	fx="$doc.fix.json"
	sed "s#^apiVersion: $newav\r\{0,1\}\$#apiVersion: $oldav#" "$fixed" >"$doc.beta.yaml"
	kc create --dry-run=client --validate=false -f "$doc.beta.yaml" -o json |
		jq ".metadata.name += \"-fix\" | del(.metadata.namespace) | $TO_BETA" >"$fx"
	if ! kc create --validate=false -n "$NS" -f "$fx" -o name >"$doc.fixcreate.out" 2>&1; then
		DIFFERENT=$((DIFFERENT + 1))
		kup_not_ok "$label ($oldav $kind $name): fix's output, taken back to $oldav, is refused: $(cat "$doc.fixcreate.out")"
		return 0
	fi
	res=$(resource_of "$kind" "$oldav")
	kc get -n "$NS" "$res" "$name" -o json | jq -S "$STRIP | $SOURCE_EXPLAINED" >"$doc.a.json"
	kc get -n "$NS" "$res" "$name-fix" -o json | jq -S "$STRIP | $SOURCE_EXPLAINED" >"$doc.b.json"
	if diff -u "$doc.a.json" "$doc.b.json" >"$doc.diff"; then
		SAME=$((SAME + 1))
	else
		DIFFERENT=$((DIFFERENT + 1))
		kup_not_ok "$label ($oldav $kind $name -> $newav, against the source): fix's output means otherwise:"
		sed 's/^/    | /' "$doc.diff" | head -n 40 >&2
	fi
}

for doc in "$OUT"/docs/*.yaml; do
	compare_doc "$doc"
done

# ---- CRDs and their custom resources ---------------------------------------------------------
crd_pair() {   # DOC PLURAL KIND
	local doc="$1" plural="$2" kind="$3" g
	for g in old fix; do
		sed "s/GROUP/$g.oracle.example.com/g" "$doc" >"$OUT/crd-$plural-$g.yaml"
	done
	"$CLI" fix "$OUT/crd-$plural-fix.yaml" --to 1.22 --stdout >"$OUT/crd-$plural-fixed.yaml" \
		2>"$OUT/crd-$plural.notes" || kup_not_ok "fix of the $plural CRD"
	kc create --validate=false -f "$OUT/crd-$plural-old.yaml" -o name >/dev/null ||
		kup_not_ok "create the old $plural CRD"
	kc create -f "$OUT/crd-$plural-fixed.yaml" -o name >/dev/null ||
		kup_not_ok "create fix's $plural CRD: $(cat "$OUT/crd-$plural.notes")"
	for g in old fix; do
		kc wait --for condition=established --timeout=60s "crd/$plural.$g.oracle.example.com" >/dev/null ||
			kup_not_ok "$plural.$g CRD established"
	done
	COMPARED=$((COMPARED + 1))
	echo "apiextensions.k8s.io/v1beta1 CustomResourceDefinition -> apiextensions.k8s.io/v1" >>"$PAIRS"
	for g in old fix; do
		kc get "crd/$plural.$g.oracle.example.com" -o json | jq -S "$STRIP | $EXPLAINED" \
			>"$OUT/crd-$plural-$g.json"
	done
	if diff -u "$OUT/crd-$plural-old.json" "$OUT/crd-$plural-fix.json" >"$OUT/crd-$plural.diff"; then
		SAME=$((SAME + 1))
	else
		DIFFERENT=$((DIFFERENT + 1))
		kup_not_ok "CRD $plural: the server reads fix's output otherwise:"
		sed 's/^/    | /' "$OUT/crd-$plural.diff" | head -n 40 >&2
	fi
	# a custom resource with unknown fields at every level, under each CRD
	for g in old fix; do
		cat >"$OUT/cr-$plural-$g.json" <<EOF
{"apiVersion": "$g.oracle.example.com/v1", "kind": "$kind",
 "metadata": {"name": "one", "namespace": "$NS"},
 "unknownTop": {"x": 1},
 "spec": {"size": 3, "a": "b", "unknownSpec": "kept?",
          "parts": [{"name": "p", "unknownItem": [1, 2]}],
          "config": {"mode": "m", "unknownDeep": {"deeper": true}}}}
EOF
		kc create -f "$OUT/cr-$plural-$g.json" -o name >/dev/null || kup_not_ok "create a $kind under the $g CRD"
		kc get -n "$NS" "$plural.$g.oracle.example.com" one -o json |
			jq -S "$STRIP | del(.apiVersion)" >"$OUT/cr-$plural-$g.read.json"
	done
	COMPARED=$((COMPARED + 1))
	echo "custom resource under a v1beta1 CRD -> under fix's v1 CRD" >>"$PAIRS"
	if diff -u "$OUT/cr-$plural-old.read.json" "$OUT/cr-$plural-fix.read.json" >"$OUT/cr-$plural.diff"; then
		SAME=$((SAME + 1))
		kup_check "a $kind keeps its unknown fields at every level under fix's CRD" \
			kup_jq "$OUT/cr-$plural-fix.read.json" '.spec.config.unknownDeep.deeper == true and .unknownTop.x == 1'
	else
		DIFFERENT=$((DIFFERENT + 1))
		kup_not_ok "$kind under fix's CRD keeps other fields than under the old one:"
		sed 's/^/    | /' "$OUT/cr-$plural.diff" | head -n 40 >&2
	fi
}
split_docs "$DATA/crd.yaml" crd
crd_pair "$OUT/docs/crd-1.yaml" widgets Widget
crd_pair "$OUT/docs/crd-2.yaml" gadgets Gadget

# ---- the figures ----------------------------------------------------------------------------
NPAIRS=$(sort -u "$PAIRS" | wc -l)
echo "harness: fix oracle: $COMPARED objects compared over $NPAIRS API pairs: $SAME the same," \
	"$DIFFERENT different; $SKIPPED not converted or refused by the old API, $REFUSED refused by fix" >&2
sort "$PAIRS" | uniq -c | sed 's/^/harness:   /' >&2
echo "harness: of them $SOURCE_COMPARED against the kubernetes source (CronJob, PDB, EndpointSlice)" >&2
echo "harness: of them $GEN_COMPARED generated (seeds $GEN_SEEDS, $GEN_COUNT per kind and seed, each with its null variant)" >&2
kup_check "every object fix converted reads back as the server's own conversion" [ "$DIFFERENT" -eq 0 ]
kup_check "the harness compared objects over at least 15 API pairs" [ "$NPAIRS" -ge 15 ]
kup_check "the generated corpus was compared (at least 40 objects)" [ "$GEN_COMPARED" -ge 40 ]
kup_check "CronJob, PDB and EndpointSlice were checked against the source" [ "$SOURCE_COMPARED" -ge 6 ]
kup_done
