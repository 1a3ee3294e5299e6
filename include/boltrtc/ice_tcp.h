/* ICE-TCP on a loop (RFC 6544): passive host candidates for peers on networks that block
 * UDP. The loop listens on a TCP address; every peer connection later set up with
 * brtc_loop_config_pc offers it as a "tcptype passive" host candidate, with a priority below
 * its UDP ones (RFC 6544 4.2). A browser's active candidate connects, and STUN, DTLS, SRTP
 * and SRTCP then travel on the stream framed by RFC 4571 (a 2-byte length before each),
 * reaching the same pc its UDP datagrams would, routed the same way: a STUN check naming a
 * pc's ufrag first, then the address the check passed from.
 *
 * A connection must earn its place: it is closed if its first frame is not STUN, if no
 * check on it has been answered within the check timeout, if nothing arrives for longer than
 * a session's consent could last, or if it sends a frame larger than a UDP datagram the loop
 * would take. Connections are bounded in all and per source address; each holds at most one
 * frame of input and 64 KiB of output (past it, datagrams are dropped as UDP would). See
 * docs/security.md. */
#ifndef BOLTRTC_ICE_TCP_H
#define BOLTRTC_ICE_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "boltrtc/export.h"
#include "boltrtc/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BRTC_ICE_TCP_DEFAULT_MAX_TOTAL 256
#define BRTC_ICE_TCP_DEFAULT_MAX_PER_IP 16
#define BRTC_ICE_TCP_DEFAULT_CHECK_TIMEOUT_MS 5000

/* Listen for ICE-TCP on "127.0.0.1:3478" or "[::1]:3478" (port 0 picks one); at most
 * BRTC_LOOP_MAX_SOCKETS addresses. Peer connections configured by brtc_loop_config_pc after
 * this offer it. BRTC_OK, or an error with err set. */
BRTC_EXPORT int brtc_loop_ice_tcp_listen(brtc_loop *loop, const char *addr, char *err,
                                         size_t err_cap);
/* Connections at most in all and from one IP address, and how long a connection may go
 * without an answered check. 0 leaves a value as it is. Applies to every ICE-TCP listener of
 * the loop, those made later included. */
BRTC_EXPORT int brtc_loop_ice_tcp_set_limits(brtc_loop *loop, size_t max_total,
                                             size_t max_per_ip, unsigned check_timeout_ms);
/* The bound port of the i-th ICE-TCP listener; -1 if there is none. */
BRTC_EXPORT int brtc_loop_ice_tcp_port(const brtc_loop *loop, size_t i);

/* Set size to sizeof(brtc_ice_tcp_stats): later versions add members at the end only. */
typedef struct brtc_ice_tcp_stats {
  size_t size;
  uint64_t accepted;         /* connections accepted within the limits */
  uint64_t refused;          /* closed at accept: a total or per-address limit */
  uint64_t open;             /* open now */
  uint64_t verified;         /* connections on which a pc answered a check */
  uint64_t check_timeouts;   /* closed: no answered check within the check timeout */
  uint64_t idle_timeouts;    /* closed: nothing received for the idle timeout */
  uint64_t not_stun_first;   /* closed: media before any check was answered */
  uint64_t oversized;        /* closed: a frame larger than a datagram */
  uint64_t frames_in, frames_out;
  uint64_t dropped_out_full; /* datagrams to a peer whose output was full */
} brtc_ice_tcp_stats;
/* BRTC_ERR_INVALID without a loop or with a size too small. A loop without ICE-TCP gives
 * zeros. */
BRTC_EXPORT int brtc_loop_ice_tcp_get_stats(const brtc_loop *loop, brtc_ice_tcp_stats *out);

#ifdef __cplusplus
}
#endif
#endif
