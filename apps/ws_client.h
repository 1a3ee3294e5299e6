/* A WebSocket client (RFC 6455) for the programs: `boltrtc camera --signal` joins a room on
 * `boltrtc serve` with it. ws:// only. Everything runs on the caller's brtc_loop without
 * blocking it: a non-blocking connect, the opening handshake (4.1) sent and its answer read
 * as they go, bounded by 5 s, and its outcome reported through the ops (opened or failed);
 * then each whole text message goes to a callback. Frames come from src/websocket's frame code (masked from
 * us, 5.1; unmasked from the server, or the connection fails), the response head from
 * http-parser. Pings are answered; a close is answered and reported. Not in libboltrtc. */
#ifndef BRTC_APPS_WS_CLIENT_H
#define BRTC_APPS_WS_CLIENT_H

#include <stddef.h>
#include <sys/socket.h>

#include "boltrtc/loop.h"

typedef struct ws_client ws_client;

/* Callbacks come from the loop, never from within ws_client_open or ws_client_send. None
 * may free the client: free it later (from a timer, say). */
typedef struct ws_client_ops {
  /* The server answered 101 with the right Sec-WebSocket-Accept: messages may be sent. */
  void (*opened)(void *user);
  /* The open ended without a WebSocket (the client's last call): error is BRTC_ERR_AUTH
   * (401, 403) or BRTC_ERR_LIMIT (another 4xx/5xx) with the server's status and reason in
   * why, or BRTC_ERR_IO (refused, unreachable, no answer within 5 s) or BRTC_ERR_PARSE. */
  void (*failed)(void *user, int error, const char *why);
  /* A whole text message (NUL-terminated), valid during the call. */
  void (*message)(void *user, const char *text, size_t len);
  /* The connection ended (a close from the server, an error, EOF): why says which. The
   * client must still be freed; sends fail from now on. */
  void (*closed)(void *user, const char *why);
} ws_client_ops;

/* The address of url's host ("ws://HOST:PORT/path?query"; HOST a name, an IPv4 address or
 * [IPv6]); the first one for a name. A numeric host is taken as it is (AI_NUMERICHOST); a
 * name goes to the system's resolver, which may block: resolve once, at start, never on a
 * loop that carries sessions. BRTC_OK, or an error with err saying why. */
int ws_client_resolve(const char *url, struct sockaddr_storage *to, char *err, size_t err_cap);
/* Start connecting to `to` (ws_client_resolve's) for url, whose host, port and target go in
 * the handshake. Returns at once: BRTC_OK with *out, and opened or failed follows from the
 * loop; or an error with err saying why when it could not even start (a bad URL, no socket,
 * a connect refused on the spot). */
int ws_client_open(brtc_loop *loop, const char *url, const struct sockaddr_storage *to,
                   const ws_client_ops *ops, void *user, ws_client **out, char *err,
                   size_t err_cap);
/* Send one text message. BRTC_ERR_STATE once closed, BRTC_ERR_IO if the write fails. */
int ws_client_send(ws_client *c, const char *text);
/* Close (1000, with a close frame when still open) and free. NULL is fine. */
void ws_client_free(ws_client *c);

/* The URL with its query's token=... value replaced by "...", for logs. */
void ws_client_loggable_url(const char *url, char *out, size_t cap);

#endif
