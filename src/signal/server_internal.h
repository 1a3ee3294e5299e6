/* What the signal server's files share: the server object, one TCP connection's state
 * (HTTP, then WebSocket signaling after an upgrade), and the functions between the
 * connection, routing, WebSocket signaling, WHIP and the sessions. Everything runs on the
 * loop's thread, except keyframe decoding and saving (keyframe_worker.h), whose results come
 * back to it through an eventfd. */
#ifndef BRTC_SIGNAL_SERVER_INTERNAL_H
#define BRTC_SIGNAL_SERVER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "signal/heap_trim.h"
#include "signal/inspect_store.h"
#include "signal/keyframe_store.h"
#include "signal/keyframe_worker.h"
#include "signal/server.h"
#include "signal/session_table.h"
#include "websocket/websocket.h"

#define BRTC_WS_MAX_QUEUED (1024 * 1024) /* bytes queued to one slow WebSocket client */
#define BRTC_TOKEN_HASH_LEN 32           /* SHA-256 */
#define BRTC_WHIP_ETAG_LEN 34            /* "<32 hex digits>", the quotes included */

/* One WHIP resource: its URL's secret part and who may act on it. */
typedef struct brtc_whip_resource {
  char id[BRTC_WHIP_RESOURCE_ID_LEN + 1];
  brtc_session *session;
  bool has_token;
  uint8_t token_hash[BRTC_TOKEN_HASH_LEN]; /* the token that created it */
  bool whep;                              /* /whep/<id>: a viewer, not a publisher */
  /* Trickle and ICE restart by PATCH (whip_patch.c, RFC 9725 4.3): the entity-tag of the
   * ICE session as the client last saw it (quoted), the offer in force (owned) and its ICE
   * credentials. */
  char etag[BRTC_WHIP_ETAG_LEN + 1];
  char *offer;
  char remote_ufrag[257], remote_pwd[257];
} brtc_whip_resource;

struct brtc_signal_server {
  brtc_loop *loop;
  const brtc_certificate *cert;
  char *web_dir;
  size_t max_sessions;
  brtc_dtls_role dtls_role;
  bool ice_lite; /* the sessions' ICE mode (brtc_signal_config.ice_mode) */
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
  char *capture_dir;         /* NULL: no captures */
  uint64_t rate_interval_us; /* 0: no rate lines */
  brtc_loop_timer *rate_timer;
  uint64_t keyframe_interval_us; /* 0: no interval keyframes */
  brtc_loop_timer *keyframe_timer;
  uint64_t capture_max_bytes;
  uint64_t refused_full;            /* max_sessions live */
  uint64_t refused_pending;         /* max_pending waiting for ICE */
  uint64_t refused_pending_source;  /* max_pending_per_source from one source */
  uint64_t pending_expired;         /* failed before their first check */
  uint64_t snapshots_refused;
  uint64_t refusals_unlogged, refusals_logged_us; /* refusal warnings, at most one per 5 s */
  bool output_cap_logged;
  brtc_heap_trim heap_trim; /* memory given back after bursts of sessions */
  brtc_inspect_store inspect; /* the packet inspector's recorded sessions */
  bool inspect_all;           /* --inspect: every session is recorded */

  brtc_tcp_listener *listener;
  struct brtc_conn *conns; /* every open connection */
  int saver_wake_fd;       /* an eventfd the saver's threads write to */
  brtc_loop_watch *saver_watch, *stop_watch;
  int http_port;
  char url[96];
  bool stopping;
  bool sessions_ending; /* some session is marked closing: settle must reap */

  /* Access control (auth.c, whip.c). */
  uint8_t (*token_hashes)[BRTC_TOKEN_HASH_LEN];
  size_t n_tokens; /* 0: publishing is open */
  brtc_whip_resource *whip;
  size_t n_whip, cap_whip;

  struct brtc_rooms *rooms; /* /ws?room= rendezvous (rooms.c) */
  char *whep_source; /* --source: what /whep viewers get (whep_play.c); NULL: no WHEP */
  bool echo;         /* --echo: publishers' video goes back to them (echo_media.c) */
  bool has_app;      /* app below: an application's signaling (app_socket.c) */
  brtc_signal_app app;
  char *app_page;
};

/* The /ws signaling state of one connection. */
typedef struct brtc_ws_conn {
  struct brtc_conn *conn; /* NULL once the connection closed */
  brtc_signal_server *srv;
  brtc_session *session; /* the live session this connection signals, if any */
  struct brtc_room *room; /* /ws?room=: a room member, relayed to its peers, never a session */
  bool app;               /* the application's socket (app_socket.c), never a session */
} brtc_ws_conn;

/* One TCP connection: the endpoint the loop drives (signal_conn.c). */
typedef struct brtc_conn {
  brtc_signal_server *srv;
  brtc_tcp_conn *tcp;
  char peer[64];          /* "127.0.0.1:40000", for logs */
  /* The client's address, which the limits on sessions not yet past ICE count by;
   * AF_UNSPEC if unknown (no socket). */
  struct sockaddr_storage addr;
  brtc_http_conn *http;   /* until the WebSocket's 101 is sent */
  brtc_websocket *ws;     /* after an upgrade */
  brtc_ws_conn signaling; /* after an upgrade */
  int file_fd;            /* a file being sent as the response body; -1: none */
  bool failed;            /* end it now (a file that could not be read) */
  struct brtc_conn *prev, *next;
} brtc_conn;

/* A dynamic HTTP reply, built by a route handler. */
typedef struct brtc_http_reply {
  int status;
  const char *content_type;
  char *body; /* owned (malloc), may be NULL */
  size_t len;
  char location[96];
  char session[16];             /* Boltrtc-Session: the short id, for the creator's logs */
  char inspect[64];             /* Boltrtc-Inspect: the session's inspector URL (its creator's) */
  const char *www_authenticate; /* 401: the challenge (RFC 6750 3) */
  const char *allow;            /* 405, OPTIONS: the methods allowed */
  bool accept_post; /* Accept-Post: application/sdp (WHIP OPTIONS) */
  bool accept_patch; /* Accept-Patch: application/trickle-ice-sdpfrag (RFC 9725 4.3) */
  char etag[40];     /* ETag, quoted; "" for none */
  bool ws_version;  /* Sec-WebSocket-Version: 13 (a 426 to another version) */
  bool close_after;
  unsigned retry_after_s; /* Retry-After (RFC 9110 10.2.3) with a 503; 0: none */
} brtc_http_reply;

/* A reply whose body is a copy of text (formatted). */
void brtc_http_reply_text(brtc_http_reply *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* whip.c: ct is the media type want, ignoring case, surrounding blanks and parameters. */
bool brtc_whip_content_type_is(const char *ct, const char *want);
/* whip_patch.c: trickle ICE and ICE restart on a WHIP/WHEP resource (RFC 9725 4.3). At
 * POST: a fresh entity-tag, and the offer (copied) whose credentials a PATCH is compared with;
 * BRTC_ERR_NOMEM. */
int brtc_whip_patch_start(brtc_whip_resource *res, const char *offer, size_t len);
/* A PATCH on the resource, its token already checked: 204 (candidates taken), 200 with our
 * fragment (a restart), or 400, 412, 415, 428 with a one-line reason. */
void brtc_whip_patch(brtc_signal_server *srv, const brtc_http_request *req,
                     brtc_whip_resource *res, brtc_http_reply *r);
/* The resource goes: what the PATCH side holds is freed. */
void brtc_whip_patch_end(brtc_whip_resource *res);

/* signal_conn.c: a new connection from the listener. */
void brtc_conn_accept(void *server, brtc_tcp_conn *tcp);
/* The endpoint functions a connection is driven with, and a connection to drive with them;
 * tcp may be NULL (the fuzzer drives one with no socket). Freed by brtc_conn_ops.closed. */
extern const brtc_stream_ops brtc_conn_ops;
brtc_conn *brtc_conn_new(brtc_signal_server *srv, brtc_tcp_conn *tcp, uint64_t now_us);
/* Close every connection (the server is going). */
void brtc_conn_close_all(brtc_signal_server *srv);
/* The connection has output to send. */
void brtc_conn_kick(brtc_conn *c);
/* The client's address (brtc_server_session_start's client): NULL if unknown. */
const struct sockaddr *brtc_conn_client(const brtc_conn *c);

/* http_routes.c: answer one request (always: a response, a file or an upgrade). */
void brtc_route_request(brtc_conn *c, const brtc_http_request *req);

/* auth.c: bearer tokens (RFC 6750) for publishing. */
int brtc_auth_set_tokens(brtc_signal_server *srv, const char *const *tokens, size_t n);
void brtc_auth_free(brtc_signal_server *srv);
/* Whether a token is needed at all. */
static inline bool brtc_auth_required(const brtc_signal_server *srv) { return srv->n_tokens > 0; }
/* The token a request presents: "Authorization: Bearer <token>" or, for WebSockets (which
 * browsers cannot give headers), the query parameter token. Its hash goes to hash. Returns
 * false if none is presented. */
bool brtc_auth_presented(const brtc_http_request *req, bool allow_query,
                         uint8_t hash[BRTC_TOKEN_HASH_LEN]);
/* Whether hash is one of the configured tokens', compared in constant time. */
bool brtc_auth_known(const brtc_signal_server *srv, const uint8_t hash[BRTC_TOKEN_HASH_LEN]);
/* SHA-256 of a secret (tokens, room keys): what is kept and compared instead of it. */
void brtc_auth_hash(const char *token, size_t len, uint8_t out[BRTC_TOKEN_HASH_LEN]);

/* sessions.c: starting, driving and ending peer connections. client is the signaling
 * client's address (the TCP peer of the HTTP request or WebSocket; NULL if unknown), which
 * the limits on sessions not yet past ICE count by. On refusal *rc is BRTC_ERR_LIMIT (every
 * slot taken), BRTC_ERR_AGAIN (too many waiting for ICE: retry after
 * brtc_server_retry_after_s), or another error (bad SDP: 400; NOMEM, IO, CRYPTO: 500).
 * video_width and video_height: the size the publisher says it sends (0: unknown), for the
 * answer's bitrates. inspect: the offer asked for the packet inspector (s->inspect is then
 * set, unless every inspector slot is taken). */
brtc_session *brtc_server_session_start(brtc_signal_server *srv, brtc_transport transport,
                                        brtc_ws_conn *ws, const struct sockaddr *client,
                                        const char *sdp, size_t sdp_len, unsigned video_width,
                                        unsigned video_height, bool inspect, const char **answer,
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
/* session_reoffer.c: a later offer on a live session (renegotiation, or an ICE restart): the
 * pc answers it; *answer is the pc's (valid until its next call). A one-line err otherwise. */
int brtc_server_session_reoffer(brtc_signal_server *srv, brtc_session *s, const char *sdp,
                                const char **answer, char *err, size_t err_cap);
/* After every event: free the sessions that ended, re-arm the loop timer. */
void brtc_server_settle(brtc_signal_server *srv);
void brtc_server_end_all_sessions(brtc_signal_server *srv);
/* The periodic rate lines (config rate_interval_s); BRTC_ERR_NOMEM if no timer. */
int brtc_server_start_rate_lines(brtc_signal_server *srv, unsigned interval_s);
/* The --keyframe-interval requests (config keyframe_interval_ms); BRTC_ERR_NOMEM if no timer. */
int brtc_server_start_keyframe_interval(brtc_signal_server *srv, unsigned interval_ms);
void brtc_server_live_stats(const brtc_session *s, brtc_pc_stats *out);
/* The saver's result for one keyframe, back on the loop thread (brtc_keyframe_done_fn). */
void brtc_server_keyframe_done(const brtc_keyframe_result *r, void *user);
/* The saver has room (after its results were polled): ask the oldest sessions waiting for
 * it for a keyframe, as many as there are free slots. */
void brtc_server_ask_waiting_keyframes(brtc_signal_server *srv);

/* ws_signaling.c: the /ws endpoint, on a connection already upgraded. */
void brtc_ws_conn_open(brtc_signal_server *srv, brtc_ws_conn *c, brtc_conn *conn);
/* One whole message from the client. */
void brtc_ws_conn_message(brtc_ws_conn *c, bool text, const uint8_t *data, size_t len);
/* A message over the limit was skipped: say so, keep the connection. */
void brtc_ws_conn_too_big(brtc_ws_conn *c);
/* The connection is closing or closed: its session ends. */
void brtc_ws_conn_closed(brtc_ws_conn *c);
/* Queue one JSON text (taken over, may be NULL) for the client. */
void brtc_ws_conn_send(brtc_ws_conn *c, char *json);

/* app_socket.c: an application's /ws connections and routes (brtc_signal_app). */
/* Whether the application's server answers this path (its page, the web folder's files, /ws);
 * the rest are 404 in app mode. */
bool brtc_app_route_allowed(const char *path);
void brtc_app_socket_open(brtc_signal_server *srv, brtc_ws_conn *c, brtc_conn *conn);
void brtc_app_socket_message(brtc_ws_conn *c, bool text, const uint8_t *data, size_t len);
void brtc_app_socket_closed(brtc_ws_conn *c);

/* whip.c: the /whip endpoint (RFC 9725). client is the TCP peer, which the limits on
 * sessions not yet past ICE count by (NULL if unknown). */
void brtc_whip_handle(brtc_signal_server *srv, const brtc_http_request *req,
                      const struct sockaddr *client, brtc_http_reply *r);
/* The session ended: its resource URL goes with it. */
void brtc_whip_session_ended(brtc_signal_server *srv, const brtc_session *s);

/* whep_play.c: a WHEP viewer's source, played on its pc's video track. */
typedef struct brtc_whep_play brtc_whep_play;
/* The file opens as IVF VP8 or Annex-B H.264 (logs what it is); else a reason in err. */
int brtc_whep_check_source(const char *path, char *err, size_t err_cap);
/* Before the offer is taken: opens the session's copy of the source and adds its track. */
int brtc_whep_play_start(brtc_signal_server *srv, brtc_session *s, char *err, size_t err_cap);
/* After the answer: false (and why) if no section took the track. */
bool brtc_whep_play_answered(brtc_session *s, char *err, size_t err_cap);
/* BRTC_EVENT_KEYFRAME_REQUEST: the first starts playing, later ones skip to a keyframe. */
void brtc_whep_play_keyframe(brtc_session *s, uint64_t now_us);
void brtc_whep_play_free(brtc_session *s);

/* echo_media.c: --echo. Before the offer: a sendrecv VP8 track; each assembled frame of the
 * section it took is sent back on it; its keyframe requests become our PLI. */
int brtc_echo_media_start(brtc_session *s);
void brtc_echo_media_frame(brtc_session *s, const brtc_output *frame, uint64_t now_us);
void brtc_echo_media_keyframe(brtc_session *s, uint64_t now_us);
/* Data channels echoed: with --echo every channel, otherwise those labelled "echo". */
bool brtc_echo_datachannel_wanted(const brtc_signal_server *srv, const brtc_datachannel *dc);
/* Sends a received message back on its channel, as it came (text or binary); when the send
 * buffer is full it waits, in order, for brtc_echo_datachannel_flush. */
void brtc_echo_datachannel_message(brtc_session *s, const brtc_output *msg, uint64_t now_us);
/* Sends what waits while the send buffer has room (call on each of the session's events). */
void brtc_echo_datachannel_flush(brtc_session *s, uint64_t now_us);
/* Forgets what waits for dc (closing), or for every channel when dc is NULL. */
void brtc_echo_datachannel_forget(brtc_session *s, const brtc_datachannel *dc);
void brtc_whip_free(brtc_signal_server *srv);

#endif
