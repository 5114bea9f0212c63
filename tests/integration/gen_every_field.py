#!/usr/bin/env python3
"""gen_every_field.py - seeded objects that set every field of the old APIs fix converts.

The field source is the running kube-apiserver's own OpenAPI (/openapi/v2):
for each old apiVersion+kind it serves, every property of its definition is
set, recursively (one item per list, one key per map), with a seeded value of
the property's type.  The workload APIs 1.20 no longer serves
(extensions/v1beta1, apps/v1beta1, apps/v1beta2) take the apps/v1 definition
of the same kind, whose fields are theirs, plus the fields only the old
versions have (k8s.io/api extensions/v1beta1 and apps/v1beta1 types.go:
spec.rollbackTo of Deployments, spec.templateGeneration of extensions
DaemonSets).

Validity is the server's to decide, not guessed: each object is created with
dryRun=All (the workloads after kubectl-convert, through apps/v1) and every
field the server refuses is taken out again (an unsupported value is
replaced by the first of the values the server lists; a required field that
is missing takes its parent out), until the server accepts the object or 60
rounds pass (the object is then counted as refused and not written).  For
each accepted object a second one is written with a seeded third of its
optional fields set to an explicit null (again checked by the server).

Usage: gen_every_field.py OPENAPI.json OUTDIR SEED COUNT KUBECTL_CONVERT CSR_PEM_B64
Environment: KUP_API_URL, KUP_API_TOKEN, KUP_API_CA.
Writes OUTDIR/gen-KIND-SEED-N.yaml (one object each) and prints a summary:
per kind the objects written, refused, and the fields (schema paths, list
indices dropped) set in the accepted objects against those generated.
"""
import json
import os
import random
import re
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

MAX_DEPTH = 14
ROUNDS = 60

# (old apiVersion, kind, OpenAPI definition, via apps/v1 kubectl-convert)
OLD_KINDS_ALL = [
    ("extensions/v1beta1", "Ingress", "io.k8s.api.extensions.v1beta1.Ingress", False),
    ("networking.k8s.io/v1beta1", "Ingress", "io.k8s.api.networking.v1beta1.Ingress", False),
    ("networking.k8s.io/v1beta1", "IngressClass", "io.k8s.api.networking.v1beta1.IngressClass", False),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole", "io.k8s.api.rbac.v1beta1.ClusterRole", False),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding", "io.k8s.api.rbac.v1beta1.ClusterRoleBinding", False),
    ("rbac.authorization.k8s.io/v1beta1", "Role", "io.k8s.api.rbac.v1beta1.Role", False),
    ("rbac.authorization.k8s.io/v1beta1", "RoleBinding", "io.k8s.api.rbac.v1beta1.RoleBinding", False),
    ("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration",
     "io.k8s.api.admissionregistration.v1beta1.ValidatingWebhookConfiguration", False),
    ("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration",
     "io.k8s.api.admissionregistration.v1beta1.MutatingWebhookConfiguration", False),
    ("scheduling.k8s.io/v1beta1", "PriorityClass", "io.k8s.api.scheduling.v1beta1.PriorityClass", False),
    ("storage.k8s.io/v1beta1", "StorageClass", "io.k8s.api.storage.v1beta1.StorageClass", False),
    ("storage.k8s.io/v1beta1", "CSIDriver", "io.k8s.api.storage.v1beta1.CSIDriver", False),
    ("storage.k8s.io/v1beta1", "VolumeAttachment", "io.k8s.api.storage.v1beta1.VolumeAttachment", False),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest",
     "io.k8s.api.certificates.v1beta1.CertificateSigningRequest", False),
    ("coordination.k8s.io/v1beta1", "Lease", "io.k8s.api.coordination.v1beta1.Lease", False),
    ("events.k8s.io/v1beta1", "Event", "io.k8s.api.events.v1beta1.Event", False),
    ("node.k8s.io/v1beta1", "RuntimeClass", "io.k8s.api.node.v1beta1.RuntimeClass", False),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler", "io.k8s.api.autoscaling.v2beta1.HorizontalPodAutoscaler", False),
    # no conversion on the 1.20 server (v1 not served): checked against the source
    ("batch/v1beta1", "CronJob", "io.k8s.api.batch.v1beta1.CronJob", False),
    ("policy/v1beta1", "PodDisruptionBudget", "io.k8s.api.policy.v1beta1.PodDisruptionBudget", False),
    ("discovery.k8s.io/v1beta1", "EndpointSlice", "io.k8s.api.discovery.v1beta1.EndpointSlice", False),
    # the workload APIs, through kubectl-convert
    ("extensions/v1beta1", "Deployment", "io.k8s.api.apps.v1.Deployment", True),
    ("extensions/v1beta1", "DaemonSet", "io.k8s.api.apps.v1.DaemonSet", True),
    ("extensions/v1beta1", "ReplicaSet", "io.k8s.api.apps.v1.ReplicaSet", True),
    ("apps/v1beta1", "Deployment", "io.k8s.api.apps.v1.Deployment", True),
    ("apps/v1beta1", "StatefulSet", "io.k8s.api.apps.v1.StatefulSet", True),
    ("apps/v1beta2", "Deployment", "io.k8s.api.apps.v1.Deployment", True),
    ("apps/v1beta2", "DaemonSet", "io.k8s.api.apps.v1.DaemonSet", True),
    ("apps/v1beta2", "ReplicaSet", "io.k8s.api.apps.v1.ReplicaSet", True),
    ("apps/v1beta2", "StatefulSet", "io.k8s.api.apps.v1.StatefulSet", True),
]

ONLY = os.environ.get("KUP_GEN_ONLY")
OLD_KINDS = [k for k in OLD_KINDS_ALL if not ONLY or k[1] == ONLY]

# fields only the old workload versions have (k8s.io/api types.go)
OLD_ONLY = {
    ("extensions/v1beta1", "Deployment"): {"rollbackTo": {"revision": "int64"}},
    ("apps/v1beta1", "Deployment"): {"rollbackTo": {"revision": "int64"}},
    ("extensions/v1beta1", "DaemonSet"): {"templateGeneration": "int64"},
}


class Gen:
    def __init__(self, defs, rng, csr):
        self.defs = defs
        self.rng = rng
        self.csr = csr

    def word(self):
        return "g" + "".join(self.rng.choice("abcdef0123456789") for _ in range(5))

    def string(self, name, fmt):
        r = self.rng
        if fmt == "byte":
            return "aGVsbG8gd29ybGQ="
        if fmt == "date-time":
            return "2021-01-02T03:04:05Z"
        n = name.lower()
        if name == "image":
            return "nginx:1.19"
        if n.endswith("path") or n == "mountpath":
            return "/" + self.word()
        if n in ("host", "hostname"):
            return self.word() + ".example.com"
        if n == "url":
            return "https://" + self.word() + ".example.com/x"
        if n == "apiversion":
            return "apps/v1"
        if n == "kind":
            return "Deployment"
        if n == "namespace":
            return "default"
        if n in ("ip", "podip", "hostip"):
            return "10.0.0.%d" % r.randint(2, 250)
        return self.word()

    def value(self, schema, name, depth, path, paths):
        paths.add(path)
        if "$ref" in schema:
            ref = schema["$ref"].split("/")[-1]
            return self.definition(ref, name, depth, path, paths)
        t = schema.get("type")
        if t == "object" or "properties" in schema:
            if "properties" in schema:
                return self.properties(schema, depth, path, paths)
            if "additionalProperties" in schema:
                if depth > MAX_DEPTH:
                    return {}
                ap = schema["additionalProperties"]
                quantity = ap.get("$ref", "").endswith(".Quantity")
                key = "cpu" if quantity else self.word()
                return {key: self.value(schema["additionalProperties"], key, depth + 1, path + ".*", paths)}
            return {}
        if t == "array":
            if depth > MAX_DEPTH:
                return []
            items = schema.get("items", {})
            if items.get("$ref", "").endswith("io.k8s.api.core.v1.Volume"):
                # a volume has one source: one volume per source, so each can be valid
                vdef = self.defs[items["$ref"].split("/")[-1]]
                out = []
                for src, sch in vdef.get("properties", {}).items():
                    if src == "name":
                        continue
                    paths.add(path + "[].name")
                    out.append({"name": self.word(),
                                src: self.value(sch, src, depth + 2, path + "[]." + src, paths)})
                return out
            return [self.value(schema.get("items", {}), name, depth + 1, path + "[]", paths)]
        if t == "integer":
            return self.rng.randint(1, 5)
        if t == "number":
            return 0.5
        if t == "boolean":
            return self.rng.random() < 0.5
        if t == "string":
            return self.string(name, schema.get("format"))
        return {}

    def properties(self, schema, depth, path, paths):
        out = {}
        if depth > MAX_DEPTH:
            return out
        for k, v in schema.get("properties", {}).items():
            if k == "status" and depth == 0:
                continue
            if k in ("apiVersion", "kind") and depth == 0:
                continue
            out[k] = self.value(v, k, depth + 1, path + "." + k, paths)
        return out

    def definition(self, ref, name, depth, path, paths):
        if ref == "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta":
            m = {"name": self.word(), "labels": {"app": self.word()},
                 "annotations": {"example.com/" + self.word(): self.word()}}
            for k in m:
                paths.add(path + "." + k)
            return m
        if ref == "io.k8s.apimachinery.pkg.util.intstr.IntOrString":
            return self.rng.randint(1, 3)
        if ref == "io.k8s.apimachinery.pkg.api.resource.Quantity":
            return "1"
        if ref == "io.k8s.apimachinery.pkg.apis.meta.v1.Time":
            return "2021-01-02T03:04:05Z"
        if ref == "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime":
            return "2021-01-02T03:04:05.000000Z"
        if ref in ("io.k8s.apimachinery.pkg.runtime.RawExtension",
                   "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1"):
            return {}
        d = self.defs.get(ref)
        if d is None:
            return {}
        return self.value(d, name, depth, path, paths)


def old_only_value(spec, rng):
    if isinstance(spec, dict):
        return {k: old_only_value(v, rng) for k, v in spec.items()}
    return rng.randint(1, 5)


# ---- the server --------------------------------------------------------------------------

class Server:
    def __init__(self):
        self.url = os.environ["KUP_API_URL"]
        self.token = os.environ["KUP_API_TOKEN"]
        self.ctx = ssl.create_default_context(cafile=os.environ["KUP_API_CA"])
        self.resources = {}

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                return e.code, json.loads(e.read() or b"{}")
            except ValueError:
                return e.code, {}

    def resource(self, api_version, kind):
        key = (api_version, kind)
        if key not in self.resources:
            base = "/api/" + api_version if "/" not in api_version else "/apis/" + api_version
            _, d = self.request("GET", base)
            for r in d.get("resources", []):
                if r["kind"] == kind and "/" not in r["name"]:
                    self.resources[key] = (base, r["name"], r["namespaced"])
        return self.resources.get(key)

    def dry_run(self, obj, ns):
        base, plural, namespaced = self.resource(obj["apiVersion"], obj["kind"])
        path = base + ("/namespaces/" + ns if namespaced else "") + "/" + plural + "?dryRun=All"
        return self.request("POST", path, obj)


# ---- taking out what the server refuses ---------------------------------------------------

TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]|\[([^\]]*)\]")


def split_path(field):
    out = []
    for m in TOKEN.finditer(field):
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(int(m.group(2)))
        else:
            out.append(m.group(3))
    return out


def locate(obj, parts):
    """The longest prefix of parts that exists in obj: (container, key, depth)."""
    cur, parent, key, n = obj, None, None, 0
    for p in parts:
        if isinstance(cur, dict) and isinstance(p, str) and p in cur:
            parent, key, cur = cur, p, cur[p]
        elif isinstance(cur, list) and isinstance(p, int) and p < len(cur):
            parent, key, cur = cur, p, cur[p]
        else:
            break
        n += 1
    return parent, key, n


PROTECTED = {("spec",), ("metadata",), ("metadata", "name"), ("apiVersion",), ("kind",),
             ("spec", "selector")}
# never taken out: what the object cannot be without (a workload without its template)
KEEP = {"spec", "template", "metadata", "containers", "jobTemplate"}


def protected(parts):
    if not parts or tuple(parts) in PROTECTED:
        return True
    last = [p for p in parts if isinstance(p, str)]
    if last and last[-1] in KEEP:
        return True
    return "labels" in parts and "template" in parts and parts[-1] == "labels"


def remove(obj, parts):
    if protected(parts):
        return False
    parent, key, n = locate(obj, parts)
    if parent is None or n != len(parts):
        return False
    del parent[key]
    return True


SUPPORTED = re.compile(r'supported values: (.*)$')


def candidates(v, w):
    """Other values of the same type to try before a refused field is taken out."""
    if isinstance(v, bool):
        return [not v]
    if isinstance(v, int):
        return [1, 2, 10, 100, 1000, 0]
    if isinstance(v, float):
        return [1.0, 0.0]
    if isinstance(v, str):
        return [w + ".example.com", "example.com/" + w, "/" + w, "https://" + w + ".example.com/x",
                "10.0.0.7", "1", "10s", "*/5 * * * *", "*", w.upper(), ""]
    return []


class Repairer:
    def __init__(self, rng):
        self.rng = rng
        self.tried = {}

    def retry_value(self, obj, parts, msg=""):
        parent, key, n = locate(obj, parts)
        if parent is None or n != len(parts) or isinstance(parent[key], (dict, list)):
            return False
        k = ".".join(str(p) for p in parts)
        if k not in self.tried:
            self.tried[k] = candidates(parent[key], "g%05x" % self.rng.randrange(1 << 20))
            # "must be 'File' or 'FallbackToLogsOnError'": the values the message names first
            m = re.search(r"must be (.*)$", msg)
            if m and isinstance(parent[key], str):
                self.tried[k] = re.findall(r"'([^']+)'", m.group(1)) + self.tried[k]
        if not self.tried[k]:
            return False
        parent[key] = self.tried[k].pop(0)
        return True

    def by_message(self, obj, parts, msg):
        """A cause on a container: take out the last of its keys the message names."""
        parent, key, n = locate(obj, parts)
        node = obj if not parts else (parent[key] if parent is not None and n == len(parts) else None)
        if not isinstance(node, dict):
            return False
        named = [k for k in node if re.search(r"\b%s\b" % re.escape(k), msg)]
        self.rng.shuffle(named)
        for k in named:
            if remove(obj, parts + [k]):
                return True
        return False

    def repair(self, obj, causes):
        """Corrects or takes out what each cause names; False when nothing could be done."""
        changed = False
        for c in causes:
            field = c.get("field", "") or ""
            reason = c.get("reason", "")
            msg = c.get("message", "")
            parts = split_path(field) if field and not field.startswith("<nil>") else []
            parent, key, n = locate(obj, parts)
            exists = parts and parent is not None and n == len(parts)
            if (not exists and parts and isinstance(parts[-1], str) and n == len(parts) - 1
                    and parts[-1] != "name" and reason != "FieldValueRequired"):
                # the server's path names an internal field layout (pod securityContext
                # .shareProcessNamespace is spec.shareProcessNamespace): the nearest
                # ancestor that has the key
                for i in range(n, -1, -1):
                    p2 = parts[:i] + [parts[-1]]
                    a, b, m = locate(obj, p2)
                    if a is not None and m == len(p2):
                        parts, parent, key, n, exists = p2, a, b, m, True
                        break
            if reason == "FieldValueNotSupported" and exists:
                m = SUPPORTED.search(msg)
                vals = re.findall(r'"([^"]*)"', m.group(1)) if m else []
                target, tkey = parent, key
                if isinstance(parent[key], dict) and "type" in parent[key]:
                    target, tkey = parent[key], "type"
                cur = target[tkey]
                if isinstance(cur, bool):
                    vals = [v == "true" for v in vals if v in ("true", "false")]
                elif isinstance(cur, int):
                    vals = [int(v) for v in vals if re.match(r"^-?[0-9]+$", v)]
                if vals and not isinstance(cur, (dict, list)) and cur not in vals:
                    target[tkey] = vals[self.rng.randrange(len(vals))]
                    changed = True
                    continue
            if reason == "FieldValueRequired":
                if exists:
                    if remove(obj, parts) or self.by_message(obj, parts, msg):
                        changed = True
                    continue
                # missing: take out what holds it
                if n >= 1 and remove(obj, parts[:n]):
                    changed = True
                elif self.by_message(obj, parts[:n], msg):
                    changed = True
                continue
            if exists and not isinstance(parent[key], (dict, list)):
                if self.retry_value(obj, parts, msg) or remove(obj, parts):
                    changed = True
                continue
            if exists and self.by_message(obj, parts, msg):
                changed = True
                continue
            if exists and remove(obj, parts):
                changed = True
                continue
            if not exists and n >= 1 and remove(obj, parts[:n]):
                changed = True
                continue
            if self.by_message(obj, parts[:n], msg):
                changed = True
        return changed


RANDOM_KEY = re.compile(r"^(example\.com/)?g[0-9a-f]{5}$")


def collect_paths(v, path, out):
    out.add(path)
    if isinstance(v, dict):
        for k, x in v.items():
            collect_paths(x, path + "." + ("*" if RANDOM_KEY.match(k) else k), out)
    elif isinstance(v, list):
        for x in v:
            collect_paths(x, path + "[]", out)


# ---- YAML out --------------------------------------------------------------------------

PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")
PLAIN_VALUE = re.compile(r"^[A-Za-z/][A-Za-z0-9_./\-]*$")
YAML_WORDS = {"null", "true", "false", "y", "n", "yes", "no", "on", "off", "~"}


def ykey(k):
    return k if PLAIN_KEY.match(k) and k not in ("null", "true", "false", "y", "n", "yes", "no", "on", "off") else json.dumps(k)


def yscalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if PLAIN_VALUE.match(v) and v.lower() not in YAML_WORDS:
        return v
    return json.dumps(v)


def yaml_lines(v, indent, out):
    pad = " " * indent
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, dict) and x:
                out.append(pad + ykey(k) + ":")
                yaml_lines(x, indent + 2, out)
            elif isinstance(x, list) and x:
                out.append(pad + ykey(k) + ":")
                yaml_lines(x, indent + 2, out)
            else:
                out.append(pad + ykey(k) + ": " + ("{}" if x == {} else "[]" if x == [] else yscalar(x)))
    else:
        for x in v:
            if isinstance(x, (dict, list)) and x:
                sub = []
                yaml_lines(x, indent + 2, sub)
                sub[0] = pad + "- " + sub[0][indent + 2:]
                out.extend(sub)
            else:
                out.append(pad + "- " + ("{}" if x == {} else "[]" if x == [] else yscalar(x)))


def to_yaml(obj):
    out = []
    yaml_lines(obj, 0, out)
    return "\n".join(out) + "\n"


# ---- per kind ----------------------------------------------------------------------------

def selector_from_template(obj):
    spec = obj.get("spec", {})
    tmpl = spec.get("template", {}).get("metadata", {})
    labels = tmpl.get("labels") or {}
    if labels:
        k, v = next(iter(labels.items()))
        spec["selector"] = {"matchLabels": dict(labels),
                            "matchExpressions": [{"key": k, "operator": "In", "values": [v]}]}


def candidate(obj, api_version, kind, workload, convert, tmpdir):
    """What the server is asked to create: the object, or kubectl-convert's apps/v1."""
    if not workload:
        return obj
    src = os.path.join(tmpdir, "convert-in.yaml")
    with open(src, "w") as f:
        f.write(to_yaml(obj))
    r = subprocess.run([convert, "-f", src, "--local", "--output-version", "apps/v1", "-o", "json"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write("kubectl-convert: %s\n" % r.stderr.strip()[:300])
        return None
    return json.loads(r.stdout)


def settle(server, obj, api_version, kind, workload, convert, tmpdir, ns, rng, restore=None):
    """Asks the server until it accepts obj, correcting obj in place (restore: the
    null variant's way of correcting, which puts values back instead)."""
    fixer = Repairer(rng)
    for _ in range(ROUNDS):
        c = candidate(obj, api_version, kind, workload, convert, tmpdir)
        if c is None:
            return False, "kubectl-convert failed"
        code, st = server.dry_run(c, ns)
        if 200 <= code < 300:
            return True, ""
        causes = (st.get("details") or {}).get("causes") or []
        if os.environ.get("KUP_GEN_DEBUG"):
            sys.stderr.write("%s %s: %s\n" % (api_version, kind, json.dumps(causes or st.get("message"))[:600]))
        if restore is not None:
            if not restore(causes):
                return False, st.get("message", "HTTP %d" % code)[:300]
            continue
        if not fixer.repair(obj, causes):
            return False, st.get("message", "HTTP %d" % code)[:300]
        if workload:
            selector_from_template(obj)
    return False, "no agreement in %d rounds" % ROUNDS


def nulls(obj, rng):
    """A copy with a seeded third of the fields below the top level set to an explicit
    null, and a function that puts back the nulls the server refuses."""
    out = json.loads(json.dumps(obj))
    made = []   # (container, key, original value, path parts)

    def walk(v, parts):
        if isinstance(v, dict):
            for k in list(v):
                if parts and parts != ["metadata"] and rng.random() < 0.33:
                    made.append((v, k, v[k], parts + [k]))
                    v[k] = None
                elif parts != ["metadata"] or k not in ("name",):
                    walk(v[k], parts + [k])
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, parts + [i])

    for k in list(out):
        if k not in ("apiVersion", "kind", "metadata"):
            if not isinstance(out[k], (dict, list)) and rng.random() < 0.33:
                made.append((out, k, out[k], [k]))
                out[k] = None
            else:
                walk(out[k], [k])

    def related(a, b):
        m = min(len(a), len(b))
        return a[:m] == b[:m]

    def restore(causes):
        if not made:
            return False
        fields = [split_path(c.get("field", "") or "") for c in causes]
        back = [m for m in made if any(related(m[3], f) for f in fields if f)]
        if not back:
            back = [m for i, m in enumerate(made) if i % 2 == 0]
        for m in back:
            m[0][m[1]] = m[2]
            made.remove(m)
        return True

    return out, restore, made


def main():
    openapi, outdir, seed, count, convert, csr_file = sys.argv[1:7]
    seed, count = int(seed), int(count)
    with open(openapi) as f:
        defs = json.load(f)["definitions"]
    with open(csr_file) as f:
        csr = f.read().strip()
    server = Server()
    ns = os.environ.get("KUP_GEN_NS", "default")
    os.makedirs(outdir, exist_ok=True)
    summary = []
    total_written = total_refused = 0
    for api_version, kind, ref, workload in OLD_KINDS:
        if ref not in defs:
            summary.append("%s %s: no definition %s in the server's OpenAPI" % (api_version, kind, ref))
            continue
        written = refused = nulled = 0
        gen_paths, kept_paths = set(), set()
        reasons = []
        for i in range(count):
            rng = random.Random("%d/%s/%s/%d" % (seed, api_version, kind, i))
            g = Gen(defs, rng, csr)
            paths = set()
            body = g.definition(ref, kind, 0, "", paths)
            body.pop("status", None)
            obj = {"apiVersion": api_version, "kind": kind}
            obj.update(body)
            short = re.sub(r"[^a-z0-9]+", "-", (api_version.split(".")[0] + "-" + kind).lower())
            obj["metadata"] = {"name": "gen-%s-%d-%d" % (short, seed, i),
                               "labels": {"gen": g.word()},
                               "annotations": {"example.com/gen": g.word()}}
            obj["metadata"].pop("namespace", None)
            for k, v in OLD_ONLY.get((api_version, kind), {}).items():
                obj["spec"][k] = old_only_value(v, rng)
            if workload:
                selector_from_template(obj)
            if kind == "CertificateSigningRequest":
                obj["spec"]["request"] = csr
            before = set()
            collect_paths(obj, "", before)
            ok, why = settle(server, obj, api_version, kind, workload, convert, outdir, ns, rng)
            if not ok:
                refused += 1
                reasons.append(why)
                continue
            after = set()
            collect_paths(obj, "", after)
            gen_paths |= before
            kept_paths |= after
            label = "gen-%s-%s-%d-%d" % (api_version.replace("/", "_").replace(".", "_"), kind, seed, i)
            with open(os.path.join(outdir, label + ".yaml"), "w") as f:
                f.write(to_yaml(obj))
            written += 1
            n, restore, made = nulls(obj, rng)
            n["metadata"]["name"] += "-null"
            ok, why = settle(server, n, api_version, kind, workload, convert, outdir, ns, rng, restore)
            if ok and made:
                nulled += len(made)
                with open(os.path.join(outdir, label + "-null.yaml"), "w") as f:
                    f.write(to_yaml(n))
                written += 1
            elif not ok:
                refused += 1
                reasons.append("null variant: " + why)
        total_written += written
        total_refused += refused
        line = "%s %s: %d written, %d refused; fields set %d of %d generated; %d explicit nulls" % (
            api_version, kind, written, refused, len(kept_paths), len(gen_paths), nulled)
        if reasons:
            line += " (first refusal: %s)" % reasons[0]
        summary.append(line)
    for line in summary:
        print("gen: " + line)
    print("gen: seed %d: %d objects written, %d refused by the server" % (seed, total_written, total_refused))


if __name__ == "__main__":
    main()
