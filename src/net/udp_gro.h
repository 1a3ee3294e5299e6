/* Receiving with UDP GRO (Linux UDP_GRO, 5.0+). With it on, the kernel may hand a socket a
 * run of datagrams from one source as one super-buffer: the datagrams laid end to end, all
 * of gso_size bytes but the last, which may be shorter, with a UDP_GRO control message that
 * gives gso_size. On a real NIC a peer's burst (a video frame's packets) can come that way
 * (GRO in the driver or the stack); on loopback only when the sender used GSO
 * (UDP_SEGMENT). One read then brings many datagrams, and the loop cuts them apart again
 * here, in place: the same datagrams, in the same order, as without GRO. Without this
 * socket option the kernel cuts super-buffers itself before queueing them.
 * Knows nothing of peer connections; the loop (loop.c) calls it. */
#ifndef BRTC_NET_UDP_GRO_H
#define BRTC_NET_UDP_GRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A receive buffer that holds any super-buffer: the largest UDP payload. */
#define BRTC_GRO_BUFFER_BYTES 65536
/* Room for the UDP_GRO control message (an int). */
#define BRTC_GRO_CONTROL_SPACE CMSG_SPACE(sizeof(int))

/* Ask the kernel for super-buffers on fd. False if it cannot (older kernel, not UDP). */
bool brtc_udp_gro_enable(int fd);

/* The segment size of a received message, from its UDP_GRO control message; 0 when it has
 * none (one plain datagram). */
size_t brtc_udp_gro_segment_size(const struct msghdr *m);

/* The datagrams of one received buffer, in order: buf[0..len) cut every `segment` bytes (the
 * last one may be shorter); segment 0 (no GRO) or >= len: the buffer is one datagram. */
typedef struct brtc_udp_segments {
  const uint8_t *next;
  size_t left, segment;
} brtc_udp_segments;

static inline void brtc_udp_segments_init(brtc_udp_segments *it, const uint8_t *buf, size_t len,
                                          size_t segment) {
  it->next = buf;
  it->left = len;
  it->segment = segment && segment < len ? segment : len;
}

/* The next datagram (its bytes stay in the caller's buffer); false when none is left. A
 * zero-length buffer is one empty datagram, as recvmmsg reports it. */
static inline bool brtc_udp_segments_next(brtc_udp_segments *it, const uint8_t **data,
                                          size_t *len) {
  if (!it->next) return false;
  size_t n = it->left < it->segment ? it->left : it->segment;
  *data = it->next;
  *len = n;
  it->left -= n;
  it->next = it->left ? it->next + n : NULL;
  return true;
}

#endif
