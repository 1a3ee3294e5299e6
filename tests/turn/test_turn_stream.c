/* brtc_turn_stream (src/turn/turn_stream.c): a TURN byte stream cut into messages, RFC 8656
 * 3.1 and 12.5. A stream of STUN messages and ChannelData (padded to 4, of every length
 * remainder, and empty) comes out whole and in order however the reads split it, ChannelData
 * without its padding; a byte that starts neither kind, or a message longer than a datagram,
 * breaks the stream for good; input beyond the buffer waits. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "boltrtc/error.h"
#include "testing.h"
#include "turn/turn_stream.h"

typedef struct msg {
  uint8_t bytes[256];
  size_t len;  /* what should come out */
  size_t wire; /* what is on the stream (with padding) */
} msg;

static size_t build_stream(msg *m, uint8_t *stream) {
  size_t n = 0, at = 0;
  /* A STUN Binding success with an 8-byte attribute (RFC 8489 5). */
  uint8_t stun[28] = {0x01, 0x01, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                      0x00, 0x20, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef};
  memcpy(m[n].bytes, stun, sizeof stun);
  m[n].len = m[n].wire = sizeof stun;
  n++;
  /* ChannelData 0x4001 of lengths 0..5: padding 0, 3, 2, 1, 0, 3. */
  for (uint16_t l = 0; l <= 5; l++, n++) {
    m[n].bytes[0] = 0x40, m[n].bytes[1] = 0x01, m[n].bytes[2] = 0, m[n].bytes[3] = (uint8_t)l;
    for (uint16_t k = 0; k < l; k++) m[n].bytes[4 + k] = (uint8_t)(0xa0 + l + k);
    m[n].len = 4u + l;
    m[n].wire = 4u + ((l + 3u) & ~3u);
  }
  for (size_t i = 0; i < n; i++) {
    memcpy(stream + at, m[i].bytes, m[i].len);
    memset(stream + at + m[i].len, 0xee, m[i].wire - m[i].len); /* padding: any bytes */
    at += m[i].wire;
  }
  return at;
}

/* Every split of the stream into two reads, and one byte at a time. */
static void test_any_split(void) {
  msg m[8];
  uint8_t stream[512];
  size_t total = build_stream(m, stream);
  for (size_t cut = 0; cut <= total + 1; cut++) {
    brtc_turn_stream s;
    brtc_turn_stream_init(&s);
    size_t got = 0, fed = 0;
    bool byte_wise = cut == total + 1;
    while (fed < total) {
      size_t chunk = byte_wise ? 1 : fed < cut ? cut - fed : total - fed;
      if (chunk == 0) chunk = total - fed;
      CHECK_EQ_INT(brtc_turn_stream_input(&s, stream + fed, chunk), chunk);
      fed += chunk;
      const uint8_t *out;
      size_t len;
      int rc;
      while ((rc = brtc_turn_stream_next(&s, &out, &len)) == 1) {
        CHECK(got < 7);
        if (got >= 7) break;
        CHECK_EQ_INT(len, m[got].len);
        CHECK_MEM(out, m[got].bytes, m[got].len);
        got++;
      }
      CHECK_EQ_INT(rc, 0);
    }
    CHECK_EQ_INT(got, 7);
  }
}

static void test_broken(void) {
  brtc_turn_stream s;
  const uint8_t *out;
  size_t len;
  /* RTP's first byte (RFC 7983) on a TURN stream: neither STUN nor ChannelData. */
  uint8_t rtp[12] = {0x80, 96};
  brtc_turn_stream_init(&s);
  CHECK_EQ_INT(brtc_turn_stream_input(&s, rtp, sizeof rtp), sizeof rtp);
  CHECK_EQ_INT(brtc_turn_stream_next(&s, &out, &len), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_turn_stream_next(&s, &out, &len), BRTC_ERR_PARSE); /* for good */
  CHECK_EQ_INT(brtc_turn_stream_input(&s, rtp, sizeof rtp), 0);
  /* ChannelData claiming 60,000 bytes: longer than any datagram, broken before it all came. */
  uint8_t big[4] = {0x40, 0x00, 0xea, 0x60};
  brtc_turn_stream_init(&s);
  brtc_turn_stream_input(&s, big, sizeof big);
  CHECK_EQ_INT(brtc_turn_stream_next(&s, &out, &len), BRTC_ERR_PARSE);
  /* Fewer than four bytes: wait. */
  brtc_turn_stream_init(&s);
  brtc_turn_stream_input(&s, big, 3);
  CHECK_EQ_INT(brtc_turn_stream_next(&s, &out, &len), 0);
}

/* A full buffer takes no more until a message is taken out. */
static void test_backpressure(void) {
  static uint8_t stream[3 * BRTC_TURN_STREAM_MAX_MESSAGE];
  /* Back-to-back ChannelData of 2,000 bytes each. */
  size_t at = 0;
  while (at + 2004 <= sizeof stream) {
    stream[at] = 0x40, stream[at + 1] = 0x02, stream[at + 2] = 0x07, stream[at + 3] = 0xd0;
    memset(stream + at + 4, (int)(at / 2004), 2000);
    at += 2004;
  }
  brtc_turn_stream s;
  brtc_turn_stream_init(&s);
  size_t fed = brtc_turn_stream_input(&s, stream, at);
  CHECK(fed < at);
  CHECK_EQ_INT(fed, sizeof s.buf);
  const uint8_t *out;
  size_t len, got = 0;
  while (got < at / 2004) {
    int rc = brtc_turn_stream_next(&s, &out, &len);
    if (rc == 0) {
      size_t more = brtc_turn_stream_input(&s, stream + fed, at - fed);
      CHECK(more > 0);
      fed += more;
      continue;
    }
    CHECK_EQ_INT(rc, 1);
    CHECK_EQ_INT(len, 2004);
    CHECK_EQ_INT(out[4], got);
    got++;
  }
  CHECK_EQ_INT(fed, at);
}

int main(void) {
  RUN(test_any_split);
  RUN(test_broken);
  RUN(test_backpressure);
  return TEST_REPORT();
}
