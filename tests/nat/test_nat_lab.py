"""The NAT lab checks itself: each kind of NAT maps and filters the way the ICE tests built on
it assume, shown with a plain STUN probe before any boltrtc code is involved.

  - endpoint-independent NAT: one socket gets the same public address toward both servers;
  - symmetric NAT: a different public port toward each server;
  - unsolicited datagrams to a mapped address are dropped (filtering);
  - private networks cannot reach each other, and the public side cannot reach them;
  - hole punching (what ICE checks do) works between two endpoint-independent NATs with the
    addresses STUN gave, and fails when one side is symmetric: that case needs a relay.

Exits 77 (skipped, with the reason) where namespaces cannot be made.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nat_lab  # noqa: E402

PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stun_probe.py")
PY = "/usr/bin/python3"
check = nat_lab.Checks("test_nat_lab")


def probe(lab, host, port):
    servers = [f"{a}:3478" for a in nat_lab.SERVER_ADDRS]
    out = lab.exec(lab.ns(host), PY, PROBE, "probe", str(port), *servers).stdout
    maps = [line.split(" -> ")[1] for line in out.splitlines() if line.startswith("mapped")]
    return maps


def punch_pair(lab, a, a_port, a_peer, b, b_port, b_peer):
    pa = lab.popen(a, [PY, PROBE, "punch", str(a_port), a_peer, "3"], stdout=subprocess.PIPE,
                   text=True)
    pb = lab.popen(b, [PY, PROBE, "punch", str(b_port), b_peer, "3"], stdout=subprocess.PIPE,
                   text=True)
    out_a, _ = pa.communicate(timeout=15)
    out_b, _ = pb.communicate(timeout=15)
    return "got" in out_a and "got" in out_b


def main():
    if nat_lab.skip_reason("test_nat_lab"):
        return nat_lab.SKIP
    nats = [("eim", ["a1", "a2"]), ("symmetric", ["b1"]), ("eim", ["c1"])]
    with nat_lab.NatLab(nats) as lab:
        servers = [f"{a}:3478" for a in nat_lab.SERVER_ADDRS]
        stun = lab.popen("pub", [PY, PROBE, "serve", *servers], stdout=subprocess.PIPE, text=True)
        check(stun.stdout.readline().strip() == "ready", "STUN probe server up in pub")

        a1 = probe(lab, "a1", 40001)
        check(len(a1) == 2, f"a1 (behind eim) answered by both servers: {a1}")
        check(len(set(a1)) == 1 and a1[0].startswith(lab.wan_addr["nat1"] + ":"),
              f"eim: the same mapping toward both servers: {a1}")
        b1 = probe(lab, "b1", 40002)
        check(len(b1) == 2, f"b1 (behind symmetric) answered by both servers: {b1}")
        check(len(set(b1)) == 2 and all(m.startswith(lab.wan_addr["nat2"] + ":") for m in b1),
              f"symmetric: a different mapping toward each server: {b1}")
        c1 = probe(lab, "c1", 40003)
        check(len(c1) == 1 or len(set(c1)) == 1, f"c1 (behind eim) one mapping: {c1}")

        # Filtering and isolation: nobody outside reaches a LAN unasked.
        r = lab.exec(lab.ns("c1"), PY, PROBE, "probe", "0",
                     f"{lab.addrs['a1']}:3478", check=False)
        check("mapped" not in r.stdout, "c1 cannot reach a1's private address")
        r = lab.exec(lab.ns("pub"), PY, PROBE, "probe", "0", f"{lab.addrs['a1']}:3478",
                     check=False)
        check("mapped" not in r.stdout, "the public side cannot reach a private address")

        matrix = []
        same_lan = punch_pair(lab, "a1", 40011, f"{lab.addrs['a2']}:40012",
                              "a2", 40012, f"{lab.addrs['a1']}:40011")
        check(same_lan, "same LAN: host addresses reach each other")
        matrix.append(("a1 (eim LAN) <-> a2 (same LAN)", "host", same_lan))

        eim_eim = punch_pair(lab, "a1", 40001, c1[0], "c1", 40003, a1[0])
        check(eim_eim, "eim <-> eim: hole punching with the STUN-mapped addresses works")
        matrix.append(("a1 (eim) <-> c1 (eim)", "server-reflexive", eim_eim))

        sym_eim = punch_pair(lab, "b1", 40002, c1[0], "c1", 40003, b1[0])
        check(not sym_eim, "symmetric <-> eim: the STUN-mapped address does not get through")
        matrix.append(("b1 (symmetric) <-> c1 (eim)", "needs a relay", not sym_eim))

        print("\nNAT lab matrix (a direct path with STUN-learnt addresses):")
        for pair, expect, ok in matrix:
            print(f"  {pair:34} {expect:17} {'as expected' if ok else 'NOT as expected'}")
        stun.kill()
        stun.wait(timeout=5)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
