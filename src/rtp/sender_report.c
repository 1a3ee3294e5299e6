/* Sender reports (RFC 3550 6.4.1) and RTT from their echoes. */
#include "rtp/sender_report.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/random.h"
#include "rtp/ntp.h"

int brtc_sender_report_init(brtc_sender_report *r, const brtc_sender_report_config *c) {
  if (!r || !c || !c->cname) return BRTC_ERR_INVALID;
  size_t len = strnlen(c->cname, BRTC_CNAME_MAX + 1);
  if (len == 0 || len > BRTC_CNAME_MAX) return BRTC_ERR_INVALID;
  memset(r, 0, sizeof *r);
  r->ssrc = c->ssrc;
  memcpy(r->cname, c->cname, len);
  r->interval_us = c->interval_us
                       ? c->interval_us
                       : (c->audio ? BRTC_SR_AUDIO_INTERVAL_US : BRTC_SR_VIDEO_INTERVAL_US);
  r->ntp_offset_us = c->ntp_offset_us;
  r->rng = c->seed ? c->seed : (brtc_random_u32() | 1);
  return BRTC_OK;
}

/* xorshift32: the interval only needs to be spread, not unpredictable. */
static uint32_t next_random(brtc_sender_report *r) {
  uint32_t x = r->rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return r->rng = x;
}

/* RFC 3550 6.3.1: [0.5, 1.5] times the interval. */
static uint64_t randomized_interval(brtc_sender_report *r) {
  return r->interval_us / 2 + (uint64_t)(next_random(r) % 1000001u) * r->interval_us / 1000000u;
}

void brtc_sender_report_on_media(brtc_sender_report *r, uint64_t now_us) {
  if (r->scheduled) return;
  r->scheduled = true;
  r->next_us = now_us + r->interval_us / 2;
}

uint64_t brtc_sender_report_deadline(const brtc_sender_report *r) {
  return r->scheduled ? r->next_us : UINT64_MAX;
}

int brtc_sender_report_write(brtc_sender_report *r, const brtc_rtp_sender *s, uint64_t now_us,
                             const brtc_rtcp_report_block *blocks, size_t n, bool bye,
                             uint8_t *out, size_t cap, size_t *out_len) {
  if (!r || !s || !out || !out_len || n > 31 || (n && !blocks)) return BRTC_ERR_INVALID;
  if (!r->scheduled) return BRTC_ERR_STATE;
  uint64_t ntp = brtc_ntp_at(now_us, r->ntp_offset_us);
  size_t sr = 0, sdes = 0, bye_len = 0;
  /* The counts are modulo 2^32 on the wire (RFC 3550 6.4.1). */
  int rc = brtc_rtcp_write_sr(r->ssrc, ntp, brtc_rtp_sender_rtp_time(s, now_us),
                              (uint32_t)s->counters.packets, (uint32_t)s->counters.payload_bytes,
                              blocks, n, out, cap, &sr);
  if (rc == BRTC_OK) rc = brtc_rtcp_write_sdes_cname(r->ssrc, r->cname, out + sr, cap - sr, &sdes);
  if (rc == BRTC_OK && bye)
    rc = brtc_rtcp_write_bye(r->ssrc, out + sr + sdes, cap - sr - sdes, &bye_len);
  if (rc != BRTC_OK) return rc;
  r->sent[r->sent_next].compact = brtc_ntp_compact(ntp);
  r->sent[r->sent_next].at_us = now_us;
  r->sent_next = (r->sent_next + 1) % BRTC_SR_REMEMBERED;
  if (r->sent_count < BRTC_SR_REMEMBERED) r->sent_count++;
  r->stats.reports_sent++;
  r->next_us = now_us + randomized_interval(r);
  *out_len = sr + sdes + bye_len;
  return BRTC_OK;
}

static void add_rtt(brtc_rtt_stats *t, uint64_t rtt_us) {
  t->last_us = rtt_us;
  if (t->samples == 0 || rtt_us < t->min_us) t->min_us = rtt_us;
  if (rtt_us > t->max_us) t->max_us = rtt_us;
  t->smoothed_us = t->samples == 0 ? rtt_us : (t->smoothed_us * 7 + rtt_us) / 8;
  t->total_us += rtt_us;
  t->samples++;
}

bool brtc_sender_report_on_block(brtc_sender_report *r, const brtc_rtcp_report_block *b,
                                 uint64_t now_us) {
  if (!r || !b || b->ssrc != r->ssrc) return false;
  r->stats.blocks_received++;
  r->stats.fraction_lost = b->fraction_lost;
  r->stats.cumulative_lost = b->cumulative_lost;
  r->stats.jitter = b->jitter;
  if (b->last_sr == 0) { /* RFC 3550 6.4.1: no SR received yet */
    r->stats.lsr_zero++;
    return true;
  }
  /* The echo must be of a report we sent; its send time on our clock stands in for A - LSR
   * at full precision. */
  for (size_t i = 0; i < r->sent_count; i++) {
    if (r->sent[i].compact != b->last_sr || now_us < r->sent[i].at_us)
      continue;
    uint64_t age = now_us - r->sent[i].at_us;
    uint64_t dlsr = brtc_ntp_compact_to_us(b->delay_since_last_sr);
    if (dlsr > age) r->stats.rtt_negative++;
    add_rtt(&r->rtt, dlsr > age ? 0 : age - dlsr);
    return true;
  }
  r->stats.lsr_unknown++;
  return true;
}
