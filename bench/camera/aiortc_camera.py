#!/usr/bin/python3
"""The remote camera's device side on aiortc 1.4, for bench_camera.py to measure beside
`boltrtc camera`: the same signaling (JSON messages, one a line: our offer on stdout; the
page's answer and candidates on stdin), the same data channel "control" (unordered,
maxRetransmits 0) with the same acks (apps/camera_control.h), and the same test pattern's VP8
frames, made live by testpattern_frames and sent as they are (aiortc packetizes a Packet
without encoding it).

  aiortc_camera.py --frames 'build/bench/camera/testpattern_frames --size 640x480'
"""
import argparse
import asyncio
import fractions
import json
import shlex
import struct
import sys
import time


def ack(cmd):
    """The ack boltrtc camera sends (apps/camera_control.c)."""
    return json.dumps({"type": "ack", "seq": cmd["seq"], "t": cmd["t"],
                       "rx": time.time() * 1000.0, "stale": False}, separators=(",", ":"))


async def main(a):
    import aioice.ice
    from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
    from aiortc.sdp import candidate_from_sdp
    from av.packet import Packet

    # aioice leaves loopback out of its host candidates; the namespace has nothing else.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

    class FrameTrack(MediaStreamTrack):
        """testpattern_frames' output, frame by frame, started when the sender first asks
        (after DTLS), so that its first frame is the keyframe the viewer starts on."""
        kind = "video"

        def __init__(self):
            super().__init__()
            self.proc = None

        async def recv(self):
            if self.proc is None:
                self.proc = await asyncio.create_subprocess_exec(
                    *shlex.split(a.frames), stdout=asyncio.subprocess.PIPE)
            n, _key, ts = struct.unpack(">IBQ", await self.proc.stdout.readexactly(13))
            packet = Packet(await self.proc.stdout.readexactly(n))
            packet.pts = ts
            packet.time_base = fractions.Fraction(1, 90000)
            return packet

        def stop(self):
            super().stop()
            if self.proc and self.proc.returncode is None:
                self.proc.kill()

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def say(msg):
        sys.stdout.write(json.dumps(msg) + "\n")
        sys.stdout.flush()

    pc = RTCPeerConnection()
    track = FrameTrack()
    pc.addTrack(track)
    channel = pc.createDataChannel("control", ordered=False, maxRetransmits=0)

    @channel.on("message")
    def on_message(message):
        try:
            cmd = json.loads(message)
            channel.send(ack(cmd))
            print(f"aiortc_camera: drive seq {cmd['seq']} steer {cmd['steer']:+.2f} "
                  f"throttle {cmd['throttle']:+.2f}", file=sys.stderr, flush=True)
        except (ValueError, KeyError, TypeError):
            pass

    await pc.setLocalDescription(await pc.createOffer())
    video_mid = pc.getTransceivers()[0].mid
    say({"type": "offer", "sdp": pc.localDescription.sdp, "source": "aiortc, test pattern"})
    while True:
        line = await reader.readline()
        if not line:
            break
        msg = json.loads(line)
        if msg.get("type") == "answer":
            await pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type="answer"))
        elif msg.get("type") == "candidate" and msg.get("candidate"):
            cand = candidate_from_sdp(msg["candidate"].split(":", 1)[1])
            cand.sdpMid = msg.get("mid") or video_mid
            await pc.addIceCandidate(cand)
        elif msg.get("type") == "bye":
            break
    track.stop()
    await pc.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frames", required=True, help="the testpattern_frames command line")
    asyncio.run(main(ap.parse_args()))
