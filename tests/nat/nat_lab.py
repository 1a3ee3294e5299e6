"""The NAT lab: network namespaces joined by veth pairs, with real Linux NAT (nftables).

    public  203.0.113.0/24 on a bridge in the namespace "pub": the servers (STUN, TURN,
            rendezvous) listen on 203.0.113.1 and 203.0.113.2 (two addresses, so a test can
            tell an endpoint-independent mapping from a symmetric one, RFC 5780 4.3).
    NAT i   a namespace with a WAN leg on the bridge (203.0.113.(10+i)) and a LAN leg
            (100.64.i.1/24); nftables masquerades what leaves the WAN leg.
    hosts   namespaces on a NAT's LAN (100.64.i.2, .3, ...), default route through it.

NAT kinds (../../shared docs: nf_nat is built in, netem is not):
    "eim"        plain masquerade: Linux keeps the source port when it is free, so one socket
                 gets the same mapping toward every destination (endpoint-independent mapping,
                 RFC 4787 4.1). Filtering stays address-and-port-dependent (conntrack): a
                 port-restricted cone, which ICE gets through with server-reflexive pairs.
    "symmetric"  masquerade random: a new port for every destination, so the server-reflexive
                 address learnt from the STUN server is useless toward a peer; only a relay
                 gets through.

Nothing here touches the host's own namespace: every link is made inside the lab's
namespaces, which have no route out and only documentation and shared address ranges. The
namespaces carry this process's pid in their names and are deleted on exit, also after an
exception or a signal.
"""

import atexit
import os
import shutil
import signal
import subprocess
import sys

SKIP = 77  # ctest's SKIP_RETURN_CODE for this folder's tests

PUBLIC_NET = "203.0.113"
SERVER_ADDRS = (f"{PUBLIC_NET}.1", f"{PUBLIC_NET}.2")


def can_build_lab():
    """None when namespaces and nftables are usable here, else why not (the test skips)."""
    if os.geteuid() != 0:
        return "needs root to make network namespaces"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return f"needs {tool} (scripts/install-deps.sh --test installs it)"
    return None


class Checks:
    """The lab tests' verdicts: each check prints ok or FAIL with what it judged, and the
    test ends with finish()'s summary and exit code."""

    def __init__(self, name):
        self.name = name
        self.failures = []

    def __call__(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if not cond:
            self.failures.append(what)
        return cond

    def finish(self):
        if self.failures:
            print(f"{self.name}: {len(self.failures)} failed")
            return 1
        print(f"{self.name}: all passed")
        return 0


def skip_reason(name):
    """None where the lab can be built; else prints why the test skips and returns it."""
    why = can_build_lab()
    if why:
        print(f"{name}: skipped: {why}")
    return why


def _run(*cmd, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip() or r.returncode}")
    return r


class NatLab:
    """nats: a list of (kind, [host names]); kind is "eim", "symmetric" or "none" (a plain
    router, for hosts that share one network with nothing translated). hosts_public: names
    of extra hosts on the public bridge (203.0.113.(100+j))."""

    def __init__(self, nats, hosts_public=()):
        self.tag = f"brtc{os.getpid()}"
        self.namespaces = []
        self.addrs = {}
        self.nat_of = {}
        self.wan_addr = {}
        self._nats = nats
        self._hosts_public = list(hosts_public)
        self._procs = []

    # -- building ----------------------------------------------------------------------
    def _ns(self, role):
        name = f"{self.tag}-{role}"
        _run("ip", "netns", "add", name)
        self.namespaces.append(name)
        self.exec(name, "ip", "link", "set", "lo", "up")
        return name

    def exec(self, ns, *cmd, check=True):
        return _run("ip", "netns", "exec", ns, *cmd, check=check)

    def __enter__(self):
        atexit.register(self.close)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: sys.exit(1))
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _build(self):
        pub = self._ns("pub")
        self.pub = pub
        self.exec(pub, "ip", "link", "add", "br0", "type", "bridge")
        self.exec(pub, "ip", "link", "set", "br0", "up")
        for a in SERVER_ADDRS:
            self.exec(pub, "ip", "addr", "add", f"{a}/24", "dev", "br0")
        self.addrs["pub"] = SERVER_ADDRS[0]
        for j, host in enumerate(self._hosts_public):
            ns = self._ns(host)
            self._veth(ns, "eth0", pub, f"h{j}", bridge=True)
            addr = f"{PUBLIC_NET}.{100 + j}"
            self.exec(ns, "ip", "addr", "add", f"{addr}/24", "dev", "eth0")
            self.addrs[host] = addr
        for i, (kind, hosts) in enumerate(self._nats, start=1):
            nat = self._ns(f"nat{i}")
            wan = f"{PUBLIC_NET}.{10 + i}"
            self._veth(nat, "wan", pub, f"n{i}", bridge=True)
            self.exec(nat, "ip", "addr", "add", f"{wan}/24", "dev", "wan")
            self.exec(nat, "ip", "link", "add", "lan", "type", "bridge")
            self.exec(nat, "ip", "link", "set", "lan", "up")
            self.exec(nat, "ip", "addr", "add", f"100.64.{i}.1/24", "dev", "lan")
            self.exec(nat, "sysctl", "-qw", "net.ipv4.ip_forward=1")
            self._nat_rules(nat, kind)
            self.wan_addr[f"nat{i}"] = wan
            for k, host in enumerate(hosts, start=2):
                ns = self._ns(host)
                self._veth(ns, "eth0", nat, f"l{k}", bridge=True, bridge_name="lan")
                addr = f"100.64.{i}.{k}"
                self.exec(ns, "ip", "addr", "add", f"{addr}/24", "dev", "eth0")
                self.exec(ns, "ip", "route", "add", "default", "via", f"100.64.{i}.1")
                self.addrs[host] = addr
                self.nat_of[host] = (f"nat{i}", kind)

    def _veth(self, ns, name, other_ns, other_name, bridge=False, bridge_name="br0"):
        """A veth pair made inside ns, its peer moved straight into other_ns (never into the
        host's namespace), the peer leg enslaved to the bridge there."""
        self.exec(ns, "ip", "link", "add", name, "type", "veth", "peer", "name", other_name,
                  "netns", other_ns)
        self.exec(ns, "ip", "link", "set", name, "up")
        if bridge:
            self.exec(other_ns, "ip", "link", "set", other_name, "master", bridge_name)
        self.exec(other_ns, "ip", "link", "set", other_name, "up")

    def _nat_rules(self, nat, kind):
        if kind == "none":
            return
        flags = {"eim": "", "symmetric": " random"}[kind]
        rules = ("table ip lab {\n"
                 "  chain masq { type nat hook postrouting priority srcnat; policy accept;\n"
                 f"    oifname \"wan\" masquerade{flags}\n"
                 "  }\n"
                 # Nothing from the public side reaches the LAN unless conntrack knows it:
                 # the NAT's filtering (RFC 4787 5).
                 "  chain only_answers { type filter hook forward priority filter; policy drop;\n"
                 "    iifname \"lan\" accept\n"
                 "    ct state established,related accept\n"
                 "  }\n"
                 # Unsolicited datagrams to the NAT itself are dropped before conntrack keeps
                 # an entry for them. Otherwise the first check of a simultaneous hole punch
                 # would hold the mapping's tuple and the NAT would give the outgoing flow a
                 # new port: an endpoint-independent NAT turned symmetric by a race.
                 "  chain to_nat { type filter hook input priority filter; policy accept;\n"
                 "    iifname \"wan\" ct state established,related accept\n"
                 "    iifname \"wan\" drop\n"
                 "  }\n"
                 "}\n")
        r = subprocess.run(["ip", "netns", "exec", nat, "nft", "-f", "-"], input=rules,
                           capture_output=True, text=True, timeout=20)
        if r.returncode != 0:
            raise RuntimeError(f"nft in {nat}: {r.stderr.strip()}")

    # -- using -------------------------------------------------------------------------
    def ns(self, host):
        return f"{self.tag}-{host}"

    def popen(self, host, cmd, **kw):
        """A process in host's namespace; the caller stops it (by pid), close() does too."""
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(host), *cmd], **kw)
        self._procs.append(p)
        return p

    def set_nat_kind(self, nat, kind):
        """Makes NAT nat ("nat3") another kind from now on, between cases, so that one
        long-lived process behind it (the test's browser) meets every kind: its rules are
        replaced; flows already mapped keep their conntrack entries, new ones get the new
        kind. "none" forwards untranslated, and reaches the rest of the lab only where
        route_lan made its LAN routable."""
        ns = self.ns(nat)
        self.exec(ns, "nft", "delete", "table", "ip", "lab", check=False)
        self._nat_rules(ns, kind)
        for host, (n, _) in list(self.nat_of.items()):
            if n == nat:
                self.nat_of[host] = (nat, kind)

    def route_lan(self, nat):
        """Routes NAT nat's LAN from the public side (pub, the public hosts and the other
        NATs), through its WAN address: with kind "none" its hosts are then public, and with
        a masquerading kind nothing changes, as its filter drops what nobody asked for."""
        i = int(nat[3:])
        for name in self.namespaces:
            role = name[len(self.tag) + 1:]
            if role == nat or (role not in ("pub", *self._hosts_public) and
                               not role.startswith("nat")):
                continue
            self.exec(name, "ip", "route", "add", f"100.64.{i}.0/24", "via", self.wan_addr[nat])

    def close(self):
        for p in self._procs:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        self._procs = []
        for name in reversed(self.namespaces):
            # Killing what still runs inside first: a namespace with processes stays alive.
            pids = _run("ip", "netns", "pids", name, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            _run("ip", "netns", "del", name, check=False)
        self.namespaces = []
