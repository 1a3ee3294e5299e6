#!/usr/bin/env python3
"""`boltrtc camera --signal` against a real `boltrtc serve` on loopback, without a browser: this
script is the viewer, a plain member of the room.

  - a refused join is an error at start with serve's reason: no token 401, a wrong key 403;
  - the device joins, is told the viewer is there, and offers (video and the data section);
    its pc takes the room's TURN server (serve's own, with the credentials minted for the
    device) and trickles a relayed candidate from it, then the end of candidates;
  - a viewer's bye ends the session with a bye back, and as the viewer stays in the room a
    new offer follows (2 s later);
  - when the viewer leaves and another joins, the device offers again, with new ICE
    credentials;
  - when serve goes, the device says it left the room and joins again once serve is back;
  - SIGTERM ends it with exit 0.
Python standard library only; every wait is bounded; every process is stopped by its pid.
Usage: camera_signal_test.py BOLTRTC"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "signal"))
import http_test  # noqa: E402
from http_test import Server, WebSocket, check  # noqa: E402

TOKEN = "tok-1"


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Camera:
    def __init__(self, binary, workdir, url, *extra):
        self.log_path = os.path.join(workdir, f"camera-{time.monotonic_ns()}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary, "camera", "--signal", url, "--source", "testpattern",
                                      "--size", "160x120", "--udp", "127.0.0.1:0", *extra],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, NO_COLOR="1"))

    def text(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def wait_log(self, pattern, what, count=1, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(re.findall(pattern, self.text())) >= count:
                return
            check(self.proc.poll() is None, f"{what}: the camera exited: {self.text()[-1500:]}")
            time.sleep(0.05)
        raise AssertionError(f"{what}: not in the camera's log: {self.text()[-1500:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode


def refused(binary, workdir, url, *extra):
    cam = Camera(binary, workdir, url, *extra)
    try:
        code = cam.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        cam.stop()
        raise AssertionError(f"a refused join did not end the camera: {cam.text()[-800:]}")
    return code, cam.text()


def expect_offer(viewer, what):
    """The device's offer, then its trickled candidates up to the end: (sdp, candidates)."""
    offer, _ = viewer.recv_until("offer")
    sdp = offer["sdp"]
    check("m=video" in sdp and "webrtc-datachannel" in sdp, f"{what}: video and data offered")
    cands = []
    for _ in range(100):
        m = viewer.recv()
        if m.get("type") != "candidate":
            continue
        cands.append(m["candidate"])
        if m["candidate"] == "":
            break
    check(cands and cands[-1] == "", f"{what}: the end of candidates is trickled: {cands}")
    check(any(" typ relay " in c for c in cands),
          f"{what}: a relayed candidate from the room's TURN server is trickled: {cands}")
    check(all(c == "" or c.startswith("candidate:") for c in cands), f"{what}: {cands}")
    return sdp, cands


def ufrag(sdp):
    return re.search(r"a=ice-ufrag:(\S+)", sdp).group(1)


def main():
    binary = os.path.abspath(sys.argv[1])
    workdir = tempfile.mkdtemp(prefix="boltrtc-camera-signal-")
    http_port, turn_port = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_DGRAM)
    serve_args = ["--http", f"127.0.0.1:{http_port}", "--token", TOKEN,
                  "--turn-listen", f"127.0.0.1:{turn_port}", "--turn-secret", "s3cret",
                  "--turn-allow-peers", "127.0.0.0/8",
                  "--ice-server", f"stun:127.0.0.1:{turn_port}"]
    url = f"ws://127.0.0.1:{http_port}/ws?room=car1&key=k1"
    cam = None
    try:
        os.makedirs(os.path.join(workdir, "a"))
        with Server(binary, os.path.join(workdir, "a"), *serve_args) as srv:
            code, text = refused(binary, workdir, url)
            check(code == 1 and "401" in text, f"no token: exit 1 with serve's 401: {code} {text!r}")
            viewer = WebSocket(srv.port, f"/ws?room=car1&key=k1&token={TOKEN}")
            check(viewer.recv()["type"] == "joined", "the viewer joined first")
            code, text = refused(binary, workdir, url.replace("k1", "bad"), "--token", TOKEN)
            check(code == 1 and "403" in text and "key" in text,
                  f"a wrong key: exit 1 with serve's 403: {code} {text!r}")

            cam = Camera(binary, workdir, url, "--token", TOKEN)
            check(viewer.recv()["type"] == "peer-joined", "the viewer hears the device join")
            sdp1, _ = expect_offer(viewer, "first viewer")
            cam.wait_log(r"camera: joined room car1 \(2 ICE servers handed\): the viewer is here",
                         "the device saw the viewer")
            check("token=..." in cam.text() and TOKEN not in cam.text(),
                  "the device's log never shows the token")

            # A session that ends while the viewer stays is offered again.
            viewer.send('{"type":"bye"}')
            bye, _ = viewer.recv_until("bye")
            check(bye.get("reason"), f"the device says why it ended: {bye}")
            t0 = time.monotonic()
            sdp_again, _ = expect_offer(viewer, "the viewer stayed")
            check(ufrag(sdp_again) != ufrag(sdp1) and 1.5 < time.monotonic() - t0 < 10,
                  f"a new offer {time.monotonic() - t0:.1f} s after the bye")

            viewer.close()
            cam.wait_log(r"camera: the viewer left the room", "the device saw the viewer go")
            viewer = WebSocket(srv.port, f"/ws?room=car1&key=k1&token={TOKEN}")
            check(viewer.recv()["members"] == 2, "a second viewer joins the device's room")
            sdp2, _ = expect_offer(viewer, "second viewer")
            check(ufrag(sdp1) != ufrag(sdp2), "a new viewer gets a new session")
            viewer.close()
            check(srv.stop() == 0, "serve stops")
        cam.wait_log(r"camera: left the room: .*; joining again in 1 s", "the device lost serve")

        os.makedirs(os.path.join(workdir, "b"))
        with Server(binary, os.path.join(workdir, "b"), *serve_args) as srv:
            cam.wait_log(r"camera: joined room car1 \(2 ICE servers handed\): waiting for a viewer",
                         "the device joins again once serve is back", timeout=20)
            viewer = WebSocket(srv.port, f"/ws?room=car1&key=k1&token={TOKEN}")
            check(viewer.recv()["members"] == 2, "the viewer finds the device back in the room")
            expect_offer(viewer, "after serve came back")
            viewer.close()
            check(cam.stop() == 0, f"SIGTERM: exit 0 ({cam.proc.returncode})")
    finally:
        if cam:
            cam.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"camera_signal_test: {http_test.PASSED} checks passed")


if __name__ == "__main__":
    main()
