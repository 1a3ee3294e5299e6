#!/usr/bin/env python3
"""ICE-TCP (RFC 6544) with a real browser: Chromium publishes its fake camera to
`boltrtc serve --ice-tcp` in a loopback-only namespace.

  ice_tcp_e2e.py --boltrtc PATH [--rounds N] [--artifacts DIR]

Each round runs two sessions one after the other, on the same server:
  - tcp: nftables drops every UDP datagram on lo, so the only way in is the passive TCP
    candidate; the session's selected peer must be a connection serve's ICE-TCP answered a
    check on (its log says so), and its JPEG must match the source by PSNR while the
    shifted source (the control) scores at least 3 dB lower;
  - udp: the table is gone; the same page must select a UDP pair (its selected peer is no
    ICE-TCP connection), though Chromium still opens the TCP connection it is offered.
From each session's journey it takes the time from serve's answer to ice-connected and to
dtls-connected, and from the first check to dtls-connected (what the transport itself costs),
and prints the medians of both kinds side by side (docs/benchmarks.md)."""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import (HERE, MIN_MARGIN, MIN_PSNR, Server, end_server, enter_loopback_namespace,
                 free_port, log, psnr, run_driver)

NFT_TABLE = "brtc_no_udp"


def block_udp(on):
    if on:
        rules = (f"table inet {NFT_TABLE} {{\n chain input {{\n type filter hook input priority 0;\n"
                 f" iifname \"lo\" meta l4proto udp counter drop\n }}\n}}\n")
        subprocess.run(["nft", "-f", "-"], input=rules, text=True, check=True, timeout=10)
    else:
        subprocess.run(["nft", "delete", "table", "inet", NFT_TABLE], check=False, timeout=10,
                       stderr=subprocess.DEVNULL)  # absent after a UDP session: fine


def udp_dropped():
    out = subprocess.run(["nft", "list", "table", "inet", NFT_TABLE], capture_output=True,
                         text=True, timeout=10).stdout
    m = re.search(r"counter packets (\d+)", out)
    return int(m.group(1)) if m else 0


def tcp_peers(server):
    """The peers whose check serve answered over ICE-TCP, from its log."""
    return set(re.findall(r"ICE-TCP: check from (\S+) answered", server.tail(100000)))


def step_ms(session, name):
    return next((s["t_ms"] for s in session["steps"] if s["step"] == name), None)


def one_session(a, server, source, shifted, kind, seen):
    node = shutil.which("node")
    assert node, "node is required"
    block_udp(kind == "tcp")
    try:
        cmd = [node, os.path.join(HERE, "browser.mjs"), "--url", server.base + "/", "--y4m", source,
               "--keyframes", "1", "--timeout-ms", str(a.timeout * 1000)]
        run_driver(cmd, a.timeout, server)
        dropped = udp_dropped() if kind == "tcp" else 0
    finally:
        block_udp(False)
    status = server.status()
    new = [s for s in status["sessions"] if s["id"] not in seen]
    assert len(new) == 1, f"expected one new session, got {[s['id'] for s in new]}"
    session = new[0]
    seen.add(session["id"])
    answer_step = next(s["detail"] for s in session["steps"] if s["step"] == "answer")
    assert "and 1 ICE-TCP passive" in answer_step, f"the answer offered no TCP: {answer_step}"
    remote = session["stats"]["selected_remote"]
    over_tcp = remote in tcp_peers(server)
    log(f"{kind}: session {session['id']} selected {remote} "
        f"({'an ICE-TCP connection' if over_tcp else 'UDP'}); nftables dropped {dropped} datagrams")
    if kind == "tcp":
        assert dropped > 0, "nftables dropped no UDP: the test did not block anything"
        assert over_tcp, f"UDP was blocked but the selected peer {remote} is no ICE-TCP peer"
    else:
        assert not over_tcp, f"UDP was open but {remote} is an ICE-TCP connection"
    frames = [k for k in status["keyframes"] if k["session"] == session["id"]]
    assert frames, f"no keyframe saved for {kind}"
    path = os.path.join(server.output, frames[0]["file"])
    good, bad = psnr(path, source), psnr(path, shifted)
    log(f"{kind}: {frames[0]['file']} PSNR {good:.2f} dB, shifted source (control) {bad:.2f} dB")
    assert good >= MIN_PSNR, f"{kind}: PSNR {good:.2f} dB < {MIN_PSNR}"
    assert good - bad >= MIN_MARGIN, f"{kind}: the control only {good - bad:.2f} dB lower"
    answer, check = step_ms(session, "answer"), step_ms(session, "ice-check")
    ice, dtls = step_ms(session, "ice-connected"), step_ms(session, "dtls-connected")
    assert None not in (answer, check, ice, dtls), [s["step"] for s in session["steps"]]
    return ice - answer, dtls - answer, dtls - check


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--boltrtc", required=True)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--artifacts")
    a = ap.parse_args()
    enter_loopback_namespace()
    if shutil.which("nft") is None:
        sys.exit("nft (nftables) is required")
    workdir = tempfile.mkdtemp(prefix="boltrtc-e2e-ice-tcp-")
    source, shifted = os.path.join(workdir, "source.y4m"), os.path.join(workdir, "shifted.y4m")
    subprocess.run([sys.executable, os.path.join(HERE, "still_picture.py"), "--out", source,
                    "--shifted-out", shifted, "--shift", "4", "--width", "640", "--height", "480"],
                   check=True, timeout=60)
    ice_tcp = f"127.0.0.1:{free_port(socket.SOCK_STREAM)}"
    server = Server(os.path.abspath(a.boltrtc), workdir, ["--ice-tcp", ice_tcp])
    times = {"tcp": [], "udp": []}
    ok = False
    try:
        seen = set()
        for r in range(a.rounds):
            for kind in ("tcp", "udp"):
                times[kind].append(one_session(a, server, source, shifted, kind, seen))
        for kind in ("tcp", "udp"):
            ice, dtls, own = (statistics.median(t[k] for t in times[kind]) for k in range(3))
            log(f"connection time over {kind.upper()}, median of {a.rounds}: answer to "
                f"ice-connected {ice:.1f} ms, to dtls-connected {dtls:.1f} ms; first check to "
                f"dtls-connected {own:.1f} ms (each: {times[kind]})")
        ok = True
    finally:
        end_server(server, ok, a.artifacts, "ice-tcp", workdir)
    log("ice-tcp: passed")


if __name__ == "__main__":
    main()
