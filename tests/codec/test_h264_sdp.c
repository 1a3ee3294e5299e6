/* H.264 in SDP: profile-level-id (RFC 6184 8.1 Table 5), fmtp parameters, RFC 6184 8.2.2
 * format matching and level negotiation, picking among a real Chromium offer's six H.264
 * payload types, sprop-parameter-sets. */
#include <stdio.h>
#include <stdlib.h>

#include "boltrtc/error.h"
#include "codec/h264_sdp.h"
#include "testing.h"

#ifndef BRTC_RTP_FIXTURES
#define BRTC_RTP_FIXTURES "tests/rtp/fixtures"
#endif

static int profile_of(const char *hex) {
  brtc_h264_profile_level_id p;
  return brtc_h264_profile_level_id_parse(hex, strlen(hex), &p) == BRTC_OK ? (int)p.profile : -1;
}

static int level_of(const char *hex) {
  brtc_h264_profile_level_id p;
  return brtc_h264_profile_level_id_parse(hex, strlen(hex), &p) == BRTC_OK ? p.level : -1;
}

static void test_profile_level_id(void) {
  /* What browsers offer. */
  CHECK_EQ_INT(profile_of("42001f"), BRTC_H264_PROFILE_BASELINE);
  CHECK_EQ_INT(profile_of("42e01f"), BRTC_H264_PROFILE_CONSTRAINED_BASELINE);
  CHECK_EQ_INT(profile_of("42E01F"), BRTC_H264_PROFILE_CONSTRAINED_BASELINE);
  CHECK_EQ_INT(profile_of("4d001f"), BRTC_H264_PROFILE_MAIN);
  CHECK_EQ_INT(profile_of("640c1f"), BRTC_H264_PROFILE_CONSTRAINED_HIGH);
  CHECK_EQ_INT(profile_of("64001f"), BRTC_H264_PROFILE_HIGH);
  CHECK_EQ_INT(profile_of("640834"), BRTC_H264_PROFILE_PROGRESSIVE_HIGH);
  CHECK_EQ_INT(level_of("42e01f"), 31);
  CHECK_EQ_INT(level_of("640c34"), 52);
  /* Every row of RFC 6184 Table 5. */
  CHECK_EQ_INT(profile_of("42400a"), BRTC_H264_PROFILE_CONSTRAINED_BASELINE); /* x1xx0000 */
  CHECK_EQ_INT(profile_of("4d800a"), BRTC_H264_PROFILE_CONSTRAINED_BASELINE); /* 1xxx0000 */
  CHECK_EQ_INT(profile_of("58c00a"), BRTC_H264_PROFILE_CONSTRAINED_BASELINE); /* 11xx0000 */
  CHECK_EQ_INT(profile_of("42a00a"), BRTC_H264_PROFILE_BASELINE);             /* x0xx0000 */
  CHECK_EQ_INT(profile_of("58800a"), BRTC_H264_PROFILE_BASELINE);             /* 10xx0000 */
  CHECK_EQ_INT(profile_of("4d500a"), BRTC_H264_PROFILE_MAIN);                 /* 0x0x0000 */
  CHECK_EQ_INT(profile_of("58300a"), BRTC_H264_PROFILE_EXTENDED);             /* 00xx0000 */
  CHECK_EQ_INT(profile_of("6e000a"), BRTC_H264_PROFILE_HIGH_10);
  CHECK_EQ_INT(profile_of("7a000a"), BRTC_H264_PROFILE_HIGH_422);
  CHECK_EQ_INT(profile_of("f4000a"), BRTC_H264_PROFILE_HIGH_444);
  CHECK_EQ_INT(profile_of("6e100a"), BRTC_H264_PROFILE_HIGH_10_INTRA);
  CHECK_EQ_INT(profile_of("7a100a"), BRTC_H264_PROFILE_HIGH_422_INTRA);
  CHECK_EQ_INT(profile_of("f4100a"), BRTC_H264_PROFILE_HIGH_444_INTRA);
  CHECK_EQ_INT(profile_of("2c100a"), BRTC_H264_PROFILE_CAVLC_444_INTRA);
  /* Not in the table: a profile_idc we do not know, reserved bits set. */
  CHECK_EQ_INT(profile_of("53000a"), BRTC_H264_PROFILE_UNKNOWN);
  CHECK_EQ_INT(profile_of("42e30a"), BRTC_H264_PROFILE_UNKNOWN);
  CHECK_EQ_INT(profile_of("64040a"), BRTC_H264_PROFILE_UNKNOWN);
  /* Level 1b: level_idc 11 with constraint_set3 in Baseline/Main, level_idc 9 in High. */
  CHECK_EQ_INT(level_of("42f00b"), BRTC_H264_LEVEL_1B);
  CHECK_EQ_INT(level_of("42100b"), BRTC_H264_LEVEL_1B);
  CHECK_EQ_INT(level_of("4d100b"), BRTC_H264_LEVEL_1B);
  CHECK_EQ_INT(level_of("42e00b"), 11);
  CHECK_EQ_INT(level_of("640009"), BRTC_H264_LEVEL_1B);
  CHECK_EQ_INT(level_of("64100b"), 11); /* set3 means 1b only in Baseline/Main/Extended */
  /* Malformed. */
  CHECK_EQ_INT(level_of("42e0"), -1);
  CHECK_EQ_INT(level_of("42e01f0"), -1);
  CHECK_EQ_INT(level_of("42e01g"), -1);
  CHECK_EQ_INT(level_of("42e0 f"), -1);
  CHECK_EQ_INT(level_of("42e00f"), -1); /* level_idc 15 is no level */
  CHECK_EQ_INT(level_of("42e000"), -1);
  /* 1b sits between 1 and 1.1. */
  CHECK(brtc_h264_level_lower(10, BRTC_H264_LEVEL_1B));
  CHECK(brtc_h264_level_lower(BRTC_H264_LEVEL_1B, 11));
  CHECK(!brtc_h264_level_lower(31, 31));
  CHECK(brtc_h264_level_lower(31, 40));
  CHECK_STR(brtc_h264_profile_name(BRTC_H264_PROFILE_CONSTRAINED_HIGH), "Constrained High");
}

static brtc_h264_fmtp fmtp(const char *s) {
  brtc_h264_fmtp f;
  int rc = brtc_h264_fmtp_parse(s, strlen(s), &f);
  CHECK_EQ_INT(rc, BRTC_OK);
  return f;
}

static void test_fmtp(void) {
  brtc_h264_fmtp f = fmtp("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  CHECK(f.level_asymmetry_allowed);
  CHECK_EQ_INT(f.packetization_mode, 1);
  CHECK(f.has_profile_level_id);
  CHECK_EQ_INT(f.profile_level_id.profile, BRTC_H264_PROFILE_CONSTRAINED_BASELINE);
  /* Spaces, other order, unknown parameters, max-*, sprop. */
  f = fmtp(" profile-level-id = 640c1f ; x-google-start-bitrate=800;packetization-mode=1 ;"
           "max-mbps=108000;max-fs=3600;sprop-parameter-sets=Z0LAHoyNQFIf8REQDwiEag==,aM48gA==;"
           "flag;;");
  CHECK_EQ_INT(f.profile_level_id.profile, BRTC_H264_PROFILE_CONSTRAINED_HIGH);
  CHECK_EQ_INT(f.packetization_mode, 1);
  CHECK(!f.level_asymmetry_allowed);
  CHECK_EQ_INT(f.max_mbps, 108000);
  CHECK_EQ_INT(f.max_fs, 3600);
  CHECK_STR(f.sprop_parameter_sets, "Z0LAHoyNQFIf8REQDwiEag==,aM48gA==");
  /* Nothing: Baseline level 1 (RFC 6184 8.1), packetization-mode 0. */
  f = fmtp("");
  CHECK(!f.has_profile_level_id);
  CHECK_EQ_INT(f.profile_level_id.profile, BRTC_H264_PROFILE_BASELINE);
  CHECK_EQ_INT(f.profile_level_id.level, 10);
  CHECK_EQ_INT(f.packetization_mode, 0);
  /* Refused. */
  brtc_h264_fmtp g;
  const char *bad[] = {"packetization-mode=3", "packetization-mode=", "profile-level-id=42e0",
                       "level-asymmetry-allowed=2", "max-mbps=12x", "max-fs=99999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_EQ_INT(brtc_h264_fmtp_parse(bad[i], strlen(bad[i]), &g), BRTC_ERR_PARSE);
  char longer[400] = "sprop-parameter-sets=";
  memset(longer + strlen(longer), 'A', 300);
  CHECK_EQ_INT(brtc_h264_fmtp_parse(longer, strlen(longer), &g), BRTC_ERR_PARSE);
  /* Written back. */
  char out[128];
  f = fmtp("profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1");
  CHECK_EQ_INT(brtc_h264_fmtp_write(&f, out, sizeof out), BRTC_OK);
  CHECK_STR(out, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  CHECK_EQ_INT(brtc_h264_fmtp_write(&f, out, 20), BRTC_ERR_TOO_BIG);
}

static void test_matching_and_levels(void) {
  brtc_h264_fmtp cb = fmtp("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  brtc_h264_fmtp cb2 = fmtp("packetization-mode=1;profile-level-id=42c00d");
  brtc_h264_fmtp b = fmtp("packetization-mode=1;profile-level-id=42001f");
  brtc_h264_fmtp cb_mode0 = fmtp("profile-level-id=42e01f");
  brtc_h264_fmtp main1 = fmtp("packetization-mode=1;profile-level-id=4d001f");
  brtc_h264_fmtp main2 = fmtp("packetization-mode=1;profile-level-id=4d4028");
  CHECK(brtc_h264_same_format(&cb, &cb2));  /* same profile, another level */
  CHECK(!brtc_h264_same_format(&cb, &b));   /* Constrained Baseline is not Baseline */
  CHECK(!brtc_h264_same_format(&cb, &cb_mode0));
  CHECK(brtc_h264_same_format(&main1, &main2));
  CHECK(!brtc_h264_same_format(&cb, &main1));
  brtc_h264_fmtp unknown1 = fmtp("packetization-mode=1;profile-level-id=53000a");
  brtc_h264_fmtp unknown2 = fmtp("packetization-mode=1;profile-level-id=53001f");
  CHECK(brtc_h264_same_format(&unknown1, &unknown2));
  CHECK(!brtc_h264_same_format(&unknown1, &cb));

  /* Level: both allow asymmetry: ours (what we can receive). */
  brtc_h264_fmtp local = fmtp("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e034");
  brtc_h264_fmtp ans;
  CHECK_EQ_INT(brtc_h264_answer_fmtp(&cb, &local, &ans), BRTC_OK);
  CHECK_EQ_INT(ans.profile_level_id.level, 52);
  CHECK(ans.level_asymmetry_allowed);
  char out[128];
  brtc_h264_fmtp_write(&ans, out, sizeof out);
  CHECK_STR(out, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e034");
  /* The offer does not allow it: the lower of the two. */
  CHECK_EQ_INT(brtc_h264_answer_fmtp(&cb2, &local, &ans), BRTC_OK);
  CHECK_EQ_INT(ans.profile_level_id.level, 13);
  CHECK(!ans.level_asymmetry_allowed);
  brtc_h264_fmtp_write(&ans, out, sizeof out);
  CHECK_STR(out, "packetization-mode=1;profile-level-id=42c00d"); /* the offer's bytes kept */
  brtc_h264_fmtp low = fmtp("packetization-mode=1;profile-level-id=42e00a");
  CHECK_EQ_INT(brtc_h264_answer_fmtp(&cb, &low, &ans), BRTC_OK);
  CHECK_EQ_INT(ans.profile_level_id.level, 10);
  /* Level 1b each way: written with constraint_set3 in Baseline, as 9 in High. */
  brtc_h264_fmtp b1b = fmtp("packetization-mode=1;profile-level-id=42f00b");
  CHECK_EQ_INT(brtc_h264_answer_fmtp(&cb2, &b1b, &ans), BRTC_OK);
  CHECK_EQ_INT(ans.profile_level_id.level, BRTC_H264_LEVEL_1B);
  brtc_h264_fmtp_write(&ans, out, sizeof out);
  CHECK_STR(out, "packetization-mode=1;profile-level-id=42d00b");
  brtc_h264_fmtp h = fmtp("packetization-mode=1;profile-level-id=64001f");
  brtc_h264_fmtp h1b = fmtp("packetization-mode=1;profile-level-id=640009");
  CHECK_EQ_INT(brtc_h264_answer_fmtp(&h, &h1b, &ans), BRTC_OK);
  brtc_h264_fmtp_write(&ans, out, sizeof out);
  CHECK_STR(out, "packetization-mode=1;profile-level-id=640009");
  /* 1b offered, 1.1 ours: 1b is lower. */
  brtc_h264_fmtp m1b = fmtp("packetization-mode=1;profile-level-id=4d100b");
  brtc_h264_fmtp m11 = fmtp("packetization-mode=1;profile-level-id=4d000b");
  CHECK_EQ_INT(brtc_h264_answer_fmtp(&m1b, &m11, &ans), BRTC_OK);
  CHECK_EQ_INT(ans.profile_level_id.level, BRTC_H264_LEVEL_1B);
  CHECK_EQ_INT(brtc_h264_answer_fmtp(&m11, &m1b, &ans), BRTC_OK);
  CHECK_EQ_INT(ans.profile_level_id.level, BRTC_H264_LEVEL_1B);
  CHECK_EQ_INT(brtc_h264_answer_fmtp(&cb, &b, &ans), BRTC_ERR_UNSUPPORTED);
}

/* The H.264 payload types of tests/rtp/fixtures/chrome_offer.sdp, with their fmtp. */
typedef struct offered {
  int pt[16];
  brtc_h264_fmtp f[16];
  size_t n;
} offered;

static void read_chrome_offer(offered *o) {
  memset(o, 0, sizeof(*o));
  FILE *f = fopen(BRTC_RTP_FIXTURES "/chrome_offer.sdp", "r");
  CHECK(f != NULL);
  if (!f) return;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    int pt;
    char rest[900];
    if (strstr(line, " H264/90000") && sscanf(line, "a=rtpmap:%d", &pt) == 1 && o->n < 16)
      o->pt[o->n++] = pt;
    if (sscanf(line, "a=fmtp:%d %899[^\r\n]", &pt, rest) == 2)
      for (size_t i = 0; i < o->n; i++)
        if (o->pt[i] == pt) CHECK_EQ_INT(brtc_h264_fmtp_parse(rest, strlen(rest), &o->f[i]), BRTC_OK);
  }
  fclose(f);
}

static void test_pick_from_chrome_offer(void) {
  offered o;
  read_chrome_offer(&o);
  CHECK_EQ_INT(o.n, 6); /* 42001f, 42e01f, 4d001f, each in mode 1 and mode 0 */
  brtc_h264_choice c;
  /* We want Constrained Baseline in mode 1 most (what a Pi or openh264 sends), then Main. */
  brtc_h264_fmtp local[3] = {
      fmtp("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"),
      fmtp("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d0032"),
      fmtp("level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f"),
  };
  CHECK_EQ_INT(brtc_h264_pick(o.f, o.n, local, 3, &c), BRTC_OK);
  CHECK_EQ_INT(o.pt[c.offered_index], 108);
  CHECK_EQ_INT(c.local_index, 0);
  char out[128];
  brtc_h264_fmtp_write(&c.answer, out, sizeof out);
  CHECK_STR(out, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  /* Main first: 116, at our level 5.0 (asymmetry allowed both ways). */
  CHECK_EQ_INT(brtc_h264_pick(o.f, o.n, local + 1, 2, &c), BRTC_OK);
  CHECK_EQ_INT(o.pt[c.offered_index], 116);
  brtc_h264_fmtp_write(&c.answer, out, sizeof out);
  CHECK_STR(out, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d0032");
  /* Mode 0 only: 114. */
  CHECK_EQ_INT(brtc_h264_pick(o.f, o.n, local + 2, 1, &c), BRTC_OK);
  CHECK_EQ_INT(o.pt[c.offered_index], 114);
  /* High is not offered. */
  brtc_h264_fmtp high = fmtp("packetization-mode=1;profile-level-id=64001f");
  CHECK_EQ_INT(brtc_h264_pick(o.f, o.n, &high, 1, &c), BRTC_ERR_NOT_FOUND);
  CHECK_EQ_INT(brtc_h264_pick(o.f, 0, local, 3, &c), BRTC_ERR_NOT_FOUND);
}

static void test_sprop(void) {
  const uint8_t sps[] = {0x67, 0x42, 0xc0, 0x1e, 0x8c, 0x8d, 0x40, 0x52,
                         0x1f, 0xf1, 0x11, 0x10, 0x0f, 0x08, 0x84, 0x6a};
  const uint8_t pps[] = {0x68, 0xce, 0x3c, 0x80};
  uint8_t s[64], p[64];
  size_t sl, pl;
  CHECK_EQ_INT(brtc_h264_sprop_decode("Z0LAHoyNQFIf8REQDwiEag==,aM48gA==", s, sizeof s, &sl, p,
                                      sizeof p, &pl),
               BRTC_OK);
  CHECK_EQ_INT(sl, sizeof sps);
  CHECK_MEM(s, sps, sizeof sps);
  CHECK_EQ_INT(pl, sizeof pps);
  CHECK_MEM(p, pps, sizeof pps);
  CHECK_EQ_INT(brtc_h264_sprop_decode("aM48gA==", s, sizeof s, &sl, p, sizeof p, &pl), BRTC_OK);
  CHECK_EQ_INT(sl, 0);
  CHECK_EQ_INT(pl, 4);
  CHECK_EQ_INT(brtc_h264_sprop_decode("Z0LAHoyNQFIf8REQDwiEag==", s, 8, &sl, p, sizeof p, &pl),
               BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_h264_sprop_decode("Z0L*HoyN", s, sizeof s, &sl, p, sizeof p, &pl),
               BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_h264_sprop_decode("Z0LAH", s, sizeof s, &sl, p, sizeof p, &pl),
               BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_h264_sprop_decode("ZYiE", s, sizeof s, &sl, p, sizeof p, &pl),
               BRTC_ERR_PARSE); /* an IDR slice is no parameter set */
  CHECK_EQ_INT(brtc_h264_sprop_decode("aM48gA==,", s, sizeof s, &sl, p, sizeof p, &pl),
               BRTC_OK);
  CHECK_EQ_INT(brtc_h264_sprop_decode(",", s, sizeof s, &sl, p, sizeof p, &pl), BRTC_ERR_PARSE);
}

int main(void) {
  RUN(test_profile_level_id);
  RUN(test_fmtp);
  RUN(test_matching_and_levels);
  RUN(test_pick_from_chrome_offer);
  RUN(test_sprop);
  return TEST_REPORT();
}
