#!/usr/bin/env python3
"""The first journey's server job done with aiortc (Debian's python3-aiortc 1.4 and aiohttp), for
the journey benchmark: it serves boltrtc's own page (web/) and speaks its WebSocket signaling
(offer, candidate, answer, keyframe messages, README.md), receives the browser's video, and
writes the first decoded frame as a JPEG. aiortc's reference server
(/usr/share/doc/python3-aiortc/examples/server) has the same shape but its own page and no JPEG;
serving the same page to both servers leaves only the servers' part different.

Each step is printed as one JSON line {"step": NAME, "t": epoch ms}. Runs on loopback only:
aioice's host addresses are replaced by 127.0.0.1 (it leaves loopback out)."""
import argparse
import json
import os
import sys

from aiohttp import WSMsgType, web
from aiortc import RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

from aiortc_common import Receiver, add_page_files, loopback_only, run, step

loopback_only()


class Session(Receiver):
    """A /ws connection's session: the page is told of the JPEG as serve tells it."""

    def __init__(self, ws, output):
        super().__init__(output, self.saved)
        self.ws = ws

    async def saved(self, name, frame):
        await self.ws.send_str(json.dumps({
            "type": "keyframe", "session": self.id, "file": name,
            "url": f"/output/{name}", "width": frame.width, "height": frame.height}))

    async def offer(self, sdp):
        step("offer-received", self.id)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())  # gathers first
        await self.ws.send_str(json.dumps({"type": "answer", "sdp": self.pc.localDescription.sdp}))
        step("answer-sent", self.id)

    async def candidate(self, msg):
        text = msg.get("candidate") or ""
        if text.startswith("candidate:"):
            c = candidate_from_sdp(text[len("candidate:"):])
            c.sdpMid = msg.get("sdpMid")
            await self.pc.addIceCandidate(c)


async def signaling(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    session = Session(ws, request.app["output"])
    try:
        async for m in ws:
            if m.type != WSMsgType.TEXT:
                continue
            msg = json.loads(m.data)
            if msg.get("type") == "offer":
                await session.offer(msg["sdp"])
            elif msg.get("type") == "candidate":
                await session.candidate(msg)
            elif msg.get("type") == "bye":
                break
    finally:
        await session.pc.close()
    return ws


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--web", required=True, help="boltrtc's web/ folder (built)")
    ap.add_argument("--output", required=True)
    a = ap.parse_args()
    os.makedirs(a.output, exist_ok=True)
    app = web.Application()
    app["output"] = a.output

    app.router.add_get("/ws", signaling)
    app.router.add_static("/output/", a.output)
    add_page_files(app, a.web, {"/": "index.html"})  # last: its /{name} takes what is left
    run(app, a.port)


if __name__ == "__main__":
    sys.exit(main())
