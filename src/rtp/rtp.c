/* RTP header parse/write (RFC 3550, RFC 8285) and receiver statistics (RFC 3550 A.1, A.8). */
#include "rtp/rtp.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

#define RTP_FIXED_HEADER 12
#define EXT_ONE_BYTE 0xBEDE
#define EXT_TWO_BYTE_MASK 0xFFF0
#define EXT_TWO_BYTE 0x1000

bool brtc_rtp_is_rtcp(const uint8_t *buf, size_t len) {
  if (len < 2) return false;
  uint8_t pt = buf[1] & 0x7F;
  return pt >= 64 && pt <= 95;
}

static bool is_two_byte_profile(uint16_t profile) {
  return (profile & EXT_TWO_BYTE_MASK) == EXT_TWO_BYTE;
}

static void add_ext(brtc_rtp_header *h, uint8_t id, const uint8_t *data, size_t len) {
  /* Beyond the table we keep the first ones: the packet is still valid. */
  if (h->n_ext >= BRTC_RTP_MAX_EXTENSIONS) return;
  h->ext[h->n_ext].id = id;
  h->ext[h->n_ext].len = (uint8_t)len;
  h->ext[h->n_ext].data = data;
  h->n_ext++;
}

/* RFC 8285 4.2: ID 0 is a padding byte, ID 15 stops processing; length is L+1. */
static int parse_one_byte(const uint8_t *p, size_t len, brtc_rtp_header *h) {
  size_t i = 0;
  while (i < len) {
    uint8_t id = p[i] >> 4;
    size_t elen = (size_t)(p[i] & 0x0F) + 1;
    if (id == 0) {
      i++;
      continue;
    }
    if (id == 15) break;
    if (i + 1 + elen > len) return BRTC_ERR_PARSE;
    add_ext(h, id, p + i + 1, elen);
    i += 1 + elen;
  }
  return BRTC_OK;
}

/* RFC 8285 4.3: ID 0 is a padding byte; the length byte may be 0. */
static int parse_two_byte(const uint8_t *p, size_t len, brtc_rtp_header *h) {
  size_t i = 0;
  while (i < len) {
    uint8_t id = p[i];
    if (id == 0) {
      i++;
      continue;
    }
    if (i + 2 > len) return BRTC_ERR_PARSE;
    size_t elen = p[i + 1];
    if (i + 2 + elen > len) return BRTC_ERR_PARSE;
    add_ext(h, id, p + i + 2, elen);
    i += 2 + elen;
  }
  return BRTC_OK;
}

int brtc_rtp_parse(const uint8_t *buf, size_t len, brtc_rtp_header *h) {
  if (!buf || !h) return BRTC_ERR_INVALID;
  memset(h, 0, sizeof(*h));
  if (len < RTP_FIXED_HEADER) return BRTC_ERR_PARSE;
  h->version = buf[0] >> 6;
  if (h->version != 2) return BRTC_ERR_PARSE;
  h->padding = (buf[0] & 0x20) != 0;
  h->extension = (buf[0] & 0x10) != 0;
  h->csrc_count = buf[0] & 0x0F;
  h->marker = (buf[1] & 0x80) != 0;
  h->payload_type = buf[1] & 0x7F;
  h->sequence = brtc_rd16(buf + 2);
  h->timestamp = brtc_rd32(buf + 4);
  h->ssrc = brtc_rd32(buf + 8);

  size_t off = RTP_FIXED_HEADER;
  if (off + 4u * h->csrc_count > len) return BRTC_ERR_PARSE;
  for (unsigned i = 0; i < h->csrc_count; i++) h->csrc[i] = brtc_rd32(buf + off + 4 * i);
  off += 4u * h->csrc_count;

  if (h->extension) {
    if (off + 4 > len) return BRTC_ERR_PARSE;
    h->ext_profile = brtc_rd16(buf + off);
    size_t ext_len = 4u * brtc_rd16(buf + off + 2);
    off += 4;
    if (off + ext_len > len) return BRTC_ERR_PARSE;
    int rc = BRTC_OK;
    if (h->ext_profile == EXT_ONE_BYTE)
      rc = parse_one_byte(buf + off, ext_len, h);
    else if (is_two_byte_profile(h->ext_profile))
      rc = parse_two_byte(buf + off, ext_len, h);
    if (rc != BRTC_OK) return rc;
    off += ext_len;
  }
  h->header_len = off;

  size_t end = len;
  if (h->padding) {
    /* The count includes itself, so 0 is malformed; it may not eat into the header. */
    uint8_t pad = buf[len - 1];
    if (pad == 0 || pad > len - off) return BRTC_ERR_PARSE;
    h->padding_len = pad;
    end -= pad;
  }
  h->payload = buf + off;
  h->payload_len = end - off;
  return BRTC_OK;
}

const brtc_rtp_ext *brtc_rtp_find_ext(const brtc_rtp_header *h, uint8_t id) {
  if (!h) return NULL;
  for (size_t i = 0; i < h->n_ext && i < BRTC_RTP_MAX_EXTENSIONS; i++)
    if (h->ext[i].id == id) return &h->ext[i];
  return NULL;
}

static bool fits_one_byte(const brtc_rtp_header *h) {
  for (size_t i = 0; i < h->n_ext; i++)
    if (h->ext[i].id < 1 || h->ext[i].id > 14 || h->ext[i].len < 1 || h->ext[i].len > 16)
      return false;
  return true;
}

int brtc_rtp_write(const brtc_rtp_header *h, const uint8_t *payload, size_t payload_len,
                   uint8_t *out, size_t cap, size_t *out_len) {
  if (!h || !out || !out_len || (payload_len && !payload)) return BRTC_ERR_INVALID;
  if (h->csrc_count > 15 || h->n_ext > BRTC_RTP_MAX_EXTENSIONS) return BRTC_ERR_INVALID;
  *out_len = 0;

  bool with_ext = h->extension || h->n_ext > 0;
  uint16_t profile = h->ext_profile;
  if (with_ext && profile == 0) profile = fits_one_byte(h) ? EXT_ONE_BYTE : EXT_TWO_BYTE;
  if (with_ext && profile != EXT_ONE_BYTE && !is_two_byte_profile(profile))
    return BRTC_ERR_UNSUPPORTED; /* no way to carry opaque extension data in h */
  if (with_ext && profile == EXT_ONE_BYTE && !fits_one_byte(h)) return BRTC_ERR_INVALID;

  size_t ext_body = 0;
  if (with_ext) {
    for (size_t i = 0; i < h->n_ext; i++) {
      if (h->ext[i].id == 0 || (h->ext[i].len && !h->ext[i].data)) return BRTC_ERR_INVALID;
      ext_body += (profile == EXT_ONE_BYTE ? 1u : 2u) + h->ext[i].len;
    }
    ext_body = (ext_body + 3) & ~(size_t)3;
    if (ext_body / 4 > 0xFFFF) return BRTC_ERR_TOO_BIG;
  }
  size_t pad = h->padding ? h->padding_len : 0;
  size_t header = RTP_FIXED_HEADER + 4u * h->csrc_count + (with_ext ? 4 + ext_body : 0);
  size_t total = header + payload_len + pad;
  if (total > cap) return BRTC_ERR_TOO_BIG;

  out[0] = (uint8_t)(0x80 | (pad ? 0x20 : 0) | (with_ext ? 0x10 : 0) | h->csrc_count);
  out[1] = (uint8_t)((h->marker ? 0x80 : 0) | (h->payload_type & 0x7F));
  brtc_wr16(out + 2, h->sequence);
  brtc_wr32(out + 4, h->timestamp);
  brtc_wr32(out + 8, h->ssrc);
  size_t off = RTP_FIXED_HEADER;
  for (unsigned i = 0; i < h->csrc_count; i++, off += 4) brtc_wr32(out + off, h->csrc[i]);
  if (with_ext) {
    brtc_wr16(out + off, profile);
    brtc_wr16(out + off + 2, (uint16_t)(ext_body / 4));
    off += 4;
    size_t start = off;
    for (size_t i = 0; i < h->n_ext; i++) {
      const brtc_rtp_ext *e = &h->ext[i];
      if (profile == EXT_ONE_BYTE) {
        out[off++] = (uint8_t)((e->id << 4) | (e->len - 1));
      } else {
        out[off++] = e->id;
        out[off++] = e->len;
      }
      if (e->len) memcpy(out + off, e->data, e->len);
      off += e->len;
    }
    memset(out + off, 0, start + ext_body - off); /* padding bytes are ID 0 */
    off = start + ext_body;
  }
  if (payload_len) memcpy(out + off, payload, payload_len);
  off += payload_len;
  if (pad) {
    memset(out + off, 0, pad - 1);
    out[off + pad - 1] = (uint8_t)pad;
    off += pad;
  }
  *out_len = off;
  return BRTC_OK;
}

/* ---- Receiver statistics, RFC 3550 A.1 ---- */

#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define MIN_SEQUENTIAL 2

void brtc_rtp_stats_init(brtc_rtp_receiver_stats *s, uint32_t ssrc, uint32_t clock_rate) {
  memset(s, 0, sizeof(*s));
  s->ssrc = ssrc;
  s->clock_rate = clock_rate;
}

static void init_seq(brtc_rtp_receiver_stats *s, uint16_t seq) {
  s->base_seq = seq;
  s->max_seq = seq;
  s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
  s->cycles = 0;
  s->received = 0;
  s->received_prior = 0;
  s->expected_prior = 0;
}

/* Returns true if the packet counts as valid for the statistics. */
static bool update_seq(brtc_rtp_receiver_stats *s, uint16_t seq) {
  uint16_t udelta = (uint16_t)(seq - s->max_seq);
  if (s->probation) {
    /* A source is valid once MIN_SEQUENTIAL packets arrive in sequence. */
    if (seq == (uint16_t)(s->max_seq + 1)) {
      s->probation--;
      s->max_seq = seq;
      if (s->probation == 0) {
        init_seq(s, seq);
        s->received++;
        return true;
      }
    } else {
      s->probation = MIN_SEQUENTIAL - 1;
      s->max_seq = seq;
    }
    return false;
  }
  if (udelta < MAX_DROPOUT) {
    if (seq < s->max_seq) s->cycles += RTP_SEQ_MOD; /* wrapped */
    s->max_seq = seq;
  } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
    /* A very large jump: accept it only if the next packet confirms a restart. */
    if (seq == s->bad_seq) {
      init_seq(s, seq);
    } else {
      s->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
      return false;
    }
  }
  /* else: duplicate or reordered, counted as received */
  s->received++;
  return true;
}

void brtc_rtp_stats_update(brtc_rtp_receiver_stats *s, uint16_t seq, uint32_t rtp_ts,
                           uint64_t arrival_us) {
  if (!s->started) {
    s->started = true;
    init_seq(s, seq);
    s->max_seq = (uint16_t)(seq - 1);
    s->probation = MIN_SEQUENTIAL;
  }
  if (!update_seq(s, seq)) return;

  /* A.8: interarrival jitter in timestamp units, arrival converted to the RTP clock. */
  uint32_t arrival = (uint32_t)(arrival_us * s->clock_rate / 1000000u);
  int64_t transit = (int32_t)(arrival - rtp_ts);
  if (s->received == 1) { /* first valid packet (or after a restart) */
    s->transit = transit;
    return;
  }
  int32_t d = (int32_t)((uint32_t)transit - (uint32_t)s->transit);
  s->transit = transit;
  double ad = d < 0 ? -(double)d : (double)d;
  s->jitter += (ad - s->jitter) / 16.0;
}

uint32_t brtc_rtp_stats_ext_max_seq(const brtc_rtp_receiver_stats *s) {
  return s->cycles + s->max_seq;
}

int64_t brtc_rtp_stats_lost(const brtc_rtp_receiver_stats *s) {
  if (!s->started || s->probation) return 0;
  int64_t expected = (int64_t)brtc_rtp_stats_ext_max_seq(s) - (int64_t)s->base_seq + 1;
  return expected - (int64_t)s->received;
}

void brtc_rtp_stats_on_sr(brtc_rtp_receiver_stats *s, uint64_t ntp, uint64_t now_us) {
  s->last_sr_ntp_mid = (uint32_t)(ntp >> 16);
  s->last_sr_at_us = now_us;
}
