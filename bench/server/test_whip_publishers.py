#!/usr/bin/env python3
"""whip_publishers, the load driver of run_pion_cpu.sh, still publishes: 3 publishers against a
real `boltrtc serve` on loopback (free ports) for a short window. Asserted: all connect, none
fails, the window has RTP sent and the server counted about as many, the receiver's CPU was
read, and the JSON has what run_pion_cpu.sh reads.

Usage: test_whip_publishers.py BOLTRTC WHIP_PUBLISHERS MAKE_FRAMES"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def main():
    boltrtc, publishers, make_frames = sys.argv[1:4]
    work = tempfile.mkdtemp(prefix="brtc-whip-pub-")
    serve = None
    try:
        ivf = os.path.join(work, "frames.ivf")
        subprocess.run([make_frames, ivf, "1000", "60"], check=True, capture_output=True,
                       timeout=120)
        log = open(os.path.join(work, "serve.log"), "w+")
        serve = subprocess.Popen(
            [boltrtc, "serve", "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--output",
             os.path.join(work, "out"), "--loopback-only", "--log-level", "warn",
             "--keyframe-interval", "0"], stdout=log, stderr=subprocess.STDOUT)
        url = None
        for _ in range(100):
            log.seek(0)
            m = re.search(r"serving (http://127\.0\.0\.1:\d+)/", log.read())
            if m:
                url = m.group(1)
                break
            time.sleep(0.1)
        assert url, "serve did not start"
        out = subprocess.run(
            [publishers, "-n", "3", "-together", "-gap", "10ms", "-warmup", "2", "-seconds", "2",
             "-key-interval", "0", "-ivf", ivf, "-whip", url + "/whip", "-cpu-pid",
             str(serve.pid), "-recv-stats", url + "/api/status"],
            capture_output=True, text=True, timeout=120)
        sys.stderr.write(out.stderr)
        assert out.returncode == 0, f"whip_publishers exited {out.returncode}"
        r = json.loads(out.stdout)
        assert r["connected"] == 3 and r["failed"] == 0, r
        w = r["window"]
        assert w["rtp_sent"] > 100, w  # 3 x ~90 packets a second for 2 s
        assert abs(w["recv"]["rtp"] - w["rtp_sent"]) <= 0.2 * w["rtp_sent"], w
        assert w["server_cpu_s"] >= 0 and w["publishers_cpu_s"] > 0, w
        assert r["recv_total"]["rtp"] >= w["recv"]["rtp"], r
        print(f"ok: {w['rtp_sent']} RTP sent in the window, {w['recv']['rtp']} counted by serve")
    finally:
        if serve:
            serve.terminate()
            serve.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
