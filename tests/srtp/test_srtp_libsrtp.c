/* libsrtp2 as an oracle, for both profiles, RTP and RTCP: what we protect libsrtp
 * unprotects to the original, what libsrtp protects we unprotect, and both produce the same
 * bytes for the same input. Packets carry CSRCs and header extensions, and the sequence
 * crosses the ROC rollover on two interleaved SSRCs. */
#include <srtp2/srtp.h>

#include "boltrtc/error.h"
#include "srtp/srtp.h"
#include "srtp_test_util.h"
#include "testing.h"

static const uint8_t k_master[30] = {0x3c,
                                     0x7a,
                                     0x11,
                                     0x92,
                                     0x05,
                                     0xe8,
                                     0x61,
                                     0x4d,
                                     0xb0,
                                     0x2f,
                                     0x99,
                                     0x13,
                                     0x7e,
                                     0xc4,
                                     0x58,
                                     0x21,
                                     /* salt */ 0xd0,
                                     0x0d,
                                     0xfe,
                                     0xed,
                                     0x12,
                                     0x34,
                                     0x56,
                                     0x78,
                                     0x9a,
                                     0xbc,
                                     0xde,
                                     0xf0,
                                     0x0f,
                                     0x1e};

typedef struct peers {
  brtc_srtp *our_tx, *our_rx;
  srtp_t lib_tx, lib_rx;
  size_t salt_len;
} peers;

static srtp_t lib_session(bool gcm, srtp_ssrc_type_t type, bool rtcp_encrypt) {
  srtp_policy_t pol;
  memset(&pol, 0, sizeof pol);
  if (gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
  }
  if (!rtcp_encrypt) pol.rtcp.sec_serv = sec_serv_auth;
  pol.ssrc.type = type;
  pol.key = (unsigned char *)k_master; /* key || salt, as libsrtp wants them */
  pol.window_size = BRTC_SRTP_REPLAY_WINDOW;
  srtp_t s = NULL;
  CHECK_EQ_INT(srtp_create(&s, &pol), srtp_err_status_ok);
  return s;
}

static peers peers_new(brtc_srtp_profile_id profile) {
  bool gcm = profile == BRTC_SRTP_PROFILE_AEAD_AES_128_GCM;
  peers p;
  p.salt_len = gcm ? 12 : 14;
  p.our_tx = brtc_srtp_new(profile, BRTC_SRTP_OUTBOUND, k_master, 16, k_master + 16, p.salt_len);
  p.our_rx = brtc_srtp_new(profile, BRTC_SRTP_INBOUND, k_master, 16, k_master + 16, p.salt_len);
  p.lib_tx = lib_session(gcm, ssrc_any_outbound, true);
  p.lib_rx = lib_session(gcm, ssrc_any_inbound, true);
  CHECK(p.our_tx && p.our_rx && p.lib_tx && p.lib_rx);
  return p;
}

static void peers_free(peers *p) {
  brtc_srtp_free(p->our_tx);
  brtc_srtp_free(p->our_rx);
  if (p->lib_tx) srtp_dealloc(p->lib_tx);
  if (p->lib_rx) srtp_dealloc(p->lib_rx);
}

/* One RTP packet through all four directions. */
static void exchange_rtp(peers *p, const uint8_t *plain, size_t len) {
  uint8_t ours[2048], theirs[2048];
  size_t ours_len = 0, n = 0;
  int theirs_len = (int)len;
  memcpy(ours, plain, len);
  memcpy(theirs, plain, len);
  CHECK_EQ_INT(brtc_srtp_protect(p->our_tx, ours, len, sizeof ours, &ours_len), BRTC_OK);
  CHECK_EQ_INT(srtp_protect(p->lib_tx, theirs, &theirs_len), srtp_err_status_ok);
  CHECK_EQ_INT(ours_len, theirs_len);
  CHECK_MEM(ours, theirs, ours_len);

  int lib_len = (int)ours_len;
  CHECK_EQ_INT(srtp_unprotect(p->lib_rx, ours, &lib_len), srtp_err_status_ok);
  CHECK_EQ_INT(lib_len, len);
  CHECK_MEM(ours, plain, len);
  CHECK_EQ_INT(brtc_srtp_unprotect(p->our_rx, theirs, (size_t)theirs_len, &n), BRTC_OK);
  CHECK_EQ_INT(n, len);
  CHECK_MEM(theirs, plain, len);
}

static void exchange_rtcp(peers *p, const uint8_t *plain, size_t len) {
  uint8_t ours[2048], theirs[2048];
  size_t ours_len = 0, n = 0;
  int theirs_len = (int)len;
  memcpy(ours, plain, len);
  memcpy(theirs, plain, len);
  CHECK_EQ_INT(brtc_srtcp_protect(p->our_tx, ours, len, sizeof ours, &ours_len), BRTC_OK);
  CHECK_EQ_INT(srtp_protect_rtcp(p->lib_tx, theirs, &theirs_len), srtp_err_status_ok);
  CHECK_EQ_INT(ours_len, theirs_len);
  CHECK_MEM(ours, theirs, ours_len);

  int lib_len = (int)ours_len;
  CHECK_EQ_INT(srtp_unprotect_rtcp(p->lib_rx, ours, &lib_len), srtp_err_status_ok);
  CHECK_EQ_INT(lib_len, len);
  CHECK_MEM(ours, plain, len);
  CHECK_EQ_INT(brtc_srtcp_unprotect(p->our_rx, theirs, (size_t)theirs_len, &n), BRTC_OK);
  CHECK_EQ_INT(n, len);
  CHECK_MEM(theirs, plain, len);
}

static void run_profile(brtc_srtp_profile_id profile) {
  peers p = peers_new(profile);
  if (!(p.our_tx && p.our_rx && p.lib_tx && p.lib_rx)) {
    peers_free(&p);
    return;
  }
  /* Header shapes: {CSRC count, extension words (-1: none)}. */
  const int shapes[][2] = {{0, -1}, {2, -1}, {0, 1}, {3, 4}, {15, 0}, {1, 2}};
  const size_t payloads[] = {0, 1, 15, 16, 17, 160, 333, 1200};
  uint8_t pkt[2048];
  for (int i = 0; i < 200; i++) {
    /* Two SSRCs, each from seq 65436 across the wrap to 64. */
    uint16_t seq = (uint16_t)(65436 + i / 2);
    uint32_t ssrc = i % 2 ? 0x0badcafe : 0x11223344;
    const int *shape = shapes[i % 6];
    size_t len = build_rtp(pkt, seq, ssrc, shape[0], shape[1], payloads[i % 8], (uint8_t)i);
    exchange_rtp(&p, pkt, len);
  }
  for (int i = 0; i < 40; i++) {
    uint32_t ssrc = i % 2 ? 0x0badcafe : 0x11223344;
    size_t len = build_rtcp(pkt, ssrc, (size_t)(4 * (i % 9)), (uint8_t)i);
    exchange_rtcp(&p, pkt, len);
  }
  peers_free(&p);
}

static void test_cm_against_libsrtp(void) { run_profile(BRTC_SRTP_PROFILE_AES128_CM_SHA1_80); }
static void test_gcm_against_libsrtp(void) { run_profile(BRTC_SRTP_PROFILE_AEAD_AES_128_GCM); }

/* libsrtp sends authenticated-only SRTCP (E = 0); we accept it and leave it as sent. */
static void run_unencrypted_rtcp(brtc_srtp_profile_id profile) {
  bool gcm = profile == BRTC_SRTP_PROFILE_AEAD_AES_128_GCM;
  srtp_t lib_tx = lib_session(gcm, ssrc_any_outbound, false);
  brtc_srtp *rx =
      brtc_srtp_new(profile, BRTC_SRTP_INBOUND, k_master, 16, k_master + 16, gcm ? 12 : 14);
  CHECK(lib_tx && rx);
  if (lib_tx && rx) {
    for (int i = 0; i < 5; i++) {
      uint8_t plain[64], pkt[128];
      size_t len = build_rtcp(plain, 0x42, 20, (uint8_t)i), n = 0;
      memcpy(pkt, plain, len);
      int lib_len = (int)len;
      CHECK_EQ_INT(srtp_protect_rtcp(lib_tx, pkt, &lib_len), srtp_err_status_ok);
      CHECK_MEM(pkt, plain, len); /* not encrypted */
      uint8_t copy[128];
      memcpy(copy, pkt, (size_t)lib_len);
      CHECK_EQ_INT(brtc_srtcp_unprotect(rx, pkt, (size_t)lib_len, &n), BRTC_OK);
      CHECK_EQ_INT(n, len);
      CHECK_MEM(pkt, plain, len);
      CHECK_EQ_INT(brtc_srtcp_unprotect(rx, copy, (size_t)lib_len, &n), BRTC_ERR_REPLAY);
    }
  }
  if (lib_tx) srtp_dealloc(lib_tx);
  brtc_srtp_free(rx);
}

static void test_unencrypted_rtcp_from_libsrtp(void) {
  run_unencrypted_rtcp(BRTC_SRTP_PROFILE_AES128_CM_SHA1_80);
  run_unencrypted_rtcp(BRTC_SRTP_PROFILE_AEAD_AES_128_GCM);
}

int main(void) {
  CHECK_EQ_INT(srtp_init(), srtp_err_status_ok);
  RUN(test_cm_against_libsrtp);
  RUN(test_gcm_against_libsrtp);
  RUN(test_unencrypted_rtcp_from_libsrtp);
  srtp_shutdown();
  return TEST_REPORT();
}
