#!/usr/bin/python3
"""boltrtc offers, aiortc (or Chromium) answers: examples/offer_datachannel (the device's
side, on the public API and the loop) writes its offer with a data channel "echo" on stdout;
aiortc 1.4 answers it, echoes every message on that channel as it came (text as text, binary
as binary), and the program checks each echo byte for byte. With --answerer chromium,
offer_chromium.mjs does the same with Debian's Chromium; with --answerer serve, `boltrtc
serve --ice lite` answers over WHIP (ICE-lite: our controlling agent's checks are the only
ones, so their responses must reach us through the loop) and echoes the channel labelled "echo".
Runs in a fresh network namespace
with only lo (e2e.py's), so nothing leaves loopback; every process is stopped by its pid.

    offer_aiortc.py --example build/examples/example_offer_datachannel [--messages N]
                    [--answerer aiortc|chromium|serve --boltrtc PATH]
"""
import argparse
import asyncio
import os
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from e2e import enter_loopback_namespace  # noqa: E402


async def answer_and_echo(proc, timeout):
    import aioice.ice
    from aiortc import RTCPeerConnection, RTCSessionDescription

    # aioice leaves loopback out of its host candidates; the namespace has nothing else.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    loop = asyncio.get_running_loop()
    lines = []
    while True:
        line = await loop.run_in_executor(None, proc.stdout.readline)
        if not line or line.strip() == ".":
            break
        lines.append(line)
    offer = "".join(lines)
    print(f"[offer_aiortc] offer of {len(offer)} bytes from boltrtc", flush=True)
    pc = RTCPeerConnection()
    echoed = {"n": 0}

    @pc.on("datachannel")
    def on_datachannel(channel):
        print(f"[offer_aiortc] channel {channel.label} opened by boltrtc "
              f"(id {channel.id}, ordered {channel.ordered})", flush=True)

        @channel.on("message")
        def on_message(message):
            echoed["n"] += 1
            channel.send(message)

    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    proc.stdin.write(pc.localDescription.sdp + ".\n")
    proc.stdin.flush()
    rc = await loop.run_in_executor(None, lambda: proc.wait(timeout=timeout))
    print(f"[offer_aiortc] aiortc echoed {echoed['n']} messages; "
          f"ICE {pc.iceConnectionState}, program exit {rc}", flush=True)
    await pc.close()
    return rc, echoed["n"]


def read_offer(proc):
    lines = []
    while True:
        line = proc.stdout.readline()
        if not line or line.strip() == ".":
            return "".join(lines)
        lines.append(line)


def run_serve(a):
    """boltrtc serve answers over WHIP (RFC 9725: POST the offer, the answer comes back) and
    echoes the channel; returns the program's exit code."""
    serve = subprocess.Popen([a.boltrtc, "serve", "--ice", a.serve_ice, "--http", "127.0.0.1:18091",
                              "--udp", "127.0.0.1:0",
                              "--output", os.path.join("/tmp", f"offer-serve-{os.getpid()}")])
    proc = None
    try:
        for _ in range(100):  # until it listens
            try:
                urllib.request.urlopen("http://127.0.0.1:18091/api/status", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        proc = subprocess.Popen([a.example, "127.0.0.1:0", str(a.messages), str(a.max_size)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        offer = read_offer(proc)
        req = urllib.request.Request("http://127.0.0.1:18091/whip", data=offer.encode(),
                                     headers={"Content-Type": "application/sdp"})
        with urllib.request.urlopen(req, timeout=10) as r:
            answer = r.read().decode()
        print(f"[offer_aiortc] boltrtc serve answered over WHIP ({len(answer)} bytes)", flush=True)
        proc.stdin.write(answer + ".\n")
        proc.stdin.flush()
        return proc.wait(timeout=a.timeout)
    finally:
        for p in (proc, serve):
            if p and p.poll() is None:
                p.kill()
                p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--example", required=True)
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--max-size", type=int, default=65536,
                    help="aiortc 1.4 says a=max-message-size:65536")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--answerer", choices=["aiortc", "chromium", "serve"], default="aiortc")
    ap.add_argument("--boltrtc", help="serve: the boltrtc program")
    ap.add_argument("--serve-ice", choices=["lite", "full"], default="lite",
                    help="serve: its ICE agent (lite never checks us: the loop must route "
                         "the responses to our checks)")
    a = ap.parse_args()
    enter_loopback_namespace()
    if a.answerer == "serve":
        rc = run_serve(a)
        if rc != 0:
            sys.exit(f"[offer_aiortc] FAIL: program exit {rc}")
        print("[offer_aiortc] PASS", flush=True)
        return
    if a.answerer == "chromium":  # the node driver runs the program itself
        cmd = ["node", os.path.join(HERE, "offer_chromium.mjs"), a.example, str(a.messages),
               str(a.max_size), str(a.timeout)]
        rc = subprocess.run(cmd, timeout=a.timeout + 60).returncode
        if rc != 0:
            sys.exit(f"[offer_aiortc] FAIL: Chromium's run exited {rc}")
        print("[offer_aiortc] PASS", flush=True)
        return
    proc = subprocess.Popen([a.example, "127.0.0.1:0", str(a.messages), str(a.max_size)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        rc, echoed = asyncio.run(answer_and_echo(proc, a.timeout))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if rc != 0 or echoed < a.messages:
        sys.exit(f"[offer_aiortc] FAIL: program exit {rc}, {echoed} of {a.messages} echoed")
    print("[offer_aiortc] PASS", flush=True)


if __name__ == "__main__":
    main()
