#!/usr/bin/env python3
"""aiortc's reference server for the journey benchmark: Debian's own example page, index.html
and client.js, read at run time from /usr/share/doc/python3-aiortc/examples/server/ (not copied
here), with the example's POST /offer. Its page does the journey one step after another:
getUserMedia, then createOffer, then waits for ICE gathering to complete, then POSTs the offer,
then sets the answer. The server side is the example's offer handler with its media kept to
what the journey needs: the first decoded video frame written as a JPEG (aiortc_common.Receiver,
as aiortc_server.py does), nothing sent back (the example echoes the video through an optional
transform and plays a WAV file).

Each step is printed as one JSON line {"step": NAME, "t": epoch ms}. Loopback only."""
import argparse
import json
import os
import sys

from aiohttp import web
from aiortc import RTCSessionDescription

from aiortc_common import Receiver, loopback_only, run, step

loopback_only()

EXAMPLE = "/usr/share/doc/python3-aiortc/examples/server"


def example_file(name, content_type):
    path = os.path.join(EXAMPLE, name)

    async def handler(request):
        with open(path) as f:  # read per request, as the example does
            return web.Response(content_type=content_type, text=f.read())
    return handler


async def offer(request):
    params = await request.json()
    receiver = Receiver(request.app["output"])
    request.app["pcs"].add(receiver.pc)
    step("offer-received", receiver.id)
    await receiver.pc.setRemoteDescription(RTCSessionDescription(sdp=params["sdp"],
                                                                 type=params["type"]))
    await receiver.pc.setLocalDescription(await receiver.pc.createAnswer())
    step("answer-sent", receiver.id)
    return web.Response(content_type="application/json", text=json.dumps(
        {"sdp": receiver.pc.localDescription.sdp, "type": receiver.pc.localDescription.type}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--output", required=True)
    a = ap.parse_args()
    for name in ("index.html", "client.js"):
        if not os.path.isfile(os.path.join(EXAMPLE, name)):
            sys.exit(f"{EXAMPLE}/{name} is missing: install python3-aiortc's examples "
                     "(scripts/install-deps.sh --test)")
    os.makedirs(a.output, exist_ok=True)
    app = web.Application()
    app["output"] = a.output
    app["pcs"] = set()

    async def close_all(app):
        for pc in list(app["pcs"]):
            await pc.close()

    app.on_shutdown.append(close_all)
    app.router.add_get("/", example_file("index.html", "text/html"))
    app.router.add_get("/client.js", example_file("client.js", "application/javascript"))
    app.router.add_post("/offer", offer)
    run(app, a.port)


if __name__ == "__main__":
    sys.exit(main())
