/* The loop's mDNS resolver for the peers' .local ICE candidates (RFC 6762 5.1 one-shot
 * queries; draft-ietf-mmusic-mdns-ice-candidates 3.2.1): loop.c tells it after draining a pc,
 * and it tells every pc the answer (brtc_loop_mdns_result). */
#ifndef BRTC_NET_MDNS_RESOLVER_H
#define BRTC_NET_MDNS_RESOLVER_H

#include <stdint.h>

#include "boltrtc/loop.h"

typedef struct brtc_mdns_resolver brtc_mdns_resolver;

/* pc was drained: query the names it holds unresolved (made on first need, in *slot). */
void brtc_mdns_resolver_note_pc(brtc_mdns_resolver **slot, brtc_loop *loop, brtc_pc *pc);
void brtc_mdns_resolver_free(brtc_mdns_resolver *r);

/* loop.c: hand every pc the outcome for name (ip NULL: not resolved). */
void brtc_loop_mdns_result(brtc_loop *loop, const char *name, const struct sockaddr *ip);

#endif
