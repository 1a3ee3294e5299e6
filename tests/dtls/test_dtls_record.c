/* Our epoch-1 record layer: the PRF and AEADs against published vectors, the replay window
 * and the record format by hand, and the keys and records against OpenSSL itself: a real
 * handshake in memory for every suite we offer, then OpenSSL's records opened by ours byte
 * for byte and ours read back by OpenSSL's SSL_read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "boltrtc/error.h"
#include "dtls/dtls.h"
#include "dtls/dtls_internal.h"
#include "dtls/dtls_record.h"
#include "testing.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = strlen(hex) / 2;
  if (n > cap) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned v = 0;
    sscanf(hex + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
  return n;
}

/* ---- published vectors ---- */

/* The TLS 1.2 PRF vectors posted to the TLS working group (P_SHA256 and P_SHA384 over
 * "test label"), the ones OpenSSL's own KDF tests use. */
static void test_prf_vectors(void) {
  uint8_t secret[16], seed[16], out[148], want[148];
  unhex("9bbe436ba940f017b17652849a71db35", secret, sizeof secret);
  unhex("a0ba9f936cda311827a6f796ffd5198c", seed, sizeof seed);
  CHECK_EQ_INT(brtc_dtls_tls12_prf(false, secret, 16, "test label", seed, 16, NULL, 0, out, 100),
               BRTC_OK);
  unhex("e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a4"
        "6b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d1"
        "22ee42c5a72e5a5110fff70187347b66",
        want, sizeof want);
  CHECK_MEM(out, want, 100);
  /* The seed may come in two parts (label + server random + client random). */
  uint8_t split[100];
  CHECK_EQ_INT(brtc_dtls_tls12_prf(false, secret, 16, "test label", seed, 5, seed + 5, 11, split,
                                   100),
               BRTC_OK);
  CHECK_MEM(split, want, 100);

  unhex("b80b733d6ceefcdc71566ea48e5567df", secret, sizeof secret);
  unhex("cd665cf6a8447dd6ff8b27555edb7465", seed, sizeof seed);
  CHECK_EQ_INT(brtc_dtls_tls12_prf(true, secret, 16, "test label", seed, 16, NULL, 0, out, 148),
               BRTC_OK);
  unhex("7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82"
        "b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473"
        "ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9"
        "aee691c8f3a26854308d5eaa3be85e0990703d73e56f",
        want, sizeof want);
  CHECK_MEM(out, want, 148);
  CHECK_EQ_INT(brtc_dtls_tls12_prf(false, NULL, 16, "x", seed, 16, NULL, 0, out, 10),
               BRTC_ERR_INVALID);
}

static void aead_case(brtc_dtls_aead aead, const char *key_hex, const char *nonce_hex,
                      const char *aad_hex, const char *plain_hex, const char *cipher_hex,
                      const char *tag_hex) {
  uint8_t key[32], nonce[12], aad[32], plain[128], want[128], tag_want[16], out[128], tag[16];
  unhex(key_hex, key, sizeof key);
  unhex(nonce_hex, nonce, sizeof nonce);
  size_t aad_len = unhex(aad_hex, aad, sizeof aad);
  size_t len = unhex(plain_hex, plain, sizeof plain);
  CHECK_EQ_INT(unhex(cipher_hex, want, sizeof want), len);
  unhex(tag_hex, tag_want, sizeof tag_want);
  CHECK_EQ_INT(brtc_dtls_aead_seal(aead, key, nonce, aad, aad_len, plain, len, out, tag), BRTC_OK);
  CHECK_MEM(out, want, len);
  CHECK_MEM(tag, tag_want, 16);
  uint8_t back[128];
  CHECK_EQ_INT(brtc_dtls_aead_open(aead, key, nonce, aad, aad_len, want, len, tag_want, back),
               BRTC_OK);
  CHECK_MEM(back, plain, len);
  /* One bit anywhere (text, tag, additional data) and it does not open. */
  want[3] ^= 1;
  CHECK_EQ_INT(brtc_dtls_aead_open(aead, key, nonce, aad, aad_len, want, len, tag_want, back),
               BRTC_ERR_AUTH);
  want[3] ^= 1;
  tag_want[15] ^= 0x80;
  CHECK_EQ_INT(brtc_dtls_aead_open(aead, key, nonce, aad, aad_len, want, len, tag_want, back),
               BRTC_ERR_AUTH);
  tag_want[15] ^= 0x80;
  aad[0] ^= 1;
  CHECK_EQ_INT(brtc_dtls_aead_open(aead, key, nonce, aad, aad_len, want, len, tag_want, back),
               BRTC_ERR_AUTH);
}

static void test_aead_vectors(void) {
  /* The GCM specification (McGrew and Viega), test cases 4 and 16, as in NIST SP 800-38D's
   * validation: 60 bytes of text, 20 bytes of additional data. */
  static const char *gcm_plain = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                                 "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
  aead_case(BRTC_DTLS_AEAD_AES_128_GCM, "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
            "feedfacedeadbeeffeedfacedeadbeefabaddad2", gcm_plain,
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d"
            "8f6a5aac84aa051ba30b396a0aac973d58e091",
            "5bc94fbc3221a5db94fae95ae7121a47");
  aead_case(BRTC_DTLS_AEAD_AES_256_GCM,
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2", gcm_plain,
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7"
            "b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b");
  /* RFC 8439 2.8.2. */
  static const char sunscreen[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
                                  "only one tip for the future, sunscreen would be it.";
  char plain_hex[2 * sizeof sunscreen];
  for (size_t i = 0; i + 1 < sizeof sunscreen; i++)
    snprintf(plain_hex + 2 * i, 3, "%02x", (unsigned char)sunscreen[i]);
  aead_case(BRTC_DTLS_AEAD_CHACHA20_POLY1305,
            "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
            "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7", plain_hex,
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca96712"
            "82fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58"
            "fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116",
            "1ae10b594f09e26a7e902ecbd0600691");
}

/* ---- the record format and the window, by hand ---- */

/* Two ends of one epoch: a's writes are b's reads. */
static void make_ends(brtc_dtls_aead aead, brtc_dtls_record **a, brtc_dtls_record **b) {
  brtc_dtls_epoch_keys ka = {.aead = aead, .epoch = 1}, kb;
  for (size_t i = 0; i < 32; i++) ka.write_key[i] = (uint8_t)i, ka.read_key[i] = (uint8_t)(0x80 + i);
  for (size_t i = 0; i < 12; i++) ka.write_iv[i] = (uint8_t)(0x40 + i), ka.read_iv[i] = (uint8_t)(0xc0 + i);
  kb = ka;
  memcpy(kb.write_key, ka.read_key, 32);
  memcpy(kb.read_key, ka.write_key, 32);
  memcpy(kb.write_iv, ka.read_iv, 12);
  memcpy(kb.read_iv, ka.write_iv, 12);
  *a = brtc_dtls_record_new(&ka, 0);
  *b = brtc_dtls_record_new(&kb, 0);
  CHECK(*a && *b);
}

static void record_format(brtc_dtls_aead aead) {
  brtc_dtls_record *a, *b;
  make_ends(aead, &a, &b);
  if (!a || !b) goto out;
  uint8_t rec[256], plain[64], type = 0;
  size_t n = 0, pn = 0;
  CHECK_EQ_INT(brtc_dtls_record_protect(a, 23, (const uint8_t *)"hello", 5, rec, sizeof rec, &n),
               BRTC_OK);
  bool gcm = aead != BRTC_DTLS_AEAD_CHACHA20_POLY1305;
  CHECK_EQ_INT(n, 13 + (gcm ? 8 : 0) + 5 + 16);
  CHECK(rec[0] == 23 && rec[1] == 0xfe && rec[2] == 0xfd);
  CHECK_EQ_INT(brtc_dtls_record_epoch(rec), 1);
  CHECK_EQ_INT(brtc_dtls_record_seq(rec), 0);
  CHECK_EQ_INT(brtc_dtls_record_next(rec, n), n);
  if (gcm) { /* the explicit nonce is epoch and sequence number (RFC 5288 3 allows it) */
    static const uint8_t nonce[8] = {0, 1, 0, 0, 0, 0, 0, 0};
    CHECK_MEM(rec + 13, nonce, 8);
  }
  CHECK_EQ_INT(brtc_dtls_record_unprotect(b, rec, n, &type, plain, sizeof plain, &pn), BRTC_OK);
  CHECK(type == 23 && pn == 5 && memcmp(plain, "hello", 5) == 0);
  /* Success leaves OpenSSL's thread error queue empty (it is cleared on failure only). */
  CHECK(ERR_peek_error() == 0);
  /* The other way; an empty record still carries its tag. */
  CHECK_EQ_INT(brtc_dtls_record_protect(b, 21, NULL, 0, rec, sizeof rec, &n), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_record_unprotect(a, rec, n, &type, NULL, 0, &pn), BRTC_OK);
  CHECK(type == 21 && pn == 0);
  /* Type, epoch, sequence number and length are all authenticated. */
  CHECK_EQ_INT(brtc_dtls_record_protect(a, 21, (const uint8_t *)"\x01\x00", 2, rec, sizeof rec, &n),
               BRTC_OK);
  uint8_t bad[256];
  memcpy(bad, rec, n);
  bad[0] = 23;
  CHECK_EQ_INT(brtc_dtls_record_unprotect(b, bad, n, &type, plain, sizeof plain, &pn), BRTC_ERR_AUTH);
  memcpy(bad, rec, n);
  bad[10] ^= 0x40; /* another sequence number */
  CHECK_EQ_INT(brtc_dtls_record_unprotect(b, bad, n, &type, plain, sizeof plain, &pn), BRTC_ERR_AUTH);
  memcpy(bad, rec, n);
  bad[n - 1] ^= 1;
  CHECK_EQ_INT(brtc_dtls_record_unprotect(b, bad, n, &type, plain, sizeof plain, &pn), BRTC_ERR_AUTH);
  memcpy(bad, rec, n);
  bad[4] = 2; /* epoch 2 */
  CHECK_EQ_INT(brtc_dtls_record_unprotect(b, bad, n, &type, plain, sizeof plain, &pn), BRTC_ERR_STATE);
  /* Nothing of the failures is left in OpenSSL's queue for another session's SSL_get_error. */
  CHECK(ERR_peek_error() == 0);
  /* A failed record leaves the window alone: the real one still opens. */
  CHECK_EQ_INT(brtc_dtls_record_unprotect(b, rec, n, &type, plain, sizeof plain, &pn), BRTC_OK);
  CHECK(type == 21 && pn == 2 && plain[0] == 1 && plain[1] == 0);
  /* Malformed: short, length past the end, too short for nonce and tag, DTLS 1.0. */
  CHECK_EQ_INT(brtc_dtls_record_unprotect(b, rec, 12, &type, plain, sizeof plain, &pn), BRTC_ERR_PARSE);
  CHECK_EQ_INT(brtc_dtls_record_unprotect(b, rec, n - 1, &type, plain, sizeof plain, &pn),
               BRTC_ERR_PARSE);
  static const uint8_t tiny[15] = {21, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 2, 2, 40};
  CHECK_EQ_INT(brtc_dtls_record_unprotect(b, tiny, sizeof tiny, &type, plain, sizeof plain, &pn),
               BRTC_ERR_PARSE);
  memcpy(bad, rec, n);
  bad[2] = 0xff;
  CHECK_EQ_INT(brtc_dtls_record_unprotect(b, bad, n, &type, plain, sizeof plain, &pn), BRTC_ERR_PARSE);
  /* Output too small, and a record that would not fit out. */
  CHECK_EQ_INT(brtc_dtls_record_protect(a, 23, (const uint8_t *)"abc", 3, rec, 20, &n),
               BRTC_ERR_TOO_BIG);
  CHECK_EQ_INT(brtc_dtls_record_protect(a, 23, (const uint8_t *)"abc", 3, rec, sizeof rec, &n),
               BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_record_unprotect(b, rec, n, &type, plain, 2, &pn), BRTC_ERR_TOO_BIG);
out:
  brtc_dtls_record_free(a);
  brtc_dtls_record_free(b);
}

static void test_record_format(void) {
  record_format(BRTC_DTLS_AEAD_AES_128_GCM);
  record_format(BRTC_DTLS_AEAD_AES_256_GCM);
  record_format(BRTC_DTLS_AEAD_CHACHA20_POLY1305);
}

/* RFC 6347 4.1.2.6: each sequence number once, within 64 of the highest. */
static void test_replay_window(void) {
  brtc_dtls_record *a, *b;
  make_ends(BRTC_DTLS_AEAD_AES_128_GCM, &a, &b);
  if (!a || !b) goto out;
  enum { N = 200 };
  static uint8_t recs[N][64];
  size_t lens[N];
  for (int i = 0; i < N; i++)
    CHECK_EQ_INT(brtc_dtls_record_protect(a, 23, (const uint8_t *)&i, sizeof i, recs[i], 64,
                                          &lens[i]),
                 BRTC_OK);
  uint8_t type, plain[16];
  size_t pn;
#define OPEN(i) brtc_dtls_record_unprotect(b, recs[i], lens[i], &type, plain, sizeof plain, &pn)
  CHECK_EQ_INT(OPEN(10), BRTC_OK);
  CHECK_EQ_INT(OPEN(10), BRTC_ERR_REPLAY);
  CHECK_EQ_INT(OPEN(5), BRTC_OK);   /* late but inside the window */
  CHECK_EQ_INT(OPEN(5), BRTC_ERR_REPLAY);
  CHECK_EQ_INT(OPEN(100), BRTC_OK); /* a jump forward */
  CHECK_EQ_INT(OPEN(37), BRTC_OK);  /* 63 behind: the edge of the 64-record window */
  CHECK_EQ_INT(OPEN(36), BRTC_ERR_REPLAY); /* 64 behind: too old to tell */
  CHECK_EQ_INT(OPEN(99), BRTC_OK);
  CHECK_EQ_INT(OPEN(99), BRTC_ERR_REPLAY);
  CHECK_EQ_INT(OPEN(199), BRTC_OK); /* a jump past the whole window */
  CHECK_EQ_INT(OPEN(100), BRTC_ERR_REPLAY);
  CHECK_EQ_INT(OPEN(150), BRTC_OK);
  CHECK_EQ_INT(OPEN(150), BRTC_ERR_REPLAY);
  CHECK_EQ_INT(OPEN(136), BRTC_OK);
  int got = 0;
  memcpy(&got, plain, sizeof got);
  CHECK_EQ_INT(got, 136);
  CHECK_EQ_INT(OPEN(135), BRTC_ERR_REPLAY);
#undef OPEN
  /* Our sequence numbers only go up, never below one reserved. */
  CHECK_EQ_INT(brtc_dtls_record_next_write_seq(a), N);
  brtc_dtls_record_reserve_write_seq(a, 10);
  CHECK_EQ_INT(brtc_dtls_record_next_write_seq(a), N);
  brtc_dtls_record_reserve_write_seq(a, BRTC_DTLS_RECORD_MAX_SEQ);
  uint8_t rec[64];
  size_t n;
  CHECK_EQ_INT(brtc_dtls_record_protect(a, 23, plain, 1, rec, sizeof rec, &n), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_record_seq(rec), BRTC_DTLS_RECORD_MAX_SEQ);
  CHECK_EQ_INT(brtc_dtls_record_protect(a, 23, plain, 1, rec, sizeof rec, &n), BRTC_ERR_LIMIT);
  CHECK_EQ_INT(brtc_dtls_record_unprotect(b, rec, n, &type, plain, sizeof plain, &pn), BRTC_OK);
out:
  brtc_dtls_record_free(a);
  brtc_dtls_record_free(b);
}

/* ---- against OpenSSL ---- */

static brtc_dtls_cert *cert_a, *cert_b;

static void pump(brtc_dtls *c, brtc_dtls *s) {
  uint8_t buf[BRTC_DTLS_MAX_DATAGRAM];
  size_t n;
  for (int round = 0; round < 64; round++) {
    int moved = 0;
    for (; brtc_dtls_poll_output(c, buf, sizeof buf, &n) == BRTC_OK; moved++)
      brtc_dtls_handle(s, buf, n, 0);
    for (; brtc_dtls_poll_output(s, buf, sizeof buf, &n) == BRTC_OK; moved++)
      brtc_dtls_handle(c, buf, n, 0);
    if (!moved) break;
  }
}

/* Keys of one end, derived by us from what OpenSSL negotiated. */
static bool keys_of(SSL *ssl, bool is_client, brtc_dtls_aead aead, brtc_dtls_epoch_keys *k) {
  uint8_t master[48], cr[32], sr[32];
  size_t ml = SSL_SESSION_get_master_key(SSL_get_session(ssl), master, sizeof master);
  SSL_get_client_random(ssl, cr, 32);
  SSL_get_server_random(ssl, sr, 32);
  const EVP_MD *md = SSL_CIPHER_get_handshake_digest(SSL_get_current_cipher(ssl));
  bool sha384 = md && EVP_MD_get_type(md) == NID_sha384;
  return ml == 48 && brtc_dtls_derive_epoch_keys(aead, sha384, master, ml, cr, sr, is_client, 1,
                                                 k) == BRTC_OK;
}

/* The SSL reads our record from a memory BIO: after the handshake it no longer needs the
 * datagram BIO, and SSL_read on one datagram's bytes is exactly what a socket would give. */
static int openssl_reads(SSL *ssl, const uint8_t *rec, size_t n, uint8_t *out, size_t cap,
                         size_t *got) {
  BIO *in = BIO_new(BIO_s_mem()), *sink = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, sink);
  BIO_write(in, rec, (int)n);
  ERR_clear_error();
  int r = SSL_read_ex(ssl, out, cap, got);
  int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);
  ERR_clear_error();
  return e;
}

static void against_openssl(const char *suite, brtc_dtls_aead aead, const char *want_name) {
  brtc_dtls *c = brtc_dtls_new(cert_a, true, brtc_dtls_cert_fingerprint(cert_b));
  brtc_dtls *s = brtc_dtls_new(cert_b, false, brtc_dtls_cert_fingerprint(cert_a));
  CHECK(c && s);
  if (!c || !s) goto out;
  CHECK_EQ_INT(SSL_set_cipher_list(brtc_dtls_ssl(c), suite), 1);
  CHECK_EQ_INT(brtc_dtls_start(c, 0), BRTC_OK);
  pump(c, s);
  CHECK_EQ_INT(brtc_dtls_get_state(c), BRTC_DTLS_CONNECTED);
  CHECK_EQ_INT(brtc_dtls_get_state(s), BRTC_DTLS_CONNECTED);
  CHECK_STR(brtc_dtls_cipher(c), want_name);
  fprintf(stderr, "  %s\n", brtc_dtls_cipher(c));

  /* Our derivation on each side: one end's write keys are the other's read keys. */
  brtc_dtls_epoch_keys kc, ks;
  CHECK(keys_of(brtc_dtls_ssl(c), true, aead, &kc));
  CHECK(keys_of(brtc_dtls_ssl(s), false, aead, &ks));
  size_t kl = brtc_dtls_aead_key_len(aead), il = brtc_dtls_aead_iv_len(aead);
  CHECK_MEM(kc.write_key, ks.read_key, kl);
  CHECK_MEM(kc.read_key, ks.write_key, kl);
  CHECK_MEM(kc.write_iv, ks.read_iv, il);
  CHECK_MEM(kc.read_iv, ks.write_iv, il);
  CHECK(memcmp(kc.write_key, kc.read_key, kl) != 0);
  brtc_dtls_record *ours_c = brtc_dtls_record_new(&kc, 100); /* past OpenSSL's numbers */
  brtc_dtls_record *ours_s = brtc_dtls_record_new(&ks, 100);
  CHECK(ours_c && ours_s);
  if (!ours_c || !ours_s) goto free_ours;

  /* OpenSSL's server writes application data and a close_notify; ours open both. */
  uint8_t dg[BRTC_DTLS_MAX_DATAGRAM], plain[BRTC_DTLS_MAX_DATAGRAM], type = 0;
  size_t n = 0, pn = 0;
  uint8_t msg[1000];
  for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 31 + 7);
  CHECK_EQ_INT(brtc_dtls_write(s, msg, sizeof msg), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_poll_output(s, dg, sizeof dg, &n), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_record_next(dg, n), n); /* one record */
  CHECK_EQ_INT(brtc_dtls_record_unprotect(ours_c, dg, n, &type, plain, sizeof plain, &pn), BRTC_OK);
  CHECK_EQ_INT(type, BRTC_DTLS_CT_APPLICATION_DATA);
  CHECK_EQ_INT(pn, sizeof msg);
  CHECK_MEM(plain, msg, sizeof msg);
  CHECK_EQ_INT(brtc_dtls_record_unprotect(ours_c, dg, n, &type, plain, sizeof plain, &pn),
               BRTC_ERR_REPLAY);
  CHECK_EQ_INT(brtc_dtls_close(s), BRTC_OK); /* SSL_shutdown: OpenSSL makes the alert */
  CHECK_EQ_INT(brtc_dtls_poll_output(s, dg, sizeof dg, &n), BRTC_OK);
  CHECK_EQ_INT(brtc_dtls_record_unprotect(ours_c, dg, n, &type, plain, sizeof plain, &pn), BRTC_OK);
  CHECK_EQ_INT(type, BRTC_DTLS_CT_ALERT);
  CHECK(pn == 2 && plain[0] == BRTC_DTLS_ALERT_WARNING && plain[1] == BRTC_DTLS_ALERT_CLOSE_NOTIFY);

  /* Ours, from the server's keys, read by OpenSSL's client. */
  SSL *client_ssl = brtc_dtls_ssl(c);
  CHECK_EQ_INT(brtc_dtls_record_protect(ours_s, BRTC_DTLS_CT_APPLICATION_DATA, msg, 777, dg,
                                        sizeof dg, &n),
               BRTC_OK);
  CHECK_EQ_INT(openssl_reads(client_ssl, dg, n, plain, sizeof plain, &pn), SSL_ERROR_NONE);
  CHECK_EQ_INT(pn, 777);
  CHECK_MEM(plain, msg, 777);
  /* A forged copy (one bit of the tag) is dropped by OpenSSL too, silently. */
  CHECK_EQ_INT(brtc_dtls_record_protect(ours_s, BRTC_DTLS_CT_APPLICATION_DATA, msg, 10, dg,
                                        sizeof dg, &n),
               BRTC_OK);
  dg[n - 1] ^= 1;
  CHECK_EQ_INT(openssl_reads(client_ssl, dg, n, plain, sizeof plain, &pn), SSL_ERROR_WANT_READ);
  /* Our close_notify ends OpenSSL's read side: it took the alert as authentic. */
  static const uint8_t close_notify[2] = {BRTC_DTLS_ALERT_WARNING, BRTC_DTLS_ALERT_CLOSE_NOTIFY};
  CHECK_EQ_INT(brtc_dtls_record_protect(ours_s, BRTC_DTLS_CT_ALERT, close_notify, 2, dg, sizeof dg,
                                        &n),
               BRTC_OK);
  CHECK_EQ_INT(openssl_reads(client_ssl, dg, n, plain, sizeof plain, &pn), SSL_ERROR_ZERO_RETURN);
  CHECK(SSL_get_shutdown(client_ssl) & SSL_RECEIVED_SHUTDOWN);
free_ours:
  brtc_dtls_record_free(ours_c);
  brtc_dtls_record_free(ours_s);
out:
  brtc_dtls_free(c);
  brtc_dtls_free(s);
}

/* Every suite we offer (dtls_cert.c), each with its own AEAD and PRF hash. */
static void test_against_openssl(void) {
  against_openssl("ECDHE-ECDSA-AES128-GCM-SHA256", BRTC_DTLS_AEAD_AES_128_GCM,
                  "ECDHE-ECDSA-AES128-GCM-SHA256");
  against_openssl("ECDHE-ECDSA-AES256-GCM-SHA384", BRTC_DTLS_AEAD_AES_256_GCM,
                  "ECDHE-ECDSA-AES256-GCM-SHA384");
  against_openssl("ECDHE-ECDSA-CHACHA20-POLY1305", BRTC_DTLS_AEAD_CHACHA20_POLY1305,
                  "ECDHE-ECDSA-CHACHA20-POLY1305");
}

/* A CBC suite is neither offered nor accepted: the peer that insists gets no session. */
static void test_no_cbc(void) {
  brtc_dtls *c = brtc_dtls_new(cert_a, true, brtc_dtls_cert_fingerprint(cert_b));
  brtc_dtls *s = brtc_dtls_new(cert_b, false, brtc_dtls_cert_fingerprint(cert_a));
  CHECK(c && s);
  if (c && s) {
    /* A client that offers only CBC: our server accepts none of it. */
    CHECK_EQ_INT(SSL_set_cipher_list(brtc_dtls_ssl(c), "ECDHE-ECDSA-AES128-SHA"), 1);
    ERR_clear_error();
    brtc_dtls_start(c, 0);
    pump(c, s);
    CHECK(brtc_dtls_get_state(s) != BRTC_DTLS_CONNECTED);
  }
  brtc_dtls_free(c);
  brtc_dtls_free(s);
}

int main(void) {
  cert_a = brtc_dtls_cert_generate();
  cert_b = brtc_dtls_cert_generate();
  CHECK(cert_a && cert_b);
  if (!cert_a || !cert_b) return TEST_REPORT();
  RUN(test_prf_vectors);
  RUN(test_aead_vectors);
  RUN(test_record_format);
  RUN(test_replay_window);
  RUN(test_against_openssl);
  RUN(test_no_cbc);
  brtc_dtls_cert_free(cert_a);
  brtc_dtls_cert_free(cert_b);
  return TEST_REPORT();
}
