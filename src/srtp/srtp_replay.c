#include "srtp/srtp_replay.h"

#include <string.h>

#include "boltrtc/error.h"

int brtc_srtp_rtp_index(const brtc_srtp_replay *w, uint16_t seq, uint64_t *index) {
  if (!w->started) {
    *index = seq; /* a new stream starts with ROC 0 */
    return BRTC_OK;
  }
  uint64_t roc = w->top >> 16;
  uint32_t s_l = (uint32_t)(w->top & 0xffff);
  uint64_t v = roc;
  if (s_l < 32768) {
    if (seq > s_l + 32768) {
      if (roc == 0) return BRTC_ERR_REPLAY;
      v = roc - 1;
    }
  } else if (seq < s_l - 32768) {
    if (roc == 0xffffffffu) return BRTC_ERR_LIMIT;
    v = roc + 1;
  }
  *index = (v << 16) | seq;
  return BRTC_OK;
}

int brtc_srtp_replay_check(const brtc_srtp_replay *w, uint64_t index) {
  if (!w->started || index > w->top) return BRTC_OK;
  uint64_t d = w->top - index;
  if (d >= BRTC_SRTP_REPLAY_WINDOW) return BRTC_ERR_REPLAY;
  return (w->mask[d / 64] >> (d % 64)) & 1 ? BRTC_ERR_REPLAY : BRTC_OK;
}

/* mask <<= s over the multi-word window (word 0 holds the newest bits). */
static void window_shift(uint64_t *mask, uint64_t s) {
  if (s >= BRTC_SRTP_REPLAY_WINDOW) {
    memset(mask, 0, BRTC_SRTP_REPLAY_WORDS * sizeof *mask);
    return;
  }
  if (s < 64) { /* the usual case: the next packet, or a few after it */
    for (size_t i = BRTC_SRTP_REPLAY_WORDS - 1; i > 0; i--)
      mask[i] = (mask[i] << s) | (s ? mask[i - 1] >> (64 - s) : 0);
    mask[0] <<= s;
    return;
  }
  size_t words = (size_t)(s / 64);
  unsigned bits = (unsigned)(s % 64);
  for (size_t i = BRTC_SRTP_REPLAY_WORDS; i-- > 0;) {
    uint64_t hi = i >= words ? mask[i - words] : 0;
    uint64_t lo = i >= words + 1 ? mask[i - words - 1] : 0;
    mask[i] = bits ? (hi << bits) | (lo >> (64 - bits)) : hi;
  }
}

void brtc_srtp_replay_accept(brtc_srtp_replay *w, uint64_t index) {
  if (!w->started) {
    w->started = true;
    w->top = index;
    memset(w->mask, 0, sizeof w->mask);
    w->mask[0] = 1;
    return;
  }
  if (index > w->top) {
    window_shift(w->mask, index - w->top);
    w->top = index;
    w->mask[0] |= 1;
    return;
  }
  uint64_t d = w->top - index;
  if (d < BRTC_SRTP_REPLAY_WINDOW) w->mask[d / 64] |= (uint64_t)1 << (d % 64);
}
