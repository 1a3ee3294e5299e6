/* The OpenSSL algorithms SRTP uses, fetched once per process and shared by every session. */
#ifndef BRTC_SRTP_EVP_H
#define BRTC_SRTP_EVP_H

#include <openssl/evp.h>

typedef struct brtc_srtp_evp {
  EVP_CIPHER *aes_128_ctr; /* AES-CM keystream and the key derivation PRF */
  EVP_CIPHER *aes_128_gcm;
  EVP_MAC *hmac;
} brtc_srtp_evp;

/* NULL if OpenSSL could not provide one of them. Thread-safe. */
const brtc_srtp_evp *brtc_srtp_evp_get(void);

#endif
