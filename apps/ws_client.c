/* A WebSocket client on a brtc_loop (ws_client.h): the opening handshake (RFC 6455 4.1),
 * then frames both ways (5). */
#include "ws_client.h"

#include <errno.h>
#include <fcntl.h>
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

#define HANDSHAKE_TIMEOUT_MS 5000 /* connect, GET and 101, all on the loop */
#define CONNECT_POLL_US 10000   /* how often a pending connect is looked at */
#define SEND_TIMEOUT_S 2     /* a server that stops reading holds the device's loop this long */
#define MAX_MESSAGE (1 << 20) /* offers, candidates, ICE servers: far less */

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

typedef enum ws_state { WS_CONNECTING, WS_HANDSHAKE, WS_OPEN, WS_DONE } ws_state;

struct ws_client {
  brtc_loop_watch *watch;
  brtc_loop_timer *timer; /* the handshake's progress and its bound */
  int fd;
  ws_state state;
  bool open;
  bool send_failed; /* shut down after a send failed: the read side reports it */
  ws_client_ops ops;
  void *user;
  char host[256], port[8]; /* for messages */
  uint64_t deadline_us;    /* the handshake's end, HANDSHAKE_TIMEOUT_MS after the open */
  char req[2600];          /* the GET, sent as the socket takes it */
  size_t req_len, req_sent;
  char want_accept[BRTC_WS_ACCEPT_LEN + 1];
  handshake h;
  http_parser parser;
  http_parser_settings settings;
  uint8_t *in; /* received, not yet a whole frame */
  size_t in_len, in_cap;
  uint8_t *msg; /* a fragmented message so far (5.4) */
  size_t msg_len;
  bool in_message;
};

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

int ws_client_resolve(const char *url, struct sockaddr_storage *to, char *err, size_t cap) {
  ws_url u;
  int rc = parse_url(url, &u, err, cap);
  if (rc != BRTC_OK) return rc;
  /* A numeric host never touches the resolver; a name may block, so the owner resolves it
   * once, at start, never on the loop while a session runs. */
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV},
                  *res = NULL;
  int gai = getaddrinfo(u.host, u.port, &hints, &res);
  if (gai == EAI_NONAME) {
    hints.ai_flags = AI_NUMERICSERV;
    gai = getaddrinfo(u.host, u.port, &hints, &res);
  }
  if (gai != 0) {
    snprintf(err, cap, "%s: %s", u.host, gai_strerror(gai));
    return BRTC_ERR_NOT_FOUND;
  }
  memset(to, 0, sizeof(*to));
  memcpy(to, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  return BRTC_OK;
}

static socklen_t addr_len(const struct sockaddr_storage *a) {
  return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* ---- the opening handshake, driven by the loop (4.1) ---- */

/* The GET with a random key; the 101's Sec-WebSocket-Accept must match it. */
static int build_request(ws_client *c, const ws_url *u) {
  uint8_t nonce[16];
  char key[32];
  if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce)) return BRTC_ERR_IO;
  EVP_EncodeBlock((uint8_t *)key, nonce, sizeof(nonce));
  if (brtc_ws_accept_key(key, c->want_accept) != BRTC_OK) return BRTC_ERR_INVALID;
  int n = snprintf(c->req, sizeof(c->req),
                   "GET %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                   "Sec-WebSocket-Version: 13\r\nUser-Agent: boltrtc\r\n\r\n",
                   u->target, strchr(u->host, ':') ? "[" : "", u->host,
                   strchr(u->host, ':') ? "]" : "", u->port, key);
  if (n < 0 || (size_t)n >= sizeof(c->req)) return BRTC_ERR_TOO_BIG;
  c->req_len = (size_t)n;
  c->h.want_accept = c->want_accept;
  http_parser_init(&c->parser, HTTP_RESPONSE);
  c->parser.data = &c->h;
  http_parser_settings_init(&c->settings);
  c->settings.on_header_field = on_field;
  c->settings.on_header_value = on_value;
  c->settings.on_headers_complete = on_head_done;
  c->settings.on_body = on_body;
  return BRTC_OK;
}

/* The open ended without a WebSocket: the owner hears it once, from the loop. */
static void open_failed(ws_client *c, int error, const char *why) {
  c->state = WS_DONE;
  brtc_loop_unwatch(c->watch);
  c->watch = NULL;
  brtc_loop_timer_set(c->timer, UINT64_MAX);
  if (c->ops.failed) c->ops.failed(c->user, error, why);
}

static void drain_frames(ws_client *c);

/* The 101 came and checks out: frames from now on. */
static void opened(ws_client *c, const char *rest, size_t rest_len) {
  handshake *h = &c->h;
  if (!h->upgrade || !h->connection || !h->accept_ok) {
    char why[96];
    snprintf(why, sizeof(why), "the server's 101 lacks %s",
             !h->accept_ok ? "the right Sec-WebSocket-Accept" : "Upgrade: websocket");
    open_failed(c, BRTC_ERR_PARSE, why);
    return;
  }
  c->in = malloc(rest_len + 1);
  if (!c->in) {
    open_failed(c, BRTC_ERR_NOMEM, "out of memory");
    return;
  }
  memcpy(c->in, rest, rest_len);
  c->in_len = rest_len;
  c->in_cap = rest_len + 1;
  /* Frames are written whole, blocking for at most SEND_TIMEOUT_S (send_all); reads stay
   * non-blocking (MSG_DONTWAIT). */
  struct timeval send_tv = {.tv_sec = SEND_TIMEOUT_S};
  setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &send_tv, sizeof(send_tv));
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
  brtc_loop_timer_set(c->timer, UINT64_MAX);
  c->state = WS_OPEN;
  c->open = true;
  if (c->ops.opened) c->ops.opened(c->user);
  if (c->open && c->in_len) drain_frames(c); /* frames that came with the 101 */
}

/* A refusal (401, 403, 409, ...) with the body's first line as serve's reason. */
static void refused(ws_client *c) {
  char why[300];
  for (char *b = c->h.body; *b; b++)
    if (*b == '\r' || *b == '\n') *b = ' ';
  unsigned status = c->parser.status_code;
  snprintf(why, sizeof(why), "the server refused the WebSocket: %u %s", status, c->h.body);
  open_failed(c, status == 401 || status == 403 ? BRTC_ERR_AUTH : BRTC_ERR_LIMIT, why);
}

/* The response so far, read as it comes (http-parser is incremental). */
static void handshake_readable(ws_client *c) {
  char buf[4096];
  for (;;) {
    ssize_t got = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (got <= 0) {
      if (c->h.head_done && c->parser.status_code != 101) { /* a refusal's body, ended by the close */
        refused(c);
        return;
      }
      char why[160];
      snprintf(why, sizeof(why), "no answer to the WebSocket handshake%s%s",
               got < 0 ? ": " : " (connection closed)", got < 0 ? strerror(errno) : "");
      open_failed(c, BRTC_ERR_IO, why);
      return;
    }
    size_t used = http_parser_execute(&c->parser, &c->settings, buf, (size_t)got);
    if (c->parser.upgrade) { /* 101: the rest is WebSocket frames */
      opened(c, buf + used, (size_t)got - used);
      return;
    }
    if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) {
      char why[160];
      snprintf(why, sizeof(why), "a bad answer to the WebSocket handshake: %s",
               http_errno_description(HTTP_PARSER_ERRNO(&c->parser)));
      open_failed(c, BRTC_ERR_PARSE, why);
      return;
    }
    if (c->h.head_done && c->parser.status_code != 101 && http_body_is_final(&c->parser)) {
      refused(c);
      return;
    }
  }
}

/* Connecting and sending the GET, polled without waiting: the loop's watch reports
 * readability only, and a connect's completion is writability. */
static void handshake_progress(ws_client *c, uint64_t now) {
  if (now >= c->deadline_us && c->h.head_done && c->parser.status_code != 101) {
    refused(c); /* a refusal whose body never ended still says why */
    return;
  }
  if (now >= c->deadline_us) {
    char why[400];
    snprintf(why, sizeof(why), "%s:%s: no %s within %d s", c->host, c->port,
             c->state == WS_CONNECTING ? "connection" : "answer to the WebSocket handshake",
             HANDSHAKE_TIMEOUT_MS / 1000);
    open_failed(c, BRTC_ERR_IO, why);
    return;
  }
  if (c->state == WS_CONNECTING) {
    struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
    if (poll(&pfd, 1, 0) == 0) {
      brtc_loop_timer_set(c->timer, min_u64(now + CONNECT_POLL_US, c->deadline_us));
      return;
    }
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
    if (so_error) {
      char why[400];
      snprintf(why, sizeof(why), "%s:%s: %s", c->host, c->port, strerror(so_error));
      open_failed(c, BRTC_ERR_IO, why);
      return;
    }
    c->state = WS_HANDSHAKE;
  }
  while (c->req_sent < c->req_len) {
    ssize_t n = send(c->fd, c->req + c->req_sent, c->req_len - c->req_sent,
                     MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      brtc_loop_timer_set(c->timer, min_u64(now + CONNECT_POLL_US, c->deadline_us));
      return;
    }
    if (n <= 0) {
      char why[160];
      snprintf(why, sizeof(why), "cannot send the WebSocket handshake: %s", strerror(errno));
      open_failed(c, BRTC_ERR_IO, why);
      return;
    }
    c->req_sent += (size_t)n;
  }
  brtc_loop_timer_set(c->timer, c->deadline_us); /* the answer is read as it comes */
}

static void on_handshake_timer(void *user, uint64_t now) {
  ws_client *c = user;
  if (c->state == WS_CONNECTING || c->state == WS_HANDSHAKE) handshake_progress(c, now);
}

/* ---- frames ---- */

/* Blocking, bounded by SO_SNDTIMEO (SEND_TIMEOUT_S): a frame is written whole or not at all. */
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
  ws_client *c = user;
  if (c->state == WS_CONNECTING || (c->state == WS_HANDSHAKE && c->req_sent < c->req_len)) {
    handshake_progress(c, now); /* an error on a connecting socket shows as readable */
    return;
  }
  if (c->state == WS_HANDSHAKE) {
    handshake_readable(c);
    return;
  }
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

int ws_client_open(brtc_loop *loop, const char *url, const struct sockaddr_storage *to,
                   const ws_client_ops *ops, void *user, ws_client **out, char *err, size_t cap) {
  *out = NULL;
  ws_url u;
  int rc = parse_url(url, &u, err, cap);
  if (rc != BRTC_OK) return rc;
  ws_client *c = calloc(1, sizeof(*c));
  if (!c) return BRTC_ERR_NOMEM;
  c->ops = *ops;
  c->user = user;
  c->fd = -1;
  snprintf(c->host, sizeof(c->host), "%s", u.host);
  snprintf(c->port, sizeof(c->port), "%s", u.port);
  rc = build_request(c, &u);
  if (rc != BRTC_OK) {
    snprintf(err, cap, "cannot make the WebSocket handshake: %s", brtc_strerror(rc));
    goto fail;
  }
  /* Non-blocking from the start: the connect completes (or fails) while the loop runs on. */
  c->fd = socket(to->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (c->fd < 0 || (connect(c->fd, (const struct sockaddr *)to, addr_len(to)) != 0 &&
                    errno != EINPROGRESS)) {
    snprintf(err, cap, "%s:%s: %s", u.host, u.port, strerror(errno));
    rc = BRTC_ERR_IO;
    goto fail;
  }
  /* Watched only once connecting: an unconnected socket reads as hung up. */
  c->watch = brtc_loop_watch_fd(loop, c->fd, on_readable, c);
  c->timer = brtc_loop_timer_new(loop, on_handshake_timer, c);
  if (!c->watch || !c->timer) {
    snprintf(err, cap, "out of memory");
    rc = BRTC_ERR_NOMEM;
    goto fail;
  }
  c->deadline_us = brtc_now_us() + HANDSHAKE_TIMEOUT_MS * 1000ull;
  c->state = WS_CONNECTING;
  brtc_loop_timer_set(c->timer, brtc_now_us()); /* first look on the loop's next pass */
  *out = c;
  return BRTC_OK;
fail:
  brtc_loop_unwatch(c->watch);
  brtc_loop_timer_free(c->timer);
  if (c->fd >= 0) close(c->fd);
  free(c);
  return rc;
}

void ws_client_free(ws_client *c) {
  if (!c) return;
  if (c->open) {
    uint8_t code[2] = {BRTC_WS_CLOSE_NORMAL >> 8, BRTC_WS_CLOSE_NORMAL & 0xff};
    (void)send_frame(c, BRTC_WS_OP_CLOSE, code, sizeof(code));
    c->open = false;
  }
  brtc_loop_unwatch(c->watch);
  brtc_loop_timer_free(c->timer);
  close(c->fd);
  free(c->in);
  free(c->msg);
  free(c);
}
