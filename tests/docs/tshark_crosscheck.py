#!/usr/bin/env python3
"""Cross-checks the journey's decoders (docs/journey/tools/decode.py, which write the chapters'
listings) against Wireshark's dissectors, on the committed capture (docs/journey/capture/).

  1. session.pcap as it was on the wire, with keylog.txt: every STUN attribute, every DTLS
     record and handshake header, the cipher suites and SRTP profiles, the DTLS records tshark
     decrypts with the keylog (each Finished and close_notify), every SRTP header.
  2. The same RTP and RTCP decrypted by decode.py, written to a second pcap: every RTCP packet
     (types, SSRCs, report blocks, CNAME, REMB) and every VP8 payload descriptor and keyframe
     header, as tshark's RTCP and VP8 dissectors read them. If decode.py decrypted wrongly,
     tshark would not find these packets at all.

Needs Debian's tshark (scripts/install-deps.sh --test); exits 77 (skipped) without it."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "docs", "journey", "tools"))
import decode as d  # noqa: E402
import render  # noqa: E402

CAPTURE = os.path.join(ROOT, "docs", "journey", "capture")


class Checker:
    def __init__(self):
        self.checked = 0
        self.failures = []

    def eq(self, what, ours, theirs):
        self.checked += 1
        if ours != theirs:
            self.failures.append(f"{what}: decode.py says {ours!r}, tshark {theirs!r}")


def tshark(args, fields=None):
    cmd = ["tshark", "-n", *args]
    if fields:
        cmd += ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
        for f in fields:
            cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        sys.exit(f"tshark failed: {out.stderr[-1000:]}")
    if not fields:
        return out.stdout
    rows = {}
    for line in out.stdout.splitlines():
        cols = line.split("\t")
        rows[int(cols[0])] = dict(zip(fields[1:], cols[1:]))
    return rows


def ints(text, base=10):
    return [int(x, base) for x in text.split(",")] if text else []


def hexint(x):
    return int(x, 16)


def check_wire(c, ck, pcap, keylog):
    wire = ["-r", pcap, "-o", f"tls.keylog_file:{keylog}", "-d", f"udp.port=={c.port},stun"]
    stun_fields = ["frame.number", "stun.type", "stun.id", "stun.att.type", "stun.att.username",
                   "stun.att.priority", "stun.att.tie-breaker", "stun.att.ipv4", "stun.att.port",
                   "stun.att.crc32", "stun.att.google.network_id", "stun.att.google.network_cost"]
    rows = tshark(wire + ["-Y", "stun"], stun_fields)
    for i, p in enumerate(c.udp, 1):
        if p.kind != "stun":
            continue
        r, m = rows[i], p.msg
        ck.eq(f"frame {i} STUN type", m["type"], hexint(r["stun.type"]))
        ck.eq(f"frame {i} transaction ID", m["txid"].hex(), r["stun.id"])
        ck.eq(f"frame {i} attributes", [a["type"] for a in m["attrs"]], ints(r["stun.att.type"], 16))
        attr = {a["name"]: a for a in m["attrs"]}
        if "USERNAME" in attr:
            ck.eq(f"frame {i} USERNAME", attr["USERNAME"]["value"].decode(), r["stun.att.username"])
            ck.eq(f"frame {i} PRIORITY", struct.unpack("!I", attr["PRIORITY"]["value"])[0],
                  int(r["stun.att.priority"]))
            role = attr.get("ICE-CONTROLLING") or attr["ICE-CONTROLLED"]  # Chrome's, or ours
            ck.eq(f"frame {i} tie-breaker", role["value"].hex(), r["stun.att.tie-breaker"])
            if "GOOG-NETWORK-INFO" in attr:  # Chrome's checks only
                nid, cost = struct.unpack("!HH", attr["GOOG-NETWORK-INFO"]["value"])
                ck.eq(f"frame {i} network id, cost", (nid, cost),
                      (int(r["stun.att.google.network_id"]), int(r["stun.att.google.network_cost"])))
        if "XOR-MAPPED-ADDRESS" in attr:
            ck.eq(f"frame {i} XOR-MAPPED-ADDRESS", attr["XOR-MAPPED-ADDRESS"]["address"],
                  f"{r['stun.att.ipv4']}:{r['stun.att.port']}")
        ck.eq(f"frame {i} FINGERPRINT", "0x" + attr["FINGERPRINT"]["value"].hex(), r["stun.att.crc32"])

    dtls_fields = ["frame.number", "dtls.record.content_type", "dtls.record.epoch",
                   "dtls.record.sequence_number", "dtls.record.length", "dtls.handshake.type",
                   "dtls.handshake.message_seq", "dtls.handshake.length",
                   "dtls.handshake.ciphersuite", "dtls.use_srtp.protection_profile"]
    rows = tshark(wire + ["-Y", "dtls"], dtls_fields)
    decrypted = []
    for block in tshark(wire + ["-Y", "dtls", "-x"]).split("\n\n"):
        found, take = [], False
        for line in block.splitlines():
            if line.startswith("Decrypted DTLS"):
                found.append(b"")
                take = True
            elif line.endswith("bytes):"):
                take = False
            elif take and line[:4].strip() and line[4:6] == "  ":
                found[-1] += bytes.fromhex(line[6:54].replace(" ", ""))
        if block.strip():
            decrypted.append(found)
    for n, (i, p) in enumerate((i, p) for i, p in enumerate(c.udp, 1) if p.kind == "dtls"):
        r, recs = rows[i], p.records
        ck.eq(f"frame {i} record types", [x["type"] for x in recs], ints(r["dtls.record.content_type"]))
        ck.eq(f"frame {i} epochs", [x["epoch"] for x in recs], ints(r["dtls.record.epoch"]))
        ck.eq(f"frame {i} sequence numbers", [x["seq"] for x in recs],
              ints(r["dtls.record.sequence_number"]))
        ck.eq(f"frame {i} record lengths", [x["length"] for x in recs], ints(r["dtls.record.length"]))
        plain_hs = [x["handshake"] for x in recs if "handshake" in x]
        opened = []
        off = 0
        for x in recs:
            raw = p.payload[off:off + 13 + x["length"]]
            off += 13 + x["length"]
            if x["epoch"] == 1:
                sender_is_client = p.from_browser != c.we_are_dtls_client
                opened.append(d.dtls_open(c.record_keys["client" if sender_is_client else "server"],
                                          raw)[0])
        # tshark lists decrypted handshake messages (the Finished) among the handshake types.
        types = [h["type"] for h in plain_hs] + [o[0] for o, x in
                                                 zip(opened, [x for x in recs if x["epoch"] == 1])
                                                 if x["type"] == 22]
        ck.eq(f"frame {i} handshake types", types, ints(r["dtls.handshake.type"]))
        seqs = [h["message_seq"] for h in plain_hs] + [struct.unpack_from("!H", o, 4)[0] for o, x in
                                                       zip(opened, [x for x in recs if x["epoch"] == 1])
                                                       if x["type"] == 22]
        ck.eq(f"frame {i} message_seq", seqs, ints(r["dtls.handshake.message_seq"]))
        ck.eq(f"frame {i} decrypted records", [o.hex() for o in opened],
              [b.hex() for b in decrypted[n]])
        for h in plain_hs:
            if h["name"] == "ClientHello":
                ck.eq(f"frame {i} cipher suites", h["cipher_suites"], ints(r["dtls.handshake.ciphersuite"], 16))
                prof = next(e["profiles"] for e in h["extensions"] if e["name"] == "use_srtp")
                ck.eq(f"frame {i} offered SRTP profiles", prof, ints(r["dtls.use_srtp.protection_profile"], 16))
            if h["name"] == "ServerHello":
                ck.eq(f"frame {i} chosen suite", [h["cipher_suite"]], ints(r["dtls.handshake.ciphersuite"], 16))
                prof = next(e["profiles"] for e in h["extensions"] if e["name"] == "use_srtp")
                ck.eq(f"frame {i} chosen SRTP profile", prof, ints(r["dtls.use_srtp.protection_profile"], 16))

    rtp_fields = ["frame.number", "rtp.seq", "rtp.timestamp", "rtp.ssrc", "rtp.p_type",
                  "rtp.marker", "rtp.padding", "rtp.ext.profile"]
    rows = tshark(wire + ["-Y", "rtp"], rtp_fields)
    for i, p in enumerate(c.udp, 1):
        if p.kind != "rtp":
            continue
        r, h = rows[i], d.rtp_parse(p.payload[:-10])
        ck.eq(f"frame {i} SRTP header",
              (h["seq"], h["ts"], h["ssrc"], h["pt"], int(h["marker"]), int(h["padding"]),
               h.get("ext_profile")),
              (int(r["rtp.seq"]), int(r["rtp.timestamp"]), hexint(r["rtp.ssrc"]), int(r["rtp.p_type"]),
               int(r["rtp.marker"] in ("1", "True")), int(r["rtp.padding"] in ("1", "True")),
               hexint(r["rtp.ext.profile"])))


def check_plaintext(c, ck, folder):
    """decode.py's decrypted RTP and RTCP, as a pcap, through tshark's RTP, RTCP and VP8."""
    frames, index = [], []
    for i, p in enumerate(c.udp, 1):
        if p.kind not in ("rtp", "rtcp"):
            continue
        f = bytearray(p.frame[:14 + 20 + 8]) + p.plain
        struct.pack_into("!H", f, 14 + 2, 20 + 8 + len(p.plain))   # IPv4 total length
        struct.pack_into("!H", f, 14 + 10, 0)                      # no IPv4 checksum
        struct.pack_into("!HH", f, 14 + 20 + 4, 8 + len(p.plain), 0)  # UDP length, no checksum
        frames.append((p.t_ns, bytes(f)))
        index.append(p)
    pcap = os.path.join(folder, "plain.pcap")
    d.write_pcap(pcap, frames)
    vp8_pt = c.pt_of("VP8")
    fields = ["frame.number", "rtcp.pt", "rtcp.senderssrc", "rtcp.mediassrc", "rtcp.ssrc.identifier",
              "rtcp.ssrc.ext_high", "rtcp.ssrc.jitter", "rtcp.ssrc.lsr", "rtcp.ssrc.dlsr",
              "rtcp.sdes.text", "rtcp.psfb.remb.fci.br_exp", "rtcp.psfb.remb.fci.br_mantissa",
              "rtcp.psfb.remb.fci.ssrc", "rtcp.xr.bt", "rtcp.xr.lrr", "rtcp.xr.dlrr", "vp8.pld.s", "vp8.pld.pictureid", "vp8.hdr.frametype",
              "vp8.keyframe.width", "vp8.keyframe.height"]
    rows = tshark(["-r", pcap, "-o", "rtp.heuristic_rtp:TRUE", "-o", "rtcp.heuristic_rtcp:TRUE",
                   "-d", f"rtp.pt=={vp8_pt},vp8"], fields)
    for n, p in enumerate(index, 1):
        r = rows[n]
        if p.kind == "rtcp":
            pk = p.pkts
            ck.eq(f"RTCP {n} packet types", [x["type"] for x in pk], ints(r["rtcp.pt"]))
            ck.eq(f"RTCP {n} sender SSRCs", [x["ssrc"] for x in pk if "ssrc" in x and x["type"] != 202],
                  ints(r["rtcp.senderssrc"], 16))
            blocks = [b for x in pk for b in x.get("blocks", [])]
            ck.eq(f"RTCP {n} report blocks",
                  [(b["ssrc"], b["ext_highest_seq"], b["jitter"], b["lsr"], b["dlsr"]) for b in blocks],
                  list(zip([s for s in ints(r["rtcp.ssrc.identifier"], 16) if s in
                            [b["ssrc"] for b in blocks]][:len(blocks)],
                           ints(r["rtcp.ssrc.ext_high"]), ints(r["rtcp.ssrc.jitter"]),
                           ints(r["rtcp.ssrc.lsr"]), ints(r["rtcp.ssrc.dlsr"]))))
            ck.eq(f"RTCP {n} CNAMEs", [v.decode() for x in pk for ch in x.get("chunks", [])
                                       for _, v in ch["items"]],
                  r["rtcp.sdes.text"].split(",") if r["rtcp.sdes.text"] else [])
            remb = [x["remb"] for x in pk if "remb" in x]
            ck.eq(f"RTCP {n} REMB", [(x["exponent"], x["mantissa"], x["ssrcs"]) for x in remb],
                  [(int(e), int(m), ints(r["rtcp.psfb.remb.fci.ssrc"], 16))
                   for e, m in zip(ints(r["rtcp.psfb.remb.fci.br_exp"]) or [],
                                   ints(r["rtcp.psfb.remb.fci.br_mantissa"]) or [])])
            xr = [b for x in pk for b in x.get("xr_blocks", [])]
            ck.eq(f"RTCP {n} XR block types", [b["bt"] for b in xr], ints(r["rtcp.xr.bt"]) or [])
            ck.eq(f"RTCP {n} DLRR", [(sub["lrr"], sub["dlrr"]) for b in xr for sub in b.get("dlrr", [])],
                  list(zip(ints(r["rtcp.xr.lrr"]) or [], ints(r["rtcp.xr.dlrr"]) or [])))
            ck.eq(f"RTCP {n} media SSRCs", [x["media_ssrc"] for x in pk if "media_ssrc" in x],
                  ints(r["rtcp.mediassrc"], 16))
        elif p.h["pt"] == vp8_pt:
            desc = d.vp8_descriptor(p.h["payload"])
            ck.eq(f"RTP {n} VP8 S bit and picture ID", (desc["S"], desc["picture_id"]),
                  (int(r["vp8.pld.s"] in ("1", "True")), int(r["vp8.pld.pictureid"])))
            if desc["S"]:
                fh = d.vp8_frame_header(p.h["payload"][desc["size"]:])
                ck.eq(f"RTP {n} VP8 frame type", 0 if fh["keyframe"] else 1, int(r["vp8.hdr.frametype"]))
                if fh["keyframe"]:
                    ck.eq(f"RTP {n} VP8 keyframe size", (fh["width"], fh["height"]),
                          (int(r["vp8.keyframe.width"]), int(r["vp8.keyframe.height"])))


def main():
    if shutil.which("tshark") is None:
        print("tshark_crosscheck: tshark is not installed (scripts/install-deps.sh --test): skipped")
        sys.exit(77)
    c = render.Capture(CAPTURE)
    ck = Checker()
    with tempfile.TemporaryDirectory(prefix="boltrtc-tshark-") as folder:
        check_wire(c, ck, os.path.join(CAPTURE, "session.pcap"), os.path.join(CAPTURE, "keylog.txt"))
        check_plaintext(c, ck, folder)
    for f in ck.failures:
        print(f)
    if ck.failures or ck.checked < 100:
        sys.exit(f"tshark_crosscheck: {len(ck.failures)} of {ck.checked} comparisons differ")
    print(f"tshark_crosscheck: {ck.checked} fields agree with tshark")


if __name__ == "__main__":
    main()
