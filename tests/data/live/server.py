#!/usr/bin/env python3
"""A tiny HTTPS stand-in for a Kubernetes API server, for the client's unit
tests and the snapshot bench (not a substitute for the real kube-apiserver the
integration tests run).

usage: server.py DIR [--objects N] [--insecure-http] [--empty-discovery | --no-nodes]

DIR must hold server.crt, server.key and ca.crt (made by mkcerts.sh).  The
server binds 127.0.0.1 on a free port, writes it to DIR/port, logs every
request as one line "METHOD PATH AUTH [gzip]" to DIR/requests.log (AUTH is
"bearer:<token>", "cert:<CN>", "basic:<user>" or "-"; gzip when the client
accepts it, and then the answer is gzipped), and serves:

  /version /api /apis /api/v1 /apis/apps/v1 /apis/extensions/v1beta1   discovery
  /api/v1/configmaps            N ConfigMaps, paginated (limit/continue)
  /api/v1/namespaces/NS/configmaps   the same, one namespace
  /apis/apps/v1/deployments     two Deployments with last-applied (extensions/v1beta1)
  /apis/extensions/v1beta1/ingresses   one Ingress
  /api/v1/secrets               403 unless fieldSelector=type=helm.sh/release.v1
  /api/v1/pods                  0 pods
  /api/v1/nodes                 one Node
  /metrics                      apiserver_requested_deprecated_apis lines
  /flaky                        429 with Retry-After: 1 the first time, then 200
  /always503                    503 every time
  /api/v1/bigthings             40 items of 20 kB, paginated
  /api/v1/loops                 answers every page with the same continue token
  /api/v1/things                a 3-page list whose second page answers 410 once
  /slow                         answers after 3 s
  any path with "locked"        403

--empty-discovery: /api and /apis list nothing (an API server that answers
but serves nothing); --no-nodes: /api/v1/nodes is an empty list.

Credentials accepted: bearer "good-token" (or the content of DIR/token when it
exists), the exec plugin's "exec-token-*", any client certificate signed by
ca.crt, basic admin:secret.  Anything else: 401.
"""
import base64
import gzip
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR = sys.argv[1]
N = 5
for i, a in enumerate(sys.argv):
    if a == "--objects":
        N = int(sys.argv[i + 1])
EMPTY = "--empty-discovery" in sys.argv
LOCK = threading.Lock()
STATE = {"flaky": 0, "gone": 0}


def status_obj(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def cm(i):
    ns = "ns-%03d" % (i % 100)
    return {"metadata": {"name": "cm-%06d" % i, "namespace": ns, "uid": "u-%d" % i,
                         "resourceVersion": str(1000 + i),
                         "annotations": {"note": "x" * 40}},
            "data": {"k": "v" * 64}}


CMS = None


def configmaps():
    global CMS
    if CMS is None:
        items = [cm(i) for i in range(N)]
        items.sort(key=lambda o: (o["metadata"]["namespace"] + "/" + o["metadata"]["name"]))
        CMS = [json.dumps(o, separators=(",", ":")).encode() for o in items]
    return CMS


def page_bytes(kind, api_version, raw_items, cont, rv="12345"):
    meta = {"resourceVersion": rv}
    if cont:
        meta["continue"] = cont
    head = json.dumps({"kind": kind, "apiVersion": api_version, "metadata": meta},
                      separators=(",", ":")).encode()
    return head[:-1] + b',"items":[' + b",".join(raw_items) + b"]}"


LAST_APPLIED = json.dumps({"apiVersion": "extensions/v1beta1", "kind": "Deployment",
                           "metadata": {"name": "web", "namespace": "shop"},
                           "spec": {"replicas": 1}})

DEPLOYS = [
    {"metadata": {"name": "web", "namespace": "shop",
                  "annotations": {"kubectl.kubernetes.io/last-applied-configuration": LAST_APPLIED},
                  "managedFields": [{"manager": "kubectl", "operation": "Update",
                                     "apiVersion": "extensions/v1beta1"}]},
     "spec": {"replicas": 1}},
    {"metadata": {"name": "api", "namespace": "shop"}, "spec": {"replicas": 2}},
]

RESOURCES = {
    "v1": [("configmaps", "ConfigMap", True, ["list", "get"]),
           ("secrets", "Secret", True, ["list", "get"]),
           ("pods", "Pod", True, ["list", "get"]),
           ("pods/status", "Pod", True, ["get"]),
           ("nodes", "Node", False, ["list", "get"]),
           ("bindings", "Binding", True, ["create"])],
    "apps/v1": [("deployments", "Deployment", True, ["list", "get"])],
    "extensions/v1beta1": [("ingresses", "Ingress", True, ["list", "get"]),
                           ("deployments", "Deployment", True, ["list", "get"])],
}


def discovery(gv):
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": [{"name": n, "singularName": "", "namespaced": ns, "kind": k,
                           "verbs": v} for (n, k, ns, v) in RESOURCES[gv]]}


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def auth(self):
        h = self.headers.get("Authorization", "")
        cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if h.startswith("Bearer "):
            tok = h[7:]
            good = ["good-token"]
            try:
                with open(os.path.join(DIR, "token")) as f:
                    good.append(f.read().strip())
            except OSError:
                pass
            return ("bearer:" + tok, tok in good or tok.startswith("exec-token-"))
        if h.startswith("Basic "):
            u, _, p = base64.b64decode(h[6:]).decode().partition(":")
            return ("basic:" + u, (u, p) == ("admin", "secret"))
        if cert:
            cn = [v for rdn in cert.get("subject", ()) for (k, v) in rdn if k == "commonName"]
            return ("cert:" + (cn[0] if cn else "?"), True)
        return ("-", False)

    def send(self, code, body, ctype="application/json", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        gz = "gzip" in self.headers.get("Accept-Encoding", "")
        if gz:
            body = gzip.compress(body)
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        if gz:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        self.rfile.read(n)
        self.do_GET()

    do_PATCH = do_POST
    do_DELETE = do_POST
    do_PUT = do_POST

    def do_GET(self):
        who, ok = self.auth()
        with LOCK:
            with open(os.path.join(DIR, "requests.log"), "a") as f:
                f.write("%s %s %s%s\n" % (self.command, self.path, who,
                        " gzip" if "gzip" in self.headers.get("Accept-Encoding", "") else ""))
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        p = u.path
        if not ok:
            return self.send(401, status_obj(401, "Unauthorized", "Unauthorized"))
        if "locked" in p:
            return self.send(403, status_obj(403, "Forbidden", "locked is forbidden"))
        if p == "/version":
            return self.send(200, {"major": "1", "minor": "20", "gitVersion": "v1.20.2",
                                   "platform": "linux/amd64"})
        if p == "/api":
            return self.send(200, {"kind": "APIVersions",
                                   "versions": [] if EMPTY else ["v1"]})
        if p == "/apis" and EMPTY:
            return self.send(200, {"kind": "APIGroupList", "groups": []})
        if p == "/apis":
            return self.send(200, {"kind": "APIGroupList", "groups": [
                {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                 "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}},
                {"name": "extensions",
                 "versions": [{"groupVersion": "extensions/v1beta1", "version": "v1beta1"}],
                 "preferredVersion": {"groupVersion": "extensions/v1beta1",
                                      "version": "v1beta1"}}]})
        if p in ("/api/v1", "/apis/apps/v1", "/apis/extensions/v1beta1"):
            return self.send(200, discovery(p[5:] if p.startswith("/api/") else p[6:]))
        limit = int(q.get("limit", ["0"])[0] or 0)
        cont = q.get("continue", [None])[0]
        if p == "/api/v1/configmaps" or (p.startswith("/api/v1/namespaces/")
                                         and p.endswith("/configmaps")):
            items = configmaps()
            if p != "/api/v1/configmaps":
                ns = p.split("/")[4]
                items = [i for i in items if b'"namespace":"%s"' % ns.encode() in i]
            start = int(cont) if cont else 0
            end = len(items) if not limit else min(len(items), start + limit)
            nxt = str(end) if end < len(items) else None
            return self.send(200, page_bytes("ConfigMapList", "v1", items[start:end], nxt))
        if p == "/apis/apps/v1/deployments":
            return self.send(200, {"kind": "DeploymentList", "apiVersion": "apps/v1",
                                   "metadata": {"resourceVersion": "1"}, "items": DEPLOYS})
        if p == "/apis/extensions/v1beta1/ingresses":
            return self.send(200, {"kind": "IngressList", "apiVersion": "extensions/v1beta1",
                                   "metadata": {}, "items": [
                                       {"metadata": {"name": "in", "namespace": "shop"}}]},
                             headers=[("Warning", '299 - "extensions/v1beta1 Ingress is '
                                       'deprecated in v1.14+, unavailable in v1.22+"')])
        if p == "/apis/extensions/v1beta1/deployments":
            return self.send(200, {"kind": "DeploymentList", "metadata": {}, "items": []})
        if p == "/api/v1/secrets":
            if q.get("fieldSelector", [""])[0] != "type=helm.sh/release.v1":
                return self.send(403, status_obj(403, "Forbidden",
                                 'secrets is forbidden: User "bob" cannot list resource '
                                 '"secrets" in API group "" at the cluster scope'))
            return self.send(200, {"kind": "SecretList", "metadata": {}, "items": []})
        if p in ("/api/v1/pods",):
            return self.send(200, {"kind": "PodList", "metadata": {}, "items": []})
        if p == "/api/v1/nodes" and "--no-nodes" in sys.argv:
            return self.send(200, {"kind": "NodeList", "metadata": {}, "items": []})
        if p == "/api/v1/nodes":
            return self.send(200, {"kind": "NodeList", "metadata": {}, "items": [
                {"metadata": {"name": "node-1"},
                 "status": {"nodeInfo": {"kubeletVersion": "v1.20.2",
                                         "kubeProxyVersion": "v1.20.2"}}}]})
        if p == "/metrics":
            body = (b"# HELP apiserver_requested_deprecated_apis [ALPHA] Gauge of deprecated APIs\n"
                    b"# TYPE apiserver_requested_deprecated_apis gauge\n"
                    b'apiserver_requested_deprecated_apis{group="extensions",removed_release="1.22",'
                    b'resource="ingresses",subresource="",version="v1beta1"} 1\n'
                    b'apiserver_requested_deprecated_apis{group="policy",removed_release="1.25",'
                    b'resource="podsecuritypolicies",subresource="",version="v1beta1"} 1\n'
                    b"apiserver_request_total 5\n")
            return self.send(200, body, "text/plain")
        if p == "/flaky":
            with LOCK:
                STATE["flaky"] += 1
                first = STATE["flaky"] == 1
            if first:
                return self.send(429, status_obj(429, "TooManyRequests", "slow down"),
                                 headers=[("Retry-After", "1")])
            return self.send(200, {"ok": True})
        if p == "/always503":
            return self.send(503, status_obj(503, "ServiceUnavailable", "etcd is sad"))
        if p == "/slow":
            time.sleep(3)
            return self.send(200, {"ok": True})
        if p == "/api/v1/bigthings":
            # 40 items of 20 kB, paginated by the limit asked for
            items = [json.dumps({"metadata": {"name": "big-%02d" % i, "namespace": "n"},
                                 "data": {"x": "y" * 20000}}).encode() for i in range(40)]
            start = int(cont) if cont else 0
            end = len(items) if not limit else min(len(items), start + limit)
            nxt = str(end) if end < len(items) else None
            return self.send(200, page_bytes("BigThingList", "v1", items[start:end], nxt))
        if p == "/api/v1/loops":
            return self.send(200, page_bytes("LoopList", "v1", [b'{"metadata":{"name":"x"}}'],
                                             "same-token"))
        if p == "/api/v1/things":
            pages = [[{"metadata": {"name": "a", "namespace": "n"}},
                      {"metadata": {"name": "b", "namespace": "n"}}],
                     [{"metadata": {"name": "c", "namespace": "n"}}],
                     [{"metadata": {"name": "d", "namespace": "n"}}]]
            idx = int(cont) if cont else 0
            if idx == 1:
                with LOCK:
                    STATE["gone"] += 1
                    gone = STATE["gone"] == 1
                if gone:
                    return self.send(410, status_obj(410, "Expired",
                                                     "The provided continue parameter is too old"))
            if not cont:
                # the restarted list has everything again
                items = pages[0] + pages[1] + pages[2] if STATE["gone"] else pages[0]
                nxt = None if STATE["gone"] else "1"
            else:
                items = pages[idx]
                nxt = str(idx + 1) if idx + 1 < len(pages) else None
            raw = [json.dumps(i).encode() for i in items]
            return self.send(200, page_bytes("ThingList", "v1", raw, nxt))
        return self.send(404, status_obj(404, "NotFound", "the server could not find the "
                                         "requested resource"))


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    if "--insecure-http" not in sys.argv:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(DIR, "server.crt"), os.path.join(DIR, "server.key"))
        ctx.load_verify_locations(os.path.join(DIR, "ca.crt"))
        ctx.verify_mode = ssl.CERT_OPTIONAL
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    configmaps()
    tmp = os.path.join(DIR, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, os.path.join(DIR, "port"))
    srv.serve_forever()


main()
