#!/bin/sh
# tests/fleet/report-windows.sh KUPGRADE SOURCE_DIR - the fleet report shows each
# cluster's own provider's support window: an EKS, a GKE, an AKS and a kubeadm
# cluster on the same minor get their own provider's dates from
# data/providers.yaml (kubeadm: none there), never another provider's.
set -u
K=$1
SRC=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
ff() { echo "fleet/report-windows.sh: FAIL: $*" >&2; fail=1; }
cd "$W" || exit 1
for pv in eks gke aks kubeadm; do
	cat >"$pv.yaml" <<EOP
apiVersion: kupgrade.dev/v1alpha1
kind: ClusterProfile
metadata: {name: c-$pv}
spec:
  provider: $pv
  controlPlane: {version: "1.29.4"}
  nodePools: [{name: general, version: "1.29.4", count: 3}]
EOP
done
cat >fleet.yaml <<'EOP'
apiVersion: kupgrade.dev/v1alpha1
kind: Fleet
metadata: {name: windows}
spec:
  target: {version: "1.30"}
  clusters:
    - {name: c-eks, profile: eks.yaml, labels: {env: dev}}
    - {name: c-gke, profile: gke.yaml, labels: {env: dev}}
    - {name: c-aks, profile: aks.yaml, labels: {env: dev}}
    - {name: c-kubeadm, profile: kubeadm.yaml, labels: {env: dev}}
  waves:
    - {name: dev, selector: {env: dev}}
  driver:
    control-plane: "true"
    nodepool: "true"
    addon: "true"
    verify: "true"
EOP
"$K" fleet report fleet.yaml --store "sqlite:$W/s.db" -o html report.html 2>err.txt
[ -s report.html ] || { ff "no report"; cat err.txt; exit 1; }
row() {   # row PROVIDER: the versions-table row of 1.29 for that provider
	sed -n '/<table class="versions">/,/<\/table>/p' report.html | grep -F "<tr><td>1.29</td><td>$1</td>"
}
date_of() {   # date_of PROVIDER FIELD: from data/providers.yaml
	grep "provider: $1, version: \"1.29\"" "$SRC/data/providers.yaml" |
		sed -n "s/.*$2: \"\([0-9-]*\)\".*/\1/p"
}
eol=$(grep 'version: "1.29"' "$SRC/data/releases.yaml" | sed -n 's/.*end_of_life: "\([0-9-]*\)".*/\1/p')
for pv in eks gke aks; do
	std=$(date_of $pv end_of_standard)
	[ -n "$std" ] || { ff "data/providers.yaml has no $pv 1.29 end_of_standard"; continue; }
	r=$(row $pv)
	[ -n "$r" ] || { ff "no 1.29 row for $pv"; continue; }
	echo "$r" | grep -qF ">$eol<" || ff "$pv row lacks the upstream end of life $eol: $r"
	echo "$r" | grep -qF ">$std<" || ff "$pv row lacks $pv's end of standard support $std: $r"
	ext=$(date_of $pv end_of_extended)
	[ -z "$ext" ] || echo "$r" | grep -qF ">$ext<" || ff "$pv row lacks $pv's end of extended support $ext"
	# no other provider's dates in this row (unless the same day)
	for o in eks gke aks; do
		[ "$o" = "$pv" ] && continue
		for d in $(date_of $o end_of_standard) $(date_of $o end_of_extended); do
			[ "$d" = "$std" ] || [ "$d" = "$ext" ] && continue
			echo "$r" | grep -qF ">$d<" && ff "$pv row shows $o's date $d: $r"
		done
	done
done
r=$(row kubeadm)
[ -n "$r" ] || ff "no 1.29 row for kubeadm"
n=$(echo "$r" | grep -o 'not in the knowledge base' | wc -l)
[ "$n" -eq 2 ] || ff "kubeadm row does not say its two provider windows are unknown: $r"
[ "$fail" -eq 0 ] || sed -n '/<table class="versions">/,/<\/table>/p' report.html
exit $fail
