#!/usr/bin/env python3
"""The remote camera across real NATs (nat_lab.py): `boltrtc serve` with rooms and its own
STUN/TURN server on the public side, `boltrtc camera --signal` as the device, and headless
Chromium running serve's viewer page (/camera.html?room=NAME) as the viewer. Both are
members of one room: the offer, the answer and both sides' trickled candidates go through
it, and both take the room's STUN and TURN servers with minted credentials.

For each case of the matrix (the device with no NAT, behind an endpoint-independent NAT or a
symmetric one; the viewer likewise):
  - the selected pair is what the NATs allow: direct (each side names the other's public
    address: srflx to srflx through two endpoint-independent NATs, host where a side has no
    NAT) or through the relay when a symmetric NAT stands in the way, judged on both sides
    (Chromium's getStats, the device's log);
  - Chromium decodes the video: framesDecoded grows, and a shown frame matches the still
    picture the device sends by PSNR while the picture shifted by 4 pixels scores lower;
  - every control command the page sends is acknowledged by the device and logged by it.
One Chromium serves every case: it stays in the viewer's namespace, whose NAT changes kind
between cases (NatLab.set_nat_kind). It prints the matrix with the times to connected.
  test_nat_camera.py BOLTRTC [--cases d-v,...]   (d, v: none, eim, sym)
Exits 77 (skipped, with the reason) where namespaces cannot be made."""
import contextlib
import json
import os
import re
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import time

import numpy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import nat_lab  # noqa: E402
from e2e import encode_source, psnr_rgb, rgb_frames, stop_process  # noqa: E402

SERVER = nat_lab.SERVER_ADDRS[0]
HTTP_PORT = 8080
SIZE = (320, 240)
MIN_PSNR = 30.0
MIN_MARGIN = 3.0
KINDS = {"none": "none", "eim": "eim", "sym": "symmetric"}
# (device, viewer): what must carry the media. A symmetric NAT maps each destination to a
# new port, so its server-reflexive address is no use to a peer that is itself behind a NAT
# filtering by address and port; without a NAT on the other side, the checks it sends open
# the way (a peer-reflexive pair).
ALL_CASES = ["none-none", "none-eim", "none-sym", "eim-none", "eim-eim", "eim-sym",
             "sym-none", "sym-eim", "sym-sym"]
RELAYED = {"eim-sym", "sym-eim", "sym-sym"}

# The device's three hosts (dpub on the public side, deim and dsym behind their NATs) and the
# viewer behind nat3, whose kind each case sets (set_viewer_nat).
LAB_NATS = [("eim", ["deim"]), ("symmetric", ["dsym"]), ("eim", ["viewer"])]
# The device's log line for the pair it nominated: ms, the remote address, the rest.
DEVICE_CONNECTED = re.compile(r"camera: ice-connected \(([\d.]+) ms\): nominated ([\d.]+):\d+[^\n]*")

check = nat_lab.Checks("test_nat_camera")


def still_picture(workdir):
    source = os.path.join(workdir, "source.y4m")
    shifted = os.path.join(workdir, "shifted.y4m")
    subprocess.run([sys.executable, os.path.join(HERE, "..", "e2e", "still_picture.py"),
                    "--out", source, "--shifted-out", shifted, "--shift", "4",
                    "--width", str(SIZE[0]), "--height", str(SIZE[1])], check=True, timeout=60)
    return source, shifted, encode_source(source, "vp8", workdir)


class Driver:
    """nat_camera.mjs: one Chromium in the viewer's namespace, a case per JSON line."""

    def __init__(self, lab, host):
        node = shutil.which("node")
        self.proc = lab.popen(host, [node, os.path.join(HERE, "nat_camera.mjs"), "--reach", SERVER],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE if not os.environ.get("NAT_DEBUG") else None,
                              text=True, bufsize=1)
        first = self.read(60)
        if not first.get("ready"):
            raise RuntimeError(f"Chromium did not start: {first}")

    def read(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.1, deadline - time.monotonic()))
            if not ready:
                continue
            line = self.proc.stdout.readline()
            if not line:
                err = self.proc.stderr.read()[-2000:] if self.proc.stderr else ""
                raise RuntimeError(f"the Chromium driver ended: {err}")
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError(f"the Chromium driver said nothing for {timeout} s")

    def run(self, case, timeout):
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        return self.read(timeout + 40)

    def quit(self):
        try:
            self.proc.stdin.write('{"quit": true}\n')
            self.proc.stdin.flush()
            self.proc.wait(timeout=20)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=5)


def start_serve(lab, boltrtc, workdir):
    log = open(os.path.join(workdir, "serve.log"), "w")
    serve = lab.popen("pub", [boltrtc, "serve", "--http", f"{SERVER}:{HTTP_PORT}",
                              "--udp", f"{SERVER}:0", "--output", os.path.join(workdir, "out"),
                              "--turn-listen", f"{SERVER}:3478",
                              "--turn-relay-ports", "50000-50999",
                              "--turn-allow-peers", f"{nat_lab.PUBLIC_NET}.0/24",
                              "--turn-allow-peers", "100.64.0.0/10",
                              "--ice-server", f"stun:{SERVER}:3478",
                              "--turn-secret", secrets.token_hex(16)],
                      stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, NO_COLOR="1"))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if serve.poll() is not None:
            break
        with open(log.name) as f:
            if "http://" in f.read():
                return serve, log.name
        time.sleep(0.1)
    with open(log.name) as f:
        raise RuntimeError(f"serve did not start: {f.read()[-2000:]}")


@contextlib.contextmanager
def camera_lab():
    """The matrix's lab, also test_nat_camera_peer.py's."""
    with nat_lab.NatLab(LAB_NATS, hosts_public=["dpub"]) as lab:
        lab.route_lan("nat3")  # the viewer's LAN is public while its NAT is "none"
        yield lab


def set_viewer_nat(lab, case):
    lab.set_nat_kind("nat3", KINDS[case.split("-")[1]])


def device_drives(device_log):
    """The seqs of the commands the device took (its motor's log lines)."""
    return {int(s) for s in re.findall(r"camera: drive seq (\d+) ", device_log)}


def device_host(case):
    return {"none": "dpub", "eim": "deim", "sym": "dsym"}[case.split("-")[0]]


def start_camera(lab, boltrtc, case, ivf, workdir):
    host = device_host(case)
    path = os.path.join(workdir, f"camera-{case}.log")
    log = open(path, "w")
    cam = lab.popen(host, [boltrtc, "camera", "--signal",
                           f"ws://{SERVER}:{HTTP_PORT}/ws?room=car-{case}",
                           "--source", ivf, "--udp", f"{lab.addrs[host]}:0"],
                    stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, NO_COLOR="1"))
    return cam, path


def public_addr(lab, host):
    """What the far side sees of host: its NAT's WAN address, or its own."""
    nat, kind = lab.nat_of.get(host, (None, "none"))  # public hosts have none
    return lab.wan_addr[nat] if kind != "none" else lab.addrs[host]


def judge(lab, case, result, device_log, source, shifted, workdir):
    dev, view = case.split("-")
    relayed = case in RELAYED
    ok = check(result.get("ok"), f"{case}: the viewer connected, decoded and hung up "
                                 f"({result.get('error', 'ok')})")
    if not ok:
        print("\n".join(result.get("logs", [])[-20:]))
        print(device_log[-3000:])
        return None
    pair = result.get("pair") or {}
    local, remote = pair.get("local") or {}, pair.get("remote") or {}
    types = f"{local.get('type')}<->{remote.get('type')}"
    m = DEVICE_CONNECTED.search(device_log)
    dev_detail = m.group(0) if m else "no ICE connected line"
    through_relay = "through our TURN relay" in dev_detail or \
        f"nominated {SERVER}:" in dev_detail or "relay" in (local.get("type"), remote.get("type"))
    if relayed:
        check(through_relay and "relay" in (local.get("type"), remote.get("type")),
              f"{case}: through the relay, as a symmetric NAT forces: Chromium {types}; "
              f"device {dev_detail}")
    else:
        viewer_pub = public_addr(lab, "viewer")
        device_pub = public_addr(lab, device_host(case))
        # Chromium does not show a peer-reflexive candidate's address (webrtc-stats 7.12):
        # then the device's side says where the media goes.
        seen = remote.get("address") if remote.get("type") != "prflx" else device_pub
        check(not through_relay and seen == device_pub and
              m is not None and m.group(2) == viewer_pub,
              f"{case}: direct, each side names the other's public address ({device_pub}, "
              f"{viewer_pub}): Chromium {types} to {remote.get('address')}; device {dev_detail}")
        if dev == "eim" and view == "eim":
            check(remote.get("type") in ("srflx", "prflx") and local.get("type") in ("host", "srflx", "prflx"),
                  f"{case}: server-reflexive to server-reflexive: Chromium's pair {types}")
    frames = result.get("frames", [0, 0])
    check(frames[1] > frames[0] > 0, f"{case}: Chromium decodes: framesDecoded {frames}")
    check((result.get("width"), result.get("height")) == SIZE,
          f"{case}: shown at {result.get('width')}x{result.get('height')}")
    with open(os.path.join(workdir, "shown.rgb"), "rb") as f:
        got = numpy.frombuffer(f.read(), dtype=numpy.uint8).reshape(SIZE[1], SIZE[0], 3)
    good, bad = psnr_rgb(got, source), psnr_rgb(got, shifted)
    check(good >= MIN_PSNR and good - bad >= MIN_MARGIN,
          f"{case}: the shown frame is the source: PSNR {good:.1f} dB, shifted {bad:.1f} dB")
    sent, acks = result.get("sent", []), result.get("acks", [])
    logged = device_drives(device_log)
    check(len(sent) == 6 and sorted(a["seq"] for a in acks) == [c["seq"] for c in sent] and
          all(c["seq"] in logged for c in sent),
          f"{case}: {len(sent)} commands sent, {len(acks)} acked by the device, "
          f"{len([c for c in sent if c['seq'] in logged])} in its log")
    return types, result.get("connectedMs"), m.group(1) if m else "-", through_relay


def main():
    boltrtc = os.path.abspath(sys.argv[1])
    cases = ALL_CASES
    if "--cases" in sys.argv:
        cases = sys.argv[sys.argv.index("--cases") + 1].split(",")
    if nat_lab.skip_reason("test_nat_camera"):
        return nat_lab.SKIP
    if not shutil.which("node") or not os.path.exists("/usr/bin/chromium"):
        print("test_nat_camera: skipped: needs node and Debian's chromium")
        return nat_lab.SKIP
    workdir = tempfile.mkdtemp(prefix="boltrtc-nat-camera-")
    serve = driver = None
    matrix = []
    try:
        still, still_shifted, ivf = still_picture(workdir)
        source = rgb_frames([still], *SIZE)[0]
        shifted = rgb_frames([still_shifted], *SIZE)[0]
        with camera_lab() as lab:
            serve, serve_log = start_serve(lab, boltrtc, workdir)
            driver = Driver(lab, "viewer")
            for case in cases:
                set_viewer_nat(lab, case)
                cam, cam_log = start_camera(lab, boltrtc, case, ivf, workdir)
                try:
                    result = driver.run({"url": f"http://{SERVER}:{HTTP_PORT}/camera.html?"
                                                f"room=car-{case}&autostart=1",
                                         "frameOut": os.path.join(workdir, "shown.rgb"),
                                         "timeoutMs": 30000}, 30)
                    time.sleep(0.3)  # the device logs the last acks and the stop
                finally:
                    stop_process(cam, "boltrtc camera")
                with open(cam_log) as f:
                    device_log = f.read()
                row = judge(lab, case, result, device_log, source, shifted, workdir)
                matrix.append((case, row))
            driver.quit()
            stop_process(serve, "boltrtc serve")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\nNAT camera matrix (device-viewer; Chromium's selected pair local<->remote; page load "
          "to connected; the device's offer to ICE connected):")
    for case, row in matrix:
        if row is None:
            print(f"  {case:10} FAILED")
            continue
        types, page_ms, dev_ms, relay = row
        print(f"  {case:10} {'relayed' if relay else 'direct':8} {types:14} page {page_ms} ms, "
              f"device {dev_ms} ms")
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
