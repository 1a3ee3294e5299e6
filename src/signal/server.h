/* The boltrtc signaling and media server: HTTP (page, status, saved keyframes), WebSocket
 * signaling at /ws and WHIP at /whip, on the brtc_loop's TCP listener, so signaling and
 * media run on the loop's one thread with no locks. HTTP is src/http's sans-IO core and
 * WebSocket src/websocket's; only keyframe decoding and JPEG writing run on their own
 * thread(s), handing results back to the loop through an eventfd. */
#ifndef BRTC_SIGNAL_SERVER_H
#define BRTC_SIGNAL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"
#include "signal/rooms.h"

#define BRTC_SIGNAL_DEFAULT_HTTP "127.0.0.1:8080"
#define BRTC_SIGNAL_ICE_DEFAULT 0
#define BRTC_SIGNAL_ICE_LITE 1
#define BRTC_SIGNAL_ICE_FULL 2
#define BRTC_SIGNAL_DEFAULT_OUTPUT "./output"
#define BRTC_SIGNAL_DEFAULT_MAX_SESSIONS 500
#define BRTC_SIGNAL_DEFAULT_KEYFRAME_JOBS 32
/* Sessions that have not passed ICE yet (no authenticated check): see docs/limits.md for why
 * these values. */
#define BRTC_SIGNAL_DEFAULT_MAX_PENDING 100
#define BRTC_SIGNAL_DEFAULT_MAX_PENDING_PER_SOURCE 16
#define BRTC_SIGNAL_DEFAULT_PENDING_TIMEOUT_MS 5000
/* Snapshot requests per session at most one per this; a person clicks slower. */
#define BRTC_SIGNAL_DEFAULT_SNAPSHOT_INTERVAL_MS 1000
/* The output folder's cap; 0 in the config means this, BRTC_SIGNAL_NO_OUTPUT_CAP none. */
#define BRTC_SIGNAL_DEFAULT_MAX_OUTPUT_MB 1024
#define BRTC_SIGNAL_NO_OUTPUT_CAP UINT64_MAX
/* Each session's capture files at most (--capture-max-mb). */
#define BRTC_SIGNAL_DEFAULT_CAPTURE_MB 64
/* The packet inspector (signal/inspect_store.h has the same defaults). */
#define BRTC_SIGNAL_DEFAULT_INSPECT_SESSIONS 16
#define BRTC_SIGNAL_DEFAULT_INSPECT_PACKETS 8
#define BRTC_SIGNAL_DEFAULT_RATE_INTERVAL_S 10
#define BRTC_SIGNAL_NO_RATE_LINES UINT32_MAX
#define BRTC_SIGNAL_DEFAULT_KEYFRAME_INTERVAL_MS 5000
#define BRTC_SIGNAL_NO_KEYFRAME_INTERVAL UINT32_MAX
/* Largest WebSocket message and HTTP request body we accept. */
#define BRTC_SIGNAL_MAX_MESSAGE (64 * 1024)
/* TCP connections at most, in all and from one client address (more are closed at once). */
#define BRTC_SIGNAL_MAX_CONNECTIONS 1024
#define BRTC_SIGNAL_MAX_CONNECTIONS_PER_IP 64
/* A WHIP resource URL is /whip/<id>: 32 hex digits, 128 random bits (OpenSSL RAND), so it
 * cannot be guessed, and nothing the status or the logs show leads to it. */
#define BRTC_WHIP_RESOURCE_ID_LEN 32

typedef struct brtc_signal_server brtc_signal_server;

/* An application's own signaling (`boltrtc camera`, src/signal/app_socket.c): the server
 * serves the application's page at "/" and hands every /ws connection's text messages to it,
 * and holds no sessions, keyframe store or WHIP endpoint of its own; the application makes
 * its peer connections itself, on the public API. A brtc_signal_socket is one /ws
 * connection: valid from open until closed returns. */
typedef struct brtc_ws_conn brtc_signal_socket;
typedef struct brtc_signal_app {
  const char *page; /* what "/" serves, a file of the web folder: "/camera.html" */
  void *user;
  void (*open)(void *user, brtc_signal_socket *sock);
  void (*message)(void *user, brtc_signal_socket *sock, const char *text, size_t len);
  void (*closed)(void *user, brtc_signal_socket *sock);
} brtc_signal_app;
/* Queue one text message (copied) for the client; BRTC_ERR_STATE once it is closing. */
int brtc_signal_socket_send(brtc_signal_socket *sock, const char *text);
/* Close it (1000 normal closure, with a short reason); closed follows. */
void brtc_signal_socket_close(brtc_signal_socket *sock, const char *reason);
/* "127.0.0.1:40000", for logs. */
const char *brtc_signal_socket_peer(const brtc_signal_socket *sock);

typedef struct brtc_signal_config {
  const char *http_addr;  /* "127.0.0.1:8080" or "[::1]:8080"; port 0 picks one */
  const char *output_dir; /* keyframes go here as shoot<N>.jpg; created if missing */
  const char *web_dir;    /* NULL: brtc_signal_default_web_dir() */
  size_t max_sessions;    /* 0: BRTC_SIGNAL_DEFAULT_MAX_SESSIONS */
  unsigned keyframe_threads; /* threads decoding and writing keyframes; 0: 1 */
  size_t keyframe_jobs;      /* keyframes waiting or being saved at most (more are not
                                saved, and counted); 0: BRTC_SIGNAL_DEFAULT_KEYFRAME_JOBS */
  brtc_dtls_role dtls_role;  /* our a=setup answer to an actpass offer */
  /* The sessions' ICE: BRTC_SIGNAL_ICE_DEFAULT (0) is full, which connects Pion publishers
   * in 3 ms instead of 200 and aiortc's in 21 instead of 42 (docs/benchmarks.md,
   * "Publishers' time to connected"); BRTC_SIGNAL_ICE_LITE only answers checks. */
  unsigned ice_mode;
  /* Bearer tokens (RFC 6750, as RFC 9725 4.5 uses them): when any is given, POST /whip and
   * /ws need one, and a WHIP session's DELETE needs the one that created it. None: open. */
  const char *const *tokens;
  size_t n_tokens;
  /* Sessions not yet past ICE: at most max_pending in all and max_pending_per_source from
   * one signaling source (IPv4 address or IPv6 /64), each failing if its first check has
   * not come pending_timeout_ms after the answer. 0: the defaults above. */
  size_t max_pending;
  size_t max_pending_per_source;
  unsigned pending_timeout_ms;
  unsigned snapshot_interval_ms; /* 0: default */
  uint64_t max_output_mb;        /* 0: default; BRTC_SIGNAL_NO_OUTPUT_CAP: no cap */
  /* RFC 7675 consent window of every session; 0: 30 s. (Tests shorten it.) */
  uint64_t consent_timeout_us;
  /* --capture: each session writes pcaps and its DTLS keys here for Wireshark
   * (src/signal/capture.h); NULL: no captures. Each session's pcaps stop at
   * capture_max_mb (0: BRTC_SIGNAL_DEFAULT_CAPTURE_MB). */
  const char *capture_dir;
  uint64_t capture_max_mb;
  /* Seconds between a connected session's rate lines on the terminal; 0: the default,
   * BRTC_SIGNAL_NO_RATE_LINES: none. */
  unsigned rate_interval_s;
  /* Ask each connected session for a keyframe (PLI) this long after its last saved one, so
   * that the gallery fills: browsers send keyframes only when asked. 0: the default,
   * BRTC_SIGNAL_NO_KEYFRAME_INTERVAL: never. */
  unsigned keyframe_interval_ms;
  /* Rooms at /ws?room=NAME, where two clients meet and are handed these ICE servers
   * (src/signal/rooms.h). Zeroed: the defaults, and no ICE servers. */
  brtc_rooms_config rooms;
  /* The packet inspector (/inspect, docs/inspector.md): a session is recorded when its offer
   * asks ({"inspect":true} over /ws, POST /whip?inspect=1), or every one with inspect_all
   * (--inspect); at most inspect_sessions at once (0: 16), inspect_packets of each kind
   * (0: 8). */
  bool inspect_all;
  size_t inspect_sessions;
  unsigned inspect_packets;
  /* WHEP (draft-ietf-wish-whep) at /whep: each viewer gets this file (IVF VP8 or Annex-B
   * H.264) from its start, at real-time pace, looping. NULL: /whep answers 404. */
  const char *whep_source;
  /* Echo (--echo): a publisher whose video section is sendrecv gets its video back on the
   * same connection, on a track of ours with a new SSRC, frame by frame. */
  bool echo;
  /* An application's own signaling at /ws and page at / (above); NULL: the server's own.
   * Copied; app->user must outlive the server. */
  const brtc_signal_app *app;
} brtc_signal_config;

/* Whether text is an address the server and the loop take: "IP:PORT" or "[IPv6]:PORT". */
bool brtc_signal_addr_valid(const char *text);
/* A bound address as "127.0.0.1:50000" or "[::1]:50000" in buf (empty if not IP); returns
 * buf. BRTC_SIGNAL_ADDR_TEXT_LEN is enough. */
#define BRTC_SIGNAL_ADDR_TEXT_LEN 64
const char *brtc_signal_addr_text(const struct sockaddr_storage *a, char *buf, size_t cap);

/* The page's folder compiled in (the source tree's web/). */
const char *brtc_signal_default_web_dir(void);

/* loop and cert are not owned and must outlive the server. err gets a one-line reason. */
brtc_signal_server *brtc_signal_server_new(const brtc_signal_config *config, brtc_loop *loop,
                                           const brtc_certificate *cert, char *err,
                                           size_t err_cap);
/* The HTTP port actually bound (after port 0 was resolved). */
int brtc_signal_server_http_port(const brtc_signal_server *srv);
/* "http://127.0.0.1:8080/" */
const char *brtc_signal_server_url(const brtc_signal_server *srv);
/* Serve until stop_fd (e.g. a signalfd) becomes readable, or until an error; -1: no stop fd.
 * stop_fd stays owned by the caller. Returns BRTC_OK on a requested stop. */
int brtc_signal_server_run(brtc_signal_server *srv, int stop_fd);
/* Closes every session (DTLS close_notify goes out) and frees everything. */
void brtc_signal_server_free(brtc_signal_server *srv);

#endif
