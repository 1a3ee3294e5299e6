/* The Data Channel Establishment Protocol (RFC 8832) messages, sent with PPID 50 on the
 * channel's stream. DATA_CHANNEL_OPEN (5.1):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |  Message Type |  Channel Type |            Priority           |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                    Reliability Parameter                      |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |         Label Length          |       Protocol Length         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    \                             Label                             /
 *    \                            Protocol                           /
 *
 * DATA_CHANNEL_ACK (5.2) is the message type alone. */
#ifndef BRTC_SCTP_DCEP_H
#define BRTC_SCTP_DCEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRTC_DCEP_ACK 0x02
#define BRTC_DCEP_OPEN 0x03
#define BRTC_DCEP_OPEN_HEADER 12

/* Channel types (8.2.2): the high bit is unordered, the low bits the reliability. */
#define BRTC_DCEP_RELIABLE 0x00
#define BRTC_DCEP_PARTIAL_REXMIT 0x01
#define BRTC_DCEP_PARTIAL_TIMED 0x02
#define BRTC_DCEP_UNORDERED 0x80

typedef struct brtc_dcep_open {
  uint8_t channel_type;
  uint16_t priority;
  uint32_t reliability; /* retransmissions (REXMIT) or milliseconds (TIMED); else ignored */
  const uint8_t *label;
  size_t label_len;
  const uint8_t *protocol;
  size_t protocol_len;
} brtc_dcep_open;

/* The message type (BRTC_DCEP_OPEN, with *open filled, or BRTC_DCEP_ACK), or BRTC_ERR_PARSE
 * for a message that is empty, truncated, of an unknown type or an unknown channel type. */
int brtc_dcep_parse(const uint8_t *msg, size_t len, brtc_dcep_open *open);
/* A DATA_CHANNEL_OPEN into buf; BRTC_ERR_TOO_BIG if it does not fit cap. */
int brtc_dcep_write_open(const brtc_dcep_open *open, uint8_t *buf, size_t cap, size_t *out_len);
static inline size_t brtc_dcep_open_size(const brtc_dcep_open *open) {
  return BRTC_DCEP_OPEN_HEADER + open->label_len + open->protocol_len;
}

#endif
