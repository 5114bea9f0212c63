#!/bin/sh
# tests/fleet/long-blockers.sh KUPGRADE SOURCE_DIR - a cluster whose plan has a
# blocker list far longer than 600 characters: `fleet status` (table and json)
# and `fleet report` show every blocker `plan` shows, whole (the list used to
# be cut at 511 characters by a fixed-size string of struct kup_fleet_next).
set -u
K=$1
SRC=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
ff() { echo "fleet/long-blockers.sh: FAIL: $*" >&2; fail=1; }

# The test KB of tests/data/plan-kb, plus twelve add-ons with gapmesh's hole
# between 1.26 and 1.27 (test facts, example.invalid sources, as the rest of it).
cp -R "$SRC/tests/data/plan-kb" "$W/kb" || exit 1
{
	for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
		cat <<EOA
  - name: gapmesh-with-a-rather-long-name-$i
    hop: minors
    max_hop: 1
    source: https://example.invalid/kupgrade-test-kb/gapmesh
    releases:
      - {version: "1.0", k8s_min: "1.25", k8s_max: "1.26", source: https://example.invalid/kupgrade-test-kb/gapmesh, checked: "2026-12-07"}
      - {version: "1.1", k8s_min: "1.27", k8s_max: "1.29", source: https://example.invalid/kupgrade-test-kb/gapmesh, checked: "2026-12-07"}
EOA
	done
} >>"$W/kb/addons.yaml"
{
	cat <<'EOP'
apiVersion: kupgrade.dev/v1alpha1
kind: ClusterProfile
metadata: {name: c1}
spec:
  provider: gke
  controlPlane: {version: "1.26.3"}
  nodePools: [{name: pool-a, version: "1.26.3", count: 3}]
  addons:
EOP
	for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
		echo "    - {name: gapmesh-with-a-rather-long-name-$i, version: \"1.0.4\"}"
	done
} >"$W/c1.yaml"
cat >"$W/fleet.yaml" <<'EOP'
apiVersion: kupgrade.dev/v1alpha1
kind: Fleet
metadata: {name: long}
spec:
  target: {version: "1.28"}
  clusters:
    - {name: c1, profile: c1.yaml, labels: {env: dev}}
  waves:
    - {name: dev, selector: {env: dev}}
  driver:
    control-plane: "true"
    nodepool: "true"
    addon: "true"
    verify: "true"
EOP
cd "$W" || exit 1

"$K" kb validate kb >/dev/null || ff "the test KB does not load"
"$K" plan c1.yaml --to 1.28 --kb kb >plan.txt 2>&1
# plan's blockers section (the report model's: "blocking  ID  Cluster c1: MESSAGE") as "ID: MESSAGE"
sed -n 's/^blocking  *\(addon\/[^ ]*\)  *Cluster c1: /\1: /p' plan.txt >want.txt
n=$(wc -l <want.txt)
len=$(tr -d '\n' <want.txt | wc -c)
[ "$n" -eq 12 ] || ff "plan shows $n add-on blockers, expected 12"
[ "$len" -gt 600 ] || ff "the blockers take $len characters, not more than 600"

"$K" fleet status fleet.yaml --store "sqlite:$W/s.db" --kb kb >status.txt 2>status.err
"$K" fleet status fleet.yaml --store "sqlite:$W/s.db" --kb kb -o json >status.json 2>>status.err
"$K" fleet report fleet.yaml --store "sqlite:$W/s.db" --kb kb -o html report.html 2>>status.err
while IFS= read -r b; do
	grep -qF -- "$b" status.txt || ff "fleet status lacks: $b"
	grep -qF -- "$b" status.json || ff "fleet status -o json lacks: $b"
	grep -qF -- "$b" report.html || ff "fleet report lacks: $b"
done <want.txt
if [ "$fail" -ne 0 ]; then
	echo "--- plan"; cat plan.txt; echo "--- status"; cat status.txt status.err
fi
exit $fail
