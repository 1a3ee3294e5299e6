/* Fuzz brtc_turn_stream (src/turn/turn_stream.c): the input is a TURN byte stream, fed in
 * reads whose sizes come from its own bytes. Every message handed out must lie within the
 * buffer and be a whole STUN message or ChannelData of the length its header says. */
#include <stdint.h>
#include <string.h>

#include "common/bytes.h"
#include "turn/turn_proto.h"
#include "turn/turn_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static brtc_turn_stream s;
  brtc_turn_stream_init(&s);
  size_t at = 0;
  while (at < size) {
    size_t chunk = 1 + (data[at] % 97) * 29; /* 1 to 2785 bytes a read */
    if (chunk > size - at) chunk = size - at;
    size_t took = brtc_turn_stream_input(&s, data + at, chunk);
    at += took;
    const uint8_t *m;
    size_t len;
    int rc;
    while ((rc = brtc_turn_stream_next(&s, &m, &len)) == 1) {
      if (m < s.buf || m + len > s.buf + sizeof s.buf || len < BRTC_TURN_CHANNEL_HEADER)
        __builtin_trap();
      size_t want = brtc_turn_is_channel_data(m, len) ? BRTC_TURN_CHANNEL_HEADER + brtc_rd16(m + 2)
                                                     : 20u + brtc_rd16(m + 2);
      if (want != len) __builtin_trap();
    }
    if (rc < 0 || (took == 0 && rc == 0)) break; /* broken, or full and no message: a bug */
  }
  return 0;
}
