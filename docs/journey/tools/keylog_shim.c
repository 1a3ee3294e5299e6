/* keylog_shim: loaded into `boltrtc serve` with LD_PRELOAD by capture.py, only to capture the
 * journey's session. It appends the DTLS master secret of every handshake to the file named by
 * BRTC_JOURNEY_KEYLOG, one line in the SSLKEYLOGFILE format ("CLIENT_RANDOM <client random>
 * <master secret>", what Wireshark reads), so that the chapters can show the exporter turning
 * it into SRTP keys and decrypt the captured packets. boltrtc itself never writes its keys
 * anywhere. It wraps SSL_new, which src/dtls calls once per session, to set OpenSSL's keylog
 * callback on the session's SSL_CTX. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/ssl.h>

static void write_key_line(const SSL *ssl, const char *line) {
  (void)ssl;
  const char *path = getenv("BRTC_JOURNEY_KEYLOG");
  FILE *f = path ? fopen(path, "a") : NULL;
  if (!f) return;
  fprintf(f, "%s\n", line);
  fclose(f);
}

SSL *SSL_new(SSL_CTX *ctx) {
  typedef SSL *(*ssl_new_fn)(SSL_CTX *);
  static ssl_new_fn real;
  if (!real) *(void **)&real = dlsym(RTLD_NEXT, "SSL_new");
  if (!real) return NULL;
  if (ctx) SSL_CTX_set_keylog_callback(ctx, write_key_line);
  return real(ctx);
}
