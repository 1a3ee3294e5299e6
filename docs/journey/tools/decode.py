"""Small decoders for the journey's captured bytes, written from the RFCs for the chapters'
listings: pcap files, IPv4/UDP/TCP, WebSocket frames, STUN, DTLS records and handshake
messages, the TLS 1.2 PRF and the DTLS-SRTP exporter, the SRTP key derivation and AES-CM
decryption, RTP headers and extensions, RTCP packets, the VP8 payload descriptor and keyframe
header, JPEG markers. They are deliberately independent of boltrtc's own parsers (the chapters
link to those), so each checks the other; tests/docs/tshark_crosscheck.py checks them against
Wireshark's dissectors.

Standard library only, except AES (python3-cryptography, Debian's package)."""
import hashlib
import hmac
import ipaddress
import struct
import zlib

# ---- pcap ----------------------------------------------------------------------------------

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D


def read_pcap(path):
    """[(t_ns, frame)] from a little-endian pcap of Ethernet frames."""
    with open(path, "rb") as f:
        data = f.read()
    magic, _, _, _, _, _, linktype = struct.unpack_from("<IHHiIII", data, 0)
    if magic not in (PCAP_MAGIC_US, PCAP_MAGIC_NS) or linktype != 1:
        raise ValueError(f"{path}: not a little-endian Ethernet pcap")
    scale = 1 if magic == PCAP_MAGIC_NS else 1000
    out, pos = [], 24
    while pos + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack_from("<IIII", data, pos)
        out.append((sec * 1_000_000_000 + frac * scale, data[pos + 16:pos + 16 + incl]))
        pos += 16 + incl
    return out


def write_pcap(path, frames):
    """A nanosecond pcap of Ethernet frames."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", PCAP_MAGIC_NS, 2, 4, 0, 0, 65535, 1))
        for t_ns, frame in frames:
            f.write(struct.pack("<IIII", t_ns // 1_000_000_000, t_ns % 1_000_000_000,
                                len(frame), len(frame)))
            f.write(frame)


class Packet:
    """One IPv4 UDP datagram or TCP segment off an Ethernet frame."""

    def __init__(self, t_ns, frame):
        self.t_ns = t_ns
        self.frame = frame
        ip = 14
        ihl = (frame[ip] & 0x0F) * 4
        self.proto = frame[ip + 9]
        self.src_ip = str(ipaddress.IPv4Address(frame[ip + 12:ip + 16]))
        self.dst_ip = str(ipaddress.IPv4Address(frame[ip + 16:ip + 20]))
        total = struct.unpack_from("!H", frame, ip + 2)[0]
        l4 = ip + ihl
        self.sport, self.dport = struct.unpack_from("!HH", frame, l4)
        if self.proto == 17:
            self.payload = frame[l4 + 8:ip + total]
        else:
            self.seq = struct.unpack_from("!I", frame, l4 + 4)[0]
            self.flags = frame[l4 + 13]
            off = (frame[l4 + 12] >> 4) * 4
            self.payload = frame[l4 + off:ip + total]

    @property
    def src(self):
        return f"{self.src_ip}:{self.sport}"

    @property
    def dst(self):
        return f"{self.dst_ip}:{self.dport}"


def packets(path):
    return [Packet(t, f) for t, f in read_pcap(path)]


def classify(payload):
    """RFC 7983 section 7: the first byte says which protocol a datagram carries."""
    b = payload[0]
    if b <= 3:
        return "stun"
    if 20 <= b <= 63:
        return "dtls"
    if 128 <= b <= 191:
        # RFC 5761 section 4: on a muxed port, payload types 64..95 (RTCP types 192..223).
        return "rtcp" if 192 <= payload[1] <= 223 else "rtp"
    return "other"


# ---- TCP and WebSocket (signaling) ----------------------------------------------------------

def tcp_streams(pkts, port):
    """Both byte streams of each TCP connection to `port`, in sequence order, each as a list
    of (t_ns, offset, bytes) segments: {(client, direction): segments}."""
    streams = {}
    for p in pkts:
        if p.proto != 6 or not p.payload or port not in (p.sport, p.dport):
            continue
        client = p.src if p.dport == port else p.dst
        direction = "to-server" if p.dport == port else "to-client"
        streams.setdefault((client, direction), []).append(p)
    out = {}
    for key, segs in streams.items():
        base = min(s.seq for s in segs)
        seen, ordered = set(), []
        for s in sorted(segs, key=lambda s: (s.seq - base) % 2**32):
            off = (s.seq - base) % 2**32
            if off in seen:  # a retransmission
                continue
            seen.add(off)
            ordered.append((s.t_ns, off, s.payload))
        out[key] = ordered
    return out


def ws_messages(segments):
    """The HTTP head and the WebSocket frames (RFC 6455 5.2) of one direction of a connection:
    ((head, t_ns of the segment that completed it), [frame dicts, each with its t_ns])."""
    data, ends = b"", []
    for t_ns, off, payload in segments:
        if off != len(data):
            raise ValueError("a gap in the TCP stream")
        data += payload
        ends.append((len(data), t_ns))
    head_end = data.index(b"\r\n\r\n") + 4
    head = (data[:head_end].decode("latin-1"), next(t for end, t in ends if end >= head_end))
    frames, pos = [], head_end
    while pos + 2 <= len(data):
        b0, b1 = data[pos], data[pos + 1]
        n, p = b1 & 0x7F, pos + 2
        if n == 126:
            n, p = struct.unpack_from("!H", data, p)[0], p + 2
        elif n == 127:
            n, p = struct.unpack_from("!Q", data, p)[0], p + 8
        mask = None
        if b1 & 0x80:
            mask, p = data[p:p + 4], p + 4
        if p + n > len(data):
            break
        body = data[p:p + n]
        if mask:
            body = bytes(c ^ mask[i % 4] for i, c in enumerate(body))
        t_ns = next(t for end, t in ends if end >= p + n)
        frames.append({"t_ns": t_ns, "opcode": b0 & 0x0F, "fin": bool(b0 & 0x80),
                       "masked": mask is not None, "header_len": p - pos, "payload": body})
        pos = p + n
    return head, frames


# ---- STUN (RFC 8489, RFC 8445, RFC 7983) -----------------------------------------------------

STUN_MAGIC = 0x2112A442
STUN_TYPES = {0x0001: "Binding request", 0x0101: "Binding success response",
              0x0111: "Binding error response", 0x0011: "Binding indication"}
STUN_ATTRS = {
    0x0001: "MAPPED-ADDRESS", 0x0006: "USERNAME", 0x0008: "MESSAGE-INTEGRITY",
    0x0009: "ERROR-CODE", 0x0020: "XOR-MAPPED-ADDRESS", 0x0024: "PRIORITY",
    0x0025: "USE-CANDIDATE", 0x8022: "SOFTWARE", 0x8028: "FINGERPRINT",
    0x8029: "ICE-CONTROLLED", 0x802A: "ICE-CONTROLLING",
    0xC057: "GOOG-NETWORK-INFO",  # libwebrtc's own, comprehension-optional (>= 0x8000)
}


def stun_parse(b):
    """{'type', 'length', 'txid', 'attrs': [{'type', 'name', 'offset', 'value', ...}]}"""
    mtype, length, cookie = struct.unpack_from("!HHI", b, 0)
    if cookie != STUN_MAGIC or length + 20 != len(b):
        raise ValueError("not a STUN message")
    msg = {"type": mtype, "name": STUN_TYPES.get(mtype, f"0x{mtype:04x}"), "length": length,
           "txid": b[8:20], "attrs": []}
    pos = 20
    while pos < len(b):
        atype, alen = struct.unpack_from("!HH", b, pos)
        value = b[pos + 4:pos + 4 + alen]
        attr = {"type": atype, "name": STUN_ATTRS.get(atype, f"0x{atype:04x}"), "offset": pos,
                "len": alen, "value": value, "padded": (alen + 3) & ~3}
        if atype == 0x0020:
            attr["address"] = stun_xor_address(value, b)
        msg["attrs"].append(attr)
        pos += 4 + attr["padded"]
    return msg


def stun_xor_address(v, header):
    """RFC 8489 14.2: port XOR the cookie's top 16 bits; IPv4 XOR the cookie."""
    family = v[1]
    port = struct.unpack_from("!H", v, 2)[0] ^ (STUN_MAGIC >> 16)
    if family == 1:
        ip = struct.unpack_from("!I", v, 4)[0] ^ STUN_MAGIC
        return f"{ipaddress.IPv4Address(ip)}:{port}"
    ip = bytes(x ^ y for x, y in zip(v[4:20], header[4:20]))
    return f"[{ipaddress.IPv6Address(ip)}]:{port}"


def stun_attr(msg, name):
    return next((a for a in msg["attrs"] if a["name"] == name), None)


def stun_integrity_ok(b, msg, password):
    """RFC 8489 14.5: HMAC-SHA1 keyed with the ICE password (short-term credentials, 9.1)
    over the message up to MESSAGE-INTEGRITY, the length field counting up to its end."""
    mi = stun_attr(msg, "MESSAGE-INTEGRITY")
    head = bytearray(b[:mi["offset"]])
    struct.pack_into("!H", head, 2, mi["offset"] + 24 - 20)
    return hmac.new(password.encode(), bytes(head), hashlib.sha1).digest() == mi["value"]


def stun_fingerprint_ok(b, msg):
    """RFC 8489 14.7: CRC-32 of everything before FINGERPRINT, XOR 0x5354554e."""
    fp = stun_attr(msg, "FINGERPRINT")
    want = (zlib.crc32(b[:fp["offset"]]) ^ 0x5354554E) & 0xFFFFFFFF
    return struct.unpack("!I", fp["value"])[0] == want


# ---- DTLS 1.2 (RFC 6347, RFC 5246, RFC 5764) -------------------------------------------------

CONTENT_TYPES = {20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data"}
HANDSHAKE_TYPES = {1: "ClientHello", 2: "ServerHello", 3: "HelloVerifyRequest", 11: "Certificate",
                   12: "ServerKeyExchange", 13: "CertificateRequest", 14: "ServerHelloDone",
                   15: "CertificateVerify", 16: "ClientKeyExchange", 20: "Finished"}
CIPHER_SUITES = {
    0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    0x00FF: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
}
EXTENSIONS = {0x0000: "server_name", 0x000A: "supported_groups", 0x000B: "ec_point_formats",
              0x000D: "signature_algorithms", 0x000E: "use_srtp", 0x0010: "alpn",
              0x0016: "encrypt_then_mac", 0x0017: "extended_master_secret",
              0x0023: "session_ticket", 0xFF01: "renegotiation_info"}
GROUPS = {0x001D: "x25519", 0x0017: "secp256r1", 0x0018: "secp384r1", 0x0019: "secp521r1"}
SRTP_PROFILES = {0x0001: "SRTP_AES128_CM_HMAC_SHA1_80", 0x0002: "SRTP_AES128_CM_HMAC_SHA1_32",
                 0x0007: "SRTP_AEAD_AES_128_GCM", 0x0008: "SRTP_AEAD_AES_256_GCM"}
ALERT_DESCRIPTIONS = {0: "close_notify", 10: "unexpected_message", 40: "handshake_failure",
                      42: "bad_certificate", 48: "unknown_ca"}


def dtls_records(b):
    """RFC 6347 4.1: a datagram is whole records, each a 13-byte header and its fragment."""
    out, pos = [], 0
    while pos + 13 <= len(b):
        ctype, major, minor, epoch = struct.unpack_from("!BBBH", b, pos)
        seq = int.from_bytes(b[pos + 5:pos + 11], "big")
        length = struct.unpack_from("!H", b, pos + 11)[0]
        rec = {"offset": pos, "type": ctype, "type_name": CONTENT_TYPES.get(ctype, str(ctype)),
               "version": (major, minor), "epoch": epoch, "seq": seq, "length": length,
               "fragment": b[pos + 13:pos + 13 + length]}
        if ctype == 22 and epoch == 0:
            rec["handshake"] = dtls_handshake(rec["fragment"])
        out.append(rec)
        pos += 13 + length
    if pos != len(b):
        raise ValueError("trailing bytes after the DTLS records")
    return out


def dtls_handshake(f):
    """RFC 6347 4.2.2: type, length, message_seq, fragment_offset, fragment_length, body."""
    htype = f[0]
    length = int.from_bytes(f[1:4], "big")
    msg_seq = struct.unpack_from("!H", f, 4)[0]
    frag_off = int.from_bytes(f[6:9], "big")
    frag_len = int.from_bytes(f[9:12], "big")
    h = {"type": htype, "name": HANDSHAKE_TYPES.get(htype, str(htype)), "length": length,
         "message_seq": msg_seq, "fragment_offset": frag_off, "fragment_length": frag_len,
         "body": f[12:12 + frag_len]}
    whole = frag_off == 0 and frag_len == length
    if whole and htype == 1:
        h.update(client_hello(h["body"]))
    elif whole and htype == 2:
        h.update(server_hello(h["body"]))
    elif whole and htype == 11:
        h["certificates"] = certificate_list(h["body"])
    return h


def parse_extensions(b):
    out, pos = [], 0
    while pos + 4 <= len(b):
        etype, elen = struct.unpack_from("!HH", b, pos)
        data = b[pos + 4:pos + 4 + elen]
        ext = {"type": etype, "name": EXTENSIONS.get(etype, f"0x{etype:04x}"), "data": data}
        if etype == 0x000E:  # RFC 5764 4.1.1: profiles, then the MKI
            ext["profiles"], after = _u16_list(data, 0)
            ext["mki"] = _opaque8(data, after)[0]
        elif etype == 0x000A:
            ext["groups"] = _u16_list(data, 0)[0]
        out.append(ext)
        pos += 4 + elen
    return out


def _opaque8(b, pos):
    """A field with a one-byte length: (its bytes, the position after it)."""
    return b[pos + 1:pos + 1 + b[pos]], pos + 1 + b[pos]


def _u16_list(b, pos):
    """A list of 16-bit values with a two-byte length: (the values, the position after it)."""
    n = struct.unpack_from("!H", b, pos)[0]
    return [struct.unpack_from("!H", b, pos + 2 + 2 * i)[0] for i in range(n // 2)], pos + 2 + n


def _extensions_at(b, pos):
    n = struct.unpack_from("!H", b, pos)[0]
    return parse_extensions(b[pos + 2:pos + 2 + n])


def client_hello(b):
    """RFC 5246 7.4.1.2, with DTLS's cookie after the session ID (RFC 6347 4.2.1)."""
    sid, pos = _opaque8(b, 34)
    cookie, pos = _opaque8(b, pos)
    suites, pos = _u16_list(b, pos)
    _, pos = _opaque8(b, pos)  # compression methods
    return {"client_version": b[0:2], "random": b[2:34], "session_id": sid, "cookie": cookie,
            "cipher_suites": suites, "extensions": _extensions_at(b, pos)}


def server_hello(b):
    """RFC 5246 7.4.1.3."""
    sid, pos = _opaque8(b, 34)
    suite = struct.unpack_from("!H", b, pos)[0]
    return {"server_version": b[0:2], "random": b[2:34], "session_id": sid, "cipher_suite": suite,
            "extensions": _extensions_at(b, pos + 3)}  # after the suite and compression


def certificate_list(b):
    total, pos, out = int.from_bytes(b[0:3], "big"), 3, []
    while pos < 3 + total:
        n = int.from_bytes(b[pos:pos + 3], "big")
        out.append(b[pos + 3:pos + 3 + n])
        pos += 3 + n
    return out


def fingerprint(der):
    """RFC 8122 5: the a=fingerprint value, uppercase hex pairs joined by colons."""
    return ":".join(f"{x:02X}" for x in hashlib.sha256(der).digest())


# ---- keys: the TLS 1.2 PRF, the DTLS-SRTP exporter, the SRTP KDF ----------------------------

def tls12_prf(secret, label, seed, n, hash_name="sha256"):
    """RFC 5246 5: P_hash(secret, label + seed), HMAC-SHA256 for every suite here."""
    seed = label + seed
    out, a = b"", seed
    while len(out) < n:
        a = hmac.new(secret, a, hash_name).digest()
        out += hmac.new(secret, a + seed, hash_name).digest()
    return out[:n]


def dtls_aes_gcm_keys(master_secret, client_random, server_random):
    """RFC 5246 6.3 for an AES-128-GCM suite (RFC 5288 3): key_block = PRF(master_secret,
    "key expansion", server_random + client_random), cut into the client and server write
    keys (16 bytes) and implicit IVs (4 bytes); AEAD suites have no MAC keys."""
    kb = tls12_prf(master_secret, b"key expansion", server_random + client_random, 40)
    return {"client": {"key": kb[0:16], "iv": kb[32:36]},
            "server": {"key": kb[16:32], "iv": kb[36:40]}}


def dtls_open(keys, record):
    """Decrypt one epoch-1 AES-GCM record (RFC 5288 3, RFC 6347 4.1.2.1): the nonce is the
    implicit IV and the record's 8-byte explicit nonce; the additional data is epoch and
    sequence number, type, version and the plaintext's length."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    header, frag = record[:13], record[13:]
    explicit, sealed = frag[:8], frag[8:]
    aad = header[3:11] + header[0:3] + struct.pack("!H", len(sealed) - 16)
    plain = AESGCM(keys["key"]).decrypt(keys["iv"] + explicit, sealed, aad)
    return plain, {"explicit_nonce": explicit, "ciphertext": sealed[:-16], "tag": sealed[-16:],
                   "aad": aad}


def read_keylog(path):
    """{client_random: master_secret} from an SSLKEYLOGFILE."""
    keys = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "CLIENT_RANDOM":
                keys[bytes.fromhex(parts[1])] = bytes.fromhex(parts[2])
    return keys


def srtp_exporter(master_secret, client_random, server_random, key_len=16, salt_len=14):
    """RFC 5764 4.2 with RFC 5705: PRF(master_secret, "EXTRACTOR-dtls_srtp", client_random +
    server_random), cut into client key, server key, client salt, server salt."""
    n = 2 * (key_len + salt_len)
    m = tls12_prf(master_secret, b"EXTRACTOR-dtls_srtp", client_random + server_random, n)
    return {"material": m, "client_key": m[:key_len], "server_key": m[key_len:2 * key_len],
            "client_salt": m[2 * key_len:2 * key_len + salt_len],
            "server_salt": m[2 * key_len + salt_len:]}


def _aes_ctr(key, iv, data):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def srtp_kdf(master_key, master_salt, label, n):
    """RFC 3711 4.3.1 with key_derivation_rate 0: AES-CM keyed by the master key over
    IV = (master_salt XOR (label << 48)) * 2^16."""
    x = bytearray(master_salt + b"\x00\x00")
    x[7] ^= label
    return _aes_ctr(master_key, bytes(x), bytes(n))


def srtp_session_keys(master_key, master_salt):
    """RFC 3711 4.3.2: labels 0..2 for SRTP, 3..5 for SRTCP (cipher key, auth key, salt)."""
    return {
        "rtp": {"key": srtp_kdf(master_key, master_salt, 0, 16),
                "auth": srtp_kdf(master_key, master_salt, 1, 20),
                "salt": srtp_kdf(master_key, master_salt, 2, 14)},
        "rtcp": {"key": srtp_kdf(master_key, master_salt, 3, 16),
                 "auth": srtp_kdf(master_key, master_salt, 4, 20),
                 "salt": srtp_kdf(master_key, master_salt, 5, 14)},
    }


def cm_iv(salt, ssrc, index):
    """RFC 3711 4.1.1: IV = (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16)."""
    iv = int.from_bytes(salt, "big") << 16
    iv ^= ssrc << 64
    iv ^= index << 16
    return iv.to_bytes(16, "big")


def srtp_unprotect(keys, pkt, roc=0):
    """AES_CM_128_HMAC_SHA1_80 (RFC 3711 3.3, 4.1.1, 4.2.1): (plaintext packet, details).
    The tag is HMAC-SHA1 over the packet and the 32-bit ROC, cut to 80 bits."""
    body, tag = pkt[:-10], pkt[-10:]
    want = hmac.new(keys["auth"], body + roc.to_bytes(4, "big"), hashlib.sha1).digest()[:10]
    if want != tag:
        raise ValueError("SRTP authentication tag does not match")
    hdr = rtp_header_len(body)
    ssrc = struct.unpack_from("!I", body, 8)[0]
    seq = struct.unpack_from("!H", body, 2)[0]
    index = (roc << 16) | seq
    iv = cm_iv(keys["salt"], ssrc, index)
    plain = body[:hdr] + _aes_ctr(keys["key"], iv, body[hdr:])
    return plain, {"header_len": hdr, "index": index, "roc": roc, "iv": iv, "tag": tag}


def srtcp_unprotect(keys, pkt):
    """RFC 3711 3.4: header (8 bytes) in the clear, the rest encrypted, then E|SRTCP index and
    the 80-bit tag over everything before it."""
    body, e_index, tag = pkt[:-14], pkt[-14:-10], pkt[-10:]
    want = hmac.new(keys["auth"], body + e_index, hashlib.sha1).digest()[:10]
    if want != tag:
        raise ValueError("SRTCP authentication tag does not match")
    word = struct.unpack("!I", e_index)[0]
    index = word & 0x7FFFFFFF
    ssrc = struct.unpack_from("!I", body, 4)[0]
    plain = body
    if word >> 31:
        plain = body[:8] + _aes_ctr(keys["key"], cm_iv(keys["salt"], ssrc, index), body[8:])
    return plain, {"encrypted": bool(word >> 31), "index": index, "tag": tag}


# ---- RTP (RFC 3550, RFC 8285) ----------------------------------------------------------------

def rtp_header_len(b):
    n = 12 + 4 * (b[0] & 0x0F)
    if b[0] & 0x10:
        n += 4 + 4 * struct.unpack_from("!H", b, n + 2)[0]
    return n


def rtp_parse(b):
    v = b[0] >> 6
    h = {"version": v, "padding": bool(b[0] & 0x20), "extension": bool(b[0] & 0x10),
         "cc": b[0] & 0x0F, "marker": bool(b[1] & 0x80), "pt": b[1] & 0x7F,
         "seq": struct.unpack_from("!H", b, 2)[0], "ts": struct.unpack_from("!I", b, 4)[0],
         "ssrc": struct.unpack_from("!I", b, 8)[0], "extensions": []}
    pos = 12 + 4 * h["cc"]
    if h["extension"]:
        profile, words = struct.unpack_from("!HH", b, pos)
        h["ext_profile"] = profile
        h["ext_offset"] = pos
        ext = b[pos + 4:pos + 4 + 4 * words]
        pos += 4 + 4 * words
        i = 0
        while i < len(ext):
            if profile == 0xBEDE:  # RFC 8285 4.2: one-byte headers, ID and length - 1
                if ext[i] == 0:
                    i += 1  # padding
                    continue
                eid, elen = ext[i] >> 4, (ext[i] & 0x0F) + 1
                if eid == 15:
                    break
                h["extensions"].append({"id": eid, "data": ext[i + 1:i + 1 + elen]})
                i += 1 + elen
            else:  # RFC 8285 4.3: two-byte headers
                if ext[i] == 0:
                    i += 1
                    continue
                eid, elen = ext[i], ext[i + 1]
                h["extensions"].append({"id": eid, "data": ext[i + 2:i + 2 + elen]})
                i += 2 + elen
    h["header_len"] = pos
    end = len(b) - (b[-1] if h["padding"] else 0)
    h["payload"] = b[pos:end]
    return h


# ---- RTCP (RFC 3550, RFC 4585, RFC 5104, draft-alvestrand-rmcat-remb) -----------------------

RTCP_TYPES = {200: "SR", 201: "RR", 202: "SDES", 203: "BYE", 204: "APP", 205: "RTPFB",
              206: "PSFB", 207: "XR"}


def rtcp_parse(b):
    """Every packet of a compound."""
    out, pos = [], 0
    while pos + 4 <= len(b):
        count, ptype = b[pos] & 0x1F, b[pos + 1]
        length = (struct.unpack_from("!H", b, pos + 2)[0] + 1) * 4
        p = b[pos:pos + length]
        pkt = {"offset": pos, "type": ptype, "name": RTCP_TYPES.get(ptype, str(ptype)),
               "count": count, "length": length, "bytes": p}
        if ptype in (200, 201):
            pkt["ssrc"] = struct.unpack_from("!I", p, 4)[0]
            blocks_at = 8
            if ptype == 200:
                ntp_hi, ntp_lo, rtp_ts, pc, oc = struct.unpack_from("!IIIII", p, 8)
                pkt.update(ntp=(ntp_hi << 32) | ntp_lo, rtp_ts=rtp_ts, packets=pc, octets=oc)
                blocks_at = 28
            pkt["blocks"] = []
            for i in range(count):
                q = blocks_at + 24 * i
                ssrc, lost_word, ext_seq, jitter, lsr, dlsr = struct.unpack_from("!IIIIII", p, q)
                lost = lost_word & 0xFFFFFF
                if lost & 0x800000:
                    lost -= 1 << 24
                pkt["blocks"].append({"ssrc": ssrc, "fraction_lost": lost_word >> 24,
                                      "cumulative_lost": lost, "ext_highest_seq": ext_seq,
                                      "jitter": jitter, "lsr": lsr, "dlsr": dlsr})
        elif ptype == 202:
            pkt["chunks"] = sdes_chunks(p[4:], count)
        elif ptype == 203:
            pkt["ssrcs"] = [struct.unpack_from("!I", p, 4 + 4 * i)[0] for i in range(count)]
        elif ptype in (205, 206):
            pkt["ssrc"], pkt["media_ssrc"] = struct.unpack_from("!II", p, 4)
            pkt["fci"] = p[12:]
            if ptype == 206 and count == 15 and pkt["fci"][:4] == b"REMB":
                pkt["remb"] = remb_parse(pkt["fci"])
        elif ptype == 207:
            pkt["ssrc"] = struct.unpack_from("!I", p, 4)[0]
            pkt["xr_blocks"] = xr_blocks(p, 8)
        out.append(pkt)
        pos += length
    return out


def xr_blocks(p, pos):
    """RFC 3611 4: report blocks of BT, type-specific byte, length in words; the two WebRTC
    uses: RRTR (4.4, the receiver's NTP time) and DLRR (4.5, sub-blocks SSRC, LRR, DLRR)."""
    blocks = []
    while pos + 4 <= len(p):
        bt, words = p[pos], struct.unpack_from("!H", p, pos + 2)[0]
        blk = {"offset": pos, "bt": bt, "length": 4 + 4 * words}
        if bt == 4:
            blk["ntp"] = struct.unpack_from("!Q", p, pos + 4)[0]
        elif bt == 5:
            blk["dlrr"] = [dict(zip(("ssrc", "lrr", "dlrr"), struct.unpack_from("!III", p, q)))
                           for q in range(pos + 4, pos + 4 + 4 * words, 12)]
        blocks.append(blk)
        pos += blk["length"]
    return blocks


def sdes_chunks(b, count):
    chunks, pos = [], 0
    for _ in range(count):
        ssrc = struct.unpack_from("!I", b, pos)[0]
        pos += 4
        items = []
        while b[pos] != 0:
            items.append((b[pos], b[pos + 2:pos + 2 + b[pos + 1]]))
            pos += 2 + b[pos + 1]
        pos = (pos + 4) & ~3  # the null item and padding to a 32-bit boundary
        chunks.append({"ssrc": ssrc, "items": items})
    return chunks


def remb_parse(fci):
    """'REMB', the SSRC count, a 6-bit exponent and an 18-bit mantissa, the SSRCs."""
    n = fci[4]
    exp = fci[5] >> 2
    mantissa = ((fci[5] & 3) << 16) | struct.unpack_from("!H", fci, 6)[0]
    ssrcs = [struct.unpack_from("!I", fci, 8 + 4 * i)[0] for i in range(n)]
    return {"exponent": exp, "mantissa": mantissa, "bitrate": mantissa << exp, "ssrcs": ssrcs}


# ---- VP8 (RFC 7741, RFC 6386) ---------------------------------------------------------------

def vp8_descriptor(p):
    """RFC 7741 4.2: X R N S R PID, then (if X) I L T K and the fields they announce."""
    d = {"X": p[0] >> 7, "N": (p[0] >> 5) & 1, "S": (p[0] >> 4) & 1, "PID": p[0] & 7}
    pos = 1
    if d["X"]:
        x = p[pos]
        pos += 1
        d.update(I=x >> 7, L=(x >> 6) & 1, T=(x >> 5) & 1, K=(x >> 4) & 1)
        if d["I"]:
            if p[pos] & 0x80:
                d["M"] = 1
                d["picture_id"] = ((p[pos] & 0x7F) << 8) | p[pos + 1]
                pos += 2
            else:
                d["M"] = 0
                d["picture_id"] = p[pos]
                pos += 1
        if d["L"]:
            d["tl0picidx"] = p[pos]
            pos += 1
        if d["T"] or d["K"]:
            d["tid"], d["Y"], d["keyidx"] = p[pos] >> 6, (p[pos] >> 5) & 1, p[pos] & 0x1F
            pos += 1
    d["size"] = pos
    return d


def vp8_frame_header(f):
    """RFC 6386 9.1: a 3-byte frame tag (little-endian: P, version, show_frame, first partition
    size), then for a key frame the start code 9d 01 2a and 2-byte width and height."""
    tag = f[0] | (f[1] << 8) | (f[2] << 16)
    h = {"keyframe": (tag & 1) == 0, "version": (tag >> 1) & 7, "show_frame": (tag >> 4) & 1,
         "first_part_size": tag >> 5}
    if h["keyframe"]:
        h["start_code"] = f[3:6]
        w, hh = struct.unpack_from("<HH", f, 6)
        h.update(width=w & 0x3FFF, horizontal_scale=w >> 14, height=hh & 0x3FFF,
                 vertical_scale=hh >> 14)
    return h


# ---- JPEG (ITU-T T.81, JFIF) ----------------------------------------------------------------

JPEG_MARKERS = {0xD8: "SOI", 0xE0: "APP0", 0xDB: "DQT", 0xC0: "SOF0", 0xC4: "DHT", 0xDA: "SOS",
                0xD9: "EOI", 0xDD: "DRI", 0xFE: "COM"}


def jpeg_segments(b):
    """The marker segments up to and including SOS (after it, entropy-coded data)."""
    out, pos = [], 0
    while pos + 2 <= len(b):
        if b[pos] != 0xFF:
            raise ValueError(f"no JPEG marker at {pos}")
        m = b[pos + 1]
        if m == 0xD8:
            out.append({"offset": pos, "marker": m, "name": "SOI", "length": 0})
            pos += 2
            continue
        n = struct.unpack_from("!H", b, pos + 2)[0]
        seg = {"offset": pos, "marker": m, "name": JPEG_MARKERS.get(m, f"0x{m:02X}"), "length": n,
               "data": b[pos + 4:pos + 2 + n]}
        if m == 0xC0:
            prec, h, w, nc = struct.unpack_from("!BHHB", seg["data"], 0)
            seg.update(precision=prec, height=h, width=w,
                       components=[(seg["data"][6 + 3 * i], seg["data"][7 + 3 * i] >> 4,
                                    seg["data"][7 + 3 * i] & 15) for i in range(nc)])
        out.append(seg)
        pos += 2 + n
        if m == 0xDA:
            break
    return out


# ---- hex dumps ------------------------------------------------------------------------------

def hexdump(b, base=0, width=16):
    """Offset, hex bytes in groups of four, printable ASCII."""
    lines = []
    for i in range(0, len(b), width):
        chunk = b[i:i + width]
        groups = " ".join(chunk[j:j + 4].hex(" ") for j in range(0, len(chunk), 4))
        text = "".join(chr(c) if 32 <= c < 127 else "." for c in chunk)
        lines.append(f"{base + i:04x}  {groups:<{width * 3 + width // 4 - 2}}  {text}")
    return lines
