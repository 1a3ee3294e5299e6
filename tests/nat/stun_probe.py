"""A minimal STUN Binding server and client (RFC 8489), for the NAT lab's own check only: it
shows what mapping each NAT gives before any boltrtc code is involved.

    stun_probe.py serve ADDR:PORT...          answer Binding requests on each address
    stun_probe.py probe PORT ADDR:PORT...     one socket (local PORT, 0 = any) asks each
                                              server; prints "mapped SERVER -> IP:PORT" per
                                              answer
    stun_probe.py punch PORT PEER:PORT SECS   from local PORT, send to PEER every 50 ms (a
                                              hole punch, as ICE checks do) and print
                                              "got FROM" for each datagram that arrives
"""
import os
import selectors
import socket
import struct
import sys
import time

MAGIC = 0x2112A442
XOR_MAPPED_ADDRESS = 0x0020


def parse_addr(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def binding_response(request, src):
    tid = request[8:20]
    ip = socket.inet_aton(src[0])
    xport = src[1] ^ (MAGIC >> 16)
    xip = struct.unpack("!I", ip)[0] ^ MAGIC
    attr = struct.pack("!HHBBHI", XOR_MAPPED_ADDRESS, 8, 0, 1, xport, xip)
    return struct.pack("!HHI", 0x0101, len(attr), MAGIC) + tid + attr


def serve(addrs, seconds):
    sel = selectors.DefaultSelector()
    for a in addrs:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(parse_addr(a))
        sel.register(s, selectors.EVENT_READ)
    print("ready", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.5):
            data, src = key.fileobj.recvfrom(2048)
            if len(data) >= 20 and struct.unpack("!H", data[:2])[0] == 0x0001:
                key.fileobj.sendto(binding_response(data, src), src)


def probe(port, addrs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.settimeout(0.3)
    for a in addrs:
        server = parse_addr(a)
        for _attempt in range(10):
            tid = os.urandom(12)
            s.sendto(struct.pack("!HHI", 0x0001, 0, MAGIC) + tid, server)
            try:
                data, _ = s.recvfrom(2048)
            except socket.timeout:
                continue
            if data[8:20] != tid:
                continue
            _, _, _, _, xport, xip = struct.unpack("!HHBBHI", data[20:32])
            ip = socket.inet_ntoa(struct.pack("!I", xip ^ MAGIC))
            print(f"mapped {a} -> {ip}:{xport ^ (MAGIC >> 16)}", flush=True)
            break
        else:
            print(f"noanswer {a}", flush=True)


def punch(port, peer, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.settimeout(0.05)
    got = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end and got < 5:
        s.sendto(b"punch", parse_addr(peer))
        try:
            _, src = s.recvfrom(2048)
            got += 1
            print(f"got {src[0]}:{src[1]}", flush=True)
        except socket.timeout:
            pass
    # Keep answering a little so the other side sees us too after our last receipt.
    for _ in range(10):
        s.sendto(b"punch", parse_addr(peer))
        time.sleep(0.05)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2:], seconds=30)
    elif sys.argv[1] == "probe":
        probe(int(sys.argv[2]), sys.argv[3:])
    else:
        punch(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]))
