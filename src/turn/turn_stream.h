/* brtc_turn_stream: a TCP or TLS byte stream to or from a TURN server cut into its messages
 * (RFC 8656 3.1 and 12.5: STUN messages and ChannelData back to back, ChannelData padded to
 * a multiple of 4 over TCP), sans-IO. The owner of the connection feeds it what it read and
 * takes whole messages out, each as a TURN client core takes a datagram (ChannelData without
 * its padding). It holds at most one message and a partial one after it; a stream that
 * cannot carry TURN (a first byte of neither kind, a message longer than the most a
 * datagram may carry) is broken for good: the owner closes the connection. */
#ifndef BRTC_TURN_STREAM_H
#define BRTC_TURN_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRTC_TURN_STREAM_MAX_MESSAGE 2112 /* a 2048-byte datagram and TURN's framing */

typedef struct brtc_turn_stream {
  uint8_t buf[2 * BRTC_TURN_STREAM_MAX_MESSAGE];
  size_t len;      /* bytes held */
  size_t taken;    /* of which the message last handed out: dropped on the next call */
  bool broken;
} brtc_turn_stream;

void brtc_turn_stream_init(brtc_turn_stream *s);
/* Bytes read from the connection; returns how many were taken (fewer when the buffer is full:
 * offer the rest after taking messages out; 0 once broken). */
size_t brtc_turn_stream_input(brtc_turn_stream *s, const uint8_t *data, size_t len);
/* The next whole message: 1 with *msg and *len set (valid until the next call), 0 when more
 * bytes are needed, BRTC_ERR_PARSE when the stream is broken. */
int brtc_turn_stream_next(brtc_turn_stream *s, const uint8_t **msg, size_t *len);

#endif
