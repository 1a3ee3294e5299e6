#!/usr/bin/env python3
"""First frame on the browser's screen, from page load: Chromium opens the /watch viewer page
with autostart=1 and requestVideoFrameCallback on its <video> says when the first frame was
presented (first_frame.mjs). Two jobs, each for `boltrtc serve` and, in the same run, for the
same job done with aiortc (aiortc_watch.py), both serving the same page to the same browser:
  file:  /watch plays the server's --source (a VP8 IVF of a still picture) over WHEP;
  echo:  /watch?echo=1 sends the fake camera (the same picture, .y4m) over WHIP in a sendrecv
         section and shows what comes back (serve --echo).
One boltrtc serve (--source and --echo) and one aiortc server are up at once; each round loads
every URL once, the order turning every round. Medians over --runs rounds, and the ratio.

  bench_first_frame.py --boltrtc build/apps/boltrtc [--runs 10] [--json F]
  bench_first_frame.py --from-json F [--runs N]     (the table of an earlier run)

Runs as root inside a fresh network namespace with only lo, like the end-to-end tests."""
import argparse
import json
import os
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
from e2e import Server, encode_source, enter_loopback_namespace, free_port  # noqa: E402


def start_aiortc(source):
    port = free_port(socket.SOCK_STREAM)
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "aiortc_watch.py"), "--port",
                             str(port), "--web", os.path.join(ROOT, "web"), "--source", source],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.strip() == "ready":
            return proc, f"http://127.0.0.1:{port}"
        if not line and proc.poll() is not None:
            break
    proc.kill()
    sys.exit("aiortc_watch.py did not start")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--boltrtc")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--json", help="write every load's result here")
    ap.add_argument("--from-json", help="print the table of an earlier run's --json file")
    a = ap.parse_args()
    if a.from_json:
        with open(a.from_json) as f:
            loads = json.load(f)
        return table(loads["loads"], a.runs, loads["boltrtc"], loads["aiortc"])
    if not a.boltrtc:
        ap.error("--boltrtc is required")
    enter_loopback_namespace()
    workdir = tempfile.mkdtemp(prefix="boltrtc-bench-first-frame-")
    y4m = os.path.join(workdir, "source.y4m")
    subprocess.run([sys.executable, os.path.join(ROOT, "tests", "e2e", "still_picture.py"),
                    "--out", y4m, "--shifted-out", os.path.join(workdir, "shifted.y4m"),
                    "--shift", "4", "--width", "640", "--height", "480"], check=True, timeout=60)
    ivf = encode_source(y4m, "vp8", workdir)
    server = Server(os.path.abspath(a.boltrtc), workdir,
                    ["--source", ivf, "--echo", "--log-level", "warn"])
    aiortc, aiortc_base = start_aiortc(ivf)
    jobs = jobs_of(server.base, aiortc_base)
    try:
        out = subprocess.run([shutil.which("node"), os.path.join(HERE, "first_frame.mjs"),
                              "--url", ",".join(jobs.values()), "--y4m", y4m,
                              "--runs", str(a.runs), "--timeout-ms", "20000"],
                             capture_output=True, text=True, timeout=60 + a.runs * 4 * 30, cwd=ROOT)
    finally:
        server.stop()
        aiortc.terminate()
        try:
            aiortc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            aiortc.kill()
            aiortc.wait(timeout=5)
    loads = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"boltrtc": server.base, "aiortc": aiortc_base, "loads": loads}, f, indent=1)
    shutil.rmtree(workdir, ignore_errors=True)
    if not loads:
        sys.exit(f"first_frame.mjs printed nothing: {out.stderr[-2000:]}")
    table(loads, a.runs, server.base, aiortc_base)


def jobs_of(boltrtc_base, aiortc_base):
    """{(job, server): the viewer URL}."""
    return {(job, who): f"{base}/watch?{'echo=1&' if job == 'echo' else ''}autostart=1"
            for job in ("file", "echo")
            for who, base in (("boltrtc", boltrtc_base), ("aiortc", aiortc_base))}


def table(loads, runs, boltrtc_base, aiortc_base):
    jobs = jobs_of(boltrtc_base, aiortc_base)
    print(f"first frame on screen from page load (requestVideoFrameCallback presentationTime), "
          f"headless Chromium, median of {runs} loads each, ms")
    print(f"{'job':6} {'server':8} {'loads':>5} {'connected':>9} {'first frame':>11} "
          f"{'p90':>7} {'ratio':>6} {'connected to frame':>18}")
    for job in ("file", "echo"):
        med = {}
        for who in ("boltrtc", "aiortc"):
            rs = [r for r in loads if r["url"] == jobs[(job, who)] and not r.get("error")]
            errors = [r["error"] for r in loads if r["url"] == jobs[(job, who)] and r.get("error")]
            if not rs:
                print(f"{job:6} {who:8} no load showed a frame: {errors[:2]}")
                continue
            frames = sorted(r["presented"] for r in rs)
            med[who] = statistics.median(frames)
            conn = [r["connected"] for r in rs if r.get("connected") is not None]
            # What follows the connection: the server's first frame, the browser's decoding.
            after = [r["presented"] - r["connected"] for r in rs if r.get("connected") is not None]
            p90 = frames[min(len(frames) - 1, round(0.9 * (len(frames) - 1)))]
            ratio = f"{med[who] / med['boltrtc']:6.2f}" if "boltrtc" in med else "     -"
            print(f"{job:6} {who:8} {len(rs):5} {statistics.median(conn) if conn else 0:9.0f} "
                  f"{med[who]:11.0f} {p90:7.0f} {ratio} "
                  f"{statistics.median(after) if after else 0:18.0f}"
                  + (f"  ({len(errors)} failed: {errors[0]})" if errors else ""))


if __name__ == "__main__":
    main()
