#!/usr/bin/env python3
"""A WHIP server (RFC 9725) built on aiortc, for `boltrtc publish` to publish to a stack no one
here wrote: POST an offer, 201 with aiortc's answer and a Location, DELETE ends the session.
It decodes the video it receives; the --save-at'th decoded frame is written to --out as raw
RGB (frame.rgb, with frame.json saying its size), and GET /status says what arrived.

The HTTP side is the standard library's (a thread), aiortc runs on an asyncio loop in another;
only loopback is served (aioice is told to use --host-address, as in whip_client.py)."""
import argparse
import asyncio
import http.server
import json
import os
import threading
import time

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription

STATE = {"sessions": 0, "deleted": 0, "frames": 0, "saved": False, "width": 0, "height": 0,
         "connected_after_ms": None, "errors": []}
LOCK = threading.Lock()
PCS = {}


async def consume(track, save_at, out):
    while True:
        try:
            frame = await track.recv()
        except Exception:  # the track ended (DELETE, or the publisher went away)
            return
        with LOCK:
            STATE["frames"] += 1
            n = STATE["frames"]
            STATE["width"], STATE["height"] = frame.width, frame.height
        if n == save_at:
            rgb = frame.to_ndarray(format="rgb24")
            with open(os.path.join(out, "frame.rgb"), "wb") as f:
                f.write(rgb.tobytes())
            with open(os.path.join(out, "frame.json"), "w") as f:
                json.dump({"width": frame.width, "height": frame.height, "index": n}, f)
            with LOCK:
                STATE["saved"] = True


async def answer(offer_sdp, args):
    pc = RTCPeerConnection()
    posted = time.monotonic()
    with LOCK:
        STATE["sessions"] += 1
        rid = str(STATE["sessions"])
    PCS[rid] = pc

    @pc.on("track")
    def on_track(track):
        if track.kind == "video":
            asyncio.ensure_future(consume(track, args.save_at, args.out))

    @pc.on("connectionstatechange")
    def on_state():
        if pc.connectionState == "connected":
            with LOCK:
                STATE["connected_after_ms"] = round((time.monotonic() - posted) * 1000, 1)

    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    return rid, pc.localDescription.sdp


async def delete(rid):
    pc = PCS.pop(rid, None)
    if pc is None:
        return False
    await pc.close()
    with LOCK:
        STATE["deleted"] += 1
    return True


def make_handler(loop, args):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, status, body=b"", ctype="text/plain", headers=()):
            self.send_response(status)
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
                rid, sdp = asyncio.run_coroutine_threadsafe(answer(offer, args), loop).result(20)
            except Exception as e:  # aiortc refused the offer: say why, as a WHIP server does
                with LOCK:
                    STATE["errors"].append(repr(e))
                return self.reply(400, f"aiortc: {e!r}\n".encode())
            self.reply(201, sdp.encode(), "application/sdp", [("Location", f"/whip/{rid}")])

        def do_DELETE(self):
            rid = self.path.rsplit("/", 1)[-1]
            gone = asyncio.run_coroutine_threadsafe(delete(rid), loop).result(20)
            self.reply(200 if gone else 404)

        def do_GET(self):
            if self.path != "/status":
                return self.reply(404)
            with LOCK:
                body = json.dumps(STATE).encode()
            self.reply(200, body, "application/json")

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True, help="folder for frame.rgb and frame.json")
    ap.add_argument("--save-at", type=int, default=45, help="which decoded frame to keep")
    ap.add_argument("--host-address", default="127.0.0.1")
    args = ap.parse_args()
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [args.host_address]
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(loop, args))
    srv.daemon_threads = True
    print("ready", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
