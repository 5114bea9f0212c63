#!/usr/bin/env python3
"""snapshot_load.py URL CA CERT KEY N NAMESPACES SEED - creates N seeded
ConfigMaps (each with a kubectl last-applied-configuration annotation, a
tenth of them naming a removed API) spread over NAMESPACES namespaces
(bench-000 ...), through 8 keep-alive HTTPS connections.  Namespaces are
created first.  Prints the number created."""
import http.client
import json
import random
import ssl
import sys
import threading
import urllib.parse

url, ca, cert, key, n, nns, seed = sys.argv[1:8]
n, nns, seed = int(n), int(nns), int(seed)
u = urllib.parse.urlparse(url)
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)


def conn():
    return http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=60)


def post(c, path, obj):
    body = json.dumps(obj)
    for _ in range(5):
        try:
            c.request("POST", path, body, {"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            if r.status in (201, 409):
                return c
            if r.status not in (429, 500, 503, 504):
                raise SystemExit("POST %s: %d" % (path, r.status))
        except (OSError, http.client.HTTPException):
            c.close()
            c = conn()
    raise SystemExit("POST %s failed" % path)


c = conn()
for i in range(nns):
    c = post(c, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                       "metadata": {"name": "bench-%03d" % i}})

rng = random.Random(seed)
sizes = [rng.randint(100, 1500) for _ in range(n)]


def work(t, total):
    c = conn()
    for i in range(t, total, 8):
        ns = "bench-%03d" % (i % nns)
        name = "cm-%06d" % i
        la = {"apiVersion": "extensions/v1beta1" if i % 10 == 0 else "v1",
              "kind": "Ingress" if i % 10 == 0 else "ConfigMap",
              "metadata": {"name": name, "namespace": ns}}
        obj = {"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": name, "namespace": ns, "labels": {"app": "bench", "i": str(i)},
                            "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
                                            json.dumps(la, separators=(",", ":"))}},
               "data": {"payload": "x" * sizes[i]}}
        c = post(c, "/api/v1/namespaces/%s/configmaps" % ns, obj)


ts = [threading.Thread(target=work, args=(t, n)) for t in range(8)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(n)
