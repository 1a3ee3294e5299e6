"""ICE sessions between real agents over real UDP on loopback, for tests/ice/test_ice_peers.py
and bench/ice/bench_ice.py.

Three kinds of agent take part, each behind the same small interface:
  - ours: tests/ice/ice_udp_peer (src/ice/ice_transport.h on UDP sockets);
  - libnice: tests/ice/nice_udp_peer (Debian's libnice, GStreamer webrtcbin's agent);
  - aioice: Debian's python3-aioice (aiortc's agent), in this process.
A session: both gather, exchange credentials and candidates (with end-of-candidates), start
at the same moment, and are connected when each has a nominated pair (ours: the state
connected; libnice: READY; aioice: connect() returned). Then a datagram goes each way over
the selected pair and comes back echoed, proving the pair carries data.

Everything runs in a network namespace that has only lo (in_loopback_namespace()), so nothing
can leave the machine.
"""
import asyncio
import ipaddress
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from e2e import enter_loopback_namespace  # noqa: E402

LOOPBACK = ["127.0.0.1"]

# (controlling, controlled): ours against each peer both ways, ours against itself full and
# lite (what boltrtc serve is).
WITH_OURS = [
    ("ours", "ours"),
    ("ours", "aioice"),
    ("aioice", "ours"),
    ("ours", "libnice"),
    ("libnice", "ours"),
    ("ours", "ours-lite"),
    ("aioice", "ours-lite"),
]


def in_loopback_namespace(argv):
    """Re-run this program inside a fresh network namespace with only lo, up (e2e.py's);
    exits with 77 (skip) when a namespace cannot be made."""
    assert argv is sys.argv, "the namespace re-runs this very program"
    enter_loopback_namespace(skip_code=77)


def endpoint(text):
    """(ip, port) from "1.2.3.4:5", "[::1]:5" or libnice's and aioice's "::1:5"."""
    host, port = text.rsplit(":", 1)
    return str(ipaddress.ip_address(host.strip("[]"))), int(port)


class LinePeer:
    """ice_udp_peer or nice_udp_peer, a subprocess speaking lines."""

    def __init__(self, name, argv):
        self.name = name
        self.argv = argv
        self.ufrag = self.pwd = None
        self.candidates = []
        self.connected_at = None  # orchestrator clock
        self.reported_ms = None   # the peer's own figure
        self.selected = None
        self.data = asyncio.Queue()
        self.log = []

    async def gather(self):
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        while True:
            line = await self._line()
            if line.startswith("ufrag "):
                self.ufrag = line[6:]
            elif line.startswith("pwd "):
                self.pwd = line[4:]
            elif line.startswith("candidate "):
                self.candidates.append(line[10:])
            elif line == "gathering-done":
                break
        self.reader = asyncio.ensure_future(self._read())

    async def _line(self):
        raw = await asyncio.wait_for(self.proc.stdout.readline(), 10)
        if not raw:
            raise RuntimeError("%s exited" % self.name)
        line = raw.decode().rstrip("\r\n")
        self.log.append(line)
        return line

    async def _read(self):
        self.connected = asyncio.get_event_loop().create_future()
        try:
            while True:
                line = await self._line()
                if line.startswith("connected ") and not self.connected.done():
                    self.connected_at = time.monotonic()
                    self.reported_ms = float(line.split()[1])
                    self.connected.set_result(True)
                elif line.startswith("selected "):
                    self.selected = line.split()[1:3]
                elif line.startswith("data "):
                    self.data.put_nowait(line[5:])
        except (RuntimeError, asyncio.TimeoutError, asyncio.CancelledError):
            pass

    def _send(self, line):
        self.proc.stdin.write((line + "\n").encode())

    def set_remote(self, ufrag, pwd, candidates, lite=False):
        if lite:
            self._send("remote-lite")
        self._send("remote-ufrag " + ufrag)
        self._send("remote-pwd " + pwd)
        for c in candidates:
            self._send("candidate " + c)
        self._send("end-of-candidates")

    def start(self):
        self._send("start")

    async def wait_connected(self, timeout):
        await asyncio.wait_for(asyncio.shield(self.connected), timeout)

    def send(self, text):
        self._send("send " + text)

    async def receive(self, timeout):
        return await asyncio.wait_for(self.data.get(), timeout)

    async def close(self):
        try:
            self._send("quit")
            await self.proc.stdin.drain()
            await asyncio.wait_for(self.proc.wait(), 5)
        except (asyncio.TimeoutError, ConnectionResetError, BrokenPipeError):
            self.proc.kill()
            await self.proc.wait()
        self.reader.cancel()


class AioicePeer:
    """aioice's Connection, in this process."""

    def __init__(self, controlling, addresses):
        import aioice
        import aioice.ice
        # aioice leaves loopback out when it gathers; here loopback is all there is.
        aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: list(addresses)
        self.aioice = aioice
        self.name = "aioice"
        self.conn = aioice.Connection(ice_controlling=controlling)
        self.connected_at = None
        self.reported_ms = None
        self.selected = None
        self.log = []

    async def gather(self):
        await self.conn.gather_candidates()
        self.ufrag = self.conn.local_username
        self.pwd = self.conn.local_password
        self.candidates = ["candidate:" + c.to_sdp() for c in self.conn.local_candidates]

    def set_remote(self, ufrag, pwd, candidates, lite=False):
        self.conn.remote_is_lite = lite
        self.conn.remote_username = ufrag
        self.conn.remote_password = pwd
        self._remote = [self.aioice.Candidate.from_sdp(c.split(":", 1)[1]) for c in candidates]

    def start(self):
        async def run():
            for c in self._remote:
                await self.conn.add_remote_candidate(c)
            await self.conn.add_remote_candidate(None)
            begin = time.monotonic()
            await self.conn.connect()
            self.connected_at = time.monotonic()
            self.reported_ms = (self.connected_at - begin) * 1000
        self.connected = asyncio.ensure_future(run())

    async def wait_connected(self, timeout):
        await asyncio.wait_for(asyncio.shield(self.connected), timeout)
        pair = self.conn._nominated.get(1)
        if pair:
            self.selected = ["%s:%d" % pair.local_addr, "%s:%d" % pair.remote_addr]

    def send(self, text):
        asyncio.ensure_future(self.conn.send(text.encode()))

    async def receive(self, timeout):
        data = (await asyncio.wait_for(self.conn.recv(), timeout)).decode()
        if not data.startswith("echo:"):  # echo like the line peers do
            await self.conn.send(("echo:" + data).encode())
        return data

    async def close(self):
        await self.conn.close()


def make_peer(kind, controlling, build, addresses=LOOPBACK):
    role = "--controlling" if controlling else "--controlled"
    binds = [a for ip in addresses for a in ("--bind", ip)]
    if kind == "ours":
        return LinePeer("ours", [os.path.join(build, "ice_udp_peer"), role] + binds)
    if kind == "ours-lite":  # what boltrtc serve is: answers checks, never checks
        peer = LinePeer("ours-lite", [os.path.join(build, "ice_udp_peer"), role, "--lite"] + binds)
        peer.lite = True
        return peer
    if kind == "libnice":
        return LinePeer("libnice", [os.path.join(build, "nice_udp_peer"), role] + binds)
    if kind == "aioice":
        return AioicePeer(controlling, addresses)
    raise ValueError(kind)


async def session(controlling_kind, controlled_kind, build, timeout=10, addresses=LOOPBACK):
    """One session; returns (ms to both connected, the controlling peer, the controlled one).
    Raises when they do not connect, do not agree on the pair, or data does not cross."""
    a = make_peer(controlling_kind, True, build, addresses)
    b = make_peer(controlled_kind, False, build, addresses)
    try:
        await asyncio.gather(a.gather(), b.gather())
        a.set_remote(b.ufrag, b.pwd, b.candidates, getattr(b, "lite", False))
        b.set_remote(a.ufrag, a.pwd, a.candidates, getattr(a, "lite", False))
        if isinstance(a, LinePeer):
            await a.proc.stdin.drain()
        if isinstance(b, LinePeer):
            await b.proc.stdin.drain()
        t0 = time.monotonic()
        a.start()
        b.start()
        await asyncio.gather(a.wait_connected(timeout), b.wait_connected(timeout))
        elapsed = (max(a.connected_at, b.connected_at) - t0) * 1000
        # The selected pairs must be each other's mirror.
        sa = [endpoint(x) for x in a.selected or []]
        sb = [endpoint(x) for x in b.selected or []]
        if sa and sb and (sa[0] != sb[1] or sa[1] != sb[0]):
            raise RuntimeError("pairs differ: %s selected %s, %s selected %s"
                               % (a.name, a.selected, b.name, b.selected))
        # Data both ways over the selected pair, echoed back.
        for x, y in ((a, b), (b, a)):
            text = "hello-from-" + x.name
            x.send(text)
            got = await y.receive(timeout)
            if got != text:
                raise RuntimeError("%s got %r, not %r" % (y.name, got, text))
            echo = await x.receive(timeout)
            if echo != "echo:" + text:
                raise RuntimeError("%s got %r back, not the echo" % (x.name, echo))
    finally:
        await asyncio.gather(a.close(), b.close(), return_exceptions=True)
    # Our driver must end cleanly: under ASan a leak or an error shows in its exit code.
    for p in (a, b):
        if p.name.startswith("ours") and p.proc.returncode != 0:
            raise RuntimeError("%s exited with %s" % (p.name, p.proc.returncode))
    return elapsed, a, b
