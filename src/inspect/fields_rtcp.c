/* RTCP field by field, for the packet inspector: a compound's packets (RFC 3550 6.4 SR and
 * RR with their report blocks, 6.5 SDES, 6.6 BYE), feedback (RFC 4585 6.2.1 NACK, 6.3.1 PLI;
 * RFC 5104 4.3.1 FIR; REMB, draft-alvestrand-rmcat-remb-03; transport-cc,
 * draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1) and XR (RFC 3611 4.4 RRTR, 4.5
 * DLRR). */
#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "inspect/fields.h"

static void report_blocks(brtc_fields *f, size_t at, size_t end, unsigned count) {
  const uint8_t *d = f->data;
  for (unsigned i = 0; i < count && at + 24 <= end; i++, at += 24) {
    uint32_t lost = brtc_rd24(d + at + 5);
    int32_t cumulative = (int32_t)(lost & 0x800000 ? lost | 0xff000000u : lost);
    brtc_fields_add(f, at, 24, 1, "report block", "RFC 3550 6.4.1",
                    "how one stream arrives: loss, the highest sequence number, jitter, and what "
                    "the round trip is measured with (LSR, DLSR)",
                    "of 0x%08x: lost %d (%u/256 lately), highest seq %u, jitter %u",
                    (unsigned)brtc_rd32(d + at), (int)cumulative, (unsigned)d[at + 4],
                    (unsigned)brtc_rd32(d + at + 8), (unsigned)brtc_rd32(d + at + 12));
    brtc_fields_add(f, at + 16, 4, 2, "LSR", "RFC 3550 6.4.1",
                    "the middle 32 bits of the last SR's NTP time from that source", "0x%08x",
                    (unsigned)brtc_rd32(d + at + 16));
    brtc_fields_add(f, at + 20, 4, 2, "DLSR", "RFC 3550 6.4.1",
                    "how long since that SR, in 1/65536 s: the sender subtracts both from now "
                    "to get the round trip",
                    "%.3f ms", brtc_rd32(d + at + 20) / 65.536);
  }
}

static void feedback(brtc_fields *f, uint8_t pt, unsigned fmt, size_t at, size_t end) {
  const uint8_t *d = f->data;
  if (at + 12 > end) return;
  uint32_t media = brtc_rd32(d + at + 8);
  size_t fci = at + 12;
  if (pt == 205 && fmt == 1) {
    for (size_t i = fci; i + 4 <= end; i += 4) {
      uint16_t seq = brtc_rd16(d + i), blp = brtc_rd16(d + i + 2);
      brtc_fields_add(f, i, 4, 1, "PID BLP", "RFC 4585 6.2.1",
                      "a lost sequence number, and a bitmask of the 16 after it also lost",
                      "seq %u, mask 0x%04x (%d more)", (unsigned)seq, (unsigned)blp,
                      __builtin_popcount(blp));
    }
  } else if (pt == 205 && fmt == 15 && fci + 8 <= end) {
    brtc_fields_add(f, fci, end - fci, 1, "transport-cc feedback",
                    "draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1",
                    "which transport-wide sequence numbers arrived and when: the sender's "
                    "congestion control reads it",
                    "base seq %u, %u packets, feedback #%u", (unsigned)brtc_rd16(d + fci),
                    (unsigned)brtc_rd16(d + fci + 2), (unsigned)d[fci + 7]);
  } else if (pt == 206 && fmt == 15 && fci + 8 <= end && memcmp(d + fci, "REMB", 4) == 0) {
    unsigned n = d[fci + 4], exp = d[fci + 5] >> 2;
    uint32_t mantissa = ((uint32_t)(d[fci + 5] & 3) << 16) | brtc_rd16(d + fci + 6);
    double bps = (double)mantissa * (double)(1ull << (exp < 63 ? exp : 63));
    brtc_fields_add(f, fci, 8, 1, "REMB bitrate", "draft-alvestrand-rmcat-remb-03 2.2",
                    "the most the receiver wants the sender to send, mantissa * 2^exp bits/s",
                    "%.3f Mbit/s for %u SSRC%s", bps / 1e6, n, n == 1 ? "" : "s");
    for (unsigned i = 0; i < n && fci + 12 + 4 * i <= end; i++)
      brtc_fields_add(f, fci + 8 + 4 * i, 4, 2, "SSRC", "draft-alvestrand-rmcat-remb-03 2.2",
                      "a stream the ceiling is for", "0x%08x",
                      (unsigned)brtc_rd32(d + fci + 8 + 4 * i));
  } else if (pt == 206 && fmt == 4) {
    for (size_t i = fci; i + 8 <= end; i += 8)
      brtc_fields_add(f, i, 8, 1, "FIR entry", "RFC 5104 4.3.1", "whom, and the request's number",
                      "0x%08x #%u", (unsigned)brtc_rd32(d + i), (unsigned)d[i + 4]);
  }
  (void)media;
}

static void xr(brtc_fields *f, size_t at, size_t end) {
  const uint8_t *d = f->data;
  while (at + 4 <= end) {
    unsigned bt = d[at];
    size_t n = 4 + 4 * (size_t)brtc_rd16(d + at + 2);
    if (at + n > end) return;
    if (bt == 4 && n >= 12)
      brtc_fields_add(f, at, n, 1, "RRTR", "RFC 3611 4.4",
                      "a receiver's NTP time: lets a receiver measure the round trip too",
                      "NTP 0x%08x.%08x", (unsigned)brtc_rd32(d + at + 4),
                      (unsigned)brtc_rd32(d + at + 8));
    else if (bt == 5)
      for (size_t i = at + 4; i + 12 <= at + n; i += 12)
        brtc_fields_add(f, i, 12, 1, "DLRR", "RFC 3611 4.5",
                        "the answer to an RRTR: its time and the delay since, for the round trip",
                        "of 0x%08x: LRR 0x%08x, DLRR %.3f ms", (unsigned)brtc_rd32(d + i),
                        (unsigned)brtc_rd32(d + i + 4), brtc_rd32(d + i + 8) / 65.536);
    else
      brtc_fields_add(f, at, n, 1, "XR block", "RFC 3611 3", NULL, "type %u", bt);
    at += n;
  }
}

static const char *packet_name(uint8_t pt, unsigned fmt) {
  switch (pt) {
    case 200: return "SR: sender report";
    case 201: return "RR: receiver report";
    case 202: return "SDES: source description";
    case 203: return "BYE";
    case 204: return "APP";
    case 205:
      return fmt == 1    ? "NACK: generic negative acknowledgement"
             : fmt == 15 ? "transport-cc feedback"
                         : "RTPFB: transport feedback";
    case 206:
      return fmt == 1    ? "PLI: picture loss indication"
             : fmt == 4  ? "FIR: full intra request"
             : fmt == 15 ? "REMB / application feedback"
                         : "PSFB: payload-specific feedback";
    case 207: return "XR: extended report";
    default: return "unknown RTCP packet";
  }
}

static const char *packet_meaning(uint8_t pt, unsigned fmt) {
  switch (pt) {
    case 200:
      return "what a sender sent, with its NTP and RTP clocks side by side (for lip sync), "
             "and how it receives";
    case 201: return "how the receiver gets each stream: what the server tells the browser";
    case 202: return "names the stream's source: CNAME ties a camera and a microphone together";
    case 203: return "the source is leaving";
    case 205:
      return fmt == 1 ? "asks the sender to resend the packets listed" : "transport-layer feedback";
    case 206:
      return fmt == 1   ? "asks for a keyframe: the receiver cannot decode on"
             : fmt == 4 ? "asks for a keyframe (the older way)"
                        : "REMB: a ceiling for the sender's bitrate";
    case 207: return "round-trip measurement from the receiver's side";
    default: return NULL;
  }
}

void brtc_fields_rtcp(brtc_fields *f) {
  const uint8_t *d = f->data;
  size_t at = 0;
  while (at < f->len) {
    if (f->len - at < 4) {
      brtc_fields_add(f, at, f->len - at, 0, "stray bytes", "RFC 3550 6.1", NULL, "%zu bytes",
                      f->len - at);
      return;
    }
    unsigned count = d[at] & 31;
    uint8_t pt = d[at + 1];
    size_t n = 4 + 4 * (size_t)brtc_rd16(d + at + 2);
    bool cut = at + n > f->len;
    size_t end = cut ? f->len : at + n;
    uint32_t sender = end - at >= 8 ? brtc_rd32(d + at + 4) : 0;
    brtc_fields_add(f, at, end - at, 0, packet_name(pt, count), "RFC 3550 6.4",
                    packet_meaning(pt, count), "from 0x%08x%s", (unsigned)sender,
                    cut ? ", truncated" : "");
    brtc_fields_add(f, at, 1, 1, "V P count", "RFC 3550 6.4.1",
                    pt == 205 || pt == 206 ? "for feedback the count is the FMT: which message"
                                           : "how many report blocks or items follow",
                    "V=%u P=%u %s=%u", (unsigned)(d[at] >> 6), (unsigned)((d[at] >> 5) & 1),
                    pt == 205 || pt == 206 ? "FMT" : "count", count);
    brtc_fields_add(f, at + 1, 1, 1, "packet type", "RFC 3550 12.1", NULL, "%u", (unsigned)pt);
    brtc_fields_add(f, at + 2, 2, 1, "length", "RFC 3550 6.4.1", "in 32-bit words, minus one", "%u",
                    (unsigned)brtc_rd16(d + at + 2));
    if (end - at >= 8)
      brtc_fields_add(f, at + 4, 4, 1, pt == 202 || pt == 203 ? "SSRC/CSRC" : "sender SSRC",
                      "RFC 3550 6.4.1", NULL, "0x%08x", (unsigned)sender);
    if (pt == 200 && at + 28 <= end) {
      brtc_fields_add(f, at + 8, 8, 1, "NTP timestamp", "RFC 3550 6.4.1",
                      "the sender's wall clock when it sent this", "0x%08x.%08x",
                      (unsigned)brtc_rd32(d + at + 8), (unsigned)brtc_rd32(d + at + 12));
      brtc_fields_add(f, at + 16, 4, 1, "RTP timestamp", "RFC 3550 6.4.1",
                      "the same instant on the media clock: maps RTP time to wall time", "%u",
                      (unsigned)brtc_rd32(d + at + 16));
      brtc_fields_add(f, at + 20, 8, 1, "packet and octet counts", "RFC 3550 6.4.1",
                      "what it has sent so far", "%u packets, %u bytes",
                      (unsigned)brtc_rd32(d + at + 20), (unsigned)brtc_rd32(d + at + 24));
      report_blocks(f, at + 28, end, count);
    } else if (pt == 201) {
      report_blocks(f, at + 8, end, count);
    } else if (pt == 205 || pt == 206) {
      if (at + 12 <= end)
        brtc_fields_add(f, at + 8, 4, 1, "media SSRC", "RFC 4585 6.1", "the stream it is about",
                        "0x%08x", (unsigned)brtc_rd32(d + at + 8));
      feedback(f, pt, count, at, end);
    } else if (pt == 207) {
      xr(f, at + 8, end);
    } else if (pt == 202 && at + 8 < end) {
      /* The first chunk's first item: CNAME, in practice (RFC 3550 6.5.1). */
      size_t i = at + 8;
      if (i + 2 <= end && d[i] != 0 && i + 2 + d[i + 1] <= end) {
        char text[BRTC_INSPECT_VALUE_MAX];
        brtc_fields_text(text, sizeof(text), d + i + 2, d[i + 1]);
        brtc_fields_add(f, i, 2 + d[i + 1], 1, d[i] == 1 ? "CNAME" : "SDES item", "RFC 3550 6.5.1",
                        "a name that stays the same across the source's streams", "%s", text);
      }
    }
    at = end;
  }
}
