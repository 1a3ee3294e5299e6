/* Big-endian (network order) reads and writes on byte buffers; little-endian reads for the
 * file formats that use it (IVF, Ogg). */
#ifndef BRTC_COMMON_BYTES_H
#define BRTC_COMMON_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t brtc_rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t brtc_rd24(const uint8_t *p) {
  return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}
static inline uint32_t brtc_rd32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t brtc_rd64(const uint8_t *p) {
  return ((uint64_t)brtc_rd32(p) << 32) | brtc_rd32(p + 4);
}
static inline void brtc_wr16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline void brtc_wr24(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 16);
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)v;
}
static inline void brtc_wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
static inline void brtc_wr64(uint8_t *p, uint64_t v) {
  brtc_wr32(p, (uint32_t)(v >> 32));
  brtc_wr32(p + 4, (uint32_t)v);
}

static inline uint16_t brtc_rd16le(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t brtc_rd32le(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t brtc_rd64le(const uint8_t *p) {
  return (uint64_t)brtc_rd32le(p) | ((uint64_t)brtc_rd32le(p + 4) << 32);
}

/* Sequence-number arithmetic with wrap-around (RFC 1982 style). */
static inline int16_t brtc_seq_diff(uint16_t a, uint16_t b) { return (int16_t)(uint16_t)(a - b); }
static inline int brtc_seq_newer(uint16_t a, uint16_t b) { return brtc_seq_diff(a, b) > 0; }

#endif
