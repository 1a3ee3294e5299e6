/* A WebSocket client on a brtc_loop (ws_client.h): the opening handshake (RFC 6455 4.1),
 * then frames both ways (5). */
#include "ws_client.h"

#include <errno.h>
#include <http_parser.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "websocket/websocket.h"

#define HANDSHAKE_TIMEOUT_MS 5000
#define SEND_TIMEOUT_S 2     /* a server that stops reading holds the device's loop this long */
#define MAX_MESSAGE (1 << 20) /* offers, candidates, ICE servers: far less */

struct ws_client {
  brtc_loop_watch *watch;
  int fd;
  bool open;
  bool send_failed; /* shut down after a send failed: the read side reports it */
  ws_client_ops ops;
  void *user;
  uint8_t *in; /* received, not yet a whole frame */
  size_t in_len, in_cap;
  uint8_t *msg; /* a fragmented message so far (5.4) */
  size_t msg_len;
  bool in_message;
};

/* ---- the URL ---- */

typedef struct ws_url {
  char host[256], port[8], target[2048];
} ws_url;

static int parse_url(const char *url, ws_url *u, char *err, size_t cap) {
  if (strncmp(url, "ws://", 5) != 0) {
    snprintf(err, cap, "%s: expected ws://HOST:PORT/PATH (wss:// is not supported)", url);
    return BRTC_ERR_INVALID;
  }
  const char *p = url + 5, *host_end, *rest;
  if (*p == '[') {
    host_end = strchr(p, ']');
    if (!host_end) goto bad;
    snprintf(u->host, sizeof(u->host), "%.*s", (int)(host_end - p - 1), p + 1);
    rest = host_end + 1;
  } else {
    rest = p + strcspn(p, ":/?");
    snprintf(u->host, sizeof(u->host), "%.*s", (int)(rest - p), p);
  }
  if (!u->host[0]) goto bad;
  snprintf(u->port, sizeof(u->port), "80");
  if (*rest == ':') {
    size_t n = strspn(rest + 1, "0123456789");
    if (n == 0 || n > 5) goto bad;
    snprintf(u->port, sizeof(u->port), "%.*s", (int)n, rest + 1);
    rest += 1 + n;
  }
  if (*rest && *rest != '/' && *rest != '?') goto bad;
  if ((size_t)snprintf(u->target, sizeof(u->target), "%s%s", *rest == '/' ? "" : "/", rest) >=
      sizeof(u->target))
    goto bad;
  for (const char *c = u->target; *c; c++)
    if ((unsigned char)*c <= ' ' || *c == 0x7f) goto bad; /* no header injection */
  return BRTC_OK;
bad:
  snprintf(err, cap, "%s: expected ws://HOST:PORT/PATH", url);
  return BRTC_ERR_INVALID;
}

void ws_client_loggable_url(const char *url, char *out, size_t cap) {
  snprintf(out, cap, "%s", url);
  char *t = strstr(out, "token=");
  if (t && (t == out || t[-1] == '?' || t[-1] == '&')) {
    char *end = t + 6 + strcspn(t + 6, "&#");
    size_t tail = strlen(end);
    if ((size_t)(t + 6 - out) + 3 + tail < cap) {
      memmove(t + 9, end, tail + 1);
      memcpy(t + 6, "...", 3);
    }
  }
}

/* ---- the handshake ---- */

typedef struct handshake {
  char field[64];
  bool upgrade, connection, accept_ok;
  const char *want_accept;
  char body[160];
  size_t body_len;
  bool head_done;
} handshake;

static int on_field(http_parser *p, const char *at, size_t len) {
  handshake *h = p->data;
  snprintf(h->field, sizeof(h->field), "%.*s", (int)len, at);
  return 0;
}

static bool has_token(const char *at, size_t len, const char *token) {
  size_t n = strlen(token);
  for (size_t i = 0; i + n <= len; i++)
    if (strncasecmp(at + i, token, n) == 0) return true;
  return false;
}

static int on_value(http_parser *p, const char *at, size_t len) {
  handshake *h = p->data;
  if (strcasecmp(h->field, "Upgrade") == 0) h->upgrade = has_token(at, len, "websocket");
  if (strcasecmp(h->field, "Connection") == 0) h->connection = has_token(at, len, "upgrade");
  if (strcasecmp(h->field, "Sec-WebSocket-Accept") == 0)
    h->accept_ok = len == strlen(h->want_accept) && memcmp(at, h->want_accept, len) == 0;
  return 0;
}

static int on_head_done(http_parser *p) {
  ((handshake *)p->data)->head_done = true;
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  handshake *h = p->data;
  size_t room = sizeof(h->body) - 1 - h->body_len;
  if (len > room) len = room;
  memcpy(h->body + h->body_len, at, len);
  h->body_len += len;
  h->body[h->body_len] = '\0';
  return 0;
}

static int connect_to(const ws_url *u, char *err, size_t cap) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
  int rc = getaddrinfo(u->host, u->port, &hints, &res);
  if (rc != 0) {
    snprintf(err, cap, "%s: %s", u->host, gai_strerror(rc));
    return -1;
  }
  int fd = -1;
  for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    /* Bounded: connect and the handshake's reads and writes give up after these. */
    struct timeval tv = {.tv_sec = HANDSHAKE_TIMEOUT_MS / 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      snprintf(err, cap, "%s:%s: %s", u->host, u->port, strerror(errno));
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  return fd;
}

static int send_all(int fd, const void *data, size_t len) {
  const uint8_t *p = data;
  while (len) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return BRTC_ERR_IO;
    p += n;
    len -= (size_t)n;
  }
  return BRTC_OK;
}

/* 4.1: the GET with a random key, then a 101 whose Sec-WebSocket-Accept matches it. Bytes
 * read past the head (a first frame) are kept in c->in. */
static int handshake_run(ws_client *c, const ws_url *u, char *err, size_t cap) {
  uint8_t nonce[16];
  char key[32], want[BRTC_WS_ACCEPT_LEN + 1];
  if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce)) {
    snprintf(err, cap, "no random bytes for the handshake");
    return BRTC_ERR_IO;
  }
  EVP_EncodeBlock((uint8_t *)key, nonce, sizeof(nonce));
  if (brtc_ws_accept_key(key, want) != BRTC_OK) return BRTC_ERR_INVALID;
  char req[2600];
  int n = snprintf(req, sizeof(req),
                   "GET %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                   "Sec-WebSocket-Version: 13\r\nUser-Agent: boltrtc\r\n\r\n",
                   u->target, strchr(u->host, ':') ? "[" : "", u->host,
                   strchr(u->host, ':') ? "]" : "", u->port, key);
  if (n < 0 || (size_t)n >= sizeof(req) || send_all(c->fd, req, (size_t)n) != BRTC_OK) {
    snprintf(err, cap, "cannot send the WebSocket handshake: %s", strerror(errno));
    return BRTC_ERR_IO;
  }
  handshake h = {.want_accept = want};
  http_parser p;
  http_parser_init(&p, HTTP_RESPONSE);
  p.data = &h;
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_header_field = on_field;
  s.on_header_value = on_value;
  s.on_headers_complete = on_head_done;
  s.on_body = on_body;
  char buf[4096];
  for (;;) {
    ssize_t got = recv(c->fd, buf, sizeof(buf), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      if (h.head_done) break; /* a refusal's body, ended by the close */
      snprintf(err, cap, "no answer to the WebSocket handshake%s%s",
               got < 0 ? ": " : " (connection closed)", got < 0 ? strerror(errno) : "");
      return BRTC_ERR_IO;
    }
    size_t used = http_parser_execute(&p, &s, buf, (size_t)got);
    if (p.upgrade) { /* 101: the rest is WebSocket frames */
      size_t rest = (size_t)got - used;
      c->in = malloc(rest + 1);
      if (!c->in) return BRTC_ERR_NOMEM;
      memcpy(c->in, buf + used, rest);
      c->in_len = rest;
      c->in_cap = rest + 1;
      break;
    }
    if (HTTP_PARSER_ERRNO(&p) != HPE_OK) {
      snprintf(err, cap, "a bad answer to the WebSocket handshake: %s",
               http_errno_description(HTTP_PARSER_ERRNO(&p)));
      return BRTC_ERR_PARSE;
    }
    if (h.head_done && p.status_code != 101 && http_body_is_final(&p)) break;
  }
  if (p.status_code != 101) {
    for (char *c2 = h.body; *c2; c2++)
      if (*c2 == '\r' || *c2 == '\n') *c2 = ' ';
    snprintf(err, cap, "the server refused the WebSocket: %u %s", p.status_code, h.body);
    return p.status_code == 401 || p.status_code == 403 ? BRTC_ERR_AUTH : BRTC_ERR_LIMIT;
  }
  if (!h.upgrade || !h.connection || !h.accept_ok) {
    snprintf(err, cap, "the server's 101 lacks %s", !h.accept_ok ? "the right Sec-WebSocket-Accept"
                                                                 : "Upgrade: websocket");
    return BRTC_ERR_PARSE;
  }
  return BRTC_OK;
}

/* ---- frames ---- */

static int send_frame(ws_client *c, uint8_t opcode, const void *data, size_t len) {
  if (!c->open) return BRTC_ERR_STATE;
  brtc_ws_frame_header h = {.fin = true, .opcode = opcode, .masked = true, .length = len};
  if (getrandom(h.mask, sizeof(h.mask), 0) != (ssize_t)sizeof(h.mask)) return BRTC_ERR_IO;
  uint8_t *frame = malloc(BRTC_WS_MAX_HEADER + len);
  if (!frame) return BRTC_ERR_NOMEM;
  size_t hl = brtc_ws_frame_write_header(frame, &h);
  memcpy(frame + hl, data, len);
  brtc_ws_mask(frame + hl, len, h.mask, 0); /* 5.3: every client frame is masked */
  int rc = send_all(c->fd, frame, hl + len);
  free(frame);
  /* A frame cut short leaves the stream unusable. The read side then sees the end and
   * reports it from the loop, never from inside this call, which the owner may make from
   * anywhere. */
  if (rc != BRTC_OK && !c->send_failed) {
    c->send_failed = true;
    shutdown(c->fd, SHUT_RDWR);
  }
  return rc;
}

int ws_client_send(ws_client *c, const char *text) {
  return send_frame(c, BRTC_WS_OP_TEXT, text, strlen(text));
}

static void fail(ws_client *c, const char *why) {
  if (!c->open) return;
  c->open = false;
  brtc_loop_unwatch(c->watch);
  c->watch = NULL;
  if (c->ops.closed) c->ops.closed(c->user, why);
}

static bool append_message(ws_client *c, const uint8_t *data, size_t len) {
  if (c->msg_len + len > MAX_MESSAGE) return false;
  uint8_t *m = realloc(c->msg, c->msg_len + len + 1);
  if (!m) return false;
  c->msg = m;
  memcpy(c->msg + c->msg_len, data, len);
  c->msg_len += len;
  c->msg[c->msg_len] = '\0';
  return true;
}

/* One whole frame: false when the connection ended. */
static bool handle_frame(ws_client *c, const brtc_ws_frame_header *h, const uint8_t *payload) {
  size_t len = (size_t)h->length;
  switch (h->opcode) {
    case BRTC_WS_OP_PING: (void)send_frame(c, BRTC_WS_OP_PONG, payload, len); return true;
    case BRTC_WS_OP_PONG: return true;
    case BRTC_WS_OP_CLOSE: {
      char why[160];
      int code = len >= 2 ? (payload[0] << 8) | payload[1] : BRTC_WS_CLOSE_NO_STATUS;
      snprintf(why, sizeof(why), "the server closed the WebSocket (%d%s%.*s)", code,
               len > 2 ? ": " : "", len > 2 ? (int)(len - 2) : 0, (const char *)payload + 2);
      uint8_t back[2] = {BRTC_WS_CLOSE_NORMAL >> 8, BRTC_WS_CLOSE_NORMAL & 0xff};
      (void)send_frame(c, BRTC_WS_OP_CLOSE, back, sizeof(back)); /* 5.5.1: answered */
      fail(c, why);
      return false;
    }
    case BRTC_WS_OP_TEXT:
    case BRTC_WS_OP_BINARY:
    case BRTC_WS_OP_CONTINUATION: {
      bool continuation = h->opcode == BRTC_WS_OP_CONTINUATION;
      if (continuation != c->in_message) {
        fail(c, "a fragment out of order from the server (RFC 6455 5.4)");
        return false;
      }
      if (!continuation) {
        c->in_message = true;
        c->msg_len = 0;
      }
      if (!append_message(c, payload, len)) {
        fail(c, "a message from the server too big to take");
        return false;
      }
      if (!h->fin) return true;
      c->in_message = false;
      if (c->msg && brtc_utf8_valid(c->msg, c->msg_len) && c->ops.message)
        c->ops.message(c->user, (const char *)c->msg, c->msg_len);
      return c->open;
    }
    default: fail(c, "an unknown opcode from the server"); return false;
  }
}

/* Parse every whole frame in c->in. */
static void drain_frames(ws_client *c) {
  size_t off = 0;
  while (c->open) {
    brtc_ws_frame_header h;
    size_t hl;
    int rc = brtc_ws_frame_parse_header(c->in + off, c->in_len - off, &h, &hl);
    if (rc == BRTC_ERR_AGAIN) break;
    if (rc != BRTC_OK || h.masked || h.rsv || h.length > MAX_MESSAGE) {
      fail(c, "a bad frame from the server (RFC 6455 5.1, 5.2)");
      return;
    }
    if (c->in_len - off - hl < h.length) break;
    if (!handle_frame(c, &h, c->in + off + hl)) return;
    off += hl + (size_t)h.length;
  }
  memmove(c->in, c->in + off, c->in_len - off);
  c->in_len -= off;
}

static void on_readable(void *user, int fd, uint64_t now) {
  (void)now;
  ws_client *c = user;
  for (;;) {
    if (c->in_cap - c->in_len < 4096) {
      size_t cap = c->in_cap * 2 + 8192;
      if (cap > MAX_MESSAGE + 2 * BRTC_WS_MAX_HEADER + 8192) {
        fail(c, "the server sent more than a message's worth at once");
        return;
      }
      uint8_t *in = realloc(c->in, cap);
      if (!in) {
        fail(c, "out of memory");
        return;
      }
      c->in = in;
      c->in_cap = cap;
    }
    ssize_t n = recv(fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      fail(c, c->send_failed ? "a send to the server failed or took over 2 s"
              : n == 0 ? "the server closed the connection" : strerror(errno));
      return;
    }
    c->in_len += (size_t)n;
    drain_frames(c);
    if (!c->open) return;
  }
}

int ws_client_open(brtc_loop *loop, const char *url, const ws_client_ops *ops, void *user,
                   ws_client **out, char *err, size_t cap) {
  *out = NULL;
  ws_url u;
  int rc = parse_url(url, &u, err, cap);
  if (rc != BRTC_OK) return rc;
  ws_client *c = calloc(1, sizeof(*c));
  if (!c) return BRTC_ERR_NOMEM;
  c->ops = *ops;
  c->user = user;
  c->fd = connect_to(&u, err, cap);
  if (c->fd < 0) {
    free(c);
    return BRTC_ERR_IO;
  }
  rc = handshake_run(c, &u, err, cap);
  if (rc == BRTC_OK) {
    struct timeval send_tv = {.tv_sec = SEND_TIMEOUT_S}, no_tv = {0};
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &send_tv, sizeof(send_tv));
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &no_tv, sizeof(no_tv));
    c->watch = brtc_loop_watch_fd(loop, c->fd, on_readable, c);
    rc = c->watch ? BRTC_OK : BRTC_ERR_NOMEM;
  }
  if (rc != BRTC_OK) {
    close(c->fd);
    free(c->in);
    free(c);
    return rc;
  }
  c->open = true;
  *out = c; /* before any callback: frames may have come with the 101 */
  if (c->in_len) drain_frames(c);
  return BRTC_OK;
}

void ws_client_free(ws_client *c) {
  if (!c) return;
  if (c->open) {
    uint8_t code[2] = {BRTC_WS_CLOSE_NORMAL >> 8, BRTC_WS_CLOSE_NORMAL & 0xff};
    (void)send_frame(c, BRTC_WS_OP_CLOSE, code, sizeof(code));
    c->open = false;
  }
  brtc_loop_unwatch(c->watch);
  close(c->fd);
  free(c->in);
  free(c->msg);
  free(c);
}
