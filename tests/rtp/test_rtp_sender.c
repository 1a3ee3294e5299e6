/* The RTP sender stream: headers byte for byte (RFC 3550 5.1, RFC 8285 4.2), extension rules,
 * RTX (RFC 4588 4), counters. */
#include "boltrtc/error.h"
#include "common/bytes.h"
#include "rtp/ntp.h"
#include "rtp/rtp.h"
#include "rtp/rtp_ext.h"
#include "rtp/rtp_sender.h"
#include "rtp/rtx.h"
#include "testing.h"

#define UNIX_US (1700000000ull * 1000000u)

static void config(brtc_rtp_sender_config *c) {
  brtc_rtp_sender_config_init(c);
  c->ssrc = 0x11223344;
  c->payload_type = 96;
  c->first_seq = 1000;
  c->timestamp_offset = 0x10000000;
  c->ext = (brtc_rtp_ext_ids){.mid = 1, .abs_send_time = 2, .twcc = 3, .abs_capture_time = 4};
  snprintf(c->mid, sizeof c->mid, "v0");
  c->rtx = true;
  c->rtx_ssrc = 0x55667788;
  c->rtx_payload_type = 97;
  c->first_rtx_seq = 7;
  c->ntp_offset_us = brtc_ntp_offset_us(UNIX_US, 0); /* monotonic 0 = that wall time */
}

static void test_first_packet_bytes(void) {
  brtc_rtp_sender_config c;
  config(&c);
  brtc_rtp_sender s;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_OK);
  brtc_rtp_frame f;
  brtc_rtp_sender_begin_frame(&s, 2000000, 2000000, &f); /* captured at 2 s */
  CHECK(f.rtp_timestamp == 0x1002BF20u);                 /* offset + 2 s x 90 kHz */
  CHECK(f.abs_capture_due);
  uint8_t out[256];
  brtc_rtp_written w;
  const uint8_t payload[] = {0xAA, 0xBB, 0xCC, 0xDD};
  CHECK_EQ_INT(brtc_rtp_sender_write(&s, &f, false, payload, 4, out, sizeof out, &w), BRTC_OK);
  const uint8_t want[] = {
      0x90, 0x60, 0x03, 0xE8,             /* V=2 X=1, PT 96, seq 1000 */
      0x10, 0x02, 0xBF, 0x20,             /* timestamp */
      0x11, 0x22, 0x33, 0x44,             /* SSRC */
      0xBE, 0xDE, 0x00, 0x05,             /* one-byte extensions, 5 words */
      0x11, 'v', '0',                     /* mid (id 1, 2 bytes) */
      0x22, 0x00, 0x00, 0x00,             /* abs-send-time (id 2), filled when it leaves */
      0x31, 0x00, 0x00,                   /* transport-wide seq (id 3), likewise */
      0x47, 0xE8, 0xFE, 0x6F, 0x82, 0, 0, 0, 0, /* abs-capture-time (id 4): NTP of 2 s */
      0x00,                               /* padding to a word */
      0xAA, 0xBB, 0xCC, 0xDD,
  };
  CHECK_EQ_INT(w.len, sizeof want);
  CHECK_MEM(out, want, sizeof want);
  CHECK_EQ_INT(w.seq, 1000);
  CHECK_EQ_INT(w.header_len, 36);
  CHECK_EQ_INT(w.slots.abs_send_time, 20);
  CHECK_EQ_INT(w.slots.twcc, 24);

  brtc_rtp_stamp_egress(out, &w.slots, 2500000, 0xBEEF);
  CHECK(out[20] == 0x0A && out[21] == 0x00 && out[22] == 0x00); /* 2.5 s in 6.18 */
  CHECK(out[24] == 0xBE && out[25] == 0xEF);

  /* What a receiver reads back. */
  brtc_rtp_header h;
  CHECK_EQ_INT(brtc_rtp_parse(out, w.len, &h), BRTC_OK);
  CHECK_EQ_INT(h.n_ext, 4);
  char mid[17];
  uint32_t ast;
  uint16_t tw;
  uint64_t cap_ntp;
  bool has_off;
  int64_t off;
  CHECK_EQ_INT(brtc_ext_get_mid(brtc_rtp_find_ext(&h, 1)->data, brtc_rtp_find_ext(&h, 1)->len,
                                mid, sizeof mid), BRTC_OK);
  CHECK_STR(mid, "v0");
  CHECK_EQ_INT(brtc_ext_get_abs_send_time(brtc_rtp_find_ext(&h, 2)->data, 3, &ast), BRTC_OK);
  CHECK_EQ_INT(ast, 0x0A0000);
  CHECK_EQ_INT(brtc_ext_get_twcc(brtc_rtp_find_ext(&h, 3)->data, 2, &tw), BRTC_OK);
  CHECK_EQ_INT(tw, 0xBEEF);
  CHECK_EQ_INT(brtc_ext_get_abs_capture_time(brtc_rtp_find_ext(&h, 4)->data, 8, &cap_ntp,
                                             &has_off, &off), BRTC_OK);
  CHECK(cap_ntp == 0xE8FE6F8200000000ull && !has_off);
  CHECK_EQ_INT(h.payload_len, 4);

  /* The frame's next packet: no abs-capture-time, marker set, next sequence number. */
  CHECK_EQ_INT(brtc_rtp_sender_write(&s, &f, true, payload, 2, out, sizeof out, &w), BRTC_OK);
  const uint8_t want2[] = {0x90, 0xE0, 0x03, 0xE9, 0x10, 0x02, 0xBF, 0x20, 0x11, 0x22,
                           0x33, 0x44, 0xBE, 0xDE, 0x00, 0x03, 0x11, 'v',  '0',  0x22,
                           0x00, 0x00, 0x00, 0x31, 0x00, 0x00, 0x00, 0x00, 0xAA, 0xBB};
  CHECK_EQ_INT(w.len, sizeof want2);
  CHECK_MEM(out, want2, sizeof want2);
}

static void test_plain_header_and_wrap(void) {
  brtc_rtp_sender_config c;
  brtc_rtp_sender_config_init(&c);
  c.ssrc = 1;
  c.first_seq = 65535;
  c.timestamp_offset = 0xFFFFFFF0u;
  c.clock_rate = 48000;
  c.payload_type = 111;
  brtc_rtp_sender s;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_OK);
  brtc_rtp_frame f;
  brtc_rtp_sender_begin_frame(&s, 20000, 20000, &f); /* 20 ms at 48 kHz: 960 ticks, wraps */
  CHECK(f.rtp_timestamp == 0xFFFFFFF0u + 960u);
  CHECK(!f.abs_capture_due);
  uint8_t out[64], p = 7;
  brtc_rtp_written w;
  CHECK_EQ_INT(brtc_rtp_sender_write(&s, &f, true, &p, 1, out, sizeof out, &w), BRTC_OK);
  CHECK_EQ_INT(w.len, 13); /* no extension block at all */
  CHECK(out[0] == 0x80 && out[1] == (0x80 | 111));
  CHECK_EQ_INT(w.seq, 65535);
  CHECK_EQ_INT(w.slots.abs_send_time, 0);
  CHECK_EQ_INT(brtc_rtp_sender_write(&s, &f, false, &p, 1, out, sizeof out, &w), BRTC_OK);
  CHECK_EQ_INT(w.seq, 0);
  CHECK(brtc_rd32(out + 4) == 0x3B0u);
}

static void test_mid_until_acked(void) {
  brtc_rtp_sender_config c;
  config(&c);
  c.ext.abs_capture_time = 0;
  brtc_rtp_sender s;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_OK);
  brtc_rtp_frame f;
  uint8_t out[128], rtx[128], p[3] = {1, 2, 3};
  brtc_rtp_written w, wr;
  brtc_rtp_header h;
  brtc_rtp_sender_begin_frame(&s, 0, 0, &f);
  CHECK_EQ_INT(brtc_rtp_sender_write(&s, &f, true, p, 3, out, sizeof out, &w), BRTC_OK);
  CHECK_EQ_INT(brtc_rtp_parse(out, w.len, &h), BRTC_OK);
  CHECK(brtc_rtp_find_ext(&h, 1) != NULL);

  /* A report block for another SSRC changes nothing; one for ours stops mid. */
  brtc_rtp_sender_on_report_block(&s, 0xDEAD);
  CHECK(!s.media_acked);
  brtc_rtp_sender_on_report_block(&s, c.ssrc);
  CHECK_EQ_INT(brtc_rtp_sender_write(&s, &f, true, p, 3, out, sizeof out, &w), BRTC_OK);
  CHECK_EQ_INT(brtc_rtp_parse(out, w.len, &h), BRTC_OK);
  CHECK(brtc_rtp_find_ext(&h, 1) == NULL);
  CHECK(brtc_rtp_find_ext(&h, 2) != NULL);

  /* The RTX SSRC is bound on its own: its packets carry mid until it is acknowledged. */
  CHECK_EQ_INT(brtc_rtp_sender_write_rtx(&s, out, w.len, rtx, sizeof rtx, &wr), BRTC_OK);
  CHECK_EQ_INT(brtc_rtp_parse(rtx, wr.len, &h), BRTC_OK);
  CHECK(brtc_rtp_find_ext(&h, 1) != NULL && brtc_rtp_find_ext(&h, 1)->len == 2);
  brtc_rtp_sender_on_report_block(&s, c.rtx_ssrc);
  CHECK_EQ_INT(brtc_rtp_sender_write_rtx(&s, out, w.len, rtx, sizeof rtx, &wr), BRTC_OK);
  CHECK_EQ_INT(brtc_rtp_parse(rtx, wr.len, &h), BRTC_OK);
  CHECK(brtc_rtp_find_ext(&h, 1) == NULL);

  /* always_send_mid keeps it. */
  c.always_send_mid = true;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_OK);
  brtc_rtp_sender_on_report_block(&s, c.ssrc);
  CHECK_EQ_INT(brtc_rtp_sender_write(&s, &f, true, p, 3, out, sizeof out, &w), BRTC_OK);
  CHECK_EQ_INT(brtc_rtp_parse(out, w.len, &h), BRTC_OK);
  CHECK(brtc_rtp_find_ext(&h, 1) != NULL);
}

static void test_abs_capture_time_once_a_second(void) {
  brtc_rtp_sender_config c;
  config(&c);
  brtc_rtp_sender s;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_OK);
  brtc_rtp_frame f;
  int due = 0;
  /* 30 fps for 2.5 s: the first frame, then one a second. */
  for (uint64_t t = 0; t < 2500000; t += 33333) {
    brtc_rtp_sender_begin_frame(&s, t, t + 5000, &f);
    due += f.abs_capture_due;
  }
  CHECK_EQ_INT(due, 3);
  c.abs_capture_every_frame = true;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_OK);
  due = 0;
  for (uint64_t t = 0; t < 1000000; t += 33333) {
    brtc_rtp_sender_begin_frame(&s, t, t, &f);
    due += f.abs_capture_due;
  }
  CHECK_EQ_INT(due, 31);
}

static void test_audio_level(void) {
  brtc_rtp_sender_config c;
  brtc_rtp_sender_config_init(&c);
  c.clock_rate = 48000;
  c.ext.audio_level = 5;
  brtc_rtp_sender s;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_OK);
  brtc_rtp_frame f;
  brtc_rtp_sender_begin_frame(&s, 0, 0, &f);
  f.audio_level = 0x80 | 30; /* voice, -30 dBov */
  uint8_t out[64], p = 0;
  brtc_rtp_written w;
  CHECK_EQ_INT(brtc_rtp_sender_write(&s, &f, true, &p, 1, out, sizeof out, &w), BRTC_OK);
  const uint8_t ext[] = {0xBE, 0xDE, 0x00, 0x01, 0x50, 0x9E, 0x00, 0x00};
  CHECK_MEM(out + 12, ext, sizeof ext);
  brtc_rtp_header h;
  bool voice;
  uint8_t level;
  CHECK_EQ_INT(brtc_rtp_parse(out, w.len, &h), BRTC_OK);
  CHECK_EQ_INT(brtc_ext_get_audio_level(brtc_rtp_find_ext(&h, 5)->data, 1, &voice, &level),
               BRTC_OK);
  CHECK(voice && level == 30);
}

static void test_rtx_layout_and_unwrap(void) {
  brtc_rtp_sender_config c;
  config(&c);
  c.always_send_mid = false;
  brtc_rtp_sender s;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_OK);
  brtc_rtp_sender_on_report_block(&s, c.ssrc); /* media has no mid any more */
  brtc_rtp_frame f;
  brtc_rtp_sender_begin_frame(&s, 2000000, 2000000, &f);
  uint8_t orig[128], rtx[128], back[128];
  const uint8_t payload[] = {9, 8, 7, 6, 5};
  brtc_rtp_written w, wr;
  CHECK_EQ_INT(brtc_rtp_sender_write(&s, &f, true, payload, 5, orig, sizeof orig, &w), BRTC_OK);
  brtc_rtp_stamp_egress(orig, &w.slots, 2000000, 41);
  CHECK_EQ_INT(brtc_rtp_sender_write_rtx(&s, orig, w.len, rtx, sizeof rtx, &wr), BRTC_OK);
  const uint8_t want[] = {
      0x90, 0xE1, 0x00, 0x07,       /* marker kept, PT 97, RTX seq 7 */
      0x10, 0x02, 0xBF, 0x20,       /* the original timestamp */
      0x55, 0x66, 0x77, 0x88,       /* RTX SSRC */
      0xBE, 0xDE, 0x00, 0x05,
      0x11, 'v', '0',               /* mid: the RTX SSRC is not acknowledged yet */
      0x22, 0x00, 0x00, 0x00,       /* fresh send-time fields */
      0x31, 0x00, 0x00,
      0x47, 0xE8, 0xFE, 0x6F, 0x82, 0, 0, 0, 0, /* abs-capture-time travels with it */
      0x00,
      0x03, 0xE8,                   /* OSN 1000 (RFC 4588 4) */
      9, 8, 7, 6, 5,
  };
  CHECK_EQ_INT(wr.len, sizeof want);
  CHECK_MEM(rtx, want, sizeof want);
  CHECK_EQ_INT(wr.header_len, 38);
  CHECK_EQ_INT(wr.seq, 7);

  /* Unwrapped, it is the original packet again: header fields, extensions, payload. */
  size_t n = 0;
  CHECK_EQ_INT(brtc_rtx_unwrap(rtx, wr.len, c.ssrc, c.payload_type, back, sizeof back, &n),
               BRTC_OK);
  brtc_rtp_header a, b;
  CHECK_EQ_INT(brtc_rtp_parse(orig, w.len, &a), BRTC_OK);
  CHECK_EQ_INT(brtc_rtp_parse(back, n, &b), BRTC_OK);
  CHECK_EQ_INT(b.sequence, a.sequence);
  CHECK_EQ_INT(b.ssrc, a.ssrc);
  CHECK_EQ_INT(b.payload_type, a.payload_type);
  CHECK(b.marker == a.marker && b.timestamp == a.timestamp);
  CHECK_EQ_INT(b.payload_len, a.payload_len);
  CHECK_MEM(b.payload, a.payload, a.payload_len);
  CHECK(brtc_rtp_find_ext(&b, 4) && !memcmp(brtc_rtp_find_ext(&b, 4)->data,
                                            brtc_rtp_find_ext(&a, 4)->data, 8));

  /* In place, and with the RTX packet's own padding dropped. */
  uint8_t padded[128];
  memcpy(padded, rtx, wr.len);
  padded[0] |= 0x20;
  padded[wr.len] = 0;
  padded[wr.len + 1] = 0;
  padded[wr.len + 2] = 3;
  CHECK_EQ_INT(brtc_rtx_unwrap(padded, wr.len + 3, c.ssrc, 96, padded, sizeof padded, &n),
               BRTC_OK);
  CHECK_EQ_INT(brtc_rtp_parse(padded, n, &b), BRTC_OK);
  CHECK(!b.padding && b.payload_len == 5 && b.sequence == 1000);
  CHECK_MEM(b.payload, payload, 5);

  /* Malformed: too short for an OSN, not RTP, output too small. */
  CHECK_EQ_INT(brtc_rtx_unwrap(rtx, 12 + 4 + 20 + 1, c.ssrc, 96, back, sizeof back, &n),
               BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_rtx_unwrap(payload, 5, c.ssrc, 96, back, sizeof back, &n), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_rtx_unwrap(rtx, wr.len, c.ssrc, 96, back, 10, &n), BRTC_ERR_TOO_BIG);

  /* No RTX negotiated: no RTX packets. */
  c.rtx = false;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_OK);
  CHECK_EQ_INT(brtc_rtp_sender_write_rtx(&s, orig, w.len, rtx, sizeof rtx, &wr), BRTC_ERR_STATE);
}

static void test_counters(void) {
  brtc_rtp_sender_config c;
  config(&c);
  brtc_rtp_sender s;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_OK);
  brtc_rtp_sender_count(&s, BRTC_RTP_SEND_MEDIA, 1200, 36, 10);
  brtc_rtp_sender_count(&s, BRTC_RTP_SEND_MEDIA, 1000, 28, 20);
  brtc_rtp_sender_count(&s, BRTC_RTP_SEND_RTX, 1202, 38, 30);
  brtc_rtp_sender_count(&s, BRTC_RTP_SEND_RESEND, 1000, 28, 40);
  const brtc_rtp_sender_counters *k = &s.counters;
  CHECK_EQ_INT(k->packets, 4);
  CHECK_EQ_INT(k->media_packets, 2);
  CHECK_EQ_INT(k->payload_bytes, 1164 + 972 + 1164 + 972);
  CHECK_EQ_INT(k->header_bytes, 36 + 28 + 38 + 28);
  CHECK_EQ_INT(k->retransmitted_packets, 2);
  CHECK_EQ_INT(k->retransmitted_bytes, 1164 + 972);
  CHECK_EQ_INT(k->rtx_packets, 1);
  CHECK_EQ_INT(k->first_sent_us, 10);
  CHECK_EQ_INT(k->last_sent_us, 40);
}

static void test_bad_configs(void) {
  brtc_rtp_sender_config c;
  brtc_rtp_sender s;
  config(&c);
  c.ext.twcc = 15; /* not in the one-byte form */
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_ERR_INVALID);
  config(&c);
  c.ext.twcc = c.ext.mid;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_ERR_INVALID);
  config(&c);
  c.mid[0] = 0;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_ERR_INVALID);
  config(&c);
  c.rtx_ssrc = c.ssrc;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_ERR_INVALID);
  config(&c);
  c.clock_rate = 0;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_ERR_INVALID);
  config(&c);
  c.payload_type = 128;
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_ERR_INVALID);
  /* Random starts stay in 1..32767. */
  for (int i = 0; i < 200; i++) {
    brtc_rtp_sender_config_init(&c);
    CHECK(c.first_seq >= 1 && c.first_seq <= 32767 && c.rtx_ssrc != c.ssrc);
  }
  /* Output too small. */
  config(&c);
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_OK);
  brtc_rtp_frame f;
  brtc_rtp_sender_begin_frame(&s, 0, 0, &f);
  /* The header may take 36 bytes here (mid, abs-send-time, transport seq, abs-capture-time). */
  CHECK_EQ_INT(brtc_rtp_sender_header_bound(&s), 36);
  uint8_t out[60], p[30] = {0};
  brtc_rtp_written w;
  CHECK_EQ_INT(brtc_rtp_sender_write(&s, &f, false, p, 25, out, sizeof out, &w), BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_rtp_sender_write(&s, &f, false, p, 24, out, sizeof out, &w), BRTC_OK);
  brtc_rtp_sender_on_report_block(&s, c.ssrc); /* mid goes: 3 bytes less, still 32 padded */
  CHECK_EQ_INT(brtc_rtp_sender_header_bound(&s), 32);
  c.ext = (brtc_rtp_ext_ids){0};
  CHECK_EQ_INT(brtc_rtp_sender_init(&s, &c), BRTC_OK);
  CHECK_EQ_INT(brtc_rtp_sender_header_bound(&s), 12);
}

static void test_ext_decoders_reject_bad_lengths(void) {
  const uint8_t v[16] = {1, 2, 3, 4, 5, 6, 7, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0, 0, 0};
  uint32_t t;
  uint16_t q;
  uint64_t ntp;
  bool has, voice;
  int64_t off;
  uint8_t lvl;
  char mid[4];
  CHECK_EQ_INT(brtc_ext_get_abs_send_time(v, 2, &t), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_ext_get_twcc(v, 3, &q), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_ext_get_abs_capture_time(v, 9, &ntp, &has, &off), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_ext_get_abs_capture_time(v, 16, &ntp, &has, &off), BRTC_OK);
  CHECK(has && off == (int64_t)0xFFFFFFFF80000000ull); /* -0.5 s */
  CHECK_EQ_INT(brtc_ext_get_audio_level(v, 2, &voice, &lvl), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_ext_get_mid(v, 0, mid, sizeof mid), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_ext_get_mid(v + 12, 2, mid, sizeof mid), BRTC_ERR_PARSE); /* NUL inside */
  CHECK_EQ_INT(brtc_ext_get_mid(v, 4, mid, sizeof mid), BRTC_ERR_TOO_BIG);
}

int main(void) {
  RUN(test_first_packet_bytes);
  RUN(test_plain_header_and_wrap);
  RUN(test_mid_until_acked);
  RUN(test_abs_capture_time_once_a_second);
  RUN(test_audio_level);
  RUN(test_rtx_layout_and_unwrap);
  RUN(test_counters);
  RUN(test_bad_configs);
  RUN(test_ext_decoders_reject_bad_lengths);
  return TEST_REPORT();
}
