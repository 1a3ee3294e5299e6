/* The send-rate target from REMB and receiver-report loss (send_rate.h says how and why). */
#include "rtp/send_rate.h"

static uint64_t clamp(const brtc_send_rate *r, uint64_t bps) {
  if (bps < r->min_bps) return r->min_bps;
  if (bps > r->max_bps) return r->max_bps;
  return bps;
}

/* The loss-based rate may not run away above what the receiver says the path holds (or the
 * ceiling): it climbs from where the target is. */
static bool update(brtc_send_rate *r) {
  r->loss_bps = clamp(r, r->loss_bps);
  uint64_t t = r->loss_bps < r->remb_bps ? r->loss_bps : r->remb_bps;
  t = clamp(r, t);
  if (t == r->target_bps) return false;
  r->target_bps = t;
  return true;
}

void brtc_send_rate_init(brtc_send_rate *r, uint64_t min_bps, uint64_t max_bps) {
  *r = (brtc_send_rate){.remb_bps = UINT64_MAX};
  brtc_send_rate_set_bounds(r, min_bps, max_bps);
  r->loss_bps = r->target_bps = r->max_bps;
}

void brtc_send_rate_set_bounds(brtc_send_rate *r, uint64_t min_bps, uint64_t max_bps) {
  r->max_bps = max_bps;
  r->min_bps = min_bps > max_bps ? max_bps : min_bps;
  if (r->target_bps) (void)update(r);
}

bool brtc_send_rate_on_remb(brtc_send_rate *r, uint64_t bps, uint64_t now_us) {
  (void)now_us;
  r->rembs++;
  r->remb_bps = bps;
  /* A lower REMB also caps where the loss-based rate climbs from. */
  if (r->loss_bps > bps) r->loss_bps = bps;
  return update(r);
}

void brtc_send_rate_set_rtt(brtc_send_rate *r, uint64_t rtt_us) { r->rtt_us = rtt_us; }

bool brtc_send_rate_on_loss(brtc_send_rate *r, uint8_t fraction_lost, uint64_t now_us) {
  r->loss_reports++;
  if (fraction_lost > BRTC_SEND_RATE_LOSS_HIGH) {
    if (r->decreased_once &&
        now_us < r->last_decrease_us + BRTC_SEND_RATE_DECREASE_GAP_US + r->rtt_us)
      return false;
    /* rate x (1 - loss / 2), loss = fraction / 256 */
    r->loss_bps = r->loss_bps * (512 - fraction_lost) / 512;
    r->last_decrease_us = now_us;
    r->decreased_once = true;
    r->decreases++;
    return update(r);
  }
  if (fraction_lost < BRTC_SEND_RATE_LOSS_LOW && r->loss_bps < r->max_bps) {
    if (r->last_increase_us && now_us < r->last_increase_us + BRTC_SEND_RATE_INCREASE_GAP_US)
      return false;
    uint64_t from = r->target_bps; /* not past what REMB allows: climb from the target */
    r->loss_bps = from + from * 8 / 100 + 1000;
    if (r->loss_bps > r->remb_bps) r->loss_bps = r->remb_bps; /* REMB caps it (see top) */
    r->last_increase_us = now_us;
    r->increases++;
    return update(r);
  }
  return false;
}
