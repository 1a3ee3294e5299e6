#!/usr/bin/env python3
"""The first journey in stages: Chromium loads the page, starts its fake camera, opens the
signaling WebSocket and makes its offer; the server answers, ICE and DTLS connect, video flows,
the first keyframe is assembled and its JPEG written. Each stage's median over --runs page loads,
for each of these servers, all up at once, each round loading the page from each in turn:
  boltrtc            `boltrtc serve` with this tree's page (web/)
  boltrtc before     the same serve with another page folder (--before-web DIR), e.g. main's,
                     so that a change to the page is measured before and after in one run
  aiortc same page   aiortc_server.py: the same job done with aiortc, serving boltrtc's page
                     (only the servers' part differs)
  aiortc reference   aiortc_reference.py: aiortc's example server with Debian's own example
                     page (getUserMedia, offer, full ICE gathering, POST, answer, in sequence)
docs/benchmarks.md has the figures.

  bench_journey.py --boltrtc build/apps/boltrtc [--runs 10] [--before-web DIR] [--no-aiortc]
                   [--no-reference] [--json F] [--keep DIR]

Exits non-zero, with that server's log, when a server has no complete load (and stops early
when its first two loads both fail).

One time base: the page's timeline and the servers' steps are both in ms since the epoch on this
machine's clock (boltrtc's log has millisecond wall-clock times). Runs as root inside a fresh
network namespace with only lo, like the end-to-end tests."""
import argparse
import datetime
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from e2e import Server, enter_loopback_namespace, free_port  # noqa: E402

# (stage name, where it ends: "page:<timeline key>" or "server:<step>"), in journey order.
# "a|b": the first of the two the run has (pages before the finer marks had only b: the
# camera and the WebSocket were then marked when the page got round to using them; "page load"
# is when app.js runs, marked "page" since the call begins before it, "connect" before that).
STAGES = [
    ("camera asked", "page:camera-asked"),
    ("page asked", "page:page-asked"),
    ("page load", "page:page|connect"),
    ("devices listed", "page:devices"),
    ("WebSocket open", "page:ws-open|signaling-open"),
    ("offer made", "page:offer-made"),
    ("offer sent", "page:offer-sent"),
    ("offer at server", "server:offer-received"),
    ("answer at page", "page:answer-received"),
    ("first ICE check", "server:ice-check"),
    ("DTLS connected", "server:dtls-connected"),
    ("getUserMedia", "page:camera-ready|camera"),
    ("track attached", "page:track-attached"),
    ("first RTP", "server:first-rtp"),
    ("first keyframe", "server:first-keyframe"),
    ("JPEG written", "server:keyframe-saved"),
    ("page told", "page:keyframe-1"),
]

# Spans within one run whose medians are printed too: the camera's start, and what follows it.
SPANS = [("camera asked", "getUserMedia"), ("track attached", "first keyframe"),
         ("getUserMedia", "first keyframe"), ("first keyframe", "JPEG written"),
         ("JPEG written", "page told"), ("getUserMedia", "JPEG written"),
         ("camera asked", "JPEG written")]

LOG_STEP = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d\d\d) step\s+(\S+) (\S+)")


def boltrtc_steps(log_path):
    """{session: {step: epoch ms}} from boltrtc's log (local wall-clock times, ms)."""
    today = datetime.date.today()
    out = {}
    with open(log_path) as f:
        for line in f:
            m = LOG_STEP.match(re.sub(r"\x1b\[[0-9;]*m", "", line))
            if not m:
                continue
            h, mi, s, ms, session, name = m.groups()
            t = datetime.datetime(today.year, today.month, today.day, int(h), int(mi), int(s),
                                  int(ms) * 1000).timestamp() * 1000
            out.setdefault(session, {}).setdefault(name, t)
    return out


class ServerFailed(RuntimeError):
    """A server gave no complete load: its label and why."""


def journeys(servers, source, runs, timeout_s, save_as):
    """Page loads from each server in turn, runs rounds: {label: [run dicts]}. Stops early when
    a server's first two loads both fail (a broken side would otherwise cost a timeout per
    load)."""
    urls = [("ref:" if sv.reference else "") + sv.url for sv in servers]
    cmd = [shutil.which("node"), os.path.join(HERE, "journey.mjs"), "--url", ",".join(urls),
           "--output-dirs", ",".join(sv.output for sv in servers),
           "--y4m", source, "--runs", str(runs), "--timeout-ms", str(timeout_s * 1000)]
    err = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT)
    results, failed = [], None
    try:
        for line in proc.stdout:
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            results.append(r)
            if r.get("error"):
                print(f"  {servers[r['server']].label}, load {r['run'] + 1}: {r['error']}",
                      file=sys.stderr)
            mine = [x for x in results if x["server"] == r["server"]]
            if len(mine) == 2 and all(x.get("error") for x in mine):
                failed = servers[r["server"]]
                break
    finally:
        if proc.poll() is None and failed:
            proc.terminate()
        try:
            proc.wait(timeout=runs * len(urls) * (timeout_s + 30))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with open(save_as, "w") as f:
        json.dump(results, f)
    if failed:
        raise ServerFailed(failed.label, "its first two page loads both failed")
    if proc.returncode != 0 or len(results) != runs * len(urls):
        err.seek(0)
        raise RuntimeError(f"journey.mjs exited with {proc.returncode} after {len(results)} "
                           f"loads: {err.read()[-2000:]}")
    return {sv.label: [r for r in results if r["server"] == i] for i, sv in enumerate(servers)}


def stage_times(page, server):
    """The time of each stage's end since navigation, for one run."""
    start = page["navigation"]
    times = {}
    for name, where in STAGES:
        side, keys = where.split(":", 1)
        found = [t for t in ((page if side == "page" else server).get(k)
                             for k in keys.split("|")) if t is not None]
        t = found[0] if found else None
        times[name] = None if t is None else t - start
    return times


def summarize(label, rows):
    print(f"\n{label}: median of {len(rows)} runs, ms since navigation (and the stage's own share)")
    medians = {}
    for name, _ in STAGES:
        vals = [r[name] for r in rows if r.get(name) is not None]
        if vals:
            medians[name] = statistics.median(vals)
    prev = 0.0
    for name, med in sorted(medians.items(), key=lambda kv: kv[1]):  # stages may overlap
        print(f"  {name:18s} {med:7.1f}  (+{med - prev:6.1f})")
        prev = med
    for name, _ in STAGES:
        if name not in medians:
            print(f"  {name:18s}       -")
    # Medians of each run's own span: on a busy machine the stages' medians come from
    # different runs, and a span within one run says more.
    for a, b in SPANS:
        vals = [r[b] - r[a] for r in rows if r.get(a) is not None and r.get(b) is not None]
        if vals:
            print(f"  span {a} -> {b}: {statistics.median(vals):.1f}")
    return medians


def rows_of(results, steps):
    """Each complete load's stage times: the page's timeline beside its session's steps. A
    load's session is the first one whose first step comes after the load's navigation, among
    those not taken by an earlier load (a failed load leaves no session, or one not taken)."""
    first = sorted((min(v.values()), k) for k, v in steps.items() if v)
    taken, rows = set(), []
    for r in sorted((r for r in results if "timeline" in r),
                    key=lambda r: r["timeline"]["navigation"]):
        nav = r["timeline"]["navigation"]
        session = next((k for t, k in first if t >= nav and k not in taken), None)
        if session is None:
            continue
        taken.add(session)
        rows.append(stage_times(r["timeline"], steps[session]))
    return rows


class Aiortc:
    """aiortc_server.py (boltrtc's page) or aiortc_reference.py (Debian's example page)."""

    def __init__(self, label, workdir, reference):
        self.label, self.reference = label, reference
        port = free_port(socket.SOCK_STREAM)
        name = "reference" if reference else "same-page"
        self.output = os.path.join(workdir, f"aiortc-{name}-output")
        os.makedirs(self.output, exist_ok=True)
        self.log_path = os.path.join(workdir, f"aiortc-{name}.log")
        self.log = open(self.log_path, "w+")
        script = "aiortc_reference.py" if reference else "aiortc_server.py"
        args = [] if reference else ["--web", os.path.join(ROOT, "web")]
        self.proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, script), "--port",
                                      str(port), "--output", self.output, *args],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            self.log.seek(0)
            if "ready" in self.log.read():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        with open(self.log_path) as f:
            raise ServerFailed(label, f"it did not start; its log:\n{f.read()[-3000:]}")

    def tail(self, n=40):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return "".join(f.readlines()[-n:])

    def steps(self):
        self.log.seek(0)
        steps = {}
        for line in self.log:
            if line.startswith("{"):
                s = json.loads(line)
                steps.setdefault(s["session"], {}).setdefault(s["step"], s["t"])
        # aiortc has no first-check/first-RTP/assembled-keyframe steps: its first decoded
        # frame stands for the first keyframe.
        for s in steps.values():
            if "first-frame" in s:
                s["first-keyframe"] = s["first-frame"]
        return steps

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()


class Boltrtc:
    """`boltrtc serve`, with this tree's page or another page folder."""

    def __init__(self, label, binary, workdir, web_dir=None):
        self.label, self.reference = label, False
        wd = os.path.join(workdir, label.replace(" ", "-"))
        os.makedirs(wd, exist_ok=True)
        try:
            self.server = Server(binary, wd, ["--web", web_dir] if web_dir else [])
        except RuntimeError as e:
            raise ServerFailed(label, str(e)) from e
        self.url = self.server.base + "/"
        self.output = self.server.output

    def tail(self, n=40):
        return self.server.tail(n)

    def steps(self):
        return boltrtc_steps(self.server.log_path)

    def stop(self):
        if not self.server.log_file.closed:
            self.server.stop()


def run_all(a, source, workdir):
    """Every server up, the page loaded from each in turn, round by round: {label: rows}.
    Raises ServerFailed (after printing that server's log) when one has no complete load."""
    servers = []
    try:
        servers.append(Boltrtc("boltrtc", os.path.abspath(a.boltrtc), workdir))
        if a.before_web:
            servers.append(Boltrtc("boltrtc before", os.path.abspath(a.boltrtc), workdir,
                                   os.path.abspath(a.before_web)))
        if not a.no_aiortc:
            servers.append(Aiortc("aiortc same page", workdir, reference=False))
        if not a.no_reference:
            servers.append(Aiortc("aiortc reference", workdir, reference=True))
        try:
            results = journeys(servers, source, a.runs, a.timeout,
                               os.path.join(workdir, "pages.json"))
        except ServerFailed as e:
            show_log(next(sv for sv in servers if sv.label == e.args[0]), e.args[1])
            raise
        time.sleep(0.5)
        rows = {sv.label: rows_of(results[sv.label], sv.steps()) for sv in servers}
        for sv in servers:
            if not rows[sv.label]:
                show_log(sv, "no complete page load")
                raise ServerFailed(sv.label, "no complete page load")
        return rows
    finally:
        for sv in servers:
            sv.stop()


def show_log(sv, why):
    print(f"\n{sv.label}: {why}; the end of its log:\n{sv.tail(60)}", file=sys.stderr)


def ratios(medians):
    """boltrtc's time to the JPEG on disk (and to the page told) beside each aiortc's."""
    print()
    for b in (k for k in medians if k.startswith("boltrtc")):
        for r in (k for k in medians if k.startswith("aiortc")):
            for stage in ("JPEG written", "page told"):
                x, y = medians[b].get(stage), medians[r].get(stage)
                if x and y:
                    print(f"navigation to {stage}: {b} {x:.0f} ms, {r} {y:.0f} ms "
                          f"(ratio {x / y:.2f})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--boltrtc", required=True)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--timeout", type=int, default=20, help="seconds per page load")
    ap.add_argument("--before-web", help="a second serve with this page folder (built)")
    ap.add_argument("--no-aiortc", action="store_true", help="no aiortc with boltrtc's page")
    ap.add_argument("--no-reference", action="store_true", help="no aiortc reference page")
    ap.add_argument("--json", help="write every run's stage times here")
    ap.add_argument("--keep", help="copy the servers' logs and the page timelines here")
    a = ap.parse_args()
    enter_loopback_namespace()
    workdir = tempfile.mkdtemp(prefix="boltrtc-journey-")
    try:
        source = os.path.join(workdir, "source.y4m")
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "e2e", "still_picture.py"),
                        "--out", source], check=True, timeout=60)
        try:
            rows = run_all(a, source, workdir)
        except ServerFailed as e:
            sys.exit(f"bench_journey: {e.args[0]}: {e.args[1]}")
        medians = {k: summarize(k, v) for k, v in rows.items()}
        ratios(medians)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(rows, f, indent=1)
    finally:
        if a.keep:
            shutil.copytree(workdir, a.keep, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.y4m"))
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
