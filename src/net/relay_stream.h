/* A pc's TCP or TLS connection to a TURN server (RFC 8656 3.1; RFC 7065 "turn:...?transport=
 * tcp" and "turns:"), owned by the loop beside the pc's UDP relay sockets (relay_socket.h):
 * one per (pc, server, transport), made on the pc's first message to it and closed with the
 * pc. The pc's TURN client writes whole messages (ChannelData already padded, 12.5); what
 * the server sends is cut into messages by src/turn's brtc_turn_stream and fed to the pc
 * as datagrams from the server. TLS is OpenSSL's, non-blocking on the socket, TLS 1.2 or
 * later, the server's certificate verified for its IP address against the pc's CA file or
 * OpenSSL's default paths. A connection that fails or ends is not made again: the pc's
 * client sees its requests go unanswered and its allocation fail. */
#ifndef BRTC_NET_RELAY_STREAM_H
#define BRTC_NET_RELAY_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "boltrtc/loop.h"
#include "boltrtc/peer_connection.h"
#include "common/addr.h"

#define BRTC_RELAY_STREAM_OUT (64 * 1024) /* bytes waiting for the socket, at most */

typedef struct brtc_relay_stream brtc_relay_stream;

/* Start connecting from source's IP address (port 0) to server; NULL if that cannot start. */
brtc_relay_stream *brtc_relay_stream_open(brtc_loop *loop, brtc_pc *pc, const brtc_addr *server,
                                          const struct sockaddr_storage *source, bool tls);
/* Queue one message: BRTC_OK, BRTC_ERR_AGAIN when the output is full (dropped), BRTC_ERR_IO
 * when the connection failed or ended. */
int brtc_relay_stream_send(brtc_relay_stream *s, const uint8_t *data, size_t len);
void brtc_relay_stream_close(brtc_relay_stream *s);

#endif
