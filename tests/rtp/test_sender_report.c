/* Sender reports (RFC 3550 6.4.1): NTP and RTP time of one instant from a known mapping, the
 * compound with SDES CNAME (6.1) byte for byte, intervals (6.3.1), RTT from LSR/DLSR. */
#include "boltrtc/error.h"
#include "common/bytes.h"
#include "rtp/ntp.h"
#include "rtp/rtcp.h"
#include "rtp/sender_report.h"
#include "testing.h"

/* The owner read wall time 1,700,000,000 s when its monotonic clock read 100 s. */
#define UNIX_US (1700000000ull * 1000000u)
#define MONO_US 100000000ull

static void setup(brtc_rtp_sender *s, brtc_sender_report *r) {
  brtc_rtp_sender_config c;
  brtc_rtp_sender_config_init(&c);
  c.ssrc = 0x01020304;
  c.timestamp_offset = 1000;
  c.ntp_offset_us = brtc_ntp_offset_us(UNIX_US, MONO_US);
  CHECK_EQ_INT(brtc_rtp_sender_init(s, &c), BRTC_OK);
  brtc_sender_report_config rc = {.ssrc = c.ssrc, .cname = "abcdefgh", .ntp_offset_us =
                                  c.ntp_offset_us, .seed = 7};
  CHECK_EQ_INT(brtc_sender_report_init(r, &rc), BRTC_OK);
}

static void test_report_bytes(void) {
  brtc_rtp_sender s;
  brtc_sender_report r;
  setup(&s, &r);
  uint8_t out[256];
  size_t len = 0;
  /* Nothing to map before media. */
  CHECK(brtc_sender_report_deadline(&r) == UINT64_MAX);
  CHECK_EQ_INT(brtc_sender_report_write(&r, &s, MONO_US, NULL, 0, false, out, sizeof out, &len),
               BRTC_ERR_STATE);
  brtc_sender_report_on_media(&r, MONO_US);
  CHECK(brtc_sender_report_deadline(&r) == MONO_US + 500000); /* half an interval */
  brtc_rtp_sender_count(&s, BRTC_RTP_SEND_MEDIA, 1212, 12, MONO_US);
  brtc_rtp_sender_count(&s, BRTC_RTP_SEND_MEDIA, 112, 12, MONO_US);
  /* At monotonic 102.5 s: wall 1,700,000,002.5 s; media clock 1000 + 102.5 s x 90 kHz. */
  uint64_t now = MONO_US + 2500000;
  CHECK_EQ_INT(brtc_sender_report_write(&r, &s, now, NULL, 0, false, out, sizeof out, &len),
               BRTC_OK);
  uint32_t secs = (uint32_t)(1700000002ull + BRTC_NTP_UNIX_EPOCH_S);
  uint32_t rtp = 1000u + 9225000u;
  const uint8_t want[] = {
      0x80, 0xC8, 0x00, 0x06,                         /* SR, RC 0, 7 words */
      0x01, 0x02, 0x03, 0x04,                         /* SSRC */
      (uint8_t)(secs >> 24), (uint8_t)(secs >> 16), (uint8_t)(secs >> 8), (uint8_t)secs,
      0x80, 0x00, 0x00, 0x00,                         /* .5 s */
      (uint8_t)(rtp >> 24), (uint8_t)(rtp >> 16), (uint8_t)(rtp >> 8), (uint8_t)rtp,
      0x00, 0x00, 0x00, 0x02,                         /* packets */
      0x00, 0x00, 0x05, 0x14,                         /* payload octets: 1200 + 100 */
      0x81, 0xCA, 0x00, 0x04,                         /* SDES, 1 chunk, 5 words */
      0x01, 0x02, 0x03, 0x04, 0x01, 0x08,             /* SSRC, CNAME, 8 bytes */
      'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 0x00, 0x00, /* end of items, to a word */
  };
  CHECK_EQ_INT(len, sizeof want);
  CHECK_MEM(out, want, sizeof want);
  CHECK_EQ_INT(brtc_rtcp_parse(out, len, NULL, NULL), BRTC_OK);
  /* Next one 0.5 to 1.5 s later. */
  uint64_t next = brtc_sender_report_deadline(&r);
  CHECK(next >= now + 500000 && next <= now + 1500000);

  /* With the owner's reception blocks, and a BYE. */
  brtc_rtcp_report_block b = {.ssrc = 0x99, .fraction_lost = 3};
  CHECK_EQ_INT(brtc_sender_report_write(&r, &s, now, &b, 1, true, out, sizeof out, &len),
               BRTC_OK);
  CHECK_EQ_INT(len, 52 + 20 + 8);
  CHECK(out[0] == 0x81 && out[52] == 0x81 && out[53] == 0xCA && out[73] == 0xCB);
  CHECK_EQ_INT(brtc_sender_report_write(&r, &s, now, NULL, 0, false, out, 40, &len),
               BRTC_ERR_TOO_BIG);
}

static void test_intervals(void) {
  brtc_rtp_sender s;
  brtc_sender_report r;
  setup(&s, &r);
  brtc_sender_report_on_media(&r, 0);
  brtc_sender_report_on_media(&r, 400000); /* only the first schedules */
  CHECK(brtc_sender_report_deadline(&r) == 500000);
  uint8_t out[128];
  size_t len;
  uint64_t now = 500000, lo = UINT64_MAX, hi = 0, sum = 0;
  for (int i = 0; i < 200; i++) {
    brtc_sender_report_write(&r, &s, now, NULL, 0, false, out, sizeof out, &len);
    uint64_t d = brtc_sender_report_deadline(&r) - now;
    lo = d < lo ? d : lo;
    hi = d > hi ? d : hi;
    sum += d;
    now += d;
  }
  CHECK(lo >= 500000 && hi <= 1500000 && hi - lo > 600000); /* spread, RFC 3550 6.3.1 */
  CHECK(sum / 200 > 900000 && sum / 200 < 1100000);
  /* Audio: 5 s. */
  brtc_sender_report_config ac = {.ssrc = 5, .cname = "x", .audio = true, .seed = 3};
  CHECK_EQ_INT(brtc_sender_report_init(&r, &ac), BRTC_OK);
  brtc_sender_report_on_media(&r, 0);
  CHECK(brtc_sender_report_deadline(&r) == 2500000);
  brtc_sender_report_config bad = {.ssrc = 5, .cname = ""};
  CHECK_EQ_INT(brtc_sender_report_init(&r, &bad), BRTC_ERR_INVALID);
}

static void test_rtt_from_echo(void) {
  brtc_rtp_sender s;
  brtc_sender_report r;
  setup(&s, &r);
  brtc_sender_report_on_media(&r, MONO_US);
  uint8_t out[128];
  size_t len;
  uint64_t sent_at = MONO_US + 700000;
  CHECK_EQ_INT(brtc_sender_report_write(&r, &s, sent_at, NULL, 0, false, out, sizeof out, &len),
               BRTC_OK);
  /* The receiver echoes our NTP's middle 32 bits and held it 0.5 s (DLSR 0x8000). */
  brtc_rtcp_report_block b = {.ssrc = 0x01020304,
                              .last_sr = brtc_rd32(out + 10),
                              .delay_since_last_sr = 0x8000,
                              .fraction_lost = 12,
                              .cumulative_lost = 40};
  /* It arrives 620 ms after we sent the SR: RTT = 620 - 500 = 120 ms. */
  CHECK(brtc_sender_report_on_block(&r, &b, sent_at + 620000));
  CHECK(r.rtt.samples == 1 && r.rtt.last_us == 120000);
  CHECK(r.stats.fraction_lost == 12 && r.stats.cumulative_lost == 40);
  /* A second one, 80 ms: min, max, smoothed 7/8. */
  CHECK(brtc_sender_report_on_block(&r, &b, sent_at + 580000));
  CHECK(r.rtt.last_us == 80000 && r.rtt.min_us == 80000 && r.rtt.max_us == 120000);
  CHECK(r.rtt.smoothed_us == (120000 * 7 + 80000) / 8);
  CHECK(r.rtt.total_us == 200000);
  /* Blocks about other SSRCs are not ours; LSR 0 means no SR seen yet; an LSR we never sent
   * is ignored (a peer cannot make up an RTT); DLSR longer than the age clamps to 0. */
  b.ssrc = 0x77;
  CHECK(!brtc_sender_report_on_block(&r, &b, sent_at + 600000));
  b.ssrc = 0x01020304;
  b.last_sr = 0;
  CHECK(brtc_sender_report_on_block(&r, &b, sent_at + 600000));
  b.last_sr = 0x12345678;
  CHECK(brtc_sender_report_on_block(&r, &b, sent_at + 600000));
  b.last_sr = brtc_rd32(out + 10);
  b.delay_since_last_sr = 0x10000; /* 1 s */
  CHECK(brtc_sender_report_on_block(&r, &b, sent_at + 600000));
  CHECK(r.rtt.last_us == 0);
  CHECK(r.rtt.samples == 3);
  CHECK(r.stats.lsr_zero == 1 && r.stats.lsr_unknown == 1 && r.stats.rtt_negative == 1);
}

int main(void) {
  RUN(test_report_bytes);
  RUN(test_intervals);
  RUN(test_rtt_from_echo);
  return TEST_REPORT();
}
