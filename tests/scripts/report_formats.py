#!/usr/bin/env python3
"""report_formats.py KUPGRADE SOURCE_DIR - every output format carries every finding.

Runs `scan --preflight` over cluster dumps, `scan --show-undecided` over a
chart (its chart evaluations, a family of their own: undecided and
not-rendered objects), `fix -o`
over manifests fix refuses to convert, in all eight formats, and `plan -o`
(its blockers and risks) in all eight formats (json and yaml are the plan
document; table, markdown and html embed the report model's section), and checks that each format holds
the same number of findings (API lifecycle, pre-flight, risk, fix, chart evaluation), the same
number at the blocking/removed level, the same check ids of the other
families, and that the exit code is the same for all of them.
"""
import csv
import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import yaml

FORMATS = ["table", "json", "yaml", "csv", "markdown", "sarif", "junit", "html"]
# the families of report items besides the API findings (report.h)
FAMILIES = ["preflight", "risk", "fix", "chart-evaluation"]
TITLES = ("Pre-flight checks", "Upgrade blockers and risks", "Fix results", "Chart evaluations")
failures = []


def run(cli, args, fmt, verb="scan"):
    env = dict(os.environ, NO_COLOR="1")
    p = subprocess.run([cli, verb] + args + ["-o", fmt], capture_output=True, env=env)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def count_table(out):
    """(total, severe, check ids) from the table and its pre-flight section."""
    total = severe = 0
    checks = []
    section = None
    for line in out.splitlines():
        if line.startswith("STATUS "):
            section = "api"
            continue
        if line.startswith(TITLES) and re.search(r": \d+ findings?$", line):
            section = "items"
            continue
        if not line.strip():
            section = None
            continue
        if section == "api":
            total += 1
            severe += line.split()[0] in ("removed", "opt-in-removed")
        elif section == "items" and not line.startswith(" "):
            total += 1
            sev, check = line.split()[:2]
            severe += sev == "blocking"
            checks.append(check)
    return total, severe, sorted(checks)


def count_structured(doc):
    api = doc["findings"]
    pre = [i for fam in FAMILIES for i in doc.get(fam, [])]
    severe = sum(f["status"] in ("removed", "opt-in-removed") for f in api)
    severe += sum(p["severity"] == "blocking" for p in pre)
    return len(api) + len(pre), severe, sorted(p["check"] for p in pre)


def count_csv(out):
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    pre = [r for r in rows if r["status"] in ("blocking", "warning", "info")]
    severe = sum(r["status"] in ("removed", "opt-in-removed", "blocking") for r in rows)
    return len(rows), severe, sorted(r["check"] for r in pre)


def count_markdown(out):
    total = severe = 0
    checks = []
    for line in out.splitlines():
        if not line.startswith("| ") or line.startswith(("| Status ", "| Severity ")):
            continue
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        total += 1
        severe += cells[0] in ("removed", "opt-in-removed", "blocking")
        if cells[0] in ("blocking", "warning", "info"):
            checks.append(cells[1].replace("\\", ""))
    return total, severe, sorted(checks)


def count_sarif(out):
    doc = json.loads(out)
    results = doc["runs"][0]["results"]
    severe = sum(r["level"] == "error" for r in results)
    checks = [r["ruleId"] for r in results if r.get("properties", {}).get("family") in FAMILIES]
    return len(results), severe, sorted(checks)


def count_junit(out):
    root = ET.fromstring(out)
    cases = [c for c in root.iter("testcase") if c.get("classname") != "kupgrade"]
    severe = 0
    checks = []
    for c in cases:
        f = c.find("failure")
        # below --fail-on a finding passes, its facts in <system-out>
        body = f.text if f is not None else (c.findtext("system-out") or "")
        first = body.splitlines()[0] if body else ""
        if first in ("status: removed", "status: opt-in-removed", "severity: blocking"):
            severe += 1
        if c.get("classname") in FAMILIES:
            checks.append(c.get("name").split()[0])
    if int(root.get("tests")) != len(list(root.iter("testcase"))):
        failures.append("junit: the tests attribute does not count the testcases")
    return len(cases), severe, sorted(checks)


def count_html(out):
    rows = re.findall(r'<tr class="(finding|item) ([a-z-]+)(?: ([a-z]+))?">((?:(?!</tr>).)*)</tr>', out)
    severe = 0
    checks = []
    for kind, a, b, body in rows:
        if kind == "finding":
            severe += a == "removed"
        else:
            severe += b == "blocking"
            checks.append(re.findall(r"<td>(.*?)</td>", body)[1])
    if "<script" in out or "http-equiv" in out:
        failures.append("html: the page must be self-contained and script-free")
    return len(rows), severe, sorted(checks)


def count(fmt, out):
    if fmt == "table":
        return count_table(out)
    if fmt == "json":
        return count_structured(json.loads(out))
    if fmt == "yaml":
        return count_structured(yaml.safe_load(out))
    if fmt == "csv":
        return count_csv(out)
    if fmt == "markdown":
        return count_markdown(out)
    if fmt == "sarif":
        return count_sarif(out)
    if fmt == "junit":
        return count_junit(out)
    return count_html(out)


def count_plan(doc):
    """A plan document (json, yaml): its blockers, then its risks."""
    items = doc["blockers"] + doc["risks"]
    severe = len(doc["blockers"])
    return len(items), severe, sorted(i["id"] for i in items)


def check(cli, name, args, want_total, want_severe, want_checks, want_rc, verb="scan",
          formats=FORMATS):
    for fmt in formats:
        rc, out, err = run(cli, args, fmt, verb)
        if verb == "plan" and fmt in ("json", "yaml"):
            got = count_plan(json.loads(out) if fmt == "json" else yaml.safe_load(out))
        else:
            got = count(fmt, out)
        if got != (want_total, want_severe, want_checks):
            failures.append(f"{name} -o {fmt}: (total, blocking/removed, checks) = {got}, "
                            f"expected {(want_total, want_severe, want_checks)}")
        if rc != want_rc:
            failures.append(f"{name} -o {fmt}: exit code {rc}, expected {want_rc}")
        if "Pre-flight" in err or "pre-flight" in err:
            failures.append(f"{name} -o {fmt}: pre-flight findings on standard error:\n{err}")


def main():
    cli, src = sys.argv[1], sys.argv[2]
    dump = os.path.join(src, "examples", "cluster-dump.json")
    pf = os.path.join(src, "tests", "cases", "preflight-dump-table", "cluster.json")

    # the bundled dump: 7 removed APIs; --preflight alone finds nothing more
    check(cli, "bundled dump", [dump, "--preflight"], 7, 7, [], 3)
    # with an allowed registry, three images are not from it
    check(cli, "bundled dump, registries",
          [dump, "--allowed-registries", "registry.k8s.io"], 10, 7,
          ["image-registry"] * 3, 3)
    # a dump with every pre-flight check firing: 2 deprecated APIs and 8 pre-flight
    # findings (3 blocking) exit 3 because of the pre-flight findings alone
    check(cli, "pre-flight dump",
          [pf, "--to", "1.22", "--allowed-registries", "registry.internal"], 10, 3,
          sorted(["crd-stored-version", "pdb-blocking", "webhook-unavailable",
                  "apiservice-unavailable", "image-registry", "node-skew", "node-skew",
                  "webhook-kube-system"]), 3)
    # without --preflight the pre-flight findings are absent everywhere
    check(cli, "no pre-flight", [pf, "--to", "1.22"], 2, 0, [], 2)
    # --fail-on none: the model still carries them, the exit code ignores them
    check(cli, "fail-on none", [pf, "--to", "1.22", "--preflight", "--fail-on", "none"],
          9, 3, sorted(["crd-stored-version", "pdb-blocking", "webhook-unavailable",
                        "apiservice-unavailable", "node-skew", "node-skew",
                        "webhook-kube-system"]), 0)
    # chart evaluations: items of their own family (check undecided or
    # not-rendered) in every format; a removed Deployment besides them
    chart = os.path.join(src, "tests", "cases", "chart-templates-undecided", "demo")
    check(cli, "chart evaluations", [chart, "--show-undecided"], 3, 1,
          ["not-rendered", "not-rendered"], 3)
    # --fail-on undecided: the exit code comes from the model, whether the
    # undecided object is listed (a warning item) or only counted
    only = os.path.join(src, "tests", "cases", "chart-undecided-only", "chart")
    check(cli, "undecided, listed", [only, "--show-undecided", "--fail-on", "undecided"], 1, 0,
          ["undecided"], 2)
    check(cli, "undecided, counted", [only, "--fail-on", "undecided"], 0, 0, [], 2)
    check(cli, "undecided, informing", [only, "--show-undecided"], 1, 0, ["undecided"], 0)

    # fix refusals: a ThirdPartyResource and an extensions/v1beta1 HPA fix
    # cannot convert, both removed at 1.20: blocking, exit 3
    old = os.path.join(src, "tests", "cases", "fix-unfixable-old-apis", "old.yaml")
    check(cli, "fix refusals", [old, "--to", "1.20"], 2, 2, ["fix-refused"] * 2, 3, verb="fix")
    # a PodSecurityPolicy is removed at 1.25 and cannot be converted; the
    # object beside it is converted (info)
    psp = os.path.join(src, "tests", "cases", "fix-unfixable-psp", "psp.yaml")
    check(cli, "fix refusal, psp", [psp, "--to", "1.25"], 2, 1,
          ["fix-converted", "fix-refused"], 3, verb="fix")
    # what fix changed is in every format too (never "no deprecated APIs found")
    ing = os.path.join(src, "tests", "cases", "fix-ingress-diff", "ingress.yaml")
    check(cli, "fix conversions", [ing, "--to", "1.30"], 1, 0, ["fix-converted"], 0, verb="fix")
    for fmt in ("table", "markdown", "html"):
        _, out, _ = run(cli, [ing, "--to", "1.30"], fmt, "fix")
        if "No deprecated or removed APIs found" in out:
            failures.append(f"fix conversions -o {fmt}: says no deprecated APIs were found")

    # plan: blockers and risks of a profile as findings (csv, sarif, junit; in
    # the text, markdown and html runbooks the report model's section beside
    # plan's own steps), the same counts as its own document (json, yaml); the
    # exit code is the verdict's
    profile = os.path.join(src, "examples", "cluster", "profile.yaml")
    rc, out, _ = run(cli, [profile, "--to", "1.30", "--today", "2026-12-07"], "json", "plan")
    want = count_plan(json.loads(out))
    if want[0] == 0:
        failures.append("plan: the example profile has no blockers or risks to compare")
    check(cli, "plan risks", [profile, "--to", "1.30", "--today", "2026-12-07"], *want, rc,
          verb="plan")
    # a blocked plan (the case plan-blocked): blockers are blocking, exit 3
    blocked = [os.path.join(src, "tests", "cases", "plan-blocked", "profile.yaml"), "--to", "1.28",
               "--kb", os.path.join(src, "tests", "data", "plan-kb")]
    rc, out, _ = run(cli, blocked, "json", "plan")
    want = count_plan(json.loads(out))
    if want[1] == 0 or rc != 3:
        failures.append(f"plan-blocked: expected blockers and exit 3, got {want}, exit {rc}")
    check(cli, "plan blockers", blocked, *want, rc, verb="plan")

    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
