/* One line per datagram, for people (include/boltrtc/inspect.h). Each protocol is read with
 * its own core's parser where there is one (STUN, RTP, RTCP), so what is shown is what the
 * stack itself understood; DTLS record and handshake headers are read here, field by field
 * (RFC 6347 4.1 and 4.2.2), since the DTLS core hands records to OpenSSL whole. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "boltrtc/error.h"
#include "boltrtc/inspect.h"
#include "common/bytes.h"
#include "inspect/fields.h"
#include "rtp/rtcp.h"
#include "rtp/rtp.h"
#include "stun/stun.h"

typedef struct line {
  char *buf;
  size_t cap, len;
  bool cut;
} line;

static void put(line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(line *l, const char *fmt, ...) {
  if (l->cut || l->cap == 0) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(l->buf + l->len, l->cap - l->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= l->cap - l->len) {
    l->cut = true;
    l->len = l->cap - 1;
    if (l->cap > 4) memcpy(l->buf + l->cap - 4, "...", 4);
    return;
  }
  l->len += (size_t)n;
}

/* Text from the network, shown safely: printable ASCII only, at most max characters. */
static void put_text(line *l, const uint8_t *s, size_t n, size_t max) {
  char clean[80];
  size_t k = 0;
  for (size_t i = 0; i < n && i < max && k + 1 < sizeof(clean); i++)
    clean[k++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
  clean[k] = '\0';
  put(l, "%s%s", clean, n > max ? "..." : "");
}

/* ---- STUN (RFC 8489; ICE attributes RFC 8445 16; TURN methods RFC 8656 17) ---- */

static void describe_stun(line *l, const uint8_t *d, size_t len) {
  brtc_stun_msg m;
  if (brtc_stun_parse(d, len, &m) != BRTC_OK) {
    put(l, "STUN, malformed (%zu bytes)", len);
    return;
  }
  put(l, "STUN %s %s, transaction %02x%02x%02x%02x...", brtc_inspect_stun_method(m.type),
      brtc_inspect_stun_class(m.type), m.transaction_id[0], m.transaction_id[1],
      m.transaction_id[2], m.transaction_id[3]);
  if (m.username) {
    put(l, ", USERNAME ");
    put_text(l, m.username, m.username_len, 64);
  }
  if (m.has_priority) put(l, ", PRIORITY %u", (unsigned)m.priority);
  if (m.use_candidate) put(l, ", USE-CANDIDATE");
  if (m.has_ice_controlling)
    put(l, ", ICE-CONTROLLING %016llx", (unsigned long long)m.ice_controlling);
  if (m.has_ice_controlled)
    put(l, ", ICE-CONTROLLED %016llx", (unsigned long long)m.ice_controlled);
  if (m.has_xor_mapped) {
    char a[BRTC_ADDR_STRLEN];
    put(l, ", XOR-MAPPED-ADDRESS %s", brtc_addr_str(&m.xor_mapped, a, sizeof(a)));
  }
  if (m.has_error) {
    put(l, ", ERROR-CODE %u ", (unsigned)m.error_code);
    put_text(l, m.error_reason, m.error_reason_len, 40);
  }
  if (m.software) {
    put(l, ", SOFTWARE ");
    put_text(l, m.software, m.software_len, 40);
  }
  if (m.has_integrity) put(l, ", MESSAGE-INTEGRITY");
  if (m.has_fingerprint) put(l, ", FINGERPRINT %s", m.fingerprint_ok ? "ok" : "WRONG");
}

/* ---- DTLS (RFC 6347 4.1 record layer, 4.2.2 handshake header; RFC 5246 7.2 alerts) ---- */

#define DTLS_RECORD_HEADER 13
#define DTLS_HANDSHAKE_HEADER 12

static const char *alert_name(uint8_t d) {
  switch (d) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 40: return "handshake_failure";
    case 42: return "bad_certificate";
    case 47: return "illegal_parameter";
    case 80: return "internal_error";
    default: return "alert?";
  }
}

static void describe_handshake(line *l, const uint8_t *body, size_t n) {
  const char *sep = "";
  while (n >= DTLS_HANDSHAKE_HEADER) {
    uint32_t total = brtc_rd24(body + 1), offset = brtc_rd24(body + 6);
    uint32_t frag = brtc_rd24(body + 9);
    put(l, "%s%s #%u", sep, brtc_inspect_handshake_name(body[0]), (unsigned)brtc_rd16(body + 4));
    if (offset != 0 || frag != total)
      put(l, " (bytes %u-%u of %u)", (unsigned)offset, (unsigned)(offset + frag), (unsigned)total);
    else
      put(l, " (%u bytes)", (unsigned)total);
    if (frag > n - DTLS_HANDSHAKE_HEADER) {
      put(l, " truncated");
      return;
    }
    body += DTLS_HANDSHAKE_HEADER + frag;
    n -= DTLS_HANDSHAKE_HEADER + frag;
    sep = ", ";
  }
}

static void describe_dtls(line *l, const uint8_t *d, size_t len) {
  put(l, "DTLS");
  const char *sep = " ";
  while (len > 0) {
    if (len < DTLS_RECORD_HEADER) {
      put(l, "%s%zu stray bytes", sep, len);
      return;
    }
    uint8_t type = d[0];
    uint16_t epoch = brtc_rd16(d + 3), rlen = brtc_rd16(d + 11);
    uint64_t seq = (uint64_t)brtc_rd16(d + 5) << 32 | brtc_rd32(d + 7);
    if (rlen > len - DTLS_RECORD_HEADER) {
      put(l, "%srecord longer than the datagram", sep);
      return;
    }
    const uint8_t *body = d + DTLS_RECORD_HEADER;
    put(l, "%s[epoch %u seq %llu] ", sep, (unsigned)epoch, (unsigned long long)seq);
    if (type == 20) {
      put(l, "ChangeCipherSpec");
    } else if (type == 22 && epoch == 0) {
      describe_handshake(l, body, rlen);
    } else if (type == 22) {
      put(l, "handshake, encrypted (%u bytes): the Finished", (unsigned)rlen);
    } else if (type == 21 && epoch == 0 && rlen == 2) {
      put(l, "alert %s %s, in clear", body[0] == 2 ? "fatal" : "warning", alert_name(body[1]));
    } else if (type == 21) {
      put(l, "alert, encrypted (%u bytes)", (unsigned)rlen);
    } else if (type == 23) {
      put(l, "application data, encrypted (%u bytes)", (unsigned)rlen);
    } else {
      put(l, "content type %u (%u bytes)", (unsigned)type, (unsigned)rlen);
    }
    d += DTLS_RECORD_HEADER + rlen;
    len -= DTLS_RECORD_HEADER + rlen;
    sep = "; ";
  }
}

/* ---- RTP (RFC 3550 5.1, header extensions RFC 8285) ---- */

static void describe_rtp(line *l, const uint8_t *d, size_t len, bool plaintext) {
  brtc_rtp_header h;
  if (brtc_rtp_parse(d, len, &h) != BRTC_OK) {
    put(l, "%s, malformed (%zu bytes)", plaintext ? "RTP" : "SRTP", len);
    return;
  }
  put(l, "%s ssrc 0x%08x pt %u seq %u ts %u%s", plaintext ? "RTP" : "SRTP", (unsigned)h.ssrc,
      (unsigned)h.payload_type, (unsigned)h.sequence, (unsigned)h.timestamp,
      h.marker ? " marker" : "");
  if (h.n_ext) {
    put(l, ", extensions");
    for (size_t i = 0; i < h.n_ext; i++) put(l, " %u:%uB", h.ext[i].id, h.ext[i].len);
  }
  if (plaintext) {
    put(l, ", payload %zu bytes", h.payload_len);
    if (h.payload_len >= 4)
      put(l, " %02x %02x %02x %02x...", h.payload[0], h.payload[1], h.payload[2], h.payload[3]);
  } else {
    put(l, ", %zu bytes encrypted with the tag", len - h.header_len);
  }
}

/* ---- RTCP (RFC 3550 6.4, RFC 4585 6, REMB, RFC 3611 4.4/4.5) ---- */

static void describe_rtcp_packet(const brtc_rtcp_packet *p, void *user) {
  line *l = user;
  if (l->len > 5) put(l, "; ");
  switch (p->type) {
    case BRTC_RTCP_SR:
      put(l, "SR from 0x%08x: rtp ts %u, %u packets, %u bytes", (unsigned)p->sender_ssrc,
          (unsigned)p->rtp_ts, (unsigned)p->packet_count, (unsigned)p->octet_count);
      break;
    case BRTC_RTCP_RR: put(l, "RR from 0x%08x", (unsigned)p->sender_ssrc); break;
    case BRTC_RTCP_SDES: put(l, "SDES"); break;
    case BRTC_RTCP_BYE: put(l, "BYE 0x%08x", (unsigned)p->sender_ssrc); break;
    case BRTC_RTCP_RTPFB:
      if (p->count_or_fmt == 1) {
        put(l, "NACK for 0x%08x:", (unsigned)p->media_ssrc);
        for (size_t i = 0; i + 4 <= p->fci_len && i < 16; i += 4)
          put(l, " seq %u mask %04x", (unsigned)brtc_rd16(p->fci + i),
              (unsigned)brtc_rd16(p->fci + i + 2));
      } else {
        put(l, "RTPFB fmt %u for 0x%08x", (unsigned)p->count_or_fmt, (unsigned)p->media_ssrc);
      }
      break;
    case BRTC_RTCP_PSFB: {
      uint64_t bps = 0;
      uint32_t ssrcs[4];
      size_t n = 0;
      if (p->count_or_fmt == 1) {
        put(l, "PLI for 0x%08x", (unsigned)p->media_ssrc);
      } else if (p->count_or_fmt == 4) {
        put(l, "FIR");
      } else if (p->count_or_fmt == 15 &&
                 brtc_rtcp_parse_remb(p->fci, p->fci_len, &bps, ssrcs, 4, &n) == BRTC_OK) {
        put(l, "REMB %.2f Mbps", (double)bps / 1e6);
        for (size_t i = 0; i < n; i++) put(l, " 0x%08x", (unsigned)ssrcs[i]);
      } else {
        put(l, "PSFB fmt %u", (unsigned)p->count_or_fmt);
      }
      break;
    }
    case BRTC_RTCP_XR: {
      uint64_t ntp;
      put(l, "XR from 0x%08x%s", (unsigned)p->sender_ssrc,
          brtc_rtcp_xr_rrtr(p, &ntp) == BRTC_OK ? " RRTR" : "");
      break;
    }
    default: put(l, "RTCP type %u", (unsigned)p->type); break;
  }
  for (size_t i = 0; i < p->n_blocks; i++) {
    const brtc_rtcp_report_block *b = &p->blocks[i];
    put(l, " [of 0x%08x: lost %d (%u/256 lately), highest seq %u, jitter %u]", (unsigned)b->ssrc,
        (int)b->cumulative_lost, (unsigned)b->fraction_lost, (unsigned)b->ext_highest_seq,
        (unsigned)b->jitter);
  }
}

static void describe_rtcp(line *l, const uint8_t *d, size_t len, bool plaintext) {
  if (!plaintext) {
    /* SRTCP (RFC 3711 3.4): the first packet's header and sender SSRC stay in clear. */
    put(l, "SRTCP, first packet %u from 0x%08x, %zu bytes encrypted with index and tag",
        (unsigned)d[1], len >= 8 ? (unsigned)brtc_rd32(d + 4) : 0u, len > 8 ? len - 8 : 0);
    return;
  }
  put(l, "RTCP ");
  if (brtc_rtcp_parse(d, len, describe_rtcp_packet, l) != BRTC_OK)
    put(l, "%smalformed compound (%zu bytes)", l->len > 5 ? "; then " : "", len);
}

brtc_inspect_kind brtc_inspect_describe(const uint8_t *data, size_t len, bool plaintext,
                                        char *out, size_t cap) {
  line l = {.buf = out, .cap = cap};
  if (cap) out[0] = '\0';
  if (!data || len == 0) {
    put(&l, "empty datagram");
    return BRTC_INSPECT_UNKNOWN;
  }
  /* RFC 7983 5: the first byte tells the protocols sharing the port apart. */
  uint8_t b = data[0];
  if (!plaintext && b <= 3) {
    describe_stun(&l, data, len);
    return BRTC_INSPECT_STUN;
  }
  if (!plaintext && b >= 20 && b <= 63) {
    describe_dtls(&l, data, len);
    return BRTC_INSPECT_DTLS;
  }
  if (b >= 128 && b <= 191 && len >= 8) {
    bool rtcp = brtc_rtp_is_rtcp(data, len);
    if (rtcp) describe_rtcp(&l, data, len, plaintext);
    else describe_rtp(&l, data, len, plaintext);
    if (rtcp) return plaintext ? BRTC_INSPECT_RTCP : BRTC_INSPECT_SRTCP;
    return plaintext ? BRTC_INSPECT_RTP : BRTC_INSPECT_SRTP;
  }
  put(&l, "unknown datagram, first byte %u (%zu bytes)", (unsigned)b, len);
  return BRTC_INSPECT_UNKNOWN;
}
