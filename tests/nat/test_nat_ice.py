#!/usr/bin/env python3
"""ICE across real Linux NATs (nat_lab.py): two boltrtc peers (nat_peer, the public API on a
brtc_loop) behind NATs made of namespaces and nftables, `boltrtc turn` as the STUN and TURN
server on the public side, offer, answer and trickled candidates carried by this script.

  a1 (eim) <-> c1 (eim)          connected directly, server-reflexive to server-reflexive:
                                 each names the other NAT's WAN address, no relay
  b1 (symmetric) <-> c1 (eim)    the pair goes through the relay
  a1 <-> c1, --relay-only        the relay policy: through the relay although a direct path
                                 exists

Each case: ICE connects on both sides, the data channel opens and 100 messages of 1000 bytes
come back echoed. It prints the matrix with the time from the offer to ICE connected.
  test_nat_ice.py NAT_PEER BOLTRTC [--rounds N] [--with-aiortc] [--with-pion]
N rounds per case: the benchmark; the same cases aiortc to aiortc (bench/ice/aiortc_nat_peer.py)
and Pion to Pion (bench/ice/pion/.../natpeer, built here from Debian's Pion sources) in the
same run, the peers measured beside us.
Exits 77 (skipped, with the reason) where namespaces cannot be made."""
import atexit
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nat_lab  # noqa: E402

SERVER = nat_lab.SERVER_ADDRS[0]
check = nat_lab.Checks("test_nat_ice")


BENCH_ICE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "ice")
AIORTC_PEER = os.path.join(BENCH_ICE, "aiortc_nat_peer.py")


def run_case(lab, peer_bin, offerer, answerer, relay_only, port):
    """peer_bin: nat_peer, or "aiortc" for bench/ice/aiortc_nat_peer.py."""
    if peer_bin == "aiortc":
        peer_bin = AIORTC_PEER
    servers = ["--ice-server", f"stun:{SERVER}:3478",
               "--ice-server", f"turn:{SERVER}:3478?transport=udp"]
    extra = ["--relay-only"] if relay_only else []
    procs = {}
    for role, host in (("offer", offerer), ("answer", answerer)):
        procs[role] = lab.popen(host, [peer_bin, role, f"{lab.addrs[host]}:{port}", *servers,
                                       *(extra if role == "offer" else []), "--seconds", "20"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=None if os.environ.get("NAT_DEBUG") else subprocess.DEVNULL,
                                text=True, bufsize=1)
    other = {"offer": "answer", "answer": "offer"}
    got = {"offer": {}, "answer": {}}
    deadline = time.monotonic() + 30
    bufs = {r: "" for r in procs}
    while time.monotonic() < deadline and \
            ("echoed" not in got["offer"] or "connected" not in got["offer"]) and \
            "failed" not in got["offer"] and "failed" not in got["answer"]:
        fds = [p.stdout for p in procs.values() if p.stdout is not None]
        if not fds:
            break
        ready, _, _ = select.select(fds, [], [], 1.0)
        lines = []
        for f in ready:  # raw reads: a buffered readline would hide lines from select
            role = next(r for r, p in procs.items() if p.stdout is f)
            chunk = os.read(f.fileno(), 1 << 16).decode()
            if not chunk:
                procs[role].stdout = None
                continue
            bufs[role] += chunk
            while "\n" in bufs[role]:
                line, bufs[role] = bufs[role].split("\n", 1)
                lines.append((role, line))
        for role, line in lines:
            kind = line.split(" ", 1)[0]
            if kind in ("offer", "answer", "cand"):
                try:  # signaling: to the other peer, as it came
                    procs[other[role]].stdin.write(line + "\n")
                    procs[other[role]].stdin.flush()
                except BrokenPipeError:
                    pass
                if kind == "cand":
                    got[role].setdefault("cands", []).append(line[5:])
                else:
                    got[role][kind] = line[len(kind) + 1:]
            else:
                got[role][kind] = line[len(kind) + 1:]
    for p in procs.values():
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
    for p in procs.values():
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
    return got


def summary(g):
    return {k: (v if k != "cands" else len(v)) for k, v in g.items()
            if k not in ("offer", "answer")}


def describe(got, role):
    c = got[role].get("connected", "")
    return c.split(" ", 1) if c else ["-", "not connected"]


def main():
    peer_bin, boltrtc = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 1
    if nat_lab.skip_reason("test_nat_ice"):
        return nat_lab.SKIP
    nats = [("eim", ["a1"]), ("symmetric", ["b1"]), ("eim", ["c1"])]
    with nat_lab.NatLab(nats) as lab:
        turn = lab.popen("pub", [boltrtc, "turn", "--listen", f"{SERVER}:3478", "--no-tcp",
                                 "--realm", "lab", "--user", "lab:labpass",
                                 "--allow-peers", f"{nat_lab.PUBLIC_NET}.0/24",
                                 "--relay-ports", "50000-50999"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        cases = [("a1 (eim) <-> c1 (eim)", "a1", "c1", False, "srflx"),
                 ("b1 (symmetric) <-> c1 (eim)", "b1", "c1", False, "relay"),
                 ("a1 <-> c1, offerer relay-only", "a1", "c1", True, "relay")]
        matrix = []
        port = 40000
        ours = list(cases)
        if "--with-aiortc" in sys.argv:  # the same NATs and server, aiortc to aiortc
            cases += [(f"aiortc: {c[0]}", c[1], c[2], c[3], c[4], "aiortc")
                      for c in ours if not c[3]]  # aiortc 1.4 has no relay policy
        if "--with-pion" in sys.argv:  # and Pion to Pion
            sys.path.insert(0, BENCH_ICE)
            import pion_build
            work = tempfile.mkdtemp(prefix="boltrtc-nat-pion-")
            atexit.register(shutil.rmtree, work, True)
            pion = pion_build.build_pion("natpeer", os.path.join(work, "natpeer"), work)
            cases += [(f"pion: {c[0]}", c[1], c[2], c[3], c[4], pion) for c in ours]
        for case in cases:
            name, off, ans, relay_only, expect = case[:5]
            binary = case[5] if len(case) > 5 else peer_bin
            times, opens = [], []
            for r in range(rounds):
                port += 1
                got = run_case(lab, binary, off, ans, relay_only, port)
                o_ms, o_detail = describe(got, "offer")
                a_ms, a_detail = describe(got, "answer")
                ok = "echoed" in got["offer"] and "connected" in got["offer"] and \
                    "connected" in got["answer"]
                if not ok:
                    print(f"  round {r + 1} of {name}: offerer {summary(got['offer'])}; "
                          f"answerer {summary(got['answer'])}", flush=True)
                relayed = "through our TURN relay" in o_detail + a_detail or \
                    f"nominated {SERVER}:" in o_detail + a_detail or "local relay" in o_detail + a_detail
                if r == 0:
                    check(ok, f"{name}: connected, channel open, messages echoed "
                              f"({got['offer'].get('echoed', got['offer'].get('failed', '?'))})")
                    trickled = got["offer"].get("cands", []) + [
                        x for x in got["offer"].get("offer", "").split("|") if "candidate:" in x]
                    got["offer"]["cands"] = trickled
                    check(any(" typ srflx " in c for c in trickled) or relay_only,
                          f"{name}: the offerer trickled a server-reflexive candidate")
                    check(any(" typ relay " in c for c in got["offer"].get("cands", [])),
                          f"{name}: the offerer trickled a relayed candidate")
                    if relay_only:
                        check(all(" typ relay " in c for c in got["offer"].get("cands", []) if c),
                              f"{name}: relay-only trickles relayed candidates only")
                    if binary != peer_bin:  # a peer measured beside us: its pair is reported
                        print(f"     {name.split(':')[0]}'s pairs: offerer {o_detail}; "
                              f"answerer {a_detail}")
                    elif expect == "srflx":
                        wan = {h: lab.wan_addr[lab.nat_of[h][0]] for h in (off, ans)}
                        check(not relayed and f"nominated {wan[ans]}:" in o_detail and
                              f"nominated {wan[off]}:" in a_detail,
                              f"{name}: srflx to srflx, each names the other NAT's address: "
                              f"offerer {o_detail}; answerer {a_detail}")
                    else:
                        check(relayed, f"{name}: through the relay: offerer {o_detail}; "
                                       f"answerer {a_detail}")
                if ok:
                    times.append(float(o_ms))
                    opens.append(float(got["offer"].get("open", "nan")))
            pair = "relayed" if expect == "relay" else "server-reflexive"
            med = f"{statistics.median(times):.1f} ms" if times else "-"
            med_open = f"{statistics.median(opens):.1f} ms" if opens else "-"
            matrix.append((name, pair, med, med_open, len(times), rounds))
        print("\nNAT ICE matrix (boltrtc to boltrtc, offerer's side, medians: from the offer "
              "to ICE connected (nominated), and to the data channel open):")
        for name, pair, med, med_open, n, total in matrix:
            print(f"  {name:32} {pair:17} connected {med:>9}  open {med_open:>9}  "
                  f"({n}/{total} rounds)")
        turn.terminate()
        turn.wait(timeout=5)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
