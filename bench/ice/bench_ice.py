#!/usr/bin/env python3
"""Time to connected between ICE agents over real UDP on loopback (docs/benchmarks.md, "ICE
time to connected"): ours against ours, against aioice (aiortc's agent) and against libnice
(GStreamer webrtcbin's), each way, and aioice against aioice and libnice against libnice as
the peers' own figures, measured in the same run.

A session is the one tests/ice/test_ice_peers.py runs (tests/ice/ice_peers.py): both agents
gather on one loopback address, exchange credentials and candidates with end-of-candidates,
start at the same moment; the time is from that start to the moment the second of the two
reports a nominated pair (ours: state connected; libnice: READY; aioice: connect() returned),
on this process's monotonic clock. The sessions of all combinations are interleaved round by
round, so that a busy spell of the machine falls on all of them alike.

  bench_ice.py BUILD_DIR [--runs 20] [--ipv6]
"""
import argparse
import asyncio
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "ice"))
import ice_peers  # noqa: E402

# The peers against themselves, measured in the same run, then ours with each.
COMBOS = [("aioice", "aioice"), ("libnice", "libnice")] + ice_peers.WITH_OURS


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


async def main(args):
    build = os.path.join(os.path.abspath(args.build), "tests", "ice")
    address = ["::1"] if args.ipv6 else ["127.0.0.1"]
    both = {c: [] for c in COMBOS}
    sides = {c: ([], []) for c in COMBOS}
    failures = {c: 0 for c in COMBOS}
    for _ in range(args.runs):
        for combo in COMBOS:
            try:
                ms, a, b = await ice_peers.session(combo[0], combo[1], build, addresses=address)
            except Exception as e:  # noqa: BLE001 - counted, reported
                failures[combo] += 1
                print("session %s -> %s failed: %s" % (combo[0], combo[1], e), file=sys.stderr)
                continue
            both[combo].append(ms)
            sides[combo][0].append(a.reported_ms)
            sides[combo][1].append(b.reported_ms)
    print("| controlling -> controlled | both connected, median ms | p10 - p90 ms "
          "| controlling's own, median ms | controlled's own, median ms | sessions |")
    print("|---|---:|---:|---:|---:|---:|")
    for combo in COMBOS:
        xs = both[combo]
        if not xs:
            print("| %s -> %s | failed | | | | 0/%d |" % (combo[0], combo[1], args.runs))
            continue
        print("| %s -> %s | %.1f | %.1f - %.1f | %.1f | %.1f | %d/%d |" % (
            combo[0], combo[1], statistics.median(xs), quantile(xs, 0.1), quantile(xs, 0.9),
            statistics.median(sides[combo][0]), statistics.median(sides[combo][1]),
            len(xs), args.runs))
    return 1 if any(failures.values()) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", help="the CMake build directory (ice_udp_peer and nice_udp_peer)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--ipv6", action="store_true", help="on ::1 instead of 127.0.0.1")
    args = parser.parse_args()
    ice_peers.in_loopback_namespace(sys.argv)
    sys.exit(asyncio.run(main(args)))
