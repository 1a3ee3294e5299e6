"""What the aiortc servers of the journey benchmarks share: aioice kept to loopback, boltrtc's
own page files served the way `boltrtc serve` serves them, one "ready" line once listening, and
each step printed as one JSON line on the benchmark's clock."""
import asyncio
import json
import os
import re
import time
from fractions import Fraction

import aioice.ice
import av
from aiohttp import web
from aiortc import RTCPeerConnection


def loopback_only():
    """aioice leaves loopback out of its host addresses; the benchmarks run on loopback only."""
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def step(name, session, **extra):
    """One step as {"step": NAME, "session": ID, "t": epoch ms} on stdout."""
    print(json.dumps({"step": name, "session": session, "t": time.time() * 1000, **extra}),
          flush=True)


def write_jpeg(frame, path):
    """One decoded frame as a JPEG, with libavcodec's MJPEG encoder (full-range 4:2:0)."""
    enc = av.CodecContext.create("mjpeg", "w")
    enc.width, enc.height = frame.width, frame.height
    enc.pix_fmt = "yuvj420p"
    enc.time_base = Fraction(1, 30)
    data = b"".join(bytes(p) for p in enc.encode(frame.reformat(format="yuvj420p")))
    data += b"".join(bytes(p) for p in enc.encode(None))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Receiver:
    """One publisher's pc: the first decoded video frame written as <id>.jpg in output, its
    steps printed (dtls-connected, ice-connected, first-frame, keyframe-saved). on_saved(name,
    frame), if given, is awaited once the JPEG is on disk."""
    count = 0

    def __init__(self, output, on_saved=None):
        Receiver.count += 1
        self.id = f"a{Receiver.count}"
        self.output = output
        self.on_saved = on_saved
        self.pc = RTCPeerConnection()
        self.pc.on("track", self.on_track)
        self.pc.on("connectionstatechange", self.on_state)
        self.pc.on("iceconnectionstatechange", self.on_ice)

    async def on_state(self):
        if self.pc.connectionState == "connected":
            step("dtls-connected", self.id)

    async def on_ice(self):
        if self.pc.iceConnectionState == "completed":
            step("ice-connected", self.id)

    def on_track(self, track):
        if track.kind == "video":
            asyncio.ensure_future(self.receive(track))

    async def receive(self, track):
        try:
            frame = await track.recv()
        except Exception:
            return
        step("first-frame", self.id)
        name = f"{self.id}.jpg"
        write_jpeg(frame, os.path.join(self.output, name))
        step("keyframe-saved", self.id)
        if self.on_saved:
            await self.on_saved(name, frame)
        while True:  # the rest is received and dropped, as a server that keeps one would
            try:
                await track.recv()
            except Exception:
                return


# A page file's name: one path segment, no hidden files (as src/signal/web_files.c allows).
PAGE_FILE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*\.(html|js|css|svg|png|map)$")


def add_page_files(app, web_dir, routes):
    """routes: {URL path: file relative to boltrtc's web/ folder (built)}. Besides those, every
    other /<name> is looked up the way serve does it (src/signal/web_files.c): web/dist/<name>
    (tsc's output: the page's script is several ES modules importing each other), then
    web/<name>. Naming the modules one by one broke the aiortc side when the page was split
    into modules (only /app.js was served, its imports were 404s and the page never started)."""
    for url, rel in routes.items():
        path = os.path.join(web_dir, rel)
        app.router.add_get(url, lambda request, path=path: web.FileResponse(path))

    async def page_file(request):
        name = request.match_info["name"]
        if PAGE_FILE.match(name):
            for path in (os.path.join(web_dir, "dist", name), os.path.join(web_dir, name)):
                if os.path.isfile(path):
                    return web.FileResponse(path)
        raise web.HTTPNotFound(text=f"not found: /{name}")

    app.router.add_get("/{name}", page_file)


def run(app, port):
    """Serves on 127.0.0.1:port until stopped, printing "ready" once listening."""
    web.run_app(app, host="127.0.0.1", port=port, print=lambda *_: print("ready", flush=True))
