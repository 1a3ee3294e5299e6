#!/usr/bin/env python3
"""When a receiver loses datagrams, and what its threads do meanwhile (run_pion_cpu.sh TIMELINE=1).

Every INTERVAL ms until PID exits: the time, the namespace's UDP RcvbufErrors (datagrams the
kernel dropped for a full receive buffer, /proc/net/snmp), the bytes waiting in PID's UDP
sockets (/proc/net/udp rx_queue), the machine's idle share (/proc/stat), the CPU (ms, utime + stime) each of PID's threads used
since the last sample, and the same for the publishers' process (PUB_PID, optional).

Usage: timeline.py PID OUT [INTERVAL_MS] [PUB_PID]
Prints one line per sample: t_ms drops queued_bytes machine_idle_% pub_cpu_ms thread=cpu_ms ...
"""
import os
import sys
import time

pid, out = int(sys.argv[1]), sys.argv[2]
interval = (int(sys.argv[3]) if len(sys.argv) > 3 else 50) / 1000.0
pub = int(sys.argv[4]) if len(sys.argv) > 4 else 0
hz = os.sysconf("SC_CLK_TCK")


def ticks(path):
    try:
        with open(path) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    return int(rest[11]) + int(rest[12])


def thread_name(tid):
    try:
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            return f.read().strip().replace(" ", "_")
    except OSError:
        return str(tid)


def machine():
    """(busy, idle) jiffies of all CPUs, /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, idle


def rcvbuf_errors():
    with open("/proc/net/snmp") as f:
        rows = [l.split() for l in f if l.startswith("Udp:")]
    return int(rows[1][rows[0].index("RcvbufErrors")])


def socket_inodes():
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    except OSError:
        pass
    return inodes


def queued(inodes):
    total = 0
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            cols = line.split()
            if cols[9] in inodes:
                total += int(cols[4].split(":")[1], 16)
    return total


t0 = time.monotonic()
prev = {}
prev_machine = machine()
prev_pub = ticks(f"/proc/{pub}/stat") if pub else None
inodes = socket_inodes()
with open(out, "w") as f:
    f.write(f"# t0 {t0 * 1e6:.0f} us (CLOCK_MONOTONIC)\n")
    while os.path.exists(f"/proc/{pid}"):
        t = time.monotonic() - t0
        parts = []
        try:
            tids = sorted(int(x) for x in os.listdir(f"/proc/{pid}/task"))
        except OSError:
            break
        for tid in tids:
            v = ticks(f"/proc/{pid}/task/{tid}/stat")
            if v is None:
                continue
            d = v - prev.get(tid, v)
            prev[tid] = v
            if d:
                parts.append(f"{'loop' if tid == pid else thread_name(tid)}={d * 1000 // hz}")
        p = ticks(f"/proc/{pub}/stat") if pub else None
        dp = (p - prev_pub) * 1000 // hz if p is not None and prev_pub is not None else 0
        prev_pub = p
        m = machine()
        busy, idle = m[0] - prev_machine[0], m[1] - prev_machine[1]
        prev_machine = m
        idle_pct = 100 * idle // max(busy + idle, 1)
        f.write(f"{t * 1000:.0f} {rcvbuf_errors()} {queued(inodes)} {idle_pct} {dp} "
                f"{' '.join(parts)}\n")
        f.flush()
        time.sleep(interval)
