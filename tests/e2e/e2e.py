#!/usr/bin/env python3
"""End-to-end tests of `boltrtc serve` with real peers, on loopback only.

  e2e.py browser --boltrtc PATH   Chromium (headless, fake camera from a still .y4m) publishes
                                  over WebSocket signaling with /?autostart=1; a Snapshot asks
                                  for a second keyframe.
  e2e.py whip --boltrtc PATH      aiortc publishes the same still picture over WHIP with a
                                  keyframe every second, then DELETEs its session. Its first
                                  keyframe is made before any RTCP arrives, at aiortc's 500 kbps
                                  start; the second saved one is judged, after the server's REMB
                                  raised the encoder's target.
  --dtls-role active|passive      the server's DTLS role toward the actpass offer.
  --expect-srtp PROFILE           the SRTP profile the session must negotiate.
  --ipv6                          media over [::1] only (aiortc; Chromium gathers no ::1).

Both assert that JPEG keyframes are saved at the source's size and match the source (PSNR of
at least 25 dB) while the source shifted by 4 pixels scores at least 3 dB lower.

Everything runs inside a fresh network namespace that has only `lo` (the script re-executes
itself under `unshare --net`), so no packet can leave loopback. Every process it starts is
stopped by its process id; every wait is bounded."""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
MIN_PSNR = 25.0
MIN_MARGIN = 3.0


def log(msg):
    print(f"[e2e] {msg}", flush=True)


def enter_loopback_namespace():
    """Re-run this script in a new network namespace with only lo up."""
    if os.environ.get("BRTC_E2E_IN_NETNS") == "1":
        return
    if shutil.which("unshare") is None or os.geteuid() != 0:
        sys.exit("e2e: needs root and unshare(1) to make a loopback-only network namespace")
    env = dict(os.environ, BRTC_E2E_IN_NETNS="1")
    cmd = ["unshare", "--net", "--", "sh", "-c",
           'ip link set lo up && exec "$0" "$@"', sys.executable] + sys.argv
    os.execvpe("unshare", cmd, env)


def free_port(kind, family=socket.AF_INET):
    s = socket.socket(family, kind)
    s.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def psnr(a, b):
    """PSNR of picture a against picture b in RGB, by ffmpeg."""
    out = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", a, "-i", b, "-lavfi",
         "[0:v]format=rgb24[x];[1:v]format=rgb24[y];[x][y]psnr", "-f", "null", "-"],
        capture_output=True, text=True, timeout=60)
    m = re.search(r"average:([0-9.]+|inf)", out.stderr)
    if not m:
        raise RuntimeError(f"ffmpeg psnr failed: {out.stderr[-500:]}")
    return float("inf") if m.group(1) == "inf" else float(m.group(1))


class Server:
    def __init__(self, boltrtc, workdir, extra_args=(), ipv6=False):
        self.http = f"127.0.0.1:{free_port(socket.SOCK_STREAM)}"
        if ipv6:  # media over IPv6 only: the browser must use its ::1 candidate
            self.udp = f"[::1]:{free_port(socket.SOCK_DGRAM, socket.AF_INET6)}"
        else:
            self.udp = f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}"
        self.output = os.path.join(workdir, "output")
        self.log_path = os.path.join(workdir, "server.log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [boltrtc, "serve", "--http", self.http, "--udp", self.udp, "--output", self.output,
             *extra_args],
            stdout=self.log_file, stderr=subprocess.STDOUT)
        self.base = f"http://{self.http}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.tail()}")
            try:
                http_get(self.base + "/api/status", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not answer within 15 s")

    def status(self):
        return json.loads(http_get(self.base + "/api/status")[1])

    def tail(self, n=40):
        if not self.log_file.closed:
            self.log_file.flush()
        with open(self.log_path) as f:
            return "".join(f.readlines()[-n:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log_file.close()


def check_keyframes(server, source, shifted, want, session=None, judge_from=0):
    """Every saved keyframe: the source's size, served as JPEG; from the judge_from'th on,
    PSNR >= MIN_PSNR and the shifted source scores at least MIN_MARGIN lower (the ones
    before are only reported). Returns the list of (file, psnr, psnr_shifted)."""
    status = server.status()
    frames = [k for k in status["keyframes"] if session is None or k["session"] == session]
    assert len(frames) >= want, f"{len(frames)} keyframes saved, wanted {want}: {status}"
    results = []
    for i, k in enumerate(frames):
        path = os.path.join(server.output, k["file"])
        assert os.path.isfile(path), f"{path} missing"
        assert (k["width"], k["height"]) == (640, 480), f"keyframe size {k['width']}x{k['height']}"
        code, body = http_get(f"{server.base}/output/{k['file']}")
        assert code == 200 and body[:2] == b"\xff\xd8", "keyframe not served as JPEG over HTTP"
        good, bad = psnr(path, source), psnr(path, shifted)
        log(f"{k['file']}: {k['width']}x{k['height']}, PSNR {good:.2f} dB "
            f"(shifted source: {bad:.2f} dB){'' if i >= judge_from else ', not judged'}")
        results.append((k["file"], good, bad))
        if i < judge_from:
            continue
        assert good >= MIN_PSNR, f"{k['file']}: PSNR {good:.2f} dB < {MIN_PSNR}"
        assert good - bad >= MIN_MARGIN, f"{k['file']}: shifted source only {good - bad:.2f} dB lower"
    return results


def check_transport(a, session):
    """The negotiated SRTP profile and the address family media used, as the test asked."""
    stats = session["stats"]
    log(f"DTLS {stats['dtls_cipher']}, SRTP {stats['srtp_profile']}, "
        f"media with {stats['selected_remote']}")
    if a.expect_srtp:
        assert stats["srtp_profile"] == a.expect_srtp, \
            f"SRTP profile {stats['srtp_profile']}, wanted {a.expect_srtp}"
    if a.ipv6:
        assert stats["selected_remote"].startswith("[::1]:"), \
            f"media went over {stats['selected_remote']}, not IPv6"


def run_browser(a, server, source, shifted, workdir):
    node = shutil.which("node")
    assert node, "node is required"
    cmd = [node, os.path.join(HERE, "browser.mjs"), "--url", server.base + "/", "--y4m", source,
           "--keyframes", "2", "--snapshot", "--timeout-ms", str(a.timeout * 1000),
           "--screenshot", os.path.join(workdir, "page.png")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)
    try:
        out, err = proc.communicate(timeout=a.timeout + 60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=10)
    line = (out.strip().splitlines() or ["{}"])[-1]
    result = json.loads(line)
    if not result.get("ok"):
        raise AssertionError(f"browser: {result.get('error')}\n{err[-2000:]}\n"
                             f"page logs: {result.get('logs')}\nserver:\n{server.tail()}")
    log(f"browser saw {result['keyframes']} keyframes; journey on the page: {result['journey']}")
    check_keyframes(server, source, shifted, 2)
    status = server.status()
    session = status["sessions"][0]
    steps = [s["step"] for s in session["steps"]]
    for step in ("offer", "answer", "ice-check", "ice-connected", "dtls-connected",
                 "srtp-ready", "first-rtp", "first-keyframe"):
        assert step in steps, f"server journey lacks {step}: {steps}"
    # Chrome starts with a keyframe, which needs no PLI; the Snapshot's is the one counted.
    assert session["stats"]["plis_sent"] >= 1, "Snapshot did not send a PLI"
    assert "snapshot-requested" in steps, f"server journey lacks the Snapshot: {steps}"
    assert session["stats"]["remb_sent"] >= 1, "no REMB sent to the browser"
    check_transport(a, session)
    if a.artifacts:
        os.makedirs(a.artifacts, exist_ok=True)
        shutil.copy(os.path.join(workdir, "page.png"), os.path.join(a.artifacts, "page.png"))


def run_whip(a, server, source, shifted, workdir):
    cmd = ["/usr/bin/python3", os.path.join(HERE, "whip_client.py"), "--url",
           server.base + "/whip", "--y4m", source, "--status", server.base + "/api/status",
           "--keyframes", "2", "--timeout", str(a.timeout),
           "--host-address", "::1" if a.ipv6 else "127.0.0.1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=a.timeout + 60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate(timeout=10)
    log("whip client: " + out.strip().replace("\n", "\n[e2e]   "))
    assert proc.returncode == 0, f"whip client failed\nserver:\n{server.tail()}"
    check_keyframes(server, source, shifted, 2, judge_from=1)
    session = server.status()["sessions"][0]
    assert session["transport"] == "whip", session
    assert session["state"] in ("closed",), f"DELETE did not close the session: {session['state']}"
    check_transport(a, session)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("mode", choices=["browser", "whip"])
    ap.add_argument("--boltrtc", required=True)
    ap.add_argument("--timeout", type=int, default=60, help="seconds to wait for keyframes")
    ap.add_argument("--artifacts", help="keep the pictures, logs and screenshot here")
    ap.add_argument("--dtls-role", choices=["active", "passive"],
                    help="the server's DTLS role toward an actpass offer")
    ap.add_argument("--expect-srtp", help="the SRTP profile the session must negotiate")
    ap.add_argument("--ipv6", action="store_true", help="media over [::1] only")
    a = ap.parse_args()
    enter_loopback_namespace()
    workdir = tempfile.mkdtemp(prefix=f"boltrtc-e2e-{a.mode}-")
    source = os.path.join(workdir, "source.y4m")
    shifted = os.path.join(workdir, "shifted.y4m")
    subprocess.run([sys.executable, os.path.join(HERE, "still_picture.py"), "--out", source,
                    "--shifted-out", shifted, "--shift", "4"], check=True, timeout=60)
    server = Server(os.path.abspath(a.boltrtc), workdir,
                    ["--dtls-role", a.dtls_role] if a.dtls_role else [], ipv6=a.ipv6)
    ok = False
    try:
        (run_browser if a.mode == "browser" else run_whip)(a, server, source, shifted, workdir)
        ok = True
    finally:
        server.stop()
        if a.artifacts:
            os.makedirs(a.artifacts, exist_ok=True)
            shutil.copy(server.log_path, os.path.join(a.artifacts, f"server-{a.mode}.log"))
            if os.path.isdir(server.output):
                for f in os.listdir(server.output):
                    shutil.copy(os.path.join(server.output, f), a.artifacts)
        if not ok:
            print(server.tail(80), file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    log(f"{a.mode}: passed")


if __name__ == "__main__":
    main()
