#!/usr/bin/env python3
"""yaml_outputs.py KUPGRADE SOURCE_DIR - every verb's `-o yaml` is its `-o json`.

For every verb that writes a JSON document, runs it with `-o json` and with
`-o yaml`, parses both (json, python3-yaml) and checks that they are the same
document with the same exit code.  The YAML of each comes from the core
emitter (kupgrade/emit.h), either written directly or re-written from the
verb's JSON.  drain and rollout run need a live cluster: tests/integration.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

failures = []


def run(cli, args, cwd=None):
    p = subprocess.run([cli] + args, capture_output=True, cwd=cwd,
                       env=dict(os.environ, NO_COLOR="1"))
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def same(cli, name, args, cwd=None, min_len=1):
    rc_j, out_j, err_j = run(cli, args + ["-o", "json"], cwd)
    rc_y, out_y, err_y = run(cli, args + ["-o", "yaml"], cwd)
    try:
        doc_j = json.loads(out_j)
    except ValueError as e:
        failures.append(f"{name}: -o json is not JSON ({e}); stderr: {err_j[:300]}")
        return
    try:
        doc_y = yaml.safe_load(out_y)
    except yaml.YAMLError as e:
        failures.append(f"{name}: -o yaml is not YAML ({e}); stderr: {err_y[:300]}")
        return
    if out_y.lstrip().startswith("{"):
        failures.append(f"{name}: -o yaml printed JSON")
    if doc_j != doc_y:
        failures.append(f"{name}: -o yaml differs from -o json")
    if rc_j != rc_y:
        failures.append(f"{name}: exit code {rc_y} with yaml, {rc_j} with json")
    if len(json.dumps(doc_j)) < min_len:
        failures.append(f"{name}: the document is too small to compare: {out_j[:200]}")


def main():
    cli, src = sys.argv[1], sys.argv[2]
    ex = os.path.join(src, "examples")
    cases = os.path.join(src, "tests", "cases")
    plan_kb = os.path.join(src, "tests", "data", "plan-kb")

    # scan: the report model (json and yaml renderers of one emitter)
    same(cli, "scan dump", ["scan", os.path.join(ex, "cluster-dump.json"),
                            "--allowed-registries", "registry.k8s.io"], min_len=1000)
    # plan: one profile, and a directory (its JSON made by the CLI)
    same(cli, "plan profile", ["plan", os.path.join(ex, "cluster", "profile.yaml"), "--to", "1.30",
                               "--today", "2026-12-07"], min_len=1000)
    same(cli, "plan dir", ["plan", os.path.join(cases, "plan-dir", "fleet") + "/", "--to", "1.28",
                           "--kb", plan_kb], min_len=500)
    # fix: the refusals
    same(cli, "fix refusals", ["fix", os.path.join(cases, "fix-unfixable-old-apis", "old.yaml"),
                               "--to", "1.20"], min_len=300)
    # profile
    same(cli, "profile", ["profile", os.path.join(ex, "cluster", "profile.yaml")], min_len=200)
    # kb listings
    for what in ("list", "addons", "risks"):
        same(cli, "kb " + what, ["kb", what], min_len=1000)
    # rollout
    scen = os.path.join(ex, "rollout", "small-12.yaml")
    same(cli, "rollout check", ["rollout", "check", scen])
    same(cli, "rollout plan", ["rollout", "plan", scen], min_len=100)
    same(cli, "rollout simulate", ["rollout", "simulate", scen, "--seeds", "2"], min_len=100)
    same(cli, "rollout tune", ["rollout", "tune", scen, "--provider", "eks", "--seeds", "2",
                               "--max-surge", "1", "--max-unavailable", "1"], min_len=100)
    # fleet status and events, on a store that has seen one reconcile tick
    work = tempfile.mkdtemp(prefix="kup-yaml-")
    try:
        shutil.copytree(os.path.join(ex, "fleet"), os.path.join(work, "fleet"))
        fdir = os.path.join(work, "fleet")
        subprocess.run([os.path.join(fdir, "gen.sh")], capture_output=True, cwd=fdir)
        store = "sqlite:" + os.path.join(work, "fleet.db")
        rc, _, err = run(cli, ["fleet", "run", "fleet.yaml", "--store", store, "--once",
                               "--now", "2026-11-23T08:00:00Z"], fdir)
        if rc not in (0, 2, 3):
            failures.append(f"fleet run --once: exit {rc}: {err[:300]}")
        same(cli, "fleet status", ["fleet", "status", "fleet.yaml", "--store", store], fdir,
             min_len=500)
        same(cli, "fleet events", ["fleet", "events", "--store", store], fdir, min_len=50)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
