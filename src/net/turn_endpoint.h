/* The TURN server's I/O, shared by its UDP side (turn_endpoint.c) and its TCP side
 * (turn_tcp.c: RFC 8656 3.3 framing on the loop's TCP connections). Internal to src/net. */
#ifndef BRTC_NET_TURN_ENDPOINT_H
#define BRTC_NET_TURN_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "boltrtc/turn.h"
#include "common/addr.h"
#include "net/udp.h"
#include "turn/turn_auth.h"
#include "turn/turn_server.h"

#define BATCH BRTC_LOOP_BATCH
#define RX_SIZE 2048          /* a little over an Ethernet MTU, so an oversize one is seen */
#define MAX_BATCHES_PER_WAKE 8 /* then let the loop serve the other sockets */
#define MAX_USERS_LINE 1024

typedef struct sock_ctx {
  brtc_turn_server *srv;
  int fd;
  bool relay;
  bool wildcard;
  uint32_t index; /* listener index, or relay slot */
  brtc_loop_watch *watch;
  brtc_addr local; /* relay: the local address its client talks to (for wildcard listeners) */
} sock_ctx;

typedef struct pending_user {
  char *name, *password;
} pending_user;

struct brtc_turn_server {
  /* configuration */
  char *listen[BRTC_TURN_MAX_LISTEN];
  size_t n_listen;
  char realm[BRTC_TURN_MAX_REALM + 1];
  pending_user *users;
  size_t n_users, cap_users;
  char *auth_secret;
  bool relay_ip_set;
  brtc_addr relay_ip;
  unsigned port_min, port_max;
  char *allow[32];
  size_t n_allow;
  unsigned max_total, per_user, per_source;
  bool no_tcp;
  /* running */
  brtc_loop *loop;
  brtc_turn_core *core;
  brtc_loop_timer *timer;
  sock_ctx listeners[BRTC_TURN_MAX_LISTEN];
  brtc_addr bound[BRTC_TURN_MAX_LISTEN];
  size_t n_listeners;
  sock_ctx **relays; /* by slot */
  uint32_t n_relays;
  uint64_t datagrams_in, datagrams_out, send_errors;
  /* receive batch */
  struct mmsghdr rx[BATCH];
  struct iovec rx_iov[BATCH];
  brtc_addr rx_from[BATCH];
  uint8_t rx_control[BATCH][BRTC_UDP_CONTROL_SPACE];
  uint8_t rx_buf[BATCH][RX_SIZE];
  /* send batch: head, payload, padding */
  struct mmsghdr tx[BATCH];
  struct iovec tx_iov[BATCH][3];
  brtc_addr tx_to[BATCH];
  int tx_fd[BATCH];
  uint8_t tx_control[BATCH][BRTC_UDP_CONTROL_SPACE];
  uint8_t tx_head[BATCH][BRTC_TURN_OUT_MIN];
  size_t n_tx;
  /* TCP (turn_tcp.c) */
  brtc_tcp_listener *tcp_listeners[BRTC_TURN_MAX_LISTEN];
  struct tcp_listener_ctx *tcp_ctx[BRTC_TURN_MAX_LISTEN];
  size_t n_tcp_listeners;
  struct turn_tcp_client *tcp_clients; /* every open connection */
  uint8_t tcp_head[BRTC_TURN_OUT_MIN];
};

/* Core listener indices: UDP listeners 0..n-1, TCP listeners from here. */
#define TURN_TCP_LISTENER_BASE BRTC_TURN_MAX_LISTEN

/* turn_endpoint.c: what the core hands back, queued (UDP) or appended to a TCP connection;
 * local is the address a wildcard listener's client talks to. */
void brtc_turn_take_action(brtc_turn_server *s, brtc_turn_action act, brtc_turn_out *out,
                           const brtc_addr *local, bool wildcard, uint64_t now);
/* Send the queued UDP datagrams (before the buffers their payloads point into are reused). */
void brtc_turn_flush(brtc_turn_server *s);
/* Close the relay sockets of ended allocations and re-arm the core's timer. */
void brtc_turn_rearm(brtc_turn_server *s);

/* turn_tcp.c */
int brtc_turn_tcp_start(brtc_turn_server *s, char *err, size_t err_cap);
/* Append a datagram for a TCP client; false if out is not for one. */
bool brtc_turn_tcp_deliver(brtc_turn_server *s, const brtc_turn_out *out);
void brtc_turn_tcp_free(brtc_turn_server *s);

#endif
