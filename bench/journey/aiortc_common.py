"""What the two aiortc servers of the journey benchmarks share: aioice kept to loopback, boltrtc's
own page files served as they are, and one "ready" line once listening."""
import os

import aioice.ice
from aiohttp import web


def loopback_only():
    """aioice leaves loopback out of its host addresses; the benchmarks run on loopback only."""
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def add_page_files(app, web_dir, routes):
    """routes: {URL path: file path relative to boltrtc's web/ folder (built)}."""
    for url, rel in routes.items():
        path = os.path.join(web_dir, rel)
        app.router.add_get(url, lambda request, path=path: web.FileResponse(path))


def run(app, port):
    """Serves on 127.0.0.1:port until stopped, printing "ready" once listening."""
    web.run_app(app, host="127.0.0.1", port=port, print=lambda *_: print("ready", flush=True))
