/* Shared between dtls_cert.c and dtls.c only: the certificate's DTLS context and the
 * fingerprint helpers. */
#ifndef BRTC_DTLS_INTERNAL_H
#define BRTC_DTLS_INTERNAL_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "dtls/dtls.h"


/* The SSL_CTX built once per certificate; every session's SSL is made from it. */
SSL_CTX *brtc_dtls_cert_ctx(const brtc_dtls_cert *c);

/* SHA-256 of the certificate's DER. */
int brtc_dtls_x509_sha256(X509 *x, uint8_t out[BRTC_DTLS_SHA256_LEN]);
/* "AB:CD:..." (95 chars + NUL). */
void brtc_dtls_fingerprint_format(const uint8_t md[BRTC_DTLS_SHA256_LEN],
                                  char out[BRTC_DTLS_FINGERPRINT_LEN]);

/* The session's SSL, for tests that check our results against OpenSSL directly. */
SSL *brtc_dtls_ssl(const brtc_dtls *d);

/* Replaces OpenSSL's chain verification: accepts the peer's (self-signed) certificate
 * only if its SHA-256 is the fingerprint the session was given. In dtls.c. */
int brtc_dtls_verify_peer_cert(X509_STORE_CTX *store, void *arg);

#endif
