/* One DTLS 1.2 session (RFC 6347) with use_srtp (RFC 5764), sans-IO.
 *
 * OpenSSL talks to a small custom BIO rather than a memory BIO: memory BIOs merge
 * writes and reads into a byte stream, but DTLS needs datagram boundaries. Every
 * BIO_write OpenSSL makes for DTLS is one datagram (during the handshake its buffering
 * BIO flushes whole datagrams of at most the MTU), so each write becomes one entry of a
 * fixed outgoing queue; and each brtc_dtls_handle lends exactly one datagram to the
 * next BIO_read, so one bad datagram can never take good ones down with it.
 *
 * Timers: OpenSSL keeps its own retransmission clock (it reads the real time and offers
 * no way to be told the time), so we mirror it: after every call the remaining time from
 * DTLSv1_get_timeout becomes an absolute deadline on the caller's now_us clock, and
 * handle_timeout asks OpenSSL to retransmit once that deadline has passed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/srtp.h>

#include "boltrtc/error.h"
#include "dtls/dtls_internal.h"

/* Outgoing: a flight is at most a few datagrams and callers poll after each call.
 * Incoming: decrypted application messages waiting for brtc_dtls_read. */
#define QUEUE_LEN 8
#define DEFAULT_INITIAL_TIMEOUT_US 1000000u /* RFC 6347 4.2.4.1 */
#define MAX_TIMEOUT_US 60000000u            /* RFC 6347 4.2.4.1 */
#define MAX_INPUT_DATAGRAM 65535
#define SRTP_EXPORTER_LABEL "EXTRACTOR-dtls_srtp" /* RFC 5764 4.2 */
#define ERROR_FINGERPRINT "peer certificate fingerprint does not match the SDP"

typedef struct datagram {
  size_t len;
  uint8_t data[BRTC_DTLS_MAX_DATAGRAM];
} datagram;

typedef struct datagram_queue {
  datagram slot[QUEUE_LEN];
  size_t head, count;
} datagram_queue;

struct brtc_dtls {
  SSL *ssl;
  bool is_client;
  brtc_dtls_state state;
  uint8_t remote_fingerprint[BRTC_DTLS_SHA256_LEN];
  bool fingerprint_mismatch; /* set by the verify callback */

  /* The datagram lent to OpenSSL during brtc_dtls_handle, NULL otherwise. */
  const uint8_t *input;
  size_t input_len;

  datagram_queue out; /* records for the peer */
  datagram_queue in;  /* application data for brtc_dtls_read */
  uint64_t dropped;

  uint32_t initial_timeout_us;
  uint64_t deadline_us;

  brtc_dtls_srtp_keys keys;
  char cipher[64];
  char error[160];
};

/* ---- datagram queues ---- */

static datagram *queue_tail(datagram_queue *q) {
  if (q->count == QUEUE_LEN) return NULL;
  return &q->slot[(q->head + q->count) % QUEUE_LEN];
}

static datagram *queue_front(datagram_queue *q) { return q->count ? &q->slot[q->head] : NULL; }

static void queue_pop(datagram_queue *q) {
  q->head = (q->head + 1) % QUEUE_LEN;
  q->count--;
}

/* ---- the datagram BIO ---- */

static int bio_write(BIO *b, const char *data, int len) {
  brtc_dtls *d = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (len <= 0) return 0;
  datagram *dg = queue_tail(&d->out);
  if (!dg || (size_t)len > sizeof dg->data) {
    /* Like a full socket buffer: the datagram is lost and DTLS (or SCTP above it)
     * retransmits. Refusing instead would wedge OpenSSL's write state. */
    d->dropped++;
    return len;
  }
  memcpy(dg->data, data, (size_t)len);
  dg->len = (size_t)len;
  d->out.count++;
  return len;
}

static int bio_read(BIO *b, char *out, int cap) {
  brtc_dtls *d = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (!d->input) {
    BIO_set_retry_read(b);
    return -1;
  }
  /* A datagram longer than OpenSSL's buffer is truncated, as recvfrom would. */
  size_t n = d->input_len < (size_t)cap ? d->input_len : (size_t)cap;
  memcpy(out, d->input, n);
  d->input = NULL;
  d->input_len = 0;
  return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  (void)num;
  (void)ptr;
  brtc_dtls *d = BIO_get_data(b);
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1; /* every write is already a whole datagram */
  case BIO_CTRL_PENDING:
    return d && d->input ? (long)d->input_len : 0;
  case BIO_CTRL_WPENDING:
    return 0;
  default:
    return 0; /* MTU queries, peer addresses, timeouts: nothing to do for us */
  }
}

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

static int bio_destroy(BIO *b) {
  BIO_set_data(b, NULL);
  return 1;
}

static CRYPTO_ONCE bio_method_once = CRYPTO_ONCE_STATIC_INIT;
static BIO_METHOD *bio_method; /* lives for the process, like OpenSSL's own methods */

static void bio_method_init(void) {
  int index = BIO_get_new_index();
  if (index < 0) return;
  BIO_METHOD *m = BIO_meth_new(index | BIO_TYPE_SOURCE_SINK, "boltrtc dtls datagram");
  if (!m || !BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
      !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create) ||
      !BIO_meth_set_destroy(m, bio_destroy)) {
    BIO_meth_free(m);
    return;
  }
  bio_method = m;
}

/* ---- helpers ---- */

static unsigned int retransmit_timer(SSL *ssl, unsigned int previous_us) {
  const brtc_dtls *d = SSL_get_app_data(ssl);
  if (previous_us == 0) return d ? d->initial_timeout_us : DEFAULT_INITIAL_TIMEOUT_US;
  return previous_us >= MAX_TIMEOUT_US / 2 ? MAX_TIMEOUT_US : previous_us * 2;
}

static void update_deadline(brtc_dtls *d, uint64_t now_us) {
  struct timeval tv;
  if (d->state != BRTC_DTLS_HANDSHAKING || DTLSv1_get_timeout(d->ssl, &tv) != 1) {
    d->deadline_us = UINT64_MAX;
    return;
  }
  d->deadline_us = now_us + (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* Enter FAILED with one line taken from, in order: the fingerprint check, OpenSSL's
 * error queue, or the caller's fallback. */
static int fail(brtc_dtls *d, const char *fallback) {
  unsigned long e = ERR_peek_error();
  const char *reason = e ? ERR_reason_error_string(e) : NULL;
  if (d->fingerprint_mismatch)
    snprintf(d->error, sizeof d->error, "%s", ERROR_FINGERPRINT);
  else if (reason)
    snprintf(d->error, sizeof d->error, "DTLS: %s", reason);
  else
    snprintf(d->error, sizeof d->error, "DTLS: %s", fallback);
  ERR_clear_error();
  d->state = BRTC_DTLS_FAILED;
  d->deadline_us = UINT64_MAX;
  return d->fingerprint_mismatch ? BRTC_ERR_AUTH : BRTC_ERR_CRYPTO;
}

static bool fingerprint_matches(const brtc_dtls *d, X509 *cert) {
  uint8_t md[BRTC_DTLS_SHA256_LEN];
  return cert && brtc_dtls_x509_sha256(cert, md) == BRTC_OK &&
         CRYPTO_memcmp(md, d->remote_fingerprint, sizeof md) == 0;
}

int brtc_dtls_verify_peer_cert(X509_STORE_CTX *store, void *arg) {
  (void)arg;
  SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
  brtc_dtls *d = ssl ? SSL_get_app_data(ssl) : NULL;
  if (d && fingerprint_matches(d, X509_STORE_CTX_get0_cert(store))) return 1;
  if (d) d->fingerprint_mismatch = true;
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return 0;
}

/* RFC 5764 4.2: client_write_key | server_write_key | client_salt | server_salt. */
static int export_srtp_keys(brtc_dtls *d) {
  const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
  brtc_dtls_srtp_keys *k = &d->keys;
  if (!p) return BRTC_OK; /* no SRTP (data channels only): brtc_dtls_get_srtp_keys says so */
  if (p->id == SRTP_AES128_CM_SHA1_80) {
    k->profile = BRTC_SRTP_PROFILE_AES128_CM_SHA1_80;
    k->key_len = 16;
    k->salt_len = 14;
  } else if (p->id == SRTP_AEAD_AES_128_GCM) {
    k->profile = BRTC_SRTP_PROFILE_AEAD_AES_128_GCM;
    k->key_len = 16;
    k->salt_len = 12;
  } else {
    return BRTC_ERR_UNSUPPORTED; /* we never offer others */
  }
  uint8_t material[2 * (16 + 14)];
  size_t kl = k->key_len, sl = k->salt_len;
  if (SSL_export_keying_material(d->ssl, material, 2 * (kl + sl), SRTP_EXPORTER_LABEL,
                                 strlen(SRTP_EXPORTER_LABEL), NULL, 0, 0) != 1) {
    k->profile = BRTC_SRTP_PROFILE_NONE;
    return BRTC_ERR_CRYPTO;
  }
  const uint8_t *client_key = material, *server_key = material + kl;
  const uint8_t *client_salt = material + 2 * kl, *server_salt = client_salt + sl;
  memcpy(k->local_key, d->is_client ? client_key : server_key, kl);
  memcpy(k->remote_key, d->is_client ? server_key : client_key, kl);
  memcpy(k->local_salt, d->is_client ? client_salt : server_salt, sl);
  memcpy(k->remote_salt, d->is_client ? server_salt : client_salt, sl);
  OPENSSL_cleanse(material, sizeof material);
  return BRTC_OK;
}

static int on_handshake_done(brtc_dtls *d) {
  /* The verify callback already checked; checking the final peer certificate again
   * costs one hash and does not depend on OpenSSL having called it. */
  if (!fingerprint_matches(d, SSL_get0_peer_certificate(d->ssl))) {
    d->fingerprint_mismatch = true;
    return fail(d, ERROR_FINGERPRINT);
  }
  int rc = export_srtp_keys(d);
  if (rc != BRTC_OK) return fail(d, "exporting the SRTP keys failed");
  snprintf(d->cipher, sizeof d->cipher, "%s", SSL_get_cipher_name(d->ssl));
  d->state = BRTC_DTLS_CONNECTED;
  return BRTC_OK;
}

static int drive_handshake(brtc_dtls *d) {
  ERR_clear_error();
  int r = SSL_do_handshake(d->ssl);
  if (r == 1) return on_handshake_done(d);
  switch (SSL_get_error(d->ssl, r)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    d->state = BRTC_DTLS_HANDSHAKING;
    ERR_clear_error();
    return BRTC_OK;
  default:
    return fail(d, "handshake failed");
  }
}

/* Decrypt every application record of the lent datagram into the inbound queue. */
static int drain_application_data(brtc_dtls *d) {
  for (;;) {
    datagram *dg = queue_tail(&d->in);
    uint8_t discard[256];
    uint8_t *dst = dg ? dg->data : discard;
    size_t cap = dg ? sizeof dg->data : sizeof discard;
    size_t n = 0, rest = 0;
    ERR_clear_error();
    if (SSL_read_ex(d->ssl, dst, cap, &n) == 1) {
      /* Messages keep their boundaries: one that does not fit is dropped whole. */
      bool truncated = false;
      while (SSL_pending(d->ssl) > 0 && SSL_read_ex(d->ssl, discard, sizeof discard, &rest) == 1)
        truncated = true;
      if (!dg || truncated) {
        d->dropped++;
        continue;
      }
      dg->len = n;
      d->in.count++;
      continue;
    }
    switch (SSL_get_error(d->ssl, 0)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      ERR_clear_error();
      return BRTC_OK;
    case SSL_ERROR_ZERO_RETURN: /* close_notify: answer it and stop */
      d->state = BRTC_DTLS_CLOSED;
      ERR_clear_error();
      SSL_shutdown(d->ssl);
      ERR_clear_error();
      return BRTC_OK;
    default:
      return fail(d, "connection failed");
    }
  }
}

/* ---- public API ---- */

brtc_dtls *brtc_dtls_new(const brtc_dtls_cert *cert, bool is_client,
                         const char *remote_fingerprint_sha256) {
  SSL_CTX *ctx = brtc_dtls_cert_ctx(cert);
  uint8_t fingerprint[BRTC_DTLS_SHA256_LEN];
  if (!ctx || brtc_dtls_fingerprint_parse(remote_fingerprint_sha256, fingerprint) != BRTC_OK)
    return NULL;
  if (!CRYPTO_THREAD_run_once(&bio_method_once, bio_method_init) || !bio_method) return NULL;

  brtc_dtls *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->is_client = is_client;
  memcpy(d->remote_fingerprint, fingerprint, sizeof fingerprint);
  d->initial_timeout_us = DEFAULT_INITIAL_TIMEOUT_US;
  d->deadline_us = UINT64_MAX;

  ERR_clear_error();
  d->ssl = SSL_new(ctx);
  BIO *bio = BIO_new(bio_method);
  if (!d->ssl || !bio) {
    BIO_free(bio);
    brtc_dtls_free(d);
    ERR_clear_error();
    return NULL;
  }
  BIO_set_data(bio, d);
  SSL_set_bio(d->ssl, bio, bio); /* one reference, now owned by the SSL */
  SSL_set_app_data(d->ssl, d);
  DTLS_set_timer_cb(d->ssl, retransmit_timer);
  if (!SSL_set_mtu(d->ssl, BRTC_DTLS_MTU)) {
    brtc_dtls_free(d);
    ERR_clear_error();
    return NULL;
  }
  if (is_client)
    SSL_set_connect_state(d->ssl);
  else
    SSL_set_accept_state(d->ssl);
  return d;
}

void brtc_dtls_free(brtc_dtls *d) {
  if (!d) return;
  SSL_free(d->ssl);
  OPENSSL_cleanse(&d->keys, sizeof d->keys);
  OPENSSL_cleanse(&d->in, sizeof d->in);
  free(d);
}

int brtc_dtls_set_srtp_profiles(brtc_dtls *d, const brtc_srtp_profile_id *ids, size_t n) {
  if (!d || !ids || n == 0) return BRTC_ERR_INVALID;
  if (d->state != BRTC_DTLS_NEW) return BRTC_ERR_STATE;
  char list[128] = "";
  for (size_t i = 0; i < n; i++) {
    const char *name;
    if (ids[i] == BRTC_SRTP_PROFILE_AES128_CM_SHA1_80)
      name = "SRTP_AES128_CM_SHA1_80";
    else if (ids[i] == BRTC_SRTP_PROFILE_AEAD_AES_128_GCM)
      name = "SRTP_AEAD_AES_128_GCM";
    else
      return BRTC_ERR_UNSUPPORTED;
    if (strlen(list) + strlen(name) + 2 > sizeof list) return BRTC_ERR_TOO_BIG;
    if (i) strcat(list, ":");
    strcat(list, name);
  }
  ERR_clear_error();
  int failed = SSL_set_tlsext_use_srtp(d->ssl, list); /* 0 is success */
  ERR_clear_error();
  return failed ? BRTC_ERR_CRYPTO : BRTC_OK;
}

int brtc_dtls_set_retransmit_timeout(brtc_dtls *d, uint32_t initial_ms) {
  if (!d || initial_ms == 0 || initial_ms > MAX_TIMEOUT_US / 1000) return BRTC_ERR_INVALID;
  if (d->state != BRTC_DTLS_NEW) return BRTC_ERR_STATE;
  d->initial_timeout_us = initial_ms * 1000u;
  return BRTC_OK;
}

int brtc_dtls_start(brtc_dtls *d, uint64_t now_us) {
  if (!d) return BRTC_ERR_INVALID;
  if (!d->is_client) return BRTC_OK;
  if (d->state != BRTC_DTLS_NEW) return BRTC_ERR_STATE;
  int rc = drive_handshake(d);
  update_deadline(d, now_us);
  return rc;
}

int brtc_dtls_handle(brtc_dtls *d, const uint8_t *data, size_t len, uint64_t now_us) {
  if (!d || (!data && len)) return BRTC_ERR_INVALID;
  if (len == 0 || len > MAX_INPUT_DATAGRAM) return BRTC_ERR_PARSE;
  switch (d->state) {
  case BRTC_DTLS_NEW:
    if (d->is_client) return BRTC_ERR_STATE; /* start first */
    break;
  case BRTC_DTLS_HANDSHAKING:
  case BRTC_DTLS_CONNECTED:
    break;
  default:
    return BRTC_ERR_STATE;
  }

  d->input = data;
  d->input_len = len;
  int rc = BRTC_OK;
  if (d->state != BRTC_DTLS_CONNECTED) rc = drive_handshake(d);
  /* Records after the Finished in the same datagram, or any datagram once connected. */
  if (rc == BRTC_OK && d->state == BRTC_DTLS_CONNECTED) rc = drain_application_data(d);
  d->input = NULL; /* never keep the caller's buffer */
  d->input_len = 0;
  update_deadline(d, now_us);
  ERR_clear_error();
  return rc;
}

int brtc_dtls_poll_output(brtc_dtls *d, uint8_t *out, size_t cap, size_t *out_len) {
  if (!d || !out || !out_len) return BRTC_ERR_INVALID;
  datagram *dg = queue_front(&d->out);
  if (!dg) return BRTC_ERR_AGAIN;
  if (dg->len > cap) return BRTC_ERR_TOO_BIG;
  memcpy(out, dg->data, dg->len);
  *out_len = dg->len;
  queue_pop(&d->out);
  return BRTC_OK;
}

uint64_t brtc_dtls_next_deadline(const brtc_dtls *d) { return d ? d->deadline_us : UINT64_MAX; }

int brtc_dtls_handle_timeout(brtc_dtls *d, uint64_t now_us) {
  if (!d) return BRTC_ERR_INVALID;
  if (d->state != BRTC_DTLS_HANDSHAKING || now_us < d->deadline_us) return BRTC_OK;
  ERR_clear_error();
  /* 0 means OpenSSL's own clock says "not yet": the refreshed deadline covers the rest. */
  int rc = BRTC_OK;
  if (DTLSv1_handle_timeout(d->ssl) < 0) rc = fail(d, "handshake timed out");
  ERR_clear_error();
  update_deadline(d, now_us);
  return rc;
}

brtc_dtls_state brtc_dtls_get_state(const brtc_dtls *d) { return d ? d->state : BRTC_DTLS_FAILED; }

const char *brtc_dtls_error(const brtc_dtls *d) { return d ? d->error : ""; }

const char *brtc_dtls_cipher(const brtc_dtls *d) {
  return d && d->state == BRTC_DTLS_CONNECTED ? d->cipher : "";
}

int brtc_dtls_get_srtp_keys(const brtc_dtls *d, brtc_dtls_srtp_keys *out) {
  if (!d || !out) return BRTC_ERR_INVALID;
  if (d->state != BRTC_DTLS_CONNECTED) return BRTC_ERR_STATE;
  if (d->keys.profile == BRTC_SRTP_PROFILE_NONE) return BRTC_ERR_NOT_FOUND;
  *out = d->keys;
  return BRTC_OK;
}

int brtc_dtls_write(brtc_dtls *d, const uint8_t *data, size_t len) {
  if (!d || (!data && len)) return BRTC_ERR_INVALID;
  if (len == 0) return BRTC_OK;
  if (len > BRTC_DTLS_MAX_WRITE) return BRTC_ERR_TOO_BIG;
  if (d->state != BRTC_DTLS_CONNECTED) return BRTC_ERR_STATE;
  size_t written = 0;
  ERR_clear_error();
  int ok = SSL_write_ex(d->ssl, data, len, &written);
  ERR_clear_error();
  return ok == 1 && written == len ? BRTC_OK : BRTC_ERR_CRYPTO;
}

int brtc_dtls_read(brtc_dtls *d, uint8_t *out, size_t cap, size_t *out_len) {
  if (!d || !out || !out_len) return BRTC_ERR_INVALID;
  datagram *dg = queue_front(&d->in);
  if (!dg) return BRTC_ERR_AGAIN;
  if (dg->len > cap) return BRTC_ERR_TOO_BIG;
  memcpy(out, dg->data, dg->len);
  *out_len = dg->len;
  queue_pop(&d->in);
  return BRTC_OK;
}

int brtc_dtls_close(brtc_dtls *d) {
  if (!d) return BRTC_ERR_INVALID;
  if (d->state != BRTC_DTLS_CONNECTED) return BRTC_ERR_STATE;
  ERR_clear_error();
  SSL_shutdown(d->ssl); /* queues close_notify; we do not wait for the peer's */
  ERR_clear_error();
  d->state = BRTC_DTLS_CLOSED;
  return BRTC_OK;
}

uint64_t brtc_dtls_dropped_datagrams(const brtc_dtls *d) { return d ? d->dropped : 0; }

SSL *brtc_dtls_ssl(const brtc_dtls *d) { return d ? d->ssl : NULL; }
