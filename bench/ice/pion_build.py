"""Builds one of bench/ice/pion's Go programs offline, in GOPATH mode from Debian's Pion
sources (golang-github-pion-webrtc.v3-dev; no module proxy): "connect" (bench_connect.py) or
"natpeer" (tests/nat/test_nat_ice.py --with-pion)."""
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def build_pion(program, out, work):
    env = dict(os.environ, GO111MODULE="off", GOPROXY="off", GOFLAGS="",
               GOCACHE=os.path.join(work, "gocache"),
               GOPATH=os.path.join(HERE, "pion") + ":/usr/share/gocode")
    subprocess.run(["go", "build", "-o", out, f"iceconnect/{program}"], check=True, env=env,
                   cwd=os.path.join(HERE, "pion"), timeout=600)
    return out
