/* A pc's TCP or TLS connection to its TURN server (relay_stream.h). It rides a loop watch on
 * its socket, with EPOLLOUT added while it connects or has output waiting; the watch calls
 * back on either, and the connection tries both ways each time. */
#include "net/relay_stream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "common/log.h"
#include "net/loop_io.h"
#include "pc/pc_gather.h"
#include "turn/turn_stream.h"

typedef enum stream_state { CONNECTING, HANDSHAKING, OPEN, CLOSED } stream_state;

struct brtc_relay_stream {
  brtc_loop *loop;
  brtc_pc *pc;
  brtc_addr server;
  int fd;
  brtc_loop_watch *watch;
  uint32_t events; /* what epoll watches now */
  stream_state state;
  SSL_CTX *ctx;
  SSL *ssl;
  bool ssl_wants_write;
  size_t out_len;
  uint8_t out[BRTC_RELAY_STREAM_OUT];
  brtc_turn_stream in;
};

static void log_end(brtc_relay_stream *s, const char *why) {
  char a[BRTC_ADDR_STRLEN];
  brtc_log(BRTC_LOG_WARN, NULL, "TURN server %s over %s: %s", brtc_addr_str(&s->server, a, sizeof a),
           s->ssl ? "TLS" : "TCP", why);
}

static void set_events(brtc_relay_stream *s) {
  uint32_t want = EPOLLIN;
  if (s->state == CONNECTING || s->ssl_wants_write || (s->state == OPEN && s->out_len)) want |= EPOLLOUT;
  if (s->state == CLOSED || want == s->events) return;
  struct epoll_event ev = {.events = want, .data.ptr = s->watch};
  if (epoll_ctl(brtc_loop_io_of(s->loop)->epfd, EPOLL_CTL_MOD, s->fd, &ev) == 0) s->events = want;
}

static void end(brtc_relay_stream *s, const char *why) {
  if (s->state == CLOSED) return;
  log_end(s, why);
  s->state = CLOSED;
  brtc_loop_unwatch(s->watch); /* nothing more to read or write: the pc's client times out */
  s->watch = NULL;
}

/* RFC 8656 3.1 over TLS (RFC 7065 turns:): verify the server for its IP address. */
static bool start_tls(brtc_relay_stream *s) {
  s->ctx = SSL_CTX_new(TLS_client_method());
  if (!s->ctx || SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION) != 1) return false;
  const char *ca = brtc_pc_tls_ca_file(s->pc);
  if ((ca ? SSL_CTX_load_verify_locations(s->ctx, ca, NULL) : SSL_CTX_set_default_verify_paths(s->ctx)) != 1)
    return false;
  SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
  s->ssl = SSL_new(s->ctx);
  if (!s->ssl || SSL_set_fd(s->ssl, s->fd) != 1) return false;
  char ip[INET6_ADDRSTRLEN];
  const void *raw = s->server.u.sa.sa_family == AF_INET6 ? (const void *)&s->server.u.v6.sin6_addr
                                                         : (const void *)&s->server.u.v4.sin_addr;
  if (!inet_ntop(s->server.u.sa.sa_family, raw, ip, sizeof ip)) return false;
  X509_VERIFY_PARAM *param = SSL_get0_param(s->ssl);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, ip) != 1) return false;
  SSL_set_connect_state(s->ssl);
  return true;
}

/* SSL's answer to a non-blocking call: go on later (true) or the connection is over. */
static bool ssl_retry(brtc_relay_stream *s, int rc) {
  int e = SSL_get_error(s->ssl, rc);
  s->ssl_wants_write = e == SSL_ERROR_WANT_WRITE;
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
  char why[200];
  unsigned long err = ERR_get_error();
  snprintf(why, sizeof why, "TLS ended: %s", err ? ERR_reason_error_string(err) : "closed");
  ERR_clear_error();
  end(s, why);
  return false;
}

static void flush(brtc_relay_stream *s) {
  while (s->state == OPEN && s->out_len) {
    ssize_t n;
    if (s->ssl) {
      int rc = SSL_write(s->ssl, s->out, (int)s->out_len);
      if (rc <= 0) {
        ssl_retry(s, rc);
        return;
      }
      n = rc;
    } else {
      n = send(s->fd, s->out, s->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) end(s, strerror(errno));
        return;
      }
    }
    memmove(s->out, s->out + n, s->out_len - (size_t)n);
    s->out_len -= (size_t)n;
  }
}

/* Feed what the server sent, message by message, to the pc. */
static void receive(brtc_relay_stream *s, uint64_t now) {
  uint8_t buf[16 * 1024];
  for (int round = 0; round < 8 && s->state == OPEN; round++) {
    ssize_t n;
    if (s->ssl) {
      int rc = SSL_read(s->ssl, buf, sizeof buf);
      if (rc <= 0) {
        ssl_retry(s, rc);
        return;
      }
      n = rc;
    } else {
      n = recv(s->fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) return end(s, "the server closed the connection");
      if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) end(s, strerror(errno));
        return;
      }
    }
    size_t at = 0;
    while (at < (size_t)n) {
      at += brtc_turn_stream_input(&s->in, buf + at, (size_t)n - at);
      const uint8_t *msg;
      size_t len;
      int rc;
      while ((rc = brtc_turn_stream_next(&s->in, &msg, &len)) == 1)
        (void)brtc_pc_handle_datagram(s->pc, msg, len, &s->server.u.sa, now);
      if (rc < 0) return end(s, "the stream carries no TURN message (RFC 8656 3.1)");
    }
  }
}

static void ready(void *user, int fd, uint64_t now) {
  (void)fd;
  brtc_relay_stream *s = user;
  if (s->state == CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == EINPROGRESS || err == EALREADY) return;
    if (err) return end(s, strerror(err));
    struct sockaddr_storage peer;
    socklen_t pl = sizeof peer;
    if (getpeername(s->fd, (struct sockaddr *)&peer, &pl) != 0) {
      set_events(s);
      return; /* not connected yet */
    }
    s->state = s->ssl ? HANDSHAKING : OPEN;
  }
  if (s->state == HANDSHAKING) {
    int rc = SSL_do_handshake(s->ssl);
    if (rc != 1) {
      if (ssl_retry(s, rc)) set_events(s);
      return;
    }
    s->ssl_wants_write = false;
    s->state = OPEN;
  }
  flush(s);
  receive(s, now);
  flush(s);
  set_events(s);
}

brtc_relay_stream *brtc_relay_stream_open(brtc_loop *loop, brtc_pc *pc, const brtc_addr *server,
                                          const struct sockaddr_storage *source, bool tls) {
  brtc_relay_stream *s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->loop = loop;
  s->pc = pc;
  s->server = *server;
  brtc_turn_stream_init(&s->in);
  int family = server->u.sa.sa_family;
  s->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0) goto fail;
  brtc_addr local;
  memset(&local, 0, sizeof local);
  if (source->ss_family == family &&
      brtc_addr_from_sockaddr(&local, (const struct sockaddr *)source, sizeof(*source)))
    brtc_addr_set_port(&local, 0);
  else
    local.u.sa.sa_family = (sa_family_t)family;
  if (bind(s->fd, &local.u.sa, brtc_addr_len(&local)) != 0) goto fail;
  if (connect(s->fd, &server->u.sa, brtc_addr_len(server)) != 0 && errno != EINPROGRESS) goto fail;
  if (tls && !start_tls(s)) {
    ERR_clear_error();
    goto fail;
  }
  s->watch = brtc_loop_watch_fd(loop, s->fd, ready, s);
  if (!s->watch) goto fail;
  s->events = EPOLLIN;
  s->state = CONNECTING;
  set_events(s); /* EPOLLOUT: the connect's outcome */
  return s;
fail:
  log_end(s, tls ? "cannot start the TLS connection" : "cannot start the TCP connection");
  if (s->ssl) SSL_free(s->ssl);
  if (s->ctx) SSL_CTX_free(s->ctx);
  if (s->fd >= 0) close(s->fd);
  free(s);
  return NULL;
}

int brtc_relay_stream_send(brtc_relay_stream *s, const uint8_t *data, size_t len) {
  if (s->state == CLOSED) return BRTC_ERR_IO;
  if (len > sizeof(s->out) - s->out_len) return BRTC_ERR_AGAIN;
  memcpy(s->out + s->out_len, data, len);
  s->out_len += len;
  flush(s);
  set_events(s);
  return BRTC_OK;
}

void brtc_relay_stream_close(brtc_relay_stream *s) {
  if (!s) return;
  if (s->watch) brtc_loop_unwatch(s->watch);
  if (s->ssl) {
    if (s->state == OPEN) (void)SSL_shutdown(s->ssl); /* close_notify, if it fits now */
    SSL_free(s->ssl);
  }
  if (s->ctx) SSL_CTX_free(s->ctx);
  close(s->fd);
  free(s);
}
