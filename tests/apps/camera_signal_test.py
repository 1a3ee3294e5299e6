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
  - SIGTERM ends it with exit 0;
  - against a scripted server, what serve never sends: a refusal whose body never ends still
    ends the camera with its status and reason after 5 s; a wrong Sec-WebSocket-Accept ends the
    camera at start; a ping that came with the 101 is answered with a masked pong; a
    fragmented message is put together; a masked frame from the server fails the connection
    (RFC 6455 5.1) and nothing in it is acted on; a close is answered and its reason logged.
With --blackhole (its own loopback namespace; needs root, unshare(1) and nft, exit 77 to skip):
  - while a session with the viewer is live, serve goes and its port black-holes (nftables
    drops every SYN to it): the device retries, and its loop keeps answering the viewer's ICE
    checks on the session's port with no gap over 1 s (a blocking connect froze it for 5 s);
    the join gives up after 5 s, and the device joins again once the drop is lifted.
Python standard library only; every wait is bounded; every process is stopped by its pid.
Usage: camera_signal_test.py BOLTRTC [--blackhole]"""
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "signal"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import http_test  # noqa: E402
from e2e import enter_loopback_namespace  # noqa: E402
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


class FakeServer:
    """A scripted WebSocket server in place of serve, for what serve never sends."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(15)
        self.port = self.listener.getsockname()[1]

    def accept(self, accept_key=None, first_frames=b""):
        """The camera's handshake, answered with 101 (and frames in the same write)."""
        conn, _ = self.listener.accept()
        conn.settimeout(10)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            check(chunk, "the camera sent its whole handshake")
            head += chunk
        key = re.search(rb"Sec-WebSocket-Key: (\S+)", head).group(1)
        want = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                .digest()).decode()
        check(head.startswith(b"GET /ws?room=car1 HTTP/1.1\r\n") and b"Upgrade: websocket" in head,
              f"the camera's handshake: {head[:80]!r}")
        conn.sendall((f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept_key or want}\r\n\r\n")
                     .encode() + first_frames)
        return conn

    @staticmethod
    def frame(opcode, payload, fin=True, mask=None):
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        head = struct.pack("!BB", b0, (0x80 if mask else 0) | n) if n < 126 else \
            struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            head += mask
        return head + payload

    @staticmethod
    def read_frame(conn):
        b0, b1 = conn.recv(2, socket.MSG_WAITALL)
        n = b1 & 0x7F
        check(b1 & 0x80 and n < 126, f"a client frame is masked (RFC 6455 5.1): {b0:#x} {b1:#x}")
        mask = conn.recv(4, socket.MSG_WAITALL)
        data = conn.recv(n, socket.MSG_WAITALL) if n else b""
        return b0 & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def test_bad_server(binary, workdir):
    """What serve never sends: a wrong Sec-WebSocket-Accept, a ping, a fragmented message, a
    masked frame from the server, a close."""
    fake = FakeServer()
    url = f"ws://127.0.0.1:{fake.port}/ws?room=car1"
    cam = Camera(binary, workdir, url)
    try:
        # A refusal whose body never ends: after 5 s its status and reason still end the camera.
        conn, _ = fake.listener.accept()
        conn.sendall(b"HTTP/1.1 409 Conflict\r\nContent-Length: 100\r\n\r\nroom car1 is full")
        code = cam.proc.wait(timeout=15)
        conn.close()
        check(code == 1 and "409 room car1 is full" in cam.text(),
              f"a 409 with an unfinished body ends the camera with it: {cam.text()[-300:]!r}")
        cam = Camera(binary, workdir, url)
        fake.accept(accept_key="AAAAAAAAAAAAAAAAAAAAAAAAAAA=").close()
        code = cam.proc.wait(timeout=15)
        check(code == 1 and "Sec-WebSocket-Accept" in cam.text(),
              f"a wrong Sec-WebSocket-Accept ends the camera at start: {cam.text()[-300:]!r}")
        cam = Camera(binary, workdir, url)
        conn = fake.accept(first_frames=fake.frame(0x9, b"hi"))
        op, data = fake.read_frame(conn)
        check(op == 0xA and data == b"hi", f"a ping that came with the 101 is answered: {op} {data}")
        joined = b'{"type":"joined","room":"car1","members":1,"iceServers":[]}'
        conn.sendall(fake.frame(0x1, joined[:20], fin=False) + fake.frame(0x0, joined[20:]))
        cam.wait_log(r"joined room car1 \(0 ICE servers handed\): waiting", "a fragmented message")
        conn.sendall(fake.frame(0x1, b'{"type":"peer-joined"}', mask=b"abcd"))
        cam.wait_log(r"left the room: a bad frame from the server .*; joining again in 1 s",
                     "a masked frame from the server fails the connection")
        check("offering" not in cam.text(), "nothing in the masked frame was acted on")
        conn.close()
        conn = fake.accept()
        conn.sendall(fake.frame(0x8, struct.pack("!H", 1001) + b"going away"))
        op, data = fake.read_frame(conn)
        check(op == 0x8 and data[:2] == struct.pack("!H", 1000), f"the close is answered: {op} {data}")
        cam.wait_log(r"the server closed the WebSocket \(1001: going away\)", "the close's reason")
        conn.close()
        check(cam.stop() == 0, "SIGTERM: exit 0")
    finally:
        cam.stop()
        fake.listener.close()


def stun_attr(kind, value):
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def ice_check(ufrag, pwd, txn):
    """A Binding request as the controlled viewer would send it (RFC 8445 7.2.2), with
    MESSAGE-INTEGRITY and FINGERPRINT (RFC 8489 14.5, 14.7)."""
    attrs = (stun_attr(0x0006, f"{ufrag}:viewer".encode()) +
             stun_attr(0x0024, struct.pack("!I", 1853817087)) +
             stun_attr(0x8029, os.urandom(8)))
    head = struct.pack("!HHI", 0x0001, len(attrs) + 24, 0x2112A442) + txn
    attrs += stun_attr(0x0008, hmac.new(pwd.encode(), head + attrs, hashlib.sha1).digest())
    head = struct.pack("!HHI", 0x0001, len(attrs) + 8, 0x2112A442) + txn
    attrs += stun_attr(0x8028, struct.pack("!I", (zlib.crc32(head + attrs) ^ 0x5354554E)
                                           & 0xFFFFFFFF))
    return struct.pack("!HHI", 0x0001, len(attrs), 0x2112A442) + txn + attrs


def scripted_answer(offer):
    """An answer to the device's offer that takes video and the channel, with this script's
    ICE credentials and no candidates, so that the device's session lives on the checks this
    script sends it (DTLS would start from here, setup active; it is never needed)."""
    lines = []
    for line in offer.split("\r\n"):
        if line.startswith(("a=candidate:", "a=end-of-candidates", "a=ssrc", "a=msid")):
            continue
        line = re.sub(r"^a=ice-ufrag:.*", "a=ice-ufrag:viewer", line)
        line = re.sub(r"^a=ice-pwd:.*", "a=ice-pwd:" + "viewer-password-24chars", line)
        line = line.replace("a=setup:actpass", "a=setup:active").replace("a=sendonly", "a=recvonly")
        lines.append(line)
    return "\r\n".join(lines)


class Prober:
    """The viewer's ICE checks to the device's session port every 50 ms; the times of the
    answers show whether the device's loop kept serving."""

    def __init__(self, sdp):
        self.ufrag = ufrag(sdp)
        self.pwd = re.search(r"a=ice-pwd:(\S+)", sdp).group(1)
        host = re.search(r"a=candidate:\S+ 1 udp \d+ (127\.0\.0\.1) (\d+) typ host", sdp)
        check(host, f"the offer has a loopback host candidate: {sdp}")
        self.addr = (host.group(1), int(host.group(2)))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.answers = []

    def run(self, seconds, until=lambda: False):
        end = time.monotonic() + seconds
        while time.monotonic() < end and not until():
            txn = os.urandom(12)
            self.sock.sendto(ice_check(self.ufrag, self.pwd, txn), self.addr)
            deadline = time.monotonic() + 0.05
            while (left := deadline - time.monotonic()) > 0:
                self.sock.settimeout(left)
                try:
                    data = self.sock.recv(2048)
                except socket.timeout:
                    break
                if data[:2] == b"\x01\x01" and data[8:20] == txn:
                    self.answers.append(time.monotonic())
            time.sleep(max(0.0, deadline - time.monotonic()))

    def worst_gap(self, since):
        times = [t for t in self.answers if t >= since]
        return max((b - a for a, b in zip(times, times[1:])), default=float("inf")), len(times)


def nft(*args):
    subprocess.run(["nft", *args], check=True, timeout=10)


def test_blackhole(binary, workdir):
    """A live session keeps being served while the device's joins go into a black hole."""
    if shutil.which("nft") is None:
        print("SKIP: needs nft (nftables) to black-hole serve's port")
        sys.exit(77)
    http_port = free_port(socket.SOCK_STREAM)
    serve_args = ["--http", f"127.0.0.1:{http_port}"]
    url = f"ws://127.0.0.1:{http_port}/ws?room=car1"
    cam = None
    try:
        os.makedirs(os.path.join(workdir, "a"))
        with Server(binary, os.path.join(workdir, "a"), *serve_args) as srv:
            viewer = WebSocket(srv.port, "/ws?room=car1")
            check(viewer.recv()["type"] == "joined", "the viewer joined first")
            cam = Camera(binary, workdir, url)
            offer, _ = viewer.recv_until("offer")
            viewer.send(json.dumps({"type": "answer", "sdp": scripted_answer(offer["sdp"])}))
            probe = Prober(offer["sdp"])
            probe.run(1.0)
            check(len(probe.answers) >= 10,
                  f"the device's session answers the viewer's checks: {len(probe.answers)} in 1 s")
            # serve goes with the viewer still in the room: the session goes on without it.
            check(srv.stop() == 0, "serve stops")
            viewer.close()
        cam.wait_log(r"camera: left the room: .*; joining again in 1 s", "the device lost serve")
        nft("add", "table", "inet", "blackhole")
        nft("add", "chain", "inet", "blackhole", "out",
            "{ type filter hook output priority 0 ; }")
        nft("add", "rule", "inet", "blackhole", "out", "tcp", "dport", str(http_port), "drop")
        t0 = time.monotonic()
        gave_up = r"camera: left the room: 127\.0\.0\.1:\d+: no connection within 5 s; " \
                  r"joining again in 2 s"
        probe.run(12.0, until=lambda: re.search(gave_up, cam.text()))
        probe.run(1.0)
        gap, n = probe.worst_gap(t0)
        check(gap < 1.0, f"the device's loop kept answering while it retried: {n} answers in "
              f"{time.monotonic() - t0:.1f} s, the longest gap {gap:.2f} s")
        print(f"camera_signal_test: {n} answers in {time.monotonic() - t0:.1f} s of retries, "
              f"the longest gap {gap * 1000:.0f} ms")
        check(re.search(gave_up, cam.text()),
              f"the join into the black hole gives up after 5 s: {cam.text()[-800:]}")
        nft("delete", "table", "inet", "blackhole")
        os.makedirs(os.path.join(workdir, "b"))
        with Server(binary, os.path.join(workdir, "b"), *serve_args):
            cam.wait_log(r"camera: joined room car1 \(0 ICE servers handed\): waiting",
                         "the device joins again once the drop is lifted", timeout=20)
            check(cam.stop() == 0, f"SIGTERM: exit 0 ({cam.proc.returncode})")
    finally:
        if cam:
            cam.stop()


def main():
    if sys.argv[2:] == ["--blackhole"]:
        enter_loopback_namespace(skip_code=77)
    binary = os.path.abspath(sys.argv[1])
    workdir = tempfile.mkdtemp(prefix="boltrtc-camera-signal-")
    if sys.argv[2:] == ["--blackhole"]:
        try:
            test_blackhole(binary, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print(f"camera_signal_test --blackhole: {http_test.PASSED} checks passed")
        return
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
        test_bad_server(binary, workdir)
    finally:
        if cam:
            cam.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"camera_signal_test: {http_test.PASSED} checks passed")


if __name__ == "__main__":
    main()
