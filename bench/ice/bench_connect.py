#!/usr/bin/env python3
"""ICE and DTLS time to connected for publishers to `boltrtc serve`, with its sessions' ICE
lite and full (docs/benchmarks.md, "Publishers' time to connected: lite or full ICE"), beside
each publisher with its own kind, in the same run:

  - Pion 3.1 (bench/ice/pion/.../connect, built here offline): WHIP to serve --ice lite, to
    serve --ice full, and Pion to Pion in one process;
  - aiortc 1.4 (aioice): WHIP to each serve, and aiortc to aiortc in this process;
  - headless Chromium (bench/ice/chromium_connect.mjs): WHIP to each serve, and Chromium to
    Chromium in one page (its rounds run after the others', interleaved among themselves).

Each session: the publisher (the offerer, so the controlling agent) gathers on 127.0.0.1,
hands its offer over, applies the answer; the times are from the moment it applies the
answer to its own "ICE connected" and "connected" (DTLS up), on its clock. The server's own
figures (offer received to its ice-connected and dtls-connected steps) come from its log.
Rounds are interleaved (one session of each combination per round), so that a busy spell of
the machine falls on all of them alike. Runs as root in a network namespace with only lo.

  bench_connect.py BUILD_DIR [--runs 20] [--no-pion] [--no-aiortc] [--no-chromium]
"""
import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "ice"))
import ice_peers  # noqa: E402
import pion_build  # noqa: E402


def build_pion(build, work):
    """The Pion program (pion_build.py)."""
    return pion_build.build_pion("connect", os.path.join(build, "bench", "ice", "pion-connect"),
                                 work)


def pion_session(binary, peer, whip=None):
    argv = [binary, "-n", "1", "-name", peer] + (["-whip", whip] if whip else ["-self"])
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    if r.get("error"):
        raise RuntimeError(r["error"])
    return r["ice_ms"], r["dtls_ms"]


async def aiortc_session(whip=None):
    """One aiortc publisher (its own VP8 track): to the WHIP endpoint, or to a second aiortc
    peer connection in this process."""
    from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
    from whip_http import http, resource_url
    pc = RTCPeerConnection()
    pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
    ice, dtls = asyncio.get_running_loop().create_future(), asyncio.get_running_loop().create_future()

    @pc.on("iceconnectionstatechange")
    def _ice():
        if pc.iceConnectionState in ("connected", "completed") and not ice.done():
            ice.set_result(time.monotonic())

    @pc.on("connectionstatechange")
    def _conn():
        if pc.connectionState == "connected" and not dtls.done():
            dtls.set_result(time.monotonic())

    await pc.setLocalDescription(await pc.createOffer())  # gathers first
    remote = location = None
    if whip:
        code, headers, body = http("POST", whip, pc.localDescription.sdp.encode(), "application/sdp")
        if code != 201:
            raise RuntimeError(f"POST: {code} {body[:200]!r}")
        location = headers.get("Location") or headers.get("location")
        answer = body.decode()
    else:
        remote = RTCPeerConnection()
        await remote.setRemoteDescription(pc.localDescription)
        await remote.setLocalDescription(await remote.createAnswer())
        answer = remote.localDescription.sdp
    t1 = time.monotonic()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    try:
        t_ice = await asyncio.wait_for(ice, 10)
        t_dtls = await asyncio.wait_for(dtls, 10)
    finally:
        if location:
            http("DELETE", resource_url(whip, location))
        await pc.close()
        if remote:
            await remote.close()
    return (t_ice - t1) * 1000, (t_dtls - t1) * 1000


LOG_STEP = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d\d\d) step\s+(\S+) (\S+)")


def server_spans(log_path):
    """Per session of a serve log: offer received to ice-connected and to dtls-connected, ms
    (the log's times are to the millisecond)."""
    steps = {}
    with open(log_path, errors="replace") as f:
        for line in f:
            m = LOG_STEP.match(re.sub(r"\x1b\[[0-9;]*m", "", line))
            if not m:
                continue
            h, mi, s, ms, session, step = m.groups()
            t = ((int(h) * 60 + int(mi)) * 60 + int(s)) * 1000 + int(ms)
            steps.setdefault(session, {}).setdefault(step, t)
    ice, dtls = [], []
    for st in steps.values():
        if "offer-received" in st and "ice-connected" in st and "dtls-connected" in st:
            ice.append(st["ice-connected"] - st["offer-received"])
            dtls.append(st["dtls-connected"] - st["offer-received"])
    return ice, dtls


def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


async def main(a):
    from e2e import Server
    build = os.path.abspath(a.build)
    work = tempfile.mkdtemp(prefix="brtc-bench-connect.")
    servers = {}
    try:
        for mode in ("lite", "full"):
            d = os.path.join(work, mode)
            os.makedirs(d)
            servers[mode] = Server(os.path.join(build, "apps", "boltrtc"), d,
                                   ["--ice", mode, "--loopback-only", "--log-level", "info"])
        combos = []  # (publisher, target, run)
        if not a.no_pion and shutil.which("go"):
            pion = build_pion(build, work)
            for mode in ("lite", "full"):
                combos.append(("Pion", f"boltrtc serve --ice {mode}",
                               lambda m=mode: asyncio.to_thread(pion_session, pion, "pion",
                                                                servers[m].base + "/whip")))
            combos.append(("Pion", "Pion", lambda: asyncio.to_thread(pion_session, pion, "pion")))
        if not a.no_aiortc:
            import aioice.ice
            aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
            for mode in ("lite", "full"):
                combos.append(("aiortc", f"boltrtc serve --ice {mode}",
                               lambda m=mode: aiortc_session(servers[m].base + "/whip")))
            combos.append(("aiortc", "aiortc", lambda: aiortc_session()))
        res = {(p, t): ([], []) for p, t, _ in combos}
        fails = {(p, t): 0 for p, t, _ in combos}
        for _ in range(a.runs):
            for p, t, run in combos:
                try:
                    ice, dtls = await run()
                except Exception as e:  # noqa: BLE001 - counted and reported
                    fails[(p, t)] += 1
                    print(f"{p} -> {t}: {e}", file=sys.stderr)
                    continue
                res[(p, t)][0].append(ice)
                res[(p, t)][1].append(dtls)
                await asyncio.sleep(0.05)
        if not a.no_chromium:
            argv = ["node", os.path.join(HERE, "chromium_connect.mjs"), "--runs", str(a.runs)]
            for mode in ("lite", "full"):
                argv += ["--server", f"boltrtc serve --ice {mode}={servers[mode].base}"]
            out = subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd=ROOT)
            for line in out.stdout.splitlines():
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                key = ("Chromium", r["peer"])
                res.setdefault(key, ([], []))
                fails.setdefault(key, 0)
                if "error" in r:
                    fails[key] += 1
                    print(f"Chromium -> {r['peer']}: {r['error']}", file=sys.stderr)
                    continue
                res[key][0].append(r["ice_ms"])
                res[key][1].append(r["dtls_ms"])
            if out.returncode != 0:
                print(out.stderr[-2000:], file=sys.stderr)
    finally:
        for s in servers.values():
            s.stop()
    print(f"publisher's clock, from applying the answer (median, p10 - p90, ms; {a.runs} rounds)\n")
    print("| publisher -> answerer | ICE connected | p10 - p90 | DTLS connected | p10 - p90 | sessions |")
    print("|---|---:|---:|---:|---:|---:|")
    for (p, t), (ice, dtls) in res.items():
        if not ice:
            print(f"| {p} -> {t} | failed | | | | 0/{a.runs} |")
            continue
        print(f"| {p} -> {t} | {statistics.median(ice):.1f} | {q(ice, .1):.1f} - {q(ice, .9):.1f} "
              f"| {statistics.median(dtls):.1f} | {q(dtls, .1):.1f} - {q(dtls, .9):.1f} "
              f"| {len(ice)}/{a.runs} |")
    print("\nserver's log, from the offer received (median ms, all its sessions)\n")
    print("| serve | sessions | ice-connected | dtls-connected |")
    print("|---|---:|---:|---:|")
    for mode, s in servers.items():
        ice, dtls = server_spans(s.log_path)
        if ice:
            print(f"| --ice {mode} | {len(ice)} | {statistics.median(ice):.0f} "
                  f"| {statistics.median(dtls):.0f} |")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"\nkept {work}")
    return 1 if any(fails.values()) else 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build", help="the CMake build directory (apps/boltrtc)")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--no-pion", action="store_true")
    ap.add_argument("--no-aiortc", action="store_true")
    ap.add_argument("--no-chromium", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the servers' logs")
    args = ap.parse_args()
    ice_peers.in_loopback_namespace(sys.argv)
    sys.exit(asyncio.run(main(args)))
