#!/usr/bin/env python3
"""The remote camera across real NATs with a boltrtc viewer: test_nat_camera.py's lab, serve
(rooms, its own STUN/TURN server) and device (`boltrtc camera --signal`), and as the viewer
nat_viewer, a peer on libboltrtc's public API, joined to the room by room_member.py (which
carries the room's JSON to its signaling lines and back).

The device plays an IVF file (tests/sources/fixtures), whose frames it sends as they are, so
for each case of the matrix (the device with no NAT, behind an endpoint-independent NAT or a
symmetric one; the viewer likewise):
  - the selected pair is what the NATs allow, judged on both sides (the viewer's stats
    report, the device's log): direct, each side naming the other's public address (host to
    host with no NAT, srflx to srflx through two endpoint-independent NATs, a peer-reflexive
    candidate for a symmetric NAT's side facing a public peer), or through the relay where a
    symmetric NAT faces a filtering one, the two sides agreeing on whose relay carries it;
  - the video flows byte for byte: each of 40 frames the viewer assembles has the SHA-256 of
    a frame of the file, the first a keyframe, each next the file's next (looping) or a
    keyframe (where the source jumped to one when asked);
  - every control command the viewer sends is acknowledged with its seq and t, and is in
    the device's log;
  - the viewer ends cleanly, and the device when stopped (exit 0: under ASan, no leak or
    error either).
It prints the matrix.
  test_nat_camera_peer.py NAT_VIEWER BOLTRTC [--cases d-v,...]   (d, v: none, eim, sym)
Exits 77 (skipped, with the reason) where namespaces cannot be made."""
import hashlib
import json
import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nat_lab  # noqa: E402
import test_nat_camera as camera  # noqa: E402
from test_nat_camera import SERVER, HTTP_PORT  # noqa: E402
from e2e import stop_process  # noqa: E402  (test_nat_camera put tests/e2e on the path)

FILE = os.path.join(HERE, "..", "sources", "fixtures", "vp8_320x240_30fps.ivf")
ROOM_MEMBER = os.path.join(HERE, "room_member.py")
FRAMES = 40
COMMANDS = 6
CASE_SECONDS = 20

check = nat_lab.Checks("test_nat_camera_peer")


def ivf_frames(path):
    """[(sha256 hex, keyframe)] of an IVF file's frames (the IVF header, then a 12-byte header
    per frame; a VP8 keyframe has bit 0 of its first byte clear, RFC 6386 9.1)."""
    with open(path, "rb") as f:
        data = f.read()
    at, frames = struct.unpack("<H", data[6:8])[0], []
    while at + 12 <= len(data):
        size = struct.unpack("<I", data[at:at + 4])[0]
        frame = data[at + 12:at + 12 + size]
        frames.append((hashlib.sha256(frame).hexdigest(), not frame[0] & 1))
        at += 12 + size
    return frames


def frames_in_order(got, file_frames):
    """(None, jumps) when every frame is one of the file's, the first a keyframe, each next
    the file's next (looping) or a keyframe; else (what is wrong, jumps)."""
    index = {h: i for i, (h, _) in enumerate(file_frames)}
    prev, jumps = None, 0
    for n, (digest, key) in enumerate(got):
        i = index.get(digest)
        if i is None:
            return f"frame {n} is none of the file's", jumps
        if key != file_frames[i][1]:
            return f"frame {n} (the file's {i}) came with keyframe {key}", jumps
        if prev is None and not key:
            return f"the first frame is the file's {i}, not a keyframe", jumps
        if prev is not None and i != (prev + 1) % len(file_frames):
            if not key:
                return f"frame {n} is the file's {i}, after its {prev}", jumps
            jumps += 1
        prev = i
    return None, jumps


def run_case(lab, viewer_bin, boltrtc, case, workdir):
    """Device and viewer for one case: (the viewer's lines, its exit code, the device's log
    and exit code)."""
    camera.set_viewer_nat(lab, case)
    cam, cam_log = camera.start_camera(lab, boltrtc, case, FILE, workdir)
    member = None
    lines = []
    try:
        member = lab.popen("viewer", [sys.executable, ROOM_MEMBER, SERVER, str(HTTP_PORT),
                                      f"car-{case}", "--", viewer_bin, f"{lab.addrs['viewer']}:0",
                                      "--frames", str(FRAMES), "--commands", str(COMMANDS),
                                      "--seconds", str(CASE_SECONDS)],
                           stdout=subprocess.PIPE,
                           stderr=None if os.environ.get("NAT_DEBUG") else subprocess.DEVNULL)
        deadline, buf = time.monotonic() + CASE_SECONDS + 5, b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([member.stdout], [], [], 0.5)
            if not ready:
                continue
            chunk = os.read(member.stdout.fileno(), 1 << 16)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                lines.append(line.decode(errors="replace"))
        try:
            rc = member.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = "still running"
    finally:
        stop_process(member, "room_member")
        stop_process(cam, "boltrtc camera")
    with open(cam_log) as f:
        return lines, rc, f.read(), cam.returncode


def judge(lab, case, file_frames, lines, rc, device_log, device_rc):
    kinds = case.split("-")
    reports = {}
    frames, commands, acks = [], {}, {}
    for line in lines:
        kind, _, rest = line.partition(" ")
        if kind == "frame":
            digest, key = rest.split()
            frames.append((digest, key == "1"))
        elif kind == "command":
            c = json.loads(rest)
            commands[c["seq"]] = c
        elif kind == "ack":
            a = json.loads(rest)
            acks[a.get("seq")] = a
        else:
            reports.setdefault(kind, rest)
    ok = check("done" in reports and rc == 0 and device_rc == 0,
               f"{case}: the viewer connected, took {len(frames)} frames and {len(acks)} acks, "
               f"and ended cleanly (exit {rc}; {reports.get('failed', 'no failure')}); the "
               f"device stopped cleanly (exit {device_rc})")
    if not ok:
        print("\n".join(lines[-15:]))
        print(device_log[-3000:])
        return None
    # The pair, on both sides: the viewer's stats report, the device's log.
    ltype, laddr, rtype, raddr = (reports.get("pair", "") + " - - - -").split()[:4]
    m = camera.DEVICE_CONNECTED.search(device_log)
    dev_detail = m.group(0) if m else "no ICE connected line"
    dev_remote = dev_detail.split(" remote candidate")[0].rsplit(" ", 1)[-1]
    dev_relay = "through our TURN relay" in dev_detail
    dev_to_server = m is not None and m.group(2) == SERVER
    viewer_pub = camera.public_addr(lab, "viewer")
    device_pub = camera.public_addr(lab, camera.device_host(case))
    types = f"{ltype}<->{rtype}"
    if case in camera.RELAYED:
        # Whose relay carries it, both sides agree: the viewer's own relayed candidate is an
        # address of the server to the device, and the device's is a relayed remote to us.
        check(m is not None and "relay" in (ltype, rtype) and
              (ltype == "relay") == dev_to_server and (rtype == "relay") == dev_relay,
              f"{case}: through the relay, as a symmetric NAT forces: viewer {types} "
              f"({laddr} to {raddr}); device {dev_detail}")
    else:
        # Each names the other's public address; a side with no NAT is known by its host
        # candidate, one behind a NAT by its server-reflexive address (peer-reflexive when
        # its checks came first, or from a symmetric NAT's port for this peer).
        want = {"none": {"host"}, "eim": {"srflx", "prflx"}, "sym": {"prflx", "srflx"}}
        if not check(m is not None and "relay" not in (ltype, rtype) and not dev_relay and
                     raddr.rsplit(":", 1)[0] == device_pub and m.group(2) == viewer_pub and
                     rtype in want[kinds[0]] and dev_remote in want[kinds[1]],
                     f"{case}: direct, each side names the other's public address ({device_pub}, "
                     f"{viewer_pub}): viewer {types} to {raddr}; device {dev_detail}"):
            print("\n".join(f"     {line}" for line in lines if line.startswith("checked ")))
    # The video, byte for byte.
    wrong, jumps = frames_in_order(frames, file_frames)
    check(len(frames) >= FRAMES and wrong is None,
          f"{case}: {len(frames)} frames, each the file's own bytes in the file's order "
          f"({jumps} jumps to a keyframe, {reports.get('lost', '0')} lost){': ' + wrong if wrong else ''}")
    # The control channel.
    logged = camera.device_drives(device_log)
    check(len(commands) == COMMANDS and
          all(s in acks and acks[s].get("type") == "ack" and acks[s].get("t") == c["t"]
              for s, c in commands.items()) and all(s in logged for s in commands),
          f"{case}: {len(commands)} commands sent, {len(acks)} acked with their seq and t, "
          f"{len([s for s in commands if s in logged])} in the device's log")
    connected = reports.get("connected", "- ").split(" ", 1)[0]
    path = "relayed" if dev_relay or dev_to_server else "direct"
    return types, dev_remote + (" via our relay" if dev_relay else ""), connected, \
        m.group(1) if m else "-", path, len(frames), jumps


def main():
    viewer_bin, boltrtc = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    cases = camera.ALL_CASES
    if "--cases" in sys.argv:
        cases = sys.argv[sys.argv.index("--cases") + 1].split(",")
    if nat_lab.skip_reason("test_nat_camera_peer"):
        return nat_lab.SKIP
    file_frames = ivf_frames(FILE)
    check(len({h for h, _ in file_frames}) == len(file_frames) and file_frames[0][1],
          f"the file's {len(file_frames)} frames differ from each other, the first a keyframe")
    workdir = tempfile.mkdtemp(prefix="boltrtc-nat-camera-peer-")
    matrix = []
    started = time.monotonic()
    try:
        with camera.camera_lab() as lab:
            serve, _ = camera.start_serve(lab, boltrtc, workdir)
            try:
                for case in cases:
                    result = run_case(lab, viewer_bin, boltrtc, case, workdir)
                    matrix.append((case, judge(lab, case, file_frames, *result)))
            finally:
                stop_process(serve, "boltrtc serve")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nNAT camera matrix, boltrtc viewer (device-viewer; the viewer's selected pair "
          f"local<->remote; the remote candidate the device nominated; the viewer's answer and "
          f"the device's offer to ICE connected; frames matched), {time.monotonic() - started:.0f} s:")
    for case, row in matrix:
        if row is None:
            print(f"  {case:10} FAILED")
            continue
        types, dev, v_ms, d_ms, path, n, jumps = row
        print(f"  {case:10} {path:16} viewer {types:14} device {dev:22} viewer {v_ms} ms, "
              f"device {d_ms} ms, {n} frames ({jumps} jumps)")
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
