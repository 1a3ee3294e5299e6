/* The send-rate target of a sender: what its encoders should aim at and what its pacer paces
 * at, from what the receiver tells it, bounded by the owner's minimum and maximum. Sans-IO:
 * feedback and now_us in, the target out.
 *
 * Two inputs, the smaller wins (libwebrtc's send-side estimation before transport-cc, which
 * Chrome still runs for REMB-only peers):
 * - REMB (draft-alvestrand-rmcat-remb-03): the receiver's estimate of the path, a ceiling.
 * - Loss in the receiver reports (RFC 3550 6.4.1 fraction lost): over 10 % lost, the
 *   loss-based rate falls by half the fraction (at most once per 300 ms plus an RTT, so one
 *   burst of loss reported in several blocks counts once); under 2 %, it climbs by 8 % a
 *   second (plus 1 kbit/s so a low rate can recover); between, it holds.
 * It starts at the maximum (the ceiling the sender was configured with), as the pacer did
 * before any feedback. */
#ifndef BRTC_SEND_RATE_H
#define BRTC_SEND_RATE_H

#include <stdbool.h>
#include <stdint.h>

#define BRTC_SEND_RATE_LOSS_HIGH 26 /* fraction lost over 10 % (x / 256) */
#define BRTC_SEND_RATE_LOSS_LOW 5   /* ... under 2 % */
#define BRTC_SEND_RATE_DECREASE_GAP_US 300000u
#define BRTC_SEND_RATE_INCREASE_GAP_US 1000000u

typedef struct brtc_send_rate {
  uint64_t min_bps, max_bps;
  uint64_t remb_bps;        /* UINT64_MAX until a REMB came */
  uint64_t loss_bps;        /* the loss-based rate */
  uint64_t target_bps;      /* min(remb, loss) within [min, max] */
  uint64_t last_decrease_us, last_increase_us;
  bool decreased_once;
  uint64_t rtt_us;
  uint64_t rembs, loss_reports, decreases, increases;
} brtc_send_rate;

/* Bounds: min <= max (min is raised to max otherwise); the target starts at max. */
void brtc_send_rate_init(brtc_send_rate *r, uint64_t min_bps, uint64_t max_bps);
/* New bounds (the owner's setting, or a ceiling that follows the picture size): the rates
 * stay, clamped into them. */
void brtc_send_rate_set_bounds(brtc_send_rate *r, uint64_t min_bps, uint64_t max_bps);
/* The receiver's REMB for our SSRCs. Returns true if the target changed. */
bool brtc_send_rate_on_remb(brtc_send_rate *r, uint64_t bps, uint64_t now_us);
/* A report block's fraction lost (x / 256) about our stream. True if the target changed. */
bool brtc_send_rate_on_loss(brtc_send_rate *r, uint8_t fraction_lost, uint64_t now_us);
/* The round trip, which spaces decreases. */
void brtc_send_rate_set_rtt(brtc_send_rate *r, uint64_t rtt_us);
static inline uint64_t brtc_send_rate_target(const brtc_send_rate *r) { return r->target_bps; }

#endif
