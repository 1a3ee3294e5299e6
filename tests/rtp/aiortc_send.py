#!/usr/bin/env python3
"""Our sending side checked by another implementation's parsers: aiortc (Debian's
python3-aiortc) reads the RTP packets, header extensions and the sender report that
send_peer prints, and writes the RR, NACK and PLI it is fed; the RTX packet that comes back is
unwrapped with aiortc's unwrap_rtx and must be the original packet.

usage: aiortc_send.py PATH/TO/send_peer"""
import json
import struct
import subprocess
import sys

try:
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
    from aiortc.rtp import (HeaderExtensionsMap, RtcpPacket, RtcpPsfbPacket, RtcpReceiverInfo,
                            RtcpRrPacket, RtcpRtpfbPacket, RtcpSdesPacket, RtcpSrPacket,
                            RtpPacket, unpack_header_extensions, unwrap_rtx)
except ImportError as e:
    sys.exit(f"aiortc_send: needs Debian's python3-aiortc (scripts/install-deps.sh --test): {e}")

# The constants of send_peer.c.
VIDEO_SSRC, RTX_SSRC, AUDIO_SSRC, PEER_SSRC = 0x1234ABCD, 0x1234ABCE, 0x0A0B0C0D, 0x0BADF00D
TS_OFFSET = 0x01000000
UNIX_S = 1700000000
NTP_EPOCH = 2208988800
CAPTURE_US = 1000000

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL {what}", file=sys.stderr)


def extmap():
    m = HeaderExtensionsMap()
    m.configure(RTCRtpParameters(headerExtensions=[
        RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
        RTCRtpHeaderExtensionParameters(
            id=2, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
        RTCRtpHeaderExtensionParameters(
            id=3, uri="http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"),
        RTCRtpHeaderExtensionParameters(id=4, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
    ]))
    return m


def raw_extensions(data):
    """(id, value) pairs of a packet's one-byte extension block, by aiortc's own unpacker."""
    cc = data[0] & 0x0F
    pos = 12 + 4 * cc
    profile, words = struct.unpack_from("!HH", data, pos)
    return dict(unpack_header_extensions(profile, data[pos + 4:pos + 4 + 4 * words]))


def main():
    peer = subprocess.Popen([sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, bufsize=1)
    ext = extmap()
    rtp, sr_hex, sr_at = [], None, None
    for line in peer.stdout:
        msg = json.loads(line)
        if msg["kind"] == "rtp":
            rtp.append(bytes.fromhex(msg["hex"]))
        elif msg["kind"] == "sr_at":
            sr_at = msg["us"]
        elif msg["kind"] == "sr":
            sr_hex = msg["hex"]
        elif msg["kind"] == "ready":
            break

    # --- RTP: audio leaves first (the pacer's priority), then the keyframe's three packets.
    pkts = [RtpPacket.parse(p, ext) for p in rtp]
    check(len(pkts) == 4, f"4 packets, got {len(pkts)}")
    audio, video = pkts[0], pkts[1:]
    check(audio.ssrc == AUDIO_SSRC and audio.payload_type == 111 and audio.marker == 1,
          f"audio header {audio}")
    check(audio.sequence_number == 500 and audio.timestamp == TS_OFFSET + 48000, "audio seq/ts")
    check(audio.extensions.audio_level == (True, 40), f"audio level {audio.extensions.audio_level}")
    check(audio.extensions.mid == "1", "audio mid")
    sizes = [1000, 1000, 500]
    for i, p in enumerate(video):
        check(p.ssrc == VIDEO_SSRC and p.payload_type == 96, f"video header {p}")
        check(p.sequence_number == 1000 + i, f"video seq {p.sequence_number}")
        check(p.timestamp == TS_OFFSET + 90000, f"video ts {p.timestamp}")
        check(p.marker == (1 if i == 2 else 0), "marker on the frame's last packet")
        check(p.extensions.mid == "0", f"video mid {p.extensions.mid}")
        check(p.extensions.abs_send_time == 1 << 18, f"abs-send-time {p.extensions.abs_send_time}")
        check(p.payload == bytes((i * 7 + k) & 0xFF for k in range(sizes[i])), "video payload")
    twcc = [p.extensions.transport_sequence_number for p in pkts]
    check(twcc == [7, 8, 9, 10], f"transport-wide seqs {twcc}")
    act = raw_extensions(rtp[1]).get(5)
    want_ntp = (UNIX_S + CAPTURE_US // 1000000 + NTP_EPOCH) << 32
    check(act is not None and struct.unpack("!Q", act)[0] == want_ntp, f"abs-capture-time {act}")
    check(5 not in raw_extensions(rtp[2]), "abs-capture-time only on a frame's first packet")

    # --- The sender report, RFC 3550 6.4.1, and its SDES CNAME.
    rtcp = RtcpPacket.parse(bytes.fromhex(sr_hex))
    check(len(rtcp) == 2 and isinstance(rtcp[0], RtcpSrPacket)
          and isinstance(rtcp[1], RtcpSdesPacket), f"SR + SDES: {rtcp}")
    sr = rtcp[0]
    ntp_us = (UNIX_S + NTP_EPOCH) * 1000000 + sr_at
    want = (ntp_us // 1000000) << 32 | ((ntp_us % 1000000) * (1 << 32) + 500000) // 1000000
    check(sr.ssrc == VIDEO_SSRC, "SR SSRC")
    check(sr.sender_info.ntp_timestamp == want, f"SR NTP {sr.sender_info.ntp_timestamp:x}")
    check(sr.sender_info.rtp_timestamp == (TS_OFFSET + sr_at * 90000 // 1000000) & 0xFFFFFFFF,
          "SR RTP time of the same instant")
    check(sr.sender_info.packet_count == 3 and sr.sender_info.octet_count == 2500, "SR counts")
    check(rtcp[1].chunks[0].ssrc == VIDEO_SSRC
          and rtcp[1].chunks[0].items == [(1, b"boltrtc-peer")], f"CNAME {rtcp[1].chunks}")

    def feed(at_us, packet_bytes):
        peer.stdin.write(f"{at_us} {packet_bytes.hex()}\n")
        peer.stdin.flush()
        out = []
        for line in peer.stdout:
            msg = json.loads(line)
            if msg["kind"] == "done":
                return out, msg
            out.append(bytes.fromhex(msg["hex"]))
        raise SystemExit("send_peer ended early")

    # --- aiortc's RR echoing our SR, 300 ms later, held 250 ms: RTT 50 ms.
    lsr = (sr.sender_info.ntp_timestamp >> 16) & 0xFFFFFFFF
    rr = RtcpRrPacket(ssrc=PEER_SSRC, reports=[RtcpReceiverInfo(
        ssrc=VIDEO_SSRC, fraction_lost=0, packets_lost=1, highest_sequence=1002, jitter=0,
        lsr=lsr, dlsr=int(0.25 * 65536))])
    out, done = feed(sr_at + 300000, bytes(rr))
    check(done["parse"] == 0 and done["rtt_samples"] == 1, f"RR handled: {done}")
    check(abs(done["rtt_us"] - 50000) <= 100, f"RTT {done['rtt_us']} us")

    # --- aiortc's NACK for 1001, alone (reduced-size, RFC 5506): an RTX packet comes back.
    nack = RtcpRtpfbPacket(fmt=1, ssrc=PEER_SSRC, media_ssrc=VIDEO_SSRC, lost=[1001])
    out, done = feed(sr_at + 400000, bytes(nack))
    check(len(out) == 1 and done["rtx_sent"] == 1, f"one retransmission: {done}")
    if out:
        rtx = RtpPacket.parse(out[0], ext)
        check(rtx.ssrc == RTX_SSRC and rtx.payload_type == 97 and rtx.sequence_number == 2000,
              f"RTX header {rtx}")
        check(rtx.extensions.mid == "0", "RTX carries mid until its SSRC is acknowledged")
        orig = unwrap_rtx(rtx, payload_type=96, ssrc=VIDEO_SSRC)
        first = video[1]
        check(orig.sequence_number == 1001 and orig.timestamp == first.timestamp
              and orig.marker == first.marker and orig.payload == first.payload,
              "unwrap_rtx gives the original packet back")

    # --- aiortc's PLI: the owner is asked for a keyframe.
    pli = RtcpPsfbPacket(fmt=1, ssrc=PEER_SSRC, media_ssrc=VIDEO_SSRC)
    out, done = feed(sr_at + 500000, bytes(pli))
    check(done["keyframe"] is True and not out, f"PLI: {done}")
    # A second PLI right away is the same need.
    out, done = feed(sr_at + 510000, bytes(pli))
    check(done["keyframe"] is False, "PLI coalesced")

    peer.stdin.close()
    check(peer.wait(timeout=10) == 0, "send_peer exit status")
    print(f"aiortc_send: {'ok' if failures == 0 else f'{failures} failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
