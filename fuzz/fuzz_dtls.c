/* Random datagrams into a server-side DTLS session. Input: [flags] then datagrams, each
 * prefixed by a 2-byte big-endian length. Flag bit 0 first replays a genuine
 * ClientHello (captured once) so the fuzzed records meet a server mid-handshake; bit 2
 * instead completes a real handshake with a client first, so they meet a connected server
 * (our record layer routes every record), and bit 3 then also releases OpenSSL's state. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dtls/dtls.h"

static brtc_dtls_cert *cert;
static uint8_t client_hello[BRTC_DTLS_MAX_DATAGRAM];
static size_t client_hello_len;

static bool init(void) {
  if (cert) return true;
  cert = brtc_dtls_cert_generate();
  if (!cert) return false;
  brtc_dtls *client = brtc_dtls_new(cert, true, brtc_dtls_cert_fingerprint(cert));
  if (client && brtc_dtls_start(client, 0) == 0)
    brtc_dtls_poll_output(client, client_hello, sizeof client_hello, &client_hello_len);
  brtc_dtls_free(client);
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

/* A real handshake between a fresh client and d. */
static void connect_to(brtc_dtls *d) {
  brtc_dtls *client = brtc_dtls_new(cert, true, brtc_dtls_cert_fingerprint(cert));
  uint8_t buf[BRTC_DTLS_MAX_DATAGRAM];
  size_t n;
  if (client && brtc_dtls_start(client, 0) == 0) {
    for (int round = 0; round < 16; round++) {
      while (brtc_dtls_poll_output(client, buf, sizeof buf, &n) == 0) brtc_dtls_handle(d, buf, n, 0);
      while (brtc_dtls_poll_output(d, buf, sizeof buf, &n) == 0) brtc_dtls_handle(client, buf, n, 0);
    }
  }
  brtc_dtls_free(client);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!init() || size < 1) return 0;
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
