/* The epoch-1 record layer: see dtls_record.h. The AEAD contexts are keyed once, on first
 * use in each direction, and only re-seeded with a nonce per record; a session that never
 * sends or receives a record after the handshake never makes them. */
#include "dtls/dtls_record.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

#define KEY_EXPANSION_LABEL "key expansion" /* RFC 5246 6.3 */
#define RANDOM_LEN 32
#define GCM_IMPLICIT_IV 4                   /* RFC 5288 3: salt from the key block */
#define CHACHA_IV 12                        /* RFC 7905 2 */
#define NONCE_LEN 12
#define AAD_LEN 13                          /* RFC 5246 6.2.3.3: seq_num, type, version, length */
#define REPLAY_WINDOW 64                    /* RFC 6347 4.1.2.6: 64 is the suggested size */
#define DTLS12_MAJOR 0xfe
#define DTLS12_MINOR 0xfd

/* ---- the algorithms, fetched once per process ---- */

typedef struct record_evp {
  EVP_CIPHER *aes_128_gcm, *aes_256_gcm, *chacha20_poly1305;
  EVP_KDF *tls1_prf;
} record_evp;

static record_evp g_evp;
static const record_evp *g_evp_ok;
static pthread_once_t g_evp_once = PTHREAD_ONCE_INIT;

/* Fetching takes a provider lookup under a lock: once, never per session or record. */
static void evp_fetch(void) {
  g_evp.aes_128_gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
  g_evp.aes_256_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
  g_evp.chacha20_poly1305 = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
  g_evp.tls1_prf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
  if (g_evp.aes_128_gcm && g_evp.aes_256_gcm && g_evp.chacha20_poly1305 && g_evp.tls1_prf)
    g_evp_ok = &g_evp;
  ERR_clear_error();
}

static const record_evp *evp_get(void) {
  pthread_once(&g_evp_once, evp_fetch);
  return g_evp_ok;
}

static const EVP_CIPHER *aead_cipher(brtc_dtls_aead aead) {
  const record_evp *e = evp_get();
  if (!e) return NULL;
  switch (aead) {
    case BRTC_DTLS_AEAD_AES_128_GCM: return e->aes_128_gcm;
    case BRTC_DTLS_AEAD_AES_256_GCM: return e->aes_256_gcm;
    case BRTC_DTLS_AEAD_CHACHA20_POLY1305: return e->chacha20_poly1305;
    default: return NULL;
  }
}

size_t brtc_dtls_aead_key_len(brtc_dtls_aead aead) {
  switch (aead) {
    case BRTC_DTLS_AEAD_AES_128_GCM: return 16;
    case BRTC_DTLS_AEAD_AES_256_GCM: return 32;
    case BRTC_DTLS_AEAD_CHACHA20_POLY1305: return 32;
    default: return 0;
  }
}

size_t brtc_dtls_aead_iv_len(brtc_dtls_aead aead) {
  switch (aead) {
    case BRTC_DTLS_AEAD_AES_128_GCM:
    case BRTC_DTLS_AEAD_AES_256_GCM: return GCM_IMPLICIT_IV;
    case BRTC_DTLS_AEAD_CHACHA20_POLY1305: return CHACHA_IV;
    default: return 0;
  }
}

static bool is_gcm(brtc_dtls_aead aead) {
  return aead == BRTC_DTLS_AEAD_AES_128_GCM || aead == BRTC_DTLS_AEAD_AES_256_GCM;
}

/* ---- key derivation ---- */

int brtc_dtls_tls12_prf(bool sha384, const uint8_t *secret, size_t secret_len, const char *label,
                        const uint8_t *seed_a, size_t a_len, const uint8_t *seed_b, size_t b_len,
                        uint8_t *out, size_t out_len) {
  if (!secret || !secret_len || !label || (a_len && !seed_a) || (b_len && !seed_b) || !out)
    return BRTC_ERR_INVALID;
  const record_evp *e = evp_get();
  if (!e) return BRTC_ERR_CRYPTO;
  /* OpenSSL concatenates repeated seed parameters: label + seed, as P_hash takes them. */
  EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(e->tls1_prf);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                       sha384 ? (char *)"SHA384" : (char *)"SHA256", 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, secret_len),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)label, strlen(label)),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed_a, a_len),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed_b, b_len),
      OSSL_PARAM_construct_end()};
  int ok = kctx && EVP_KDF_derive(kctx, out, out_len, params) == 1;
  EVP_KDF_CTX_free(kctx);
  ERR_clear_error();
  return ok ? BRTC_OK : BRTC_ERR_CRYPTO;
}

int brtc_dtls_derive_epoch_keys(brtc_dtls_aead aead, bool prf_sha384, const uint8_t *master,
                                size_t master_len, const uint8_t client_random[32],
                                const uint8_t server_random[32], bool is_client, uint16_t epoch,
                                brtc_dtls_epoch_keys *out) {
  size_t kl = brtc_dtls_aead_key_len(aead), il = brtc_dtls_aead_iv_len(aead);
  if (!master || !master_len || !client_random || !server_random || !out || !kl)
    return BRTC_ERR_INVALID;
  uint8_t block[2 * (32 + 12)];
  /* Server random first for the key block (the master secret has client first). */
  int rc = brtc_dtls_tls12_prf(prf_sha384, master, master_len, KEY_EXPANSION_LABEL,
                               server_random, RANDOM_LEN, client_random, RANDOM_LEN, block,
                               2 * (kl + il));
  if (rc != BRTC_OK) return rc;

  /* client_write_key | server_write_key | client_write_IV | server_write_IV */
  const uint8_t *client_key = block, *server_key = block + kl;
  const uint8_t *client_iv = block + 2 * kl, *server_iv = client_iv + il;
  memset(out, 0, sizeof *out);
  out->aead = aead;
  out->epoch = epoch;
  memcpy(out->write_key, is_client ? client_key : server_key, kl);
  memcpy(out->read_key, is_client ? server_key : client_key, kl);
  memcpy(out->write_iv, is_client ? client_iv : server_iv, il);
  memcpy(out->read_iv, is_client ? server_iv : client_iv, il);
  OPENSSL_cleanse(block, sizeof block);
  return BRTC_OK;
}

/* ---- the bare AEAD ---- */

/* A context keyed for one direction; the nonce is set per record. */
static EVP_CIPHER_CTX *keyed_ctx(brtc_dtls_aead aead, const uint8_t *key, int enc) {
  const EVP_CIPHER *c = aead_cipher(aead);
  EVP_CIPHER_CTX *ctx = c ? EVP_CIPHER_CTX_new() : NULL;
  if (ctx && EVP_CipherInit_ex2(ctx, c, key, NULL, enc, NULL) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    ctx = NULL;
  }
  ERR_clear_error();
  return ctx;
}

/* The AEAD tag out of (or into) the context as a provider parameter: EVP_CIPHER_CTX_ctrl
 * would translate its request into the same parameter on every record. */
static bool tag_param(EVP_CIPHER_CTX *ctx, uint8_t tag[BRTC_DTLS_RECORD_TAG], bool set) {
  OSSL_PARAM p[2] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag,
                                                       BRTC_DTLS_RECORD_TAG),
                     OSSL_PARAM_construct_end()};
  return (set ? EVP_CIPHER_CTX_set_params(ctx, p) : EVP_CIPHER_CTX_get_params(ctx, p)) == 1;
}

static int seal_with(EVP_CIPHER_CTX *ctx, const uint8_t nonce[NONCE_LEN], const uint8_t *aad,
                     size_t aad_len, const uint8_t *plain, size_t len, uint8_t *out,
                     uint8_t tag[BRTC_DTLS_RECORD_TAG]) {
  int n = 0, fin = 0;
  int ok = EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, 1, NULL) == 1 &&
           (!aad_len || EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1) &&
           (!len || EVP_EncryptUpdate(ctx, out, &n, plain, (int)len) == 1) &&
           EVP_EncryptFinal_ex(ctx, out + (len ? n : 0), &fin) == 1 &&
           tag_param(ctx, tag, false);
  /* A failure leaves OpenSSL's thread error queue dirty (and SSL_get_error of another
   * session's handshake would read it); success leaves nothing, and clearing per record
   * cost 12 % of a data channel's records (bench_dc_loopback, in memory). */
  if (!ok) ERR_clear_error();
  return ok ? BRTC_OK : BRTC_ERR_CRYPTO;
}

/* The tag is checked in constant time by OpenSSL; out holds len bytes of unauthenticated
 * plaintext when this fails, which callers never look at. */
static int open_with(EVP_CIPHER_CTX *ctx, const uint8_t nonce[NONCE_LEN], const uint8_t *aad,
                     size_t aad_len, const uint8_t *cipher, size_t len,
                     const uint8_t tag[BRTC_DTLS_RECORD_TAG], uint8_t *out) {
  int n = 0, fin = 0;
  if (EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, 0, NULL) != 1 ||
      !tag_param(ctx, (uint8_t *)tag, true) ||
      (aad_len && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1) ||
      (len && EVP_DecryptUpdate(ctx, out, &n, cipher, (int)len) != 1)) {
    ERR_clear_error();
    return BRTC_ERR_CRYPTO;
  }
  int ok = EVP_DecryptFinal_ex(ctx, out + (len ? n : 0), &fin) == 1;
  if (!ok) ERR_clear_error(); /* as in seal_with */
  return ok ? BRTC_OK : BRTC_ERR_AUTH;
}

int brtc_dtls_aead_seal(brtc_dtls_aead aead, const uint8_t *key, const uint8_t nonce[12],
                        const uint8_t *aad, size_t aad_len, const uint8_t *plain, size_t len,
                        uint8_t *out, uint8_t tag[BRTC_DTLS_RECORD_TAG]) {
  if (!key || !nonce || (aad_len && !aad) || (len && (!plain || !out)) || !tag)
    return BRTC_ERR_INVALID;
  EVP_CIPHER_CTX *ctx = keyed_ctx(aead, key, 1);
  if (!ctx) return BRTC_ERR_CRYPTO;
  int rc = seal_with(ctx, nonce, aad, aad_len, plain, len, out, tag);
  EVP_CIPHER_CTX_free(ctx);
  return rc;
}

int brtc_dtls_aead_open(brtc_dtls_aead aead, const uint8_t *key, const uint8_t nonce[12],
                        const uint8_t *aad, size_t aad_len, const uint8_t *cipher, size_t len,
                        const uint8_t tag[BRTC_DTLS_RECORD_TAG], uint8_t *out) {
  if (!key || !nonce || (aad_len && !aad) || (len && (!cipher || !out)) || !tag)
    return BRTC_ERR_INVALID;
  EVP_CIPHER_CTX *ctx = keyed_ctx(aead, key, 0);
  if (!ctx) return BRTC_ERR_CRYPTO;
  int rc = open_with(ctx, nonce, aad, aad_len, cipher, len, tag, out);
  EVP_CIPHER_CTX_free(ctx);
  return rc;
}

/* ---- framing ---- */

size_t brtc_dtls_record_next(const uint8_t *data, size_t len) {
  if (!data || len < BRTC_DTLS_RECORD_HEADER) return 0;
  /* RFC 7983: content types 20..63; DTLS 1.0 (fe ff) or 1.2 (fe fd). */
  if (data[0] < 20 || data[0] > 63 || data[1] != DTLS12_MAJOR ||
      (data[2] != 0xff && data[2] != DTLS12_MINOR))
    return 0;
  size_t frag = brtc_rd16(data + 11);
  if (frag > len - BRTC_DTLS_RECORD_HEADER) return 0;
  return BRTC_DTLS_RECORD_HEADER + frag;
}

uint8_t brtc_dtls_record_type(const uint8_t *record) { return record[0]; }
uint16_t brtc_dtls_record_epoch(const uint8_t *record) { return brtc_rd16(record + 3); }
uint64_t brtc_dtls_record_seq(const uint8_t *record) {
  return ((uint64_t)brtc_rd16(record + 5) << 32) | brtc_rd32(record + 7);
}

/* ---- the record layer ---- */

struct brtc_dtls_record {
  brtc_dtls_epoch_keys keys;
  uint64_t next_write_seq;
  /* RFC 6347 4.1.2.6: top is the highest sequence number accepted; bit d of seen says
   * top - d was accepted. */
  uint64_t top, seen;
  bool started;
  EVP_CIPHER_CTX *seal_ctx, *open_ctx; /* made on first use */
};

brtc_dtls_record *brtc_dtls_record_new(const brtc_dtls_epoch_keys *keys, uint64_t next_write_seq) {
  if (!keys || !aead_cipher(keys->aead) || next_write_seq > BRTC_DTLS_RECORD_MAX_SEQ + 1)
    return NULL;
  brtc_dtls_record *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->keys = *keys;
  r->next_write_seq = next_write_seq;
  return r;
}

void brtc_dtls_record_free(brtc_dtls_record *r) {
  if (!r) return;
  EVP_CIPHER_CTX_free(r->seal_ctx);
  EVP_CIPHER_CTX_free(r->open_ctx);
  OPENSSL_cleanse(&r->keys, sizeof r->keys);
  free(r);
}

void brtc_dtls_record_reserve_write_seq(brtc_dtls_record *r, uint64_t next_write_seq) {
  if (r && next_write_seq > r->next_write_seq) r->next_write_seq = next_write_seq;
}

uint64_t brtc_dtls_record_next_write_seq(const brtc_dtls_record *r) {
  return r ? r->next_write_seq : 0;
}

/* RFC 5246 6.2.3.3: additional_data = seq_num + type + version + length, where seq_num is
 * DTLS's epoch and sequence number together (RFC 6347 4.1.2.1). */
static void make_aad(uint8_t aad[AAD_LEN], uint64_t epoch_seq, uint8_t type, size_t plain_len) {
  brtc_wr64(aad, epoch_seq);
  aad[8] = type;
  aad[9] = DTLS12_MAJOR;
  aad[10] = DTLS12_MINOR;
  brtc_wr16(aad + 11, (uint16_t)plain_len);
}

/* GCM (RFC 5288 3): salt from the key block, then the explicit part the record carries.
 * ChaCha20-Poly1305 (RFC 7905 2): the IV XORed with the left-padded 64-bit seq_num. */
static void make_nonce(uint8_t nonce[NONCE_LEN], brtc_dtls_aead aead, const uint8_t *iv,
                       uint64_t epoch_seq, const uint8_t *explicit_nonce) {
  if (is_gcm(aead)) {
    memcpy(nonce, iv, GCM_IMPLICIT_IV);
    memcpy(nonce + GCM_IMPLICIT_IV, explicit_nonce, BRTC_DTLS_RECORD_EXPLICIT_NONCE);
    return;
  }
  memcpy(nonce, iv, NONCE_LEN);
  uint8_t seq[8];
  brtc_wr64(seq, epoch_seq);
  for (size_t i = 0; i < 8; i++) nonce[4 + i] ^= seq[i];
}

int brtc_dtls_record_protect(brtc_dtls_record *r, uint8_t type, const uint8_t *plain, size_t len,
                             uint8_t *out, size_t cap, size_t *out_len) {
  if (!r || (len && !plain) || !out || !out_len) return BRTC_ERR_INVALID;
  bool gcm = is_gcm(r->keys.aead);
  size_t explicit_len = gcm ? BRTC_DTLS_RECORD_EXPLICIT_NONCE : 0;
  size_t frag = explicit_len + len + BRTC_DTLS_RECORD_TAG;
  if (frag > 0xffff || BRTC_DTLS_RECORD_HEADER + frag > cap) return BRTC_ERR_TOO_BIG;
  if (r->next_write_seq > BRTC_DTLS_RECORD_MAX_SEQ) return BRTC_ERR_LIMIT; /* RFC 6347 4.1 */
  if (!r->seal_ctx && !(r->seal_ctx = keyed_ctx(r->keys.aead, r->keys.write_key, 1)))
    return BRTC_ERR_CRYPTO;

  uint64_t seq = r->next_write_seq;
  uint64_t epoch_seq = (uint64_t)r->keys.epoch << 48 | seq;
  out[0] = type;
  out[1] = DTLS12_MAJOR;
  out[2] = DTLS12_MINOR;
  brtc_wr64(out + 3, epoch_seq); /* epoch, then the 48-bit sequence number */
  brtc_wr16(out + 11, (uint16_t)frag);
  uint8_t *body = out + BRTC_DTLS_RECORD_HEADER;
  /* The explicit nonce only has to be unique per key (RFC 5288 3); the sequence number is. */
  if (gcm) brtc_wr64(body, epoch_seq);
  uint8_t aad[AAD_LEN], nonce[NONCE_LEN];
  make_aad(aad, epoch_seq, type, len);
  make_nonce(nonce, r->keys.aead, r->keys.write_iv, epoch_seq, body);
  int rc = seal_with(r->seal_ctx, nonce, aad, sizeof aad, plain, len, body + explicit_len,
                     body + explicit_len + len);
  if (rc != BRTC_OK) return rc;
  r->next_write_seq++;
  *out_len = BRTC_DTLS_RECORD_HEADER + frag;
  return BRTC_OK;
}

static bool window_allows(const brtc_dtls_record *r, uint64_t seq) {
  if (!r->started || seq > r->top) return true;
  uint64_t behind = r->top - seq;
  return behind < REPLAY_WINDOW && !(r->seen >> behind & 1);
}

static void window_mark(brtc_dtls_record *r, uint64_t seq) {
  if (!r->started) {
    r->started = true;
    r->top = seq;
    r->seen = 1;
  } else if (seq > r->top) {
    uint64_t ahead = seq - r->top;
    r->seen = ahead >= REPLAY_WINDOW ? 1 : r->seen << ahead | 1;
    r->top = seq;
  } else {
    r->seen |= 1ull << (r->top - seq);
  }
}

int brtc_dtls_record_unprotect(brtc_dtls_record *r, const uint8_t *record, size_t len,
                               uint8_t *type, uint8_t *out, size_t cap, size_t *out_len) {
  if (!r || !record || !type || (cap && !out) || !out_len) return BRTC_ERR_INVALID;
  if (brtc_dtls_record_next(record, len) != len || record[2] != DTLS12_MINOR)
    return BRTC_ERR_PARSE;
  if (brtc_dtls_record_epoch(record) != r->keys.epoch) return BRTC_ERR_STATE;
  bool gcm = is_gcm(r->keys.aead);
  size_t explicit_len = gcm ? BRTC_DTLS_RECORD_EXPLICIT_NONCE : 0;
  size_t frag = len - BRTC_DTLS_RECORD_HEADER;
  if (frag < explicit_len + BRTC_DTLS_RECORD_TAG) return BRTC_ERR_PARSE;
  uint64_t seq = brtc_dtls_record_seq(record);
  if (!window_allows(r, seq)) return BRTC_ERR_REPLAY;
  size_t plain_len = frag - explicit_len - BRTC_DTLS_RECORD_TAG;
  if (plain_len > cap) return BRTC_ERR_TOO_BIG;
  if (!r->open_ctx && !(r->open_ctx = keyed_ctx(r->keys.aead, r->keys.read_key, 0)))
    return BRTC_ERR_CRYPTO;

  const uint8_t *body = record + BRTC_DTLS_RECORD_HEADER;
  uint8_t empty[1];
  if (!out) out = empty; /* an empty record still has its tag checked */
  uint64_t epoch_seq = brtc_rd64(record + 3);
  uint8_t aad[AAD_LEN], nonce[NONCE_LEN];
  make_aad(aad, epoch_seq, record[0], plain_len);
  make_nonce(nonce, r->keys.aead, r->keys.read_iv, epoch_seq, body);
  int rc = open_with(r->open_ctx, nonce, aad, sizeof aad, body + explicit_len, plain_len,
                     body + explicit_len + plain_len, out);
  if (rc != BRTC_OK) return rc == BRTC_ERR_CRYPTO ? BRTC_ERR_AUTH : rc;
  window_mark(r, seq);
  *type = record[0];
  *out_len = plain_len;
  return BRTC_OK;
}
