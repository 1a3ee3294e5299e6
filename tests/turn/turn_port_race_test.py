#!/usr/bin/env python3
"""`boltrtc turn --listen ADDR:0` picks a port that UDP and TCP can both have.

TURN over TCP listens on the UDP socket's port number (RFC 8656 section 3.1 puts both on one
port), so when the kernel hands the UDP socket a number some TCP socket already holds, the
server must pick again (turn_endpoint.c open_listener). This test makes that happen every
time: in its own network namespace the ephemeral range is two ports, and a TCP listener holds
one of them.

  - with one of the two free for both, each of 10 starts binds the free one (without the
    retry, about half would fail on TCP's bind: the chance of passing by luck is 1 in 1,024);
  - with UDP holding the other, the server refuses to start with one line naming the cause.

Needs root and unshare(1) (exit 77 to skip otherwise). Every wait is bounded; each server is
stopped by its pid."""
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from e2e import enter_loopback_namespace  # noqa: E402

LOW, HIGH = 40000, 40001


def start(boltrtc):
    """The first line `boltrtc turn` prints, and its exit code if it stopped by itself."""
    p = subprocess.Popen([boltrtc, "turn", "--listen", "127.0.0.1:0", "--user", "u:p",
                          "--relay-ports", "50000-50009"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = p.stdout.readline().strip()
        rc = None
        if not first.startswith("boltrtc turn on "):
            try:
                rc = p.wait(timeout=10)  # a refusal: the server is on its way out
            except subprocess.TimeoutExpired:
                pass
        if rc is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        return first, rc
    finally:
        p.stdout.close()


def main():
    enter_loopback_namespace(skip_code=77)
    boltrtc = sys.argv[1]
    with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as f:
        f.write(f"{LOW} {HIGH}\n")
    failures = 0

    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", LOW))
    tcp.listen(1)
    for i in range(10):
        line, rc = start(boltrtc)
        if line != f"boltrtc turn on udp and tcp 127.0.0.1:{HIGH}":
            print(f"FAIL start {i}: expected port {HIGH}, got {line!r} (exit {rc})")
            failures += 1
    print(f"10 starts with TCP holding {LOW}: {10 - failures} bound {HIGH}")

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", HIGH))
    line, rc = start(boltrtc)
    if rc == 0 or rc is None or "no port free for both UDP and TCP" not in line:
        print(f"FAIL: with no port free for both, expected a refusal, got {line!r} (exit {rc})")
        failures += 1
    else:
        print(f"no port free: refused with {line!r}")
    udp.close()
    tcp.close()
    print("FAIL" if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
