#!/usr/bin/env python3
"""HTTP, WHIP and WebSocket signaling of a running `boltrtc serve`, on loopback only, with
no browser: the page and status, WHIP errors and limits, path traversal, and the WebSocket
message errors. Python standard library only; every wait is bounded and the server is
stopped by its process id.

Usage: http_test.py BOLTRTC OFFER.sdp"""
import base64
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

PASSED = 0
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60 + b"\xff\xd9"


def check(cond, what):
    global PASSED
    if not cond:
        raise AssertionError(what)
    PASSED += 1


class Server:
    def __init__(self, binary, workdir, *extra):
        self.output = os.path.join(workdir, "output")
        os.makedirs(self.output)
        with open(os.path.join(self.output, "shoot5.jpg"), "wb") as f:
            f.write(JPEG)
        self.log_path = os.path.join(workdir, "server.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--output",
             self.output, "--loopback-only", "--log-level", "debug", *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.read_line(15)
        check(line.startswith("boltrtc serving http://127.0.0.1:"), f"banner: {line!r}")
        check(f"keyframes to {self.output}" in line, f"banner names the output folder: {line!r}")
        self.port = int(line.split("http://127.0.0.1:")[1].split("/")[0])

    def read_line(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise AssertionError("server printed nothing in time")
        return self.proc.stdout.readline()

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def raw_get(self, path):
        """A request line sent as is (no client-side path normalisation)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
        return status, data

    def status(self):
        code, headers, body = self.request("GET", "/api/status")
        check(code == 200, f"/api/status answered {code}")
        check(headers.get("content-type", "").startswith("application/json"), "status is JSON")
        return json.loads(body)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
                return None
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        """Stops the server; when a check failed, prints its log's tail to say why."""
        self.stop()
        if exc_type is not None:
            print(self.tail(), file=sys.stderr)

    def tail(self):
        self.log.flush()
        with open(self.log_path) as f:
            return "".join(f.readlines()[-40:])


class WebSocket:
    """A minimal RFC 6455 client: text frames, masked, no extensions."""

    def __init__(self, port, path="/ws", host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        self.status = int(head.split(b" ", 2)[1])

    def send(self, text):
        payload = text.encode() if isinstance(text, str) else text
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("WebSocket closed")
            data += chunk
        return data

    def recv(self):
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        payload = self._read(n)
        if b0 & 0x0F == 0x8:
            raise ConnectionError("server closed the WebSocket")
        return json.loads(payload)

    def recv_until(self, mtype, limit=50):
        seen = []
        for _ in range(limit):
            m = self.recv()
            seen.append(m)
            if m.get("type") == mtype:
                return m, seen
        raise AssertionError(f"no {mtype} message in {seen}")

    def close(self):
        self.sock.close()


def test_pages(srv):
    code, headers, body = srv.request("GET", "/")
    check(code == 200 and headers.get("content-type", "").startswith("text/html"), "GET / is html")
    check(b'id="connect"' in body, "the page has its Connect button")
    code, _, body2 = srv.request("GET", "/?autostart=1")
    check(code == 200 and body2 == body, "GET /?autostart=1 is the same page")
    code, headers, _ = srv.request("GET", "/style.css")
    check(code == 200 and headers.get("content-type", "").startswith("text/css"), "style.css")
    code, _, _ = srv.request("GET", "/nothing-here.js")
    check(code == 404, "a missing file is 404")
    code, headers, body = srv.request("GET", "/favicon.ico")
    check(code == 200 and headers.get("content-type") == "image/svg+xml" and b"<svg" in body,
          f"/favicon.ico is the page's icon: {code}")
    code, headers, _ = srv.request("HEAD", "/style.css")
    check(code == 200 and int(headers.get("content-length", "0")) > 0, "HEAD gives the length")
    code, _, _ = srv.request("POST", "/api/status", body=b"x")
    check(code == 405, "POST /api/status is 405")


def test_status(srv):
    st = srv.status()
    check(isinstance(st.get("sessions"), list), "status lists sessions")
    check(isinstance(st.get("keyframes"), list), "status lists keyframes")
    for k in ("datagrams_in", "dropped_unknown_source", "dropped_malformed"):
        check(isinstance(st.get("udp", {}).get(k), int), f"status udp has {k}")


def test_output(srv):
    code, headers, body = srv.request("GET", "/output/shoot5.jpg")
    check(code == 200 and body == JPEG, "a saved keyframe is served")
    check(headers.get("content-type") == "image/jpeg", "as image/jpeg")
    for path in ("/output/shoot6.jpg", "/output/shoot05.jpg", "/output/other.jpg",
                 "/output/", "/output/shoot5.jpg.tmp"):
        code, _, _ = srv.request("GET", path)
        check(code == 404, f"{path} is 404")


def test_traversal(srv):
    for path in ("/output/../../etc/passwd", "/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
                 "/output/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/output/..%2f..%2fetc/passwd",
                 "//etc/passwd", "/web/../../etc/passwd", "/..\\..\\etc\\passwd"):
        code, data = srv.raw_get(path)
        check(code in (400, 403, 404), f"GET {path} answered {code}")
        check(b"root:" not in data, f"GET {path} leaked a file")


def test_whip_errors(srv, offer):
    code, _, body = srv.request("POST", "/whip", body=offer, headers={"Content-Type": "text/plain"})
    check(code == 415, f"text/plain offer: {code}")
    code, headers, body = srv.request("POST", "/whip", body=b"garbage",
                                      headers={"Content-Type": "application/sdp"})
    check(code == 400, f"garbage SDP: {code}")
    check(headers.get("content-type", "").startswith("text/plain"), "reason as text/plain")
    text = body.decode().strip()
    check(text and "\n" not in text, f"one-line reason: {body!r}")
    check(text.startswith("bad SDP"), f"reason says what is wrong: {text!r}")
    code, _, _ = srv.request("POST", "/whip", body=b"v=0\r\n" + b"a=x\r\n" * 20000,
                             headers={"Content-Type": "application/sdp"})
    check(code == 413, f"70 kB offer: {code}")
    code, _, _ = srv.request("POST", "/whip", body=b"",
                             headers={"Content-Type": "application/sdp"})
    check(code == 400, f"empty offer: {code}")
    code, _, _ = srv.request("DELETE", "/whip/nonexistent")
    check(code == 404, f"DELETE unknown session: {code}")
    code, headers, _ = srv.request("OPTIONS", "/whip")
    check(code == 204 and headers.get("accept-post") == "application/sdp", f"OPTIONS: {code}")
    code, _, _ = srv.request("PATCH", "/whip/s1", body=b"a=end-of-candidates\r\n",
                             headers={"Content-Type": "application/trickle-ice-sdpfrag"})
    check(code == 404, f"PATCH of a URL that is no resource: {code}")
    code, _, _ = srv.request("GET", "/whip")
    check(code == 405, f"GET /whip: {code}")


def test_keep_alive(srv):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        for _ in range(2):
            conn.request("GET", "/api/status")
            r = conn.getresponse()
            check(r.status == 200 and json.loads(r.read()) is not None, "keep-alive status")
        conn.request("POST", "/whip", body=b"x" * 1000, headers={"Content-Type": "text/plain"})
        r = conn.getresponse()
        r.read()
        check(r.status == 415, "keep-alive 415 after its body")
        conn.request("GET", "/")
        r = conn.getresponse()
        check(r.status == 200 and b"<html" in r.read(), "the connection still works")
    finally:
        conn.close()


def test_websocket(srv, offer):
    ws = WebSocket(srv.port)
    check(ws.status == 101, f"upgrade at /ws: {ws.status}")
    ws.send("{not json")
    m = ws.recv()
    check(m["type"] == "error" and "bad JSON" in m["message"], f"bad JSON: {m}")
    ws.send('{"type":"dance"}')
    m = ws.recv()
    check(m["type"] == "error" and "unknown message type" in m["message"], f"unknown type: {m}")
    ws.send('{"type":"offer"}')
    m = ws.recv()
    check(m["type"] == "error" and "sdp" in m["message"], f"offer without sdp: {m}")
    ws.send('{"type":"snapshot"}')
    m = ws.recv()
    check(m["type"] == "error", f"snapshot without a session: {m}")
    ws.send(json.dumps({"type": "x", "pad": "y" * 70000}))
    m = ws.recv()
    check(m["type"] == "error" and "too big" in m["message"], f"70 kB message: {m}")
    ws.send(json.dumps({"type": "offer", "sdp": "v=0\r\nnonsense\r\n"}))
    m, seen = ws.recv_until("error")
    check("offer refused" in m["message"] and len(m["message"]) > len("offer refused: "),
          f"bad SDP gives the reason: {m}")
    # Still open: a good offer now gets the journey steps and the answer.
    ws.send(json.dumps({"type": "offer", "sdp": offer.decode()}))
    m, seen = ws.recv_until("answer")
    check(m["sdp"].startswith("v=0"), "answer SDP")
    steps = [x["step"] for x in seen if x["type"] == "step"]
    check("offer" in steps and "answer" in steps, f"steps before the answer: {steps}")
    session = next(x["session"] for x in seen if x["type"] == "step" and x["step"] == "answer")
    check(all(isinstance(x["t_ms"], (int, float)) for x in seen if x["type"] == "step"), "t_ms")
    # The server trickles its own candidates too (RFC 8838), "" ending them.
    cands = [x for x in seen if x["type"] == "candidate"]
    if not any(c["candidate"] == "" for c in cands):
        more, seen_more = ws.recv_until("candidate")
        cands += [x for x in seen_more if x["type"] == "candidate"]
        while cands[-1]["candidate"] != "":
            cands.append(ws.recv_until("candidate")[0])
    check(cands and cands[0]["candidate"].startswith("candidate:") and
          cands[-1]["candidate"] == "" and all(c.get("sdpMid") for c in cands),
          f"the server's candidates, then end-of-candidates: {cands}")
    # A later offer on the live session is answered (JSEP 5.2.2; an ICE restart is one, with
    # new credentials), one that changes the certificate is refused with the reason.
    restart = (offer.decode().replace("a=ice-ufrag:", "a=ice-ufrag:R")
               .replace("a=ice-pwd:", "a=ice-pwd:R"))
    ws.send(json.dumps({"type": "offer", "sdp": restart}))
    m, _ = ws.recv_until("answer")
    check(m["sdp"].startswith("v=0") and sdp_value(m["sdp"], "a=ice-ufrag:") != sdp_value(
        next(x["sdp"] for x in seen if x["type"] == "answer"), "a=ice-ufrag:"),
        "a re-offer with new ICE credentials is answered with new ones of ours")
    other = re.sub(r"(a=fingerprint:sha-256 )..", r"\g<1>00", offer.decode())
    ws.send(json.dumps({"type": "offer", "sdp": other}))
    m, _ = ws.recv_until("error")
    check("offer refused" in m["message"] and "fingerprint" in m["message"],
          f"a re-offer with another certificate is refused: {m}")
    ws.send('{"type":"candidate","candidate":"candidate:1 1 udp 2122260223 127.0.0.1 9 typ host",'
            '"sdpMid":"0"}')
    ws.send('{"type":"candidate","candidate":null}')
    ws.send('{"type":"snapshot"}')
    m, _ = ws.recv_until("step")
    check(m["step"] == "snapshot-requested", f"snapshot step: {m}")
    ws.send('{"type":"bye"}')
    m, _ = ws.recv_until("step")
    check(m["step"] == "bye", f"bye step: {m}")
    ws.close()
    return session


def wait_for(pred, what, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_whip_sessions(srv, offer, ws_session):
    def session(st, sid):
        return next((s for s in st["sessions"] if s["id"] == sid), None)

    wait_for(lambda: (session(srv.status(), ws_session) or {}).get("state") == "closed",
             f"{ws_session} closed after bye")
    ids, etags, answers = [], [], []
    for _ in range(2):
        code, headers, body = srv.request("POST", "/whip", body=offer,
                                          headers={"Content-Type": "application/sdp"})
        check(code == 201, f"WHIP POST: {code} {body[:200]!r}")
        check(headers.get("content-type") == "application/sdp", "answer is application/sdp")
        check(body.startswith(b"v=0\r\n") and b"a=ice-ufrag:" in body and b"a=ice-lite" not in body,
              "answer SDP (full ICE, the default)")
        loc = headers.get("location", "")
        sid = headers.get("boltrtc-session", "")
        check(sid.startswith("s"), f"Boltrtc-Session names the session: {sid!r}")
        resource = loc[len("/whip/"):]
        check(loc.startswith("/whip/") and len(resource) == 32 and
              all(ch in "0123456789abcdef" for ch in resource),
              f"Location is /whip/ and 128 random bits: {loc!r}")
        ids.append((sid, loc))
        etag = headers.get("etag", "")
        check(len(etag) == 34 and etag[0] == etag[-1] == '"', f"ETag for PATCH: {etag!r}")
        check(headers.get("accept-patch") == "application/trickle-ice-sdpfrag", "Accept-Patch")
        etags.append(etag)
        answers.append(body)
    code, _, body = srv.request("POST", "/whip", body=offer,
                                headers={"Content-Type": "application/sdp; charset=utf-8"})
    check(code == 503, f"third session over --max-sessions 2: {code}")
    st = srv.status()
    for sid, loc in ids:
        s = session(st, sid)
        check(s and s["transport"] == "whip", f"{sid} listed as whip")
        check([x["step"] for x in s["steps"]][:2] == ["offer-received", "offer"], f"{sid} steps")
    test_whip_patch(srv, offer, ids[0][1], etags[0], answers[0])
    for sid, loc in ids:
        code, _, _ = srv.request("DELETE", loc)
        check(code == 200, f"DELETE {sid}: {code}")
        code, _, _ = srv.request("DELETE", loc)
        check(code == 404, f"DELETE {sid} again: {code}")
    st = srv.status()
    for sid, loc in ids:
        check(session(st, sid)["state"] == "closed", f"{sid} closed and still listed")
    check(session(st, ws_session) is not None, "closed ws session still listed")


def sdp_value(sdp, key):
    for line in sdp.splitlines():
        if line.startswith(key):
            return line[len(key):]
    return ""


def test_whip_patch(srv, offer, loc, etag, answer):
    """Trickle and ICE restart by PATCH (RFC 9725 4.3) on a live resource, and each refusal."""
    frag_type = {"Content-Type": "application/trickle-ice-sdpfrag"}
    text = offer.decode()
    ufrag, pwd = sdp_value(text, "a=ice-ufrag:"), sdp_value(text, "a=ice-pwd:")
    mid = sdp_value(text, "a=mid:")
    trickle = (f"a=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
               f"a=mid:{mid}\r\na=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n"
               "a=end-of-candidates\r\n").encode()

    def patch(body, headers):
        return srv.request("PATCH", loc, body=body, headers=headers)

    def one_line(body):
        t = body.decode().strip()
        return t and "\n" not in t

    code, headers, _ = patch(trickle, {"Content-Type": "application/sdp", "If-Match": etag})
    check(code == 415 and headers.get("accept-patch") == "application/trickle-ice-sdpfrag",
          f"PATCH as application/sdp: {code}")
    code, _, body = patch(trickle, frag_type)
    check(code == 428 and one_line(body), f"PATCH without If-Match: {code} {body!r}")
    code, _, body = patch(trickle, {**frag_type, "If-Match": '"0123"'})
    check(code == 412 and one_line(body), f"PATCH with another ETag: {code} {body!r}")
    code, _, body = patch(b"a=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n",
                          {**frag_type, "If-Match": etag})
    check(code == 400 and b"outside a media" in body and one_line(body),
          f"PATCH of a candidate outside a section: {code} {body!r}")
    code, _, body = patch(trickle.replace(f"a=mid:{mid}".encode(), b"a=mid:nine"),
                          {**frag_type, "If-Match": etag})
    check(code == 400 and b"nine" in body, f"PATCH naming a mid we lack: {code} {body!r}")
    test_patch_whole_or_nothing(patch, ufrag, pwd, mid, {**frag_type, "If-Match": etag})
    code, _, body = patch(trickle, {**frag_type, "If-Match": etag})
    check(code == 204 and body == b"", f"PATCH trickle: {code} {body!r}")
    # An ICE restart: new credentials, If-Match "*".
    restart = (trickle.replace(ufrag.encode(), b"Rst1")
               .replace(pwd.encode(), b"restartrestartrestart0"))
    code, headers, body = patch(restart, {**frag_type, "If-Match": "*"})
    check(code == 200, f"PATCH restart: {code} {body!r}")
    check(headers.get("content-type") == "application/trickle-ice-sdpfrag", "restart answer type")
    new_etag = headers.get("etag", "")
    check(len(new_etag) == 34 and new_etag != etag, f"a new ETag: {new_etag!r}")
    frag = body.decode()
    old_ufrag = sdp_value(answer.decode(), "a=ice-ufrag:")
    new_ufrag = sdp_value(frag, "a=ice-ufrag:")
    check(new_ufrag and new_ufrag != old_ufrag, f"our new ufrag {new_ufrag!r} (was {old_ufrag!r})")
    check(sdp_value(frag, "a=ice-pwd:") and "a=candidate:" in frag and "m=video" in frag and
          "v=0" not in frag, f"our fragment: {frag!r}")
    code, _, _ = patch(restart, {**frag_type, "If-Match": etag})
    check(code == 412, f"PATCH with the ETag from before the restart: {code}")
    code, _, _ = patch(restart, {**frag_type, "If-Match": new_etag})
    check(code == 204, f"PATCH trickle after the restart: {code}")


def stun_request_within(sock, seconds):
    """Whether a STUN Binding request (RFC 8489 5) arrives on sock within seconds."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if not select.select([sock], [], [], left)[0]:
            return False
        data = sock.recv(2048)
        if data[:2] == b"\x00\x01" and data[4:8] == b"\x21\x12\xa4\x42":
            return True
    return False


def test_patch_whole_or_nothing(patch, ufrag, pwd, mid, headers):
    """RFC 5789 2: a PATCH with a good candidate and then a bad one is refused whole; the good
    one is not taken, so the server (full ICE) sends it no check. The same candidate alone is
    taken and checked, which shows the silence meant something."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        good = f"a=candidate:7 1 udp 2122260223 127.0.0.1 {port} typ host\r\n"
        head = (f"a=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\n"
                f"m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:{mid}\r\n")
        bad = "a=candidate:8 1 udp notanumber 127.0.0.1 9 typ host\r\n"
        code, _, body = patch((head + good + bad).encode(), headers)
        check(code == 400 and b"candidate 2" in body,
              f"PATCH with a bad second candidate: {code} {body!r}")
        check(not stun_request_within(sock, 1.5),
              "the good candidate of a refused PATCH was taken: the server checks it")
        check(b"none was taken" in body, f"the refusal says nothing was taken: {body!r}")
        code, _, body = patch((head + good).encode(), headers)
        check(code == 204, f"PATCH of the good candidate alone: {code} {body!r}")
        check(stun_request_within(sock, 5), "no check to a candidate taken by PATCH")


def test_inspect_access(srv, offer):
    """The packet inspector (issue 7): only the creator's URL opens a session's packets."""
    code, created, answer = srv.request("POST", "/whip?inspect=1", body=offer,
                                        headers={"Content-Type": "application/sdp"})
    check(code == 201, f"WHIP POST asking for the inspector: {code}")
    url, sid = created.get("boltrtc-inspect", ""), created.get("boltrtc-session", "")
    ident = url[len("/inspect?session="):]
    check(url.startswith("/inspect?session=") and len(ident) == 32 and
          all(ch in "0123456789abcdef" for ch in ident), f"Boltrtc-Inspect: {url!r}")
    code, headers2, _ = srv.request("POST", "/whip", body=offer,
                                    headers={"Content-Type": "application/sdp"})
    check(code == 201 and "boltrtc-inspect" not in headers2, "no inspector unless asked")
    code, _, body = srv.request("GET", f"/api/inspect?session={ident}")
    check(code == 200, f"/api/inspect with the id: {code}")
    x = json.loads(body)
    code, again, _ = srv.request("GET", f"/api/inspect?session={ident}")
    check(code == 429 and again.get("retry-after") == "1",
          f"decoded again at once: {code} {again.get('retry-after')}")
    ufrag = [ln.split(":", 1)[1] for ln in answer.decode().split("\r\n")
             if ln.startswith("a=ice-ufrag:")][0]
    check(x["session"] == sid and x["state"] == "live" and x["ufrags"]["server"] == ufrag,
          f"the inspected session: {x['session']} {x['state']} {x['ufrags']}")
    flipped = ident[:-1] + ("0" if ident[-1] != "0" else "1")
    for wrong in (flipped, ident.upper(), ident + "0", ident[:-1], sid, "", "../../etc/passwd"):
        code, _, _ = srv.request("GET", f"/api/inspect?session={wrong}")
        check(code == 404, f"/api/inspect?session={wrong!r}: {code}")
    code, _, _ = srv.request("GET", "/api/inspect")
    check(code == 404, f"/api/inspect without an id: {code}")
    # Nothing anyone else can read leads to the id: not the status, not the logs.
    code, _, status = srv.request("GET", "/api/status")
    check(ident.encode() not in status, "the inspector id is not in /api/status")
    code, headers, page = srv.request("GET", f"/inspect?session={ident}")
    check(code == 200 and headers.get("content-type", "").startswith("text/html") and
          b"/inspect.js" in page, f"/inspect: {code}")
    code, _, chapter = srv.request("GET", "/docs/journey/02-ice-and-stun.md")
    check(code == 200 and chapter.startswith(b"# 2. ICE and STUN"), f"a chapter: {code}")
    for bad in ("/docs/journey/../security.md", "/docs/journey/README", "/docs/journey/x.md"):
        code, _ = srv.raw_get(bad)
        check(code == 404, f"{bad}: {code}")
    code, _, body = srv.request("GET", "/api/inspect/stats")
    st = json.loads(body)
    check(code == 200 and st["inspected"] == 1 and st["live"] == 1, f"stats {st}")
    # Ended, it stays readable for a while, marked so.
    srv.request("DELETE", headers2.get("location", ""))
    srv.request("DELETE", created.get("location", ""))

    def state():
        code, _, body = srv.request("GET", f"/api/inspect?session={ident}")
        return json.loads(body)["state"] if code == 200 else code
    wait_for(lambda: state() == "ended", "the inspected session readable, ended", 5)
    time.sleep(0.3)
    srv.log.flush()
    with open(srv.log_path) as f:
        check(ident not in f.read(), "the inspector id is not in the server's log")
    return ident


def main():
    binary, offer_path = sys.argv[1], sys.argv[2]
    with open(offer_path, "rb") as f:
        offer = f.read()
    workdir = tempfile.mkdtemp(prefix="boltrtc-http-test-")
    srv = None
    ok = False
    try:
        srv = Server(binary, workdir, "--max-sessions", "2")
        test_pages(srv)
        test_status(srv)
        test_output(srv)
        test_traversal(srv)
        test_whip_errors(srv, offer)
        test_keep_alive(srv)
        ws_session = test_websocket(srv, offer)
        test_whip_sessions(srv, offer, ws_session)
        test_inspect_access(srv, offer)
        code = srv.stop()
        check(code == 0, f"SIGTERM: exit {code}")
        ok = True
    finally:
        if srv:
            srv.stop()
            if not ok:
                print(srv.tail(), file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"http: {PASSED} passed, 0 failed")


if __name__ == "__main__":
    main()
