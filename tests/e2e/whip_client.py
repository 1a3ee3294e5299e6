#!/usr/bin/env python3
"""A WHIP (RFC 9725) publisher built on aiortc: sends the first frame of a .y4m as a still
video with a keyframe every --keyframe-interval seconds, waits until the server reports saved
keyframes, then ends the session with DELETE. Exit 0 on success, which includes the server's
REMB having raised the encoder's target above aiortc's start of 500 kbps. With
--datachannel-echo N it also opens two data channels labelled "echo" (ordered and unordered)
and sends N messages, text and binary up to 64 KiB (the largest aiortc says it takes), each
of which must come back byte for byte before the DELETE. Runs in the e2e network namespace (only lo)."""
import argparse
import asyncio
import json
import sys
import time
from fractions import Fraction

import aioice.ice
from whip_http import http, resource_url

import numpy
from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from av import VideoFrame
from aiortc.codecs import vpx

# aioice leaves 127.0.0.1 and ::1 out of its host candidates; in a namespace that has only
# loopback, that would leave none. This client only ever talks to loopback: --host-address
# (127.0.0.1 or ::1) is its one host candidate.
def use_host_address(address):
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [address]


AIORTC_START_BITRATE = 500000


def keyframe_every(frames):
    """aiortc's VP8 encoder makes a keyframe only at the start and on PLI; make it also send
    one every `frames` frames, as a publisher with a keyframe interval does. Its first
    keyframe is encoded before any RTCP can arrive, so it is always at the 500 kbps start;
    later ones show what the server's REMB made of the target bitrate."""
    encode = vpx.Vp8Encoder.encode

    def encode_with_interval(self, frame, force_keyframe=False):
        n = getattr(self, "_frames_encoded", 0)
        self._frames_encoded = n + 1
        return encode(self, frame, force_keyframe or (n > 0 and n % frames == 0))

    vpx.Vp8Encoder.encode = encode_with_interval


def encoder_target_bitrate(pc):
    """The VP8 encoder's target (aiortc sets it from REMB), or None if it cannot be read."""
    for t in pc.getTransceivers():
        encoder = getattr(t.sender, "_RTCRtpSender__encoder", None)
        if encoder is not None and hasattr(encoder, "target_bitrate"):
            return encoder.target_bitrate
    return None


def read_y4m_frame(path):
    with open(path, "rb") as f:
        header = f.readline().split()
        w = int(next(t[1:] for t in header if t.startswith(b"W")))
        h = int(next(t[1:] for t in header if t.startswith(b"H")))
        assert f.readline().startswith(b"FRAME")
        data = f.read(w * h * 3 // 2)
    return w, h, numpy.frombuffer(data, dtype=numpy.uint8).reshape(h * 3 // 2, w)


class StillTrack(VideoStreamTrack):
    def __init__(self, planes):
        super().__init__()
        self.planes = planes

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame.from_ndarray(self.planes, format="yuv420p")
        frame.pts, frame.time_base = pts, time_base
        return frame



# aiortc 1.4 says a=max-message-size:65536, so the server may send nothing larger back.
MAX_MESSAGE = 64 * 1024
IN_FLIGHT = 512 * 1024


def echo_message(i, rng):
    """Message i of the echo test: its index in the first 8 bytes, text or binary."""
    if i == 0:
        size = MAX_MESSAGE
    elif i % 10 == 0:
        size = rng.randrange(8, MAX_MESSAGE + 1)
    else:
        size = rng.randrange(8, 1400)
    head = b"%08d" % i
    if i % 2:
        return head + rng.randbytes(size - 8)
    return (head + bytes(rng.randrange(32, 127) for _ in range(size - 8))).decode("ascii")


async def datachannel_echo(channels, n, timeout):
    """Sends n messages over the channels, each must come back: in order on the ordered one,
    by index on the unordered one. Paced by what came back (at most 512 KiB in flight)."""
    import random
    rng = random.Random(9)
    deadline = time.monotonic() + timeout
    for ch in channels:
        while ch.readyState != "open" and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if ch.readyState != "open":
            raise SystemExit(f"data channel {ch.label} not open: {ch.readyState}")
    ordered, unordered = [], {}
    state = {"back": 0, "in_flight": 0, "wrong": []}

    def on_message(c, data):
        want = ordered.pop(0) if c == 0 and ordered else None
        if c == 1:
            want = unordered.pop(int(data[:8]), None)
        if want is None or want != data:
            state["wrong"].append((c, len(data)))
            return
        state["back"] += 1
        state["in_flight"] -= len(want)

    for c, ch in enumerate(channels):
        ch.on("message", lambda data, c=c: on_message(c, data))
    started = time.monotonic()
    total = 0
    for i in range(n):
        m = echo_message(i, rng)
        while state["in_flight"] and state["in_flight"] + len(m) > IN_FLIGHT:
            if time.monotonic() > deadline:
                raise SystemExit(f"echo: timed out with {state['back']} of {i} back")
            await asyncio.sleep(0.005)
        c = 0 if i % 4 < 2 else 1
        if c == 0:
            ordered.append(m)
        else:
            unordered[i] = m
        state["in_flight"] += len(m)
        total += len(m)
        channels[c].send(m)
    while state["back"] < n and not state["wrong"] and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    print(f"echo: {state['back']}/{n} messages back, {total} bytes, "
          f"{time.monotonic() - started:.1f} s, wrong {state['wrong'][:5]}")
    if state["back"] != n or state["wrong"]:
        # Whose side stalled: what never came back, and aiortc's own SCTP state (its private
        # fields, read only for this report; absent ones print as None).
        missing_ordered = [int(m[:8]) for m in ordered]
        print(f"echo: missing on the ordered channel {len(ordered)} (first indices "
              f"{missing_ordered[:8]}), on the unordered {len(unordered)} "
              f"(indices {sorted(unordered)[:8]})")
        sctp = channels[0].transport
        fields = ("_association_state", "_outbound_queue", "_sent_queue", "_flight_size",
                  "_cwnd", "_rto", "_t3_handle", "_peer_rwnd", "_last_sacked_tsn",
                  "_local_tsn", "_last_received_tsn", "_sack_needed")
        report = {}
        for f in fields:
            v = getattr(sctp, f, None)
            report[f] = len(v) if isinstance(v, (list, dict)) or hasattr(v, "__len__") and \
                not isinstance(v, (str, bytes)) else v
        print(f"echo: aiortc's SCTP then: {report}")
        raise SystemExit("echo: messages missing or wrong")
    for ch in channels:
        ch.close()
    await asyncio.sleep(0.5)


async def publish(a):
    w, h, planes = read_y4m_frame(a.y4m)
    pc = RTCPeerConnection()
    pc.addTransceiver(StillTrack(planes), direction="sendonly")
    channels = []
    if a.datachannel_echo:
        channels = [pc.createDataChannel("echo", ordered=True),
                    pc.createDataChannel("echo", ordered=False)]
    await pc.setLocalDescription(await pc.createOffer())  # gathers candidates first
    code, headers, body = http("POST", a.url, pc.localDescription.sdp.encode(), "application/sdp")
    if code != 201:
        raise SystemExit(f"POST /whip: {code} {body[:300]!r}")
    location = headers.get("Location") or headers.get("location")
    if not location:
        raise SystemExit("POST /whip: 201 without Location")
    print(f"201 Created, Location {location}, answer of {len(body)} bytes")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body.decode(), type="answer"))
    session = headers.get("Boltrtc-Session") or headers.get("boltrtc-session")
    if not session:
        raise SystemExit("POST /whip: 201 without Boltrtc-Session")
    deadline = time.monotonic() + a.timeout
    saved = []
    while time.monotonic() < deadline:
        status = json.loads(http("GET", a.status)[2])
        saved = [k for k in status["keyframes"] if k["session"] == session]
        if len(saved) >= a.keyframes:
            break
        await asyncio.sleep(0.2)
    print(f"connection state {pc.connectionState}; keyframes saved for {session}: {saved}")
    target = encoder_target_bitrate(pc)
    print(f"encoder target bitrate {target} bps (aiortc starts at {AIORTC_START_BITRATE})")
    if channels:
        await datachannel_echo(channels, a.datachannel_echo, a.timeout)
    code, _, body = http("DELETE", resource_url(a.url, location))
    print(f"DELETE {location}: {code}")
    # The server's close_notify, sealed by its own DTLS record layer after OpenSSL's state was
    # released, must be taken as authentic by aiortc's OpenSSL and end the DTLS transport.
    dtls = pc.getTransceivers()[0].sender.transport
    for _ in range(50):
        if dtls.state != "connected":
            break
        await asyncio.sleep(0.1)
    closed_by_server = dtls.state
    print(f"DTLS transport after DELETE: {closed_by_server}")
    await pc.close()
    if closed_by_server != "closed":
        raise SystemExit("the server's close_notify did not close aiortc's DTLS transport")
    if len(saved) < a.keyframes:
        raise SystemExit("no keyframe saved in time")
    if code != 200:
        raise SystemExit(f"DELETE answered {code}")
    if target is not None and target <= AIORTC_START_BITRATE:
        raise SystemExit("the encoder target never rose: no REMB from the server?")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True, help="the WHIP endpoint, http://HOST:PORT/whip")
    ap.add_argument("--status", required=True, help="the server's /api/status URL")
    ap.add_argument("--y4m", required=True)
    ap.add_argument("--keyframes", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--keyframe-interval", type=float, default=1.0, help="seconds (30 fps)")
    ap.add_argument("--host-address", default="127.0.0.1", choices=["127.0.0.1", "::1"])
    ap.add_argument("--datachannel-echo", type=int, default=0, metavar="N",
                    help="also echo N messages over data channels labelled \"echo\"")
    a = ap.parse_args()
    use_host_address(a.host_address)
    keyframe_every(max(1, round(a.keyframe_interval * 30)))
    asyncio.run(asyncio.wait_for(publish(a), a.timeout * (2 if a.datachannel_echo else 1) + 30))


if __name__ == "__main__":
    sys.exit(main())
