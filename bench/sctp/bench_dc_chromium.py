#!/usr/bin/env python3
"""Data channels between headless Chromium and `boltrtc serve`, beside Chromium and Chromium
(two RTCPeerConnections in the same page) in the same run: echo throughput of one ordered
reliable channel and the round trip of 64-byte messages (chromium_dc.mjs says how), the
median over --rounds rounds of each, alternating, and their ratio. The server's own CPU time
over the boltrtc rounds is read from /proc, for MB of echoed payload per server CPU second.

  bench_dc_chromium.py --boltrtc build/apps/boltrtc [--rounds 5] [--pings 500]
                       [--messages-1k 20000] [--messages-64k 1000]

Runs as root inside a fresh network namespace with only lo, like the end-to-end tests."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from e2e import Server, enter_loopback_namespace  # noqa: E402


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(server, size, messages, pings, rounds):
    node = shutil.which("node")
    cpu0 = cpu_seconds(server.proc.pid)
    out = subprocess.run([node, os.path.join(HERE, "chromium_dc.mjs"), "--url", server.base + "/",
                          "--size", str(size), "--messages", str(messages), "--pings", str(pings),
                          "--rounds", str(rounds)],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    cpu = cpu_seconds(server.proc.pid) - cpu0
    result = json.loads((out.stdout.strip().splitlines() or ["{}"])[-1])
    if not result.get("ok"):
        sys.exit(f"chromium_dc.mjs: {result.get('error')}\n{out.stderr[-2000:]}\n{server.tail()}")
    return result["rounds"], cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--boltrtc", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pings", type=int, default=500)
    ap.add_argument("--messages-1k", type=int, default=20000)
    ap.add_argument("--messages-64k", type=int, default=1000)
    a = ap.parse_args()
    enter_loopback_namespace()
    workdir = tempfile.mkdtemp(prefix="boltrtc-bench-dc-")
    server = Server(os.path.abspath(a.boltrtc), workdir, ["--log-level", "warn"])
    try:
        print(f"data channel echo with headless Chromium {chromium_version()}, one ordered "
              f"reliable channel, median of {a.rounds} rounds each")
        print(f"{'message':8} {'peer of Chromium':28} {'MB/s':>7} {'msgs/s':>8} {'ratio':>6} | "
              f"{'RTT med':>8} {'RTT p99':>8}")
        for size, n in ((1024, a.messages_1k), (65536, a.messages_64k)):
            rounds, server_cpu = run(server, size, n, a.pings, a.rounds)
            med = {}
            for kind in ("boltrtc", "chromium"):
                rs = [r for r in rounds if r["kind"] == kind]
                med[kind] = {k: statistics.median(r[k] for r in rs)
                             for k in ("mbps", "msgsPerS", "rttMedian", "rttP99")}
            base = med["chromium"]["mbps"]
            for kind, name in (("chromium", "Chromium (same page)"), ("boltrtc", "boltrtc serve")):
                m = med[kind]
                print(f"{size // 1024:>3} KiB   {name:28} {m['mbps']:7.1f} {m['msgsPerS']:8.0f} "
                      f"{m['mbps'] / base:6.2f} | {m['rttMedian']:6.2f}ms {m['rttP99']:6.2f}ms")
            echoed_mb = sum(r["size"] * n for r in rounds if r["kind"] == "boltrtc") / 1e6
            print(f"         boltrtc serve's CPU over the run: {server_cpu:.2f} s "
                  f"({echoed_mb / server_cpu if server_cpu else 0:.0f} MB echoed per CPU second, "
                  f"round trips included)")
            sys.stdout.flush()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def chromium_version():
    try:
        return subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True,
                              timeout=20).stdout.split()[1]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


if __name__ == "__main__":
    main()
