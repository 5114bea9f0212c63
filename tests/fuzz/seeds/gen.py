#!/usr/bin/env python3
"""Seeds the corpora of fuzz_discovery, fuzz_drain, fuzz_store, fuzz_cli and fuzz_ignore
(at least 50 inputs each): python3 tests/fuzz/seeds/gen.py [CORPUS_DIR].
Deterministic (seeded), so running it again gives the same files."""
import hashlib, json, os, random, sys

top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', 'corpus')
rng = random.Random(11)
SEP = '\n~~\n'

def save(target, data):
    d = os.path.join(top, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    name = 'seed-' + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)

def resp(status, body, retry=None):
    head = '%03d' % status + (',%d' % retry if retry is not None else '')
    return head + '\n' + (body if isinstance(body, str) else json.dumps(body))

VERSION = {"major": "1", "minor": "20", "gitVersion": "v1.20.2", "platform": "linux/amd64"}
API = {"kind": "APIVersions", "versions": ["v1"]}
def apis(groups):
    return {"kind": "APIGroupList", "groups": [
        {"name": g, "versions": [{"groupVersion": g + "/" + v, "version": v} for v in vs],
         "preferredVersion": {"groupVersion": g + "/" + vs[0], "version": vs[0]}} for g, vs in groups]}
def reslist(gv, rs):
    return {"kind": "APIResourceList", "groupVersion": gv, "resources": [
        {"name": n, "kind": k, "namespaced": ns, "verbs": verbs} for n, k, ns, verbs in rs]}
LV = ["create", "delete", "get", "list", "patch", "update", "watch"]
CORE = reslist("v1", [("pods", "Pod", True, LV), ("nodes", "Node", False, LV),
                      ("pods/eviction", "Eviction", True, ["create"]), ("secrets", "Secret", True, LV)])
GROUPS = [("apps", ["v1"]), ("policy", ["v1", "v1beta1"]), ("extensions", ["v1beta1"]),
          ("batch", ["v1", "v1beta1"]), ("metrics.k8s.io", ["v1beta1"])]
GROUP_RES = {
    "apps/v1": [("deployments", "Deployment", True, LV), ("daemonsets", "DaemonSet", True, LV)],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget", True, LV)],
    "policy/v1beta1": [("poddisruptionbudgets", "PodDisruptionBudget", True, LV),
                       ("podsecuritypolicies", "PodSecurityPolicy", False, LV)],
    "extensions/v1beta1": [("ingresses", "Ingress", True, LV), ("deployments", "Deployment", True, LV)],
    "batch/v1": [("jobs", "Job", True, LV)],
    "batch/v1beta1": [("cronjobs", "CronJob", True, LV)],
    "metrics.k8s.io/v1beta1": [("nodes", "NodeMetrics", False, ["get", "list"])],
}

def discovery(groups=GROUPS, mutate=None):
    rs = [resp(200, VERSION), resp(200, API), resp(200, apis(groups)), resp(200, CORE)]
    for g, vs in groups:
        for v in vs:
            gv = g + "/" + v
            rs.append(resp(200, reslist(gv, GROUP_RES.get(gv, []))))
    if mutate:
        rs = mutate(rs)
    return rs

def mutations(rs):
    out = []
    for i in range(len(rs)):
        for bad in ['500\n{"kind":"Status","message":"boom"}', '503\n', '000\n', '404\n',
                    '200\n{', '200\nnull', '200\n[]', '200\n{"versions":7}',
                    '200\n{"groups":[{"name":null}]}', '429,1\n', '200\n' + '{"a":' * 40]:
            out.append(rs[:i] + [bad] + rs[i + 1:])
    return out

# ---- discovery --------------------------------------------------------------------------
base = discovery()
save('fuzz_discovery', SEP.join(base))
save('fuzz_discovery', SEP.join(discovery(GROUPS[:1])))
save('fuzz_discovery', SEP.join(discovery([])))
muts = mutations(base)
rng.shuffle(muts)
for m in muts[:60]:
    save('fuzz_discovery', SEP.join(m))
save('fuzz_discovery', SEP.join(base[:2]))
save('fuzz_discovery', '')
save('fuzz_discovery', resp(200, {"gitVersion": "v1.33.1", "major": "1", "minor": "33+"}))

# ---- drain ------------------------------------------------------------------------------
def pod(name, ns="x", labels=None, owner="ReplicaSet", node="n1", extra=None):
    p = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "uid": "u-" + name,
         "labels": labels or {"app": "web"}}, "spec": {"nodeName": node, "containers": [{"name": "c"}]}}
    if owner:
        p["metadata"]["ownerReferences"] = [{"kind": owner, "name": "o", "controller": True}]
    if extra:
        p["spec"].update(extra)
    return p
def plist(items, cont=None):
    m = {"resourceVersion": "1"}
    if cont:
        m["continue"] = cont
    return {"kind": "PodList", "apiVersion": "v1", "metadata": m, "items": items}
def pdb(name, app, allowed, ns="x", status=True):
    b = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name, "namespace": ns},
         "spec": {"selector": {"matchLabels": {"app": app}}}}
    if status:
        b["status"] = {"disruptionsAllowed": allowed}
    return b
NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "spec": {}}
STATUS429 = {"kind": "Status", "status": "Failure", "code": 429, "reason": "TooManyRequests",
             "message": "Cannot evict pod as it would violate the pod's disruption budget.",
             "details": {"causes": [{"reason": "DisruptionBudget", "message": "The disruption budget web needs 1 healthy pods"}]}}
scen = []
pods_sets = [
    [pod("web-1"), pod("web-2")],
    [pod("web-1"), pod("db-1", labels={"app": "db"})],
    [pod("ds-1", owner="DaemonSet"), pod("lonely", owner=None)],
    [pod("scratch", extra={"volumes": [{"name": "v", "emptyDir": {}}]})],
    [pod("mirror", owner=None) | {}],
    [pod("a%d" % i, ns="ns%d" % (i % 3)) for i in range(12)],
    [],
]
pods_sets[4][0]["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "x"}
pdb_sets = [[pdb("web", "web", 1)], [pdb("web", "web", 0)], [pdb("web", "web", 2), pdb("db", "db", 0)],
            [pdb("nostat", "web", 0, status=False)], [],
            [pdb("web", "web", 1), pdb("wide", "web", 5), pdb("other", "web", 1, ns="y")]]
tails = [
    [resp(200, "{}")] + [resp(201, {"kind": "Status", "status": "Success"})] * 3 + [resp(404, "")] * 4,
    [resp(200, "{}")] + [resp(429, STATUS429, 1)] * 3 + [resp(200, pod("web-1"))] * 3,
    [resp(200, "{}"), resp(500, {"kind": "Status", "message": "etcd down"})],
    [resp(200, "{}"), resp(201, "{}"), resp(200, pod("web-1") | {"metadata": {"uid": "new"}})],
    [resp(403, {"kind": "Status", "message": "forbidden"})],
    [resp(200, "{}"), resp(404, ""), resp(409, "conflict")],
]
for dry in (0, 1):
    for i, ps in enumerate(pods_sets):
        for j, bs in enumerate(pdb_sets):
            if (i + j) % 2:
                continue
            # what drain asks: /version, /apis/policy, the node, its pods, the budgets, then
            # cordon, evictions and the polls that wait for pods to go
            policy = {"kind": "APIGroup", "name": "policy", "versions": [
                {"groupVersion": "policy/v1", "version": "v1"}, {"groupVersion": "policy/v1beta1", "version": "v1beta1"}]}
            ver = dict(VERSION, minor=rng.choice(["20", "21", "25"]))
            head = [resp(200, ver), resp(200, policy)]
            seq = head + [resp(200, NODE), resp(200, plist(ps)), resp(200, {"kind": "PodDisruptionBudgetList", "items": bs})]
            seq += tails[(i + j) % len(tails)]
            flags = dry | (rng.randrange(64) & ~1)
            save('fuzz_drain', bytes([flags]) + SEP.join(seq).encode())
for k in range(8):
    seq = [resp(200, VERSION), resp(404, ""), resp(404, {"kind": "Status", "message": "nodes \"n1\" not found"})]
    seq = seq[:rng.randrange(len(seq))] + ['200\n{"items":[' * rng.randrange(1, 5)]
    save('fuzz_drain', bytes([rng.randrange(256)]) + SEP.join(seq).encode())

# ---- store rows -------------------------------------------------------------------------
rows = [
    ["c|a|dev|pending|1.29|1.31|||||0|0", "c|b|prod|running|1.30|1.31|control-plane 1.30 -> 1.31|||1|1|5"],
    ["c|a|dev|failed|1.29|1.31||x\ny|boom|9|3|1", "w|dev|0|halted|1|0|0|||1|failure|1"],
    ["c|a|nowave|done|1.31|1.31", "c|zz|dev|blocked|v1.29.3|1.31||istio 1.13\ncert-manager||0|0|0"],
    ["w|dev|0|soaking|1790000000000|0|1790003600000||0|0||0", "w|prod|1|pending|0|0|0|alice|1790000000000|0||0"],
    ["s|a|0|0|control-plane|control-plane|1.29|1.30|started|0|4242|1|0|-1||holder-1",
     "s|a|0|1|nodepool|general|1.29|1.30|failed|1|0|1|2|7|\x1b[31mred\x1b[0m|h"],
    ["e|1|a|dev|step-failed|it broke|7|tail\ntail|op", "e|2|||clock|{\"scale\":3600,\"origin\":1}|||",
     "e|3|a|dev|approved|||", "e|abc|a|dev|x|y|notanumber"],
    ["l|a|holder-1|1790000030000", "l|b|holder-2|0", "f|paused|1|bob|1", "f|paused|0|bob|2"],
    ["c|a|dev|pending|1.29|1.31|||||-5|-1|abc", "c|b|prod|pending|junk|1.31|||||99999999999999999999|0|1"],
    ["c|~|~|pending|~|~|~|~|~", "w|~|x|pending", "e|~|~|~|~|~|~|~|~"],
    ["s|b|1|0|control-plane|control-plane|1.30|1.31|succeeded|1|0|1|2|0", "c|b|prod|running|1.31|1.31"],
]
for r in rows:
    save('fuzz_store', '\n'.join(r) + '\n')
pool = [x for r in rows for x in r]
for k in range(50):
    save('fuzz_store', '\n'.join(rng.sample(pool, rng.randrange(1, 8))) + '\n')

# ---- CLI option lines ---------------------------------------------------------------------
cli = [
    "scan x.yaml --to 1.25 -o csv", "scan --to 1.x", "scan --target-versions cert-manager=1.12,istio=1.8",
    "scan --target-versions =1", "scan --from 1.30 --to 1.20", "scan --fail-on deprecated",
    "scan --fail-on bogus", "scan -o sarif --show-undecided --all-revisions", "scan --preflight --to 1.31",
    "scan --preflight --registries a,b,c", "scan --context c -v -v -n ns -A --request-timeout 0",
    "scan --request-timeout 99999999", "scan --kb kbdir", "fix --to 1.25 --diff --write",
    "fix --to 1.25 --check", "fix --backup", "fix x.yaml --to 1.25 --stdout", "plan p.yaml --to 1.31 -o html",
    "plan --to", "plan p.yaml --to 1.31 --manifests m --dump d.json --chart-index c.yaml",
    "plan p.yaml --to 1.31 --keep-nodes --provider eks", "profile --from-dump d.json --name n -o json",
    "profile --context c", "rollout simulate s.yaml --policy all --seeds 0", "rollout simulate s.yaml --seeds -3",
    "rollout simulate s.yaml --budget 10% --pre-scale -o csv", "rollout plan s.yaml -o json",
    "rollout scenario --from-dump d.json", "rollout policies", "rollout bogus",
    "fleet status f.yaml --store sqlite:s.db -o json", "fleet status f.yaml --now 2026-11-21T02:00:00Z",
    "fleet status f.yaml --now 2026-13-99T99:99:99Z", "fleet events --since abc --cluster a -o json",
    "fleet pause prod --reason maintenance --by alice --store sqlite:s.db", "fleet resume --store sqlite:s.db",
    "fleet approve --store sqlite:s.db", "fleet retry a b c", "fleet plan f.yaml --time-scale 0",
    "fleet plan f.yaml --time-scale 1e9 --tick 10x", "fleet report f.yaml out.html -o pdf",
    "fleet validate f.yaml", "fleet bogus", "drain n1 --dry-run --timeout 5m --on-timeout force",
    "drain n1 --timeout 5x --backoff -1s", "drain --grace-period abc", "drain n1 -o json --force --delete-emptydir-data",
    "snapshot -o s.json --context c", "snapshot", "kb list", "kb validate kbdir", "kb plan validate",
    "kb", "version", "help", "--help", "bogus", "scan --help", "fix -h", "plan -h", "fleet -h",
]
for line in cli:
    save('fuzz_cli', '\0'.join(line.split(' ')))

# fuzz_ignore: byte 0 the chunk seed, then manifests with inline ignore comments
# in every place a section can hold one (the tap and the re-read must agree)
OBJS = [("extensions/v1beta1", "Ingress"), ("apps/v1beta2", "Deployment"),
        ("policy/v1beta1", "PodSecurityPolicy"), ("batch/v1beta1", "CronJob"), ("v1", "ConfigMap")]
COMMENTS = ["# kupgrade:ignore kubernetes/{g}/{k} reason given",
            "# kupgrade:ignore kubernetes/*/{k}",
            "# kupgrade:ignore kubernetes/{g}/Other not this one",
            "  # kupgrade:ignore kubernetes/{g}/{k}",
            "#kupgrade:ignore kubernetes/{g}/{k} no space",
            "# kupgrade:ignore",
            "# kupgrade:ignore kubernetes/{g}/{k} " + "long " * 150,
            "# plain comment, no marker"]
def ign_doc(g, k, i, where, comment):
    lines = ["apiVersion: %s" % g, "kind: %s" % k, "metadata:", "  name: o%d" % i]
    c = comment.format(g=g.replace('/', '/') if '/' in g else 'core/' + g, k=k)
    lines.insert(where % (len(lines) + 1), c)
    return lines
for n in range(60):
    docs = []
    for i in range(rng.randrange(1, 5)):
        g, k = rng.choice(OBJS)
        docs.append('\n'.join(ign_doc(g, k, i, rng.randrange(6), rng.choice(COMMENTS))))
    sep = rng.choice(['\n---\n', '\n--- \n', '\n---\n\n', '\r\n---\r\n', '\n--- # kupgrade:ignore kubernetes/*/*\n'])
    text = sep.join(docs) + rng.choice(['', '\n', '\n---\n', '\n# kupgrade:ignore kubernetes/*/* trailing'])
    if n % 7 == 3:
        text = text.replace('\n', '\r\n')
    save('fuzz_ignore', bytes([rng.randrange(256)]) + text.encode())
print('seeded', top)
