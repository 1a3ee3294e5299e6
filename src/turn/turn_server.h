/* brtc_turn_core: a STUN and TURN server (RFC 8489, RFC 8656) over UDP, sans-IO.
 *
 * The owner has listening sockets and one relay socket per allocation. It feeds the core each
 * datagram with where it came from and the time, and gets back at most one thing to do:
 * send a datagram (from a listening socket or from an allocation's relay socket), or open a
 * relay socket on a port the core chose (then it reports how that went). Expired and deleted
 * allocations come back from brtc_turn_core_poll_closed so their sockets can be closed. No
 * sockets, no clock; Unix time (for time-limited credentials) is told with set_unix_time.
 *
 * Output goes into a buffer the caller lends; a relayed payload is not copied but pointed
 * at (out->payload, inside the datagram that was fed), so the caller sends head, payload
 * and padding with one sendmsg/sendmmsg before it reuses its receive buffer. */
#ifndef BRTC_TURN_SERVER_H
#define BRTC_TURN_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define BRTC_TURN_VIA_LISTENER UINT32_MAX
/* The room out->buf needs: the largest response or Data indication header we build. */
#define BRTC_TURN_OUT_MIN 1600

typedef struct brtc_turn_core brtc_turn_core;

typedef struct brtc_turn_core_config {
  const char *realm;
  const uint8_t *secret; /* 32 random bytes: the key of our nonces */
  brtc_addr relay_ip;    /* the address of relayed transport addresses (port ignored) */
  uint16_t relay_port_min, relay_port_max;
  uint32_t max_allocations;           /* in all; 0: the number of relay ports */
  uint32_t max_allocations_per_user;  /* 0: no limit */
  uint32_t max_allocations_per_source; /* per client IP address; 0: no limit */
  uint32_t max_permissions;           /* per allocation (0: 64) */
  uint32_t max_channels;              /* per allocation (0: 64) */
  uint32_t default_lifetime_s;        /* 0: 600 (RFC 8656 7.2) */
  uint32_t max_lifetime_s;            /* 0: 3600 */
  uint32_t nonce_lifetime_s;          /* 0: 600 */
} brtc_turn_core_config;

typedef enum brtc_turn_action {
  BRTC_TURN_ACT_NONE = 0,   /* nothing to send (answered nothing, or dropped and counted) */
  BRTC_TURN_ACT_SEND,       /* send the datagram described by out */
  BRTC_TURN_ACT_OPEN_RELAY, /* open a relay socket on out->open_port for slot out->slot,
                               then call brtc_turn_core_relay_opened */
} brtc_turn_action;

typedef struct brtc_turn_out {
  uint8_t *buf; /* the caller's, at least BRTC_TURN_OUT_MIN bytes */
  size_t cap;
  /* BRTC_TURN_ACT_SEND: buf[0..len), then payload[0..payload_len), then pad zero bytes. */
  size_t len;
  const uint8_t *payload;
  size_t payload_len;
  size_t pad;
  uint32_t via;      /* BRTC_TURN_VIA_LISTENER, or the relay slot to send from */
  unsigned listener; /* with BRTC_TURN_VIA_LISTENER: which listening socket */
  brtc_addr to;
  /* BRTC_TURN_ACT_OPEN_RELAY */
  uint32_t slot;
  uint16_t open_port;
} brtc_turn_out;

typedef struct brtc_turn_core_stats {
  uint64_t stun_requests, binding_requests, responses_ok, responses_error;
  uint64_t unauthenticated;  /* 401 without MESSAGE-INTEGRITY: the first step of the dance */
  uint64_t auth_failures;    /* 401 for a bad username or integrity */
  uint64_t stale_nonces;     /* 438 */
  uint64_t quota_refused;    /* 486 */
  uint64_t capacity_refused; /* 508 */
  uint64_t forbidden_peers;  /* 403: a peer address not allowed */
  uint64_t allocations, allocations_created, allocations_expired, allocations_deleted;
  uint64_t permissions_created, channels_bound;
  uint64_t to_peer_packets, to_peer_bytes, to_client_packets, to_client_bytes;
  /* Drops, each a datagram that earned no answer. */
  uint64_t dropped_malformed;      /* neither STUN nor ChannelData, or a bad one */
  uint64_t dropped_no_allocation;  /* an indication or ChannelData from no allocation */
  uint64_t dropped_no_permission;  /* to or from a peer without a live permission */
  uint64_t dropped_no_channel;     /* ChannelData on a channel not bound */
  uint64_t dropped_unexpected;     /* responses, unknown indications */
} brtc_turn_core_stats;

brtc_turn_core *brtc_turn_core_new(const brtc_turn_core_config *config);
void brtc_turn_core_free(brtc_turn_core *core);
int brtc_turn_core_add_user(brtc_turn_core *core, const char *name, const char *password);
int brtc_turn_core_set_auth_secret(brtc_turn_core *core, const char *secret);
/* Allow relaying to a CIDR that is refused by default (loopback, private, link-local). */
int brtc_turn_core_allow_peers(brtc_turn_core *core, const char *cidr);
void brtc_turn_core_set_unix_time(brtc_turn_core *core, uint64_t unix_s);
/* The most relay slots there will be: the owner sizes its table of relay sockets by it. */
uint32_t brtc_turn_core_max_slots(const brtc_turn_core *core);

/* A datagram from a client to listening socket `listener`. */
brtc_turn_action brtc_turn_core_from_client(brtc_turn_core *core, unsigned listener,
                                            const brtc_addr *from, const uint8_t *data,
                                            size_t len, uint64_t now_us, brtc_turn_out *out);
/* A datagram from a peer to the relay socket of `slot`. */
brtc_turn_action brtc_turn_core_from_peer(brtc_turn_core *core, uint32_t slot,
                                          const brtc_addr *from, const uint8_t *data,
                                          size_t len, uint64_t now_us, brtc_turn_out *out);
/* The relay socket asked for was opened (ok), or its port was taken: the answer to the
 * Allocate (SEND), or another port to try (OPEN_RELAY). */
brtc_turn_action brtc_turn_core_relay_opened(brtc_turn_core *core, uint32_t slot, bool ok,
                                             uint64_t now_us, brtc_turn_out *out);
/* A client's connection ended (TURN over TCP): its allocation goes with it (RFC 8656 3.3:
 * the allocation lives on the 5-tuple, and a TCP 5-tuple ends with its connection). */
void brtc_turn_core_client_gone(brtc_turn_core *core, unsigned listener, const brtc_addr *client);
/* Expire allocations whose lifetime has passed. */
void brtc_turn_core_handle_timeout(brtc_turn_core *core, uint64_t now_us);
/* A relay slot whose socket should be closed now (expired or deleted); false when none. */
bool brtc_turn_core_poll_closed(brtc_turn_core *core, uint32_t *slot);
/* When handle_timeout is next due; UINT64_MAX for never. */
uint64_t brtc_turn_core_deadline(const brtc_turn_core *core);
void brtc_turn_core_get_stats(const brtc_turn_core *core, brtc_turn_core_stats *out);

#endif
