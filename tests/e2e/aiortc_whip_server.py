#!/usr/bin/env python3
"""A WHIP server (RFC 9725) built on aiortc (its HTTP side is whip_server_http.py), for `boltrtc publish` to publish to a stack no one
here wrote: POST an offer, 201 with aiortc's answer and a Location, DELETE ends the session.
It decodes the video it receives; the --save-at'th decoded frame is written to --out as raw
RGB (frame.rgb, with frame.json saying its size), and GET /status says what arrived.

The HTTP side is the standard library's (a thread), aiortc runs on an asyncio loop in another;
only loopback is served (aioice is told to use --host-address, as in whip_client.py)."""
import asyncio
import json
import os
import threading
import time

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription

from whip_server_http import parse_args, serve

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


def main():
    args = parse_args(__doc__)
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [args.host_address]
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    serve(args.port,
          lambda offer: asyncio.run_coroutine_threadsafe(answer(offer, args), loop).result(20),
          lambda rid: asyncio.run_coroutine_threadsafe(delete(rid), loop).result(20),
          STATE, LOCK)


if __name__ == "__main__":
    main()
