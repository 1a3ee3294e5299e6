/* The local DTLS identity: a self-signed ECDSA P-256 certificate (RFC 8827 6.5 lets
 * WebRTC endpoints use self-signed certificates authenticated by their SDP fingerprint)
 * and the one SSL_CTX every session is made from, since building a context per session
 * is slow. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "boltrtc/error.h"
#include "dtls/dtls_internal.h"

#define CERT_COMMON_NAME "boltrtc"
#define CERT_SERIAL_BITS 63 /* positive and within the 20 octets RFC 5280 allows */
#define SECONDS_PER_DAY (24L * 60 * 60)
#define CERT_BACKDATE_DAYS 1  /* tolerate peers whose clocks run a little behind */
#define CERT_LIFETIME_DAYS 30

/* ECDHE only (forward secrecy), AEAD only. Our own certificate is ECDSA, so as the server
 * we pick an ECDSA suite; as the client the peer's certificate may be RSA. RFC 8827 6.5
 * makes TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 mandatory for every WebRTC endpoint, so no
 * peer needs the CBC suites, and leaving them out means our own record layer (dtls_record.c)
 * carries exactly these after the handshake, with no MAC-then-encrypt to get right. */
#define DTLS_CIPHERS                                                                     \
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                         \
  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"                           \
  "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"
#define DTLS_GROUPS "X25519:P-256"
#define DTLS_SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

struct brtc_dtls_cert {
  EVP_PKEY *key;
  X509 *x509;
  SSL_CTX *ctx;
  char fingerprint[BRTC_DTLS_FINGERPRINT_LEN];
};

int brtc_dtls_x509_sha256(X509 *x, uint8_t out[BRTC_DTLS_SHA256_LEN]) {
  unsigned int n = 0;
  if (!x || X509_digest(x, EVP_sha256(), out, &n) != 1 || n != BRTC_DTLS_SHA256_LEN)
    return BRTC_ERR_CRYPTO;
  return BRTC_OK;
}

void brtc_dtls_fingerprint_format(const uint8_t md[BRTC_DTLS_SHA256_LEN],
                                  char out[BRTC_DTLS_FINGERPRINT_LEN]) {
  static const char hex[] = "0123456789ABCDEF";
  char *p = out;
  for (size_t i = 0; i < BRTC_DTLS_SHA256_LEN; i++) {
    if (i) *p++ = ':';
    *p++ = hex[md[i] >> 4];
    *p++ = hex[md[i] & 0xf];
  }
  *p = '\0';
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = (char)toupper((unsigned char)c);
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int brtc_dtls_fingerprint_parse(const char *text, uint8_t md[BRTC_DTLS_SHA256_LEN]) {
  if (!text || strlen(text) != BRTC_DTLS_FINGERPRINT_LEN - 1) return BRTC_ERR_PARSE;
  for (size_t i = 0; i < BRTC_DTLS_SHA256_LEN; i++) {
    const char *p = text + i * 3;
    int hi = hex_value(p[0]), lo = hex_value(p[1]);
    if (hi < 0 || lo < 0) return BRTC_ERR_PARSE;
    if (i + 1 < BRTC_DTLS_SHA256_LEN && p[2] != ':') return BRTC_ERR_PARSE;
    md[i] = (uint8_t)(hi << 4 | lo);
  }
  return BRTC_OK;
}

static X509 *make_self_signed(EVP_PKEY *key) {
  X509 *x = X509_new();
  BIGNUM *serial = BN_new();
  X509_NAME *name = NULL;
  int ok = x && serial && X509_set_version(x, X509_VERSION_3) &&
           BN_rand(serial, CERT_SERIAL_BITS, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
           BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) &&
           X509_gmtime_adj(X509_getm_notBefore(x), -CERT_BACKDATE_DAYS * SECONDS_PER_DAY) &&
           X509_gmtime_adj(X509_getm_notAfter(x),
                           (CERT_LIFETIME_DAYS - CERT_BACKDATE_DAYS) * SECONDS_PER_DAY) &&
           X509_set_pubkey(x, key);
  if (ok) {
    name = X509_get_subject_name(x);
    ok = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    (const unsigned char *)CERT_COMMON_NAME, -1, -1, 0) &&
         X509_set_issuer_name(x, name) && X509_sign(x, key, EVP_sha256()) > 0;
  }
  BN_free(serial);
  if (!ok) {
    X509_free(x);
    return NULL;
  }
  return x;
}

static SSL_CTX *make_ctx(EVP_PKEY *key, X509 *x509) {
  SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
  if (!ctx) return NULL;
  int ok = SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) &&
           SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) &&
           SSL_CTX_set_cipher_list(ctx, DTLS_CIPHERS) &&
           SSL_CTX_set1_groups_list(ctx, DTLS_GROUPS) &&
           SSL_CTX_set_tlsext_use_srtp(ctx, DTLS_SRTP_PROFILES) == 0 && /* 0 is success */
           SSL_CTX_use_certificate(ctx, x509) && SSL_CTX_use_PrivateKey(ctx, key) &&
           SSL_CTX_check_private_key(ctx);
  if (!ok) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  /* No resumption: a resumed session skips the Certificate message, and with it the
   * fingerprint check. No renegotiation or compression either. We set the MTU
   * ourselves (memory BIOs have no path MTU to query). */
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                               SSL_OP_NO_QUERY_MTU | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
  /* The peer's certificate is self-signed by design: chain building would reject it.
   * What authenticates it is its SHA-256 matching the SDP, checked in place of chain
   * verification so that a mismatch aborts the handshake with an alert. */
  SSL_CTX_set_cert_verify_callback(ctx, brtc_dtls_verify_peer_cert, NULL);
  return ctx;
}

/* One line: the step that failed and OpenSSL's reason, if it gave one. */
static void cert_error(char *err, size_t cap, const char *step) {
  unsigned long e = ERR_peek_error();
  const char *reason = e ? ERR_reason_error_string(e) : NULL;
  if (err && cap) snprintf(err, cap, "certificate: %s%s%s", step, reason ? ": " : "",
                           reason ? reason : "");
}

int brtc_dtls_cert_new(brtc_dtls_cert **out, char *err, size_t err_cap) {
  if (err && err_cap) err[0] = '\0';
  if (!out) return BRTC_ERR_INVALID;
  *out = NULL;
  brtc_dtls_cert *c = calloc(1, sizeof *c);
  if (!c) {
    if (err && err_cap) snprintf(err, err_cap, "certificate: out of memory");
    return BRTC_ERR_NOMEM;
  }
  uint8_t md[BRTC_DTLS_SHA256_LEN];
  const char *step = "ECDSA P-256 key generation";
  c->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  if (c->key) {
    step = "self-signed X.509 certificate";
    c->x509 = make_self_signed(c->key);
  }
  if (c->x509) {
    step = "DTLS context (SSL_CTX)";
    c->ctx = make_ctx(c->key, c->x509);
  }
  if (c->ctx) step = "SHA-256 fingerprint";
  if (!c->ctx || brtc_dtls_x509_sha256(c->x509, md) != BRTC_OK) {
    cert_error(err, err_cap, step);
    brtc_dtls_cert_free(c);
    ERR_clear_error(); /* leave no failure behind for the next OpenSSL user */
    return BRTC_ERR_CRYPTO;
  }
  brtc_dtls_fingerprint_format(md, c->fingerprint);
  *out = c;
  return BRTC_OK;
}

brtc_dtls_cert *brtc_dtls_cert_generate(void) {
  brtc_dtls_cert *c = NULL;
  brtc_dtls_cert_new(&c, NULL, 0);
  return c;
}

void brtc_dtls_cert_free(brtc_dtls_cert *c) {
  if (!c) return;
  SSL_CTX_free(c->ctx); /* sessions hold their own reference to it */
  X509_free(c->x509);
  EVP_PKEY_free(c->key);
  free(c);
}

const char *brtc_dtls_cert_fingerprint(const brtc_dtls_cert *c) { return c ? c->fingerprint : ""; }

SSL_CTX *brtc_dtls_cert_ctx(const brtc_dtls_cert *c) { return c ? c->ctx : NULL; }

int brtc_dtls_cert_install(const brtc_dtls_cert *c, SSL_CTX *ctx) {
  if (!c || !ctx || SSL_CTX_use_certificate(ctx, c->x509) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, c->key) != 1) {
    ERR_clear_error();
    return BRTC_ERR_CRYPTO;
  }
  return BRTC_OK;
}
