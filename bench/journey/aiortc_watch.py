#!/usr/bin/env python3
"""The viewer page's server job done with aiortc (Debian's python3-aiortc 1.4 and aiohttp), for
the first-frame benchmark: it serves boltrtc's own /watch page (web/) and speaks its protocol,
WHEP and WHIP with the whole offer in one POST (201, the answer, a Location; DELETE ends it):
  POST /whep  (the page's recvonly offer): aiortc sends --source, played by its MediaPlayer
              (the file decoded and encoded again as VP8, aiortc has no pass-through);
  POST /whip  (/watch?echo=1, a sendrecv offer): the browser's video is sent back on the same
              connection (decoded and encoded again, as aiortc's own relay examples do).
Serving the same page to both servers leaves only the servers' part different. Runs on
loopback only: aioice's host addresses are replaced by 127.0.0.1 (it leaves loopback out).
Prints "ready" once listening."""
import argparse
import itertools
import sys

from aiohttp import web
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer, MediaRelay

from aiortc_common import add_page_files, loopback_only, run

loopback_only()

PCS = {}
IDS = itertools.count(1)
RELAY = MediaRelay()


async def answer(request, kind):
    if request.content_type != "application/sdp":
        return web.Response(status=415, text="not application/sdp\n")
    offer = await request.text()
    pc = RTCPeerConnection()
    rid = str(next(IDS))
    PCS[rid] = pc
    if kind == "whep":
        player = MediaPlayer(request.app["source"], loop=True)
        pc.addTrack(player.video)
        pc.player = player
    else:
        @pc.on("track")
        def on_track(track):
            if track.kind == "video":
                pc.addTrack(RELAY.subscribe(track))
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())  # gathers first: no trickle
    return web.Response(status=201, text=pc.localDescription.sdp, content_type="application/sdp",
                        headers={"Location": f"/{kind}/{rid}"})


async def delete(request):
    pc = PCS.pop(request.match_info["id"], None)
    if pc is None:
        return web.Response(status=404)
    player = getattr(pc, "player", None)
    await pc.close()
    if player is not None and player.video is not None:
        player.video.stop()
    return web.Response(status=200)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--web", required=True, help="boltrtc's web/ folder (built)")
    ap.add_argument("--source", required=True, help="the video /whep plays (IVF VP8)")
    a = ap.parse_args()
    app = web.Application()
    app["source"] = a.source

    app.router.add_post("/whep", lambda r: answer(r, "whep"))
    app.router.add_post("/whip", lambda r: answer(r, "whip"))
    app.router.add_delete("/whep/{id}", delete)
    app.router.add_delete("/whip/{id}", delete)
    add_page_files(app, a.web, {"/watch": "watch.html"})  # last: its /{name} takes what is left

    async def close_all(app):
        for pc in list(PCS.values()):
            await pc.close()

    app.on_shutdown.append(close_all)
    run(app, a.port)


if __name__ == "__main__":
    sys.exit(main())
