/* Which peer addresses a TURN server relays to. A relay must not become a way into its own
 * network (RFC 8656 21.3.4, "Relaying to internal addresses"): loopback, private, link-local
 * and other special-purpose ranges are refused unless the operator allows them by CIDR. */
#ifndef BRTC_TURN_PEERS_H
#define BRTC_TURN_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define BRTC_TURN_MAX_ALLOW 32

typedef struct brtc_turn_cidr {
  int family; /* AF_INET or AF_INET6 */
  uint8_t ip[16];
  unsigned prefix;
} brtc_turn_cidr;

typedef struct brtc_turn_peer_filter {
  brtc_turn_cidr allow[BRTC_TURN_MAX_ALLOW];
  size_t n_allow;
} brtc_turn_peer_filter;

/* "127.0.0.0/8", "fd00::/8", or a bare address (a /32 or /128). */
int brtc_turn_cidr_parse(brtc_turn_cidr *out, const char *text);
int brtc_turn_peer_filter_allow(brtc_turn_peer_filter *f, const char *cidr);
/* True if datagrams may be relayed to peer: an allowed range, or no special-purpose one. */
bool brtc_turn_peer_allowed(const brtc_turn_peer_filter *f, const brtc_addr *peer);

#endif
