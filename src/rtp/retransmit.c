/* NACKs answered from the send history (RFC 4585 6.2.1; libwebrtc's resend rules). */
#include "rtp/retransmit.h"

#include <string.h>

#include "rtp/rtcp.h"

#define NACK_ENTRY 4
#define SEQS_PER_ENTRY 17 /* the PID and the 16 BLP bits */
#define BUDGET_WINDOW_US 1000000u

void brtc_retransmitter_init(brtc_retransmitter *r, uint64_t max_bitrate_bps) {
  memset(r, 0, sizeof *r);
  r->max_bitrate_bps = max_bitrate_bps;
  r->budget_bytes = max_bitrate_bps / 8; /* a full second's worth to start */
}

void brtc_retransmitter_set_rtt(brtc_retransmitter *r, uint64_t rtt_us) { r->rtt_us = rtt_us; }

static void refill(brtc_retransmitter *r, uint64_t now_us) {
  if (!r->max_bitrate_bps) return;
  if (now_us > r->refilled_us) {
    uint64_t dt = now_us - r->refilled_us;
    uint64_t full = r->max_bitrate_bps / 8 * BUDGET_WINDOW_US / 1000000u;
    uint64_t add = dt >= BUDGET_WINDOW_US ? full : r->max_bitrate_bps / 8 * dt / 1000000u;
    r->budget_bytes = r->budget_bytes + add > full ? full : r->budget_bytes + add;
  }
  r->refilled_us = now_us;
}

/* Whether one requested packet goes again now; counts why not. */
static bool should_resend(brtc_retransmitter *r, brtc_send_history_entry *e, uint64_t now_us) {
  if (!e) {
    r->stats.not_in_history++;
    return false;
  }
  if (!(e->flags & BRTC_HISTORY_SENT)) {
    r->stats.not_sent_yet++; /* it is about to go anyway */
    return false;
  }
  if (e->flags & BRTC_HISTORY_RESEND_QUEUED) {
    r->stats.already_queued++;
    return false;
  }
  if (e->resends && now_us < e->last_sent_us + r->rtt_us) {
    r->stats.within_rtt++;
    return false;
  }
  if (r->max_bitrate_bps && r->budget_bytes < e->len) {
    r->stats.over_budget++;
    return false;
  }
  return true;
}

size_t brtc_retransmitter_on_nack(brtc_retransmitter *r, brtc_send_history *h,
                                  const uint8_t *fci, size_t fci_len, uint64_t now_us,
                                  uint16_t *out, size_t cap) {
  if (!r || !h || !fci) return 0;
  r->stats.nacks++;
  refill(r, now_us);
  size_t n = 0;
  /* Entry by entry, so a long FCI needs no large buffer; a trailing partial entry is ignored
   * as brtc_rtcp_nack_seqs does. */
  for (size_t off = 0; off + NACK_ENTRY <= fci_len; off += NACK_ENTRY) {
    uint16_t seqs[SEQS_PER_ENTRY];
    size_t k = brtc_rtcp_nack_seqs(fci + off, NACK_ENTRY, seqs, SEQS_PER_ENTRY);
    r->stats.requested += k;
    for (size_t i = 0; i < k; i++) {
      brtc_send_history_entry *e = brtc_send_history_get(h, seqs[i]);
      if (!should_resend(r, e, now_us)) continue;
      if (n == cap) {
        r->stats.no_room++;
        continue;
      }
      e->flags |= BRTC_HISTORY_RESEND_QUEUED;
      if (r->max_bitrate_bps) r->budget_bytes -= e->len;
      r->stats.queued++;
      out[n++] = seqs[i];
    }
  }
  return n;
}

brtc_send_history_entry *brtc_retransmitter_take(brtc_retransmitter *r, brtc_send_history *h,
                                                 uint16_t seq, uint64_t now_us) {
  brtc_send_history_entry *e = brtc_send_history_get(h, seq);
  if (!e || !(e->flags & BRTC_HISTORY_RESEND_QUEUED)) {
    r->stats.expired++;
    return NULL;
  }
  e->flags &= (uint8_t)~BRTC_HISTORY_RESEND_QUEUED;
  if (e->resends < UINT8_MAX) e->resends++;
  e->last_sent_us = now_us;
  r->stats.sent++;
  r->stats.sent_bytes += e->len;
  return e;
}

void brtc_retransmitter_cancel(brtc_send_history *h, uint16_t seq) {
  brtc_send_history_entry *e = brtc_send_history_get(h, seq);
  if (e) e->flags &= (uint8_t)~BRTC_HISTORY_RESEND_QUEUED;
}
