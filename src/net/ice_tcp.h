/* ICE-TCP's side of the loop (include/boltrtc/ice_tcp.h): what loop.c calls. */
#ifndef BRTC_NET_ICE_TCP_H
#define BRTC_NET_ICE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/ice_tcp.h"
#include "common/addr.h"

typedef struct brtc_ice_tcp brtc_ice_tcp;

/* A datagram a pc sends to `to`: if `to` is the peer of an ICE-TCP connection, it is framed
 * onto that stream and true is returned (the loop does not send it over UDP). */
bool brtc_ice_tcp_send(brtc_ice_tcp *it, const struct sockaddr_storage *to, const uint8_t *data,
                       size_t len);
/* Adds the passive candidates to a pc config (brtc_loop_config_pc). */
int brtc_ice_tcp_config_pc(const brtc_ice_tcp *it, brtc_pc_config *cfg);
/* Closes every connection and listener, without calling back. */
void brtc_ice_tcp_free(brtc_ice_tcp *it);

/* loop.c: the loop's ICE-TCP (NULL until brtc_loop_ice_tcp_listen), and the entry of a
 * framed datagram, routed as one from a UDP socket would be. */
brtc_ice_tcp **brtc_loop_ice_tcp_slot(brtc_loop *loop);
const brtc_ice_tcp *brtc_loop_ice_tcp_get(const brtc_loop *loop);
void brtc_loop_stream_datagram(brtc_loop *loop, const uint8_t *data, size_t len,
                               const brtc_addr *from, uint64_t now);

#endif
