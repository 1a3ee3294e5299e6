/* RTCP compound parse (RFC 3550 6.4, A.2; RFC 5506) and writers (RFC 3550, 4585, 5104). */
#include "rtp/rtcp.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

#define RTCP_HEADER 4
#define REPORT_BLOCK 24
#define SENDER_INFO 20

static int32_t sign_extend_24(uint32_t v) {
  v &= 0xFFFFFF;
  return (v & 0x800000) ? (int32_t)v - 0x1000000 : (int32_t)v;
}

static void read_report_block(const uint8_t *p, brtc_rtcp_report_block *b) {
  b->ssrc = brtc_rd32(p);
  b->fraction_lost = p[4];
  b->cumulative_lost = sign_extend_24(brtc_rd24(p + 5));
  b->ext_highest_seq = brtc_rd32(p + 8);
  b->jitter = brtc_rd32(p + 12);
  b->last_sr = brtc_rd32(p + 16);
  b->delay_since_last_sr = brtc_rd32(p + 20);
}

static void write_report_block(uint8_t *p, const brtc_rtcp_report_block *b) {
  brtc_wr32(p, b->ssrc);
  p[4] = b->fraction_lost;
  brtc_wr24(p + 5, (uint32_t)b->cumulative_lost & 0xFFFFFF);
  brtc_wr32(p + 8, b->ext_highest_seq);
  brtc_wr32(p + 12, b->jitter);
  brtc_wr32(p + 16, b->last_sr);
  brtc_wr32(p + 20, b->delay_since_last_sr);
}

/* Decode one packet whose outer length is already checked; len excludes padding. */
static int decode_packet(const uint8_t *p, size_t len, size_t total_len, brtc_rtcp_packet *pk) {
  memset(pk, 0, sizeof(*pk));
  pk->type = p[1];
  pk->count_or_fmt = p[0] & 0x1F;
  pk->data = p;
  pk->len = total_len;
  size_t count = pk->count_or_fmt;
  switch (pk->type) {
  case BRTC_RTCP_SR:
    if (len < RTCP_HEADER + 4 + SENDER_INFO + count * REPORT_BLOCK) return BRTC_ERR_PARSE;
    pk->sender_ssrc = brtc_rd32(p + 4);
    pk->ntp = brtc_rd64(p + 8);
    pk->rtp_ts = brtc_rd32(p + 16);
    pk->packet_count = brtc_rd32(p + 20);
    pk->octet_count = brtc_rd32(p + 24);
    for (size_t i = 0; i < count; i++) read_report_block(p + 28 + i * REPORT_BLOCK, &pk->blocks[i]);
    pk->n_blocks = count;
    break;
  case BRTC_RTCP_RR:
    if (len < RTCP_HEADER + 4 + count * REPORT_BLOCK) return BRTC_ERR_PARSE;
    pk->sender_ssrc = brtc_rd32(p + 4);
    for (size_t i = 0; i < count; i++) read_report_block(p + 8 + i * REPORT_BLOCK, &pk->blocks[i]);
    pk->n_blocks = count;
    break;
  case BRTC_RTCP_SDES:
    /* Each chunk is at least an SSRC and a terminating word. */
    if (len < RTCP_HEADER + count * 8) return BRTC_ERR_PARSE;
    if (count) pk->sender_ssrc = brtc_rd32(p + 4);
    break;
  case BRTC_RTCP_BYE:
    if (len < RTCP_HEADER + count * 4) return BRTC_ERR_PARSE;
    if (count) pk->sender_ssrc = brtc_rd32(p + 4);
    break;
  case BRTC_RTCP_APP:
    if (len < 12) return BRTC_ERR_PARSE;
    pk->sender_ssrc = brtc_rd32(p + 4);
    break;
  case BRTC_RTCP_XR:
    if (len < 8) return BRTC_ERR_PARSE;
    pk->sender_ssrc = brtc_rd32(p + 4);
    pk->fci = p + 8; /* the report blocks */
    pk->fci_len = len - 8;
    break;
  case BRTC_RTCP_RTPFB:
  case BRTC_RTCP_PSFB:
    if (len < 12) return BRTC_ERR_PARSE;
    pk->sender_ssrc = brtc_rd32(p + 4);
    pk->media_ssrc = brtc_rd32(p + 8);
    pk->fci = p + 12;
    pk->fci_len = len - 12;
    break;
  default:
    break; /* unknown types pass through as raw bytes */
  }
  return BRTC_OK;
}

/* Walk the compound; with visit == NULL only validate. */
static int walk(const uint8_t *buf, size_t len, brtc_rtcp_visitor visit, void *user) {
  size_t off = 0;
  while (off < len) {
    const uint8_t *p = buf + off;
    if (len - off < RTCP_HEADER) return BRTC_ERR_PARSE;
    if ((p[0] >> 6) != 2) return BRTC_ERR_PARSE;
    /* RTCP types live in 192..223 on a muxed port (RFC 5761); anything else is not RTCP. */
    if (p[1] < 192 || p[1] > 223) return BRTC_ERR_PARSE;
    size_t plen = 4u * ((size_t)brtc_rd16(p + 2) + 1);
    if (plen > len - off) return BRTC_ERR_PARSE;
    size_t body = plen;
    if (p[0] & 0x20) {
      /* Only the last packet of a compound may be padded (RFC 3550 A.2). */
      if (off + plen != len) return BRTC_ERR_PARSE;
      uint8_t pad = p[plen - 1];
      if (pad == 0 || pad > plen - RTCP_HEADER) return BRTC_ERR_PARSE;
      body -= pad;
    }
    brtc_rtcp_packet pk;
    int rc = decode_packet(p, body, plen, &pk);
    if (rc != BRTC_OK) return rc;
    if (visit) visit(&pk, user);
    off += plen;
  }
  return BRTC_OK;
}

int brtc_rtcp_parse(const uint8_t *buf, size_t len, brtc_rtcp_visitor visit, void *user) {
  if (!buf) return BRTC_ERR_INVALID;
  if (len < RTCP_HEADER) return BRTC_ERR_PARSE;
  /* Validate everything first so a bad compound delivers nothing. */
  int rc = walk(buf, len, NULL, NULL);
  if (rc != BRTC_OK || !visit) return rc;
  return walk(buf, len, visit, user);
}

static void write_header(uint8_t *p, uint8_t count, uint8_t type, size_t total) {
  p[0] = (uint8_t)(0x80 | (count & 0x1F));
  p[1] = type;
  brtc_wr16(p + 2, (uint16_t)(total / 4 - 1));
}

int brtc_rtcp_write_rr(uint32_t sender_ssrc, const brtc_rtcp_report_block *blocks, size_t n,
                       uint8_t *out, size_t cap, size_t *out_len) {
  if (!out || !out_len || n > 31 || (n && !blocks)) return BRTC_ERR_INVALID;
  size_t total = 8 + n * REPORT_BLOCK;
  if (total > cap) return BRTC_ERR_TOO_BIG;
  write_header(out, (uint8_t)n, BRTC_RTCP_RR, total);
  brtc_wr32(out + 4, sender_ssrc);
  for (size_t i = 0; i < n; i++) write_report_block(out + 8 + i * REPORT_BLOCK, &blocks[i]);
  *out_len = total;
  return BRTC_OK;
}

int brtc_rtcp_write_sr(uint32_t sender_ssrc, uint64_t ntp, uint32_t rtp_ts, uint32_t packets,
                       uint32_t octets, const brtc_rtcp_report_block *blocks, size_t n,
                       uint8_t *out, size_t cap, size_t *out_len) {
  if (!out || !out_len || n > 31 || (n && !blocks)) return BRTC_ERR_INVALID;
  size_t total = 28 + n * REPORT_BLOCK;
  if (total > cap) return BRTC_ERR_TOO_BIG;
  write_header(out, (uint8_t)n, BRTC_RTCP_SR, total);
  brtc_wr32(out + 4, sender_ssrc);
  brtc_wr64(out + 8, ntp);
  brtc_wr32(out + 16, rtp_ts);
  brtc_wr32(out + 20, packets);
  brtc_wr32(out + 24, octets);
  for (size_t i = 0; i < n; i++) write_report_block(out + 28 + i * REPORT_BLOCK, &blocks[i]);
  *out_len = total;
  return BRTC_OK;
}

int brtc_rtcp_write_sdes_cname(uint32_t ssrc, const char *cname, uint8_t *out, size_t cap,
                               size_t *out_len) {
  if (!cname || !out || !out_len) return BRTC_ERR_INVALID;
  size_t clen = strlen(cname);
  if (clen > 255) return BRTC_ERR_INVALID;
  /* SSRC, CNAME item (type, length, text), then at least one null item to end the chunk,
   * padded to a 32-bit boundary. */
  size_t chunk = 4 + 2 + clen + 1;
  chunk = (chunk + 3) & ~(size_t)3;
  size_t total = RTCP_HEADER + chunk;
  if (total > cap) return BRTC_ERR_TOO_BIG;
  memset(out, 0, total);
  write_header(out, 1, BRTC_RTCP_SDES, total);
  brtc_wr32(out + 4, ssrc);
  out[8] = 1; /* CNAME */
  out[9] = (uint8_t)clen;
  memcpy(out + 10, cname, clen);
  *out_len = total;
  return BRTC_OK;
}

int brtc_rtcp_write_bye(uint32_t ssrc, uint8_t *out, size_t cap, size_t *out_len) {
  if (!out || !out_len) return BRTC_ERR_INVALID;
  if (cap < 8) return BRTC_ERR_TOO_BIG;
  write_header(out, 1, BRTC_RTCP_BYE, 8);
  brtc_wr32(out + 4, ssrc);
  *out_len = 8;
  return BRTC_OK;
}

static int write_fb(uint8_t type, uint8_t fmt, uint32_t sender_ssrc, uint32_t media_ssrc,
                    size_t fci_len, uint8_t *out, size_t cap, size_t *out_len) {
  if (!out || !out_len) return BRTC_ERR_INVALID;
  size_t total = 12 + fci_len;
  if (total > cap) return BRTC_ERR_TOO_BIG;
  write_header(out, fmt, type, total);
  brtc_wr32(out + 4, sender_ssrc);
  brtc_wr32(out + 8, media_ssrc);
  *out_len = total;
  return BRTC_OK;
}

int brtc_rtcp_write_pli(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t *out, size_t cap,
                        size_t *out_len) {
  return write_fb(BRTC_RTCP_PSFB, 1, sender_ssrc, media_ssrc, 0, out, cap, out_len);
}

int brtc_rtcp_write_fir(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t seq, uint8_t *out,
                        size_t cap, size_t *out_len) {
  /* RFC 5104 4.3.1: the header's media SSRC is 0; the target SSRC goes in the FCI. */
  int rc = write_fb(BRTC_RTCP_PSFB, 4, sender_ssrc, 0, 8, out, cap, out_len);
  if (rc != BRTC_OK) return rc;
  brtc_wr32(out + 12, media_ssrc);
  out[16] = seq;
  out[17] = out[18] = out[19] = 0;
  return BRTC_OK;
}

int brtc_rtcp_write_nack(uint32_t sender_ssrc, uint32_t media_ssrc, const uint16_t *seqs,
                         size_t n, uint8_t *out, size_t cap, size_t *out_len) {
  if (!seqs || n == 0 || !out || !out_len) return BRTC_ERR_INVALID;
  /* Count the FCI entries first: each covers a PID and the 16 seqs after it. */
  size_t entries = 0;
  for (size_t i = 0; i < n;) {
    uint16_t pid = seqs[i++];
    while (i < n) {
      int d = brtc_seq_diff(seqs[i], pid);
      if (d > 16) break;
      i++; /* d <= 0: a duplicate or out of order, folded into this entry */
    }
    entries++;
  }
  if (entries > 0xFFFF / 4) return BRTC_ERR_TOO_BIG;
  int rc = write_fb(BRTC_RTCP_RTPFB, 1, sender_ssrc, media_ssrc, entries * 4, out, cap, out_len);
  if (rc != BRTC_OK) return rc;
  uint8_t *fci = out + 12;
  for (size_t i = 0; i < n;) {
    uint16_t pid = seqs[i++];
    uint16_t blp = 0;
    while (i < n) {
      int d = brtc_seq_diff(seqs[i], pid);
      if (d > 16) break;
      if (d > 0) blp |= (uint16_t)(1u << (d - 1));
      i++;
    }
    brtc_wr16(fci, pid);
    brtc_wr16(fci + 2, blp);
    fci += 4;
  }
  return BRTC_OK;
}

#define REMB_FMT 15
#define REMB_MANTISSA_BITS 18

int brtc_rtcp_write_remb(uint32_t sender_ssrc, uint64_t bitrate_bps, const uint32_t *ssrcs,
                         size_t n, uint8_t *out, size_t cap, size_t *out_len) {
  if (!ssrcs || n == 0 || n > 255) return BRTC_ERR_INVALID;
  unsigned exp = 0;
  while ((bitrate_bps >> exp) >= (1u << REMB_MANTISSA_BITS)) exp++; /* at most 46 */
  uint32_t mantissa = (uint32_t)(bitrate_bps >> exp);
  int rc = write_fb(BRTC_RTCP_PSFB, REMB_FMT, sender_ssrc, 0, 8 + 4 * n, out, cap, out_len);
  if (rc != BRTC_OK) return rc;
  uint8_t *fci = out + 12;
  memcpy(fci, "REMB", 4);
  fci[4] = (uint8_t)n;
  brtc_wr24(fci + 5, (uint32_t)exp << REMB_MANTISSA_BITS | mantissa);
  for (size_t i = 0; i < n; i++) brtc_wr32(fci + 8 + 4 * i, ssrcs[i]);
  return BRTC_OK;
}

int brtc_rtcp_parse_remb(const uint8_t *fci, size_t fci_len, uint64_t *bitrate_bps,
                         uint32_t *ssrcs, size_t cap, size_t *n) {
  if (!fci || !bitrate_bps || !n || (cap && !ssrcs)) return BRTC_ERR_INVALID;
  if (fci_len < 8 || memcmp(fci, "REMB", 4) != 0) return BRTC_ERR_PARSE;
  size_t count = fci[4];
  if (count > (fci_len - 8) / 4) return BRTC_ERR_PARSE;
  uint32_t v = brtc_rd24(fci + 5);
  unsigned exp = v >> REMB_MANTISSA_BITS;
  uint64_t mantissa = v & ((1u << REMB_MANTISSA_BITS) - 1);
  *bitrate_bps = mantissa > (UINT64_MAX >> exp) ? UINT64_MAX : mantissa << exp;
  size_t stored = count < cap ? count : cap;
  for (size_t i = 0; i < stored; i++) ssrcs[i] = brtc_rd32(fci + 8 + 4 * i);
  *n = stored;
  return BRTC_OK;
}

size_t brtc_rtcp_nack_seqs(const uint8_t *fci, size_t fci_len, uint16_t *seqs, size_t cap) {
  if (!fci || !seqs) return 0;
  size_t n = 0;
  for (size_t off = 0; off + 4 <= fci_len && n < cap; off += 4) {
    uint16_t pid = brtc_rd16(fci + off);
    uint16_t blp = brtc_rd16(fci + off + 2);
    seqs[n++] = pid;
    for (unsigned b = 0; b < 16 && n < cap; b++)
      if (blp & (1u << b)) seqs[n++] = (uint16_t)(pid + b + 1);
  }
  return n;
}

/* ---- RFC 3611 extended reports ---- */

#define XR_BT_RRTR 4
#define XR_BT_DLRR 5
#define XR_BLOCK_HEADER 4
#define XR_DLRR_SUB_BLOCK 12

int brtc_rtcp_write_xr_rrtr(uint32_t sender_ssrc, uint64_t ntp, uint8_t *out, size_t cap,
                            size_t *out_len) {
  if (!out || !out_len) return BRTC_ERR_INVALID;
  if (cap < BRTC_RTCP_XR_RRTR_LEN) return BRTC_ERR_TOO_BIG;
  write_header(out, 0, BRTC_RTCP_XR, BRTC_RTCP_XR_RRTR_LEN);
  brtc_wr32(out + 4, sender_ssrc);
  out[8] = XR_BT_RRTR;
  out[9] = 0;
  brtc_wr16(out + 10, 2); /* block length in words, minus one */
  brtc_wr64(out + 12, ntp);
  *out_len = BRTC_RTCP_XR_RRTR_LEN;
  return BRTC_OK;
}

int brtc_rtcp_write_xr_dlrr(uint32_t sender_ssrc, uint32_t ssrc, uint32_t last_rr,
                            uint32_t delay_since_last_rr, uint8_t *out, size_t cap,
                            size_t *out_len) {
  if (!out || !out_len) return BRTC_ERR_INVALID;
  size_t total = 8 + XR_BLOCK_HEADER + XR_DLRR_SUB_BLOCK;
  if (cap < total) return BRTC_ERR_TOO_BIG;
  write_header(out, 0, BRTC_RTCP_XR, total);
  brtc_wr32(out + 4, sender_ssrc);
  out[8] = XR_BT_DLRR;
  out[9] = 0;
  brtc_wr16(out + 10, XR_DLRR_SUB_BLOCK / 4);
  brtc_wr32(out + 12, ssrc);
  brtc_wr32(out + 16, last_rr);
  brtc_wr32(out + 20, delay_since_last_rr);
  *out_len = total;
  return BRTC_OK;
}

/* The next block of type bt at or after *off: its body and body length. */
static int xr_find_block(const brtc_rtcp_packet *p, uint8_t bt, size_t *off, const uint8_t **body,
                         size_t *body_len) {
  if (!p || p->type != BRTC_RTCP_XR || (!p->fci && p->fci_len)) return BRTC_ERR_INVALID;
  while (*off < p->fci_len) {
    if (p->fci_len - *off < XR_BLOCK_HEADER) return BRTC_ERR_PARSE;
    const uint8_t *b = p->fci + *off;
    size_t blen = 4u * (size_t)brtc_rd16(b + 2); /* body bytes: (words - 1) * 4 */
    if (blen > p->fci_len - *off - XR_BLOCK_HEADER) return BRTC_ERR_PARSE;
    *off += XR_BLOCK_HEADER + blen;
    if (b[0] == bt) {
      *body = b + XR_BLOCK_HEADER;
      *body_len = blen;
      return BRTC_OK;
    }
  }
  return BRTC_ERR_NOT_FOUND;
}

int brtc_rtcp_xr_rrtr(const brtc_rtcp_packet *p, uint64_t *ntp) {
  if (!ntp) return BRTC_ERR_INVALID;
  size_t off = 0, len = 0;
  const uint8_t *body = NULL;
  int rc = xr_find_block(p, XR_BT_RRTR, &off, &body, &len);
  if (rc != BRTC_OK) return rc;
  if (len < 8) return BRTC_ERR_PARSE;
  *ntp = brtc_rd64(body);
  return BRTC_OK;
}

int brtc_rtcp_xr_dlrr(const brtc_rtcp_packet *p, uint32_t ssrc, uint32_t *last_rr,
                      uint32_t *delay_since_last_rr) {
  if (!last_rr || !delay_since_last_rr) return BRTC_ERR_INVALID;
  size_t off = 0, len = 0;
  const uint8_t *body = NULL;
  int rc;
  /* Several DLRR blocks may come, each with several sub-blocks. */
  while ((rc = xr_find_block(p, XR_BT_DLRR, &off, &body, &len)) == BRTC_OK) {
    for (size_t i = 0; i + XR_DLRR_SUB_BLOCK <= len; i += XR_DLRR_SUB_BLOCK) {
      if (brtc_rd32(body + i) != ssrc) continue;
      *last_rr = brtc_rd32(body + i + 4);
      *delay_since_last_rr = brtc_rd32(body + i + 8);
      return BRTC_OK;
    }
  }
  return rc;
}

void brtc_rtcp_report_from_stats(brtc_rtp_receiver_stats *s, uint64_t now_us,
                                 brtc_rtcp_report_block *out) {
  memset(out, 0, sizeof(*out));
  out->ssrc = s->ssrc;
  if (s->started && !s->probation) {
    /* RFC 3550 A.3 */
    int64_t lost = brtc_rtp_stats_lost(s);
    int64_t expected = lost + (int64_t)s->received;
    if (lost > 0x7FFFFF) lost = 0x7FFFFF;
    if (lost < -0x800000) lost = -0x800000;
    int64_t expected_interval = expected - (int64_t)s->expected_prior;
    int64_t received_interval = (int64_t)s->received - (int64_t)s->received_prior;
    int64_t lost_interval = expected_interval - received_interval;
    s->expected_prior = expected > 0 ? (uint64_t)expected : 0;
    s->received_prior = s->received;
    uint8_t fraction = 0;
    if (expected_interval > 0 && lost_interval > 0)
      fraction = (uint8_t)(lost_interval >= expected_interval
                               ? 255
                               : (lost_interval << 8) / expected_interval);
    out->fraction_lost = fraction;
    out->cumulative_lost = (int32_t)lost;
    out->ext_highest_seq = brtc_rtp_stats_ext_max_seq(s);
    out->jitter = (uint32_t)s->jitter;
  }
  if (s->last_sr_ntp_mid != 0) {
    out->last_sr = s->last_sr_ntp_mid;
    uint64_t delay_us = now_us > s->last_sr_at_us ? now_us - s->last_sr_at_us : 0;
    if (delay_us > UINT64_MAX / 65536u) delay_us = UINT64_MAX / 65536u;
    uint64_t dlsr = delay_us * 65536u / 1000000u; /* units of 1/65536 s */
    out->delay_since_last_sr = dlsr > UINT32_MAX ? UINT32_MAX : (uint32_t)dlsr;
  }
}

#define FIR_ENTRY 8

int brtc_rtcp_fir_seq(const uint8_t *fci, size_t fci_len, uint32_t ssrc, uint8_t *seq) {
  if (!fci || !seq) return BRTC_ERR_INVALID;
  for (size_t off = 0; off + FIR_ENTRY <= fci_len; off += FIR_ENTRY) {
    if (brtc_rd32(fci + off) == ssrc) {
      *seq = fci[off + 4];
      return BRTC_OK;
    }
  }
  return BRTC_ERR_NOT_FOUND;
}
