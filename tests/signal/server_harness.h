/* The signal server end to end in one process tree, for the signal tests: the server runs in
 * a forked child (its own loop, certificate and config), and this process talks to it like
 * its clients do: HTTP/1.1 and WebSocket from a chosen source IP on loopback, and publishers
 * (tests/support/sim_peer) over real UDP. Every wait is bounded; the child is stopped through
 * a pipe and reaped by its pid. */
#ifndef BRTC_TEST_SERVER_HARNESS_H
#define BRTC_TEST_SERVER_HARNESS_H

#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "signal/server.h"
#include "sim_peer.h"
#include "test_http.h"

typedef struct sh_server {
  pid_t child;
  int stop_fd; /* write end: a byte asks the child to stop */
  int http_port;
} sh_server;

/* Fork a server with config (http_addr is set to 127.0.0.1:0; UDP on 127.0.0.1:0,
 * loopback only); false if it did not report its port within 15 s. */
bool sh_server_start(sh_server *s, const brtc_signal_config *config);
/* Ask the child to stop and reap it (SIGKILL after 10 s); its exit status, -1 if killed. */
int sh_server_stop(sh_server *s);

/* HTTP (tests/support/test_http.h) to this server. */
typedef test_http_response sh_response;
/* One request on its own connection from source_ip (NULL: 127.0.0.1). */
bool sh_http(const sh_server *s, const char *source_ip, const char *method, const char *path,
             const char *ctype, const char *body, sh_response *resp);
cJSON *sh_status(const sh_server *s);
double sh_number_at(cJSON *o, const char *path); /* "limits.pending.now", -1 if missing */

/* A WebSocket client on /ws (RFC 6455: masked text frames out, unmasked frames in). */
int sh_ws_connect(const sh_server *s, const char *source_ip); /* fd, -1 on failure */
bool sh_ws_send(int fd, const char *text);
/* The next text message within timeout_ms, parsed; NULL if none (or the connection ended). */
cJSON *sh_ws_recv(int fd, int timeout_ms);

/* A publisher: a simulated browser in front of a UDP socket on ip. */
typedef struct sh_publisher {
  sim_peer *sim;
  int fd;
  struct sockaddr_in self;
  struct sockaddr_storage server; /* where the sim last sent to: the server's UDP port */
} sh_publisher;

bool sh_publisher_open(sh_publisher *p, const char *ip);
/* The same with the simulated browser's options (a WHEP viewer: video_direction "recvonly"). */
bool sh_publisher_open_opts(sh_publisher *p, const char *ip, const sim_peer_opts *opts);
void sh_publisher_close(sh_publisher *p);
/* Move datagrams both ways and run its timers for budget_ms. */
void sh_pump(sh_publisher *p, int budget_ms);
/* Pump until SRTP is keyed, at most budget_ms. */
bool sh_pump_until_ready(sh_publisher *p, int budget_ms);

/* n VP8 frames of a w x h test picture (libvpx); frames listed in keys are keyframes. Each
 * out[i] is malloc'd; returns how many were made. */
size_t sh_encode_frames(unsigned w, unsigned h, size_t n, const bool *keys, uint8_t **out,
                        size_t *lens);

#endif
