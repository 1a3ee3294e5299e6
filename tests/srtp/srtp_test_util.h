/* Helpers shared by the SRTP tests: hex decoding and RTP/RTCP packet builders. */
#ifndef BRTC_TESTS_SRTP_UTIL_H
#define BRTC_TESTS_SRTP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Decodes hex (spaces ignored) into out; returns the byte count. */
static inline size_t hex_decode(const char *hex, uint8_t *out, size_t cap) {
  size_t n = 0;
  int hi = -1;
  for (const char *p = hex; *p; p++) {
    int v;
    if (*p >= '0' && *p <= '9')
      v = *p - '0';
    else if (*p >= 'a' && *p <= 'f')
      v = *p - 'a' + 10;
    else if (*p >= 'A' && *p <= 'F')
      v = *p - 'A' + 10;
    else
      continue;
    if (hi < 0) {
      hi = v;
    } else {
      if (n < cap) out[n] = (uint8_t)(hi << 4 | v);
      n++;
      hi = -1;
    }
  }
  return n;
}

/* An RTP packet with csrc_count CSRCs, an extension of ext_words 32-bit words when
 * ext_words >= 0, and payload_len payload bytes derived from seed. Returns its length. */
static inline size_t build_rtp(uint8_t *p, uint16_t seq, uint32_t ssrc, int csrc_count,
                               int ext_words, size_t payload_len, uint8_t seed) {
  size_t n = 0;
  p[n++] = (uint8_t)(0x80 | (ext_words >= 0 ? 0x10 : 0) | (csrc_count & 0x0f));
  p[n++] = 96;
  p[n++] = (uint8_t)(seq >> 8);
  p[n++] = (uint8_t)seq;
  uint32_t ts = (uint32_t)seq * 960u;
  for (int i = 3; i >= 0; i--) p[n++] = (uint8_t)(ts >> (8 * i));
  for (int i = 3; i >= 0; i--) p[n++] = (uint8_t)(ssrc >> (8 * i));
  for (int c = 0; c < csrc_count; c++)
    for (int i = 0; i < 4; i++) p[n++] = (uint8_t)(0x10 * (c + 1) + i);
  if (ext_words >= 0) {
    p[n++] = 0xbe;
    p[n++] = 0xde;
    p[n++] = 0;
    p[n++] = (uint8_t)ext_words;
    for (int i = 0; i < 4 * ext_words; i++) p[n++] = (uint8_t)(0x22 + i);
  }
  for (size_t i = 0; i < payload_len; i++) p[n++] = (uint8_t)(seed + 7 * i);
  return n;
}

/* A sender report (plus body_len bytes of following data) from ssrc. */
static inline size_t build_rtcp(uint8_t *p, uint32_t ssrc, size_t body_len, uint8_t seed) {
  size_t n = 0;
  p[n++] = 0x80;
  p[n++] = 200;
  size_t words = (8 + body_len) / 4 - 1;
  p[n++] = (uint8_t)(words >> 8);
  p[n++] = (uint8_t)words;
  for (int i = 3; i >= 0; i--) p[n++] = (uint8_t)(ssrc >> (8 * i));
  for (size_t i = 0; i < body_len; i++) p[n++] = (uint8_t)(seed ^ (3 * i));
  return n;
}

#endif
