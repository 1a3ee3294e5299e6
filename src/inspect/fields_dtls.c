/* DTLS field by field, for the packet inspector: the record layer (RFC 6347 4.1), the
 * handshake header (4.2.2) and, for the hellos that travel in clear, what each side offers
 * and picks (RFC 5246 7.4.1; use_srtp, RFC 5764 4.1.1). Records of epoch 1 are encrypted:
 * only their header is shown. */
#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "inspect/fields.h"

#define RECORD_HEADER 13
#define HANDSHAKE_HEADER 12

static const char *content_type(uint8_t t) {
  switch (t) {
    case 20: return "ChangeCipherSpec";
    case 21: return "Alert";
    case 22: return "Handshake";
    case 23: return "ApplicationData";
    default: return "unknown";
  }
}

static const char *handshake_meaning(uint8_t t) {
  switch (t) {
    case 1:
      return "the DTLS client's offer: versions, cipher suites, and use_srtp with the SRTP "
             "profiles it can use";
    case 2: return "the server's choice of version, cipher suite and SRTP profile";
    case 3: return "a cookie the client must echo: proves it can receive at its address";
    case 11: return "a self-signed certificate; its hash must equal the SDP's a=fingerprint";
    case 12: return "the server's ECDHE public key, signed with its certificate's key";
    case 13: return "the server asks for the client's certificate: WebRTC authenticates both";
    case 14: return "the end of the server's flight";
    case 15: return "the client proves it holds its certificate's key";
    case 16: return "the client's ECDHE public key: both sides now compute the same secret";
    case 20: return "a hash of the whole handshake, encrypted: proves nobody changed it";
    default: return NULL;
  }
}

static const char *suite_name(uint16_t s) {
  switch (s) {
    case 0xc02b: return "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
    case 0xc02f: return "ECDHE_RSA_WITH_AES_128_GCM_SHA256";
    case 0xc02c: return "ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";
    case 0xc030: return "ECDHE_RSA_WITH_AES_256_GCM_SHA384";
    case 0xcca9: return "ECDHE_ECDSA_WITH_CHACHA20_POLY1305";
    case 0xcca8: return "ECDHE_RSA_WITH_CHACHA20_POLY1305";
    case 0xc009: return "ECDHE_ECDSA_WITH_AES_128_CBC_SHA";
    case 0xc013: return "ECDHE_RSA_WITH_AES_128_CBC_SHA";
    case 0xc00a: return "ECDHE_ECDSA_WITH_AES_256_CBC_SHA";
    case 0xc014: return "ECDHE_RSA_WITH_AES_256_CBC_SHA";
    case 0x009c: return "RSA_WITH_AES_128_GCM_SHA256";
    case 0x002f: return "RSA_WITH_AES_128_CBC_SHA";
    case 0x0035: return "RSA_WITH_AES_256_CBC_SHA";
    case 0x00ff: return "EMPTY_RENEGOTIATION_INFO_SCSV";
    default: return NULL;
  }
}

static const char *srtp_profile_name(uint16_t p) {
  switch (p) {
    case 0x0001: return "AES_CM_128_HMAC_SHA1_80";
    case 0x0002: return "AES_CM_128_HMAC_SHA1_32";
    case 0x0007: return "AEAD_AES_128_GCM";
    case 0x0008: return "AEAD_AES_256_GCM";
    default: return "unknown profile";
  }
}

static const char *extension_name(uint16_t t) {
  switch (t) {
    case 0: return "server_name";
    case 10: return "supported_groups";
    case 11: return "ec_point_formats";
    case 13: return "signature_algorithms";
    case 14: return "use_srtp";
    case 16: return "application_layer_protocol_negotiation";
    case 23: return "extended_master_secret";
    case 35: return "session_ticket";
    case 65281: return "renegotiation_info";
    default: return "extension";
  }
}

/* Appends ", name" to a value while it has room. */
static void append(char *v, size_t cap, const char *text) {
  size_t n = strlen(v);
  if (n + strlen(text) + 6 < cap)
    snprintf(v + n, cap - n, "%s%s", n ? ", " : "", text);
  else if (n + 4 < cap && (n < 3 || strcmp(v + n - 3, "...") != 0))
    snprintf(v + n, cap - n, "...");
}

static void extensions(brtc_fields *f, size_t at, size_t end) {
  if (at + 2 > end) return;
  size_t total = brtc_rd16(f->data + at);
  at += 2;
  if (at + total < end) end = at + total;
  while (at + 4 <= end) {
    uint16_t type = brtc_rd16(f->data + at), n = brtc_rd16(f->data + at + 2);
    if (at + 4 + n > end) break;
    const uint8_t *v = f->data + at + 4;
    if (type == 14 && n >= 2) {
      /* use_srtp: the SRTP protection profiles (RFC 5764 4.1.1). */
      char list[BRTC_INSPECT_VALUE_MAX] = "";
      size_t plen = brtc_rd16(v);
      for (size_t i = 2; i + 1 < 2 + plen && i + 1 < n; i += 2)
        append(list, sizeof(list), srtp_profile_name(brtc_rd16(v + i)));
      brtc_fields_add(f, at, 4 + n, 2, "use_srtp", "RFC 5764 4.1.1",
                      "the SRTP profiles: the keys this handshake makes are for SRTP (DTLS-SRTP)",
                      "%s", list);
    } else if (type == 23) {
      brtc_fields_add(f, at, 4 + n, 2, "extended_master_secret", "RFC 7627",
                      "binds the secret to the whole handshake", NULL);
    } else {
      brtc_fields_add(f, at, 4 + n, 2, extension_name(type), NULL, NULL, "type %u, %u bytes",
                      (unsigned)type, (unsigned)n);
    }
    at += 4 + n;
  }
}

/* ClientHello and ServerHello bodies (RFC 6347 4.2.1 adds the cookie to the ClientHello). */
static void hello(brtc_fields *f, uint8_t type, size_t at, size_t end) {
  const uint8_t *d = f->data;
  if (at + 34 > end) return;
  brtc_fields_add(f, at, 2, 2, "version", "RFC 6347 4.1", "0xfefd is DTLS 1.2", "0x%04x",
                  (unsigned)brtc_rd16(d + at));
  brtc_fields_add(f, at + 2, 32, 2, "random", "RFC 5246 7.4.1.2",
                  "32 fresh bytes: each side's part of the keys", NULL);
  at += 34;
  if (at + 1 > end || at + 1 + d[at] > end) return;
  brtc_fields_add(f, at, 1 + d[at], 2, "session_id", "RFC 5246 7.4.1.2", "empty: no resumption",
                  "%u bytes", (unsigned)d[at]);
  at += 1 + d[at];
  if (type == 1) {
    if (at + 1 > end || at + 1 + d[at] > end) return;
    brtc_fields_add(f, at, 1 + d[at], 2, "cookie", "RFC 6347 4.2.1",
                    "empty in the first ClientHello; the HelloVerifyRequest's in the second",
                    "%u bytes", (unsigned)d[at]);
    at += 1 + d[at];
    if (at + 2 > end) return;
    size_t n = brtc_rd16(d + at);
    if (at + 2 + n > end) return;
    char list[BRTC_INSPECT_VALUE_MAX] = "";
    for (size_t i = 0; i + 1 < n; i += 2) {
      const char *name = suite_name(brtc_rd16(d + at + 2 + i));
      if (name) append(list, sizeof(list), name);
    }
    brtc_fields_add(f, at, 2 + n, 2, "cipher_suites", "RFC 5246 7.4.1.2",
                    "what the client can use, best first", "%zu: %s", n / 2, list);
    at += 2 + n;
    if (at + 1 > end || at + 1 + d[at] > end) return;
    at += 1 + d[at]; /* compression methods: always null */
  } else {
    if (at + 3 > end) return;
    const char *name = suite_name(brtc_rd16(d + at));
    brtc_fields_add(f, at, 2, 2, "cipher_suite", "RFC 5246 7.4.1.3", "the server's pick", "%s",
                    name ? name : "unknown");
    at += 3; /* and the compression method */
  }
  extensions(f, at, end);
}

static void handshake(brtc_fields *f, size_t at, size_t end) {
  const uint8_t *d = f->data;
  while (at + HANDSHAKE_HEADER <= end) {
    uint8_t type = d[at];
    uint32_t total = brtc_rd24(d + at + 1), offset = brtc_rd24(d + at + 6);
    uint32_t frag = brtc_rd24(d + at + 9);
    size_t body = at + HANDSHAKE_HEADER;
    bool whole = offset == 0 && frag == total;
    size_t have = frag <= end - body ? frag : end - body;
    brtc_fields_add(f, at, HANDSHAKE_HEADER + have, 1, brtc_inspect_handshake_name(type),
                    "RFC 6347 4.2.2", handshake_meaning(type),
                    whole ? "message_seq %u, %u bytes" : "message_seq %u, bytes %u-%u of %u",
                    (unsigned)brtc_rd16(d + at + 4), whole ? (unsigned)total : (unsigned)offset,
                    (unsigned)(offset + frag), (unsigned)total);
    brtc_fields_add(f, at + 4, 2, 2, "message_seq", "RFC 6347 4.2.2",
                    "counts the handshake messages: a retransmitted flight keeps its numbers", "%u",
                    (unsigned)brtc_rd16(d + at + 4));
    brtc_fields_add(f, at + 6, 6, 2, "fragment", "RFC 6347 4.2.3",
                    "a message larger than a datagram is split; offset and length of this part",
                    "offset %u, length %u", (unsigned)offset, (unsigned)frag);
    if (frag > end - body) return;
    if ((type == 1 || type == 2) && whole) hello(f, type, body, body + frag);
    at = body + frag;
  }
}

void brtc_fields_dtls(brtc_fields *f) {
  const uint8_t *d = f->data;
  size_t at = 0;
  while (at < f->len) {
    if (f->len - at < RECORD_HEADER) {
      brtc_fields_add(f, at, f->len - at, 0, "stray bytes", "RFC 6347 4.1",
                      "shorter than a record header", "%zu bytes", f->len - at);
      return;
    }
    uint8_t type = d[at];
    uint16_t epoch = brtc_rd16(d + at + 3), len = brtc_rd16(d + at + 11);
    uint64_t seq = (uint64_t)brtc_rd16(d + at + 5) << 32 | brtc_rd32(d + at + 7);
    size_t end = at + RECORD_HEADER + len;
    bool cut = end > f->len;
    if (cut) end = f->len;
    brtc_fields_add(f, at, end - at, 0, "DTLS record", "RFC 6347 4.1",
                    epoch == 0 ? "in clear: no keys yet in epoch 0"
                               : "epoch 1: encrypted and authenticated with the handshake's keys",
                    "%s, epoch %u, seq %llu%s", content_type(type), (unsigned)epoch,
                    (unsigned long long)seq, cut ? ", truncated" : "");
    brtc_fields_add(f, at, 1, 1, "content type", "RFC 6347 4.1", NULL, "%u %s", (unsigned)type,
                    content_type(type));
    brtc_fields_add(f, at + 1, 2, 1, "version", "RFC 6347 4.1",
                    "0xfefd DTLS 1.2, 0xfeff DTLS 1.0 (the ClientHello's record may say 1.0)",
                    "0x%04x", (unsigned)brtc_rd16(d + at + 1));
    brtc_fields_add(f, at + 3, 2, 1, "epoch", "RFC 6347 4.1",
                    "0 until ChangeCipherSpec, then 1: which keys protect the record", "%u",
                    (unsigned)epoch);
    brtc_fields_add(f, at + 5, 6, 1, "sequence number", "RFC 6347 4.1",
                    "per record and epoch, explicit because UDP may lose or reorder; the replay "
                    "window uses it",
                    "%llu", (unsigned long long)seq);
    brtc_fields_add(f, at + 11, 2, 1, "length", "RFC 6347 4.1", NULL, "%u", (unsigned)len);
    size_t body = at + RECORD_HEADER;
    if (type == 22 && epoch == 0) {
      handshake(f, body, end);
    } else if (type == 21 && epoch == 0 && end - body == 2) {
      brtc_fields_add(f, body, 2, 1, "alert", "RFC 5246 7.2", "an alert in clear", "%s %u",
                      d[body] == 2 ? "fatal" : "warning", (unsigned)d[body + 1]);
    } else if (type == 20) {
      brtc_fields_add(f, body, end - body, 1, "ChangeCipherSpec", "RFC 5246 7.1",
                      "from the next record on, this side encrypts: epoch 1", NULL);
    } else if (end > body) {
      brtc_fields_add(f, body, end - body, 1, "encrypted", "RFC 6347 4.1",
                      type == 22   ? "the Finished message, the first one under the new keys"
                      : type == 23 ? "application data: SCTP for data channels"
                                   : "encrypted",
                      "%zu bytes", end - body);
    }
    at = end;
  }
}
