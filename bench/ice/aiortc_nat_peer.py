#!/usr/bin/python3
"""aiortc 1.4 as a peer of the NAT lab's ICE test (tests/nat/test_nat_ice.py --with-aiortc),
speaking nat_peer's line protocol on stdin and stdout, so that aiortc to aiortc runs through
the same NATs and the same `boltrtc turn` as boltrtc to boltrtc:
  offer SDP / answer SDP   (CRLF as '|'); aiortc does not trickle: its candidates, gathered
                           in full before the offer, are in it ("cand" alone follows)
  connected MS DETAIL      ICE connected (aioice nominated), MS from the start
  open MS, echoed N MS     the data channel opened; the offerer got N messages echoed
Times count from the start (before the offer is made), as nat_peer's count from its offer,
which it makes at once.
  aiortc_nat_peer.py offer|answer HOST:PORT --ice-server URL... [--messages N]"""
import asyncio
import sys
import time

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

MESSAGE_LEN = 1000


def say(*parts):
    print(" ".join(str(p) for p in parts), flush=True)


async def main():
    role = sys.argv[1]
    args = sys.argv[3:]
    servers, messages = [], 100
    for i, a in enumerate(args):
        if a == "--ice-server":
            url = args[i + 1]
            servers.append(RTCIceServer(urls=url, username="lab", credential="labpass")
                           if url.startswith("turn:") else RTCIceServer(urls=url))
        if a == "--messages":
            messages = int(args[i + 1])
    t0 = time.monotonic()
    ms = lambda: f"{(time.monotonic() - t0) * 1000:.1f}"  # noqa: E731
    pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
    done = asyncio.get_running_loop().create_future()
    state = {"echoed": 0, "sent": 0, "connected": False, "channel": None}

    def detail():
        try:
            conn = pc.sctp.transport.transport.iceGatherer._connection
            pair = conn._nominated.get(1)
            r, l_ = pair.remote_candidate, pair.local_candidate
            return f"nominated {r.host}:{r.port} (aiortc, local {l_.type}, remote {r.type})"
        except Exception as e:  # noqa: BLE001
            return f"(pair unknown: {e})"

    @pc.on("iceconnectionstatechange")
    def _ice():
        if pc.iceConnectionState in ("completed", "connected") and not state["connected"]:
            state["connected"] = True
            say("connected", ms(), detail())
            if role == "offer" and state["echoed"] >= messages and not done.done():
                done.set_result(True)
        if pc.iceConnectionState == "failed":
            say("failed", "ICE failed")
            if not done.done():
                done.set_result(False)

    def send_more(ch):
        while state["sent"] < messages and state["sent"] - state["echoed"] < 16:
            ch.send(bytes([97 + state["sent"] % 26]) * MESSAGE_LEN)
            state["sent"] += 1

    def wire(ch):
        @ch.on("open")
        def _open():
            say("open", ms())
            if role == "offer":
                send_more(ch)

        @ch.on("message")
        def _msg(m):
            if role != "offer":
                ch.send(m)
                return
            state["echoed"] += 1
            if state["echoed"] == messages:
                say("echoed", messages, ms())
                if state["connected"] and not done.done():
                    done.set_result(True)
            send_more(ch)

    if role == "offer":
        ch = pc.createDataChannel("chat")
        wire(ch)
        if ch.readyState == "open":
            say("open", ms())
    else:
        @pc.on("datachannel")
        def _dc(ch):
            wire(ch)
            say("open", ms())

    async def described(kind, desc):
        say(kind, desc.sdp.replace("\r\n", "||").replace("\n", "|"))
        say("cand")

    if role == "offer":
        await pc.setLocalDescription(await pc.createOffer())
        await described("offer", pc.localDescription)

    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def read_lines():
        while True:
            line = await reader.readline()
            if not line:
                if not done.done():
                    done.set_result(True)
                return
            line = line.decode().rstrip("\n")
            kind = line.split(" ", 1)[0]
            if kind in ("offer", "answer"):
                sdp = line[len(kind) + 1:].replace("||", "\r\n").replace("|", "\n")
                await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
                if kind == "offer":
                    await pc.setLocalDescription(await pc.createAnswer())
                    await described("answer", pc.localDescription)

    task = asyncio.ensure_future(read_lines())
    try:
        await asyncio.wait_for(done, 25)
    except asyncio.TimeoutError:
        say("failed", "timed out")
    task.cancel()
    await pc.close()


if __name__ == "__main__":
    asyncio.run(main())
