/* Cutting a TURN byte stream into messages (turn_stream.h), on brtc_turn_stream_frame_size
 * (turn_framing.c), which the server's TCP and TLS sides use too. */
#include "turn/turn_stream.h"

#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"
#include "turn/turn_proto.h"

void brtc_turn_stream_init(brtc_turn_stream *s) { memset(s, 0, sizeof(*s)); }

/* The message handed out last is no longer needed. */
static void drop_taken(brtc_turn_stream *s) {
  if (!s->taken) return;
  memmove(s->buf, s->buf + s->taken, s->len - s->taken);
  s->len -= s->taken;
  s->taken = 0;
}

size_t brtc_turn_stream_input(brtc_turn_stream *s, const uint8_t *data, size_t len) {
  if (s->broken) return 0;
  drop_taken(s);
  size_t room = sizeof(s->buf) - s->len;
  size_t n = len < room ? len : room;
  memcpy(s->buf + s->len, data, n);
  s->len += n;
  return n;
}

int brtc_turn_stream_next(brtc_turn_stream *s, const uint8_t **msg, size_t *len) {
  if (s->broken) return BRTC_ERR_PARSE;
  drop_taken(s);
  size_t need = brtc_turn_stream_frame_size(s->buf, s->len, BRTC_TURN_STREAM_MAX_MESSAGE);
  if (need == SIZE_MAX) {
    s->broken = true; /* no way to find the next message's start: RFC 8656 has no resync */
    return BRTC_ERR_PARSE;
  }
  if (need == 0 || need > s->len) return 0;
  *msg = s->buf;
  /* ChannelData goes out without its padding (12.5), as over UDP; STUN as it is. */
  *len = brtc_turn_is_channel_data(s->buf, s->len)
             ? BRTC_TURN_CHANNEL_HEADER + (size_t)brtc_rd16(s->buf + 2)
             : need;
  s->taken = need;
  return 1;
}
