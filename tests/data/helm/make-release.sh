#!/bin/sh
# make-release.sh - builds real Helm v3 release encodings from a release JSON.
#
#   make-release.sh RELEASE.json OUTDIR      the three stored forms
#   make-release.sh --errors OUTDIR          the broken records for error tests
#
# Helm (helm.sh/helm/v3/pkg/storage/driver/util.go) stores
#     encodeRelease(rls) = base64.StdEncoding(gzip.BestCompression(json.Marshal(rls)))
# in `data.release`:
#   - Secret driver (secrets.go): Secret sh.helm.release.v1.NAME.vREV, type
#     helm.sh/release.v1, labels createdAt/name/owner=helm/status/version.
#     Secret data is base64'd by the API, so `kubectl get secret -o json`
#     shows base64(encodeRelease(rls)): two base64 layers.
#   - ConfigMap driver (cfgmaps.go): the same name and labels, data.release
#     is encodeRelease(rls) as is: one base64 layer.
#
# The JSON is re-marshalled the way Go's encoding/json does it (compact, key
# order kept, <, >, & and U+2028/9 escaped) and gzipped with mtime 0, which
# gives Go's gzip header byte for byte (1f 8b 08 00 00000000 02 ff).
# The outputs are deterministic; commit them.
set -eu

exec python3 - "$@" <<'PY'
import base64, gzip, json, os, sys
from collections import OrderedDict

def go_json(obj):
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                 ("\u2028", "\\u2028"), ("\u2029", "\\u2029"),
                 ("\\b", "\\u0008"), ("\\f", "\\u000c")):
        s = s.replace(a, b)
    return s.encode("utf-8")

def gz(data):
    z = gzip.compress(data, compresslevel=9, mtime=0)
    # Go's compress/gzip writes OS = 255 (unknown); CPython writes 3 or 255
    return z[:9] + b"\xff" + z[10:]

def b64(data):
    return base64.b64encode(data).decode("ascii")

def encode_release(rel):
    return b64(gz(go_json(rel)))

def write(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)

def stored_forms(src, outdir):
    with open(src, encoding="utf-8") as f:
        rel = json.load(f, object_pairs_hook=OrderedDict)
    name, rev = rel["name"], rel["version"]
    ns, status = rel["namespace"], rel["info"]["status"]
    key = "sh.helm.release.v1.%s.v%d" % (name, rev)
    enc = encode_release(rel)
    base = os.path.join(outdir, "%s.v%d" % (name, rev))
    labels = OrderedDict([("createdAt", "1685725451"), ("name", name),
                          ("owner", "helm"), ("status", status),
                          ("version", str(rev))])
    meta = OrderedDict([("creationTimestamp", "2023-06-02T17:04:11Z"),
                        ("labels", labels), ("name", key), ("namespace", ns),
                        ("resourceVersion", "48213"),
                        ("uid", "7c9e6679-7425-40de-944b-e07fc1f90ae7")])
    # kubectl get secret -o json: 4-space indent, keys sorted
    secret = OrderedDict([("apiVersion", "v1"),
                          ("data", OrderedDict([("release", b64(enc.encode()))])),
                          ("kind", "Secret"), ("metadata", meta),
                          ("type", "helm.sh/release.v1")])
    write(base + "-secret.json", json.dumps(secret, indent=4) + "\n")

    def yaml_doc(kind, data_value, extra):
        lines = ["apiVersion: v1", "data:", "  release: " + data_value,
                 "kind: " + kind, "metadata:",
                 "  creationTimestamp: \"2023-06-02T17:04:11Z\"", "  labels:"]
        for k, v in labels.items():
            lines.append("    %s: %s" % (k, '"%s"' % v if v.isdigit() else v))
        lines += ["  name: " + key, "  namespace: " + ns,
                  "  resourceVersion: \"48213\"",
                  "  uid: 7c9e6679-7425-40de-944b-e07fc1f90ae7"]
        return "\n".join(lines + extra) + "\n"

    write(base + "-secret.yaml",
          yaml_doc("Secret", b64(enc.encode()), ["type: helm.sh/release.v1"]))
    write(base + "-configmap.yaml", yaml_doc("ConfigMap", enc, []))
    # the bare data.release string of each driver, for tests and fuzz seeds
    write(base + ".configmap-release.txt", enc + "\n")
    write(base + ".secret-release.txt", b64(enc.encode()) + "\n")

def error_forms(outdir):
    good = go_json(OrderedDict([("name", "broken"),
                                ("info", OrderedDict([("status", "deployed")])),
                                ("manifest", "apiVersion: v1\nkind: ConfigMap\n" * 200),
                                ("version", 1), ("namespace", "default")]))
    z = gz(good)
    out = {}
    full = b64(z)
    out["truncated-base64"] = full[: len(full) - 3]        # not a multiple of 4
    out["invalid-base64"] = full[:40] + "*" + full[41:]    # '*' at byte 40
    out["truncated-gzip"] = b64(z[: len(z) // 2])
    crc = bytearray(z)
    crc[-8] ^= 0xff                                        # CRC32 of the trailer
    out["bad-crc"] = b64(bytes(crc))
    bad = bytearray(z)
    for i in range(12, 30):                                # inside the deflate data
        bad[i] ^= 0x55
    out["corrupt-gzip"] = b64(bytes(bad))
    # 8 MiB of JSON that compresses to a few KiB: a gzip bomb past 1 MiB
    bomb = b'{"name":"bomb","manifest":"' + b" " * (8 << 20) + b'"}'
    out["gzip-bomb"] = b64(gz(bomb))
    out["not-json"] = b64(gz(b"this is not a helm release\n"))
    out["json-array"] = b64(gz(b'[{"name":"x"}]'))
    out["bad-json"] = b64(gz(b'{"name":"x","version":3,'))
    # Helm v2 (Tiller): gzip(protobuf hapi.release.Release); field 1 = name,
    # field 5 = manifest; and the pre-compression form, bare protobuf
    pb = b"\x0a\x05shop2" + b"\x2a\x1eapiVersion: v1\nkind: ConfigMap\n" + b"\x48\x07"
    out["helm-v2"] = b64(gz(pb))
    out["helm-v2-uncompressed"] = b64(pb)
    out["double-gzip"] = b64(gz(z))
    out["plain-json"] = b64(good)                           # accepted: no gzip
    # two gzip members back to back: Go's gzip.Reader reads both
    out["multi-member"] = b64(gz(b'{"name":"two",') + gz(b'"version":2}'))
    out["trailing-garbage"] = b64(z + b"\0\0junk")
    for k, v in out.items():
        write(os.path.join(outdir, "err-%s.txt" % k), v + "\n")

if len(sys.argv) == 3 and sys.argv[1] == "--errors":
    error_forms(sys.argv[2])
elif len(sys.argv) == 3:
    stored_forms(sys.argv[1], sys.argv[2])
else:
    sys.exit("usage: make-release.sh RELEASE.json OUTDIR | --errors OUTDIR")
PY
