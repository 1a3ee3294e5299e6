#!/usr/bin/python3
"""The WHIP client that `boltrtc publish` uses (apps/whip_client.c, RFC 9725), through
tests/apps/whip_probe, against:
  - a scripted HTTP server on loopback, one case per thing a WHIP server may do: a relative
    Location, a 307 redirect (the POST and its body must follow it), Link headers with ICE
    servers, an error with its reason, a 201 without Location or without SDP, a bearer token,
    an answer too large, a server that never answers;
  - `boltrtc serve`'s own /whip: POST a real Chromium offer, DELETE the resource, and a
    second DELETE that must fail with 404.
Usage: whip_client_test.py WHIP_PROBE BOLTRTC OFFER_SDP"""
import http.server
import os
import select
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from e2e import stop_process  # noqa: E402

PROBE, BOLTRTC, OFFER = sys.argv[1:4]
with open(OFFER, "rb") as f:
    OFFER_BYTES = f.read()
ANSWER = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
PASSED = 0
SEEN = []  # (method, path, headers, body) of every request the scripted server got


def check(cond, what):
    global PASSED
    if not cond:
        raise AssertionError(what)
    PASSED += 1


class Scripted(http.server.BaseHTTPRequestHandler):
    """Answers by path: each path is one case."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_DELETE(self):
        gone = ("DELETE", self.path) in [(m, p) for m, p, _, _ in SEEN]
        SEEN.append(("DELETE", self.path, dict(self.headers), b""))
        if self.path.startswith("/res/") and not gone:
            self.reply(200)
        else:
            self.reply(404, b"no such session\n")

    def do_POST(self):
        body = self.body()
        SEEN.append(("POST", self.path, dict(self.headers), body))
        sdp = [("Content-Type", "application/sdp")]
        p = self.path
        if body != OFFER_BYTES:
            self.reply(400, b"the offer changed on the way\n")
        elif p == "/whip/relative":
            self.reply(201, ANSWER, sdp + [("Location", "../res/abc"), ("ETag", '"e1"'),
                       ("Link", '<stun:stun.example.net>; rel="ice-server"'),
                       ("Link", '<turn:turn.example.net?transport=udp>; rel="ice-server"; '
                                'username="u1"; credential="c1"')])
        elif p == "/whip/moved":
            self.reply(307, b"", [("Location", "/other/whip")])
        elif p == "/other/whip":
            self.reply(201, ANSWER, sdp + [("Location", "res2")])
        elif p == "/whip/bad":
            self.reply(400, b"bad offer: no a=fingerprint (RFC 8122 5)\nmore detail\n")
        elif p == "/whip/nolocation":
            self.reply(201, ANSWER, sdp)
        elif p == "/whip/notsdp":
            self.reply(201, b"hello", [("Content-Type", "text/plain"), ("Location", "/res/x")])
        elif p == "/whip/token":
            if self.headers.get("Authorization") != "Bearer s3cret":
                self.reply(401, b"token needed\n")
            else:
                self.reply(201, ANSWER, sdp + [("Location", "http://127.0.0.1:%d/res/t"
                                                % self.server.server_port)])
        elif p == "/whip/huge":
            self.reply(201, b"v=0\r\n" + b"a=x\r\n" * 60000, sdp + [("Location", "/res/h")])
        elif p == "/whip/stall":
            time.sleep(3)
            self.reply(201, ANSWER, sdp + [("Location", "/res/s")])
        else:
            self.reply(404, b"no such case\n")


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the client hanging up on the flood and the stall is the point of those cases


def probe(*args, timeout_ms=3000):
    env = dict(os.environ, WHIP_TIMEOUT_MS=str(timeout_ms))
    r = subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=30, env=env)
    return r.returncode, r.stdout


def scripted_cases():
    srv = QuietServer(("127.0.0.1", 0), Scripted)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    base = "http://127.0.0.1:%d" % srv.server_port
    try:
        rc, out = probe("cycle", base + "/whip/relative", OFFER)
        check(rc == 0, f"relative Location: {out}")
        check(f"resource {base}/res/abc\n" in out, f"Location resolved per RFC 3986: {out}")
        check('etag "e1"' in out, f"ETag kept: {out}")
        check("ice-server stun:stun.example.net - -\n" in out, f"first Link: {out}")
        check("ice-server turn:turn.example.net?transport=udp u1 c1\n" in out,
              f"second Link with credentials: {out}")
        check("answer v=0" in out and f"answer-bytes {len(ANSWER)}" in out, f"answer: {out}")
        check(("DELETE", "/res/abc") in [(m, p) for m, p, _, _ in SEEN], "DELETE reached")
        post = [s for s in SEEN if s[0] == "POST" and s[1] == "/whip/relative"][0]
        check(post[2].get("Content-Type") == "application/sdp", f"Content-Type: {post[2]}")
        check("Authorization" not in post[2], "no token, no Authorization header")

        rc, out = probe("post", base + "/whip/moved", OFFER)
        check(rc == 0, f"307: {out}")
        check(f"resource {base}/other/res2\n" in out, f"resolved against the new URL: {out}")
        check([s[1] for s in SEEN if s[0] == "POST"][-1] == "/other/whip",
              "the POST followed the redirect with its body")

        rc, out = probe("post", base + "/whip/bad", OFFER)
        check(rc == 1 and out.strip() == "error: the WHIP server answered 400: bad offer: no "
              "a=fingerprint (RFC 8122 5)", f"400 with the first line of its reason: {out}")

        rc, out = probe("post", base + "/whip/nolocation", OFFER)
        check(rc == 1 and "no Location" in out, f"201 without Location: {out}")
        rc, out = probe("post", base + "/whip/notsdp", OFFER)
        check(rc == 1 and "not application/sdp" in out, f"201 without SDP: {out}")

        rc, out = probe("post", base + "/whip/token", OFFER)
        check(rc == 1 and "401: token needed" in out, f"no token: {out}")
        rc, out = probe("cycle", base + "/whip/token", OFFER, "s3cret")
        check(rc == 0 and f"resource {base}/res/t" in out, f"with the token: {out}")
        deletes = [s for s in SEEN if s[0] == "DELETE" and s[1] == "/res/t"]
        check(deletes and deletes[0][2].get("Authorization") == "Bearer s3cret",
              "DELETE carries the token too")

        rc, out = probe("post", base + "/whip/huge", OFFER)
        check(rc == 1 and "larger than" in out, f"a 300 KB answer is refused: {out}")

        t0 = time.monotonic()
        rc, out = probe("post", base + "/whip/stall", OFFER, timeout_ms=500)
        took = time.monotonic() - t0
        check(rc == 1 and "POST" in out and "imeout" in out, f"a stalled server: {out}")
        check(took < 2.5, f"gave up after its 500 ms, not the server's 3 s ({took:.1f} s)")

        rc, out = probe("post", "http://127.0.0.1:1/whip", OFFER)
        check(rc == 1 and "POST http://127.0.0.1:1/whip" in out, f"nobody listening: {out}")
        rc, out = probe("post", "ftp://127.0.0.1/whip", OFFER)
        check(rc == 1, f"only http and https: {out}")
    finally:
        srv.shutdown()
        srv.server_close()


def serve_case(workdir):
    log = open(os.path.join(workdir, "serve.log"), "w")
    proc = subprocess.Popen(
        [BOLTRTC, "serve", "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--output",
         os.path.join(workdir, "out"), "--loopback-only"],
        stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        check(ready, "serve printed its banner")
        line = proc.stdout.readline()
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        rc, out = probe("cycle", "http://127.0.0.1:%d/whip" % port, OFFER)
        check(rc == 0, f"boltrtc serve's WHIP: {out}")
        check(f"resource http://127.0.0.1:{port}/whip/" in out, f"absolute resource: {out}")
        check("second-delete DELETE http://127.0.0.1:%d/whip/" % port in out and
              "answered 404" in out, f"the resource is gone after DELETE: {out}")
        rc, out = probe("post", "http://127.0.0.1:%d/whip" % port, os.devnull)
        check(rc == 1 and "answered 400" in out, f"an empty offer: {out}")
    finally:
        stop_process(proc, "boltrtc serve")
        log.close()


def main():
    scripted_cases()
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "out"))
        serve_case(d)
    print(f"whip_client: {PASSED} checks passed")


if __name__ == "__main__":
    main()
