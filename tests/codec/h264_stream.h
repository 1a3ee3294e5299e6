/* Test helper: synthetic H.264 access units and their RTP packets, for packetizer and
 * assembler tests and the benchmark. NAL unit bodies are pseudo-random bytes with no start
 * code emulation (H.264 7.4.1), so they survive Annex-B framing unchanged. */
#ifndef BRTC_TEST_H264_STREAM_H
#define BRTC_TEST_H264_STREAM_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "codec/h264_rtp.h"

static inline uint32_t test_rand(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return *state >> 8;
}

/* A NAL unit of len bytes (len >= 1): header (nri, type), then bytes that never form
 * 00 00 0x (x <= 3) and do not end in a zero. */
static inline void test_make_nal(uint8_t *out, size_t len, uint8_t nri, uint8_t type,
                                 uint32_t seed) {
  out[0] = (uint8_t)((nri & 3) << 5 | (type & 0x1F));
  for (size_t i = 1; i < len; i++) {
    uint8_t b = (uint8_t)test_rand(&seed);
    if (b < 0x40) b = 0; /* zeros are common in real slices */
    if (i >= 3 && out[i - 1] == 0 && out[i - 2] == 0 && b <= 3) b = 0x04;
    out[i] = b;
  }
  if (len > 1 && out[len - 1] == 0) out[len - 1] = 0x80;
}

/* An access unit under construction, Annex-B with 4-byte start codes. */
typedef struct test_au {
  uint8_t *buf;
  size_t len, cap;
  brtc_h264_nal nals[BRTC_H264_MAX_NALS]; /* into buf, without start codes */
  size_t n;
} test_au;

static inline void test_au_init(test_au *a, size_t cap) {
  memset(a, 0, sizeof(*a));
  a->buf = malloc(cap);
  a->cap = cap;
}

static inline void test_au_free(test_au *a) { free(a->buf); }

static inline void test_au_clear(test_au *a) { a->len = a->n = 0; }

/* Append a NAL unit; returns a pointer to its bytes inside the unit. */
static inline uint8_t *test_au_add(test_au *a, size_t len, uint8_t nri, uint8_t type,
                                   uint32_t seed) {
  if (a->len + 4 + len > a->cap || a->n == BRTC_H264_MAX_NALS) abort();
  memcpy(a->buf + a->len, "\x00\x00\x00\x01", 4);
  uint8_t *p = a->buf + a->len + 4;
  test_make_nal(p, len, nri, type, seed);
  a->nals[a->n++] = (brtc_h264_nal){p, len};
  a->len += 4 + len;
  return p;
}

static inline void test_au_add_bytes(test_au *a, const uint8_t *nal, size_t len) {
  if (a->len + 4 + len > a->cap || a->n == BRTC_H264_MAX_NALS) abort();
  memcpy(a->buf + a->len, "\x00\x00\x00\x01", 4);
  memcpy(a->buf + a->len + 4, nal, len);
  a->nals[a->n++] = (brtc_h264_nal){a->buf + a->len + 4, len};
  a->len += 4 + len;
}

/* RTP packets of a stream: payloads in one block (max_payload apart), headers alongside. */
typedef struct test_packets {
  uint8_t *pl;
  brtc_rtp_header *hd;
  size_t n, cap, max_payload;
} test_packets;

static inline void test_packets_init(test_packets *p, size_t cap, size_t max_payload) {
  p->pl = malloc(cap * max_payload);
  p->hd = calloc(cap, sizeof(brtc_rtp_header));
  p->n = 0;
  p->cap = cap;
  p->max_payload = max_payload;
}

static inline void test_packets_free(test_packets *p) {
  free(p->pl);
  free(p->hd);
}

/* Packetize one access unit (Annex-B) with timestamp ts; sequence numbers follow on from
 * *seq. Returns the number of packets made, or a negative error. */
static inline int test_packetize(brtc_h264_packetizer *pz, test_packets *p, const uint8_t *au,
                                 size_t len, uint32_t ts, uint16_t *seq) {
  int rc = brtc_h264_packetizer_push_annexb(pz, au, len);
  if (rc != 0) return rc;
  int made = 0;
  for (;;) {
    if (p->n == p->cap) return -100;
    uint8_t *out = p->pl + p->n * p->max_payload;
    size_t n;
    bool marker;
    rc = brtc_h264_packetizer_next(pz, out, p->max_payload, &n, &marker);
    if (rc == BRTC_ERR_AGAIN) break;
    if (rc != 0) return rc;
    brtc_rtp_header *h = &p->hd[p->n++];
    memset(h, 0, sizeof(*h));
    h->version = 2;
    h->payload_type = 102;
    h->ssrc = 0x1234;
    h->sequence = (*seq)++;
    h->timestamp = ts;
    h->marker = marker;
    h->payload = out;
    h->payload_len = n;
    made++;
  }
  return made;
}

/* Whether the Annex-B bytes hold exactly the NAL units of want, in order. */
static inline bool test_same_nals(const uint8_t *annexb, size_t len, const brtc_h264_nal *want,
                                  size_t n) {
  size_t pos = 0, i = 0;
  brtc_h264_nal nal;
  while (brtc_h264_annexb_next(annexb, len, &pos, &nal)) {
    if (i >= n || nal.len != want[i].len || memcmp(nal.data, want[i].data, nal.len) != 0)
      return false;
    i++;
  }
  return i == n;
}

#endif
