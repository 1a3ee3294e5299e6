/* TURN over TCP (RFC 8656 3.3): the server's TCP listeners and connections on the loop.
 * Each connection is a client 5-tuple of its own; its byte stream is cut into STUN messages
 * (20 bytes and the header's length) and ChannelData (4 bytes, the length, padded to 4), each
 * handed to the core as one datagram would be. What the core sends that client is appended
 * to the connection's output (ChannelData padded to 4, as TCP requires) and pulled by the
 * loop. The relay itself stays UDP. When the connection ends, so does its allocation.
 * A TLS connection (RFC 8656 3.1) is the same with turn_tls.c decrypting what is read and
 * encrypting what is pulled. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/byte_queue.h"
#include "common/bytes.h"
#include "net/turn_endpoint.h"
#include "stun/stun.h"
#include "turn/turn_proto.h"

typedef struct tcp_listener_ctx {
  brtc_turn_server *srv;
  unsigned listener;
  bool tls;
} tcp_listener_ctx;

static void unlink_client(turn_tcp_client *c) {
  turn_tcp_client **p = &c->srv->tcp_clients;
  while (*p && *p != c) p = &(*p)->next;
  if (*p) *p = c->next;
}

void brtc_turn_stream_feed(turn_tcp_client *c, const uint8_t *data, size_t len, uint64_t now) {
  brtc_turn_server *s = c->srv;
  size_t taken = 0;
  brtc_turn_core_set_unix_time(s->core, (uint64_t)time(NULL));
  while (taken < len && !c->finished) {
    size_t room = sizeof(c->in) - c->in_len, n = len - taken < room ? len - taken : room;
    memcpy(c->in + c->in_len, data + taken, n);
    c->in_len += n;
    taken += n;
    size_t off = 0;
    for (;;) {
      size_t need = brtc_turn_stream_frame_size(c->in + off, c->in_len - off, TCP_MAX_MESSAGE);
      if (need == SIZE_MAX) { /* not TURN: the stream cannot be resynchronised */
        c->finished = true;
        break;
      }
      if (need == 0 || need > c->in_len - off) break;
      s->datagrams_in++;
      brtc_turn_out out = {.buf = s->tx_head[s->n_tx], .cap = sizeof(s->tx_head[0])};
      /* A ChannelData frame's padding is not part of its data. */
      brtc_turn_action act =
          brtc_turn_core_from_client(s->core, c->listener, &c->peer, c->in + off, need, now, &out);
      brtc_turn_take_action(s, act, &out, NULL, false, now);
      if (s->n_tx == BRTC_LOOP_BATCH) brtc_turn_flush(s);
      off += need;
    }
    brtc_turn_flush(s); /* payloads point into c->in */
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
  }
  brtc_turn_rearm(s);
}

static size_t tcp_input(void *endpoint, const uint8_t *data, size_t len, uint64_t now) {
  turn_tcp_client *c = endpoint;
  if (c->ssl)
    brtc_turn_tls_input(c, data, len, now);
  else
    brtc_turn_stream_feed(c, data, len, now);
  return len; /* always all of it: a partial message waits in c->in (or in the TLS layer) */
}

static size_t tcp_output(void *endpoint, uint8_t *buf, size_t cap, uint64_t now) {
  (void)now;
  turn_tcp_client *c = endpoint;
  if (c->ssl) return brtc_turn_tls_output(c, buf, cap);
  return brtc_byte_queue_take(&c->out, buf, cap);
}

static uint64_t tcp_deadline(void *endpoint) {
  turn_tcp_client *c = endpoint;
  return c->ssl ? brtc_turn_tls_deadline(c) : UINT64_MAX;
}

static void tcp_closed(void *endpoint, int error);

/* Only a TLS handshake has a deadline: one not done by then is cut off, so a client that
 * connects and stalls holds no connection slot and no memory for long. */
static void tcp_timeout(void *endpoint, uint64_t now) {
  turn_tcp_client *c = endpoint;
  if (!c->ssl || brtc_turn_tls_deadline(c) > now) return;
  c->srv->tls_handshake_timeouts++;
  brtc_tcp_conn_close(c->conn); /* the loop does not call us again: end it here */
  tcp_closed(c, BRTC_ERR_IO);
}

static bool tcp_finished(void *endpoint) { return ((turn_tcp_client *)endpoint)->finished; }

static void free_client(turn_tcp_client *c) {
  brtc_turn_tls_free_conn(c);
  brtc_byte_queue_free(&c->out);
  free(c);
}

static void tcp_closed(void *endpoint, int error) {
  (void)error;
  turn_tcp_client *c = endpoint;
  unlink_client(c);
  if (c->srv->core) {
    brtc_turn_core_client_gone(c->srv->core, c->listener, &c->peer);
    brtc_turn_rearm(c->srv);
  }
  free_client(c);
}

static const brtc_stream_ops tcp_ops = {
    .size = sizeof(brtc_stream_ops),
    .input = tcp_input,
    .output = tcp_output,
    .deadline = tcp_deadline,
    .timeout = tcp_timeout,
    .finished = tcp_finished,
    .closed = tcp_closed,
};

static void on_accept(void *user, brtc_tcp_conn *conn) {
  tcp_listener_ctx *l = user;
  turn_tcp_client *c = calloc(1, sizeof(*c));
  struct sockaddr_storage ss;
  if (!c || brtc_tcp_conn_peer(conn, &ss) != BRTC_OK ||
      !brtc_addr_from_sockaddr(&c->peer, (struct sockaddr *)&ss, sizeof(ss))) {
    free(c);
    brtc_tcp_conn_close(conn);
    return;
  }
  c->srv = l->srv;
  c->conn = conn;
  c->listener = l->listener;
  if ((l->tls && brtc_turn_tls_new_conn(c, brtc_now_us()) != BRTC_OK) ||
      brtc_tcp_conn_attach(conn, &tcp_ops, c) != BRTC_OK) {
    free_client(c);
    brtc_tcp_conn_close(conn);
    return;
  }
  c->next = l->srv->tcp_clients;
  l->srv->tcp_clients = c;
}

bool brtc_turn_tcp_deliver(brtc_turn_server *s, const brtc_turn_out *out) {
  if (out->via != BRTC_TURN_VIA_LISTENER || out->listener < TURN_TCP_LISTENER_BASE) return false;
  turn_tcp_client *c = s->tcp_clients;
  while (c && !(c->listener == out->listener && brtc_addr_equal(&c->peer, &out->to))) c = c->next;
  if (!c || c->finished) return true; /* gone: nothing to deliver to */
  size_t total = out->len + out->payload_len + out->pad;
  size_t pad = 0;
  if (out->len == BRTC_TURN_CHANNEL_HEADER && brtc_turn_is_channel_data(out->buf, out->len))
    pad = (4 - total % 4) % 4; /* RFC 8656 12.5: over TCP, ChannelData is padded */
  static const uint8_t zeros[4];
  if (brtc_byte_queue_len(&c->out) + total + pad > TCP_MAX_OUTPUT) {
    s->send_errors++; /* a reader this slow loses datagrams, as UDP would */
    return true;
  }
  if (brtc_byte_queue_append(&c->out, out->buf, out->len) != BRTC_OK ||
      brtc_byte_queue_append(&c->out, out->payload, out->payload_len) != BRTC_OK ||
      brtc_byte_queue_append(&c->out, zeros, out->pad + pad) != BRTC_OK) {
    s->send_errors++;
    return true;
  }
  s->datagrams_out++;
  brtc_tcp_conn_kick(c->conn);
  return true;
}

/* One stream listener: index i of its kind, the core's listener index base + i. */
static int listen_stream(brtc_turn_server *s, size_t slot, const char *text, unsigned listener,
                         bool tls, char *err, size_t err_cap) {
  tcp_listener_ctx *ctx = calloc(1, sizeof(*ctx));
  if (!ctx) return BRTC_ERR_NOMEM;
  ctx->srv = s;
  ctx->listener = listener;
  ctx->tls = tls;
  s->tcp_ctx[slot] = ctx;
  s->tcp_listeners[slot] = brtc_loop_tcp_listen(s->loop, text, on_accept, ctx, err, err_cap);
  if (!s->tcp_listeners[slot]) return BRTC_ERR_IO;
  s->n_tcp_listeners++;
  return BRTC_OK;
}

int brtc_turn_tcp_start(brtc_turn_server *s, char *err, size_t err_cap) {
  for (size_t i = 0; !s->no_tcp && i < s->n_listeners; i++) {
    char text[BRTC_ADDR_STRLEN];
    brtc_addr_str(&s->bound[i], text, sizeof(text));
    int rc = listen_stream(s, s->n_tcp_listeners, text, (unsigned)(TURN_TCP_LISTENER_BASE + i),
                           false, err, err_cap);
    if (rc != BRTC_OK) return rc;
  }
  for (size_t i = 0; i < s->n_listen_tls; i++) {
    size_t slot = s->n_tcp_listeners;
    int rc = listen_stream(s, slot, s->listen_tls[i], (unsigned)(TURN_TLS_LISTENER_BASE + i), true,
                           err, err_cap);
    if (rc != BRTC_OK) return rc;
    s->tls_slot[i] = slot;
  }
  return BRTC_OK;
}

void brtc_turn_tcp_free(brtc_turn_server *s) {
  for (size_t i = 0; i < s->n_tcp_listeners; i++) brtc_tcp_listener_free(s->tcp_listeners[i]);
  for (size_t i = 0; i < 2 * BRTC_TURN_MAX_LISTEN; i++) free(s->tcp_ctx[i]);
  /* Connections still open: close them; the loop does not call them again. */
  while (s->tcp_clients) {
    turn_tcp_client *c = s->tcp_clients;
    s->tcp_clients = c->next;
    brtc_tcp_conn_close(c->conn);
    free_client(c);
  }
}
