#!/usr/bin/env python3
"""A member of a room on `boltrtc serve` on behalf of a peer that signals in lines (lab_peer.h),
so that the peer needs no WebSocket client: it joins ws://HOST:PORT/ws?room=ROOM, starts the
peer with the ICE servers of its `joined` message (the room's STUN and TURN, with the TURN
credentials minted for it), and carries signaling both ways:
    room {"type":"offer","sdp":S}              -> peer "offer S" (CR and LF as '|')
    room {"type":"candidate","candidate":C}    -> peer "cand C" ("cand" alone for C "")
    peer "answer S", "cand C"                  -> room, the same as JSON (docs/camera.md)
Every other line of the peer is printed as it is, and the room's own news as
"room TYPE TEXT" (joined, bye, error, peer-left). It ends when the peer ends, and stops the
peer (by its pid) when the room closes or it is told to stop (SIGTERM).
  room_member.py HOST PORT ROOM -- PEER [ARGS...]   (run in the member's namespace)"""
import json
import os
import select
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "signal"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from e2e import stop_process  # noqa: E402
from http_test import WebSocket  # noqa: E402


def say(line):
    print(line, flush=True)


def ice_server_args(servers):
    """The peer's options for the room's servers. The lab's peers gather over UDP (as
    nat_ice's do): TURN over TCP or TLS URLs are left out."""
    args = []
    for s in servers or []:
        urls = s.get("urls", [])
        urls = [u for u in ([urls] if isinstance(urls, str) else urls)
                if u.startswith(("stun:", "turn:")) and "transport=tcp" not in u]
        if not urls:
            continue
        if s.get("username"):
            args += ["--ice-user", s["username"], "--ice-password", s.get("credential", "")]
        for u in urls:
            args += ["--ice-server", u]
    return args


def to_peer(peer, msg):
    kind = msg.get("type")
    if kind == "offer":
        line = "offer " + msg.get("sdp", "").replace("\r", "|").replace("\n", "|")
    elif kind == "candidate":
        cand = msg.get("candidate") or ""
        line = f"cand {cand}" if cand else "cand"
    else:
        if kind != "step":  # the device's journey steps are the page's, not ours
            say(f"room {kind} {json.dumps(msg)}")
        return
    peer.stdin.write((line + "\n").encode())
    peer.stdin.flush()


def to_room(ws, line):
    """A signaling line of the peer as the room's JSON; False for a report line."""
    kind, _, rest = line.partition(" ")
    if kind == "answer":
        ws.send(json.dumps({"type": "answer", "sdp": rest.replace("||", "\r\n")}))
    elif kind == "cand":
        ws.send(json.dumps({"type": "candidate", "candidate": rest, "mid": ""}))
    else:
        return False
    return True


def main():
    host, port, room = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    peer_cmd = sys.argv[sys.argv.index("--") + 1:]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ws = WebSocket(port, f"/ws?room={room}", host=host)
    if ws.status != 101:
        say(f"room refused {ws.status}")
        return 1
    joined = ws.recv()
    say(f"room {joined.get('type')} {json.dumps(joined)}")
    if joined.get("type") != "joined":
        return 1
    peer = subprocess.Popen(peer_cmd + ice_server_args(joined.get("iceServers")),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    buf = b""
    try:
        while True:
            ready, _, _ = select.select([ws.sock, peer.stdout], [], [])
            if ws.sock in ready:
                try:
                    msg = ws.recv()
                except (ConnectionError, OSError) as e:
                    say(f"room closed {e}")
                    return 1
                try:
                    to_peer(peer, msg)
                except BrokenPipeError:
                    pass
            if peer.stdout in ready:
                chunk = os.read(peer.stdout.fileno(), 1 << 16)  # raw: select sees what is left
                if not chunk:
                    return peer.wait(timeout=10)
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    text = line.decode(errors="replace")
                    if not to_room(ws, text):
                        say(text)
    finally:
        stop_process(peer, "the peer", timeout=5)
        ws.close()


if __name__ == "__main__":
    sys.exit(main())
