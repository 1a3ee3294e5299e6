/* STUN field by field (RFC 8489 5 and 14; the ICE attributes, RFC 8445 7.1.1 and 16.1), for
 * the packet inspector. The core's parser says whether the message is valid and its
 * FINGERPRINT right; the attributes are walked here, for their offsets. */
#include <stdio.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/addr.h"
#include "common/bytes.h"
#include "inspect/fields.h"
#include "stun/stun.h"

#define STUN_HEADER 20
#define MAGIC_COOKIE 0x2112A442u

/* USERNAME in a check is "<receiver's ufrag>:<sender's ufrag>" (RFC 8445 7.2.2). */
static void username(brtc_fields *f, size_t at, size_t n) {
  const uint8_t *v = f->data + at;
  const uint8_t *colon = memchr(v, ':', n);
  if (!colon) return;
  size_t left = (size_t)(colon - v);
  char a[BRTC_INSPECT_VALUE_MAX], b[BRTC_INSPECT_VALUE_MAX];
  brtc_fields_text(a, sizeof(a), v, left);
  brtc_fields_text(b, sizeof(b), colon + 1, n - left - 1);
  const brtc_inspect_context *c = f->ctx;
  const char *who_a = c->local_ufrag[0] && strcmp(a, c->local_ufrag) == 0
                          ? "the server's ufrag (from the answer)"
                      : c->remote_ufrag[0] && strcmp(a, c->remote_ufrag) == 0
                          ? "the browser's ufrag (from the offer)"
                          : "the receiver's ufrag";
  const char *who_b = c->local_ufrag[0] && strcmp(b, c->local_ufrag) == 0
                          ? "the server's ufrag (from the answer)"
                      : c->remote_ufrag[0] && strcmp(b, c->remote_ufrag) == 0
                          ? "the browser's ufrag (from the offer)"
                          : "the sender's ufrag";
  brtc_fields_add(f, at, left, 1, "receiver's ufrag", "RFC 8445 7.2.2", who_a, "%s", a);
  brtc_fields_add(f, at + left + 1, n - left - 1, 1, "sender's ufrag", "RFC 8445 7.2.2", who_b,
                  "%s", b);
}

static const char *candidate_type(uint32_t type_pref) {
  switch (type_pref) {
    case 126: return "host";
    case 110: return "peer-reflexive";
    case 100: return "server-reflexive";
    case 0: return "relayed";
    default: return "custom";
  }
}

static void address(brtc_fields *f, size_t at, size_t n, bool xored, const char *name,
                    const char *ref, const char *meaning) {
  const uint8_t *v = f->data + at;
  if (n < 8 || (v[1] != 1 && v[1] != 2) || (v[1] == 2 && n < 20)) {
    brtc_fields_add(f, at - 4, n + 4, 0, name, ref, "malformed address", NULL);
    return;
  }
  uint16_t port = brtc_rd16(v + 2);
  uint8_t ip[16];
  size_t iplen = v[1] == 1 ? 4 : 16;
  memcpy(ip, v + 4, iplen);
  if (xored) {
    /* The address XORed with the magic cookie (and the transaction id for IPv6), so that
     * NATs that rewrite addresses in payloads leave it alone (RFC 8489 14.2). */
    port ^= (uint16_t)(MAGIC_COOKIE >> 16);
    uint8_t key[16];
    brtc_wr32(key, MAGIC_COOKIE);
    memcpy(key + 4, f->data + 8, 12);
    for (size_t i = 0; i < iplen; i++) ip[i] ^= key[i];
  }
  char text[64];
  if (iplen == 4)
    snprintf(text, sizeof(text), "%u.%u.%u.%u:%u", ip[0], ip[1], ip[2], ip[3], (unsigned)port);
  else
    snprintf(text, sizeof(text), "[%x:%x:%x:%x:%x:%x:%x:%x]:%u", brtc_rd16(ip), brtc_rd16(ip + 2),
             brtc_rd16(ip + 4), brtc_rd16(ip + 6), brtc_rd16(ip + 8), brtc_rd16(ip + 10),
             brtc_rd16(ip + 12), brtc_rd16(ip + 14), (unsigned)port);
  brtc_fields_add(f, at - 4, n + 4, 0, name, ref, meaning, "%s", text);
  brtc_fields_add(f, at + 1, 1, 1, "Family", ref, NULL, "%s", iplen == 4 ? "IPv4" : "IPv6");
  brtc_fields_add(f, at + 2, 2, 1, xored ? "X-Port" : "Port", ref,
                  xored ? "the port XOR the cookie's top 16 bits" : NULL, "%u", (unsigned)port);
  brtc_fields_add(f, at + 4, iplen, 1, xored ? "X-Address" : "Address", ref,
                  xored ? "the address XOR the magic cookie (and transaction id)" : NULL, "%s",
                  text);
}

static void attribute(brtc_fields *f, uint16_t type, size_t at, size_t n, const brtc_stun_msg *m) {
  const uint8_t *v = f->data + at;
  char text[BRTC_INSPECT_VALUE_MAX];
  switch (type) {
    case 0x0006:
      brtc_fields_text(text, sizeof(text), v, n);
      brtc_fields_add(f, at - 4, n + 4, 0, "USERNAME", "RFC 8489 14.3",
                      "who the check is for and from: \"receiver's ufrag:sender's ufrag\", the "
                      "a=ice-ufrag values of the two descriptions",
                      "%s", text);
      username(f, at, n);
      break;
    case 0x0024:
      if (n == 4) {
        uint32_t p = brtc_rd32(v);
        brtc_fields_add(f, at - 4, n + 4, 0, "PRIORITY", "RFC 8445 5.1.2",
                        "the priority a peer-reflexive candidate learnt from this check would get: "
                        "(2^24)*type preference + (2^8)*local preference + (256 - component)",
                        "%u (type %u %s, local %u, component %u)", (unsigned)p, (unsigned)(p >> 24),
                        candidate_type(p >> 24), (unsigned)((p >> 8) & 0xffff),
                        (unsigned)(256 - (p & 0xff)));
      }
      break;
    case 0x0025:
      brtc_fields_add(f, at - 4, n + 4, 0, "USE-CANDIDATE", "RFC 8445 7.1.2",
                      "the controlling agent nominates this pair: media will use it", "(no value)");
      break;
    case 0x8029:
    case 0x802a:
      if (n == 8)
        brtc_fields_add(f, at - 4, n + 4, 0, type == 0x802a ? "ICE-CONTROLLING" : "ICE-CONTROLLED",
                        "RFC 8445 7.1.3",
                        type == 0x802a ? "the sender is the controlling agent (it nominates); the "
                                         "number breaks a tie if both think they control"
                                       : "the sender is the controlled agent; the number breaks a "
                                         "tie if both think they are controlled",
                        "tie-breaker %016llx", (unsigned long long)brtc_rd64(v));
      break;
    case 0x0008:
      brtc_fields_hex(text, sizeof(text), v, n, 20);
      brtc_fields_add(f, at - 4, n + 4, 0, "MESSAGE-INTEGRITY", "RFC 8489 14.5",
                      "HMAC-SHA1 of the message up to here, keyed with the receiver's ICE password "
                      "(a=ice-pwd): only someone who read the SDP can sign a check",
                      "%s", text);
      break;
    case 0x001c:
      brtc_fields_hex(text, sizeof(text), v, n, 32);
      brtc_fields_add(f, at - 4, n + 4, 0, "MESSAGE-INTEGRITY-SHA256", "RFC 8489 14.6",
                      "HMAC-SHA256 of the message up to here", "%s", text);
      break;
    case 0x8028:
      if (n == 4)
        brtc_fields_add(f, at - 4, n + 4, 0, "FINGERPRINT", "RFC 8489 14.7",
                        "CRC-32 of the message up to here XOR 0x5354554e: tells STUN apart from "
                        "the other protocols sharing the port",
                        "0x%08x, %s", (unsigned)brtc_rd32(v),
                        m->fingerprint_ok ? "correct" : "WRONG");
      break;
    case 0x0020:
      address(f, at, n, true, "XOR-MAPPED-ADDRESS", "RFC 8489 14.2",
              "the address the request came from, as the responder saw it: how a peer learns "
              "its server-reflexive or peer-reflexive address");
      break;
    case 0x0001:
      address(f, at, n, false, "MAPPED-ADDRESS", "RFC 8489 14.1",
              "the request's source address, not XORed (old servers)");
      break;
    case 0x0009:
      if (n >= 4) {
        brtc_fields_text(text, sizeof(text), v + 4, n - 4);
        brtc_fields_add(f, at - 4, n + 4, 0, "ERROR-CODE", "RFC 8489 14.8",
                        "why the request failed", "%u %s", (unsigned)((v[2] & 7) * 100 + v[3]),
                        text);
      }
      break;
    case 0x8022:
      brtc_fields_text(text, sizeof(text), v, n);
      brtc_fields_add(f, at - 4, n + 4, 0, "SOFTWARE", "RFC 8489 14.14", "the sender's software",
                      "%s", text);
      break;
    case 0xc057:
      if (n == 4)
        brtc_fields_add(f, at - 4, n + 4, 0, "GOOG-NETWORK-INFO", NULL,
                        "Chrome's own: the network's id and cost (comprehension-optional, so "
                        "others ignore it)",
                        "network id %u, cost %u", (unsigned)brtc_rd16(v),
                        (unsigned)brtc_rd16(v + 2));
      break;
    default:
      brtc_fields_hex(text, sizeof(text), v, n, 16);
      brtc_fields_add(f, at - 4, n + 4, 0, "attribute", "RFC 8489 15",
                      type >= 0x8000 ? "comprehension-optional: a receiver that does not know it "
                                       "ignores it"
                                     : "comprehension-required",
                      "type 0x%04x: %s", (unsigned)type, text);
      break;
  }
}

void brtc_fields_stun(brtc_fields *f) {
  const uint8_t *d = f->data;
  brtc_stun_msg m;
  memset(&m, 0, sizeof(m));
  bool ok = brtc_stun_parse(d, f->len, &m) == BRTC_OK;
  if (f->len < STUN_HEADER) {
    brtc_fields_add(f, 0, f->len, 0, "STUN, malformed", "RFC 8489 5", "shorter than a STUN header",
                    "%zu bytes", f->len);
    return;
  }
  uint16_t type = brtc_rd16(d), length = brtc_rd16(d + 2);
  char tid[32];
  brtc_fields_hex(tid, sizeof(tid), d + 8, 12, 12);
  brtc_fields_add(f, 0, STUN_HEADER, 0, "STUN header", "RFC 8489 5",
                  ok ? "a STUN message: ICE connectivity checks and their answers are STUN Binding "
                       "requests and responses"
                     : "not a valid STUN message (the attributes below are read as far as they go)",
                  "%s %s", brtc_inspect_stun_method(type), brtc_inspect_stun_class(type));
  brtc_fields_add(f, 0, 2, 1, "Message Type", "RFC 8489 5",
                  "method (12 bits) and class (2 bits) interleaved", "0x%04x: %s %s",
                  (unsigned)type, brtc_inspect_stun_method(type), brtc_inspect_stun_class(type));
  brtc_fields_add(f, 2, 2, 1, "Message Length", "RFC 8489 5",
                  "bytes after the header, a multiple of 4", "%u", (unsigned)length);
  brtc_fields_add(f, 4, 4, 1, "Magic Cookie", "RFC 8489 5",
                  "always 0x2112a442: together with the first two bits, what marks STUN", "0x%08x",
                  (unsigned)brtc_rd32(d + 4));
  brtc_fields_add(f, 8, 12, 1, "Transaction ID", "RFC 8489 5",
                  "random, chosen by the requester; the response carries the same", "%s", tid);
  size_t at = STUN_HEADER,
         end = STUN_HEADER + (size_t)length < f->len ? STUN_HEADER + (size_t)length : f->len;
  while (at + 4 <= end) {
    uint16_t atype = brtc_rd16(d + at), alen = brtc_rd16(d + at + 2);
    size_t padded = ((size_t)alen + 3) & ~(size_t)3;
    if (at + 4 + alen > end) {
      brtc_fields_add(f, at, end - at, 0, "attribute, truncated", "RFC 8489 14",
                      "its length runs past the message", "type 0x%04x, %u bytes", (unsigned)atype,
                      (unsigned)alen);
      return;
    }
    /* Each attribute: type, length, value, padding to 4 bytes (RFC 8489 14). */
    attribute(f, atype, at + 4, alen, &m);
    at += 4 + padded;
  }
}
