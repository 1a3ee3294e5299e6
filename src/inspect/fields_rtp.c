/* RTP field by field, for the packet inspector: the fixed header (RFC 3550 5.1), header
 * extensions by the negotiated a=extmap (RFC 8285), and the payload formats' own headers:
 * VP8's payload descriptor and keyframe header (RFC 7741 4.2, 4.3; RFC 6386 9.1), H.264's
 * NAL unit header (RFC 6184 5.3, 5.7.1, 5.8), Opus's TOC byte (RFC 6716 3.1), RTX's original
 * sequence number (RFC 4588 4). */
#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "inspect/fields.h"

static const char *ext_name(brtc_inspect_ext e) {
  switch (e) {
    case BRTC_INSPECT_EXT_MID: return "mid";
    case BRTC_INSPECT_EXT_ABS_SEND_TIME: return "abs-send-time";
    case BRTC_INSPECT_EXT_TRANSPORT_CC: return "transport-wide sequence number";
    case BRTC_INSPECT_EXT_AUDIO_LEVEL: return "audio level";
    case BRTC_INSPECT_EXT_TOFFSET: return "transmission time offset";
    case BRTC_INSPECT_EXT_VIDEO_ORIENTATION: return "video orientation";
    case BRTC_INSPECT_EXT_RID: return "rtp-stream-id";
    case BRTC_INSPECT_EXT_REPAIRED_RID: return "repaired-rtp-stream-id";
    case BRTC_INSPECT_EXT_OTHER: return "extension (negotiated)";
    default: return "extension (not negotiated)";
  }
}

static void ext_element(brtc_fields *f, unsigned id, size_t at, size_t n, size_t header_at) {
  const uint8_t *v = f->data + at;
  brtc_inspect_ext e = id < 256 ? (brtc_inspect_ext)f->ctx->ext[id] : BRTC_INSPECT_EXT_NONE;
  size_t hl = at - header_at; /* the element's own id/length bytes */
  char text[BRTC_INSPECT_VALUE_MAX];
  switch (e) {
    case BRTC_INSPECT_EXT_MID:
    case BRTC_INSPECT_EXT_RID:
    case BRTC_INSPECT_EXT_REPAIRED_RID:
      brtc_fields_text(text, sizeof(text), v, n);
      brtc_fields_add(f, header_at, hl + n, 1, ext_name(e),
                      e == BRTC_INSPECT_EXT_MID ? "RFC 8843 15.1" : "RFC 8852 3",
                      e == BRTC_INSPECT_EXT_MID ? "which m-section (a=mid) the packet belongs to: "
                                                  "how BUNDLE tells tracks apart before the SSRC "
                                                  "is known"
                                                : "which simulcast stream (a=rid)",
                      "id %u: \"%s\"", id, text);
      break;
    case BRTC_INSPECT_EXT_ABS_SEND_TIME:
      if (n == 3) {
        uint32_t t = brtc_rd24(v);
        brtc_fields_add(f, header_at, hl + n, 1, ext_name(e), "abs-send-time",
                        "when the sender sent it: 6.18 fixed-point seconds, wrapping every 64 s; "
                        "the receiver's bandwidth estimate (REMB) reads the spacing",
                        "id %u: %.6f s", id, (double)t / (1 << 18));
        break;
      }
      goto raw;
    case BRTC_INSPECT_EXT_TRANSPORT_CC:
      if (n == 2) {
        brtc_fields_add(f, header_at, hl + n, 1, ext_name(e),
                        "draft-holmer-rmcat-transport-wide-cc-extensions-01",
                        "one counter across all the sender's streams, for transport-cc feedback",
                        "id %u: %u", id, (unsigned)brtc_rd16(v));
        break;
      }
      goto raw;
    case BRTC_INSPECT_EXT_AUDIO_LEVEL:
      if (n >= 1) {
        brtc_fields_add(f, header_at, hl + n, 1, ext_name(e), "RFC 6464 3",
                        "the audio's level in -dBov (0 loudest, 127 silence) and whether voice "
                        "was detected, readable without decrypting (RFC 6904 can hide it)",
                        "id %u: -%u dBov%s", id, (unsigned)(v[0] & 0x7f),
                        v[0] & 0x80 ? ", voice" : "");
        break;
      }
      goto raw;
    case BRTC_INSPECT_EXT_TOFFSET:
      if (n == 3) {
        uint32_t t = brtc_rd24(v);
        int32_t s = (int32_t)(t & 0x800000 ? t | 0xff000000u : t);
        brtc_fields_add(f, header_at, hl + n, 1, ext_name(e), "RFC 5450",
                        "how long after its RTP timestamp the packet was sent, in clock ticks",
                        "id %u: %d", id, (int)s);
        break;
      }
      goto raw;
    case BRTC_INSPECT_EXT_VIDEO_ORIENTATION:
      if (n >= 1) {
        brtc_fields_add(f, header_at, hl + n, 1, ext_name(e), "3GPP TS 26.114 7.4.5",
                        "how to rotate the picture for display", "id %u: %u degrees%s", id,
                        (unsigned)(v[0] & 3) * 90, v[0] & 4 ? ", flipped" : "");
        break;
      }
      goto raw;
    default:
    raw:
      brtc_fields_hex(text, sizeof(text), v, n, 16);
      brtc_fields_add(f, header_at, hl + n, 1, ext_name(e), "RFC 8285", NULL, "id %u: %s", id,
                      text);
      break;
  }
}

/* The header extension block (RFC 8285 4.2 one-byte, 4.3 two-byte elements). */
static void extensions(brtc_fields *f, size_t at, size_t end) {
  const uint8_t *d = f->data;
  uint16_t profile = brtc_rd16(d + at);
  size_t words = brtc_rd16(d + at + 2);
  bool one = profile == 0xBEDE, two = (profile & 0xfff0) == 0x1000;
  brtc_fields_add(f, at, 4 + 4 * words, 0, "Header extension",
                  one ? "RFC 8285 4.2" : "RFC 8285 4.3",
                  one   ? "0xBEDE: one-byte headers, ids 1-14, the ids are the a=extmap lines'"
                  : two ? "0x100X: two-byte headers, ids 1-255"
                        : "a profile-specific extension",
                  "profile 0x%04x, %zu words", (unsigned)profile, words);
  size_t i = at + 4;
  if (!one && !two) return;
  while (i < end) {
    if (d[i] == 0) { /* padding between elements */
      i++;
      continue;
    }
    unsigned id;
    size_t n, start = i;
    if (one) {
      id = d[i] >> 4;
      n = (size_t)(d[i] & 15) + 1;
      if (id == 15) return; /* reserved: stop reading (RFC 8285 4.2) */
      i += 1;
    } else {
      if (i + 2 > end) return;
      id = d[i];
      n = d[i + 1];
      i += 2;
    }
    if (i + n > end) {
      brtc_fields_add(f, start, end - start, 1, "element, truncated", "RFC 8285", NULL, "id %u",
                      id);
      return;
    }
    ext_element(f, id, i, n, start);
    i += n;
  }
}

static void vp8(brtc_fields *f, size_t at, size_t end) {
  const uint8_t *d = f->data;
  size_t start = at;
  if (at >= end) return;
  uint8_t b = d[at];
  bool x = b & 0x80, s = b & 0x10;
  unsigned pid = b & 7;
  size_t n = 1;
  bool i_ = false, l = false, t = false, k = false;
  if (x) {
    if (at + 2 > end) return;
    uint8_t e = d[at + 1];
    i_ = e & 0x80, l = e & 0x40, t = e & 0x20, k = e & 0x10;
    n = 2;
  }
  unsigned picture_id = 0;
  bool long_pid = false;
  if (i_) {
    if (at + n + 1 > end) return;
    long_pid = d[at + n] & 0x80;
    if (long_pid && at + n + 2 > end) return;
    picture_id = long_pid ? (brtc_rd16(d + at + n) & 0x7fff) : d[at + n];
    n += long_pid ? 2 : 1;
  }
  size_t tl0_at = at + n;
  if (l) n++;
  size_t tk_at = at + n;
  if (t || k) n++;
  if (at + n > end) return;
  brtc_fields_add(f, at, n, 0, "VP8 payload descriptor", "RFC 7741 4.2",
                  "tells the receiver where frames and partitions start without decoding VP8",
                  "%s%s, partition %u%s", s ? "start of a partition" : "continuation",
                  s && pid == 0 ? " (start of a frame)" : "", pid,
                  b & 0x20 ? ", non-reference" : "");
  brtc_fields_add(f, at, 1, 1, "X R N S R PID", "RFC 7741 4.2",
                  "X: extensions follow; N: no other frame depends on this one; S: a partition "
                  "starts here; PID: which partition",
                  "X=%u N=%u S=%u PID=%u", x, (b >> 5) & 1, s, pid);
  if (x)
    brtc_fields_add(f, at + 1, 1, 1, "I L T K", "RFC 7741 4.2",
                    "which optional fields follow: PictureID, TL0PICIDX, TID, KEYIDX",
                    "I=%u L=%u T=%u K=%u", i_, l, t, k);
  if (i_)
    brtc_fields_add(f, at + 2, long_pid ? 2 : 1, 1, "PictureID", "RFC 7741 4.2",
                    "counts frames (7 or 15 bits): a gap means a lost frame", "%u", picture_id);
  if (l)
    brtc_fields_add(f, tl0_at, 1, 1, "TL0PICIDX", "RFC 7741 4.2",
                    "counts base-layer frames (temporal scalability)", "%u", (unsigned)d[tl0_at]);
  if (t || k)
    brtc_fields_add(f, tk_at, 1, 1, "TID Y KEYIDX", "RFC 7741 4.2",
                    "the temporal layer of this frame", "TID=%u Y=%u KEYIDX=%u",
                    (unsigned)(d[tk_at] >> 6), (unsigned)((d[tk_at] >> 5) & 1),
                    (unsigned)(d[tk_at] & 31));
  at += n;
  /* The VP8 payload header, at the start of a frame (RFC 7741 4.3; RFC 6386 9.1). */
  if (!(s && pid == 0) || at + 3 > end) return;
  uint32_t h = d[at] | (uint32_t)d[at + 1] << 8 | (uint32_t)d[at + 2] << 16;
  bool key = !(h & 1);
  brtc_fields_add(f, at, 3, 0, "VP8 payload header", "RFC 7741 4.3",
                  key ? "a keyframe: it decodes alone, which is why the server waits for one"
                      : "an interframe: it needs the frames before it",
                  "%s, version %u, %s, first partition %u bytes", key ? "keyframe" : "interframe",
                  (unsigned)((h >> 1) & 7), (h >> 4) & 1 ? "shown" : "not shown",
                  (unsigned)(h >> 5));
  if (!key || at + 10 > end) return;
  brtc_fields_add(f, at + 3, 3, 1, "start code", "RFC 6386 9.1", "every keyframe has 9d 01 2a",
                  "%02x %02x %02x", d[at + 3], d[at + 4], d[at + 5]);
  unsigned w = brtc_rd16le(d + at + 6), hh = brtc_rd16le(d + at + 8);
  brtc_fields_add(f, at + 6, 4, 1, "size", "RFC 6386 9.1",
                  "the picture's width and height (14 bits each, 2 bits of scaling)", "%ux%u",
                  w & 0x3fff, hh & 0x3fff);
  (void)start;
}

static const char *nal_name(unsigned t) {
  switch (t) {
    case 1: return "slice (non-IDR)";
    case 5: return "IDR slice: a keyframe";
    case 6: return "SEI";
    case 7: return "SPS: sequence parameters";
    case 8: return "PPS: picture parameters";
    case 9: return "access unit delimiter";
    case 24: return "STAP-A: several NAL units";
    case 28: return "FU-A: a fragment of a NAL unit";
    default: return "NAL unit";
  }
}

static void h264(brtc_fields *f, size_t at, size_t end) {
  const uint8_t *d = f->data;
  if (at >= end) return;
  unsigned type = d[at] & 31;
  brtc_fields_add(f, at, 1, 0, "H.264 NAL unit header", "RFC 6184 5.3",
                  "F, NRI (how much it matters) and the NAL unit type", "type %u: %s, NRI %u", type,
                  nal_name(type), (unsigned)((d[at] >> 5) & 3));
  if (type == 28 && at + 2 <= end) {
    uint8_t fu = d[at + 1];
    brtc_fields_add(f, at + 1, 1, 1, "FU header", "RFC 6184 5.8",
                    "S: the first fragment, E: the last; the type is the fragmented NAL unit's",
                    "S=%u E=%u type %u: %s", fu >> 7, (fu >> 6) & 1, (unsigned)(fu & 31),
                    nal_name(fu & 31));
  } else if (type == 24) {
    size_t i = at + 1;
    while (i + 3 <= end) {
      size_t n = brtc_rd16(d + i);
      if (n == 0 || i + 2 + n > end) break;
      brtc_fields_add(f, i, 2 + n, 1, "aggregated NAL unit", "RFC 6184 5.7.1", NULL,
                      "%zu bytes, type %u: %s", n, (unsigned)(d[i + 2] & 31),
                      nal_name(d[i + 2] & 31));
      i += 2 + n;
    }
  }
}

static void payload(brtc_fields *f, brtc_inspect_codec codec, size_t at, size_t end) {
  const uint8_t *d = f->data;
  switch (codec) {
    case BRTC_INSPECT_CODEC_VP8: vp8(f, at, end); break;
    case BRTC_INSPECT_CODEC_H264: h264(f, at, end); break;
    case BRTC_INSPECT_CODEC_OPUS:
      if (at < end)
        brtc_fields_add(f, at, 1, 0, "Opus TOC byte", "RFC 6716 3.1",
                        "the frame's mode and duration: config, stereo, frames per packet",
                        "config %u, %s, code %u", (unsigned)(d[at] >> 3),
                        d[at] & 4 ? "stereo" : "mono", (unsigned)(d[at] & 3));
      break;
    case BRTC_INSPECT_CODEC_RTX:
      if (at + 2 <= end)
        brtc_fields_add(f, at, 2, 0, "original sequence number", "RFC 4588 4",
                        "a retransmission: which packet of the media stream this repeats", "%u",
                        (unsigned)brtc_rd16(d + at));
      break;
    default: break;
  }
}

size_t brtc_fields_rtp(brtc_fields *f, bool header_only) {
  const uint8_t *d = f->data;
  size_t len = f->len;
  if (len < 12) {
    brtc_fields_add(f, 0, len, 0, "RTP, malformed", "RFC 3550 5.1", "shorter than an RTP header",
                    "%zu bytes", len);
    return 0;
  }
  unsigned cc = d[0] & 15, pt = d[1] & 0x7f;
  bool x = d[0] & 0x10, p = d[0] & 0x20;
  size_t header = 12 + 4 * (size_t)cc;
  size_t ext_at = header;
  if (x) {
    if (header + 4 > len)
      header = len + 1;
    else
      header += 4 + 4 * (size_t)brtc_rd16(d + header + 2);
  }
  brtc_inspect_codec codec = (brtc_inspect_codec)f->ctx->codec[pt];
  static const char *codec_names[] = {"", "VP8", "H264", "opus", "rtx", "other"};
  if (header > len) {
    brtc_fields_add(f, 0, len, 0, "RTP, malformed", "RFC 3550 5.1",
                    "its CSRCs or header extension run past the packet", "%zu bytes", len);
    return 0;
  }
  brtc_fields_add(f, 0, 12, 0, "RTP header", "RFC 3550 5.1",
                  header_only ? "in clear even in SRTP: the receiver needs it to find the keys "
                                "and the packet's index"
                              : "after SRTP unprotect: the header as sent",
                  "ssrc 0x%08x, pt %u %s, seq %u", (unsigned)brtc_rd32(d + 8), pt,
                  codec < 6 ? codec_names[codec] : "", (unsigned)brtc_rd16(d + 2));
  brtc_fields_add(f, 0, 1, 1, "V P X CC", "RFC 3550 5.1",
                  "version 2; P: padding at the end; X: a header extension follows; CC: CSRCs",
                  "V=%u P=%u X=%u CC=%u", (unsigned)(d[0] >> 6), p, x, cc);
  brtc_fields_add(f, 1, 1, 1, "M PT", "RFC 3550 5.1",
                  "M: the last packet of a video frame; PT: the payload type, a=rtpmap's number",
                  "M=%u PT=%u%s%s", d[1] >> 7, pt, codec ? " " : "",
                  codec < 6 ? codec_names[codec] : "");
  brtc_fields_add(f, 2, 2, 1, "sequence number", "RFC 3550 5.1",
                  "+1 per packet: gaps are losses (NACK asks for them)", "%u",
                  (unsigned)brtc_rd16(d + 2));
  brtc_fields_add(f, 4, 4, 1, "timestamp", "RFC 3550 5.1",
                  "the sampling instant: 90 kHz for video (all of a frame's packets share it), "
                  "48 kHz for Opus",
                  "%u", (unsigned)brtc_rd32(d + 4));
  brtc_fields_add(f, 8, 4, 1, "SSRC", "RFC 3550 5.1",
                  "the stream's random id (a=ssrc in the offer)", "0x%08x",
                  (unsigned)brtc_rd32(d + 8));
  for (unsigned i = 0; i < cc; i++)
    brtc_fields_add(f, 12 + 4 * i, 4, 1, "CSRC", "RFC 3550 5.1", "a contributing source (mixers)",
                    "0x%08x", (unsigned)brtc_rd32(d + 12 + 4 * i));
  if (x) extensions(f, ext_at, header);
  if (header_only) return header;
  size_t end = len;
  if (p && len > header) {
    size_t pad = d[len - 1];
    if (pad >= 1 && pad <= len - header) {
      end = len - pad;
    }
  }
  brtc_fields_add(f, header, end - header, 0, "payload", "RFC 3550 5.1", NULL, "%zu bytes%s",
                  end - header, end == header && p ? " (padding only: a bandwidth probe)" : "");
  payload(f, codec, header, end);
  if (end < len)
    brtc_fields_add(f, end, len - end, 0, "padding", "RFC 3550 5.1",
                    "the last byte says how many bytes to drop", "%zu bytes", len - end);
  return header;
}
