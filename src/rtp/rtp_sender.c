/* RTP sender stream: header writing (RFC 3550 5.1, RFC 8285 4.2), RTX (RFC 4588 4), the
 * extensions' sending rules, counters. */
#include "rtp/rtp_sender.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "common/random.h"
#include "rtp/ntp.h"
#include "rtp/rtp.h"

#define RTP_FIXED 12
#define ONE_BYTE_PROFILE 0xBEDE
#define MAX_ONE_BYTE_ID 14
#define MAX_INIT_SEQ 32767
/* libwebrtc's AbsoluteCaptureTimeSender: a receiver extrapolates a value along the RTP clock
 * for this long; past it a new one is sent. (Its other rule, a new value when extrapolation
 * would miss by more than 1 ms, never fires here: our timestamps are made from the capture
 * time, so extrapolating along them is exact to a tick.) */
#define ABS_CAPTURE_MAX_INTERVAL_US 1000000u

void brtc_rtp_sender_config_init(brtc_rtp_sender_config *c) {
  memset(c, 0, sizeof *c);
  c->payload_type = 96;
  c->clock_rate = 90000;
  c->ssrc = brtc_random_u32();
  do c->rtx_ssrc = brtc_random_u32(); while (c->rtx_ssrc == c->ssrc);
  c->first_seq = (uint16_t)(1 + brtc_random_u32() % MAX_INIT_SEQ);
  c->first_rtx_seq = (uint16_t)(1 + brtc_random_u32() % MAX_INIT_SEQ);
  c->timestamp_offset = brtc_random_u32();
}

static bool id_ok(uint8_t id) { return id <= MAX_ONE_BYTE_ID; }

int brtc_rtp_sender_init(brtc_rtp_sender *s, const brtc_rtp_sender_config *c) {
  if (!s || !c) return BRTC_ERR_INVALID;
  if (c->clock_rate == 0 || c->payload_type > 127) return BRTC_ERR_INVALID;
  if (c->rtx && (c->rtx_ssrc == c->ssrc || c->rtx_payload_type > 127 ||
                 c->rtx_payload_type == c->payload_type))
    return BRTC_ERR_INVALID;
  const uint8_t ids[] = {c->ext.mid, c->ext.abs_send_time, c->ext.twcc, c->ext.abs_capture_time,
                         c->ext.audio_level};
  for (size_t i = 0; i < sizeof ids; i++) {
    if (!id_ok(ids[i])) return BRTC_ERR_INVALID;
    for (size_t j = i + 1; j < sizeof ids; j++)
      if (ids[i] && ids[i] == ids[j]) return BRTC_ERR_INVALID;
  }
  size_t mid_len = strnlen(c->mid, sizeof c->mid);
  if (mid_len > BRTC_EXT_MID_MAX || (c->ext.mid && mid_len == 0)) return BRTC_ERR_INVALID;
  memset(s, 0, sizeof *s);
  s->cfg = *c;
  s->mid_len = (uint8_t)mid_len;
  s->next_seq = c->first_seq;
  s->next_rtx_seq = c->first_rtx_seq;
  return BRTC_OK;
}

size_t brtc_rtp_sender_header_bound(const brtc_rtp_sender *s) {
  const brtc_rtp_ext_ids *ids = &s->cfg.ext;
  size_t body = 0;
  if (ids->mid && (s->cfg.always_send_mid || !s->media_acked)) body += 1u + s->mid_len;
  if (ids->abs_send_time) body += 1u + BRTC_EXT_ABS_SEND_TIME_LEN;
  if (ids->twcc) body += 1u + BRTC_EXT_TWCC_LEN;
  if (ids->abs_capture_time) body += 1u + BRTC_EXT_ABS_CAPTURE_TIME_LEN;
  if (ids->audio_level) body += 1u + BRTC_EXT_AUDIO_LEVEL_LEN;
  return RTP_FIXED + (body ? 4 + ((body + 3) & ~(size_t)3) : 0);
}

/* Microseconds to media clock ticks without overflow for any realistic uptime. */
static uint64_t ticks(uint64_t us, uint32_t rate) {
  return us / 1000000u * rate + us % 1000000u * rate / 1000000u;
}

uint32_t brtc_rtp_sender_rtp_time(const brtc_rtp_sender *s, uint64_t us) {
  return s->cfg.timestamp_offset + (uint32_t)ticks(us, s->cfg.clock_rate);
}

static bool abs_capture_due(const brtc_rtp_sender *s, uint64_t now_us) {
  return s->cfg.abs_capture_every_frame || !s->act_sent ||
         now_us - s->act_sent_us >= ABS_CAPTURE_MAX_INTERVAL_US;
}

void brtc_rtp_sender_begin_frame(brtc_rtp_sender *s, uint64_t capture_us, uint64_t now_us,
                                 brtc_rtp_frame *f) {
  memset(f, 0, sizeof *f);
  f->rtp_timestamp = brtc_rtp_sender_rtp_time(s, capture_us);
  f->capture_ntp = brtc_ntp_at(capture_us, s->cfg.ntp_offset_us);
  f->audio_level = -1;
  if (s->cfg.ext.abs_capture_time && abs_capture_due(s, now_us)) {
    f->abs_capture_due = true;
    s->act_sent = true;
    s->act_sent_us = now_us;
  }
}

/* ---- header writing ---- */

/* One-byte extension elements (RFC 8285 4.2), appended after the fixed header and the
 * block's own 4-byte header; data NULL reserves zeros. */
typedef struct ext_writer {
  uint8_t *pkt, *start, *p;
} ext_writer;

static ext_writer ext_begin(uint8_t *pkt) {
  return (ext_writer){pkt, pkt + RTP_FIXED + 4, pkt + RTP_FIXED + 4};
}

/* Returns the element value's offset from the packet start (< BRTC_RTP_SENDER_MAX_HEADER). */
static uint8_t ext_put(ext_writer *w, uint8_t id, const void *data, size_t len) {
  *w->p++ = (uint8_t)(id << 4 | (len - 1));
  uint8_t at = (uint8_t)(w->p - w->pkt);
  if (data)
    memcpy(w->p, data, len);
  else
    memset(w->p, 0, len);
  w->p += len;
  return at;
}

static void ext_put_send_time(ext_writer *w, const brtc_rtp_ext_ids *ids,
                              brtc_rtp_egress_slots *slots) {
  if (ids->abs_send_time)
    slots->abs_send_time = ext_put(w, ids->abs_send_time, NULL, BRTC_EXT_ABS_SEND_TIME_LEN);
  if (ids->twcc) slots->twcc = ext_put(w, ids->twcc, NULL, BRTC_EXT_TWCC_LEN);
}

/* Close the block: pad with zero bytes (RFC 8285 4.2: padding is ID 0) and write its header.
 * Returns the header length (fixed part + block), or 12 without elements. */
static size_t ext_finish(ext_writer *w) {
  uint8_t *pkt = w->pkt;
  size_t body = (size_t)(w->p - w->start);
  if (body == 0) {
    pkt[0] &= (uint8_t)~0x10;
    return RTP_FIXED;
  }
  size_t padded = (body + 3) & ~(size_t)3;
  memset(w->p, 0, padded - body);
  brtc_wr16(w->start - 4, ONE_BYTE_PROFILE);
  brtc_wr16(w->start - 2, (uint16_t)(padded / 4));
  pkt[0] |= 0x10;
  return RTP_FIXED + 4 + padded;
}

static void write_fixed(uint8_t *p, bool marker, uint8_t pt, uint16_t seq, uint32_t ts,
                        uint32_t ssrc) {
  p[0] = 0x80; /* V=2, no padding, no CSRC; X set by ext_finish */
  p[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
  brtc_wr16(p + 2, seq);
  brtc_wr32(p + 4, ts);
  brtc_wr32(p + 8, ssrc);
}

int brtc_rtp_sender_write(brtc_rtp_sender *s, brtc_rtp_frame *f, bool marker,
                          const uint8_t *payload, size_t payload_len, uint8_t *out, size_t cap,
                          brtc_rtp_written *w) {
  if (!s || !f || !out || !w || (payload_len && !payload)) return BRTC_ERR_INVALID;
  size_t bound = brtc_rtp_sender_header_bound(s);
  if (cap < bound || payload_len > cap - bound || payload_len > UINT16_MAX - bound)
    return BRTC_ERR_TOO_BIG;
  const brtc_rtp_ext_ids *ids = &s->cfg.ext;
  memset(w, 0, sizeof *w);
  w->seq = s->next_seq++;
  write_fixed(out, marker, s->cfg.payload_type, w->seq, f->rtp_timestamp, s->cfg.ssrc);

  ext_writer x = ext_begin(out);
  /* RFC 9143 / RFC 8843 15: mid until the peer has shown it has the SSRC bound. */
  if (ids->mid && (s->cfg.always_send_mid || !s->media_acked))
    ext_put(&x, ids->mid, s->cfg.mid, s->mid_len);
  ext_put_send_time(&x, ids, &w->slots);
  if (f->abs_capture_due && f->packets == 0) {
    uint8_t v[BRTC_EXT_ABS_CAPTURE_TIME_LEN];
    brtc_wr64(v, f->capture_ntp);
    ext_put(&x, ids->abs_capture_time, v, sizeof v);
  }
  if (ids->audio_level && f->audio_level >= 0) {
    uint8_t v = (uint8_t)f->audio_level;
    ext_put(&x, ids->audio_level, &v, 1);
  }
  size_t header = ext_finish(&x);
  if (payload_len) memcpy(out + header, payload, payload_len);
  w->header_len = (uint16_t)header;
  w->len = (uint16_t)(header + payload_len);
  f->packets++;
  return BRTC_OK;
}

int brtc_rtp_sender_write_rtx(brtc_rtp_sender *s, const uint8_t *orig, size_t orig_len,
                              uint8_t *out, size_t cap, brtc_rtp_written *w) {
  if (!s || !orig || !out || !w) return BRTC_ERR_INVALID;
  if (!s->cfg.rtx) return BRTC_ERR_STATE;
  brtc_rtp_header h;
  /* Our packets carry no CSRCs (we are no mixer), so one with them is not ours. */
  if (brtc_rtp_parse(orig, orig_len, &h) != BRTC_OK || h.csrc_count) return BRTC_ERR_PARSE;
  size_t need = BRTC_RTP_SENDER_MAX_HEADER + BRTC_RTX_OSN_LEN + h.payload_len;
  if (cap < need || need > UINT16_MAX) return BRTC_ERR_TOO_BIG;
  const brtc_rtp_ext_ids *ids = &s->cfg.ext;
  memset(w, 0, sizeof *w);
  w->seq = s->next_rtx_seq++;
  write_fixed(out, h.marker, s->cfg.rtx_payload_type, w->seq, h.timestamp, s->cfg.rtx_ssrc);

  ext_writer x = ext_begin(out);
  /* The RTX SSRC is bound separately from the media one (libwebrtc's BuildRtxPacket). */
  if (ids->mid && (s->cfg.always_send_mid || !s->rtx_acked))
    ext_put(&x, ids->mid, s->cfg.mid, s->mid_len);
  ext_put_send_time(&x, ids, &w->slots);
  /* Everything else the original carried travels with it (abs-capture-time, audio level).
   * Only ours can be there, and ours fit the one-byte form. */
  size_t budget = BRTC_RTP_SENDER_MAX_HEADER - RTP_FIXED - 4 - (size_t)(x.p - x.start);
  for (size_t i = 0; i < h.n_ext; i++) {
    const brtc_rtp_ext *e = &h.ext[i];
    if (e->id == ids->mid || e->id == ids->abs_send_time || e->id == ids->twcc) continue;
    if (e->id > MAX_ONE_BYTE_ID || e->len < 1 || e->len > 16 || 1u + e->len > budget) continue;
    ext_put(&x, e->id, e->data, e->len);
    budget -= 1u + e->len;
  }
  size_t header = ext_finish(&x);
  brtc_wr16(out + header, h.sequence); /* RFC 4588 4: OSN first */
  if (h.payload_len) memcpy(out + header + BRTC_RTX_OSN_LEN, h.payload, h.payload_len);
  w->header_len = (uint16_t)(header + BRTC_RTX_OSN_LEN);
  w->len = (uint16_t)(w->header_len + h.payload_len);
  return BRTC_OK;
}

void brtc_rtp_stamp_egress(uint8_t *pkt, const brtc_rtp_egress_slots *slots, uint64_t now_us,
                           uint16_t twcc_seq) {
  if (slots->abs_send_time) brtc_ext_put_abs_send_time(pkt + slots->abs_send_time, now_us);
  if (slots->twcc) brtc_wr16(pkt + slots->twcc, twcc_seq);
}

void brtc_rtp_sender_count(brtc_rtp_sender *s, brtc_rtp_send_kind kind, size_t len,
                           size_t header_len, uint64_t now_us) {
  brtc_rtp_sender_counters *c = &s->counters;
  size_t payload = len > header_len ? len - header_len : 0;
  if (c->packets == 0) c->first_sent_us = now_us;
  c->last_sent_us = now_us;
  c->packets++;
  c->payload_bytes += payload;
  c->header_bytes += header_len;
  if (kind == BRTC_RTP_SEND_MEDIA) {
    c->media_packets++;
    return;
  }
  c->retransmitted_packets++;
  c->retransmitted_bytes += payload;
  if (kind == BRTC_RTP_SEND_RTX) c->rtx_packets++;
}

void brtc_rtp_sender_on_report_block(brtc_rtp_sender *s, uint32_t ssrc) {
  if (ssrc == s->cfg.ssrc) s->media_acked = true;
  if (s->cfg.rtx && ssrc == s->cfg.rtx_ssrc) s->rtx_acked = true;
}
