#!/bin/bash
# rollout_run.sh - `kupgrade rollout run` on a real control plane: kube-apiserver,
# kube-controller-manager (node lifecycle controller on) and kube-scheduler v1.20.2,
# with kubemark hollow nodes (`kubemark --morph=kubelet`, one process per node, its
# own kubelet ports and a private mount namespace for /var/lib/kubelet and /tmp).
# Old nodes run the kubemark stamped v1.19.16, new ones the v1.20.2 one; the exec
# provider's commands start and stop hollow-node processes and log what they do.
#
# Workloads (namespace shop): Deployments with PDBs (maxUnavailable 1 and
# minAvailable 3), a StatefulSet with a PDB (maxUnavailable 1), a single-replica
# Deployment, a DaemonSet.  A watcher samples Ready pods per workload and the
# pool's Ready-and-schedulable nodes every 250 ms.  Asserts, per run:
#   kupgrade and capi at the same budget: every old node retired and replaced,
#     never fewer Ready pods than a PDB requires, never more unavailable nodes
#     than the budget; both makespans printed (measured);
#   kill -9 at seeded moments, then --resume: the roll completes and the
#     provider's log shows no node provisioned or retired twice;
#   kill -9 then --abort: no old node left cordoned or tainted by kupgrade;
#   a PDB at 0 (1 replica, minAvailable 1): the PDB is named, kupgrade quarantines
#     the node after the drain timeout and finishes, capi stops (exit 3).
# Knobs: KUP_ROLLOUT_NODES (6, a multiple of 3: 2 per zone keeps the run near 8 minutes
# on 2 shared cores; 12 works, about 1.5x longer), KUP_ROLLOUT_KILLS (3).
# Usage (ctest): rollout_run.sh KUPGRADE_CLI BUILD_DIR
set -u
CLI="$1"
. "$(dirname "$0")/lib/apiserver.sh"
command -v jq >/dev/null || kup_die "jq not installed"
command -v unshare >/dev/null || kup_die "unshare not installed (util-linux)"
command -v setsid >/dev/null || kup_die "setsid not installed (util-linux)"
[ "$(id -u)" = 0 ] || kup_die "hollow nodes need a private mount namespace: run as root"
NODES=${KUP_ROLLOUT_NODES:-6}
KILLS=${KUP_ROLLOUT_KILLS:-3}
T_START=$(date +%s)

# hollow nodes have kubelets: the node lifecycle controller runs (not-ready taints, NotReady)
KUP_KCM_CONTROLLERS='*'
kup_api_start
BIN=$("$KUP_SRC_DIR/scripts/build-apiserver") || kup_die "scripts/build-apiserver failed"
[ -x "$BIN/kubemark" ] && [ -x "$BIN/kubemark-1.19" ] && [ -x "$BIN/kube-scheduler" ] ||
	kup_die "$BIN lacks kubemark, kubemark-1.19 or kube-scheduler: scripts/build-apiserver --force"
D=$KUP_API_DIR
OUT=$D/out
mkdir -p "$OUT" "$D/nodes" /var/lib/kubelet
K=(--kubeconfig "$KUP_KUBECONFIG" --context admin)
p=$D/pki

# Hollow nodes read a kubeconfig with the credentials inline: /tmp is private to them.
cat >"$D/hollow.kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: h
clusters:
- name: test
  cluster: {server: "$KUP_API_URL", certificate-authority-data: "$(base64 -w0 "$p/ca.crt")"}
users:
- name: h
  user: {client-certificate-data: "$(base64 -w0 "$p/admin.crt")", client-key-data: "$(base64 -w0 "$p/admin.key")"}
contexts:
- name: h
  context: {cluster: test, user: h}
EOF

"$BIN/kube-scheduler" --kubeconfig "$D/kcm.kubeconfig" --leader-elect=false --port=0 \
	--secure-port=0 >"$D/kube-scheduler.log" 2>&1 &
KUP_PIDS="$! $KUP_PIDS"

# The exec provider: start and stop hollow-node processes; every action logged.
cat >"$D/provider.sh" <<EOF
#!/bin/bash
# provider.sh provision POOL ZONE VERSION | retire NODE | old NAME ZONE
set -u
D="$D"
BIN="$BIN"
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start() { # name zone binary
	local n=\$1 z=\$2 b=\$3 dir="\$D/nodes/\$1"
	mkdir -p "\$dir/kubelet" "\$dir/tmp"
	cp "\$D/hollow.kubeconfig" "\$dir/kubelet/kc"
	# a session of its own (setsid --fork: the driver ends its process group when the
	# command returns); the same pid from sh through unshare to kubemark
	setsid -f sh -c "echo \\\$\\\$ >'\$dir/pid'; exec unshare -m --propagation private sh -c \\"
		mount --bind '\$dir/kubelet' /var/lib/kubelet && mount --bind '\$dir/tmp' /tmp &&
		exec '\$b' --morph=kubelet --name='\$n' --kubeconfig=/var/lib/kubelet/kc \\
		--kubelet-port=\$(port) --kubelet-read-only-port=\$(port) \\
		--node-labels=topology.kubernetes.io/zone=\$z,kupgrade.dev/pool=general\\"" \\
		</dev/null >"\$dir/log" 2>&1
	for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "\$dir/pid" ] && break; sleep 0.1; done
}
case "\$1" in
old) start "\$2" "\$3" "\$BIN/kubemark-1.19" ;;
provision)
	n=new-\$(date +%s%N | cut -c8-16)-\$RANDOM
	echo "\$(date +%s.%N) provision \$n zone=\$3 version=\$4" >>"\$D/provider.log"
	start "\$n" "\$3" "\$BIN/kubemark"
	echo "\$n" ;;
retire)
	echo "\$(date +%s.%N) retire \$2" >>"\$D/provider.log"
	[ -f "\$D/nodes/\$2/pid" ] && kill "\$(cat "\$D/nodes/\$2/pid")" 2>/dev/null
	exit 0 ;;
*) exit 2 ;;
esac
EOF
chmod +x "$D/provider.sh"
PROVISION="$D/provider.sh provision {pool} {zone} {version}"
RETIRE="$D/provider.sh retire {node}"

hollow_stop() {
	local f
	for f in "$D"/nodes/*/pid; do
		[ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
	return 0
}
trap 'hollow_stop; kup_api_stop' EXIT
# the hollow nodes' own watchdog (the harness's knows only its own processes)
(
	trap '' INT TERM HUP
	while kill -0 $$ 2>/dev/null; do sleep 1; done
	for f in "$D"/nodes/*/pid; do kill -KILL "$(cat "$f")" 2>/dev/null; done
) </dev/null >/dev/null 2>&1 &

nodes_json() { $KUP_CURL -fsS "$KUP_API_URL/api/v1/nodes?labelSelector=kupgrade.dev/pool%3Dgeneral"; }
wait_for() { # description seconds command...
	local what="$1" max="$2" i
	shift 2
	for i in $(seq 1 $((max * 2))); do
		"$@" && return 0
		sleep 0.5
	done
	kup_not_ok "$what: not within $max s"
	return 1
}
ready_nodes() { # count
	[ "$(nodes_json | jq '[.items[] | select(.status.conditions[]? | select(.type == "Ready" and .status == "True"))] | length')" -ge "$1" ]
}

# A fresh pool: every hollow node gone, NODES old nodes (v1.19) over zones a b c.
POOL_ROUND=0
fresh_pool() {
	local i z
	hollow_stop
	sleep 1
	nodes_json | jq -r '.items[].metadata.name' | while read -r n; do
		$KUP_CURL -fsS -X DELETE "$KUP_API_URL/api/v1/nodes/$n" -o /dev/null
	done
	# pods bound to the deleted nodes would stay "Ready" until the pod GC finds them
	$KUP_CURL -fsS -X DELETE "$KUP_API_URL/api/v1/namespaces/shop/pods?gracePeriodSeconds=0" \
		-o /dev/null 2>/dev/null
	rm -rf "$D"/nodes/* "$D/provider.log"
	touch "$D/provider.log"
	POOL_ROUND=$((POOL_ROUND + 1))
	for i in $(seq 1 "$NODES"); do
		case $((i % 3)) in 0) z=a ;; 1) z=b ;; *) z=c ;; esac
		"$D/provider.sh" old "old$POOL_ROUND-$i" "$z"
	done
	wait_for "$NODES old nodes Ready" 180 ready_nodes "$NODES" || kup_die "the hollow nodes did not start"
}

apply() { # path body
	$KUP_CURL -fsS -X POST -H 'Content-Type: application/json' "$KUP_API_URL$1" -d "$2" -o /dev/null ||
		kup_die "POST $1 failed"
}
tmpl() { # app
	echo "{\"metadata\":{\"labels\":{\"app\":\"$1\"}},\"spec\":{\"terminationGracePeriodSeconds\":2,
	  \"containers\":[{\"name\":\"c\",\"image\":\"registry.k8s.io/pause:3.2\",
	  \"resources\":{\"requests\":{\"cpu\":\"10m\",\"memory\":\"16Mi\"}}}]}}"
}
deploy() { # name replicas
	apply /apis/apps/v1/namespaces/shop/deployments "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",
	  \"metadata\":{\"name\":\"$1\"},\"spec\":{\"replicas\":$2,\"selector\":{\"matchLabels\":{\"app\":\"$1\"}},
	  \"template\":$(tmpl "$1")}}"
}
pdb() { # name app field value
	apply /apis/policy/v1beta1/namespaces/shop/poddisruptionbudgets "{\"apiVersion\":\"policy/v1beta1\",
	  \"kind\":\"PodDisruptionBudget\",\"metadata\":{\"name\":\"$1\"},
	  \"spec\":{\"$3\":$4,\"selector\":{\"matchLabels\":{\"app\":\"$2\"}}}}"
}

fresh_pool
kup_api_namespace shop
deploy web 6
pdb web web maxUnavailable 1
deploy api 4
pdb api api minAvailable 3
deploy single 1
apply /api/v1/namespaces/shop/services '{"apiVersion":"v1","kind":"Service","metadata":{"name":"db"},
  "spec":{"clusterIP":"None","selector":{"app":"db"},"ports":[{"port":5432}]}}'
apply /apis/apps/v1/namespaces/shop/statefulsets "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",
  \"metadata\":{\"name\":\"db\"},\"spec\":{\"replicas\":3,\"serviceName\":\"db\",
  \"selector\":{\"matchLabels\":{\"app\":\"db\"}},\"template\":$(tmpl db)}}"
pdb db db maxUnavailable 1
apply /apis/apps/v1/namespaces/shop/daemonsets "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",
  \"metadata\":{\"name\":\"agent\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"agent\"}},
  \"template\":$(tmpl agent)}}"

# Ready pods per app (web api single db), space-separated
ready_pods() {
	$KUP_CURL -fsS "$KUP_API_URL/api/v1/namespaces/shop/pods" | jq -r '
	  [.items[] | select(.metadata.deletionTimestamp == null) |
	   select(any(.status.conditions[]?; .type == "Ready" and .status == "True")) | .metadata.labels.app] as $r |
	  [("web","api","single","db") as $a | ($r | map(select(. == $a)) | length)] | map(tostring) | join(" ")'
}
workloads_ready() { [ "$(ready_pods)" = "6 4 1 3" ]; }
wait_for "every workload Ready" 240 workloads_ready || kup_die "the workloads did not become Ready"
kup_ok "workloads Ready on $NODES hollow nodes in $(($(date +%s) - T_START)) s"

# The watcher: every 250 ms, Ready pods per workload and the pool's Ready-and-schedulable nodes.
watch_start() { # file
	(
		while :; do
			n=$(nodes_json | jq '[.items[] | select(.spec.unschedulable != true) |
			      select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length')
			echo "$(date +%s.%N) $(ready_pods) $n"
			sleep 0.25
		done
	) >"$1" 2>/dev/null &
	WATCH_PID=$!
}
watch_stop() { kill "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null; }
# watch_check FILE MAXUNAVAILABLE LABEL: PDB floors (web 5, api 3, db 2) and the node budget.
watch_check() {
	local f="$1" m="$2" what="$3"
	kup_check "$what: web never below 5 Ready (maxUnavailable 1 of 6)" \
		awk -v bad=0 'NF == 6 && $2 < 5 { bad = 1 } END { exit bad }' "$f"
	kup_check "$what: api never below 3 Ready (minAvailable 3)" \
		awk 'NF == 6 && $3 < 3 { bad = 1 } END { exit bad }' "$f"
	kup_check "$what: db never below 2 Ready (maxUnavailable 1 of 3)" \
		awk 'NF == 6 && $5 < 2 { bad = 1 } END { exit bad }' "$f"
	kup_check "$what: never more than $m of $NODES nodes unavailable" \
		awk -v n="$NODES" -v m="$m" 'NF == 6 && n - $6 > m { bad = 1 } END { exit bad }' "$f"
	echo "harness: $what: $(wc -l <"$f") samples" >&2
}
# provider_check LABEL: every old node retired once, one provision per old node, no name twice.
provider_check() {
	local what="$1"
	kup_check "$what: $NODES old nodes retired, none twice" \
		test "$(awk '$2 == "retire" { print $3 }' "$D/provider.log" | sort -u | grep -c "^old")" = "$NODES" -a \
		"$(awk '$2 == "retire"' "$D/provider.log" | wc -l)" = "$(awk '$2 == "retire" { print $3 }' "$D/provider.log" | sort -u | wc -l)"
	kup_check "$what: $NODES nodes provisioned, none twice" \
		test "$(awk '$2 == "provision"' "$D/provider.log" | wc -l)" = "$NODES"
	kup_check "$what: the pool is $NODES new nodes, every one Ready at v1.20" \
		test "$(nodes_json | jq '[.items[] | select(.status.nodeInfo.kubeletVersion | startswith("v1.20")) |
			select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length')" = "$NODES"
}
run() { # label policy state extra-args...
	local what="$1" pol="$2" state="$3"
	shift 3
	"$CLI" rollout run "${K[@]}" --pool general --to 1.20 --provider exec \
		--provision "$PROVISION" --retire "$RETIRE" --max-surge 3 --max-unavailable 0 \
		--drain-timeout 60s --provision-timeout 120s --policy "$pol" --state "sqlite:$state" "$@"
}
# run_bg: the same in the background, $! being kupgrade itself (so kill -9 reaches it)
run_bg() { # label policy state out err
	( exec "$CLI" rollout run "${K[@]}" --pool general --to 1.20 --provider exec \
		--provision "$PROVISION" --retire "$RETIRE" --max-surge 3 --max-unavailable 0 \
		--drain-timeout 60s --provision-timeout 120s --policy "$2" --state "sqlite:$3" \
		>"$4" 2>"$5" ) &
}

# ---- 1, 2: kupgrade and capi, the same budget (3 surge, 0 unavailable) -----------------------
for pol in kupgrade capi; do
	[ "$pol" = kupgrade ] || { fresh_pool; wait_for "workloads Ready again" 240 workloads_ready; }
	watch_start "$OUT/watch-$pol"
	t0=$(date +%s.%N)
	run "$pol" "$pol" "$D/$pol.db" -o json >"$OUT/$pol.json" 2>"$OUT/$pol.err"
	rc=$?
	t1=$(date +%s.%N)
	watch_stop
	kup_expect_exit 0 "$rc" "rollout run --policy $pol"
	[ "$rc" = 0 ] || tail -n 20 "$OUT/$pol.err" >&2
	kup_check "$pol: summary: $NODES replaced, 0 quarantined, not failed, within the budget" \
		kup_jq "$OUT/$pol.json" ".replaced == $NODES and .quarantined == 0 and .failed == false and
			.peak_extra_nodes <= 3 and .peak_unavailable_nodes == 0 and .pdb_violation_s == 0"
	watch_check "$OUT/watch-$pol" 0 "$pol"
	provider_check "$pol"
	wait_for "$pol: workloads Ready after the roll" 120 workloads_ready
	echo "harness: MEASURED $pol makespan $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" \
		"(summary $(jq .makespan_s "$OUT/$pol.json") s, peak unavailable $(jq .peak_unavailable_nodes "$OUT/$pol.json")," \
		"pdb violation $(jq .pdb_violation_s "$OUT/$pol.json") s)" >&2
done

# ---- 3: kill -9 at seeded moments, then --resume -----------------------------------------------
fresh_pool
wait_for "workloads Ready again" 240 workloads_ready
watch_start "$OUT/watch-resume"
RANDOM=13
run_bg resume kupgrade "$D/resume.db" "$OUT/resume-0.out" "$OUT/resume-0.err"
pid=$!
for k in $(seq 1 "$KILLS"); do
	sleep $((3 + RANDOM % 8))
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "harness: kill -9 #$k of the roll" >&2
	( exec "$CLI" rollout run --state "sqlite:$D/resume.db" --resume >"$OUT/resume-$k.out" 2>"$OUT/resume-$k.err" ) &
	pid=$!
done
wait "$pid"
rc=$?
watch_stop
kup_expect_exit 0 "$rc" "rollout run --resume after $KILLS kill -9"
[ "$rc" = 0 ] || tail -n 30 "$OUT/resume-$KILLS.err" >&2
watch_check "$OUT/watch-resume" 0 "kill -9 + resume"
provider_check "kill -9 + resume"

# ---- 4: --abort leaves nothing cordoned or tainted by kupgrade -------------------------------
fresh_pool
wait_for "workloads Ready again" 240 workloads_ready
run_bg abort kupgrade "$D/abort.db" "$OUT/abort-0.out" "$OUT/abort-0.err"
pid=$!
cordoned() { [ "$(nodes_json | jq '[.items[] | select(.spec.unschedulable == true)] | length')" -ge 1 ]; }
wait_for "a drain started" 120 cordoned
kill -KILL "$pid"
wait "$pid" 2>/dev/null
"$CLI" rollout run --state "sqlite:$D/abort.db" --abort >"$OUT/abort.out" 2>"$OUT/abort.err"
kup_expect_exit 0 $? "rollout run --abort"
kup_check "--abort: no node left cordoned" \
	test "$(nodes_json | jq '[.items[] | select(.spec.unschedulable == true)] | length')" = 0
kup_check "--abort: no node left with the kupgrade.dev/rollout taint" \
	test "$(nodes_json | jq '[.items[] | select(any(.spec.taints[]?; .key == "kupgrade.dev/rollout"))] | length')" = 0
kup_grep "$OUT/abort.out" "^old node old" "--abort lists the old nodes left"

# ---- 5: a PDB at 0 is named; kupgrade quarantines, capi stops -------------------------------
deploy pinned 1
pdb pinned pinned minAvailable 1
pinned_ready() { [ "$($KUP_CURL -fsS "$KUP_API_URL/apis/apps/v1/namespaces/shop/deployments/pinned" | jq .status.readyReplicas)" = 1 ]; }
wait_for "pinned Ready" 120 pinned_ready
"$CLI" rollout run --state "sqlite:$D/abort.db" --abort >/dev/null 2>&1
fresh_pool
wait_for "pinned Ready again" 240 pinned_ready
run pdb0 capi "$D/pdb0-capi.db" --drain-timeout 40s -o json >"$OUT/pdb0-capi.json" 2>"$OUT/pdb0-capi.err"
kup_expect_exit 3 $? "capi with a PDB at 0 stops"
kup_check "capi: the roll failed, the blocking PDB named" \
	kup_jq "$OUT/pdb0-capi.json" '.failed == true and (.blocker | type) == "string"'
"$CLI" rollout run --state "sqlite:$D/pdb0-capi.db" --abort >/dev/null 2>&1
fresh_pool
wait_for "pinned Ready again" 240 pinned_ready
run pdb0 kupgrade "$D/pdb0.db" --drain-timeout 40s -o json >"$OUT/pdb0.json" 2>"$OUT/pdb0.err"
kup_expect_exit 3 $? "kupgrade with a PDB at 0 finishes with a quarantined node"
kup_check "kupgrade: the pinned node quarantined, every other one replaced" \
	kup_jq "$OUT/pdb0.json" ".quarantined >= 1 and .failed == false and .replaced + .quarantined == $NODES"
kup_grep "$OUT/pdb0.err" "blocked by PodDisruptionBudget shop/pinned .*quarantined" \
	"kupgrade names PodDisruptionBudget shop/pinned"
kup_check "kupgrade: the budget held (peak extra <= 3, peak unavailable 0)" \
	kup_jq "$OUT/pdb0.json" ".peak_extra_nodes <= 3 and .peak_unavailable_nodes == 0"

echo "harness: rollout_run took $(($(date +%s) - T_START)) s with $NODES nodes" >&2
kup_done
