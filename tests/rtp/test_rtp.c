/* RTP header parse/write (RFC 3550, RFC 8285) and receiver statistics (RFC 3550 A.1, A.8). */
#include <math.h>

#include "boltrtc/error.h"
#include "rtp/rtp.h"
#include "testing.h"

static void test_minimal_parse(void) {
  const uint8_t pkt[] = {0x80, 0xE0, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF,
                         0x01, 0x02, 0x03, 0x04, 0xAA, 0xBB};
  brtc_rtp_header h;
  CHECK_EQ_INT(brtc_rtp_parse(pkt, sizeof pkt, &h), BRTC_OK);
  CHECK_EQ_INT(h.version, 2);
  CHECK(h.marker);
  CHECK_EQ_INT(h.payload_type, 96);
  CHECK_EQ_INT(h.sequence, 0x1234);
  CHECK_EQ_INT(h.timestamp, 0xDEADBEEF);
  CHECK_EQ_INT(h.ssrc, 0x01020304);
  CHECK_EQ_INT(h.header_len, 12);
  CHECK_EQ_INT(h.payload_len, 2);
  CHECK(h.payload == pkt + 12);
  CHECK(!brtc_rtp_is_rtcp(pkt, sizeof pkt));
  const uint8_t rr[] = {0x81, 0xC9, 0x00, 0x01};
  CHECK(brtc_rtp_is_rtcp(rr, sizeof rr));
}

static void test_csrc_roundtrip(void) {
  brtc_rtp_header h = {0};
  h.csrc_count = 3;
  h.csrc[0] = 0x11111111;
  h.csrc[1] = 0x22222222;
  h.csrc[2] = 0x33333333;
  h.payload_type = 111;
  h.sequence = 65535;
  h.timestamp = 7;
  h.ssrc = 42;
  const uint8_t payload[] = {1, 2, 3, 4, 5};
  uint8_t buf[128];
  size_t n = 0;
  CHECK_EQ_INT(brtc_rtp_write(&h, payload, sizeof payload, buf, sizeof buf, &n), BRTC_OK);
  CHECK_EQ_INT(n, 12 + 12 + 5);
  CHECK_EQ_INT(buf[0], 0x83);
  brtc_rtp_header p;
  CHECK_EQ_INT(brtc_rtp_parse(buf, n, &p), BRTC_OK);
  CHECK_EQ_INT(p.csrc_count, 3);
  CHECK_EQ_INT(p.csrc[2], 0x33333333);
  CHECK_EQ_INT(p.sequence, 65535);
  CHECK_EQ_INT(p.payload_len, 5);
  CHECK_MEM(p.payload, payload, 5);
  /* Too small an output buffer is refused, not overrun. */
  CHECK_EQ_INT(brtc_rtp_write(&h, payload, sizeof payload, buf, n - 1, &n), BRTC_ERR_TOO_BIG);
}

/* RFC 8285 4.2 figure: IDs 1 (L=0), 2 (L=1), two padding bytes, 3 (L=3). */
static void test_one_byte_rfc_layout(void) {
  const uint8_t pkt[] = {0x90, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2,
                         0xBE, 0xDE, 0x00, 0x03,
                         0x10, 0xAA, 0x21, 0xBB,
                         0xCC, 0x00, 0x00, 0x33,
                         0xD0, 0xD1, 0xD2, 0xD3,
                         0x77};
  brtc_rtp_header h;
  CHECK_EQ_INT(brtc_rtp_parse(pkt, sizeof pkt, &h), BRTC_OK);
  CHECK_EQ_INT(h.ext_profile, 0xBEDE);
  CHECK_EQ_INT(h.n_ext, 3);
  CHECK_EQ_INT(h.header_len, 28);
  CHECK_EQ_INT(h.payload_len, 1);
  const brtc_rtp_ext *e1 = brtc_rtp_find_ext(&h, 1), *e2 = brtc_rtp_find_ext(&h, 2),
                     *e3 = brtc_rtp_find_ext(&h, 3);
  CHECK(e1 && e1->len == 1 && e1->data[0] == 0xAA);
  CHECK(e2 && e2->len == 2 && e2->data[0] == 0xBB && e2->data[1] == 0xCC);
  CHECK(e3 && e3->len == 4 && e3->data[0] == 0xD0 && e3->data[3] == 0xD3);
  CHECK(brtc_rtp_find_ext(&h, 4) == NULL);

  /* Writing the same elements packs them without the inner padding, then pads the end. */
  uint8_t out[64];
  size_t n = 0;
  CHECK_EQ_INT(brtc_rtp_write(&h, h.payload, h.payload_len, out, sizeof out, &n), BRTC_OK);
  const uint8_t expect_ext[] = {0xBE, 0xDE, 0x00, 0x03, 0x10, 0xAA, 0x21, 0xBB,
                                0xCC, 0x33, 0xD0, 0xD1, 0xD2, 0xD3, 0x00, 0x00};
  CHECK_EQ_INT(n, 12 + sizeof expect_ext + 1);
  CHECK_MEM(out + 12, expect_ext, sizeof expect_ext);
  CHECK_EQ_INT(out[0], 0x90);
  CHECK_EQ_INT(out[n - 1], 0x77);

  /* ID 15 stops processing: whatever follows is ignored. */
  uint8_t stop[sizeof pkt];
  memcpy(stop, pkt, sizeof pkt);
  stop[18] = 0xF1;
  CHECK_EQ_INT(brtc_rtp_parse(stop, sizeof stop, &h), BRTC_OK);
  CHECK_EQ_INT(h.n_ext, 1);
}

/* RFC 8285 4.3 figure: IDs 1 (L=0), 2 (L=1), one padding byte, 3 (L=4). */
static void test_two_byte_rfc_layout(void) {
  const uint8_t pkt[] = {0x90, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2,
                         0x10, 0x00, 0x00, 0x03,
                         0x01, 0x00, 0x02, 0x01,
                         0xAA, 0x00, 0x03, 0x04,
                         0xD0, 0xD1, 0xD2, 0xD3};
  brtc_rtp_header h;
  CHECK_EQ_INT(brtc_rtp_parse(pkt, sizeof pkt, &h), BRTC_OK);
  CHECK_EQ_INT(h.ext_profile, 0x1000);
  CHECK_EQ_INT(h.n_ext, 3);
  CHECK_EQ_INT(h.payload_len, 0);
  const brtc_rtp_ext *e1 = brtc_rtp_find_ext(&h, 1), *e2 = brtc_rtp_find_ext(&h, 2),
                     *e3 = brtc_rtp_find_ext(&h, 3);
  CHECK(e1 && e1->len == 0);
  CHECK(e2 && e2->len == 1 && e2->data[0] == 0xAA);
  CHECK(e3 && e3->len == 4 && e3->data[3] == 0xD3);

  uint8_t out[64];
  size_t n = 0;
  CHECK_EQ_INT(brtc_rtp_write(&h, NULL, 0, out, sizeof out, &n), BRTC_OK);
  const uint8_t expect_ext[] = {0x10, 0x00, 0x00, 0x03, 0x01, 0x00, 0x02, 0x01,
                                0xAA, 0x03, 0x04, 0xD0, 0xD1, 0xD2, 0xD3, 0x00};
  CHECK_EQ_INT(n, 12 + sizeof expect_ext);
  CHECK_MEM(out + 12, expect_ext, sizeof expect_ext);

  /* An extension that does not fit one-byte (id 200, or 0 bytes) forces two-byte. */
  const uint8_t big[20] = {9};
  brtc_rtp_header w = {0};
  w.n_ext = 2;
  w.ext[0] = (brtc_rtp_ext){.id = 200, .len = 20, .data = big};
  w.ext[1] = (brtc_rtp_ext){.id = 5, .len = 1, .data = big};
  CHECK_EQ_INT(brtc_rtp_write(&w, NULL, 0, out, sizeof out, &n), BRTC_OK);
  CHECK_EQ_INT(out[12], 0x10);
  CHECK_EQ_INT(out[13], 0x00);
  CHECK_EQ_INT(brtc_rtp_parse(out, n, &h), BRTC_OK);
  CHECK_EQ_INT(h.n_ext, 2);
  CHECK(brtc_rtp_find_ext(&h, 200) && brtc_rtp_find_ext(&h, 200)->len == 20);
  /* Asking for one-byte with an id that cannot be carried is refused. */
  w.ext_profile = 0xBEDE;
  CHECK_EQ_INT(brtc_rtp_write(&w, NULL, 0, out, sizeof out, &n), BRTC_ERR_INVALID);
}

static void test_padding(void) {
  brtc_rtp_header h = {0};
  h.padding = true;
  h.padding_len = 7;
  h.sequence = 9;
  const uint8_t payload[] = {0xAB, 0xCD, 0xEF};
  uint8_t buf[64];
  size_t n = 0;
  CHECK_EQ_INT(brtc_rtp_write(&h, payload, sizeof payload, buf, sizeof buf, &n), BRTC_OK);
  CHECK_EQ_INT(n, 12 + 3 + 7);
  CHECK_EQ_INT(buf[0], 0xA0);
  CHECK_EQ_INT(buf[n - 1], 7);
  brtc_rtp_header p;
  CHECK_EQ_INT(brtc_rtp_parse(buf, n, &p), BRTC_OK);
  CHECK(p.padding);
  CHECK_EQ_INT(p.padding_len, 7);
  CHECK_EQ_INT(p.payload_len, 3);
  CHECK_MEM(p.payload, payload, 3);
  /* Padding-only packet: the whole payload is padding. */
  buf[n - 1] = 10;
  CHECK_EQ_INT(brtc_rtp_parse(buf, n, &p), BRTC_OK);
  CHECK_EQ_INT(p.payload_len, 0);
}

static void test_malformed(void) {
  brtc_rtp_header h;
  uint8_t pkt[32] = {0x80, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2};
  CHECK_EQ_INT(brtc_rtp_parse(pkt, 11, &h), BRTC_ERR_PARSE);
  pkt[0] = 0x40; /* version 1 */
  CHECK_EQ_INT(brtc_rtp_parse(pkt, 16, &h), BRTC_ERR_PARSE);
  pkt[0] = 0x00; /* version 0 */
  CHECK_EQ_INT(brtc_rtp_parse(pkt, 16, &h), BRTC_ERR_PARSE);
  pkt[0] = 0x82; /* two CSRCs need 20 bytes */
  CHECK_EQ_INT(brtc_rtp_parse(pkt, 19, &h), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_rtp_parse(pkt, 20, &h), BRTC_OK);
  pkt[0] = 0x8F; /* 15 CSRCs in 32 bytes */
  CHECK_EQ_INT(brtc_rtp_parse(pkt, 32, &h), BRTC_ERR_PARSE);

  /* Extension header itself truncated, then its length overrunning the packet. */
  uint8_t ext[24] = {0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xBE, 0xDE, 0x00, 0x02,
                     0x10, 0xAA, 0, 0, 0, 0, 0, 0};
  CHECK_EQ_INT(brtc_rtp_parse(ext, 14, &h), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_rtp_parse(ext, 23, &h), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_rtp_parse(ext, 24, &h), BRTC_OK);
  /* An element whose length runs past the extension block. */
  ext[15] = 0x01;
  ext[16] = 0x13; /* id 1, 4 bytes, only 3 left */
  CHECK_EQ_INT(brtc_rtp_parse(ext, 24, &h), BRTC_ERR_PARSE);
  uint8_t two[20] = {0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0x10, 0x00, 0x00, 0x01,
                     0x01, 0x05, 0, 0};
  CHECK_EQ_INT(brtc_rtp_parse(two, 20, &h), BRTC_ERR_PARSE);

  /* Padding count larger than the payload, and a zero count. */
  uint8_t pad[16] = {0xA0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 3, 5};
  CHECK_EQ_INT(brtc_rtp_parse(pad, 16, &h), BRTC_ERR_PARSE);
  pad[15] = 0;
  CHECK_EQ_INT(brtc_rtp_parse(pad, 16, &h), BRTC_ERR_PARSE);
  pad[15] = 4;
  CHECK_EQ_INT(brtc_rtp_parse(pad, 16, &h), BRTC_OK);
  CHECK_EQ_INT(h.payload_len, 0);
}

/* 100 packets, 20 ms apart at 90 kHz, four lost: the first is spent on probation. */
static void test_stats_loss(void) {
  brtc_rtp_receiver_stats s;
  brtc_rtp_stats_init(&s, 0x1234, 90000);
  for (int i = 0; i < 100; i++) {
    uint16_t seq = (uint16_t)(1000 + i);
    if (seq == 1010 || (seq >= 1020 && seq <= 1022)) continue;
    brtc_rtp_stats_update(&s, seq, (uint32_t)(5000 + 1800 * i), 1000000u + 20000u * (uint64_t)i);
  }
  CHECK_EQ_INT(s.base_seq, 1001);
  CHECK_EQ_INT(s.received, 95);
  CHECK_EQ_INT(brtc_rtp_stats_ext_max_seq(&s), 1099);
  CHECK(s.jitter < 1e-9); /* perfectly regular arrival */
}

/* Arrival alternates 0 and 1 ms late: each |D| is 90 ticks, J_k = 90 (1 - (15/16)^k). */
static void test_stats_jitter(void) {
  brtc_rtp_receiver_stats s;
  brtc_rtp_stats_init(&s, 1, 90000);
  const int n = 50;
  for (int i = 0; i < n; i++)
    brtc_rtp_stats_update(&s, (uint16_t)(7 + i), (uint32_t)(1800 * i),
                          20000u * (uint64_t)i + (i % 2 ? 1000u : 0u));
  /* Packet 0 is on probation, packet 1 sets the transit, then n - 2 updates. */
  double expect = 90.0 * (1.0 - pow(15.0 / 16.0, n - 2));
  CHECK(fabs(s.jitter - expect) < 0.5);
  CHECK(s.jitter > 80.0);
}

static void test_stats_wrap(void) {
  brtc_rtp_receiver_stats s;
  brtc_rtp_stats_init(&s, 1, 8000);
  for (uint32_t i = 0; i < 12; i++)
    brtc_rtp_stats_update(&s, (uint16_t)(65530 + i), 160 * i, 20000 * (uint64_t)i);
  CHECK_EQ_INT(s.max_seq, 5);
  CHECK_EQ_INT(s.cycles, 65536);
  CHECK_EQ_INT(brtc_rtp_stats_ext_max_seq(&s), 65541);
  /* A late packet from before the wrap does not move the counters backwards. */
  brtc_rtp_stats_update(&s, 65534, 160 * 4, 300000);
  CHECK_EQ_INT(brtc_rtp_stats_ext_max_seq(&s), 65541);
  /* A huge jump is only believed when the next packet confirms it (restart). */
  brtc_rtp_stats_update(&s, 30000, 0, 400000);
  CHECK_EQ_INT(brtc_rtp_stats_ext_max_seq(&s), 65541);
  brtc_rtp_stats_update(&s, 30001, 160, 420000);
  CHECK_EQ_INT(brtc_rtp_stats_ext_max_seq(&s), 30001);
  CHECK_EQ_INT(s.base_seq, 30001);
}

int main(void) {
  RUN(test_minimal_parse);
  RUN(test_csrc_roundtrip);
  RUN(test_one_byte_rfc_layout);
  RUN(test_two_byte_rfc_layout);
  RUN(test_padding);
  RUN(test_malformed);
  RUN(test_stats_loss);
  RUN(test_stats_jitter);
  RUN(test_stats_wrap);
  return TEST_REPORT();
}
