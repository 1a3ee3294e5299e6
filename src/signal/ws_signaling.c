/* WebSocket signaling at /ws: one JSON message per WebSocket message (see ws_messages.h),
 * at most BRTC_SIGNAL_MAX_MESSAGE bytes. A bad message gets an {"type":"error"} reply and the
 * connection stays open. One live session per connection; closing the connection ends it.
 * No message names a session: each acts on its own connection's session only, so one page
 * cannot touch another's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/loop.h"
#include "common/log.h"
#include "signal/rooms.h"
#include "signal/server_internal.h"
#include "signal/ws_messages.h"

void brtc_ws_conn_send(brtc_ws_conn *c, char *json) {
  if (!json) return;
  brtc_conn *conn = c->conn;
  if (!conn || !conn->ws) {
    free(json);
    return;
  }
  int rc = brtc_websocket_send(conn->ws, true, json, strlen(json));
  free(json);
  if (rc == BRTC_ERR_LIMIT) {
    /* A client that does not read must not make us buffer without bound: it is closed. */
    brtc_log(BRTC_LOG_WARN, c->session ? c->session->id : NULL,
             "signaling client is not reading (over %d bytes queued): closing it",
             BRTC_WS_MAX_QUEUED);
    brtc_websocket_close(conn->ws, BRTC_WS_CLOSE_POLICY, "not reading", brtc_now_us());
  }
  brtc_conn_kick(conn);
}

static void send_error(brtc_ws_conn *c, const char *message) {
  brtc_ws_conn_send(c, brtc_ws_make_error(message));
}

void brtc_ws_conn_open(brtc_signal_server *srv, brtc_ws_conn *c, brtc_conn *conn) {
  memset(c, 0, sizeof(*c));
  c->conn = conn;
  c->srv = srv;
  brtc_log(BRTC_LOG_DEBUG, NULL, "signaling connection from %s", conn->peer);
}

static brtc_session *live_session(brtc_ws_conn *c) {
  return c->session && !c->session->closing ? c->session : NULL;
}

static void handle_offer(brtc_ws_conn *c, const brtc_ws_msg *offer) {
  const char *sdp = offer->sdp;
  if (live_session(c)) { /* a later offer: renegotiation or an ICE restart (JSEP 5.2.2) */
    char err[256] = "";
    const char *answer = NULL;
    if (brtc_server_session_reoffer(c->srv, c->session, sdp, &answer, err, sizeof err) != BRTC_OK) {
      char msg[320];
      snprintf(msg, sizeof(msg), "offer refused: %s", err);
      send_error(c, msg);
      return;
    }
    brtc_server_session_step(c->srv, c->session, "reoffer", "a later offer answered");
    brtc_ws_conn_send(c, brtc_ws_make_answer(answer, NULL));
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
  /* The client's address, which the limits on sessions not yet past ICE count by. */
  const struct sockaddr *client = c->conn ? brtc_conn_client(c->conn) : NULL;
  brtc_session *s = brtc_server_session_start(c->srv, BRTC_TRANSPORT_WS, c, client, sdp,
                                              strlen(sdp), offer->video_width, offer->video_height,
                                              offer->inspect, &answer, err, sizeof(err), &rc);
  if (!s) {
    char msg[320];
    snprintf(msg, sizeof(msg), "offer refused: %s", err);
    send_error(c, msg);
    return;
  }
  char url[64];
  if (s->inspect) snprintf(url, sizeof(url), "/inspect?session=%s", s->inspect->id);
  brtc_ws_conn_send(c, brtc_ws_make_answer(answer, s->inspect ? url : NULL));
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
      handle_offer(c, &msg);
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

void brtc_ws_conn_message(brtc_ws_conn *c, bool text, const uint8_t *data, size_t len) {
  if (c->app)
    brtc_app_socket_message(c, text, data, len);
  else if (!text)
    send_error(c, "binary messages are not understood: send JSON text");
  else if (c->room)
    brtc_rooms_message(c->srv->rooms, c, (const char *)data, len);
  else
    handle_message(c, (const char *)data, len);
  brtc_server_settle(c->srv);
}

void brtc_ws_conn_too_big(brtc_ws_conn *c) {
  char msg[96];
  snprintf(msg, sizeof(msg), "message too big: the limit is %d bytes", BRTC_SIGNAL_MAX_MESSAGE);
  send_error(c, msg);
}

void brtc_ws_conn_closed(brtc_ws_conn *c) {
  if (c->app) {
    brtc_app_socket_closed(c);
    return;
  }
  if (c->room) brtc_rooms_leave(c->srv->rooms, c);
  if (c->session) {
    brtc_session *s = c->session;
    c->session = NULL;
    s->ws = NULL;
    if (!s->closing) {
      brtc_server_session_step(c->srv, s, "signaling-closed", "WebSocket closed");
      brtc_server_session_end(c->srv, s, "signaling closed");
    }
  }
  c->conn = NULL;
}
