#!/usr/bin/env bash
# bench/snapshot.sh - `kupgrade snapshot` against `kubectl get ... -o json` of
# the same resources, with BENCH_SNAPSHOT_OBJECTS (default 50,000) objects in
# a real kube-apiserver v1.20.2 (tests/integration/lib/apiserver.sh: built
# from Debian's source package, cached per machine).
#
#   bash bench/snapshot.sh            (bench/run.sh calls it)
#
# Loads seeded ConfigMaps (bench/snapshot_load.py, 100-1500 bytes of data
# each, a kubectl last-applied annotation on each) into 50 namespaces, then
# measures, best of BENCH_RUNS, wall time and peak RSS (bench/measure) of:
#
#   kubectl get R1,R2,... -A -o json > /dev/null           (baseline)
#     + kubectl get secrets -A --field-selector type=helm.sh/release.v1 -o json
#   kupgrade snapshot -o FILE                              (measured)
#   kupgrade scan --context / scan SNAPSHOT --to 1.32      (informational)
#   kupgrade serve --once --to 1.25 --to 1.32              (peak RSS <= 64 MiB)
#
# where R1,R2,... are exactly the resources the snapshot listed (from its -v
# progress lines).  kubectl keeps its discovery cache between runs (its
# normal behaviour); kupgrade reads discovery every time.  Targets: kupgrade
# time <= 1x kubectl's, kupgrade peak RSS <= 64 MiB.  Exits 1 when a target
# or a sanity check fails.
#
# When the API server cannot be built or started, the same measurement runs
# against tests/data/live/server.py (a python3 HTTPS server serving the
# objects from memory, paginated) and says so.  BENCH_SNAPSHOT_SERVER=python
# forces that.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

N=${BENCH_SNAPSHOT_OBJECTS:-50000}
NS=${BENCH_SNAPSHOT_NAMESPACES:-50}
SEED=${BENCH_SEED:-1}
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_OUT:-bench/out}
BIN=${BENCH_BIN:-build/bench}
KUP=${KUPGRADE:-./build/kupgrade}
SERVER=${BENCH_SNAPSHOT_SERVER:-apiserver}
RSS_MAX_KB=$((64 * 1024))

die() {
	echo "bench/snapshot: $*" >&2
	exit 1
}
[ -x "$KUP" ] || die "no $KUP (make build first)"
command -v kubectl >/dev/null || die "kubectl is not installed (scripts/install-deps)"
mkdir -p "$OUT" "$BIN"
if [ ! -x "$BIN/measure" ]; then
	cc -O2 -o "$BIN/measure" bench/measure.c || die "cannot build measure"
fi
OUT=$(cd "$OUT" && pwd)
KUP=$(cd "$(dirname "$KUP")" && pwd)/$(basename "$KUP")
MEASURE=$(cd "$BIN" && pwd)/measure
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kup-bench-snap.XXXXXX")
PYPID=""
cleanup() {
	if [ -n "$PYPID" ]; then
		kill "$PYPID" 2>/dev/null || true
		wait "$PYPID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
	if declare -F kup_api_stop >/dev/null; then
		kup_api_stop
	fi
}
trap cleanup EXIT

if [ "$SERVER" = apiserver ] && ! scripts/build-apiserver --check >/dev/null 2>&1 &&
	! scripts/build-apiserver >/dev/null 2>&1; then
	echo "bench/snapshot: kube-apiserver cannot be built here: measuring against the python3 test server"
	SERVER=python
fi

if [ "$SERVER" = apiserver ]; then
	# shellcheck source=../tests/integration/lib/apiserver.sh
	. tests/integration/lib/apiserver.sh
	kup_api_start
	trap cleanup EXIT
	p="$KUP_API_DIR/pki"
	t0=$(date +%s)
	python3 bench/snapshot_load.py "$KUP_API_URL" "$p/ca.crt" "$p/admin.crt" "$p/admin.key" \
		"$N" "$NS" "$SEED" >/dev/null || die "cannot load $N objects"
	echo "bench/snapshot: $N ConfigMaps loaded into kube-apiserver v1.20.2 in $(($(date +%s) - t0)) s"
	KCFG="$KUP_KUBECONFIG"
	CTX=admin
	WHAT="kube-apiserver v1.20.2 (Debian source package), etcd 3.4"
else
	tests/data/live/mkcerts.sh "$WORK/pki"
	python3 tests/data/live/server.py "$WORK/pki" --objects "$N" &
	PYPID=$!
	for _ in $(seq 1 200); do [ -s "$WORK/pki/port" ] && break; sleep 0.1; done
	[ -s "$WORK/pki/port" ] || die "the python3 test server did not start"
	KCFG="$WORK/kubeconfig"
	cat >"$KCFG" <<EOF
apiVersion: v1
kind: Config
current-context: bench
clusters:
- name: bench
  cluster: {server: "https://127.0.0.1:$(cat "$WORK/pki/port")", certificate-authority: "$WORK/pki/ca.crt"}
users:
- name: bench
  user: {token: good-token}
contexts:
- name: bench
  context: {cluster: bench, user: bench}
EOF
	CTX=bench
	WHAT="python3 test server (tests/data/live/server.py), NOT a real kube-apiserver"
fi

# the resources the snapshot lists, for kubectl
"$KUP" snapshot --kubeconfig "$KCFG" --context "$CTX" -o "$WORK/first.json" -v \
	2>"$WORK/first.err" || {
	cat "$WORK/first.err" >&2
	die "kupgrade snapshot failed"
}
RES=$(sed -n 's/^kupgrade: \([a-z0-9.-]*\): [0-9]*$/\1/p' "$WORK/first.err" | grep -vx secrets | paste -sd, -)
[ -n "$RES" ] || die "no resources in the snapshot's progress"
OBJS=$(grep -c '^{"apiVersion"' "$WORK/first.json" || true)
[ "$OBJS" -ge "$N" ] || die "the snapshot has $OBJS objects, expected at least $N"

cat >"$WORK/kubectl.sh" <<EOF
#!/bin/sh
kubectl --kubeconfig "$KCFG" --context "$CTX" --cache-dir "$WORK/kcache" get "$RES" -A -o json >/dev/null 2>"$WORK/kubectl.err" &&
kubectl --kubeconfig "$KCFG" --context "$CTX" --cache-dir "$WORK/kcache" get secrets -A \
	--field-selector type=helm.sh/release.v1 -o json >/dev/null 2>>"$WORK/kubectl.err"
EOF
chmod +x "$WORK/kubectl.sh"
"$WORK/kubectl.sh" || {
	cat "$WORK/kubectl.err" >&2
	die "kubectl get failed"
}

# best wall time and largest peak RSS of RUNS runs: sets T and KB
run() {
	local i t kb rc best="" maxkb=0
	for i in $(seq 1 "$RUNS"); do
		"$MEASURE" -o "$WORK/m.txt" "$@" >/dev/null 2>"$WORK/m.err" || true
		read -r t kb rc <"$WORK/m.txt"
		if [ "$rc" != 0 ] && ! { [ "${OKRC:-}" = findings ] && { [ "$rc" = 2 ] || [ "$rc" = 3 ]; }; }; then
			cat "$WORK/m.err" >&2
			die "$* exited $rc"
		fi
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
		[ "$kb" -gt "$maxkb" ] && maxkb=$kb
	done
	T=$best
	KB=$maxkb
}

run "$WORK/kubectl.sh"
KT=$T KKB=$KB
run "$KUP" snapshot --kubeconfig "$KCFG" --context "$CTX" -o "$WORK/snap.json"
ST=$T SKB=$KB
# informational: the live scan of the same cluster, and the offline scan of the snapshot
OKRC=findings run "$KUP" scan --kubeconfig "$KCFG" --context "$CTX" --to 1.32 -o json
LT=$T LKB=$KB
OKRC=findings run "$KUP" scan "$WORK/snap.json" --to 1.32 -o json
OT=$T OKB=$KB
# kupgrade serve: one cycle (discovery, every object, /metrics) against two
# targets, its metrics rendered; target: peak RSS <= 64 MiB
run "$KUP" serve --kubeconfig "$KCFG" --context "$CTX" --once --to 1.25 --to 1.32
VT=$T VKB=$KB

RATIO=$(awk "BEGIN{printf \"%.2f\", $ST / $KT}")
printf '\nsnapshot bench: %s objects (%s in the snapshot), %s\n' "$N" "$OBJS" "$WHAT"
printf '  %-44s %8s s %8s MiB\n' "kubectl get (same resources) -A -o json" "$KT" "$((KKB / 1024))"
printf '  %-44s %8s s %8s MiB\n' "kupgrade snapshot -o FILE" "$ST" "$((SKB / 1024))"
printf '  %-44s %8s s %8s MiB\n' "kupgrade scan --context (info)" "$LT" "$((LKB / 1024))"
printf '  %-44s %8s s %8s MiB\n' "kupgrade scan SNAPSHOT (info)" "$OT" "$((OKB / 1024))"
printf '  %-44s %8s s %8s MiB\n' "kupgrade serve --once, 2 targets" "$VT" "$((VKB / 1024))"
printf '  kupgrade / kubectl time: %s (target <= 1.00); kupgrade peak RSS %s MiB (target <= 64)\n' \
	"$RATIO" "$((SKB / 1024))"
FAIL=0
awk "BEGIN{exit !($ST <= $KT)}" || {
	echo "  FAIL: kupgrade snapshot is slower than kubectl get"
	FAIL=1
}
[ "$VKB" -le "$RSS_MAX_KB" ] || {
	echo "  FAIL: kupgrade serve peak RSS over 64 MiB"
	FAIL=1
}
[ "$SKB" -le "$RSS_MAX_KB" ] || {
	echo "  FAIL: kupgrade snapshot peak RSS over 64 MiB"
	FAIL=1
}
exit $FAIL
