/* brtc_srtp_protect_to: protecting from one buffer into another gives the very bytes the
 * in-place protect gives (which the libsrtp2 oracle checks), and leaves the source as it was. */
#include "boltrtc/error.h"
#include "common/bytes.h"
#include "srtp/srtp.h"
#include "testing.h"

static void check_profile(brtc_srtp_profile_id profile, size_t salt_len) {
  const uint8_t key[16] = {0x11, 0x22, 0x33}, salt[14] = {0x44, 0x55};
  brtc_srtp *a = brtc_srtp_new(profile, BRTC_SRTP_OUTBOUND, key, 16, salt, salt_len);
  brtc_srtp *b = brtc_srtp_new(profile, BRTC_SRTP_OUTBOUND, key, 16, salt, salt_len);
  CHECK(a && b);
  uint8_t src[300], keep[300], in_place[400], out[400];
  for (int n = 0; n < 40; n++) {
    /* RTP with an extension block, sequence numbers across the wrap. */
    size_t len = 40 + (size_t)n * 6;
    for (size_t i = 0; i < len; i++) src[i] = (uint8_t)(i * 13 + n);
    src[0] = 0x90;
    src[1] = 96;
    brtc_wr16(src + 2, (uint16_t)(65520 + n));
    brtc_wr32(src + 8, 0xC0FFEE);
    brtc_wr16(src + 12, 0xBEDE);
    brtc_wr16(src + 14, 1);
    memcpy(keep, src, len);
    memcpy(in_place, src, len);
    size_t l1 = 0, l2 = 0;
    CHECK_EQ_INT(brtc_srtp_protect(a, in_place, len, sizeof in_place, &l1), BRTC_OK);
    CHECK_EQ_INT(brtc_srtp_protect_to(b, src, len, out, sizeof out, &l2), BRTC_OK);
    CHECK_EQ_INT(l1, l2);
    CHECK_MEM(in_place, out, l1);
    CHECK_MEM(src, keep, len);
  }
  size_t l = 0;
  CHECK_EQ_INT(brtc_srtp_protect_to(b, src, 100, out, 100, &l), BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_srtp_protect_to(b, src, 5, out, sizeof out, &l), BRTC_ERR_PARSE);
  brtc_srtp_free(a);
  brtc_srtp_free(b);
}

static void test_gcm(void) { check_profile(BRTC_SRTP_PROFILE_AEAD_AES_128_GCM, 12); }
static void test_cm(void) { check_profile(BRTC_SRTP_PROFILE_AES128_CM_SHA1_80, 14); }

int main(void) {
  RUN(test_gcm);
  RUN(test_cm);
  return TEST_REPORT();
}
