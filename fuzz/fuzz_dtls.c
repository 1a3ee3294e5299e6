/* Random datagrams into a server-side DTLS session. Input: [flags] then datagrams, each
 * prefixed by a 2-byte big-endian length. Flag bit 0 first replays a genuine
 * ClientHello (captured once) so the fuzzed records meet a server mid-handshake; bit 2
 * instead completes a real handshake with a client first, so they meet a connected server
 * (our record layer routes every record), and bit 3 then also releases OpenSSL's state.
 *
 * OpenSSL's randomness is a fixed stream here, restarted for every input (OpenSSL's own
 * fuzzers do the same, fuzz/fuzz_rand.c), so the server's randoms, ECDHE key and signatures
 * are the same whenever it meets the same bytes: an input's outcome depends on its file alone.
 * That lets bit 2's client be a recording: its flights, captured once against a server that
 * drew the same stream, are replayed into a fresh server per input. The server still runs its
 * whole side of the handshake (ECDHE, its signature, the client's CertificateVerify and
 * Finished checked); only the client's half, half of the cost, is not redone per input. */
#define OPENSSL_SUPPRESS_DEPRECATED /* RAND_METHOD: the one way to replace RAND in 3.0 */
#include <openssl/rand.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtls/dtls.h"

/* SplitMix64 streams: one for the server under test, one for the recorded client, so the
 * server draws the same values whether or not a live client runs beside it. */
static uint64_t server_rng, client_rng, *rng = &server_rng;
#define SERVER_SEED 0x5eed0001u

static int fixed_bytes(unsigned char *buf, int num) {
  for (int i = 0; i < num; i++) {
    uint64_t z = (*rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    buf[i] = (unsigned char)(z ^ (z >> 31));
  }
  return 1;
}
static int fixed_status(void) { return 1; }
static const RAND_METHOD fixed_rand = {.bytes = fixed_bytes, .pseudorand = fixed_bytes,
                                       .status = fixed_status};

static brtc_dtls_cert *cert;
static uint8_t client_hello[BRTC_DTLS_MAX_DATAGRAM];
static size_t client_hello_len;

/* The server's side of a complete handshake, as the calls the recording made on it: each
 * client datagram handed to it (len > 0), or its output taken (len 0). */
#define MAX_STEPS 64
static struct {
  uint8_t *data;
  size_t len;
} steps[MAX_STEPS];
static size_t n_steps;

static void record(const uint8_t *data, size_t len) {
  if (n_steps == MAX_STEPS) __builtin_trap();
  steps[n_steps].data = len ? malloc(len) : NULL;
  if (len && !steps[n_steps].data) __builtin_trap();
  if (len) memcpy(steps[n_steps].data, data, len);
  steps[n_steps++].len = len;
}

/* A real handshake between a live client and a server, recording the server's calls. */
static void record_handshake(void) {
  uint8_t buf[BRTC_DTLS_MAX_DATAGRAM];
  size_t n;
  rng = &server_rng;
  server_rng = SERVER_SEED;
  brtc_dtls *server = brtc_dtls_new(cert, false, brtc_dtls_cert_fingerprint(cert));
  rng = &client_rng;
  brtc_dtls *client = brtc_dtls_new(cert, true, brtc_dtls_cert_fingerprint(cert));
  if (!server || !client || brtc_dtls_start(client, 0) != 0) __builtin_trap();
  for (int round = 0; round < 16; round++) {
    for (;;) {
      rng = &client_rng;
      if (brtc_dtls_poll_output(client, buf, sizeof buf, &n) != 0) break;
      if (!client_hello_len) memcpy(client_hello, buf, client_hello_len = n);
      record(buf, n);
      rng = &server_rng;
      brtc_dtls_handle(server, buf, n, 0);
    }
    rng = &server_rng;
    record(NULL, 0);
    for (;;) {
      rng = &server_rng;
      if (brtc_dtls_poll_output(server, buf, sizeof buf, &n) != 0) break;
      rng = &client_rng;
      brtc_dtls_handle(client, buf, n, 0);
    }
  }
  if (brtc_dtls_get_state(server) != BRTC_DTLS_CONNECTED) __builtin_trap();
  brtc_dtls_free(client);
  brtc_dtls_free(server);
  rng = &server_rng;
}

static bool init(void) {
  if (cert) return true;
  if (!RAND_set_rand_method(&fixed_rand)) return false;
  cert = brtc_dtls_cert_generate();
  if (!cert) return false;
  record_handshake();
  return true;
}

static void drain(brtc_dtls *d) {
  uint8_t out[BRTC_DTLS_MAX_DATAGRAM];
  size_t n;
  while (brtc_dtls_poll_output(d, out, sizeof out, &n) == 0) {
  }
  while (brtc_dtls_read(d, out, sizeof out, &n) == 0) {
  }
}

/* The recorded client's flights into d: the same handshake as a live client's, every time. */
static void connect_to(brtc_dtls *d) {
  uint8_t buf[BRTC_DTLS_MAX_DATAGRAM];
  size_t n;
  for (size_t i = 0; i < n_steps; i++) {
    if (steps[i].len)
      brtc_dtls_handle(d, steps[i].data, steps[i].len, 0);
    else
      while (brtc_dtls_poll_output(d, buf, sizeof buf, &n) == 0) {
      }
  }
  /* The replay must connect, or bit 2 would quietly fuzz a server mid-handshake. */
  if (brtc_dtls_get_state(d) != BRTC_DTLS_CONNECTED) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!init() || size < 1) return 0;
  server_rng = SERVER_SEED; /* the same stream for every input */
  brtc_dtls *d = brtc_dtls_new(cert, false, brtc_dtls_cert_fingerprint(cert));
  if (!d) return 0;
  uint8_t flags = data[0];
  size_t pos = 1;
  uint64_t now = 0;
  if (flags & 4) {
    connect_to(d);
    if (flags & 8) brtc_dtls_release(d);
  } else if ((flags & 1) && client_hello_len) {
    brtc_dtls_handle(d, client_hello, client_hello_len, now);
    drain(d);
  }
  while (pos + 2 <= size) {
    size_t len = (size_t)data[pos] << 8 | data[pos + 1];
    pos += 2;
    if (len > size - pos) len = size - pos;
    brtc_dtls_handle(d, data + pos, len, now);
    pos += len;
    now += 10000;
    brtc_dtls_handle_timeout(d, now);
    drain(d);
    if (flags & 2) brtc_dtls_write(d, data, size < 64 ? size : 64);
  }
  brtc_dtls_stats st;
  brtc_dtls_get_stats(d, &st);
  brtc_dtls_get_state(d);
  brtc_dtls_error(d);
  brtc_dtls_cipher(d);
  brtc_dtls_free(d);
  return 0;
}
