/* One DTLS 1.2 session (RFC 6347) with use_srtp (RFC 5764), sans-IO.
 *
 * OpenSSL runs the handshake; our own record layer (dtls_record.c) carries every alert and
 * application record after it. Datagrams are split into records here and each is routed:
 * during the handshake all go to OpenSSL; once it is done, every record is first opened by
 * our layer (authenticated, replay-checked) and plaintext ones are dropped unread. Alerts
 * and application data are then ours to act on; only an authenticated handshake record
 * (the peer's Finished again, when it lost our last flight) still reaches OpenSSL, which
 * answers it. So when the caller releases OpenSSL's state after the handshake, nothing
 * changes for the records that may end or carry the session: the same layer keeps
 * authenticating them.
 *
 * OpenSSL talks to a small custom BIO rather than a memory BIO: memory BIOs merge writes
 * and reads into a byte stream, but DTLS needs datagram boundaries. Every BIO_write is one
 * datagram and becomes one entry of a fixed outgoing queue; each record is lent alone to
 * the next BIO_read, so one bad record can never take good ones down with it.
 *
 * Timers: retransmissions follow the caller's now_us. OpenSSL 3.0 times them on its own
 * clock (gettimeofday in d1_lib.c, read in DTLSv1_handle_timeout and at the top of every
 * read inside SSL_do_handshake and SSL_read). So we park OpenSSL's timer an hour out (the
 * timer callback's answer) and keep the real schedule ourselves: the BIO is told when
 * OpenSSL starts or stops its timer (BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT, zero when stopped),
 * which starts or stops ours (100 ms, or twice the last flight's round trip if longer,
 * doubling); when ours expires we mark OpenSSL's as expired through the pointer that control
 * passes (OpenSSL 3.0 hands the BIO its own timer) and call
 * DTLSv1_handle_timeout, which then resends the flight. Nothing else can expire OpenSSL's
 * timer, so no datagram we feed it can trigger a retransmission. Where that pointer is not
 * OpenSSL's own (3.1 and later copy it), we fall back to mirroring OpenSSL's clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/srtp.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "dtls/dtls_internal.h"
#include "dtls/dtls_record.h"

/* Outgoing: a flight is at most a few datagrams and callers poll after each call.
 * Incoming: decrypted application messages waiting for brtc_dtls_read. */
#define QUEUE_LEN 8
/* A first retransmission after 100 ms, doubling: RFC 9147 5.8.2's value for DTLS 1.3, between
 * libwebrtc's 50 ms and the 1 s of RFC 6347 4.2.4.1 that Pion and OpenSSL keep. */
#define DEFAULT_INITIAL_TIMEOUT_US 100000u
#define MAX_TIMEOUT_US 60000000u             /* RFC 6347 4.2.4.1 */
#define PARKED_TIMEOUT_US 3600000000u        /* OpenSSL's own timer, out of the way */
#define MAX_RTT_TIMEOUT_US 3000000u          /* libwebrtc's ceiling for 2 x RTT */
#define MAX_INPUT_DATAGRAM 65535
#define SRTP_EXPORTER_LABEL "EXTRACTOR-dtls_srtp" /* RFC 5764 4.2 */
#define ERROR_FINGERPRINT "peer certificate fingerprint does not match the SDP"
#define MASTER_SECRET_LEN 48                 /* RFC 5246 8.1 */
#define RANDOM_LEN 32

typedef struct datagram {
  size_t len;
  uint8_t data[BRTC_DTLS_MAX_DATAGRAM];
} datagram;

typedef struct datagram_queue {
  datagram slot[QUEUE_LEN];
  size_t head, count;
} datagram_queue;

struct brtc_dtls {
  SSL *ssl; /* NULL once released */
  bool is_client;
  brtc_dtls_state state;
  uint8_t remote_fingerprint[BRTC_DTLS_SHA256_LEN];
  bool fingerprint_mismatch; /* set by the verify callback */

  /* The record lent to OpenSSL during brtc_dtls_handle, NULL otherwise. */
  const uint8_t *input;
  size_t input_len;
  /* During brtc_dtls_handle_app: where the first application record goes, unqueued. */
  uint8_t *app;
  size_t app_cap, *app_len;

  datagram_queue *out; /* records for the peer; made again on demand after the release */
  datagram_queue *in;  /* application data for brtc_dtls_read, made on demand */
  uint64_t dropped;

  /* Epoch 1, from the end of the handshake: opens every alert and application record. */
  brtc_dtls_record *rec;
  uint64_t ossl_epoch1_next_seq; /* past the last epoch-1 record OpenSSL wrote */
  bool alert_pending;            /* a close_notify to send once released */
  brtc_dtls_stats stats;

  /* Retransmission, on the caller's clock. */
  uint64_t now_us;         /* of the call in progress */
  uint32_t initial_timeout_us, timeout_us;
  uint64_t deadline_us;
  uint64_t flight_sent_us;  /* the running flight's first transmission */
  bool flight_resent;       /* ... and it has been retransmitted since */
  uint64_t rtt_us;          /* the last round trip measured, 0 before one */
  bool flight_timer;       /* OpenSSL has a flight waiting for an answer */
  bool exact_timer;        /* we own OpenSSL's timer (see the top of this file) */
  bool forcing;            /* inside our own DTLSv1_handle_timeout */
  struct timeval *ossl_timer;

  brtc_dtls_srtp_keys keys;
  const char *cipher; /* OpenSSL's static name of the suite */
  char error[128];
};

/* ---- datagram queues ---- */

static datagram *queue_tail(datagram_queue *q) {
  if (!q || q->count == QUEUE_LEN) return NULL;
  return &q->slot[(q->head + q->count) % QUEUE_LEN];
}

static datagram *queue_front(datagram_queue *q) { return q && q->count ? &q->slot[q->head] : NULL; }

static void queue_pop(datagram_queue *q) {
  q->head = (q->head + 1) % QUEUE_LEN;
  q->count--;
}

static void queue_free(datagram_queue *q) {
  if (!q) return;
  OPENSSL_cleanse(q, sizeof *q);
  free(q);
}

/* ---- the retransmission timer ---- */

/* OpenSSL 3.0 passes the BIO a pointer to its own timer; later versions pass a copy. */
static bool own_ossl_timer_possible(void) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L && OPENSSL_VERSION_NUMBER < 0x30100000L
  unsigned long v = OpenSSL_version_num();
  return v >= 0x30000000UL && v < 0x30100000UL;
#else
  return false;
#endif
}

bool brtc_dtls_timer_exact(void) { return own_ossl_timer_possible(); }

static unsigned int next_timeout(unsigned int previous_us) {
  return previous_us >= MAX_TIMEOUT_US / 2 ? MAX_TIMEOUT_US : previous_us * 2;
}

/* A new flight's first timeout: the configured one, or twice the round trip the previous
 * flight took if longer (libwebrtc starts from twice the ICE round trip, up to 3 s; as an
 * ICE-lite answerer we have none, so the handshake's own round trips serve). Only a flight
 * answered without a retransmission gives a round trip (Karn's rule, RFC 6298 5): after one,
 * the answer may be to either copy, or come from the peer's own timer, long after. So a
 * round trip is always shorter than the timeout it ran under, and a flight's first timeout
 * at most twice the previous one's. */
static uint32_t flight_timeout(const brtc_dtls *d) {
  uint64_t t = 2 * d->rtt_us;
  if (t > MAX_RTT_TIMEOUT_US) t = MAX_RTT_TIMEOUT_US;
  return t > d->initial_timeout_us ? (uint32_t)t : d->initial_timeout_us;
}

/* OpenSSL's timer callback: how long OpenSSL's own timer runs. */
static unsigned int ossl_timer_cb(SSL *ssl, unsigned int previous_us) {
  const brtc_dtls *d = SSL_get_app_data(ssl);
  if (d && d->exact_timer) return PARKED_TIMEOUT_US;
  if (previous_us == 0) return d ? flight_timeout(d) : DEFAULT_INITIAL_TIMEOUT_US;
  return next_timeout(previous_us);
}

/* OpenSSL (re)started or stopped its flight timer: start or stop ours. */
static void on_ossl_timer(brtc_dtls *d, struct timeval *t) {
  if (!t) return;
  if (t->tv_sec == 0 && t->tv_usec == 0) { /* stopped: the flight was answered */
    if (d->flight_timer && !d->flight_resent && d->now_us >= d->flight_sent_us)
      d->rtt_us = d->now_us - d->flight_sent_us;
    d->flight_timer = false;
    if (d->exact_timer) d->deadline_us = UINT64_MAX;
    return;
  }
  if (d->forcing) return; /* our own timeout restarts it; handle_timeout reschedules */
  if (!d->flight_timer) { /* a new flight */
    d->timeout_us = flight_timeout(d);
    d->flight_sent_us = d->now_us;
    d->flight_resent = false;
  }
  d->flight_timer = true;
  if (!d->exact_timer) return;
  d->ossl_timer = t;
  d->deadline_us = d->now_us + d->timeout_us;
}

/* Without our own timer, mirror OpenSSL's: its remaining time on our clock. */
static void mirror_deadline(brtc_dtls *d) {
  struct timeval tv;
  if (d->exact_timer) {
    if (d->state != BRTC_DTLS_HANDSHAKING) d->deadline_us = UINT64_MAX;
    return;
  }
  if (d->state != BRTC_DTLS_HANDSHAKING || !d->ssl || DTLSv1_get_timeout(d->ssl, &tv) != 1) {
    d->deadline_us = UINT64_MAX;
    return;
  }
  d->deadline_us = d->now_us + (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* ---- the datagram BIO ---- */

/* Remember where OpenSSL's epoch-1 sequence numbers are, so that ours, after the release,
 * never repeat one (the peer would drop it as a replay, RFC 6347 4.1.2.6). */
static void note_written_records(brtc_dtls *d, const uint8_t *data, size_t len) {
  size_t off = 0, n;
  while ((n = brtc_dtls_record_next(data + off, len - off)) > 0) {
    if (brtc_dtls_record_epoch(data + off) == 1) {
      uint64_t next = brtc_dtls_record_seq(data + off) + 1;
      if (next > d->ossl_epoch1_next_seq) d->ossl_epoch1_next_seq = next;
    }
    off += n;
  }
}

static int bio_write(BIO *b, const char *data, int len) {
  brtc_dtls *d = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (len <= 0) return 0;
  note_written_records(d, (const uint8_t *)data, (size_t)len);
  datagram *dg = queue_tail(d->out);
  if (!dg || (size_t)len > sizeof dg->data) {
    /* Like a full socket buffer: the datagram is lost and DTLS (or SCTP above it)
     * retransmits. Refusing instead would wedge OpenSSL's write state. */
    d->dropped++;
    return len;
  }
  memcpy(dg->data, data, (size_t)len);
  dg->len = (size_t)len;
  d->out->count++;
  return len;
}

static int bio_read(BIO *b, char *out, int cap) {
  brtc_dtls *d = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (!d->input) {
    BIO_set_retry_read(b);
    return -1;
  }
  /* A record longer than OpenSSL's buffer is truncated, as recvfrom would. */
  size_t n = d->input_len < (size_t)cap ? d->input_len : (size_t)cap;
  memcpy(out, d->input, n);
  d->input = NULL;
  d->input_len = 0;
  return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  (void)num;
  brtc_dtls *d = BIO_get_data(b);
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1; /* every write is already a whole datagram */
  case BIO_CTRL_PENDING:
    return d && d->input ? (long)d->input_len : 0;
  case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
    if (d) on_ossl_timer(d, ptr);
    return 1;
  default:
    return 0; /* MTU queries, peer addresses: nothing to do for us */
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

static brtc_dtls_aead suite_aead(const SSL_CIPHER *c) {
  switch (c ? SSL_CIPHER_get_cipher_nid(c) : NID_undef) {
    case NID_aes_128_gcm: return BRTC_DTLS_AEAD_AES_128_GCM;
    case NID_aes_256_gcm: return BRTC_DTLS_AEAD_AES_256_GCM;
    case NID_chacha20_poly1305: return BRTC_DTLS_AEAD_CHACHA20_POLY1305;
    default: return BRTC_DTLS_AEAD_NONE;
  }
}

/* Our epoch-1 record layer, keyed like OpenSSL's from the negotiated master secret (with
 * extended master secret, RFC 7627, that is the one OpenSSL holds) and the two randoms. */
static int make_record_layer(brtc_dtls *d) {
  const SSL_CIPHER *c = SSL_get_current_cipher(d->ssl);
  brtc_dtls_aead aead = suite_aead(c);
  const EVP_MD *prf = c ? SSL_CIPHER_get_handshake_digest(c) : NULL;
  uint8_t master[MASTER_SECRET_LEN], client_random[RANDOM_LEN], server_random[RANDOM_LEN];
  size_t master_len = SSL_SESSION_get_master_key(SSL_get_session(d->ssl), master, sizeof master);
  if (aead == BRTC_DTLS_AEAD_NONE || !prf || master_len == 0 ||
      SSL_get_client_random(d->ssl, client_random, RANDOM_LEN) != RANDOM_LEN ||
      SSL_get_server_random(d->ssl, server_random, RANDOM_LEN) != RANDOM_LEN)
    return BRTC_ERR_UNSUPPORTED;
  brtc_dtls_epoch_keys keys;
  int rc = brtc_dtls_derive_epoch_keys(aead, EVP_MD_get_type(prf) == NID_sha384, master,
                                       master_len, client_random, server_random, d->is_client,
                                       1, &keys);
  OPENSSL_cleanse(master, sizeof master);
  if (rc == BRTC_OK && !(d->rec = brtc_dtls_record_new(&keys, d->ossl_epoch1_next_seq)))
    rc = BRTC_ERR_NOMEM;
  OPENSSL_cleanse(&keys, sizeof keys);
  return rc;
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
  if (make_record_layer(d) != BRTC_OK) return fail(d, "no record layer for the negotiated suite");
  const SSL_CIPHER *c = SSL_get_current_cipher(d->ssl);
  d->cipher = c ? SSL_CIPHER_get_name(c) : "";
  d->state = BRTC_DTLS_CONNECTED;
  d->deadline_us = UINT64_MAX;
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

/* Queue one application message for brtc_dtls_read; messages keep their boundaries. */
static void deliver(brtc_dtls *d, const uint8_t *data, size_t len) {
  if (d->app && *d->app_len == 0 && len > 0 && len <= d->app_cap) {
    memcpy(d->app, data, len);
    *d->app_len = len;
    d->app = NULL; /* one per call: the rest keep their order in the queue */
    return;
  }
  d->app = NULL; /* one that does not fit goes to the queue, and all after it */
  if (!d->in) d->in = calloc(1, sizeof *d->in);
  datagram *dg = queue_tail(d->in);
  if (!dg || len > sizeof dg->data) {
    d->dropped++;
    return;
  }
  memcpy(dg->data, data, len);
  dg->len = len;
  d->in->count++;
}

/* Let OpenSSL process what the lent record gave it after the handshake: a retransmitted
 * flight of the peer's (OpenSSL answers with its own) or application data it buffered
 * before its Finished arrived. */
static int drain_openssl(brtc_dtls *d) {
  for (;;) {
    uint8_t buf[BRTC_DTLS_MAX_DATAGRAM];
    size_t n = 0;
    ERR_clear_error();
    if (SSL_read_ex(d->ssl, buf, sizeof buf, &n) == 1) {
      deliver(d, buf, n);
      continue;
    }
    switch (SSL_get_error(d->ssl, 0)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      ERR_clear_error();
      return BRTC_OK;
    case SSL_ERROR_ZERO_RETURN: /* close_notify, authenticated by OpenSSL: answer, stop */
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

/* Our close_notify: through OpenSSL while it holds the write state (its sequence numbers),
 * else made by our record layer when polled. */
static void send_close_notify(brtc_dtls *d) {
  if (d->ssl) {
    ERR_clear_error();
    SSL_shutdown(d->ssl); /* queues close_notify; we do not wait for the peer's */
    ERR_clear_error();
  } else {
    d->alert_pending = true;
  }
}

/* RFC 5246 7.2: an alert is a level and a description. Only an authenticated one gets here. */
static void on_alert(brtc_dtls *d, const uint8_t *body, size_t len) {
  if (len != 2) {
    d->stats.records_unexpected++;
    return;
  }
  d->stats.alerts_received++;
  if (body[1] == BRTC_DTLS_ALERT_CLOSE_NOTIFY) { /* 7.2.1: answer it, and stop */
    d->state = BRTC_DTLS_CLOSED;
    d->deadline_us = UINT64_MAX;
    send_close_notify(d);
  } else if (body[0] == BRTC_DTLS_ALERT_FATAL) {
    snprintf(d->error, sizeof d->error, "DTLS: peer sent a fatal alert: %s",
             SSL_alert_desc_string_long(body[1]));
    d->state = BRTC_DTLS_FAILED;
    d->deadline_us = UINT64_MAX;
  }
  /* Other warnings (user_canceled, no_renegotiation) change nothing for us. */
}

/* A record after the handshake, opened by our layer: false (and counted) unless it
 * authenticates under epoch 1 and is not a replay. */
static bool open_record(brtc_dtls *d, const uint8_t *record, size_t len, uint8_t *type,
                        uint8_t *plain, size_t cap, size_t *n) {
  switch (brtc_dtls_record_unprotect(d->rec, record, len, type, plain, cap, n)) {
  case BRTC_OK:
    return true;
  case BRTC_ERR_REPLAY:
    d->stats.records_replayed++;
    return false;
  case BRTC_ERR_TOO_BIG:
    d->stats.records_unexpected++;
    return false;
  default: /* bad tag, another epoch, malformed */
    d->stats.records_forged++;
    return false;
  }
}

/* After the handshake nothing reaches OpenSSL or the caller unauthenticated: a peer sends
 * only epoch-1 records now (RFC 6347 4.1), and OpenSSL 3.0 fails the whole session on some
 * malformed epoch-1 records instead of dropping them. An authenticated handshake record is
 * the peer's Finished again (it lost our last flight): OpenSSL, while it is there, answers. */
static int handle_after_handshake(brtc_dtls *d, const uint8_t *record, size_t len) {
  uint8_t type = brtc_dtls_record_type(record);
  if (brtc_dtls_record_epoch(record) == 0) {
    if (type == BRTC_DTLS_CT_ALERT) d->stats.plaintext_alerts++;
    else if (type == BRTC_DTLS_CT_APPLICATION_DATA) d->stats.records_forged++;
    else d->stats.records_stale++; /* a flight resent before our answer arrived */
    return BRTC_OK;
  }
  uint8_t plain[BRTC_DTLS_MAX_DATAGRAM];
  size_t n = 0;
  if (!open_record(d, record, len, &type, plain, sizeof plain, &n)) return BRTC_OK;
  int rc = BRTC_OK;
  if (type == BRTC_DTLS_CT_ALERT) {
    on_alert(d, plain, n);
  } else if (type == BRTC_DTLS_CT_APPLICATION_DATA) {
    deliver(d, plain, n);
  } else if (type == BRTC_DTLS_CT_HANDSHAKE && d->ssl) {
    d->input = record;
    d->input_len = len;
    rc = drain_openssl(d);
    d->input = NULL;
    d->input_len = 0;
  } else if (type == BRTC_DTLS_CT_HANDSHAKE) {
    d->stats.records_stale++; /* released: the peer had finished, this copy is late */
  } else {
    d->stats.records_unexpected++;
  }
  OPENSSL_cleanse(plain, n);
  return rc;
}

/* One record of a datagram, routed as the top of this file says. */
static int handle_record(brtc_dtls *d, const uint8_t *record, size_t len) {
  if (d->state == BRTC_DTLS_CONNECTED) return handle_after_handshake(d, record, len);
  d->input = record;
  d->input_len = len;
  int rc = drive_handshake(d);
  /* Records after the Finished in the same datagram were read by OpenSSL too. */
  if (rc == BRTC_OK && d->state == BRTC_DTLS_CONNECTED) rc = drain_openssl(d);
  d->input = NULL; /* never keep the caller's buffer */
  d->input_len = 0;
  return rc;
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
  d->initial_timeout_us = d->timeout_us = DEFAULT_INITIAL_TIMEOUT_US;
  d->deadline_us = UINT64_MAX;
  d->exact_timer = own_ossl_timer_possible();
  d->cipher = "";

  ERR_clear_error();
  d->out = calloc(1, sizeof *d->out);
  d->ssl = d->out ? SSL_new(ctx) : NULL;
  BIO *bio = d->ssl ? BIO_new(bio_method) : NULL;
  if (!bio) {
    brtc_dtls_free(d);
    ERR_clear_error();
    return NULL;
  }
  BIO_set_data(bio, d);
  SSL_set_bio(d->ssl, bio, bio); /* one reference, now owned by the SSL */
  SSL_set_app_data(d->ssl, d);
  DTLS_set_timer_cb(d->ssl, ossl_timer_cb);
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
  brtc_dtls_record_free(d->rec);
  queue_free(d->out);
  queue_free(d->in);
  OPENSSL_cleanse(&d->keys, sizeof d->keys);
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
  d->initial_timeout_us = d->timeout_us = initial_ms * 1000u;
  return BRTC_OK;
}

int brtc_dtls_start(brtc_dtls *d, uint64_t now_us) {
  if (!d) return BRTC_ERR_INVALID;
  if (!d->is_client) return BRTC_OK;
  if (d->state != BRTC_DTLS_NEW) return BRTC_ERR_STATE;
  d->now_us = now_us;
  int rc = drive_handshake(d);
  mirror_deadline(d);
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
  d->now_us = now_us;
  int rc = BRTC_OK;
  size_t off = 0;
  /* RFC 6347 4.1: a datagram is whole records; each is handled on its own. */
  while (off < len && rc == BRTC_OK &&
         (d->state == BRTC_DTLS_NEW || d->state == BRTC_DTLS_HANDSHAKING ||
          d->state == BRTC_DTLS_CONNECTED)) {
    size_t n = brtc_dtls_record_next(data + off, len - off);
    if (n == 0) {
      d->stats.records_malformed++;
      rc = BRTC_ERR_PARSE;
      break;
    }
    rc = handle_record(d, data + off, n);
    off += n;
  }
  mirror_deadline(d);
  ERR_clear_error();
  return rc;
}

int brtc_dtls_handle_app(brtc_dtls *d, const uint8_t *data, size_t len, uint64_t now_us,
                         uint8_t *app, size_t app_cap, size_t *app_len) {
  if (!d || !app_len || (!app && app_cap)) return BRTC_ERR_INVALID;
  *app_len = 0;
  d->app = app;
  d->app_cap = app_cap;
  d->app_len = app_len;
  int rc = brtc_dtls_handle(d, data, len, now_us);
  d->app = NULL; /* never keep the caller's buffer */
  d->app_len = NULL;
  return rc;
}

int brtc_dtls_seal_app(brtc_dtls *d, const uint8_t *data, size_t len, uint8_t *out, size_t cap,
                       size_t *out_len) {
  if (!d || (!data && len) || !out || !out_len) return BRTC_ERR_INVALID;
  if (d->ssl || !d->rec || d->state != BRTC_DTLS_CONNECTED) return BRTC_ERR_STATE;
  return brtc_dtls_record_protect(d->rec, BRTC_DTLS_CT_APPLICATION_DATA, data, len, out, cap,
                                  out_len);
}

int brtc_dtls_poll_output(brtc_dtls *d, uint8_t *out, size_t cap, size_t *out_len) {
  if (!d || !out || !out_len) return BRTC_ERR_INVALID;
  datagram *dg = queue_front(d->out);
  if (dg) {
    if (dg->len > cap) return BRTC_ERR_TOO_BIG;
    memcpy(out, dg->data, dg->len);
    *out_len = dg->len;
    queue_pop(d->out);
    return BRTC_OK;
  }
  if (d->alert_pending && d->rec) {
    static const uint8_t close_notify[2] = {BRTC_DTLS_ALERT_WARNING, BRTC_DTLS_ALERT_CLOSE_NOTIFY};
    int rc = brtc_dtls_record_protect(d->rec, BRTC_DTLS_CT_ALERT, close_notify, 2, out, cap,
                                      out_len);
    if (rc != BRTC_ERR_TOO_BIG) d->alert_pending = false; /* other failures: nothing to send */
    return rc == BRTC_OK ? BRTC_OK : rc == BRTC_ERR_TOO_BIG ? rc : BRTC_ERR_AGAIN;
  }
  return BRTC_ERR_AGAIN;
}

uint64_t brtc_dtls_next_deadline(const brtc_dtls *d) { return d ? d->deadline_us : UINT64_MAX; }

int brtc_dtls_handle_timeout(brtc_dtls *d, uint64_t now_us) {
  if (!d) return BRTC_ERR_INVALID;
  if (d->state != BRTC_DTLS_HANDSHAKING || now_us < d->deadline_us || !d->ssl) return BRTC_OK;
  d->now_us = now_us;
  int rc = BRTC_OK;
  ERR_clear_error();
  if (d->exact_timer) {
    if (!d->flight_timer || !d->ossl_timer) {
      d->deadline_us = UINT64_MAX;
      return BRTC_OK;
    }
    /* Our deadline has come: make OpenSSL's timer read as expired (any time in the past;
     * zero would mean "stopped") and let it resend the flight. */
    d->ossl_timer->tv_sec = 1;
    d->ossl_timer->tv_usec = 0;
    d->forcing = true;
    int r = DTLSv1_handle_timeout(d->ssl);
    d->forcing = false;
    if (r < 0) {
      rc = fail(d, "handshake timed out");
    } else {
      d->stats.retransmissions++;
      d->flight_resent = true;
      d->timeout_us = next_timeout(d->timeout_us);
      d->deadline_us = d->flight_timer ? now_us + d->timeout_us : UINT64_MAX;
    }
  } else {
    /* 0 means OpenSSL's own clock says "not yet": the refreshed deadline covers the rest. */
    int r = DTLSv1_handle_timeout(d->ssl);
    if (r < 0) rc = fail(d, "handshake timed out");
    else if (r > 0) d->stats.retransmissions++, d->flight_resent = true;
    mirror_deadline(d);
  }
  ERR_clear_error();
  return rc;
}

brtc_dtls_state brtc_dtls_get_state(const brtc_dtls *d) { return d ? d->state : BRTC_DTLS_FAILED; }

const char *brtc_dtls_error(const brtc_dtls *d) { return d ? d->error : ""; }

const char *brtc_dtls_cipher(const brtc_dtls *d) {
  return d && d->state == BRTC_DTLS_CONNECTED ? d->cipher : "";
}

int brtc_dtls_get_srtp_keys(const brtc_dtls *d, brtc_dtls_srtp_keys *out) {
  if (!d || !out) return BRTC_ERR_INVALID;
  if (d->state != BRTC_DTLS_CONNECTED || !d->ssl) return BRTC_ERR_STATE;
  if (d->keys.profile == BRTC_SRTP_PROFILE_NONE) return BRTC_ERR_NOT_FOUND;
  *out = d->keys;
  return BRTC_OK;
}

static char *hex_into(char *p, const uint8_t *b, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    *p++ = digits[b[i] >> 4];
    *p++ = digits[b[i] & 15];
  }
  return p;
}

int brtc_dtls_keylog_line(const brtc_dtls *d, char *out, size_t cap) {
  if (!d || !out || cap < BRTC_DTLS_KEYLOG_LEN) return BRTC_ERR_INVALID;
  if (d->state != BRTC_DTLS_CONNECTED || !d->ssl) return BRTC_ERR_STATE;
  uint8_t master[MASTER_SECRET_LEN], client_random[RANDOM_LEN];
  size_t master_len = SSL_SESSION_get_master_key(SSL_get_session(d->ssl), master, sizeof master);
  if (master_len != MASTER_SECRET_LEN ||
      SSL_get_client_random(d->ssl, client_random, RANDOM_LEN) != RANDOM_LEN) {
    OPENSSL_cleanse(master, sizeof master);
    return BRTC_ERR_CRYPTO;
  }
  /* NSS key log format: the label, the ClientHello's random, the master secret. */
  static const char label[] = "CLIENT_RANDOM ";
  char *p = out;
  memcpy(p, label, sizeof label - 1);
  p = hex_into(p + sizeof label - 1, client_random, RANDOM_LEN);
  *p++ = ' ';
  p = hex_into(p, master, MASTER_SECRET_LEN);
  *p++ = '\n';
  *p = '\0';
  OPENSSL_cleanse(master, sizeof master);
  return BRTC_OK;
}

int brtc_dtls_write(brtc_dtls *d, const uint8_t *data, size_t len) {
  if (!d || (!data && len)) return BRTC_ERR_INVALID;
  if (len == 0) return BRTC_OK;
  if (len > BRTC_DTLS_MAX_WRITE) return BRTC_ERR_TOO_BIG;
  if (d->state != BRTC_DTLS_CONNECTED) return BRTC_ERR_STATE;
  if (!d->ssl) { /* released: our record layer, into the outgoing queue */
    if (!d->out && !(d->out = calloc(1, sizeof *d->out))) return BRTC_ERR_NOMEM;
    datagram *dg = queue_tail(d->out);
    if (!dg) {
      d->dropped++; /* as a full socket buffer would (see bio_write) */
      return BRTC_OK;
    }
    int rc = brtc_dtls_record_protect(d->rec, BRTC_DTLS_CT_APPLICATION_DATA, data, len,
                                      dg->data, sizeof dg->data, &dg->len);
    if (rc == BRTC_OK) d->out->count++;
    return rc;
  }
  size_t written = 0;
  ERR_clear_error();
  int ok = SSL_write_ex(d->ssl, data, len, &written);
  ERR_clear_error();
  return ok == 1 && written == len ? BRTC_OK : BRTC_ERR_CRYPTO;
}

int brtc_dtls_read(brtc_dtls *d, uint8_t *out, size_t cap, size_t *out_len) {
  if (!d || !out || !out_len) return BRTC_ERR_INVALID;
  datagram *dg = queue_front(d->in);
  if (!dg) return BRTC_ERR_AGAIN;
  if (dg->len > cap) return BRTC_ERR_TOO_BIG;
  memcpy(out, dg->data, dg->len);
  *out_len = dg->len;
  queue_pop(d->in);
  if (!d->ssl && d->in->count == 0) { /* released: no queue held between datagrams */
    queue_free(d->in);
    d->in = NULL;
  }
  return BRTC_OK;
}

int brtc_dtls_close(brtc_dtls *d) {
  if (!d) return BRTC_ERR_INVALID;
  if (d->state != BRTC_DTLS_CONNECTED) return BRTC_ERR_STATE;
  send_close_notify(d);
  d->state = BRTC_DTLS_CLOSED;
  return BRTC_OK;
}

int brtc_dtls_release(brtc_dtls *d) {
  if (!d) return BRTC_ERR_INVALID;
  if (!d->ssl) return BRTC_OK;
  if (d->state != BRTC_DTLS_CONNECTED || !d->rec) return BRTC_ERR_STATE;
  if (queue_front(d->out)) return BRTC_ERR_AGAIN; /* OpenSSL's last records go first */
  /* From here our records continue OpenSSL's epoch-1 sequence numbers. */
  brtc_dtls_record_reserve_write_seq(d->rec, d->ossl_epoch1_next_seq);
  SSL_free(d->ssl);
  d->ssl = NULL;
  queue_free(d->out);
  d->out = NULL;
  if (!queue_front(d->in)) {
    queue_free(d->in);
    d->in = NULL;
  }
  d->flight_timer = false;
  d->ossl_timer = NULL;
  d->deadline_us = UINT64_MAX;
  OPENSSL_cleanse(&d->keys, sizeof d->keys); /* the caller has keyed SRTP by now */
  return BRTC_OK;
}

bool brtc_dtls_released(const brtc_dtls *d) { return d && !d->ssl; }

int brtc_dtls_send_alert(brtc_dtls *d, uint8_t level, uint8_t description) {
  if (!d) return BRTC_ERR_INVALID;
  if (d->ssl || !d->rec || d->state != BRTC_DTLS_CONNECTED) return BRTC_ERR_STATE;
  if (!d->out && !(d->out = calloc(1, sizeof *d->out))) return BRTC_ERR_NOMEM;
  datagram *dg = queue_tail(d->out);
  if (!dg) return BRTC_ERR_LIMIT;
  const uint8_t body[2] = {level, description};
  int rc = brtc_dtls_record_protect(d->rec, BRTC_DTLS_CT_ALERT, body, sizeof body, dg->data,
                                    sizeof dg->data, &dg->len);
  if (rc == BRTC_OK) d->out->count++;
  return rc;
}

void brtc_dtls_get_stats(const brtc_dtls *d, brtc_dtls_stats *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (d) *out = d->stats;
}

uint64_t brtc_dtls_dropped_datagrams(const brtc_dtls *d) { return d ? d->dropped : 0; }

SSL *brtc_dtls_ssl(const brtc_dtls *d) { return d ? d->ssl : NULL; }
