/* The TURN server's I/O, shared by its UDP side (turn_endpoint.c), its TCP side
 * (turn_tcp.c: RFC 8656 3.3 framing on the loop's TCP connections) and the TLS layer of
 * those connections (turn_tls.c). Internal to src/net. */
#ifndef BRTC_NET_TURN_ENDPOINT_H
#define BRTC_NET_TURN_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "boltrtc/turn.h"
#include "common/addr.h"
#include "common/byte_queue.h"
#include "net/udp.h"
#include "stun/stun.h"
#include "turn/turn_auth.h"
#include "turn/turn_server.h"

#define BATCH BRTC_LOOP_BATCH
#define RX_SIZE 2048          /* a little over an Ethernet MTU, so an oversize one is seen */
#define MAX_BATCHES_PER_WAKE 8 /* then let the loop serve the other sockets */
#define MAX_USERS_LINE 1024
#define RELAY_EVENTS 64 /* ready relay sockets taken per epoll_wait */

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
  char *listen_tls[BRTC_TURN_MAX_LISTEN];
  size_t n_listen_tls;
  char *tls_cert_file, *tls_key_file;
  uint64_t tls_handshake_us;
  /* running */
  brtc_loop *loop;
  brtc_turn_core *core;
  brtc_loop_timer *timer;
  sock_ctx listeners[BRTC_TURN_MAX_LISTEN];
  brtc_addr bound[BRTC_TURN_MAX_LISTEN];
  size_t n_listeners;
  sock_ctx **relays; /* by slot */
  uint32_t n_relays;
  int relay_epfd; /* the relay sockets' epoll set, watched on the loop as one fd */
  brtc_loop_watch *relays_watch;
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
  /* TCP and TLS listeners (turn_tcp.c), TLS ones from tls_slot[i] */
  brtc_tcp_listener *tcp_listeners[2 * BRTC_TURN_MAX_LISTEN];
  struct tcp_listener_ctx *tcp_ctx[2 * BRTC_TURN_MAX_LISTEN];
  size_t n_tcp_listeners;
  size_t tls_slot[BRTC_TURN_MAX_LISTEN];
  struct turn_tcp_client *tcp_clients; /* every open connection */
  /* TLS (turn_tls.c) */
  struct ssl_ctx_st *tls_ctx;
  uint64_t tls_handshakes, tls_handshake_timeouts, tls_failures;
};

/* Core listener indices: UDP listeners 0..n-1, TCP listeners from here, TLS from the next. */
#define TURN_TCP_LISTENER_BASE BRTC_TURN_MAX_LISTEN
#define TURN_TLS_LISTENER_BASE (2 * BRTC_TURN_MAX_LISTEN)
/* Our messages are at most BRTC_STUN_MAX_SIZE; a longer one is not TURN we take. */
#define TCP_MAX_MESSAGE BRTC_STUN_MAX_SIZE
/* Output one slow reader may leave waiting before it is cut off (relayed data keeps coming). */
#define TCP_MAX_OUTPUT (256 * 1024)
/* A TLS handshake not done by then is cut off (brtc_turn_server_set_tls_handshake_timeout). */
#define TURN_TLS_HANDSHAKE_US (10u * 1000000u)

/* A client on a TCP or TLS connection. */
typedef struct turn_tcp_client {
  brtc_turn_server *srv;
  brtc_tcp_conn *conn;
  unsigned listener; /* the core's index: TURN_TCP_LISTENER_BASE or TURN_TLS_LISTENER_BASE + i */
  brtc_addr peer;
  uint8_t in[TCP_MAX_MESSAGE]; /* a message not yet whole */
  size_t in_len;
  brtc_byte_queue out; /* plaintext for the client */
  bool finished;
  struct ssl_st *ssl; /* TLS only: memory BIOs, so the loop does every read and write */
  uint64_t handshake_deadline;
  struct turn_tcp_client *next;
} turn_tcp_client;

/* turn_endpoint.c: what the core hands back, queued (UDP) or appended to a TCP connection;
 * local is the address a wildcard listener's client talks to. */
void brtc_turn_take_action(brtc_turn_server *s, brtc_turn_action act, brtc_turn_out *out,
                           const brtc_addr *local, bool wildcard, uint64_t now);
/* Send the queued UDP datagrams (before the buffers their payloads point into are reused). */
void brtc_turn_flush(brtc_turn_server *s);
/* Close the relay sockets of ended allocations and re-arm the core's timer. */
void brtc_turn_rearm(brtc_turn_server *s);

/* turn_tcp.c: the TCP and TLS listeners and connections */
int brtc_turn_tcp_start(brtc_turn_server *s, char *err, size_t err_cap);
/* Plaintext from the client: cut into messages, each handed to the core. */
void brtc_turn_stream_feed(turn_tcp_client *c, const uint8_t *data, size_t len, uint64_t now);
/* Append a datagram for a TCP client; false if out is not for one. */
bool brtc_turn_tcp_deliver(brtc_turn_server *s, const brtc_turn_out *out);
void brtc_turn_tcp_free(brtc_turn_server *s);

/* turn_tls.c: the TLS context (the certificate given, else a self-signed one) */
int brtc_turn_tls_setup(brtc_turn_server *s, char *err, size_t err_cap);
void brtc_turn_tls_free(brtc_turn_server *s);
/* A connection's TLS session, server side, with its handshake deadline. */
int brtc_turn_tls_new_conn(turn_tcp_client *c, uint64_t now);
void brtc_turn_tls_free_conn(turn_tcp_client *c);
/* Ciphertext read: decrypted and fed (brtc_turn_stream_feed); a TLS failure finishes c. */
void brtc_turn_tls_input(turn_tcp_client *c, const uint8_t *data, size_t len, uint64_t now);
/* Ciphertext to send: what the handshake wrote, else c->out encrypted. */
size_t brtc_turn_tls_output(turn_tcp_client *c, uint8_t *buf, size_t cap);
/* The handshake's deadline, UINT64_MAX once it is done. */
uint64_t brtc_turn_tls_deadline(const turn_tcp_client *c);

#endif
