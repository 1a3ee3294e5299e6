/* What the SRTP and sending benchmarks share: one master key, the clock, a fatal exit, and a
 * libsrtp2 session (the peer they measure against) keyed with it. Header only. */
#ifndef BRTC_BENCH_COMMON_H
#define BRTC_BENCH_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef BRTC_BENCH_LIBSRTP
#include <srtp2/srtp.h>
#endif

/* Key (16) || salt (14; GCM uses the first 12), as libsrtp2 takes them. */
static const uint8_t bench_master_key[30] = {
    0x3c, 0x7a, 0x11, 0x92, 0x05, 0xe8, 0x61, 0x4d, 0xb0, 0x2f, 0x99, 0x13, 0x7e, 0xc4, 0x58,
    0x21, 0xd0, 0x0d, 0xfe, 0xed, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x0f, 0x1e};

static inline double bench_now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* CPU time of the calling thread: on a shared machine, the work's own cost. */
static inline double bench_cpu_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static inline void bench_die(const char *what) {
  fprintf(stderr, "%s: %s failed\n", program_invocation_short_name, what);
  exit(1);
}

#ifdef BRTC_BENCH_LIBSRTP
/* A libsrtp2 session on bench_master_key for any SSRC, in one direction. */
static inline srtp_t bench_libsrtp_session(bool gcm, bool inbound) {
  srtp_policy_t pol;
  memset(&pol, 0, sizeof pol);
  if (gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
  }
  pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  pol.key = (unsigned char *)bench_master_key;
  pol.window_size = 128;
  srtp_t s;
  if (srtp_create(&s, &pol) != srtp_err_status_ok) bench_die("srtp_create");
  return s;
}
#endif

#endif
