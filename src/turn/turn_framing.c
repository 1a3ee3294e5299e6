/* TURN over a stream (RFC 8656 6.2.2, 12.5): where one message ends in a TCP or TLS byte
 * stream. Shared by the server's TCP and TLS sides and by clients that speak TURN over TCP. */
#include <stdint.h>

#include "common/bytes.h"
#include "turn/turn_proto.h"

size_t brtc_turn_stream_frame_size(const uint8_t *buf, size_t len, size_t max) {
  if (len < BRTC_TURN_CHANNEL_HEADER) return 0;
  size_t need;
  if (brtc_turn_is_channel_data(buf, len))
    need = BRTC_TURN_CHANNEL_HEADER + ((brtc_rd16(buf + 2) + 3u) & ~3u); /* RFC 8656 12.5 */
  else if (buf[0] < 4) /* RFC 8489 6: a STUN message's first two bits are zero */
    need = BRTC_STUN_HEADER_SIZE + brtc_rd16(buf + 2);
  else
    return SIZE_MAX;
  return need > max ? SIZE_MAX : need;
}
