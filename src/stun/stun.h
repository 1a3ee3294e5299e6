/* STUN messages (RFC 8489): parse, check integrity, build. Sans-IO, no allocation. */
#ifndef BRTC_STUN_H
#define BRTC_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define BRTC_STUN_HEADER_SIZE 20
#define BRTC_STUN_MAGIC_COOKIE 0x2112A442u
/* Our own limit for anything we build or accept: a TURN Send or Data indication carries a
 * whole datagram of up to 1500 bytes plus its attributes (RFC 8656 10, 11). */
#define BRTC_STUN_MAX_SIZE 1600

/* Message types (method | class). */
enum {
  BRTC_STUN_BINDING_REQUEST = 0x0001,
  BRTC_STUN_BINDING_SUCCESS = 0x0101,
  BRTC_STUN_BINDING_ERROR = 0x0111,
  BRTC_STUN_BINDING_INDICATION = 0x0011,
};

/* Attribute types. */
enum {
  BRTC_STUN_ATTR_MAPPED_ADDRESS = 0x0001,
  BRTC_STUN_ATTR_USERNAME = 0x0006,
  BRTC_STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
  BRTC_STUN_ATTR_ERROR_CODE = 0x0009,
  BRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
  BRTC_STUN_ATTR_REALM = 0x0014,
  BRTC_STUN_ATTR_NONCE = 0x0015,
  BRTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
  BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
  BRTC_STUN_ATTR_PRIORITY = 0x0024,
  BRTC_STUN_ATTR_USE_CANDIDATE = 0x0025,
  BRTC_STUN_ATTR_SOFTWARE = 0x8022,
  BRTC_STUN_ATTR_FINGERPRINT = 0x8028,
  BRTC_STUN_ATTR_ICE_CONTROLLED = 0x8029,
  BRTC_STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

/* A parsed message: pointers point into the caller's buffer, which must outlive it. */
typedef struct brtc_stun_msg {
  uint16_t type;
  uint16_t length; /* body length from the header */
  uint8_t transaction_id[12];

  const uint8_t *username; /* not NUL-terminated */
  size_t username_len;
  const uint8_t *realm;
  size_t realm_len;
  const uint8_t *nonce;
  size_t nonce_len;
  const uint8_t *software;
  size_t software_len;

  bool has_integrity;
  size_t integrity_offset; /* offset of the MESSAGE-INTEGRITY attribute header in the buffer */
  bool has_fingerprint;
  bool fingerprint_ok; /* CRC-32 matched */

  bool has_xor_mapped;
  brtc_addr xor_mapped; /* decoded */
  bool has_mapped;
  brtc_addr mapped;

  bool has_priority;
  uint32_t priority;
  bool use_candidate;
  bool has_ice_controlling;
  uint64_t ice_controlling; /* tie-breaker */
  bool has_ice_controlled;
  uint64_t ice_controlled;

  bool has_error;
  uint16_t error_code; /* e.g. 487 */
  const uint8_t *error_reason;
  size_t error_reason_len;

  /* Comprehension-required attributes (< 0x8000) we do not know, for a 420 answer. */
  uint16_t unknown_required[8];
  size_t n_unknown_required;
} brtc_stun_msg;

/* First-byte test of RFC 7983 plus the magic cookie: cheap, for demultiplexing. */
bool brtc_stun_is_stun(const uint8_t *buf, size_t len);

/* Parse a whole message. Strict: lengths, padding, attribute bounds, attributes after
 * MESSAGE-INTEGRITY ignored (except FINGERPRINT), FINGERPRINT must be last.
 * Returns BRTC_OK or BRTC_ERR_PARSE. */
int brtc_stun_parse(const uint8_t *buf, size_t len, brtc_stun_msg *msg);

/* Find the first attribute of `type` in a message that brtc_stun_parse accepted (for
 * attributes brtc_stun_msg does not decode, e.g. TURN's). Attributes after
 * MESSAGE-INTEGRITY are not searched, except FINGERPRINT. BRTC_OK or BRTC_ERR_NOT_FOUND. */
int brtc_stun_find_attr(const uint8_t *buf, size_t len, uint16_t type, const uint8_t **value,
                        size_t *value_len);

/* Walk the attributes of a message that brtc_stun_parse accepted, in order, from *pos
 * (start at 0); stops at MESSAGE-INTEGRITY (nothing after it counts, RFC 8489 14.5). True
 * with the next attribute's type and value, false at the end. */
bool brtc_stun_next_attr(const uint8_t *buf, size_t len, size_t *pos, uint16_t *type,
                         const uint8_t **value, size_t *value_len);

/* Decode an XOR-*-ADDRESS value (XOR-MAPPED, and TURN's XOR-PEER and XOR-RELAYED) of the
 * message in buf (its header is the XOR mask). BRTC_OK or BRTC_ERR_PARSE. */
int brtc_stun_decode_xor_address(const uint8_t *buf, const uint8_t *value, size_t value_len,
                                 brtc_addr *out);

/* Verify MESSAGE-INTEGRITY (HMAC-SHA1) of a parsed message with a short-term key
 * (the password bytes). BRTC_OK, BRTC_ERR_AUTH, or BRTC_ERR_PARSE if there is none. */
int brtc_stun_check_integrity(const uint8_t *buf, size_t len, const brtc_stun_msg *msg,
                              const uint8_t *key, size_t key_len);

/* A key made ready for MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 14.5) once, so that each
 * message signed or checked with it costs no digest fetch, no key schedule and no context of
 * its own (OpenSSL's one-shot HMAC() does all three per message). Its holder owns it: start
 * from all zeros, brtc_stun_key_set it from the credential, and brtc_stun_key_clear it before
 * it goes. brtc_stun_key_set with other bytes re-keys it (a new password, an ICE restart); with
 * the same bytes it does nothing, so a holder may call it before every use. Each use
 * re-initialises the one context: not for two threads at once. */
#define BRTC_STUN_KEY_MAX 256 /* an ICE password's longest (RFC 8839 5.4) */
typedef struct brtc_stun_key {
  struct evp_mac_ctx_st *mac; /* OpenSSL's keyed HMAC-SHA1; NULL until set */
  size_t len;
  uint8_t bytes[BRTC_STUN_KEY_MAX]; /* what it is keyed with, to see a change */
} brtc_stun_key;

/* BRTC_OK, BRTC_ERR_INVALID (longer than BRTC_STUN_KEY_MAX), BRTC_ERR_NOMEM or
 * BRTC_ERR_CRYPTO; on an error the key is cleared. */
int brtc_stun_key_set(brtc_stun_key *k, const uint8_t *key, size_t key_len);
/* Frees the context and wipes the bytes; the key is all zeros again. */
void brtc_stun_key_clear(brtc_stun_key *k);
/* brtc_stun_check_integrity with a key that is set. */
int brtc_stun_check_integrity_keyed(const uint8_t *buf, size_t len, const brtc_stun_msg *msg,
                                    brtc_stun_key *k);

/* Long-term credential key: MD5(username ":" realm ":" password) (RFC 8489 9.2.2). */
int brtc_stun_long_term_key(const char *username, const char *realm, const char *password,
                            uint8_t key[16]);

/* Building: a writer over a caller buffer; attributes are appended in order. */
typedef struct brtc_stun_writer {
  uint8_t *buf;
  size_t cap;
  size_t len;
  int err; /* sticky: first error wins, checked by finish */
} brtc_stun_writer;

void brtc_stun_writer_init(brtc_stun_writer *w, uint8_t *buf, size_t cap, uint16_t type,
                           const uint8_t transaction_id[12]);
void brtc_stun_add_bytes(brtc_stun_writer *w, uint16_t attr, const void *value, size_t len);
void brtc_stun_add_u32(brtc_stun_writer *w, uint16_t attr, uint32_t value);
void brtc_stun_add_u64(brtc_stun_writer *w, uint16_t attr, uint64_t value);
void brtc_stun_add_flag(brtc_stun_writer *w, uint16_t attr); /* zero-length, e.g. USE-CANDIDATE */
void brtc_stun_add_xor_address(brtc_stun_writer *w, uint16_t attr, const brtc_addr *addr);
void brtc_stun_add_error(brtc_stun_writer *w, uint16_t code, const char *reason);
/* Append MESSAGE-INTEGRITY (if key != NULL) and FINGERPRINT (if fingerprint), fix the
 * length, and return the total size in *out_len. */
int brtc_stun_finish(brtc_stun_writer *w, const uint8_t *key, size_t key_len, bool fingerprint,
                     size_t *out_len);
/* brtc_stun_finish signing with a key that is set (k NULL: no MESSAGE-INTEGRITY). */
int brtc_stun_finish_keyed(brtc_stun_writer *w, brtc_stun_key *k, bool fingerprint,
                           size_t *out_len);

#endif
