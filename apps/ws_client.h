/* A WebSocket client (RFC 6455) for the programs: `boltrtc camera --signal` joins a room on
 * `boltrtc serve` with it. ws:// only. The opening handshake is done at open, blocking for at
 * most a few seconds; then the socket is watched on the caller's brtc_loop and each whole
 * text message goes to a callback. Frames come from src/websocket's frame code (masked from
 * us, 5.1; unmasked from the server, or the connection fails), the response head from
 * http-parser. Pings are answered; a close is answered and reported. Not in libboltrtc. */
#ifndef BRTC_APPS_WS_CLIENT_H
#define BRTC_APPS_WS_CLIENT_H

#include <stddef.h>

#include "boltrtc/loop.h"

typedef struct ws_client ws_client;

typedef struct ws_client_ops {
  /* A whole text message (NUL-terminated), valid during the call. */
  void (*message)(void *user, const char *text, size_t len);
  /* The connection ended (a close from the server, an error, EOF): why says which. The
   * client must still be freed; sends fail from now on. */
  void (*closed)(void *user, const char *why);
} ws_client_ops;

/* Connect to url ("ws://HOST:PORT/path?query"; HOST a name, an IPv4 address or [IPv6]) and
 * do the handshake. BRTC_OK with *out (set before the first callback, which may come from
 * within this call), or an error with err saying why: BRTC_ERR_AUTH or BRTC_ERR_LIMIT with
 * the server's status and reason when it refused the upgrade (401/403, or 4xx/5xx). */
int ws_client_open(brtc_loop *loop, const char *url, const ws_client_ops *ops, void *user,
                   ws_client **out, char *err, size_t err_cap);
/* Send one text message. BRTC_ERR_STATE once closed, BRTC_ERR_IO if the write fails. */
int ws_client_send(ws_client *c, const char *text);
/* Close (1000, with a close frame when still open) and free. NULL is fine. */
void ws_client_free(ws_client *c);

/* The URL with its query's token=... value replaced by "...", for logs. */
void ws_client_loggable_url(const char *url, char *out, size_t cap);

#endif
