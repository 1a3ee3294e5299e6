/* A pc's own UDP sockets for its TURN allocations, beside the loop's shared port.
 *
 * RFC 8656 2 and 7: an allocation is identified by its 5-tuple (client address and port,
 * server address and port, transport). Every pc on a loop sends from the loop's one port,
 * so two pcs allocating on one TURN server would present the same 5-tuple: the server
 * takes the second Allocate for a retransmission of the first, or answers 437 Allocation
 * Mismatch. So each pc's allocation traffic (stun_route.h's BRTC_DGRAM_ALLOCATION) leaves
 * from a socket of that pc's own: an ephemeral port on the address the pc gathers from,
 * connected to the server, opened when the pc first talks to that server and closed with
 * the pc. What comes back on it is that pc's, with no lookup at all; being connected, the
 * kernel drops whatever does not come from the server. This is what Pion's agent does (a
 * fresh PacketConn per TURN client) and what libjuice does with one socket per agent. */
#ifndef BRTC_NET_RELAY_SOCKET_H
#define BRTC_NET_RELAY_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"

#define BRTC_RELAY_SOCKETS_PER_PC 4 /* one per TURN server and transport: a pc has at most 4 */
#define BRTC_RELAY_BATCH 32

typedef struct brtc_relay_socket brtc_relay_socket;

/* A pc's sockets, kept in the loop's entry for it. */
typedef struct brtc_relay_set {
  brtc_relay_socket *socks[BRTC_RELAY_SOCKETS_PER_PC];
  size_t n;
  size_t last; /* the one used last: nearly every send goes where the one before went */
} brtc_relay_set;

typedef struct brtc_relay_stats {
  uint64_t datagrams_out, datagrams_in, send_errors, dropped_by_pc, sockets_opened;
} brtc_relay_stats;

/* The loop's side: one send batch for every pc's sockets, and the receive buffers. */
typedef struct brtc_relay_io brtc_relay_io;

brtc_relay_io *brtc_relay_io_new(brtc_loop *loop);
void brtc_relay_io_free(brtc_relay_io *io);
/* Queue pc's datagram to the TURN server `to` on the set's socket for it, opening one bound
 * to source's IP address (any address of to's family if source has none) on first use; via
 * TCP or TLS, a connection of the pc's own to the server instead (relay_stream.h).
 * BRTC_OK, or an error (the datagram is dropped, counted in send_errors). */
int brtc_relay_send(brtc_relay_io *io, brtc_relay_set *set, brtc_pc *pc, const uint8_t *data,
                    size_t len, const struct sockaddr_storage *to,
                    const struct sockaddr_storage *source, brtc_transmit_via via);
/* Send what is queued (after each pc's drain, with the loop's own batch). */
void brtc_relay_flush(brtc_relay_io *io);
/* The pc is gone: close its sockets (what is queued for them is sent first). */
void brtc_relay_set_close(brtc_relay_io *io, brtc_relay_set *set);
const brtc_relay_stats *brtc_relay_io_stats(const brtc_relay_io *io);

#endif
