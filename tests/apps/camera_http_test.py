#!/usr/bin/env python3
"""`boltrtc camera` without a browser, on loopback only: its options refuse bad values and a
missing source; its server serves the camera's page at / and nothing of serve's (no status,
no WHIP, no keyframes); with --token its WebSocket needs the token; a connected socket gets
the device's offer (video and the data section), and a message that is not JSON gets an
error while the socket stays open. Python standard library only; every wait is bounded and
the program is stopped by its pid.

Usage: camera_http_test.py BOLTRTC"""
import base64
import http.client
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

PASSED = 0


def check(cond, what):
    global PASSED
    if not cond:
        raise AssertionError(what)
    PASSED += 1


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def ws_open(port, path):
    """The opening handshake (RFC 6455 4.1); returns (status, socket)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    status = int(head.split(b" ", 2)[1])
    return status, s, head.split(b"\r\n\r\n", 1)[1]


def ws_send(s, text):
    data = text.encode()
    mask = os.urandom(4)
    hdr = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126
                           else bytes([0x80 | 126]) + struct.pack(">H", len(data)))
    s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def ws_recv(s, buf):
    """One text message (unmasked, from the server)."""
    def need(n):
        nonlocal buf
        while len(buf) < n:
            chunk = s.recv(65536)
            if not chunk:
                raise AssertionError("socket closed")
            buf += chunk
    need(2)
    n = buf[1] & 0x7F
    off = 2
    if n == 126:
        need(4)
        n, off = struct.unpack(">H", buf[2:4])[0], 4
    elif n == 127:
        need(10)
        n, off = struct.unpack(">Q", buf[2:10])[0], 10
    need(off + n)
    msg, buf = buf[off:off + n], buf[off + n:]
    return json.loads(msg), buf


def main():
    boltrtc = sys.argv[1]
    # Options: bad values and a missing source fail before anything listens.
    for args, code, words in ((["--size", "3x3"], 2, "bad --size"),
                              (["--http", "nowhere"], 2, "bad --http"),
                              (["--bogus"], 2, "unknown option"),
                              (["--source", "/nonexistent.ivf"], 1, "nonexistent")):
        r = subprocess.run([boltrtc, "camera", *args], capture_output=True, text=True, timeout=10)
        check(r.returncode == code and words in r.stderr, f"camera {args}: {r.returncode} {r.stderr!r}")
    port = free_port()
    proc = subprocess.Popen([boltrtc, "camera", "--http", f"127.0.0.1:{port}", "--udp", "127.0.0.1:0",
                             "--token", "s3cret", "--size", "160x120"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                status, page = get(port, "/")
                break
            except OSError:
                check(time.monotonic() < deadline and proc.poll() is None, "camera did not start")
                time.sleep(0.1)
        check(status == 200 and b"camera.js" in page, "/ is the camera's page")
        check(get(port, "/camera.js")[0] == 200, "its script is served")
        for path in ("/api/status", "/whip", "/watch", "/output/shoot1.jpg", "/inspect"):
            check(get(port, path)[0] == 404, f"{path} is not served by the camera")
        status, s, _ = ws_open(port, "/ws")
        s.close()
        check(status == 401, f"/ws without the token: {status}")
        status, s, _ = ws_open(port, "/ws?token=wrong")
        s.close()
        check(status == 401, f"/ws with a wrong token: {status}")
        status, s, buf = ws_open(port, "/ws?token=s3cret")
        check(status == 101, f"/ws with the token: {status}")
        offer, buf = ws_recv(s, buf)
        check(offer["type"] == "offer" and "m=video" in offer["sdp"] and
              "m=application" in offer["sdp"] and "a=sendonly" in offer["sdp"],
              f"the device offers video and data: {offer}")
        check(re.search(r"VP8/90000", offer["sdp"]) is not None, "VP8 is offered")
        ws_send(s, "not json")
        err, buf = ws_recv(s, buf)
        check(err["type"] == "error", f"a bad message gets an error: {err}")
        ws_send(s, json.dumps({"type": "candidate", "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"}))
        err, buf = ws_recv(s, buf)
        check(err["type"] == "error" and "before answer" in err["message"], f"{err}")
        # A second viewer takes over: the first is told and closed.
        status, s2, buf2 = ws_open(port, "/ws?token=s3cret")
        check(status == 101, "a second viewer connects")
        told, buf = ws_recv(s, buf)
        check(told["type"] == "error" and "took over" in told["message"], f"{told}")
        offer2, buf2 = ws_recv(s2, buf2)
        check(offer2["type"] == "offer", "the second viewer gets its own offer")
        s.close()
        s2.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    check(proc.returncode == 0, f"camera exits 0 on SIGTERM: {proc.returncode}")
    print(f"camera_http_test: {PASSED} checks passed")


if __name__ == "__main__":
    main()
