/* What identifies a datagram a pc sends or receives on the loop's shared UDP port, and the
 * table that routes STUN responses back to the pc whose request they answer.
 *
 * RFC 8489 6.3.3: a response is matched to its request by the transaction ID alone, so the
 * loop remembers, for each request a pc sends from the shared port (an ICE check, a Binding
 * to a STUN server), which pc sent it; the response goes to that pc whatever address it
 * comes from. Two pcs that ask the same STUN server each get their own answer.
 *
 * An entry lives as long as its transaction can (RFC 8489 6.2.1: Rc = 7 transmissions from
 * an RTO of 500 ms, the last waiting Rm = 16 RTOs, 39.5 s; renewed by each retransmission).
 * Nothing is allocated per packet: the table grows only when a request is noted and no
 * expired entry can be reclaimed, and it is bounded (BRTC_STUN_ROUTE_MAX). */
#ifndef BRTC_NET_STUN_ROUTE_H
#define BRTC_NET_STUN_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRTC_STUN_ROUTE_TTL_US 40000000ull /* 39.5 s, rounded up */
#define BRTC_STUN_ROUTE_MAX 65536          /* transactions in flight on one loop, at most */

typedef enum brtc_datagram_kind {
  BRTC_DGRAM_OTHER = 0,   /* media, DTLS, or anything not below */
  BRTC_DGRAM_REQUEST,     /* a STUN request: an ICE check, a Binding to a STUN server */
  BRTC_DGRAM_RESPONSE,    /* a STUN success or error response */
  /* Traffic of a TURN allocation (RFC 8656): a request or indication of a TURN method
   * (Allocate, Refresh, Send, CreatePermission, ChannelBind), or ChannelData. An allocation
   * is its 5-tuple, so it leaves from a socket of its pc's own (relay_socket.h). */
  BRTC_DGRAM_ALLOCATION,
} brtc_datagram_kind;

/* What a datagram is, from its first 8 bytes: cheap enough for every packet. */
brtc_datagram_kind brtc_datagram_kind_of(const uint8_t *data, size_t len);

typedef struct brtc_stun_route_entry {
  uint8_t tid[12];
  void *owner;      /* NULL: free */
  uint64_t expires; /* now_us after which it is gone */
} brtc_stun_route_entry;

typedef struct brtc_stun_route {
  brtc_stun_route_entry *slots;
  size_t cap; /* 0 or a power of two */
  size_t count; /* live or expired, not yet reclaimed */
  uint64_t refused; /* requests not noted: the table was full */
} brtc_stun_route;

void brtc_stun_route_init(brtc_stun_route *r);
void brtc_stun_route_free(brtc_stun_route *r);
/* owner sent the STUN request in data (BRTC_DGRAM_REQUEST) at now_us. BRTC_OK, or
 * BRTC_ERR_LIMIT / BRTC_ERR_NOMEM (counted in refused; its response then goes by address). */
int brtc_stun_route_note(brtc_stun_route *r, const uint8_t *data, size_t len, void *owner,
                         uint64_t now_us);
/* The owner of the request this response (BRTC_DGRAM_RESPONSE) answers; NULL if none. */
void *brtc_stun_route_find(const brtc_stun_route *r, const uint8_t *data, size_t len,
                           uint64_t now_us);
/* owner is gone: none of its transactions route to it any more. */
void brtc_stun_route_forget(brtc_stun_route *r, const void *owner);

#endif
