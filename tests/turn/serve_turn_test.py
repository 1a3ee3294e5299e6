#!/usr/bin/env python3
"""`boltrtc serve` with its own TURN server (--turn-listen, --turn-listen-tls) on its loop:

  - a member joining a room is handed the server's own turn: URLs (UDP, TCP and turns: over
    TLS, the ports serve bound) with time-limited credentials from --turn-secret;
  - those credentials allocate on serve's own TURN port, over UDP and over TLS: our TURN
    client (turn_probe) allocates, relays both ways through a permission and a channel, and
    deletes; and coturn's turnutils_uclient relays through it over TCP when coturn is there;
  - a wrong password is refused there, and serve keeps its HTTP side while the TURN side works.

Python standard library only; every wait is bounded; the server is stopped by its pid.
Usage: serve_turn_test.py BOLTRTC TURN_PROBE"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "signal"))
import http_test  # noqa: E402
from http_test import Server, WebSocket, check  # noqa: E402

SECRET = "serve-turn-secret"


def probe(binary, args, what):
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"{what}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p.stdout


def main():
    boltrtc, turn_probe = sys.argv[1], sys.argv[2]
    workdir = tempfile.mkdtemp(prefix="boltrtc-serve-turn-")
    base = 30000 + os.getpid() % 20000
    try:
        with Server(boltrtc, workdir, "--turn-listen", "127.0.0.1:0",
                    "--turn-listen-tls", "127.0.0.1:0", "--turn-secret", SECRET,
                    "--turn-relay-ports", f"{base}-{base + 199}",
                    "--turn-allow-peers", "127.0.0.0/8") as srv:
            ws = WebSocket(srv.port, "/ws?room=car1")
            check(ws.status == 101, f"member upgraded: {ws.status}")
            joined = ws.recv()
            turn = [s for s in joined["iceServers"] if "username" in s]
            check(len(turn) == 1, f"one TURN entry: {joined}")
            urls, user, cred = turn[0]["urls"], turn[0]["username"], turn[0]["credential"]
            udp = [u for u in urls if re.fullmatch(r"turn:127\.0\.0\.1:\d+\?transport=udp", u)]
            tcp = [u for u in urls if re.fullmatch(r"turn:127\.0\.0\.1:\d+\?transport=tcp", u)]
            tls = [u for u in urls if re.fullmatch(r"turns:127\.0\.0\.1:\d+\?transport=tcp", u)]
            check(len(udp) == 1 and len(tcp) == 1 and len(tls) == 1,
                  f"serve's own TURN URLs handed (udp, tcp, turns): {urls}")
            port = udp[0].split(":")[2].split("?")[0]
            tls_port = tls[0].split(":")[2].split("?")[0]
            check(port != "0" and tls_port != "0", f"bound ports, not 0: {urls}")
            check(user.endswith(":car1"), f"the room's time-limited username: {user}")

            out = probe(turn_probe, [f"127.0.0.1:{port}", user, cred], "our client over UDP")
            check("ok delete" in out, f"allocated, relayed and deleted over UDP: {out}")
            out = probe(turn_probe, ["--tls", f"127.0.0.1:{tls_port}", user, cred],
                        "our client over TLS")
            check("ok channel data reaches the client" in out, f"relayed over TLS: {out}")
            bad = subprocess.run([turn_probe, f"127.0.0.1:{port}", user, cred[:-2] + "xx"],
                                 capture_output=True, text=True, timeout=60)
            check(bad.returncode != 0 and "failed with 401" in bad.stderr,
                  f"a wrong credential refused: {bad.returncode} {bad.stderr}")
            if shutil.which("turnutils_uclient"):
                u = subprocess.run(["turnutils_uclient", "-t", "-y", "-n", "10", "-m", "1", "-l",
                                    "200", "-u", user, "-w", cred, "-p", port, "-e", "127.0.0.1",
                                    "127.0.0.1"], capture_output=True, text=True, timeout=60)
                check(u.returncode == 0 and "Total lost packets 0 (0.000000%)" in u.stdout + u.stderr,
                      f"turnutils_uclient over TCP through serve's TURN: {u.stdout[-600:]}")
            else:
                print("serve_turn_test: coturn's turnutils_uclient is not installed: that part "
                      "was not run")
            check(srv.status()["sessions"] == [], "the HTTP side still answers")
            ws.close()
            code = srv.stop()
            check(code == 0, f"SIGTERM: exit {code}")
            with open(srv.log_path) as f:
                log = f.read()
            check("turn: on udp and tcp 127.0.0.1:" in log, "serve logs where its TURN listens")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"serve_turn_test: {http_test.PASSED} checks passed")


if __name__ == "__main__":
    main()
