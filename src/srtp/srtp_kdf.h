/* RFC 3711 section 4.3 key derivation (AES-CM PRF, key derivation rate 0) and the session
 * keys it produces. Also lets tests build a session straight from published session keys. */
#ifndef BRTC_SRTP_KDF_H
#define BRTC_SRTP_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "srtp/srtp.h"

enum {
  BRTC_SRTP_LABEL_RTP_ENCRYPTION = 0,
  BRTC_SRTP_LABEL_RTP_AUTH = 1,
  BRTC_SRTP_LABEL_RTP_SALT = 2,
  BRTC_SRTP_LABEL_RTCP_ENCRYPTION = 3,
  BRTC_SRTP_LABEL_RTCP_AUTH = 4,
  BRTC_SRTP_LABEL_RTCP_SALT = 5,
};

#define BRTC_SRTP_KEY_LEN 16
#define BRTC_SRTP_CM_SALT_LEN 14
#define BRTC_SRTP_GCM_SALT_LEN 12
#define BRTC_SRTP_AUTH_KEY_LEN 20

/* Keys for one direction of RTP or RTCP. salt holds 14 (CM) or 12 (GCM) meaningful bytes;
 * auth_key is unused with GCM. */
typedef struct brtc_srtp_session_keys {
  uint8_t key[BRTC_SRTP_KEY_LEN];
  uint8_t salt[BRTC_SRTP_CM_SALT_LEN];
  uint8_t auth_key[BRTC_SRTP_AUTH_KEY_LEN];
} brtc_srtp_session_keys;

/* out_len bytes of PRF output for label. master_salt is 14 bytes; a 12-byte GCM master salt
 * is passed zero-padded to 14 (RFC 7714 section 11). */
int brtc_srtp_kdf(const uint8_t master_key[BRTC_SRTP_KEY_LEN],
                  const uint8_t master_salt[BRTC_SRTP_CM_SALT_LEN], uint8_t label, uint8_t *out,
                  size_t out_len);

/* The RTP (labels 0..2) and RTCP (labels 3..5) session keys of a master key. */
int brtc_srtp_derive_session_keys(const uint8_t *master_key, size_t key_len,
                                  const uint8_t *master_salt, size_t salt_len,
                                  brtc_srtp_session_keys *rtp, brtc_srtp_session_keys *rtcp);

/* A session keyed with ready session keys, skipping derivation (srtp.c). For test vectors
 * such as RFC 7714 sections 16 and 17, which publish session keys. */
brtc_srtp *brtc_srtp_new_with_session_keys(brtc_srtp_profile_id profile, brtc_srtp_direction dir,
                                           const brtc_srtp_session_keys *rtp,
                                           const brtc_srtp_session_keys *rtcp);

#endif
