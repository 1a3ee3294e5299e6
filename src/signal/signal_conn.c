/* One TCP connection of the server, as the endpoint the loop drives (brtc_stream_ops): HTTP
 * through src/http's core, one request at a time and each answered before the next is read,
 * until a request to /ws is upgraded; then WebSocket signaling through src/websocket's.
 * A file body (a keyframe, a page file) is read piece by piece as the socket drains, so a
 * connection never holds a whole file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "signal/server_internal.h"

#define FILE_PIECE (16 * 1024)
#define FILE_ROOM (64 * 1024) /* file bytes read ahead of the socket, at most */

static void conn_free(brtc_conn *c) {
  if (c->file_fd >= 0) close(c->file_fd);
  brtc_http_conn_free(c->http);
  brtc_websocket_free(c->ws);
  brtc_signal_server *srv = c->srv;
  if (c->prev)
    c->prev->next = c->next;
  else
    srv->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  free(c);
}

const struct sockaddr *brtc_conn_client(const brtc_conn *c) {
  return c->addr.ss_family == AF_UNSPEC ? NULL : (const struct sockaddr *)&c->addr;
}

void brtc_conn_kick(brtc_conn *c) {
  if (c->tcp) brtc_tcp_conn_kick(c->tcp);
}

/* ---- WebSocket ---- */

static void ws_events(brtc_conn *c) {
  brtc_ws_event ev;
  while (brtc_websocket_poll_event(c->ws, &ev)) {
    switch (ev.type) {
      case BRTC_WS_EVENT_MESSAGE:
        brtc_ws_conn_message(&c->signaling, ev.text, ev.data, ev.len);
        break;
      case BRTC_WS_EVENT_TOO_BIG:
        brtc_ws_conn_too_big(&c->signaling);
        break;
      case BRTC_WS_EVENT_CLOSED:
        brtc_log(BRTC_LOG_DEBUG, c->signaling.session ? c->signaling.session->id : NULL,
                 "signaling connection from %s closing: %d %s", c->peer, ev.code, ev.reason);
        brtc_ws_conn_closed(&c->signaling);
        brtc_server_settle(c->srv);
        break;
    }
  }
}

/* ---- HTTP ---- */

static void http_events(brtc_conn *c) {
  brtc_http_event ev;
  while (c->http && !c->ws && brtc_http_conn_poll_event(c->http, &ev)) {
    if (ev.type == BRTC_HTTP_EVENT_REFUSED) {
      brtc_log(BRTC_LOG_INFO, NULL, "http %d to %s: %s", ev.status, c->peer, ev.reason);
      continue;
    }
    brtc_route_request(c, ev.request);
  }
}

/* Read more of the file being sent while the HTTP core has room for it. */
static void fill_file_body(brtc_conn *c) {
  uint8_t piece[FILE_PIECE];
  while (c->file_fd >= 0 && !c->failed) {
    uint64_t wanted = brtc_http_conn_body_wanted(c->http);
    if (wanted == 0) {
      close(c->file_fd);
      c->file_fd = -1;
      return;
    }
    if (brtc_http_conn_output_len(c->http) >= FILE_ROOM) return;
    size_t n = wanted < sizeof(piece) ? (size_t)wanted : sizeof(piece);
    ssize_t got = read(c->file_fd, piece, n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      /* The file shrank under us: the announced length cannot be kept, so the connection
       * ends (the client sees a short body, not a wrong one). */
      brtc_log(BRTC_LOG_WARN, NULL, "a file being sent to %s ended early", c->peer);
      c->failed = true;
      return;
    }
    if (brtc_http_conn_send_body(c->http, piece, (size_t)got) != BRTC_OK) c->failed = true;
  }
}

/* ---- the endpoint ---- */

static size_t conn_input(void *ep, const uint8_t *data, size_t len, uint64_t now) {
  brtc_conn *c = ep;
  size_t off = 0;
  while (off < len && !c->failed) {
    size_t took;
    if (c->ws) {
      took = brtc_websocket_feed(c->ws, data + off, len - off, now);
      ws_events(c);
    } else {
      took = brtc_http_conn_feed(c->http, data + off, len - off, now);
      http_events(c); /* answers it, so the core takes the next request */
    }
    /* Nothing taken: an answer waits to be pulled, or the connection is ending; the rest
     * stays with the loop, in order. (After an upgrade the next round feeds the WebSocket.) */
    if (took == 0) break;
    off += took;
  }
  return off;
}

static size_t conn_output(void *ep, uint8_t *buf, size_t cap, uint64_t now) {
  (void)now;
  brtc_conn *c = ep;
  size_t n = 0;
  if (c->http) {
    fill_file_body(c);
    n = brtc_http_conn_take_output(c->http, buf, cap);
    if (c->ws && brtc_http_conn_output_len(c->http) == 0) {
      /* The 101 is out: from here on only the WebSocket speaks. */
      brtc_http_conn_free(c->http);
      c->http = NULL;
    }
  }
  if (c->ws && !c->http && n < cap) n += brtc_websocket_take_output(c->ws, buf + n, cap - n);
  return n;
}

static uint64_t conn_deadline(void *ep) {
  brtc_conn *c = ep;
  if (c->ws) return brtc_websocket_next_deadline(c->ws);
  return brtc_http_conn_next_deadline(c->http);
}

static void conn_timeout(void *ep, uint64_t now) {
  brtc_conn *c = ep;
  if (c->ws) {
    brtc_websocket_handle_timeout(c->ws, now);
    ws_events(c);
  } else {
    brtc_http_conn_handle_timeout(c->http, now);
    http_events(c);
  }
}

static bool conn_finished(void *ep) {
  brtc_conn *c = ep;
  if (c->failed) return true;
  if (c->ws) return !c->http && brtc_websocket_finished(c->ws);
  return brtc_http_conn_finished(c->http);
}

static void conn_closed(void *ep, int error) {
  brtc_conn *c = ep;
  (void)error;
  c->tcp = NULL;
  if (c->ws) {
    brtc_ws_conn_closed(&c->signaling);
    brtc_server_settle(c->srv);
  }
  conn_free(c);
}

const brtc_stream_ops brtc_conn_ops = {
    .size = sizeof(brtc_stream_ops),
    .input = conn_input,
    .output = conn_output,
    .deadline = conn_deadline,
    .timeout = conn_timeout,
    .finished = conn_finished,
    .closed = conn_closed,
};

brtc_conn *brtc_conn_new(brtc_signal_server *srv, brtc_tcp_conn *tcp, uint64_t now_us) {
  brtc_conn *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->srv = srv;
  c->tcp = tcp;
  c->file_fd = -1;
  c->http = brtc_http_conn_new(NULL, now_us);
  if (!c->http) {
    free(c);
    return NULL;
  }
  brtc_addr peer;
  c->addr.ss_family = AF_UNSPEC;
  if (tcp && brtc_tcp_conn_peer(tcp, &c->addr) == BRTC_OK &&
      brtc_addr_from_sockaddr(&peer, (struct sockaddr *)&c->addr, sizeof(c->addr))) {
    brtc_addr_str(&peer, c->peer, sizeof(c->peer));
  } else {
    c->addr.ss_family = AF_UNSPEC;
    snprintf(c->peer, sizeof(c->peer), "%s", tcp ? "?" : "(no socket)");
  }
  c->next = srv->conns;
  if (srv->conns) srv->conns->prev = c;
  srv->conns = c;
  return c;
}

void brtc_conn_accept(void *server, brtc_tcp_conn *tcp) {
  brtc_signal_server *srv = server;
  if (srv->stopping) return; /* not attached: the loop closes it */
  brtc_conn *c = brtc_conn_new(srv, tcp, brtc_now_us());
  if (c && brtc_tcp_conn_attach(tcp, &brtc_conn_ops, c) != BRTC_OK) {
    c->tcp = NULL;
    conn_free(c); /* not attached: the loop closes it */
  }
}

void brtc_conn_close_all(brtc_signal_server *srv) {
  while (srv->conns) {
    brtc_conn *c = srv->conns;
    if (c->tcp) brtc_tcp_conn_close(c->tcp);
    c->tcp = NULL;
    if (c->ws) brtc_ws_conn_closed(&c->signaling);
    conn_free(c);
  }
}
