/* Media time to the caller's clock, and the slip when the caller falls behind. */
#include "sources/playout.h"

static uint64_t gcd_u64(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

bool brtc_rescale(uint64_t v, uint64_t mul, uint64_t div, uint64_t *out) {
  if (div == 0) return false;
  if (mul == 0) {
    *out = 0;
    return true;
  }
  uint64_t g = gcd_u64(mul, div);
  mul /= g;
  div /= g;
  /* v = q * div + r, so v * mul / div = q * mul + r * mul / div, with r < div. */
  uint64_t q = v / div, r = v % div, hi, lo;
  if (__builtin_mul_overflow(q, mul, &hi) || __builtin_mul_overflow(r, mul, &lo)) return false;
  return !__builtin_add_overflow(hi, lo / div, out);
}

void brtc_playout_init(brtc_playout *p, uint32_t clock_rate, int64_t max_late_us) {
  *p = (brtc_playout){.clock_rate = clock_rate, .max_late_us = max_late_us};
}

int64_t brtc_playout_due(brtc_playout *p, uint64_t ts, int64_t now_us) {
  if (!p->started) {
    p->started = true;
    p->anchor_us = now_us;
    p->anchor_ts = ts;
  }
  uint64_t us;
  if (ts < p->anchor_ts) return p->anchor_us; /* callers never go back; be safe if they do */
  if (!brtc_rescale(ts - p->anchor_ts, 1000000, p->clock_rate, &us) || us > INT64_MAX / 2)
    return p->anchor_us; /* centuries away: treat as due now rather than overflow */
  return p->anchor_us + (int64_t)us;
}

bool brtc_playout_catch_up(brtc_playout *p, uint64_t ts, int64_t now_us) {
  int64_t due = brtc_playout_due(p, ts, now_us);
  if (now_us - due <= p->max_late_us) return false;
  p->anchor_us = now_us;
  p->anchor_ts = ts;
  return true;
}
