#!/bin/bash
# tests/rollout/long-reason.sh KUPGRADE - `rollout run` keeps a drain's
# blocker and the roll's failure reason whole, whatever their length.
#
# struct kup_ro_run_result held them in char blocker[256] and reason[512],
# and the reason cut the node and PDB names at 100 characters: a PDB
# "namespace/name" can be 63 + 1 + 253 characters.  A stand-in API server
# (Python, plain HTTP) lists one old node (1.27) in pool p and one new node
# (1.28, what the provision command names), a pod on the old node and a
# PodDisruptionBudget of 317 characters ("ns/name") that refuses its
# eviction (429); the capi policy's drain (kupgrade drain, 2 s) fails naming
# it, and the roll fails on a node name of 253 characters.  The json result must carry both whole, and the text result too.
set -u
BIN=$(realpath "$1")
. "$(dirname "$0")/../lib/standin.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/kup-long-reason.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT
export NO_COLOR=1
fail=0
ff() { echo "rollout/long-reason.sh: FAIL: $*" >&2; fail=1; }

NS=$(printf 'n%.0s' $(seq 1 63))
PDB=$(printf 'b%.0s' $(seq 1 253))
OLD=old-$(printf 'o%.0s' $(seq 1 249))    # 253 characters, a node name's most
export OLD NS PDB

cat >"$T/server.py" <<'PY'
import http.server, json, os, sys

OLD, NS, PDB = os.environ["OLD"], os.environ["NS"], os.environ["PDB"]
META = {"resourceVersion": "1"}

def node(name, version, unsched=False):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kupgrade.dev/pool": "p",
                                                  "topology.kubernetes.io/zone": "z1"}},
            "spec": {"unschedulable": unsched},
            "status": {"nodeInfo": {"kubeletVersion": version},
                       "conditions": [{"type": "Ready", "status": "True"}]}}

POD = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "web-0", "namespace": NS, "uid": "u1", "labels": {"app": "web"},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                         "name": "web", "uid": "r1", "controller": True}]},
       "spec": {"nodeName": OLD, "containers": [{"name": "c", "image": "i"}]},
       "status": {"phase": "Running"}}
BUDGET = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
          "metadata": {"name": PDB, "namespace": NS},
          "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
          "status": {"disruptionsAllowed": 0, "currentHealthy": 1, "desiredHealthy": 1,
                     "expectedPods": 1}}

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, doc):
        b = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n)

    def do_GET(self):
        p, _, q = self.path.partition("?")
        if p == "/version":
            self.send(200, {"major": "1", "minor": "28", "gitVersion": "v1.28.3"})
        elif p == "/apis/policy":
            self.send(200, {"kind": "APIGroup", "name": "policy",
                            "versions": [{"groupVersion": "policy/v1", "version": "v1"}],
                            "preferredVersion": {"groupVersion": "policy/v1", "version": "v1"}})
        elif p == "/apis/policy/v1":
            self.send(200, {"kind": "APIResourceList", "groupVersion": "policy/v1",
                            "resources": [{"name": "poddisruptionbudgets", "namespaced": True,
                                           "kind": "PodDisruptionBudget", "verbs": ["list"]}]})
        elif p == "/api/v1/nodes":
            self.send(200, {"kind": "NodeList", "apiVersion": "v1", "metadata": META,
                            "items": [node(OLD, "v1.27.9"), node("new-1", "v1.28.3")]})
        elif p.startswith("/api/v1/nodes/"):
            self.send(200, node(p[len("/api/v1/nodes/"):], "v1.27.9"))
        elif p.endswith("/pods"):
            items = [POD] if OLD in q or "nodeName" not in q else []
            self.send(200, {"kind": "PodList", "apiVersion": "v1", "metadata": META,
                            "items": items})
        elif p.endswith("/poddisruptionbudgets"):
            self.send(200, {"kind": "PodDisruptionBudgetList", "apiVersion": "policy/v1",
                            "metadata": META, "items": [BUDGET]})
        else:
            self.send(404, {"kind": "Status", "status": "Failure", "code": 404,
                            "reason": "NotFound", "message": "not found"})

    def do_POST(self):
        self.body()
        if self.path.endswith("/eviction"):
            self.send(429, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                            "code": 429, "reason": "TooManyRequests",
                            "message": "Cannot evict pod as it would violate the pod's "
                                       "disruption budget."})
        else:
            self.send(404, {"kind": "Status", "status": "Failure", "code": 404})

    def do_PATCH(self):
        self.body()
        self.send(200, node(self.path.split("?")[0].rsplit("/", 1)[-1], "v1.27.9", True))

    def do_DELETE(self):
        self.send(200, {"kind": "Status", "status": "Success"})

s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + "/port.tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(sys.argv[1] + "/port.tmp", sys.argv[1] + "/port")
s.serve_forever()
PY
python3 "$T/server.py" "$T" &
pid=$!
standin_wait "$T" || { echo "rollout/long-reason.sh: the stand-in server did not start" >&2; exit 1; }
standin_kubeconfig "$T" t

run() {   # run FORMAT: the roll from scratch, stdout $T/out.FORMAT
	rm -f "$T/state.db"*
	(cd "$T" && timeout 120 "$BIN" rollout run --kubeconfig "$T/kubeconfig" --pool p --to 1.28 \
		--provider exec --policy capi --max-surge 1 --max-unavailable 1 \
		--provision 'echo new-1' --retire 'true' --drain-timeout 2s \
		--state "sqlite:$T/state.db" -q -o "$1" >"$T/out.$1" 2>"$T/err.$1")
	echo $? >"$T/rc.$1"
}

run json
python3 - "$T/out.json" "$NS/$PDB" "$OLD" <<'PY' || fail=1
import json, sys
doc = json.load(open(sys.argv[1]))
want_blocker, old = sys.argv[2], sys.argv[3]
bad = []
if doc.get("failed") is not True:
    bad.append("the roll did not fail: %r" % doc)
if doc.get("blocker") != want_blocker:
    bad.append("blocker is %d characters, not the PDB's %d: %r"
               % (len(doc.get("blocker") or ""), len(want_blocker), doc.get("blocker")))
r = doc.get("reason") or ""
if old not in r or want_blocker not in r:
    bad.append("the reason lacks the whole node or PDB name (%d characters): %r" % (len(r), r))
for b in bad:
    print("rollout/long-reason.sh: FAIL: json: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
[ "$(cat "$T/rc.json")" = 3 ] || ff "json: exit code $(cat "$T/rc.json"), expected 3 ($(cat "$T/err.json"))"

run text
grep -qF "blocked by PodDisruptionBudget $NS/$PDB" "$T/out.text" || ff "text: the blocker is not whole: $(cat "$T/out.text")"
grep -qF "drain of $OLD failed" "$T/out.text" || ff "text: the reason lacks the node name: $(cat "$T/out.text")"

[ "$fail" = 0 ] && echo "ok: rollout run keeps a ${#PDB}+${#NS}-character blocker and the reason whole"
exit "$fail"
