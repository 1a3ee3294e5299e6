/* TURN (RFC 8656) on the wire: methods, attributes, ChannelData, and the TURN attributes of
 * a STUN message read into one struct. Shared by the server and the client cores. */
#ifndef BRTC_TURN_PROTO_H
#define BRTC_TURN_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "stun/stun.h"

/* Methods (RFC 8656 18) and the STUN classes (RFC 8489 5); methods below 16 are their own
 * bits in the message type. */
enum {
  BRTC_TURN_ALLOCATE = 0x003,
  BRTC_TURN_REFRESH = 0x004,
  BRTC_TURN_SEND = 0x006,
  BRTC_TURN_DATA = 0x007,
  BRTC_TURN_CREATE_PERMISSION = 0x008,
  BRTC_TURN_CHANNEL_BIND = 0x009,
};
enum {
  BRTC_STUN_CLASS_REQUEST = 0x0000,
  BRTC_STUN_CLASS_INDICATION = 0x0010,
  BRTC_STUN_CLASS_SUCCESS = 0x0100,
  BRTC_STUN_CLASS_ERROR = 0x0110,
};
#define BRTC_STUN_METHOD(type) ((uint16_t)((type)&0x000F) | (((type)&0x00E0) >> 1) | (((type)&0x3E00) >> 2))
#define BRTC_STUN_CLASS(type) ((uint16_t)((type)&0x0110))

/* Attributes (RFC 8656 18). */
enum {
  BRTC_TURN_ATTR_CHANNEL_NUMBER = 0x000C,
  BRTC_TURN_ATTR_LIFETIME = 0x000D,
  BRTC_TURN_ATTR_XOR_PEER_ADDRESS = 0x0012,
  BRTC_TURN_ATTR_DATA = 0x0013,
  BRTC_TURN_ATTR_XOR_RELAYED_ADDRESS = 0x0016,
  BRTC_TURN_ATTR_REQUESTED_ADDRESS_FAMILY = 0x0017,
  BRTC_TURN_ATTR_EVEN_PORT = 0x0018,
  BRTC_TURN_ATTR_REQUESTED_TRANSPORT = 0x0019,
  BRTC_TURN_ATTR_DONT_FRAGMENT = 0x001A,
  BRTC_TURN_ATTR_RESERVATION_TOKEN = 0x0022,
  BRTC_TURN_ATTR_ADDITIONAL_ADDRESS_FAMILY = 0x8000,
  BRTC_TURN_ATTR_ADDRESS_ERROR_CODE = 0x8001,
  BRTC_TURN_ATTR_ICMP = 0x8004,
};

#define BRTC_TURN_TRANSPORT_UDP 17
#define BRTC_TURN_FAMILY_IPV4 0x01
#define BRTC_TURN_FAMILY_IPV6 0x02

/* ChannelData (RFC 8656 12.4): channel numbers 0x4000-0x4FFF, a 4-byte header. The server
 * also takes RFC 5766's older range, up to 0x7FFF, which clients such as coturn's still use:
 * a TURN port carries no RTP or DTLS that those first bytes could be confused with. */
#define BRTC_TURN_CHANNEL_MIN 0x4000
#define BRTC_TURN_CHANNEL_MAX 0x4FFF
#define BRTC_TURN_CHANNEL_MAX_RFC5766 0x7FFF
#define BRTC_TURN_CHANNEL_HEADER 4
#define BRTC_TURN_PERMISSION_LIFETIME_S 300 /* RFC 8656 9 */
#define BRTC_TURN_CHANNEL_LIFETIME_S 600    /* RFC 8656 12 */
#define BRTC_TURN_MAX_PEERS_PER_REQUEST 8

/* RFC 7983: ChannelData starts with a byte from 64 to 79 (to 127 with RFC 5766 numbers). */
static inline bool brtc_turn_is_channel_data(const uint8_t *buf, size_t len) {
  return len >= BRTC_TURN_CHANNEL_HEADER && buf[0] >= 0x40 && buf[0] <= 0x7F;
}

/* TURN over a stream (TCP or TLS, RFC 8656 6.2.2 and 12.5): the size of the message at the
 * start of buf, a STUN message (20 bytes and its length) or ChannelData (4 bytes and its
 * length padded to 4). 0 while more bytes are needed; SIZE_MAX when buf cannot start a TURN
 * message or it would be longer than max (the stream cannot be resynchronised then). */
size_t brtc_turn_stream_frame_size(const uint8_t *buf, size_t len, size_t max);

/* The TURN attributes of a message brtc_stun_parse accepted. */
typedef struct brtc_turn_attrs {
  bool has_lifetime;
  uint32_t lifetime;
  bool has_channel;
  uint16_t channel;
  brtc_addr peers[BRTC_TURN_MAX_PEERS_PER_REQUEST];
  size_t n_peers;
  bool too_many_peers;
  bool has_data;
  const uint8_t *data;
  size_t data_len;
  bool has_relayed;
  brtc_addr relayed;
  bool has_transport;
  uint8_t transport;
  bool has_family;
  uint8_t family;
  bool has_even_port, even_port_reserve, has_dont_fragment, has_reservation, has_additional_family;
  uint8_t reservation[8];
  /* Comprehension-required attributes neither STUN nor TURN knows, for 420 (RFC 8489 7.3.1). */
  uint16_t unknown[8];
  size_t n_unknown;
} brtc_turn_attrs;

/* Read the TURN attributes. BRTC_ERR_PARSE for a malformed one (a wrong length, an address
 * of no known family), which earns a 400. */
int brtc_turn_parse_attrs(const uint8_t *buf, size_t len, const brtc_stun_msg *msg,
                          brtc_turn_attrs *out);

#endif
