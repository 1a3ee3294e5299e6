/* STUN message parsing, integrity and building (RFC 8489). */
#include "stun/stun.h"

#include <arpa/inet.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

#define ATTR_HEADER_SIZE 4
#define INTEGRITY_SIZE 20 /* HMAC-SHA1 */
#define FINGERPRINT_XOR 0x5354554eu
#define FAMILY_IPV4 0x01
#define FAMILY_IPV6 0x02

static size_t padded(size_t n) { return (n + 3) & ~(size_t)3; }

/* CRC-32 (ISO 3309 / zlib polynomial, reflected), four bits at a time from a constant
 * 16-entry table: no global state to initialize. A checksum, not a security primitive. */
static const uint32_t crc32_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

static uint32_t crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    c = crc32_nibble[c & 0x0F] ^ (c >> 4);
    c = crc32_nibble[c & 0x0F] ^ (c >> 4);
  }
  return c ^ 0xFFFFFFFFu;
}

bool brtc_stun_is_stun(const uint8_t *buf, size_t len) {
  /* RFC 7983: first byte 0..3 is STUN; the cookie rules out most other protocols. */
  return buf && len >= BRTC_STUN_HEADER_SIZE && buf[0] < 4 &&
         brtc_rd32(buf + 4) == BRTC_STUN_MAGIC_COOKIE;
}

static bool attr_is_known(uint16_t type) {
  switch (type) {
  case BRTC_STUN_ATTR_MAPPED_ADDRESS:
  case BRTC_STUN_ATTR_USERNAME:
  case BRTC_STUN_ATTR_MESSAGE_INTEGRITY:
  case BRTC_STUN_ATTR_ERROR_CODE:
  case BRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES:
  case BRTC_STUN_ATTR_REALM:
  case BRTC_STUN_ATTR_NONCE:
  case BRTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
  case BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS:
  case BRTC_STUN_ATTR_PRIORITY:
  case BRTC_STUN_ATTR_USE_CANDIDATE:
  case BRTC_STUN_ATTR_SOFTWARE:
  case BRTC_STUN_ATTR_FINGERPRINT:
  case BRTC_STUN_ATTR_ICE_CONTROLLED:
  case BRTC_STUN_ATTR_ICE_CONTROLLING:
    return true;
  default:
    return false;
  }
}

/* Decode (XOR-)MAPPED-ADDRESS. The transaction ID is needed for IPv6 XOR. */
static int decode_address(const uint8_t *v, size_t len, bool xored, const uint8_t *header,
                          brtc_addr *out) {
  if (len < 4 || v[0] != 0) return BRTC_ERR_PARSE;
  uint16_t port = brtc_rd16(v + 2);
  if (xored) port ^= (uint16_t)(BRTC_STUN_MAGIC_COOKIE >> 16);
  memset(out, 0, sizeof(*out));
  if (v[1] == FAMILY_IPV4) {
    if (len != 8) return BRTC_ERR_PARSE;
    uint32_t ip = brtc_rd32(v + 4);
    if (xored) ip ^= BRTC_STUN_MAGIC_COOKIE;
    out->u.v4.sin_family = AF_INET;
    out->u.v4.sin_port = htons(port);
    out->u.v4.sin_addr.s_addr = htonl(ip);
    return BRTC_OK;
  }
  if (v[1] == FAMILY_IPV6) {
    if (len != 20) return BRTC_ERR_PARSE;
    uint8_t *ip = out->u.v6.sin6_addr.s6_addr;
    memcpy(ip, v + 4, 16);
    /* header + 4 is the cookie followed by the transaction ID: exactly the 16-byte mask. */
    if (xored)
      for (int i = 0; i < 16; i++) ip[i] ^= header[4 + i];
    out->u.v6.sin6_family = AF_INET6;
    out->u.v6.sin6_port = htons(port);
    return BRTC_OK;
  }
  return BRTC_ERR_PARSE;
}

static int parse_attr(const uint8_t *buf, uint16_t type, const uint8_t *v, size_t vlen,
                      brtc_stun_msg *msg) {
  switch (type) {
  case BRTC_STUN_ATTR_USERNAME:
    if (!msg->username) {
      msg->username = v;
      msg->username_len = vlen;
    }
    break;
  case BRTC_STUN_ATTR_REALM:
    if (!msg->realm) {
      msg->realm = v;
      msg->realm_len = vlen;
    }
    break;
  case BRTC_STUN_ATTR_NONCE:
    if (!msg->nonce) {
      msg->nonce = v;
      msg->nonce_len = vlen;
    }
    break;
  case BRTC_STUN_ATTR_SOFTWARE:
    if (!msg->software) {
      msg->software = v;
      msg->software_len = vlen;
    }
    break;
  case BRTC_STUN_ATTR_XOR_MAPPED_ADDRESS:
    if (!msg->has_xor_mapped) {
      if (decode_address(v, vlen, true, buf, &msg->xor_mapped) != BRTC_OK) return BRTC_ERR_PARSE;
      msg->has_xor_mapped = true;
    }
    break;
  case BRTC_STUN_ATTR_MAPPED_ADDRESS:
    if (!msg->has_mapped) {
      if (decode_address(v, vlen, false, buf, &msg->mapped) != BRTC_OK) return BRTC_ERR_PARSE;
      msg->has_mapped = true;
    }
    break;
  case BRTC_STUN_ATTR_PRIORITY:
    if (vlen != 4) return BRTC_ERR_PARSE;
    if (!msg->has_priority) {
      msg->has_priority = true;
      msg->priority = brtc_rd32(v);
    }
    break;
  case BRTC_STUN_ATTR_USE_CANDIDATE:
    if (vlen != 0) return BRTC_ERR_PARSE;
    msg->use_candidate = true;
    break;
  case BRTC_STUN_ATTR_ICE_CONTROLLING:
    if (vlen != 8) return BRTC_ERR_PARSE;
    if (!msg->has_ice_controlling) {
      msg->has_ice_controlling = true;
      msg->ice_controlling = brtc_rd64(v);
    }
    break;
  case BRTC_STUN_ATTR_ICE_CONTROLLED:
    if (vlen != 8) return BRTC_ERR_PARSE;
    if (!msg->has_ice_controlled) {
      msg->has_ice_controlled = true;
      msg->ice_controlled = brtc_rd64(v);
    }
    break;
  case BRTC_STUN_ATTR_ERROR_CODE: {
    if (vlen < 4) return BRTC_ERR_PARSE;
    unsigned cls = v[2] & 0x07, number = v[3];
    if (cls < 3 || cls > 6 || number > 99) return BRTC_ERR_PARSE;
    if (!msg->has_error) {
      msg->has_error = true;
      msg->error_code = (uint16_t)(cls * 100 + number);
      msg->error_reason = v + 4;
      msg->error_reason_len = vlen - 4;
    }
    break;
  }
  case BRTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
  case BRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES:
    break; /* understood, but nothing we act on */
  default:
    if (type < 0x8000 && !attr_is_known(type)) {
      bool seen = false;
      for (size_t i = 0; i < msg->n_unknown_required; i++) seen |= msg->unknown_required[i] == type;
      size_t cap = sizeof(msg->unknown_required) / sizeof(msg->unknown_required[0]);
      if (!seen && msg->n_unknown_required < cap)
        msg->unknown_required[msg->n_unknown_required++] = type;
    }
    break;
  }
  return BRTC_OK;
}

int brtc_stun_parse(const uint8_t *buf, size_t len, brtc_stun_msg *msg) {
  if (!buf || !msg) return BRTC_ERR_INVALID;
  memset(msg, 0, sizeof(*msg));
  if (len < BRTC_STUN_HEADER_SIZE || len > BRTC_STUN_MAX_SIZE) return BRTC_ERR_PARSE;
  if ((buf[0] & 0xC0) != 0) return BRTC_ERR_PARSE;
  if (brtc_rd32(buf + 4) != BRTC_STUN_MAGIC_COOKIE) return BRTC_ERR_PARSE;
  uint16_t body_len = brtc_rd16(buf + 2);
  if ((body_len & 3) != 0 || (size_t)body_len + BRTC_STUN_HEADER_SIZE != len)
    return BRTC_ERR_PARSE;

  msg->type = brtc_rd16(buf);
  msg->length = body_len;
  memcpy(msg->transaction_id, buf + 8, 12);

  size_t pos = BRTC_STUN_HEADER_SIZE;
  while (pos < len) {
    if (msg->has_fingerprint) return BRTC_ERR_PARSE; /* FINGERPRINT must be last */
    if (len - pos < ATTR_HEADER_SIZE) return BRTC_ERR_PARSE;
    uint16_t type = brtc_rd16(buf + pos);
    size_t vlen = brtc_rd16(buf + pos + 2);
    const uint8_t *v = buf + pos + ATTR_HEADER_SIZE;
    /* The padded value must fit; padding content is ignored (RFC 8489 14). */
    if (padded(vlen) > len - pos - ATTR_HEADER_SIZE) return BRTC_ERR_PARSE;

    if (type == BRTC_STUN_ATTR_FINGERPRINT) {
      if (vlen != 4) return BRTC_ERR_PARSE;
      msg->has_fingerprint = true;
      msg->fingerprint_ok = (crc32(buf, pos) ^ FINGERPRINT_XOR) == brtc_rd32(v);
    } else if (msg->has_integrity) {
      /* RFC 8489 14.5: anything after MESSAGE-INTEGRITY but FINGERPRINT is ignored. */
    } else if (type == BRTC_STUN_ATTR_MESSAGE_INTEGRITY) {
      if (vlen != INTEGRITY_SIZE) return BRTC_ERR_PARSE;
      msg->has_integrity = true;
      msg->integrity_offset = pos;
    } else if (parse_attr(buf, type, v, vlen, msg) != BRTC_OK) {
      return BRTC_ERR_PARSE;
    }
    pos += ATTR_HEADER_SIZE + padded(vlen);
  }
  return BRTC_OK;
}

bool brtc_stun_next_attr(const uint8_t *buf, size_t len, size_t *pos, uint16_t *type,
                         const uint8_t **value, size_t *value_len) {
  if (!buf || !pos || !type || !value || !value_len || len > BRTC_STUN_MAX_SIZE) return false;
  if (*pos < BRTC_STUN_HEADER_SIZE) *pos = BRTC_STUN_HEADER_SIZE;
  if (*pos > len || len - *pos < ATTR_HEADER_SIZE) return false;
  uint16_t t = brtc_rd16(buf + *pos);
  size_t vlen = brtc_rd16(buf + *pos + 2);
  if (t == BRTC_STUN_ATTR_MESSAGE_INTEGRITY || padded(vlen) > len - *pos - ATTR_HEADER_SIZE)
    return false;
  *type = t;
  *value = buf + *pos + ATTR_HEADER_SIZE;
  *value_len = vlen;
  *pos += ATTR_HEADER_SIZE + padded(vlen);
  return true;
}

int brtc_stun_decode_xor_address(const uint8_t *buf, const uint8_t *value, size_t value_len,
                                 brtc_addr *out) {
  if (!buf || !value || !out) return BRTC_ERR_INVALID;
  return decode_address(value, value_len, true, buf, out);
}

int brtc_stun_find_attr(const uint8_t *buf, size_t len, uint16_t type, const uint8_t **value,
                        size_t *value_len) {
  if (!buf || !value || !value_len) return BRTC_ERR_INVALID;
  if (len < BRTC_STUN_HEADER_SIZE || len > BRTC_STUN_MAX_SIZE) return BRTC_ERR_PARSE;
  bool after_integrity = false;
  size_t pos = BRTC_STUN_HEADER_SIZE;
  while (len - pos >= ATTR_HEADER_SIZE) {
    uint16_t t = brtc_rd16(buf + pos);
    size_t vlen = brtc_rd16(buf + pos + 2);
    if (padded(vlen) > len - pos - ATTR_HEADER_SIZE) return BRTC_ERR_PARSE;
    if (t == type && (!after_integrity || t == BRTC_STUN_ATTR_FINGERPRINT)) {
      *value = buf + pos + ATTR_HEADER_SIZE;
      *value_len = vlen;
      return BRTC_OK;
    }
    if (t == BRTC_STUN_ATTR_MESSAGE_INTEGRITY) after_integrity = true;
    pos += ATTR_HEADER_SIZE + padded(vlen);
  }
  return BRTC_ERR_NOT_FOUND;
}

/* A new HMAC-SHA1 context keyed with key (any length; HMAC wants a non-NULL pointer even for
 * an empty key), or NULL. */
static EVP_MAC_CTX *new_hmac_sha1(const uint8_t *key, size_t key_len) {
  static const uint8_t empty_key[1] = {0};
  EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
  EVP_MAC_free(hmac); /* the context holds its own reference */
  if (!ctx) return NULL;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
      OSSL_PARAM_construct_end(),
  };
  if (!EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, params)) {
    EVP_MAC_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

/* HMAC-SHA1 over buf[0..end) with the header's length field read as length_field, with a
 * keyed context: re-initialised (no key given: OpenSSL keeps the one it has), then fed the
 * message around the length field, so nothing is copied. */
static int hmac_sha1_with_length(EVP_MAC_CTX *ctx, const uint8_t *buf, size_t end,
                                 uint16_t length_field, uint8_t mac[INTEGRITY_SIZE]) {
  if (end > BRTC_STUN_MAX_SIZE || end < BRTC_STUN_HEADER_SIZE) return BRTC_ERR_TOO_BIG;
  uint8_t length_be[2];
  brtc_wr16(length_be, length_field);
  size_t mac_len = 0;
  if (!EVP_MAC_init(ctx, NULL, 0, NULL) || !EVP_MAC_update(ctx, buf, 2) ||
      !EVP_MAC_update(ctx, length_be, 2) || !EVP_MAC_update(ctx, buf + 4, end - 4) ||
      !EVP_MAC_final(ctx, mac, &mac_len, INTEGRITY_SIZE) || mac_len != INTEGRITY_SIZE)
    return BRTC_ERR_CRYPTO;
  return BRTC_OK;
}

int brtc_stun_key_set(brtc_stun_key *k, const uint8_t *key, size_t key_len) {
  if (!k || (!key && key_len)) return BRTC_ERR_INVALID;
  if (k->mac && k->len == key_len && (key_len == 0 || CRYPTO_memcmp(k->bytes, key, key_len) == 0))
    return BRTC_OK;
  brtc_stun_key_clear(k);
  if (key_len > BRTC_STUN_KEY_MAX) return BRTC_ERR_INVALID;
  k->mac = new_hmac_sha1(key, key_len);
  if (!k->mac) return BRTC_ERR_CRYPTO;
  k->len = key_len;
  if (key_len) memcpy(k->bytes, key, key_len);
  return BRTC_OK;
}

void brtc_stun_key_clear(brtc_stun_key *k) {
  if (!k) return;
  EVP_MAC_CTX_free(k->mac);
  OPENSSL_cleanse(k->bytes, sizeof(k->bytes)); /* a password */
  k->mac = NULL;
  k->len = 0;
}

int brtc_stun_check_integrity_keyed(const uint8_t *buf, size_t len, const brtc_stun_msg *msg,
                                    brtc_stun_key *k) {
  if (!buf || !msg || !k || !k->mac) return BRTC_ERR_INVALID;
  if (!msg->has_integrity) return BRTC_ERR_PARSE;
  size_t off = msg->integrity_offset;
  if (off < BRTC_STUN_HEADER_SIZE || off + ATTR_HEADER_SIZE + INTEGRITY_SIZE > len)
    return BRTC_ERR_PARSE;
  /* RFC 8489 14.5: the length covers everything up to and including MESSAGE-INTEGRITY. */
  uint16_t length_field = (uint16_t)(off + ATTR_HEADER_SIZE + INTEGRITY_SIZE - BRTC_STUN_HEADER_SIZE);
  uint8_t mac[INTEGRITY_SIZE];
  int err = hmac_sha1_with_length(k->mac, buf, off, length_field, mac);
  if (err != BRTC_OK) return err;
  return CRYPTO_memcmp(mac, buf + off + ATTR_HEADER_SIZE, INTEGRITY_SIZE) == 0 ? BRTC_OK
                                                                              : BRTC_ERR_AUTH;
}

int brtc_stun_check_integrity(const uint8_t *buf, size_t len, const brtc_stun_msg *msg,
                              const uint8_t *key, size_t key_len) {
  if (!buf || !msg || (!key && key_len)) return BRTC_ERR_INVALID;
  if (!msg->has_integrity) return BRTC_ERR_PARSE;
  /* A context for this one message; a holder that checks many keys once (brtc_stun_key). */
  brtc_stun_key k = {.mac = new_hmac_sha1(key, key_len)};
  if (!k.mac) return BRTC_ERR_CRYPTO;
  int err = brtc_stun_check_integrity_keyed(buf, len, msg, &k);
  EVP_MAC_CTX_free(k.mac);
  return err;
}

int brtc_stun_long_term_key(const char *username, const char *realm, const char *password,
                            uint8_t key[16]) {
  if (!username || !realm || !password || !key) return BRTC_ERR_INVALID;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx) return BRTC_ERR_NOMEM;
  unsigned int out_len = 0;
  int ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) &&
           EVP_DigestUpdate(ctx, username, strlen(username)) && EVP_DigestUpdate(ctx, ":", 1) &&
           EVP_DigestUpdate(ctx, realm, strlen(realm)) && EVP_DigestUpdate(ctx, ":", 1) &&
           EVP_DigestUpdate(ctx, password, strlen(password)) &&
           EVP_DigestFinal_ex(ctx, key, &out_len) && out_len == 16;
  EVP_MD_CTX_free(ctx);
  return ok ? BRTC_OK : BRTC_ERR_CRYPTO;
}

/* ---- Writer ---- */

static size_t writer_limit(const brtc_stun_writer *w) {
  return w->cap < BRTC_STUN_MAX_SIZE ? w->cap : BRTC_STUN_MAX_SIZE;
}

void brtc_stun_writer_init(brtc_stun_writer *w, uint8_t *buf, size_t cap, uint16_t type,
                           const uint8_t transaction_id[12]) {
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->err = BRTC_OK;
  if (!buf || !transaction_id || (type & 0xC000)) {
    w->err = BRTC_ERR_INVALID;
    return;
  }
  if (writer_limit(w) < BRTC_STUN_HEADER_SIZE) {
    w->err = BRTC_ERR_TOO_BIG;
    return;
  }
  brtc_wr16(buf, type);
  brtc_wr16(buf + 2, 0);
  brtc_wr32(buf + 4, BRTC_STUN_MAGIC_COOKIE);
  memcpy(buf + 8, transaction_id, 12);
  w->len = BRTC_STUN_HEADER_SIZE;
}

/* Reserve room for an attribute, write its header and zero its padding; returns the value
 * pointer or NULL (error recorded). */
static uint8_t *writer_attr(brtc_stun_writer *w, uint16_t attr, size_t len) {
  if (w->err != BRTC_OK) return NULL;
  if (len > 0xFFFF) {
    w->err = BRTC_ERR_INVALID;
    return NULL;
  }
  size_t need = ATTR_HEADER_SIZE + padded(len);
  if (need > writer_limit(w) - w->len) {
    w->err = BRTC_ERR_TOO_BIG;
    return NULL;
  }
  uint8_t *p = w->buf + w->len;
  brtc_wr16(p, attr);
  brtc_wr16(p + 2, (uint16_t)len);
  memset(p + ATTR_HEADER_SIZE + len, 0, padded(len) - len);
  w->len += need;
  brtc_wr16(w->buf + 2, (uint16_t)(w->len - BRTC_STUN_HEADER_SIZE));
  return p + ATTR_HEADER_SIZE;
}

void brtc_stun_add_bytes(brtc_stun_writer *w, uint16_t attr, const void *value, size_t len) {
  if (w->err == BRTC_OK && len && !value) {
    w->err = BRTC_ERR_INVALID;
    return;
  }
  uint8_t *p = writer_attr(w, attr, len);
  if (p && len) memcpy(p, value, len);
}

void brtc_stun_add_u32(brtc_stun_writer *w, uint16_t attr, uint32_t value) {
  uint8_t *p = writer_attr(w, attr, 4);
  if (p) brtc_wr32(p, value);
}

void brtc_stun_add_u64(brtc_stun_writer *w, uint16_t attr, uint64_t value) {
  uint8_t *p = writer_attr(w, attr, 8);
  if (p) brtc_wr64(p, value);
}

void brtc_stun_add_flag(brtc_stun_writer *w, uint16_t attr) { (void)writer_attr(w, attr, 0); }

void brtc_stun_add_xor_address(brtc_stun_writer *w, uint16_t attr, const brtc_addr *addr) {
  if (w->err != BRTC_OK) return;
  if (!addr) {
    w->err = BRTC_ERR_INVALID;
    return;
  }
  int family = brtc_addr_family(addr);
  if (family != AF_INET && family != AF_INET6) {
    w->err = BRTC_ERR_INVALID;
    return;
  }
  uint8_t *p = writer_attr(w, attr, family == AF_INET ? 8 : 20);
  if (!p) return;
  p[0] = 0;
  p[1] = family == AF_INET ? FAMILY_IPV4 : FAMILY_IPV6;
  brtc_wr16(p + 2, (uint16_t)(brtc_addr_port(addr) ^ (BRTC_STUN_MAGIC_COOKIE >> 16)));
  if (family == AF_INET) {
    brtc_wr32(p + 4, ntohl(addr->u.v4.sin_addr.s_addr) ^ BRTC_STUN_MAGIC_COOKIE);
  } else {
    const uint8_t *ip = addr->u.v6.sin6_addr.s6_addr;
    for (int i = 0; i < 16; i++) p[4 + i] = ip[i] ^ w->buf[4 + i]; /* cookie + transaction ID */
  }
}

void brtc_stun_add_error(brtc_stun_writer *w, uint16_t code, const char *reason) {
  if (w->err != BRTC_OK) return;
  if (code < 300 || code > 699) {
    w->err = BRTC_ERR_INVALID;
    return;
  }
  size_t reason_len = reason ? strlen(reason) : 0;
  if (reason_len > 763) { /* RFC 8489 14.8: fewer than 128 characters, at most 763 bytes */
    w->err = BRTC_ERR_INVALID;
    return;
  }
  uint8_t *p = writer_attr(w, BRTC_STUN_ATTR_ERROR_CODE, 4 + reason_len);
  if (!p) return;
  p[0] = 0;
  p[1] = 0;
  p[2] = (uint8_t)(code / 100);
  p[3] = (uint8_t)(code % 100);
  if (reason_len) memcpy(p + 4, reason, reason_len);
}

/* Append MESSAGE-INTEGRITY signed with mac (if not NULL) and FINGERPRINT (if fingerprint). */
static int finish(brtc_stun_writer *w, EVP_MAC_CTX *mac, bool fingerprint, size_t *out_len) {
  if (mac) {
    size_t mi_pos = w->len;
    uint8_t *p = writer_attr(w, BRTC_STUN_ATTR_MESSAGE_INTEGRITY, INTEGRITY_SIZE);
    if (!p) return w->err;
    int err =
        hmac_sha1_with_length(mac, w->buf, mi_pos, (uint16_t)(w->len - BRTC_STUN_HEADER_SIZE), p);
    if (err != BRTC_OK) return w->err = err;
  }
  if (fingerprint) {
    size_t fp_pos = w->len;
    uint8_t *p = writer_attr(w, BRTC_STUN_ATTR_FINGERPRINT, 4); /* also fixes the length */
    if (!p) return w->err;
    brtc_wr32(p, crc32(w->buf, fp_pos) ^ FINGERPRINT_XOR);
  }
  *out_len = w->len;
  return BRTC_OK;
}

int brtc_stun_finish_keyed(brtc_stun_writer *w, brtc_stun_key *k, bool fingerprint,
                           size_t *out_len) {
  if (out_len) *out_len = 0;
  if (!w || !out_len || (k && !k->mac)) return BRTC_ERR_INVALID;
  if (w->err != BRTC_OK) return w->err;
  return finish(w, k ? k->mac : NULL, fingerprint, out_len);
}

int brtc_stun_finish(brtc_stun_writer *w, const uint8_t *key, size_t key_len, bool fingerprint,
                     size_t *out_len) {
  if (out_len) *out_len = 0;
  if (!w || !out_len) return BRTC_ERR_INVALID;
  if (w->err != BRTC_OK) return w->err;
  if (!key) return finish(w, NULL, fingerprint, out_len);
  /* A context for this one message; a holder that signs many keys once (brtc_stun_key). */
  EVP_MAC_CTX *mac = new_hmac_sha1(key, key_len);
  if (!mac) return w->err = BRTC_ERR_CRYPTO;
  int err = finish(w, mac, fingerprint, out_len);
  EVP_MAC_CTX_free(mac);
  return err;
}
