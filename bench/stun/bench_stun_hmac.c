/* MESSAGE-INTEGRITY's cost per ICE check: a Binding request the way Chromium signs one
 * (USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT), built
 * and signed, then parsed and verified, three ways in the same run:
 *   keyed     brtc_stun_key keyed once (what the ICE agent does now)
 *   per-msg   brtc_stun_finish / brtc_stun_check_integrity with the password's bytes: a context
 *             fetched and keyed for the one message
 *   one-shot  the path before: a copy of the message and OpenSSL's one-shot HMAC(), kept here
 *             as the peer
 * Every way's output is checked against the others' first (the same bytes, the same verdict).
 * The ways take turns in slices of thread CPU time; each figure is the median slice.
 *
 * usage: bench_stun_hmac [slices, default 21] */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "stun/stun.h"

#include "bench_common.h"

#define ITERS 20000 /* messages per slice */
#define MAX_SLICES 101
#define PWD "Ba6Xa+ZQaJ7Gi/0x4ajbQ6Ov" /* 24 characters, as Chromium's */

static const uint8_t tid[12] = {0x42, 0x1b, 0x7c, 0x33, 0x90, 0x05, 0xde, 0x6a, 0x11, 0x2f, 0x88, 0x4e};

typedef enum way { WAY_KEYED, WAY_PER_MSG, WAY_ONE_SHOT, WAY_COUNT } way;
static const char *const way_name[WAY_COUNT] = {"keyed once (brtc_stun_key)",
                                                "context per message (bytes API)",
                                                "one-shot HMAC() (before)"};

static brtc_stun_key g_key;

static void add_check_attrs(brtc_stun_writer *w) {
  brtc_stun_add_bytes(w, BRTC_STUN_ATTR_USERNAME, "f2Yb:Hq9z", 9);
  brtc_stun_add_u32(w, BRTC_STUN_ATTR_PRIORITY, 0x6e7f1eff);
  brtc_stun_add_u64(w, BRTC_STUN_ATTR_ICE_CONTROLLING, 0x1a2b3c4d5e6f7788ull);
  brtc_stun_add_flag(w, BRTC_STUN_ATTR_USE_CANDIDATE);
}

/* The one-shot path as src/stun/stun.c had it: copy, patch the length, HMAC(). */
static void one_shot_mac(const uint8_t *buf, size_t end, uint16_t length_field, uint8_t mac[20]) {
  uint8_t copy[BRTC_STUN_MAX_SIZE];
  unsigned int mac_len = 0;
  memcpy(copy, buf, end);
  brtc_wr16(copy + 2, length_field);
  if (!HMAC(EVP_sha1(), PWD, (int)strlen(PWD), copy, end, mac, &mac_len) || mac_len != 20)
    bench_die("HMAC");
}

static size_t sign(way how, uint8_t *buf, size_t cap) {
  brtc_stun_writer w;
  size_t len = 0;
  brtc_stun_writer_init(&w, buf, cap, BRTC_STUN_BINDING_REQUEST, tid);
  add_check_attrs(&w);
  int rc;
  if (how == WAY_KEYED) {
    rc = brtc_stun_finish_keyed(&w, &g_key, true, &len);
  } else if (how == WAY_PER_MSG) {
    rc = brtc_stun_finish(&w, (const uint8_t *)PWD, strlen(PWD), true, &len);
  } else {
    size_t mi_pos = w.len;
    static const uint8_t zeros[20];
    brtc_stun_add_bytes(&w, BRTC_STUN_ATTR_MESSAGE_INTEGRITY, zeros, sizeof(zeros));
    one_shot_mac(buf, mi_pos, (uint16_t)(w.len - BRTC_STUN_HEADER_SIZE), buf + mi_pos + 4);
    rc = brtc_stun_finish(&w, NULL, 0, true, &len);
  }
  if (rc != BRTC_OK) bench_die("sign");
  return len;
}

static int verify(way how, const uint8_t *buf, size_t len) {
  brtc_stun_msg m;
  if (brtc_stun_parse(buf, len, &m) != BRTC_OK || !m.fingerprint_ok) return BRTC_ERR_PARSE;
  if (how == WAY_KEYED) return brtc_stun_check_integrity_keyed(buf, len, &m, &g_key);
  if (how == WAY_PER_MSG)
    return brtc_stun_check_integrity(buf, len, &m, (const uint8_t *)PWD, strlen(PWD));
  uint8_t mac[20];
  size_t off = m.integrity_offset;
  one_shot_mac(buf, off, (uint16_t)(off + 24 - BRTC_STUN_HEADER_SIZE), mac);
  return CRYPTO_memcmp(mac, buf + off + 4, 20) == 0 ? BRTC_OK : BRTC_ERR_AUTH;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int slices = argc > 1 ? atoi(argv[1]) : 21;
  if (slices < 1 || slices > MAX_SLICES) slices = 21;
  if (brtc_stun_key_set(&g_key, (const uint8_t *)PWD, strlen(PWD)) != BRTC_OK) bench_die("key");

  /* The three ways agree: the same bytes signed, each accepts them, a tampered one fails. */
  uint8_t ref[256], buf[256];
  size_t ref_len = sign(WAY_ONE_SHOT, ref, sizeof(ref));
  for (int h = 0; h < WAY_COUNT; h++) {
    size_t n = sign((way)h, buf, sizeof(buf));
    if (n != ref_len || memcmp(buf, ref, n) != 0) bench_die("same bytes");
    if (verify((way)h, ref, ref_len) != BRTC_OK) bench_die("verify");
  }
  brtc_stun_msg m;
  memcpy(buf, ref, ref_len);
  buf[25] ^= 1; /* inside USERNAME */
  if (brtc_stun_parse(buf, ref_len, &m) != BRTC_OK ||
      brtc_stun_check_integrity_keyed(buf, ref_len, &m, &g_key) != BRTC_ERR_AUTH)
    bench_die("tampered check refused");

  static double sign_ns[WAY_COUNT][MAX_SLICES], verify_ns[WAY_COUNT][MAX_SLICES];
  volatile size_t sink = 0;
  for (int s = 0; s < slices; s++) {
    for (int h = 0; h < WAY_COUNT; h++) {
      double t0 = bench_cpu_s();
      for (int i = 0; i < ITERS; i++) sink += sign((way)h, buf, sizeof(buf));
      double t1 = bench_cpu_s();
      for (int i = 0; i < ITERS; i++) sink += (size_t)verify((way)h, ref, ref_len);
      double t2 = bench_cpu_s();
      sign_ns[h][s] = (t1 - t0) * 1e9 / ITERS;
      verify_ns[h][s] = (t2 - t1) * 1e9 / ITERS;
    }
  }
  (void)sink;
  printf("%s, %d slices of %d messages, median ns per message (thread CPU time)\n\n",
         OpenSSL_version(OPENSSL_VERSION), slices, ITERS);
  printf("| MESSAGE-INTEGRITY | sign a check (build + HMAC + FINGERPRINT) | verify a check "
         "(parse + HMAC) |\n| --- | ---: | ---: |\n");
  double base_sign = 0, base_verify = 0;
  for (int h = WAY_COUNT - 1; h >= 0; h--) {
    qsort(sign_ns[h], (size_t)slices, sizeof(double), cmp_double);
    qsort(verify_ns[h], (size_t)slices, sizeof(double), cmp_double);
    double sn = sign_ns[h][slices / 2], vn = verify_ns[h][slices / 2];
    if (h == WAY_ONE_SHOT) {
      base_sign = sn;
      base_verify = vn;
    }
    printf("| %s | %.0f ns (%.2fx) | %.0f ns (%.2fx) |\n", way_name[h], sn, sn / base_sign, vn,
           vn / base_verify);
  }
  brtc_stun_key_clear(&g_key);
  return 0;
}
