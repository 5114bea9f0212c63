#!/usr/bin/env python3
"""progress.py KUPGRADE SOURCE_DIR - the progress line of the long jobs.

Runs scan (files and --live), snapshot, rollout simulate, rollout tune and fleet run three
ways: with stderr on a pseudo-terminal, with stderr on a pipe, and on the
terminal with --quiet (or -q).  On the terminal the line appears
("\\r<text>\\033[K") and is cleared at the end ("\\r\\033[K"); on a pipe and with
--quiet stderr holds no '\\r' and no progress text.  Where stderr has no
timestamps, the terminal's stderr with the progress line taken out equals the
pipe's; stdout is the same all three ways.  The cluster is
tests/data/live/server.py over plain HTTP.
"""
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

CLI = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
ENV = dict(os.environ, NO_COLOR="1", KUPGRADE_TODAY="2026-12-01")
failures = []
PROGRESS = re.compile(rb"\r[^\r\n]*?\x1b\[K")


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def run_tty(args, cwd):
    """(rc, stdout, stderr) with stderr on a pseudo-terminal, stdout on a pipe."""
    master, slave = pty.openpty()
    p = subprocess.Popen([CLI] + args, cwd=cwd, env=ENV, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    err = b""
    out = b""
    fds = [master, p.stdout]
    deadline = time.time() + 120
    while fds and time.time() < deadline:
        r, _, _ = select.select(fds, [], [], 0.2)
        if master in r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if chunk:
                err += chunk
            else:
                fds.remove(master)
        if p.stdout in r:
            chunk = p.stdout.read1(65536)
            if chunk:
                out += chunk
            else:
                fds.remove(p.stdout)
    out += p.stdout.read()
    os.close(master)
    return p.wait(), out, err


def run_pipe(args, cwd):
    p = subprocess.run([CLI] + args, cwd=cwd, env=ENV, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


SNAP_TIME = re.compile(rb'"kupgrade\.dev/snapshot-time":\s*"[^"]*"')


def check(name, args, text, cwd, quiet="--quiet", exact=True):
    """text: bytes the progress line starts with."""
    rc_t, out_t, err_t = run_tty(args, cwd)
    rc_p, out_p, err_p = run_pipe(args, cwd)
    rc_q, out_q, err_q = run_tty(args + [quiet], cwd)
    # a pty turns "\n" into "\r\n": undo that before looking for the line
    err_t = err_t.replace(b"\r\n", b"\n")
    err_q = err_q.replace(b"\r\n", b"\n")
    if b"\r" + text not in err_t:
        fail("%s: no progress line %r on a terminal: %r" % (name, text, err_t[-400:]))
    elif not err_t.rstrip(b"\n").split(b"\n")[-1].endswith(b"\r\x1b[K") and \
            b"\r\x1b[K" not in err_t:
        fail("%s: the progress line is never cleared: %r" % (name, err_t[-400:]))
    for how, err in (("on a pipe", err_p), ("with " + quiet, err_q)):
        if b"\r" in err or text in err or b"\x1b[" in err:
            fail("%s: progress output %s: %r" % (name, how, err[-400:]))
    if exact:
        rest = PROGRESS.sub(b"", err_t)
        if rest != err_p:
            fail("%s: stderr on a terminal, progress taken out, differs from the pipe's:\n"
                 "%r\n%r" % (name, rest[-400:], err_p[-400:]))
    if not (rc_t == rc_p == rc_q):
        fail("%s: exit codes differ: terminal %d, pipe %d, quiet %d" % (name, rc_t, rc_p, rc_q))
    # a snapshot records the second it was taken: runs a second apart differ only there
    out_t, out_p, out_q = (SNAP_TIME.sub(b"", o) for o in (out_t, out_p, out_q))
    if not (out_t == out_p == out_q):
        fail("%s: stdout differs between terminal, pipe and --quiet" % name)
    print("ok: %s (exit %d)" % (name, rc_p))


def start_server(d):
    p = subprocess.Popen([sys.executable, os.path.join(SRC, "tests/data/live/server.py"), d,
                          "--objects", "1200", "--insecure-http"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(os.path.join(d, "port")):
            with open(os.path.join(d, "port")) as f:
                port = f.read().strip()
            if port:
                return p, int(port)
        time.sleep(0.05)
    p.kill()
    raise SystemExit("server.py did not start")


def main():
    tmp = tempfile.mkdtemp(prefix="kup-progress.")
    server = None
    try:
        check("scan", ["scan", "examples/manifests", "examples/charts", "--to", "1.29",
                       "-o", "json"], b"scanning: ", SRC)
        check("scan -q", ["scan", "examples/manifests", "--to", "1.29"], b"scanning: ", SRC,
              quiet="-q")
        check("rollout simulate", ["rollout", "simulate", "examples/rollout/small-12.yaml",
                                   "--seeds", "3", "-o", "json"], b"simulating: ", SRC)
        check("rollout tune", ["rollout", "tune", "examples/rollout/small-12.yaml", "--provider",
                               "capi", "--seeds", "2", "--max-surge", "2", "--max-unavailable", "1",
                               "-o", "json"], b"tuning capi: ", SRC, quiet="-q")

        server, port = start_server(tmp)
        kc = os.path.join(tmp, "kubeconfig.yaml")
        with open(kc, "w") as f:
            f.write("apiVersion: v1\nkind: Config\ncurrent-context: t\n"
                    "clusters: [{name: t, cluster: {server: 'http://127.0.0.1:%d'}}]\n"
                    "users: [{name: t, user: {token: good-token}}]\n"
                    "contexts: [{name: t, context: {cluster: t, user: t}}]\n" % port)
        live = ["--kubeconfig", kc, "--context", "t"]
        check("scan --live", ["scan", "--to", "1.29", "-o", "json"] + live,
              b"listing the cluster: ", tmp)
        check("snapshot", ["snapshot", "-o", "-"] + live, b"listing the cluster: ", tmp)

        # fleet run: one tick (--once), each run on a fleet folder and a store of
        # its own (the simulated provider rewrites the profiles it upgrades)
        fleet_check(tmp, ["fleet", "run", "fleet.yaml", "--time-scale", "36000",
                          "--now", "2026-11-23T08:00:00Z", "--once", "--store"])
    finally:
        if server:
            server.kill()
            server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    return 0


def fresh_fleet(tmp, how):
    """A copy of examples/fleet.  The driver timeout (6h) is 0.6 s at the time
    scale used here, which a loaded machine can exceed: made 96h (9.6 s)."""
    fleet = os.path.join(tmp, "fleet-" + how)
    shutil.copytree(os.path.join(SRC, "examples/fleet"), fleet)
    for f in ("driver.log", "fail.list", "unhealthy.list"):
        if os.path.exists(os.path.join(fleet, f)):
            os.unlink(os.path.join(fleet, f))
    path = os.path.join(fleet, "fleet.yaml")
    with open(path) as f:
        text = f.read()
    if "    timeout: 6h\n" not in text:
        fail("fleet run: examples/fleet/fleet.yaml has no 'timeout: 6h' line to raise")
    with open(path, "w") as f:
        f.write(text.replace("    timeout: 6h\n", "    timeout: 96h\n"))
    subprocess.run([os.path.join(fleet, "gen.sh")], check=True)
    return fleet


def fleet_check(tmp, args):
    """fleet run logs timestamped lines: only the progress line is checked."""
    results = {}
    for how in ("tty", "pipe", "quiet"):
        fleet = fresh_fleet(tmp, how)
        store = "sqlite:" + os.path.join(fleet, "fleet.db")
        a = args + [store]
        if how == "tty":
            results[how] = run_tty(a, fleet)
        elif how == "pipe":
            results[how] = run_pipe(a, fleet)
        else:
            results[how] = run_tty(a + ["--quiet"], fleet)
    err_t = results["tty"][2].replace(b"\r\n", b"\n")
    if b"\rfleet: tick 1; clusters: " not in err_t:
        fail("fleet run: no progress line on a terminal: %r" % err_t[-400:])
    elif b"\r\x1b[K" not in err_t:
        fail("fleet run: the progress line is never cleared")
    for how in ("pipe", "quiet"):
        err = results[how][2].replace(b"\r\n", b"\n")
        if b"\r" in err or b"fleet: tick" in err or b"\x1b[" in err:
            fail("fleet run: progress output (%s): %r" % (how, err[-400:]))
    if not (results["tty"][0] == results["pipe"][0] == results["quiet"][0]):
        fail("fleet run: exit codes differ: %r; stderr of the pipe run: %r" %
             ([results[h][0] for h in results], results["pipe"][2][-600:]))
    print("ok: fleet run (exit %d)" % results["pipe"][0])


if __name__ == "__main__":
    sys.exit(main())
