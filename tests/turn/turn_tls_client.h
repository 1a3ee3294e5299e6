/* A TURN-over-TLS connection for tests (test_turn_tls, turn_probe): OpenSSL's client on a
 * non-blocking TCP socket, with TURN messages cut from the decrypted stream by
 * brtc_turn_stream_frame_size. Whenever it would block it calls idle(user): the unit test
 * turns its in-process loop there, turn_probe polls the socket. The server's certificate is
 * not verified (ours is self-signed unless given one); the caller may read it from ssl. */
#ifndef BRTC_TESTS_TURN_TLS_CLIENT_H
#define BRTC_TESTS_TURN_TLS_CLIENT_H

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/addr.h"
#include "turn/turn_proto.h"

typedef void (*tls_idle_fn)(void *user);

typedef struct tls_client {
  int fd;
  SSL_CTX *ctx;
  SSL *ssl;
  uint8_t in[4096]; /* decrypted bytes not yet a whole message */
  size_t in_len;
  tls_idle_fn idle;
  void *user;
} tls_client;

/* Whether a call that returned rc would only have blocked (then idle and retry). */
static inline bool tls_client_would_block(tls_client *t, int rc) {
  int e = SSL_get_error(t->ssl, rc);
  return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

static inline void tls_client_close(tls_client *t) {
  if (t->ssl) SSL_free(t->ssl);
  if (t->ctx) SSL_CTX_free(t->ctx);
  if (t->fd >= 0) close(t->fd);
  t->ssl = NULL;
  t->ctx = NULL;
  t->fd = -1;
  ERR_clear_error();
}

/* Connect and finish the handshake within steps idle calls. */
static inline bool tls_client_connect(tls_client *t, const brtc_addr *server, tls_idle_fn idle,
                                      void *user, int steps) {
  memset(t, 0, sizeof(*t));
  t->idle = idle;
  t->user = user;
  t->fd = socket(brtc_addr_family(server), SOCK_STREAM, 0);
  t->ctx = SSL_CTX_new(TLS_client_method());
  if (t->fd < 0 || !t->ctx || connect(t->fd, &server->u.sa, brtc_addr_len(server)) != 0) {
    tls_client_close(t);
    return false;
  }
  fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK);
  SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
  t->ssl = SSL_new(t->ctx);
  if (!t->ssl || SSL_set_fd(t->ssl, t->fd) != 1) {
    tls_client_close(t);
    return false;
  }
  SSL_set_connect_state(t->ssl);
  for (int i = 0; i < steps; i++) {
    int rc = SSL_connect(t->ssl);
    if (rc == 1) return true;
    if (!tls_client_would_block(t, rc)) break;
    idle(user);
  }
  tls_client_close(t);
  return false;
}

static inline bool tls_client_send(tls_client *t, const uint8_t *buf, size_t n, int steps) {
  for (int i = 0; i < steps; i++) {
    int rc = SSL_write(t->ssl, buf, (int)n); /* retried with the same bytes, as OpenSSL wants */
    if (rc == (int)n) return true;
    if (rc > 0 || !tls_client_would_block(t, rc)) return false;
    t->idle(t->user);
  }
  return false;
}

/* One TURN message (padding included) into buf: its length; 0 when none came within steps
 * idle calls, or the connection ended. */
static inline size_t tls_client_frame(tls_client *t, uint8_t *buf, size_t cap, int steps) {
  for (int i = 0; i < steps;) {
    size_t need = brtc_turn_stream_frame_size(t->in, t->in_len, sizeof(t->in));
    if (need == SIZE_MAX || need > cap) return 0;
    if (need && need <= t->in_len) {
      memcpy(buf, t->in, need);
      memmove(t->in, t->in + need, t->in_len - need);
      t->in_len -= need;
      return need;
    }
    int rc = SSL_read(t->ssl, t->in + t->in_len, (int)(sizeof(t->in) - t->in_len));
    if (rc > 0) {
      t->in_len += (size_t)rc;
      continue;
    }
    if (!tls_client_would_block(t, rc)) return 0;
    t->idle(t->user);
    i++;
  }
  return 0;
}

#endif
