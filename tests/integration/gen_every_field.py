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

Values start as likely ones: the values a property's OpenAPI description
lists ("One of Always, Never, IfNotPresent"), formats (dates, bytes), and
names (image, schedule, paths, hosts, IPs).  Then the object is shaped to the
cross-field rules of the server's validation (one handler per probe, one
source per volume, env var and projection, mounts naming volumes, a webhook
with url or service, one HPA metric per type...; see "shaping" below): the
members of a one-of are spread over copies of the list item around them, so
each field is still set somewhere.  The field count "generated" is taken
before shaping.

Validity is the server's to decide, not guessed: each object is created with
dryRun=All (the workloads after kubectl-convert, through apps/v1) and every
field the server refuses is taken out again (an unsupported value is
replaced by the first of the values the server lists; a required field that
is missing takes its parent out), until the server accepts the object or 60
rounds pass (the object is then counted as refused and not written).  For
each accepted object a second one is written with a seeded third of its
optional fields set to an explicit null (again checked by the server).

Usage: gen_every_field.py OPENAPI.json OUTDIR SEED COUNT KUBECTL_CONVERT CSR_PEM_B64
Environment: KUP_API_URL, KUP_API_TOKEN, KUP_API_CA; KUP_GEN_ONLY=KIND (one kind),
KUP_GEN_DEBUG=1 (the server's causes on stderr), KUP_GEN_PATHS=1 (OUTDIR/lost-*.txt:
the field paths generated but not kept, per kind).
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
        if n == "schedule":
            return "*/5 * * * *"
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
            listed = described_values(schema.get("description", ""))
            if listed:
                return listed[self.rng.randrange(len(listed))]
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


ENUM_TEXT = re.compile(r"(?:\b[Oo]ne of|[Vv]alid values are|[Pp]ossible (?:enum )?values(?: are)?|"
                       r"[Aa]llowed values are|[Mm]ust be one of)[:\s]+([^.;(]*)")
ENUM_WORD = re.compile(r'^["`\']?([A-Z][A-Za-z0-9]*)["`\']?$')


def described_values(text):
    """The values an OpenAPI description lists ("One of Always, Never, IfNotPresent.",
    'Valid values are "None" or "Some"'): a first guess the server still judges."""
    m = ENUM_TEXT.search(text)
    if not m:
        return []
    out = []
    for w in re.split(r",\s*|\s+or\s+|\s+and\s+|\s+", m.group(1).strip()):
        w = w.strip()
        mm = ENUM_WORD.match(w)
        if mm and mm.group(1) not in out:
            out.append(mm.group(1))
        elif w and w not in ("or", "and"):
            break
    return out if len(out) >= 2 else []


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
    if isinstance(key, int):
        raise Shifted()   # the later causes' indices no longer name the same items
    return True


class Shifted(Exception):
    pass


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
        """Corrects or takes out what each cause names; False when nothing could be done.
        After a list item is taken out the round ends: the server is asked again."""
        try:
            return self.repair_causes(obj, causes)
        except Shifted:
            return True

    def repair_causes(self, obj, causes):
        changed = False
        seen = set()
        for c in causes:
            # the server may name a cause twice: a second pass would undo the first's correction
            if json.dumps(c, sort_keys=True) in seen:
                continue
            seen.add(json.dumps(c, sort_keys=True))
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
                if vals and cur in vals:
                    changed = True   # corrected by an earlier cause of this round
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


# ---- shaping: the cross-field rules the server's validation has ------------------------------
#
# The generator sets every property; the server's validation also wants relations between them
# (pkg/apis/core/validation, pkg/apis/admissionregistration/validation,
# pkg/apis/autoscaling/validation, pkg/apis/storage/validation of kubernetes 1.20): one handler
# per probe, one source per volume, env var or projection, a mount naming a volume, ports equal
# under hostNetwork, a webhook with one of url and service.  Shaping rearranges what was
# generated so that each field appears somewhere the server accepts it: an item holding several
# members of a one-of is split into one item per member, and a one-of outside a list keeps a
# different member in each of several copies of the list item around it (containers, webhooks).
# Values the server names (an operator, a type, a policy) are set to valid ones; whatever is still
# wrong is corrected or taken out by the dry-run loop below, and counted.

HANDLERS = ["exec", "httpGet", "tcpSocket"]
EXCLUSIVE = {   # one-of members, per list item kind: item keys -> members, split one per member
    "envFrom": ["configMapRef", "secretRef"],
    "downwardItems": ["fieldRef", "resourceFieldRef"],
    "sources": ["secret", "configMap", "downwardAPI", "serviceAccountToken"],
}


def copy(v):
    return json.loads(json.dumps(v))


def split_members(items, members):
    """[{a, b, common}] -> [{a, common}, {b, common}]: one item per one-of member present."""
    out = []
    for it in items:
        have = [m for m in members if m in it]
        if len(have) <= 1:
            out.append(it)
            continue
        for m in have:
            c = {k: v for k, v in it.items() if k not in members or k == m}
            out.append(copy(c))
    return out


def shape_selector(sel):
    if not isinstance(sel, dict):
        return
    for e in sel.get("matchExpressions") or []:
        e["operator"] = "In"
        if not e.get("values"):
            e["values"] = ["g1"]


def shape_field_ref(fr):
    if isinstance(fr, dict):
        fr["apiVersion"] = "v1"
        fr["fieldPath"] = "metadata.name"


def shape_resource_ref(rr, container):
    if isinstance(rr, dict):
        rr["resource"] = "limits.memory"
        rr["divisor"] = "1Mi"
        if "containerName" in rr:
            rr["containerName"] = container


def shape_downward_items(items, container, prefix):
    items = split_members(items, EXCLUSIVE["downwardItems"])
    for n, it in enumerate(items):
        it["path"] = "%s%d" % (prefix, n)
        shape_field_ref(it.get("fieldRef"))
        shape_resource_ref(it.get("resourceFieldRef"), container)
        if "mode" in it:
            it["mode"] = 420
    return items


def shape_key_paths(items, prefix):
    for n, it in enumerate(items or []):
        it["path"] = "%s%d" % (prefix, n)
        if "mode" in it:
            it["mode"] = 420


VOLUME_VARIANTS = {   # sources whose fields exclude each other: one volume per variant
    "fc": [("wwids",), ("targetWWNs", "lun")],
    "flocker": [("datasetUUID",), ("datasetName",)],
}


def shape_volume_source(src, v, container):
    if not isinstance(v, dict):
        return
    if "defaultMode" in v:
        v["defaultMode"] = 420
    if src == "azureDisk":
        v.update(kind="Shared", cachingMode="ReadOnly",
                 diskURI="https://gen.blob.core.windows.net/c/" + v.get("diskName", "d") + ".vhd")
    elif src == "iscsi":
        v.update(iqn="iqn.2001-04.com.example:storage.disk1", targetPortal="10.0.0.1:3260",
                 portals=["10.0.0.2:3260"], lun=0, iscsiInterface="default")
        if "initiatorName" in v:
            v["initiatorName"] = "iqn.2001-04.com.example:node1"
    elif src == "fc":
        if "lun" in v:
            v["lun"] = 0
    elif src == "quobyte":
        v["registry"] = "10.0.0.1:7861"
    elif src == "scaleIO":
        v["storageMode"] = "ThinProvisioned"
        v["gateway"] = "https://gateway.example.com/api"
    elif src == "hostPath":
        v["type"] = "DirectoryOrCreate"
    elif src == "emptyDir":
        v["medium"] = "Memory"
        v["sizeLimit"] = "1Gi"
    elif src == "nfs":
        v["path"] = "/exports"
    elif src == "csi":
        v["driver"] = "csi.example.com"
    elif src == "gitRepo":
        v["directory"] = "repo"
    elif src in ("secret", "configMap"):
        shape_key_paths(v.get("items"), src[0])
    elif src == "downwardAPI":
        v["items"] = shape_downward_items(v.get("items") or [], container, "d")
    elif src == "projected":
        sources = split_members(v.get("sources") or [], EXCLUSIVE["sources"])
        for n, s in enumerate(sources):
            for k, x in s.items():
                if k in ("secret", "configMap"):
                    shape_key_paths(x.get("items"), "p%d-" % n)
                elif k == "downwardAPI":
                    x["items"] = shape_downward_items(x.get("items") or [], container, "p%d-" % n)
                elif k == "serviceAccountToken":
                    x["path"] = "p%d-token" % n
                    x["expirationSeconds"] = 3600
        v["sources"] = sources
    elif src == "ephemeral":
        spec = (v.get("volumeClaimTemplate") or {}).get("spec")
        if isinstance(spec, dict):
            shape_pvc_spec(spec)


def shape_pvc_spec(spec):
    spec["accessModes"] = ["ReadWriteOnce"]
    spec["volumeMode"] = "Filesystem"
    res = spec.get("resources")
    if isinstance(res, dict):
        for k in ("requests", "limits"):
            if k in res:
                res[k] = {"storage": "1Gi"}
    ds = spec.get("dataSource")
    if isinstance(ds, dict):
        ds.update(apiGroup="snapshot.storage.k8s.io", kind="VolumeSnapshot")
    shape_selector(spec.get("selector"))


def shape_volumes(vols, container):
    out = []
    for v in vols:
        src = next((k for k in v if k != "name"), None)
        if src in VOLUME_VARIANTS and isinstance(v[src], dict):
            for n, keep in enumerate(VOLUME_VARIANTS[src]):
                drop = {k for var in VOLUME_VARIANTS[src] for k in var} - set(keep)
                c = copy(v)
                c["name"] = "%s%d" % (v["name"], n)
                for k in drop:
                    c[src].pop(k, None)
                out.append(c)
        else:
            out.append(v)
    for n, v in enumerate(out):
        v["name"] = "v%d-%s" % (n, v.get("name", "g"))   # unique
        src = next((k for k in v if k != "name"), None)
        shape_volume_source(src, v.get(src), container)
    return out


def shape_handler(h, keep):
    """A probe or lifecycle handler keeps one of exec, httpGet, tcpSocket."""
    if not isinstance(h, dict):
        return
    have = [k for k in HANDLERS if k in h]
    if not have:
        return
    keep = keep if keep in have else have[0]
    for k in have:
        if k != keep:
            del h[k]
    if "httpGet" in h and isinstance(h["httpGet"], dict):
        g = h["httpGet"]
        g["port"] = 8080
        g["scheme"] = "HTTP"
        for hd in g.get("httpHeaders") or []:
            hd["name"] = "X-Gen"
    if "tcpSocket" in h and isinstance(h["tcpSocket"], dict):
        h["tcpSocket"]["port"] = 8080


def shape_security_context(sc):
    if not isinstance(sc, dict):
        return
    if "seccompProfile" in sc and isinstance(sc["seccompProfile"], dict):
        sc["seccompProfile"] = {"type": "Localhost", "localhostProfile": "profiles/gen.json"}
    if "procMount" in sc:
        sc["procMount"] = "Default"
    if "allowPrivilegeEscalation" in sc:
        sc["allowPrivilegeEscalation"] = True   # false cannot go with privileged or CAP_SYS_ADMIN
    if "fsGroupChangePolicy" in sc:
        sc["fsGroupChangePolicy"] = "OnRootMismatch"
    for n, s in enumerate(sc.get("sysctls") or []):
        s["name"] = ["net.core.somaxconn", "kernel.shm_rmid_forced"][n % 2]
        s["value"] = "1"


def shape_container(c, i, pod, init):
    name = c.get("name", "c")
    c["name"] = "%s-%d" % (name, i) if i else name
    port = 8000 + i
    for p in c.get("ports") or []:
        p["containerPort"] = port
        if "hostPort" in p or pod.get("hostNetwork"):
            p["hostPort"] = port
        p["protocol"] = "TCP"
        if "name" in p:
            p["name"] = "p%d" % port
        if "hostIP" in p:
            p["hostIP"] = "10.0.0.1"
    env = []
    for e in c.get("env") or []:
        vf = e.get("valueFrom")
        if "value" in e or vf:
            if "value" in e:
                env.append({"name": e["name"] + "V", "value": e["value"]})
            if isinstance(vf, dict):
                for k in vf:
                    x = {"name": "%s_%s" % (e["name"], k), "valueFrom": {k: copy(vf[k])}}
                    shape_field_ref(x["valueFrom"].get("fieldRef"))
                    shape_resource_ref(x["valueFrom"].get("resourceFieldRef"), c["name"])
                    env.append(x)
        else:
            env.append(e)
    if "env" in c:
        c["env"] = env
    if "envFrom" in c:
        c["envFrom"] = split_members(c["envFrom"], EXCLUSIVE["envFrom"])
        for e in c["envFrom"]:
            if "prefix" in e:
                e["prefix"] = "GEN_"
    mounts = pod.get("_mountable") or []
    if "volumeMounts" in c and mounts:
        vm = c["volumeMounts"][0] if c["volumeMounts"] else {}
        a = dict(vm, name=mounts[0], mountPath="/m%d" % i)
        b = dict(vm, name=mounts[-1], mountPath="/n%d" % i)
        if "subPath" in vm or "subPathExpr" in vm:
            a.pop("subPathExpr", None)
            a["subPath"] = "sub"
            b.pop("subPath", None)
            b["subPathExpr"] = "$(GEN)"
        if "mountPropagation" in vm:
            a["mountPropagation"] = b["mountPropagation"] = "HostToContainer"
        c["volumeMounts"] = [a, b]
    if "volumeDevices" in c:
        if pod.get("_claim"):
            c["volumeDevices"] = [{"name": pod["_claim"], "devicePath": "/dev/gen%d" % i}]
    if init:
        for k in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
            c.pop(k, None)   # "must not be set for init containers"
    slots = [(c.get("lifecycle") or {}).get("postStart"), (c.get("lifecycle") or {}).get("preStop"),
             c.get("livenessProbe"), c.get("readinessProbe"), c.get("startupProbe")]
    for k, h in enumerate(slots):
        shape_handler(h, HANDLERS[(i + k) % len(HANDLERS)])
    for k in ("livenessProbe", "startupProbe"):
        if isinstance(c.get(k), dict) and "successThreshold" in c[k]:
            c[k]["successThreshold"] = 1
    shape_security_context(c.get("securityContext"))
    if "terminationMessagePolicy" in c:
        c["terminationMessagePolicy"] = "FallbackToLogsOnError"
    if "terminationMessagePath" in c:
        c["terminationMessagePath"] = "/dev/termination-log"
    res = c.get("resources")
    if isinstance(res, dict):
        for k in ("requests", "limits"):
            if isinstance(res.get(k), dict):
                res[k] = {"cpu": "1", "memory": "1Gi"}


def shape_pod_spec(ps, restart, copies=3):
    if not isinstance(ps, dict):
        return
    ps["restartPolicy"] = restart
    first = (ps.get("containers") or [{}])[0].get("name", "c")
    if isinstance(ps.get("volumes"), list):
        ps["volumes"] = shape_volumes(ps["volumes"], first)
        vols = ps["volumes"]
        ps["_claim"] = next((v["name"] for v in vols if "persistentVolumeClaim" in v), None)
        ps["_mountable"] = [v["name"] for v in vols if any(k in v for k in ("configMap", "emptyDir", "secret"))]
    for key, n, init in (("containers", copies, False), ("initContainers", 1, True),
                         ("ephemeralContainers", 1, True)):
        cs = ps.get(key)
        if not isinstance(cs, list) or not cs:
            continue
        base = cs[0]
        out = []
        for i in range(n):
            c = copy(base)
            shape_container(c, i + (10 if init else 0), ps, init)
            out.append(c)
        ps[key] = out
    ps.pop("_claim", None)
    ps.pop("_mountable", None)
    for k in ("hostname", "subdomain"):
        if k in ps:
            ps[k] = "gen"   # DNS labels
    for v in ps.get("volumes") or []:
        if isinstance(v.get("gcePersistentDisk"), dict):
            v["gcePersistentDisk"]["readOnly"] = True   # replicated pods: read-only only
    if ps.get("shareProcessNamespace") and "hostPID" in ps:
        ps["hostPID"] = False   # "ShareProcessNamespace and HostPID cannot both be enabled"
    if "serviceAccount" in ps and "serviceAccountName" in ps:
        ps["serviceAccount"] = ps["serviceAccountName"]
    if "dnsPolicy" in ps:
        ps["dnsPolicy"] = "ClusterFirst"
    dc = ps.get("dnsConfig")
    if isinstance(dc, dict):
        if "nameservers" in dc:
            dc["nameservers"] = ["10.0.0.10"]
        if "searches" in dc:
            dc["searches"] = ["example.com"]
    for h in ps.get("hostAliases") or []:
        h["ip"] = "10.0.0.5"
        if "hostnames" in h:
            h["hostnames"] = ["gen.example.com"]
    for t in ps.get("tolerations") or []:
        t.update(operator="Equal", effect="NoExecute")
    for t in ps.get("topologySpreadConstraints") or []:
        t.update(whenUnsatisfiable="DoNotSchedule", topologyKey="kubernetes.io/hostname", maxSkew=1)
        shape_selector(t.get("labelSelector"))
    for r in ps.get("readinessGates") or []:
        r["conditionType"] = "example.com/ready"
    shape_security_context(ps.get("securityContext"))
    if "preemptionPolicy" in ps:
        ps["preemptionPolicy"] = "PreemptLowerPriority"
    aff = ps.get("affinity")
    if isinstance(aff, dict):
        na = aff.get("nodeAffinity") or {}
        terms = ((na.get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or [])
        terms += [p.get("preference") for p in na.get("preferredDuringSchedulingIgnoredDuringExecution") or []]
        for p in na.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
            p["weight"] = 50
        for t in terms:
            if not isinstance(t, dict):
                continue
            for e in t.get("matchExpressions") or []:
                e["operator"] = "In"
            for e in t.get("matchFields") or []:
                e.update(key="metadata.name", operator="In", values=(e.get("values") or ["g1"])[:1])
        for k in ("podAffinity", "podAntiAffinity"):
            pa = aff.get(k) or {}
            for term in pa.get("requiredDuringSchedulingIgnoredDuringExecution") or []:
                term["topologyKey"] = "kubernetes.io/hostname"
                shape_selector(term.get("labelSelector"))
            for p in pa.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
                p["weight"] = 50
                term = p.get("podAffinityTerm") or {}
                term["topologyKey"] = "kubernetes.io/hostname"
                shape_selector(term.get("labelSelector"))


def shape_webhooks(obj):
    hooks = obj.get("webhooks")
    if not isinstance(hooks, list) or not hooks:
        return
    out = []
    for i, member in enumerate(("url", "service")):
        w = copy(hooks[0])
        w["name"] = "g%d.%s.example.com" % (i, obj["metadata"]["name"])
        cc = w.get("clientConfig")
        if isinstance(cc, dict):
            for k in ("url", "service"):
                if k != member:
                    cc.pop(k, None)
            if "url" in cc:
                cc["url"] = "https://hook.example.com/validate"
            if isinstance(cc.get("service"), dict):
                cc["service"].update(namespace="default", path="/validate", port=443)
        for r in w.get("rules") or []:
            r.update(operations=["CREATE"], apiGroups=["apps"], apiVersions=["v1"],
                     resources=["deployments"], scope="Namespaced")
        for k, v in (("sideEffects", "None"), ("admissionReviewVersions", ["v1beta1"]),
                     ("timeoutSeconds", 10), ("matchPolicy", "Equivalent"),
                     ("failurePolicy", "Ignore"), ("reinvocationPolicy", "IfNeeded")):
            if k in w:
                w[k] = v
        shape_selector(w.get("namespaceSelector"))
        shape_selector(w.get("objectSelector"))
        out.append(w)
    obj["webhooks"] = out


HPA_METRICS = {   # v2beta1 MetricSpec: type -> member, and the member's fields that exclude each other
    "Object": ("object", [()]),
    "Pods": ("pods", [()]),
    "Resource": ("resource", [("targetAverageUtilization",), ("targetAverageValue",)]),
    "External": ("external", [("targetValue",), ("targetAverageValue",)]),
    "ContainerResource": ("containerResource", [("targetAverageUtilization",), ("targetAverageValue",)]),
}


def shape_hpa(obj):
    spec = obj.get("spec") or {}
    spec["minReplicas"] = 1
    spec["maxReplicas"] = 10
    ref = spec.get("scaleTargetRef")
    if isinstance(ref, dict):
        ref.update(apiVersion="apps/v1", kind="Deployment")
    metrics = spec.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        return
    m0 = metrics[0]
    out = []
    for typ, (member, variants) in HPA_METRICS.items():
        if member not in m0:
            continue
        excl = {k for v in variants for k in v}
        for keep in variants:
            src = copy(m0[member])
            for k in excl - set(keep):
                src.pop(k, None)
            if "name" in src and member in ("resource", "containerResource"):
                src["name"] = "cpu"
            for k in ("targetAverageUtilization",):
                if k in src:
                    src[k] = 50
            tgt = src.get("target")
            if isinstance(tgt, dict):
                tgt.update(apiVersion="apps/v1", kind="Deployment")
            if "container" in src:
                src["container"] = "app"
            shape_selector(src.get("selector"))
            shape_selector(src.get("metricSelector"))
            out.append({"type": typ, member: src})
    spec["metrics"] = out


def shape_volume_attachment(obj, index):
    """An inline volume spec must be CSI and may not have a claim, capacity, node affinity or
    class (pkg/apis/storage/validation validateVolumeAttachmentSource): the second object of
    each seed takes that source, the first a persistentVolumeName."""
    spec = obj.get("spec") or {}
    spec["attacher"] = "csi.example.com"
    src = spec.get("source")
    if not isinstance(src, dict):
        return
    if index % 2 == 0 or not isinstance(src.get("inlineVolumeSpec"), dict):
        src.pop("inlineVolumeSpec", None)
        return
    src.pop("persistentVolumeName", None)
    pv = src["inlineVolumeSpec"]
    for k in list(pv):
        if k not in PV_INLINE:
            del pv[k]
    if isinstance(pv.get("csi"), dict):
        pv["csi"]["driver"] = "csi.example.com"
    pv["accessModes"] = ["ReadWriteOnce"]
    pv["volumeMode"] = "Filesystem"
    if "persistentVolumeReclaimPolicy" in pv:
        pv["persistentVolumeReclaimPolicy"] = "Retain"


PV_INLINE = {"csi", "accessModes", "mountOptions", "persistentVolumeReclaimPolicy", "volumeMode"}


def shape_selectors(v):
    """Every label selector requirement: operator In with a value (a node selector's
    matchFields: metadata.name In one value)."""
    if isinstance(v, dict):
        for e in v.get("matchExpressions") or []:
            if isinstance(e, dict) and "operator" in e:
                e["operator"] = "In"
                if not e.get("values"):
                    e["values"] = ["g1"]
        for e in v.get("matchFields") or []:
            if isinstance(e, dict):
                e.update(key="metadata.name", operator="In", values=(e.get("values") or ["g1"])[:1])
        for x in v.values():
            shape_selectors(x)
    elif isinstance(v, list):
        for x in v:
            shape_selectors(x)


def shape_rules(obj, kind):
    """A rule names resources or non-resource URLs, not both; a Role never URLs
    (pkg/apis/rbac/validation ValidatePolicyRule)."""
    out = []
    for r in obj.get("rules") or []:
        if not isinstance(r, dict) or "nonResourceURLs" not in r:
            out.append(r)
            continue
        urls = r.pop("nonResourceURLs")
        out.append(r)
        if kind == "ClusterRole":
            out.append({"nonResourceURLs": ["/healthz"] if urls else urls, "verbs": ["get"]})
    if "rules" in obj:
        obj["rules"] = out


def shape_ingress(obj, index):
    """A backend is a service or a resource, not both (networking validation
    validateIngressBackend): the default backend alternates by object, each rule gets one
    path of each."""
    spec = obj.get("spec") or {}
    svc = ("serviceName", "servicePort")

    def one(b, resource):
        if not isinstance(b, dict):
            return b
        b = copy(b)
        if resource and isinstance(b.get("resource"), dict):
            for k in svc:
                b.pop(k, None)
            b["resource"].update(apiGroup="example.com", kind="StorageBucket")
        else:
            b.pop("resource", None)
        return b

    if isinstance(spec.get("backend"), dict):
        spec["backend"] = one(spec["backend"], index % 2 == 1)
    for r in spec.get("rules") or []:
        http = r.get("http") if isinstance(r, dict) else None
        if not isinstance(http, dict) or not http.get("paths"):
            continue
        p0 = http["paths"][0]
        paths = []
        for n, resource in enumerate((False, True)):
            p = copy(p0)
            if isinstance(p.get("backend"), dict):
                p["backend"] = one(p["backend"], resource)
            if "path" in p:
                p["path"] = "/p%d" % n
            paths.append(p)
        http["paths"] = paths


def shape(obj, api_version, kind, rng, index):
    """Rearranges a generated object to the server's cross-field rules (see above)."""
    shape_kind(obj, kind, index)
    shape_selectors(obj)


def shape_kind(obj, kind, index):
    spec = obj.get("spec")
    if kind == "StatefulSet" and isinstance((spec or {}).get("updateStrategy"), dict):
        spec["updateStrategy"]["type"] = "RollingUpdate"   # rollingUpdate is refused with OnDelete
    if kind in ("Deployment", "DaemonSet", "ReplicaSet"):
        for k in ("strategy", "updateStrategy"):
            if isinstance((spec or {}).get(k), dict):
                spec[k]["type"] = "RollingUpdate"
        if "progressDeadlineSeconds" in spec:
            spec["minReadySeconds"] = 5
            spec["progressDeadlineSeconds"] = 600
        # (not StatefulSet: 1.20 does not validate its pod template, so it keeps every field as
        # generated; pkg/apis/apps/validation ValidatePodTemplateSpecForStatefulSet)
        shape_pod_spec(((spec or {}).get("template") or {}).get("spec"), "Always")
    elif kind == "CronJob":
        job = ((spec or {}).get("jobTemplate") or {}).get("spec") or {}
        shape_pod_spec((job.get("template") or {}).get("spec"), "OnFailure")
        if "manualSelector" in job:
            job["manualSelector"] = False   # a CronJob's jobs get generated selectors: nil or false
    elif kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        shape_webhooks(obj)
    elif kind == "HorizontalPodAutoscaler":
        shape_hpa(obj)
    elif kind == "VolumeAttachment":
        shape_volume_attachment(obj, index)
    elif kind in ("ClusterRole", "Role"):
        shape_rules(obj, kind)
    elif kind == "Ingress":
        shape_ingress(obj, index)
    elif kind == "CSIDriver":
        if "volumeLifecycleModes" in (spec or {}):
            spec["volumeLifecycleModes"] = ["Persistent", "Ephemeral"]
    elif kind == "RuntimeClass":
        for t in ((obj.get("scheduling") or {}).get("tolerations") or []):
            t.update(operator="Equal", effect="NoExecute")


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
    src = os.path.join(tmpdir, "convert-in-%d.yaml" % os.getpid())   # seeds run side by side
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
            sys.stderr.write("%s %s: %s\n" % (api_version, kind, json.dumps(causes or st.get("message"))[:4000]))
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
            shape(obj, api_version, kind, rng, i)
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
        if os.environ.get("KUP_GEN_PATHS"):
            with open(os.path.join(outdir, "lost-%s-%s.txt" % (api_version.replace("/", "_"), kind)), "w") as f:
                f.write("\n".join(sorted(gen_paths - kept_paths)) + "\n")
    for line in summary:
        print("gen: " + line)
    print("gen: seed %d: %d objects written, %d refused by the server" % (seed, total_written, total_refused))


if __name__ == "__main__":
    main()
