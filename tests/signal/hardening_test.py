#!/usr/bin/env python3
"""The signaling port against an attacker (issue 5), on a running `boltrtc serve` on
loopback, with raw sockets where the client must not tidy the bytes up:

  pipelining    every pipelined shape in one write is answered in order with the right
                statuses and bodies, or the connection is closed; after each the server
                still answers a fresh client within 3 s, and SIGTERM still ends it (exit 0)
  oversized     a header block over 4096 bytes gets 431, a %00 in the path 400, each with
                its reason
  whip-access   resource URLs carry 128 random bits and are not in the status or the logs;
                DELETE of a guessed or sequential URL gets 404 and the session lives on
  tokens        --token and --token-file: POST needs a token (401 and WWW-Authenticate
                otherwise), DELETE needs the token that created the session, /ws needs
                ?token=
  ws-isolation  a WebSocket page cannot act on another page's session

Python standard library only; every wait is bounded; each server is stopped by its pid.
Usage: hardening_test.py BOLTRTC OFFER.sdp CHECK"""
import json
import os
import re
import secrets
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_test  # noqa: E402
from http_test import Server, WebSocket, check, wait_for  # noqa: E402

BAD_TYPE_415 = b"Content-Type must be application/sdp\n"


def req(method, path, body=b"", ctype=None, extra=""):
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\n"
    if ctype:
        head += f"Content-Type: {ctype}\r\n"
    if body or method in ("POST", "PATCH"):
        head += f"Content-Length: {len(body)}\r\n"
    return (head + extra + "\r\n").encode() + body


class Reader:
    """Reads HTTP/1.1 responses off a raw socket, each framed by its Content-Length."""

    def __init__(self, sock, timeout):
        self.sock, self.buf, self.eof = sock, b"", False
        self.deadline = time.monotonic() + timeout

    def _fill(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no (complete) response in time; got {self.buf[:200]!r}")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise AssertionError(f"no (complete) response in time; got {self.buf[:200]!r}")
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
        self.buf += chunk

    def response(self):
        """(status, headers, body), or None at the end of the stream."""
        while b"\r\n\r\n" not in self.buf:
            if self.eof:
                return None
            self._fill()
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = 0 if status in (101, 204, 304) else int(headers.get("content-length", "0"))
        while len(rest) < length:
            if self.eof:
                raise AssertionError(f"the body of a {status} was cut short")
            self._fill()
            rest = self.buf.partition(b"\r\n\r\n")[2]
        self.buf = rest[length:]
        return status, headers, rest[:length]

    def closed(self):
        """Whether the server closes the connection now (after everything read so far)."""
        while not self.eof:
            self._fill()
        return self.buf == b""


def send_and_read(port, data, n, timeout=5):
    """Send data in one write; read up to n responses; also report whether the server then
    closed the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        r = Reader(s, timeout)
        got = []
        for _ in range(n):
            one = r.response()
            if one is None:
                break
            got.append(one)
        closed = False
        if len(got) < n or got and got[-1][1].get("connection", "").lower() == "close":
            closed = r.closed()
        return got, closed


def fresh_client_answers(srv, what):
    start = time.monotonic()
    code, _, body = srv.request("GET", "/api/status")
    check(code == 200 and json.loads(body) is not None and time.monotonic() - start < 3,
          f"a fresh client is answered within 3 s after {what}")


def post_offer(srv, offer, token=None):
    headers = {"Content-Type": "application/sdp"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return srv.request("POST", "/whip", body=offer, headers=headers)


# Every shape ends with a request that has a body: a body pipelined behind another request is
# what sent libwebsockets into its endless loop (docs/dependencies.md).
TAIL = req("POST", "/whip", b"tail!", "text/plain")


def simple_shapes():
    sdp = "application/sdp"
    status_json = lambda b: json.loads(b) is not None  # noqa: E731
    return {
        "GET+POST": (req("GET", "/api/status") + req("POST", "/whip", b"hello", "text/plain"),
                     [(200, status_json), (415, BAD_TYPE_415)]),
        "POST+GET": (req("POST", "/whip", b"hello", "text/plain") + req("GET", "/api/status") +
                     TAIL, [(415, BAD_TYPE_415), (200, status_json), (415, BAD_TYPE_415)]),
        "bad type": (req("POST", "/whip", b"x" * 1000, "text/plain") +
                     req("POST", "/whip", b"{}", "application/json"),
                     [(415, BAD_TYPE_415), (415, BAD_TYPE_415)]),
        "empty body": (req("POST", "/whip", b"", sdp) + req("GET", "/api/status") + TAIL,
                       [(400, b"empty offer: POST an SDP offer\n"), (200, status_json),
                        (415, BAD_TYPE_415)]),
        "unknown path": (req("GET", "/nope") + req("POST", "/nope", b"hello", "text/plain") +
                         req("GET", "/api/status"),
                         [(404, b"not found\n"), (405, b"method not allowed\n"),
                          (200, status_json)]),
        "OPTIONS": (req("OPTIONS", "/whip") + req("POST", "/whip", b"hello", "text/plain") +
                    req("OPTIONS", "/whip/x"),
                    [(204, b""), (415, BAD_TYPE_415), (204, b"")]),
    }


def shape_simple(srv, offer, name):
    data, expected = simple_shapes()[name]
    got, _ = send_and_read(srv.port, data, len(expected))
    check([g[0] for g in got] == [e[0] for e in expected],
          f"{name}: statuses {[g[0] for g in got]}, expected {[e[0] for e in expected]}")
    for (status, headers, body), (_, want) in zip(got, expected):
        ok = want(body) if callable(want) else body == want
        check(ok, f"{name}: the {status}'s body {body[:120]!r}")
    if name == "OPTIONS":
        check(got[0][1].get("accept-post") == "application/sdp", "OPTIONS: Accept-Post")


def shape_post_post(srv, offer, name):
    """The second offer is read as the second body, not as the first's tail."""
    sdp = "application/sdp"
    got, _ = send_and_read(srv.port, req("POST", "/whip", offer, sdp) +
                           req("POST", "/whip", offer, sdp), 2)
    check([g[0] for g in got] == [201, 201],
          f"POST+POST: {[g[0] for g in got]} {[g[2][:80] for g in got]}")
    locs = [g[1].get("location") for g in got]
    check(all(g[2].startswith(b"v=0\r\n") for g in got) and locs[0] != locs[1],
          "POST+POST: two answers, two resources")
    for loc in locs:
        code, _, _ = srv.request("DELETE", loc)
        check(code == 200, f"DELETE {loc}: {code}")


def shape_post_delete(srv, offer, name):
    """A new session, and the end of an earlier one, in one write."""
    sdp = "application/sdp"
    code, headers, _ = post_offer(srv, offer)
    check(code == 201, f"POST: {code}")
    got, _ = send_and_read(srv.port, req("POST", "/whip", offer, sdp) +
                           req("DELETE", headers.get("location")) + TAIL, 3)
    check([g[0] for g in got] == [201, 200, 415], f"POST+DELETE: {[g[0] for g in got]}")
    check(re.fullmatch(rb"session s\d+ ended\n", got[1][2]) is not None,
          f"POST+DELETE: the DELETE's body {got[1][2]!r}")
    code, _, _ = srv.request("DELETE", got[0][1].get("location"))
    check(code == 200, f"DELETE the new one: {code}")


def shape_too_large(srv, offer, name):
    """413 with the reason, then the connection closes (the request behind it is never read:
    the body is not read either, so its framing cannot be trusted)."""
    big = b"v=0\r\n" + b"a=x\r\n" * 14000
    got, closed = send_and_read(srv.port, req("POST", "/whip", big, "application/sdp") + TAIL, 2)
    check([g[0] for g in got] == [413], f"body too large: {[g[0] for g in got]}")
    check(got and got[0][2] == b"request body too big: the limit is 65536 bytes\n",
          f"{got[0][2] if got else None!r}")
    check(closed and got[0][1].get("connection") == "close", "then the connection closes")


def shape_byte_by_byte(srv, offer, name):
    """The GET+POST pair written one byte at a time."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for b in req("GET", "/api/status") + req("POST", "/whip", b"hello", "text/plain"):
            s.sendall(bytes([b]))
        r = Reader(s, 5)
        check([r.response()[0], r.response()[0]] == [200, 415], "byte by byte")


SHAPES = {name: shape_simple for name in simple_shapes()}
SHAPES.update({"POST+POST": shape_post_post, "POST+DELETE": shape_post_delete,
               "body too large": shape_too_large, "byte by byte": shape_byte_by_byte})


def check_pipelining(binary, offer, workdir):
    """Every shape in turn (or only HARDENING_SHAPE), each followed by a fresh client."""
    only = os.environ.get("HARDENING_SHAPE")
    srv = Server(binary, workdir, "--max-sessions", "10")
    try:
        for name, run in SHAPES.items():
            if only and name != only:
                continue
            run(srv, offer, name)
            fresh_client_answers(srv, name)
        code = srv.stop()
        check(code == 0, f"SIGTERM after the pipelining: exit {code}")
    finally:
        srv.stop()


def check_oversized(binary, offer, workdir):
    srv = Server(binary, workdir)
    try:
        pad = "a" * 5000
        got, closed = send_and_read(srv.port, req("GET", "/", extra=f"X-Pad: {pad}\r\n"), 1)
        check([g[0] for g in got] == [431], f"header block over 4096 bytes: {[g[0] for g in got]}")
        check(got and got[0][2] == b"request header block too large: the limit is 4096 bytes\n",
              f"with its reason: {got[0][2] if got else None!r}")
        check(closed, "and the connection closes")
        got, closed = send_and_read(srv.port, req("GET", "/a%00b"), 1)
        check([g[0] for g in got] == [400], f"%00 in the path: {[g[0] for g in got]}")
        check(got and b"NUL or control character in the path" in got[0][2], f"{got}")
        check(closed, "and the connection closes")
        fresh_client_answers(srv, "oversized requests")
        check(srv.stop() == 0, "SIGTERM: exit 0")
    finally:
        srv.stop()


def session_state(srv, sid):
    return next((s["state"] for s in srv.status()["sessions"] if s["id"] == sid), None)


def check_whip_access(binary, offer, workdir):
    srv = Server(binary, workdir, "--max-sessions", "10")
    try:
        code, headers, _ = post_offer(srv, offer)
        check(code == 201, f"POST: {code}")
        loc, sid = headers.get("location", ""), headers.get("boltrtc-session", "")
        resource = loc.rsplit("/", 1)[-1]
        check(re.fullmatch(r"/whip/[0-9a-f]{32}", loc) is not None, f"Location {loc!r}")
        check(sid and sid not in loc, f"the short id {sid!r} is not the resource URL")
        # A guessed, a sequential, and a random URL: refused, and the session lives on.
        for path in (f"/whip/{sid}", "/whip/s1", "/whip/s2", f"/whip/{secrets.token_hex(16)}",
                     f"/whip/{resource[:-1]}", f"/whip/{resource}0", f"/whip/{resource.upper()}",
                     f"/whip/{resource}/", f"/whip/../whip/{resource}x"):
            for method in ("DELETE", "PATCH"):
                code, _, _ = srv.request(method, path)
                check(code == 404, f"{method} {path}: {code}")
        check(session_state(srv, sid) not in (None, "closed"), f"{sid} lives on")
        # Nothing shown leads to the resource.
        code, _, body = srv.request("GET", "/api/status")
        check(resource.encode() not in body, "the status does not show the resource id")
        srv.log.flush()
        with open(srv.log_path) as f:
            check(resource not in f.read(), "the log does not show the resource id")
        code, _, body = srv.request("DELETE", loc)
        check(code == 200, f"the owner's DELETE: {code}")
        wait_for(lambda: session_state(srv, sid) == "closed", f"{sid} closed")
        srv.log.flush()
        with open(srv.log_path) as f:
            check(resource not in f.read(), "the log does not show the resource id after DELETE")
        check(srv.stop() == 0, "SIGTERM: exit 0")
    finally:
        srv.stop()


def check_tokens(binary, offer, workdir):
    token_file = os.path.join(workdir, "tokens")
    with open(token_file, "w") as f:
        f.write("tok-two\n\n  tok-three  \n")
    srv = Server(binary, workdir, "--max-sessions", "10", "--token", "tok-one",
                 "--token-file", token_file)
    try:
        code, headers, body = post_offer(srv, offer)
        check(code == 401, f"POST without a token: {code}")
        check(headers.get("www-authenticate", "").startswith("Bearer"), f"challenge: {headers}")
        check(b"bearer token" in body, f"reason: {body!r}")
        code, headers, _ = post_offer(srv, offer, "wrong")
        check(code == 401 and 'error="invalid_token"' in headers.get("www-authenticate", ""),
              f"POST with a wrong token: {code} {headers.get('www-authenticate')}")
        code, headers, _ = srv.request("POST", "/whip", body=offer,
                                       headers={"Content-Type": "application/sdp",
                                                "Authorization": "Basic dG9rLW9uZQ=="})
        check(code == 401, f"POST with another scheme: {code}")
        code, headers, _ = post_offer(srv, offer, "tok-one")
        check(code == 201, f"POST with the right token: {code}")
        loc, sid = headers.get("location"), headers.get("boltrtc-session")
        code, _, _ = srv.request("DELETE", loc)
        check(code == 401, f"DELETE without a token: {code}")
        code, _, _ = srv.request("DELETE", loc, headers={"Authorization": "Bearer tok-two"})
        check(code == 404, f"DELETE with another valid token: {code}")
        code, _, _ = srv.request("DELETE", loc, headers={"Authorization": "Bearer nope"})
        check(code == 401, f"DELETE with a wrong token: {code}")
        # PATCH (trickle, ICE restart) is held to the same: its ETag alone opens nothing.
        frag = b"a=ice-ufrag:Evil\r\na=ice-pwd:evilevilevilevilevilevil\r\n"
        for auth, want in ((None, 401), ("Bearer tok-two", 404), ("Bearer nope", 401)):
            hdrs = {"Content-Type": "application/trickle-ice-sdpfrag", "If-Match": "*"}
            if auth:
                hdrs["Authorization"] = auth
            code, _, _ = srv.request("PATCH", loc, body=frag, headers=hdrs)
            check(code == want, f"PATCH (an ICE restart) with {auth}: {code}, wanted {want}")
        code, _, _ = srv.request("PATCH", loc, body=b"a=end-of-candidates\r\n",
                                 headers={"Content-Type": "application/trickle-ice-sdpfrag",
                                          "If-Match": headers.get("etag", ""),
                                          "Authorization": "Bearer tok-one"})
        check(code == 204, f"PATCH with the creator's token and the ETag: {code}")
        check(session_state(srv, sid) not in (None, "closed"), f"{sid} lives on")
        code, _, _ = srv.request("DELETE", loc, headers={"Authorization": "Bearer tok-one"})
        check(code == 200, f"DELETE with the creator's token: {code}")
        code, headers, _ = post_offer(srv, offer, "tok-three")
        check(code == 201, f"a token from the file, blanks trimmed: {code}")
        code, _, _ = srv.request("DELETE", headers.get("location"),
                                 headers={"Authorization": "bearer tok-three"})
        check(code == 200, f"its DELETE: {code}")
        # WebSockets: browsers cannot set headers, so the token is a query parameter.
        for path, want in (("/ws", 401), ("/ws?token=bad", 401), ("/ws?token=tok-two", 101),
                           ("/ws?x=1&token=tok%2Done", 101)):
            ws = WebSocket(srv.port, path)
            check(ws.status == want, f"GET {path}: {ws.status}")
            ws.close()
        check(srv.stop() == 0, "SIGTERM: exit 0")
    finally:
        srv.stop()


def check_ws_isolation(binary, offer, workdir):
    srv = Server(binary, workdir, "--max-sessions", "10")
    try:
        a = WebSocket(srv.port)
        a.send(json.dumps({"type": "offer", "sdp": offer.decode()}))
        _, seen = a.recv_until("answer")
        sid = next(x["session"] for x in seen if x["type"] == "step")
        b = WebSocket(srv.port)
        # Messages carry no session id the server reads: these act on b's (absent) session.
        b.send(json.dumps({"type": "snapshot", "session": sid}))
        m = b.recv()
        check(m["type"] == "error", f"snapshot naming another page's session: {m}")
        b.send(json.dumps({"type": "candidate", "session": sid,
                           "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"}))
        m = b.recv()
        check(m["type"] == "error", f"candidate naming another page's session: {m}")
        b.send(json.dumps({"type": "bye", "session": sid}))
        b.close()
        time.sleep(0.3)
        st = session_state(srv, sid)
        check(st not in (None, "closed"), f"{sid} lives on: {st}")
        steps = next(s["steps"] for s in srv.status()["sessions"] if s["id"] == sid)
        check(all(x["step"] not in ("bye", "snapshot-requested") for x in steps), f"{steps}")
        a.send('{"type":"bye"}')
        wait_for(lambda: session_state(srv, sid) == "closed", f"{sid} closed by its own page")
        a.close()
        check(srv.stop() == 0, "SIGTERM: exit 0")
    finally:
        srv.stop()


CHECKS = {
    "pipelining": check_pipelining,
    "oversized": check_oversized,
    "whip-access": check_whip_access,
    "tokens": check_tokens,
    "ws-isolation": check_ws_isolation,
}


def main():
    binary, offer_path, which = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(offer_path, "rb") as f:
        offer = f.read()
    workdir = tempfile.mkdtemp(prefix=f"boltrtc-{which}-")
    try:
        CHECKS[which](binary, offer, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{which}: {http_test.PASSED} passed, 0 failed")


if __name__ == "__main__":
    main()
