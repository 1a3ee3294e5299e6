#!/usr/bin/env python3
"""mDNS (.local) ICE candidates with a real browser: Chromium, asked for no camera, hides
its host addresses behind .local names (draft-ietf-mmusic-mdns-ice-candidates) and opens a
data channel to `boltrtc serve` in a loopback-only namespace where lo carries multicast (a
route for 224.0.0.0/4), so Chromium's own mDNS responder answers serve's query.

  mdns_e2e.py --boltrtc PATH [--artifacts DIR]

It asserts that Chromium signalled .local host candidates only; that serve's log says it
asked for the name and resolved it; that serve's selected pair's remote candidate is a host
candidate (the resolved one), not peer-reflexive, at the address the name resolved to; and
that the channel's messages came back. The page also trickles a .local candidate nobody
answers: serve must give it up after 3 s with a log line while the session goes on."""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import HERE, Server, end_server, enter_loopback_namespace, log, run_driver

DUMMY_IP = "10.77.0.1"


def listen_answers():
    """A socket beside serve's on 5353 that keeps the mDNS responses it hears (--keep-answers:
    the unit test's fixture of a real answer)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("", 5353))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 socket.inet_aton("224.0.0.251") + socket.inet_aton("0.0.0.0"))
    s.settimeout(0.2)
    kept, stop = [], threading.Event()

    def run():
        while not stop.is_set():
            try:
                data = s.recv(9000)
            except OSError:
                continue
            if len(data) > 12 and data[2] & 0x80:  # QR: a response
                kept.append(data)
    t = threading.Thread(target=run, daemon=True)
    t.start()

    def done():
        stop.set()
        t.join(timeout=2)
        s.close()
        return kept
    return done


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--boltrtc", required=True)
    ap.add_argument("--timeout", type=int, default=30)
    ap.add_argument("--artifacts")
    ap.add_argument("--keep-answers", help="write the mDNS responses heard here, in hex")
    a = ap.parse_args()
    enter_loopback_namespace()
    # Chromium hides no loopback address, so the namespace gets an interface of its own: one
    # end of a veth pair whose other end stays here too (it reaches nowhere), with multicast:
    # RFC 6762's group reaches the responders on this host through it.
    for cmd in (["ip", "link", "add", "brtc0", "type", "veth", "peer", "name", "brtc1"],
                ["ip", "addr", "add", f"{DUMMY_IP}/24", "dev", "brtc0"],
                ["ip", "link", "set", "brtc1", "up"],
                ["ip", "link", "set", "brtc0", "multicast", "on", "up"],
                ["ip", "route", "add", "224.0.0.0/4", "dev", "brtc0"],
                # Without camera permission Chromium gathers on the default route's
                # interface only: make it this one.
                ["ip", "route", "add", "default", "dev", "brtc0"]):
        subprocess.run(cmd, check=True, timeout=10)
    workdir = tempfile.mkdtemp(prefix="boltrtc-e2e-mdns-")
    # Media on that interface only: Chromium's checks then come from the address its name
    # stands for (it sends from a wildcard socket, so the source follows the route).
    server = Server(os.path.abspath(a.boltrtc), workdir, udp_ip=DUMMY_IP)
    answers = listen_answers() if a.keep_answers else None
    ok = False
    try:
        node = shutil.which("node")
        assert node, "node is required"
        unknown = f"{uuid.uuid4()}.local"
        result = run_driver([node, os.path.join(HERE, "mdns_chromium.mjs"), "--url",
                             server.base + "/", "--timeout-ms", str(a.timeout * 1000),
                             "--unknown-name", unknown, "--hold-ms", "4000"],
                            a.timeout, server)
        hosts = [c for c in result["gathered"] if " typ host" in c and " udp " in c.lower()]
        log(f"Chromium gathered: {result['gathered']}")
        names = set(re.findall(r" ([0-9a-f-]+\.local) \d+ typ host", " ".join(hosts)))
        assert hosts and len(names) >= 1 and all(".local " in c for c in hosts), \
            f"Chromium signalled no .local host candidate: {result['gathered']}"
        text = server.tail(100000)
        resolved = dict(re.findall(r"mDNS: (\S+\.local) is (\S+) \(answered", text))
        log(f"serve resolved: {resolved}")
        assert names & set(resolved), f"serve's log says none of {names} was resolved"
        name = next(iter(names & set(resolved)))
        assert f"ICE: mDNS candidate {name} resolved to {resolved[name]}" in text, \
            "the session's log does not say the candidate was resolved"
        session = server.status()["sessions"][0]
        detail = next(s["detail"] for s in session["steps"] if s["step"] == "ice-connected")
        log(f"serve's ice-connected: {detail}")
        # Resolved before Chromium's first check came, the pair's remote is the host candidate
        # the name stands for; when the check won the race (a loaded machine), the agent met
        # the address first as peer-reflexive (RFC 8445 7.3.1.3) and the name then resolved
        # to that same address: still proof, by the address below.
        check_at = text.find(" ice-check from ")
        resolved_at = text.find(f"ICE: mDNS candidate {name} resolved to")
        if check_at < 0 or resolved_at < check_at:
            assert "a host remote candidate" in detail, f"not the resolved host candidate: {detail}"
        else:
            log("Chromium's first check came before the name resolved: peer-reflexive first")
        assert f"nominated {resolved[name]}:" in detail, f"not at {resolved[name]}: {detail}"
        # The name nobody answers: given up after 3 s with a log line, and the session went on.
        assert f"mDNS: {unknown} not answered in 3 s: its candidates are dropped" in text, \
            "serve did not give the unanswered name up"
        assert f"ICE: mDNS candidate {unknown} not resolved: dropped" in text, \
            "the session did not drop the unanswered candidate"
        assert session["state"] != "failed" and len(result["back"]) == 20, session["state"]
        log(f"{unknown}: given up after 3 s and dropped; the channel echoed all 20 messages")
        ok = True
    finally:
        if answers:
            with open(a.keep_answers, "w") as f:
                f.writelines(d.hex() + "\n" for d in answers())
        end_server(server, ok, a.artifacts, "mdns", workdir)
    log("mdns: passed")


if __name__ == "__main__":
    main()
