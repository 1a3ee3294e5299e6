"""From a whole recording (capture.py's raw folder) to the few things the chapters show, in
docs/journey/capture/:

  session.pcap   the datagrams the chapters decode, exactly as they were on `lo`: every STUN
                 and DTLS datagram, Chrome's first audio packet, the packets of its first video
                 frame (a keyframe) and the first of the next, its first RTX packet, its first
                 RTCP and its first with an extended report, and the RTCP the server sent
                 first, with its first REMB alone, its first PLI, its first report on both
                 streams, and at the end
  keylog.txt     the DTLS master secret (SSLKEYLOGFILE format), which decrypts them
  shoot1.jpg     the first keyframe the server saved
  session.json   the signaling (each WebSocket message with the time its last byte was on
                 the wire), the page's own timeline, the server's journey lines, and what the
                 whole recording had that session.pcap does not keep: when each RTCP packet
                 went, which RTP packets carried the mid extension, the first video frames

Times are kept in ns since the epoch; render.py counts them from the page's Connect."""
import datetime
import json
import os
import shutil

import decode as d

FRAMES_SUMMARY = 12  # the first video frames described in session.json


def local_log_time_ns(hms, near_ns):
    """A server log time of day (HH:MM:SS.mmm, local time) as ns since the epoch, on the day
    that puts it nearest near_ns."""
    near = datetime.datetime.fromtimestamp(near_ns / 1e9)
    h, m, s = hms.split(":")
    t = near.replace(hour=int(h), minute=int(m), second=int(s.split(".")[0]),
                     microsecond=int(s.split(".")[1]) * 1000)
    best = min((t + datetime.timedelta(days=k) for k in (-1, 0, 1)),
               key=lambda c: abs(c.timestamp() - near_ns / 1e9))
    return int(round(best.timestamp() * 1e6)) * 1000


def server_steps(path, near_ns):
    """The journey lines of the server's log: [{"t_ns", "level", "session", "text"}]."""
    out = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split(None, 3)
            if len(parts) < 3 or parts[1] not in ("step", "info", "warn") or ":" not in parts[0]:
                continue
            out.append({"t_ns": local_log_time_ns(parts[0], near_ns), "level": parts[1],
                        "text": " ".join(parts[2:])})
    return out


def websocket_exchange(pkts, http_port):
    """The /ws connection: its upgrade request and response, and every message."""
    streams = d.tcp_streams(pkts, http_port)
    for (client, direction), segs in streams.items():
        if direction != "to-server" or not segs[0][2].startswith(b"GET /ws"):
            continue
        req_head, up = d.ws_messages(segs)
        resp_head, down = d.ws_messages(streams[(client, "to-client")])
        msgs = [dict(f, dir="page->server") for f in up] + [dict(f, dir="server->page") for f in down]
        msgs.sort(key=lambda f: f["t_ns"])
        return {"client": client, "request": req_head[0], "request_t_ns": req_head[1],
                "response": resp_head[0], "response_t_ns": resp_head[1],
                "messages": [{"t_ns": f["t_ns"], "dir": f["dir"], "opcode": f["opcode"],
                              "masked": f["masked"], "header_len": f["header_len"],
                              "text": f["payload"].decode("utf-8", "replace")} for f in msgs]}
    raise RuntimeError("no WebSocket connection to /ws in the recording")


class Session:
    """The whole recording's UDP, decrypted where it is SRTP."""

    def __init__(self, pkts, udp_port, keylog):
        self.port = udp_port
        self.udp = [p for p in pkts if p.proto == 17 and udp_port in (p.sport, p.dport)]
        hello = {}
        for p in self.udp:
            if d.classify(p.payload) == "dtls":
                for r in d.dtls_records(p.payload):
                    h = r.get("handshake")
                    if h and h["name"] in ("ClientHello", "ServerHello"):
                        hello[h["name"]] = (h["random"], p)
        (cr, ch_pkt), (sr, _) = hello["ClientHello"], hello["ServerHello"]
        self.server_is_dtls_client = ch_pkt.sport == udp_port
        ex = d.srtp_exporter(d.read_keylog(keylog)[cr], cr, sr)
        client = d.srtp_session_keys(ex["client_key"], ex["client_salt"])
        server = d.srtp_session_keys(ex["server_key"], ex["server_salt"])
        self.browser_keys = server if self.server_is_dtls_client else client
        self.server_keys = client if self.server_is_dtls_client else server

    def from_browser(self, p):
        return p.dport == self.port

    def decrypt(self, p):
        kind = d.classify(p.payload)
        keys = self.browser_keys if self.from_browser(p) else self.server_keys
        if kind == "rtp":
            return kind, d.srtp_unprotect(keys["rtp"], p.payload)[0]
        if kind == "rtcp":
            return kind, d.srtcp_unprotect(keys["rtcp"], p.payload)[0]
        return kind, None


def rtcp_kinds(packets):
    names = []
    for x in packets:
        n = x["name"]
        if n in ("SR", "RR"):
            n += f"({len(x['blocks'])})"
        elif n == "PSFB":
            n = "REMB" if "remb" in x else {1: "PLI", 4: "FIR"}.get(x["count"], f"PSFB{x['count']}")
        elif n == "RTPFB":
            n = "NACK" if x["count"] == 1 else f"RTPFB{x['count']}"
        names.append(n)
    return "+".join(names)


def select(raw, out):
    meta = json.load(open(os.path.join(raw, "meta.json")))
    browser = json.load(open(os.path.join(raw, "browser.json")))
    udp_port = int(meta["server_udp"].rsplit(":", 1)[1])
    http_port = int(meta["server_http"].rsplit(":", 1)[1])
    pkts = d.packets(os.path.join(raw, "all.pcap"))
    s = Session(pkts, udp_port, os.path.join(raw, "keylog.txt"))
    t0_ns = int(round(browser["timeline"]["connect"] * 1e6))

    keep = set()
    first = {}
    rtcp_log, mid_ext, frames = [], {}, []
    video_pt = None
    offer = next(json.loads(m["text"])["sdp"] for m in browser["websocket"]
                 if m["text"].startswith('{"type":"offer"'))
    for line in offer.split("\r\n"):
        if line.startswith("a=rtpmap:") and "VP8/90000" in line and video_pt is None:
            video_pt = int(line[9:].split()[0])
    for i, p in enumerate(s.udp):
        kind, plain = s.decrypt(p)
        if kind in ("stun", "dtls"):
            keep.add(i)
            continue
        if kind == "rtcp":
            who = "browser" if s.from_browser(p) else "server"
            parsed = d.rtcp_parse(plain)
            kinds = rtcp_kinds(parsed)
            entry = {"t_ns": p.t_ns, "from": who, "kinds": kinds, "len": len(p.payload)}
            for x in parsed:
                if x["name"] == "SR":
                    entry["sr_ssrc"] = x["ssrc"]
                if x["name"] == "RR" and x["blocks"]:
                    entry["blocks_with_lsr"] = sum(1 for b in x["blocks"] if b["lsr"])
            rtcp_log.append(entry)
            for tag, cond in ((f"rtcp-{who}", True),
                              ("rtcp-server-pli", who == "server" and "PLI" in kinds),
                              ("rtcp-server-remb", who == "server" and kinds == "REMB"),
                              ("rtcp-browser-xr", who == "browser" and "XR" in kinds),
                              ("rtcp-server-rr2", who == "server" and "RR(2)" in kinds),
                              ("rtcp-server-rr", who == "server" and kinds.startswith("RR(")
                               and not kinds.startswith("RR(0)")),
                              ("rtcp-server-bye", who == "server" and "BYE" in kinds)):
                if cond and tag not in first:
                    first[tag] = i
            continue
        h = d.rtp_parse(plain)
        key = f"rtp-pt{h['pt']}"
        if key not in first:
            first[key] = i
        if "rtp" not in first:
            first["rtp"] = i
        ids = [e["id"] for e in h["extensions"]]
        m = mid_ext.setdefault(str(h["ssrc"]), {"pt": h["pt"], "packets": 0, "with_mid": 0,
                                                "first": []})
        m["packets"] += 1
        if len(m["first"]) < 3:
            m["first"].append({"seq": h["seq"], "ts": h["ts"], "t_ns": p.t_ns})
        if h["extensions"]:
            m.setdefault("ext_ids", sorted(set(ids)))
        if h["pt"] == video_pt:
            if not frames or frames[-1]["ts"] != h["ts"]:
                if len(frames) == FRAMES_SUMMARY:
                    continue
                frames.append({"ts": h["ts"], "packets": [], "first_t_ns": p.t_ns})
            f = frames[-1]
            desc = d.vp8_descriptor(h["payload"])
            f["packets"].append({"index": i, "seq": h["seq"], "marker": h["marker"],
                                 "len": len(p.payload), "vp8_len": len(h["payload"]) - desc["size"],
                                 "S": desc["S"], "PID": desc["PID"],
                                 "picture_id": desc.get("picture_id"), "t_ns": p.t_ns})
            if desc["S"] and desc["PID"] == 0:
                f["keyframe"] = d.vp8_frame_header(h["payload"][desc["size"]:])["keyframe"]
    # The mid extension's id, from the answer (the one the sender must use).
    answer = next(json.loads(m["text"])["sdp"] for m in browser["websocket"]
                  if m["text"].startswith('{"type":"answer"'))
    mid_id = next(int(line[9:].split()[0]) for line in answer.split("\r\n")
                  if line.startswith("a=extmap:") and line.endswith("sdes:mid"))
    for p in s.udp:
        kind, plain = s.decrypt(p)
        if kind != "rtp":
            continue
        h = d.rtp_parse(plain)
        if any(e["id"] == mid_id for e in h["extensions"]):
            m = mid_ext[str(h["ssrc"])]
            m["with_mid"] += 1
            m["last_with_mid"] = {"seq": h["seq"], "t_ns": p.t_ns}
    # The first video frame whole, the first packet of the first interframe, the first of each
    # stream.
    for pkt in frames[0]["packets"]:
        keep.add(pkt["index"])
    keep.add(next(f for f in frames if not f.get("keyframe"))["packets"][0]["index"])
    keep.update(first.values())
    for f in frames:
        for pkt in f["packets"]:
            del pkt["index"]
    frames = frames[:FRAMES_SUMMARY]

    os.makedirs(out, exist_ok=True)
    kept = [s.udp[i] for i in sorted(keep)]
    d.write_pcap(os.path.join(out, "session.pcap"), [(p.t_ns, p.frame) for p in kept])
    shutil.copy(os.path.join(raw, "keylog.txt"), os.path.join(out, "keylog.txt"))
    jpegs = sorted(f for f in os.listdir(os.path.join(raw, "output")) if f.endswith(".jpg"))
    shutil.copy(os.path.join(raw, "output", jpegs[0]), os.path.join(out, "shoot1.jpg"))
    status = meta["status"]
    session = {
        "meta": {"chromium": meta["chromium"], "user_agent": browser["userAgent"],
                 "boltrtc_commit": meta["boltrtc_commit"],
                 "captured_at": datetime.datetime.fromtimestamp(
                     t0_ns / 1e9, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                 "server_udp": meta["server_udp"], "udp_datagrams": len(s.udp),
                 "hold_s": meta.get("hold_s", 10),
                 "udp_datagrams_kept": len(kept)},
        "t0_ns": t0_ns,
        "page_timeline": {k: int(round(v * 1e6)) for k, v in browser["timeline"].items()},
        "server_log": server_steps(os.path.join(raw, "server.log"), t0_ns),
        "signaling": websocket_exchange(pkts, http_port),
        "rtcp": rtcp_log,
        "rtp_streams": mid_ext,
        "video_frames": frames,
        "server_status": {"stats": status["sessions"][0]["stats"],
                          "keyframes": status["keyframes"]},
    }
    with open(os.path.join(out, "session.json"), "w") as f:
        json.dump(session, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"[journey] kept {len(kept)} of {len(s.udp)} datagrams in {out}/session.pcap")
