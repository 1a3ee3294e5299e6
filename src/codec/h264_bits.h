/* A bit reader over an H.264 RBSP (H.264 7.2 and 7.4.1): drops the emulation prevention
 * byte 0x03 that follows two zero bytes, reads u(n), ue(v) and se(v) (9.1). Reading past
 * the end gives zeros and sets overrun, which the caller checks once at the end. */
#ifndef BRTC_H264_BITS_H
#define BRTC_H264_BITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct brtc_h264_bits {
  const uint8_t *p;
  size_t len, pos;
  uint8_t cur;
  int left;  /* bits of cur not yet read */
  int zeros; /* zero bytes just before pos, for the emulation prevention rule */
  bool overrun;
} brtc_h264_bits;

static inline void brtc_h264_bits_init(brtc_h264_bits *b, const uint8_t *p, size_t len) {
  *b = (brtc_h264_bits){.p = p, .len = len};
}

static inline bool brtc_h264_bits_load(brtc_h264_bits *b) {
  while (b->pos < b->len) {
    uint8_t v = b->p[b->pos++];
    if (b->zeros >= 2 && v == 0x03) {
      b->zeros = 0;
      continue;
    }
    b->zeros = v == 0 ? b->zeros + 1 : 0;
    b->cur = v;
    b->left = 8;
    return true;
  }
  b->overrun = true;
  return false;
}

static inline uint32_t brtc_h264_u1(brtc_h264_bits *b) {
  if (b->left == 0 && !brtc_h264_bits_load(b)) return 0;
  b->left--;
  return (b->cur >> b->left) & 1u;
}

static inline uint32_t brtc_h264_u(brtc_h264_bits *b, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; i++) v = (v << 1) | brtc_h264_u1(b);
  return v;
}

/* ue(v): at most 31 leading zeros (values up to 2^32 - 2); more is malformed. */
static inline uint32_t brtc_h264_ue(brtc_h264_bits *b) {
  int zeros = 0;
  while (brtc_h264_u1(b) == 0) {
    if (b->overrun || ++zeros > 31) {
      b->overrun = true;
      return 0;
    }
  }
  if (zeros == 0) return 0;
  return (uint32_t)((((uint64_t)1 << zeros) - 1) + brtc_h264_u(b, zeros));
}

static inline int64_t brtc_h264_se(brtc_h264_bits *b) {
  uint32_t k = brtc_h264_ue(b);
  return (k & 1) ? (int64_t)(k / 2) + 1 : -(int64_t)(k / 2);
}

#endif
