#!/usr/bin/env python3
"""End-to-end tests of `boltrtc serve` with real peers, on loopback only.

  e2e.py browser --boltrtc PATH   Chromium (headless, fake camera from a still .y4m) publishes
                                  over WebSocket signaling with /?autostart=1; a Snapshot asks
                                  for a second keyframe.
  e2e.py whip --boltrtc PATH      aiortc publishes the same still picture over WHIP with a
                                  keyframe every second, then DELETEs its session. Its first
                                  keyframe is made before any RTCP arrives, at aiortc's 500 kbps
                                  start; the second saved one is judged, after the server's REMB
                                  raised the encoder's target.
  e2e.py firefox --boltrtc PATH   Firefox ESR (headless, puppeteer-core over WebDriver BiDi)
                                  publishes its generated fake camera from the page (max-bundle:
                                  the video section is bundle-only). Each JPEG must have the size
                                  Firefox reports sending and match the page's own preview grabbed
                                  at the time (PSNR), while a grab from 1.5 s away, when the fake
                                  camera's colour has drifted, scores at least 3 dB lower.
  e2e.py tracks --boltrtc PATH    Chromium publishes two video tracks in one offer, from the
                                  page's origin with its own client (two_tracks.mjs): the fake
                                  camera playing the still picture, and a canvas painted with
                                  that picture mirrored. Each track's JPEG must match its own
                                  picture (PSNR >= 25 dB) and score at least 3 dB lower against
                                  the other's; /api/status counts each track.
      [--codec h264] [--tracks 1|2] [--keyframes N] [--loss PERCENT]
                                  the same with both transceivers preferring H.264 (the
                                  answer and Chromium's stats must say H.264), the camera
                                  alone (judged against the shifted picture), N keyframes of
                                  each track, and PERCENT % of the datagrams to the server
                                  dropped by nftables: NACKs must have brought packets back.
      [--drop-dtls-finished]      the publisher's last DTLS flight (CCS, Finished) dropped twice:
                                  the media it sends before the resend must be held and read.
  e2e.py page --boltrtc PATH      Chromium tours the page as a learner would (page_tour.mjs):
                                  the outline before Connect; the journey on one time base,
                                  every step explained and linked to a chapter section that
                                  exists; live counters that grow; the SDP viewer; Hang up's
                                  closing steps and summary; no console errors. Screenshots of
                                  each stage are kept in --artifacts.
  e2e.py inspect --boltrtc PATH   the packet inspector: Chromium publishes camera and microphone
                                  asking for it ({"inspect":true}), then a second session that
                                  does not; the inspector's JSON must hold each kind decoded with
                                  the right fields (STUN USERNAME = the SDPs' ufrags, a DTLS
                                  ClientHello, RTP with the negotiated mid extension and a VP8
                                  descriptor, RTCP sent and received, the SRTP view), wrong ids
                                  get 404, the second session records nothing, and /inspect
                                  loads with no console errors (its screenshot kept).
  e2e.py example --example PATH   examples/receive_video with Chromium and no server: the page's
                                  offer to its stdin, its stdout (the answer alone) to the page.
  e2e.py gstreamer --shape pad|transceiver --boltrtc PATH
                                  GStreamer's webrtcbin publishes the still picture over WHIP:
                                  one video section, or a transceiver plus a sink pad (two video
                                  sections, the second bundle-only), then DELETEs its session.
  e2e.py datachannel --boltrtc PATH
                                  Chromium opens two data channels labelled "echo" (ordered and
                                  unordered) over /ws and sends 1,000 messages, text and binary,
                                  8 B to 256 KiB (datachannel_echo.mjs): each must come back
                                  byte for byte, and the server's journey logs the channels.
  e2e.py whip-datachannel --boltrtc PATH
                                  aiortc offers video and an "echo" data channel over WHIP; its
                                  messages must come back byte for byte.
  e2e.py echo-datachannel --boltrtc PATH
                                  serve --echo echoes every data channel, whatever its label:
                                  as datachannel with channels "chat" (ordered) and "control"
                                  (unordered).
  e2e.py whep --codec vp8|h264 --boltrtc PATH
                                  the other way: the server sends. The still picture is encoded
                                  (ffmpeg: libvpx to IVF, or libx264 to Annex-B) and served with
                                  --source; Chromium opens /watch, which POSTs a recvonly offer
                                  to /whep (whep.mjs): framesDecoded must grow, and a decoded
                                  frame drawn to a canvas must match the picture by PSNR (at
                                  least 30 dB) and score at least 3 dB lower against the picture
                                  shifted by 4 pixels.
  e2e.py echo --boltrtc PATH      serve --echo: Chromium's camera (the still picture) goes out
                                  over WHIP in a sendrecv section (/watch?echo=1) and comes
                                  back on the same connection with a new SSRC; judged as whep.
  e2e.py whip-trickle --boltrtc PATH
                                  Chromium over WHIP with trickle and ICE restart by PATCH
                                  (whip_trickle.mjs, RFC 9725 4.3): no candidate in the offer
                                  or the answer, so only the PATCHed ones can connect (a
                                  control that PATCHes nothing must not); then restartIce()
                                  by PATCH with If-Match "*": a new ETag and server ufrag, a
                                  pair of the new generation, and two more JPEGs judged.
  e2e.py restart --boltrtc PATH   Chromium on serve's page (/?autostart=1) calls restartIce()
                                  on the live call (restart_page.mjs): the page's new offer goes
                                  over its WebSocket, a pair of the new generation is selected,
                                  DTLS stays, and the JPEGs saved after it are judged.
  --dtls-role active|passive      the server's DTLS role toward the actpass offer.
  --expect-srtp PROFILE           the SRTP profile the session must negotiate.
  --ipv6                          media over [::1] only (aiortc; Chromium gathers no ::1).
  --size WxH                      the still source's size (the page sends the camera's own size).
  --hint-size                     browser: open the page with ?resolution=WxH (--size), so its
                                  offer tells the server the size and the answer's bitrates fit.

Both assert that JPEG keyframes are saved at the source's size and match the source (PSNR of
at least 25 dB) while the source shifted by 4 pixels scores at least 3 dB lower.

Everything runs inside a fresh network namespace that has only `lo` (the script re-executes
itself under `unshare --net`), so no packet can leave loopback. Every process it starts is
stopped by its process id; every wait is bounded."""
import argparse
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
MIN_PSNR = 25.0
MIN_MARGIN = 3.0
MIN_WHEP_PSNR = 30.0  # a file encoded at high quality, then decoded: no camera, no start bitrate


def log(msg):
    print(f"[e2e] {msg}", flush=True)


def enter_loopback_namespace(skip_code=None):
    """Re-run this script in a new network namespace with only lo up, so that nothing it
    starts can reach past loopback; returns once inside. Without root or unshare(1): exit
    with skip_code (ctest's SKIP_RETURN_CODE) if given, else fail. Every test and tool script
    that needs the namespace comes here."""
    if os.environ.get("BRTC_IN_LOOPBACK_NETNS") == "1":
        return
    if shutil.which("unshare") is None or os.geteuid() != 0:
        why = "needs root and unshare(1) to make a loopback-only network namespace"
        if skip_code is not None:
            print(f"SKIP: {why}")
            sys.exit(skip_code)
        sys.exit(f"{os.path.basename(sys.argv[0])}: {why}")
    env = dict(os.environ, BRTC_IN_LOOPBACK_NETNS="1")
    cmd = ["unshare", "--net", "--", "sh", "-c",
           'ip link set lo up && exec "$0" "$@"', sys.executable] + sys.argv
    os.execvpe("unshare", cmd, env)


def stop_process(proc, name, timeout=10):
    """Stop one process we started, by its pid: SIGTERM, then SIGKILL if it ignores it."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log(f"{name} (pid {proc.pid}) ignored SIGTERM; killing it")
        proc.kill()
        proc.wait(timeout=5)


def free_port(kind, family=socket.AF_INET):
    s = socket.socket(family, kind)
    s.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def psnr(a, b):
    """PSNR of picture a against picture b in RGB, by ffmpeg."""
    out = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", a, "-i", b, "-lavfi",
         "[0:v]format=rgb24[x];[1:v]format=rgb24[y];[x][y]psnr", "-f", "null", "-"],
        capture_output=True, text=True, timeout=60)
    m = re.search(r"average:([0-9.]+|inf)", out.stderr)
    if not m:
        raise RuntimeError(f"ffmpeg psnr failed: {out.stderr[-500:]}")
    return float("inf") if m.group(1) == "inf" else float(m.group(1))


class Server:
    def __init__(self, boltrtc, workdir, extra_args=(), ipv6=False, udp_ip="127.0.0.1"):
        self.http = f"127.0.0.1:{free_port(socket.SOCK_STREAM)}"
        if ipv6:  # media over IPv6 only: the browser must use its ::1 candidate
            self.udp = f"[::1]:{free_port(socket.SOCK_DGRAM, socket.AF_INET6)}"
        else:
            self.udp = f"{udp_ip}:{free_port(socket.SOCK_DGRAM)}"
        self.output = os.path.join(workdir, "output")
        self.log_path = os.path.join(workdir, "server.log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [boltrtc, "serve", "--http", self.http, "--udp", self.udp, "--output", self.output,
             *extra_args],
            stdout=self.log_file, stderr=subprocess.STDOUT)
        self.base = f"http://{self.http}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.tail()}")
            try:
                http_get(self.base + "/api/status", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not answer within 15 s")

    def status(self):
        return json.loads(http_get(self.base + "/api/status")[1])

    def tail(self, n=40):
        if not self.log_file.closed:
            self.log_file.flush()
        with open(self.log_path) as f:
            return "".join(f.readlines()[-n:])

    def stop(self):
        stop_process(self.proc, "boltrtc serve")
        self.log_file.close()


def end_server(server, ok, artifacts, name, workdir):
    """Stop the server; keep its log in artifacts (if given) as server-NAME.log, show its tail
    when the test failed, and remove the work folder."""
    server.stop()
    if artifacts:
        os.makedirs(artifacts, exist_ok=True)
        shutil.copy(server.log_path, os.path.join(artifacts, f"server-{name}.log"))
    if not ok:
        print(server.tail(80), file=sys.stderr)
    shutil.rmtree(workdir, ignore_errors=True)


def rgb_frames(paths_or_glob, width, height):
    """Pictures decoded by ffmpeg into a numpy array of RGB frames (one ffmpeg run)."""
    import numpy
    if isinstance(paths_or_glob, str):
        inputs = ["-pattern_type", "glob", "-i", paths_or_glob]
    else:
        inputs = ["-i", paths_or_glob[0]]
    out = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", *inputs, "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-"],
                         capture_output=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"ffmpeg decode failed: {out.stderr[-300:]!r}")
    frame = width * height * 3
    n = len(out.stdout) // frame
    return numpy.frombuffer(out.stdout[:n * frame], dtype=numpy.uint8).reshape(n, height, width, 3)


def psnr_rgb(a, b):
    import numpy
    mse = numpy.mean((a.astype(numpy.float64) - b.astype(numpy.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * numpy.log10(255.0 ** 2 / mse)


def y4m_size(path):
    with open(path, "rb") as f:
        header = f.readline().split()
    return (int(next(t[1:] for t in header if t.startswith(b"W"))),
            int(next(t[1:] for t in header if t.startswith(b"H"))))


def check_keyframes(server, source, shifted, want, session=None, judge_from=0):
    """Every saved keyframe: the source's size, served as JPEG; from the judge_from'th on,
    PSNR >= MIN_PSNR and the shifted source scores at least MIN_MARGIN lower (the ones
    before are only reported). Returns the list of (file, psnr, psnr_shifted)."""
    status = server.status()
    frames = [k for k in status["keyframes"] if session is None or k["session"] == session]
    assert len(frames) >= want, f"{len(frames)} keyframes saved, wanted {want}: {status}"
    results = []
    size = y4m_size(source)
    for i, k in enumerate(frames):
        path = os.path.join(server.output, k["file"])
        assert os.path.isfile(path), f"{path} missing"
        assert (k["width"], k["height"]) == size, \
            f"keyframe size {k['width']}x{k['height']}, the source is {size[0]}x{size[1]}"
        code, body = http_get(f"{server.base}/output/{k['file']}")
        assert code == 200 and body[:2] == b"\xff\xd8", "keyframe not served as JPEG over HTTP"
        good, bad = psnr(path, source), psnr(path, shifted)
        log(f"{k['file']}: {k['width']}x{k['height']}, PSNR {good:.2f} dB "
            f"(shifted source: {bad:.2f} dB){'' if i >= judge_from else ', not judged'}")
        results.append((k["file"], good, bad))
        if i < judge_from:
            continue
        assert good >= MIN_PSNR, f"{k['file']}: PSNR {good:.2f} dB < {MIN_PSNR}"
        assert good - bad >= MIN_MARGIN, f"{k['file']}: shifted source only {good - bad:.2f} dB lower"
    return results


def check_transport(a, session):
    """The negotiated SRTP profile and the address family media used, as the test asked."""
    stats = session["stats"]
    log(f"DTLS {stats['dtls_cipher']}, SRTP {stats['srtp_profile']}, "
        f"media with {stats['selected_remote']}")
    if a.expect_srtp:
        assert stats["srtp_profile"] == a.expect_srtp, \
            f"SRTP profile {stats['srtp_profile']}, wanted {a.expect_srtp}"
    if a.ipv6:
        assert stats["selected_remote"].startswith("[::1]:"), \
            f"media went over {stats['selected_remote']}, not IPv6"


def run_driver(cmd, timeout, server):
    """Runs a browser driver (browser.mjs, firefox.mjs); returns its JSON result, which must
    say ok."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)
    try:
        out, err = proc.communicate(timeout=timeout + 90)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=10)
    line = (out.strip().splitlines() or ["{}"])[-1]
    result = json.loads(line)
    if not result.get("ok"):
        raise AssertionError(f"browser: {result.get('error')}\n{err[-2000:]}\n"
                             f"page logs: {result.get('logs')}\nserver:\n{server.tail()}")
    return result


def run_client(cmd, timeout, server, name):
    """Runs a Python publisher (whip_client.py, gst_whip.py), which must exit 0."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=timeout + 60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate(timeout=10)
    log(f"{name}: " + out.strip().replace("\n", "\n[e2e]   "))
    assert proc.returncode == 0, f"{name} failed\nserver:\n{server.tail()}"


def check_journey(session, snapshot):
    """The server's journey has every step, and a Snapshot asked for a keyframe."""
    steps = [s["step"] for s in session["steps"]]
    for step in ("offer", "answer", "ice-check", "ice-connected", "dtls-connected",
                 "srtp-ready", "first-rtp", "first-keyframe"):
        assert step in steps, f"server journey lacks {step}: {steps}"
    if snapshot:
        # A browser starts with a keyframe, which needs no PLI; the Snapshot's is counted.
        assert session["stats"]["plis_sent"] >= 1, "Snapshot did not send a PLI"
        assert "snapshot-requested" in steps, f"server journey lacks the Snapshot: {steps}"


def run_browser(a, server, source, shifted, workdir):
    node = shutil.which("node")
    assert node, "node is required"
    url = server.base + "/" + (f"?resolution={a.size}" if a.hint_size else "")
    cmd = [node, os.path.join(HERE, "browser.mjs"), "--url", url, "--y4m", source,
           "--keyframes", "2", "--snapshot", "--timeout-ms", str(a.timeout * 1000),
           "--screenshot", os.path.join(workdir, "page.png")]
    if a.reload:
        cmd.append("--reload")
    result = run_driver(cmd, a.timeout, server)
    log(f"browser saw {result['keyframes']} keyframes; journey on the page: {result['journey']}")
    # The page's own DTLS steps (the transport is watched before the camera's track arrives).
    assert "dtls-connecting" in result["journey"], "the page showed no DTLS step of its own"
    check_keyframes(server, source, shifted, 2)
    if a.reload:
        # Every thumbnail links to its JPEG; after a reload the gallery shows them again.
        # The keyframe interval's PLI may bring one more JPEG while the page is read, saved
        # as the reload's bye ends the session: every link is a saved file, and the reload
        # restores at least those (and only saved ones).
        saved = {f"/output/{k['file']}" for k in server.status()["keyframes"]}
        links = sorted(result["links"])
        assert len(links) >= 2 and set(links) <= saved, f"links {links}, saved {sorted(saved)}"
        restored = result["restored"]
        log(f"after a reload: {restored['figures']} thumbnails restored, counted {restored['counted']}")
        assert restored["figures"] == len(restored["links"]) and restored["counted"] == 0, restored
        assert set(links) <= set(restored["links"]) <= saved and restored["loaded"], restored
        for link in sorted(saved):
            status, body = http_get(server.base + link)
            assert status == 200 and body[:2] == b"\xff\xd8", f"{link}: {status}"
    session = server.status()["sessions"][0]
    check_journey(session, snapshot=True)
    assert session["stats"]["remb_sent"] >= 1, "no REMB sent to the browser"
    check_transport(a, session)
    if a.hint_size:
        offer_step = next(s["detail"] for s in session["steps"] if s["step"] == "offer-received")
        assert f"camera {a.size}" in offer_step, f"the page did not say its size: {offer_step}"


RELAY_PORTS = (52000, 52099)  # serve's own TURN relays from these (mode relay)


def run_relay(a, server, source, shifted, workdir):
    """Chromium forced through serve's own TURN server (?relay=1: iceTransportPolicy "relay",
    with the credentials /api/ice-servers mints): the only pair that can work is Chromium's
    relayed candidate to the server's host candidate, so the server's selected remote address
    must be one of the TURN server's relay ports, and the pictures must still be right."""
    node = shutil.which("node")
    assert node, "node is required"
    status, body = http_get(server.base + "/api/ice-servers")
    servers = json.loads(body)["iceServers"]
    assert status == 200 and any(u.startswith("turn:") for s in servers for u in s["urls"]), body
    cmd = [node, os.path.join(HERE, "browser.mjs"), "--url", server.base + "/?relay=1",
           "--y4m", source, "--keyframes", "2", "--timeout-ms", str(a.timeout * 1000)]
    result = run_driver(cmd, a.timeout, server)
    log(f"browser saw {result['keyframes']} keyframes through the relay")
    check_keyframes(server, source, shifted, 2)
    session = server.status()["sessions"][0]
    check_journey(session, snapshot=False)
    nominated = next(s["detail"] for s in session["steps"] if s["step"] == "ice-connected")
    port = int(re.search(r"nominated 127\.0\.0\.1:(\d+)", nominated).group(1))
    assert RELAY_PORTS[0] <= port <= RELAY_PORTS[1], \
        f"the selected pair is not through the relay: {nominated}"
    log(f"selected: {nominated} (a relay port of serve's TURN server)")


def run_page(a, server, source, shifted, workdir):
    """The page teaches the journey (issue 7): page_tour.mjs asserts what the page shows;
    here the server's side of the same session."""
    node = shutil.which("node")
    assert node, "node is required"
    shots = os.path.abspath(a.artifacts) if a.artifacts else os.path.join(workdir, "shots")
    cmd = [node, os.path.join(HERE, "page_tour.mjs"), "--url", server.base + "/", "--y4m", source,
           "--timeout-ms", str(a.timeout * 1000), "--shots", shots]
    result = run_driver(cmd, a.timeout, server)
    log(f"outline before Connect: {result['outline']}")
    log(f"journey ({len(result['journey'])} steps, {result['chapters']} chapter links resolved): "
        f"{result['journey']}")
    log(f"offer/answer on one clock (ms since Connect): {result['exchange']}")
    log(f"first RTP per stream: {result['firstRtp']}")
    log(f"counters: {result['counters']['first']} then {result['counters']['second']}")
    log(f"after hang-up: {result['end']}; summary {result['summary']}")
    log(f"inspector: {result['inspect']}")
    log("screenshots: " + ", ".join(result["screenshots"]))
    session = server.status()["sessions"][-1]
    assert session["state"] == "closed", f"hang-up did not close the session: {session['state']}"
    assert session["stats"]["rr_sent"] >= 1, "no receiver report counted"
    check_keyframes(server, source, shifted, 2)


def add_loss(udp_port, percent):
    """Drop percent % of the UDP datagrams to udp_port at random, in this namespace's input
    hook (the kernel has no netem; nftables' numgen does it): every kind (STUN, DTLS, RTP,
    RTCP) from the publisher to the server, so NACK and PLI repair are needed."""
    rules = (f"table inet brtc_loss {{\n chain input {{\n type filter hook input priority 0;\n"
             f" udp dport {udp_port} numgen random mod 100 < {percent} counter drop\n }}\n}}\n")
    subprocess.run(["nft", "-f", "-"], input=rules, text=True, check=True, timeout=10)


def drop_dtls_finished(udp_port):
    """Drop the publisher's first two DTLS datagrams that open with a ChangeCipherSpec record
    (content type 20, RFC 6347 4.1): as the DTLS server it sends CCS and Finished as its last
    flight, then starts its media, and sends the flight again each time our flight timer
    (100 ms, then 200 ms) resends ours (RFC 6347 4.2.4). Two drops keep DTLS down for about
    300 ms, longer than a browser's encoder takes to its first frame even when we run slowly
    (ASan), so media surely comes first; one drop raced it. The quota (about 100 bytes each:
    CCS and an AES-GCM Finished) passes the third."""
    rules = (f"table inet brtc_loss {{\n chain input {{\n type filter hook input priority 0;\n"
             f" udp dport {udp_port} @th,64,8 20 quota until 300 bytes counter drop\n }}\n}}\n")
    subprocess.run(["nft", "-f", "-"], input=rules, text=True, check=True, timeout=10)


def check_dtls_finished_dropped(stats):
    """After drop_dtls_finished: the publisher's media that came before its resent Finished
    was held, then read once DTLS was up (src/pc/pc_early_srtp.c), none of it dropped."""
    dropped = loss_dropped()
    log(f"DTLS: nftables dropped {dropped} Finished flights; SRTP held until DTLS finished "
        f"{stats['srtp_early_held']}, PLIs {stats['plis_sent']}, NACKs {stats['nacks_sent']}, "
        f"dropped {stats['dropped_unexpected']}")
    assert dropped == 2, f"nftables dropped {dropped} Finished flights, wanted 2"
    assert stats["srtp_early_held"] >= 1, f"no SRTP held before DTLS finished: {stats}"
    assert stats["dropped_unexpected"] == 0, stats


def loss_dropped():
    out = subprocess.run(["nft", "list", "table", "inet", "brtc_loss"], capture_output=True,
                         text=True, timeout=10).stdout
    m = re.search(r"counter packets (\d+)", out)
    return int(m.group(1)) if m else 0


def run_tracks(a, server, source, shifted, workdir):
    """Two video tracks (or one, --tracks 1), two known pictures: each JPEG must be its own
    track's, in the codec asked for (--codec), with --loss % of the datagrams to the server
    dropped."""
    node = shutil.which("node")
    assert node, "node is required"
    mirrored, rgb = os.path.join(workdir, "mirrored.y4m"), os.path.join(workdir, "mirrored.rgb")
    width, height = y4m_size(source)
    subprocess.run([sys.executable, os.path.join(HERE, "still_picture.py"), "--out", mirrored,
                    "--mirror", "--rgb-out", rgb, "--frames", "1", "--width", str(width),
                    "--height", str(height)], check=True, timeout=60)
    # Chromium's canvas capture turns RGB into YUV with BT.709 in full range, and VP8 says
    # nothing of colour, so its frames decode (as BT.601, limited range) more saturated: the
    # canvas track's known picture is the mirrored one put through that same conversion.
    canvas_ref = os.path.join(workdir, "mirrored-as-canvas.y4m")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", mirrored, "-vf",
                    "format=rgb24,scale=out_range=pc:out_color_matrix=bt709,format=yuv420p,"
                    "setparams=range=tv:colorspace=bt470bg", "-f", "yuv4mpegpipe", "-strict", "-1",
                    canvas_ref], check=True, timeout=60)
    if a.loss:
        add_loss(int(server.udp.rsplit(":", 1)[1]), a.loss)
    if a.drop_dtls_finished:
        drop_dtls_finished(int(server.udp.rsplit(":", 1)[1]))
    cmd = [node, os.path.join(HERE, "two_tracks.mjs"), "--url", server.base + "/", "--y4m", source,
           "--canvas-rgb", rgb, "--canvas-size", f"{width}x{height}",
           "--timeout-ms", str(a.timeout * 1000), "--codec", a.codec, "--tracks", str(a.tracks),
           "--keyframes", str(a.keyframes), "--hold-ms", str(8000 if a.loss else 0)]
    result = run_driver(cmd, a.timeout, server)
    mids = result["mids"]
    camera_mid = mids[0]
    log(f"mids {mids}, keyframes {[(k['file'], k.get('mid')) for k in result['keyframes']]}")
    log(f"Chromium sent: {result['sent']}")
    assert result["offer"].count("\nm=video ") == a.tracks, \
        f"the offer does not have {a.tracks} video sections"
    codec_name = {"vp8": "VP8", "h264": "H264"}[a.codec]
    answered = re.findall(r"a=rtpmap:\d+ ([A-Za-z0-9]+)/90000", result["answer"])
    assert answered and all(c in (codec_name, "rtx") for c in answered), \
        f"the answer's video codecs are {answered}, wanted {codec_name}"
    for sent in result["sent"]:
        assert (sent.get("codec") or "").lower() == f"video/{codec_name.lower()}", \
            f"Chromium sent {sent.get('codec')}, wanted {codec_name}: {sent}"
    own = {camera_mid: source}
    if a.tracks == 2:
        own[mids[1]] = canvas_ref
    judged = {}
    for k in result["keyframes"]:
        mid = k.get("mid")
        assert mid in own, f"keyframe {k['file']} has no track mid: {k}"
        # A session with one video track names its files without the mid.
        assert a.tracks == 1 or k["file"].endswith(f"-mid{mid}.jpg"), \
            f"{k['file']} does not name its track {mid}"
        path = os.path.join(server.output, k["file"])
        assert (k["width"], k["height"]) == (width, height), f"{k['file']} is {k['width']}x{k['height']}"
        # The control: the other track's picture, or with one track the picture shifted.
        other = shifted if a.tracks == 1 else (canvas_ref if own[mid] == source else source)
        good, bad = psnr(path, own[mid]), psnr(path, other)
        log(f"{k['file']} (track {mid}, {'camera' if mid == camera_mid else 'canvas'}): "
            f"PSNR {good:.2f} dB against its picture, {bad:.2f} dB against the control")
        assert good >= MIN_PSNR, f"{k['file']}: PSNR {good:.2f} dB < {MIN_PSNR}"
        assert good - bad >= MIN_MARGIN, f"{k['file']}: the control only {good - bad:.2f} dB lower"
        judged[mid] = judged.get(mid, 0) + 1
    assert set(judged) == set(own) and min(judged.values()) >= a.keyframes, \
        f"keyframes judged per track {judged}, wanted {a.keyframes} of each of {set(own)}"
    session = server.status()["sessions"][0]
    tracks = {t["mid"]: t for t in session["tracks"] if t["kind"] == "video"}
    log(f"tracks in /api/status: {session['tracks']}")
    for mid in own:
        t = tracks.get(mid)
        assert t and t["packets"] > 0 and t["keyframes"] >= 1 and t["width"] == width, \
            f"track {mid} not counted: {session['tracks']}"
        assert t["codec"] == codec_name, f"track {mid} received as {t['codec']}"
    stats = session["stats"]
    assert stats["dropped_unexpected"] == 0, stats
    if a.loss:
        dropped = loss_dropped()
        log(f"loss: nftables dropped {dropped} datagrams; server sent {stats['nacks_sent']} NACKs "
            f"({stats['nack_seqs_asked']} seqs), {stats['plis_sent']} PLIs; recovered "
            f"{stats['rtp_recovered']}, gave up {stats['nack_given_up']}, frames dropped "
            f"{stats['frames_dropped']}; SRTP held until DTLS finished {stats['srtp_early_held']}")
        assert dropped > 0, "nftables dropped nothing"
        # Repair happened: packets asked for came back (RTX) and frames were still whole.
        assert stats["nacks_sent"] >= 1 and stats["rtp_recovered"] >= 1, stats
    if a.drop_dtls_finished:
        check_dtls_finished_dropped(stats)


def encode_source(source, codec, workdir):
    """The still picture as the file serve --source plays: VP8 in IVF (libvpx) or H.264
    Annex-B (libx264, constrained baseline, packetization-mode 1), a keyframe a second."""
    if codec == "vp8":
        out = os.path.join(workdir, "source.ivf")
        enc = ["-c:v", "libvpx", "-b:v", "4M", "-crf", "4", "-qmin", "2", "-qmax", "20",
               "-g", "30", "-f", "ivf"]
    else:
        out = os.path.join(workdir, "source.h264")
        # The VUI says how the picture was made: BT.601 matrix, limited range, and sRGB's own
        # (BT.709) primaries. Without a VUI Chromium takes an H.264 stream for BT.709 (29 dB);
        # with BT.601's primaries it converts their gamut to sRGB when it draws (31 dB): 44 dB.
        enc = ["-c:v", "libx264", "-profile:v", "baseline", "-preset", "medium", "-crf", "14",
               "-g", "30", "-colorspace", "smpte170m", "-color_primaries", "bt709",
               "-color_trc", "bt709", "-color_range", "tv",
               "-bsf:v", "h264_mp4toannexb", "-f", "h264"]
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", source, *enc, out],
                   check=True, timeout=120)
    return out


def run_whep(a, server, source, shifted, workdir):
    """Chromium receives the server's video over WHEP; a decoded frame matches the source."""
    node = shutil.which("node")
    assert node, "node is required"
    frame = os.path.join(workdir, "decoded.rgb")
    cmd = [node, os.path.join(HERE, "whep.mjs"), "--url", server.base + "/", "--y4m", source,
           "--frame-out", frame, "--timeout-ms", str(a.timeout * 1000)]
    if a.mode == "echo":
        cmd.append("--echo")
    result = run_driver(cmd, a.timeout, server)
    width, height = y4m_size(source)
    log(f"framesDecoded {result['frames']}, {result['width']}x{result['height']}, "
        f"inbound-rtp {result['stats']}")
    assert result["frames"][1] > result["frames"][0], f"framesDecoded did not grow: {result['frames']}"
    assert (result["width"], result["height"]) == (width, height), \
        f"decoded {result['width']}x{result['height']}, the source is {width}x{height}"
    want = "H264/90000" if a.codec == "h264" and a.mode == "whep" else "VP8/90000"
    direction = "a=sendrecv" if a.mode == "echo" else "a=sendonly"
    assert want in result["answer"] and direction in result["answer"], result["answer"]
    import numpy
    with open(frame, "rb") as f:
        got = numpy.frombuffer(f.read(), dtype=numpy.uint8).reshape(height, width, 3)
    good = psnr_rgb(got, rgb_frames([source], width, height)[0])
    bad = psnr_rgb(got, rgb_frames([shifted], width, height)[0])
    log(f"decoded frame: PSNR {good:.2f} dB against the source, {bad:.2f} dB against it shifted")
    if a.artifacts:
        os.makedirs(a.artifacts, exist_ok=True)
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo",
                        "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-i", frame,
                        os.path.join(a.artifacts, "decoded.png")], timeout=60)
    assert good >= MIN_WHEP_PSNR, f"PSNR {good:.2f} dB < {MIN_WHEP_PSNR}"
    assert good - bad >= MIN_MARGIN, f"the shifted picture only {good - bad:.2f} dB lower"
    session = next(s for s in server.status()["sessions"]
                   if s.get("transport") == ("whip" if a.mode == "echo" else "whep"))
    log(f"server session: {session.get('state')}, {session.get('stats', {}).get('packets_out')} "
        "datagrams out")


def sdp_value(sdp, attr):
    """The first a=<attr>:<value> of an SDP."""
    m = re.search(rf"^a={attr}:(\S+)", sdp, re.M)
    return m.group(1) if m else None


def run_inspect(a, server, source, shifted, workdir):
    node = shutil.which("node")
    assert node, "node is required"
    cmd = [node, os.path.join(HERE, "inspect.mjs"), "--url", server.base + "/", "--y4m", source,
           "--timeout-ms", str(a.timeout * 1000), "--screenshot", os.path.join(workdir, "inspect.png")]
    result = run_driver(cmd, a.timeout, server)
    with open(os.path.join(workdir, "inspection.json")) as f:
        x = json.load(f)
    offer, answer = result["first"]["offer"], result["first"]["answer"]["sdp"]
    kinds = {(k["kind"], k["direction"]): k for k in x["kinds"]}
    log("inspector kinds: " + ", ".join(sorted(f"{k}-{d} {len(v['packets'])}" for (k, d), v in kinds.items())))

    def fields(kind, direction=None):
        for k in x["kinds"]:
            if k["kind"] == kind and (direction is None or k["direction"] == direction):
                for p in k["packets"]:
                    yield p, p["fields"]

    def values(kind, name, direction=None):
        return [f["value"] for _, fs in fields(kind, direction) for f in fs if f["name"] == name]

    # STUN: the browser's checks name the server's ufrag, then its own (RFC 8445 7.2.2).
    server_ufrag, browser_ufrag = sdp_value(answer, "ice-ufrag"), sdp_value(offer, "ice-ufrag")
    assert x["ufrags"] == {"server": server_ufrag, "browser": browser_ufrag}, x["ufrags"]
    usernames = set(values("stun", "USERNAME", "in"))
    assert usernames == {f"{server_ufrag}:{browser_ufrag}"}, f"USERNAMEs {usernames}"
    for name in ("PRIORITY", "ICE-CONTROLLING", "MESSAGE-INTEGRITY", "FINGERPRINT"):
        assert values("stun", name, "in"), f"no {name} in the browser's checks"
    assert any("correct" in v for v in values("stun", "FINGERPRINT", "in"))
    assert values("stun", "XOR-MAPPED-ADDRESS", "out"), "our answers carry no XOR-MAPPED-ADDRESS"
    # DTLS: the ClientHello (ours: we answer active), its use_srtp, the records' epochs.
    assert values("dtls", "ClientHello"), "no ClientHello"
    assert values("dtls", "use_srtp"), "no use_srtp extension"
    assert "1" in values("dtls", "epoch"), "no epoch-1 record"
    # RTP: the mid extension with the negotiated id, the video's VP8 descriptor.
    mid_ids = {int(i) for i in re.findall(r"^a=extmap:(\d+)\S* urn:ietf:params:rtp-hdrext:sdes:mid", answer, re.M)}
    mids = values("rtp", "mid", "in")
    video_mid = next(t["mid"] for t in result["first"]["mids"] if t["kind"] == "video")
    want = f'id {min(mid_ids)}: "{video_mid}"'
    assert want in mids, f"mid extension {mids}, wanted {want}"
    assert values("rtp", "VP8 payload descriptor", "in"), "no VP8 payload descriptor"
    assert values("rtp", "abs-send-time", "in") or values("rtp", "transport-wide sequence number", "in")
    # The SRTP view of the same packets: the header in clear, the tag at the end.
    tags = [p["wire"] for p, _ in fields("rtp", "in") if "wire" in p]
    assert tags, "no RTP packet with its SRTP form"
    profile = x["srtp_profile"]
    tag_name = "AEAD tag" if profile.startswith("AEAD") else "Authentication tag"
    assert all(any(f["name"] == tag_name for f in w["fields"]) for w in tags), f"no {tag_name}"
    # RTCP: what we send (RR, REMB) and what Chrome sends (SR), and their SRTCP form.
    sent = {f["name"] for _, fs in fields("rtcp", "out") for f in fs if f["depth"] == 0}
    assert any(n.startswith("RR") for n in sent), f"our RTCP: {sent}"
    received = {f["name"] for _, fs in fields("rtcp", "in") for f in fs if f["depth"] == 0}
    assert any(n.startswith("SR") for n in received), f"Chrome's RTCP: {received}"
    assert ("srtcp", "out") in kinds, "no SRTCP we sent"
    log(f"STUN USERNAME {usernames}, mid {want}, SRTP {profile}, our RTCP {sorted(sent)}, "
        f"Chrome's {sorted(received)}")
    # Every kind within its bound.
    assert all(len(k["packets"]) <= x["per_kind"] for k in x["kinds"])
    # The second session asked for nothing and recorded nothing.
    assert result["second"]["state"] == "connected", result["second"]
    assert result["second"]["answerInspect"] is None, result["second"]
    one, two = result["statsOne"], result["statsTwo"]
    assert one["inspected"] == two["inspected"] == 1 and two["opened"] == 1, (one, two)
    live = [s for s in result["status"]["sessions"] if s["state"] == "connected"]
    assert len(live) == 2, f"both sessions should be live: {[s['state'] for s in result['status']['sessions']]}"
    # Wrong ids: 404, the same for all.
    assert result["wrong"] == {"off": 404, "short": 404, "none": 404}, result["wrong"]
    # The page: loaded, every kind, fields open, a hover marks bytes, no console error.
    page = result["page"]
    log(f"/inspect: {page['sections']} sections ({page['kinds']}), {page['openFields']} fields "
        f"shown, {page['marked']} bytes marked on hover; errors {result['pageErrors']}")
    assert page["sections"] == len(x["kinds"]) and page["openFields"] > 50, page
    assert page["marked"] > 0, "hovering USERNAME marked no bytes"
    assert page["refreshed"] >= page["sections"], f"after Refresh: {page}"
    assert result["pageErrors"] == [], result["pageErrors"]
    assert result["chapterStatus"] == 200, f"chapter link answered {result['chapterStatus']}"
    assert result["afterClose"] == "ended", f"after hang-up: {result['afterClose']}"


def check_datachannel_journey(server, want_open):
    """The server's journey has a data channel opening and closing for each channel."""
    with open(server.log_path) as f:
        text = f.read()
    opened = text.count("datachannel-open")
    closed = text.count("datachannel-closed")
    log(f"server journey: {opened} datachannel-open, {closed} datachannel-closed")
    assert opened >= want_open, f"{opened} channels opened in the journey, wanted {want_open}"
    assert "echoing" in text, "the server did not echo"


def run_datachannel(a, server, source, shifted, workdir):
    """Data channels labelled "echo" (or, with serve --echo, any label): 1,000 messages back
    byte for byte, ordered and not."""
    node = shutil.which("node")
    assert node, "node is required"
    cmd = [node, os.path.join(HERE, "datachannel_echo.mjs"), "--url", server.base + "/",
           "--timeout-ms", str(a.timeout * 1000), "--messages", str(a.messages)]
    if a.mode == "echo-datachannel":
        cmd += ["--labels", "chat,control"]
    result = run_driver(cmd, a.timeout, server)
    s = result["stats"]
    log(f"echo: {s['back']}/{s['sent']} messages back ({s['text']} text, {s['binary']} binary, "
        f"largest {s['largest']} B, {s['bytesBack']} B) in {s['ms']} ms; "
        f"channels after close: {s['closed']}")
    assert "m=application" in result["answer"] and "a=max-message-size:262144" in result["answer"], \
        f"the answer has no data section: {result['answer']}"
    assert s["largest"] == 256 * 1024
    time.sleep(0.5)  # the server logs the closes as its streams reset
    check_datachannel_journey(server, 2)
    session = server.status()["sessions"][0]
    log(f"DTLS {session['stats']['dtls_cipher']}")


def run_whip_datachannel(a, server, source, shifted, workdir):
    """aiortc offers video and a data channel over WHIP: the echo comes back."""
    cmd = ["/usr/bin/python3", os.path.join(HERE, "whip_client.py"), "--url", server.base + "/whip",
           "--status", server.base + "/api/status", "--y4m", source, "--timeout", str(a.timeout),
           "--datachannel-echo", str(a.messages)]
    run_client(cmd, a.timeout, server, "aiortc")
    check_datachannel_journey(server, 2)


def run_whip(a, server, source, shifted, workdir):
    cmd = ["/usr/bin/python3", os.path.join(HERE, "whip_client.py"), "--url",
           server.base + "/whip", "--y4m", source, "--status", server.base + "/api/status",
           "--keyframes", "2", "--timeout", str(a.timeout),
           "--host-address", "::1" if a.ipv6 else "127.0.0.1"]
    if a.drop_dtls_finished:
        drop_dtls_finished(int(server.udp.rsplit(":", 1)[1]))
    run_client(cmd, a.timeout, server, "whip client")
    check_keyframes(server, source, shifted, 2, judge_from=1)
    session = server.status()["sessions"][0]
    if a.drop_dtls_finished:
        check_dtls_finished_dropped(session["stats"])
    assert session["transport"] == "whip", session
    assert session["state"] in ("closed",), f"DELETE did not close the session: {session['state']}"
    check_transport(a, session)


def run_whip_trickle(a, server, source, shifted, workdir):
    """Chromium over WHIP with every candidate trickled by PATCH and none in either SDP, then
    an ICE restart by PATCH (whip_trickle.mjs); its JPEGs from before and after the restart
    are judged against the picture and the shifted control."""
    node = shutil.which("node")
    assert node, "node is required"
    cmd = [node, os.path.join(HERE, "whip_trickle.mjs"), "--url", server.base + "/",
           "--y4m", source, "--timeout-ms", str(a.timeout * 1000)]
    r = run_driver(cmd, a.timeout, server)
    log(f"offer had {r['offeredCandidates']} candidates; PATCHed {r['patched']} then "
        f"{r['patchedAfterRestart']} after the restart, answers {r['statuses']}")
    log(f"selected pair before {r['first']}, after the restart {r['second']}; control "
        f"(nothing PATCHed): {r['controlState']}")
    assert r["offeredCandidates"] == 0, "the offer went out with candidates"
    assert r["patched"] >= 1 and set(r["statuses"]) == {204}, r["statuses"]
    assert not r["controlConnected"], "the control connected without any candidate"
    assert r["restartStatus"] == 200 and r["newEtag"] != r["oldEtag"], r
    new_ufrag = sdp_value(r["serverFrag"], "ice-ufrag")
    assert new_ufrag and new_ufrag != r["oldServerUfrag"], r["serverFrag"]
    assert r["second"]["ufrag"] != r["first"]["ufrag"], (r["first"], r["second"])
    assert r["keyframesAfter"] >= r["keyframesBefore"] + 2, r
    session = next(s for s in server.status()["sessions"] if s["id"] == r["session"])
    steps = [s["step"] for s in session["steps"]]
    assert "trickle" in steps and "ice-restart" in steps, steps
    check_keyframes(server, source, shifted, r["keyframesAfter"], session=r["session"])


def run_restart(a, server, source, shifted, workdir):
    """Chromium restarts ICE on a live call from serve's page (restart_page.mjs): a pair of
    the new generation, the same DTLS, and JPEGs from after the restart judged."""
    node = shutil.which("node")
    assert node, "node is required"
    cmd = [node, os.path.join(HERE, "restart_page.mjs"), "--url", server.base + "/?autostart=1",
           "--y4m", source, "--timeout-ms", str(a.timeout * 1000)]
    r = run_driver(cmd, a.timeout, server)
    log(f"transport before {r['before']}, after the restart {r['after']}")
    assert r["after"]["ufrag"] != r["before"]["ufrag"] and r["after"]["dtls"] == "connected", r
    session = server.status()["sessions"][0]
    steps = [s["step"] for s in session["steps"]]
    assert "reoffer" in steps and steps.count("dtls-connected") == 1, steps
    # Judged: every JPEG, the ones saved after the restart among them.
    check_keyframes(server, source, shifted, r["keyframesAfter"], session=session["id"])


def run_firefox(a, server, workdir):
    node = shutil.which("node")
    assert node, "node is required"
    grabs = os.path.join(workdir, "preview")
    cmd = [node, os.path.join(HERE, "firefox.mjs"), "--url", server.base + "/", "--keyframes", "2",
           "--snapshot", "--timeout-ms", str(a.timeout * 1000), "--preview-dir", grabs,
           "--screenshot", os.path.join(workdir, "page.png")]
    result = run_driver(cmd, a.timeout, server)
    log(f"firefox saw {result['keyframes']} keyframes, sent {result['sent']}, "
        f"{result['grabs']} preview grabs; journey on the page: {result['journey']}")
    assert "a=bundle-only" in result["offer"], "Firefox's offer was not max-bundle"
    sent = result["sent"][0]
    status = server.status()
    session = status["sessions"][0]
    frames = status["keyframes"]
    assert len(frames) >= 2, f"{len(frames)} keyframes saved, wanted 2: {status}"
    times = sorted(int(f[:-4]) for f in os.listdir(grabs))
    previews = rgb_frames(os.path.join(grabs, "*.png"), sent["width"], sent["height"])
    assert len(previews) == len(times), "could not decode every preview grab"
    for k in frames:
        assert (k["width"], k["height"]) == (sent["width"], sent["height"]), \
            f"{k['file']} is {k['width']}x{k['height']}, Firefox sent {sent['width']}x{sent['height']}"
        jpeg = rgb_frames([os.path.join(server.output, k["file"])], k["width"], k["height"])[0]
        scores = [psnr_rgb(jpeg, p) for p in previews]
        best = max(range(len(scores)), key=lambda i: scores[i])
        far = [scores[i] for i in range(len(times)) if abs(times[i] - times[best]) >= 1500]
        assert far, "the preview grabs do not span 1.5 s around the keyframe"
        log(f"{k['file']}: {k['width']}x{k['height']}, PSNR {scores[best]:.2f} dB against the "
            f"preview at {times[best]} ms (1.5 s away: at best {max(far):.2f} dB)")
        assert scores[best] >= MIN_PSNR, f"{k['file']}: PSNR {scores[best]:.2f} dB < {MIN_PSNR}"
        assert scores[best] - max(far) >= MIN_MARGIN, \
            f"{k['file']}: a preview 1.5 s away scores only {scores[best] - max(far):.2f} dB lower"
    check_journey(session, snapshot=True)
    check_transport(a, session)


def run_gstreamer(a, server, source, shifted, workdir):
    cmd = ["/usr/bin/python3", os.path.join(HERE, "gst_whip.py"), "--url", server.base + "/whip",
           "--y4m", source, "--status", server.base + "/api/status", "--keyframes", "1",
           "--timeout", str(a.timeout), "--shape", a.shape, "--codec", a.codec,
           "--offer-out", os.path.join(workdir, "offer.sdp")]
    run_client(cmd, a.timeout, server, "gstreamer")
    with open(os.path.join(workdir, "offer.sdp")) as f:
        offer = f.read()
    codec_name = {"vp8": "VP8", "h264": "H264"}[a.codec]
    assert re.search(rf"a=rtpmap:\d+ {codec_name}/90000", offer), f"webrtcbin did not offer {codec_name}"
    sections = offer.count("\nm=video ")
    assert sections == (2 if a.shape == "transceiver" else 1), f"{sections} video sections offered"
    if a.shape == "transceiver":
        assert "a=bundle-only" in offer, "webrtcbin's second section was not bundle-only"
    check_keyframes(server, source, shifted, 1)
    session = server.status()["sessions"][0]
    assert session["state"] == "closed", f"DELETE did not close the session: {session['state']}"
    received = [t["codec"] for t in session["tracks"] if t["kind"] == "video" and t["packets"]]
    assert received and all(c == codec_name for c in received), \
        f"tracks received as {received}, wanted {codec_name}"
    check_journey(session, snapshot=False)
    check_transport(a, session)


def run_example(a, workdir):
    node = shutil.which("node")
    assert node, "node is required"
    source = os.path.join(workdir, "source.y4m")
    udp = f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}"
    cmd = [node, os.path.join(HERE, "example_peer.mjs"), "--example", os.path.abspath(a.example),
           "--udp", udp, "--y4m", source, "--timeout-ms", str(a.timeout * 1000)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=a.timeout + 90)
    result = json.loads((proc.stdout.strip().splitlines() or ["{}"])[-1])
    log(f"example: {result.get('journal')}, keyframes {result.get('keyframes')}, "
        f"{result.get('frames')} frames, exit {result.get('exit')}")
    assert result.get("ok"), f"example: {result.get('error')}\n{proc.stderr[-2000:]}\n{result.get('logs')}"
    assert result["answerEndsWithOneCrlf"], "the answer on stdout does not end in exactly one CRLF"
    assert all(k.endswith("640x480") for k in result["keyframes"]), result["keyframes"]


def run_renegotiate(a, workdir):
    """Chromium adds a track to a live connection with boltrtc answering, then stops it
    (reneg_chromium.mjs checks the frames and the stats)."""
    node = shutil.which("node")
    assert node, "node is required"
    udp = f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}"
    cmd = [node, os.path.join(HERE, "reneg_chromium.mjs"), "--peer", os.path.abspath(a.peer),
           "--udp", udp, "--y4m", os.path.join(workdir, "source.y4m"),
           "--timeout-ms", str(a.timeout * 1000)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=a.timeout * 3 + 90)
    result = json.loads((proc.stdout.strip().splitlines() or ["{}"])[-1])
    log(f"renegotiate: {json.dumps({k: v for k, v in result.items() if k != 'logs'})}")
    assert result.get("ok"), f"renegotiate: {result.get('error')}\n{proc.stderr[-2000:]}\n{result.get('logs')}"


def run_publish_cmd(a, url, media, seconds, server_tail, extra=()):
    """`boltrtc publish URL --source media` for `seconds` after connecting; returns its log."""
    cmd = [os.path.abspath(a.boltrtc), "publish", url, "--source", media, "--udp",
           "127.0.0.1:0", "--duration", str(seconds), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    out = (proc.stdout + proc.stderr).strip()
    log("publish: " + out.replace("\n", "\n[e2e]   "))
    assert proc.returncode == 0, f"boltrtc publish exited {proc.returncode}\n{server_tail()}"
    for line in ("ice-connected", "dtls-connected", "srtp-ready", "session ended (DELETE"):
        assert line in out, f"publish log lacks {line!r}"
    return out


def run_publish(a, server, source, shifted, workdir):
    """boltrtc publish (the offerer, controlling ICE, DTLS by the answer's setup) to boltrtc
    serve: the keyframes serve saves are the source's picture, and DELETE closed the session."""
    media = encode_source(source, a.codec, workdir)
    run_publish_cmd(a, server.base + "/whip", media, 4, server.tail)
    check_keyframes(server, source, shifted, 2, judge_from=0)
    session = server.status()["sessions"][0]
    assert session["transport"] == "whip", session
    assert session["state"] == "closed", f"DELETE did not close the session: {session['state']}"
    check_journey(session, False)


def run_publish_aiortc(a, server, source, shifted, workdir):
    """boltrtc publish to a WHIP server built on aiortc (tests/e2e/aiortc_whip_server.py):
    aiortc decodes what we send, and its 45th frame is the source's picture by PSNR."""
    run_publish_peer(a, source, shifted, workdir, "aiortc", "aiortc_whip_server.py")


def run_publish_gstreamer(a, server, source, shifted, workdir):
    """boltrtc publish to a WHIP server built on GStreamer's webrtcbin
    (tests/e2e/gst_whip_server.py): webrtcbin answers, decodebin decodes what we send, and its
    45th frame is the source's picture by PSNR."""
    run_publish_peer(a, source, shifted, workdir, "gstreamer", "gst_whip_server.py")


def run_publish_peer(a, source, shifted, workdir, name, script):
    """boltrtc publish to a WHIP server of another stack (script, whip_server_http.py's
    contract), which decodes the --save-at'th frame to frame.rgb; judged by PSNR against the
    source, with the shifted source as the control that must score lower."""
    import numpy
    media = encode_source(source, a.codec, workdir)
    port = free_port(socket.SOCK_STREAM)
    out_dir = os.path.join(workdir, name)
    os.makedirs(out_dir)
    log_path = os.path.join(workdir, name + ".log")
    with open(log_path, "w") as log_file:
        peer = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, script),
                                 "--port", str(port), "--out", out_dir, "--save-at", "45"],
                                stdout=subprocess.PIPE, stderr=log_file, text=True)
        try:
            ready, _, _ = select.select([peer.stdout], [], [], 30)
            assert ready and peer.stdout.readline().strip() == "ready", f"{name} server did not start"
            base = f"http://127.0.0.1:{port}"
            run_publish_cmd(a, base + "/whip", media, 4, lambda: open(log_path).read()[-3000:])
            state = json.loads(http_get(base + "/status")[1])
            log(f"{name}: {state}")
            assert state["deleted"] == 1, f"DELETE did not reach {name}: {state}"
            assert state["saved"], f"{name} decoded only {state['frames']} frames: {state}"
            if a.codec == "vp8" and name == "aiortc":
                # The test pattern's encoder follows aiortc's REMB: started at 3 Mbit/s, it is
                # set to the receiver's target, which aiortc's estimator keeps below that here.
                out = run_publish_cmd(a, base + "/whip", "testpattern", 6,
                                      lambda: open(log_path).read()[-3000:],
                                      ["--bitrate", "3000000"])
                rates = [int(r) for r in re.findall(r"encoder at (\d+) kbit/s", out)]
                log(f"the encoder followed aiortc's REMB: {rates} kbit/s")
                assert rates and min(rates) < 3000, f"the encoder never followed the REMB: {out}"
        finally:
            stop_process(peer, f"{name}'s WHIP server")
    with open(os.path.join(out_dir, "frame.json")) as f:
        meta = json.load(f)
    w, h = y4m_size(source)
    assert (meta["width"], meta["height"]) == (w, h), f"{name} decoded {meta}, the source is {w}x{h}"
    with open(os.path.join(out_dir, "frame.rgb"), "rb") as f:
        got = numpy.frombuffer(f.read(), dtype=numpy.uint8).reshape(h, w, 3)
    good = psnr_rgb(got, rgb_frames([source], w, h)[0])
    bad = psnr_rgb(got, rgb_frames([shifted], w, h)[0])
    log(f"{name}'s frame {meta['index']}: PSNR {good:.2f} dB (shifted source: {bad:.2f} dB)")
    assert good >= MIN_PSNR, f"PSNR {good:.2f} dB < {MIN_PSNR}"
    assert good - bad >= MIN_MARGIN, f"the shifted source is only {good - bad:.2f} dB lower"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("mode", choices=["browser", "whip", "firefox", "gstreamer", "example", "tracks",
                                     "page", "inspect", "datachannel", "whip-datachannel",
                                     "echo-datachannel",
                                     "whep", "echo", "publish", "publish-aiortc",
                                     "publish-gstreamer", "relay", "renegotiate",
                                     "whip-trickle", "restart"])
    ap.add_argument("--boltrtc", help="the boltrtc program (every mode but example)")
    ap.add_argument("--example", help="examples/receive_video's program (mode example)")
    ap.add_argument("--peer", help="e2e_reneg_peer (mode renegotiate)")
    ap.add_argument("--timeout", type=int, default=60, help="seconds to wait for keyframes")
    ap.add_argument("--artifacts", help="keep the pictures, logs and screenshot here")
    ap.add_argument("--dtls-role", choices=["active", "passive"],
                    help="the server's DTLS role toward an actpass offer")
    ap.add_argument("--expect-srtp", help="the SRTP profile the session must negotiate")
    ap.add_argument("--ipv6", action="store_true", help="media over [::1] only")
    ap.add_argument("--size", default="640x480",
                    help="the still source's size, WxH (even numbers: 4:2:0)")
    ap.add_argument("--reload", action="store_true",
                    help="browser: check the thumbnails' links and the gallery after a reload")
    ap.add_argument("--capture", action="store_true",
                    help="serve with --capture and check the pcaps and keylog with tshark")
    ap.add_argument("--hint-size", action="store_true",
                    help="browser: the page says its size (?resolution=WxH)")
    ap.add_argument("--messages", type=int, default=1000,
                    help="datachannel: messages to echo")
    ap.add_argument("--codec", choices=["vp8", "h264"], default="vp8",
                    help="whep and publish: the source file's codec; tracks, gstreamer: "
                         "the codec the publisher prefers")
    ap.add_argument("--tracks", type=int, choices=[1, 2], default=2,
                    help="tracks: video tracks in the offer")
    ap.add_argument("--keyframes", type=int, default=1,
                    help="tracks: keyframes of each track to judge")
    ap.add_argument("--loss", type=int, default=0,
                    help="tracks: percent of the datagrams to the server dropped (nftables)")
    ap.add_argument("--drop-dtls-finished", action="store_true",
                    help="tracks, whip: drop the publisher's first DTLS Finished flight (nftables)")
    ap.add_argument("--shape", choices=["pad", "transceiver"], default="pad",
                    help="gstreamer: one sink pad, or a transceiver plus a sink pad")
    a = ap.parse_args()
    enter_loopback_namespace()
    workdir = tempfile.mkdtemp(prefix=f"boltrtc-e2e-{a.mode}-")
    source = os.path.join(workdir, "source.y4m")
    shifted = os.path.join(workdir, "shifted.y4m")
    width, height = a.size.split("x")
    subprocess.run([sys.executable, os.path.join(HERE, "still_picture.py"), "--out", source,
                    "--shifted-out", shifted, "--shift", "4", "--width", width, "--height", height],
                   check=True, timeout=60)
    if a.mode in ("example", "renegotiate"):
        try:
            (run_example if a.mode == "example" else run_renegotiate)(a, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        log(f"{a.mode}: passed")
        return
    extra = ["--dtls-role", a.dtls_role] if a.dtls_role else []
    capture = os.path.join(workdir, "capture")
    if a.mode == "whep":
        extra += ["--source", encode_source(source, a.codec, workdir)]
    if a.mode in ("echo", "echo-datachannel"):
        extra += ["--echo"]
    if a.mode == "relay":
        extra += ["--turn-listen", f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}",
                  "--turn-secret", "e2e-relay-secret", "--turn-allow-peers", "127.0.0.0/8",
                  "--turn-relay-ports", f"{RELAY_PORTS[0]}-{RELAY_PORTS[1]}"]
    if a.mode in ("whip-trickle", "restart"):
        extra += ["--keyframe-interval", "1"]  # keyframes on after the restart
    if a.mode == "tracks" and a.loss:
        extra += ["--keyframe-interval", "1"]  # keyframes under loss: PLI once a second
    if a.capture:
        extra += ["--capture", capture, "--rate-interval", "1", "--keyframe-interval", "2",
                  "--log-level", "debug"]
    server = Server(os.path.abspath(a.boltrtc), workdir, extra, ipv6=a.ipv6)
    ok = False
    try:
        if a.mode == "firefox":
            run_firefox(a, server, workdir)
        else:
            run = {"browser": run_browser, "whip": run_whip, "gstreamer": run_gstreamer,
                   "tracks": run_tracks, "page": run_page, "inspect": run_inspect,
                   "datachannel": run_datachannel, "whip-datachannel": run_whip_datachannel,
                   "echo-datachannel": run_datachannel,
                   "whep": run_whep, "echo": run_whep, "publish": run_publish,
                   "publish-aiortc": run_publish_aiortc,
                   "publish-gstreamer": run_publish_gstreamer, "relay": run_relay,
                   "whip-trickle": run_whip_trickle, "restart": run_restart}[a.mode]
            run(a, server, source, shifted, workdir)
        if a.capture:
            session = server.status()["sessions"][0]
            server.stop()  # the session ends and its capture files are complete
            from capture_check import check_captures, check_terminal
            check_captures(capture, int(server.udp.rsplit(":", 1)[1]), session, log)
            with open(server.log_path) as f:
                check_terminal(f.read(), session, log)
            # --keyframe-interval 2: how many JPEGs depends on how long the browser stayed
            # (signal_keyframe_interval proves the count); here, said only.
            saved = len([f for f in os.listdir(server.output) if f.endswith(".jpg")])
            log(f"keyframe interval: {saved} JPEGs, {session['stats']['plis_sent']} PLIs")
        ok = True
    finally:
        server.stop()
        if a.artifacts:
            os.makedirs(a.artifacts, exist_ok=True)
            shutil.copy(server.log_path, os.path.join(a.artifacts, f"server-{a.mode}.log"))
            for extra in ("page.png", "inspect.png", "inspection.json", "preview"):  # the driver's screenshots, grabs
                src = os.path.join(workdir, extra)
                if os.path.isfile(src):
                    shutil.copy(src, os.path.join(a.artifacts, extra))
                elif os.path.isdir(src):
                    shutil.copytree(src, os.path.join(a.artifacts, extra), dirs_exist_ok=True)
            if os.path.isdir(server.output):
                for f in os.listdir(server.output):
                    shutil.copy(os.path.join(server.output, f), a.artifacts)
        if not ok:
            print(server.tail(80), file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    log(f"{a.mode}: passed")


if __name__ == "__main__":
    main()
