#!/usr/bin/env python3
"""Rooms on the WebSocket signaling (/ws?room=NAME), on a running `boltrtc serve`:

  - two members meet: each is told who is there, and both get the same ICE servers, the
    TURN credentials being coturn's time-limited scheme (checked here with our own HMAC);
  - offer, answer and candidates are relayed byte for byte, and nothing else is made of
    them (no session);
  - admission says why it refuses, before the upgrade: a bad name 400, a wrong or missing
    key 403, a full room 409, too many rooms 503, no bearer token 401 where tokens are set;
  - a member cannot forge the server's own messages, and bad JSON is refused;
  - a member that does not read loses messages, not its connection;
  - leaving tells the other, an empty room goes, and /api/status counts rooms but never
    names them.

Python standard library only; every wait is bounded; each server is stopped by its pid.
Usage: rooms_test.py BOLTRTC"""
import base64
import hashlib
import hmac
import json
import os
import select
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_test  # noqa: E402
from http_test import Server, WebSocket, check  # noqa: E402

SECRET = "lab-secret-1"
TTL = 600


def refusal(port, path):
    """The status and body of a /ws upgrade the server refuses."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall((f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        data = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if b"\r\n\r\n" in data:
                head, body = data.split(b"\r\n\r\n", 1)
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if len(body) >= length or int(head.split(b" ", 2)[1]) == 101:
                    return int(head.split(b" ", 2)[1]), body[:length].decode()
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    raise AssertionError(f"no complete answer to {path}: {data[:200]!r}")


def readable(ws, timeout):
    return bool(select.select([ws.sock], [], [], timeout)[0])


def expect_turn_credentials(ice, room):
    turn = [s for s in ice if any(u.startswith("turn:") for u in s["urls"])]
    check(len(turn) == 1, f"one TURN entry: {ice}")
    user, cred = turn[0]["username"], turn[0]["credential"]
    expiry, name = user.split(":", 1)
    check(name == room, f"the TURN username names the room: {user}")
    check(abs(int(expiry) - (time.time() + TTL)) < 30, f"expiry about now + {TTL}: {user}")
    want = base64.b64encode(hmac.new(SECRET.encode(), user.encode(), hashlib.sha1).digest())
    check(cred == want.decode(), f"credential = base64(HMAC-SHA1(secret, username)): {cred}")
    return user, cred


def test_meet_and_relay(srv):
    a = WebSocket(srv.port, "/ws?room=car1&key=k-123")
    check(a.status == 101, f"first member upgraded: {a.status}")
    joined = a.recv()
    check(joined["type"] == "joined" and joined["room"] == "car1" and joined["members"] == 1,
          f"first member told it is alone: {joined}")
    stun = [s for s in joined["iceServers"] if "username" not in s]
    check(stun and stun[0]["urls"] == ["stun:203.0.113.1:3478"], f"STUN handed: {joined}")
    cred_a = expect_turn_credentials(joined["iceServers"], "car1")

    b = WebSocket(srv.port, "/ws?room=car1&key=k-123")
    check(b.status == 101, f"second member upgraded: {b.status}")
    joined_b = b.recv()
    check(joined_b["members"] == 2, f"second member told there are two: {joined_b}")
    expect_turn_credentials(joined_b["iceServers"], "car1")
    check(a.recv() == {"type": "peer-joined"}, "the first member hears of the second")

    # Relayed byte for byte, whatever the members put in it.
    offer = json.dumps({"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\n",
                        "extra": {"n": [1, 2, 3]}, "unicode": "caf\u00e9"})
    a.send(offer)
    got = b.recv()
    check(got == json.loads(offer), f"offer relayed as sent: {got}")
    b.send('{"type":"answer","sdp":"v=0\\r\\n"}')
    check(a.recv() == {"type": "answer", "sdp": "v=0\r\n"}, "answer relayed")
    for i in range(20):
        b.send(json.dumps({"type": "candidate", "candidate": f"candidate:{i} 1 udp 1 x 9 typ host",
                           "sdpMid": "0"}))
    for i in range(20):
        m = a.recv()
        check(m["candidate"].startswith(f"candidate:{i} "), f"candidate {i} in order: {m}")
    check(not srv.status()["sessions"], "a room makes no session")
    return a, b, cred_a


def test_refusals(srv):
    code, body = refusal(srv.port, "/ws?room=car1&key=wrong")
    check(code == 403 and "key" in body, f"wrong key: {code} {body!r}")
    code, body = refusal(srv.port, "/ws?room=car1")
    check(code == 403, f"no key to a keyed room: {code} {body!r}")
    code, body = refusal(srv.port, "/ws?room=car1&key=k-123")
    check(code == 409 and "full" in body, f"a third member: {code} {body!r}")
    for bad in ["", "a%20b", "x" * 65, "%2e%2e%2f", "caf%C3%A9"]:
        code, body = refusal(srv.port, f"/ws?room={bad}")
        check(code == 400 and "room name" in body, f"name {bad!r}: {code} {body!r}")


def test_forgery_and_bad_json(a, b):
    for text, why in [('{"type":"joined","room":"car1"}', "server's own"),
                      ('{"type":"peer-left"}', "server's own"),
                      ("{not json", "JSON object"), ('["offer"]', "JSON object"),
                      ('{"sdp":"x"}', "JSON object")]:
        a.send(text)
        m = a.recv()
        check(m["type"] == "error" and why in m["message"], f"{text!r} refused: {m}")
    check(not readable(b, 0.3), "nothing forged reached the other member")


def test_not_reading(srv, a, b):
    """b stops reading; a floods: a is told its messages are dropped, and b stays connected."""
    big = json.dumps({"type": "blob", "data": "x" * 60000})
    told = False
    for _ in range(600):
        a.send(big)
        if readable(a, 0):
            m = a.recv()
            told = m["type"] == "error" and "not reading" in m["message"]
            if told:
                break
    check(told, "the sender is told the other member is not reading")
    # b drains what was queued for it and is still a member.
    n = 0
    while readable(b, 1.0):
        m = b.recv()
        check(m["type"] == "blob", f"b gets only what a sent: {m.get('type')}")
        n += 1
        if n > 2000:
            break
    check(n > 0, "b got the messages queued before the drops")
    b.send('{"type":"still-here"}')
    m = a.recv()
    while m.get("type") == "error":  # more drop notices may be queued for a
        m = a.recv()
    check(m == {"type": "still-here"}, f"b's connection survived the flood: {m}")


def test_leave(srv, a, b):
    b.close()
    m = a.recv()
    check(m == {"type": "peer-left"}, f"the remaining member hears the other leave: {m}")
    rooms = srv.status()["limits"]["rooms"]
    check(rooms["now"] == 1 and rooms["members"] == 1, f"status counts: {rooms}")
    text = srv.request("GET", "/api/status")[2].decode()
    check("car1" not in text and "k-123" not in text, "the status never names a room or key")
    a.close()
    deadline = time.monotonic() + 5
    while srv.status()["limits"]["rooms"]["now"] and time.monotonic() < deadline:
        time.sleep(0.05)
    check(srv.status()["limits"]["rooms"]["now"] == 0, "an empty room goes")
    # The name is free again: a new first member sets a new key.
    c = WebSocket(srv.port, "/ws?room=car1&key=another")
    check(c.status == 101 and c.recv()["members"] == 1, "a freed room name takes a new key")
    c.close()


def test_max_rooms(srv):
    members = []
    for i in range(4):  # --max-rooms 4, and no other room is left by now
        ws = WebSocket(srv.port, f"/ws?room=open{i}")
        check(ws.status == 101 and ws.recv()["type"] == "joined", f"room open{i}")
        members.append(ws)
    code, body = refusal(srv.port, "/ws?room=open9")
    check(code == 503 and "most rooms" in body, f"a fifth room: {code} {body!r}")
    # A room without a key admits anyone until it is full.
    ws = WebSocket(srv.port, "/ws?room=open0")
    check(ws.status == 101 and ws.recv()["members"] == 2, "an open room admits a second")
    ws.close()
    for m in members:
        m.close()


def test_page_ice_servers(srv):
    """The publish page's iceServers (GET /api/ice-servers): the rooms' STUN and TURN servers,
    with credentials minted for one page load."""
    code, headers, body = srv.request("GET", "/api/ice-servers")
    check(code == 200 and headers.get("content-type") == "application/json",
          f"/api/ice-servers: {code} {headers}")
    check(headers.get("cache-control") == "no-store", "fresh credentials are never cached")
    ice = json.loads(body)["iceServers"]
    stun = [s for s in ice if "username" not in s]
    check(len(stun) == 1 and stun[0]["urls"] == ["stun:203.0.113.1:3478"], f"STUN: {ice}")
    expect_turn_credentials(ice, "page")


def test_tokens(binary, workdir):
    with Server(binary, os.path.join(workdir, "tokens"), "--token", "tok-1") as srv:
        code, body = refusal(srv.port, "/ws?room=car1")
        check(code == 401, f"rooms need the bearer token where tokens are set: {code} {body!r}")
        code, _, body = srv.request("GET", "/api/ice-servers")
        check(code == 401 and b"token is needed" in body,
              f"TURN credentials need the token too: {code} {body!r}")
        code, _, body = srv.request("GET", "/api/ice-servers?token=wrong")
        check(code == 401 and b"not valid" in body, f"a wrong token: {code} {body!r}")
        for path, headers in (("/api/ice-servers?token=tok-1", {}),
                              ("/api/ice-servers", {"Authorization": "Bearer tok-1"})):
            code, _, body = srv.request("GET", path, headers=headers)
            check(code == 200 and json.loads(body)["iceServers"] == [],
                  f"with the token, and no ICE servers set: {code} {body!r}")
        ws = WebSocket(srv.port, "/ws?room=car1&token=tok-1")
        check(ws.status == 101 and ws.recv()["type"] == "joined", "with the token: joined")
        ws.close()
        check(srv.stop() == 0, "SIGTERM: exit 0")


def main():
    binary = sys.argv[1]
    workdir = tempfile.mkdtemp(prefix="boltrtc-rooms-test-")
    try:
        os.makedirs(os.path.join(workdir, "main"))
        os.makedirs(os.path.join(workdir, "tokens"))
        with Server(binary, os.path.join(workdir, "main"), "--max-rooms", "4",
                    "--ice-server", "stun:203.0.113.1:3478",
                    "--ice-server", "turn:203.0.113.1:3478?transport=udp",
                    "--turn-secret", SECRET, "--turn-ttl", str(TTL)) as srv:
            a, b, _ = test_meet_and_relay(srv)
            test_refusals(srv)
            test_forgery_and_bad_json(a, b)
            test_not_reading(srv, a, b)
            test_leave(srv, a, b)
            test_max_rooms(srv)
            test_page_ice_servers(srv)
            code = srv.stop()
            check(code == 0, f"SIGTERM: exit {code}")
        test_tokens(binary, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"rooms_test: {http_test.PASSED} checks passed")


if __name__ == "__main__":
    main()
