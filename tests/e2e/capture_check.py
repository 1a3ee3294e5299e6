"""boltrtc serve --capture DIR, read back with Debian's tshark (issue 7, "Follow along in
Wireshark"): the session's files are there, the wire pcap decodes as STUN, DTLS and SRTP, its
encrypted handshake messages decrypt with the session's keylog (and not without it: the
control), and the plaintext pcap holds the RTP the server counted, with a VP8 keyframe on the
video SSRC and the RTCP both ways. And the terminal's rate lines and summary (issue 7)."""
import glob
import os
import re
import stat
import subprocess

KEYLOG_LINE = re.compile(r"^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$")


def tshark(args, fields):
    cmd = ["tshark", "-n", *args, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"tshark failed: {out.stderr[-800:]}"
    return [dict(zip(fields, line.split("\t"))) for line in out.stdout.splitlines()]


def values(rows, field):
    got = []
    for r in rows:
        got += [v for v in r.get(field, "").split(",") if v]
    return got


def check_captures(folder, udp_port, session, log):
    """session: the server's /api/status record of the one captured session."""
    prefixes = sorted({p[:-len("-wire.pcap")] for p in glob.glob(os.path.join(folder, "*-wire.pcap"))})
    assert len(prefixes) == 1, f"one session, one capture: {os.listdir(folder)}"
    prefix = prefixes[0]
    assert prefix.endswith("-" + session["id"]), f"{prefix} is not session {session['id']}'s"
    wire, plain, keylog = prefix + "-wire.pcap", prefix + "-plain.pcap", prefix + "-keylog.txt"
    for path in (wire, plain, keylog):
        assert os.path.isfile(path), f"{path} is missing"
    mode = stat.S_IMODE(os.stat(keylog).st_mode)
    assert mode == 0o600, f"the keylog is readable by others: {oct(mode)}"
    with open(keylog) as f:
        line = f.read()
    assert KEYLOG_LINE.match(line), f"not an SSLKEYLOGFILE line: {line!r}"

    stats = session["stats"]
    decode = ["-r", wire, "-d", f"udp.port=={udp_port},stun"]
    fields = ["frame.number", "stun.type", "dtls.handshake.type", "rtp.ssrc", "udp.srcport"]
    with_keys = tshark(decode + ["-o", f"tls.keylog_file:{keylog}"], fields)
    without = tshark(decode, fields)
    stun = values(with_keys, "stun.type")
    requests = stun.count("0x0001")
    answers = stun.count("0x0101")
    assert requests >= 1 and answers >= 1, f"STUN: {requests} checks, {answers} answers"
    types = [int(t) for t in values(with_keys, "dtls.handshake.type")]
    plain_types = [int(t) for t in values(without, "dtls.handshake.type")]
    for t, name in ((1, "ClientHello"), (2, "ServerHello"), (11, "Certificate"),
                    (16, "ClientKeyExchange"), (20, "Finished")):
        assert t in types, f"DTLS: no {name} in the wire capture ({sorted(set(types))})"
    # Finished travels encrypted: only the keylog shows it, once from each side.
    assert types.count(20) >= 2, f"DTLS: {types.count(20)} Finished decrypted, want both"
    assert 20 not in plain_types, "a Finished decoded without the keylog: the control is broken"
    ssrcs = {int(s, 16) for s in values(with_keys, "rtp.ssrc")}
    video = stats["video_ssrc"]
    assert video in ssrcs, f"SRTP: video SSRC {video:#x} not among {sorted(map(hex, ssrcs))}"
    log(f"capture wire: {len(with_keys)} datagrams, STUN {requests} checks/{answers} answers, "
        f"DTLS handshake types {sorted(set(types))} ({types.count(20)} Finished decrypted, "
        f"{plain_types.count(20)} without the keylog), SRTP SSRCs {sorted(map(hex, ssrcs))}")

    heur = ["-r", plain, "-o", "rtp.heuristic_rtp:TRUE", "-o", "rtcp.heuristic_rtcp:TRUE"]
    rows = tshark(heur, ["frame.number", "rtp.ssrc", "rtp.p_type", "rtcp.pt", "udp.dstport"])
    rtp_in = [r for r in rows if r.get("rtp.ssrc") and int(r["udp.dstport"]) == udp_port]
    counted = stats["rtp_video"] + stats["rtp_audio"]
    assert len(rtp_in) >= counted > 0, f"plaintext RTP: {len(rtp_in)} in the capture, " \
                                       f"{counted} counted by the server"
    video_rows = [r for r in rtp_in if int(r["rtp.ssrc"], 16) == video]
    pts = {int(r["rtp.p_type"]) for r in video_rows}
    assert len(pts) >= 1, "no plaintext RTP on the video SSRC"
    rtcp_in = [t for r in rows if int(r["udp.dstport"]) == udp_port for t in values([r], "rtcp.pt")]
    rtcp_out = [t for r in rows if int(r["udp.dstport"]) != udp_port for t in values([r], "rtcp.pt")]
    assert "201" in rtcp_out or "200" in rtcp_out, f"no report of ours in plaintext: {rtcp_out[:20]}"
    vp8 = tshark(heur + ["-d", f"rtp.pt=={min(pts)},vp8"], ["frame.number", "rtp.ssrc",
                                                           "vp8.hdr.frametype"])
    keyframes = [r for r in vp8 if r.get("vp8.hdr.frametype") == "0"]
    assert keyframes, "no VP8 keyframe header in the plaintext capture"
    log(f"capture plain: {len(rtp_in)} RTP in (server counted {counted}), video payload "
        f"types {sorted(pts)}, RTCP in {sorted(set(rtcp_in))}, out {sorted(set(rtcp_out))}, "
        f"{len(keyframes)} VP8 keyframe starts")


def check_terminal(text, session, log):
    """The server's log has the session's rate lines (--rate-interval 1) and, at its end, a
    summary naming the video SSRC with the packets the status counted."""
    sid = session["id"]
    # Lines may carry colour codes on a terminal; the test's log is a file, so plain.
    rates = [l for l in text.splitlines() if f" {sid} " in l and "rate: " in l]
    summaries = [l for l in text.splitlines() if f" {sid} " in l and "summary: " in l]
    assert rates, f"no rate line for {sid}"
    assert re.search(r"rate: [\d,]+ kbps, [\d,]+ pkt/s \(video \d+, audio \d+\), [\d.]+ fps",
                     rates[-1]), rates[-1]
    assert len(summaries) == 1, f"{len(summaries)} summaries for {sid}"
    video = f"video ssrc 0x{session['stats']['video_ssrc']:08x}"
    assert video in summaries[0], f"{video} not in {summaries[0]}"
    m = re.search(r"video ssrc 0x[0-9a-f]+: ([\d,]+) packets", summaries[0])
    assert m and int(m.group(1).replace(",", "")) >= session["stats"]["rtp_video"], summaries[0]
    # --log-level debug: the datagrams decoded, one line each (include/boltrtc/inspect.h).
    mine = [l for l in text.splitlines() if f" {sid} " in l]
    for arrow, words in (("<-", "STUN Binding request"), ("<-", "USE-CANDIDATE"),
                         ("->", "STUN Binding success response"), ("->", "ClientHello #0"),
                         ("<-", "ServerHello #0"), ("<-", "handshake, encrypted"), ("->", "): the Finished"),
                         ("<-", "SRTP ssrc 0x"), ("->", "RTCP RR from"), ("<-", "RTCP SR from")):
        assert any(f" {arrow} " in l and words in l for l in mine), \
            f"no debug line {arrow} ... {words} for {sid}"
    log(f"terminal: {len(rates)} rate lines, e.g. {rates[-1].split('rate: ')[1][:90]}...")
    log(f"terminal: {summaries[0].split('summary: ')[1][:140]}...")
