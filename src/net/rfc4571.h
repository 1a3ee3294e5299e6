/* RFC 4571 framing: RTP, RTCP, STUN and DTLS over a TCP stream, each datagram preceded by
 * its length in 2 bytes, network order (RFC 4571 2; ICE-TCP uses it as is, RFC 6544 3).
 * Sans-IO: bytes in, whole frames out, nothing allocated. A frame longer than the reader's
 * limit (a datagram we would never accept over UDP either) is skipped byte for byte and
 * counted, so the stream stays in step; a zero-length frame is skipped too (RFC 4571 allows
 * it, nothing in ICE sends one). */
#ifndef BRTC_NET_RFC4571_H
#define BRTC_NET_RFC4571_H

#include <stddef.h>
#include <stdint.h>

#define BRTC_RFC4571_HEADER 2
#define BRTC_RFC4571_MAX_FRAME 1500 /* = BRTC_LOOP_MAX_DATAGRAM: what the loop takes over UDP */

typedef struct brtc_rfc4571_reader {
  uint8_t frame[BRTC_RFC4571_MAX_FRAME];
  uint8_t header[BRTC_RFC4571_HEADER];
  size_t header_have; /* bytes of the length read so far */
  size_t need;        /* the current frame's length, once the header is whole */
  size_t have;        /* bytes of it read so far */
  size_t skip;        /* bytes of an oversized frame still to pass over */
  uint64_t frames, oversized, empty;
} brtc_rfc4571_reader;

void brtc_rfc4571_reader_init(brtc_rfc4571_reader *r);
/* Take bytes up to the end of the next whole frame. Returns how many of data were taken
 * (all of them unless a frame completed early). When a frame completed, *frame points to it
 * (inside the reader, valid until the next call) and *frame_len is its length; otherwise
 * *frame is NULL. Call again with the rest of data until it is all taken. */
size_t brtc_rfc4571_read(brtc_rfc4571_reader *r, const uint8_t *data, size_t len,
                         const uint8_t **frame, size_t *frame_len);
/* True when the reader is between frames (nothing partial held). */
int brtc_rfc4571_idle(const brtc_rfc4571_reader *r);
/* The 2-byte header for a datagram of len bytes; -1 if len does not fit (over 65535). */
int brtc_rfc4571_header(size_t len, uint8_t out[BRTC_RFC4571_HEADER]);

#endif
