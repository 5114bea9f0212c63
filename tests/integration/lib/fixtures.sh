# tests/integration/lib/fixtures.sh - objects the integration tests create.
# Sourced after lib/apiserver.sh (and after kup_api_start).

# kup_apply FILE.json DIR: `kubectl apply -f FILE` (a List) when kubectl is
# there (and KUP_NO_KUBECTL is not 1); else what kubectl's client-side apply
# does on create, with curl: each item POSTed to the version it names with
# its own compact JSON (keys sorted, as Go writes it) in the
# kubectl.kubernetes.io/last-applied-configuration annotation and
# fieldManager=kubectl-client-side-apply, so last-applied and managedFields
# record the version written either way.
kup_apply() {
	local file="$1" dir="$2" n i item av kind ns plural base path
	if [ "${KUP_NO_KUBECTL:-0}" != 1 ] && command -v kubectl >/dev/null 2>&1; then
		kup_api_kubectl apply -f "$file" >"$dir/apply.out" 2>"$dir/apply.err" ||
			{ cat "$dir/apply.err" >&2; kup_die "kubectl apply -f $file failed"; }
		return 0
	fi
	n=$(jq '.items | length' "$file") || kup_die "cannot read $file"
	for i in $(seq 0 $((n - 1))); do
		item=$(jq -cS ".items[$i]" "$file")
		av=$(jq -r .apiVersion <<<"$item")
		kind=$(jq -r .kind <<<"$item")
		ns=$(jq -r '.metadata.namespace // ""' <<<"$item")
		plural=$(tr '[:upper:]' '[:lower:]' <<<"$kind")
		case "$plural" in
		*s) plural="${plural}es" ;;
		*y) plural="${plural%y}ies" ;;
		*) plural="${plural}s" ;;
		esac
		case "$av" in
		*/*) base="/apis/$av" ;;
		*) base="/api/$av" ;;
		esac
		path="$base${ns:+/namespaces/$ns}/$plural?fieldManager=kubectl-client-side-apply"
		item=$(jq -c --arg la "$item" \
			'.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] = $la' <<<"$item")
		kup_api_json POST "$path" "$item" >/dev/null
	done
}

# kup_fixture_legacy NS DIR: creates namespace NS and, with kup_apply
# (last-applied and managedFields record the version written), objects
# through APIs that 1.20 serves and later releases remove:
#   Ingress legacy-ing (extensions/v1beta1), Ingress beta-ing
#   (networking.k8s.io/v1beta1), PodDisruptionBudget web-pdb and
#   PodSecurityPolicy restricted (policy/v1beta1), CronJob nightly
#   (batch/v1beta1), HorizontalPodAutoscaler web-hpa (autoscaling/v2beta1).
kup_fixture_legacy() {
	local ns="$1" dir="$2"
	kup_api_namespace "$ns"
	cat >"$dir/legacy.json" <<EOF
{"apiVersion":"v1","kind":"List","items":[
{"apiVersion":"extensions/v1beta1","kind":"Ingress","metadata":{"name":"legacy-ing","namespace":"$ns"},"spec":{"backend":{"serviceName":"web","servicePort":80}}},
{"apiVersion":"networking.k8s.io/v1beta1","kind":"Ingress","metadata":{"name":"beta-ing","namespace":"$ns"},"spec":{"rules":[{"host":"shop.example.com","http":{"paths":[{"path":"/","backend":{"serviceName":"web","servicePort":80}}]}}]}},
{"apiVersion":"policy/v1beta1","kind":"PodDisruptionBudget","metadata":{"name":"web-pdb","namespace":"$ns"},"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"web"}}}},
{"apiVersion":"policy/v1beta1","kind":"PodSecurityPolicy","metadata":{"name":"restricted"},"spec":{"privileged":false,"seLinux":{"rule":"RunAsAny"},"runAsUser":{"rule":"MustRunAsNonRoot"},"supplementalGroups":{"rule":"RunAsAny"},"fsGroup":{"rule":"RunAsAny"},"volumes":["configMap","secret","emptyDir"]}},
{"apiVersion":"batch/v1beta1","kind":"CronJob","metadata":{"name":"nightly","namespace":"$ns"},"spec":{"schedule":"0 3 * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"job","image":"registry.internal/shop/job:1"}]}}}}}},
{"apiVersion":"autoscaling/v2beta1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web-hpa","namespace":"$ns"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":2,"maxReplicas":5,"metrics":[{"type":"Resource","resource":{"name":"cpu","targetAverageUtilization":70}}]}}
]}
EOF
	kup_apply "$dir/legacy.json" "$dir"
}

# kup_fixture_helm NS: a Helm 3 release record (Secret sh.helm.release.v1.shop.v1,
# type helm.sh/release.v1, release "shop" revision 1, deployed) encoded as
# Helm encodes it: data.release = base64(base64(gzip(release JSON))); its
# manifest holds PodDisruptionBudget shop-chart-pdb (policy/v1beta1).
kup_fixture_helm() {
	local ns="$1" MANIFEST RELEASE
	MANIFEST='---
# Source: shop/templates/pdb.yaml
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata:
  name: shop-chart-pdb
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: shop}
---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  ports: [{port: 80}]
'
	RELEASE=$(jq -cn --arg m "$MANIFEST" --arg ns "$ns" '{name:"shop",namespace:$ns,version:1,
  info:{status:"deployed",first_deployed:"2021-01-01T00:00:00Z",last_deployed:"2021-01-01T00:00:00Z"},
  chart:{metadata:{name:"shop",version:"1.4.2",apiVersion:"v2"}},config:{},manifest:$m}' |
		gzip -9n | base64 -w0)
	kup_api_json POST /api/v1/namespaces/$ns/secrets "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",
  \"metadata\":{\"name\":\"sh.helm.release.v1.shop.v1\",\"labels\":{\"owner\":\"helm\",\"name\":\"shop\",
  \"status\":\"deployed\",\"version\":\"1\"}},\"type\":\"helm.sh/release.v1\",
  \"data\":{\"release\":\"$(printf %s "$RELEASE" | base64 -w0)\"}}" >/dev/null
}
