/* brtc_loop: the one place boltrtc does I/O. It owns the UDP sockets (one port per bound
 * address, shared by every peer connection), an epoll set and the timers, and drives the
 * sans-IO peer connections. Datagrams are demultiplexed per RFC 7983; one from an unknown
 * address is only ever answered as a STUN check whose USERNAME names a peer connection.
 * Batched with recvmmsg/sendmmsg; no allocation per packet.
 *
 * Embeddable like curl's multi interface: either call brtc_loop_run, or put
 * brtc_loop_fd into your own poll/epoll and call brtc_loop_run_once(loop, 0) when it is
 * readable or brtc_loop_next_timeout_ms has passed. */
#ifndef BOLTRTC_LOOP_H
#define BOLTRTC_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "boltrtc/error.h"
#include "boltrtc/peer_connection.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BRTC_LOOP_MAX_SOCKETS 8
#define BRTC_LOOP_BATCH 32          /* datagrams per recvmmsg/sendmmsg */
#define BRTC_LOOP_MAX_DATAGRAM 1500

typedef struct brtc_loop brtc_loop;

typedef struct brtc_loop_config {
  /* "127.0.0.1:50000", "[::1]:50000"; one UDP socket each. Port 0 picks one. */
  const char *const *udp_addrs;
  size_t n_udp_addrs;
  /* Answer only loopback sources (a test safety net). */
  bool loopback_only;
} brtc_loop_config;

/* Counters for datagrams that reached no peer connection or were refused. */
typedef struct brtc_loop_stats {
  uint64_t datagrams_in, datagrams_out, bytes_in, bytes_out;
  uint64_t dropped_unknown_source;  /* non-STUN from an address no pc owns */
  uint64_t dropped_unknown_ufrag;   /* STUN naming no pc */
  uint64_t dropped_malformed;       /* not STUN/DTLS/RTP/RTCP per RFC 7983, or bad STUN */
  uint64_t dropped_not_loopback;
  uint64_t dropped_by_pc;           /* refused inside a pc (auth, replay, ...) */
  /* STUN checks naming one pc from an address another pc holds with live consent: refused,
   * so no session can take over another's peer address (RFC 7675, RFC 8445 7.3). */
  uint64_t dropped_address_in_use;
  uint64_t send_errors;
} brtc_loop_stats;

brtc_loop *brtc_loop_new(const brtc_loop_config *config, char *err, size_t err_cap);
void brtc_loop_free(brtc_loop *loop);

/* The bound addresses (after port 0 was resolved), for host candidates. */
size_t brtc_loop_local_addrs(const brtc_loop *loop, const struct sockaddr_storage **addrs);

/* Register a peer connection (not owned). Its datagrams and timers are handled from now on. */
int brtc_loop_add_pc(brtc_loop *loop, brtc_pc *pc);
void brtc_loop_remove_pc(brtc_loop *loop, brtc_pc *pc);
/* Call after driving a pc from outside the loop (signaling, keyframe request): flushes its
 * output and re-arms its timer. */
void brtc_loop_kick(brtc_loop *loop, brtc_pc *pc);

int brtc_loop_fd(const brtc_loop *loop);
/* Milliseconds until the next timer, -1 if none. */
int brtc_loop_next_timeout_ms(const brtc_loop *loop);
/* Wait up to timeout_ms (0: do not wait) and handle what is ready and due. */
int brtc_loop_run_once(brtc_loop *loop, int timeout_ms);
/* Run until brtc_loop_stop. */
int brtc_loop_run(brtc_loop *loop);
void brtc_loop_stop(brtc_loop *loop);

/* CLOCK_MONOTONIC in microseconds: the time the loop feeds the cores. */
uint64_t brtc_now_us(void);
void brtc_loop_get_stats(const brtc_loop *loop, brtc_loop_stats *out);

#ifdef __cplusplus
}
#endif
#endif
