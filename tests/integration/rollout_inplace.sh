#!/bin/bash
# rollout_inplace.sh - `kupgrade rollout run --upgrade` (in place: kubeadm, self-managed) on a
# real control plane: kube-apiserver, kube-controller-manager (node lifecycle controller on)
# and kube-scheduler v1.20.2, with kubemark hollow nodes as in rollout_run.sh.  The upgrade
# command stops a node's v1.19.16 hollow kubelet and starts the v1.20.2 one under the SAME
# node name (kubemark registers by --name), as `kubeadm upgrade node` + a kubelet restart
# would; every command is logged by the provider.
#
# 4 nodes over zones a b, budget maxUnavailableNodes 2; Deployments web (4, PDB
# maxUnavailable 1) and api (3, PDB minAvailable 2).  The first upgrade command fails (the
# roll retries it after 5 s); kupgrade is killed (kill -9) while an upgrade command runs (held
# by the provider until the kill), then --resume waits for it and completes the roll.  Asserts: every node Ready at v1.20 under its old name,
# uncordoned, without kupgrade's taint; no node upgraded twice (the provider's log); never
# fewer Ready pods than a PDB requires, never more than 2 nodes unavailable (a watcher,
# every 250 ms); the JSON summary.  Beside it, a one-node pool whose upgrade command always
# fails: retried after 5, 10, 20 s, then the roll stops (exit 3) naming the node, left
# cordoned until --abort.  Before them, on the same pool: --abort after a kill -9 uncordons
# what kupgrade cordoned.  No assertion depends on how fast the machine is: waits are
# bounded generously and the kill comes after an event, not after a delay.
# Usage (ctest): rollout_inplace.sh KUPGRADE_CLI BUILD_DIR
set -u
CLI="$1"
. "$(dirname "$0")/lib/apiserver.sh"
. "$(dirname "$0")/lib/hollow.sh"
NODES=4
T_START=$(date +%s)

hollow_setup

# The provider: start a hollow node; upgrade one in place (stop its kubelet, start the
# next version's under the same name).  $D/fail-upgrades: that many upgrades fail first.
cat >"$D/provider.sh" <<EOF
#!/bin/bash
# provider.sh old NAME ZONE [POOL] | upgrade NODE VERSION
set -u
D="$D"
BIN="$BIN"
. "$KUP_SRC_DIR/tests/integration/lib/hollow-node.sh"
start() { # name zone binary pool
	hollow_start "\$1" "\$2" "\$3" "kupgrade.dev/pool=\$4"
}
case "\$1" in
old) echo "\$3 \${4:-general}" >"\$D/nodes/\$2.zone"; start "\$2" "\$3" "\$BIN/kubemark-1.19" "\${4:-general}" ;;
upgrade)
	exec 9>"\$D/fail-upgrades.lock"
	flock 9
	f=\$(cat "\$D/fail-upgrades" 2>/dev/null || echo 0)
	if [ "\$f" -gt 0 ]; then
		echo \$((f - 1)) >"\$D/fail-upgrades"
		echo "\$(date +%s.%N) upgrade-failed \$2" >>"\$D/provider.log"
		echo "kubeadm upgrade node: connection refused (injected)" >&2
		exit 1
	fi
	exec 9>&-
	echo "\$(date +%s.%N) upgrade \$2 version=\$3" >>"\$D/provider.log"
	# held while \$D/hold-upgrades exists: the harness's kill -9 lands while a command runs
	for i in \$(seq 1 600); do [ -e "\$D/hold-upgrades" ] || break; sleep 0.1; done
	pid=\$(cat "\$D/nodes/\$2/pid" 2>/dev/null)
	if [ -n "\$pid" ]; then
		kill -KILL "\$pid" 2>/dev/null
		for i in \$(seq 1 100); do kill -0 "\$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	read -r z pool <"\$D/nodes/\$2.zone"
	start "\$2" "\$z" "\$BIN/kubemark" "\$pool" ;;
*) exit 2 ;;
esac
EOF
chmod +x "$D/provider.sh"
UPGRADE="$D/provider.sh upgrade {node} {version}"

fresh_pool() { # round
	local i z
	hollow_stop
	nodes_json | jq -r '.items[].metadata.name' | while read -r n; do
		$KUP_CURL -fsS -X DELETE "$KUP_API_URL/api/v1/nodes/$n" -o /dev/null
	done
	$KUP_CURL -fsS -X DELETE "$KUP_API_URL/api/v1/namespaces/shop/pods?gracePeriodSeconds=0" \
		-o /dev/null 2>/dev/null
	rm -rf "$D"/nodes/* "$D/provider.log"
	touch "$D/provider.log"
	for i in $(seq 1 "$NODES"); do
		case $((i % 2)) in 0) z=a ;; *) z=b ;; esac
		"$D/provider.sh" old "node$1-$i" "$z"
	done
	# a second pool of one node, whose upgrade command always fails (rolled beside the rest)
	"$D/provider.sh" old spare-1 a spare
	wait_for "$NODES old nodes Ready" 120 ready_nodes "$NODES" || kup_die "the hollow nodes did not start"
}
deploy() { # name replicas
	apply /apis/apps/v1/namespaces/shop/deployments "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",
	  \"metadata\":{\"name\":\"$1\"},\"spec\":{\"replicas\":$2,\"selector\":{\"matchLabels\":{\"app\":\"$1\"}},
	  \"template\":{\"metadata\":{\"labels\":{\"app\":\"$1\"}},\"spec\":{\"terminationGracePeriodSeconds\":1,
	  \"containers\":[{\"name\":\"c\",\"image\":\"registry.k8s.io/pause:3.2\"}]}}}}"
}
pdb() { # name field value
	apply /apis/policy/v1beta1/namespaces/shop/poddisruptionbudgets "{\"apiVersion\":\"policy/v1beta1\",
	  \"kind\":\"PodDisruptionBudget\",\"metadata\":{\"name\":\"$1\"},
	  \"spec\":{\"$2\":$3,\"selector\":{\"matchLabels\":{\"app\":\"$1\"}}}}"
}
ready_pods() { # "web api"
	$KUP_CURL -fsS "$KUP_API_URL/api/v1/namespaces/shop/pods" | jq -r '
	  [.items[] | select(.metadata.deletionTimestamp == null) |
	   select(any(.status.conditions[]?; .type == "Ready" and .status == "True")) | .metadata.labels.app] as $r |
	  [("web","api") as $a | ($r | map(select(. == $a)) | length)] | map(tostring) | join(" ")'
}
workloads_ready() { [ "$(ready_pods)" = "4 3" ]; }

fresh_pool 1
spare_json() { $KUP_CURL -fsS "$KUP_API_URL/api/v1/nodes?labelSelector=kupgrade.dev/pool%3Dspare"; }
spare_ready() { [ "$(spare_json | jq '[.items[] | select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length')" = 1 ]; }
wait_for "the spare pool's node Ready" 120 spare_ready || kup_die "the spare hollow node did not start"
kup_api_namespace shop
deploy web 4
pdb web maxUnavailable 1
deploy api 3
pdb api minAvailable 2
wait_for "every workload Ready" 120 workloads_ready || kup_die "the workloads did not become Ready"
kup_ok "workloads Ready on $NODES hollow nodes in $(($(date +%s) - T_START)) s"

# the spare pool, beside the rest (its roll runs while --abort and the main roll are tested): an upgrade command that always fails (5, 10, 20 s retries, ~35 s)
T_SPARE=$(date +%s)
( exec "$CLI" rollout run "${K[@]}" --pool spare --to 1.20 --provider exec \
	--upgrade "echo 'kubeadm: preflight failed (injected)' >&2; false {node} {version}" \
	--max-unavailable 1 --drain-timeout 60s --state "sqlite:$D/spare.db" -o json \
	>"$OUT/spare.json" 2>"$OUT/spare.err" ) &
spare_pid=$!

# ---- kill -9 once a node is cordoned, then --abort uncordons it (the upgrade command, were it
# reached, fails: the node would stay cordoned for --abort all the same) -----------------
( exec "$CLI" rollout run "${K[@]}" --pool general --to 1.20 --provider exec \
	--upgrade 'false {node} {version}' --max-unavailable 1 --drain-timeout 60s \
	--state "sqlite:$D/abort.db" >"$OUT/abort-0.out" 2>"$OUT/abort-0.err" ) &
pid=$!
cordoned() { [ "$(nodes_json | jq '[.items[] | select(.spec.unschedulable == true)] | length')" -ge 1 ]; }
wait_for "a drain started" 60 cordoned
kill -KILL "$pid"
wait "$pid" 2>/dev/null
# the killed roll's drain goes on (its own process group): its evictions end before --abort
drained() {
	local n
	n=$(nodes_json | jq -r '[.items[] | select(.spec.unschedulable == true) | .metadata.name][0]')
	[ "$($KUP_CURL -fsS "$KUP_API_URL/api/v1/namespaces/shop/pods?fieldSelector=spec.nodeName%3D$n" |
		jq '.items | length')" = 0 ]
}
wait_for "the drain of the killed roll ended" 60 drained
"$CLI" rollout run --state "sqlite:$D/abort.db" --abort >"$OUT/abort.out" 2>"$OUT/abort.err"
kup_expect_exit 0 $? "rollout run --abort"
kup_check "--abort: no node left cordoned" \
	test "$(nodes_json | jq '[.items[] | select(.spec.unschedulable == true)] | length')" = 0
kup_check "--abort: no node left with the kupgrade.dev/rollout taint" \
	test "$(nodes_json | jq '[.items[] | select(any(.spec.taints[]?; .key == "kupgrade.dev/rollout"))] | length')" = 0
kup_grep "$OUT/abort.out" "^old node node1-[0-9]+ left at v1.19" "--abort lists the old nodes left"
wait_for "workloads Ready again" 120 workloads_ready

# the watcher: Ready pods (web api) and the pool's Ready-and-schedulable nodes, every 250 ms
(
	while :; do
		n=$(nodes_json | jq '[.items[] | select(.spec.unschedulable != true) |
		      select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length')
		echo "$(date +%s.%N) $(ready_pods) $n"
		sleep 0.25
	done
) >"$OUT/watch" 2>/dev/null &
WATCH_PID=$!

# ---- the roll: the first upgrade fails, kill -9 once an upgrade ran, --resume ----------------
T_ROLL=$(date +%s)
echo 1 >"$D/fail-upgrades"
touch "$D/hold-upgrades"
( exec "$CLI" rollout run "${K[@]}" --pool general --to 1.20 --provider exec --upgrade "$UPGRADE" \
	--max-unavailable 2 --drain-timeout 60s --upgrade-timeout 90s --state "sqlite:$D/roll.db" \
	>"$OUT/roll-0.out" 2>"$OUT/roll-0.err" ) &
pid=$!
# the kill comes once the failure was seen (its retry recorded) and an upgrade command ran
upgraded_one() { grep -q "retry 1 of 3" "$OUT/roll-0.err" && grep -q " upgrade " "$D/provider.log"; }
wait_for "an upgrade failed and one ran" 120 upgraded_one
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rm -f "$D/hold-upgrades"
echo "harness: kill -9 of the roll after $(($(date +%s) - T_ROLL)) s" >&2
"$CLI" rollout run --state "sqlite:$D/roll.db" --resume -o json >"$OUT/roll-1.json" 2>"$OUT/roll-1.err"
rc=$?
kill "$WATCH_PID" 2>/dev/null
wait "$WATCH_PID" 2>/dev/null
echo "harness: the roll took $(($(date +%s) - T_ROLL)) s (kill -9 and --resume included)" >&2
kup_expect_exit 0 "$rc" "rollout run --upgrade --resume after kill -9"
[ "$rc" = 0 ] || tail -n 30 "$OUT/roll-1.err" >&2
kup_grep "$OUT/roll-1.err" "\(upgrade of a previous run\) settled: succeeded" \
	"--resume waits for the upgrade command the kill interrupted and takes it as run"
kup_grep "$OUT/roll-0.err" "upgrade command failed \(exit 1\): retry 1 of 3 in 5 s" \
	"the failing upgrade command is retried after 5 s"
kup_check "JSON: in place, $NODES old nodes upgraded, not failed, peak unavailable <= 2" \
	kup_jq "$OUT/roll-1.json" ".mode == \"in-place\" and .old_nodes == $NODES and .upgraded == $NODES and
		.failed == false and .peak_unavailable_nodes <= 2 and .pdb_violation_s == 0 and .makespan_s > 0"
kup_check "every node upgraded exactly once (the provider's log)" \
	test "$(awk '$2 == "upgrade" { print $3 }' "$D/provider.log" | sort | uniq -c | awk '$1 != 1' | wc -l)" = 0 -a \
	"$(awk '$2 == "upgrade" { print $3 }' "$D/provider.log" | sort -u | wc -l)" = "$NODES"
kup_check "one upgrade command failed (injected)" \
	test "$(awk '$2 == "upgrade-failed"' "$D/provider.log" | wc -l)" = 1
kup_check "the pool is its $NODES old names, each Ready at v1.20, uncordoned, without kupgrade's taint" \
	test "$(nodes_json | jq '[.items[] | select(.metadata.name | startswith("node1-")) |
		select(.status.nodeInfo.kubeletVersion | startswith("v1.20")) | select(.spec.unschedulable != true) |
		select(all(.spec.taints[]?; .key != "kupgrade.dev/rollout")) |
		select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length')" = "$NODES"
kup_check "web never below 3 Ready (maxUnavailable 1 of 4)" \
	awk 'NF == 4 && $2 < 3 { bad = 1 } END { exit bad }' "$OUT/watch"
kup_check "api never below 2 Ready (minAvailable 2)" \
	awk 'NF == 4 && $3 < 2 { bad = 1 } END { exit bad }' "$OUT/watch"
kup_check "never more than 2 of $NODES nodes unavailable" \
	awk -v n="$NODES" 'NF == 4 && n - $4 > 2 { bad = 1 } END { exit bad }' "$OUT/watch"
kup_check "the watcher saw a node cordoned (the roll was sampled)" \
	awk -v n="$NODES" 'NF == 4 && $4 < n { seen = 1 } END { exit !seen }' "$OUT/watch"
echo "harness: watcher: $(wc -l <"$OUT/watch") samples" >&2

wait "$spare_pid"
kup_expect_exit 3 $? "the spare pool's roll, whose upgrade command always fails, stops"
echo "harness: the failing roll took $(($(date +%s) - T_SPARE)) s" >&2
kup_check "its JSON: failed, nothing upgraded, the node and the retries named" \
	kup_jq "$OUT/spare.json" '.failed == true and .upgraded == 0 and
		(.reason | test("node spare-1: the upgrade command still failed after 3 retries"))'
kup_check "its log: the command retried 3 times (5, 10, 20 s)" \
	test "$(grep -cE "retry [123] of 3 in (5|10|20) s" "$OUT/spare.err")" = 3
kup_check "its node left cordoned at v1.19" \
	test "$(spare_json | jq '[.items[] | select(.spec.unschedulable == true) |
		select(.status.nodeInfo.kubeletVersion | startswith("v1.19"))] | length')" = 1
"$CLI" rollout run --state "sqlite:$D/spare.db" --abort >"$OUT/spare-abort.out" 2>&1
kup_expect_exit 0 $? "rollout run --abort of the failed roll"
kup_check "--abort uncordoned the failed roll's node" \
	test "$(spare_json | jq '[.items[] | select(.spec.unschedulable == true)] | length')" = 0

echo "harness: rollout_inplace took $(($(date +%s) - T_START)) s" >&2
kup_done
