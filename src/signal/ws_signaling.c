/* WebSocket signaling at /ws: one JSON message per WebSocket message (see ws_messages.h),
 * at most BRTC_SIGNAL_MAX_MESSAGE bytes. A bad message gets an {"type":"error"} reply and the
 * connection stays open. One live session per connection; closing the connection ends it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "signal/server_internal.h"
#include "signal/ws_messages.h"

void brtc_ws_conn_send(brtc_ws_conn *c, char *json) {
  if (!json) return;
  size_t len = strlen(json);
  if (c->out_bytes + len > BRTC_WS_MAX_QUEUED) {
    /* A client that does not read must not make us buffer without bound. */
    brtc_log(BRTC_LOG_WARN, c->session ? c->session->id : NULL,
             "signaling client is not reading: message dropped");
    free(json);
    return;
  }
  brtc_ws_out *m = malloc(sizeof(*m) + LWS_PRE + len);
  if (!m) {
    free(json);
    return;
  }
  m->next = NULL;
  m->len = len;
  memcpy(m->buf + LWS_PRE, json, len);
  free(json);
  if (c->out_tail)
    c->out_tail->next = m;
  else
    c->out_head = m;
  c->out_tail = m;
  c->out_bytes += len;
  lws_callback_on_writable(c->wsi);
}

static void send_error(brtc_ws_conn *c, const char *message) {
  brtc_ws_conn_send(c, brtc_ws_make_error(message));
}

void brtc_ws_conn_open(brtc_signal_server *srv, brtc_ws_conn *c, struct lws *wsi) {
  memset(c, 0, sizeof(*c));
  c->wsi = wsi;
  c->srv = srv;
  char peer[64] = "";
  lws_get_peer_simple(wsi, peer, sizeof(peer));
  brtc_log(BRTC_LOG_DEBUG, NULL, "signaling connection from %s", peer);
  /* The client's address, which the limits on sessions not yet past ICE count by. */
  socklen_t peer_len = sizeof(c->peer);
  if (getpeername(lws_get_socket_fd(wsi), (struct sockaddr *)&c->peer, &peer_len) != 0)
    c->peer.ss_family = AF_UNSPEC;
}

static brtc_session *live_session(brtc_ws_conn *c) {
  return c->session && !c->session->closing ? c->session : NULL;
}

static void handle_offer(brtc_ws_conn *c, const char *sdp) {
  if (live_session(c)) {
    send_error(c, "this connection already has a session: send bye first (no renegotiation)");
    return;
  }
  if (c->session) {
    /* An ended session not yet reaped: let the new one take the connection. */
    c->session->ws = NULL;
    c->session = NULL;
  }
  char err[256] = "";
  int rc;
  const char *answer = NULL;
  const struct sockaddr *client =
      c->peer.ss_family == AF_UNSPEC ? NULL : (const struct sockaddr *)&c->peer;
  brtc_session *s = brtc_server_session_start(c->srv, BRTC_TRANSPORT_WS, c, client, sdp,
                                              strlen(sdp), &answer, err, sizeof(err), &rc);
  if (!s) {
    char msg[320];
    snprintf(msg, sizeof(msg), "offer refused: %s", err);
    send_error(c, msg);
    return;
  }
  brtc_ws_conn_send(c, brtc_ws_make_answer(answer));
}

static void snapshot(brtc_ws_conn *c, brtc_session *s) {
  uint64_t wait_ms = 0;
  if (brtc_server_session_snapshot(c->srv, s, &wait_ms) != BRTC_ERR_AGAIN) return;
  char msg[160];
  snprintf(msg, sizeof(msg), "snapshot refused: at most one every %llu ms; the next is allowed in "
           "%llu ms", (unsigned long long)(c->srv->snapshot_interval_us / 1000),
           (unsigned long long)wait_ms);
  brtc_ws_conn_send(c, brtc_ws_make_refusal(msg, "snapshot", wait_ms));
}

static void handle_message(brtc_ws_conn *c, const char *text, size_t len) {
  brtc_ws_msg msg;
  char err[160];
  if (brtc_ws_msg_parse(text, len, &msg, err, sizeof(err)) != BRTC_OK) {
    brtc_log(BRTC_LOG_INFO, c->session ? c->session->id : NULL, "signaling message refused: %s",
             err);
    send_error(c, err);
    return;
  }
  brtc_session *s = live_session(c);
  switch (msg.type) {
    case BRTC_WS_MSG_OFFER:
      handle_offer(c, msg.sdp);
      break;
    case BRTC_WS_MSG_CANDIDATE:
      if (!s) {
        send_error(c, "candidate before offer: send the offer first");
      } else if (brtc_server_session_candidate(c->srv, s, msg.candidate) != BRTC_OK &&
                 msg.candidate[0]) {
        /* An ICE-lite server needs no remote candidates; a bad one is only reported. */
        brtc_log(BRTC_LOG_DEBUG, s->id, "remote candidate ignored: %.80s", msg.candidate);
      }
      break;
    case BRTC_WS_MSG_SNAPSHOT:
      if (!s)
        send_error(c, "snapshot needs a connected session");
      else
        snapshot(c, s);
      break;
    case BRTC_WS_MSG_BYE:
      if (s) {
        brtc_server_session_step(c->srv, s, "bye", "the client hung up");
        brtc_server_session_end(c->srv, s, "bye");
      }
      break;
  }
  brtc_ws_msg_free(&msg);
}

int brtc_ws_conn_receive(brtc_ws_conn *c, const void *data, size_t len, bool final) {
  /* rx_len and rx_too_big are reset after each message, so a chunk that finds them clear
   * starts a new one; lws's fragment flags are per frame, not per message chunk. */
  if (!c->rx_too_big && c->rx_len + len > BRTC_SIGNAL_MAX_MESSAGE) {
    c->rx_too_big = true;
  } else if (!c->rx_too_big && len > 0) {
    if (!c->rx) c->rx = malloc(BRTC_SIGNAL_MAX_MESSAGE);
    if (!c->rx) return -1;
    memcpy(c->rx + c->rx_len, data, len);
    c->rx_len += len;
  }
  if (!final) return 0;
  if (c->rx_too_big) {
    char msg[96];
    snprintf(msg, sizeof(msg), "message too big: the limit is %d bytes", BRTC_SIGNAL_MAX_MESSAGE);
    send_error(c, msg);
  } else {
    handle_message(c, c->rx ? c->rx : "", c->rx_len);
  }
  c->rx_len = 0;
  c->rx_too_big = false;
  brtc_server_settle(c->srv);
  return 0;
}

int brtc_ws_conn_writeable(brtc_ws_conn *c) {
  brtc_ws_out *m = c->out_head;
  if (!m) return 0;
  int n = lws_write(c->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
  if (n < (int)m->len) return -1;
  c->out_head = m->next;
  if (!c->out_head) c->out_tail = NULL;
  c->out_bytes -= m->len;
  free(m);
  if (c->out_head) lws_callback_on_writable(c->wsi);
  return 0;
}

void brtc_ws_conn_closed(brtc_ws_conn *c) {
  if (c->session) {
    brtc_session *s = c->session;
    c->session = NULL;
    s->ws = NULL;
    if (!s->closing) {
      brtc_server_session_step(c->srv, s, "signaling-closed", "WebSocket closed");
      brtc_server_session_end(c->srv, s, "signaling closed");
    }
  }
  while (c->out_head) {
    brtc_ws_out *m = c->out_head;
    c->out_head = m->next;
    free(m);
  }
  c->out_tail = NULL;
  c->out_bytes = 0;
  free(c->rx);
  c->rx = NULL;
  if (c->srv) brtc_server_settle(c->srv);
}
