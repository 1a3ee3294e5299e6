/* DTLS 1.2 (RFC 6347) with use_srtp (RFC 5764): OpenSSL runs the handshake, our own record
 * layer (dtls_record.h) carries every alert and application record after it. Sans-IO:
 * datagrams go in with brtc_dtls_handle, come out with brtc_dtls_poll_output; the caller's
 * clock drives the retransmission timer. */
#ifndef BRTC_DTLS_H
#define BRTC_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRTC_DTLS_FINGERPRINT_LEN 96 /* "AB:CD:...", 32 bytes -> 95 chars + NUL */
#define BRTC_DTLS_MTU 1200

/* A self-signed ECDSA P-256 certificate and its key, made once and shared by sessions. */
typedef struct brtc_dtls_cert brtc_dtls_cert;
brtc_dtls_cert *brtc_dtls_cert_generate(void);       /* NULL on failure */
/* The same, saying why it failed (the step and OpenSSL's reason) in err. */
int brtc_dtls_cert_new(brtc_dtls_cert **out, char *err, size_t err_cap);
void brtc_dtls_cert_free(brtc_dtls_cert *c);
/* "sha-256" fingerprint, uppercase hex with colons. */
const char *brtc_dtls_cert_fingerprint(const brtc_dtls_cert *c);
/* Make the certificate and its key the identity of a TLS context (TURN over TLS uses it
 * when it is given no certificate of its own). BRTC_ERR_CRYPTO on failure. */
struct ssl_ctx_st;
int brtc_dtls_cert_install(const brtc_dtls_cert *c, struct ssl_ctx_st *ctx);

#define BRTC_DTLS_SHA256_LEN 32
/* Parses an a=fingerprint sha-256 value, "ab:CD:..." (either case), to its 32 bytes;
 * BRTC_ERR_PARSE if malformed. */
int brtc_dtls_fingerprint_parse(const char *text, uint8_t md[BRTC_DTLS_SHA256_LEN]);

/* SRTP protection profiles, by their IANA numbers. */
typedef enum brtc_srtp_profile_id {
  BRTC_SRTP_PROFILE_NONE = 0,
  BRTC_SRTP_PROFILE_AES128_CM_SHA1_80 = 0x0001,
  BRTC_SRTP_PROFILE_AEAD_AES_128_GCM = 0x0007,
} brtc_srtp_profile_id;

typedef enum brtc_dtls_state {
  BRTC_DTLS_NEW = 0,
  BRTC_DTLS_HANDSHAKING,
  BRTC_DTLS_CONNECTED,
  BRTC_DTLS_FAILED, /* see brtc_dtls_error; also an authenticated fatal alert from the peer */
  BRTC_DTLS_CLOSED, /* an authenticated close_notify, either way */
} brtc_dtls_state;

typedef struct brtc_dtls brtc_dtls;

/* Keys exported after the handshake (RFC 5764 4.2), split by who sends with them. */
typedef struct brtc_dtls_srtp_keys {
  brtc_srtp_profile_id profile;
  uint8_t local_key[16], local_salt[14];   /* we protect with these */
  uint8_t remote_key[16], remote_salt[14]; /* we unprotect with these */
  size_t key_len, salt_len;                /* 16 and 14 (CM) or 16 and 12 (GCM) */
} brtc_dtls_srtp_keys;

/* is_client: true when our a=setup is active. remote_fingerprint_sha256 is the peer's
 * "AB:CD:..." from its SDP; the handshake fails if its certificate does not match. */
brtc_dtls *brtc_dtls_new(const brtc_dtls_cert *cert, bool is_client,
                         const char *remote_fingerprint_sha256);
void brtc_dtls_free(brtc_dtls *d);

/* Client: emit the ClientHello. Server: no-op. */
int brtc_dtls_start(brtc_dtls *d, uint64_t now_us);
/* Feed one datagram of DTLS records. After the handshake only an epoch-1 alert that
 * authenticates and is not a replay can close (close_notify) or fail (a fatal alert) the
 * session; anything else is dropped and counted in brtc_dtls_stats. BRTC_ERR_PARSE if the
 * datagram is not whole DTLS records (those before the bad one are handled). */
int brtc_dtls_handle(brtc_dtls *d, const uint8_t *data, size_t len, uint64_t now_us);
/* Take one datagram to send; BRTC_ERR_AGAIN when none is pending. */
int brtc_dtls_poll_output(brtc_dtls *d, uint8_t *out, size_t cap, size_t *out_len);
/* Next retransmission deadline on the caller's clock, UINT64_MAX if none. The flight is
 * resent by handle_timeout at that deadline, never earlier and never by handle (see
 * brtc_dtls_timer_exact for where OpenSSL's clock still has a say). */
uint64_t brtc_dtls_next_deadline(const brtc_dtls *d);
int brtc_dtls_handle_timeout(brtc_dtls *d, uint64_t now_us);

brtc_dtls_state brtc_dtls_get_state(const brtc_dtls *d);
/* One line on why the handshake failed ("" otherwise). */
const char *brtc_dtls_error(const brtc_dtls *d);
/* After CONNECTED: negotiated cipher suite name ("ECDHE-ECDSA-AES128-GCM-SHA256"). */
const char *brtc_dtls_cipher(const brtc_dtls *d);
/* Named _get_ because a function cannot share the name of the brtc_dtls_srtp_keys type
 * in C. BRTC_ERR_STATE before CONNECTED or after the release, BRTC_ERR_NOT_FOUND if no
 * SRTP was negotiated. */
int brtc_dtls_get_srtp_keys(const brtc_dtls *d, brtc_dtls_srtp_keys *out);

/* The session's secret as one SSLKEYLOGFILE line, "CLIENT_RANDOM <64 hex> <96 hex>\n" (the
 * NSS key log format Wireshark reads), so that a capture of the handshake can be decrypted.
 * For debugging only: whoever holds it reads every record of the session. BRTC_ERR_STATE
 * before CONNECTED or after the release, BRTC_ERR_INVALID if cap < BRTC_DTLS_KEYLOG_LEN. */
#define BRTC_DTLS_KEYLOG_LEN 180
int brtc_dtls_keylog_line(const brtc_dtls *d, char *out, size_t cap);

/* Application data (SCTP packets, RFC 8261 5: one per record). While OpenSSL's state is
 * there, a write goes through OpenSSL into the queue poll_output drains; once released, use
 * brtc_dtls_seal_app, which needs no queue. */
int brtc_dtls_write(brtc_dtls *d, const uint8_t *data, size_t len);
/* BRTC_ERR_AGAIN when nothing is pending. */
int brtc_dtls_read(brtc_dtls *d, uint8_t *out, size_t cap, size_t *out_len);
/* brtc_dtls_handle, with the first authenticated application record after the handshake
 * opened straight into app (*app_len its length, 0 if there was none): the common datagram,
 * one record of SCTP, never touches the queue. Further application records of the same
 * datagram, and any OpenSSL read before its Finished, wait for brtc_dtls_read as before. */
int brtc_dtls_handle_app(brtc_dtls *d, const uint8_t *data, size_t len, uint64_t now_us,
                         uint8_t *app, size_t app_cap, size_t *app_len);
/* After the release: one application record of len bytes sealed straight into out (at most
 * len + BRTC_DTLS_RECORD_OVERHEAD bytes), continuing the epoch-1 sequence numbers. The
 * caller keeps len within its path MTU less that overhead. BRTC_ERR_STATE before the release
 * or unless CONNECTED, BRTC_ERR_TOO_BIG if it does not fit cap. */
int brtc_dtls_seal_app(brtc_dtls *d, const uint8_t *data, size_t len, uint8_t *out, size_t cap,
                       size_t *out_len);

/* --- Additions (optional; the defaults suit WebRTC) --- */

/* Largest datagram poll_output can return, and largest brtc_dtls_write payload. */
#define BRTC_DTLS_MAX_DATAGRAM 2048
#define BRTC_DTLS_MAX_WRITE 1900

/* Offer/accept only these SRTP profiles, most preferred first (default: GCM, then
 * AES128_CM_SHA1_80). Only in state NEW. */
int brtc_dtls_set_srtp_profiles(brtc_dtls *d, const brtc_srtp_profile_id *ids, size_t n);
/* First retransmission timeout in ms (default 100, as RFC 9147 5.8.2 recommends; RFC 6347
 * 4.2.4.1 said 1000); doubles up to 60 s. Only in state NEW. */
int brtc_dtls_set_retransmit_timeout(brtc_dtls *d, uint32_t initial_ms);
/* Send close_notify (poll_output then has it); the session stops carrying data. */
int brtc_dtls_close(brtc_dtls *d);
/* Datagrams dropped because the outgoing queue was full (DTLS/SCTP retransmit them). */
uint64_t brtc_dtls_dropped_datagrams(const brtc_dtls *d);

/* Frees OpenSSL's state (~100 KiB) once CONNECTED, keeping only the epoch-1 record layer
 * (keys, sequence numbers, replay window: a few hundred bytes): alerts and application data
 * keep flowing both ways, authenticated as before, but a peer that lost our last flight can
 * no longer be answered, so release only once the peer has shown it finished (RFC 6347
 * 4.2.4). BRTC_ERR_AGAIN while datagrams are still queued (poll them first), BRTC_ERR_STATE
 * if not CONNECTED. Releasing twice is a no-op. */
int brtc_dtls_release(brtc_dtls *d);
bool brtc_dtls_released(const brtc_dtls *d);
/* After the release: queue an authenticated alert (RFC 5246 7.2). BRTC_ERR_STATE before. */
int brtc_dtls_send_alert(brtc_dtls *d, uint8_t level, uint8_t description);

typedef struct brtc_dtls_stats {
  /* After the handshake, records dropped without effect: */
  uint64_t records_forged;     /* epoch-1 records that do not authenticate, or of no epoch of
                                  ours; plaintext application data */
  uint64_t records_replayed;   /* sequence number already accepted, or below the window */
  uint64_t plaintext_alerts;   /* epoch-0 alerts, which no peer can send any more */
  uint64_t records_unexpected; /* authenticated but unusable (too big, unknown content) */
  uint64_t records_stale;      /* handshake records of the finished handshake, resent by a
                                  peer before our answer reached it: normal, not a drop */
  uint64_t records_malformed;  /* datagrams that were not whole records */
  uint64_t alerts_received;    /* authenticated alerts, acted on */
  uint64_t retransmissions;    /* flights resent on our timer */
} brtc_dtls_stats;
void brtc_dtls_get_stats(const brtc_dtls *d, brtc_dtls_stats *out);

/* True when retransmissions follow the caller's clock alone (OpenSSL 3.0: we own its
 * timer). False on other OpenSSL versions: the deadline then mirrors OpenSSL's own clock,
 * and a flight goes out when both agree it is due. */
bool brtc_dtls_timer_exact(void);

#endif
