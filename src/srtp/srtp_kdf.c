#include "srtp/srtp_kdf.h"

#include <openssl/crypto.h>
#include <string.h>

#include "boltrtc/error.h"
#include "srtp/srtp_evp.h"

int brtc_srtp_kdf(const uint8_t master_key[BRTC_SRTP_KEY_LEN],
                  const uint8_t master_salt[BRTC_SRTP_CM_SALT_LEN], uint8_t label, uint8_t *out,
                  size_t out_len) {
  const brtc_srtp_evp *evp = brtc_srtp_evp_get();
  if (!evp) return BRTC_ERR_CRYPTO;
  /* x = key_id XOR master_salt with key_id = label || r (r = 0 when kdr = 0): the label
   * lands on the 8th salt byte. The PRF is AES-CM keyed by the master key, IV = x * 2^16. */
  uint8_t iv[16] = {0};
  memcpy(iv, master_salt, BRTC_SRTP_CM_SALT_LEN);
  iv[7] ^= label;

  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (!ctx) return BRTC_ERR_NOMEM;
  int rc = BRTC_OK;
  if (EVP_EncryptInit_ex(ctx, evp->aes_128_ctr, NULL, master_key, iv) != 1) rc = BRTC_ERR_CRYPTO;
  static const uint8_t zeros[64];
  while (rc == BRTC_OK && out_len > 0) {
    int chunk = out_len < sizeof zeros ? (int)out_len : (int)sizeof zeros, n = 0;
    if (EVP_EncryptUpdate(ctx, out, &n, zeros, chunk) != 1 || n != chunk) rc = BRTC_ERR_CRYPTO;
    out += chunk;
    out_len -= (size_t)chunk;
  }
  EVP_CIPHER_CTX_free(ctx);
  return rc;
}

static int derive_one(const uint8_t *key, const uint8_t *salt14, size_t session_salt_len,
                      uint8_t first_label, brtc_srtp_session_keys *out) {
  memset(out, 0, sizeof *out);
  int rc = brtc_srtp_kdf(key, salt14, first_label, out->key, sizeof out->key);
  if (rc == BRTC_OK)
    rc = brtc_srtp_kdf(key, salt14, first_label + 1, out->auth_key, sizeof out->auth_key);
  if (rc == BRTC_OK) rc = brtc_srtp_kdf(key, salt14, first_label + 2, out->salt, session_salt_len);
  return rc;
}

int brtc_srtp_derive_session_keys(const uint8_t *master_key, size_t key_len,
                                  const uint8_t *master_salt, size_t salt_len,
                                  brtc_srtp_session_keys *rtp, brtc_srtp_session_keys *rtcp) {
  if (!master_key || !master_salt || !rtp || !rtcp || key_len != BRTC_SRTP_KEY_LEN ||
      (salt_len != BRTC_SRTP_CM_SALT_LEN && salt_len != BRTC_SRTP_GCM_SALT_LEN))
    return BRTC_ERR_INVALID;
  uint8_t salt14[BRTC_SRTP_CM_SALT_LEN] = {0};
  memcpy(salt14, master_salt, salt_len);
  int rc = derive_one(master_key, salt14, salt_len, BRTC_SRTP_LABEL_RTP_ENCRYPTION, rtp);
  if (rc == BRTC_OK)
    rc = derive_one(master_key, salt14, salt_len, BRTC_SRTP_LABEL_RTCP_ENCRYPTION, rtcp);
  OPENSSL_cleanse(salt14, sizeof salt14);
  return rc;
}
