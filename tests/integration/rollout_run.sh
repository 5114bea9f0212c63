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
#   calibration: the cluster before the kupgrade roll through `rollout scenario --context`,
#     its timings set to those measured in the roll (node provision to Ready, pod
#     creation to Ready, drain end to retire), then `rollout simulate --policy kupgrade`:
#     simulated against measured makespan printed (CALIBRATION; target within +-25%,
#     printed, not asserted: a timing on a shared machine);
#   provision retries: the first two provision commands of a roll fail, the roll
#     retries them (5 s, 10 s) and completes; a provision command that always fails
#     stops the roll after 3 retries, named;
#   a workload whose replacement never becomes Ready (pinned to old nodes): the last
#     old node is retired only after the drain timeout, said so (ready-timeout).
# Knobs: KUP_ROLLOUT_NODES (12, a multiple of 3: the kupgrade / capi comparison and the
# calibration), KUP_ROLLOUT_FAULT_NODES (6: kill -9 + resume, abort, PDB at 0, retries;
# 2 per zone keeps CI time down), KUP_ROLLOUT_KILLS (3), KUP_ROLLOUT_POLICIES ("kupgrade capi":
# the policies compared; bench/rollout_live.sh adds eks), KUP_ROLLOUT_PHASES ("compare faults":
# bench/rollout_live.sh runs one of them).
# Usage (ctest): rollout_run.sh KUPGRADE_CLI BUILD_DIR
set -u
CLI="$1"
. "$(dirname "$0")/lib/apiserver.sh"
. "$(dirname "$0")/lib/hollow.sh"
MAIN_NODES=${KUP_ROLLOUT_NODES:-12}
FAULT_NODES=${KUP_ROLLOUT_FAULT_NODES:-6}
NODES=$MAIN_NODES
KILLS=${KUP_ROLLOUT_KILLS:-3}
POLICIES=${KUP_ROLLOUT_POLICIES:-kupgrade capi}
PHASES=${KUP_ROLLOUT_PHASES:-compare faults}
phase() { case " $PHASES " in *" $1 "*) return 0 ;; esac; return 1; }
T_START=$(date +%s)

hollow_setup

# The exec provider: start and stop hollow-node processes; every action logged.
cat >"$D/provider.sh" <<EOF
#!/bin/bash
# provider.sh provision POOL ZONE VERSION | retire NODE | old NAME ZONE
set -u
D="$D"
BIN="$BIN"
. "$KUP_SRC_DIR/tests/integration/lib/hollow-node.sh"
start() { # name zone binary gen
	hollow_start "\$1" "\$2" "\$3" "kupgrade.dev/pool=general,gen=\$4"
}
case "\$1" in
old) start "\$2" "\$3" "\$BIN/kubemark-1.19" old ;;
provision)
	# \$D/fail-provisions: that many provision commands fail first (a counter)
	exec 9>"\$D/fail-provisions.lock"
	flock 9
	f=\$(cat "\$D/fail-provisions" 2>/dev/null || echo 0)
	if [ "\$f" -gt 0 ]; then
		echo \$((f - 1)) >"\$D/fail-provisions"
		echo "\$(date +%s.%N) provision-failed zone=\$3" >>"\$D/provider.log"
		echo "quota exceeded (injected)" >&2
		exit 1
	fi
	exec 9>&-
	n=new-\$(date +%s%N | cut -c8-16)-\$RANDOM
	echo "\$(date +%s.%N) provision \$n zone=\$3 version=\$4" >>"\$D/provider.log"
	start "\$n" "\$3" "\$BIN/kubemark" new
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

# calibrate SCENARIO JSON ERR T0: the timings measured in the kupgrade roll put into the
# scenario `rollout scenario --context` wrote before it, then `rollout simulate` against the
# measured makespan.  Node provision: the provider's log line to the Node's Ready transition;
# pod start: creation to Ready (the replacements made during the roll); drain overhead: what a
# node took from kupgrade's "drain ... started" line to its "retired" line beyond the pods'
# grace period (2 s): hollow kubelets take seconds to report a pod gone, the drain command
# starts a process, and the PDB waits inside a drain are counted here too (pods start in about
# 1 s, so they are short).  Seconds resolution (the API's timestamps, the log's stamps).
calibrate() {
	local scen="$1" json="$2" err="$3" t0="$4"
	nodes_json >"$OUT/cal-nodes.json"
	$KUP_CURL -fsS "$KUP_API_URL/api/v1/namespaces/shop/pods" >"$OUT/cal-pods.json"
	python3 - "$scen" "$D/provider.log" "$OUT/cal-nodes.json" "$OUT/cal-pods.json" "$err" "$t0" \
		>"$OUT/calibrated.yaml" 2>"$OUT/calibrate.err" <<'EOF'
import json, sys, re, datetime
scen, plog, nodes, pods, err, t0 = sys.argv[1:7]
t0 = float(t0)
def ts(s): return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
def dist(v):
    v = sorted(v)
    if not v: sys.exit("no samples")
    med = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    p90 = v[min(len(v) - 1, int(0.9 * len(v)))]
    return "{median: %.1f, p90: %.1f}" % (max(med, 0), max(p90, med, 0)), len(v)
prov = {}
for line in open(plog):
    f = line.split()
    if len(f) >= 3 and f[1] == "provision": prov[f[2]] = float(f[0])
pv = []
for n in json.load(open(nodes))["items"]:
    name = n["metadata"]["name"]
    for c in n["status"].get("conditions", []):
        if c["type"] == "Ready" and c["status"] == "True" and name in prov:
            pv.append(ts(c["lastTransitionTime"]) - prov[name])
sv = []
for p in json.load(open(pods))["items"]:
    if p["metadata"].get("labels", {}).get("app") == "agent": continue
    c0 = ts(p["metadata"]["creationTimestamp"])
    if c0 < t0 - 1: continue
    for c in p["status"].get("conditions", []):
        if c["type"] == "Ready" and c["status"] == "True":
            sv.append(ts(c["lastTransitionTime"]) - c0)
drained, ov = {}, []
def sec(h): a, b, c = map(int, h.split(":")); return a * 3600 + b * 60 + c
for line in open(err):
    m = re.match(r"(\d\d:\d\d:\d\d) rollout: (?:step \d+: drain (\S+) started|node (\S+) retired$)", line.strip())
    if not m: continue
    if m.group(2): drained[m.group(2)] = sec(m.group(1))
    elif m.group(3) in drained: ov.append(max(0, (sec(m.group(1)) - drained[m.group(3)]) % 86400 - 2))
(dp, np_), (ds, ns_), (do, no_) = dist(pv), dist(sv), dist(ov)
print("measured: nodeProvision %s (%d nodes), podStart %s (%d pods), nodeDrainOverhead %s (%d nodes)"
      % (dp, np_, ds, ns_, do, no_), file=sys.stderr)
out, skip = [], False
for line in open(scen):
    if line.startswith("  timings:"):
        out.append("  limits: {maxSurgeNodes: 3, maxUnavailableNodes: 0}\n")
        out.append("  timings:\n    nodeProvision: %s\n    nodeDrainOverhead: %s\n    podStart: %s\n"
                   "    evictionRetry: 1\n" % (dp, do, ds))
        skip = True
        continue
    if skip and line.startswith("    "): continue
    skip = False
    out.append(line)
sys.stdout.write("".join(out))
EOF
	kup_check "calibration: the measured timings put into the scenario" test -s "$OUT/calibrated.yaml"
	cat "$OUT/calibrate.err" >&2
	"$CLI" rollout simulate "$OUT/calibrated.yaml" --policy kupgrade --seeds 20 -o csv \
		>"$OUT/calibrated.csv" 2>"$OUT/calibrated-sim.err"
	kup_expect_exit 0 $? "rollout simulate on the calibrated scenario"
	local sim meas
	sim=$(awk -F, 'NR == 2 { print $3 }' "$OUT/calibrated.csv")
	meas=$(jq .makespan_s "$json")
	echo "harness: CALIBRATION kupgrade $NODES hollow nodes: simulated median $sim s (20 seeds)," \
		"measured $meas s: simulated / measured $(awk -v a="$sim" -v b="$meas" 'BEGIN { printf "%.2f", a / b }')" \
		"(target 0.75-1.25)" >&2
}

# ---- 1, 2: kupgrade and capi (and eks: bench/rollout_live.sh), the same budget (3 surge, 0 unavailable)
FIRST=1
for pol in $POLICIES; do
	phase compare || break
	[ "$FIRST" = 1 ] || { fresh_pool; wait_for "workloads Ready again" 240 workloads_ready; }
	FIRST=0
	if [ "$pol" = kupgrade ]; then
		"$CLI" rollout scenario --context admin --kubeconfig "$KUP_KUBECONFIG" >"$OUT/scenario.yaml" \
			2>"$OUT/scenario.err"
		kup_expect_exit 0 $? "rollout scenario --context (the cluster before the roll)"
		"$CLI" rollout plan "$OUT/scenario.yaml" --max-surge 3 --max-unavailable 0 -o json \
			>"$OUT/plan.json" 2>"$OUT/plan.err"
		kup_check "rollout plan on that scenario names the cluster's $NODES old nodes, each once" \
			kup_jq "$OUT/plan.json" "[.steps[].nodes[]] | (length == $NODES) and (unique | length == $NODES)
				and all(test(\"^old$POOL_ROUND-[0-9]+\$\"))"
	fi
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
		"pdb violation $(jq .pdb_violation_s "$OUT/$pol.json") s, peak extra $(jq .peak_extra_nodes "$OUT/$pol.json"))" >&2
	[ "$pol" = kupgrade ] && calibrate "$OUT/scenario.yaml" "$OUT/$pol.json" "$OUT/$pol.err" "$t0"
done

if ! phase faults; then
	echo "harness: rollout_run took $(($(date +%s) - T_START)) s ($PHASES)" >&2
	kup_done
fi
# the fault phases on a smaller pool (CI time)
NODES=$FAULT_NODES

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
# legacy: its replacement fits only old nodes (gen=old), so once the last old node is
# drained it never becomes Ready again. Never on pinned's node: that node is quarantined, not
# retired, so a legacy pod evicted from it holds no retire (a CI run failed so, by the draw of placement)
apply /apis/apps/v1/namespaces/shop/deployments "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",
  \"metadata\":{\"name\":\"legacy\"},\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"legacy\"}},
  \"template\":$(tmpl legacy | jq -c '.spec.nodeSelector = {"gen": "old"} |
    .spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution = [{
      "labelSelector": {"matchLabels": {"app": "pinned"}}, "topologyKey": "kubernetes.io/hostname"}]')}}"
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
echo 2 >"$D/fail-provisions"
run pdb0 kupgrade "$D/pdb0.db" --drain-timeout 40s -o json >"$OUT/pdb0.json" 2>"$OUT/pdb0.err"
kup_expect_exit 3 $? "kupgrade with a PDB at 0 finishes with a quarantined node"
kup_grep "$OUT/pdb0.err" "the provision command failed \(exit 1\): retry 1 of 3 in 5 s" \
	"a failed provision command is retried after 5 s"
kup_check "the provider's log shows the 2 failed provisions, then one per old node" \
	test "$(grep -c ' provision-failed ' "$D/provider.log")" = 2 -a \
	"$(grep -c ' provision ' "$D/provider.log")" = "$NODES"
kup_grep "$OUT/pdb0.err" "shop/ReplicaSet/legacy-[a-z0-9]* not Ready [0-9]* s after the drain: retiring the node anyway" \
	"a workload never Ready again holds a retire for the drain timeout, then is named"
kup_check "kupgrade: the pinned node quarantined, every other one replaced" \
	kup_jq "$OUT/pdb0.json" ".quarantined >= 1 and .failed == false and .replaced + .quarantined == $NODES"
kup_grep "$OUT/pdb0.err" "blocked by PodDisruptionBudget shop/pinned .*quarantined" \
	"kupgrade names PodDisruptionBudget shop/pinned"
kup_check "kupgrade: the budget held (peak extra <= 3, peak unavailable 0)" \
	kup_jq "$OUT/pdb0.json" ".peak_extra_nodes <= 3 and .peak_unavailable_nodes == 0"

# ---- 6: a provision command that always fails: 3 retries, then the roll stops, said so ---------
# run on a terminal (script(1)'s pty, stdout to a file): the redrawn status line on stderr too
"$CLI" rollout run --state "sqlite:$D/pdb0.db" --abort >/dev/null 2>&1
fresh_pool
echo 100 >"$D/fail-provisions"
PF=("$CLI" rollout run "${K[@]}" --pool general --to 1.20 --provider exec --provision "$PROVISION"
	--retire "$RETIRE" --max-surge 3 --max-unavailable 0 --policy kupgrade --state "sqlite:$D/provfail.db"
	-o json)
if command -v script >/dev/null; then
	script -qec "$(printf '%q ' "${PF[@]}") >'$OUT/provfail.json'; echo rc=\$? >'$OUT/provfail.rc'" \
		/dev/null >"$OUT/provfail.err" 2>&1
	rc=$(sed -n 's/^rc=//p' "$OUT/provfail.rc")
	kup_grep "$OUT/provfail.err" $'\r'"0/$NODES replaced, 0 draining, 0 waiting for workloads, [0-9] provisioning, 0 new Ready" \
		"rollout run on a terminal: the status line, redrawn"
	kup_grep "$OUT/provfail.err" $'\r\033\\[K' "rollout run on a terminal: the status line cleared at the end"
else
	"${PF[@]}" >"$OUT/provfail.json" 2>"$OUT/provfail.err"
	rc=$?
fi
kup_expect_exit 3 "$rc" "a provision command that always fails stops the roll"
kup_check "the roll failed after 3 retries, the provision command named" \
	kup_jq "$OUT/provfail.json" '.failed == true and (.reason | test("provision command still failed after 3 retries"))'
kup_grep "$OUT/provfail.err" "retry 3 of 3 in 20 s" "the retries back off: 5, 10, 20 s"
# the first round is 3 commands at once (maxSurgeNodes 3), then one per retry
kup_check "6 provision commands ran (3, then 1 per retry), none succeeded" \
	test "$(grep -c ' provision-failed ' "$D/provider.log")" = 6 -a "$(grep -c ' provision ' "$D/provider.log")" = 0
rm -f "$D/fail-provisions"

echo "harness: rollout_run took $(($(date +%s) - T_START)) s with $NODES nodes" >&2
kup_done
