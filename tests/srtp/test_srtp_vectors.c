/* SRTP known-answer tests: RFC 3711 appendix B.2 (AES-CM keystream) and B.3 (key
 * derivation), RFC 7714 sections 16.1 and 17.1 (AEAD_AES_128_GCM, RTP and RTCP), and the
 * reference packets libsrtp validates itself against. */
#include <stdlib.h>

#include "boltrtc/error.h"
#include "srtp/srtp.h"
#include "srtp/srtp_kdf.h"
#include "srtp_test_util.h"
#include "testing.h"

static void test_rfc3711_b3_key_derivation(void) {
  uint8_t mk[16], ms[14], want[94], got[94];
  hex_decode("E1F97A0D3E018BE0D64FA32C06DE4139", mk, sizeof mk);
  hex_decode("0EC675AD498AFEEBB6960B3AABE6", ms, sizeof ms);

  CHECK_EQ_INT(brtc_srtp_kdf(mk, ms, 0, got, 16), BRTC_OK);
  hex_decode("C61E7A93744F39EE10734AFE3FF7A087", want, 16);
  CHECK_MEM(got, want, 16);

  CHECK_EQ_INT(brtc_srtp_kdf(mk, ms, 2, got, 14), BRTC_OK);
  hex_decode("30CBBC08863D8C85D49DB34A9AE1", want, 14);
  CHECK_MEM(got, want, 14);

  CHECK_EQ_INT(brtc_srtp_kdf(mk, ms, 1, got, 94), BRTC_OK);
  CHECK_EQ_INT(hex_decode("CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE"
                          "E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25"
                          "6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2",
                          want, sizeof want),
               94);
  CHECK_MEM(got, want, 94);

  /* The session key set uses the same labels. */
  brtc_srtp_session_keys rtp, rtcp;
  CHECK_EQ_INT(brtc_srtp_derive_session_keys(mk, 16, ms, 14, &rtp, &rtcp), BRTC_OK);
  hex_decode("C61E7A93744F39EE10734AFE3FF7A087", want, 16);
  CHECK_MEM(rtp.key, want, 16);
  hex_decode("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", want, 20);
  CHECK_MEM(rtp.auth_key, want, 20);
  CHECK(memcmp(rtcp.key, rtp.key, 16) != 0);
  CHECK_EQ_INT(brtc_srtp_derive_session_keys(mk, 15, ms, 14, &rtp, &rtcp), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_srtp_derive_session_keys(mk, 16, ms, 13, &rtp, &rtcp), BRTC_ERR_INVALID);
}

/* B.2 through the RTP path: SSRC 0, index 0 and a zero payload make the ciphertext the
 * keystream, so this also checks the IV layout. */
static void test_rfc3711_b2_keystream(void) {
  brtc_srtp_session_keys keys = {0};
  hex_decode("2B7E151628AED2A6ABF7158809CF4F3C", keys.key, 16);
  hex_decode("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", keys.salt, 14);
  brtc_srtp *s = brtc_srtp_new_with_session_keys(BRTC_SRTP_PROFILE_AES128_CM_SHA1_80,
                                                 BRTC_SRTP_OUTBOUND, &keys, &keys);
  CHECK(s != NULL);
  if (!s) return;
  const size_t segment = 1044512; /* 65282 AES blocks */
  size_t cap = 12 + segment + BRTC_SRTP_MAX_TRAILER, out_len = 0;
  uint8_t *pkt = calloc(1, cap);
  CHECK(pkt != NULL);
  if (!pkt) {
    brtc_srtp_free(s);
    return;
  }
  pkt[0] = 0x80; /* seq 0, ssrc 0 */
  CHECK_EQ_INT(brtc_srtp_protect(s, pkt, 12 + segment, cap, &out_len), BRTC_OK);
  CHECK_EQ_INT(out_len, 12 + segment + 10);
  uint8_t want[48];
  hex_decode("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB"
             "41E95B3BB0A2E8DD477901E4FCA894C0",
             want, 48);
  CHECK_MEM(pkt + 12, want, 48);
  hex_decode("EC8CDF7398607CB0F2D21675EA9EA1E4 362B7C3C6773516318A077D7FC5073AE"
             "6A2CC3787889374FBEB4C81B17BA6C44",
             want, 48);
  CHECK_MEM(pkt + 12 + 0xFEFF * 16, want, 48);
  free(pkt);
  brtc_srtp_free(s);
}

/* RFC 7714 publishes session keys: key 00..0f, salt "Quid pro quo". */
static void rfc7714_keys(brtc_srtp_session_keys *k) {
  memset(k, 0, sizeof *k);
  hex_decode("000102030405060708090a0b0c0d0e0f", k->key, 16);
  hex_decode("517569642070726f2071756f", k->salt, 12);
}

static void test_rfc7714_16_rtp(void) {
  uint8_t plain[64], wire[128], pkt[128];
  size_t plain_len = hex_decode("8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f"
                                "6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573",
                                plain, sizeof plain);
  size_t wire_len = hex_decode("8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c"
                               "9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf"
                               "8833899d 7f27beb1 6a9152cf 765ee439 0cce",
                               wire, sizeof wire);
  CHECK_EQ_INT(plain_len, 50);
  CHECK_EQ_INT(wire_len, 66);
  brtc_srtp_session_keys k;
  rfc7714_keys(&k);
  brtc_srtp *tx = brtc_srtp_new_with_session_keys(BRTC_SRTP_PROFILE_AEAD_AES_128_GCM,
                                                  BRTC_SRTP_OUTBOUND, &k, &k);
  brtc_srtp *rx = brtc_srtp_new_with_session_keys(BRTC_SRTP_PROFILE_AEAD_AES_128_GCM,
                                                  BRTC_SRTP_INBOUND, &k, &k);
  CHECK(tx && rx);
  if (tx && rx) {
    size_t n = 0;
    memcpy(pkt, plain, plain_len);
    CHECK_EQ_INT(brtc_srtp_protect(tx, pkt, plain_len, sizeof pkt, &n), BRTC_OK);
    CHECK_EQ_INT(n, wire_len);
    CHECK_MEM(pkt, wire, wire_len); /* 16.1.1 */
    memcpy(pkt, wire, wire_len);
    CHECK_EQ_INT(brtc_srtp_unprotect(rx, pkt, wire_len, &n), BRTC_OK);
    CHECK_EQ_INT(n, plain_len);
    CHECK_MEM(pkt, plain, plain_len); /* 16.1.2 */
    memcpy(pkt, wire, wire_len);
    pkt[20] ^= 1;
    brtc_srtp *rx2 = brtc_srtp_new_with_session_keys(BRTC_SRTP_PROFILE_AEAD_AES_128_GCM,
                                                     BRTC_SRTP_INBOUND, &k, &k);
    CHECK_EQ_INT(brtc_srtp_unprotect(rx2, pkt, wire_len, &n), BRTC_ERR_AUTH);
    brtc_srtp_free(rx2);
  }
  brtc_srtp_free(tx);
  brtc_srtp_free(rx);
}

static void test_rfc7714_17_rtcp(void) {
  uint8_t plain[64], wire[128], pkt[128];
  size_t plain_len = hex_decode("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a"
                                "0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef"
                                "deadbeef",
                                plain, sizeof plain);
  size_t wire_len = hex_decode("81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99"
                               "7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded"
                               "0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4",
                               wire, sizeof wire);
  CHECK_EQ_INT(plain_len, 52);
  CHECK_EQ_INT(wire_len, 72);
  brtc_srtp_session_keys k;
  rfc7714_keys(&k);
  brtc_srtp *tx = brtc_srtp_new_with_session_keys(BRTC_SRTP_PROFILE_AEAD_AES_128_GCM,
                                                  BRTC_SRTP_OUTBOUND, &k, &k);
  brtc_srtp *rx = brtc_srtp_new_with_session_keys(BRTC_SRTP_PROFILE_AEAD_AES_128_GCM,
                                                  BRTC_SRTP_INBOUND, &k, &k);
  CHECK(tx && rx);
  if (tx && rx) {
    size_t n = 0;
    /* The vector uses SRTCP index 0x5d4; our sender counts from 1, so send 0x5d3 first. */
    for (int i = 1; i < 0x5d4; i++) {
      memcpy(pkt, plain, plain_len);
      CHECK(brtc_srtcp_protect(tx, pkt, plain_len, sizeof pkt, &n) == BRTC_OK);
    }
    memcpy(pkt, plain, plain_len);
    CHECK_EQ_INT(brtc_srtcp_protect(tx, pkt, plain_len, sizeof pkt, &n), BRTC_OK);
    CHECK_EQ_INT(n, wire_len);
    CHECK_MEM(pkt, wire, wire_len);
    memcpy(pkt, wire, wire_len);
    CHECK_EQ_INT(brtc_srtcp_unprotect(rx, pkt, wire_len, &n), BRTC_OK);
    CHECK_EQ_INT(n, plain_len);
    CHECK_MEM(pkt, plain, plain_len);
    memcpy(pkt, wire, wire_len);
    CHECK_EQ_INT(brtc_srtcp_unprotect(rx, pkt, wire_len, &n), BRTC_ERR_REPLAY);
    memcpy(pkt, wire, wire_len);
    pkt[wire_len - 1] ^= 1; /* another index: the AAD and IV no longer match */
    CHECK_EQ_INT(brtc_srtcp_unprotect(rx, pkt, wire_len, &n), BRTC_ERR_AUTH);
  }
  brtc_srtp_free(tx);
  brtc_srtp_free(rx);
}

/* libsrtp's own srtp_validate / srtp_validate_gcm reference packets: these go through the
 * master-key derivation, including a 12-byte GCM master salt. */
static void check_reference(brtc_srtp_profile_id profile, const char *key_hex, const char *salt_hex,
                            const char *rtp_hex, const char *srtcp_hex) {
  uint8_t key[16], salt[14], plain[64], want[128], pkt[128];
  size_t salt_len = hex_decode(salt_hex, salt, sizeof salt), n = 0;
  hex_decode(key_hex, key, sizeof key);
  brtc_srtp *tx = brtc_srtp_new(profile, BRTC_SRTP_OUTBOUND, key, 16, salt, salt_len);
  brtc_srtp *rx = brtc_srtp_new(profile, BRTC_SRTP_INBOUND, key, 16, salt, salt_len);
  CHECK(tx && rx);
  if (tx && rx) {
    size_t plain_len = hex_decode("800f1234decafbadcafebabe abababababababababababababababab",
                                  plain, sizeof plain);
    size_t want_len = hex_decode(rtp_hex, want, sizeof want);
    memcpy(pkt, plain, plain_len);
    CHECK_EQ_INT(brtc_srtp_protect(tx, pkt, plain_len, sizeof pkt, &n), BRTC_OK);
    CHECK_EQ_INT(n, want_len);
    CHECK_MEM(pkt, want, want_len);
    CHECK_EQ_INT(brtc_srtp_unprotect(rx, pkt, n, &n), BRTC_OK);
    CHECK_EQ_INT(n, plain_len);
    CHECK_MEM(pkt, plain, plain_len);
    if (srtcp_hex) {
      plain_len =
          hex_decode("81c8000bcafebabe abababababababababababababababab", plain, sizeof plain);
      want_len = hex_decode(srtcp_hex, want, sizeof want);
      memcpy(pkt, plain, plain_len);
      CHECK_EQ_INT(brtc_srtcp_protect(tx, pkt, plain_len, sizeof pkt, &n), BRTC_OK);
      CHECK_EQ_INT(n, want_len);
      CHECK_MEM(pkt, want, want_len);
      CHECK_EQ_INT(brtc_srtcp_unprotect(rx, pkt, n, &n), BRTC_OK);
      CHECK_EQ_INT(n, plain_len);
      CHECK_MEM(pkt, plain, plain_len);
    }
  }
  brtc_srtp_free(tx);
  brtc_srtp_free(rx);
}

static void test_libsrtp_reference_packets(void) {
  check_reference(BRTC_SRTP_PROFILE_AES128_CM_SHA1_80, "e1f97a0d3e018be0d64fa32c06de4139",
                  "0ec675ad498afeebb6960b3aabe6",
                  "800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402"
                  "b78d6acc99ea179b8dbb",
                  NULL);
  check_reference(BRTC_SRTP_PROFILE_AEAD_AES_128_GCM, "000102030405060708090a0b0c0d0e0f",
                  "a0a1a2a3a4a5a6a7a8a9aaab",
                  "800f1234decafbadcafebabe c5002ede04cfdd2eb91159e0880aa06e"
                  "d2976826f796b201df3131a127e8a392",
                  "81c8000bcafebabe c98b8b5df0392a55852b6c21ac8e7025"
                  "c52c6fbea2b3b446ea31123ba88ce61e 80000001");
}

int main(void) {
  RUN(test_rfc3711_b3_key_derivation);
  RUN(test_rfc3711_b2_keystream);
  RUN(test_rfc7714_16_rtp);
  RUN(test_rfc7714_17_rtcp);
  RUN(test_libsrtp_reference_packets);
  return TEST_REPORT();
}
