/* Sending a batch of datagrams on one UDP socket: sendmmsg, and UDP GSO (Linux UDP_SEGMENT,
 * 4.18+) for each run of datagrams to one destination. A pacer's burst (a keyframe's
 * packets, all of the MTU-sized payload but the last) then crosses the stack once as a
 * super-buffer the kernel or the NIC cuts into the same datagrams, instead of once per
 * datagram. What the receiver gets is unchanged: the same datagrams, in the same order.
 * Knows nothing of peer connections; the loop (loop.c) owns one brtc_udp_sender. */
#ifndef BRTC_NET_UDP_SEND_H
#define BRTC_NET_UDP_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define BRTC_GSO_MAX_SEGMENTS 64 /* the kernel's UDP_MAX_SEGMENTS */
/* The largest UDP payload of one IPv4 datagram (65535 less 20 and 8 bytes of headers): the
 * super-buffer is one datagram to the stack until it is cut. */
#define BRTC_GSO_MAX_BYTES 65507
/* Segments above this stay plain: 1452 bytes with IPv6 and UDP headers fill a 1500-byte
 * Ethernet MTU, and a segment that does not fit the route's MTU makes the kernel refuse
 * (EINVAL) where a plain datagram would only be fragmented. */
#define BRTC_GSO_MAX_SEGMENT 1452
#define BRTC_UDP_SEND_BATCH 64 /* messages handled per round; longer batches are cut */
#define BRTC_UDP_SEND_SOCKETS 32 /* socket indexes whose GSO refusal is remembered */

/* One sendmsg of a plan: msgs[first .. first+count) of the caller's batch; count > 1 is one
 * GSO super-buffer of `segment`-byte datagrams (the last may be shorter). */
typedef struct brtc_udp_group {
  uint16_t first, count, segment;
} brtc_udp_group;

/* Cut msgs[0..n) (n <= BRTC_UDP_SEND_BATCH) into groups, in order, and return how many
 * (written to groups, room for n). Consecutive messages share a group when gso is true and
 * each has one iovec following the previous one's in the same iovec array (the super-buffer
 * is those iovecs), the same destination, the same control messages (source address), the
 * first one's length (the last may be shorter, and closes the group), and the group stays
 * within BRTC_GSO_MAX_SEGMENTS and BRTC_GSO_MAX_BYTES. No allocation. */
size_t brtc_udp_plan(const struct mmsghdr *msgs, size_t n, bool gso, brtc_udp_group *groups);

/* What a send did, added to by brtc_udp_sender_send. */
typedef struct brtc_udp_send_result {
  uint64_t datagrams, bytes; /* sent (GSO segments counted one by one) */
  uint64_t gso_sends, gso_datagrams; /* super-buffers sent, and the datagrams in them */
  uint64_t errors;           /* datagrams dropped: buffer full, unreachable, ... */
  int last_errno;            /* of the last drop that was not EAGAIN; 0 if none */
} brtc_udp_send_result;

/* Preallocated room for one batch's plan and its GSO messages. */
typedef struct brtc_udp_sender {
  bool gso_enabled;        /* false: plain sendmmsg only */
  uint32_t gso_refused;    /* bit i: socket index i refused GSO (EIO/EINVAL), logged once */
  brtc_udp_group groups[BRTC_UDP_SEND_BATCH];
  struct mmsghdr out[BRTC_UDP_SEND_BATCH];
  union {
    uint8_t bytes[128]; /* the datagram's own control messages (<= 64 bytes) and UDP_SEGMENT */
    struct cmsghdr align;
  } control[BRTC_UDP_SEND_BATCH];
} brtc_udp_sender;

void brtc_udp_sender_init(brtc_udp_sender *s, bool gso);

/* Send msgs[0..n) on fd (the caller's socket number `sock`, for remembering a refusal), in
 * order, MSG_DONTWAIT. A datagram the kernel will not take is dropped and counted (UDP). When
 * the kernel refuses GSO on this socket (EIO: no checksum offload on the route's device;
 * EINVAL: a segment over the route's MTU), the rest goes plain and this socket never tries
 * GSO again. */
void brtc_udp_sender_send(brtc_udp_sender *s, unsigned sock, int fd, struct mmsghdr *msgs,
                          size_t n, brtc_udp_send_result *res);

#endif
