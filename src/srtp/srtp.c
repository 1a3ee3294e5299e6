/* SRTP/SRTCP sessions: per-packet transforms for AES_CM_128_HMAC_SHA1_80 (RFC 3711) and
 * AEAD_AES_128_GCM (RFC 7714). Contexts are keyed once in brtc_srtp_new; a packet only sets
 * an IV, so the media path never allocates in our code. */
#include "srtp/srtp.h"

#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "srtp/srtp_evp.h"
#include "srtp/srtp_kdf.h"
#include "srtp/srtp_replay.h"

#define CM_TAG_LEN 10 /* HMAC-SHA1 truncated to 80 bits */
#define GCM_TAG_LEN 16
#define SRTCP_INDEX_LEN 4 /* E bit + 31-bit SRTCP index */
#define SRTCP_INDEX_MAX 0x7fffffffu
#define RTP_HEADER_MIN 12
#define RTCP_HEADER_LEN 8 /* left in the clear: V/P/RC, PT, length, sender SSRC */
/* OpenSSL lengths are ints; anything near that is not a real packet. */
#define PACKET_MAX ((size_t)INT_MAX / 2)
/* Packets of a stream not yet started that may be tried under ROC 1 too: any datagram. */
#define ROC_RETRY_MAX 2048

_Static_assert(GCM_TAG_LEN <= BRTC_SRTP_MAX_TRAILER, "RTP trailer fits");
_Static_assert(GCM_TAG_LEN + SRTCP_INDEX_LEN <= BRTC_SRTCP_MAX_TRAILER, "RTCP trailer fits");

/* Keyed crypto for RTP or RTCP in one direction. */
typedef struct srtp_keyed {
  EVP_CIPHER_CTX *cipher; /* AES-128-CTR (CM) or AES-128-GCM, keyed */
  EVP_MAC_CTX *mac;       /* HMAC-SHA1, keyed (CM only) */
  uint8_t salt[BRTC_SRTP_CM_SALT_LEN];
} srtp_keyed;

typedef struct srtp_stream {
  uint32_t ssrc;
  bool in_use;
  brtc_srtp_replay rtp;  /* inbound: replay window; outbound: highest index, for the ROC */
  brtc_srtp_replay rtcp; /* inbound: replay window; outbound: last SRTCP index sent */
} srtp_stream;

struct brtc_srtp {
  brtc_srtp_profile_id profile;
  brtc_srtp_direction dir;
  bool gcm;
  size_t tag_len;
  srtp_keyed rtp, rtcp;
  size_t last_stream; /* most packets belong to the stream of the previous one */
  srtp_stream streams[BRTC_SRTP_MAX_STREAMS];
};

/* ---- sessions ---- */

static int keyed_init(srtp_keyed *k, const brtc_srtp *s, const brtc_srtp_session_keys *keys) {
  const brtc_srtp_evp *evp = brtc_srtp_evp_get();
  if (!evp) return BRTC_ERR_CRYPTO;
  memcpy(k->salt, keys->salt, sizeof k->salt);
  k->cipher = EVP_CIPHER_CTX_new();
  if (!k->cipher) return BRTC_ERR_NOMEM;
  if (s->gcm) {
    int ok = s->dir == BRTC_SRTP_OUTBOUND
                 ? EVP_EncryptInit_ex(k->cipher, evp->aes_128_gcm, NULL, keys->key, NULL)
                 : EVP_DecryptInit_ex(k->cipher, evp->aes_128_gcm, NULL, keys->key, NULL);
    return ok == 1 ? BRTC_OK : BRTC_ERR_CRYPTO;
  }
  /* CTR mode: encryption and decryption are the same keystream XOR. */
  if (EVP_EncryptInit_ex(k->cipher, evp->aes_128_ctr, NULL, keys->key, NULL) != 1)
    return BRTC_ERR_CRYPTO;
  k->mac = EVP_MAC_CTX_new(evp->hmac);
  if (!k->mac) return BRTC_ERR_NOMEM;
  char digest[] = "SHA1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(k->mac, keys->auth_key, sizeof keys->auth_key, params) != 1)
    return BRTC_ERR_CRYPTO;
  return BRTC_OK;
}

static void keyed_free(srtp_keyed *k) {
  EVP_CIPHER_CTX_free(k->cipher);
  EVP_MAC_CTX_free(k->mac);
  OPENSSL_cleanse(k->salt, sizeof k->salt);
}

brtc_srtp *brtc_srtp_new_with_session_keys(brtc_srtp_profile_id profile, brtc_srtp_direction dir,
                                           const brtc_srtp_session_keys *rtp,
                                           const brtc_srtp_session_keys *rtcp) {
  if (!rtp || !rtcp) return NULL;
  if (profile != BRTC_SRTP_PROFILE_AES128_CM_SHA1_80 &&
      profile != BRTC_SRTP_PROFILE_AEAD_AES_128_GCM)
    return NULL;
  if (dir != BRTC_SRTP_OUTBOUND && dir != BRTC_SRTP_INBOUND) return NULL;
  brtc_srtp *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->profile = profile;
  s->dir = dir;
  s->gcm = profile == BRTC_SRTP_PROFILE_AEAD_AES_128_GCM;
  s->tag_len = s->gcm ? GCM_TAG_LEN : CM_TAG_LEN;
  if (keyed_init(&s->rtp, s, rtp) != BRTC_OK || keyed_init(&s->rtcp, s, rtcp) != BRTC_OK) {
    brtc_srtp_free(s);
    return NULL;
  }
  return s;
}

brtc_srtp *brtc_srtp_new(brtc_srtp_profile_id profile, brtc_srtp_direction dir, const uint8_t *key,
                         size_t key_len, const uint8_t *salt, size_t salt_len) {
  size_t want_salt = profile == BRTC_SRTP_PROFILE_AEAD_AES_128_GCM ? BRTC_SRTP_GCM_SALT_LEN
                                                                   : BRTC_SRTP_CM_SALT_LEN;
  if (salt_len != want_salt) return NULL;
  brtc_srtp_session_keys rtp, rtcp;
  brtc_srtp *s = NULL;
  if (brtc_srtp_derive_session_keys(key, key_len, salt, salt_len, &rtp, &rtcp) == BRTC_OK)
    s = brtc_srtp_new_with_session_keys(profile, dir, &rtp, &rtcp);
  OPENSSL_cleanse(&rtp, sizeof rtp);
  OPENSSL_cleanse(&rtcp, sizeof rtcp);
  return s;
}

void brtc_srtp_free(brtc_srtp *s) {
  if (!s) return;
  keyed_free(&s->rtp);
  keyed_free(&s->rtcp);
  free(s);
}

/* ---- streams ---- */

static srtp_stream *stream_find(brtc_srtp *s, uint32_t ssrc) {
  srtp_stream *st = &s->streams[s->last_stream];
  if (st->in_use && st->ssrc == ssrc) return st;
  for (size_t i = 0; i < BRTC_SRTP_MAX_STREAMS; i++) {
    st = &s->streams[i];
    if (st->in_use && st->ssrc == ssrc) {
      s->last_stream = i;
      return st;
    }
  }
  return NULL;
}

/* The stream for ssrc, or a cleared free slot that is not yet in use (the caller claims it
 * with stream_claim only once a packet authenticates, so forged SSRCs cannot fill the table).
 * NULL if the table is full. */
static srtp_stream *stream_lookup(brtc_srtp *s, uint32_t ssrc) {
  srtp_stream *st = stream_find(s, ssrc);
  if (st) return st;
  for (size_t i = 0; i < BRTC_SRTP_MAX_STREAMS; i++) {
    if (!s->streams[i].in_use) {
      st = &s->streams[i];
      memset(st, 0, sizeof *st);
      st->ssrc = ssrc;
      return st;
    }
  }
  return NULL;
}

static void stream_claim(brtc_srtp *s, srtp_stream *st) {
  st->in_use = true;
  s->last_stream = (size_t)(st - s->streams);
}

/* ---- primitives ---- */

static int hmac_sha1_80(EVP_MAC_CTX *mac, const uint8_t *a, size_t a_len, const uint8_t *b,
                        size_t b_len, uint8_t tag[CM_TAG_LEN]) {
  uint8_t full[20];
  size_t n = 0;
  /* A NULL key re-initialises with the key set at session creation. */
  if (EVP_MAC_init(mac, NULL, 0, NULL) != 1 || EVP_MAC_update(mac, a, a_len) != 1 ||
      (b_len && EVP_MAC_update(mac, b, b_len) != 1) ||
      EVP_MAC_final(mac, full, &n, sizeof full) != 1 || n != sizeof full)
    return BRTC_ERR_CRYPTO;
  memcpy(tag, full, CM_TAG_LEN);
  return BRTC_OK;
}

/* The keystream XOR of n bytes from src into dst (the same place, or apart). */
static int ctr_xor_to(EVP_CIPHER_CTX *c, const uint8_t iv[16], const uint8_t *src, uint8_t *dst,
                      size_t n) {
  int out = 0;
  if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1) return BRTC_ERR_CRYPTO;
  if (n && EVP_EncryptUpdate(c, dst, &out, src, (int)n) != 1) return BRTC_ERR_CRYPTO;
  return BRTC_OK;
}

static int ctr_xor(EVP_CIPHER_CTX *c, const uint8_t iv[16], uint8_t *p, size_t n) {
  return ctr_xor_to(c, iv, p, p, n);
}

/* IV = (salt * 2^16) XOR (ssrc * 2^64) XOR (index * 2^16), RFC 3711 section 4.1.1. */
static void cm_iv(uint8_t iv[16], const uint8_t salt[14], uint32_t ssrc, uint64_t index) {
  memcpy(iv, salt, 14);
  iv[14] = iv[15] = 0;
  for (int i = 0; i < 4; i++) iv[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
  for (int i = 0; i < 6; i++) iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

/* IV = salt XOR (00 00 || ssrc || mid || low), RFC 7714 sections 8.1 and 9.1: for RTP mid is
 * the ROC and low the 16-bit SEQ; for RTCP mid is 00 00 and low the 32-bit SRTCP index. */
static void gcm_iv(uint8_t iv[12], const uint8_t salt[12], uint32_t ssrc, uint64_t index48,
                   bool rtcp) {
  uint8_t x[12] = {0};
  brtc_wr32(x + 2, ssrc);
  if (rtcp) {
    brtc_wr32(x + 8, (uint32_t)index48);
  } else {
    brtc_wr32(x + 6, (uint32_t)(index48 >> 16));
    brtc_wr16(x + 10, (uint16_t)index48);
  }
  for (int i = 0; i < 12; i++) iv[i] = salt[i] ^ x[i];
}

/* Encrypts n bytes from src into dst (the same place, or apart). */
static int gcm_seal(EVP_CIPHER_CTX *c, const uint8_t iv[12], const uint8_t *aad1, size_t aad1_len,
                    const uint8_t *aad2, size_t aad2_len, const uint8_t *src, uint8_t *dst,
                    size_t n, uint8_t tag[GCM_TAG_LEN]) {
  int out = 0;
  uint8_t none[16];
  if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
      EVP_EncryptUpdate(c, NULL, &out, aad1, (int)aad1_len) != 1 ||
      (aad2_len && EVP_EncryptUpdate(c, NULL, &out, aad2, (int)aad2_len) != 1) ||
      (n && EVP_EncryptUpdate(c, dst, &out, src, (int)n) != 1) ||
      EVP_EncryptFinal_ex(c, none, &out) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, tag) != 1)
    return BRTC_ERR_CRYPTO;
  return BRTC_OK;
}

static int gcm_open(EVP_CIPHER_CTX *c, const uint8_t iv[12], const uint8_t *aad1, size_t aad1_len,
                    const uint8_t *aad2, size_t aad2_len, uint8_t *p, size_t n,
                    const uint8_t tag[GCM_TAG_LEN]) {
  int out = 0;
  uint8_t none[16];
  uint8_t want[GCM_TAG_LEN];
  memcpy(want, tag, sizeof want);
  if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
      EVP_DecryptUpdate(c, NULL, &out, aad1, (int)aad1_len) != 1 ||
      (aad2_len && EVP_DecryptUpdate(c, NULL, &out, aad2, (int)aad2_len) != 1) ||
      (n && EVP_DecryptUpdate(c, p, &out, p, (int)n) != 1) ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, want) != 1)
    return BRTC_ERR_CRYPTO;
  return EVP_DecryptFinal_ex(c, none, &out) == 1 ? BRTC_OK : BRTC_ERR_AUTH;
}

/* ---- RTP ---- */

/* Length of the RTP header (fixed part, CSRCs, extension) within len bytes. */
static int rtp_header_len(const uint8_t *p, size_t len, size_t *hdr_len) {
  if (len < RTP_HEADER_MIN || (p[0] >> 6) != 2) return BRTC_ERR_PARSE;
  size_t h = RTP_HEADER_MIN + 4 * (size_t)(p[0] & 0x0f);
  if (p[0] & 0x10) {
    if (h + 4 > len) return BRTC_ERR_PARSE;
    h += 4 + 4 * (size_t)brtc_rd16(p + h + 2);
  }
  if (h > len) return BRTC_ERR_PARSE;
  *hdr_len = h;
  return BRTC_OK;
}

/* What both directions need first: where the payload starts, the SSRC's stream, and the
 * packet's 48-bit index (RFC 3711 3.3.1, appendix A). */
static int rtp_locate(brtc_srtp *s, const uint8_t *pkt, size_t len, size_t *hdr, uint32_t *ssrc,
                      srtp_stream **st, uint64_t *index) {
  int rc = rtp_header_len(pkt, len, hdr);
  if (rc != BRTC_OK) return rc;
  *ssrc = brtc_rd32(pkt + 8);
  *st = stream_lookup(s, *ssrc);
  if (!*st) return BRTC_ERR_LIMIT;
  return brtc_srtp_rtp_index(&(*st)->rtp, brtc_rd16(pkt + 2), index);
}

int brtc_srtp_protect(brtc_srtp *s, uint8_t *pkt, size_t len, size_t cap, size_t *out_len) {
  return brtc_srtp_protect_to(s, pkt, len, pkt, cap, out_len);
}

int brtc_srtp_protect_to(brtc_srtp *s, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                         size_t *out_len) {
  if (!s || !in || !out || !out_len || s->dir != BRTC_SRTP_OUTBOUND) return BRTC_ERR_INVALID;
  if (len > PACKET_MAX || cap < len + s->tag_len) return BRTC_ERR_TOO_BIG;
  size_t hdr = 0;
  uint32_t ssrc = 0;
  srtp_stream *st = NULL;
  uint64_t index = 0;
  int rc = rtp_locate(s, in, len, &hdr, &ssrc, &st, &index);
  if (rc != BRTC_OK) return rc;
  /* Encrypting from in straight into out spares the sender a copy of the whole packet. */
  if (out != in) memcpy(out, in, hdr);

  if (s->gcm) {
    uint8_t iv[12];
    gcm_iv(iv, s->rtp.salt, ssrc, index, false);
    rc = gcm_seal(s->rtp.cipher, iv, in, hdr, NULL, 0, in + hdr, out + hdr, len - hdr, out + len);
  } else {
    uint8_t iv[16], roc[4];
    cm_iv(iv, s->rtp.salt, ssrc, index);
    brtc_wr32(roc, (uint32_t)(index >> 16));
    rc = ctr_xor_to(s->rtp.cipher, iv, in + hdr, out + hdr, len - hdr);
    if (rc == BRTC_OK) rc = hmac_sha1_80(s->rtp.mac, out, len, roc, sizeof roc, out + len);
  }
  if (rc != BRTC_OK) return rc;
  brtc_srtp_replay_accept(&st->rtp, index);
  stream_claim(s, st);
  *out_len = len + s->tag_len;
  return BRTC_OK;
}

/* Authenticate and decrypt one SRTP packet in place under index. */
static int open_rtp(brtc_srtp *s, uint8_t *pkt, size_t body, size_t hdr, uint32_t ssrc,
                    uint64_t index) {
  if (s->gcm) {
    uint8_t iv[12];
    gcm_iv(iv, s->rtp.salt, ssrc, index, false);
    return gcm_open(s->rtp.cipher, iv, pkt, hdr, NULL, 0, pkt + hdr, body - hdr, pkt + body);
  }
  uint8_t roc[4], tag[CM_TAG_LEN];
  brtc_wr32(roc, (uint32_t)(index >> 16));
  int rc = hmac_sha1_80(s->rtp.mac, pkt, body, roc, sizeof roc, tag);
  if (rc == BRTC_OK && CRYPTO_memcmp(tag, pkt + body, CM_TAG_LEN) != 0) rc = BRTC_ERR_AUTH;
  if (rc == BRTC_OK) {
    uint8_t iv[16];
    cm_iv(iv, s->rtp.salt, ssrc, index);
    rc = ctr_xor(s->rtp.cipher, iv, pkt + hdr, body - hdr);
  }
  return rc;
}

/* Unprotect (again = false), or authenticate a packet whose index was already accepted
 * without touching the replay window (again = true: brtc_srtp_authenticate_again). */
static int rtp_unprotect(brtc_srtp *s, uint8_t *pkt, size_t len, size_t *out_len, bool again) {
  if (!s || !pkt || s->dir != BRTC_SRTP_INBOUND) return BRTC_ERR_INVALID;
  if (len > PACKET_MAX) return BRTC_ERR_TOO_BIG;
  if (len < RTP_HEADER_MIN + s->tag_len) return BRTC_ERR_PARSE;
  size_t body = len - s->tag_len, hdr = 0;
  uint32_t ssrc = 0;
  srtp_stream *st = NULL;
  uint64_t index = 0;
  int rc = rtp_locate(s, pkt, body, &hdr, &ssrc, &st, &index);
  if (rc == BRTC_OK && again && !st->rtp.started) rc = BRTC_ERR_AUTH; /* nothing accepted yet */
  if (rc == BRTC_OK && !again) rc = brtc_srtp_replay_check(&st->rtp, index);
  if (rc != BRTC_OK) return rc;

  /* RFC 3711 3.3.1: a receiver starts a stream at ROC 0. A sender that began near 65535 has
   * rolled over if every packet it sent before the wrap was lost (the first packets are, when
   * they outrun the DTLS handshake's last flight), and then ROC 0 fails every packet for good.
   * libwebrtc starts below 2^15 to avoid it; aiortc, GStreamer and Pion start anywhere. So
   * until a stream's first packet authenticates, one below 2^15 that fails under ROC 0 is
   * tried once under ROC 1, from a copy (GCM decrypts in place): forging gains nothing, and a
   * bad packet costs two checks instead of one only before the stream has started. */
  uint8_t copy[ROC_RETRY_MAX];
  bool retry = !again && !st->rtp.started && index < 0x8000 && len <= sizeof copy;
  if (retry) memcpy(copy, pkt, len);
  rc = open_rtp(s, pkt, body, hdr, ssrc, index);
  if (rc == BRTC_ERR_AUTH && retry) {
    memcpy(pkt, copy, len);
    index |= 0x10000;
    rc = open_rtp(s, pkt, body, hdr, ssrc, index);
  }
  if (rc != BRTC_OK || again) return rc;
  brtc_srtp_replay_accept(&st->rtp, index);
  stream_claim(s, st);
  *out_len = body;
  return BRTC_OK;
}

int brtc_srtp_unprotect(brtc_srtp *s, uint8_t *pkt, size_t len, size_t *out_len) {
  if (!out_len) return BRTC_ERR_INVALID;
  return rtp_unprotect(s, pkt, len, out_len, false);
}

int brtc_srtp_authenticate_again(brtc_srtp *s, uint8_t *pkt, size_t len) {
  size_t unused = 0;
  return rtp_unprotect(s, pkt, len, &unused, true);
}

/* ---- RTCP ---- */

int brtc_srtcp_protect(brtc_srtp *s, uint8_t *pkt, size_t len, size_t cap, size_t *out_len) {
  if (!s || !pkt || !out_len || s->dir != BRTC_SRTP_OUTBOUND) return BRTC_ERR_INVALID;
  size_t trailer = SRTCP_INDEX_LEN + s->tag_len;
  if (len > PACKET_MAX || cap < len + trailer) return BRTC_ERR_TOO_BIG;
  if (len < RTCP_HEADER_LEN || (pkt[0] >> 6) != 2) return BRTC_ERR_PARSE;
  uint32_t ssrc = brtc_rd32(pkt + 4);
  srtp_stream *st = stream_lookup(s, ssrc);
  if (!st) return BRTC_ERR_LIMIT;
  /* The first SRTCP index sent is 1, as libsrtp does; the index must never repeat. */
  uint64_t index = st->rtcp.started ? st->rtcp.top + 1 : 1;
  if (index > SRTCP_INDEX_MAX) return BRTC_ERR_LIMIT;
  uint8_t e_index[SRTCP_INDEX_LEN];
  brtc_wr32(e_index, 0x80000000u | (uint32_t)index); /* E: we always encrypt */

  int rc;
  if (s->gcm) {
    /* RFC 7714 9.1: header || ciphertext || tag || E|index; AAD = header || E|index. */
    uint8_t iv[12];
    gcm_iv(iv, s->rtcp.salt, ssrc, index, true);
    rc = gcm_seal(s->rtcp.cipher, iv, pkt, RTCP_HEADER_LEN, e_index, sizeof e_index,
                  pkt + RTCP_HEADER_LEN, pkt + RTCP_HEADER_LEN, len - RTCP_HEADER_LEN, pkt + len);
    memcpy(pkt + len + GCM_TAG_LEN, e_index, sizeof e_index);
  } else {
    /* RFC 3711 3.4: header || ciphertext || E|index || tag; the tag covers all before it. */
    uint8_t iv[16];
    cm_iv(iv, s->rtcp.salt, ssrc, index);
    rc = ctr_xor(s->rtcp.cipher, iv, pkt + RTCP_HEADER_LEN, len - RTCP_HEADER_LEN);
    memcpy(pkt + len, e_index, sizeof e_index);
    if (rc == BRTC_OK)
      rc = hmac_sha1_80(s->rtcp.mac, pkt, len + SRTCP_INDEX_LEN, NULL, 0,
                        pkt + len + SRTCP_INDEX_LEN);
  }
  if (rc != BRTC_OK) return rc;
  brtc_srtp_replay_accept(&st->rtcp, index);
  stream_claim(s, st);
  *out_len = len + trailer;
  return BRTC_OK;
}

int brtc_srtcp_unprotect(brtc_srtp *s, uint8_t *pkt, size_t len, size_t *out_len) {
  if (!s || !pkt || !out_len || s->dir != BRTC_SRTP_INBOUND) return BRTC_ERR_INVALID;
  if (len > PACKET_MAX) return BRTC_ERR_TOO_BIG;
  size_t trailer = SRTCP_INDEX_LEN + s->tag_len;
  if (len < RTCP_HEADER_LEN + trailer || (pkt[0] >> 6) != 2) return BRTC_ERR_PARSE;
  size_t body = len - trailer;
  const uint8_t *e_index = s->gcm ? pkt + body + GCM_TAG_LEN : pkt + body;
  const uint8_t *tag = s->gcm ? pkt + body : pkt + body + SRTCP_INDEX_LEN;
  uint32_t word = brtc_rd32(e_index);
  bool encrypted = (word >> 31) != 0;
  uint64_t index = word & SRTCP_INDEX_MAX;
  uint32_t ssrc = brtc_rd32(pkt + 4);
  srtp_stream *st = stream_lookup(s, ssrc);
  if (!st) return BRTC_ERR_LIMIT;
  int rc = brtc_srtp_replay_check(&st->rtcp, index);
  if (rc != BRTC_OK) return rc;

  if (s->gcm) {
    uint8_t iv[12];
    gcm_iv(iv, s->rtcp.salt, ssrc, index, true);
    if (encrypted)
      rc = gcm_open(s->rtcp.cipher, iv, pkt, RTCP_HEADER_LEN, e_index, SRTCP_INDEX_LEN,
                    pkt + RTCP_HEADER_LEN, body - RTCP_HEADER_LEN, tag);
    else /* RFC 7714 9.2: an unencrypted packet is all AAD */
      rc = gcm_open(s->rtcp.cipher, iv, pkt, body, e_index, SRTCP_INDEX_LEN, NULL, 0, tag);
  } else {
    uint8_t want[CM_TAG_LEN];
    rc = hmac_sha1_80(s->rtcp.mac, pkt, body + SRTCP_INDEX_LEN, NULL, 0, want);
    if (rc == BRTC_OK && CRYPTO_memcmp(want, tag, CM_TAG_LEN) != 0) rc = BRTC_ERR_AUTH;
    if (rc == BRTC_OK && encrypted) {
      uint8_t iv[16];
      cm_iv(iv, s->rtcp.salt, ssrc, index);
      rc = ctr_xor(s->rtcp.cipher, iv, pkt + RTCP_HEADER_LEN, body - RTCP_HEADER_LEN);
    }
  }
  if (rc != BRTC_OK) return rc;
  brtc_srtp_replay_accept(&st->rtcp, index);
  stream_claim(s, st);
  *out_len = body;
  return BRTC_OK;
}
