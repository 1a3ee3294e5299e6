#!/usr/bin/python3
"""aiortc's DTLS handshake under the link of bench_dtls_loss, for comparison in the same run.

N pairs of aiortc RTCDtlsTransport (client and server, aiortc 1.4 from Debian: OpenSSL through
pyOpenSSL, retransmissions by OpenSSL's own timer, first after 1 s) meet over an in-memory
asyncio link that loses a share of datagrams each way and delays each by a base plus jitter.
For each pair: DTLS start -> both ends connected; then the median, p90, p99 and worst, and how
many did not connect within 15 s. ICE is not involved (aiortc's ICE would add its own timers),
so compare with bench_dtls_loss's "ICE nominated -> DTLS connected" line.

Usage: aiortc_dtls_loss.py [--sessions N] [--loss PERCENT] [--delay MS] [--jitter MS]
                           [--limit S] [--seed N]
"""
import argparse
import asyncio
import random
import time

from aiortc.rtcdtlstransport import RTCCertificate, RTCDtlsTransport


class LossyEnd:
    """What RTCDtlsTransport needs of an ICE transport: a role, _send and _recv."""

    def __init__(self, role, link):
        self.role = role
        self.link = link
        self.peer = None
        self.inbox = asyncio.Queue()

    async def _send(self, data):
        if self.link.rng.random() * 100 < self.link.loss:
            self.link.lost += 1
            return
        self.link.carried += 1
        delay = self.link.delay + self.link.rng.uniform(-self.link.jitter, self.link.jitter)
        asyncio.get_running_loop().call_later(delay, self.peer.inbox.put_nowait, data)

    async def _recv(self):
        return await self.inbox.get()


class Link:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.loss = args.loss
        self.delay = args.delay / 1000.0
        self.jitter = min(args.jitter, args.delay) / 1000.0
        self.lost = self.carried = 0


async def one_pair(link, cert_a, cert_b, limit, start_after):
    await asyncio.sleep(start_after)  # pairs start 10 ms apart, as in bench_dtls_loss
    a, b = LossyEnd("controlling", link), LossyEnd("controlled", link)
    a.peer, b.peer = b, a
    client, server = RTCDtlsTransport(a, [cert_a]), RTCDtlsTransport(b, [cert_b])
    client._set_role("client")
    server._set_role("server")
    start = time.monotonic()
    try:
        await asyncio.wait_for(
            asyncio.gather(client.start(server.getLocalParameters()),
                           server.start(client.getLocalParameters())),
            timeout=limit)
    except asyncio.TimeoutError:
        pass
    took = time.monotonic() - start
    ok = client.state == "connected" and server.state == "connected"
    for t in (client, server):
        if t._task is not None:
            t._task.cancel()
    return took if ok else None


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sessions", type=int, default=100)
    p.add_argument("--loss", type=float, default=15)
    p.add_argument("--delay", type=float, default=10)
    p.add_argument("--jitter", type=float, default=5)
    p.add_argument("--limit", type=float, default=30)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    link = Link(args)
    certs = [RTCCertificate.generateCertificate() for _ in range(2)]
    times = await asyncio.gather(*(one_pair(link, certs[0], certs[1], args.limit, i * 0.01)
                                   for i in range(args.sessions)))
    ms = sorted((t * 1000 if t is not None else float("inf")) for t in times)
    n = len(ms)
    fmt = lambda v: "-1" if v == float("inf") else "%.0f" % v
    print("aiortc_dtls_loss: %d pairs, %g %% loss each way, %g +- %g ms one-way"
          % (n, args.loss, args.delay, min(args.jitter, args.delay)))
    print("DTLS start -> connected (ms): median %s, p90 %s, p99 %s, worst %s (-1: never)"
          % (fmt(ms[n // 2]), fmt(ms[n * 9 // 10]), fmt(ms[n * 99 // 100]), fmt(ms[-1])))
    print("not connected within 15 s: %d of %d; datagrams lost %d of %d"
          % (sum(1 for v in ms if v > 15000), n, link.lost, link.lost + link.carried))


if __name__ == "__main__":
    asyncio.run(main())
