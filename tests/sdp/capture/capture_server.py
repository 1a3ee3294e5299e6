#!/usr/bin/env python3
"""Serves capture.html on 127.0.0.1 and writes each POSTed offer to OUTDIR/<mode>.sdp.

Usage: capture_server.py PORT OUTDIR   (then point a headless browser at
http://127.0.0.1:PORT/capture.html?mode=av_data or ?mode=video).
"""
import http.server
import os
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
OUTDIR = sys.argv[2]


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=HERE, **kwargs)

    def do_POST(self):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        mode = "".join(ch for ch in query.get("mode", ["x"])[0] if ch.isalnum() or ch == "_")
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(os.path.join(OUTDIR, mode + ".sdp"), "wb") as f:
            f.write(body)
        with open(os.path.join(OUTDIR, mode + ".ua"), "w") as f:
            f.write(query.get("ua", [""])[0] + "\n")
        self.send_response(204)
        self.end_headers()


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
