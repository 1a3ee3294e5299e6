#!/usr/bin/env python3
"""Writes the captured session (docs/journey/capture/) into the chapters.

Each chapter marks what is generated: a block between
    <!-- capture:NAME -->  and  <!-- /capture:NAME -->
and a single value inline as
    <!-- v:NAME -->text<!-- /v -->
so that GitHub shows only the text. This script rebuilds every block and value from the
capture alone (decoding, decrypting and checking it with decode.py) and rewrites them; the
prose around them is left as it is. Where the prose says something that holds for this capture
(the first check carries no USE-CANDIDATE, we are the DTLS client, ...), a `claim` below checks
it, so a new capture that breaks one fails here and says which paragraph to revisit.

  render.py           rewrite the chapters from docs/journey/capture/
  render.py --check   change nothing; exit 1 (with a diff) if a chapter is out of date, which
                      is what the docs_journey_capture test runs"""
import argparse
import difflib
import hashlib
import hmac
import json
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import decode as d  # noqa: E402

JOURNEY = os.path.abspath(os.path.join(HERE, ".."))
CAPTURE = os.path.join(JOURNEY, "capture")

BLOCK_RE = re.compile(r"(<!-- capture:([a-z0-9-]+) -->\n)(.*?)(<!-- /capture:\2 -->)", re.S)
VALUE_RE = re.compile(r"(<!-- v:([a-z0-9_]+) -->)(.*?)(<!-- /v -->)", re.S)


class ClaimError(Exception):
    pass


def claim(cond, what):
    """Something the prose relies on, checked on every capture."""
    if not cond:
        raise ClaimError(f"the capture no longer shows that {what}: revisit the prose that says so")


def hexs(b, sep=" "):
    if not b:
        return ""
    return b.hex(sep) if sep else b.hex()


def fence(lines, lang=""):
    return f"```{lang}\n" + "\n".join(lines) + "\n```\n"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


class Dump:
    """An annotated hex dump: each field's bytes (8 to a line) with its meaning beside them."""

    def __init__(self, base=0):
        self.rows = []
        self.offset = base

    def field(self, data, note):
        first = True
        for i in range(0, max(len(data), 1), 8):
            chunk = data[i:i + 8]
            text = hexs(chunk[:4]) + ("  " + hexs(chunk[4:]) if len(chunk) > 4 else "")
            self.rows.append(f"{self.offset + i:04x}  {text:<24}  {note if first else ''}".rstrip())
            first = False
        self.offset += len(data)
        return self

    def render(self):
        return fence(self.rows)


def ascii_or_hex(b):
    try:
        t = b.decode("ascii")
        if all(32 <= ord(c) < 127 for c in t):
            return f'"{t}"'
    except UnicodeDecodeError:
        pass
    return hexs(b)


class Capture:
    """Everything the chapters show, decoded from docs/journey/capture/."""

    def __init__(self, folder=CAPTURE):
        with open(os.path.join(folder, "session.json")) as f:
            self.s = json.load(f)
        self.t0 = self.s["t0_ns"]
        self.port = int(self.s["meta"]["server_udp"].rsplit(":", 1)[1])
        self.udp = d.packets(os.path.join(folder, "session.pcap"))
        with open(os.path.join(folder, "shoot1.jpg"), "rb") as f:
            self.jpeg = f.read()
        self.keylog_text = open(os.path.join(folder, "keylog.txt")).read()
        self.signaling = self.s["signaling"]
        self.offer = self.json_message("offer")["sdp"]
        self.answer = self.json_message("answer")["sdp"]
        self.steps = self.server_steps()
        self._decode_transport(os.path.join(folder, "keylog.txt"))

    # -- time ------------------------------------------------------------------------------
    def ms(self, t_ns):
        return (t_ns - self.t0) / 1e6

    def log_ms(self, t_ns):
        """A time from the server's log, which cuts it to the millisecond: whole ms, cut too."""
        return int(self.ms(t_ns))

    def fmt_ms(self, t_ns, digits=1):
        return f"{self.ms(t_ns):.{digits}f}"

    def page(self, name):
        return self.s["page_timeline"][name]

    # -- signaling -------------------------------------------------------------------------
    def messages(self):
        return self.signaling["messages"]

    def json_message(self, mtype, n=0):
        found = [m for m in self.messages() if m["opcode"] == 1 and
                 json.loads(m["text"]).get("type") == mtype]
        return json.loads(found[n]["text"])

    def message_time(self, mtype, step=None):
        for m in self.messages():
            if m["opcode"] != 1:
                continue
            j = json.loads(m["text"])
            if j.get("type") == mtype and (step is None or j.get("step") == step):
                return m["t_ns"]
        raise KeyError((mtype, step))

    def server_steps(self):
        """{step name: (t_ns, detail)} from the server's journey lines, first of each."""
        out = {}
        for e in self.s["server_log"]:
            if e["level"] != "step":
                continue
            parts = e["text"].split(" ", 2)
            if len(parts) >= 2 and parts[1] not in out:
                out[parts[1]] = (e["t_ns"], parts[2] if len(parts) > 2 else "")
        return out

    def sdp_value(self, sdp, prefix):
        return next(line[len(prefix):] for line in sdp.split("\r\n") if line.startswith(prefix))

    # -- the datagrams ---------------------------------------------------------------------
    def _decode_transport(self, keylog):
        self.stun, self.dtls, self.rtp, self.rtcp = [], [], [], []
        for p in self.udp:
            p.from_browser = p.dport == self.port
            p.kind = d.classify(p.payload)
            {"stun": self.stun, "dtls": self.dtls, "rtp": self.rtp, "rtcp": self.rtcp}[p.kind].append(p)
        for p in self.stun:
            p.msg = d.stun_parse(p.payload)
        hello = {}
        for p in self.dtls:
            p.records = d.dtls_records(p.payload)
            for r in p.records:
                h = r.get("handshake")
                if h:
                    hello.setdefault(h["name"], (h, p))
        self.client_hello, self.ch_pkt = hello["ClientHello"]
        self.server_hello, self.sh_pkt = hello["ServerHello"]
        self.we_are_dtls_client = not self.ch_pkt.from_browser
        self.client_random = self.client_hello["random"]
        self.server_random = self.server_hello["random"]
        self.master_secret = d.read_keylog(keylog)[self.client_random]
        self.exporter = d.srtp_exporter(self.master_secret, self.client_random, self.server_random)
        ex = self.exporter
        client = {"key": ex["client_key"], "salt": ex["client_salt"]}
        server = {"key": ex["server_key"], "salt": ex["server_salt"]}
        self.browser_master = server if self.we_are_dtls_client else client
        self.our_master = client if self.we_are_dtls_client else server
        self.browser_keys = d.srtp_session_keys(self.browser_master["key"], self.browser_master["salt"])
        self.our_keys = d.srtp_session_keys(self.our_master["key"], self.our_master["salt"])
        self.record_keys = d.dtls_aes_gcm_keys(self.master_secret, self.client_random, self.server_random)
        for p in self.rtp:
            p.plain, p.srtp = d.srtp_unprotect(self.browser_keys["rtp"], p.payload)
            p.h = d.rtp_parse(p.plain)
        for p in self.rtcp:
            keys = self.browser_keys if p.from_browser else self.our_keys
            p.plain, p.srtcp = d.srtcp_unprotect(keys["rtcp"], p.payload)
            p.pkts = d.rtcp_parse(p.plain)

    def who(self, p):
        return "browser → server" if p.from_browser else "server → browser"

    def stun_by_txid(self, txid):
        return [p for p in self.stun if p.msg["txid"] == txid]

    def first_rtp(self, pt=None):
        return next(p for p in self.rtp if pt is None or p.h["pt"] == pt)

    def pt_of(self, codec, sdp=None):
        sdp = sdp or self.answer
        return next(int(line[9:].split()[0]) for line in sdp.split("\r\n")
                    if line.startswith("a=rtpmap:") and line.split()[1].lower().startswith(codec.lower() + "/"))

    def ext_ids(self):
        """{id: uri} of the answer's a=extmap lines (what the sender may use)."""
        out = {}
        for line in self.answer.split("\r\n"):
            if line.startswith("a=extmap:"):
                i, uri = line[9:].split(" ", 1)
                out[int(i)] = uri
        return out

    def rtcp_from(self, browser, pred=lambda p: True):
        return next(p for p in self.rtcp if p.from_browser == browser and pred(p))

    def names(self, p):
        out = []
        for x in p.pkts:
            n = x["name"]
            if n == "PSFB":
                n = "REMB" if "remb" in x else {1: "PLI", 4: "FIR"}.get(x["count"], n)
            out.append(n)
        return out


# ================================================================================================
# Chapter 1: signaling and SDP
# ================================================================================================

def message_summary(m):
    if m["opcode"] == 8:
        return "close frame", "(WebSocket close)"
    j = json.loads(m["text"])
    t = j.get("type")
    if t in ("offer", "answer"):
        lines = j["sdp"].count("\r\n")
        return t, f"SDP, {len(j['sdp'])} bytes, {lines} lines"
    if t == "candidate":
        c = j["candidate"]
        return t, (f"`{' '.join(c.split()[4:8])}`" if c else "empty: end of candidates")
    if t == "step":
        return t, f"`{j['step']}`" + (f" ({j['detail']})" if j.get("detail") and j["step"] not in
                                      ("keyframe-saved",) else "")
    if t == "keyframe":
        return t, f"`{j['file']}` {j['width']}x{j['height']}"
    return t, ""


def build_signaling(c, out, val):
    sig = c.signaling
    req = sig["request"].rstrip("\r\n").split("\r\n")
    resp = sig["response"].rstrip("\r\n").split("\r\n")
    out["ws-upgrade"] = fence([f"page → server   {line}" for line in req] + [""] +
                              [f"server → page   {line}" for line in resp], "text")
    key = next(l.split(": ", 1)[1] for l in req if l.lower().startswith("sec-websocket-key:"))
    accept = next(l.split(": ", 1)[1] for l in resp if l.lower().startswith("sec-websocket-accept:"))
    import base64
    want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode())
                            .digest()).decode()
    claim(want == accept, "Sec-WebSocket-Accept is the SHA-1 of the key and the RFC 6455 GUID")
    val["ws_key"] = f"`{key}`"
    val["ws_accept"] = f"`{accept}`"

    rows = []
    for m in c.messages():
        kind, what = message_summary(m)
        arrow = "page → server" if m["dir"] == "page->server" else "server → page"
        rows.append((f"{c.fmt_ms(m['t_ns'])}", arrow, f"`{kind}`", what, len(m["text"].encode())))
    out["ws-messages"] = table(("t (ms)", "direction", "type", "what", "bytes"), rows)

    offer_msg = next(m for m in c.messages() if m["text"].startswith('{"type":"offer"'))
    claim(offer_msg["masked"], "the page's frames are masked")
    val["offer_frame_header"] = str(offer_msg["header_len"])
    val["offer_json_bytes"] = str(len(offer_msg["text"].encode()))
    val["offer_sent_ms"] = f"{c.ms(offer_msg['t_ns']):.0f}"
    t_answer = c.message_time("answer")
    val["offer_to_answer_ms"] = f"{(t_answer - offer_msg['t_ns']) / 1e6:.1f}"

    # The offer, then the answer, whole; and the offer's video section as the chapter reads it.
    offer_lines = c.offer.rstrip("\r\n").split("\r\n")
    out["offer-full"] = fence(offer_lines, "sdp")
    out["answer-full"] = fence(c.answer.rstrip("\r\n").split("\r\n"), "sdp")
    val["offer_lines"] = str(len(offer_lines))
    video = []
    in_video = False
    for line in offer_lines:
        if line.startswith("m="):
            in_video = line.startswith("m=video")
            if not in_video and video:
                break
        if in_video:
            video.append(line)
    out["offer-video"] = fence(video, "sdp")
    claim(c.sdp_value(c.offer, "a=setup:") == "actpass", "the offer says a=setup:actpass")
    claim(c.sdp_value(c.answer, "a=setup:") == "active", "the answer says a=setup:active")
    claim("a=ice-lite" not in c.answer.split("\r\n"), "the answer is full ICE (no a=ice-lite)")
    claim("a=candidate:" not in c.offer, "the offer carries no candidates (they trickle)")
    claim("transport-cc" in c.offer and "transport-cc" not in c.answer,
          "Chrome offers transport-cc and the answer leaves it out")
    claim("goog-remb" in c.answer, "the answer keeps goog-remb")
    claim("a=group:BUNDLE 0 1" in c.offer.split("\r\n") and offer_lines.index(
          next(l for l in offer_lines if l.startswith("m=video"))) < offer_lines.index(
          next(l for l in offer_lines if l.startswith("m=audio"))),
          "the offer bundles video (mid 0) then audio (mid 1)")
    for fb in ("goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"):
        claim(f"a=rtcp-fb:{c.pt_of('VP8', c.offer)} {fb}" in c.offer.split("\r\n"),
              f"Chrome offers {fb} for VP8")
    kept = [l.split(" ", 1)[1] for l in c.answer.split("\r\n") if l.startswith(f"a=rtcp-fb:{c.pt_of('VP8')} ")]
    claim(sorted(kept) == sorted(["goog-remb", "ccm fir", "nack", "nack pli"]),
          "the answer keeps goog-remb, ccm fir, nack and nack pli")
    offered_ext = {l.split()[0]: l.split()[1] for l in (x[9:] for x in offer_lines if x.startswith("a=extmap:"))}
    answered_ext = [l[9:].split() for l in c.answer.split("\r\n") if l.startswith("a=extmap:")]
    claim(all(offered_ext.get(i) == uri for i, uri in answered_ext) and
          {short_ext(uri) for _, uri in answered_ext} == {"mid", "abs-send-time"},
          "the answer keeps mid and abs-send-time, under Chrome's ids")
    claim(c.answer.count("a=recvonly") == 2, "the answer is recvonly in both sections")
    claim(int(c.sdp_value(c.answer, "a=candidate:").split()[3]) >> 24 == 126,
          "the answer's host candidate has type preference 126")
    val["answer_ufrag"] = f"`{c.sdp_value(c.answer, 'a=ice-ufrag:')}`"
    val["answer_pwd"] = f"`{c.sdp_value(c.answer, 'a=ice-pwd:')}`"
    val["answer_candidate"] = f"`a=candidate:{c.sdp_value(c.answer, 'a=candidate:')}`"
    fmtp = "a=fmtp:%d x-google-start-bitrate=" % c.pt_of("VP8")
    val["start_bitrate_line"] = f"`{fmtp}{c.sdp_value(c.answer, fmtp)}`"
    val["video_pt"] = str(c.pt_of("VP8"))
    val["rtx_pt"] = str(c.pt_of("rtx"))
    val["audio_pt"] = str(c.pt_of("opus"))
    fid = c.sdp_value(c.offer, "a=ssrc-group:FID ").split()
    val["offer_video_ssrc"] = fid[0]
    val["offer_rtx_ssrc"] = fid[1]
    val["offer_extmaps"] = str(sum(1 for l in video if l.startswith("a=extmap:")))
    answer_video = c.answer.split("m=audio")[0]
    val["answer_extmaps"] = str(answer_video.count("a=extmap:"))
    claim(video[0].split()[3:] == [val["video_pt"], val["rtx_pt"]],
          "the offer's video m= line lists VP8 and its RTX only")
    audio_m = next(l for l in offer_lines if l.startswith("m=audio"))
    val["offer_audio_pts"] = str(len(audio_m.split()[3:]))
    claim(audio_m.split()[3] == val["audio_pt"], "Opus is the first audio payload type offered")
    val["ws_open_ms"] = f"{c.ms(sig['response_t_ns']):.0f}"
    claim(sig["response_t_ns"] < offer_msg["t_ns"], "the WebSocket is open before the offer goes out")
    cands = [json.loads(m["text"])["candidate"] for m in c.messages()
             if m["text"].startswith('{"type":"candidate"')]
    out["candidates"] = fence([json.dumps({"type": "candidate", "candidate": x}) for x in cands], "json")
    udp = next(x for x in cands if " udp " in x)
    val["browser_candidate"] = f"`{' '.join(udp.split()[4:8])}`"
    tcp = [x for x in cands if " tcp " in x]
    claim(all(" 9 typ host tcptype active" in x for x in tcp),
          "any TCP candidate Chrome trickles is an active one with port 9")
    out["tcp-candidate"] = (
        "The TCP one is an *active* TCP candidate: Chrome would open TCP connections from it "
        "but never\nlistens, so it has no port and shows the placeholder 9 "
        "([RFC 6544](https://www.rfc-editor.org/rfc/rfc6544)).\n" if tcp else "")
    val["server_offer_step"] = f"`offer {c.steps['offer'][1]}`"
    val["server_answer_step"] = f"`answer {c.steps['answer'][1]}`"


# ================================================================================================
# Chapter 2: ICE and STUN
# ================================================================================================

STUN_NOTES = {
    "USERNAME": "USERNAME: the answer's ufrag, a colon, the offer's",
    "GOOG-NETWORK-INFO": "GOOG-NETWORK-INFO: Chrome's network id and cost (not in any RFC)",
    "ICE-CONTROLLING": "ICE-CONTROLLING: Chrome controls; its tie-breaker",
    "ICE-CONTROLLED": "ICE-CONTROLLED: the server is controlled; its tie-breaker",
    "PRIORITY": "PRIORITY: of a peer-reflexive candidate, should this path reveal one",
    "USE-CANDIDATE": "USE-CANDIDATE: nominate this pair",
    "MESSAGE-INTEGRITY": "MESSAGE-INTEGRITY: HMAC-SHA1 of all the above",
    "FINGERPRINT": "FINGERPRINT: CRC-32 of all the above, XOR 0x5354554e",
    "XOR-MAPPED-ADDRESS": "XOR-MAPPED-ADDRESS: where the request came from",
}
# The server's own check: the names are the other way round.
OUR_CHECK_NOTES = dict(STUN_NOTES, USERNAME="USERNAME: the offer's ufrag, a colon, the answer's")


def stun_dump(c, p, password, notes=STUN_NOTES):
    b, m = p.payload, p.msg
    dump = Dump()
    dump.field(b[0:2], f"type 0x{m['type']:04x}: {m['name']}")
    dump.field(b[2:4], f"length: {m['length']} bytes of attributes")
    dump.field(b[4:8], "magic cookie 0x2112a442")
    dump.field(b[8:20], "transaction ID (12 random bytes)")
    for a in m["attrs"]:
        dump.field(b[a["offset"]:a["offset"] + 4], f"{notes.get(a['name'], a['name'])}")
        v = b[a["offset"] + 4:a["offset"] + 4 + a["padded"]]
        if a["name"] == "USERNAME":
            note = f'"{a["value"].decode()}"' + (" + padding" if a["padded"] > a["len"] else "")
        elif a["name"] == "PRIORITY":
            note = f"{struct.unpack('!I', a['value'])[0]}"
        elif a["name"] == "XOR-MAPPED-ADDRESS":
            note = f"family IPv4, port and address XOR the cookie: {a['address']}"
        elif a["name"] == "GOOG-NETWORK-INFO":
            nid, cost = struct.unpack("!HH", a["value"])
            note = f"network id {nid}, cost {cost}"
        elif a["name"] == "MESSAGE-INTEGRITY":
            ok = d.stun_integrity_ok(b, m, password)
            claim(ok, "MESSAGE-INTEGRITY verifies with the ice-pwd of the side the request went to")
            note = f"verified with the key \"{password}\""
        elif a["name"] == "FINGERPRINT":
            claim(d.stun_fingerprint_ok(b, m), "FINGERPRINT verifies")
            note = "verified"
        elif a["name"] in ("ICE-CONTROLLING", "ICE-CONTROLLED"):
            note = f"tie-breaker {int.from_bytes(a['value'], 'big')}"
        else:
            note = ""
        if v:
            dump.field(v, note)
    return dump.render()


def answered(c, p):
    """The success response to request p, or None."""
    return next((x for x in c.stun_by_txid(p.msg["txid"]) if x.msg["type"] == 0x0101), None)


def gaps_s(times):
    return [(b - a) / 1e9 for a, b in zip(times, times[1:])]


def build_ice(c, out, val):
    pwd = c.sdp_value(c.answer, "a=ice-pwd:")
    chrome_pwd = c.sdp_value(c.offer, "a=ice-pwd:")
    requests = [p for p in c.stun if p.msg["type"] == 0x0001]
    chrome_checks = [p for p in requests if p.from_browser]
    our_checks = [p for p in requests if not p.from_browser]
    first_req = chrome_checks[0]
    first_resp = answered(c, first_req)
    out["stun-request"] = stun_dump(c, first_req, pwd)
    out["stun-response"] = stun_dump(c, first_resp, pwd)
    user = d.stun_attr(first_req.msg, "USERNAME")["value"].decode()
    claim(user == f"{c.sdp_value(c.answer, 'a=ice-ufrag:')}:{c.sdp_value(c.offer, 'a=ice-ufrag:')}",
          "USERNAME is answer ufrag : offer ufrag")
    claim(requests[0] is first_req, "Chrome checks first")
    names = [a["name"] for a in first_req.msg["attrs"] if a["name"] != "USE-CANDIDATE"]
    claim(names == ["USERNAME", "GOOG-NETWORK-INFO", "ICE-CONTROLLING", "PRIORITY",
                    "MESSAGE-INTEGRITY", "FINGERPRINT"],
          "the first check has the attributes chapter 2 explains, in that order")
    claim([a["name"] for a in first_resp.msg["attrs"]] == ["XOR-MAPPED-ADDRESS", "MESSAGE-INTEGRITY",
          "FINGERPRINT"], "the response has XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT")
    claim(all(d.stun_attr(p.msg, "GOOG-NETWORK-INFO") for p in chrome_checks),
          "every check of Chrome's carries GOOG-NETWORK-INFO")
    claim(d.stun_attr(first_req.msg, "ICE-CONTROLLING") is not None, "Chrome is controlling")
    val["stun_request_len"] = str(len(first_req.payload))
    val["stun_response_len"] = str(len(first_resp.payload))
    val["first_check_ms"] = c.fmt_ms(first_req.t_ns)
    val["first_response_after_ms"] = f"{(first_resp.t_ns - first_req.t_ns) / 1e6:.1f}"
    val["mapped_address"] = d.stun_attr(first_resp.msg, "XOR-MAPPED-ADDRESS")["address"]
    udp_cand = next(json.loads(m["text"])["candidate"] for m in c.messages()
                    if m["text"].startswith('{"type":"candidate"') and " udp " in m["text"])
    claim(val["mapped_address"] == ":".join(udp_cand.split()[4:6]),
          "on loopback the mapped address is Chrome's own candidate")
    prio = struct.unpack("!I", d.stun_attr(first_req.msg, "PRIORITY")["value"])[0]
    val["prflx_type_pref"] = str(prio >> 24)
    cand = c.sdp_value(c.answer, "a=candidate:").split()
    val["host_priority"] = cand[3]
    val["host_type_pref"] = str(int(cand[3]) >> 24)

    # The server's own checks (full ICE, controlled).
    claim(our_checks, "the server sends checks of its own")
    ours = our_checks[0]
    ours_resp = answered(c, ours)
    claim(ours_resp is not None, "Chrome answers the server's first check")
    out["stun-our-check"] = stun_dump(c, ours, chrome_pwd, OUR_CHECK_NOTES)
    ours_user = d.stun_attr(ours.msg, "USERNAME")["value"].decode()
    claim(ours_user == f"{c.sdp_value(c.offer, 'a=ice-ufrag:')}:{c.sdp_value(c.answer, 'a=ice-ufrag:')}",
          "the server's USERNAME is offer ufrag : answer ufrag")
    claim(d.stun_attr(ours.msg, "ICE-CONTROLLED") is not None, "the server is controlled")
    claim(all(d.stun_attr(p.msg, "USE-CANDIDATE") is None for p in our_checks),
          "the controlled server never nominates")
    claim((ours.dst_ip, ours.dport) == (first_req.src_ip, first_req.sport),
          "the server's first check goes back to where Chrome's first check came from")
    claim(first_resp.t_ns <= ours.t_ns, "the server answers before it checks back")
    val["our_check_len"] = str(len(ours.payload))
    val["our_check_after_response_ms"] = f"{(ours.t_ns - first_resp.t_ns) / 1e6:.1f}"
    val["our_check_answered_ms"] = f"{(ours_resp.t_ns - ours.t_ns) / 1e6:.1f}"
    val["our_mapped_address"] = d.stun_attr(ours_resp.msg, "XOR-MAPPED-ADDRESS")["address"]
    claim(val["our_mapped_address"] == f"{ours.src_ip}:{ours.sport}",
          "Chrome sees the server at its own host candidate (no NAT on loopback)")
    cand_msgs = [m for m in c.messages() if m["text"].startswith('{"type":"candidate"')
                 and " udp " in m["text"]]
    late = cand_msgs[0]["t_ns"] > first_req.t_ns
    val["udp_candidate_vs_check"] = (
        f"reached the server {(cand_msgs[0]['t_ns'] - first_req.t_ns) / 1e6:.0f} ms after Chrome's "
        "first check, so the server first knew that address from the check itself, as a "
        "*peer-reflexive* candidate ([RFC 8445 §7.3.1.3](https://www.rfc-editor.org/rfc/rfc8445#section-7.3.1.3)), "
        "and the trickled line only named it" if late else
        f"reached the server {(first_req.t_ns - cand_msgs[0]['t_ns']) / 1e6:.0f} ms before Chrome's "
        "first check, and the server paired it with its host candidate and began checking it")

    rows = []
    for p in requests:
        r = answered(c, p)
        use = d.stun_attr(p.msg, "USE-CANDIDATE") is not None
        rows.append((c.fmt_ms(p.t_ns), "Chrome" if p.from_browser else "the server",
                     p.msg["txid"].hex()[:8] + "…", "yes" if use else "",
                     f"{(r.t_ns - p.t_ns) / 1e6:.1f}" if r else "no answer"))
    out["stun-checks"] = table(("sent (ms)", "by", "transaction", "USE-CANDIDATE", "answered after (ms)"), rows)
    nominated = next((p for p in chrome_checks if d.stun_attr(p.msg, "USE-CANDIDATE")), None)
    claim(nominated is not None, "Chrome nominates with USE-CANDIDATE")
    after = [p for p in chrome_checks if p.t_ns > nominated.t_ns]
    claim(all(d.stun_attr(p.msg, "USE-CANDIDATE") for p in after),
          "every check after the nomination carries USE-CANDIDATE too")
    nth = chrome_checks.index(nominated) + 1
    val["nominating_check"] = ("its very first check already carried USE-CANDIDATE" if nth == 1 else
                               f"its check number {nth} was the first to carry USE-CANDIDATE")
    ice_at = c.steps["ice-connected"][0]
    val["server_ice_connected_ms"] = f"{c.log_ms(ice_at)}"
    val["server_ice_connected_step"] = f"`ice-connected {c.steps['ice-connected'][1]}`"
    claim("controlled" in c.steps["ice-connected"][1], "the server logs its role when it connects")

    times = [p.t_ns for p in chrome_checks if p.t_ns >= c.page("connection-connected")]
    steady = gaps_s(times)
    claim(steady and max(steady) < 4.0, "Chrome's checks after nomination come more often than every 4 s")
    val["consent_gap_min"] = f"{min(steady):.1f}"
    val["consent_gap_max"] = f"{max(steady):.1f}"
    consent = [p for p in our_checks if p.t_ns > ours_resp.t_ns]
    claim(len(consent) >= 2, "the server sends consent checks of its own")
    ours_gaps = gaps_s([p.t_ns for p in consent])
    claim(all(4.0 <= g <= 6.0 for g in ours_gaps), "the server's consent checks come every 4 to 6 s")
    val["our_consent_first_s"] = f"{(consent[0].t_ns - ours_resp.t_ns) / 1e9:.1f}"
    val["our_consent_gaps"] = ", ".join(f"{g:.1f}" for g in ours_gaps)
    claim(all(answered(c, p) for p in consent), "Chrome answers every consent check")

    claim(first_resp.t_ns <= c.ch_pkt.t_ns, "the ClientHello follows the first answered check")
    dtls_at = c.steps["dtls-connected"][0]
    if dtls_at <= ice_at:
        val["dtls_vs_nomination"] = (f"the handshake won: `dtls-connected` at {c.log_ms(dtls_at)} ms, "
                                     f"`ice-connected` at {c.log_ms(ice_at)} ms")
    else:
        val["dtls_vs_nomination"] = (f"the nomination won: `ice-connected` at {c.log_ms(ice_at)} ms, "
                                     f"`dtls-connected` at {c.log_ms(dtls_at)} ms")
    val["page_ice_connected_ms"] = f"{c.ms(c.page('ice-connected')):.0f}"
    val["page_connection_connected_ms"] = f"{c.ms(c.page('connection-connected')):.0f}"
    claim(first_resp.t_ns < c.page("ice-connected"),
          "the page's ICE state is connected after the first answer")
    claim(c.page("ice-connected") < c.page("connection-connected"),
          "the page shows ICE connected before the connection")
    val["client_hello_after_response_ms"] = f"{(c.ch_pkt.t_ns - first_resp.t_ns) / 1e6:.1f}"


# ================================================================================================
# Chapter 3: DTLS
# ================================================================================================

def handshake_label(r):
    if r["type"] == 22 and r["epoch"] == 0:
        h = r["handshake"]
        return f"{h['name']} (message_seq {h['message_seq']}, {h['length']} bytes)"
    if r["type"] == 22:
        return "Finished, encrypted"
    if r["type"] == 20:
        return "ChangeCipherSpec"
    if r["type"] == 21:
        return "alert, encrypted" if r["epoch"] else "alert"
    return r["type_name"]


def build_dtls(c, out, val):
    claim(c.we_are_dtls_client, "the server is the DTLS client (a=setup:active)")
    rows = []
    for p in c.dtls:
        for i, r in enumerate(p.records):
            rows.append((c.fmt_ms(p.t_ns) if i == 0 else "", c.who(p) if i == 0 else "",
                         len(p.payload) if i == 0 else "", r["type_name"], r["epoch"], r["seq"],
                         r["length"], handshake_label(r)))
    out["dtls-flights"] = table(("t (ms)", "direction", "datagram", "record", "epoch", "seq",
                                 "length", "content"), rows)
    claim(not any(r["type"] == 22 and r.get("handshake", {}).get("name") == "HelloVerifyRequest"
                  for p in c.dtls for r in p.records), "Chrome sends no HelloVerifyRequest")
    claim(all(r["handshake"]["fragment_offset"] == 0 and
              r["handshake"]["fragment_length"] == r["handshake"]["length"]
              for p in c.dtls for r in p.records if "handshake" in r),
          "no handshake message is fragmented")
    hs = [p for p in c.dtls if any("handshake" in r or r["type"] == 20 for r in p.records)]
    keys, firsts, notes = [], [], []
    for p in hs:
        key = (p.from_browser, tuple(handshake_label(r).split(" (")[0] for r in p.records))
        if key in keys:  # the same flight again: its sender's timer expired
            n = keys.index(key)
            who = "Chrome" if p.from_browser else "the server"
            notes.append(f"{who} resent flight {n + 1} {(p.t_ns - firsts[n].t_ns) / 1e6:.0f} ms "
                         "after sending it, its answer not having come yet")
            continue
        keys.append(key)
        firsts.append(p)
    flights = [list(k[1]) for k in keys]
    val["dtls_loss_note"] = ("Nothing was lost on loopback, and nothing was resent." if not notes
                             else "Nothing was lost on loopback, but " + "; ".join(notes) + ".")
    claim(flights == [["ClientHello"],
                      ["ServerHello", "Certificate", "ServerKeyExchange", "CertificateRequest",
                       "ServerHelloDone"],
                      ["Certificate", "ClientKeyExchange", "CertificateVerify", "ChangeCipherSpec",
                       "Finished, encrypted"],
                      ["ChangeCipherSpec", "Finished, encrypted"]],
          "the handshake is the four datagrams chapter 3 lists, one flight each")
    val["dtls_datagrams"] = str(len(hs))
    val["dtls_duration_ms"] = f"{(hs[-1].t_ns - hs[0].t_ns) / 1e6:.0f}"

    # The ClientHello, field by field.
    p = c.ch_pkt
    b = p.payload
    rec = p.records[0]
    h = rec["handshake"]
    body = 13 + 12
    dump = Dump()
    dump.field(b[0:1], "record: content type 22, handshake")
    dump.field(b[1:3], f"record version {hexs(b[1:3])}: " + {b"\xfe\xff": "DTLS 1.0, the record layer's "
               "before a version is agreed", b"\xfe\xfd": "DTLS 1.2"}[b[1:3]])
    dump.field(b[3:5], "epoch 0: nothing is encrypted yet")
    dump.field(b[5:11], f"sequence number {rec['seq']}")
    dump.field(b[11:13], f"length {rec['length']}")
    dump.field(b[13:14], "handshake: type 1, ClientHello")
    dump.field(b[14:17], f"length {h['length']}")
    dump.field(b[17:19], f"message_seq {h['message_seq']}")
    dump.field(b[19:22], "fragment_offset 0")
    dump.field(b[22:25], f"fragment_length {h['fragment_length']}: the message is whole")
    q = body
    claim(b[q:q + 2] == b"\xfe\xfd", "the ClientHello asks for DTLS 1.2")
    dump.field(b[q:q + 2], "client_version fe fd: DTLS 1.2, {254, 253}, the ones' complement of 1.2")
    dump.field(b[q + 2:q + 34], "random: 32 bytes (it seeds every key)")
    q += 34
    dump.field(b[q:q + 1], f"session_id: {b[q]} bytes (no resumption)")
    q += 1 + b[q]
    dump.field(b[q:q + 1], f"cookie: {b[q]} bytes")
    q += 1 + b[q]
    n = struct.unpack_from("!H", b, q)[0]
    dump.field(b[q:q + 2], f"cipher_suites: {n // 2} suites")
    q += 2
    for s in h["cipher_suites"]:
        dump.field(b[q:q + 2], d.CIPHER_SUITES.get(s, f"0x{s:04x}"))
        q += 2
    dump.field(b[q:q + 2], "compression: 1 method, null")
    q += 2
    dump.field(b[q:q + 2], f"extensions: {struct.unpack_from('!H', b, q)[0]} bytes")
    q += 2
    for e in h["extensions"]:
        note = e["name"]
        if e["name"] == "use_srtp":
            note += ": " + ", ".join(d.SRTP_PROFILES.get(x, hex(x)) for x in e["profiles"])
        elif e["name"] == "supported_groups":
            note += ": " + ", ".join(d.GROUPS.get(x, hex(x)) for x in e["groups"])
        dump.field(b[q:q + 4 + len(e["data"])], note)
        q += 4 + len(e["data"])
    claim(q == len(b), "the ClientHello datagram is one record")
    out["client-hello"] = dump.render()
    ch_exts = [e["name"] for e in h["extensions"]]
    claim(all(("ECDHE" in d.CIPHER_SUITES[x] and ("GCM" in d.CIPHER_SUITES[x] or "CHACHA" in
               d.CIPHER_SUITES[x])) or x == 0x00FF for x in h["cipher_suites"]),
          "the server offers only ECDHE AEAD suites")
    groups = next(e["groups"] for e in h["extensions"] if e["name"] == "supported_groups")
    claim(d.GROUPS.get(groups[0]) == "x25519", "X25519 is the first group offered")
    ch_profiles = next(e["profiles"] for e in h["extensions"] if e["name"] == "use_srtp")
    claim(d.SRTP_PROFILES.get(ch_profiles[0]) == "SRTP_AEAD_AES_128_GCM",
          "our ClientHello lists SRTP_AEAD_AES_128_GCM first")
    claim("use_srtp" in ch_exts and "extended_master_secret" in ch_exts,
          "our ClientHello offers use_srtp and extended_master_secret")

    sh = c.server_hello
    use_srtp = next(e for e in sh["extensions"] if e["name"] == "use_srtp")
    suite = d.CIPHER_SUITES[sh["cipher_suite"]]
    profile = d.SRTP_PROFILES[use_srtp["profiles"][0]]
    val["chosen_suite"] = suite
    val["chosen_profile"] = profile
    claim(profile == "SRTP_AES128_CM_HMAC_SHA1_80", "Chrome chose SRTP_AES128_CM_HMAC_SHA1_80")
    claim(suite == "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "Chrome chose ECDHE-ECDSA-AES128-GCM")
    out["server-hello"] = fence([
        f"ServerHello    server_version fe fd, random {hexs(sh['random'][:8], '')}…,"
        f" session_id {len(sh['session_id'])} bytes",
        f"               cipher_suite {sh['cipher_suite']:04x} {suite}",
        "               extensions: " + ", ".join(
            e["name"] + (f" ({profile})" if e["name"] == "use_srtp" else "") for e in sh["extensions"]),
    ])

    # Certificates against the SDP fingerprints.
    certs = {}
    for p in c.dtls:
        for r in p.records:
            if r.get("handshake", {}).get("name") == "Certificate":
                certs["browser" if p.from_browser else "server"] = r["handshake"]["certificates"][0]
    fp_browser = d.fingerprint(certs["browser"])
    fp_server = d.fingerprint(certs["server"])
    claim(fp_browser == c.sdp_value(c.offer, "a=fingerprint:sha-256 "), "Chrome's certificate matches the offer")
    claim(fp_server == c.sdp_value(c.answer, "a=fingerprint:sha-256 "), "ours matches the answer")
    out["fingerprints"] = fence([
        f"Chrome's certificate ({len(certs['browser'])} bytes of DER), SHA-256:",
        f"  {fp_browser}",
        "the offer's a=fingerprint:sha-256:",
        f"  {c.sdp_value(c.offer, 'a=fingerprint:sha-256 ')}   equal",
        "",
        f"boltrtc's certificate ({len(certs['server'])} bytes of DER), SHA-256:",
        f"  {fp_server}",
        "the answer's a=fingerprint:sha-256:",
        f"  {c.sdp_value(c.answer, 'a=fingerprint:sha-256 ')}   equal",
    ])

    # The Finished records and the closing alerts, decrypted with the key block.
    rk = c.record_keys
    lines = ["key block = PRF(master_secret, \"key expansion\", server_random + client_random)",
             f"  client_write_key {hexs(rk['client']['key'], '')}  client_write_IV {hexs(rk['client']['iv'], '')}",
             f"  server_write_key {hexs(rk['server']['key'], '')}  server_write_IV {hexs(rk['server']['iv'], '')}", ""]
    finished, alerts = [], []
    for p in c.dtls:
        off = 0
        for r in p.records:
            raw = p.payload[off:off + 13 + r["length"]]
            off += 13 + r["length"]
            if r["epoch"] != 1:
                continue
            sender_is_client = p.from_browser != c.we_are_dtls_client
            keys = rk["client" if sender_is_client else "server"]
            plain, info = d.dtls_open(keys, raw)
            who = "Chrome" if p.from_browser else "the server"
            if r["type"] == 22:
                claim(plain[0] == 20 and len(plain) == 24, "each Finished is 12 bytes of verify_data")
                finished.append((p, r, plain, info, who))
            elif r["type"] == 21:
                claim(plain == b"\x01\x00", "each closing alert is warning, close_notify")
                alerts.append((p, r, plain, info, who))
    claim({who for *_, who in finished} == {"Chrome", "the server"}, "both sides send an encrypted Finished")
    finished = [next(f for f in finished if f[4] == w) for w in ("the server", "Chrome")]
    for p, r, plain, info, who in finished:
        lines.append(f"{who}'s Finished: record epoch 1, seq {r['seq']}, {r['length']} bytes =")
        lines.append(f"  explicit nonce {hexs(info['explicit_nonce'], '')} (8) + ciphertext (24) + tag (16)")
        lines.append(f"  decrypted: {hexs(plain[:12])}   Finished, 12 bytes, message_seq "
                     f"{struct.unpack_from('!H', plain, 4)[0]}")
        lines.append(f"             {hexs(plain[12:])}   verify_data")
    out["finished"] = fence(lines)
    arows = []
    for p, r, plain, info, who in alerts:
        arows.append((c.fmt_ms(p.t_ns), c.who(p), r["seq"], r["length"], hexs(plain),
                      "warning (1), close_notify (0)"))
    out["close-notify"] = table(("t (ms)", "direction", "seq", "length", "decrypted", "meaning"), arows)
    claim(len(alerts) == 2, "both sides send an encrypted close_notify at the end")
    val["alert_record_len"] = str(alerts[0][1]["length"])

    # The exporter.
    ex = c.exporter
    m = ex["material"]
    out["exporter"] = fence([
        f"keylog line      CLIENT_RANDOM {hexs(c.client_random, '')}",
        f"                               {hexs(c.master_secret, '')}",
        f"client_random    {hexs(c.client_random, '')}  (boltrtc's ClientHello)",
        f"server_random    {hexs(c.server_random, '')}  (Chrome's ServerHello)",
        f"master_secret    {hexs(c.master_secret[:24], '')}",
        f"                 {hexs(c.master_secret[24:], '')}",
        "",
        "PRF(master_secret, \"EXTRACTOR-dtls_srtp\", client_random + server_random), 60 bytes:",
        f"  {hexs(m[:30], '')}",
        f"  {hexs(m[30:], '')}",
        "",
        f"client_write_SRTP_master_key   {hexs(ex['client_key'], '')}   (boltrtc's: it is the DTLS client)",
        f"server_write_SRTP_master_key   {hexs(ex['server_key'], '')}   (Chrome's)",
        f"client_write_SRTP_master_salt  {hexs(ex['client_salt'], '')}",
        f"server_write_SRTP_master_salt  {hexs(ex['server_salt'], '')}",
    ])


# ================================================================================================
# Chapter 4: SRTP
# ================================================================================================

def rtp_header_fields(dump, b, h, ext_names):
    dump.field(b[0:1], f"V={h['version']} P={int(h['padding'])} X={int(h['extension'])} CC={h['cc']}")
    dump.field(b[1:2], f"M={int(h['marker'])} PT={h['pt']}")
    dump.field(b[2:4], f"sequence number {h['seq']}")
    dump.field(b[4:8], f"timestamp {h['ts']}")
    dump.field(b[8:12], f"SSRC 0x{h['ssrc']:08x}")
    if h["extension"]:
        q = h["ext_offset"]
        words = struct.unpack_from("!H", b, q + 2)[0]
        dump.field(b[q:q + 4], f"extension profile 0x{h['ext_profile']:04X} (one-byte), {words} words")
        q += 4
        end = q + 4 * words
        while q < end:
            if b[q] == 0:
                dump.field(b[q:q + 1], "padding")
                q += 1
                continue
            eid, n = b[q] >> 4, (b[q] & 15) + 1
            name = ext_names.get(eid, "?")
            dump.field(b[q:q + 1 + n], f"id {eid}, {n} byte{'s' if n > 1 else ''}: {name}")
            q += 1 + n


def short_ext(uri):
    return {"urn:ietf:params:rtp-hdrext:sdes:mid": "mid",
            "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time": "abs-send-time"}.get(uri, uri)


def ext_value(uri, data):
    name = short_ext(uri)
    if name == "mid":
        return f'mid "{data.decode()}"'
    if name == "abs-send-time":
        v = int.from_bytes(data, "big")
        return f"abs-send-time {v / 2**18:.6f} s (6.18 fixed point, wraps every 64 s)"
    return hexs(data)


def opus_config(n):
    """RFC 6716 3.1, table 2: mode, bandwidth and frame size of a TOC configuration."""
    if n < 12:
        return f"SILK, {['narrowband', 'mediumband', 'wideband'][n // 4]}, {[10, 20, 40, 60][n % 4]} ms"
    if n < 16:
        return f"hybrid, {['super-wideband', 'fullband'][(n - 12) // 2]}, {[10, 20][n % 2]} ms"
    bw = ["narrowband", "wideband", "super-wideband", "fullband"][(n - 16) // 4]
    return f"CELT, {bw}, {[2.5, 5, 10, 20][n % 4]} ms"


def build_srtp(c, out, val):
    p = c.rtp[0]
    claim(p is c.first_rtp(c.pt_of("opus")), "the first SRTP packet is audio (Opus)")
    b, h = p.payload, p.h
    names = {i: short_ext(u) for i, u in c.ext_ids().items()}
    dump = Dump()
    rtp_header_fields(dump, b, h, names)
    hdr = p.srtp["header_len"]
    dump.field(b[hdr:-10], f"payload, encrypted ({len(b) - hdr - 10} bytes)")
    dump.field(b[-10:], "authentication tag (HMAC-SHA1, first 80 bits)")
    out["srtp-packet"] = dump.render()
    val["srtp_first_len"] = str(len(b))
    val["srtp_first_ms"] = c.fmt_ms(p.t_ns, 0)
    val["srtp_header_len"] = str(hdr)
    val["srtp_payload_len"] = str(len(b) - hdr - 10)

    bm, keys = c.browser_master, c.browser_keys["rtp"]
    out["srtp-keys"] = fence([
        f"master key  {hexs(bm['key'], '')}   (server_write_SRTP_master_key: Chrome sends with it)",
        f"master salt {hexs(bm['salt'], '')}",
        "",
        "AES-CM(master key, IV = (master salt XOR label << 48) << 16), kdr 0:",
        f"  label 0  session encryption key  {hexs(keys['key'], '')}",
        f"  label 1  session auth key        {hexs(keys['auth'], '')}",
        f"  label 2  session salt            {hexs(keys['salt'], '')}",
        "  labels 3, 4, 5 make the same three for SRTCP",
    ])
    roc = 0
    computed = hmac.new(keys["auth"], p.payload[:-10] + roc.to_bytes(4, "big"), "sha1").digest()[:10]
    claim(computed == p.payload[-10:], "the first SRTP packet's tag verifies")
    iv = d.cm_iv(keys["salt"], h["ssrc"], p.srtp["index"])
    out["srtp-decrypt"] = fence([
        f"index  = ROC << 16 | SEQ = {roc} << 16 | {h['seq']} = {p.srtp['index']}  (a new stream: ROC 0)",
        "tag    = HMAC-SHA1(auth key, packet without its tag + ROC as 4 bytes)[0:10]",
        f"       = {hexs(computed, '')}  equal to the packet's tag: authentic",
        "IV     = salt << 16 XOR SSRC << 64 XOR index << 16",
        f"       = {hexs(iv, '')}",
        "payload XOR AES-CTR(session key, IV) =",
        f"  {hexs(p.plain[hdr:hdr + 24])}{' …' if len(p.plain) - hdr > 24 else ''}",
        f"  Opus: TOC byte 0x{p.plain[hdr]:02x} = config {p.plain[hdr] >> 3} ({opus_config(p.plain[hdr] >> 3)}), "
        f"{'stereo' if p.plain[hdr] & 4 else 'mono'}, {p.plain[hdr] & 3 and 'several frames' or 'one frame'}",
    ])

    # Our first SRTCP packet, as sent and as it was before.
    q = c.rtcp_from(False)
    pb = q.payload
    dump = Dump()
    dump.field(pb[0:4], f"V=2 P=0 RC={pb[0] & 31} PT={pb[1]} ({d.RTCP_TYPES[pb[1]]}), length {struct.unpack_from('!H', pb, 2)[0]} words")
    dump.field(pb[4:8], f"sender SSRC 0x{struct.unpack_from('!I', pb, 4)[0]:08x}, in the clear")
    dump.field(pb[8:-14], f"the rest of the compound, encrypted ({len(pb) - 22} bytes)")
    dump.field(pb[-14:-10], f"E=1 (encrypted) and SRTCP index {q.srtcp['index']}")
    dump.field(pb[-10:], "authentication tag (80 bits)")
    out["srtcp-packet"] = dump.render()
    claim(q.srtcp["index"] == 1, "our first SRTCP index is 1")
    val["srtcp_first_len"] = str(len(pb))
    val["srtcp_plain_len"] = str(len(q.plain))


# ================================================================================================
# Chapter 5: RTP and RTCP
# ================================================================================================

def rtcp_dump(p, clocks=None):
    clocks = clocks or {}
    b = p.plain
    dump = Dump()
    for x in p.pkts:
        o = x["offset"]
        fmt = "RC" if x["type"] in (200, 201, 202, 203) else "reserved" if x["type"] == 207 else "FMT"
        name = x["name"]
        if x["type"] == 206:
            name = "PSFB " + ("REMB" if "remb" in x else {1: "PLI"}.get(x["count"], str(x["count"])))
        dump.field(b[o:o + 4], f"{name}: V=2 {fmt}={x['count']} PT={x['type']}, length {x['length'] // 4 - 1} (+1 words)")
        if x["type"] in (200, 201):
            dump.field(b[o + 4:o + 8], f"sender SSRC 0x{x['ssrc']:08x}")
            q = o + 8
            if x["type"] == 200:
                ntp = x["ntp"]
                dump.field(b[q:q + 8], f"NTP time {ntp >> 32}.{(ntp & 0xffffffff) * 1000000 >> 32:06d} s since 1900")
                dump.field(b[q + 8:q + 12], f"RTP timestamp {x['rtp_ts']}: the same instant on the media clock")
                dump.field(b[q + 12:q + 16], f"packets sent {x['packets']}")
                dump.field(b[q + 16:q + 20], f"octets sent {x['octets']}")
                q += 20
            for blk in x["blocks"]:
                dump.field(b[q:q + 4], f"report block about SSRC 0x{blk['ssrc']:08x}")
                dump.field(b[q + 4:q + 8], f"fraction lost {blk['fraction_lost']}/256, cumulative lost {blk['cumulative_lost']}")
                dump.field(b[q + 8:q + 12], f"extended highest sequence number {blk['ext_highest_seq']}"
                           f" (cycles {blk['ext_highest_seq'] >> 16}, seq {blk['ext_highest_seq'] & 0xffff})")
                clock = clocks.get(blk["ssrc"])
                jit = f" = {blk['jitter'] * 1000 / clock:.1f} ms at {clock // 1000} kHz" if clock else ""
                dump.field(b[q + 12:q + 16], f"interarrival jitter {blk['jitter']} (timestamp units){jit}")
                dump.field(b[q + 16:q + 20], f"LSR 0x{blk['lsr']:08x}: middle of the last SR's NTP time" if blk["lsr"] else "LSR 0: no SR from this SSRC yet")
                dump.field(b[q + 20:q + 24], f"DLSR {blk['dlsr']}/65536 s = {blk['dlsr'] / 65.536:.0f} ms since that SR" if blk["dlsr"] else "DLSR 0")
                q += 24
        elif x["type"] == 202:
            for ch in x["chunks"]:
                dump.field(b[o + 4:o + 8], f"SSRC 0x{ch['ssrc']:08x}")
                q = o + 8
                for item, value in ch["items"]:
                    dump.field(b[q:q + 2 + len(value)], f"item {item} (CNAME), {len(value)} bytes: \"{value.decode()}\"")
                    q += 2 + len(value)
                dump.field(b[q:o + x["length"]], "end of items, padding to 32 bits")
        elif x["type"] == 203:
            for i, s in enumerate(x["ssrcs"]):
                dump.field(b[o + 4 + 4 * i:o + 8 + 4 * i], f"SSRC 0x{s:08x} leaves")
        elif x["type"] in (205, 206):
            dump.field(b[o + 4:o + 8], f"sender SSRC 0x{x['ssrc']:08x}")
            dump.field(b[o + 8:o + 12], f"media SSRC 0x{x['media_ssrc']:08x}" +
                       (" (unused by REMB)" if "remb" in x else ": the stream asked for a keyframe"))
            if "remb" in x:
                r = x["remb"]
                f = b[o + 12:o + x["length"]]
                dump.field(f[0:4], '"REMB"')
                dump.field(f[4:5], f"{len(r['ssrcs'])} SSRC")
                dump.field(f[5:8], f"exponent {r['exponent']}, mantissa {r['mantissa']}: "
                           f"{r['mantissa']} << {r['exponent']} = {r['bitrate']} bit/s")
                for i, s in enumerate(r["ssrcs"]):
                    dump.field(f[8 + 4 * i:12 + 4 * i], f"applies to SSRC 0x{s:08x}")
        elif x["type"] == 207:
            dump.field(b[o + 4:o + 8], f"sender SSRC 0x{x['ssrc']:08x}")
            for blk in x["xr_blocks"]:
                q = o + blk["offset"]
                if blk["bt"] == 4:
                    dump.field(b[q:q + 4], "block type 4: receiver reference time (RRTR)")
                    ntp = blk["ntp"]
                    dump.field(b[q + 4:q + 12], f"NTP time {ntp >> 32}.{(ntp & 0xffffffff) * 1000000 >> 32:06d} s since 1900")
                elif blk["bt"] == 5:
                    dump.field(b[q:q + 4], "block type 5: delay since the last RRTR (DLRR)")
                    for i, sub in enumerate(blk["dlrr"]):
                        r = q + 4 + 12 * i
                        dump.field(b[r:r + 4], f"about SSRC 0x{sub['ssrc']:08x}, whose RRTR it answers")
                        dump.field(b[r + 4:r + 8], f"LRR 0x{sub['lrr']:08x}: middle of that RRTR's NTP time")
                        dump.field(b[r + 8:r + 12], f"DLRR {sub['dlrr']}/65536 s = {sub['dlrr'] / 65.536:.1f} ms since it came")
                else:
                    dump.field(b[q:q + blk["length"]], f"block type {blk['bt']}")
    return dump.render()


def build_rtp(c, out, val):
    names = {i: short_ext(u) for i, u in c.ext_ids().items()}
    audio = c.first_rtp(c.pt_of("opus"))
    video = c.first_rtp(c.pt_of("VP8"))
    for name, p in (("rtp-audio", audio), ("rtp-video", video)):
        dump = Dump()
        rtp_header_fields(dump, p.plain, p.h, names)
        lines = dump.render().rstrip("\n").split("\n")[1:-1]
        lines.append("")
        for e in p.h["extensions"]:
            lines.append(f"extension id {e['id']}: {ext_value(c.ext_ids()[e['id']], e['data'])}")
        lines.append(f"payload: {len(p.h['payload'])} bytes")
        out[name] = fence(lines)
    val["video_ssrc"] = f"0x{video.h['ssrc']:08x}"
    val["video_first_ms"] = c.fmt_ms(video.t_ns, 0)
    claim(str(video.h["ssrc"]) == c.sdp_value(c.offer, "a=ssrc-group:FID ").split()[0],
          "the video SSRC is the first of the offer's FID group")
    claim(audio.h["marker"] and audio.h["extension"], "the first audio packet has M=1 and extensions")
    st = c.s["server_status"]["stats"]
    claim(st["nacks_sent"] == 0 and st["frames_dropped"] == 0, "no packet was lost")
    val["audio_seq"] = str(audio.h["seq"])
    val["audio_ts"] = str(audio.h["ts"])
    streams = c.s["rtp_streams"]
    sa, sv = streams[str(audio.h["ssrc"])], streams[str(video.h["ssrc"])]
    val["audio_packets"] = str(sa["packets"])
    val["video_packets"] = str(sv["packets"])
    val["audio_mid_packets"] = str(sa["with_mid"])
    val["video_mid_packets"] = str(sv["with_mid"])
    rr2 = c.rtcp_from(False, lambda p: any(x["name"] == "RR" and len(x["blocks"]) == 2 for x in p.pkts))
    first_report = c.rtcp_from(False, lambda p: any(x["name"] == "RR" and x["blocks"] for x in p.pkts))
    claim(sv["last_with_mid"]["t_ns"] < rr2.t_ns + 20e6 and sv["with_mid"] < sv["packets"] and
          sa["last_with_mid"]["t_ns"] < first_report.t_ns + 20e6 and sa["with_mid"] < sa["packets"],
          "Chrome stops putting mid on a stream once a report about it has come back")
    srx = streams[str(c.first_rtp(c.pt_of("rtx")).h["ssrc"])]
    claim(srx["with_mid"] == srx["packets"], "the RTX stream, never reported on, keeps mid")
    val["first_rr2_ms"] = c.fmt_ms(rr2.t_ns, 0)

    rtx = c.first_rtp(c.pt_of("rtx"))
    claim(rtx.h["padding"] and len(rtx.h["payload"]) == 0, "the first RTX packet is padding only")
    val["rtx_len"] = str(len(rtx.plain))
    val["rtx_padding"] = str(rtx.plain[-1])
    val["rtx_ssrc"] = f"0x{rtx.h['ssrc']:08x}"
    val["rtx_packets"] = str(streams[str(rtx.h["ssrc"])]["packets"])

    sr = c.rtcp_from(True)
    claim(c.names(sr) == ["SR", "SDES"], "Chrome's RTCP is SR + SDES")
    kinds = {audio.h["ssrc"]: "audio", video.h["ssrc"]: "video"}
    first_of = {audio.h["ssrc"]: sa["first"][0]["t_ns"], video.h["ssrc"]: sv["first"][0]["t_ns"]}
    srp = sr.pkts[0]
    kind = kinds[srp["ssrc"]]
    if srp["packets"] == 0:
        claim(sr.t_ns < first_of[srp["ssrc"]], "an SR with zero counts precedes its stream")
        val["browser_sr_note"] = (f"This first one, about the {kind} stream, left before that "
                                  "stream's first packet, so its counts are zero.")
    else:
        val["browser_sr_note"] = (f"This first one, about the {kind} stream, counts the "
                                  f"{srp['packets']} packets and {srp['octets']} bytes sent on it "
                                  "so far.")
    fa = sa["first"]
    claim(fa[1]["ts"] - fa[0]["ts"] == 960 and fa[1]["seq"] == fa[0]["seq"] + 1,
          "consecutive Opus packets are 960 ticks (20 ms at 48 kHz) apart")
    claim("a=rtcp-rsize" in c.offer and "a=rtcp-rsize" in c.answer, "both sides allow reduced-size RTCP")
    log = c.s["rtcp"]
    reasons = []
    for blk in next(x for x in rr2.pkts if x["name"] == "RR")["blocks"]:
        kind = kinds[blk["ssrc"]]
        srs = [e for e in log if e.get("sr_ssrc") == blk["ssrc"] and e["t_ns"] < rr2.t_ns]
        if blk["lsr"]:
            reasons.append(f"the {kind} block carries them")
        elif not srs:
            reasons.append(f"Chrome had sent no sender report on its {kind} yet")
        else:
            claim(all(e["t_ns"] < first_of[blk["ssrc"]] for e in srs),
                  "an SR the server ignored came before its stream's first packet")
            reasons.append(f"Chrome's only {kind} sender report so far had come before the "
                           "stream's first packet, and the server follows a stream only once its "
                           "packets arrive")
    zero = all(not b["lsr"] for x in rr2.pkts if x["name"] == "RR" for b in x["blocks"])
    val["lsr_note"] = (("Both are zero in this report: " if zero else "In this report, ")
                       + "; ".join(reasons) + ". Later reports carry them for both streams.")
    claim(any(e.get("blocks_with_lsr") == 2 for e in log if e["from"] == "server"),
          "later reports carry LSR for both streams")
    out["rtcp-browser"] = rtcp_dump(sr)
    first = c.rtcp_from(False, lambda p: any(x["name"] == "RR" and x["blocks"] for x in p.pkts))
    remb_alone = c.rtcp_from(False, lambda p: c.names(p) == ["REMB"])
    pli = c.rtcp_from(False, lambda p: "PLI" in c.names(p))
    byes = [p for p in c.rtcp if not p.from_browser and "BYE" in c.names(p)]
    clocks = {audio.h["ssrc"]: 48000, video.h["ssrc"]: 90000}
    out["rtcp-server-remb"] = rtcp_dump(remb_alone, clocks)
    out["rtcp-server-pli"] = rtcp_dump(pli, clocks)
    out["rtcp-server-rr"] = rtcp_dump(rr2, clocks)
    alerts = [p for p in c.dtls if any(r["type"] == 21 for r in p.records)]
    if byes:
        claim(c.names(byes[-1]) == ["RR", "BYE"], "we end with RR + BYE")
        ours = [p for p in alerts if not p.from_browser]
        claim(not ours or byes[-1].t_ns <= ours[0].t_ns, "our RTCP BYE goes before our close_notify")
        out["rtcp-server-bye"] = (
            "the page's `bye` reached the server first, and it sent an empty receiver report and a "
            "BYE\n([RFC 3550 §6.6](https://www.rfc-editor.org/rfc/rfc3550#section-6.6)) before "
            "its DTLS `close_notify`:\n\n" + rtcp_dump(byes[-1], clocks))
    else:
        claim(alerts and alerts[0].from_browser, "without a BYE, Chrome's close_notify came first")
        out["rtcp-server-bye"] = (
            "Chrome's DTLS `close_notify` reached the server before the page's `bye`, so the\n"
            "session ended at the transport: the server answered with its own `close_notify` and "
            "sent no\nRTCP BYE ([RFC 3550 §6.6](https://www.rfc-editor.org/rfc/rfc3550#section-6.6)"
            "), which would have said goodbye to a peer already gone.\n")
    note = ""
    if first is not rr2:
        blocks = next(x for x in first.pkts if x["name"] == "RR")["blocks"]
        about = " and ".join(kinds[b["ssrc"]] for b in blocks)
        empty = [kinds[b["ssrc"]] for b in blocks if b["ext_highest_seq"] == 0]
        note = (f" The server's very first report, at {c.fmt_ms(first.t_ns, 0)} ms, came when only "
                f"the {about} stream had begun")
        note += (f", and its block was still empty: one {empty[0]} packet had arrived.\n"
                 if empty else ".\n")
    out["rtcp-first-note"] = note

    # 1. The REMB at the first video packet, alone (reduced-size, RFC 5506).
    claim(remb_alone.t_ns < first_report.t_ns or first_report.t_ns < video.t_ns,
          "the lone REMB comes before any report that covers video")
    claim(0 <= remb_alone.t_ns - video.t_ns < 50e6, "the lone REMB goes at the first video packet")
    val["remb_ms"] = c.fmt_ms(remb_alone.t_ns, 1)
    val["remb_after_video_ms"] = f"{(remb_alone.t_ns - video.t_ns) / 1e6:.1f}"
    remb = next(x for x in remb_alone.pkts if "remb" in x)["remb"]
    val["remb_bps"] = f"{remb['bitrate']:,}".replace(",", " ")

    # 2. The reports, with our reference time (RFC 3611 RRTR) and the REMB.
    claim(c.names(rr2) == ["RR", "SDES", "XR", "REMB"], "our reports are RR + SDES + XR + REMB")
    xr = next(x for x in rr2.pkts if x["name"] == "XR")
    claim([b["bt"] for b in xr["xr_blocks"]] == [4], "our XR carries one RRTR block")
    dlrr_pkt = c.rtcp_from(True, lambda p: "XR" in c.names(p))
    claim(c.names(dlrr_pkt) == ["SR", "SDES", "XR"], "Chrome answers in SR + SDES + XR")
    dxr = next(x for x in dlrr_pkt.pkts if x["name"] == "XR")
    claim([b["bt"] for b in dxr["xr_blocks"]] == [5], "Chrome's XR carries one DLRR block")
    sub = dxr["xr_blocks"][0]["dlrr"][0]
    our_ssrc = next(x for x in rr2.pkts if x["name"] == "RR")["ssrc"]
    claim(sub["ssrc"] == our_ssrc, "Chrome's DLRR is about the server's RRTR")
    out["rtcp-browser-xr"] = rtcp_dump(dlrr_pkt, clocks)
    val["dlrr_ms"] = c.fmt_ms(dlrr_pkt.t_ns, 0)
    val["dlrr_delay_ms"] = f"{sub['dlrr'] / 65.536:.1f}"
    browser_xr = [e for e in c.s["rtcp"] if e["from"] == "browser" and "XR" in e["kinds"]]
    val["browser_xr_count"] = str(len(browser_xr))

    # 3. PLI: the keyframe interval of `boltrtc serve`, not loss.
    claim(c.names(pli) == ["PLI"], "our PLI goes alone, reduced-size")
    key_saved = c.steps["keyframe-saved"][0]
    claim(pli.t_ns > key_saved, "no PLI before the first keyframe was saved: the first frame was one")
    val["pli_ms"] = c.fmt_ms(pli.t_ns, 1)
    val["pli_after_first_keyframe_s"] = f"{(pli.t_ns - key_saved) / 1e9:.1f}"
    server_plis = [e for e in c.s["rtcp"] if e["from"] == "server" and "PLI" in e["kinds"]]
    val["server_pli_count"] = str(len(server_plis))

    server_rtcp = [e for e in c.s["rtcp"] if e["from"] == "server"]
    browser_rtcp = [e for e in c.s["rtcp"] if e["from"] == "browser"]
    rows = []
    for e in server_rtcp:
        rows.append((f"{(e['t_ns'] - c.t0) / 1e6:.0f}", e["kinds"].replace("+", " + "), e["len"]))
    out["rtcp-server-all"] = table(("t (ms)", "compound", "bytes on the wire"), rows)
    val["server_rtcp_count"] = str(len(server_rtcp))
    val["browser_rtcp_count"] = str(len(browser_rtcp))
    claim(all(e["kinds"] in ("SR(0)+SDES", "SR(0)+SDES+XR") for e in browser_rtcp),
          "every RTCP from Chrome is SR + SDES, some with an XR")
    claim({e["sr_ssrc"] for e in browser_rtcp} == {audio.h["ssrc"], video.h["ssrc"]},
          "Chrome sends sender reports for both of its streams")
    periodic = [e["t_ns"] for e in server_rtcp if e["kinds"].startswith("RR(2)")]
    gaps = [(b - a) / 1e6 for a, b in zip(periodic, periodic[1:])]
    claim(gaps and all(900 <= g <= 1100 for g in gaps), "our reports go about every second")


# ================================================================================================
# Chapter 6: VP8
# ================================================================================================

def build_vp8(c, out, val):
    frames = c.s["video_frames"]
    f0 = frames[0]
    claim(f0.get("keyframe"), "the first video frame is a keyframe")
    rows = []
    for i, p in enumerate(f0["packets"]):
        rows.append((p["seq"], p["len"], p["vp8_len"], p["S"], p["PID"], p["picture_id"],
                     "1" if p["marker"] else "0", c.fmt_ms(p["t_ns"])))
    out["vp8-keyframe-packets"] = table(("seq", "datagram", "VP8 bytes", "S", "PID", "picture ID",
                                         "M", "arrived (ms)"), rows)
    kf_bytes = sum(p["vp8_len"] for p in f0["packets"])
    val["keyframe_bytes"] = str(kf_bytes)
    val["keyframe_packets"] = str(len(f0["packets"]))
    claim(f"{kf_bytes} bytes" in c.steps["first-keyframe"][1], "the server's first keyframe is this frame")
    val["server_first_keyframe_ms"] = f"{c.log_ms(c.steps['first-keyframe'][0])}"
    gaps = [(b["t_ns"] - a["t_ns"]) / 1e6 for a, b in zip(f0["packets"], f0["packets"][1:])]
    span = (f0["packets"][-1]["t_ns"] - f0["packets"][0]["t_ns"]) / 1e6
    claim(span > 2, "the keyframe's packets were spread over time")
    if sum(1 for g in gaps if g > 20) == 1:
        cut = next(i for i, g in enumerate(gaps) if g > 20) + 1
        val["pacing_note"] = (f"the first {cut} packets came together and the other "
                              f"{len(gaps) + 1 - cut} {max(gaps):.0f} ms later")
    else:
        val["pacing_note"] = f"the {len(gaps) + 1} packets came over {span:.0f} ms"
    sizes = [p["vp8_len"] for p in f0["packets"]]
    claim(max(sizes) - min(sizes) <= 1, "Chrome cuts the keyframe into equal parts")

    video = [p for p in c.rtp if p.h["pt"] == c.pt_of("VP8")]
    p = video[0]
    pay = p.h["payload"]
    desc = d.vp8_descriptor(pay)
    fh = d.vp8_frame_header(pay[desc["size"]:])
    claim(desc["X"] and desc["I"] and desc.get("M") and not desc["L"] and not desc["T"] and not desc["K"]
          and not desc["N"],
          "Chrome's descriptor is X, I with a 15-bit picture ID, nothing else")
    claim(fh["keyframe"] and fh["start_code"] == b"\x9d\x01\x2a", "the keyframe header has the start code")
    dump = Dump()
    dump.field(pay[0:1], f"X={desc['X']} R=0 N={desc['N']} S={desc['S']} R=0 PID={desc['PID']}: "
               "start of partition 0, i.e. of a frame")
    dump.field(pay[1:2], f"I={desc['I']} L={desc['L']} T={desc['T']} K={desc['K']}: a picture ID follows")
    dump.field(pay[2:4], f"M=1, picture ID {desc['picture_id']} (15 bits)")
    s = desc["size"]
    tag = pay[s:s + 3]
    dump.field(tag, f"frame tag (little-endian): P={0 if fh['keyframe'] else 1} (key frame), version "
               f"{fh['version']}, show_frame {fh['show_frame']}, first partition {fh['first_part_size']} bytes")
    dump.field(pay[s + 3:s + 6], "start code 9d 01 2a")
    dump.field(pay[s + 6:s + 8], f"width {fh['width']}, horizontal scale {fh['horizontal_scale']}")
    dump.field(pay[s + 8:s + 10], f"height {fh['height']}, vertical scale {fh['vertical_scale']}")
    out["vp8-header"] = dump.render()
    val["keyframe_width"] = str(fh["width"])
    val["keyframe_height"] = str(fh["height"])

    nxt = next(p for p in video[len(f0["packets"]):]
               if d.vp8_descriptor(p.h["payload"])["S"] and not d.vp8_frame_header(
                   p.h["payload"][d.vp8_descriptor(p.h["payload"])["size"]:])["keyframe"])
    nd = d.vp8_descriptor(nxt.h["payload"])
    val["interframe_tag"] = hexs(nxt.h["payload"][nd["size"]:nd["size"] + 3])

    rows = []
    for f in frames:
        ps = f["packets"]
        rows.append((ps[0]["picture_id"], "key" if f.get("keyframe") else "inter", len(ps),
                     sum(p["vp8_len"] for p in ps), f"{ps[0]['seq']}–{ps[-1]['seq']}" if len(ps) > 1 else ps[0]["seq"],
                     f["ts"], c.fmt_ms(ps[-1]["t_ns"], 0)))
    out["vp8-frames"] = table(("picture ID", "frame", "packets", "VP8 bytes", "seq", "RTP timestamp",
                               "complete at (ms)"), rows)
    nth = next((i for i, f in enumerate(frames) if i and f.get("keyframe")), None)
    ordinals = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                "ninth", "tenth", "eleventh", "twelfth"]
    plis = [p for p in c.rtcp if not p.from_browser and "PLI" in c.names(p)]
    st = c.s["server_status"]["stats"]
    if nth is None:
        claim(not plis or plis[0].t_ns > frames[-1]["packets"][-1]["t_ns"],
              "no PLI while the first frames came")
        out["vp8-second-keyframe"] = (
            "Every frame after the first is an interframe. The first packet began a keyframe, so "
            "the server\ngave it half a second to complete (`first_video_keyframe` in "
            "[src/pc/pc_media.c](../../src/pc/pc_media.c))\nand, when it did, asked for no other. "
            "Had the first packet been part of an interframe (a stream\njoined late, or a lost "
            "keyframe), it would have sent a PLI at once. The later keyframes of the\nsession "
            "answer the PLIs of `boltrtc serve`'s keyframe interval (chapter 5).\n")
    else:
        claim(plis and frames[nth]["packets"][0]["t_ns"] > plis[0].t_ns,
              "the second keyframe comes after our PLI")
        first = ("The very next frame" if nth == 1 else
                 f"The frame after the keyframe is an interframe of "
                 f"{sum(p['vp8_len'] for p in frames[1]['packets'])} bytes; the {ordinals[nth]} frame")
        out["vp8-second-keyframe"] = (
            f"{first} is a keyframe again: Chrome's answer to the PLI the server sent, arriving "
            f"{(frames[nth]['packets'][0]['t_ns'] - plis[0].t_ns) / 1e6:.0f} ms after it.\n")
    n_plis = sum(1 for e in c.s["rtcp"] if e["from"] == "server" and "PLI" in e["kinds"])
    claim(st["keyframes"] <= 1 + n_plis, "every keyframe after the first answers a PLI")
    val["ts_step_90k"] = str(frames[1]["ts"] - frames[0]["ts"])
    val["session_frames"] = str(st["frames"])
    val["session_keyframes"] = str(st["keyframes"])
    val["session_frames_dropped"] = str(st["frames_dropped"])


# ================================================================================================
# Chapter 7: JPEG
# ================================================================================================

# ITU-T T.81 annex K.1's example tables, in natural order, and the zigzag order DQT uses.
JPEG_LUMA = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40,
             57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35,
             55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112,
             100, 103, 99]
JPEG_CHROMA = ([17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99,
                99, 99, 99, 99, 47, 66] + [99] * 38)
ZIGZAG = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34,
          27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44,
          51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63]


def jpeg_quality_of(dqts):
    """The libjpeg quality whose scaled annex K tables are these DQT tables, or None."""
    for q in range(1, 101):
        scale = 5000 // q if q < 50 else 200 - 2 * q
        want = [bytes(min(255, max(1, (base[ZIGZAG[i]] * scale + 50) // 100)) for i in range(64))
                for base in (JPEG_LUMA, JPEG_CHROMA)]
        if dqts == want:
            return q
    return None


def build_jpeg(c, out, val):
    segs = d.jpeg_segments(c.jpeg)
    rows = []
    for s in segs:
        what = ""
        if s["name"] == "APP0":
            what = f"JFIF {s['data'][5]}.{s['data'][6]:02d}, density unit {s['data'][7]}"
        elif s["name"] == "DQT":
            what = f"quantization table {s['data'][0] & 15}" + (f" and {s['data'][65] & 15}" if s["length"] > 67 else "")
        elif s["name"] == "SOF0":
            comps = ", ".join(f"{['Y', 'Cb', 'Cr'][i]} {h}x{v}" for i, (cid, h, v) in enumerate(s["components"]))
            what = f"baseline, {s['precision']}-bit, {s['width']}x{s['height']}, sampling {comps}"
        elif s["name"] == "DHT":
            what = f"Huffman table class {s['data'][0] >> 4} id {s['data'][0] & 15}"
        elif s["name"] == "SOS":
            what = f"{s['data'][0]} components; entropy-coded data follows"
        rows.append((f"{s['offset']}", f"ff {s['marker']:02x}", s["name"], s["length"] or "", what))
    out["jpeg-segments"] = table(("offset", "marker", "name", "length", "what"), rows)
    sof = next(s for s in segs if s["name"] == "SOF0")
    claim([s["data"][0] & 15 for s in segs if s["name"] == "DQT"] == [0, 1],
          "the JPEG has two quantization tables, luma and chroma")
    quality = jpeg_quality_of([s["data"][1:65] for s in segs if s["name"] == "DQT"])
    claim(quality is not None, "the quantization tables are libjpeg's annex K tables, scaled")
    val["jpeg_quality"] = str(quality)
    claim(c.jpeg[-2:] == b"\xff\xd9", "the JPEG ends with EOI")
    claim(c.jpeg[6:11] == b"JFIF\0", "the JPEG is JFIF")
    claim([(h, v) for _, h, v in sof["components"]] == [(2, 2), (1, 1), (1, 1)], "the JPEG is 4:2:0")
    kf = c.json_message("keyframe")
    claim((sof["width"], sof["height"]) == (kf["width"], kf["height"]), "the JPEG has the keyframe's size")
    dump = Dump()
    dump.field(c.jpeg[0:2], "SOI: start of image")
    dump.field(c.jpeg[2:4], "APP0 marker")
    dump.field(c.jpeg[4:6], "length 16")
    dump.field(c.jpeg[6:11], '"JFIF\\0"')
    dump.field(c.jpeg[11:13], f"version {c.jpeg[11]}.{c.jpeg[12]:02d}")
    dump.field(c.jpeg[13:14], "density units 0: only an aspect ratio")
    dump.field(c.jpeg[14:18], "density 1:1")
    dump.field(c.jpeg[18:20], "no thumbnail")
    out["jpeg-head"] = dump.render()
    val["jpeg_bytes"] = str(len(c.jpeg))
    val["jpeg_width"] = str(sof["width"])
    val["jpeg_height"] = str(sof["height"])
    val["keyframe_saved_ms"] = f"{c.log_ms(c.steps['keyframe-saved'][0])}"
    val["jpeg_after_keyframe_ms"] = f"{(c.steps['keyframe-saved'][0] - c.steps['first-keyframe'][0]) / 1e6:.0f}"
    val["vp8_to_jpeg_ratio"] = f"{len(c.jpeg) / int(val['keyframe_bytes']):.1f}"


# ================================================================================================
# Chapter 8: the whole journey
# ================================================================================================

def journey_events(c):
    """(sort key, shown ms, from, to, text) of the journey on the page's clock. The server's
    log prints times cut to the millisecond, so a step from it is shown as a whole millisecond
    and sorted within that millisecond after the packet that caused it and before the packet
    it caused."""
    ev = []
    P, S, B, W, C = "page", "sig", "pc", "worker", "browser"

    def wire(t, a, b, text):
        ev.append((t, f"{c.ms(t):.1f}", a, b, text))

    def logged(t, a, b, text, after=None, before=None):
        key = t
        if after is not None and key <= after:
            key = after + 1
        if before is not None and key >= before:
            key = before - 1
        claim(t - 1_000_000 < key < t + 1_000_000, "a logged step lies in its millisecond")
        ev.append((key, str(c.log_ms(t)), a, b, text))

    wire(c.page("connect"), P, P, "Connect pressed (t = 0)")
    wire(c.signaling["request_t_ns"], P, S, "GET /ws (WebSocket upgrade)")
    wire(c.signaling["response_t_ns"], S, P, "101 Switching Protocols")
    offer = next(m for m in c.messages() if m["text"].startswith('{"type":"offer"'))
    wire(offer["t_ns"], P, S, "offer (SDP, setup actpass, no candidates)")
    logged(c.steps["answer"][0], S, S, f"answer made ({c.steps['answer'][1]})",
           after=offer["t_ns"], before=c.message_time("answer"))
    wire(c.message_time("answer"), S, P, "answer")
    requests = [p for p in c.stun if p.msg["type"] == 0x0001]
    nominated = next(p for p in requests if d.stun_attr(p.msg, "USE-CANDIDATE"))
    wire(requests[0].t_ns, C, B, "STUN Binding request (first check" +
         (", with USE-CANDIDATE)" if nominated is requests[0] else ")"))
    first_resp = answered(c, requests[0])
    wire(first_resp.t_ns, B, C, "Binding success response")
    ours = next(p for p in requests if not p.from_browser)
    wire(ours.t_ns, B, C, "STUN Binding request (the server's triggered check)")
    wire(answered(c, ours).t_ns, C, B, "Binding success response")
    logged(c.steps["ice-connected"][0], B, B, "ICE connected (pair selected)",
           after=answered(c, ours).t_ns)
    wire(c.ch_pkt.t_ns, B, C, "DTLS ClientHello")
    seen = set()
    for p in c.dtls[1:]:
        if any(r["type"] == 21 for r in p.records):
            continue
        names = [handshake_label(r).split(" (")[0].replace(", encrypted", "") for r in p.records]
        text = "DTLS " + ", ".join(dict.fromkeys(names))
        key = (p.from_browser, text)
        wire(p.t_ns, C if p.from_browser else B, B if p.from_browser else C,
             text + (" (resent)" if key in seen else ""))
        seen.add(key)
    chrome_finished = max(p.t_ns for p in c.dtls if p.from_browser and
                          not any(r["type"] == 21 for r in p.records))
    logged(c.steps["srtp-ready"][0], B, B, f"SRTP keyed ({c.steps['srtp-ready'][1]})",
           after=chrome_finished)
    if nominated is not requests[0]:
        wire(nominated.t_ns, C, B, "check with USE-CANDIDATE (nomination)")
    wire(c.page("camera"), P, P, "camera ready")
    audio = c.first_rtp(c.pt_of("opus"))
    video = c.first_rtp(c.pt_of("VP8"))
    wire(audio.t_ns, C, B, "first SRTP packet (Opus)")
    wire(video.t_ns, C, B, "first VP8 packet (a keyframe begins)")
    first_fb = c.rtcp_from(False, lambda p: "PLI" in c.names(p) or "REMB" in c.names(p))
    wire(first_fb.t_ns, B, C, "SRTCP " + " + ".join(c.names(first_fb)))
    f0 = c.s["video_frames"][0]
    wire(f0["packets"][-1]["t_ns"], C, B, f"the keyframe's last packet (marker), {len(f0['packets'])} in all")
    logged(c.steps["first-keyframe"][0], B, W, "first keyframe assembled, handed to the worker",
           after=f0["packets"][-1]["t_ns"])
    logged(c.steps["keyframe-saved"][0], W, S, "shoot1.jpg written",
           before=c.message_time("keyframe"))
    wire(c.message_time("keyframe"), S, P, "keyframe message (the page shows shoot1.jpg)")
    wire(c.message_time("bye"), P, S, "Hang up (bye)")
    byes = [p for p in c.rtcp if not p.from_browser and "BYE" in c.names(p)]
    if byes:
        wire(byes[-1].t_ns, B, C, "SRTCP RR + BYE")
    alerts = [p for p in c.dtls if any(r["type"] == 21 for r in p.records)]
    for p in alerts:
        wire(p.t_ns, C if p.from_browser else B, B if p.from_browser else C, "DTLS close_notify")
    ev.sort(key=lambda e: e[0])
    for e in ev:
        claim(";" not in e[4] and "#" not in e[4], "no journey text breaks Mermaid")
    return ev


def build_journey(c, out, val):
    ev = journey_events(c)
    names = {"page": "Page", "browser": "Chrome", "sig": "Signaling", "pc": "PeerConnection",
             "worker": "Worker"}
    mer = ["sequenceDiagram",
           "    participant Page as Page (JavaScript)",
           "    participant Chrome as Chrome's WebRTC",
           "    participant Signaling as boltrtc signaling",
           "    participant PeerConnection as boltrtc peer connection",
           "    participant Worker as keyframe worker"]
    for _, shown, a, b, text in ev:
        ms = f"{int(float(shown))} ms"
        if a == b:
            mer.append(f"    Note over {names[a]}: {ms} {text}")
        else:
            mer.append(f"    {names[a]}->>{names[b]}: {ms} {text}")
    out["sequence-mermaid"] = fence(mer, "mermaid")
    lines = []
    for _, shown, a, b, text in ev:
        arrow = names[a] if a == b else f"{names[a]} → {names[b]}"
        lines.append(f"{shown:>8} ms  {arrow:<32}  {text}")
    out["sequence-text"] = fence(lines, "text")
    first_check = next(p for p in c.stun).t_ns
    saved = c.steps["keyframe-saved"][0]
    dtls_done = max(p.t_ns for p in c.dtls if not any(r["type"] == 21 for r in p.records))
    first_media = min(p.t_ns for p in c.rtp)
    claim(first_check < dtls_done < first_media < saved, "ICE and DTLS are done before media starts")
    val["ice_dtls_ms"] = f"{(dtls_done - first_check) / 1e6:.0f}"
    val["dtls_to_media_ms"] = f"{(first_media - dtls_done) / 1e6:.0f}"
    claim(c.message_time("answer") - c.message_time("offer") < 100e6,
          "signaling itself takes milliseconds")
    val["offer_ms"] = f"{c.ms(c.message_time('offer')):.0f}"
    val["first_check_to_keyframe_saved_ms"] = (
        f"{(c.steps['keyframe-saved'][0] - next(p for p in c.stun).t_ns) / 1e6:.0f}")
    byes = [p for p in c.rtcp if not p.from_browser and "BYE" in c.names(p)]
    chrome_alert = [p.t_ns for p in c.dtls if p.from_browser and any(r["type"] == 21 for r in p.records)]
    if byes:
        val["hangup_note"] = ("At hang-up the server said goodbye twice: an RTCP BYE for the media, "
                              "then a DTLS `close_notify` for the transport; Chrome's own "
                              "`close_notify` " + ("followed" if chrome_alert and chrome_alert[0] > byes[-1].t_ns
                                                   else "had crossed them on the way"))
    else:
        val["hangup_note"] = ("At hang-up Chrome's DTLS `close_notify` overtook the page's `bye`: "
                              "the server answered it with its own and the session was over")


def build_readme(c, out, val):
    m = c.s["meta"]
    val["captured_at"] = m["captured_at"]
    val["hold_s"] = f"{m['hold_s']:g}"
    val["chromium"] = m["chromium"].split(" built")[0]
    val["boltrtc_commit"] = m["boltrtc_commit"]
    val["datagrams"] = str(m["udp_datagrams"])
    val["datagrams_kept"] = str(m["udp_datagrams_kept"])
    port = m["server_udp"].rsplit(":", 1)[1]
    out["tshark-command"] = fence([
        "tshark -r docs/journey/capture/session.pcap \\",
        "    -o tls.keylog_file:docs/journey/capture/keylog.txt \\",
        f"    -d udp.port=={port},stun"], "sh")
    first_req = next(p for p in c.stun if p.msg["type"] == 0x0001)
    out["dump-example"] = fence(stun_dump(c, first_req, c.sdp_value(c.answer, "a=ice-pwd:"))
                                .split("\n")[1:4])


BUILDERS = [build_signaling, build_ice, build_dtls, build_srtp, build_rtp, build_vp8, build_jpeg,
            build_journey, build_readme]


def build_all(folder=CAPTURE):
    c = Capture(folder)
    blocks, values = {}, {}
    for b in BUILDERS:
        b(c, blocks, values)
    return blocks, values


def chapters():
    return sorted(os.path.join(JOURNEY, f) for f in os.listdir(JOURNEY) if f.endswith(".md"))


def render_text(text, blocks, values, used):
    def filler(table, kind):
        def fill(m):
            name = m.group(2)
            if name not in table:
                raise KeyError(f"no generated {kind} named {name}")
            used.add(kind[0] + ":" + name)
            return m.group(1) + table[name] + m.group(4)
        return fill

    return VALUE_RE.sub(filler(values, "value"), BLOCK_RE.sub(filler(blocks, "block"), text))


def check_markers(path, text):
    """A value inside a code span would show its markers: GitHub renders comments there."""
    for n, line in enumerate(text.split("\n"), 1):
        for m in re.finditer(r"<!-- v:[a-z0-9_]+ -->", line):
            if line[:m.start()].count("`") % 2:
                raise ValueError(f"{path}:{n}: a value marker inside a code span")


def render_all(write=False, folder=CAPTURE):
    """Rewrite (write=True) or compare every chapter; returns the list of stale files."""
    blocks, values = build_all(folder)
    used, stale = set(), []
    for path in chapters():
        with open(path) as f:
            text = f.read()
        new = render_text(text, blocks, values, used)
        check_markers(path, text)
        if new == text:
            continue
        stale.append(path)
        if write:
            with open(path, "w") as f:
                f.write(new)
        else:
            sys.stdout.writelines(difflib.unified_diff(
                text.splitlines(True), new.splitlines(True), path, path + " (rendered)", n=1))
    unused = sorted(({"b:" + k for k in blocks} | {"v:" + k for k in values}) - used)
    if unused:
        print(f"[journey] generated but shown nowhere: {', '.join(unused)}")
    return stale


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--check", action="store_true", help="exit 1 if a chapter is out of date")
    a = ap.parse_args()
    try:
        stale = render_all(write=not a.check)
    except ClaimError as e:
        sys.exit(f"render: {e}")
    if a.check and stale:
        sys.exit(f"render: {len(stale)} chapter(s) do not match docs/journey/capture: "
                 "run docs/journey/tools/render.py")
    print(f"[journey] {'checked' if a.check else 'rendered'} {len(chapters())} files")


if __name__ == "__main__":
    main()
