#!/usr/bin/python3
"""Glass-to-glass latency of the remote camera on loopback, and its control round trip:
`boltrtc camera --source testpattern` and, in the same run, aiortc (aiortc_camera.py) sending
the same test pattern (testpattern_frames: same libvpx encoder, size, rate and bitrate) to
the same viewer page in the same Chromium build, rounds alternating. Glass to glass is what
the page reads: each frame's expected display time (requestVideoFrameCallback) minus the
capture time its barcode carries, both on this machine's one clock. The control round trip
is the page's: a command sent on "control" to its ack. Runs as root in a fresh network
namespace with only lo, like the end-to-end tests.

  bench_camera.py --boltrtc build/apps/boltrtc --frames build/bench/camera/testpattern_frames
                  [--rounds 3] [--measure-s 10] [--size 640x480] [--fps 30] [--bitrate 1000000]
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from e2e import enter_loopback_namespace, free_port  # noqa: E402


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))] if s else float("nan")


def run_round(a, peer):
    node = shutil.which("node")
    cmd = [node, os.path.join(HERE, "bench_camera.mjs"), "--measure-ms", str(a.measure_s * 1000)]
    camera = None
    try:
        if peer == "boltrtc":
            http = f"127.0.0.1:{free_port(socket.SOCK_STREAM)}"
            camera = subprocess.Popen(
                [a.boltrtc, "camera", "--source", "testpattern", "--http", http, "--udp",
                 "127.0.0.1:0", "--size", a.size, "--fps", str(a.fps), "--bitrate", str(a.bitrate),
                 "--log-level", "warn"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://{http}/", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            cmd += ["--url", f"http://{http}/"]
        else:
            frames = f"{a.frames} --size {a.size} --fps {a.fps} --bitrate {a.bitrate}"
            cmd += ["--aiortc", os.path.join(HERE, "aiortc_camera.py"), "--frames", frames,
                    "--web", os.path.join(ROOT, "web")]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=a.measure_s + 90)
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        result = json.loads(lines[-1]) if lines else {"ok": False, "error": out.stderr[-500:]}
        if not result.get("ok"):
            raise RuntimeError(f"{peer} round failed: {result.get('error')} {result.get('logs')}")
        return result
    finally:
        if camera:
            camera.terminate()
            try:
                camera.wait(timeout=10)
            except subprocess.TimeoutExpired:
                camera.kill()
                camera.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--boltrtc", required=True)
    ap.add_argument("--frames", required=True, help="bench/camera's testpattern_frames program")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--measure-s", type=int, default=10)
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--bitrate", type=int, default=1000000)
    ap.add_argument("--json", help="write every round's figures here")
    a = ap.parse_args()
    a.boltrtc, a.frames = os.path.abspath(a.boltrtc), os.path.abspath(a.frames)
    enter_loopback_namespace()
    rounds = {"boltrtc": [], "aiortc": []}
    for r in range(a.rounds):
        for peer in ("boltrtc", "aiortc"):
            res = run_round(a, peer)
            rounds[peer].append(res)
            print(f"round {r + 1} {peer:8s} g2g median {statistics.median(res['g2g']):6.1f} ms over "
                  f"{len(res['g2g'])} frames, rtt median {statistics.median(res['rtt']):5.2f} ms "
                  f"({len(res['rtt'])}/{res['sent']} acked), {res['fps']:.1f} fps, "
                  f"{res['kbps']:.0f} kbit/s, jitter buffer {res['jitterBufferMs'] or 0:.1f} ms, "
                  f"lost {res['lost']}, {res['size']}; {res['mispaired']} barcodes read from a "
                  f"newer frame left out, {res['rtpChecked']} paired by RTP time", flush=True)
    summary = {}
    for peer, rs in rounds.items():
        g2g = [v for res in rs for v in res["g2g"]]
        rtt = [v for res in rs for v in res["rtt"]]
        summary[peer] = {
            "frames": len(g2g), "g2g_median": statistics.median(g2g), "g2g_p90": pct(g2g, 0.9),
            "g2g_p99": pct(g2g, 0.99),
            "round_medians": [statistics.median(res["g2g"]) for res in rs],
            "rtt_median": statistics.median(rtt), "rtt_p90": pct(rtt, 0.9), "rtt_p99": pct(rtt, 0.99),
            "commands": len(rtt), "fps": statistics.median(res["fps"] for res in rs),
            "kbps": statistics.median(res["kbps"] for res in rs),
            "jitter_buffer_ms": statistics.median(res["jitterBufferMs"] or 0 for res in rs),
        }
    b, o = summary["boltrtc"], summary["aiortc"]
    print("\n| | boltrtc camera | aiortc | ratio (aiortc / boltrtc) |\n|---|---|---|---|")
    for key, name, unit in (("g2g_median", "glass to glass, median", "ms"), ("g2g_p90", "p90", "ms"),
                            ("g2g_p99", "p99", "ms"), ("rtt_median", "control round trip, median", "ms"),
                            ("rtt_p90", "p90", "ms"), ("rtt_p99", "p99", "ms"),
                            ("fps", "frames decoded a second", ""), ("kbps", "received kbit/s", ""),
                            ("jitter_buffer_ms", "Chromium's jitter buffer delay", "ms")):
        print(f"| {name} | {b[key]:.1f} {unit} | {o[key]:.1f} {unit} | {o[key] / b[key]:.2f} |"
              if b[key] else f"| {name} | {b[key]} | {o[key]} | |")
    print(f"\nsamples: boltrtc {b['frames']} frames, {b['commands']} commands; aiortc {o['frames']} "
          f"frames, {o['commands']} commands; per-round g2g medians boltrtc "
          f"{[round(v, 1) for v in b['round_medians']]}, aiortc {[round(v, 1) for v in o['round_medians']]}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"summary": summary, "rounds": rounds}, f)


if __name__ == "__main__":
    main()
