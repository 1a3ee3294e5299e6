#!/usr/bin/env python3
"""Capture one real session of the first journey and keep what the chapters show.

  sudo docs/journey/tools/capture.py --boltrtc build/apps/boltrtc

Inside a fresh network namespace that has only `lo` (the script re-runs itself under
`unshare --net`, as tests/e2e/e2e.py does), it starts `boltrtc serve`, lets headless Chromium
(tests/e2e/chromium.mjs) publish the still test picture from the page over WebSocket
signaling, holds the session for --hold seconds after the first keyframe is saved, and hangs up.
Meanwhile it records:

  - every datagram to or from the server's UDP port, as it was on `lo` (a packet socket,
    kernel timestamps);
  - every WebSocket message both ways, as the page sent and received it (Playwright);
  - the page's own timeline (window.boltrtcTimeline) and the server's journey lines;
  - the DTLS master secret, through tools/keylog_shim.c loaded into the server with LD_PRELOAD
    (boltrtc never writes its keys anywhere), so that the chapters can derive the SRTP keys
    from it and decrypt the captured packets;
  - the first JPEG the server saved.

Then select.py keeps the few packets the chapters show (docs/journey/capture/) and render.py
writes them into the chapters. `--raw DIR` keeps the whole recording there as well (all.pcap,
keylog.txt, browser.json, server.log, the JPEGs), e.g. to open it in Wireshark.

Every process it starts is stopped by its process id; every wait is bounded."""
import argparse
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
E2E = os.path.join(ROOT, "tests", "e2e")
sys.path.insert(0, E2E)
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
from capture_chrome_media import stop  # noqa: E402  (stop a process we started, by its pid)
from e2e import enter_loopback_namespace, free_port  # noqa: E402  (the loopback-only namespace)

import decode  # noqa: E402
import render  # noqa: E402
import select_capture  # noqa: E402

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4   # lo shows every frame twice: as sent and as received
SO_TIMESTAMPNS = 35


def log(msg):
    print(f"[journey] {msg}", flush=True)


class Sniffer:
    """Every frame on lo carrying UDP to or from the media port, or TCP to or from the
    signaling port, with the kernel's receive time."""

    def __init__(self, udp_port, tcp_port):
        self.ports = {17: udp_port, 6: tcp_port}
        self.frames = []  # (t_ns, frame)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.bind(("lo", 0))
        self.sock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def wanted(self, frame):
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            return False
        port = self.ports.get(frame[14 + 9])
        ihl = (frame[14] & 0x0F) * 4
        sport, dport = struct.unpack_from("!HH", frame, 14 + ihl)
        return port in (sport, dport)

    def run(self):
        while not self.stopping:
            try:
                data, anc, _, addr = self.sock.recvmsg(65536, 64)
            except socket.timeout:
                continue
            if addr[2] == PACKET_OUTGOING or not self.wanted(data):
                continue
            t_ns = time.time_ns()
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", value[:16])
                    t_ns = sec * 1_000_000_000 + nsec
            self.frames.append((t_ns, data))

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=5)
        self.sock.close()


def build_shim(workdir):
    out = os.path.join(workdir, "keylog_shim.so")
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-o", out,
                    os.path.join(HERE, "keylog_shim.c"), "-ldl", "-lssl"],
                   check=True, timeout=60)
    return out


def wait_http(url, proc, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not answer within 15 s")


def record(a, raw):
    """One session, recorded into the folder raw."""
    source = os.path.join(raw, "source.y4m")
    subprocess.run([sys.executable, os.path.join(E2E, "still_picture.py"), "--out", source],
                   check=True, timeout=120)
    shim = build_shim(raw)
    http_port = free_port(socket.SOCK_STREAM)
    http = f"127.0.0.1:{http_port}"
    udp_port = free_port(socket.SOCK_DGRAM)
    keylog = os.path.join(raw, "keylog.txt")
    sniffer = Sniffer(udp_port, http_port)
    server_log = open(os.path.join(raw, "server.log"), "w")
    env = dict(os.environ, LD_PRELOAD=shim, BRTC_JOURNEY_KEYLOG=keylog, NO_COLOR="1")
    server = subprocess.Popen(
        [a.boltrtc, "serve", "--http", http, "--udp", f"127.0.0.1:{udp_port}", "--output", "output",
         "--loopback-only"], stdout=server_log, stderr=subprocess.STDOUT, env=env, cwd=raw)
    browser = None
    try:
        wait_http(f"http://{http}/api/status", server)
        browser = subprocess.Popen(
            [shutil.which("node") or "node", os.path.join(HERE, "browser.mjs"), "--url",
             f"http://{http}/", "--y4m", source, "--hold-ms", str(int(a.hold * 1000))],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        out, err = browser.communicate(timeout=a.hold + 150)
        result = json.loads((out.strip().splitlines() or ["{}"])[-1])
        if not result.get("ok"):
            raise RuntimeError(f"browser: {result.get('error')}\n{err[-2000:]}\n{result.get('logs')}")
        with urllib.request.urlopen(f"http://{http}/api/status", timeout=5) as r:
            status = json.loads(r.read())
    finally:
        stop(browser, "browser driver")
        stop(server, "boltrtc serve")
        server_log.close()
        sniffer.stop()
    decode.write_pcap(os.path.join(raw, "all.pcap"), sniffer.frames)
    version = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True,
                             timeout=30).stdout.strip()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, timeout=30).stdout.strip()
    with open(os.path.join(raw, "browser.json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(raw, "meta.json"), "w") as f:
        json.dump({"server_udp": f"127.0.0.1:{udp_port}", "server_http": http, "hold_s": a.hold,
                   "chromium": version, "boltrtc_commit": commit, "status": status}, f, indent=1)
    log(f"{len(sniffer.frames)} datagrams recorded; {version}; boltrtc {commit}")


def publish(raw, out):
    """Select from the recording, check that the chapters' prose still holds for it, and only
    then replace docs/journey/capture and rewrite the chapters."""
    staged = tempfile.mkdtemp(prefix="boltrtc-journey-capture-")
    select_capture.select(raw, staged)
    try:
        render.build_all(staged)
    except render.ClaimError as e:
        sys.exit(f"capture: {e}\n(the selected capture is in {staged}; docs/journey is unchanged)")
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(staged, out)
    os.chmod(out, 0o755)  # mkdtemp's 0700 came along
    shutil.rmtree(staged, ignore_errors=True)
    if os.path.samefile(out, render.CAPTURE):
        render.render_all(write=True)
    else:
        log(f"selected into {out}; the chapters render only from {render.CAPTURE}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--boltrtc", help="the boltrtc program (build/apps/boltrtc)")
    ap.add_argument("--hold", type=float, default=10,
                    help="seconds to stay connected after the first keyframe is saved")
    ap.add_argument("--raw", help="keep the whole recording in this folder")
    ap.add_argument("--from-raw", help="select and render from an earlier --raw recording")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "capture"),
                    help="where the selected material goes (docs/journey/capture)")
    a = ap.parse_args()
    a.out = os.path.abspath(a.out)
    if a.from_raw:
        publish(os.path.abspath(a.from_raw), a.out)
        return
    if not a.boltrtc:
        ap.error("--boltrtc is required")
    a.boltrtc = os.path.abspath(a.boltrtc)
    if a.raw:
        a.raw = os.path.abspath(a.raw)
    enter_loopback_namespace()
    raw = a.raw or tempfile.mkdtemp(prefix="boltrtc-journey-")
    os.makedirs(raw, exist_ok=True)
    try:
        record(a, raw)
        publish(raw, a.out)
    finally:
        if not a.raw:
            shutil.rmtree(raw, ignore_errors=True)


if __name__ == "__main__":
    main()
