#!/usr/bin/python3
"""Captures aiortc's answer to an offer (a boltrtc offer fixture):
answer_aiortc.py OFFER.sdp ANSWER.sdp. aioice gathers 127.0.0.1 only."""
import asyncio
import sys

import aioice.ice
import aiortc
from aiortc import RTCPeerConnection, RTCSessionDescription

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


async def main(offer_path, answer_path):
    pc = RTCPeerConnection()
    with open(offer_path) as f:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=f.read(), type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    with open(answer_path, "w", newline="") as f:
        f.write(pc.localDescription.sdp)
    print("aiortc", aiortc.__version__)
    await pc.close()


asyncio.run(main(sys.argv[1], sys.argv[2]))
