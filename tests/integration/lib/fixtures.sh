# tests/integration/lib/fixtures.sh - objects the integration tests create.
# Sourced after lib/apiserver.sh (and after kup_api_start).

# kup_fixture_legacy NS DIR: creates namespace NS and, with `kubectl apply`
# (last-applied and managedFields record the version written), objects
# through APIs that 1.20 serves and later releases remove:
#   Ingress legacy-ing (extensions/v1beta1), Ingress beta-ing
#   (networking.k8s.io/v1beta1), PodDisruptionBudget web-pdb and
#   PodSecurityPolicy restricted (policy/v1beta1), CronJob nightly
#   (batch/v1beta1), HorizontalPodAutoscaler web-hpa (autoscaling/v2beta1).
kup_fixture_legacy() {
	local ns="$1" dir="$2"
	kup_api_namespace "$ns"
	cat >"$dir/legacy.yaml" <<EOF
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: legacy-ing, namespace: $ns}
spec:
  backend: {serviceName: web, servicePort: 80}
---
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: beta-ing, namespace: $ns}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        backend: {serviceName: web, servicePort: 80}
---
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: web-pdb, namespace: $ns}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: restricted}
spec:
  privileged: false
  seLinux: {rule: RunAsAny}
  runAsUser: {rule: MustRunAsNonRoot}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}
  volumes: [configMap, secret, emptyDir]
---
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: nightly, namespace: $ns}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: job, image: "registry.internal/shop/job:1"}]
---
apiVersion: autoscaling/v2beta1
kind: HorizontalPodAutoscaler
metadata: {name: web-hpa, namespace: $ns}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, targetAverageUtilization: 70}
EOF
	kup_api_kubectl apply -f "$dir/legacy.yaml" >"$dir/apply.out" 2>"$dir/apply.err" ||
		{ cat "$dir/apply.err" >&2; kup_die "kubectl apply failed"; }
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
