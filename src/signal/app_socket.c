/* An application's own signaling (brtc_signal_app, server.h): the server is then only the
 * page's files and a WebSocket pipe. Each /ws connection is handed to the application, which
 * makes and drives its peer connections on the public API (`boltrtc camera` offers to each
 * viewer this way); the server's sessions, WHIP and keyframe store stay unused. */
#include <string.h>

#include "common/log.h"
#include "signal/server_internal.h"
#include "signal/web_files.h"

bool brtc_app_route_allowed(const char *path) {
  /* The page and its scripts, the icon, the socket: nothing that lists or changes state. */
  return strcmp(path, "/") == 0 || strcmp(path, "/ws") == 0 ||
         strcmp(path, "/favicon.ico") == 0 || brtc_web_path_allowed(path);
}

void brtc_app_socket_open(brtc_signal_server *srv, brtc_ws_conn *c, brtc_conn *conn) {
  memset(c, 0, sizeof(*c));
  c->conn = conn;
  c->srv = srv;
  c->app = true;
  brtc_log(BRTC_LOG_DEBUG, NULL, "application socket from %s", conn->peer);
  if (srv->app.open) srv->app.open(srv->app.user, c);
}

void brtc_app_socket_message(brtc_ws_conn *c, bool text, const uint8_t *data, size_t len) {
  if (!text) {
    brtc_signal_socket_send(c, "{\"type\":\"error\",\"message\":\"send JSON text\"}");
    return;
  }
  if (c->srv->app.message) c->srv->app.message(c->srv->app.user, c, (const char *)data, len);
}

void brtc_app_socket_closed(brtc_ws_conn *c) {
  if (!c->conn) return; /* told once */
  if (c->srv->app.closed) c->srv->app.closed(c->srv->app.user, c);
  c->conn = NULL;
}

int brtc_signal_socket_send(brtc_signal_socket *sock, const char *text) {
  brtc_conn *conn = sock->conn;
  if (!conn || !conn->ws) return BRTC_ERR_STATE;
  int rc = brtc_websocket_send(conn->ws, true, text, strlen(text));
  if (rc == BRTC_ERR_LIMIT) {
    /* A client that does not read must not make us buffer without bound. */
    brtc_log(BRTC_LOG_WARN, NULL, "application socket %s is not reading: closing it", conn->peer);
    brtc_websocket_close(conn->ws, BRTC_WS_CLOSE_POLICY, "not reading", brtc_now_us());
  }
  brtc_conn_kick(conn);
  return rc;
}

void brtc_signal_socket_close(brtc_signal_socket *sock, const char *reason) {
  brtc_conn *conn = sock->conn;
  if (!conn || !conn->ws) return;
  brtc_websocket_close(conn->ws, BRTC_WS_CLOSE_NORMAL, reason ? reason : "", brtc_now_us());
  brtc_conn_kick(conn);
}

const char *brtc_signal_socket_peer(const brtc_signal_socket *sock) {
  return sock->conn ? sock->conn->peer : "";
}
