/* The DTLS 1.2 record layer of one epoch after the handshake (RFC 6347 4.1), ours on EVP:
 * AEAD records (RFC 5246 6.2.3.3) for the suites we negotiate (AES-GCM, RFC 5288 and 5289;
 * ChaCha20-Poly1305, RFC 7905) with the sliding replay window of RFC 6347 4.1.2.6. Sans-IO:
 * whole records in, whole records out. It lets the session hold only its epoch-1 keys once
 * OpenSSL's handshake state is freed, and still authenticate every record it accepts. */
#ifndef BRTC_DTLS_RECORD_H
#define BRTC_DTLS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 5246 6.2.1 content types. */
#define BRTC_DTLS_CT_CHANGE_CIPHER_SPEC 20
#define BRTC_DTLS_CT_ALERT 21
#define BRTC_DTLS_CT_HANDSHAKE 22
#define BRTC_DTLS_CT_APPLICATION_DATA 23

/* RFC 5246 7.2 alert levels and the descriptions we act on. */
#define BRTC_DTLS_ALERT_WARNING 1
#define BRTC_DTLS_ALERT_FATAL 2
#define BRTC_DTLS_ALERT_CLOSE_NOTIFY 0

#define BRTC_DTLS_RECORD_HEADER 13   /* type, version, epoch, 48-bit sequence, length */
#define BRTC_DTLS_RECORD_TAG 16
#define BRTC_DTLS_RECORD_EXPLICIT_NONCE 8 /* AES-GCM only (RFC 5288 3) */
/* Largest expansion of a protected record over its plaintext. */
#define BRTC_DTLS_RECORD_OVERHEAD                                                          \
  (BRTC_DTLS_RECORD_HEADER + BRTC_DTLS_RECORD_EXPLICIT_NONCE + BRTC_DTLS_RECORD_TAG)
#define BRTC_DTLS_RECORD_MAX_SEQ 0xffffffffffffull /* 48 bits (RFC 6347 4.1) */

typedef enum brtc_dtls_aead {
  BRTC_DTLS_AEAD_NONE = 0,
  BRTC_DTLS_AEAD_AES_128_GCM,        /* key 16, implicit IV 4 + explicit 8 */
  BRTC_DTLS_AEAD_AES_256_GCM,        /* key 32, implicit IV 4 + explicit 8 */
  BRTC_DTLS_AEAD_CHACHA20_POLY1305,  /* key 32, IV 12 XORed with the sequence number */
} brtc_dtls_aead;

/* One epoch's traffic keys, split by direction. */
typedef struct brtc_dtls_epoch_keys {
  brtc_dtls_aead aead;
  uint16_t epoch;
  uint8_t write_key[32], write_iv[12]; /* we protect with these */
  uint8_t read_key[32], read_iv[12];   /* we unprotect with these */
} brtc_dtls_epoch_keys;

/* RFC 5246 5: PRF(secret, label, seed_a + seed_b) of out_len bytes, P_SHA256 (or P_SHA384
 * for the SHA-384 suites, RFC 5289 3.2), by OpenSSL's "TLS1-PRF". */
int brtc_dtls_tls12_prf(bool sha384, const uint8_t *secret, size_t secret_len, const char *label,
                        const uint8_t *seed_a, size_t a_len, const uint8_t *seed_b, size_t b_len,
                        uint8_t *out, size_t out_len);

/* RFC 5246 6.3: the key block is PRF(master_secret, "key expansion", server_random +
 * client_random), cut into client and server write keys and IVs (AEAD suites have no MAC
 * keys). prf_sha384 for the SHA-384 suites (RFC 5289 3.2), SHA-256 otherwise. */
int brtc_dtls_derive_epoch_keys(brtc_dtls_aead aead, bool prf_sha384, const uint8_t *master,
                                size_t master_len, const uint8_t client_random[32],
                                const uint8_t server_random[32], bool is_client, uint16_t epoch,
                                brtc_dtls_epoch_keys *out);

/* Key and IV lengths of an AEAD (0 if unknown). */
size_t brtc_dtls_aead_key_len(brtc_dtls_aead aead);
size_t brtc_dtls_aead_iv_len(brtc_dtls_aead aead);

/* The bare AEAD on a full 12-byte nonce, for the RFC and NIST vectors: seal writes len
 * bytes of ciphertext and the 16-byte tag; open checks the tag. BRTC_ERR_AUTH on a bad tag. */
int brtc_dtls_aead_seal(brtc_dtls_aead aead, const uint8_t *key, const uint8_t nonce[12],
                        const uint8_t *aad, size_t aad_len, const uint8_t *plain, size_t len,
                        uint8_t *out, uint8_t tag[BRTC_DTLS_RECORD_TAG]);
int brtc_dtls_aead_open(brtc_dtls_aead aead, const uint8_t *key, const uint8_t nonce[12],
                        const uint8_t *aad, size_t aad_len, const uint8_t *cipher, size_t len,
                        const uint8_t tag[BRTC_DTLS_RECORD_TAG], uint8_t *out);

/* Framing, for splitting a datagram into records (RFC 6347 4.1: a datagram carries whole
 * records). The length of the first record (header and fragment), or 0 if data does not
 * start with a well-formed DTLS 1.x record header whose fragment fits. */
size_t brtc_dtls_record_next(const uint8_t *data, size_t len);
uint8_t brtc_dtls_record_type(const uint8_t *record);
uint16_t brtc_dtls_record_epoch(const uint8_t *record);
uint64_t brtc_dtls_record_seq(const uint8_t *record); /* the 48-bit sequence number */

typedef struct brtc_dtls_record brtc_dtls_record;

/* One epoch, both directions; our records carry sequence numbers from next_write_seq on.
 * NULL on failure. Copies the keys. */
brtc_dtls_record *brtc_dtls_record_new(const brtc_dtls_epoch_keys *keys, uint64_t next_write_seq);
void brtc_dtls_record_free(brtc_dtls_record *r);
/* Records we protect from now on start at this sequence number; never lowers it, so a
 * number already used (by OpenSSL, before we took over) is never reused. */
void brtc_dtls_record_reserve_write_seq(brtc_dtls_record *r, uint64_t next_write_seq);
uint64_t brtc_dtls_record_next_write_seq(const brtc_dtls_record *r);

/* Protect plaintext as one record of this type into out (at most len + OVERHEAD bytes).
 * BRTC_ERR_TOO_BIG if it does not fit, BRTC_ERR_LIMIT when the sequence numbers are spent. */
int brtc_dtls_record_protect(brtc_dtls_record *r, uint8_t type, const uint8_t *plain, size_t len,
                             uint8_t *out, size_t cap, size_t *out_len);

/* Unprotect exactly one record (header and fragment, as brtc_dtls_record_next measured it).
 * In order of the checks: BRTC_ERR_PARSE if malformed, BRTC_ERR_STATE if of another epoch,
 * BRTC_ERR_REPLAY if its sequence number was accepted before or is too old for the window,
 * BRTC_ERR_TOO_BIG if the plaintext would not fit in cap, BRTC_ERR_AUTH if it does not
 * authenticate. Only a record that authenticates moves the window. */
int brtc_dtls_record_unprotect(brtc_dtls_record *r, const uint8_t *record, size_t len,
                               uint8_t *type, uint8_t *out, size_t cap, size_t *out_len);

#endif
