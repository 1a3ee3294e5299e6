#!/usr/bin/env python3
"""The first journey in stages: Chromium loads the page, starts its fake camera, opens the
signaling WebSocket and makes its offer; the server answers, ICE and DTLS connect, video flows,
the first keyframe is assembled and its JPEG written. Each stage's median over --runs page loads,
for `boltrtc serve` and, in the same run, for the same job done with aiortc
(aiortc_server.py), both serving the same page to the same browser. Both servers are up at
once and each round loads the page from each (docs/benchmarks.md has the figures).

  bench_journey.py --boltrtc build/apps/boltrtc [--runs 10] [--no-aiortc] [--json F] [--keep DIR]

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
# camera and the WebSocket were then marked when the page got round to using them).
STAGES = [
    ("page load", "page:connect"),
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

# Spans within one run whose medians are printed too: what follows the camera's start.
SPANS = [("getUserMedia", "first keyframe"), ("first keyframe", "JPEG written"),
         ("JPEG written", "page told"), ("getUserMedia", "JPEG written")]

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


def journeys(urls, source, runs, timeout_s, save_as):
    """Page loads from each of urls in turn, runs rounds: [[run dicts of urls[0]], ...]."""
    node = shutil.which("node")
    out = subprocess.run([node, os.path.join(HERE, "journey.mjs"), "--url", ",".join(urls),
                          "--y4m", source, "--runs", str(runs),
                          "--timeout-ms", str(timeout_s * 1000)],
                         capture_output=True, text=True, cwd=ROOT,
                         timeout=runs * len(urls) * (timeout_s + 30))
    results = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    with open(save_as, "w") as f:
        json.dump(results, f)
    if len(results) != runs * len(urls):
        raise RuntimeError(f"journey.mjs: {out.stderr[-2000:]}")
    return [[r for r in results if r["server"] == i] for i in range(len(urls))]


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


def rows_of(results, steps, session_order):
    """Each run's stage times: the page's timeline beside its session's steps (sessions are
    numbered in the order the page loads made them)."""
    rows = []
    for r, session in zip(results, sorted(steps, key=session_order)):
        if "timeline" in r:
            rows.append(stage_times(r["timeline"], steps[session]))
    return rows


def start_aiortc(workdir):
    port = free_port(socket.SOCK_STREAM)
    out_dir = os.path.join(workdir, "aiortc-output")
    log = open(os.path.join(workdir, "aiortc.log"), "w+")
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "aiortc_server.py"), "--port",
                             str(port), "--web", os.path.join(ROOT, "web"), "--output", out_dir],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        log.seek(0)
        if "ready" in log.read():
            break
        time.sleep(0.1)
    return proc, log, f"http://127.0.0.1:{port}/"


def aiortc_steps(log):
    log.seek(0)
    steps = {}
    for line in log:
        if line.startswith("{"):
            s = json.loads(line)
            steps.setdefault(s["session"], {}).setdefault(s["step"], s["t"])
    # aiortc has no first-check/first-RTP/assembled-keyframe steps: its first decoded frame
    # stands for the first keyframe.
    for s in steps.values():
        if "first-frame" in s:
            s["first-keyframe"] = s["first-frame"]
    return steps


def run_both(a, source, workdir):
    """boltrtc and aiortc both up, the page loaded from one then the other, round by round."""
    server = Server(os.path.abspath(a.boltrtc), workdir)
    proc = log = None
    try:
        urls = [server.base + "/"]
        if not a.no_aiortc:
            proc, log, url = start_aiortc(workdir)
            urls.append(url)
        results = journeys(urls, source, a.runs, a.timeout, os.path.join(workdir, "pages.json"))
        time.sleep(0.5)
    finally:
        server.stop()
        if proc:
            proc.terminate()
            proc.wait(timeout=10)
    number = lambda s: int(s[1:]) if s[1:].isdigit() else 0  # noqa: E731
    rows = {"boltrtc": rows_of(results[0], boltrtc_steps(server.log_path), number)}
    if log:
        rows["aiortc"] = rows_of(results[1], aiortc_steps(log), number)
        log.close()
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--boltrtc", required=True)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--timeout", type=int, default=20, help="seconds per page load")
    ap.add_argument("--no-aiortc", action="store_true")
    ap.add_argument("--json", help="write every run's stage times here")
    ap.add_argument("--keep", help="copy the servers' logs and the page timelines here")
    a = ap.parse_args()
    enter_loopback_namespace()
    workdir = tempfile.mkdtemp(prefix="boltrtc-journey-")
    try:
        source = os.path.join(workdir, "source.y4m")
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "e2e", "still_picture.py"),
                        "--out", source], check=True, timeout=60)
        rows = run_both(a, source, workdir)
        medians = {k: summarize(k, v) for k, v in rows.items()}
        if "aiortc" in medians:
            b, r = medians["boltrtc"].get("page told"), medians["aiortc"].get("page told")
            if b and r:
                print(f"\npage load to the page told of the JPEG: boltrtc {b:.0f} ms, "
                      f"aiortc {r:.0f} ms (ratio {b / r:.2f})")
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
