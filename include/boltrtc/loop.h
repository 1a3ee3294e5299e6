/* brtc_loop: the one place boltrtc does I/O. It owns the UDP sockets (one port per bound
 * address, shared by every peer connection), an epoll set and the timers, and drives the
 * sans-IO peer connections. It also runs TCP listeners and connections (each driven through
 * a small sans-IO endpoint interface, brtc_stream_ops), timers, and watches on other file
 * descriptors, so that a server does all its I/O on one thread with no locks. Datagrams are
 * demultiplexed per RFC 7983; one from an unknown address is only ever answered as a STUN
 * check whose USERNAME names a peer connection, or taken as the response to a check a peer
 * connection sent to that address. Batched with recvmmsg/sendmmsg; no allocation
 * per packet.
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
#include "boltrtc/export.h"
#include "boltrtc/peer_connection.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BRTC_LOOP_MAX_SOCKETS 8
#define BRTC_LOOP_BATCH 32          /* datagrams per recvmmsg/sendmmsg */
#define BRTC_LOOP_MAX_DATAGRAM 1500

typedef struct brtc_loop brtc_loop;

/* What a loop is made with: an opaque object with setters (new settings only ever add
 * setters), copied by brtc_loop_new, so it may be freed or reused right after. */
typedef struct brtc_loop_config brtc_loop_config;

/* Defaults: no UDP socket, every source answered, no interrupt moderation. NULL if out of
 * memory. */
BRTC_EXPORT brtc_loop_config *brtc_loop_config_new(void);
BRTC_EXPORT void brtc_loop_config_free(brtc_loop_config *config);
/* One UDP socket on "127.0.0.1:50000" or "[::1]:50000" (port 0 picks one); the string is
 * copied. At most BRTC_LOOP_MAX_SOCKETS (BRTC_ERR_LIMIT past them). None makes a loop for
 * TCP, timers and watches only (`boltrtc turn`, whose sockets are its own). The address is
 * checked when brtc_loop_new binds it. */
BRTC_EXPORT int brtc_loop_config_add_udp_address(brtc_loop_config *config, const char *addr);
/* Answer only loopback sources (a test safety net). */
BRTC_EXPORT void brtc_loop_config_set_loopback_only(brtc_loop_config *config, bool on);
/* Interrupt moderation, in µs (0: off, the default). While datagrams arrive densely (the
 * last pass read several, or came right after the one before), brtc_loop_run_once first
 * sleeps until this long after the previous pass began, so one wake-up drains a batch
 * instead of one or two datagrams: every datagram, timer and connection waits up to this
 * much longer. Sparse traffic never waits. A media server wants ~1000; a low-latency
 * sender, 0. */
BRTC_EXPORT void brtc_loop_config_set_batch_hold(brtc_loop_config *config, unsigned hold_us);
/* UDP GSO (Linux UDP_SEGMENT), on by default: a run of same-size datagrams to one destination
 * in one pass (a paced keyframe's packets) goes to the kernel as one super-buffer, which it
 * cuts into the same datagrams. A socket whose route refuses it falls back to plain sendmmsg
 * by itself (logged once); off is for measuring and for kernels that misbehave. */
BRTC_EXPORT void brtc_loop_config_set_gso(brtc_loop_config *config, bool on);
/* UDP GRO (Linux UDP_GRO) on the receiving sockets, off by default: the kernel may hand over
 * a run of datagrams from one source as one buffer, which the loop cuts into the same
 * datagrams in the same order. Fewer, larger reads when peers send bursts (a NIC's GRO, or a
 * loopback sender using GSO); costs 2 MiB of receive buffers per loop. */
BRTC_EXPORT void brtc_loop_config_set_gro(brtc_loop_config *config, bool on);

/* Counters for datagrams that reached no peer connection or were refused. Set size to
 * sizeof(brtc_loop_stats) before brtc_loop_get_stats: later versions only ever add members
 * at the end, and fill only what your size has room for. */
typedef struct brtc_loop_stats {
  size_t size;
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
  /* Dropped by the kernel before the loop read them: a socket's receive buffer was full (the
   * loop fell behind, or a flood). Read from the sockets (SO_MEMINFO) when asked for. */
  uint64_t dropped_socket_full;
  /* GSO super-buffers sent, and the datagrams in them (also counted in datagrams_out). */
  uint64_t gso_sends, gso_datagrams;
  /* With UDP GRO (brtc_loop_config_set_gro): buffers received that held more than one
   * datagram, and the datagrams in them (also counted in datagrams_in). */
  uint64_t gro_reads, gro_datagrams;
} brtc_loop_stats;

/* config: brtc_loop_config_new's, set up (not kept). NULL with err set on failure. */
BRTC_EXPORT brtc_loop *brtc_loop_new(const brtc_loop_config *config, char *err, size_t err_cap);
BRTC_EXPORT void brtc_loop_free(brtc_loop *loop);

/* The addresses the UDP sockets are reachable at, for host candidates: each bound one (port
 * 0 resolved), or for a wildcard one every up interface's of its family with the bound port
 * (IPv6 link-local left out, loopback last). */
BRTC_EXPORT size_t brtc_loop_local_addrs(const brtc_loop *loop,
                                         const struct sockaddr_storage **addrs);

/* Adds the loop's addresses (brtc_loop_local_addrs) to a pc config as host candidates. */
BRTC_EXPORT int brtc_loop_config_pc(const brtc_loop *loop, brtc_pc_config *pc_config);

/* Called with each event a pc puts out (out->kind == BRTC_OUTPUT_EVENT), at a safe point:
 * the pc is between calls. Inside it you may call anything on that pc, or remove it from the
 * loop and free it. out and what it points to are valid during the call only. */
typedef void (*brtc_pc_event_fn)(brtc_loop *loop, brtc_pc *pc, const brtc_output *out,
                                 void *user);
/* Drive a peer connection (not owned) from now on: the loop follows the rule of
 * peer_connection.h for you. It drains the pc after every datagram and timeout it feeds it,
 * sends the datagrams in its batches, keeps the deadline in its timer heap and hands the
 * events to on_event (may be NULL). When you call into the pc yourself at any other time
 * (signaling, a keyframe request), there is nothing more to do: the pc puts itself on the
 * loop's ready list (plain data, no callback), and the loop drains it at the end of the pass
 * it is in, or at the start of the next, which then does not wait. The pc's output so far
 * (what signaling made of it) is drained before this returns: its events reach on_event from
 * inside this call, where the pc is between calls too. */
BRTC_EXPORT int brtc_loop_add_pc(brtc_loop *loop, brtc_pc *pc, brtc_pc_event_fn on_event,
                                 void *user);
/* Stop driving pc. What it still has to send is sent first (a brtc_pc_close's RTCP BYE and
 * close_notify); its events not yet handed out are dropped. Safe inside its callback, after
 * which the pc may be freed there too. */
BRTC_EXPORT void brtc_loop_remove_pc(brtc_loop *loop, brtc_pc *pc);

BRTC_EXPORT int brtc_loop_fd(const brtc_loop *loop);
/* Milliseconds until the next timer, -1 if none; 0 while a pc has output to drain (it was
 * called outside a pass): an embedder's own poll must not wait then. */
BRTC_EXPORT int brtc_loop_next_timeout_ms(const brtc_loop *loop);
/* Wait up to timeout_ms (0: do not wait) and handle what is ready and due. */
BRTC_EXPORT int brtc_loop_run_once(brtc_loop *loop, int timeout_ms);
/* Run until brtc_loop_stop. */
BRTC_EXPORT int brtc_loop_run(brtc_loop *loop);
BRTC_EXPORT void brtc_loop_stop(brtc_loop *loop);

/* ---- TCP: listeners and connections, each driven like a peer connection ----
 *
 * A connection's endpoint is sans-IO: the loop reads into a buffer and feeds it bytes, pulls
 * the bytes it wants sent, and calls it at its deadline. The loop owns every buffer and
 * bounds them: input the endpoint does not take is held (at most one read's worth) and
 * reading pauses until it is taken; output is pulled only while the socket takes it, so at
 * most one pull's worth waits in the loop (the high-water mark); above it the endpoint keeps
 * its own output (backpressure) until the socket drains. A connection whose output makes no
 * progress for 30 s is closed. */

/* The functions of an endpoint; each gets the endpoint pointer given to brtc_tcp_conn_attach.
 * `size` is sizeof(brtc_stream_ops) as the caller was compiled, so later versions can add
 * members at the end. */
typedef struct brtc_stream_ops {
  size_t size;
  /* Bytes read from the peer. Returns how many were taken; the rest is kept in order and
   * offered again once the endpoint was kicked or output was pulled. */
  size_t (*input)(void *endpoint, const uint8_t *data, size_t len, uint64_t now_us);
  /* Copy up to cap bytes to send into buf; returns how many (0: nothing now). */
  size_t (*output)(void *endpoint, uint8_t *buf, size_t cap, uint64_t now_us);
  /* When timeout is next due; UINT64_MAX for never. */
  uint64_t (*deadline)(void *endpoint);
  void (*timeout)(void *endpoint, uint64_t now_us);
  /* True once the connection should end after the output pulled so far is sent. */
  bool (*finished)(void *endpoint);
  /* The connection ended other than by brtc_tcp_conn_close: the peer closed it (and every
   * byte it sent was taken), it failed (error < 0), finished returned true (BRTC_OK), or the
   * loop was freed. The loop's last call: the endpoint may free itself. */
  void (*closed)(void *endpoint, int error);
} brtc_stream_ops;

typedef struct brtc_tcp_listener brtc_tcp_listener;
typedef struct brtc_tcp_conn brtc_tcp_conn;

/* A connection was accepted within the limits: attach an endpoint to it
 * (brtc_tcp_conn_attach) or close it before returning. */
typedef void (*brtc_tcp_accept_fn)(void *user, brtc_tcp_conn *conn);

/* Listen on "127.0.0.1:8080" or "[::1]:8080" (port 0 picks one). NULL with err set on
 * failure. Limits default to 1024 connections in all and 64 per client IP address. */
BRTC_EXPORT brtc_tcp_listener *brtc_loop_tcp_listen(brtc_loop *loop, const char *addr,
                                                    brtc_tcp_accept_fn on_accept, void *user,
                                                    char *err, size_t err_cap);
/* Connections at most, in all and from one IP address; past either a new connection is
 * closed at once and counted. 0 leaves a limit as it is. */
BRTC_EXPORT int brtc_tcp_listener_set_limits(brtc_tcp_listener *l, size_t max_total,
                                             size_t max_per_ip);
/* The bound port (after port 0 was resolved). */
BRTC_EXPORT int brtc_tcp_listener_port(const brtc_tcp_listener *l);
/* Stop listening; connections already accepted go on. */
BRTC_EXPORT void brtc_tcp_listener_free(brtc_tcp_listener *l);

typedef enum brtc_tcp_counter {
  BRTC_TCP_ACCEPTED = 0,      /* connections accepted within the limits */
  BRTC_TCP_REFUSED_TOTAL,     /* closed at accept: the total limit was reached */
  BRTC_TCP_REFUSED_PER_IP,    /* closed at accept: that address's limit was reached */
  BRTC_TCP_OPEN,              /* open now */
  BRTC_TCP_STALLED,           /* closed because their output made no progress */
} brtc_tcp_counter;
/* One counter of a listener's connections; 0 for a counter this version does not know. */
BRTC_EXPORT uint64_t brtc_tcp_listener_count(const brtc_tcp_listener *l, brtc_tcp_counter which);

/* Drive conn with ops and endpoint from now on (ops is copied). */
BRTC_EXPORT int brtc_tcp_conn_attach(brtc_tcp_conn *conn, const brtc_stream_ops *ops,
                                     void *endpoint);
/* The peer's address and port. */
BRTC_EXPORT int brtc_tcp_conn_peer(const brtc_tcp_conn *conn, struct sockaddr_storage *out);
/* The endpoint has new output, or takes input again: the loop flushes it now, or at the end
 * of the pass it is in. */
BRTC_EXPORT void brtc_tcp_conn_kick(brtc_tcp_conn *conn);
/* Close at once, dropping what was not sent; the endpoint is not called again. */
BRTC_EXPORT void brtc_tcp_conn_close(brtc_tcp_conn *conn);

/* ---- timers and other file descriptors ---- */

typedef struct brtc_loop_timer brtc_loop_timer;
typedef void (*brtc_loop_timer_fn)(void *user, uint64_t now_us);
/* A one-shot timer, disarmed until set. NULL if out of memory. */
BRTC_EXPORT brtc_loop_timer *brtc_loop_timer_new(brtc_loop *loop, brtc_loop_timer_fn fn,
                                                 void *user);
/* Fire fn once at deadline_us (brtc_now_us time); UINT64_MAX disarms. */
BRTC_EXPORT void brtc_loop_timer_set(brtc_loop_timer *t, uint64_t deadline_us);
BRTC_EXPORT void brtc_loop_timer_free(brtc_loop_timer *t);

typedef struct brtc_loop_watch brtc_loop_watch;
typedef void (*brtc_loop_fd_fn)(void *user, int fd, uint64_t now_us);
/* Call fn whenever fd is readable (an eventfd, a signalfd); fd stays the caller's. */
BRTC_EXPORT brtc_loop_watch *brtc_loop_watch_fd(brtc_loop *loop, int fd, brtc_loop_fd_fn fn,
                                                void *user);
BRTC_EXPORT void brtc_loop_unwatch(brtc_loop_watch *w);

/* CLOCK_MONOTONIC in microseconds: the time the loop feeds the cores. */
BRTC_EXPORT uint64_t brtc_now_us(void);
/* The counters into out, whose size the caller set (see brtc_loop_stats). BRTC_ERR_INVALID
 * without a loop, or with a size smaller than the first version's. */
BRTC_EXPORT int brtc_loop_get_stats(const brtc_loop *loop, brtc_loop_stats *out);

#ifdef __cplusplus
}
#endif
#endif
