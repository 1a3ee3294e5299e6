#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_http and fuzz_websocket (fuzz/corpus/<target>/): pipelined
requests of every shape the hardening tests use, a WHIP offer (Chromium's, from
tests/sdp/fixtures) with the fuzzer's token, a WebSocket upgrade followed by signaling
frames, chunked bodies and the refusals; and WebSocket frame streams (RFC 6455 5.7's
examples, fragments, control frames, closes). Usage: make_http_seeds.py (from anywhere)."""
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests/signal"))
from hardening_test import req  # noqa: E402  (the same request builder as the tests)
OFFER = open(os.path.join(ROOT, "tests/sdp/fixtures/chrome_offer_video.sdp"), "rb").read()
MASK = b"\x37\xfa\x21\x3d"


def frame(opcode, payload, fin=True, masked=True):
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    mbit = 0x80 if masked else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not masked:
        return head + payload
    return head + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


def write(target, name, data):
    folder = os.path.join(ROOT, "fuzz/corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


AUTH = "Authorization: Bearer fuzz-token\r\n"
UPGRADE = ("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
http = {
    "pipelined": req("GET", "/api/status") + req("POST", "/whip", b"hello", "text/plain") +
    req("OPTIONS", "/whip") + req("DELETE", "/whip/00112233445566778899aabbccddeeff", extra=AUTH) +
    req("GET", "/nope") + req("POST", "/whip", b"", "application/sdp", AUTH),
    "whip_offer": req("POST", "/whip", OFFER, "application/sdp", AUTH) + req("GET", "/api/status"),
    "whip_no_token": req("POST", "/whip", OFFER, "application/sdp"),
    "files": req("GET", "/") + req("HEAD", "/style.css") + req("GET", "/favicon.ico") +
    req("GET", "/output/shoot1.jpg") + req("GET", "/../etc/passwd") + req("GET", "/a%00b"),
    "chunked": b"POST /whip HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Type: application/sdp\r\n" + AUTH.encode() + b"\r\n5\r\nv=0\r\n\r\n0\r\n\r\n" +
    req("GET", "/api/status", extra="Expect: 100-continue\r\n"),
    "smuggle": b"POST /whip HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    "big_head": req("GET", "/", extra="X-Pad: " + "a" * 4200 + "\r\n"),
    "http10": b"GET /api/status HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "ws": req("GET", "/ws?token=fuzz-token", extra=UPGRADE) +
    frame(1, json.dumps({"type": "offer", "sdp": OFFER.decode()}).encode()) +
    frame(1, b'{"type":"candidate","candidate":null}') + frame(9, b"hi") +
    frame(1, b'{"type":"snapshot"}') + frame(1, b'{"type":"bye"}') + frame(8, b"\x03\xe8"),
    "ws_errors": req("GET", "/ws?token=fuzz-token", extra=UPGRADE) + frame(1, b"{not json") +
    frame(1, b'{"type":"dance"}', fin=False) + frame(0, b"", fin=True) + frame(2, b"\x00\xff") +
    frame(1, b"\xed\xa0\x80"),
    "ws_no_token": req("GET", "/ws", extra=UPGRADE),
}
for name, data in http.items():
    write("fuzz_http", name, b"\x01\x02\x03\x04" + data)

ws = {
    "rfc_hello": b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58",
    "rfc_pong": b"\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58",
    "fragments": frame(1, b"Hel", fin=False) + frame(9, b"p") + frame(0, b"lo"),
    "binary_256": frame(2, bytes(range(256))),
    "binary_64k": frame(2, b"\x00" * 65536),
    "close": frame(8, b"\x03\xe8bye") + frame(1, b"late"),
    "bad_utf8": frame(1, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"),
    "unmasked": frame(1, b"Hello", masked=False),
    "too_big": frame(1, b"a" * 5000) + frame(1, b"ok"),
}
for name, data in ws.items():
    write("fuzz_websocket", name, b"\x05\x3f" + data)
