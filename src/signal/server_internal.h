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

#include "signal/heap_trim.h"
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

  /* Limits (server.h) and what they refused. */
  size_t max_pending, max_pending_per_source;
  uint64_t pending_timeout_us, snapshot_interval_us, consent_timeout_us;
  uint64_t max_output_bytes; /* 0: no cap */
  uint64_t refused_full;            /* max_sessions live */
  uint64_t refused_pending;         /* max_pending waiting for ICE */
  uint64_t refused_pending_source;  /* max_pending_per_source from one source */
  uint64_t pending_expired;         /* failed before their first check */
  uint64_t snapshots_refused;
  uint64_t refusals_unlogged, refusals_logged_us; /* refusal warnings, at most one per 5 s */
  bool output_cap_logged;
  brtc_heap_trim heap_trim; /* memory given back after bursts of sessions */

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
  struct sockaddr_storage peer; /* the client's address; AF_UNSPEC if unknown */
  brtc_signal_server *srv;
  brtc_session *session; /* the live session this connection signals, if any */
  brtc_ws_out *out_head, *out_tail;
  size_t out_bytes;
  char *rx; /* a message being reassembled from fragments */
  size_t rx_len;
  bool rx_too_big;
} brtc_ws_conn;

typedef struct brtc_http_conn {
  struct sockaddr_storage peer; /* the client's address; AF_UNSPEC if unknown */
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
  unsigned retry_after_s; /* Retry-After (RFC 9110 10.2.3) with a 503; 0: none */
} brtc_http_reply;

/* A reply whose body is a copy of text (formatted). */
void brtc_http_reply_text(brtc_http_reply *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* sessions.c: starting, driving and ending peer connections. client is the signaling
 * client's address (the TCP peer of the HTTP request or WebSocket; NULL if unknown), which
 * the limits on sessions not yet past ICE count by. On refusal *rc is BRTC_ERR_LIMIT (every
 * slot taken), BRTC_ERR_AGAIN (too many waiting for ICE: retry after
 * brtc_server_retry_after_s), or another error (bad SDP: 400; NOMEM, IO, CRYPTO: 500). */
brtc_session *brtc_server_session_start(brtc_signal_server *srv, brtc_transport transport,
                                        brtc_ws_conn *ws, const struct sockaddr *client,
                                        const char *sdp, size_t sdp_len, const char **answer,
                                        char *err, size_t err_cap, int *rc);
/* The limits of config (server.h), defaults filled in. */
void brtc_signal_server_set_limits(brtc_signal_server *srv, const brtc_signal_config *config);
/* Seconds after which a session refused with BRTC_ERR_AGAIN may find room: the pending
 * sessions that fill it have failed or passed ICE by then. */
unsigned brtc_server_retry_after_s(const brtc_signal_server *srv);
int brtc_server_session_candidate(brtc_signal_server *srv, brtc_session *s, const char *cand);
/* A Snapshot request: BRTC_OK when a keyframe was asked for; BRTC_ERR_AGAIN when it came
 * sooner than the interval after the last one (*wait_ms: until the next is allowed). */
int brtc_server_session_snapshot(brtc_signal_server *srv, brtc_session *s, uint64_t *wait_ms);
/* GET /api/status: the whole document (status_json.h), owned by the caller; NULL: no memory. */
char *brtc_server_status_json(brtc_signal_server *srv);
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
