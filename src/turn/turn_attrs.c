/* The TURN attributes of a STUN message (RFC 8656 14), read into brtc_turn_attrs. */
#include "turn/turn_proto.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

static bool is_turn_attr(uint16_t type) {
  switch (type) {
  case BRTC_TURN_ATTR_CHANNEL_NUMBER:
  case BRTC_TURN_ATTR_LIFETIME:
  case BRTC_TURN_ATTR_XOR_PEER_ADDRESS:
  case BRTC_TURN_ATTR_DATA:
  case BRTC_TURN_ATTR_XOR_RELAYED_ADDRESS:
  case BRTC_TURN_ATTR_REQUESTED_ADDRESS_FAMILY:
  case BRTC_TURN_ATTR_EVEN_PORT:
  case BRTC_TURN_ATTR_REQUESTED_TRANSPORT:
  case BRTC_TURN_ATTR_DONT_FRAGMENT:
  case BRTC_TURN_ATTR_RESERVATION_TOKEN:
    return true;
  default:
    return false;
  }
}

static int read_one(const uint8_t *buf, uint16_t type, const uint8_t *v, size_t n,
                    brtc_turn_attrs *a) {
  switch (type) {
  case BRTC_TURN_ATTR_CHANNEL_NUMBER: /* number, then RFFU */
    if (n != 4) return BRTC_ERR_PARSE;
    if (!a->has_channel) a->channel = brtc_rd16(v);
    a->has_channel = true;
    break;
  case BRTC_TURN_ATTR_LIFETIME:
    if (n != 4) return BRTC_ERR_PARSE;
    if (!a->has_lifetime) a->lifetime = brtc_rd32(v);
    a->has_lifetime = true;
    break;
  case BRTC_TURN_ATTR_XOR_PEER_ADDRESS: /* may repeat in CreatePermission (RFC 8656 9.1) */
    if (a->n_peers == BRTC_TURN_MAX_PEERS_PER_REQUEST) {
      a->too_many_peers = true;
      break;
    }
    if (brtc_stun_decode_xor_address(buf, v, n, &a->peers[a->n_peers]) != BRTC_OK)
      return BRTC_ERR_PARSE;
    a->n_peers++;
    break;
  case BRTC_TURN_ATTR_DATA:
    if (!a->has_data) {
      a->data = v;
      a->data_len = n;
    }
    a->has_data = true;
    break;
  case BRTC_TURN_ATTR_XOR_RELAYED_ADDRESS:
    if (!a->has_relayed && brtc_stun_decode_xor_address(buf, v, n, &a->relayed) != BRTC_OK)
      return BRTC_ERR_PARSE;
    a->has_relayed = true;
    break;
  case BRTC_TURN_ATTR_REQUESTED_TRANSPORT: /* protocol, then RFFU */
    if (n != 4) return BRTC_ERR_PARSE;
    if (!a->has_transport) a->transport = v[0];
    a->has_transport = true;
    break;
  case BRTC_TURN_ATTR_REQUESTED_ADDRESS_FAMILY:
    if (n != 4) return BRTC_ERR_PARSE;
    if (!a->has_family) a->family = v[0];
    a->has_family = true;
    break;
  case BRTC_TURN_ATTR_EVEN_PORT:
    if (n != 1) return BRTC_ERR_PARSE;
    a->has_even_port = true;
    a->even_port_reserve = (v[0] & 0x80) != 0; /* R: keep the next port for a later Allocate */
    break;
  case BRTC_TURN_ATTR_DONT_FRAGMENT:
    if (n != 0) return BRTC_ERR_PARSE;
    a->has_dont_fragment = true;
    break;
  case BRTC_TURN_ATTR_RESERVATION_TOKEN:
    if (n != 8) return BRTC_ERR_PARSE;
    if (!a->has_reservation) memcpy(a->reservation, v, 8);
    a->has_reservation = true;
    break;
  case BRTC_TURN_ATTR_ADDITIONAL_ADDRESS_FAMILY:
    if (n != 4) return BRTC_ERR_PARSE;
    a->has_additional_family = true;
    break;
  default:
    break;
  }
  return BRTC_OK;
}

int brtc_turn_parse_attrs(const uint8_t *buf, size_t len, const brtc_stun_msg *msg,
                          brtc_turn_attrs *out) {
  if (!buf || !msg || !out) return BRTC_ERR_INVALID;
  memset(out, 0, sizeof(*out));
  /* The STUN parser lists every comprehension-required type it does not know: keep those
   * TURN does not know either. */
  for (size_t i = 0; i < msg->n_unknown_required; i++)
    if (!is_turn_attr(msg->unknown_required[i]) &&
        out->n_unknown < sizeof(out->unknown) / sizeof(out->unknown[0]))
      out->unknown[out->n_unknown++] = msg->unknown_required[i];
  size_t pos = 0;
  uint16_t type;
  const uint8_t *v;
  size_t n;
  while (brtc_stun_next_attr(buf, len, &pos, &type, &v, &n))
    if (read_one(buf, type, v, n, out) != BRTC_OK) return BRTC_ERR_PARSE;
  return BRTC_OK;
}
