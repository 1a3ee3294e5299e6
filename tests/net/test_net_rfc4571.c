/* RFC 4571 framing: frames cut from a stream however it is split (byte by byte, two frames
 * in one read, a header split across reads), a real STUN Binding request from RFC 5769 2.1
 * framed and read back, oversized and empty frames skipped with the stream kept in step,
 * and the header written for the largest and a too large length. */
#include <string.h>

#include "net/rfc4571.h"
#include "testing.h"

/* RFC 5769 2.1's sample request (108 bytes). */
static const uint8_t rfc5769_request[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};

typedef struct got {
  uint8_t frames[8][BRTC_RFC4571_MAX_FRAME];
  size_t lens[8];
  size_t n;
} got;

/* Feed data in pieces of `step` bytes, collecting every frame. */
static void feed(brtc_rfc4571_reader *r, const uint8_t *data, size_t len, size_t step, got *g) {
  for (size_t at = 0; at < len;) {
    size_t piece = len - at < step ? len - at : step;
    size_t off = 0;
    while (off < piece) {
      const uint8_t *f;
      size_t flen;
      off += brtc_rfc4571_read(r, data + at + off, piece - off, &f, &flen);
      if (f && g->n < 8) {
        memcpy(g->frames[g->n], f, flen);
        g->lens[g->n++] = flen;
      }
    }
    at += piece;
  }
}

static size_t frame(uint8_t *out, const uint8_t *data, size_t len) {
  CHECK_EQ_INT(brtc_rfc4571_header(len, out), 0);
  memcpy(out + 2, data, len);
  return len + 2;
}

static void test_split_any_way(void) {
  uint8_t stream[512];
  size_t n = frame(stream, rfc5769_request, sizeof(rfc5769_request));
  CHECK_EQ_INT(stream[0], 0);
  CHECK_EQ_INT(stream[1], 108);
  static const uint8_t dtls[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 1, 2, 3};
  n += frame(stream + n, dtls, sizeof(dtls));
  for (size_t step = 1; step <= n; step++) {
    brtc_rfc4571_reader r;
    brtc_rfc4571_reader_init(&r);
    got g = {0};
    feed(&r, stream, n, step, &g);
    CHECK_EQ_INT(g.n, 2);
    CHECK_EQ_INT(g.lens[0], sizeof(rfc5769_request));
    CHECK_MEM(g.frames[0], rfc5769_request, sizeof(rfc5769_request));
    CHECK_EQ_INT(g.lens[1], sizeof(dtls));
    CHECK_MEM(g.frames[1], dtls, sizeof(dtls));
    CHECK(brtc_rfc4571_idle(&r));
    CHECK_EQ_INT(r.frames, 2);
  }
}

static void test_partial_is_held(void) {
  uint8_t stream[200];
  size_t n = frame(stream, rfc5769_request, sizeof(rfc5769_request));
  brtc_rfc4571_reader r;
  brtc_rfc4571_reader_init(&r);
  got g = {0};
  feed(&r, stream, 1, 1, &g); /* half a header */
  CHECK(!brtc_rfc4571_idle(&r));
  feed(&r, stream + 1, n - 2, n, &g); /* all but the last byte */
  CHECK_EQ_INT(g.n, 0);
  feed(&r, stream + n - 1, 1, 1, &g);
  CHECK_EQ_INT(g.n, 1);
}

static void test_oversized_and_empty_skipped(void) {
  static uint8_t stream[4000];
  size_t n = 0;
  stream[n++] = 0;
  stream[n++] = 0; /* an empty frame */
  size_t big = BRTC_RFC4571_MAX_FRAME + 1;
  stream[n++] = (uint8_t)(big >> 8);
  stream[n++] = (uint8_t)big;
  memset(stream + n, 0x01, big); /* looks like STUN: must not be taken as a frame */
  n += big;
  n += frame(stream + n, rfc5769_request, sizeof(rfc5769_request));
  for (size_t step = 1; step <= n; step += 97) {
    brtc_rfc4571_reader r;
    brtc_rfc4571_reader_init(&r);
    got g = {0};
    feed(&r, stream, n, step, &g);
    CHECK_EQ_INT(g.n, 1);
    CHECK_MEM(g.frames[0], rfc5769_request, sizeof(rfc5769_request));
    CHECK_EQ_INT(r.oversized, 1);
    CHECK_EQ_INT(r.empty, 1);
  }
}

static void test_largest_frame_and_header(void) {
  static uint8_t data[BRTC_RFC4571_MAX_FRAME], stream[BRTC_RFC4571_MAX_FRAME + 2];
  for (size_t i = 0; i < sizeof(data); i++) data[i] = (uint8_t)i;
  size_t n = frame(stream, data, sizeof(data));
  brtc_rfc4571_reader r;
  brtc_rfc4571_reader_init(&r);
  got g = {0};
  feed(&r, stream, n, 700, &g);
  CHECK_EQ_INT(g.n, 1);
  CHECK_EQ_INT(g.lens[0], BRTC_RFC4571_MAX_FRAME);
  CHECK_MEM(g.frames[0], data, sizeof(data));
  uint8_t h[2];
  CHECK_EQ_INT(brtc_rfc4571_header(65535, h), 0);
  CHECK(h[0] == 0xff && h[1] == 0xff);
  CHECK_EQ_INT(brtc_rfc4571_header(65536, h), -1);
}

int main(void) {
  RUN(test_split_any_way);
  RUN(test_partial_is_held);
  RUN(test_oversized_and_empty_skipped);
  RUN(test_largest_frame_and_header);
  return TEST_REPORT();
}
