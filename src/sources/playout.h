/* Pacing for a source with timestamps: when each media time is due on the caller's clock.
 * Pure arithmetic on the times it is given; no clock is read here. */
#ifndef BRTC_SOURCES_PLAYOUT_H
#define BRTC_SOURCES_PLAYOUT_H

#include <stdbool.h>
#include <stdint.h>

/* v * mul / div rounded down, with no overflow on the way (mul and div are reduced by their
 * common factor first). False if div is 0 or the result does not fit. */
bool brtc_rescale(uint64_t v, uint64_t mul, uint64_t div, uint64_t *out);

typedef struct brtc_playout {
  uint32_t clock_rate;
  int64_t max_late_us;
  bool started;
  int64_t anchor_us; /* media time anchor_ts is due at anchor_us */
  uint64_t anchor_ts;
} brtc_playout;

void brtc_playout_init(brtc_playout *p, uint32_t clock_rate, int64_t max_late_us);
/* When media time ts (never before the anchor) is due. The first call starts the clock:
 * ts is due at now_us. */
int64_t brtc_playout_due(brtc_playout *p, uint64_t ts, int64_t now_us);
/* The frame at ts is being taken at now_us. If that is more than max_late_us after it was
 * due (the caller stalled), the clock slips so that ts is due now, and the frames after it
 * keep their spacing instead of coming out in a burst; returns true when it slipped. */
bool brtc_playout_catch_up(brtc_playout *p, uint64_t ts, int64_t now_us);

#endif
