#!/usr/bin/env python3
"""Our ICE agent against real ones over real UDP on loopback, in a network namespace with only
lo: aioice (aiortc's agent) and libnice (GStreamer webrtcbin's), each way round, and two of
ours. Each session must connect, agree on the pair and carry a datagram both ways; its time
to connected is printed.

  test_ice_peers.py BUILD_DIR_OF_TESTS_ICE
"""
import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ice_peers  # noqa: E402



async def main(build):
    failures = 0
    have_nice = os.path.exists(os.path.join(build, "nice_udp_peer"))
    for addresses in (["127.0.0.1"], ["::1"]):
        for controlling, controlled in ice_peers.WITH_OURS:
            if "libnice" in (controlling, controlled) and not have_nice:
                print("skip %s -> %s: nice_udp_peer not built (libnice-dev missing)" % (controlling, controlled))
                continue
            what = "%s (controlling) -> %s (controlled) on %s" % (controlling, controlled, addresses[0])
            try:
                ms, a, b = await ice_peers.session(controlling, controlled, build, addresses=addresses)
                # The time is for reading; bench/ice measures it (timed tests are flaky).
                print("ok   %-60s %7.2f ms  (%s %s, %s %s)" % (what, ms, a.name, a.selected, b.name, b.selected))
            except Exception as e:  # noqa: BLE001 - any failure is the test's
                failures += 1
                print("FAIL %s: %s: %s" % (what, type(e).__name__, e))
    return failures


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    ice_peers.in_loopback_namespace(sys.argv)
    sys.exit(1 if asyncio.run(main(os.path.abspath(sys.argv[1]))) else 0)
