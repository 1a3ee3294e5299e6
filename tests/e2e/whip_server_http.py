"""The HTTP side of the test WHIP servers (RFC 9725) that `boltrtc publish` publishes to
(aiortc_whip_server.py, gst_whip_server.py): POST /whip with an offer gets 201, the peer's
answer and a Location; DELETE on the Location ends the session; GET /status says what arrived.
The standard library's server, one thread per request, loopback only; the peer's own work
happens in the two callables it gives."""
import argparse
import http.server
import json


def parse_args(doc):
    """The servers' shared command line: where to listen, where the saved frame goes."""
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True, help="folder for frame.rgb and frame.json")
    ap.add_argument("--save-at", type=int, default=45, help="which decoded frame to keep")
    ap.add_argument("--host-address", default="127.0.0.1")
    return ap.parse_args()


def serve(port, answer, delete, state, lock):
    """answer(offer_sdp) -> (resource id, answer_sdp), raising to refuse (the reason goes to
    state["errors"] and the 400's body); delete(rid) -> bool; state, a JSON-able dict read under
    lock, is GET /status's body. Prints "ready", then serves until interrupted."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, code, body=b"", ctype="text/plain", headers=()):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            if self.path != "/whip":
                return self.reply(404, b"no such endpoint\n")
            if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/sdp":
                return self.reply(415, b"not application/sdp\n")
            offer = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            try:
                rid, sdp = answer(offer)
            except Exception as e:  # the peer refused the offer: say why, as a WHIP server does
                with lock:
                    state["errors"].append(repr(e))
                return self.reply(400, f"{e!r}\n".encode())
            self.reply(201, sdp.encode(), "application/sdp", [("Location", f"/whip/{rid}")])

        def do_DELETE(self):
            self.reply(200 if delete(self.path.rsplit("/", 1)[-1]) else 404)

        def do_GET(self):
            if self.path != "/status":
                return self.reply(404)
            with lock:
                body = json.dumps(state).encode()
            self.reply(200, body, "application/json")

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    print("ready", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
