/* Opus in RTP (RFC 7587): the TOC byte and frame packing of RFC 6716 3.1-3.4 (every config
 * of Table 2, every code, the R1-R7 rules), timestamps on the sending side, checks on the
 * receiving side, and Chromium's real Opus packets. */
#include <stdio.h>
#include <stdlib.h>

#include "boltrtc/error.h"
#include "codec/opus.h"
#include "rtp/packet_fixture.h"
#include "rtp/rtp.h"
#include "testing.h"

static void test_toc_table(void) {
  /* RFC 6716 Table 2, frame sizes in ms times 48 (2.5 ms = 120 samples). */
  static const uint16_t samples[32] = {480, 960, 1920, 2880, 480, 960, 1920, 2880,
                                       480, 960, 1920, 2880, 480, 960, 480,  960,
                                       120, 240, 480,  960,  120, 240, 480,  960,
                                       120, 240, 480,  960,  120, 240, 480,  960};
  static const brtc_opus_mode modes[32] = {
      BRTC_OPUS_SILK,   BRTC_OPUS_SILK,   BRTC_OPUS_SILK,   BRTC_OPUS_SILK,   BRTC_OPUS_SILK,
      BRTC_OPUS_SILK,   BRTC_OPUS_SILK,   BRTC_OPUS_SILK,   BRTC_OPUS_SILK,   BRTC_OPUS_SILK,
      BRTC_OPUS_SILK,   BRTC_OPUS_SILK,   BRTC_OPUS_HYBRID, BRTC_OPUS_HYBRID, BRTC_OPUS_HYBRID,
      BRTC_OPUS_HYBRID, BRTC_OPUS_CELT,   BRTC_OPUS_CELT,   BRTC_OPUS_CELT,   BRTC_OPUS_CELT,
      BRTC_OPUS_CELT,   BRTC_OPUS_CELT,   BRTC_OPUS_CELT,   BRTC_OPUS_CELT,   BRTC_OPUS_CELT,
      BRTC_OPUS_CELT,   BRTC_OPUS_CELT,   BRTC_OPUS_CELT,   BRTC_OPUS_CELT,   BRTC_OPUS_CELT,
      BRTC_OPUS_CELT,   BRTC_OPUS_CELT};
  static const brtc_opus_bandwidth bws[32] = {
      BRTC_OPUS_NB,  BRTC_OPUS_NB,  BRTC_OPUS_NB,  BRTC_OPUS_NB,  BRTC_OPUS_MB,  BRTC_OPUS_MB,
      BRTC_OPUS_MB,  BRTC_OPUS_MB,  BRTC_OPUS_WB,  BRTC_OPUS_WB,  BRTC_OPUS_WB,  BRTC_OPUS_WB,
      BRTC_OPUS_SWB, BRTC_OPUS_SWB, BRTC_OPUS_FB,  BRTC_OPUS_FB,  BRTC_OPUS_NB,  BRTC_OPUS_NB,
      BRTC_OPUS_NB,  BRTC_OPUS_NB,  BRTC_OPUS_WB,  BRTC_OPUS_WB,  BRTC_OPUS_WB,  BRTC_OPUS_WB,
      BRTC_OPUS_SWB, BRTC_OPUS_SWB, BRTC_OPUS_SWB, BRTC_OPUS_SWB, BRTC_OPUS_FB,  BRTC_OPUS_FB,
      BRTC_OPUS_FB,  BRTC_OPUS_FB};
  for (unsigned c = 0; c < 32; c++) {
    uint8_t pkt[3] = {(uint8_t)(c << 3 | 0x04), 0xAA, 0xBB}; /* stereo, code 0 */
    brtc_opus_packet p;
    CHECK_EQ_INT(brtc_opus_parse(pkt, sizeof pkt, &p), BRTC_OK);
    CHECK_EQ_INT(p.config, c);
    CHECK_EQ_INT(p.frame_samples, samples[c]);
    CHECK_EQ_INT(brtc_opus_frame_samples(pkt[0]), samples[c]);
    CHECK_EQ_INT(p.mode, modes[c]);
    CHECK_EQ_INT(p.bandwidth, bws[c]);
    CHECK(p.stereo);
    CHECK_EQ_INT(p.frames, 1);
    CHECK_EQ_INT(p.duration, samples[c]);
  }
}

static void test_codes_0_1_2(void) {
  brtc_opus_packet p;
  static uint8_t buf[3000];
  /* R1: at least one byte. */
  CHECK_EQ_INT(brtc_opus_parse(buf, 0, &p), BRTC_ERR_PARSE);
  /* Code 0: TOC alone is one empty frame (DTX); R2: at most 1275 bytes. */
  buf[0] = 0x78; /* config 15 (hybrid FB 20 ms), mono, code 0 */
  CHECK_EQ_INT(brtc_opus_parse(buf, 1, &p), BRTC_OK);
  CHECK(p.dtx);
  CHECK_EQ_INT(p.frame_len[0], 0);
  CHECK_EQ_INT(p.duration, 960);
  CHECK_EQ_INT(brtc_opus_parse(buf, 1276, &p), BRTC_OK);
  CHECK(!p.dtx);
  CHECK_EQ_INT(p.frame_len[0], 1275);
  CHECK_EQ_INT(p.frame_offset[0], 1);
  CHECK_EQ_INT(brtc_opus_parse(buf, 1277, &p), BRTC_ERR_PARSE);
  /* Code 1: two frames of the same size; R3: an odd remainder fails. */
  buf[0] = 0x79;
  CHECK_EQ_INT(brtc_opus_parse(buf, 11, &p), BRTC_OK);
  CHECK_EQ_INT(p.frames, 2);
  CHECK_EQ_INT(p.frame_len[1], 5);
  CHECK_EQ_INT(p.frame_offset[1], 6);
  CHECK_EQ_INT(p.duration, 1920);
  CHECK_EQ_INT(brtc_opus_parse(buf, 12, &p), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_opus_parse(buf, 1, &p), BRTC_OK); /* two empty frames */
  CHECK(p.dtx);
  CHECK_EQ_INT(brtc_opus_parse(buf, 2551, &p), BRTC_OK); /* 1275 each */
  CHECK_EQ_INT(brtc_opus_parse(buf, 2553, &p), BRTC_ERR_PARSE); /* 1276 each */
  /* Code 2: the first length in one byte (< 252) or two (252 + 4 * second). */
  buf[0] = 0x7A;
  buf[1] = 10;
  CHECK_EQ_INT(brtc_opus_parse(buf, 2 + 10 + 7, &p), BRTC_OK);
  CHECK_EQ_INT(p.frames, 2);
  CHECK(p.vbr);
  CHECK_EQ_INT(p.frame_len[0], 10);
  CHECK_EQ_INT(p.frame_offset[0], 2);
  CHECK_EQ_INT(p.frame_len[1], 7);
  CHECK_EQ_INT(p.frame_offset[1], 12);
  CHECK_EQ_INT(brtc_opus_parse(buf, 2 + 9, &p), BRTC_ERR_PARSE); /* R4: first overruns */
  buf[1] = 253;
  buf[2] = 2; /* 253 + 8 = 261 */
  CHECK_EQ_INT(brtc_opus_parse(buf, 3 + 261, &p), BRTC_OK);
  CHECK_EQ_INT(p.frame_len[0], 261);
  CHECK_EQ_INT(p.frame_len[1], 0);
  CHECK_EQ_INT(brtc_opus_parse(buf, 2, &p), BRTC_ERR_PARSE); /* second length byte missing */
  buf[1] = 0;
  CHECK_EQ_INT(brtc_opus_parse(buf, 2, &p), BRTC_OK); /* both frames empty */
  CHECK(p.dtx);
  buf[1] = 255;
  buf[2] = 255; /* 1275, then a second frame too long */
  CHECK_EQ_INT(brtc_opus_parse(buf, 3 + 1275 + 1276, &p), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_opus_parse(buf, 3 + 1275 + 1275, &p), BRTC_OK);
}

static void test_code_3(void) {
  brtc_opus_packet p;
  static uint8_t buf[4000];
  memset(buf, 0x55, sizeof buf);
  /* CBR, 3 frames of 20 ms (config 1, SILK NB 20 ms), no padding. */
  buf[0] = 0x0B;
  buf[1] = 0x03;
  CHECK_EQ_INT(brtc_opus_parse(buf, 2 + 30, &p), BRTC_OK);
  CHECK_EQ_INT(p.frames, 3);
  CHECK_EQ_INT(p.frame_len[2], 10);
  CHECK_EQ_INT(p.frame_offset[2], 22);
  CHECK_EQ_INT(p.duration, 3 * 960);
  CHECK(!p.vbr);
  CHECK_EQ_INT(brtc_opus_parse(buf, 2 + 31, &p), BRTC_ERR_PARSE); /* R6: not divisible */
  CHECK_EQ_INT(brtc_opus_parse(buf, 1, &p), BRTC_ERR_PARSE);      /* no count byte */
  /* R5: no frames; more than 120 ms (7 x 20 ms); exactly 120 ms (6 x 20, 48 x 2.5). */
  buf[1] = 0x00;
  CHECK_EQ_INT(brtc_opus_parse(buf, 2, &p), BRTC_ERR_PARSE);
  buf[1] = 0x07;
  CHECK_EQ_INT(brtc_opus_parse(buf, 2 + 7, &p), BRTC_ERR_PARSE);
  buf[1] = 0x06;
  CHECK_EQ_INT(brtc_opus_parse(buf, 2 + 6, &p), BRTC_OK);
  CHECK_EQ_INT(p.duration, BRTC_OPUS_MAX_DURATION);
  buf[0] = 0x83; /* config 16, CELT NB 2.5 ms */
  buf[1] = 48;
  CHECK_EQ_INT(brtc_opus_parse(buf, 2 + 48, &p), BRTC_OK);
  CHECK_EQ_INT(p.frames, 48);
  CHECK_EQ_INT(p.duration, 5760);
  buf[1] = 49;
  CHECK_EQ_INT(brtc_opus_parse(buf, 2 + 49, &p), BRTC_ERR_PARSE);
  /* Padding: 255 means 254 bytes and another length byte; then 3 more. */
  buf[0] = 0x0B;
  buf[1] = 0x40 | 2; /* p, CBR, 2 frames */
  buf[2] = 255;
  buf[3] = 3;
  size_t len = 4 + 2 * 20 + 254 + 3;
  CHECK_EQ_INT(brtc_opus_parse(buf, len, &p), BRTC_OK);
  CHECK_EQ_INT(p.padding, 257);
  CHECK_EQ_INT(p.frame_len[0], 20);
  CHECK_EQ_INT(p.frame_offset[1], 24);
  CHECK_EQ_INT(brtc_opus_parse(buf, 4 + 256, &p), BRTC_ERR_PARSE); /* padding overruns */
  CHECK_EQ_INT(brtc_opus_parse(buf, 3, &p), BRTC_ERR_PARSE);       /* padding length cut */
  /* VBR: 3 frames, lengths 5 and 300 coded, the last what is left. */
  buf[1] = 0x80 | 3;
  buf[2] = 5;
  buf[3] = 252 + (300 - 252) % 4;
  buf[4] = (300 - 252) / 4;
  CHECK_EQ_INT(brtc_opus_parse(buf, 5 + 5 + 300 + 9, &p), BRTC_OK);
  CHECK(p.vbr);
  CHECK_EQ_INT(p.frame_len[0], 5);
  CHECK_EQ_INT(p.frame_len[1], 300);
  CHECK_EQ_INT(p.frame_len[2], 9);
  CHECK_EQ_INT(p.frame_offset[2], 5 + 5 + 300);
  CHECK_EQ_INT(brtc_opus_parse(buf, 5 + 5 + 299, &p), BRTC_ERR_PARSE); /* R7 */
  CHECK_EQ_INT(brtc_opus_parse(buf, 4, &p), BRTC_ERR_PARSE);
  /* VBR with padding; and a last frame above 1275. */
  buf[1] = 0xC0 | 2;
  buf[2] = 4;  /* padding */
  buf[3] = 10; /* first frame */
  CHECK_EQ_INT(brtc_opus_parse(buf, 4 + 10 + 6 + 4, &p), BRTC_OK);
  CHECK_EQ_INT(p.frame_len[1], 6);
  CHECK_EQ_INT(p.padding, 4);
  CHECK_EQ_INT(brtc_opus_parse(buf, 4 + 10 + 1276 + 4, &p), BRTC_ERR_PARSE);
}

static void test_sender(void) {
  brtc_opus_sender s = {.next_timestamp = 0xFFFFFD00u};
  const uint8_t p20[] = {0x78, 0x11, 0x22}; /* 20 ms */
  const uint8_t p60[] = {0x4B, 0x03, 0x11, 0x22, 0x33}; /* 3 x 20 ms SILK WB (config 9) */
  uint32_t ts;
  CHECK_EQ_INT(brtc_opus_sender_stamp(&s, p20, sizeof p20, &ts), BRTC_OK);
  CHECK_EQ_INT(ts, 0xFFFFFD00u);
  CHECK_EQ_INT(brtc_opus_sender_stamp(&s, p60, sizeof p60, &ts), BRTC_OK);
  CHECK_EQ_INT(ts, 0xFFFFFD00u + 960u);
  CHECK_EQ_INT(brtc_opus_sender_stamp(&s, p20, sizeof p20, &ts), BRTC_OK);
  CHECK_EQ_INT(ts, (uint32_t)(0xFFFFFD00u + 960u + 2880u)); /* wrapped */
  /* A bad packet is refused and does not move the clock; DTX silence is skipped over. */
  CHECK_EQ_INT(brtc_opus_sender_stamp(&s, p20, 0, &ts), BRTC_ERR_PARSE);
  brtc_opus_sender_skip(&s, 4800);
  CHECK_EQ_INT(brtc_opus_sender_stamp(&s, p20, sizeof p20, &ts), BRTC_OK);
  CHECK_EQ_INT(ts, (uint32_t)(0xFFFFFD00u + 960u + 2880u + 960u + 4800u));
}

static brtc_rtp_header rtp(uint16_t seq, uint32_t ts, const uint8_t *p, size_t n) {
  brtc_rtp_header h;
  memset(&h, 0, sizeof h);
  h.version = 2;
  h.sequence = seq;
  h.timestamp = ts;
  h.payload = p;
  h.payload_len = n;
  return h;
}

static void test_receiver(void) {
  brtc_opus_receiver r = {0};
  brtc_opus_packet p;
  const uint8_t p20[] = {0x78, 0x11, 0x22}, dtx[] = {0x78}, bad[] = {0x79, 0x11};
  brtc_rtp_header h = rtp(10, 1000, p20, sizeof p20);
  CHECK_EQ_INT(brtc_opus_receiver_push(&r, &h, &p), BRTC_OK);
  h = rtp(11, 1960, dtx, sizeof dtx);
  CHECK_EQ_INT(brtc_opus_receiver_push(&r, &h, &p), BRTC_OK);
  CHECK(p.dtx);
  h = rtp(12, 2920 + 9600, p20, sizeof p20); /* 200 ms of silence not sent */
  CHECK_EQ_INT(brtc_opus_receiver_push(&r, &h, &p), BRTC_OK);
  h = rtp(15, 2920 + 9600 + 3 * 960, p20, sizeof p20); /* two lost */
  CHECK_EQ_INT(brtc_opus_receiver_push(&r, &h, &p), BRTC_OK);
  h = rtp(16, 2920 + 9600 + 3 * 960 + 480, p20, sizeof p20); /* half a packet on */
  CHECK_EQ_INT(brtc_opus_receiver_push(&r, &h, &p), BRTC_OK);
  h = rtp(14, 0, p20, sizeof p20);
  CHECK_EQ_INT(brtc_opus_receiver_push(&r, &h, &p), BRTC_ERR_AGAIN);
  h = rtp(17, 0, NULL, 0);
  CHECK_EQ_INT(brtc_opus_receiver_push(&r, &h, &p), BRTC_ERR_AGAIN);
  h = rtp(18, 0, bad, sizeof bad);
  CHECK_EQ_INT(brtc_opus_receiver_push(&r, &h, &p), BRTC_ERR_PARSE);
  CHECK_EQ_INT(r.stats.packets, 8);
  CHECK_EQ_INT(r.stats.dtx, 1);
  CHECK_EQ_INT(r.stats.silence_gaps, 1);
  CHECK_EQ_INT(r.stats.lost, 2);
  CHECK_EQ_INT(r.stats.timestamp_errors, 1);
  CHECK_EQ_INT(r.stats.late, 1);
  CHECK_EQ_INT(r.stats.empty, 1);
  CHECK_EQ_INT(r.stats.bad, 1);
}

/* Chromium's Opus (tests/rtp/fixtures/chrome_rtp_audio.bin): every packet valid, 20 ms, and
 * the timestamps move by exactly what each plays. */
static void test_chrome_packets(void) {
  static packet_fixture audio;
  CHECK(packet_fixture_load(&audio, "chrome_rtp_audio.bin"));
  brtc_opus_receiver r = {0};
  for (size_t i = 0; i < audio.n; i++) {
    brtc_rtp_header h;
    CHECK_EQ_INT(brtc_rtp_parse(audio.pkt[i], audio.len[i], &h), BRTC_OK);
    brtc_opus_packet p;
    CHECK_EQ_INT(brtc_opus_receiver_push(&r, &h, &p), BRTC_OK);
    CHECK_EQ_INT(p.duration, 960);
  }
  CHECK_EQ_INT(audio.n, 100);
  CHECK_EQ_INT(r.stats.bad, 0);
  CHECK_EQ_INT(r.stats.timestamp_errors, 0);
  CHECK_EQ_INT(r.stats.lost, 0);
  packet_fixture_free(&audio);
}

int main(void) {
  RUN(test_toc_table);
  RUN(test_codes_0_1_2);
  RUN(test_code_3);
  RUN(test_sender);
  RUN(test_receiver);
  RUN(test_chrome_packets);
  return TEST_REPORT();
}
