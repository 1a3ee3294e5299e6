/* H.264 RTP (RFC 6184, packetization-mode 1): Annex-B scanning, packetizer, assembler, and
 * round trips through loss, reordering and duplication. */
#include <stdlib.h>

#include "boltrtc/error.h"
#include "codec/h264_rtp.h"
#include "common/bytes.h"
#include "h264_stream.h"
#include "testing.h"

#define MTU 1200

/* ---- Annex-B ---- */

static void test_annexb_scan(void) {
  const uint8_t s[] = {0x00, 0x00, 0x00, 0x01, 0x67, 0x42, 0x00,  /* SPS + trailing zero */
                       0x00, 0x00, 0x01, 0x68, 0xCE,              /* 3-byte start code */
                       0x00, 0x00, 0x01, 0x00, 0x00, 0x01,        /* an empty unit */
                       0x65, 0x88, 0x00, 0x00, 0x03, 0x01, 0x84}; /* escaped bytes kept */
  size_t pos = 0;
  brtc_h264_nal n;
  CHECK(brtc_h264_annexb_starts(s, sizeof s));
  CHECK(brtc_h264_annexb_next(s, sizeof s, &pos, &n));
  CHECK_EQ_INT(n.len, 2);
  CHECK_EQ_INT(n.data[0], 0x67);
  CHECK(brtc_h264_annexb_next(s, sizeof s, &pos, &n));
  CHECK_EQ_INT(n.len, 2);
  CHECK_EQ_INT(n.data[0], 0x68);
  CHECK(brtc_h264_annexb_next(s, sizeof s, &pos, &n));
  CHECK_EQ_INT(n.len, 7);
  CHECK_EQ_INT(n.data[0], 0x65);
  CHECK_EQ_INT(n.data[6], 0x84);
  CHECK(!brtc_h264_annexb_next(s, sizeof s, &pos, &n));
  /* Leading bytes before the first start code are not a unit; no start code at all. */
  const uint8_t lead[] = {0x12, 0x00, 0x00, 0x01, 0x41, 0x9A};
  pos = 0;
  CHECK(!brtc_h264_annexb_starts(lead, sizeof lead));
  CHECK(brtc_h264_annexb_next(lead, sizeof lead, &pos, &n));
  CHECK_EQ_INT(n.len, 2);
  const uint8_t none[] = {0x41, 0x9A, 0x00, 0x00};
  pos = 0;
  CHECK(!brtc_h264_annexb_next(none, sizeof none, &pos, &n));
  CHECK(!brtc_h264_annexb_starts(none, sizeof none));
  CHECK(!brtc_h264_annexb_starts(none, 0));
  /* A start code at the very end. */
  const uint8_t tail[] = {0x00, 0x00, 0x01, 0x41, 0x9A, 0x00, 0x00, 0x01};
  pos = 0;
  CHECK(brtc_h264_annexb_next(tail, sizeof tail, &pos, &n));
  CHECK_EQ_INT(n.len, 2);
  CHECK(!brtc_h264_annexb_next(tail, sizeof tail, &pos, &n));
}

static void test_first_mb(void) {
  const uint8_t zero[] = {0x88, 0x84}; /* ue 0 */
  const uint8_t five[] = {0x30};       /* 00110: ue 5 */
  CHECK_EQ_INT(brtc_h264_first_mb_in_slice(zero, sizeof zero), 0);
  CHECK_EQ_INT(brtc_h264_first_mb_in_slice(five, sizeof five), 5);
  const uint8_t zeros[] = {0x00, 0x00};
  CHECK_EQ_INT(brtc_h264_first_mb_in_slice(zeros, sizeof zeros), -1);
  CHECK_EQ_INT(brtc_h264_first_mb_in_slice(zero, 0), -1);
}

/* ---- packetizer ---- */

typedef struct sent {
  uint8_t pl[64][MTU];
  size_t len[64];
  bool marker[64];
  int n;
} sent;

static int drain(brtc_h264_packetizer *p, sent *s) {
  s->n = 0;
  for (;;) {
    int rc = brtc_h264_packetizer_next(p, s->pl[s->n], MTU, &s->len[s->n], &s->marker[s->n]);
    if (rc == BRTC_ERR_AGAIN) return s->n;
    if (rc != BRTC_OK || ++s->n == 64) return -1;
  }
}

static void test_packetize_single_and_marker(void) {
  brtc_h264_packetizer *p = brtc_h264_packetizer_new(MTU);
  test_au au;
  test_au_init(&au, 4096);
  uint8_t *nal = test_au_add(&au, 500, 2, BRTC_H264_NAL_SLICE, 1);
  static sent s;
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, au.buf, au.len), BRTC_OK);
  CHECK(!brtc_h264_packetizer_is_keyframe(p));
  CHECK_EQ_INT(brtc_h264_packetizer_remaining(p), 1);
  CHECK_EQ_INT(drain(p, &s), 1);
  CHECK_EQ_INT(s.len[0], 500);
  CHECK_MEM(s.pl[0], nal, 500);
  CHECK(s.marker[0]);
  CHECK_EQ_INT(brtc_h264_packetizer_remaining(p), 0);
  const brtc_h264_packetizer_stats *st = brtc_h264_packetizer_get_stats(p);
  CHECK_EQ_INT(st->single_nal, 1);
  CHECK_EQ_INT(st->access_units, 1);
  test_au_free(&au);
  brtc_h264_packetizer_free(p);
}

/* libwebrtc's shape: SPS, PPS and SEI in one STAP-A, then the IDR in FU-A fragments. */
static void test_packetize_stap_a_then_fu_a(void) {
  brtc_h264_packetizer *p = brtc_h264_packetizer_new(MTU);
  test_au au;
  test_au_init(&au, 16384);
  uint8_t *sps = test_au_add(&au, 20, 3, BRTC_H264_NAL_SPS, 2);
  uint8_t *pps = test_au_add(&au, 5, 3, BRTC_H264_NAL_PPS, 3);
  test_au_add(&au, 9, 0, BRTC_H264_NAL_SEI, 4);
  uint8_t *idr = test_au_add(&au, 5000, 3, BRTC_H264_NAL_IDR, 5);
  static sent s;
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, au.buf, au.len), BRTC_OK);
  CHECK(brtc_h264_packetizer_is_keyframe(p));
  size_t expect = 1 + (4999 + MTU - 3) / (MTU - 2);
  CHECK_EQ_INT(brtc_h264_packetizer_remaining(p), expect);
  CHECK_EQ_INT(drain(p, &s), (int)expect);
  /* STAP-A: F=0, NRI = the largest (3), type 24; then size + unit, three times. */
  CHECK_EQ_INT(s.pl[0][0], 0x60 | 24);
  CHECK_EQ_INT(s.len[0], 1 + 2 + 20 + 2 + 5 + 2 + 9);
  CHECK_EQ_INT(brtc_rd16(s.pl[0] + 1), 20);
  CHECK_MEM(s.pl[0] + 3, sps, 20);
  CHECK_EQ_INT(brtc_rd16(s.pl[0] + 23), 5);
  CHECK_MEM(s.pl[0] + 25, pps, 5);
  CHECK(!s.marker[0]);
  /* FU-A: indicator NRI 3 type 28; header S on the first, E on the last, type 5. */
  size_t off = 1, smallest = MTU, largest = 0;
  for (int i = 1; i < s.n; i++) {
    CHECK_EQ_INT(s.pl[i][0], 0x60 | 28);
    CHECK_EQ_INT(s.pl[i][1] & 0x1F, 5);
    CHECK_EQ_INT((s.pl[i][1] & 0x80) != 0, i == 1);
    CHECK_EQ_INT((s.pl[i][1] & 0x40) != 0, i == s.n - 1);
    CHECK_EQ_INT(s.pl[i][1] & 0x20, 0); /* R */
    CHECK(s.len[i] <= MTU);
    CHECK_MEM(s.pl[i] + 2, idr + off, s.len[i] - 2);
    off += s.len[i] - 2;
    CHECK_EQ_INT(s.marker[i], i == s.n - 1);
    if (s.len[i] < smallest) smallest = s.len[i];
    if (s.len[i] > largest) largest = s.len[i];
  }
  CHECK_EQ_INT(off, 5000);
  CHECK(largest - smallest <= 1); /* balanced */
  test_au_free(&au);
  brtc_h264_packetizer_free(p);
}

static void test_packetize_mtu_edges(void) {
  brtc_h264_packetizer *p = brtc_h264_packetizer_new(MTU);
  test_au au;
  test_au_init(&au, 8192);
  static sent s;
  /* Exactly the MTU: a single NAL unit packet. One more: two FU-A fragments. */
  for (size_t len = MTU - 2; len <= MTU + 2; len++) {
    test_au_clear(&au);
    test_au_add(&au, len, 2, BRTC_H264_NAL_SLICE, (uint32_t)len);
    CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, au.buf, au.len), BRTC_OK);
    int n = drain(p, &s);
    if (len <= MTU) {
      CHECK_EQ_INT(n, 1);
      CHECK_EQ_INT(s.len[0], len);
      CHECK_EQ_INT(s.pl[0][0] & 0x1F, 1);
    } else {
      CHECK_EQ_INT(n, 2);
      CHECK_EQ_INT(s.pl[0][0] & 0x1F, 28);
      CHECK_EQ_INT(s.len[0] + s.len[1], len - 1 + 4);
    }
  }
  /* Two units that fit together only to the byte: 1 + 2 + a + 2 + b == MTU. */
  test_au_clear(&au);
  test_au_add(&au, 700, 2, BRTC_H264_NAL_SLICE, 9);
  test_au_add(&au, MTU - 705, 2, BRTC_H264_NAL_SLICE, 10);
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, au.buf, au.len), BRTC_OK);
  CHECK_EQ_INT(drain(p, &s), 1);
  CHECK_EQ_INT(s.len[0], MTU);
  CHECK_EQ_INT(s.pl[0][0] & 0x1F, 24);
  test_au_clear(&au);
  test_au_add(&au, 700, 2, BRTC_H264_NAL_SLICE, 9);
  test_au_add(&au, MTU - 704, 2, BRTC_H264_NAL_SLICE, 10);
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, au.buf, au.len), BRTC_OK);
  CHECK_EQ_INT(drain(p, &s), 2); /* one byte too many: two single NAL unit packets */
  CHECK_EQ_INT(s.pl[0][0] & 0x1F, 1);
  /* The smallest MTU: every unit in FU-A fragments of one byte. */
  brtc_h264_packetizer *tiny = brtc_h264_packetizer_new(3);
  CHECK(tiny != NULL);
  CHECK(brtc_h264_packetizer_new(2) == NULL);
  test_au_clear(&au);
  test_au_add(&au, 5, 2, BRTC_H264_NAL_SLICE, 11);
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(tiny, au.buf, au.len), BRTC_OK);
  CHECK_EQ_INT(brtc_h264_packetizer_remaining(tiny), 4);
  CHECK_EQ_INT(drain(tiny, &s), 4);
  CHECK_EQ_INT(s.len[3], 3);
  brtc_h264_packetizer_free(tiny);
  test_au_free(&au);
  brtc_h264_packetizer_free(p);
}

/* An encoder that sends SPS and PPS once (a Raspberry Pi's may): they are sent again before
 * each later IDR. Access unit delimiters and filler are not sent at all. */
static void test_packetize_repeats_parameter_sets(void) {
  brtc_h264_packetizer *p = brtc_h264_packetizer_new(MTU);
  test_au au;
  test_au_init(&au, 16384);
  static sent s;
  /* An IDR before any SPS/PPS: sent as it is, counted. */
  test_au_add(&au, 300, 3, BRTC_H264_NAL_IDR, 20);
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, au.buf, au.len), BRTC_OK);
  CHECK_EQ_INT(drain(p, &s), 1);
  CHECK_EQ_INT(brtc_h264_packetizer_get_stats(p)->idr_without_parameter_sets, 1);

  test_au_clear(&au);
  test_au_add(&au, 2, 0, BRTC_H264_NAL_AUD, 1);
  uint8_t sps[12], pps[4];
  memcpy(sps, test_au_add(&au, sizeof sps, 3, BRTC_H264_NAL_SPS, 21), sizeof sps);
  memcpy(pps, test_au_add(&au, sizeof pps, 3, BRTC_H264_NAL_PPS, 22), sizeof pps);
  test_au_add(&au, 3000, 3, BRTC_H264_NAL_IDR, 23);
  test_au_add(&au, 50, 0, BRTC_H264_NAL_FILLER, 1);
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, au.buf, au.len), BRTC_OK);
  CHECK(drain(p, &s) > 1);
  CHECK_EQ_INT(brtc_rd16(s.pl[0] + 1), sizeof sps); /* the AUD went nowhere */
  CHECK_EQ_INT(brtc_h264_packetizer_get_stats(p)->nals_dropped, 2);

  test_au_clear(&au);
  test_au_add(&au, 800, 2, BRTC_H264_NAL_SLICE, 24);
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, au.buf, au.len), BRTC_OK);
  CHECK_EQ_INT(drain(p, &s), 1); /* not an IDR: nothing added */

  /* An IDR alone (its own buffer, the earlier one is gone): SPS and PPS come first. */
  test_au_clear(&au);
  uint8_t *idr = test_au_add(&au, 400, 3, BRTC_H264_NAL_IDR, 25);
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, au.buf, au.len), BRTC_OK);
  CHECK_EQ_INT(drain(p, &s), 1); /* everything fits one STAP-A */
  CHECK_EQ_INT(s.pl[0][0] & 0x1F, 24);
  CHECK_EQ_INT(brtc_rd16(s.pl[0] + 1), sizeof sps);
  CHECK_MEM(s.pl[0] + 3, sps, sizeof sps);
  CHECK_EQ_INT(brtc_rd16(s.pl[0] + 3 + sizeof sps), sizeof pps);
  CHECK_MEM(s.pl[0] + 5 + sizeof sps, pps, sizeof pps);
  CHECK_EQ_INT(brtc_rd16(s.pl[0] + 5 + sizeof sps + sizeof pps), 400);
  CHECK_MEM(s.pl[0] + 7 + sizeof sps + sizeof pps, idr, 400);
  CHECK_EQ_INT(brtc_h264_packetizer_get_stats(p)->parameter_sets_inserted, 2);

  /* An IDR with a new PPS but no SPS: only the SPS is added, the new PPS is remembered. */
  test_au_clear(&au);
  uint8_t *pps2 = test_au_add(&au, 6, 3, BRTC_H264_NAL_PPS, 26);
  test_au_add(&au, 400, 3, BRTC_H264_NAL_IDR, 27);
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, au.buf, au.len), BRTC_OK);
  CHECK_EQ_INT(drain(p, &s), 1);
  CHECK_MEM(s.pl[0] + 3, sps, sizeof sps);
  CHECK_EQ_INT(brtc_rd16(s.pl[0] + 3 + sizeof sps), 6);
  CHECK_MEM(s.pl[0] + 5 + sizeof sps, pps2, 6);
  CHECK_EQ_INT(brtc_h264_packetizer_get_stats(p)->parameter_sets_inserted, 3);
  test_au_free(&au);
  brtc_h264_packetizer_free(p);
}

static void test_packetize_errors(void) {
  brtc_h264_packetizer *p = brtc_h264_packetizer_new(MTU);
  test_au au;
  test_au_init(&au, 600000);
  test_au_add(&au, 3000, 2, BRTC_H264_NAL_SLICE, 30);
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, au.buf, au.len), BRTC_OK);
  /* Not drained: a second unit is refused until the first is done or discarded. */
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, au.buf, au.len), BRTC_ERR_STATE);
  uint8_t small[100];
  size_t n;
  bool marker;
  CHECK_EQ_INT(brtc_h264_packetizer_next(p, small, sizeof small, &n, &marker), BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_h264_packetizer_remaining(p), 3); /* nothing consumed */
  brtc_h264_packetizer_discard(p);
  CHECK_EQ_INT(brtc_h264_packetizer_next(p, small, sizeof small, &n, &marker), BRTC_ERR_AGAIN);
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, au.buf, au.len), BRTC_OK);
  brtc_h264_packetizer_discard(p);

  const uint8_t no_start[] = {0x41, 0x9A, 0x11};
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, no_start, sizeof no_start), BRTC_ERR_PARSE);
  const uint8_t only_zeros[] = {0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01};
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, only_zeros, sizeof only_zeros),
               BRTC_ERR_PARSE);
  const uint8_t forbidden[] = {0x00, 0x00, 0x01, 0xC1, 0x9A};
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, forbidden, sizeof forbidden), BRTC_ERR_PARSE);
  const uint8_t only_aud[] = {0x00, 0x00, 0x01, 0x09, 0xF0};
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, only_aud, sizeof only_aud), BRTC_ERR_PARSE);
  /* More NAL units than one access unit may hold. */
  test_au big;
  test_au_init(&big, 8 * (BRTC_H264_MAX_NALS + 1));
  for (int i = 0; i < BRTC_H264_MAX_NALS; i++) test_au_add(&big, 2, 2, 1, (uint32_t)i);
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, big.buf, big.len), BRTC_OK);
  brtc_h264_packetizer_discard(p);
  memcpy(big.buf + big.len, "\x00\x00\x01\x41\x9A", 5);
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, big.buf, big.len + 5), BRTC_ERR_TOO_BIG);
  /* The list form. */
  brtc_h264_nal nals[2] = {{au.nals[0].data, 10}, {au.nals[0].data, 0}};
  CHECK_EQ_INT(brtc_h264_packetizer_push_nals(p, nals, 2), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_h264_packetizer_push_nals(p, nals, 1), BRTC_OK);
  CHECK_EQ_INT(brtc_h264_packetizer_remaining(p), 1);
  CHECK_EQ_INT(brtc_h264_packetizer_set_max_payload(p, 2), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_h264_packetizer_set_max_payload(p, 100), BRTC_OK);
  brtc_h264_packetizer_discard(p);
  CHECK_EQ_INT(brtc_h264_packetizer_push_annexb(p, au.buf, au.len), BRTC_OK);
  CHECK_EQ_INT(brtc_h264_packetizer_remaining(p), (2999 + 97) / 98); /* the new MTU */
  test_au_free(&big);
  test_au_free(&au);
  brtc_h264_packetizer_free(p);
}

/* ---- assembler ---- */

static uint8_t frame_buf[1 << 20];

typedef struct got {
  int frames;
  brtc_h264_frame f[64];
  uint32_t ts[64];
} got;

static void pop_all(brtc_h264_assembler *a, got *g) {
  brtc_h264_frame f;
  while (brtc_h264_assembler_pop(a, frame_buf, sizeof frame_buf, &f) == BRTC_OK) {
    if (g->frames < 64) {
      g->f[g->frames] = f;
      g->ts[g->frames] = f.timestamp;
    }
    g->frames++;
  }
}

static brtc_rtp_header pkt(uint16_t seq, uint32_t ts, bool marker, const uint8_t *p, size_t n) {
  brtc_rtp_header h;
  memset(&h, 0, sizeof h);
  h.version = 2;
  h.sequence = seq;
  h.timestamp = ts;
  h.marker = marker;
  h.ssrc = 7;
  h.payload = p;
  h.payload_len = n;
  return h;
}

static int push_at(brtc_h264_assembler *a, uint16_t seq, uint32_t ts, bool marker,
                   const uint8_t *p, size_t n, uint64_t now) {
  brtc_rtp_header h = pkt(seq, ts, marker, p, n);
  return brtc_h264_assembler_push(a, &h, now);
}

static int push(brtc_h264_assembler *a, uint16_t seq, uint32_t ts, bool marker, const uint8_t *p,
                size_t n) {
  return push_at(a, seq, ts, marker, p, n, 0);
}

static void test_assembler_single_stap_fu(void) {
  brtc_h264_assembler *a = brtc_h264_assembler_new();
  static got g;
  memset(&g, 0, sizeof g);
  /* STAP-A (SPS, PPS), then an IDR in three FU-A fragments. */
  const uint8_t stap[] = {0x78, 0x00, 0x03, 0x67, 0x42, 0xC0, 0x00, 0x02, 0x68, 0xCE};
  const uint8_t fu1[] = {0x7C, 0x85, 0x88, 0x84, 0x10};
  const uint8_t fu2[] = {0x7C, 0x05, 0x21, 0x22};
  const uint8_t fu3[] = {0x7C, 0x45, 0x33};
  CHECK_EQ_INT(push(a, 10, 900, false, stap, sizeof stap), BRTC_OK);
  CHECK_EQ_INT(push(a, 11, 900, false, fu1, sizeof fu1), BRTC_OK);
  CHECK_EQ_INT(push(a, 12, 900, false, fu2, sizeof fu2), BRTC_OK);
  CHECK_EQ_INT(brtc_h264_assembler_ready(a), 0);
  CHECK_EQ_INT(push(a, 13, 900, true, fu3, sizeof fu3), BRTC_OK);
  CHECK_EQ_INT(brtc_h264_assembler_ready(a), 1);
  brtc_h264_frame f;
  CHECK_EQ_INT(brtc_h264_assembler_pop(a, frame_buf, 5, &f), BRTC_ERR_TOO_BIG);
  const uint8_t want[] = {0, 0, 0, 1, 0x67, 0x42, 0xC0, 0, 0, 0, 1, 0x68, 0xCE,
                          0, 0, 0, 1, 0x65, 0x88, 0x84, 0x10, 0x21, 0x22, 0x33};
  CHECK_EQ_INT(f.len, sizeof want); /* the size it needs, the unit still there */
  CHECK_EQ_INT(brtc_h264_assembler_pop(a, frame_buf, sizeof frame_buf, &f), BRTC_OK);
  CHECK_EQ_INT(f.len, sizeof want);
  CHECK_MEM(frame_buf, want, sizeof want);
  CHECK(f.keyframe);
  CHECK(f.decodable_alone);
  CHECK(!f.parameter_sets_inserted);
  CHECK_EQ_INT(f.nal_units, 3);
  CHECK_EQ_INT(f.first_seq, 10);
  CHECK_EQ_INT(f.last_seq, 13);
  CHECK_EQ_INT(f.timestamp, 900);
  CHECK_EQ_INT(f.ssrc, 7);
  CHECK_EQ_INT(brtc_h264_assembler_pop(a, frame_buf, sizeof frame_buf, &f), BRTC_ERR_AGAIN);
  /* A single NAL unit packet. */
  const uint8_t p_slice[] = {0x41, 0x9A, 0x02};
  CHECK_EQ_INT(push(a, 14, 3900, true, p_slice, sizeof p_slice), BRTC_OK);
  pop_all(a, &g);
  CHECK_EQ_INT(g.frames, 1);
  CHECK(!g.f[0].keyframe);
  CHECK_EQ_INT(g.f[0].len, 7);
  const brtc_h264_assembler_stats *st = brtc_h264_assembler_get_stats(a);
  CHECK_EQ_INT(st->frames, 2);
  CHECK_EQ_INT(st->keyframes, 1);
  CHECK_EQ_INT(st->frames_dropped, 0);
  CHECK(!brtc_h264_assembler_take_keyframe_request(a));
  brtc_h264_assembler_free(a);
}

static void test_assembler_bad_packets(void) {
  brtc_h264_assembler *a = brtc_h264_assembler_new();
  const uint8_t type0[] = {0x00, 0x11}, type30[] = {0x1E, 0x11}, type31[] = {0x1F, 0x11};
  const uint8_t stap_b[] = {0x19, 0, 0, 0, 2, 0x41, 0x11}, mtap16[] = {0x1A, 0, 0, 0},
                mtap24[] = {0x1B, 0, 0, 0}, fu_b[] = {0x1D, 0x81, 0, 0, 0x11};
  CHECK_EQ_INT(push(a, 1, 0, true, type0, sizeof type0), BRTC_ERR_PARSE);
  CHECK_EQ_INT(push(a, 1, 0, true, type30, sizeof type30), BRTC_ERR_PARSE);
  CHECK_EQ_INT(push(a, 1, 0, true, type31, sizeof type31), BRTC_ERR_PARSE);
  CHECK_EQ_INT(push(a, 1, 0, true, stap_b, sizeof stap_b), BRTC_ERR_UNSUPPORTED);
  CHECK_EQ_INT(push(a, 1, 0, true, mtap16, sizeof mtap16), BRTC_ERR_UNSUPPORTED);
  CHECK_EQ_INT(push(a, 1, 0, true, mtap24, sizeof mtap24), BRTC_ERR_UNSUPPORTED);
  CHECK_EQ_INT(push(a, 1, 0, true, fu_b, sizeof fu_b), BRTC_ERR_UNSUPPORTED);
  /* Truncated headers: FU-A with no byte of its unit, or none at all. */
  const uint8_t fu_short[] = {0x7C, 0x85}, fu_one[] = {0x7C};
  CHECK_EQ_INT(push(a, 1, 0, true, fu_short, sizeof fu_short), BRTC_ERR_PARSE);
  CHECK_EQ_INT(push(a, 1, 0, true, fu_one, sizeof fu_one), BRTC_ERR_PARSE);
  /* FU-A carrying an aggregation type, STAP-A carrying an FU-A. */
  const uint8_t fu_of_stap[] = {0x7C, 0x98, 0x11};
  const uint8_t stap_of_fu[] = {0x78, 0x00, 0x02, 0x7C, 0x85};
  CHECK_EQ_INT(push(a, 1, 0, true, fu_of_stap, sizeof fu_of_stap), BRTC_ERR_PARSE);
  CHECK_EQ_INT(push(a, 1, 0, true, stap_of_fu, sizeof stap_of_fu), BRTC_ERR_PARSE);
  /* STAP-A: a size past the end, a lone byte after the last unit, a header alone, only
   * zero-length units. */
  const uint8_t stap_over[] = {0x78, 0x00, 0x05, 0x67, 0x42};
  const uint8_t stap_tail[] = {0x78, 0x00, 0x02, 0x67, 0x42, 0x00};
  const uint8_t stap_empty[] = {0x78};
  const uint8_t stap_zeros[] = {0x78, 0x00, 0x00, 0x00, 0x00};
  CHECK_EQ_INT(push(a, 1, 0, true, stap_over, sizeof stap_over), BRTC_ERR_PARSE);
  CHECK_EQ_INT(push(a, 1, 0, true, stap_tail, sizeof stap_tail), BRTC_ERR_PARSE);
  CHECK_EQ_INT(push(a, 1, 0, true, stap_empty, sizeof stap_empty), BRTC_ERR_PARSE);
  CHECK_EQ_INT(push(a, 1, 0, true, stap_zeros, sizeof stap_zeros), BRTC_ERR_PARSE);
  /* Bigger than any packet we take. */
  static uint8_t huge[BRTC_H264_MAX_PACKET_PAYLOAD + 1];
  huge[0] = 0x41;
  CHECK_EQ_INT(push(a, 1, 0, true, huge, sizeof huge), BRTC_ERR_TOO_BIG);
  const brtc_h264_assembler_stats *st = brtc_h264_assembler_get_stats(a);
  CHECK_EQ_INT(st->packets, 16);
  CHECK_EQ_INT(st->packets_bad, 12);
  CHECK_EQ_INT(st->packets_unsupported, 4);
  CHECK_EQ_INT(st->frames, 0);
  /* None of that disturbed a good unit afterwards. */
  const uint8_t ok[] = {0x41, 0x9A};
  CHECK_EQ_INT(push(a, 1, 0, true, ok, sizeof ok), BRTC_OK);
  CHECK_EQ_INT(brtc_h264_assembler_ready(a), 1);
  brtc_h264_assembler_free(a);
}

static void test_assembler_stap_zero_length_unit(void) {
  brtc_h264_assembler *a = brtc_h264_assembler_new();
  const uint8_t stap[] = {0x78, 0x00, 0x00, 0x00, 0x02, 0x67, 0x42, 0x00, 0x00,
                          0x00, 0x02, 0x68, 0xCE};
  CHECK_EQ_INT(push(a, 5, 0, true, stap, sizeof stap), BRTC_OK);
  brtc_h264_frame f;
  CHECK_EQ_INT(brtc_h264_assembler_pop(a, frame_buf, sizeof frame_buf, &f), BRTC_OK);
  const uint8_t want[] = {0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xCE};
  CHECK_EQ_INT(f.len, sizeof want);
  CHECK_MEM(frame_buf, want, sizeof want);
  CHECK_EQ_INT(f.nal_units, 2);
  brtc_h264_assembler_free(a);
}

static void test_assembler_fu_a_nesting(void) {
  brtc_h264_assembler *a = brtc_h264_assembler_new();
  static got g;
  memset(&g, 0, sizeof g);
  const uint8_t start[] = {0x7C, 0x85, 0x88}, mid[] = {0x7C, 0x05, 0x11},
                end[] = {0x7C, 0x45, 0x22}, single[] = {0x65, 0x88, 0x80},
                both[] = {0x7C, 0xC5, 0x88, 0x99}, mid_other[] = {0x7C, 0x01, 0x11};
  /* A unit in one fragment (S and E): taken, it is unambiguous. */
  CHECK_EQ_INT(push(a, 100, 1000, true, both, sizeof both), BRTC_OK);
  pop_all(a, &g);
  CHECK_EQ_INT(g.frames, 1);
  const uint8_t want[] = {0, 0, 0, 1, 0x65, 0x88, 0x99};
  CHECK_MEM(frame_buf, want, sizeof want);
  /* Start without end, cut short by the marker packet. */
  push(a, 101, 2000, false, start, sizeof start);
  push(a, 102, 2000, true, single, sizeof single);
  /* Start and middle, then another timestamp: the unit ended without its FU-A end. */
  push(a, 103, 3000, false, start, sizeof start);
  push(a, 104, 3000, false, mid, sizeof mid);
  /* End without start. */
  push(a, 105, 4000, false, single, sizeof single);
  push(a, 106, 4000, true, end, sizeof end);
  /* A middle of another type than its start. */
  push(a, 107, 5000, false, start, sizeof start);
  push(a, 108, 5000, false, mid_other, sizeof mid_other);
  push(a, 109, 5000, true, end, sizeof end);
  /* Two starts in a row. */
  push(a, 110, 6000, false, start, sizeof start);
  push(a, 111, 6000, true, start, sizeof start);
  /* Then a good one. */
  push(a, 112, 7000, false, start, sizeof start);
  push(a, 113, 7000, false, mid, sizeof mid);
  push(a, 114, 7000, true, end, sizeof end);
  pop_all(a, &g);
  CHECK_EQ_INT(g.frames, 2);
  CHECK_EQ_INT(g.ts[1], 7000);
  const uint8_t good[] = {0, 0, 0, 1, 0x65, 0x88, 0x11, 0x22};
  CHECK_MEM(frame_buf, good, sizeof good);
  const brtc_h264_assembler_stats *st = brtc_h264_assembler_get_stats(a);
  CHECK_EQ_INT(st->frames_malformed, 5);
  CHECK_EQ_INT(st->frames_dropped, 0);
  CHECK(brtc_h264_assembler_take_keyframe_request(a));
  CHECK(!brtc_h264_assembler_take_keyframe_request(a));
  brtc_h264_assembler_free(a);
}

/* No marker bit at all: a unit ends where the next timestamp begins. */
static void test_assembler_no_marker(void) {
  brtc_h264_assembler *a = brtc_h264_assembler_new();
  static got g;
  memset(&g, 0, sizeof g);
  const uint8_t s1[] = {0x41, 0x9A, 0x01}, s2[] = {0x41, 0x9B, 0x02};
  push(a, 1, 100, false, s1, sizeof s1);
  push(a, 2, 100, false, s2, sizeof s2);
  CHECK_EQ_INT(brtc_h264_assembler_ready(a), 0);
  push(a, 3, 200, false, s1, sizeof s1);
  CHECK_EQ_INT(brtc_h264_assembler_ready(a), 1);
  push(a, 4, 300, false, s2, sizeof s2);
  pop_all(a, &g);
  CHECK_EQ_INT(g.frames, 2);
  CHECK_EQ_INT(g.ts[0], 100);
  CHECK_EQ_INT(g.f[0].nal_units, 2);
  CHECK_EQ_INT(g.ts[1], 200);
  /* Padding between units ends one as well, and belongs to none. */
  push(a, 5, 300, false, NULL, 0);
  pop_all(a, &g);
  CHECK_EQ_INT(g.frames, 3);
  CHECK_EQ_INT(brtc_h264_assembler_get_stats(a)->padding, 1);
  brtc_h264_assembler_free(a);
}

/* The receiver side of a sender that sends SPS/PPS only once, and of one that never does. */
static void test_assembler_inserts_parameter_sets(void) {
  brtc_h264_assembler *a = brtc_h264_assembler_new();
  static got g;
  memset(&g, 0, sizeof g);
  /* Real SPS (x264, 642x482) and PPS. */
  const uint8_t sps[] = {0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa4, 0x3f, 0xe2,
                         0x22, 0x30, 0x12, 0x94, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00,
                         0x00, 0x03, 0x00, 0xf0, 0x3c, 0x58, 0xb6, 0x58};
  const uint8_t pps[] = {0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0};
  const uint8_t idr[] = {0x65, 0x88, 0x84, 0x21};
  /* An IDR before any parameter set: handed out, but not decodable alone. */
  push(a, 1, 0, true, idr, sizeof idr);
  pop_all(a, &g);
  CHECK(g.f[0].keyframe);
  CHECK(!g.f[0].decodable_alone);
  CHECK_EQ_INT(g.f[0].width, 0);
  CHECK_EQ_INT(brtc_h264_assembler_get_stats(a)->idr_without_parameter_sets, 1);
  CHECK(brtc_h264_assembler_take_keyframe_request(a));
  /* SPS and PPS as single NAL unit packets, then the IDR. */
  push(a, 2, 3000, false, sps, sizeof sps);
  push(a, 3, 3000, false, pps, sizeof pps);
  push(a, 4, 3000, true, idr, sizeof idr);
  pop_all(a, &g);
  CHECK_EQ_INT(g.frames, 2);
  CHECK(g.f[1].decodable_alone);
  CHECK(!g.f[1].parameter_sets_inserted);
  CHECK_EQ_INT(g.f[1].width, 642);
  CHECK_EQ_INT(g.f[1].height, 482);
  /* Later IDR alone: SPS and PPS put in front. */
  push(a, 5, 6000, true, idr, sizeof idr);
  brtc_h264_frame f;
  CHECK_EQ_INT(brtc_h264_assembler_pop(a, frame_buf, sizeof frame_buf, &f), BRTC_OK);
  CHECK(f.parameter_sets_inserted && f.decodable_alone);
  CHECK_EQ_INT(f.width, 642);
  CHECK_EQ_INT(f.nal_units, 3);
  CHECK_EQ_INT(f.len, 3 * 4 + sizeof sps + sizeof pps + sizeof idr);
  CHECK_MEM(frame_buf + 4, sps, sizeof sps);
  CHECK_MEM(frame_buf + 8 + sizeof sps, pps, sizeof pps);
  CHECK_MEM(frame_buf + 12 + sizeof sps + sizeof pps, idr, sizeof idr);
  /* A P slice gets nothing. */
  const uint8_t p_slice[] = {0x41, 0x9A};
  push(a, 6, 9000, true, p_slice, sizeof p_slice);
  CHECK_EQ_INT(brtc_h264_assembler_pop(a, frame_buf, sizeof frame_buf, &f), BRTC_OK);
  CHECK_EQ_INT(f.len, 6);
  CHECK(!f.parameter_sets_inserted);
  /* Parameter sets from the SDP (sprop-parameter-sets) after a reset. */
  brtc_h264_assembler_reset(a);
  CHECK_EQ_INT(brtc_h264_assembler_set_parameter_sets(a, pps, sizeof pps, NULL, 0),
               BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_h264_assembler_set_parameter_sets(a, sps, sizeof sps, pps, sizeof pps),
               BRTC_OK);
  push(a, 50, 0, true, idr, sizeof idr);
  CHECK_EQ_INT(brtc_h264_assembler_pop(a, frame_buf, sizeof frame_buf, &f), BRTC_OK);
  CHECK(f.decodable_alone && f.parameter_sets_inserted);
  CHECK_EQ_INT(f.height, 482);
  brtc_h264_assembler_free(a);
}

/* ---- round trips ---- */

typedef struct stream {
  test_au au[40];
  size_t au_packets[40]; /* packets of each unit */
  uint32_t au_ts[40];
  size_t n_au;
  test_packets pk;
} stream;

/* Units of the given sizes, each one NAL unit (IDR for the first, slices after), the first
 * with SPS and PPS in front. */
static void make_stream(stream *s, const size_t *sizes, size_t n, uint16_t first_seq,
                        size_t mtu) {
  brtc_h264_packetizer *p = brtc_h264_packetizer_new(mtu);
  size_t total = 0;
  for (size_t i = 0; i < n; i++) total += sizes[i] / (mtu - 2) + 4;
  test_packets_init(&s->pk, total, mtu);
  uint16_t seq = first_seq;
  s->n_au = n;
  for (size_t i = 0; i < n; i++) {
    test_au_init(&s->au[i], sizes[i] + 64);
    if (i == 0) {
      test_au_add(&s->au[i], 10, 3, BRTC_H264_NAL_SPS, 1);
      test_au_add(&s->au[i], 4, 3, BRTC_H264_NAL_PPS, 2);
    }
    uint8_t *nal = test_au_add(&s->au[i], sizes[i], 2,
                               i == 0 ? BRTC_H264_NAL_IDR : BRTC_H264_NAL_SLICE, (uint32_t)i + 7);
    if (sizes[i] > 1) nal[1] = 0x80; /* first_mb_in_slice 0: a slice that starts a picture */
    s->au_ts[i] = 90000 + (uint32_t)i * 3000;
    int made = test_packetize(p, &s->pk, s->au[i].buf, s->au[i].len, s->au_ts[i], &seq);
    s->au_packets[i] = made > 0 ? (size_t)made : 0;
  }
  brtc_h264_packetizer_free(p);
}

static void free_stream(stream *s) {
  for (size_t i = 0; i < s->n_au; i++) test_au_free(&s->au[i]);
  test_packets_free(&s->pk);
}

/* Deliver packets in the order given (indexes, -1 skipped), one a millisecond, waiting at
 * most max_wait_us for a missing one; then check every unit not hit by a drop came out whole
 * and in order. Returns the number of units out. */
static int deliver(stream *s, const int *order, size_t n, const bool *unit_lost,
                   uint64_t max_wait_us) {
  brtc_h264_assembler *a = brtc_h264_assembler_new();
  brtc_h264_assembler_set_max_wait(a, max_wait_us);
  static uint8_t out[1 << 20];
  size_t next_au = 0;
  int frames = 0, wrong = 0;
  for (size_t i = 0; i <= n + 100; i++) {
    uint64_t now = i * 1000;
    uint64_t deadline = brtc_h264_assembler_deadline(a);
    if (deadline && deadline <= now) brtc_h264_assembler_handle_timeout(a, now);
    if (i < n && order[i] >= 0 &&
        brtc_h264_assembler_push(a, &s->pk.hd[order[i]], now) != BRTC_OK)
      wrong++;
    brtc_h264_frame f;
    while (brtc_h264_assembler_pop(a, out, sizeof out, &f) == BRTC_OK) {
      while (next_au < s->n_au && s->au_ts[next_au] != f.timestamp) next_au++;
      if (next_au == s->n_au || unit_lost[next_au]) {
        wrong++;
        continue;
      }
      if (!test_same_nals(out, f.len, s->au[next_au].nals, s->au[next_au].n)) wrong++;
      next_au++;
      frames++;
    }
  }
  CHECK_EQ_INT(wrong, 0);
  brtc_h264_assembler_free(a);
  return frames;
}

static void test_round_trip_sizes(void) {
  /* One byte, around the MTU (a unit alone, the STAP-A with SPS/PPS, FU-A), large ones. */
  const size_t sizes[] = {1,          2,          3,          MTU - 3,  MTU - 2, MTU - 1,
                          MTU,        MTU + 1,    MTU + 2,    2 * MTU - 4, 2 * MTU - 3,
                          2 * MTU - 2, 2 * MTU,   5000,       65535,    65536,   65537,
                          100000,     300000,     500000};
  size_t n = sizeof sizes / sizeof sizes[0];
  static stream s;
  make_stream(&s, sizes, n, 65000, MTU); /* sequence numbers wrap on the way */
  int *order = malloc(s.pk.n * sizeof(int));
  bool lost[40] = {false};
  for (size_t i = 0; i < s.pk.n; i++) order[i] = (int)i;
  CHECK_EQ_INT(deliver(&s, order, s.pk.n, lost, 0), (int)n);
  free(order);
  free_stream(&s);
}

/* Shuffled within a span, with duplicates, over many units; then with one packet lost. */
static void test_round_trip_shuffle_dup_drop(void) {
  size_t sizes[40];
  uint32_t r = 77;
  for (int i = 0; i < 40; i++) sizes[i] = 1 + test_rand(&r) % (i % 5 == 0 ? 30000 : 3000);
  static stream s;
  make_stream(&s, sizes, 40, 1000, MTU);
  size_t n = s.pk.n;
  int *order = malloc(2 * n * sizeof(int));
  bool lost[40] = {false};
  size_t *key = malloc(2 * n * sizeof(size_t)), m = 0;
  for (int round = 0; round < 20; round++) {
    /* Each packet once, late by at most 12 places, and a tenth of them twice. */
    m = 0;
    for (size_t i = 0; i < n; i++) {
      order[m] = (int)i;
      key[m++] = i + test_rand(&r) % 13;
      if (test_rand(&r) % 10 == 0) {
        order[m] = (int)i;
        key[m++] = i + test_rand(&r) % 13;
      }
    }
    for (size_t i = 1; i < m; i++) /* insertion sort by key: stable, nearly sorted already */
      for (size_t j = i; j > 0 && key[j - 1] > key[j]; j--) {
        size_t k = key[j];
        key[j] = key[j - 1];
        key[j - 1] = k;
        int t = order[j];
        order[j] = order[j - 1];
        order[j - 1] = t;
      }
    /* Waiting 15 ms (15 packets) for a late packet, nothing is lost. */
    CHECK_EQ_INT(deliver(&s, order, m, lost, 15000), 40);
  }
  /* Without any wait, a unit whose last packet comes after the next unit's is dropped: the
   * same orders lose units (this is what the wait is for). */
  CHECK(deliver(&s, order, m, lost, 0) < 40);
  free(key);
  /* Drop one packet of unit 17: only that unit is missing. */
  size_t victim = 0;
  for (size_t i = 0; i < 17; i++) victim += s.au_packets[i];
  victim += s.au_packets[17] / 2;
  for (size_t i = 0; i < n; i++) order[i] = i == victim ? -1 : (int)i;
  lost[17] = true;
  CHECK_EQ_INT(deliver(&s, order, n, lost, 0), 39);
  CHECK_EQ_INT(deliver(&s, order, n, lost, 15000), 39); /* the wait ends, the rest comes */
  /* Interleaved units: the packets of 20 and 21 arrive alternately. */
  size_t a20 = 0;
  for (size_t i = 0; i < 20; i++) a20 += s.au_packets[i];
  size_t n20 = s.au_packets[20], n21 = s.au_packets[21];
  m = 0;
  for (size_t i = 0; i < a20; i++) order[m++] = (int)i;
  for (size_t i = 0; i < n20 || i < n21; i++) {
    if (i < n21) order[m++] = (int)(a20 + n20 + i);
    if (i < n20) order[m++] = (int)(a20 + i);
  }
  for (size_t i = a20 + n20 + n21; i < n; i++) order[m++] = (int)i;
  lost[17] = false;
  CHECK_EQ_INT(deliver(&s, order, m, lost, 15000), 40);
  free(order);
  free_stream(&s);
}

/* A lost packet drops its unit, asks for a keyframe, and does not hold back the next units,
 * even when the packet lost is the one right before an IDR. */
static void test_assembler_loss(void) {
  const size_t sizes[] = {3000, 2500, 4000, 1000, 6000};
  static stream s;
  make_stream(&s, sizes, 5, 40000, MTU);
  brtc_h264_assembler *a = brtc_h264_assembler_new();
  static got g;
  memset(&g, 0, sizeof g);
  /* Unit 0 whole; unit 1 loses its last packet; units 2.. come whole. */
  size_t skip = s.au_packets[0] + s.au_packets[1] - 1;
  for (size_t i = 0; i < s.pk.n; i++) {
    if (i == skip) continue;
    brtc_h264_assembler_push(a, &s.pk.hd[i], 0);
    pop_all(a, &g);
  }
  CHECK_EQ_INT(g.frames, 4);
  CHECK_EQ_INT(g.ts[0], s.au_ts[0]);
  CHECK_EQ_INT(g.ts[1], s.au_ts[2]);
  const brtc_h264_assembler_stats *st = brtc_h264_assembler_get_stats(a);
  CHECK_EQ_INT(st->frames_dropped, 1);
  CHECK(brtc_h264_assembler_take_keyframe_request(a));
  CHECK(!brtc_h264_assembler_take_keyframe_request(a));

  /* Now lose the packet just before a unit's first (its FU-A start with first_mb 0): the
   * unit is still handed out as soon as it is complete, not one unit later. */
  brtc_h264_assembler_reset(a);
  memset(&g, 0, sizeof g);
  skip = s.au_packets[0] + s.au_packets[1] + s.au_packets[2] - 1;
  size_t unit3_last = skip + s.au_packets[3];
  for (size_t i = 0; i < s.pk.n; i++) {
    if (i == skip) continue;
    brtc_h264_assembler_push(a, &s.pk.hd[i], 0);
    pop_all(a, &g);
    if (i == unit3_last) CHECK_EQ_INT(g.frames, 3); /* 0, 1 and 3 */
  }
  CHECK_EQ_INT(g.frames, 4);
  CHECK_EQ_INT(brtc_h264_assembler_get_stats(a)->frames_dropped, 1);
  brtc_h264_assembler_free(a);
  free_stream(&s);
}

/* With a wait: a unit missing a packet holds back newer ones until the packet comes or the
 * wait is over; a newer IDR does not wait. */
static void test_assembler_wait(void) {
  brtc_h264_assembler *a = brtc_h264_assembler_new();
  brtc_h264_assembler_set_max_wait(a, 50000);
  static got g;
  memset(&g, 0, sizeof g);
  const uint8_t first[] = {0x41, 0x80, 0x11}, next[] = {0x41, 0x9A, 0x12};
  const uint8_t idr[] = {0x65, 0x88, 0x13};
  push_at(a, 1, 0, false, first, sizeof first, 0);
  push_at(a, 3, 3000, true, first, sizeof first, 1000); /* 2 is late */
  CHECK_EQ_INT(brtc_h264_assembler_ready(a), 0);
  CHECK_EQ_INT(brtc_h264_assembler_deadline(a), 51000);
  brtc_h264_assembler_handle_timeout(a, 50000);
  CHECK_EQ_INT(brtc_h264_assembler_ready(a), 0);
  push_at(a, 2, 0, true, next, sizeof next, 30000); /* in time */
  CHECK_EQ_INT(brtc_h264_assembler_ready(a), 2);
  CHECK_EQ_INT(brtc_h264_assembler_deadline(a), 0);
  pop_all(a, &g);
  /* 5 never comes: 4..5 is dropped when the wait is over, 6 handed out. */
  push_at(a, 4, 6000, false, first, sizeof first, 100000);
  push_at(a, 6, 9000, true, first, sizeof first, 101000);
  CHECK_EQ_INT(brtc_h264_assembler_deadline(a), 151000);
  brtc_h264_assembler_handle_timeout(a, 151000);
  pop_all(a, &g);
  CHECK_EQ_INT(g.frames, 3);
  CHECK_EQ_INT(g.ts[2], 9000);
  CHECK_EQ_INT(brtc_h264_assembler_get_stats(a)->frames_dropped, 1);
  CHECK(brtc_h264_assembler_take_keyframe_request(a));
  CHECK_EQ_INT(brtc_h264_assembler_deadline(a), 0);
  /* The wait also ends on a push after the deadline. */
  push_at(a, 7, 12000, false, first, sizeof first, 200000);
  push_at(a, 9, 15000, true, first, sizeof first, 200000);
  push_at(a, 10, 18000, true, first, sizeof first, 260000);
  pop_all(a, &g);
  CHECK_EQ_INT(g.frames, 5);
  /* An IDR after a gap does not wait. */
  push_at(a, 11, 21000, false, first, sizeof first, 300000);
  push_at(a, 13, 24000, true, idr, sizeof idr, 300000);
  pop_all(a, &g);
  CHECK_EQ_INT(g.frames, 6);
  CHECK(g.f[5].keyframe);
  CHECK_EQ_INT(brtc_h264_assembler_get_stats(a)->frames_dropped, 3);
  /* Nor one whose packet also completes the unit before it, itself behind a gap. */
  push_at(a, 14, 27000, false, first, sizeof first, 400000);
  push_at(a, 16, 30000, false, first, sizeof first, 400000); /* 15 lost */
  push_at(a, 17, 33000, true, idr, sizeof idr, 400000);      /* ends 16's unit too */
  pop_all(a, &g);
  CHECK_EQ_INT(g.frames, 7);
  CHECK(g.f[6].keyframe);
  CHECK_EQ_INT(g.ts[6], 33000);
  CHECK_EQ_INT(brtc_h264_assembler_deadline(a), 0);
  brtc_h264_assembler_free(a);
}

/* An IDR that ends a wait supersedes the units given up for it: they are counted as dropped
 * but ask for no keyframe, since one has just come. (Asking brought a needless keyframe
 * after each such IDR, its repeats another after that one, and under loss a keyframe every
 * half second in test_pc_pair's H.264 runs, each superseding more frames.) A loss that no
 * IDR follows still asks: test_assembler_wait. They are still reported, as superseded, so
 * the pc says what it gave up for H.264 as it does for VP8. */
static void test_assembler_idr_supersedes(void) {
  static const uint8_t sps[] = {0x67, 0x42, 0xc0, 0x1e, 0x8c, 0x8d, 0x40, 0x52,
                                0x1f, 0xf1, 0x11, 0x10, 0x0f, 0x08, 0x84, 0x6a};
  static const uint8_t pps[] = {0x68, 0xce, 0x3c, 0x80};
  const uint8_t slice[] = {0x41, 0x80, 0x11}, idr[] = {0x65, 0x88, 0x13};
  brtc_h264_assembler *a = brtc_h264_assembler_new();
  brtc_h264_assembler_set_max_wait(a, 200000);
  CHECK_EQ_INT(brtc_h264_assembler_set_parameter_sets(a, sps, sizeof sps, pps, sizeof pps),
               BRTC_OK);
  static got g;
  memset(&g, 0, sizeof g);
  push_at(a, 1, 0, true, idr, sizeof idr, 0);
  push_at(a, 2, 3000, false, slice, sizeof slice, 33000); /* 3, its end, is lost */
  push_at(a, 4, 6000, true, slice, sizeof slice, 66000);  /* whole, held behind the gap */
  pop_all(a, &g);
  CHECK_EQ_INT(g.frames, 1);
  CHECK(!brtc_h264_assembler_take_keyframe_request(a));
  push_at(a, 5, 9000, true, idr, sizeof idr, 99000);
  pop_all(a, &g);
  CHECK_EQ_INT(g.frames, 2);
  CHECK(g.f[1].keyframe && g.f[1].decodable_alone);
  CHECK_EQ_INT(g.ts[1], 9000);
  CHECK_EQ_INT(brtc_h264_assembler_get_stats(a)->frames_dropped, 2);
  CHECK(!brtc_h264_assembler_take_keyframe_request(a));
  /* ...yet they are reported, in VP8's shape, as superseded (up to the IDR's first). */
  brtc_frame_loss loss;
  CHECK(brtc_h264_assembler_take_loss(a, &loss));
  CHECK_EQ_INT(loss.frames, 2);
  CHECK_EQ_INT(loss.superseded, 2);
  CHECK_EQ_INT(loss.keyframes, 0);
  CHECK_EQ_INT(loss.unknown, 0);
  CHECK_EQ_INT(loss.last_seq, 4);
  CHECK(!brtc_h264_assembler_take_loss(a, &loss));
  CHECK_EQ_INT(brtc_h264_assembler_deadline(a), 0);
  brtc_h264_assembler_free(a);
}

/* Joining a stream in the middle of a unit: the partial unit is not handed out. */
static void test_assembler_join_late(void) {
  const size_t sizes[] = {5000, 3000, 3000};
  static stream s;
  make_stream(&s, sizes, 3, 7, MTU);
  brtc_h264_assembler *a = brtc_h264_assembler_new();
  static got g;
  memset(&g, 0, sizeof g);
  for (size_t i = 2; i < s.pk.n; i++) {
    brtc_h264_assembler_push(a, &s.pk.hd[i], 0);
    pop_all(a, &g);
  }
  CHECK_EQ_INT(g.frames, 2);
  CHECK_EQ_INT(g.ts[0], s.au_ts[1]);
  brtc_h264_assembler_free(a);
  free_stream(&s);
}

/* The owner does not pop: units wait, the oldest go once the queue is full, counted. */
static void test_assembler_unread(void) {
  brtc_h264_assembler *a = brtc_h264_assembler_new();
  const uint8_t p_slice[] = {0x41, 0x9A};
  for (int i = 0; i < BRTC_H264_MAX_READY + 8; i++)
    push(a, (uint16_t)i, (uint32_t)i * 3000, true, p_slice, sizeof p_slice);
  CHECK_EQ_INT(brtc_h264_assembler_ready(a), BRTC_H264_MAX_READY);
  const brtc_h264_assembler_stats *st = brtc_h264_assembler_get_stats(a);
  CHECK_EQ_INT(st->frames_unread, 8);
  brtc_h264_frame f;
  CHECK_EQ_INT(brtc_h264_assembler_pop(a, frame_buf, sizeof frame_buf, &f), BRTC_OK);
  CHECK_EQ_INT(f.timestamp, 8 * 3000);
  brtc_h264_assembler_reset(a);
  CHECK_EQ_INT(brtc_h264_assembler_ready(a), 0);
  /* A window's worth of packets on while a unit waits: it goes, it cannot be kept. */
  push(a, 0, 0, true, p_slice, sizeof p_slice);
  for (int i = 1; i <= BRTC_H264_REORDER_WINDOW + 1; i++)
    push(a, (uint16_t)i, 3000, false, p_slice, sizeof p_slice);
  CHECK(brtc_h264_assembler_get_stats(a)->frames_unread >= 1);
  brtc_h264_assembler_free(a);
}

/* A unit missing a packet, then the window passes it by. A sender that restarts its
 * sequence numbers far back is followed. */
static void test_assembler_window_and_restart(void) {
  brtc_h264_assembler *a = brtc_h264_assembler_new();
  const uint8_t s[] = {0x41, 0x9A};    /* first_mb_in_slice 0: begins a picture */
  const uint8_t mid[] = {0x41, 0x30};  /* first_mb_in_slice 5 */
  push(a, 100, 0, true, s, sizeof s);
  push(a, 102, 3000, true, mid, sizeof mid); /* 101 lost: where 102's unit starts is unknown */
  CHECK_EQ_INT(brtc_h264_assembler_ready(a), 1);
  for (int i = 0; i < BRTC_H264_REORDER_WINDOW; i++)
    push(a, (uint16_t)(103 + i), 6000, false, mid, sizeof mid);
  CHECK(brtc_h264_assembler_get_stats(a)->frames_dropped >= 1);
  /* A restart far behind: after 64 such packets, taken as a new stream. */
  CHECK_EQ_INT(brtc_h264_assembler_ready(a), 0); /* 100 was never popped: gone with the window */
  CHECK_EQ_INT(brtc_h264_assembler_get_stats(a)->frames_unread, 1);
  for (int i = 0; i < 70; i++)
    push(a, (uint16_t)(60000 + i), 9000 + (uint32_t)i, true, s, sizeof s);
  CHECK_EQ_INT(brtc_h264_assembler_ready(a), 7); /* the 64th and after: a new stream */
  CHECK(brtc_h264_assembler_memory(a) < 2 * 1024 * 1024);
  brtc_h264_assembler_free(a);
}

int main(void) {
  RUN(test_annexb_scan);
  RUN(test_first_mb);
  RUN(test_packetize_single_and_marker);
  RUN(test_packetize_stap_a_then_fu_a);
  RUN(test_packetize_mtu_edges);
  RUN(test_packetize_repeats_parameter_sets);
  RUN(test_packetize_errors);
  RUN(test_assembler_single_stap_fu);
  RUN(test_assembler_bad_packets);
  RUN(test_assembler_stap_zero_length_unit);
  RUN(test_assembler_fu_a_nesting);
  RUN(test_assembler_no_marker);
  RUN(test_assembler_inserts_parameter_sets);
  RUN(test_round_trip_sizes);
  RUN(test_round_trip_shuffle_dup_drop);
  RUN(test_assembler_loss);
  RUN(test_assembler_wait);
  RUN(test_assembler_idr_supersedes);
  RUN(test_assembler_join_late);
  RUN(test_assembler_unread);
  RUN(test_assembler_window_and_restart);
  return TEST_REPORT();
}
