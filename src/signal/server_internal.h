/* What the signal server's files share: the server object, the per-connection state that
 * libwebsockets allocates for us, and the functions between routing, WebSocket signaling,
 * WHIP and the sessions. Everything runs on the one lws service thread, except keyframe
 * decoding and saving (keyframe_worker.h), whose results come back to that thread. */
#ifndef BRTC_SIGNAL_SERVER_INTERNAL_H
#define BRTC_SIGNAL_SERVER_INTERNAL_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signal/keyframe_store.h"
#include "signal/keyframe_worker.h"
#include "signal/server.h"
#include "signal/session_table.h"

#define BRTC_WS_MAX_QUEUED (1024 * 1024) /* bytes queued to one slow WebSocket client */
/* A request body larger than this is not even drained: 413 and the connection closes. */
#define BRTC_HTTP_MAX_DRAIN (1024 * 1024)

struct brtc_signal_server {
  brtc_loop *loop;
  const brtc_certificate *cert;
  char *web_dir;
  size_t max_sessions;
  brtc_dtls_role dtls_role;
  brtc_session_table sessions;
  brtc_keyframe_store *store;
  brtc_keyframe_worker *saver; /* decodes and writes keyframes off this thread */
  uint64_t busy_drops_unlogged; /* keyframes refused by a full saver since the last warning */
  uint64_t busy_logged_us;
  brtc_keyframe_waitlist keyframe_waiters; /* sessions whose wanted keyframe was refused */
  uint64_t waiters_checked_us;

  struct lws_context *lws;
  struct lws_vhost *vhost;
  struct lws *loop_wsi, *stop_wsi;
  lws_sorted_usec_list_t timer;
  int http_port;
  char url[96];
  bool stopping;
  int in_pc_callback; /* > 0 while a pc event callback runs: never free a pc then */
  bool sessions_ending; /* some session is marked closing: settle must reap */
};

/* One queued outgoing WebSocket message, with the LWS_PRE headroom lws_write needs. */
typedef struct brtc_ws_out {
  struct brtc_ws_out *next;
  size_t len;
  unsigned char buf[]; /* LWS_PRE + len */
} brtc_ws_out;

typedef struct brtc_ws_conn {
  struct lws *wsi;
  brtc_signal_server *srv;
  brtc_session *session; /* the live session this connection signals, if any */
  brtc_ws_out *out_head, *out_tail;
  size_t out_bytes;
  char *rx; /* a message being reassembled from fragments */
  size_t rx_len;
  bool rx_too_big;
} brtc_ws_conn;

typedef struct brtc_http_conn {
  char method[8];
  char uri[256];
  char content_type[96];
  bool awaiting_body;
  char *body;
  size_t body_len;
  bool body_too_big;
  /* The reply being sent: headers are written at once, the body from WRITEABLE. */
  char *reply;
  size_t reply_len, reply_off;
  bool close_after;
} brtc_http_conn;

/* The per-connection data lws allocates (zeroed) for our protocol; one part is in use. */
typedef struct brtc_conn {
  brtc_http_conn http;
  brtc_ws_conn ws;
} brtc_conn;

/* A dynamic HTTP reply, built by a route handler. */
typedef struct brtc_http_reply {
  int status;
  const char *content_type;
  char *body; /* owned (malloc), may be NULL */
  size_t len;
  char location[64];
  bool accept_post; /* Accept-Post: application/sdp (WHIP OPTIONS) */
  bool close_after;
} brtc_http_reply;

/* A reply whose body is a copy of text (formatted). */
void brtc_http_reply_text(brtc_http_reply *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* sessions.c: starting, driving and ending peer connections. */
brtc_session *brtc_server_session_start(brtc_signal_server *srv, brtc_transport transport,
                                        brtc_ws_conn *ws, const char *sdp, size_t sdp_len,
                                        const char **answer, char *err, size_t err_cap,
                                        int *rc);
int brtc_server_session_candidate(brtc_signal_server *srv, brtc_session *s, const char *cand);
void brtc_server_session_snapshot(brtc_signal_server *srv, brtc_session *s);
/* Ask for the session to end; it is closed and freed by brtc_server_settle. */
void brtc_server_session_end(brtc_signal_server *srv, brtc_session *s, const char *why);
/* Record a journey step: log line, status list and a "step" message to its WebSocket. */
void brtc_server_session_step(brtc_signal_server *srv, brtc_session *s, const char *name,
                              const char *detail);
/* After every event: free the sessions that ended, re-arm the loop timer. */
void brtc_server_settle(brtc_signal_server *srv);
void brtc_server_end_all_sessions(brtc_signal_server *srv);
void brtc_server_live_stats(const brtc_session *s, brtc_pc_stats *out);
/* The saver's result for one keyframe, back on the loop thread (brtc_keyframe_done_fn). */
void brtc_server_keyframe_done(const brtc_keyframe_result *r, void *user);
/* The saver has room (after its results were polled): ask the oldest sessions waiting for
 * it for a keyframe, as many as there are free slots. */
void brtc_server_ask_waiting_keyframes(brtc_signal_server *srv);

/* ws_signaling.c: the /ws endpoint. */
void brtc_ws_conn_open(brtc_signal_server *srv, brtc_ws_conn *c, struct lws *wsi);
/* Returns -1 to close the connection. */
int brtc_ws_conn_receive(brtc_ws_conn *c, const void *data, size_t len, bool final);
int brtc_ws_conn_writeable(brtc_ws_conn *c);
void brtc_ws_conn_closed(brtc_ws_conn *c);
/* Queue one JSON text (taken over, may be NULL) for the client. */
void brtc_ws_conn_send(brtc_ws_conn *c, char *json);

/* whip.c: the /whip endpoint (RFC 9725). */
void brtc_whip_handle(brtc_signal_server *srv, const brtc_http_conn *req, brtc_http_reply *r);

#endif
