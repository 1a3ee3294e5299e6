/* Many simulated browsers against one real `boltrtc serve` process, for the load test and the
 * sessions benchmark. The server is the built program, started with free ports and stopped
 * by its pid; the publishers are sim_peers (tests/support), one UDP socket each on
 * 127.0.0.1, all pumped from one epoll set in the calling thread. Every wait is bounded.
 *
 * A good publisher sends one 640x480 VP8 keyframe and a few delta frames when told, then a
 * delta frame every LOAD_FRAME_INTERVAL_US (a slow camera: a server that lost every packet of
 * the keyframe still sees the stream), and answers the server's keyframe requests (PLI) like
 * a browser does: with a new keyframe, but at most one per LOAD_KEYFRAME_GAP_US, so the one
 * PLI a server sends with the first packet of a stream is not answered and a keyframe the
 * server failed to keep stays lost unless it asks again. It sends no keyframe of its own
 * accord. Broken publishers: a wrong DTLS fingerprint, one that floods garbage of every
 * RFC 7983 class, one that goes silent after DTLS. */
#ifndef BRTC_TESTS_LOAD_DRIVER_H
#define BRTC_TESTS_LOAD_DRIVER_H

#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dtls/dtls.h"
#include "sim_peer.h"
#include "test_http.h"

#define LOAD_KEYFRAME_GAP_US 300000u
#define LOAD_FRAME_INTERVAL_US 100000u
#define LOAD_DELTA_FRAMES 3

/* ---- the server process ---- */

typedef struct load_server {
  pid_t pid;
  int http_port;
  struct sockaddr_in media; /* its UDP address, from the banner */
} load_server;

/* Start `binary serve` on 127.0.0.1 with free ports, keyframes to output_dir, stderr to
 * log_path (NULL: inherited). Waits at most 15 s for its banner. */
int load_server_start(load_server *s, const char *binary, const char *output_dir,
                      size_t max_sessions, const char *log_path);
/* SIGTERM, then wait at most timeout_ms (SIGKILL after that). Its exit code, -1 if killed
 * or never started. */
int load_server_stop(load_server *s, int timeout_ms);
/* VmRSS of the server process in KiB, -1 if unknown. */
long load_server_rss_kib(const load_server *s);

/* ---- HTTP to it ---- */

/* test_http.h (tests/support), under the names the load tools use. */
typedef test_http_response load_http_response;
static inline bool load_http(int port, const char *method, const char *path,
                             const char *content_type, const char *body, load_http_response *resp) {
  return test_http(port, NULL, method, path, content_type, body, resp);
}
static inline cJSON *load_status(int port) { return test_http_status(port); }
static inline cJSON *load_status_session(cJSON *status, const char *id) {
  return test_status_session(status, id);
}
static inline double load_status_stat(cJSON *session, const char *name) {
  return test_status_stat(session, name);
}
const char *load_status_state(cJSON *session);               /* "" if missing */
/* t_ms of the session's first step called name, -1 if none. */
double load_status_step_ms(cJSON *session, const char *name);

/* ---- the publishers ---- */

typedef enum load_kind {
  LOAD_GOOD = 0,
  LOAD_WRONG_FINGERPRINT, /* a=fingerprint that is not its certificate's */
  LOAD_FLOODER,           /* connects, then floods garbage from its own and a stranger's port */
  LOAD_VANISHER,          /* connects, then closes its socket: no media, no DELETE */
  LOAD_KINDS
} load_kind;

typedef struct load_peer {
  load_kind kind;
  sim_peer *sim;
  int fd; /* -1 once vanished */
  struct sockaddr_in self;
  char id[32];        /* the server's session id (Boltrtc-Session), as the status shows it */
  char location[128]; /* the WHIP resource URL, for DELETE */
  bool keyed;  /* sent its first keyframe */
  uint64_t last_keyframe_us, last_frame_us;
  size_t next_delta;
  uint64_t plis_seen;
  uint32_t ts;
  uint64_t keyframes_sent;
  uint64_t garbage_sent;
} load_peer;

typedef struct load_driver {
  load_peer *peers;
  size_t n, cap;
  int epfd;
  int stranger_fd; /* a socket no session knows, for flooding from an unknown address */
  brtc_dtls_cert *cert;
  int http_port;
  struct sockaddr_in media; /* the server's UDP address */
  uint8_t *frames[1 + LOAD_DELTA_FRAMES]; /* a keyframe, then deltas */
  size_t frame_lens[1 + LOAD_DELTA_FRAMES];
  uint64_t stranger_garbage_sent;
  bool key_when_ready; /* good publishers send their first frames as soon as SRTP is keyed */
} load_driver;

/* Room for cap publishers; encodes the frames (640x480). */
int load_driver_init(load_driver *d, size_t cap, const load_server *srv);
void load_driver_free(load_driver *d);
/* A new publisher of this kind, its offer POSTed to /whip and the answer taken. Its index,
 * or a negative error. */
int load_driver_add(load_driver *d, load_kind kind);
/* Move datagrams both ways, run timers, answer keyframe requests, for budget_ms. */
void load_driver_pump(load_driver *d, int budget_ms);
/* Publishers of this kind whose SRTP is keyed / whose DTLS failed. */
size_t load_driver_count_ready(const load_driver *d, load_kind kind);
size_t load_driver_count_failed(const load_driver *d, load_kind kind);
/* Every good publisher that is ready sends its keyframe and delta frames now. */
void load_driver_send_keyframes(load_driver *d);
/* Vanishers close their sockets. */
void load_driver_vanish(load_driver *d);
/* Each flooder sends per_class garbage datagrams of every RFC 7983 class from its own
 * (connected) port and as many from the stranger's port. Returns how many were sent. */
uint64_t load_driver_flood(load_driver *d, size_t per_class);

uint64_t load_now_us(void);

#endif
