#!/usr/bin/env python3
"""fleet_preflight.py KUPGRADE SOURCE_DIR - the fleet holds a cluster on plan's pre-flight blockers.

Two clusters share one profile (examples/cluster/profile.yaml); one names a
cluster dump (`dump:`, the dump of tests/cases/preflight-dump-table, whose
CRD stored version and unavailable Fail webhook are pre-flight blockers).
`plan PROFILE --dump DUMP` is BLOCKED on those; the fleet must show the
same blockers for that cluster, hold it on `fleet run --once`, and let the
other cluster start its first step.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

failures = []

FLEET = """apiVersion: kupgrade.dev/v1alpha1
kind: Fleet
metadata: {name: preflight}
spec:
  target: {version: "1.30"}
  clusters:
    - {name: with-dump, profile: profile.yaml, dump: cluster.json, labels: {env: a}}
    - {name: no-dump, profile: profile.yaml, labels: {env: a}}
  waves:
    - {name: a, selector: {env: a}, maxConcurrent: 2}
  driver:
    control-plane: "true"
    nodepool: "true"
    addon: "true"
    verify: "true"
    timeout: 1m
"""


def run(cli, args, cwd):
    p = subprocess.run([cli] + args, capture_output=True, cwd=cwd,
                       env=dict(os.environ, NO_COLOR="1"))
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def status(cli, work, store):
    rc, out, err = run(cli, ["fleet", "status", "fleet.yaml", "--store", store, "-o", "json"], work)
    doc = json.loads(out)
    return rc, {c["name"]: c for c in doc["clusters"]}


def main():
    cli, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="kup-fleet-pf-")
    try:
        shutil.copy(os.path.join(src, "examples", "cluster", "profile.yaml"), work)
        shutil.copy(os.path.join(src, "tests", "cases", "preflight-dump-table", "cluster.json"), work)
        with open(os.path.join(work, "fleet.yaml"), "w") as f:
            f.write(FLEET)
        store = "sqlite:" + os.path.join(work, "fleet.db")

        # what plan says about the same profile and dump
        rc, out, err = run(cli, ["plan", "profile.yaml", "--to", "1.30", "--dump", "cluster.json",
                                 "-o", "json"], work)
        plan = json.loads(out)
        ids = [b["id"] for b in plan["blockers"]]
        pre = [i for i in ids if i.startswith("preflight/")]
        if plan["verdict"] != "BLOCKED" or len(pre) < 2:
            failures.append(f"plan --dump: expected pre-flight blockers, got {plan['verdict']} {ids}")
        rc, out, err = run(cli, ["plan", "profile.yaml", "--to", "1.30", "-o", "json"], work)
        if json.loads(out)["verdict"] == "BLOCKED":
            failures.append("plan without the dump is blocked: the case tests nothing")

        rc, rows = status(cli, work, store)
        wd, nd = rows["with-dump"], rows["no-dump"]
        for i in ids:
            if i not in (wd["blockers"] or ""):
                failures.append(f"fleet status: blocker {i} of plan --dump missing: {wd['blockers']}")
        if wd["next_step"] is not None:
            failures.append(f"fleet status: the blocked cluster has a next step {wd['next_step']}")
        if nd["blockers"] or not nd["next_step"]:
            failures.append(f"fleet status: the cluster without a dump should be ready: {nd}")

        rc, out, err = run(cli, ["fleet", "run", "fleet.yaml", "--store", store, "--once"], work)
        rc, rows = status(cli, work, store)
        if rows["with-dump"]["state"] != "held":
            failures.append(f"fleet run --once: with-dump is {rows['with-dump']['state']}, not held")
        if rows["no-dump"]["state"] in ("held", "pending"):
            failures.append(f"fleet run --once: no-dump did not start: {rows['no-dump']['state']}")

        # a dump that cannot be read holds the cluster too (its blockers are unknown)
        with open(os.path.join(work, "fleet.yaml"), "w") as f:
            f.write(FLEET.replace("dump: cluster.json", "dump: missing.json")
                    .replace("name: preflight", "name: preflight2"))
        rc, rows = status(cli, work, "sqlite:" + os.path.join(work, "other.db"))
        if "cannot read the dump" not in (rows["with-dump"]["blockers"] or ""):
            failures.append(f"a missing dump: {rows['with-dump']}")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
