/* RTCP compound parse and writers (RFC 3550, RFC 4585, RFC 5104, RFC 5506). */
#include <string.h>

#include "boltrtc/error.h"
#include "rtp/rtcp.h"
#include "testing.h"

typedef struct collected {
  brtc_rtcp_packet p[8];
  size_t n;
} collected;

static void collect(const brtc_rtcp_packet *p, void *user) {
  collected *c = user;
  if (c->n < 8) c->p[c->n++] = *p;
}

/* What Chrome sends as a sender: SR (no blocks) + SDES with a 16-char CNAME. */
static const uint8_t chrome_sr_sdes[] = {
    0x80, 0xC8, 0x00, 0x06,                         /* SR, RC=0, length 6 */
    0x1A, 0x2B, 0x3C, 0x4D,                         /* sender SSRC */
    0xE8, 0x7A, 0x12, 0x34, 0x80, 0x00, 0x00, 0x00, /* NTP */
    0x00, 0x01, 0x5F, 0x90,                         /* RTP ts 90000 */
    0x00, 0x00, 0x00, 0x64,                         /* 100 packets */
    0x00, 0x01, 0x86, 0xA0,                         /* 100000 octets */
    0x81, 0xCA, 0x00, 0x06,                         /* SDES, SC=1, length 6 */
    0x1A, 0x2B, 0x3C, 0x4D, 0x01, 0x10,             /* SSRC, CNAME, 16 bytes */
    'a', 'B', 'c', 'D', 'e', 'F', 'g', 'H', 'i', 'J', 'k', 'L', 'm', 'N', 'o', 'P',
    0x00, 0x00,                                     /* end of items, pad */
};

/* Chrome as a receiver: RR with one block + REMB (PSFB FMT 15). */
static const uint8_t chrome_rr_remb[] = {
    0x81, 0xC9, 0x00, 0x07,                         /* RR, RC=1, length 7 */
    0x00, 0x00, 0x00, 0x01,                         /* sender SSRC */
    0x1A, 0x2B, 0x3C, 0x4D,                         /* source SSRC */
    0x05, 0xFF, 0xFF, 0xFE,                         /* fraction 5, cumulative -2 */
    0x00, 0x01, 0x00, 0x10,                         /* ext highest seq 65552 */
    0x00, 0x00, 0x00, 0x2A,                         /* jitter 42 */
    0x7A, 0x12, 0x34, 0x80,                         /* LSR */
    0x00, 0x01, 0x80, 0x00,                         /* DLSR 1.5 s */
    0x8F, 0xCE, 0x00, 0x05,                         /* PSFB FMT 15, length 5 */
    0x00, 0x00, 0x00, 0x01,                         /* sender SSRC */
    0x00, 0x00, 0x00, 0x00,                         /* media SSRC 0 */
    'R', 'E', 'M', 'B', 0x01, 0x0B, 0xD4, 0x90,     /* 1 SSRC, exp 2, mantissa 0x3D490 */
    0x1A, 0x2B, 0x3C, 0x4D,
};

static void test_chrome_sr_sdes(void) {
  collected c = {0};
  CHECK_EQ_INT(brtc_rtcp_parse(chrome_sr_sdes, sizeof chrome_sr_sdes, collect, &c), BRTC_OK);
  CHECK_EQ_INT(c.n, 2);
  CHECK_EQ_INT(c.p[0].type, BRTC_RTCP_SR);
  CHECK_EQ_INT(c.p[0].sender_ssrc, 0x1A2B3C4D);
  CHECK(c.p[0].ntp == 0xE87A123480000000ull);
  CHECK_EQ_INT(c.p[0].rtp_ts, 90000);
  CHECK_EQ_INT(c.p[0].packet_count, 100);
  CHECK_EQ_INT(c.p[0].octet_count, 100000);
  CHECK_EQ_INT(c.p[0].n_blocks, 0);
  CHECK_EQ_INT(c.p[0].len, 28);
  CHECK_EQ_INT(c.p[1].type, BRTC_RTCP_SDES);
  CHECK_EQ_INT(c.p[1].count_or_fmt, 1);
  CHECK_EQ_INT(c.p[1].sender_ssrc, 0x1A2B3C4D);
  CHECK_EQ_INT(c.p[1].len, 28);
  CHECK(c.p[1].data == chrome_sr_sdes + 28);
}

static void test_chrome_rr_remb(void) {
  collected c = {0};
  CHECK_EQ_INT(brtc_rtcp_parse(chrome_rr_remb, sizeof chrome_rr_remb, collect, &c), BRTC_OK);
  CHECK_EQ_INT(c.n, 2);
  CHECK_EQ_INT(c.p[0].type, BRTC_RTCP_RR);
  CHECK_EQ_INT(c.p[0].n_blocks, 1);
  const brtc_rtcp_report_block *b = &c.p[0].blocks[0];
  CHECK_EQ_INT(b->ssrc, 0x1A2B3C4D);
  CHECK_EQ_INT(b->fraction_lost, 5);
  CHECK_EQ_INT(b->cumulative_lost, -2);
  CHECK_EQ_INT(b->ext_highest_seq, 65552);
  CHECK_EQ_INT(b->jitter, 42);
  CHECK_EQ_INT(b->last_sr, 0x7A123480);
  CHECK_EQ_INT(b->delay_since_last_sr, 98304);
  CHECK_EQ_INT(c.p[1].type, BRTC_RTCP_PSFB);
  CHECK_EQ_INT(c.p[1].count_or_fmt, 15);
  CHECK_EQ_INT(c.p[1].media_ssrc, 0);
  CHECK_EQ_INT(c.p[1].fci_len, 12);
  CHECK_MEM(c.p[1].fci, "REMB", 4);
  uint64_t bps = 0;
  uint32_t ssrcs[4];
  size_t n = 0;
  CHECK_EQ_INT(brtc_rtcp_parse_remb(c.p[1].fci, c.p[1].fci_len, &bps, ssrcs, 4, &n), BRTC_OK);
  CHECK(bps == 1004096); /* 0x3D490 << 2 */
  CHECK_EQ_INT(n, 1);
  CHECK_EQ_INT(ssrcs[0], 0x1A2B3C4D);
}

/* 1,500,000 bps = 187500 << 3: exponent 3, mantissa 0x2DC6C; two SSRCs. */
static const uint8_t remb_1500k[] = {
    0x8F, 0xCE, 0x00, 0x06,         /* PSFB FMT 15, length 6 */
    0x11, 0x22, 0x33, 0x44,         /* sender SSRC */
    0x00, 0x00, 0x00, 0x00,         /* media SSRC 0 */
    'R', 'E', 'M', 'B',
    0x02, 0x0E, 0xDC, 0x6C,         /* 2 SSRCs; 000011 10 1101110001101100 */
    0x1A, 0x2B, 0x3C, 0x4D, 0xCA, 0xFE, 0xBA, 0xBE,
};

static void test_remb_write(void) {
  uint8_t out[64];
  size_t len = 0;
  const uint32_t ssrcs[] = {0x1A2B3C4D, 0xCAFEBABE};
  CHECK_EQ_INT(brtc_rtcp_write_remb(0x11223344, 1500000, ssrcs, 2, out, sizeof out, &len), BRTC_OK);
  CHECK_EQ_INT(len, sizeof remb_1500k);
  CHECK_MEM(out, remb_1500k, sizeof remb_1500k);

  /* 2,500,000 = 156250 << 4: exponent 4, mantissa 0x2625A. */
  CHECK_EQ_INT(brtc_rtcp_write_remb(1, 2500000, ssrcs, 1, out, sizeof out, &len), BRTC_OK);
  CHECK_EQ_INT(len, 24);
  CHECK_EQ_INT(out[3], 5);
  const uint8_t fci_2500k[] = {'R', 'E', 'M', 'B', 0x01, 0x12, 0x62, 0x5A, 0x1A, 0x2B, 0x3C, 0x4D};
  CHECK_MEM(out + 12, fci_2500k, sizeof fci_2500k);

  /* The largest exponent-0 value, then the first that needs exponent 1. */
  CHECK_EQ_INT(brtc_rtcp_write_remb(1, 262143, ssrcs, 1, out, sizeof out, &len), BRTC_OK);
  CHECK_EQ_INT(out[17], 0x03);
  CHECK_EQ_INT(out[18], 0xFF);
  CHECK_EQ_INT(out[19], 0xFF);
  CHECK_EQ_INT(brtc_rtcp_write_remb(1, 262144, ssrcs, 1, out, sizeof out, &len), BRTC_OK);
  CHECK_EQ_INT(out[17], 0x06);
  CHECK_EQ_INT(out[18], 0x00);
  CHECK_EQ_INT(out[19], 0x00);
  CHECK_EQ_INT(brtc_rtcp_write_remb(1, 0, ssrcs, 1, out, sizeof out, &len), BRTC_OK);
  CHECK_EQ_INT(out[17] | out[18] | out[19], 0);

  /* Bad arguments and too little room. */
  CHECK_EQ_INT(brtc_rtcp_write_remb(1, 1000, ssrcs, 0, out, sizeof out, &len), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_rtcp_write_remb(1, 1000, NULL, 1, out, sizeof out, &len), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_rtcp_write_remb(1, 1000, ssrcs, 256, out, sizeof out, &len),
               BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_rtcp_write_remb(1, 1000, ssrcs, 2, out, 27, &len), BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_rtcp_write_remb(1, 1000, ssrcs, 1, NULL, 64, &len), BRTC_ERR_INVALID);
}

static void test_remb_roundtrip(void) {
  /* RR + REMB as one compound, parsed back; values that are not a mantissa << exponent
   * come back rounded down, never up. */
  const uint64_t rates[] = {0, 1, 30000, 262143, 262144, 1000001, 1500000, 2500000,
                            123456789, 10000000000ull, UINT64_MAX};
  const uint32_t ssrcs[] = {0xDEADBEEF, 7, 0x80000000};
  for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
    uint8_t out[128];
    size_t rr_len = 0, remb_len = 0;
    CHECK_EQ_INT(brtc_rtcp_write_rr(5, NULL, 0, out, sizeof out, &rr_len), BRTC_OK);
    CHECK_EQ_INT(brtc_rtcp_write_remb(5, rates[i], ssrcs, 3, out + rr_len, sizeof out - rr_len,
                                      &remb_len),
                 BRTC_OK);
    collected c = {0};
    CHECK_EQ_INT(brtc_rtcp_parse(out, rr_len + remb_len, collect, &c), BRTC_OK);
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_INT(c.p[1].type, BRTC_RTCP_PSFB);
    CHECK_EQ_INT(c.p[1].count_or_fmt, 15);
    CHECK_EQ_INT(c.p[1].sender_ssrc, 5);
    CHECK_EQ_INT(c.p[1].media_ssrc, 0);
    uint64_t bps = 0;
    uint32_t got[3] = {0};
    size_t n = 0;
    CHECK_EQ_INT(brtc_rtcp_parse_remb(c.p[1].fci, c.p[1].fci_len, &bps, got, 3, &n), BRTC_OK);
    CHECK(bps <= rates[i]);
    CHECK(rates[i] - bps <= rates[i] / 131072); /* within one part in 2^17 */
    if (rates[i] < 262144) CHECK(bps == rates[i]);
    CHECK_EQ_INT(n, 3);
    CHECK_MEM(got, ssrcs, sizeof ssrcs);
  }
}

static void test_remb_parse_edges(void) {
  uint64_t bps = 0;
  uint32_t ssrcs[2];
  size_t n = 99;
  const uint8_t *fci = remb_1500k + 12;
  size_t fci_len = sizeof remb_1500k - 12;
  /* Fewer slots than SSRCs: the first ones. */
  CHECK_EQ_INT(brtc_rtcp_parse_remb(fci, fci_len, &bps, ssrcs, 1, &n), BRTC_OK);
  CHECK(bps == 1500000);
  CHECK_EQ_INT(n, 1);
  CHECK_EQ_INT(ssrcs[0], 0x1A2B3C4D);
  CHECK_EQ_INT(brtc_rtcp_parse_remb(fci, fci_len, &bps, NULL, 0, &n), BRTC_OK);
  CHECK_EQ_INT(n, 0);
  /* The SSRC count says more than the packet holds; too short; not 'REMB'. */
  CHECK_EQ_INT(brtc_rtcp_parse_remb(fci, fci_len - 1, &bps, ssrcs, 2, &n), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_rtcp_parse_remb(fci, 7, &bps, ssrcs, 2, &n), BRTC_ERR_PARSE);
  uint8_t other[16];
  memcpy(other, fci, sizeof other);
  other[3] = 'X';
  CHECK_EQ_INT(brtc_rtcp_parse_remb(other, sizeof other, &bps, ssrcs, 2, &n), BRTC_ERR_PARSE);
  /* Exponent 63: 1 << 63 fits, 2 << 63 saturates. */
  const uint8_t big[] = {'R', 'E', 'M', 'B', 0x00, 0xFC, 0x00, 0x01};
  CHECK_EQ_INT(brtc_rtcp_parse_remb(big, sizeof big, &bps, ssrcs, 2, &n), BRTC_OK);
  CHECK(bps == 1ull << 63);
  CHECK_EQ_INT(n, 0);
  const uint8_t huge[] = {'R', 'E', 'M', 'B', 0x00, 0xFC, 0x00, 0x02};
  CHECK_EQ_INT(brtc_rtcp_parse_remb(huge, sizeof huge, &bps, ssrcs, 2, &n), BRTC_OK);
  CHECK(bps == UINT64_MAX);
  CHECK_EQ_INT(brtc_rtcp_parse_remb(NULL, 8, &bps, ssrcs, 2, &n), BRTC_ERR_INVALID);
}

static void test_reduced_size(void) {
  /* RFC 5506: a lone PLI, no RR first. */
  uint8_t pli[12];
  size_t n = 0;
  CHECK_EQ_INT(brtc_rtcp_write_pli(0x11, 0x22, pli, sizeof pli, &n), BRTC_OK);
  const uint8_t expect[] = {0x81, 0xCE, 0x00, 0x02, 0, 0, 0, 0x11, 0, 0, 0, 0x22};
  CHECK_EQ_INT(n, 12);
  CHECK_MEM(pli, expect, 12);
  collected c = {0};
  CHECK_EQ_INT(brtc_rtcp_parse(pli, n, collect, &c), BRTC_OK);
  CHECK_EQ_INT(c.n, 1);
  CHECK_EQ_INT(c.p[0].type, BRTC_RTCP_PSFB);
  CHECK_EQ_INT(c.p[0].count_or_fmt, 1);
  CHECK_EQ_INT(c.p[0].sender_ssrc, 0x11);
  CHECK_EQ_INT(c.p[0].media_ssrc, 0x22);
  CHECK_EQ_INT(c.p[0].fci_len, 0);
}

static void test_malformed(void) {
  uint8_t buf[sizeof chrome_rr_remb + 8];
  collected c = {0};
  memcpy(buf, chrome_rr_remb, sizeof chrome_rr_remb);
  CHECK_EQ_INT(brtc_rtcp_parse(buf, 3, collect, &c), BRTC_ERR_PARSE);
  /* Truncated: the REMB length now overruns. */
  CHECK_EQ_INT(brtc_rtcp_parse(buf, sizeof chrome_rr_remb - 4, collect, &c), BRTC_ERR_PARSE);
  /* Trailing bytes that are not a whole header. */
  CHECK_EQ_INT(brtc_rtcp_parse(buf, sizeof chrome_rr_remb + 2, collect, &c), BRTC_ERR_PARSE);
  CHECK_EQ_INT(c.n, 0); /* nothing delivered from a bad compound */
  /* Version 1 in the second packet. */
  buf[32] = 0x4F;
  CHECK_EQ_INT(brtc_rtcp_parse(buf, sizeof chrome_rr_remb, collect, &c), BRTC_ERR_PARSE);
  buf[32] = 0x8F;
  /* RC=2 but room for one block. */
  buf[0] = 0x82;
  CHECK_EQ_INT(brtc_rtcp_parse(buf, sizeof chrome_rr_remb, collect, &c), BRTC_ERR_PARSE);
  buf[0] = 0x81;
  /* Padding bit on a packet that is not the last. */
  buf[0] = 0xA1;
  CHECK_EQ_INT(brtc_rtcp_parse(buf, sizeof chrome_rr_remb, collect, &c), BRTC_ERR_PARSE);
  buf[0] = 0x81;
  /* Not an RTCP packet type. */
  buf[33] = 0x60;
  CHECK_EQ_INT(brtc_rtcp_parse(buf, sizeof chrome_rr_remb, collect, &c), BRTC_ERR_PARSE);
  buf[33] = 0xCE;
  /* A feedback packet too short for its two SSRCs. */
  const uint8_t short_fb[] = {0x81, 0xCD, 0x00, 0x01, 0, 0, 0, 1};
  CHECK_EQ_INT(brtc_rtcp_parse(short_fb, sizeof short_fb, collect, &c), BRTC_ERR_PARSE);
  CHECK_EQ_INT(c.n, 0);
  CHECK_EQ_INT(brtc_rtcp_parse(buf, sizeof chrome_rr_remb, collect, &c), BRTC_OK);
  CHECK_EQ_INT(c.n, 2);
}

static void test_padding_last(void) {
  /* A BYE padded to 12 bytes, the padding count covering 4 bytes. */
  const uint8_t bye[] = {0xA1, 0xCB, 0x00, 0x02, 0, 0, 0, 7, 0, 0, 0, 4};
  collected c = {0};
  CHECK_EQ_INT(brtc_rtcp_parse(bye, sizeof bye, collect, &c), BRTC_OK);
  CHECK_EQ_INT(c.n, 1);
  CHECK_EQ_INT(c.p[0].sender_ssrc, 7);
  uint8_t bad[sizeof bye];
  memcpy(bad, bye, sizeof bye);
  bad[11] = 12; /* padding would eat the header */
  CHECK_EQ_INT(brtc_rtcp_parse(bad, sizeof bad, collect, &c), BRTC_ERR_PARSE);
  bad[11] = 0;
  CHECK_EQ_INT(brtc_rtcp_parse(bad, sizeof bad, collect, &c), BRTC_ERR_PARSE);
}

static void test_writers_roundtrip(void) {
  uint8_t buf[512];
  size_t off = 0, n = 0;
  brtc_rtcp_report_block blocks[2] = {
      {.ssrc = 5, .fraction_lost = 25, .cumulative_lost = -1, .ext_highest_seq = 70000,
       .jitter = 9, .last_sr = 0x12345678, .delay_since_last_sr = 65536},
      {.ssrc = 6, .cumulative_lost = 0x7FFFFF},
  };
  CHECK_EQ_INT(brtc_rtcp_write_sr(1, 0x0102030405060708ull, 3000, 10, 1000, blocks, 2, buf,
                                  sizeof buf, &n), BRTC_OK);
  CHECK_EQ_INT(n, 28 + 48);
  CHECK_EQ_INT(buf[0], 0x82);
  CHECK_EQ_INT(buf[3], 18);
  /* cumulative -1 is 0xFFFFFF on the wire */
  CHECK_EQ_INT(buf[28 + 5], 0xFF);
  CHECK_EQ_INT(buf[28 + 7], 0xFF);
  off += n;
  CHECK_EQ_INT(brtc_rtcp_write_rr(1, blocks + 1, 1, buf + off, sizeof buf - off, &n), BRTC_OK);
  off += n;
  CHECK_EQ_INT(brtc_rtcp_write_sdes_cname(1, "boltrtc-cname", buf + off, sizeof buf - off, &n),
               BRTC_OK);
  CHECK_EQ_INT(n % 4, 0);
  CHECK_EQ_INT(n, 4 + 4 + 2 + 13 + 1); /* 13 chars + one null = already aligned */
  CHECK_EQ_INT(buf[off + 8], 1);
  CHECK_EQ_INT(buf[off + 9], 13);
  CHECK_MEM(buf + off + 10, "boltrtc-cname", 13);
  CHECK_EQ_INT(buf[off + n - 1], 0);
  off += n;
  CHECK_EQ_INT(brtc_rtcp_write_fir(1, 0xABCD, 3, buf + off, sizeof buf - off, &n), BRTC_OK);
  CHECK_EQ_INT(n, 20);
  off += n;
  CHECK_EQ_INT(brtc_rtcp_write_bye(1, buf + off, sizeof buf - off, &n), BRTC_OK);
  off += n;

  collected c = {0};
  CHECK_EQ_INT(brtc_rtcp_parse(buf, off, collect, &c), BRTC_OK);
  CHECK_EQ_INT(c.n, 5);
  CHECK_EQ_INT(c.p[0].type, BRTC_RTCP_SR);
  CHECK(c.p[0].ntp == 0x0102030405060708ull);
  CHECK_EQ_INT(c.p[0].n_blocks, 2);
  CHECK_EQ_INT(c.p[0].blocks[0].cumulative_lost, -1);
  CHECK_EQ_INT(c.p[0].blocks[0].ext_highest_seq, 70000);
  CHECK_EQ_INT(c.p[0].blocks[0].last_sr, 0x12345678);
  CHECK_EQ_INT(c.p[0].blocks[1].cumulative_lost, 0x7FFFFF);
  CHECK_EQ_INT(c.p[1].type, BRTC_RTCP_RR);
  CHECK_EQ_INT(c.p[1].n_blocks, 1);
  CHECK_EQ_INT(c.p[2].type, BRTC_RTCP_SDES);
  CHECK_EQ_INT(c.p[3].type, BRTC_RTCP_PSFB);
  CHECK_EQ_INT(c.p[3].count_or_fmt, 4);
  CHECK_EQ_INT(c.p[3].media_ssrc, 0);
  CHECK_EQ_INT(c.p[3].fci_len, 8);
  CHECK_EQ_INT(c.p[3].fci[3], 0xCD);
  CHECK_EQ_INT(c.p[3].fci[4], 3);
  CHECK_EQ_INT(c.p[4].type, BRTC_RTCP_BYE);
  CHECK_EQ_INT(c.p[4].sender_ssrc, 1);

  /* Writers refuse to overrun. */
  CHECK_EQ_INT(brtc_rtcp_write_bye(1, buf, 7, &n), BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_rtcp_write_sr(1, 0, 0, 0, 0, blocks, 2, buf, 75, &n), BRTC_ERR_TOO_BIG);
}

static void test_nack_packing(void) {
  uint8_t buf[64];
  size_t n = 0;
  const uint16_t seqs[] = {100, 101, 116};
  CHECK_EQ_INT(brtc_rtcp_write_nack(0x01020304, 0x0A0B0C0D, seqs, 3, buf, sizeof buf, &n),
               BRTC_OK);
  const uint8_t expect[] = {0x81, 0xCD, 0x00, 0x03, 0x01, 0x02, 0x03, 0x04,
                            0x0A, 0x0B, 0x0C, 0x0D, 0x00, 0x64, 0x80, 0x01};
  CHECK_EQ_INT(n, sizeof expect);
  CHECK_MEM(buf, expect, sizeof expect);

  /* 117 is 17 past 100: a second FCI entry. Wrap 65535 -> 0, 1. */
  const uint16_t seqs2[] = {100, 117, 65535, 0, 1};
  CHECK_EQ_INT(brtc_rtcp_write_nack(1, 2, seqs2, 2, buf, sizeof buf, &n), BRTC_OK);
  CHECK_EQ_INT(n, 20);
  CHECK_EQ_INT(buf[3], 4);
  const uint8_t fci2[] = {0x00, 0x64, 0x00, 0x00, 0x00, 0x75, 0x00, 0x00};
  CHECK_MEM(buf + 12, fci2, 8);
  CHECK_EQ_INT(brtc_rtcp_write_nack(1, 2, seqs2 + 2, 3, buf, sizeof buf, &n), BRTC_OK);
  const uint8_t fci3[] = {0xFF, 0xFF, 0x00, 0x03};
  CHECK_EQ_INT(n, 16);
  CHECK_MEM(buf + 12, fci3, 4);

  collected c = {0};
  CHECK_EQ_INT(brtc_rtcp_parse(buf, n, collect, &c), BRTC_OK);
  CHECK_EQ_INT(c.p[0].type, BRTC_RTCP_RTPFB);
  CHECK_EQ_INT(c.p[0].count_or_fmt, 1);
  uint16_t out[32];
  size_t k = brtc_rtcp_nack_seqs(c.p[0].fci, c.p[0].fci_len, out, 32);
  CHECK_EQ_INT(k, 3);
  CHECK_EQ_INT(out[0], 65535);
  CHECK_EQ_INT(out[1], 0);
  CHECK_EQ_INT(out[2], 1);

  /* Decode the known bytes, and respect cap. */
  k = brtc_rtcp_nack_seqs(expect + 12, 4, out, 32);
  CHECK_EQ_INT(k, 3);
  CHECK_EQ_INT(out[0], 100);
  CHECK_EQ_INT(out[1], 101);
  CHECK_EQ_INT(out[2], 116);
  CHECK_EQ_INT(brtc_rtcp_nack_seqs(expect + 12, 4, out, 2), 2);
  CHECK_EQ_INT(brtc_rtcp_nack_seqs(expect + 12, 3, out, 32), 0);

  /* A long run: 40 consecutive seqs need 3 entries (17 + 17 + 6) and survive the trip. */
  uint16_t run[40];
  for (int i = 0; i < 40; i++) run[i] = (uint16_t)(65520 + i);
  CHECK_EQ_INT(brtc_rtcp_write_nack(1, 2, run, 40, buf, sizeof buf, &n), BRTC_OK);
  CHECK_EQ_INT(n, 12 + 12);
  k = brtc_rtcp_nack_seqs(buf + 12, n - 12, out, 32);
  CHECK_EQ_INT(k, 32);
  uint16_t all[64];
  k = brtc_rtcp_nack_seqs(buf + 12, n - 12, all, 64);
  CHECK_EQ_INT(k, 40);
  CHECK_MEM(all, run, sizeof run);
  CHECK_EQ_INT(brtc_rtcp_write_nack(1, 2, run, 0, buf, sizeof buf, &n), BRTC_ERR_INVALID);
}

static void test_report_from_stats(void) {
  brtc_rtp_receiver_stats s;
  brtc_rtp_stats_init(&s, 0xCAFE, 90000);
  /* 1000..1099, four lost (1010, 1020-1022); 1000 spent on probation. */
  for (int i = 0; i < 100; i++) {
    uint16_t seq = (uint16_t)(1000 + i);
    if (seq == 1010 || (seq >= 1020 && seq <= 1022)) continue;
    brtc_rtp_stats_update(&s, seq, (uint32_t)(1800 * i), 20000u * (uint64_t)i);
  }
  brtc_rtp_stats_on_sr(&s, 0x1122334455667788ull, 5000000);
  brtc_rtcp_report_block b;
  brtc_rtcp_report_from_stats(&s, 6500000, &b);
  CHECK_EQ_INT(b.ssrc, 0xCAFE);
  CHECK_EQ_INT(b.ext_highest_seq, 1099);
  CHECK_EQ_INT(b.cumulative_lost, 4);
  CHECK_EQ_INT(b.fraction_lost, 4 * 256 / 99); /* 10 */
  CHECK_EQ_INT(b.jitter, 0);
  CHECK_EQ_INT(b.last_sr, 0x33445566);
  CHECK_EQ_INT(b.delay_since_last_sr, 98304); /* 1.5 s in 1/65536 s */

  /* Next interval: 20 more, none lost -> fraction 0, cumulative unchanged. */
  for (int i = 100; i < 120; i++)
    brtc_rtp_stats_update(&s, (uint16_t)(1000 + i), (uint32_t)(1800 * i), 20000u * (uint64_t)i);
  brtc_rtcp_report_from_stats(&s, 7000000, &b);
  CHECK_EQ_INT(b.fraction_lost, 0);
  CHECK_EQ_INT(b.cumulative_lost, 4);
  CHECK_EQ_INT(b.ext_highest_seq, 1119);

  /* Half of the next 20 lost -> 128/256. */
  for (int i = 120; i < 140; i += 2)
    brtc_rtp_stats_update(&s, (uint16_t)(1000 + i), (uint32_t)(1800 * i), 20000u * (uint64_t)i);
  brtc_rtcp_report_from_stats(&s, 7000000, &b);
  CHECK_EQ_INT(b.ext_highest_seq, 1138);
  CHECK_EQ_INT(b.fraction_lost, 9 * 256 / 19);
  CHECK_EQ_INT(b.cumulative_lost, 13);

  /* Cumulative loss clamps to the 24-bit field. */
  s.cycles = 1000u << 16;
  brtc_rtcp_report_from_stats(&s, 7000000, &b);
  CHECK_EQ_INT(b.cumulative_lost, 0x7FFFFF);
  /* Duplicates can make it negative. */
  brtc_rtp_receiver_stats d;
  brtc_rtp_stats_init(&d, 1, 90000);
  for (int i = 0; i < 5; i++) brtc_rtp_stats_update(&d, (uint16_t)i, 0, 0);
  brtc_rtp_stats_update(&d, 3, 0, 0);
  brtc_rtp_stats_update(&d, 4, 0, 0);
  brtc_rtcp_report_from_stats(&d, 0, &b);
  CHECK_EQ_INT(b.cumulative_lost, -2);
  CHECK_EQ_INT(b.last_sr, 0);
  CHECK_EQ_INT(b.delay_since_last_sr, 0);
}

/* RFC 3611: a sender's SR, then an XR with an unknown block (BT 42), a DLRR block with two
 * sub-blocks (4.5) and a VoIP-metrics-sized block we skip, laid out by the RFC's figures. */
static const uint8_t sr_xr_dlrr[] = {
    0x80, 0xC8, 0x00, 0x06,                         /* SR, RC=0, length 6 */
    0x1A, 0x2B, 0x3C, 0x4D,                         /* sender SSRC */
    0xE8, 0x7A, 0x12, 0x34, 0x80, 0x00, 0x00, 0x00, /* NTP */
    0x00, 0x01, 0x5F, 0x90, 0x00, 0x00, 0x00, 0x64, 0x00, 0x01, 0x86, 0xA0,
    0x80, 0xCF, 0x00, 0x0A,                         /* XR, length 10 */
    0x1A, 0x2B, 0x3C, 0x4D,                         /* SSRC of the sender */
    0x2A, 0x00, 0x00, 0x01, 0xDE, 0xAD, 0xBE, 0xEF, /* BT 42, 1 word of body */
    0x05, 0x00, 0x00, 0x06,                         /* DLRR, 2 sub-blocks (6 words) */
    0x11, 0x11, 0x11, 0x11, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x80, 0x00, /* ssrc 1 */
    0x22, 0x22, 0x22, 0x22, 0x9A, 0xBC, 0xDE, 0xF0, 0x00, 0x01, 0x00, 0x00, /* ssrc 2 */
};

static void test_xr_dlrr(void) {
  collected c = {0};
  CHECK_EQ_INT(brtc_rtcp_parse(sr_xr_dlrr, sizeof(sr_xr_dlrr), collect, &c), BRTC_OK);
  CHECK_EQ_INT(c.n, 2);
  const brtc_rtcp_packet *xr = &c.p[1];
  CHECK_EQ_INT(xr->type, BRTC_RTCP_XR);
  CHECK_EQ_INT(xr->sender_ssrc, 0x1A2B3C4D);
  uint32_t lrr = 0, dlrr = 0;
  CHECK_EQ_INT(brtc_rtcp_xr_dlrr(xr, 0x22222222, &lrr, &dlrr), BRTC_OK);
  CHECK_EQ_INT(lrr, 0x9ABCDEF0);
  CHECK_EQ_INT(dlrr, 0x10000); /* one second */
  CHECK_EQ_INT(brtc_rtcp_xr_dlrr(xr, 0x11111111, &lrr, &dlrr), BRTC_OK);
  CHECK_EQ_INT(lrr, 0x12345678);
  CHECK_EQ_INT(dlrr, 0x8000);
  CHECK_EQ_INT(brtc_rtcp_xr_dlrr(xr, 0x33333333, &lrr, &dlrr), BRTC_ERR_NOT_FOUND);
  uint64_t ntp = 0;
  CHECK_EQ_INT(brtc_rtcp_xr_rrtr(xr, &ntp), BRTC_ERR_NOT_FOUND);
  CHECK_EQ_INT(brtc_rtcp_xr_dlrr(&c.p[0], 1, &lrr, &dlrr), BRTC_ERR_INVALID); /* not an XR */
  /* A block that says it is longer than what is left. */
  uint8_t bad[sizeof(sr_xr_dlrr)];
  memcpy(bad, sr_xr_dlrr, sizeof(bad));
  bad[28 + 8 + 8 + 3] = 0x07;
  c.n = 0;
  CHECK_EQ_INT(brtc_rtcp_parse(bad, sizeof(bad), collect, &c), BRTC_OK); /* the outer is fine */
  CHECK_EQ_INT(brtc_rtcp_xr_dlrr(&c.p[1], 0x11111111, &lrr, &dlrr), BRTC_ERR_PARSE);
  /* An XR too short for its SSRC is a malformed compound. */
  static const uint8_t short_xr[] = {0x80, 0xCF, 0x00, 0x00};
  CHECK_EQ_INT(brtc_rtcp_parse(short_xr, sizeof(short_xr), NULL, NULL), BRTC_ERR_PARSE);
}

static void test_xr_writers(void) {
  uint8_t out[64];
  size_t len = 0;
  CHECK_EQ_INT(brtc_rtcp_write_xr_rrtr(0xCAFEBABE, 0x0102030405060708ull, out, sizeof(out), &len),
               BRTC_OK);
  CHECK_EQ_INT(len, BRTC_RTCP_XR_RRTR_LEN);
  /* RFC 3611 4.4: BT 4, reserved, block length 2, NTP. */
  static const uint8_t want[] = {0x80, 0xCF, 0x00, 0x04, 0xCA, 0xFE, 0xBA, 0xBE, 0x04, 0x00,
                                 0x00, 0x02, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  CHECK_MEM(out, want, sizeof(want));
  collected c = {0};
  CHECK_EQ_INT(brtc_rtcp_parse(out, len, collect, &c), BRTC_OK);
  uint64_t ntp = 0;
  CHECK_EQ_INT(brtc_rtcp_xr_rrtr(&c.p[0], &ntp), BRTC_OK);
  CHECK(ntp == 0x0102030405060708ull);
  CHECK_EQ_INT(brtc_rtcp_write_xr_rrtr(1, 2, out, BRTC_RTCP_XR_RRTR_LEN - 1, &len),
               BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_rtcp_write_xr_dlrr(7, 0xCAFEBABE, 0x03040506, 0x8000, out, sizeof(out), &len),
               BRTC_OK);
  CHECK_EQ_INT(len, 24);
  c.n = 0;
  CHECK_EQ_INT(brtc_rtcp_parse(out, len, collect, &c), BRTC_OK);
  uint32_t lrr = 0, dlrr = 0;
  CHECK_EQ_INT(brtc_rtcp_xr_dlrr(&c.p[0], 0xCAFEBABE, &lrr, &dlrr), BRTC_OK);
  CHECK_EQ_INT(lrr, 0x03040506);
  CHECK_EQ_INT(dlrr, 0x8000);
}

int main(void) {
  RUN(test_chrome_sr_sdes);
  RUN(test_chrome_rr_remb);
  RUN(test_remb_write);
  RUN(test_remb_roundtrip);
  RUN(test_remb_parse_edges);
  RUN(test_reduced_size);
  RUN(test_malformed);
  RUN(test_padding_last);
  RUN(test_writers_roundtrip);
  RUN(test_nack_packing);
  RUN(test_report_from_stats);
  RUN(test_xr_dlrr);
  RUN(test_xr_writers);
  return TEST_REPORT();
}
