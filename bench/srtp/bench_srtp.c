/* SRTP protect/unprotect throughput, single thread: boltrtc, libsrtp2 with the same master
 * key, and the bare OpenSSL EVP calls on the same bytes (cipher + MAC only, no parsing,
 * streams or replay window: the floor). Prints a Markdown table.
 *
 * Every iteration copies the packet into a work buffer first (in-place transforms), for all
 * three alike. Unprotect runs over batches of pre-protected packets; a fresh receiving
 * session per batch keeps the replay window from rejecting them, created outside the timing.
 *
 * Each cell runs for the given seconds in 10 slices and reports the fastest slice.
 *
 * usage: bench_srtp [seconds per cell, default 3] */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "srtp/srtp.h"
#include "srtp/srtp_kdf.h"

#include "bench_common.h"

#define BATCH 512
#define SLOT 1536
#define SSRC 0x5eed1234u

static double g_seconds = 3.0;

typedef enum impl { IMPL_OURS, IMPL_LIBSRTP, IMPL_EVP, IMPL_COUNT } impl;

/* One implementation's sender or receiver. */
typedef struct endpoint {
  impl which;
  bool gcm, inbound;
  brtc_srtp *ours;
#ifdef BRTC_BENCH_LIBSRTP
  srtp_t lib;
#endif
  EVP_CIPHER_CTX *cipher; /* EVP floor */
  EVP_MAC_CTX *mac;
  uint8_t salt[14];
} endpoint;

static void endpoint_open(endpoint *e, impl which, bool gcm, bool inbound) {
  memset(e, 0, sizeof *e);
  e->which = which;
  e->gcm = gcm;
  e->inbound = inbound;
  brtc_srtp_profile_id profile =
      gcm ? BRTC_SRTP_PROFILE_AEAD_AES_128_GCM : BRTC_SRTP_PROFILE_AES128_CM_SHA1_80;
  size_t salt_len = gcm ? 12 : 14;
  if (which == IMPL_OURS) {
    e->ours = brtc_srtp_new(profile, inbound ? BRTC_SRTP_INBOUND : BRTC_SRTP_OUTBOUND,
                            bench_master_key, 16, bench_master_key + 16, salt_len);
    if (!e->ours) bench_die("brtc_srtp_new");
  } else if (which == IMPL_LIBSRTP) {
#ifdef BRTC_BENCH_LIBSRTP
    e->lib = bench_libsrtp_session(gcm, inbound);
#endif
  } else {
    /* The same session keys boltrtc derives, so the floor checks the very same tags. */
    brtc_srtp_session_keys rtp, rtcp;
    if (brtc_srtp_derive_session_keys(bench_master_key, 16, bench_master_key + 16, salt_len, &rtp,
                                      &rtcp))
      bench_die("derive");
    memcpy(e->salt, rtp.salt, sizeof e->salt);
    e->cipher = EVP_CIPHER_CTX_new();
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, gcm ? "AES-128-GCM" : "AES-128-CTR", NULL);
    int ok = inbound && gcm ? EVP_DecryptInit_ex(e->cipher, c, NULL, rtp.key, NULL)
                            : EVP_EncryptInit_ex(e->cipher, c, NULL, rtp.key, NULL);
    EVP_CIPHER_free(c);
    if (ok != 1) bench_die("EVP cipher init");
    if (!gcm) {
      EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
      e->mac = EVP_MAC_CTX_new(m);
      EVP_MAC_free(m);
      char digest[] = "SHA1";
      OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                             OSSL_PARAM_construct_end()};
      if (EVP_MAC_init(e->mac, rtp.auth_key, 20, params) != 1) bench_die("EVP_MAC_init");
    }
  }
}

static void endpoint_close(endpoint *e) {
  brtc_srtp_free(e->ours);
#ifdef BRTC_BENCH_LIBSRTP
  if (e->lib) srtp_dealloc(e->lib);
#endif
  EVP_CIPHER_CTX_free(e->cipher);
  EVP_MAC_CTX_free(e->mac);
}

/* The floor: exactly the cipher and MAC calls SRTP needs, on an already parsed packet. */
static int evp_transform(endpoint *e, uint8_t *pkt, size_t len, size_t *out_len) {
  uint8_t iv[16] = {0}, tag[20];
  uint16_t seq = brtc_rd16(pkt + 2);
  int n = 0;
  size_t tag_len = e->gcm ? 16 : 10, body = e->inbound ? len - tag_len : len;
  if (e->gcm) {
    memcpy(iv, e->salt, 12);
    iv[2] ^= (uint8_t)(SSRC >> 24), iv[3] ^= (uint8_t)(SSRC >> 16);
    iv[4] ^= (uint8_t)(SSRC >> 8), iv[5] ^= (uint8_t)SSRC;
    iv[10] ^= (uint8_t)(seq >> 8), iv[11] ^= (uint8_t)seq;
    if (e->inbound) {
      EVP_DecryptInit_ex(e->cipher, NULL, NULL, NULL, iv);
      EVP_DecryptUpdate(e->cipher, NULL, &n, pkt, 12);
      EVP_DecryptUpdate(e->cipher, pkt + 12, &n, pkt + 12, (int)(body - 12));
      EVP_CIPHER_CTX_ctrl(e->cipher, EVP_CTRL_GCM_SET_TAG, 16, pkt + body);
      if (EVP_DecryptFinal_ex(e->cipher, tag, &n) != 1) return BRTC_ERR_AUTH;
    } else {
      EVP_EncryptInit_ex(e->cipher, NULL, NULL, NULL, iv);
      EVP_EncryptUpdate(e->cipher, NULL, &n, pkt, 12);
      EVP_EncryptUpdate(e->cipher, pkt + 12, &n, pkt + 12, (int)(body - 12));
      EVP_EncryptFinal_ex(e->cipher, tag, &n);
      EVP_CIPHER_CTX_ctrl(e->cipher, EVP_CTRL_GCM_GET_TAG, 16, pkt + body);
    }
  } else {
    memcpy(iv, e->salt, 14);
    iv[4] ^= (uint8_t)(SSRC >> 24), iv[5] ^= (uint8_t)(SSRC >> 16);
    iv[6] ^= (uint8_t)(SSRC >> 8), iv[7] ^= (uint8_t)SSRC;
    iv[12] ^= (uint8_t)(seq >> 8), iv[13] ^= (uint8_t)seq;
    static const uint8_t roc[4];
    size_t mac_len = 0;
    if (!e->inbound) {
      EVP_EncryptInit_ex(e->cipher, NULL, NULL, NULL, iv);
      EVP_EncryptUpdate(e->cipher, pkt + 12, &n, pkt + 12, (int)(body - 12));
    }
    EVP_MAC_init(e->mac, NULL, 0, NULL);
    EVP_MAC_update(e->mac, pkt, body);
    EVP_MAC_update(e->mac, roc, 4);
    EVP_MAC_final(e->mac, tag, &mac_len, sizeof tag);
    if (e->inbound) {
      if (CRYPTO_memcmp(tag, pkt + body, 10) != 0) return BRTC_ERR_AUTH;
      EVP_EncryptInit_ex(e->cipher, NULL, NULL, NULL, iv);
      EVP_EncryptUpdate(e->cipher, pkt + 12, &n, pkt + 12, (int)(body - 12));
    } else {
      memcpy(pkt + body, tag, 10);
    }
  }
  *out_len = e->inbound ? body : len + tag_len;
  return BRTC_OK;
}

static int endpoint_run(endpoint *e, uint8_t *pkt, size_t len, size_t *out_len) {
  switch (e->which) {
  case IMPL_OURS:
    return e->inbound ? brtc_srtp_unprotect(e->ours, pkt, len, out_len)
                      : brtc_srtp_protect(e->ours, pkt, len, SLOT, out_len);
#ifdef BRTC_BENCH_LIBSRTP
  case IMPL_LIBSRTP: {
    int n = (int)len;
    srtp_err_status_t st =
        e->inbound ? srtp_unprotect(e->lib, pkt, &n) : srtp_protect(e->lib, pkt, &n);
    *out_len = (size_t)n;
    return st == srtp_err_status_ok ? BRTC_OK : BRTC_ERR_CRYPTO;
  }
#endif
  case IMPL_EVP:
    return evp_transform(e, pkt, len, out_len);
  default:
    return BRTC_ERR_UNSUPPORTED;
  }
}

static size_t make_plain(uint8_t *p, size_t total, uint16_t seq) {
  memset(p, 0, 12);
  p[0] = 0x80;
  p[1] = 111;
  brtc_wr16(p + 2, seq);
  brtc_wr32(p + 4, (uint32_t)seq * 960u);
  brtc_wr32(p + 8, SSRC);
  for (size_t i = 12; i < total; i++) p[i] = (uint8_t)(i * 31 + seq);
  return total;
}

typedef struct result {
  double pps, ns;
} result;

static uint8_t g_plain[BATCH][SLOT], g_prot[BATCH][SLOT], g_work[SLOT];
static size_t g_prot_len[BATCH];

/* The fastest of SLICES equal slices of a cell: the machine is shared, and the best slice
 * is the one least disturbed by other processes. */
#define SLICES 10

static void keep_best(result *best, uint64_t packets, double seconds) {
  double pps = (double)packets / seconds;
  if (pps > best->pps) *best = (result){pps, 1e9 / pps};
}

static result bench_protect(impl which, bool gcm, size_t size) {
  endpoint e;
  endpoint_open(&e, which, gcm, false);
  for (int i = 0; i < BATCH; i++) make_plain(g_plain[i], size, (uint16_t)i);
  uint32_t seq = 0;
  result best = {0, 0};
  for (int slice = 0; slice < SLICES; slice++) {
    uint64_t packets = 0;
    double start = bench_now_s(), elapsed = 0;
    while (elapsed < g_seconds / SLICES) {
      for (int i = 0; i < BATCH; i++) {
        size_t out = 0;
        memcpy(g_work, g_plain[i], size);
        brtc_wr16(g_work + 2, (uint16_t)seq++);
        if (endpoint_run(&e, g_work, size, &out) != BRTC_OK) bench_die("protect");
      }
      packets += BATCH;
      elapsed = bench_now_s() - start;
    }
    keep_best(&best, packets, elapsed);
  }
  endpoint_close(&e);
  return best;
}

static result bench_unprotect(impl which, bool gcm, size_t size) {
  /* Protect the batch once with our sender (libsrtp's output is byte-identical). */
  endpoint tx;
  endpoint_open(&tx, IMPL_OURS, gcm, false);
  for (int i = 0; i < BATCH; i++) {
    make_plain(g_prot[i], size, (uint16_t)i);
    if (brtc_srtp_protect(tx.ours, g_prot[i], size, SLOT, &g_prot_len[i])) bench_die("prepare");
  }
  endpoint_close(&tx);

  result best = {0, 0};
  for (int slice = 0; slice < SLICES; slice++) {
    uint64_t packets = 0;
    double timed = 0;
    while (timed < g_seconds / SLICES) {
      endpoint e;
      endpoint_open(&e, which, gcm, true);
      double start = bench_now_s();
      for (int i = 0; i < BATCH; i++) {
        size_t out = 0;
        memcpy(g_work, g_prot[i], g_prot_len[i]);
        if (endpoint_run(&e, g_work, g_prot_len[i], &out) != BRTC_OK || out != size)
          bench_die("unprotect");
      }
      timed += bench_now_s() - start;
      packets += BATCH;
      endpoint_close(&e);
    }
    keep_best(&best, packets, timed);
  }
  return best;
}

/* How to reuse a keyed HMAC-SHA1 per packet, the choice srtp.c makes: re-init with a NULL
 * key (keeps the key), duplicate a keyed template, or set the key again each time. */
typedef enum mac_way { MAC_INIT_NULL_KEY, MAC_DUP_TEMPLATE, MAC_REKEY, MAC_WAYS } mac_way;
static const char *const k_mac_way_names[MAC_WAYS] = {
    "EVP_MAC_init(ctx, NULL key)", "EVP_MAC_CTX_dup(keyed template)", "EVP_MAC_init(ctx, key)"};

static result bench_mac_way(mac_way way, size_t size) {
  static const uint8_t key[20] = {7}, roc[4];
  uint8_t tag[20];
  size_t n = 0;
  EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *keyed = EVP_MAC_CTX_new(m);
  char digest[] = "SHA1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (!keyed || EVP_MAC_init(keyed, key, sizeof key, params) != 1) bench_die("HMAC setup");
  make_plain(g_work, size, 1);
  result best = {0, 0};
  for (int slice = 0; slice < SLICES; slice++) {
    uint64_t packets = 0;
    double start = bench_now_s(), elapsed = 0;
    while (elapsed < g_seconds / SLICES) {
      for (int i = 0; i < BATCH; i++) {
        EVP_MAC_CTX *c = keyed;
        int ok;
        if (way == MAC_DUP_TEMPLATE)
          ok = (c = EVP_MAC_CTX_dup(keyed)) != NULL;
        else if (way == MAC_REKEY)
          ok = EVP_MAC_init(c, key, sizeof key, NULL);
        else
          ok = EVP_MAC_init(c, NULL, 0, NULL);
        if (!ok || !EVP_MAC_update(c, g_work, size) || !EVP_MAC_update(c, roc, sizeof roc) ||
            !EVP_MAC_final(c, tag, &n, sizeof tag))
          bench_die("HMAC");
        if (c != keyed) EVP_MAC_CTX_free(c);
      }
      packets += BATCH;
      elapsed = bench_now_s() - start;
    }
    keep_best(&best, packets, elapsed);
  }
  EVP_MAC_CTX_free(keyed);
  EVP_MAC_free(m);
  return best;
}

int main(int argc, char **argv) {
  if (argc > 1) g_seconds = atof(argv[1]);
  if (g_seconds <= 0) g_seconds = 3.0;
  bool have_lib = false;
#ifdef BRTC_BENCH_LIBSRTP
  if (srtp_init() != srtp_err_status_ok) bench_die("srtp_init");
  have_lib = true;
#endif
  printf("%s; libsrtp2 %s; %.1f s per cell (best of 10 slices), 1 thread\n\n",
         OpenSSL_version(OPENSSL_VERSION),
#ifdef BRTC_BENCH_LIBSRTP
         srtp_get_version_string(),
#else
         "not built",
#endif
         g_seconds);
  double load0[3] = {0};
  if (getloadavg(load0, 3) == 3)
    printf("load average at the start: %.2f %.2f %.2f\n\n", load0[0], load0[1], load0[2]);
  printf("| profile | bytes | op | boltrtc pkt/s | ns/pkt | libsrtp2 pkt/s | ns/pkt | "
         "EVP floor pkt/s | ns/pkt | boltrtc / floor |\n");
  printf("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
  const size_t sizes[] = {160, 1200};
  for (int g = 0; g < 2; g++) {
    for (int s = 0; s < 2; s++) {
      for (int op = 0; op < 2; op++) {
        result r[IMPL_COUNT] = {{0, 0}, {0, 0}, {0, 0}};
        for (int i = 0; i < IMPL_COUNT; i++) {
          if (i == IMPL_LIBSRTP && !have_lib) continue;
          r[i] = op ? bench_unprotect((impl)i, g, sizes[s]) : bench_protect((impl)i, g, sizes[s]);
        }
        printf("| %s | %zu | %s | %.0f | %.0f | ",
               g ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80", sizes[s],
               op ? "unprotect" : "protect", r[IMPL_OURS].pps, r[IMPL_OURS].ns);
        if (have_lib)
          printf("%.0f | %.0f | ", r[IMPL_LIBSRTP].pps, r[IMPL_LIBSRTP].ns);
        else
          printf("- | - | ");
        printf("%.0f | %.0f | %.2f |\n", r[IMPL_EVP].pps, r[IMPL_EVP].ns,
               r[IMPL_OURS].pps / r[IMPL_EVP].pps);
        fflush(stdout);
      }
    }
  }

  double load[3] = {0};
  if (getloadavg(load, 3) == 3)
    printf("\nload average at the end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  printf("\nHMAC-SHA1 per packet (header + payload + ROC), ns/packet:\n\n");
  printf("| strategy | 160 B | 1200 B |\n|---|---:|---:|\n");
  for (int w = 0; w < MAC_WAYS; w++) {
    result a = bench_mac_way((mac_way)w, 160), b = bench_mac_way((mac_way)w, 1200);
    printf("| %s | %.0f | %.0f |\n", k_mac_way_names[w], a.ns, b.ns);
  }
#ifdef BRTC_BENCH_LIBSRTP
  srtp_shutdown();
#endif
  return 0;
}
